"""The README renders for OCA's tools and Odoo's module page without errors."""

from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2]


def test_readme_rst_builds_without_docutils_errors():
    core = pytest.importorskip("docutils.core")
    source = (ADDON_DIR / "README.rst").read_text(encoding="utf-8")
    # Any warning or error stops the build (halt_level 2).
    core.publish_string(
        source,
        writer_name="html",
        settings_overrides={"halt_level": 2, "report_level": 2},
    )
