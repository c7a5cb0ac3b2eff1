"""The wheel carries the addon, not the repository around it (README,
"Packaging"): built as pip builds it, offline, from a copy named after the
addon (whool names the package after its folder), with the files a clone
has."""

import base64
import csv
import hashlib
import importlib.util
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2]
ADDON = "helpdesk_gis_zhkh_max"
PREFIX = f"odoo/addons/{ADDON}/"
# What the installed addon runs on (and its tests, which OCA wheels ship
# with the fakes they need).
REQUIRED = (
    "__manifest__.py",
    "__init__.py",
    "hooks.py",
    "README.rst",
    "models/gis_zhkh_operation.py",
    "tools/gis_xml_build.py",
    "views/",
    "data/gis-formats-16.3.0.0/",
    "security/ir.model.access.csv",
    "i18n/ru.po",
    "static/description/index.html",
    "migrations/",
    "tests/fakes/fake_gis.py",
)
# The repository's, which OCA keeps at its root, beside the addons.
REPOSITORY_ONLY = (
    ".ci/",
    ".wheel/",
    "bench/",
    "scripts/",
    ".gitignore",
    ".pylintrc",
    ".pylintrc-mandatory",
    ".ruff.toml",
    "README.md",
    "test-requirements.txt",
    "pyproject.toml",
)


def _backend():
    spec = importlib.util.spec_from_file_location(
        "hgzm_wheel", ADDON_DIR / ".wheel" / "hgzm_wheel.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _clone(target):
    """Copy the files a clone has: those git tracks or would track, as
    ``.ci/run`` copies them; without git, the folder less its caches."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ADDON_DIR,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        listed = ""
    files = [p for p in listed.split("\0") if p and (ADDON_DIR / p).is_file()]
    if not files:
        shutil.copytree(
            ADDON_DIR,
            target,
            ignore=shutil.ignore_patterns(
                ".git", "__pycache__", "*.py[cod]", ".*_cache", ".hypothesis"
            ),
        )
        return
    for path in files:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ADDON_DIR / path, target / path)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    clone = root / ADDON
    _clone(clone)
    # No build isolation, no index: whool comes from test-requirements.txt.
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps"]
        + ["--no-build-isolation", "--no-index", "-q", "-w", str(root / "dist")],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (root / "dist").glob("*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_carries_the_addon_and_not_the_repository(wheel):
    assert Path(wheel.filename).name.startswith(f"odoo_addon_{ADDON}-19.0.")
    files = [n[len(PREFIX) :] for n in wheel.namelist() if n.startswith(PREFIX)]
    assert [n for n in wheel.namelist() if not n.startswith(PREFIX)] == [
        n for n in wheel.namelist() if ".dist-info/" in n
    ]
    missing = [r for r in REQUIRED if not any(f.startswith(r) for f in files)]
    assert missing == []
    shipped = [
        f
        for f in files
        if any(f == r or (r.endswith("/") and f.startswith(r)) for r in REPOSITORY_ONLY)
    ]
    assert shipped == []
    assert [f for f in files if "__pycache__" in f or f.endswith(".pyc")] == []


def test_the_wheel_record_lists_exactly_what_it_holds(wheel):
    (record,) = [n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")]
    rows = list(csv.reader(io.StringIO(wheel.read(record).decode("utf-8"))))
    assert sorted(row[0] for row in rows) == sorted(wheel.namelist())
    # Every hash still matches its file (pip and wheel check them).
    for name, digest, _size in rows:
        if name != record:
            actual = hashlib.sha256(wheel.read(name)).digest()
            encoded = base64.urlsafe_b64encode(actual).rstrip(b"=").decode()
            assert digest == f"sha256={encoded}", name


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("bench/bench_odoo.py", True),
        ("scripts/run_tests.sh", True),
        (".pylintrc-mandatory", True),
        ("README.md", True),
        ("README.rst", False),
        ("readme/USAGE.md", False),
        ("tests/bench/notes.md", False),
        ("tests/plain/README.md", False),
        ("tools/__pycache__/gis_xml_parse.cpython-311.pyc", True),
        ("models/gis_zhkh_operation_jobs.py", False),
    ],
)
def test_what_the_exclusions_match(path, excluded):
    backend = _backend()
    patterns = backend.excluded_patterns(ADDON_DIR)
    assert backend.is_excluded(path, patterns) is excluded
