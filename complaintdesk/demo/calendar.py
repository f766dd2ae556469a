"""Demo data: adding the desk's time limits on the desk's calendar, fast.

The core adds a limit to an aware local time (``desk.now() + limit``), which keeps
the wall clock across a clock change. The demo keeps its times as naive UTC and
adds limits a few million times: converting to the zone and back each time would
cost seconds, and the shift is the plain length of the limit unless the zone's
offset changes in reach. So the shift is kept per (limit, UTC day) and worked out
exactly only on the few days where a clock change is in reach.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from complaintdesk.domain.workdays import Span

_DAY = timedelta(days=1)
_UNKNOWN = timedelta(microseconds=-1)  # not worked out yet (no limit is negative)


def fixed_length(delta: relativedelta | Span) -> timedelta | None:
    """The timedelta that ``delta`` adds to an aware datetime, if it is one
    (days, hours… but no months, years or absolute fields, no working days)."""
    if isinstance(delta, Span):
        return None if delta.working else delta.length()
    if delta.years or delta.months or delta.leapdays or delta.weekday is not None or any(
            getattr(delta, name) is not None
            for name in ("year", "month", "day", "hour", "minute", "second", "microsecond")):
        return None
    return timedelta(days=delta.days, hours=delta.hours, minutes=delta.minutes,
                     seconds=delta.seconds, microseconds=delta.microseconds)


class Calendar:
    """``plus(at, limit)``: naive UTC ``at`` plus ``limit`` on the desk's wall clock,
    as naive UTC — what ``(local(at) + limit)`` stored as UTC gives."""

    def __init__(self, zone: tzinfo):
        self.zone = zone
        self._lengths: dict[int, tuple[relativedelta, timedelta | None]] = {}
        self._shift: dict[tuple[int, date], timedelta | None] = {}

    def _offset(self, at: datetime) -> timedelta | None:
        return at.replace(tzinfo=UTC).astimezone(self.zone).utcoffset()

    def exact(self, at: datetime, delta: relativedelta | timedelta | Span) -> datetime:
        local = at.replace(tzinfo=UTC).astimezone(self.zone)
        return (local + delta).astimezone(UTC).replace(tzinfo=None)

    def plus(self, at: datetime, delta: relativedelta | Span) -> datetime:
        key = id(delta)
        known = self._lengths.get(key)
        if known is None or known[0] is not delta:
            known = self._lengths[key] = (delta, fixed_length(delta))
        length = known[1]
        if length is None:
            return self.exact(at, delta)
        day = at.date()
        shift = self._shift.get((key, day), _UNKNOWN)
        if shift is _UNKNOWN:
            # The same offset at both ends of [day, day + 1 day + limit]: no clock change
            # in reach (real zones change their clocks months apart), the shift is the length.
            start = datetime(day.year, day.month, day.day)
            same = self._offset(start) == self._offset(start + _DAY + length)
            shift = self._shift[(key, day)] = length if same else None
        return self.exact(at, length) if shift is None else at + shift


__all__ = ["Calendar", "fixed_length"]
