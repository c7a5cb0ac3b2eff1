"""Import N appeals with a photo of 6 MB each from the fake GIS ZhKKh, against
the same import without files: time and peak memory.

Run through ``bench/run_bench.sh files [N]`` (fresh database, the fake GIS in
its own process, its photos virtual files of ``--photo-size`` bytes). Jobs run
inline, as one worker would run them one after the other: the import, then a
download job per ticket (HEAD, two Range parts of at most 5 MB, the file
streamed to a temporary file, then stored as the ticket's attachment).
"""

import argparse
import resource
import sys
import time

from bench_odoo import bench_backend, registry_of, superuser_env  # bench/
from fake_control import control  # bench/, beside this script


def rss_mb():
    # ru_maxrss is in kilobytes on Linux: the process's peak so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(env, fake, count, photos, seed):
    control(fake, "reset")
    control(fake, "generate", {"count": count, "seed": seed, "photos": photos})
    backend = bench_backend(env, fake, timeout=600, name=f"Bench {seed}")
    env.flush_all()
    start = time.perf_counter()
    backend.with_context(queue_job__no_delay=True)._job_import_appeals()
    env.flush_all()
    seconds = time.perf_counter() - start
    tickets = env["helpdesk.ticket"].search([("gis_backend_id", "=", backend.id)])
    files = env["gis.zhkh.file"].search([("ticket_id", "in", tickets.ids)])
    size = sum(files.attachment_id.mapped("file_size"))
    return seconds, len(tickets), len(files.filtered(lambda f: f.state == "done")), size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        rss_start = rss_mb()
        plain, tickets, _files, _size = run(env, args.fake, args.count, False, "plain")
        rss_plain = rss_mb()
        cr.rollback()
        env.invalidate_all()
        with_files, tickets_f, files, size = run(
            env, args.fake, args.count, True, "photos"
        )
        rss_files = rss_mb()
        cr.rollback()
    print(f"appeals imported without files  {tickets:6d}   {plain:8.2f} s")
    print(
        f"appeals imported with a photo   {tickets_f:6d}   {with_files:8.2f} s   "
        f"({files} photos downloaded, {size / 1048576:,.0f} MB)"
    )
    print(f"ratio of times (with / without) {with_files / plain:8.2f}")
    print(f"peak RSS at start               {rss_start:8.0f} MB")
    print(f"peak RSS after the import       {rss_plain:8.0f} MB")
    print(
        f"peak RSS after the one w/ files {rss_files:8.0f} MB   "
        f"(ratio {rss_files / rss_plain:.2f})"
    )
    return 0 if files == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
