"""PEP 517 build backend: whool's wheel, without the repository's own files.

whool 1.3.1 packages every file git tracks in the addon's folder (all of
them when there is no git) and has no setting to leave any out; it does not
use ``git archive``, so ``export-ignore`` does nothing either. OCA
repositories keep their CI, lint and benchmark files at the repository root,
beside the addons; here the repository root is the addon. So the wheel is
whool's, then the paths ``[tool.hgzm.wheel] exclude`` of ``pyproject.toml``
names are taken out of it (with their RECORD lines). Metadata, version,
sdist and editable installs are whool's, unchanged.

Patterns are file or folder names (``fnmatch``): ``/x`` only at the addon's
root, ``x/`` only a folder.
"""

import csv
import fnmatch
import io
import os
import sys
import zipfile
from pathlib import Path

from whool import buildapi as _whool

if sys.version_info >= (3, 11):
    import tomllib
else:  # whool requires tomli there
    import tomli as tomllib

build_sdist = _whool.build_sdist
build_editable = _whool.build_editable
prepare_metadata_for_build_wheel = _whool.prepare_metadata_for_build_wheel
prepare_metadata_for_build_editable = _whool.prepare_metadata_for_build_editable

ADDON_PREFIX = "odoo/addons/"


def excluded_patterns(addon_dir):
    path = Path(addon_dir) / "pyproject.toml"
    if not path.exists():
        return []
    with open(path, "rb") as file:
        options = tomllib.load(file)
    return options.get("tool", {}).get("hgzm", {}).get("wheel", {}).get("exclude", [])


def is_excluded(relative_path, patterns):
    """Whether ``relative_path`` (inside the addon, with ``/``) is left out."""
    parts = relative_path.split("/")
    for pattern in patterns:
        name = pattern.strip("/")
        candidates = parts[:-1] if pattern.endswith("/") else parts
        if pattern.startswith("/"):
            candidates = candidates[:1]
        if any(fnmatch.fnmatchcase(part, name) for part in candidates):
            return True
    return False


def _addon_path(name):
    """The path inside the addon of a wheel entry, None outside it."""
    if not name.startswith(ADDON_PREFIX):
        return None
    _addon, _sep, rest = name[len(ADDON_PREFIX) :].partition("/")
    return rest or None


def strip_wheel(wheel_path, patterns):
    """Rewrite ``wheel_path`` without the addon files ``patterns`` match;
    the dropped paths, sorted."""
    wheel_path = Path(wheel_path)
    with zipfile.ZipFile(wheel_path) as source:
        infos = source.infolist()
        dropped = {
            info.filename
            for info in infos
            if _addon_path(info.filename)
            and is_excluded(_addon_path(info.filename), patterns)
        }
        if not dropped:
            return []
        partial = wheel_path.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
            for info in infos:
                if info.filename in dropped:
                    continue
                data = source.read(info)
                if info.filename.endswith(".dist-info/RECORD"):
                    rows = csv.reader(io.StringIO(data.decode("utf-8")))
                    out = io.StringIO()
                    csv.writer(out, lineterminator="\n").writerows(
                        row for row in rows if row and row[0] not in dropped
                    )
                    data = out.getvalue().encode("utf-8")
                target.writestr(info, data)
    os.replace(partial, wheel_path)
    return sorted(dropped)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = _whool.build_wheel(wheel_directory, config_settings, metadata_directory)
    strip_wheel(Path(wheel_directory) / name, excluded_patterns(Path.cwd()))
    return name
