"""Time as the business counts it: working days of mainland China's calendar.

A deadline may count calendar hours or days, or working days (and working hours
when the desk keeps office hours, e.g. 09:00–18:00). Which days are working days
comes from the statutory holidays and their 调休 make-up working days as the
``holidays`` library (python-holidays, kept up to date every year) knows them,
then from the admin's overrides in the configuration: the next year's schedule
is published each November, before the library has it, and a branch may close
for a day of its own.

Counting (one rule for days and hours): the clock runs only inside working time —
the whole of a working day, or its office hours when they are set. ``N`` working
days are ``N`` such days' worth of working time: received on a working day at
10:00, 3 working days end at 10:00 on the third working day after; received on a
holiday or a weekend, the clock starts on the next working day and ends with the
third working day counted from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

UNITS = ("hours", "days", "working_days", "working_hours")
Unit = Literal["hours", "days", "working_days", "working_hours"]
UNIT_LABELS = {"hours": "小时", "days": "天", "working_days": "个工作日", "working_hours": "个工作小时"}

#: The weekdays that are not working days unless the calendar says so (Sat, Sun).
WEEKEND = (5, 6)
#: How far a count may look ahead before it gives up (a calendar with no working day).
MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class Day:
    """One day as the desk counts it."""

    date: date
    working: bool
    name: str = ""  # 国庆节, 调休上班, 周末, or the admin's own name for an override


@dataclass(frozen=True)
class OfficeHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        """``09:00-18:00`` (or with ``–``/``~``/``至``)."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*(?:-|–|~|至)\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError(f"办公时间应写成 09:00-18:00，而不是 {text!r}")
        h1, m1, h2, m2 = map(int, match.groups())
        if not (0 <= h1 < 24 and 0 <= m1 < 60 and 0 <= h2 <= 24 and 0 <= m2 < 60) or \
                (h2 == 24 and m2):
            raise ValueError(f"办公时间 {text!r} 不是有效的时刻")
        start = time(h1, m1)
        end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"办公时间 {text!r} 的结束应晚于开始")
        return cls(start, end)

    @property
    def length(self) -> timedelta:
        return _at(date.min, self.end) - _at(date.min, self.start)

    def label(self) -> str:
        end = "24:00" if self.end == time(23, 59, 59, 999999) else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


def _at(day: date, moment: time, tzinfo=None) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, moment, tzinfo=tzinfo)


@dataclass
class WorkCalendar:
    """Which days are working days, and time counted in working time.

    ``country`` names the statutory calendar (``"CN"``; ``""`` for weekends only);
    ``overrides`` maps a date to the admin's (working, name), which wins over the
    library; ``hours`` the office hours, if the desk keeps them.
    """

    country: str = "CN"
    overrides: Mapping[date, tuple[bool, str]] = field(default_factory=dict)
    hours: OfficeHours | None = None

    def __post_init__(self) -> None:
        self._years: dict[int, tuple[dict[date, str], frozenset[date]]] = {}
        self._days: dict[date, Day] = {}
        self._targets: dict[tuple[date, int], tuple[date, bool]] = {}

    def __getstate__(self) -> dict:
        # What it was made of, not what it has looked up (the demo sends it to a
        # second process).
        return {"country": self.country, "overrides": dict(self.overrides), "hours": self.hours}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    # ------------------------------------------------------------ days
    def _year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        known = self._years.get(year)
        if known is None:
            if self.country:
                import holidays  # 60 ms: only when a working day is first counted

                calendar = holidays.country_holidays(self.country, years=year, language="zh_CN")
                names = {d: str(n) for d, n in calendar.items()}
                workdays = frozenset(d for d in getattr(calendar, "weekend_workdays", ()) or ()
                                     if d.year == year)  # it lists every year it knows
            else:
                names, workdays = {}, frozenset()
            known = self._years[year] = (names, workdays)
        return known

    def _compute_day(self, when: date) -> Day:
        override = self.overrides.get(when)
        if override is not None:
            return Day(when, override[0], override[1])
        names, workdays = self._year(when.year)
        if when in workdays:
            return Day(when, True, "调休上班")
        if when in names:
            return Day(when, False, names[when])
        if when.weekday() in WEEKEND:
            return Day(when, False, "周末")
        return Day(when, True, "")

    def day(self, when: date) -> Day:
        known = self._days.get(when)
        if known is None:
            known = self._days[when] = self._compute_day(when)
        return known

    def month(self, year: int, month: int) -> list[Day]:
        first = date(year, month, 1)
        days = []
        while first.month == month:
            days.append(self.day(first))
            first += timedelta(days=1)
        return days

    def knows(self, year: int) -> bool:
        """Whether the year's official schedule is known: the library works out the
        statutory holidays of any year by rule, but the 调休 make-up working days
        only once the State Council has published them (each November), so a year
        without any is not known yet — unless the admin's overrides give it."""
        if not self.country:
            return True
        _, workdays = self._year(year)
        return bool(workdays) or any(d.year == year for d in self.overrides)

    # ------------------------------------------------------------ counting
    def _window(self, day: date, tzinfo) -> tuple[datetime, datetime] | None:  # type: ignore[no-untyped-def]
        """The working time of ``day`` as [start, end), None on a day off."""
        if not self.day(day).working:
            return None
        if self.hours is None:
            return _at(day, time(0), tzinfo), _at(day + timedelta(days=1), time(0), tzinfo)
        return _at(day, self.hours.start, tzinfo), _at(day, self.hours.end, tzinfo)

    @property
    def day_length(self) -> timedelta:
        return self.hours.length if self.hours else timedelta(days=1)

    def add(self, start: datetime, amount: float, unit: Unit) -> datetime:
        """``start`` plus ``amount`` of ``unit``: calendar units as the wall clock
        counts them, working units in working time only (see the module's text)."""
        if unit == "hours":
            return start + timedelta(hours=amount)
        if unit == "days":
            return start + timedelta(days=amount)
        if unit == "working_days" and self.hours is None and float(amount).is_integer() \
                and amount > 0 and start.time() != time(0):  # (at 00:00 the day counts whole)
            return self._whole_days(start, int(amount))
        work = self.day_length * amount if unit == "working_days" else timedelta(hours=amount)
        return self.add_working_time(start, work)

    def _whole_days(self, start: datetime, n: int) -> datetime:
        """``add_working_time(start, n days)`` without office hours, by dates: the same
        time on the n-th working day after a working day; the end of the n-th working
        day counted from the next one after a day off. Cached by (date, n): the demo
        counts a million deadlines."""
        key = (start.date(), n)
        target = self._targets.get(key)
        if target is None:
            day, counted = start.date(), 0
            working = self.day(day).working
            # After a working day the next working day is the first of the n; after
            # a day off, the first working day ahead is too (counted whole).
            for _ in range(MAX_DAYS_AHEAD):
                day += timedelta(days=1)
                if self.day(day).working:
                    counted += 1
                    if counted == n:
                        break
            else:
                raise ValueError("工作日历在十年内没有工作日：请检查 [calendar] 配置")
            target = self._targets[key] = (day, working)
        day, working = target
        if working:
            return start.replace(year=day.year, month=day.month, day=day.day)
        return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=start.tzinfo)

    def add_working_time(self, start: datetime, work: timedelta) -> datetime:
        """The moment ``work`` of working time after ``start`` has run (wall clock of
        ``start``'s zone). The end of a working day is its last moment, so a deadline
        that runs to the day's end reads 23:59 (or the end of office hours), never
        the next day's 00:00."""
        tzinfo = start.tzinfo
        local = start.replace(tzinfo=None)
        day = local.date()
        left = work
        for _ in range(MAX_DAYS_AHEAD):
            window = self._window(day, None)
            if window is not None:
                begin, end = window
                begin = max(begin, local)
                if begin < end:
                    available = end - begin
                    if left <= available:
                        moment = begin + left
                        if moment == end and end.time() == time(0):  # the day's last moment
                            moment -= timedelta(microseconds=1)
                        return moment.replace(tzinfo=tzinfo)
                    left -= available
            day += timedelta(days=1)
        raise ValueError("工作日历在十年内没有工作日：请检查 [calendar] 配置")

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working time from ``start`` to ``end`` in working days (negative when
        ``end`` is earlier): for "剩 3 个工作日"."""
        if end < start:
            return -self.working_days_between(end, start)
        tzinfo = start.tzinfo
        a = start.replace(tzinfo=None)
        b = end.astimezone(tzinfo).replace(tzinfo=None) if tzinfo else end
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            window = self._window(day, None)
            if window is not None:
                lo, hi = max(window[0], a), min(window[1], b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total / self.day_length


@dataclass(frozen=True)
class Span:
    """A time limit as the configuration gives it: ``7 working_days``, ``48 hours``.

    ``moment + span`` works as with a timedelta (a working span counts on its
    calendar), so the use-cases add limits the one way whatever they count."""

    amount: float
    unit: Unit
    calendar: WorkCalendar | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")

    @property
    def working(self) -> bool:
        return self.unit in ("working_days", "working_hours")

    def __radd__(self, start: datetime) -> datetime:
        if not isinstance(start, datetime):
            return NotImplemented
        if self.working:
            return (self.calendar or default_calendar()).add(start, self.amount, self.unit)
        return start + self.length()

    def length(self) -> timedelta:
        """The calendar length of a calendar span (a working one has none)."""
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        if self.unit == "days":
            return timedelta(days=self.amount)
        raise ValueError("a working span has no fixed length")

    def label(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        sep = "" if self.unit in ("working_days", "working_hours") else " "
        return f"{amount}{sep}{UNIT_LABELS[self.unit]}"


_DEFAULT: WorkCalendar | None = None


def default_calendar() -> WorkCalendar:
    """Mainland China's statutory calendar, no overrides, whole days."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = WorkCalendar()
    return _DEFAULT


def parse_overrides(rows: Iterable[object], where: str = "calendar.days"
                    ) -> dict[date, tuple[bool, str]]:
    """``[[calendar.days]]`` rows (``date``, ``working``, ``name``) as overrides.

    Raises:
        ValueError: a row's problem, in words for the admin.
    """
    out: dict[date, tuple[bool, str]] = {}
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValueError(f"{where} 第 {index} 项应是一个表（date、working、name）")
        raw = row.get("date")
        if isinstance(raw, datetime):
            raw = raw.date()
        if isinstance(raw, str):
            try:
                raw = date.fromisoformat(raw.strip())
            except ValueError:
                raw = None
        if not isinstance(raw, date):
            raise ValueError(f"{where} 第 {index} 项的 date 应是日期，如 2027-01-01")
        working = row.get("working")
        if not isinstance(working, bool):
            raise ValueError(f"{where} 第 {index} 项（{raw}）的 working 应是 true 或 false")
        name = row.get("name", "")
        if not isinstance(name, str):
            raise ValueError(f"{where} 第 {index} 项（{raw}）的 name 应是文字")
        if raw in out:
            raise ValueError(f"{where} 中 {raw} 出现了两次")
        out[raw] = (working, name.strip() or ("调休上班" if working else "休息日"))
    return out


__all__ = ["Day", "OfficeHours", "Span", "UNITS", "UNIT_LABELS", "WorkCalendar",
           "default_calendar", "parse_overrides"]
