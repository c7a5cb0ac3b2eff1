"""Deadline calculator against a naive day-by-day loop over ``holidays.RU``.

Plain Python, no Odoo: ``python3 bench/bench_calculator.py [N]`` (N periods,
default 100,000). Both compute the same N day periods of the statutory rules
(starts over 2025-2027, zones from Kaliningrad to Kamchatka); the results
must be equal.

- naive: what one writes without a calendar (``naive`` below): build
  ``holidays.RU`` for 2024-2028, then for each period step one day at a time
  asking ``is_working_day``, as many steps as the period has days (and more
  over holidays);
- calculator, cold: a new ``ProductionCalendar`` (so no table, midnight or
  date list cached from an earlier timing: its construction from
  ``holidays.RU``, the prefix sums, each (period, zone) table built on first
  use are all timed), the periods grouped by rule and zone as Odoo's sweep
  passes them (one query per rule), one table lookup each.

Each timing is the best of three in this run (garbage collector off, as
``timeit`` does), the cold ones each with a new calendar. Target: naive /
cold >= 100 at N = 100,000. The calendar's construction is a fixed cost of
about 2 ms: at a small N (2,000) it dominates both sides and the ratio says
little; the figures with the calendar cached and one call per period are
printed for comparison.
"""

import datetime
import gc
import random
import sys
import time
from zoneinfo import ZoneInfo

import holidays
import plain_tools  # noqa: F401  bench/, beside this script: loads hgzm.tools
from hgzm.tools.deadlines import (
    compute_deadline,
    compute_deadlines,
    end_of_day,
)
from hgzm.tools.production_calendar import ProductionCalendar

ZONES = [ZoneInfo(z) for z in ("Europe/Kaliningrad", "Europe/Moscow", "Asia/Kamchatka")]
# The day periods of the statutory rules
# (../shared/reference/law/statutory-timeframes.md).
PERIODS = [
    (1, "working_days"),  # C1 information about the organisation
    (10, "working_days"),  # C2 request in general
    (5, "working_days"),  # C3, D7, E1
    (3, "working_days"),  # D3 reasoned answer to a claim
    (15, "working_days"),  # D6 meter commissioning, latest date
    (10, "calendar_days"),  # D5, E2
    (1, "calendar_days"),  # D2, roof leak, broken glass in winter
    (3, "calendar_days"),  # broken glass in summer
    (5, "calendar_days"),  # gutters, loose plaster
]


TARGET = 100
REPEAT = 3


def best_of(work):
    """The result and the shortest time of ``REPEAT`` calls, the garbage
    collector off while timing (as ``timeit`` does): a collection the naive
    loop's objects trigger is not the calculator's cost, nor the reverse."""
    times = []
    for _i in range(REPEAT):
        gc.collect()
        gc.disable()
        try:
            began = time.perf_counter()
            result = work()
            times.append(time.perf_counter() - began)
        finally:
            gc.enable()
    return result, min(times)


def naive(ru, day, amount, unit, tz):
    """What one writes without a calendar: step day by day, ask holidays."""
    if unit == "calendar_days":
        day += datetime.timedelta(days=amount)
        while not ru.is_working_day(day):
            day += datetime.timedelta(days=1)
    else:
        while amount:
            day += datetime.timedelta(days=1)
            amount -= ru.is_working_day(day)
    return end_of_day(day, tz)


def main(count):
    rng = random.Random(7)
    first = datetime.date(2025, 1, 1)
    # Tickets reach the calculator grouped by milestone and time zone (one
    # query per rule in Odoo): the same periods, grouped, for every timing.
    groups = {}
    for _i in range(count):
        key = (*rng.choice(PERIODS), rng.choice(ZONES))
        groups.setdefault(key, []).append(
            first + datetime.timedelta(days=rng.randrange(3 * 365))
        )
    # Each group's dates as one query per rule would fetch them: made
    # together, not interleaved with the other groups' in memory.
    groups = {
        key: [datetime.date.fromordinal(day.toordinal()) for day in days]
        for key, days in groups.items()
    }
    # Load the holidays package's RU data once, outside every timing.
    holidays.country_holidays("RU", years=2024)

    def cold():
        calendar = ProductionCalendar.russia(2024, 2028)
        return [
            compute_deadlines(days, amount, unit, calendar, tz)
            for (amount, unit, tz), days in groups.items()
        ], calendar

    def one_call_each():
        calendar = ProductionCalendar.russia(2024, 2028)
        return [
            [compute_deadline(day, amount, unit, calendar, tz) for day in days]
            for (amount, unit, tz), days in groups.items()
        ]

    def loop():
        ru = holidays.country_holidays("RU", years=range(2024, 2029))
        return [
            [naive(ru, day, amount, unit, tz) for day in days]
            for (amount, unit, tz), days in groups.items()
        ]

    (batch, calendar), batch_seconds = best_of(cold)
    # Odoo keeps the calendar (and its tables) cached between sweeps.
    warm, warm_seconds = best_of(
        lambda: [
            compute_deadlines(days, amount, unit, calendar, tz)
            for (amount, unit, tz), days in groups.items()
        ]
    )
    _calendar, build_seconds = best_of(lambda: ProductionCalendar.russia(2024, 2028))
    single, single_seconds = best_of(one_call_each)
    slow, slow_seconds = best_of(loop)

    assert batch == warm == single == slow, "the calculator disagrees with the loop"
    ratio = slow_seconds / batch_seconds
    print(
        f"periods (statutory day rules)     {count:,} in {len(groups)} rule/zone groups"
    )
    print(
        f"calculator, cold, per group       {batch_seconds:8.4f} s  "
        "(new calendar, tables built)"
    )
    print(f"  of which the calendar's build   {build_seconds:8.4f} s")
    print(f"calculator, cold, one call each   {single_seconds:8.4f} s")
    print(f"naive day-by-day over holidays.RU {slow_seconds:8.4f} s")
    print(f"ratio naive / cold per group      {ratio:8.1f}   (target >= {TARGET})")
    print(f"calculator, calendar cached       {warm_seconds:8.4f} s")
    print(f"ratio naive / cached calendar     {slow_seconds / warm_seconds:8.1f}")
    print(f"ratio naive / cold one call each  {slow_seconds / single_seconds:8.1f}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
