"""Send N answers to the fake GIS ZhKKh, without faults and with 30 % of its
calls failing transiently; count what the fake applied.

Run through ``bench/run_bench.sh operations [N]`` (fresh database, fake GIS in
its own process). Prints, from one run:

- for each pass (no faults, then 30 % transient faults: HTTP 503, GIS internal
  errors, dropped connections, replies lost after GIS processed the request):
  the time from queueing N answers to every one accepted, the jobs run and
  retried, and what the fake counted;
- whether every answer was applied exactly once on the fake's side;
- the ratio of the two times.

Jobs run as a single-worker channel runs them: one after the other, each in
its own savepoint that a failure rolls back, a retryable failure put back in
the queue (without waiting for its back-off: the fake answers at once).
"""

import argparse
import collections
import sys
import time

from bench_odoo import (  # bench/, beside this script
    bench_backend,
    registry_of,
    superuser_env,
)
from fake_control import control, state  # bench/, beside this script

ANSWERER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def run_queue(env, cr):
    """Perform every pending job; return (performed, retried)."""
    # Addons import once the configuration has set the addons path.
    from odoo.addons.queue_job.exception import RetryableJobError
    from odoo.addons.queue_job.job import Job

    performed = retried = 0
    while True:
        records = env["queue.job"].search([("state", "=", "pending")], order="id")
        if not records:
            return performed, retried
        for record in records:
            job = Job.load(env, record.uuid)
            savepoint = cr.savepoint(flush=True)
            try:
                job.set_started()
                job.perform()
                job.set_done()
                savepoint.close(rollback=False)
            except RetryableJobError as error:
                savepoint.close(rollback=True)
                env.invalidate_all()
                job = Job.load(env, record.uuid)
                retried += 1
                if not error.ignore_retry:
                    job.retry += 1
                if job.max_retries and job.retry >= job.max_retries:
                    job.set_failed(exc_info=str(error))
                else:
                    job.set_pending(reset_retry=False)
            job.store()
            performed += 1
        env.flush_all()


def answer_all(env, cr, tickets, text):
    start = time.perf_counter()
    for ticket in tickets:
        ticket._gis_queue_operation("answer", {"text": f"{text} {ticket.number}"})
    env.flush_all()
    performed = retried = resumed = 0
    operations = tickets.gis_operation_ids.filtered(lambda op: text in op.text)
    while True:
        done, again = run_queue(env, cr)
        performed, retried = performed + done, retried + again
        waiting = operations.filtered(lambda op: op.state in ("queued", "sent"))
        if not waiting:
            break
        # Jobs out of retries: the hourly cron queues their operations again.
        resumed += env["gis.zhkh.operation"]._cron_resume()
        env.flush_all()
    seconds = time.perf_counter() - start
    states = collections.Counter(operations.mapped("state"))
    return seconds, performed, retried, resumed, states


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.3)
    args = parser.parse_args()
    control(args.fake, "generate", {"count": 2 * args.count, "seed": "answers"})
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        backend = bench_backend(
            env,
            args.fake,
            timeout=60,
            default_answerer_guid=ANSWERER,
            initial_days=1,
        )
        backend.with_context(queue_job__no_delay=True)._job_import_appeals()
        env.flush_all()
        tickets = env["helpdesk.ticket"].search(
            [("gis_backend_id", "=", backend.id)], order="id"
        )
        assert len(tickets) == 2 * args.count, len(tickets)
        calm, stormy = tickets[: args.count], tickets[args.count :]

        results = {}
        for name, group, rate in (
            ("no faults", calm, 0.0),
            ("30% faults", stormy, args.rate),
        ):
            control(args.fake, "chaos", {"rate": rate, "seed": 26})
            before = state(args.fake)
            results[name] = answer_all(env, cr, group, f"Ответ ({name})")
            after = state(args.fake)
            applied = after["applied"][len(before["applied"]) :]
            per_appeal = collections.Counter(guid for _kind, guid, _t in applied)
            results[name] += (
                after["calls"] - before["calls"],
                len(per_appeal),
                sum(1 for n in per_appeal.values() if n > 1),
            )
        cr.rollback()

    ok = True
    for name, (
        seconds,
        performed,
        retried,
        resumed,
        states,
        calls,
        appeals,
        twice,
    ) in results.items():
        exact = (
            appeals == args.count and twice == 0 and states == {"accepted": args.count}
        )
        ok = ok and exact
        rate = args.count / seconds
        print(f"{name:12} {args.count} answers in {seconds:7.2f} s ({rate:.0f}/s)")
        print(f"{'':12} jobs run {performed}, retried {retried}, cron {resumed}")
        print(f"{'':12} fake: {calls} calls, {appeals} appeals answered, {twice} twice")
        print(f"{'':12} operations: {dict(states)}; exactly once: {exact}")
    ratio = results["30% faults"][0] / results["no faults"][0]
    print(f"ratio 30% faults / no faults  {ratio:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
