#!/usr/bin/env bash
# Benchmarks, each in a fresh database (dropped afterwards):
#   bench/run_bench.sh [import] [N]   import N appeals from the fake GIS ZhKKh
#                                     against one helpdesk.ticket.create(vals_list)
#   bench/run_bench.sh sweep [N]      legal deadline sweep and recompute over N
#                                     tickets against OCA helpdesk_mgmt_sla
#   bench/run_bench.sh files [N]      import N appeals with a 6 MB photo each
#                                     (downloaded by their jobs) against the
#                                     same import without files: time, peak RSS
#   bench/run_bench.sh operations [N] N answers sent to the fake GIS ZhKKh,
#                                     without faults and with 30 % of its
#                                     calls failing; exactly-once counted
#   bench/run_bench.sh cockpit [N]    the cockpit's figures over N open tickets
#                                     (3N milestones) against one read_group,
#                                     a month's journal (10,000) to XLSX,
#                                     and the metrics endpoint's text over
#                                     them (with 2N jobs, N MAX updates)
#   bench/run_bench.sh max [N]        MAX webhook: latency at 200 requests/s
#                                     against trivial routes (and OCA
#                                     mail_gateway_telegram with
#                                     BENCH_TELEGRAM=1), N updates delivered
#                                     twice, N fuzzed deliveries; then 1,000
#                                     staff replies (BENCH_REPLIES) sent with
#                                     and without a bad day (30 % of MAX's
#                                     answers 429/5xx, a worker killed -9):
#                                     deliveries per reply, time to drain;
#                                     the latency again under Odoo's prefork
#                                     server (2 workers, BENCH_PREFORK_RATE
#                                     requests/s, 50 by default), and a storm
#                                     of BENCH_STORM updates (3,600) POSTed as
#                                     fast as it takes them: messages/s
#                                     drained by its job runner, counted
#                                     (BENCH_STORM_CHANNELS: the job runner's
#                                     channels, the guide's split by default)
#                                     BENCH_PARTS picks parts, e.g. replies
#   bench/run_bench.sh interruptions [N]
#                                     monthly figures of communal service
#                                     interruptions, N buildings x 6
#                                     services x 30 each, against one
#                                     read_group of the same rows
# (bench/bench_calculator.py needs no database.)
set -euo pipefail
addon_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$addon_dir/scripts/lib.sh"
kind=import
case "${1:-}" in import|files|sweep|operations|max|cockpit|interruptions) kind=$1; shift ;; esac
case $kind in sweep|cockpit) default=100000 ;; operations) default=1000 ;; files) default=200 ;; interruptions) default=2000 ;; *) default=10000 ;; esac
count=${1:-$default}
odoo_importable || { echo "The benchmark needs Odoo 19 importable by $python." >&2; exit 2; }
ensure_oca_dependencies
ensure_pg_role

work=$(mktemp -d)
# BENCH_DB_PREFIX: a prefix of the caller's own (several benches, one server).
db="${BENCH_DB_PREFIX:-hgzm_bench}_$(date +%s)_$$"
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

copy_addon "$addon_dir" "$work/addons"
write_odoo_conf "$work/odoo.conf" "$db" "$(odoo_addons_path "$work/addons")" "$work/data"
modules=helpdesk_gis_zhkh_max
if [ "$kind" = sweep ]; then
    "$python" -m pip install --quiet --disable-pip-version-check odoo-addon-helpdesk-mgmt-sla
    modules=$modules,helpdesk_mgmt_sla
fi
if [ "$kind" = max ] && [ "${BENCH_TELEGRAM:-0}" = 1 ]; then
    # OCA's Telegram gateway, for comparison: its webhook works synchronously.
    if "$python" -m pip install --quiet --disable-pip-version-check odoo-addon-mail-gateway-telegram; then
        modules=$modules,mail_gateway_telegram
    else
        echo "mail_gateway_telegram could not be installed: not measured" >&2
    fi
fi
"$python" -m odoo -c "$work/odoo.conf" -i "$modules" --stop-after-init --log-level=warn
if [ "$kind" = sweep ]; then
    "$python" "$addon_dir/bench/bench_sweep.py" -c "$work/odoo.conf" --count "$count"
    exit $?
fi
if [ "$kind" = cockpit ]; then
    "$python" "$addon_dir/bench/bench_cockpit.py" -c "$work/odoo.conf" --count "$count"
    exit $?
fi
if [ "$kind" = interruptions ]; then
    "$python" "$addon_dir/bench/bench_interruptions.py" -c "$work/odoo.conf" --count "$count"
    exit $?
fi

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$kind" = max ]; then
    (exec "$python" "$addon_dir/tests/fakes/serve.py" max --port "$port" --token bench-max-token) &
    fake_pid=$!
    "$python" "$addon_dir/bench/bench_max.py" -c "$work/odoo.conf" --fake "http://127.0.0.1:$port" --count "$count" --replies "${BENCH_REPLIES:-1000}" \
        --prefork-rate "${BENCH_PREFORK_RATE:-50}" --storm "${BENCH_STORM:-3600}" \
        --storm-channels "${BENCH_STORM_CHANNELS:-root:2,root.max:1,root.max_send:1}" \
        --parts "${BENCH_PARTS:-latency,prefork,duplicates,fuzz,replies,storm}"
    exit $?
fi
# The fake runs in its own process: its memory and CPU are not the import's.
photo_args=()
[ "$kind" = files ] && photo_args=(--photo-size "${BENCH_PHOTO_BYTES:-6291456}")
(exec "$python" "$addon_dir/tests/fakes/serve.py" gis --port "$port" --processing-polls 0 "${photo_args[@]}") &
fake_pid=$!
"$python" "$addon_dir/bench/bench_$kind.py" -c "$work/odoo.conf" --fake "http://127.0.0.1:$port" --count "$count"
