"""Load the addon's ``tools/`` and the fakes (``tests/fakes``) as a package
of their own (``hgzm``).

The addon's own ``__init__`` imports Odoo, and so do the tests'; the plain
tests must not: ``tests/fakes/serve.py`` makes the addon's folder a package
without running either.
"""

import importlib.util
import os
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2]
# The formats and the OpenAPI file the addon carries (data/), unless the
# environment names others.
XSD_DIR = Path(
    os.environ.get("GIS_XSD_DIR", ADDON_DIR / "data" / "gis-formats-16.3.0.0")
)
MAX_OPENAPI = Path(
    os.environ.get(
        "MAX_OPENAPI", ADDON_DIR / "data" / "max-bot-api" / "openapi-2026-07-01.yaml"
    )
)


def _load_tools():
    spec = importlib.util.spec_from_file_location(
        "hgzm_serve", ADDON_DIR / "tests" / "fakes" / "serve.py"
    )
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    return serve.load(ADDON_DIR)


_load_tools()


@pytest.fixture(scope="session")
def xsd_dir():
    if not (XSD_DIR / "appeals" / "hcs-appeals-types.xsd").exists():
        pytest.fail(
            f"The official GIS XSD set is missing at {XSD_DIR}: set GIS_XSD_DIR"
        )
    return XSD_DIR


@pytest.fixture(scope="session")
def validator(xsd_dir):
    from hgzm.tools.gis_schema import SchemaValidator

    return SchemaValidator(xsd_dir)


@pytest.fixture(scope="session")
def max_openapi():
    if not MAX_OPENAPI.exists():
        pytest.fail(
            f"The MAX Bot API OpenAPI file is missing at {MAX_OPENAPI}: set MAX_OPENAPI"
        )
    return MAX_OPENAPI


@pytest.fixture(scope="session")
def russian_ca():
    # The one the addon trusts for the MAX API host.
    path = ADDON_DIR / "data" / "russian_trusted_ca.pem"
    if not path.exists():
        pytest.fail(f"The Russian Trusted CA file is missing at {path}")
    return path
