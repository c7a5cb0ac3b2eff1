"""The addon's plain-Python ``tools/`` as a package of its own (``hgzm_tools``):
the benchmarks that need no database import it without importing Odoo (the
addon's own ``__init__`` does)."""

import importlib.util
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load(name="hgzm_tools"):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, TOOLS / "__init__.py", submodule_search_locations=[str(TOOLS)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


load()
