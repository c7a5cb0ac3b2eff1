#!/usr/bin/env bash
# Start a demo: Odoo 19 with this addon and its demo data, plus the fake GIS
# ZhKKh on 127.0.0.1:8765 registering a new appeal every 20 seconds, and the
# fake MAX Bot API on 127.0.0.1:8766 whose page http://127.0.0.1:8766/chat
# lets you write to the organisation's MAX bot as a resident.
# Tickets appear within a minute at http://127.0.0.1:8069 (login admin / admin).
#
#   scripts/demo.sh            create (or reuse) the database gis_zhkh_demo and run
#   scripts/demo.sh --reset    drop the demo database first
#
# Needs Odoo 19 importable by $PYTHON (default python3; helpdesk_mgmt and
# queue_job come from PyPI unless ODOO_ADDONS_PATH has them) and PostgreSQL
# (PGHOST PGPORT PGUSER PGPASSWORD, default 127.0.0.1 5432 odoo odoo; the role
# needs CREATEDB). The configuration, filestore and logs live in
# DEMO_STATE_DIR (default ~/.cache/helpdesk_gis_zhkh_max_demo); DEMO_DB and
# DEMO_HTTP_PORT name the database and port. Stop with Ctrl+C.
set -euo pipefail

addon_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$addon_dir/scripts/lib.sh"
db=${DEMO_DB:-gis_zhkh_demo}
http_port=${DEMO_HTTP_PORT:-8069}
xsd_dir=${GIS_XSD_DIR:-$addon_dir/data/gis-formats-16.3.0.0}
openapi=${MAX_OPENAPI:-$addon_dir/data/max-bot-api/openapi-2026-07-01.yaml}

if ! odoo_importable; then
    echo "Odoo 19 is not importable by $python: install it first (see README)." >&2
    exit 2
fi
ensure_oca_dependencies
ensure_pg_role

# Outside the checkout: the addons path holds a link back to it.
state=${DEMO_STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/helpdesk_gis_zhkh_max_demo}
mkdir -p "$state/addons"
ln -sfn "$addon_dir" "$state/addons/helpdesk_gis_zhkh_max"
write_odoo_conf "$state/odoo.conf" "$db" "$(odoo_addons_path "$state/addons")" "$state/data" \
    "dbfilter = ^$db\$" \
    "http_port = $http_port" \
    "server_wide_modules = base,web,queue_job" \
    "workers = 0" \
    "" \
    "[queue_job]" \
    "channels = root:3,root.gis_zhkh:1,root.gis_zhkh_files:1,root.max:1,root.max_send:1,root.helpdesk_deadlines:1"

if [ "${1:-}" = "--reset" ]; then
    dropdb --if-exists "$db"
fi

# Both fakes check every request against the official formats.
fake_args=(--port 8765 --demo-appeals 12 --tick 20 --xsd-dir "$xsd_dir")
(exec "$python" "$addon_dir/tests/fakes/serve.py" gis "${fake_args[@]}") &
fake_pid=$!
(exec "$python" "$addon_dir/tests/fakes/serve.py" max --port 8766 --token demo-max-token --openapi "$openapi") &
fake_max_pid=$!
trap 'kill $fake_pid $fake_max_pid 2>/dev/null || true' EXIT

if ! psql -d "$db" -tAc "select 1 from ir_module_module where name='helpdesk_gis_zhkh_max' and state='installed'" 2>/dev/null | grep -q 1; then
    echo "Creating the demo database $db (a minute or two)..."
    "$python" -m odoo -c "$state/odoo.conf" -i helpdesk_gis_zhkh_max --with-demo \
        --load-language=ru_RU --stop-after-init --log-level=warn
    # The people who use this addon work in Russian: so does the demo (the
    # administrator, and the company, whose language imports write in).
    "$python" -m odoo shell -c "$state/odoo.conf" --no-http --log-level=warn <<'PY'
admin = env["res.users"].browse(env.ref("base.user_admin").id)
admin.write({"lang": "ru_RU", "tz": "Europe/Moscow"})
env.company.partner_id.write({"lang": "ru_RU", "tz": "Europe/Moscow"})
# The bot speaks Russian: its texts again, now that Russian is loaded.
bot = env.ref("helpdesk_gis_zhkh_max.demo_max_gateway")
bot.max_text_ids.unlink()
bot._max_seed_texts()
env.cr.commit()
PY
fi
# The fake MAX forgets subscriptions when it stops: subscribe the demo bot's
# webhook to it again at every start.
"$python" -m odoo shell -c "$state/odoo.conf" --no-http --log-level=warn <<PY
env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:$http_port")
env.ref("helpdesk_gis_zhkh_max.demo_max_gateway").action_max_subscribe()
env.cr.commit()
PY
"$python" -m odoo -c "$state/odoo.conf" --log-level=info &
odoo_pid=$!
trap 'kill $fake_pid $fake_max_pid $odoo_pid 2>/dev/null || true' EXIT
# Ready is said when Odoo answers, not when it starts.
for _ in $(seq 1 120); do
    if "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$http_port/web/health" 2>/dev/null; then
        echo
        echo "Demo ready: http://127.0.0.1:$http_port (admin / admin) -> Helpdesk."
        echo "The fake GIS ZhKKh registers a new appeal every 20 s; imports run every minute."
        echo "Write to the MAX bot as a resident: http://127.0.0.1:8766/chat"
        echo
        break
    fi
    kill -0 "$odoo_pid" 2>/dev/null || { echo "Odoo stopped: see its log above." >&2; exit 1; }
    sleep 1
done
wait "$odoo_pid"
