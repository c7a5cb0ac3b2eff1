"""Interruptions of communal services (ПП РФ № 354, Annex 1), in plain Python.

Annex 1 permits each service to be interrupted for so long "at one time"
(единовременно) and so long "in total within 1 month" (суммарно в течение 1
месяца), and lowers the month's charge by 0.15 % "for each hour over the
permitted duration, counted as a total over the billing period in which it
happened". How the two limits combine is not spelled out; this module reads
the text this way:

- the permitted duration is both limits at once: an hour of interruption is
  permitted only when it lies within the first *single* hours of its
  interruption **and** within the first *monthly* hours of the month's
  interruptions of that service; an hour that breaks either is an hour over,
  and **counted once** even when it breaks both (never twice: the Annex
  reduces the charge per hour over, not per limit broken);
- the hours over are totalled per billing period, a calendar month (ПП 354
  п. 37; not in the reference notes, check it) of the building's time zone,
  and only that total is rounded (the Annex counts "each hour" of the total,
  not of each interruption); how a part of an hour counts is a setting
  (``ROUNDINGS``);
- the reduction is 0.15 % per hour of that total, never more than 100 % (ПП
  354 п. 98: "вплоть до полного освобождения"; not in the reference notes,
  check it).

The single limit of an interruption runs from its own start to its own end,
across midnight and month ends; its hours fall in the months they lie in.
Several interruptions of one service of one building that overlap count the
time once (the service was interrupted, whatever the number of records).

Limits are data (``Limit``): per service, optionally per kind (planned,
accident), number of independent power supplies (electricity), lower bound
of a band of indoor temperature (heating), and accidents on a dead-end main
(hot water). ``applicable_limit`` picks the row that applies.

Times are aware datetimes (naive ones are read as UTC); arithmetic is done
in whole seconds, which is what Odoo stores.
"""

import bisect
import dataclasses
import datetime
import itertools
from zoneinfo import ZoneInfo

SERVICES = ("cold_water", "hot_water", "sewage", "electricity", "gas", "heating")
KINDS = ("planned", "accident")
# started: every hour begun counts (default: the reduction is never
# understated); exact: fractions of an hour; whole: only full hours;
# nearest: half an hour and more counts as an hour.
ROUNDINGS = ("started", "exact", "whole", "nearest")
REDUCTION_PER_HOUR = 0.15  # % of the month's charge (Annex 1, every clause)
NOTICE_WORKING_DAYS = 10  # ПП 354 п. 31 «н»
UTC = datetime.UTC
HOUR = 3600


@dataclasses.dataclass(frozen=True)
class Limit:
    """One row of Annex 1. ``None`` means "no such limit" for the hours and
    "any" for the conditions."""

    service: str
    single_hours: float | None = None
    monthly_hours: float | None = None
    kind: str | None = None
    power_sources: int | None = None
    temperature_from: float | None = None
    dead_end_main: bool = False
    warn_minutes: int = 60
    clause: str = ""
    key: object = None


@dataclasses.dataclass(frozen=True)
class Applicable:
    """The limits one interruption is held to."""

    single_hours: float | None
    monthly_hours: float | None
    warn_minutes: int = 60
    limit: Limit | None = None


def _strictness(limit):
    # None (no limit) is the most lenient.
    single = limit.single_hours if limit.single_hours is not None else float("inf")
    monthly = limit.monthly_hours if limit.monthly_hours is not None else float("inf")
    return (single, monthly)


def applicable_limit(
    limits,
    service,
    kind,
    *,
    power_sources=None,
    temperature=None,
    dead_end_main=False,
):
    """The limits of an interruption of ``service``: the most specific row
    that matches it. Heating goes by the band of ``temperature`` (the
    highest band whose lower bound it reaches); below every band Annex 1
    permits no interruption at one time (0 h). Where a condition is unknown
    (the building's power supplies), the strictest of the rows it leaves
    open applies."""
    rows = [
        limit
        for limit in limits
        if limit.service == service
        and limit.kind in (None, kind)
        and (dead_end_main or not limit.dead_end_main)
        and (power_sources is None or limit.power_sources in (None, power_sources))
    ]
    banded = [limit for limit in rows if limit.temperature_from is not None]
    if banded:
        fitting = [
            limit
            for limit in banded
            if temperature is None or temperature >= limit.temperature_from
        ]
        if not fitting:
            monthly = [b.monthly_hours for b in banded if b.monthly_hours is not None]
            warn = min(b.warn_minutes for b in banded)
            return Applicable(0.0, min(monthly) if monthly else None, warn, None)
        top = max(limit.temperature_from for limit in fitting)
        rows = [
            limit
            for limit in rows
            if limit.temperature_from is None or limit.temperature_from == top
        ]
    if not rows:
        return Applicable(None, None)

    def specificity(limit):
        return (
            limit.dead_end_main,
            limit.kind is not None,
            limit.power_sources is not None,
            limit.temperature_from is not None,
        )

    best = max(specificity(limit) for limit in rows)
    chosen = min(
        (limit for limit in rows if specificity(limit) == best), key=_strictness
    )
    return Applicable(
        chosen.single_hours, chosen.monthly_hours, chosen.warn_minutes, chosen
    )


# ----------------------------------------------------------------------------
# Hours, months, hours over
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Span:
    """One interruption as the arithmetic sees it. ``end`` None: running."""

    key: object
    start: datetime.datetime
    end: datetime.datetime | None
    single_hours: float | None = None
    monthly_hours: float | None = None


@dataclasses.dataclass
class MonthFigures:
    """One service of one building in one month (the building's)."""

    month: datetime.date
    seconds_total: int = 0
    seconds_over: int = 0
    keys: set = dataclasses.field(default_factory=set)

    @property
    def hours_total(self):
        return self.seconds_total / HOUR

    def hours_over(self, rounding="started"):
        return round_hours(self.seconds_over, rounding)

    def reduction(self, rounding="started"):
        return reduction_percent(self.hours_over(rounding))


@dataclasses.dataclass
class SpanFigures:
    """One interruption: its hours so far, its hours over (time it shares
    with an overlapping one counts for both), and when each limit is (or
    was) reached: ``single_at`` by its start, ``monthly_at`` as the month's
    total goes (projected for a running one: it keeps going), ``over_at``
    its first moment over either. Kept in epoch seconds (``*_s``)."""

    seconds_total: int = 0
    seconds_over: int = 0
    single_s: int | None = None
    monthly_s: int | None = None
    over_s: int | None = None

    @property
    def limit_s(self):
        moments = [m for m in (self.single_s, self.monthly_s) if m is not None]
        return min(moments) if moments else None

    @property
    def single_at(self):
        return _moment(self.single_s)

    @property
    def monthly_at(self):
        return _moment(self.monthly_s)

    @property
    def over_at(self):
        return _moment(self.over_s)

    @property
    def limit_at(self):
        return _moment(self.limit_s)


def round_hours(seconds, rounding="started"):
    """Hours of ``seconds`` as the setting counts a part of an hour."""
    if rounding == "exact":
        return seconds / HOUR
    if rounding == "started":
        return -(-seconds // HOUR)
    if rounding == "whole":
        return seconds // HOUR
    if rounding == "nearest":
        return (seconds + HOUR // 2) // HOUR
    raise ValueError(f"Unknown rounding {rounding!r}")


def reduction_percent(hours):
    """The month's charge reduction, in %, for ``hours`` over the limits."""
    return min(100.0, round(hours * REDUCTION_PER_HOUR, 4))


def _epoch(moment):
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _moment(seconds):
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, UTC)


def _month_starts(first, last, tz):
    """``(epochs, months)``: the local month starts from the month of
    ``first`` to the one after ``last`` (epoch seconds)."""
    local = _moment(first).astimezone(tz)
    year, month = local.year, local.month
    epochs, months = [], []
    while True:
        start = datetime.datetime(year, month, 1, tzinfo=tz)
        epoch = _epoch(start)
        epochs.append(epoch)
        months.append(datetime.date(year, month, 1))
        if epoch > last:
            return epochs, months
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_figures(spans, tz, now):
    """The figures of the interruptions ``spans`` of one service of one
    building, in the building's zone ``tz``, as of ``now``. Moments are
    aware datetimes (naive: UTC) or epoch seconds.

    Returns ``(months, per_span)``: ``{first day of the month:
    MonthFigures}`` and ``{span key: SpanFigures}``. Time after ``now``
    counts for nothing yet.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    now_s = _epoch(now)
    per_span = {}
    items = []  # (start, end, single deadline, monthly seconds, figures)
    for span in spans:
        start = _epoch(span.start)
        end = min(_epoch(span.end) if span.end is not None else now_s, now_s)
        figures = per_span[span.key] = SpanFigures()
        single_at = None
        if span.single_hours is not None:
            single_at = figures.single_s = start + round(span.single_hours * HOUR)
        monthly = None
        if span.monthly_hours is not None:
            monthly = round(span.monthly_hours * HOUR)
        items.append((start, end, single_at, monthly, figures, span))
    months = {}
    timed = [item for item in items if item[1] > item[0]]
    if timed:
        _sweep(timed, tz, months)
    _project(items, tz, now_s, months)
    return months, per_span


def _sweep(items, tz, months):
    """Walk the time the service was interrupted, cut where anything
    changes (a start, an end, a single limit reached, a month start)."""
    first = min(item[0] for item in items)
    last = max(item[1] for item in items)
    month_epochs, month_days = _month_starts(first, last, tz)
    items = sorted(items, key=lambda item: item[0])
    if all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(items)):
        _sweep_one_by_one(items, month_epochs, month_days, months)
    else:
        _sweep_overlapping(items, month_epochs, month_days, months)


def _sweep_one_by_one(items, month_epochs, month_days, months):
    """The usual case, one interruption at a time (no overlap): cut each at
    the month starts and at its single limit."""
    cumulative = {}
    for start, end, single_at, monthly, figures, span in items:
        index = bisect.bisect_right(month_epochs, start) - 1
        a = start
        while a < end:
            boundary = month_epochs[index + 1]
            b = min(end, boundary)
            if single_at is not None and a < single_at < b:
                b = single_at
            day = month_days[index]
            month = months.get(day)
            if month is None:
                month = months[day] = MonthFigures(day)
            length = b - a
            before = cumulative.get(day, 0)
            if single_at is not None and a >= single_at:
                over, over_from = length, a
            elif monthly is not None and before + length > monthly:
                reached = max(before, monthly)
                over, over_from = before + length - reached, a + reached - before
            else:
                over, over_from = 0, None
            if (
                monthly is not None
                and before + length > monthly
                and figures.monthly_s is None
            ):
                figures.monthly_s = a + max(0, monthly - before)
            cumulative[day] = before + length
            month.seconds_total += length
            month.seconds_over += over
            month.keys.add(span.key)
            figures.seconds_total += length
            figures.seconds_over += over
            if over and figures.over_s is None:
                figures.over_s = over_from
            a = b
            if a >= boundary:
                index += 1


def _sweep_overlapping(items, month_epochs, month_days, months):
    """Interruptions that overlap: the time counts once, an hour is over
    when any interruption covering it is over its single limit."""
    first, last = items[0][0], max(item[1] for item in items)
    cuts = {month for month in month_epochs if first < month < last}
    for start, end, single_at, _monthly, _figures, _span in items:
        cuts.add(start)
        cuts.add(end)
        if single_at is not None and start < single_at < end:
            cuts.add(single_at)
    cuts = sorted(cuts)
    active = []
    next_item = 0
    cumulative = {}
    for a, b in itertools.pairwise(cuts):
        while next_item < len(items) and items[next_item][0] <= a:
            active.append(items[next_item])
            next_item += 1
        active = [item for item in active if item[1] > a]
        covering = [item for item in active if item[0] <= a and item[1] >= b]
        if not covering:
            continue
        length = b - a
        index = bisect.bisect_right(month_epochs, a) - 1
        day = month_days[index]
        figures = months.get(day)
        if figures is None:
            figures = months[day] = MonthFigures(day)
        before = cumulative.get(day, 0)
        over_single = any(item[2] is not None and a >= item[2] for item in covering)
        limits = [item[3] for item in covering if item[3] is not None]
        limit = min(limits) if limits else None
        if over_single:
            over, over_from = length, a
        elif limit is not None and before + length > limit:
            reached = max(before, limit)
            over, over_from = before + length - reached, a + (reached - before)
        else:
            over, over_from = 0, None
        if limit is not None and before + length > limit:
            # From when this interruption's time is over the month's total
            # (its start, when the month had used it up already).
            reached_at = a + max(0, limit - before)
            for item in covering:
                if item[4].monthly_s is None:
                    item[4].monthly_s = reached_at
        cumulative[day] = before + length
        figures.seconds_total += length
        figures.seconds_over += over
        for item in covering:
            item[4].seconds_total += length
            item[4].seconds_over += over
            figures.keys.add(item[5].key)
            if over and item[4].over_s is None:
                item[4].over_s = over_from


def _project(items, tz, now_s, months):
    """When an interruption going on now reaches the monthly limit if it
    goes on: after the rest of this month's allowance (a new month brings
    a new allowance). Not reached when it is planned to end before."""
    month_epochs, month_days = _month_starts(now_s, now_s, tz)
    this_month, next_month = month_days[0], month_epochs[1]
    used = months[this_month].seconds_total if this_month in months else 0
    for start, _end, _single_at, monthly, figures, span in items:
        if monthly is None or figures.monthly_s is not None or start > now_s:
            continue
        planned_end = _epoch(span.end) if span.end is not None else None
        if planned_end is not None and planned_end <= now_s:
            continue
        reach = now_s + max(0, monthly - used)
        if reach > next_month:
            reach = next_month + monthly
        if planned_end is None or reach < planned_end:
            figures.monthly_s = reach


# ----------------------------------------------------------------------------
# Telling residents (ПП 354 п. 31 «н»)
# ----------------------------------------------------------------------------


def late_notice(calendar, entered_day, start_day, working_days=NOTICE_WORKING_DAYS):
    """Whether a planned interruption starting on ``start_day`` and entered
    (so announced at the earliest) on ``entered_day`` breaks п. 31 «н»: at
    least ``working_days`` working days must lie between the two days, both
    left out (Civil Code art. 191: a period starts the day after its event;
    "before the start" leaves the start's day out)."""
    if entered_day >= start_day:
        return True
    last = start_day - datetime.timedelta(days=1)
    return calendar.working_days_between(entered_day, last) < working_days


def notice_due_day(calendar, start_day, working_days=NOTICE_WORKING_DAYS):
    """The last day a planned interruption starting on ``start_day`` may be
    announced (see ``late_notice``)."""
    last = start_day - datetime.timedelta(days=1)
    # working days in (day, last] grow as ``day`` goes back: bisect over a
    # span that holds any 10 working days (the New Year holidays included).
    low, high = 0, 120  # days back from ``last``: high is early enough
    while low < high:
        middle = (low + high) // 2
        day = last - datetime.timedelta(days=middle)
        if calendar.working_days_between(day, last) >= working_days:
            high = middle
        else:
            low = middle + 1
    return last - datetime.timedelta(days=low)
