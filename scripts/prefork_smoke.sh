#!/usr/bin/env bash
# Prefork smoke: the addon proven the way production runs it. A fresh
# database with the addon (no demo data: its connection would call the demo's
# endpoints); Odoo as a prefork server (2 HTTP workers, a cron worker, the
# gevent process, queue_job's runner in a worker of its own, free ports); the
# fake GIS ZhKKh and fake MAX Bot API on free ports. scripts/prefork_smoke.py
# then configures a GIS connection and a MAX bot over JSON-RPC and drives them
# from outside: a MAX webhook update becomes a ticket through the job runner,
# a staff reply reaches the fake MAX once, an appeal imported from the fake
# GIS gets an answer the fake applies. Everything started here is stopped and
# the database dropped on exit, whatever happens.
#
#   scripts/prefork_smoke.sh     (PYTHON, PGHOST... as for scripts/run_tests.sh)
set -euo pipefail

addon_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
addon_name=helpdesk_gis_zhkh_max
# shellcheck source=scripts/lib.sh
. "$addon_dir/scripts/lib.sh"
odoo_importable || { echo "The prefork smoke needs Odoo 19 importable by $python." >&2; exit 2; }
[ "${SKIP_INSTALL:-0}" = 1 ] || ensure_oca_dependencies
ensure_pg_role
openapi=${MAX_OPENAPI:-$addon_dir/data/max-bot-api/openapi-2026-07-01.yaml}
xsd_dir=${GIS_XSD_DIR:-$addon_dir/data/gis-formats-16.3.0.0}

work=$(mktemp -d)
db="hgzm_prefork_smoke_$(date +%s)_$$"
pids=()
cleanup() {
    local status=$? pid
    # TERM first: the prefork master stops its workers, the runner and the
    # gevent process itself; whatever is left after 15 s is killed.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 30); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.5
    done
    for pid in "${pids[@]}"; do
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$status" != 0 ] && [ -f "$work/odoo.log" ]; then
        echo "---- the last lines of Odoo's log ----" >&2
        grep -v "odoo.sql_db: ConnectionPool" "$work/odoo.log" | tail -n 60 >&2
        cp "$work/odoo.log" "${TMPDIR:-/tmp}/$db.log"
        echo "---- Odoo's whole log is kept in ${TMPDIR:-/tmp}/$db.log ----" >&2
    fi
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

copy_addon "$addon_dir" "$work/addons"
http_port=$(free_port)
gevent_port=$(free_port)
gis_port=$(free_port)
max_port=$(free_port)
write_odoo_conf "$work/odoo.conf" "$db" "$(odoo_addons_path "$work/addons")" "$work/data" \
    "dbfilter = ^$db\$" \
    "http_port = $http_port" \
    "gevent_port = $gevent_port" \
    "workers = 2" \
    "max_cron_threads = 1" \
    "server_wide_modules = base,web,queue_job" \
    "proxy_mode = True" \
    "logfile = $work/odoo.log" \
    "" \
    "[queue_job]" \
    "channels = root:2,root.gis_zhkh:1,root.gis_zhkh_files:1,root.max:1,root.max_send:1,root.helpdesk_deadlines:1"

started=$(date +%s)
echo "Installing $addon_name into the fresh database $db"
timeout 600 "$python" -m odoo -c "$work/odoo.conf" -i "$addon_name" --stop-after-init --log-level=warn
echo "Installed in $(($(date +%s) - started)) s"

(exec "$python" "$addon_dir/tests/fakes/serve.py" gis --port "$gis_port" --processing-polls 0 \
    --xsd-dir "$xsd_dir" --org-ppa-guid 7c9e6679-7425-40de-944b-e07fc1f90ae7) \
    > "$work/fake_gis.log" 2>&1 &
pids+=($!)
(exec "$python" "$addon_dir/tests/fakes/serve.py" max --port "$max_port" --token smoke-max-token \
    --openapi "$openapi") > "$work/fake_max.log" 2>&1 &
pids+=($!)

# The prefork server starts the gevent process again from its own command
# (sys.argv[0]): the odoo script beside the Python, not `-m odoo`.
odoo_bin=$("$python" -c 'import sys, pathlib; p = pathlib.Path(sys.executable).with_name("odoo"); print(p if p.exists() else "")')
[ -n "$odoo_bin" ] || { echo "The odoo script is missing beside $python: cannot start a prefork server" >&2; exit 2; }
(exec "$odoo_bin" -c "$work/odoo.conf" --log-level=info) &
odoo_pid=$!
pids+=("$odoo_pid")

timeout 240 "$python" "$addon_dir/scripts/prefork_smoke.py" \
    --odoo "http://127.0.0.1:$http_port" --gevent "http://127.0.0.1:$gevent_port" \
    --db "$db" --gis "http://127.0.0.1:$gis_port" --max "http://127.0.0.1:$max_port" \
    --odoo-pid "$odoo_pid"
# The server's log must show no error nor traceback of its own.
if grep -E " (ERROR|CRITICAL) |Traceback" "$work/odoo.log" >/dev/null; then
    echo "PREFORK SMOKE FAILED: errors in Odoo's log:" >&2
    grep -E -A 20 " (ERROR|CRITICAL) |Traceback" "$work/odoo.log" | head -n 80 >&2
    exit 1
fi
echo "Prefork smoke passed in $(($(date +%s) - started)) s (install included)"
