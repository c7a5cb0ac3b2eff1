"""Run a fake on its own, from a clone of the addon, without Odoo::

    python3 tests/fakes/serve.py gis --port 8765 --demo-appeals 20 --tick 20
    python3 tests/fakes/serve.py max --port 8766 --token demo-max-token

Without ``--port`` a fake takes a free port and logs its address.

The fakes import the addon's ``tools/`` relatively, as they do inside Odoo
(``odoo.addons.<addon>.tests.fakes``). Run alone, ``load()`` makes the
addon's folder a package of its own name without running the addon's
``__init__`` (which imports Odoo) nor the tests' (which import the Odoo
tests): the plain tests and the benchmarks load the same way.
"""

import importlib
import sys
import types
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[2]
PACKAGE = "hgzm"


def _namespace(name, path):
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
    return module


def load(addon_dir=ADDON_DIR, name=PACKAGE):
    """The addon's folder as the package ``name``: ``<name>.tools`` and
    ``<name>.tests.fakes`` import without Odoo."""
    addon_dir = Path(addon_dir)
    root = _namespace(name, addon_dir)
    _namespace(f"{name}.tests", addon_dir / "tests")
    importlib.import_module(f"{name}.tools")
    return root


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    fakes = {"gis": "fake_gis", "max": "fake_max"}
    if not argv or argv[0] not in fakes:
        sys.exit(f"usage: {Path(__file__).name} gis|max [options]  (--help for each)")
    load()
    module = importlib.import_module(f"{PACKAGE}.tests.fakes.{fakes[argv[0]]}")
    module.main(argv[1:])


if __name__ == "__main__":
    main()
