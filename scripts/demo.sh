#!/usr/bin/env bash
# Start a demo: Odoo 19 with this addon and its demo data, plus the fake GIS
# ZhKKh on 127.0.0.1:8765 registering a new appeal every 20 seconds.
# Tickets appear within a minute at http://127.0.0.1:8069 (login admin / admin).
#
#   scripts/demo.sh            create (or reuse) the database gis_zhkh_demo and run
#   scripts/demo.sh --reset    drop the demo database first
#
# Needs Odoo 19 importable by python3 (with helpdesk_mgmt and queue_job from PyPI
# or on ODOO_ADDONS_PATH) and PostgreSQL (PGHOST PGPORT PGUSER PGPASSWORD,
# default 127.0.0.1 5432 odoo odoo). Stop with Ctrl+C.
set -euo pipefail

addon_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
db=${DEMO_DB:-gis_zhkh_demo}
http_port=${DEMO_HTTP_PORT:-8069}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}
xsd_dir=${GIS_XSD_DIR:-$addon_dir/../shared/reference/gis-formats-16.3.0.0}

if ! "$python" -c 'import odoo.release' 2>/dev/null; then
    echo "Odoo 19 is not importable by $python: install it first (see README)." >&2
    exit 2
fi
"$python" - <<'PY' || "$python" -m pip install --quiet odoo-addon-helpdesk-mgmt odoo-addon-queue-job
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(f"odoo.addons.{m}") for m in ("helpdesk_mgmt", "queue_job")) else 1)
PY

state=$addon_dir/.demo
mkdir -p "$state/addons"
ln -sfn "$addon_dir" "$state/addons/helpdesk_gis_zhkh_max"
addons_path=$("$python" - "$state/addons" "${ODOO_ADDONS_PATH:-}" <<'PY'
import os, sys
import odoo, odoo.addons
paths = [sys.argv[1]] + [p for p in sys.argv[2].split(",") if p]
paths += [p for p in odoo.addons.__path__ if os.path.isdir(p)]
root = os.path.dirname(list(odoo.__path__)[0])
if os.path.isdir(os.path.join(root, "addons")):
    paths.append(os.path.join(root, "addons"))
print(",".join(dict.fromkeys(os.path.abspath(p) for p in paths)))
PY
)
cat > "$state/odoo.conf" <<CONF
[options]
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = $PGPASSWORD
db_name = $db
dbfilter = ^$db\$
addons_path = $addons_path
data_dir = $state/data
http_interface = 127.0.0.1
http_port = $http_port
server_wide_modules = base,web,queue_job
workers = 0

[queue_job]
channels = root:2,root.gis_zhkh:1
CONF

if [ "${1:-}" = "--reset" ]; then
    dropdb --if-exists "$db"
fi

fake_args=(--port 8765 --demo-appeals 12 --tick 20)
[ -d "$xsd_dir" ] && fake_args+=(--xsd-dir "$xsd_dir")
(cd "$addon_dir" && exec "$python" -m tools.fake_gis "${fake_args[@]}") &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT

if ! psql -d "$db" -tAc "select 1 from ir_module_module where name='helpdesk_gis_zhkh_max' and state='installed'" 2>/dev/null | grep -q 1; then
    echo "Creating the demo database $db (a minute or two)..."
    "$python" -m odoo -c "$state/odoo.conf" -i helpdesk_gis_zhkh_max --with-demo --stop-after-init --log-level=warn
fi
echo
echo "Demo ready: http://127.0.0.1:$http_port (admin / admin) -> Helpdesk."
echo "The fake GIS ZhKKh registers a new appeal every 20 s; imports run every minute."
echo
"$python" -m odoo -c "$state/odoo.conf" --log-level=info
