"""The addon's plain-Python ``tools/`` and its fakes as a package of their own
(``hgzm``, by ``tests/fakes/serve.py``): the benchmarks that need no database
import them without importing Odoo (the addon's own ``__init__`` does)."""

import importlib.util
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[1]


def load():
    spec = importlib.util.spec_from_file_location(
        "hgzm_serve", ADDON_DIR / "tests" / "fakes" / "serve.py"
    )
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    return serve.load(ADDON_DIR)


load()
