"""No test reaches a fixed port: every fake takes a free one, so the suite
runs beside the demo (GIS 8765, MAX 8766, Odoo 8069) or another run."""

import re
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[2]
FIXED = re.compile(r"(127\.0\.0\.1|localhost):\d+")


def test_odoo_tests_fakes_and_benchmarks_name_no_port():
    files = [
        *sorted((ADDON_DIR / "tests").glob("*.py")),
        *sorted((ADDON_DIR / "tests" / "fakes").glob("*.py")),
        *sorted((ADDON_DIR / "bench").glob("*.py")),
    ]
    assert len(files) > 30
    found = [
        f"{path.relative_to(ADDON_DIR)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        # The fakes' usage notes show how the demo starts them.
        if FIXED.search(line) and "serve.py" not in line
    ]
    assert found == []
