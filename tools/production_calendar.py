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

import holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
# holidays names the decree transfers "Day off (substituted from ...)": they
# are days off, not public holidays (no shortened day before them).
TRANSFER_PREFIX = "Day off"


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
        flags = bytearray(
            0 if (base_weekday + i) % 7 in weekend else 1 for i in range(size)
        )
        for day in days_off:
            if self.base <= day < self.end:
                flags[(day - self.base).days] = 0
        for day in working_days:
            if self.base <= day < self.end:
                flags[(day - self.base).days] = 1
        self._flags = bytes(flags)
        # _cum[i]: working days in [base, base + i)
        self._cum = list(itertools.accumulate(flags, initial=0))
        # _working[k]: index of the k-th working day
        self._working = [i for i, flag in enumerate(flags) if flag]
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
        removed = set(removed_days_off)
        days_off = (set(source) | set(extra_days_off)) - removed
        working = (set(source.weekend_workdays) | set(extra_working_days)) - days_off
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
        if not self._in_range(day):
            raise CalendarRangeError(
                f"{day} is outside the production calendar "
                f"{self.first_year}-{self.last_year}"
            )
        return (day - self.base).days

    def _day(self, index):
        if index >= len(self._flags):
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
        rank = self._cum[index] if inclusive else self._cum[index + 1]
        if rank >= len(self._working):
            raise CalendarRangeError(f"No working day after {day} in the calendar")
        return self._day(self._working[rank])

    def add_working_days(self, day, count):
        """The ``count``-th working day after ``day`` (``day`` not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        rank = self._cum[self._index(day) + 1] + count - 1
        if rank >= len(self._working):
            raise CalendarRangeError(
                f"{count} working days after {day} go beyond the calendar"
            )
        return self._day(self._working[rank])

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
