"""Import N appeals from the fake GIS ZhKKh; compare with the ticket-creation floor.

Run through ``bench/run_bench.sh`` (fresh database, fake GIS in its own process).
Prints, from one run:

- import: the whole pipeline as the job runner runs it (exportAppeal, getState
  of N appeals over HTTP, parsing, partner/house/theme resolution, upsert);
- floor: ``helpdesk.ticket.create(vals_list)`` of the very same ticket values,
  with their contacts already created: one bare create, as any caller would
  make it (helpdesk_mgmt's number and stage, Odoo's followers and creation
  post, ticket by ticket);
- the ratio import / floor (target at most 1.0: the import does its mail
  work once per batch, see ``gis.appeal.import._create_tickets``), a
  re-import of the same appeals
  (all unchanged), and the peak resident memory of the Odoo process (target
  under 500 MB).
"""

import argparse
import resource
import sys
import time

from bench_odoo import (  # bench/, beside this script
    bench_backend,
    registry_of,
    superuser_env,
)
from fake_control import control  # bench/, beside this script

TARGET = 1.0


def rss_mb():
    # ru_maxrss is in kilobytes on Linux: the process's peak so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_jobs(env, backend):
    """What the job runner does for one import: plan, send, fetch. Jobs run
    inline, one after the other, as a single-worker channel would."""
    backend.with_context(queue_job__no_delay=True)._job_import_appeals()
    env.flush_all()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--count", type=int, default=10000)
    args = parser.parse_args()
    # Distinct residents: about three appeals per resident, as in real houses.
    control(
        args.fake,
        "generate",
        {"count": args.count, "seed": "bench", "residents": max(1, args.count // 3)},
    )
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        backend = bench_backend(
            env,
            args.fake,
            timeout=600,
        )
        env.flush_all()
        rss_before = rss_mb()

        savepoint = cr.savepoint(flush=True)
        start = time.perf_counter()
        run_jobs(env, backend)
        import_seconds = time.perf_counter() - start
        rss_import = rss_mb()
        tickets = env["helpdesk.ticket"].search_count(
            [("gis_backend_id", "=", backend.id)]
        )
        first_run = env["gis.zhkh.message"].search([("backend_id", "=", backend.id)])
        start = time.perf_counter()
        run_jobs(env, backend)
        reimport_seconds = time.perf_counter() - start
        second_run = env["gis.zhkh.message"].search(
            [("backend_id", "=", backend.id), ("id", "not in", first_run.ids)]
        )
        unchanged = sum(second_run.mapped("unchanged_count"))
        changed = sum(second_run.mapped("created_count")) + sum(
            second_run.mapped("updated_count")
        )

        # The floor: the same ticket values, contacts already there.
        client = backend._get_client()
        _guid, ack = client.export_appeals(
            appeal_guids=[], start_date=backend._import_window()[0]
        )
        appeals = client.wait_for_result(ack.message_guid, delays=(0.2,) * 50).appeals
        savepoint.rollback()
        savepoint.close()
        env.invalidate_all()
        model = env["helpdesk.ticket"].with_context(mail_create_nosubscribe=True)
        importer = env["gis.appeal.import"]
        refs = importer._resolve_refs(backend, appeals, appeals)
        vals_list = [importer._new_ticket_values(backend, a, refs) for a in appeals]
        env.flush_all()
        start = time.perf_counter()
        model.create(vals_list)
        env.flush_all()
        floor_seconds = time.perf_counter() - start
        cr.rollback()

    ratio = import_seconds / floor_seconds
    print(f"appeals imported            {tickets}")
    import_rate = tickets / import_seconds
    floor_rate = len(vals_list) / floor_seconds
    print(
        f"import (jobs, HTTP, parse)  {import_seconds:8.2f} s  ({import_rate:,.0f}/s)"
    )
    print(f"floor create(vals_list)     {floor_seconds:8.2f} s  ({floor_rate:,.0f}/s)")
    print(f"ratio import / floor        {ratio:8.2f}   (target <= {TARGET})")
    print(
        f"re-import of the same       {reimport_seconds:8.2f} s  "
        f"({unchanged} appeal copies unchanged, {changed} changed)"
    )
    print(f"peak RSS before import      {rss_before:8.0f} MB")
    print(f"peak RSS after import       {rss_import:8.0f} MB   (target < 500)")
    return 0 if ratio <= TARGET and rss_import < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
