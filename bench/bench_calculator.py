"""Deadline calculator against a naive day-by-day loop over ``holidays.RU``.

Plain Python, no Odoo: ``python3 bench/bench_calculator.py [N]``. Both compute
the same N day periods of the statutory rules (starts over 2025-2027, zones
from Kaliningrad to Kamchatka); the results must be equal. The calculator is
timed as Odoo uses it (periods grouped by rule and zone, one table lookup
each) and one call per period; the ratio is measured in this run.
"""

import datetime
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
    # Load the holidays package's RU data once, outside every timing.
    holidays.country_holidays("RU", years=2024)

    began = time.perf_counter()
    calendar = ProductionCalendar.russia(2024, 2028)
    batch = [
        compute_deadlines(days, amount, unit, calendar, tz)
        for (amount, unit, tz), days in groups.items()
    ]
    batch_seconds = time.perf_counter() - began
    # Odoo keeps the calendar (and its tables) cached between sweeps.
    began = time.perf_counter()
    warm = [
        compute_deadlines(days, amount, unit, calendar, tz)
        for (amount, unit, tz), days in groups.items()
    ]
    warm_seconds = time.perf_counter() - began

    began = time.perf_counter()
    calendar = ProductionCalendar.russia(2024, 2028)
    single = [
        [compute_deadline(day, amount, unit, calendar, tz) for day in days]
        for (amount, unit, tz), days in groups.items()
    ]
    single_seconds = time.perf_counter() - began

    began = time.perf_counter()
    ru = holidays.country_holidays("RU", years=range(2024, 2029))
    slow = [
        [naive(ru, day, amount, unit, tz) for day in days]
        for (amount, unit, tz), days in groups.items()
    ]
    slow_seconds = time.perf_counter() - began

    assert batch == warm == single == slow, "the calculator disagrees with the loop"
    ratio = slow_seconds / batch_seconds
    print(
        f"periods (statutory day rules)     {count:,} in {len(groups)} rule/zone groups"
    )
    print(
        f"calculator, per group (as Odoo)   {batch_seconds:8.3f} s  (calendar included)"
    )
    print(f"calculator, one call per period   {single_seconds:8.3f} s")
    print(f"naive day-by-day over holidays.RU {slow_seconds:8.3f} s")
    print(f"ratio naive / per group, cold     {ratio:8.1f}   (target >= 50)")
    print(f"calculator, calendar cached       {warm_seconds:8.3f} s")
    print(f"ratio naive / cached calendar     {slow_seconds / warm_seconds:8.1f}")
    print(f"ratio naive / one call each       {slow_seconds / single_seconds:8.1f}")
    return 0 if ratio >= 50 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
