"""Interruptions of communal services: the arithmetic of ПП 354 Annex 1."""

import datetime
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hgzm.tools.interruptions import (
    HOUR,
    Limit,
    Span,
    applicable_limit,
    late_notice,
    month_figures,
    notice_due_day,
    reduction_percent,
    round_hours,
)
from hgzm.tools.production_calendar import ProductionCalendar
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

D = datetime.date
UTC = datetime.UTC
MSK = ZoneInfo("Europe/Moscow")
# From Kaliningrad (UTC+2) to Kamchatka (UTC+12): no daylight saving since 2014.
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
CAL = ProductionCalendar.russia(2024, 2028)
DATA = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "helpdesk_service_interruption_limit_data.xml"
)

# ПП 354 Annex 1 (../shared/reference/law/statutory-timeframes.md):
# service: (single h, monthly h) by condition.
ANNEX = [
    Limit("cold_water", 4, 8, clause="п. 1"),
    Limit("hot_water", 4, 8, clause="п. 4"),
    Limit("hot_water", 24, None, kind="accident", dead_end_main=True, clause="п. 4"),
    Limit("sewage", 4, 8, clause="п. 8"),
    Limit("electricity", 2, None, power_sources=2, clause="п. 9"),
    Limit("electricity", 24, None, power_sources=1, clause="п. 9"),
    Limit("gas", None, 4, clause="п. 11"),
    Limit("heating", 16, 24, temperature_from=12, clause="п. 14"),
    Limit("heating", 8, 24, temperature_from=10, clause="п. 14"),
    Limit("heating", 4, 24, temperature_from=8, clause="п. 14"),
]


def at(day, hour=0, minute=0, tz=MSK):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def span(key, start, hours, limit=(4, 8)):
    end = None if hours is None else start + datetime.timedelta(hours=hours)
    return Span(key, start, end, *limit)


def hours_over(spans, tz=MSK, now=None, rounding="exact"):
    months, _per_span = month_figures(spans, tz, now or at(D(2030, 1, 1)))
    return {month: figures.hours_over(rounding) for month, figures in months.items()}


# -- the limits ----------------------------------------------------------------


def load_preloaded():
    """The limits the addon preloads (its data file), read as Odoo would."""
    limits = []
    for record in etree.parse(str(DATA)).iterfind(".//record"):
        values = {f.get("name"): f.get("eval") or f.text for f in record}

        def hours(name, values=values):
            value = float(values.get(name) or 0)
            return value or None  # 0: the Annex sets no such limit

        limits.append(
            Limit(
                values["service"],
                hours("single_limit_hours"),
                hours("monthly_limit_hours"),
                kind=values.get("kind"),
                power_sources=int(values["power_sources"])
                if values.get("power_sources")
                else None,
                temperature_from=float(values["temperature_from"])
                if values.get("by_temperature") == "True"
                else None,
                dead_end_main=values.get("dead_end_main") == "True",
                clause=values["legal_clause"],
            )
        )
    return limits


def test_the_preloaded_limits_are_the_annex_table():
    def key(limit):
        return (
            limit.service,
            limit.single_hours,
            limit.monthly_hours,
            limit.kind,
            limit.power_sources,
            limit.temperature_from,
            limit.dead_end_main,
            limit.clause,
        )

    assert sorted(map(key, load_preloaded()), key=str) == sorted(
        map(key, ANNEX), key=str
    )


@pytest.mark.parametrize(
    ("service", "single", "monthly"),
    [
        ("cold_water", 4, 8),
        ("hot_water", 4, 8),
        ("sewage", 4, 8),
        ("gas", None, 4),
    ],
)
def test_single_and_monthly_limits_per_service(service, single, monthly):
    for kind in ("planned", "accident"):
        applicable = applicable_limit(ANNEX, service, kind)
        assert (applicable.single_hours, applicable.monthly_hours) == (single, monthly)


@pytest.mark.parametrize(
    ("temperature", "single"),
    [
        (22.0, 16),  # above the norm: still the first band
        (18.0, 16),
        (12.0, 16),  # a bound belongs to the band it starts
        (11.9, 8),
        (10.0, 8),
        (9.99, 4),
        (8.0, 4),
        (7.9, 0),  # below +8 °C: no interruption permitted at one time
        (-3.0, 0),
        (None, 16),  # not measured: the norm (the form starts at +18 °C)
    ],
)
def test_heating_goes_by_the_band_of_indoor_temperature(temperature, single):
    applicable = applicable_limit(ANNEX, "heating", "accident", temperature=temperature)
    assert applicable.single_hours == single
    assert applicable.monthly_hours == 24


def test_heating_below_every_band_is_over_from_the_first_hour():
    limit = applicable_limit(ANNEX, "heating", "accident", temperature=7)
    start = at(D(2026, 1, 10), 6)
    spans = [span(1, start, 3, (limit.single_hours, limit.monthly_hours))]
    assert hours_over(spans) == {D(2026, 1, 1): 3}


@pytest.mark.parametrize(
    ("sources", "single"), [(1, 24), (2, 2), (None, 2)]
)  # unknown: the stricter
def test_electricity_goes_by_the_buildings_power_supplies(sources, single):
    applicable = applicable_limit(
        ANNEX, "electricity", "accident", power_sources=sources
    )
    assert applicable.single_hours == single
    assert applicable.monthly_hours is None


def test_hot_water_accident_on_a_dead_end_main():
    dead_end = applicable_limit(ANNEX, "hot_water", "accident", dead_end_main=True)
    assert (dead_end.single_hours, dead_end.monthly_hours) == (24, None)
    # A planned works is never the dead-end accident, whatever the flag.
    planned = applicable_limit(ANNEX, "hot_water", "planned", dead_end_main=True)
    assert planned.single_hours == 4
    assert applicable_limit(ANNEX, "hot_water", "accident").single_hours == 4


def test_a_service_without_limits_has_none():
    assert applicable_limit([], "gas", "planned").single_hours is None
    assert applicable_limit(ANNEX, "heating", "planned", temperature=20).limit.clause


# -- single and monthly limits together ----------------------------------------


def test_one_interruption_over_the_single_limit():
    spans = [span(1, at(D(2026, 3, 3), 9), 6)]
    months, per_span = month_figures(spans, MSK, at(D(2026, 4, 1)))
    march = months[D(2026, 3, 1)]
    assert (march.hours_total, march.hours_over()) == (6, 2)
    assert march.reduction() == 0.3
    assert per_span[1].single_at == at(D(2026, 3, 3), 13)
    assert per_span[1].over_at == at(D(2026, 3, 3), 13)


def test_an_hour_over_both_limits_counts_once():
    """Two interruptions of 6 h in a month (cold water: 4 h at one time, 8 h
    in the month): the first is over by 2 h (its 5th and 6th hours), the
    second by 4 h (the month's 8 h are used up after its 2nd hour; its 5th
    and 6th hours are over both limits, and count once): 6 h, not the 4 h
    of the larger excess, nor the 8 h of the two excesses added."""
    spans = [
        span(1, at(D(2026, 3, 3), 9), 6),
        span(2, at(D(2026, 3, 20), 9), 6),
    ]
    months, per_span = month_figures(spans, MSK, at(D(2026, 4, 1)))
    assert months[D(2026, 3, 1)].hours_over() == 6
    assert months[D(2026, 3, 1)].reduction() == 0.9
    assert per_span[2].monthly_at == at(D(2026, 3, 20), 11)
    assert per_span[2].limit_at == at(D(2026, 3, 20), 11)
    assert per_span[1].monthly_at is None


def test_monthly_limit_alone_gas():
    spans = [
        span(1, at(D(2026, 3, 3), 9), 3, (None, 4)),
        span(2, at(D(2026, 3, 9), 9), 3, (None, 4)),
    ]
    assert hours_over(spans) == {D(2026, 3, 1): 2}


def test_the_monthly_allowance_is_the_months():
    """Each month has its own 8 hours: 6 h at the end of March and 6 h at
    the start of April are within the monthly limit."""
    spans = [
        span(1, at(D(2026, 3, 30), 9), 3),
        span(2, at(D(2026, 3, 31), 9), 3),
        span(3, at(D(2026, 4, 1), 9), 3),
        span(4, at(D(2026, 4, 2), 9), 3),
    ]
    assert hours_over(spans) == {D(2026, 3, 1): 0, D(2026, 4, 1): 0}
    spans.append(span(5, at(D(2026, 4, 3), 9), 3))
    assert hours_over(spans) == {D(2026, 3, 1): 0, D(2026, 4, 1): 1}


def test_overlapping_records_of_one_outage_count_its_time_once():
    start = at(D(2026, 3, 3), 9)
    spans = [span(1, start, 3), span(2, start + datetime.timedelta(hours=1), 3)]
    months, _ = month_figures(spans, MSK, at(D(2026, 4, 1)))
    assert months[D(2026, 3, 1)].hours_total == 4
    assert months[D(2026, 3, 1)].hours_over() == 0
    assert months[D(2026, 3, 1)].keys == {1, 2}


# -- months of the building's zone ---------------------------------------------


def test_an_interruption_across_the_month_end_is_split_by_month():
    """22:00 on 31 January to 04:00 on 1 February, Moscow: 2 h in January,
    4 h in February; the single limit runs on from its start, so its 5th
    and 6th hours, in February, are the hours over."""
    spans = [span(1, at(D(2026, 1, 31), 22), 6)]
    months, _ = month_figures(spans, MSK, at(D(2026, 3, 1)))
    jan, feb = months[D(2026, 1, 1)], months[D(2026, 2, 1)]
    assert (jan.hours_total, jan.hours_over()) == (2, 0)
    assert (feb.hours_total, feb.hours_over()) == (4, 2)


@pytest.mark.parametrize("zone", ZONES)
def test_the_month_ends_at_the_buildings_midnight(zone):
    tz = ZoneInfo(zone)
    # No daylight saving: one offset all year.
    offsets = {at(D(2026, m, 1), tz=tz).utcoffset() for m in range(1, 13)}
    assert len(offsets) == 1
    spans = [span(1, at(D(2026, 6, 30), 23, tz=tz), 2)]
    months, _ = month_figures(spans, tz, at(D(2026, 8, 1), tz=tz))
    assert {m: f.hours_total for m, f in months.items()} == {
        D(2026, 6, 1): 1,
        D(2026, 7, 1): 1,
    }


def test_the_same_moments_fall_in_other_months_from_kaliningrad_to_kamchatka():
    """20:00 UTC on 31 January to 02:00 UTC on 1 February: January and
    February in Kaliningrad (22:00-04:00), all February in Kamchatka
    (08:00-14:00 on 1 February), all January nowhere."""
    start = datetime.datetime(2026, 1, 31, 20, tzinfo=UTC)
    spans = [span(1, start, 6)]
    now = datetime.datetime(2026, 3, 1, tzinfo=UTC)

    def split(zone):
        months, _ = month_figures(spans, ZoneInfo(zone), now)
        return {m.month: f.hours_total for m, f in months.items()}

    assert split("Europe/Kaliningrad") == {1: 2, 2: 4}
    assert split("Europe/Moscow") == {1: 1, 2: 5}
    assert split("Asia/Yekaterinburg") == {2: 6}
    assert split("Asia/Kamchatka") == {2: 6}


# -- running interruptions -----------------------------------------------------


def test_a_running_interruption_counts_until_now_and_foresees_its_limits():
    start = at(D(2026, 3, 3), 9)
    now = at(D(2026, 3, 3), 12)
    months, per_span = month_figures([span(1, start, None)], MSK, now)
    assert months[D(2026, 3, 1)].hours_total == 3
    figures = per_span[1]
    assert figures.single_at == at(D(2026, 3, 3), 13)
    assert figures.monthly_at == at(D(2026, 3, 3), 17)
    assert figures.limit_at == figures.single_at
    # With 6 h used earlier this month, the month's 8 h go first.
    earlier = span(0, at(D(2026, 3, 1), 0), 6)
    months, per_span = month_figures([earlier, span(1, start, None)], MSK, now)
    assert per_span[1].monthly_at == at(D(2026, 3, 3), 11)
    assert per_span[1].limit_at == at(D(2026, 3, 3), 11)
    # 2 h of the first over 4 h at one time, 1 h of this one over the 8 h.
    assert months[D(2026, 3, 1)].hours_over() == 3


def test_a_running_interruption_near_the_month_end_gets_a_new_allowance():
    start = at(D(2026, 3, 31), 20)
    now = at(D(2026, 3, 31), 21)
    _months, per_span = month_figures([span(1, start, None, (None, 8))], MSK, now)
    # 3 h left in March, then April's 8 h from its first minute.
    assert per_span[1].monthly_at == at(D(2026, 4, 1), 8)


def test_nothing_counts_before_it_starts():
    start = at(D(2026, 3, 10), 9)
    months, per_span = month_figures([span(1, start, 5)], MSK, at(D(2026, 3, 1)))
    assert months == {}
    assert per_span[1].single_at == at(D(2026, 3, 10), 13)
    assert per_span[1].monthly_at is None


# -- rounding and the reduction ------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "started", "whole", "nearest"),
    [
        (0, 0, 0, 0),
        (1, 1, 0, 0),
        (2 * HOUR, 2, 2, 2),
        (2 * HOUR + 10 * 60, 3, 2, 2),
        (2 * HOUR + 30 * 60, 3, 2, 3),
    ],
)
def test_a_part_of_an_hour_counts_as_set(seconds, started, whole, nearest):
    assert round_hours(seconds, "started") == started
    assert round_hours(seconds, "whole") == whole
    assert round_hours(seconds, "nearest") == nearest
    assert round_hours(seconds, "exact") == seconds / HOUR
    with pytest.raises(ValueError):
        round_hours(seconds, "sometimes")


def test_the_reduction_is_015_per_hour_and_never_over_100():
    assert reduction_percent(1) == 0.15
    assert reduction_percent(2.5) == 0.375
    assert reduction_percent(666) == 99.9
    assert reduction_percent(667) == 100.0
    assert reduction_percent(744) == 100.0


def test_rounding_applies_to_the_months_total():
    """Two interruptions each 20 minutes over: 40 minutes in the month, one
    started hour (not two)."""
    spans = [
        span(1, at(D(2026, 3, 3), 9), 4 + 1 / 3),
        span(2, at(D(2026, 3, 10), 9), 4 + 1 / 3, (4, None)),
    ]
    months, _ = month_figures(spans, MSK, at(D(2026, 4, 1)))
    assert months[D(2026, 3, 1)].hours_over("started") == 1
    assert months[D(2026, 3, 1)].hours_over("whole") == 0


# -- telling residents (п. 31 «н») ---------------------------------------------


def test_ten_working_days_ahead_over_the_new_year_holidays():
    """Works starting on Monday 19 January 2026: 16, 15, 14, 13, 12
    January, then 9 to 1 January are days off, 31 December too; 30, 29, 26,
    25, 24 December: announced on 23 December at the latest."""
    start = D(2026, 1, 19)
    assert notice_due_day(CAL, start) == D(2025, 12, 23)
    assert not late_notice(CAL, D(2025, 12, 23), start)
    assert late_notice(CAL, D(2025, 12, 24), start)
    assert late_notice(CAL, start, start)
    assert late_notice(CAL, D(2026, 1, 20), start)


@settings(max_examples=200)
@given(
    start=st.dates(D(2025, 3, 1), D(2027, 11, 30)),
    back=st.integers(0, 60),
)
def test_the_due_day_is_the_last_day_not_late(start, back):
    due = notice_due_day(CAL, start)
    entered = start - datetime.timedelta(days=back)
    assert late_notice(CAL, entered, start) == (entered > due)


# -- properties, against a minute-by-minute count ------------------------------


def brute_force(spans, tz, now):
    """Minute by minute: was the service interrupted; is this minute over
    its interruption's single limit or the month's total (in the
    building's months)."""
    minute = datetime.timedelta(minutes=1)
    moments = []
    for s in spans:
        end = min(s.end or now, now)
        moment = s.start
        while moment < end:
            moments.append(moment)
            moment += minute
    totals, overs, used = {}, {}, {}
    for moment in sorted(set(moments)):
        local = moment.astimezone(tz)
        month = D(local.year, local.month, 1)
        covering = [s for s in spans if s.start <= moment < min(s.end or now, now)]
        single = any(
            s.single_hours is not None
            and moment >= s.start + datetime.timedelta(hours=s.single_hours)
            for s in covering
        )
        monthly = [s.monthly_hours for s in covering if s.monthly_hours is not None]
        over_month = bool(monthly) and used.get(month, 0) >= min(monthly) * 60
        totals[month] = totals.get(month, 0) + 60
        overs[month] = overs.get(month, 0) + 60 * (single or over_month)
        used[month] = used.get(month, 0) + 1
    return totals, overs


LIMITS = st.sampled_from([(4, 8), (2, None), (None, 4), (16, 24), (0, 24), (4, None)])


@st.composite
def outages(draw):
    """Interruptions of one service around a month end, in whole minutes."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    base = at(D(2026, 1, 30), 0, tz=zone)
    limit = draw(LIMITS)
    spans = []
    for key in range(draw(st.integers(1, 4))):
        start = base + datetime.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        length = draw(st.integers(1, 30 * 60))
        running = draw(st.booleans()) and key == 0
        end = None if running else start + datetime.timedelta(minutes=length)
        spans.append(Span(key, start, end, *limit))
    now = base + datetime.timedelta(minutes=draw(st.integers(0, 5 * 24 * 60)))
    return spans, zone, now


@settings(max_examples=150, deadline=None)
@given(case=outages())
def test_figures_agree_with_a_minute_by_minute_count(case):
    spans, zone, now = case
    months, per_span = month_figures(spans, zone, now)
    totals, overs = brute_force(spans, zone, now)
    assert {m: f.seconds_total for m, f in months.items()} == totals
    assert {m: f.seconds_over for m, f in months.items()} == overs
    for figures in months.values():
        assert 0 <= figures.seconds_over <= figures.seconds_total
    for s in spans:
        # An interruption never over its limits has no moment over them.
        if per_span[s.key].seconds_over == 0:
            assert per_span[s.key].over_at is None


@settings(max_examples=100, deadline=None)
@given(case=outages())
def test_zones_move_hours_between_months_never_lose_them(case):
    spans, _zone, now = case
    totals = set()
    for zone in ("Europe/Kaliningrad", "Asia/Kamchatka"):
        months, _ = month_figures(spans, ZoneInfo(zone), now)
        totals.add(sum(f.seconds_total for f in months.values()))
    assert len(totals) == 1


@settings(max_examples=100, deadline=None)
@given(case=outages(), more=st.integers(1, 10 * 60))
def test_a_longer_interruption_is_never_less_over(case, more):
    spans, zone, _now = case
    now = at(D(2026, 3, 1), tz=zone)
    ended = [
        Span(s.key, s.start, s.end or now, s.single_hours, s.monthly_hours)
        for s in spans
    ]
    longer = [
        Span(
            s.key,
            s.start,
            s.end + datetime.timedelta(minutes=more) if s.key == 0 else s.end,
            s.single_hours,
            s.monthly_hours,
        )
        for s in ended
    ]
    before, _ = month_figures(ended, zone, now)
    after, _ = month_figures(longer, zone, now)
    assert sum(f.seconds_over for f in after.values()) >= sum(
        f.seconds_over for f in before.values()
    )


@settings(max_examples=200)
@given(seconds=st.integers(0, 800 * HOUR))
def test_roundings_order(seconds):
    exact = round_hours(seconds, "exact")
    assert round_hours(seconds, "whole") <= exact <= round_hours(seconds, "started")
    assert abs(round_hours(seconds, "nearest") - exact) <= 0.5
    for a, b in itertools.pairwise(("whole", "nearest", "started")):
        assert reduction_percent(round_hours(seconds, a)) <= reduction_percent(
            round_hours(seconds, b)
        )
