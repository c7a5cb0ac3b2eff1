"""The monthly figures of communal service interruptions (ПП 354 Annex 1)
for N buildings x 6 services x 30 interruptions each, against one
``read_group`` over the same rows.

Run through ``bench/run_bench.sh interruptions [N]`` (fresh database, N =
2,000 buildings by default: 360,000 interruptions, dropped afterwards). The
interruptions are inserted with SQL over a year, in buildings from
Kaliningrad to Kamchatka, and committed (what is measured is computing
them). Prints, from one run:

- the floor: one ``read_group`` of the interruptions by building, service
  and month (median of 5);
- the first computation of every figure (limits, clocks, hours per month of
  the building's zone, hours over the limits counted once, the reduction),
  which writes every interruption's clock and every month line;
- the same again with nothing changed (median of 3): read, computed,
  compared, nothing written — what a changed limit or rounding costs;
- one building's service recomputed, as an edit of an interruption does;
- the cron with nothing running (its queries over every interruption).
"""

import argparse
import datetime
import random
import statistics
import time

from bench_odoo import registry_of, superuser_env  # bench/, beside this script
from psycopg2.extras import execute_values

SERVICES = ("cold_water", "hot_water", "sewage", "electricity", "gas", "heating")
ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Asia/Kamchatka",
)
PER_GROUP = 30


def insert_interruptions(env, houses, year):
    """30 interruptions per building and service over ``year``, mostly
    within the limits, some over, a few crossing a month end."""
    rng = random.Random(16)
    start_of_year = datetime.datetime(year, 1, 1)
    rows = []
    company = env.company.id
    for house in houses.ids:
        for service in SERVICES:
            # Spread over the year, one after the other: no overlap.
            moment = start_of_year + datetime.timedelta(hours=rng.randint(0, 200))
            for _n in range(PER_GROUP):
                # Mostly short, now and then long enough to pass a limit.
                hours = rng.choice((0.5, 1, 1.5, 2, 2.5, 3, 3.5, 5, 7, 10))
                length = datetime.timedelta(minutes=round(hours * 60))
                kind = "planned" if rng.random() < 0.4 else "accident"
                temperature = (
                    rng.choice((20.0, 13.0, 11.0, 9.0))
                    if (service == "heating")
                    else 0.0
                )
                rows.append(
                    (
                        house,
                        company,
                        service,
                        kind,
                        moment,
                        moment + length,
                        temperature,
                    )
                )
                moment += length + datetime.timedelta(hours=rng.randint(24, 400))
    execute_values(
        env.cr._obj,
        """
        INSERT INTO helpdesk_service_interruption
               (house_id, company_id, service, kind, date_start, date_end,
                indoor_temperature, dead_end_main, create_uid, create_date,
                write_uid, write_date)
        SELECT v.*, FALSE, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM (VALUES %s) AS v
        """,
        rows,
        template="(%s::int, %s::int, %s, %s, %s::timestamp, %s::timestamp, %s::float)",
        page_size=10000,
    )
    return len(rows)


def spy_writes(env):
    """Time spent writing (the clocks, the month lines), apart from the
    rest: ``[seconds]``, reset by the caller."""
    spent = [0.0]
    interruption = type(env["helpdesk.service.interruption"])
    month = type(env["helpdesk.service.interruption.month"])
    for model, name in ((interruption, "_write_figures"), (month, "_store")):
        original = getattr(model, name)

        def spy(self, *args, original=original):
            start = time.perf_counter()
            result = original(self, *args)
            spent[0] += time.perf_counter() - start
            return result

        setattr(model, name, spy)
    return spent


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def median_time(func, runs):
    return statistics.median(timed(func) for _run in range(runs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--count", type=int, default=2000, help="buildings")
    args = parser.parse_args()
    registry = registry_of(args.config)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        houses = env["gis.zhkh.house"].create(
            [
                {
                    "name": f"Bench house {n}",
                    "tz": ZONES[n % len(ZONES)],
                    "power_sources": "1" if n % 3 else "2",
                }
                for n in range(args.count)
            ]
        )
        year = datetime.date.today().year - 1
        count = insert_interruptions(env, houses, year)
        # Committed, as interruptions entered before are (PostgreSQL checks
        # every foreign key again on rows its own transaction inserted); the
        # database is dropped afterwards.
        cr.commit()
        env.cr.execute("ANALYZE helpdesk_service_interruption")
        env.invalidate_all()
        print(
            f"{count} interruptions: {len(houses)} buildings x {len(SERVICES)} "
            f"services x {PER_GROUP}, over {year}",
            flush=True,
        )
        Interruption = env["helpdesk.service.interruption"]
        floor = median_time(
            lambda: Interruption._read_group(
                [], ["house_id", "service", "date_start:month"], ["__count"]
            ),
            5,
        )
        writes = spy_writes(env)
        first = timed(lambda: Interruption._recompute_groups(None))
        first_writes, writes[0] = writes[0], 0.0
        env.cr.execute(
            "SELECT count(*), sum(hours_over_limit), sum(hours_total) "
            "FROM helpdesk_service_interruption_month"
        )
        lines, over, total = env.cr.fetchone()
        again = median_time(lambda: Interruption._recompute_groups(None), 3)
        one = median_time(
            lambda: Interruption._recompute_groups({(houses[0].id, "heating")}), 5
        )
        print(
            f"read_group by building, service and month: {floor * 1000:.0f} ms",
            flush=True,
        )
        print(
            f"monthly figures, first computation (every clock and month line "
            f"written): {first:.1f} s, ratio {first / floor:.1f}, of which "
            f"{first_writes:.1f} s writing {count} clocks and {lines} month "
            f"lines; {total:.0f} hours, {over:.0f} over the limits",
            flush=True,
        )
        print(
            f"monthly figures again, nothing changed (a limit or the rounding "
            f"edited back): {again:.1f} s, ratio {again / floor:.1f}",
            flush=True,
        )
        print(
            f"one building's service (an interruption edited): {one * 1000:.1f} ms",
            flush=True,
        )
        sweep = median_time(Interruption._cron_sweep, 3)
        print(f"the cron, nothing running: {sweep * 1000:.0f} ms", flush=True)
        cr.rollback()


if __name__ == "__main__":
    main()
