"""Production calendar and statutory deadline calculator."""

import datetime
from zoneinfo import ZoneInfo

import holidays
import pytest
from hgzm.tools.deadlines import (
    Window,
    compute_deadline,
    compute_deadlines,
    earliest_moment,
    end_of_day,
    first_told,
    start_of_day,
    state_of,
    warning_time,
)
from hgzm.tools.production_calendar import CalendarRangeError, ProductionCalendar
from hypothesis import given, settings
from hypothesis import strategies as st

D = datetime.date
UTC = datetime.timezone.utc
MSK = ZoneInfo("Europe/Moscow")
CAL = ProductionCalendar.russia(2024, 2028)
ZONES = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
]

# Weekdays off and working weekend days of the decrees 2025-2027
# (../shared/reference/law/statutory-timeframes.md).
DAYS_OFF = {
    2025: [
        D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3), D(2025, 1, 6), D(2025, 1, 7),
        D(2025, 1, 8), D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 8), D(2025, 5, 9),
        D(2025, 6, 12), D(2025, 6, 13), D(2025, 11, 3), D(2025, 11, 4), D(2025, 12, 31),
    ],
    2026: [
        D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 7),
        D(2026, 1, 8), D(2026, 1, 9), D(2026, 2, 23), D(2026, 3, 9), D(2026, 5, 1),
        D(2026, 5, 11), D(2026, 6, 12), D(2026, 11, 4), D(2026, 12, 31),
    ],
    2027: [
        D(2027, 1, 1), D(2027, 1, 4), D(2027, 1, 5), D(2027, 1, 6), D(2027, 1, 7),
        D(2027, 1, 8), D(2027, 2, 22), D(2027, 2, 23), D(2027, 3, 8), D(2027, 5, 3),
        D(2027, 5, 10), D(2027, 6, 14), D(2027, 11, 4), D(2027, 11, 5), D(2027, 12, 31),
    ],
}  # fmt: skip
WORKING_WEEKENDS = {2025: [D(2025, 11, 1)], 2026: [], 2027: [D(2027, 2, 20)]}


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_transfer_is_pinned(year):
    calendar = ProductionCalendar.russia(year, year)
    assert [d for d in calendar.days("off")] == DAYS_OFF[year]
    assert calendar.days("working_weekend") == WORKING_WEEKENDS[year]
    # 247 working days each year, as the decrees say.
    first = D(year, 1, 1)
    assert (
        calendar.working_days_between(first, D(year, 12, 31))
        + calendar.is_working(first)
        == 247
    )


def test_shortened_days():
    assert CAL.is_shortened(D(2026, 5, 8))  # before Victory Day (Sat 9 May)
    assert CAL.is_shortened(D(2026, 11, 3))
    assert not CAL.is_shortened(D(2026, 11, 2))
    assert not CAL.is_shortened(D(2026, 1, 8))  # not a working day
    decree = ProductionCalendar.russia(
        2025, 2025, extra_shortened_days=[D(2025, 11, 1)]
    )
    assert decree.is_shortened(D(2025, 11, 1))


def test_corrections_without_code():
    # A regional day off (e.g. Tatarstan's Republic Day, 30 August 2027 is a Monday)
    regional = ProductionCalendar.russia(2027, 2027, extra_days_off=[D(2027, 8, 30)])
    assert not regional.is_working(D(2027, 8, 30))
    assert CAL.is_working(D(2027, 8, 30))
    # A decree moving a day the package does not know yet.
    decree = ProductionCalendar.russia(
        2027,
        2027,
        extra_working_days=[D(2027, 3, 6)],
        removed_days_off=[D(2027, 12, 31)],
    )
    assert decree.is_working(D(2027, 3, 6)) and decree.is_working(D(2027, 12, 31))


def test_calendar_range():
    with pytest.raises(CalendarRangeError):
        CAL.is_working(D(2030, 1, 1))
    with pytest.raises(CalendarRangeError):
        CAL.add_working_days(D(2028, 12, 30), 5)
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2026, 1, 1), 0)


# -- day periods (Civil Code art. 191-194) -----------------------------------


@pytest.mark.parametrize(
    ("received", "amount", "unit", "last_day"),
    [
        # 10 working days from Friday 25 Dec 2026: New Year holidays to 10 Jan.
        (D(2026, 12, 25), 10, "working_days", D(2027, 1, 19)),
        (D(2025, 12, 30), 3, "working_days", D(2026, 1, 14)),
        # The working Saturday counts.
        (D(2025, 10, 30), 2, "working_days", D(2025, 11, 1)),
        (D(2027, 2, 19), 1, "working_days", D(2027, 2, 20)),
        # The next working day (C1).
        (D(2026, 11, 3), 1, "working_days", D(2026, 11, 5)),
        # Calendar days ending on a day off move to the next working day.
        (D(2026, 11, 15), 10, "calendar_days", D(2026, 11, 25)),
        (D(2026, 12, 21), 10, "calendar_days", D(2027, 1, 11)),
        (D(2026, 4, 21), 10, "calendar_days", D(2026, 5, 4)),  # Fri 1 May, weekend
        (D(2026, 3, 1), 0, "working_days", D(2026, 3, 1)),
    ],
)
def test_day_periods(received, amount, unit, last_day):
    deadline = compute_deadline(received, amount, unit, CAL, MSK)
    assert deadline == end_of_day(last_day, MSK)
    assert deadline.astimezone(MSK).time() == datetime.time(0, 0)


@pytest.mark.parametrize("zone", ZONES)
def test_time_zones_from_kaliningrad_to_kamchatka(zone):
    tz = ZoneInfo(zone)
    deadline = compute_deadline(D(2026, 11, 20), 10, "working_days", CAL, tz)
    # 24:00 of Friday 4 December, in the building's own time zone.
    assert deadline.astimezone(tz) == datetime.datetime(2026, 12, 5, tzinfo=tz)
    # A request at 23:30 local time on 20 November belongs to that local day,
    # whatever day it already is in UTC or Moscow.
    late = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=tz).astimezone(UTC)
    assert compute_deadline(late, 10, "working_days", CAL, tz) == deadline


# -- clock periods ----------------------------------------------------------


def test_clock_periods_round_the_clock():
    start = datetime.datetime(2026, 12, 31, 23, 50, tzinfo=MSK)
    assert compute_deadline(
        start, 30, "minutes", CAL, MSK
    ) == start + datetime.timedelta(minutes=30)
    assert compute_deadline(start, 72, "hours", CAL, MSK) == start + datetime.timedelta(
        hours=72
    )
    # A naive datetime is UTC, as Odoo stores it.
    naive = datetime.datetime(2026, 6, 1, 12, 0)
    assert compute_deadline(naive, 2, "hours", CAL, MSK) == datetime.datetime(
        2026, 6, 1, 14, 0, tzinfo=UTC
    )


CHUTE = Window.from_hours(8, 23)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ((2026, 11, 20, 12, 0), (2026, 11, 20, 14, 0)),
        ((2026, 11, 20, 22, 30), (2026, 11, 21, 9, 30)),  # runs on Saturday too
        ((2026, 11, 20, 23, 30), (2026, 11, 21, 10, 0)),
        ((2026, 11, 21, 3, 0), (2026, 11, 21, 10, 0)),
        ((2026, 11, 20, 21, 0), (2026, 11, 20, 23, 0)),  # ends with the window
    ],
)
def test_refuse_chute_window(start, expected):
    local = datetime.datetime(*start, tzinfo=MSK)
    assert compute_deadline(local, 2, "hours", CAL, MSK, CHUTE) == datetime.datetime(
        *expected, tzinfo=MSK
    )


def test_office_hours_window_skips_days_off_and_shortens_pre_holiday_days():
    office = Window.from_hours(9, 18, working_days_only=True)
    # Tuesday 3 Nov 2026 is shortened (9-17), Wednesday 4 Nov is Unity Day.
    start = datetime.datetime(2026, 11, 3, 16, 0, tzinfo=MSK)
    deadline = compute_deadline(start, 3, "hours", CAL, MSK, office)
    assert deadline == datetime.datetime(2026, 11, 5, 11, 0, tzinfo=MSK)
    with pytest.raises(ValueError):
        Window.from_hours(23, 8)


def test_states_and_warnings():
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    deadline = start + datetime.timedelta(hours=10)
    warn = warning_time(start, deadline, before_minutes=60, elapsed_ratio=0.5)
    assert warn == start + datetime.timedelta(hours=5)
    assert warning_time(
        start, deadline, before_minutes=60
    ) == deadline - datetime.timedelta(hours=1)
    assert warning_time(start, deadline) is None
    assert state_of(deadline, start, warn_at=warn) == "running"
    assert state_of(deadline, warn, warn_at=warn) == "at_risk"
    assert state_of(deadline, deadline + datetime.timedelta(seconds=1)) == "breached"
    assert state_of(deadline, deadline, done_at=deadline) == "met"
    late = deadline + datetime.timedelta(minutes=1)
    assert state_of(deadline, start, done_at=late) == "breached"


def test_bad_input():
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 1, 1), 1, "weeks", CAL, MSK)
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 1, 1), -1, "hours", CAL, MSK)


# -- properties (hypothesis) ------------------------------------------------

RU = holidays.country_holidays("RU", years=range(2024, 2030))


def naive_is_working(day):
    """The obvious definition, straight from the holidays package."""
    if day in RU.weekend_workdays:
        return True
    return day.weekday() < 5 and day not in RU


def naive_add_working_days(day, count):
    while count:
        day += datetime.timedelta(days=1)
        count -= naive_is_working(day)
    return day


days = st.dates(D(2024, 1, 1), D(2027, 12, 31))
zones = st.sampled_from(ZONES)


@given(day=days)
def test_is_working_agrees_with_the_package(day):
    assert CAL.is_working(day) == naive_is_working(day)


@settings(max_examples=300)
@given(day=days, count=st.integers(1, 120))
def test_working_days_agree_with_a_day_by_day_count(day, count):
    last = CAL.add_working_days(day, count)
    assert last == naive_add_working_days(day, count)
    assert CAL.is_working(last)
    assert CAL.working_days_between(day, last) == count


@settings(max_examples=300)
@given(
    day=days,
    amount=st.integers(0, 200),
    zone=zones,
    unit=st.sampled_from(["calendar_days", "working_days"]),
)
def test_day_deadlines_end_at_midnight_after_a_working_day(day, amount, zone, unit):
    tz = ZoneInfo(zone)
    local = compute_deadline(day, amount, unit, CAL, tz).astimezone(tz)
    assert local.time() == datetime.time(0, 0)
    last_day = local.date() - datetime.timedelta(days=1)
    if unit == "calendar_days":
        nominal = day + datetime.timedelta(days=amount)
        assert CAL.is_working(last_day) and last_day >= nominal
        # Moved only over days off (Civil Code art. 193).
        assert CAL.working_days_between(nominal, last_day) == (last_day > nominal)
    elif amount:
        assert CAL.is_working(last_day)
        assert CAL.working_days_between(day, last_day) == amount
    else:
        assert last_day == day


@settings(max_examples=200)
@given(
    day=days,
    amount=st.integers(0, 100),
    extra=st.integers(1, 50),
    zone=zones,
    unit=st.sampled_from(["minutes", "hours", "calendar_days", "working_days"]),
)
def test_deadlines_are_monotonic_in_the_duration(day, amount, extra, zone, unit):
    start = datetime.datetime.combine(day, datetime.time(13, 7), tzinfo=ZoneInfo(zone))
    assert compute_deadline(start, amount, unit, CAL, zone) <= compute_deadline(
        start, amount + extra, unit, CAL, zone
    )


def naive_day_deadline(day, amount, unit):
    """Day by day over the package (Civil Code art. 191-193): the last day
    of the period, which the fast path must end at 24:00 of."""
    if unit == "calendar_days":
        day += datetime.timedelta(days=amount)
        while not naive_is_working(day):
            day += datetime.timedelta(days=1)
        return day
    return naive_add_working_days(day, amount) if amount else day


@settings(max_examples=150, deadline=None)
@given(
    starts=st.lists(st.dates(D(2024, 1, 1), D(2028, 12, 31)), min_size=1, max_size=40),
    amount=st.integers(0, 60),
    zone=zones,
    unit=st.sampled_from(["calendar_days", "working_days"]),
)
def test_the_tables_equal_the_day_by_day_loop(starts, amount, zone, unit):
    """The batch (prefix sums, one table per period and zone), from a new
    calendar with nothing cached, ends every period where stepping day by
    day over the holidays package does; a period ending beyond the calendar
    is refused, not guessed."""
    tz = ZoneInfo(zone)
    calendar = ProductionCalendar.russia(2024, 2028)
    expected = [naive_day_deadline(day, amount, unit) for day in starts]
    if max(expected) > D(2028, 12, 31):
        with pytest.raises(CalendarRangeError):
            compute_deadlines(starts, amount, unit, calendar, tz)
        return
    fast = compute_deadlines(starts, amount, unit, calendar, tz)
    assert fast == [end_of_day(day, tz) for day in expected]
    # One call each, from another new calendar, agrees too.
    single = ProductionCalendar.russia(2024, 2028)
    assert fast == [compute_deadline(d, amount, unit, single, tz) for d in starts]


def naive_window_deadline(start, minutes, tz, window):
    """Minute by minute: the reference the fast version must equal."""
    moment = start.astimezone(tz).replace(second=0, microsecond=0)
    assert moment == start.astimezone(tz)
    while minutes:
        minute = moment.hour * 60 + moment.minute
        day_ok = not window.working_days_only or CAL.is_working(moment.date())
        end = window.end_minute
        if window.working_days_only and CAL.is_shortened(moment.date()):
            end -= 60
        if day_ok and window.start_minute <= minute < end:
            minutes -= 1
        moment += datetime.timedelta(minutes=1)
    return moment


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(D(2026, 10, 25), D(2026, 11, 10)),
    minute_of_day=st.integers(0, 24 * 60 - 1),
    minutes=st.integers(1, 600),
    zone=zones,
    hours=st.sampled_from([(8, 23), (9, 18), (0, 24), (6, 7)]),
    working_only=st.booleans(),
)
def test_window_clock_equals_minute_by_minute(
    day, minute_of_day, minutes, zone, hours, working_only
):
    tz = ZoneInfo(zone)
    window = Window.from_hours(*hours, working_days_only=working_only)
    start = datetime.datetime.combine(
        day, datetime.time(), tzinfo=tz
    ) + datetime.timedelta(minutes=minute_of_day)
    fast = compute_deadline(start, minutes, "minutes", CAL, tz, window)
    assert fast == naive_window_deadline(start, minutes, tz, window)


def test_explicit_days_win_over_the_package():
    # A decree that keeps 31 December 2027 working and makes 20 February a day off.
    decree = ProductionCalendar.russia(
        2027,
        2027,
        extra_working_days=[D(2027, 12, 31)],
        extra_days_off=[D(2027, 2, 20)],
    )
    assert decree.is_working(D(2027, 12, 31))
    assert not decree.is_working(D(2027, 2, 20))


@pytest.mark.parametrize(
    ("zone", "expected_utc_hour"),
    [("Europe/Kaliningrad", 22), ("Europe/Moscow", 21), ("Asia/Kamchatka", 12)],
)
def test_earliest_moment_of_a_gis_date(zone, expected_utc_hour):
    # 00:00 of 10 November in the building's zone, that is the evening before
    # in UTC: an event GIS dates 10 November cannot have been earlier.
    moment = earliest_moment(datetime.date(2026, 11, 10), zone)
    assert moment == datetime.datetime(
        2026, 11, 9, expected_utc_hour, tzinfo=datetime.timezone.utc
    )


@given(
    st.dates(datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)),
    st.sampled_from(["Europe/Kaliningrad", "Europe/Moscow", "Asia/Kamchatka"]),
    st.datetimes(datetime.datetime(2025, 1, 1), datetime.datetime(2028, 1, 1)),
)
def test_earliest_moment_never_after_we_learnt_of_it(day, zone, seen):
    moment = earliest_moment(day, zone, seen)
    assert moment <= seen.replace(tzinfo=datetime.timezone.utc)
    assert moment <= start_of_day(day, ZoneInfo(zone))


def test_the_applicant_is_told_the_first_time_a_fact_tells_them():
    message = datetime.datetime(2026, 12, 7, 9, 20)
    call = datetime.datetime(2026, 12, 7, 9, 5)
    gis = datetime.datetime(2026, 12, 7, 9, 40, tzinfo=UTC)
    assert first_told([]) == (None, None)
    # A message MAX has not taken yet tells nothing.
    assert first_told([(None, "max")]) == (None, None)
    assert first_told([(message, "max"), (None, "max")]) == (message, "max")
    # The call logged after the message, at its own earlier time, counts.
    assert first_told([(message, "max"), (gis, "gis"), (call, "call")]) == (
        call,
        "call",
    )
    # Naive moments are UTC: 12:30 in Moscow is 09:30 UTC, after the call.
    moscow = datetime.datetime(2026, 12, 7, 12, 30, tzinfo=MSK)
    assert first_told([(moscow, "gis"), (call, "call")]) == (call, "call")
