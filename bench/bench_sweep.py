"""Legal deadline sweep over N open tickets with 4 milestones each, and the
recomputation of the same tickets by OCA ``helpdesk_mgmt_sla``.

Run through ``bench/run_bench.sh sweep [N]`` (fresh database with both
modules). Tickets are inserted with SQL (creating 100,000 tickets through the
ORM alone takes ten minutes and is not what is measured). Prints, from one run:

- sweep: one run of the cron as it is scheduled: set-based state refresh of
  the 4N milestones, then one bounded batch of warnings and escalations
  (target under 5 s);
- recompute: ``helpdesk.ticket.deadline._sync_tickets`` of the N tickets, in
  batches of 2,000, none with milestones yet (4 rules' milestones each: 4N
  computed and stored; per batch, the tickets' facts read in one query, the
  new rows loaded in one COPY, the tickets' figures in one UPDATE);
- recompute again: the same with the milestones stored, nothing to change
  (the rows compared as read): what the resync after a rule change does;
- helpdesk_mgmt_sla: the same N tickets with 3 SLAs each (their rows inserted
  beforehand), deadlines and states computed by its own methods
  (``_compute_sla_data``, ``_compute_deadline``: ``plan_hours`` on the team's
  calendar) and stored, in batches of 6,000. Like for like as far as they
  go: each side computes every deadline and state of the tickets and writes
  them; ours matches rules and counts in the building's zone and production
  calendar, and writes a third more rows;
- the ratios (target: helpdesk_mgmt_sla / recompute at least 10).
"""

import argparse
import datetime
import random
import sys
import time

from bench_odoo import registry_of, superuser_env  # bench/, beside this script
from psycopg2.extras import execute_values

import odoo

TARGET = 10


def insert_tickets(env, count, team, category, stage):
    """Plain rows: what a year of a big organisation leaves open."""
    rng = random.Random(3)
    cr = env.cr
    now = odoo.fields.Datetime.now()
    minute = datetime.timedelta(minutes=1)
    rows = []
    for index in range(count):
        # Created over the last 3 days: some deadlines already passed.
        created = now - minute * rng.randint(0, 3 * 24 * 60)
        rows.append(
            (
                f"BENCH{index:07d}",
                f"Bench ticket {index}",
                "<p>bench</p>",
                env.company.id,
                team.id,
                category.id,
                stage.id,
                "1",
                True,
                created,
                created,
                created,
            )
        )
    ids = [
        row[0]
        for row in execute_values(
            cr._obj,
            """
            INSERT INTO helpdesk_ticket (number, name, description, company_id,
                   team_id, category_id, stage_id, priority, active, create_date,
                   write_date, last_stage_update)
            VALUES %s RETURNING id
            """,
            rows,
            page_size=5000,
            fetch=True,
        )
    ]
    return env["helpdesk.ticket"].browse(ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        category = env.ref("helpdesk_gis_zhkh_max.category_emergency")
        stage = env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        team = env["helpdesk.ticket.team"].create(
            {
                "name": "Bench team",
                "use_sla": True,
                "user_id": env.ref("base.user_admin").id,
            }
        )
        # Three SLAs, as the three milestones of an accident ticket.
        slas = env["helpdesk.sla"].create(
            [
                {
                    "name": name,
                    "team_ids": [(6, 0, team.ids)],
                    "hours": hours,
                    "days": days,
                    "stage_id": env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
                }
                for name, hours, days in (
                    ("Localise", 1, 0),
                    ("Eliminate", 0, 3),
                    ("Answer", 0, 10),
                )
            ]
        )
        tickets = insert_tickets(env, args.count, team, category, stage)
        env.invalidate_all()

        start = time.perf_counter()
        for offset in range(0, len(tickets), 2000):
            batch = tickets[offset : offset + 2000]
            env["helpdesk.ticket.deadline"]._sync_tickets(batch)
            env.invalidate_all()
        env.flush_all()
        sync_seconds = time.perf_counter() - start
        milestones = env["helpdesk.ticket.deadline"].search_count([])
        # Again, the milestones stored: what a rule change's resync does.
        start = time.perf_counter()
        for offset in range(0, len(tickets), 2000):
            batch = tickets[offset : offset + 2000]
            env["helpdesk.ticket.deadline"]._sync_tickets(batch)
            env.invalidate_all()
        env.flush_all()
        resync_seconds = time.perf_counter() - start

        deadline_model = env["helpdesk.ticket.deadline"]
        # A day later, never swept meanwhile: the set-based refresh of the
        # backlog, then one scheduled run of the cron (one notification batch).
        later = odoo.fields.Datetime.now() + datetime.timedelta(days=1)
        start = time.perf_counter()
        changed = deadline_model._refresh_states(later)
        refresh_seconds = time.perf_counter() - start
        start = time.perf_counter()
        breached, warned = deadline_model._cron_sweep(now=later)
        env.flush_all()
        sweep_seconds = time.perf_counter() - start
        cr.commit()

        # helpdesk_mgmt_sla on the very same tickets.
        execute_values(
            cr._obj,
            "INSERT INTO helpdesk_ticket_sla (ticket_id, sla_id, consumed_time) "
            "VALUES %s",
            [(ticket_id, sla.id, 0) for ticket_id in tickets.ids for sla in slas],
            page_size=10000,
        )
        env.invalidate_all()
        ticket_slas = env["helpdesk.ticket.sla"].search([])
        start = time.perf_counter()
        for offset in range(0, len(ticket_slas), 6000):
            batch = ticket_slas[offset : offset + 6000]
            batch._compute_sla_data()
            batch._compute_deadline()
            env.flush_all()
            env.invalidate_all()
        sla_seconds = time.perf_counter() - start
        cr.rollback()

    total = refresh_seconds + sweep_seconds
    print(f"tickets                        {args.count:,}, {milestones:,} milestones")
    print(
        f"state refresh (set-based)      {refresh_seconds:8.2f} s  "
        f"({changed[0]:,} breached, {changed[1]:,} at risk)"
    )
    print(
        f"one cron run (batch)           {sweep_seconds:8.2f} s  "
        f"({breached} escalations, {warned} warnings)"
    )
    print(f"sweep = refresh + run          {total:8.2f} s  (target < 5)")
    print(f"recompute (_sync_tickets)      {sync_seconds:8.2f} s")
    print(f"recompute again, rows stored   {resync_seconds:8.2f} s")
    slas = len(ticket_slas)
    print(f"helpdesk_mgmt_sla recompute    {sla_seconds:8.2f} s  ({slas:,} SLAs)")
    print(f"ratio helpdesk_mgmt_sla/sweep  {sla_seconds / total:8.1f}")
    ratio = sla_seconds / sync_seconds
    print(
        f"ratio helpdesk_mgmt_sla/ours   {ratio:8.1f}  (recompute, target >= {TARGET})"
    )
    return 0 if total < 5 and ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
