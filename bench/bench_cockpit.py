"""The dispatcher's cockpit over N open tickets with 3N milestones, and the
requests journal of one month exported to XLSX.

Run through ``bench/run_bench.sh cockpit [N]`` (fresh database). Tickets and
milestones are inserted with SQL (what is measured is reading them). Prints,
from one run:

- cockpit: ``helpdesk.deadline.cockpit.cockpit_data()`` (every figure: by
  bucket, source, team, building, category), median of 5, as the superuser
  and as a dispatcher restricted to their team (record rules on), against one
  ``read_group`` of the same open tickets by team (target: at most 3x);
- journal: 10,000 requests of one month exported to XLSX through the report
  action: time and peak memory (targets: under 30 s, under 500 MB);
- metrics: ``helpdesk.metrics.metrics_text()`` (what the monitoring endpoint
  answers) as the monitoring user over the same tickets, with 2N finished
  jobs and N processed MAX updates beside them, median of 5, against the
  same ``read_group`` (target: at most 3x).
"""

import argparse
import datetime
import random
import resource
import statistics
import time
import tracemalloc

from bench_odoo import registry_of, superuser_env  # bench/, beside this script
from bench_sweep import insert_tickets  # bench/, beside this script
from psycopg2.extras import execute_values

import odoo

STATES = ("running", "running", "at_risk", "breached", "met")
KINDS = ("localisation", "elimination", "answer")


def insert_milestones(env, tickets, houses, categories, channel_max):
    """Three milestones per ticket, in every state, due around now; the
    tickets spread over buildings, categories and sources."""
    rng = random.Random(5)
    now = odoo.fields.Datetime.now()
    rows = []
    for ticket_id in tickets.ids:
        for kind in KINDS:
            state = rng.choice(STATES)
            deadline = now + datetime.timedelta(minutes=rng.randint(-3000, 3000))
            rows.append((ticket_id, kind, kind, deadline, state, env.company.id))
    execute_values(
        env.cr._obj,
        """
        INSERT INTO helpdesk_ticket_deadline (ticket_id, name, kind, deadline,
               state, company_id)
        VALUES %s
        """,
        rows,
        page_size=10000,
    )
    house_ids, category_ids = houses.ids, categories.ids
    env.cr.execute(
        """
        UPDATE helpdesk_ticket
           SET gis_house_id = (%s::int[])[1 + id %% %s],
               category_id = (%s::int[])[1 + id %% %s],
               channel_id = CASE WHEN id %% 4 = 0 THEN %s END,
               gis_appeal_guid = CASE WHEN id %% 4 = 1 THEN 'bench-' || id END
         WHERE id = ANY(%s)
        """,
        [
            house_ids,
            len(house_ids),
            category_ids,
            len(category_ids),
            channel_max.id,
            tickets.ids,
        ],
    )
    # Milestones copy the ticket's team (as the sync does); tickets carry
    # their badge and next deadline (as the sync and the sweep keep them).
    env.cr.execute(
        """
        UPDATE helpdesk_ticket_deadline d SET team_id = t.team_id
          FROM helpdesk_ticket t WHERE t.id = d.ticket_id
        """
    )
    tickets._refresh_ticket_summary()


def median_time(func, runs=5):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--journal", type=int, default=10_000)
    args = parser.parse_args()
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        stage = env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        teams = env["helpdesk.ticket.team"].create(
            [{"name": f"Bench team {n}"} for n in range(8)]
        )
        houses = env["gis.zhkh.house"].create(
            [{"name": f"Bench house {n}"} for n in range(300)]
        )
        categories = env["helpdesk.ticket.category"].search([])
        tickets = env["helpdesk.ticket"]
        per_team = args.count // len(teams)
        for team in teams:
            tickets |= insert_tickets(env, per_team, team, categories[0], stage)
        env.cr.execute(
            "UPDATE helpdesk_ticket SET number = 'B' || id WHERE id = ANY(%s)",
            [tickets.ids],
        )
        insert_milestones(
            env,
            tickets,
            houses,
            categories,
            env.ref("helpdesk_gis_zhkh_max.channel_max"),
        )
        env.cr.execute("ANALYZE helpdesk_ticket")
        env.cr.execute("ANALYZE helpdesk_ticket_deadline")
        env.invalidate_all()
        milestones = env["helpdesk.ticket.deadline"].search_count([])
        print(f"{len(tickets)} open tickets, {milestones} milestones", flush=True)

        cockpit = env["helpdesk.deadline.cockpit"]
        floor = median_time(
            lambda: env["helpdesk.ticket"]._read_group(
                [("stage_id.closed", "=", False)], ["team_id"], ["__count"]
            )
        )
        figures = median_time(cockpit.cockpit_data)
        dispatcher = env["res.users"].create(
            {
                "name": "Bench dispatcher",
                "login": "bench_dispatcher",
                "group_ids": [
                    (6, 0, [env.ref("helpdesk_mgmt.group_helpdesk_user_team").id])
                ],
            }
        )
        teams[0].user_ids = [(4, dispatcher.id)]
        restricted = median_time(cockpit.with_user(dispatcher).cockpit_data)
        restricted_floor = median_time(
            lambda: (
                env["helpdesk.ticket"]
                .with_user(dispatcher)
                ._read_group(
                    [("stage_id.closed", "=", False)], ["team_id"], ["__count"]
                )
            )
        )
        data = cockpit.cockpit_data()
        print(
            f"cockpit: read_group of the open tickets {floor * 1000:.0f} ms; every "
            f"figure {figures * 1000:.0f} ms; ratio {figures / floor:.2f} "
            f"(breached {data['totals']['breached']['all']}, due in 2 h "
            f"{data['totals']['due_2h']['all']})",
            flush=True,
        )
        print(
            f"cockpit for a team dispatcher (record rules): read_group "
            f"{restricted_floor * 1000:.0f} ms; figures {restricted * 1000:.0f} ms; "
            f"ratio {restricted / restricted_floor:.2f}",
            flush=True,
        )

        metrics_ratio(env, args.count, floor)

        # One month of the journal: the first N tickets, received last month.
        # Two months ago: the other tickets were created in the last 3 days.
        month_start = (
            odoo.fields.Date.today().replace(day=1) - datetime.timedelta(days=40)
        ).replace(day=1)
        env.cr.execute(
            """
            UPDATE helpdesk_ticket
               SET create_date = %s + (id %% 28) * interval '1 day'
                                    + interval '10 hours',
                   description = '<p>Течёт кран на кухне, прошу сантехника.</p>'
             WHERE id = ANY(%s)
            """,
            [month_start, tickets.ids[: args.journal]],
        )
        env.invalidate_all()
        journal = env["helpdesk.request.journal"].create(
            {
                "date_from": month_start,
                "date_to": month_start + datetime.timedelta(days=27),
            }
        )
        count = journal.ticket_count
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        start = time.perf_counter()
        content, _kind = env["ir.actions.report"]._render(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx", journal.ids
        )
        seconds = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"journal: {count} requests to XLSX ({len(content) / 1e6:.1f} MB) in "
            f"{seconds:.1f} s; Python allocations peak {peak / 1e6:.0f} MB; process "
            f"peak RSS {rss_after:.0f} MB (was {rss_before:.0f} MB before the export)",
            flush=True,
        )
        cr.rollback()


def metrics_ratio(env, count, floor):
    """The monitoring endpoint's text over the tickets, jobs and updates a
    busy year leaves (finished ones: the queries skip them by state)."""
    gateway = env["mail.gateway"].create(
        {"name": "Bench bot", "gateway_type": "max", "token": "bench-token_0123456"}
    )
    env["gis.zhkh.backend"].create(
        {
            "name": "Bench GIS",
            # Never called: the figures only read its health.
            "endpoint_url": "http://gis.invalid",
            "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        }
    )
    env.cr.execute(
        """
        INSERT INTO queue_job (uuid, state, channel, date_created)
        SELECT gen_random_uuid()::text,
               CASE WHEN n %% 1000 = 0 THEN 'failed' ELSE 'done' END,
               CASE WHEN n %% 2 = 0 THEN 'root.gis_zhkh' ELSE 'root.max' END,
               now() at time zone 'UTC' - n * interval '1 minute'
          FROM generate_series(1, %s) n
        """,
        [2 * count],
    )
    env.cr.execute(
        """
        INSERT INTO max_update (gateway_id, company_id, dedup_key, update_type,
               chat_key, state, payload, create_date)
        SELECT %s, %s, 'bench:' || n, 'message_created', 'u' || (n %% 5000),
               CASE WHEN n %% 500 = 0 THEN 'failed' ELSE 'done' END, '{}',
               now() at time zone 'UTC' - n * interval '1 minute'
          FROM generate_series(1, %s) n
        """,
        [gateway.id, gateway.company_id.id, count],
    )
    env.cr.execute("ANALYZE queue_job")
    env.cr.execute("ANALYZE max_update")
    env.invalidate_all()
    user = env.ref("helpdesk_gis_zhkh_max.user_metrics")
    metrics = env(user=user.id)["helpdesk.metrics"]
    seconds = median_time(metrics.metrics_text)
    lines = metrics.metrics_text().count("\n")
    print(
        f"metrics: {lines} lines over {count} open tickets, {2 * count} jobs and "
        f"{count} MAX updates in {seconds * 1000:.0f} ms; ratio to the read_group "
        f"{seconds / floor:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
