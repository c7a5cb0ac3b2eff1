#!/usr/bin/env bash
# Run every test of the addon.
#
#   scripts/run_tests.sh              plain-Python tests, lint, the Odoo suite,
#                                     then the prefork smoke (scripts/prefork_smoke.sh)
#   scripts/run_tests.sh --plain-only skip the Odoo suite on purpose (still says so)
#   scripts/run_tests.sh -- ARGS      the whole run, with ARGS added to the Odoo
#                                     suite's pytest (e.g. -- -k max_outbox)
#
# The Odoo suite runs whenever `python3 -c 'import odoo.release'` works: the addon
# is installed into a fresh PostgreSQL database with its demo data, tested with
# pytest-odoo, and the database is dropped afterwards. Settings (environment):
#   PYTHON             the Python that has Odoo (default: python3 on PATH)
#   GIS_XSD_DIR        official GIS ZhKKh formats (default: those the addon carries,
#                      data/gis-formats-16.3.0.0)
#   MAX_OPENAPI        the MAX Bot API OpenAPI file (default: the one it carries,
#                      data/max-bot-api/openapi-2026-07-01.yaml)
#   PGHOST PGPORT PGUSER PGPASSWORD   PostgreSQL (default 127.0.0.1 5432 odoo odoo)
#   ODOO_ADDONS_PATH   extra addons paths (helpdesk_mgmt, queue_job if not pip-installed)
#   SKIP_INSTALL=1     never pip-install (by default only what is missing or
#                      at another version than test-requirements.txt says)
set -euo pipefail

addon_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
addon_name=helpdesk_gis_zhkh_max
# shellcheck source=scripts/lib.sh
. "$addon_dir/scripts/lib.sh"
plain_only=0
[ "${1:-}" = "--plain-only" ] && { plain_only=1; shift; }
[ "${1:-}" = "--" ] && shift
export GIS_XSD_DIR=${GIS_XSD_DIR:-$addon_dir/data/gis-formats-16.3.0.0}
export MAX_OPENAPI=${MAX_OPENAPI:-$addon_dir/data/max-bot-api/openapi-2026-07-01.yaml}

banner() { printf '\n\033[1m==== %s ====\033[0m\n' "$*"; }

if [ ! -f "$GIS_XSD_DIR/appeals/hcs-appeals-types.xsd" ]; then
    echo "ERROR: the official GIS ZhKKh formats are not at GIS_XSD_DIR=$GIS_XSD_DIR" >&2
    echo "       (every XML the addon builds is validated against it)." >&2
    exit 2
fi

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    banner "Test requirements"
    ensure_requirements "$addon_dir/test-requirements.txt"
fi

banner "Lint: ruff and pylint-odoo (OCA mandatory checks)"
(cd "$addon_dir" && "$python" -m ruff check --no-fix . && "$python" -m ruff format --check .)
if odoo_importable; then
    (cd "$addon_dir/.." && "$python" -m pylint --rcfile="$addon_dir/.pylintrc-mandatory" "$(basename "$addon_dir")")
fi

banner "Plain-Python tests (no Odoo, no database)"
(cd "$addon_dir" && "$python" -m pytest -q tests/plain)  # options in tests/plain/pytest.ini

if [ "$plain_only" = 1 ]; then
    banner "ODOO SUITE SKIPPED ON REQUEST (--plain-only): models, views, security NOT tested"
    exit 0
fi
if ! odoo_importable; then
    cat >&2 <<'MSG'

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  ODOO IS NOT IMPORTABLE: THE ODOO TEST SUITE DID NOT RUN.                 !!
!!  Models, views, security, jobs and the import were NOT tested.            !!
!!  Install Odoo 19 (source or packages) so that `python3 -c 'import         !!
!!  odoo.release'` works, or pass --plain-only to skip it on purpose.        !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
MSG
    exit 3
fi

banner "Odoo $("$python" -c 'import odoo.release as r; print(r.version)') suite (pytest-odoo, real PostgreSQL)"
[ "${SKIP_INSTALL:-0}" = 1 ] || ensure_oca_dependencies
ensure_chromium
ensure_pg_role

work=$(mktemp -d)
db="hgzm_test_$(date +%s)_$$"
cleanup() {
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

copy_addon "$addon_dir" "$work/addons"
# --odoo-http starts a server: without cron threads, and without
# queue_job's runner (which that server would start): the tests run their
# jobs themselves, and nothing else may act on their database meanwhile.
# A free port: two runs on one machine (or a demo on 8069) never collide.
write_odoo_conf "$work/odoo.conf" "$db" "$(odoo_addons_path "$work/addons")" "$work/data" \
    "http_port = $(free_port)" \
    "max_cron_threads = 0" \
    "" \
    "[queue_job]" \
    "channels = root:0"

echo "Installing $addon_name into the fresh database $db"
"$python" -m odoo -c "$work/odoo.conf" -d "$db" -i "$addon_name" --with-demo \
    --stop-after-init --log-level=warn 2>&1 | tee "$work/install.log"
# Odoo installs a module without its demo data when that data fails, and
# says so only in a warning: the suite would then test another database.
if grep -q "demo data failed to install" "$work/install.log"; then
    echo "ERROR: the demo data of $addon_name failed to install (see above)" >&2
    exit 1
fi
cd "$work"
"$python" -m pytest -p no:cacheprovider --odoo-config "$work/odoo.conf" --odoo-database "$db" \
    --odoo-http -q -W ignore::DeprecationWarning \
    "$work/addons/$addon_name/tests" --ignore="$work/addons/$addon_name/tests/plain" "$@"

# The suite runs its jobs itself in one process: the smoke proves the addon
# as production runs it (prefork workers, queue_job's runner, the gevent
# process), from outside, on a database of its own.
banner "Prefork smoke (2 workers, job runner, fake GIS ZhKKh and MAX over HTTP)"
SKIP_INSTALL=1 "$addon_dir/scripts/prefork_smoke.sh"
