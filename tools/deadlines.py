"""Statutory deadline calculator (plain Python).

Periods are counted as Russian law counts them:

- ``minutes`` and ``hours``: clock time from the start, round the clock, or
  only inside a daily window (a refuse-chute blockage: 08:00-23:00; office
  hours on working days);
- ``calendar_days`` and ``working_days`` (Civil Code art. 191-194): the day
  of the event is not counted, day 1 is the next day, the period ends at
  24:00 of its last day, and a last day that is not a working day moves to
  the next working day.

Days are those of the building's (or company's) time zone; results are
aware datetimes in UTC. The production calendar makes every step a bisection:
nothing loops over days.
"""

import dataclasses
import datetime
from zoneinfo import ZoneInfo

from .production_calendar import CalendarRangeError

UNITS = ("minutes", "hours", "calendar_days", "working_days")
DAY_UNITS = ("calendar_days", "working_days")
UTC = datetime.timezone.utc


@dataclasses.dataclass(frozen=True)
class Window:
    """A daily window in local time, in minutes from midnight."""

    start_minute: int
    end_minute: int
    working_days_only: bool = False

    def __post_init__(self):
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("A daily window must start before it ends, within the day")

    @classmethod
    def from_hours(cls, start, end, working_days_only=False):
        """From float hours, as Odoo's ``float_time`` fields hold them."""
        return cls(round(start * 60), round(end * 60), working_days_only)


def _aware_utc(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _local_midnight(day, tz):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def end_of_day(day, tz):
    """24:00 of ``day`` in ``tz``, as an aware UTC datetime."""
    return _local_midnight(day + datetime.timedelta(days=1), tz).astimezone(UTC)


def start_of_day(day, tz):
    """00:00 of ``day`` in ``tz``, as an aware UTC datetime."""
    return _local_midnight(day, tz).astimezone(UTC)


def earliest_moment(day, tz, not_after=None):
    """The earliest moment a GIS date (a day of ``tz``) can stand for, and
    never later than ``not_after`` (when we learnt of it): an event GIS dates
    ``day`` happened at or after its 00:00, and before we saw it."""
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    moment = start_of_day(day, tz)
    if not_after is not None:
        moment = min(moment, _aware_utc(not_after))
    return moment


def compute_deadline(start, amount, unit, calendar, tz, window=None):
    """When a period of ``amount`` ``unit`` that starts at ``start`` ends.

    ``start`` is a datetime (naive means UTC) or a date (a GIS date of
    receipt: the event happened that local day; clock periods then run from
    its 00:00). ``tz`` is a ``ZoneInfo`` or a zone name.
    """
    if unit not in UNITS:
        raise ValueError(f"Unknown unit {unit!r}")
    if amount < 0:
        raise ValueError("A period cannot be negative")
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    if isinstance(start, datetime.datetime):
        start_utc = _aware_utc(start)
        start_day = start_utc.astimezone(tz).date()
    else:
        start_day = start
        start_utc = _local_midnight(start, tz).astimezone(UTC)

    if unit in DAY_UNITS:
        return _day_deadline(
            calendar.day_deadlines(unit, amount, tz), calendar, start_day
        )
    minutes = amount * 60 if unit == "hours" else amount
    if window is None:
        return start_utc + datetime.timedelta(minutes=minutes)
    return _windowed(start_utc, minutes, calendar, tz, window)


def _day_deadline(table, calendar, day):
    calendar._index(day)  # raises outside the calendar
    # Not in the table: the period ends beyond the calendar.
    deadline = table.get(day)
    if deadline is None:
        raise CalendarRangeError(
            f"A period from {day} ends beyond the production calendar"
        )
    return deadline


def compute_deadlines(starts, amount, unit, calendar, tz, window=None):
    """``compute_deadline`` for many starts of the same period and zone.

    Day periods from dates are table lookups (see
    ``ProductionCalendar.day_deadlines``): how a sweep over thousands of
    tickets stays cheap.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    if unit in DAY_UNITS and amount >= 0:
        table = calendar.day_deadlines(unit, amount, tz)
        try:
            result = list(map(table.__getitem__, starts))
        except KeyError:
            # Datetimes (not in a table of dates), or periods out of the
            # calendar: the one-by-one path computes or explains them.
            result = None
        if result is not None:
            return result
    return [
        compute_deadline(start, amount, unit, calendar, tz, window) for start in starts
    ]


def _windowed(start_utc, minutes, calendar, tz, window):
    """Clock time that runs only inside a daily window."""
    per_day, cumulative = calendar.window_minutes(
        window.start_minute, window.end_minute, window.working_days_only
    )
    local = start_utc.astimezone(tz)
    index = calendar._index(local.date())
    minute_of_day = local.hour * 60 + local.minute + local.second / 60
    elapsed = min(max(minute_of_day - window.start_minute, 0), per_day[index])
    if minutes == 0:
        return start_utc
    target = cumulative[index] + elapsed + minutes
    day_index = calendar.bisect_minutes(cumulative, target)
    offset = target - cumulative[day_index]
    day = calendar._day(day_index)
    moment = _local_midnight(day, tz) + datetime.timedelta(
        minutes=window.start_minute + offset
    )
    return moment.astimezone(UTC)


def first_told(facts):
    """When the applicant was first told the planned timeframe of their
    request, and how: ``facts`` are ``(moment, how)`` pairs — a MAX message
    when MAX took it, a GIS operation when GIS accepted it, a logged call at
    its time. A fact without a moment (a message not delivered yet) tells
    nothing. ``(None, None)`` when nothing did."""
    told = [(moment, how) for moment, how in facts if moment]
    if not told:
        return None, None
    return min(told, key=lambda fact: _aware_utc(fact[0]))


def state_of(deadline, now, done_at=None, warn_at=None):
    """running, at_risk, met or breached, for a deadline at ``now``."""
    if done_at is not None:
        return "met" if done_at <= deadline else "breached"
    if now > deadline:
        return "breached"
    if warn_at is not None and now >= warn_at:
        return "at_risk"
    return "running"


def warning_time(start, deadline, before_minutes=None, elapsed_ratio=None):
    """When to warn: a time before the deadline or a share of time elapsed;
    the earlier of the two when both are set."""
    candidates = []
    if before_minutes:
        candidates.append(deadline - datetime.timedelta(minutes=before_minutes))
    if elapsed_ratio:
        candidates.append(start + (deadline - start) * elapsed_ratio)
    return min(candidates) if candidates else None
