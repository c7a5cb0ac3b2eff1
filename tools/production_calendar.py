"""The Russian production calendar (производственный календарь), for arithmetic.

Which days are working days: Monday to Friday, minus public holidays and the
days off moved by decree, plus the weekend days a decree makes working
(2025-11-01, 2027-02-20, ...). Shortened pre-holiday days are working days
one hour shorter (Labour Code art. 95).

The calendar is precomputed over a span of years: a day flag array and its
prefix sums answer "the n-th working day after d" or "working days between"
with one bisection, without looping over days.
"""

import bisect
import datetime
import itertools
import operator
from operator import itemgetter

import holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
# holidays names the decree transfers "Day off (substituted from ...)": they
# are days off, not public holidays (no shortened day before them).
TRANSFER_PREFIX = "Day off"


def _steps(first, step, count):
    """``[first, first + step, ...]``, ``count`` items, added in C."""
    return list(
        itertools.accumulate(
            itertools.repeat(step, count - 1), operator.add, initial=first
        )
    )


class CalendarRangeError(ValueError):
    """A date outside the years the calendar was built for."""


class ProductionCalendar:
    def __init__(
        self,
        first_year,
        last_year,
        *,
        days_off=(),
        working_days=(),
        shortened_days=(),
        weekend=WEEKEND,
    ):
        if last_year < first_year:
            raise ValueError("last_year before first_year")
        self.first_year, self.last_year = first_year, last_year
        self.base = datetime.date(first_year, 1, 1)
        self.end = datetime.date(last_year + 1, 1, 1)
        size = (self.end - self.base).days
        base_weekday = self.base.weekday()
        # One week of flags repeated: building a year is C work, not a loop.
        week = bytes(0 if (base_weekday + i) % 7 in weekend else 1 for i in range(7))
        flags = bytearray((week * (size // 7 + 1))[:size])
        for day in days_off:
            if self.base <= day < self.end:
                flags[(day - self.base).days] = 0
        for day in working_days:
            if self.base <= day < self.end:
                flags[(day - self.base).days] = 1
        self._flags = bytes(flags)
        self._base_ordinal = self.base.toordinal()
        self._size = size
        self._midnights = {}
        self._day_tables = {}
        self._end_days = {}
        # _cum[i]: working days in [base, base + i)
        self._cum = list(itertools.accumulate(flags, initial=0))
        # _working[k]: index of the k-th working day
        self._working = list(itertools.compress(range(size), flags))
        self.shortened_days = frozenset(
            d
            for d in shortened_days
            if self.base <= d < self.end and self.is_working(d)
        )

    # -- construction ------------------------------------------------------

    @classmethod
    def russia(
        cls,
        first_year,
        last_year,
        *,
        extra_days_off=(),
        extra_working_days=(),
        extra_shortened_days=(),
        removed_days_off=(),
        subdiv=None,
    ):
        """Federal calendar from the ``holidays`` package, with corrections
        (a new decree, a regional day off) given as dates."""
        years = range(first_year, last_year + 1)
        source = holidays.country_holidays("RU", years=years, subdiv=subdiv)
        # What the caller says (a decree, a region) wins over the package.
        removed = set(removed_days_off) | set(extra_working_days)
        days_off = (set(source) | set(extra_days_off)) - removed
        working = (set(source.weekend_workdays) - set(extra_days_off)) | set(
            extra_working_days
        )
        public = {
            day
            for day, name in source.items()
            if not name.startswith(TRANSFER_PREFIX) and day not in removed
        }
        calendar = cls(first_year, last_year, days_off=days_off, working_days=working)
        shortened = {
            day - datetime.timedelta(days=1)
            for day in public
            if calendar._in_range(day - datetime.timedelta(days=1))
        }
        calendar.shortened_days = frozenset(
            d for d in shortened | set(extra_shortened_days) if calendar.is_working(d)
        )
        return calendar

    # -- queries -----------------------------------------------------------

    def _in_range(self, day):
        return self.base <= day < self.end

    def _index(self, day):
        index = day.toordinal() - self._base_ordinal
        if not 0 <= index < self._size:
            raise CalendarRangeError(
                f"{day} is outside the production calendar "
                f"{self.first_year}-{self.last_year}"
            )
        return index

    def _rank_index(self, rank):
        """Index of the working day of this rank (0-based)."""
        if rank >= len(self._working):
            raise CalendarRangeError(
                f"Beyond the production calendar {self.first_year}-{self.last_year}"
            )
        return self._working[rank]

    def next_working_index(self, index):
        """``index`` when it is a working day, else the next working day's."""
        if index >= self._size:
            raise CalendarRangeError(
                f"Beyond the production calendar {self.first_year}-{self.last_year}"
            )
        return self._rank_index(self._cum[index])

    def add_working_index(self, index, count):
        """Index of the ``count``-th working day after day ``index``."""
        return self._rank_index(self._cum[index + 1] + count - 1)

    def midnights(self, tz):
        """UTC instants of local midnight starting each day, for ``tz``
        (one more than the days: 24:00 of the last day)."""
        key = str(tz)
        table = self._midnights.get(key)
        if table is None:
            utc = datetime.timezone.utc
            one_day = datetime.timedelta(days=1)
            first = datetime.datetime.combine(self.base, datetime.time.min)
            # Russian zones have had no daylight saving since 2014: when the
            # offset is the same at every month start, every midnight is the
            # first one plus whole days; otherwise ask the zone day by day.
            months = [
                datetime.datetime(year, month, 1)
                for year in range(self.first_year, self.last_year + 1)
                for month in range(1, 13)
            ] + [datetime.datetime.combine(self.end, datetime.time.min)]
            offsets = {tz.utcoffset(moment) for moment in months}
            if len(offsets) == 1:
                start = (first - offsets.pop()).replace(tzinfo=utc)
                table = _steps(start, one_day, self._size + 1)
            else:
                table = []
                local = first
                for _index in range(self._size + 1):
                    table.append((local - tz.utcoffset(local)).replace(tzinfo=utc))
                    local += one_day
            self._midnights[key] = table
        return table

    def _day(self, index):
        if index >= self._size:
            raise CalendarRangeError(
                f"Beyond the production calendar {self.first_year}-{self.last_year}"
            )
        return self.base + datetime.timedelta(days=index)

    def is_working(self, day):
        return bool(self._flags[self._index(day)])

    def is_shortened(self, day):
        return day in self.shortened_days

    def next_working_day(self, day, inclusive=True):
        """``day`` itself when working (and ``inclusive``), else the next one."""
        index = self._index(day)
        return self._day(self.next_working_index(index if inclusive else index + 1))

    def add_working_days(self, day, count):
        """The ``count``-th working day after ``day`` (``day`` not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        return self._day(self.add_working_index(self._index(day), count))

    def working_days_between(self, start, end):
        """Working days in (start, end]."""
        return self._cum[self._index(end) + 1] - self._cum[self._index(start) + 1]

    def days(self, kind):
        """Dates of a kind: ``off`` (weekdays off) or ``working_weekend``."""
        result = []
        for index, flag in enumerate(self._flags):
            day = self.base + datetime.timedelta(days=index)
            weekend = day.weekday() in WEEKEND
            wanted = (not flag and not weekend) if kind == "off" else (flag and weekend)
            if wanted:
                result.append(day)
        return result

    def day_deadlines(self, unit, amount, tz):
        """For a day period (``calendar_days`` or ``working_days``) of
        ``amount``: ``{start date: end (UTC)}`` for every day of the calendar
        whose period ends within it.

        Statutory periods are few (1, 3, 5, 10, 15 days...): one table per
        period and time zone turns every later computation into a lookup.
        Building one is a few C-level passes over the prefix sums (no Python
        loop over days): a cold sweep pays little for its tables.
        """
        key = (unit, amount, str(tz))
        table = self._day_tables.get(key)
        if table is None:
            if len(self._day_tables) > 512:
                self._day_tables.clear()
                self._end_days.clear()
            size = self._size
            last = self._last_days(unit, amount)
            # Periods ending beyond the calendar are the last ones (the last
            # days only grow): leave them out, a lookup then fails like any
            # date outside it.
            last = last[: bisect.bisect_left(last, size)]
            # after[j]: 24:00 of day j.
            after = self.midnights(tz)[1:]
            ends = (
                itemgetter(*last)(after)
                if len(last) > 1
                else tuple(after[i] for i in last)
            )
            if "_dates" not in self.__dict__:
                self._dates = _steps(self.base, datetime.timedelta(days=1), size)
            # ends is shorter when periods end beyond the calendar.
            table = dict(zip(self._dates, ends, strict=False))
            self._day_tables[key] = table
        return table

    def _last_days(self, unit, amount):
        """For every day ``i`` of the calendar, the index of the last day of
        a period of ``amount`` ``unit`` that starts on it (``size`` when the
        period ends beyond the calendar). The same for every time zone."""
        key = (unit, amount)
        last = self._end_days.get(key)
        if last is None:
            size = self._size
            # Sentinels: a rank beyond the calendar points at day ``size``.
            working = self._working + [size] * (amount + 1)
            if unit == "calendar_days":
                # The first working day at or after day i + amount: its rank
                # is the count of working days before it, _cum[i + amount].
                cum = self._cum + [len(self._working)] * amount
                last = itemgetter(*cum[amount : amount + size])(working)
            elif amount:
                # The amount-th working day after day i: rank _cum[i + 1]
                # + amount - 1, i.e. working[amount - 1:] at _cum[i + 1].
                last = itemgetter(*self._cum[1:])(working[amount - 1 :])
            else:
                last = range(size)
            self._end_days[key] = last
        return last

    # -- windows -----------------------------------------------------------

    def window_minutes(
        self, start_minute, end_minute, working_only, shortened_minutes=60
    ):
        """Prefix sums of the minutes a daily window offers, per day.

        ``working_only`` windows open on working days only and close
        ``shortened_minutes`` earlier on shortened days.
        """
        key = (start_minute, end_minute, working_only, shortened_minutes)
        cache = self.__dict__.setdefault("_window_cache", {})
        if key not in cache:
            length = end_minute - start_minute
            per_day = []
            for index, flag in enumerate(self._flags):
                if not working_only:
                    per_day.append(length)
                elif not flag:
                    per_day.append(0)
                elif self.base + datetime.timedelta(days=index) in self.shortened_days:
                    per_day.append(max(0, length - shortened_minutes))
                else:
                    per_day.append(length)
            cache[key] = (per_day, list(itertools.accumulate(per_day, initial=0)))
        return cache[key]

    def bisect_minutes(self, cumulative, target):
        """Index of the day where ``target`` cumulative window minutes fall."""
        index = bisect.bisect_left(cumulative, target) - 1
        if index >= len(self._flags):
            raise CalendarRangeError("The period goes beyond the production calendar")
        return index
