# Shared by scripts/run_tests.sh, scripts/demo.sh and bench/run_bench.sh.
# shellcheck shell=bash

python=${PYTHON:-python3}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}

odoo_importable() {
    "$python" -c 'import odoo.release' 2>/dev/null
}

# A TCP port nobody listens on now (the kernel's choice).
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Install a requirements file from PyPI, unless everything in it is already
# installed at a matching version (no index is reached then).
ensure_requirements() {
    "$python" - "$1" <<'PY' && return 0
import sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    sys.exit(1)
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    requirement = Requirement(line)
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if not requirement.specifier.contains(version, prereleases=True):
        sys.exit(1)
PY
    echo "Installing $(basename "$1") from PyPI"
    "$python" -m pip install --quiet --disable-pip-version-check -r "$1"
}

# OCA dependencies from PyPI, unless the addons path already has them.
ensure_oca_dependencies() {
    "$python" - <<'PY' && return 0
import importlib.util, sys
wanted = ("helpdesk_mgmt", "queue_job", "mail_gateway", "report_xlsx")
sys.exit(0 if all(importlib.util.find_spec(f"odoo.addons.{m}") for m in wanted) else 1)
PY
    # The versions the suite was last run with: a fresh machine tests the same.
    "$python" -m pip install --quiet --disable-pip-version-check \
        odoo-addon-helpdesk-mgmt==19.0.1.3.2 odoo-addon-queue-job==19.0.2.4.0.1 \
        odoo-addon-mail-gateway==19.0.1.1.0 odoo-addon-report-xlsx==19.0.1.0.2.2
}

# Make sure the PostgreSQL role exists (Odoo refuses to run as "postgres").
ensure_pg_role() {
    psql -d postgres -tAc 'select 1' >/dev/null 2>&1 && return 0
    psql -U postgres -d postgres -qc \
        "CREATE ROLE \"$PGUSER\" LOGIN CREATEDB PASSWORD '$PGPASSWORD'" \
        || { echo "ERROR: cannot connect to PostgreSQL as $PGUSER@$PGHOST:$PGPORT" >&2; return 2; }
}

# addons_path: the given directories, then every odoo.addons directory
# (pip-installed OCA addons) and Odoo's own addons/ of a source checkout.
odoo_addons_path() {
    "$python" - "$@" "${ODOO_ADDONS_PATH:-}" <<'PY'
import os, sys
import odoo, odoo.addons
paths = [p for arg in sys.argv[1:] for p in arg.split(",") if p]
paths += [p for p in odoo.addons.__path__ if os.path.isdir(p)]
root = os.path.dirname(list(odoo.__path__)[0])
if os.path.isdir(os.path.join(root, "addons")):
    paths.append(os.path.join(root, "addons"))
print(",".join(dict.fromkeys(os.path.abspath(p) for p in paths)))
PY
}

# write_odoo_conf FILE DB ADDONS_PATH DATA_DIR [extra lines...]
write_odoo_conf() {
    local file=$1 db=$2 addons_path=$3 data_dir=$4
    shift 4
    {
        echo "[options]"
        echo "db_host = $PGHOST"
        echo "db_port = $PGPORT"
        echo "db_user = $PGUSER"
        echo "db_password = $PGPASSWORD"
        echo "db_name = $db"
        echo "addons_path = $addons_path"
        echo "data_dir = $data_dir"
        echo "http_interface = 127.0.0.1"
        printf '%s\n' "$@"
    } > "$file"
}

# copy_addon SRC DEST_PARENT: a copy named after the addon (pytest-odoo names
# test modules after the directory, whatever the checkout is called).
copy_addon() {
    mkdir -p "$2/helpdesk_gis_zhkh_max"
    tar -C "$1" --exclude=.git --exclude=.ci --exclude=.demo --exclude=__pycache__ -cf - . \
        | tar -C "$2/helpdesk_gis_zhkh_max" -xf -
}

# Headless Chromium for the browser tests (Odoo tours): the Debian package,
# installed when missing. Without it the tours would be skipped: fail instead.
ensure_chromium() {
    local browser
    for browser in chromium chromium-browser google-chrome; do
        command -v "$browser" >/dev/null 2>&1 && return 0
    done
    if command -v apt-get >/dev/null 2>&1; then
        echo "Installing Chromium (Debian package chromium) for the browser tests"
        apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
            || { apt-get update >/dev/null 2>&1 \
                && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } \
            || true
    fi
    command -v chromium >/dev/null 2>&1 && return 0
    echo "ERROR: Chromium is missing and could not be installed: the browser tests cannot run" >&2
    return 2
}
