"""Time left to a deadline, described the same way on every screen and in the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta

TIME_FORMAT = "%Y-%m-%d %H:%M"


def span(minutes: int) -> str:
    """``2天3小时``, ``5小时10分``, ``40分``."""
    days, rest = divmod(max(minutes, 0), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分"


def minutes_left(due: datetime, now: datetime) -> int:
    return int((due - now).total_seconds() // 60)


def time_left(due: datetime, now: datetime) -> str:
    """``剩余 5小时10分`` or ``超时 2天3小时`` (from the deadline itself on, as
    ``deadline_state`` counts it overdue)."""
    if now >= due:
        return f"超时 {span(-minutes_left(due, now))}"
    return f"剩余 {span(minutes_left(due, now))}"


def describe_due(due: datetime, now: datetime, working_days: float | None = None) -> str:
    """``2026-11-24 10:00（剩余 5小时10分）`` in ``due``'s own time zone; with
    ``working_days`` (the working time left, for a deadline counted in working
    days) ``（剩余 4个工作日3小时，日历时间 6天3小时）``."""
    if working_days is None or now >= due:
        return f"{due.strftime(TIME_FORMAT)}（{time_left(due, now)}）"
    whole = int(working_days)
    hours = int(round((working_days - whole) * 24))
    if hours == 24:
        whole, hours = whole + 1, 0
    left = (f"{whole}个工作日" if whole else "") + (f"{hours}小时" if hours or not whole else "")
    return f"{due.strftime(TIME_FORMAT)}（剩余 {left}，日历时间 {span(minutes_left(due, now))}）"


def at_risk_from(start: datetime, due: datetime, at_risk_fraction: float) -> datetime:
    """The moment a clock from ``start`` to ``due`` turns amber: once
    ``at_risk_fraction`` of its time is used (at once, if it has no time)."""
    return start + max(due - start, timedelta(0)) * at_risk_fraction


def deadline_state(start: datetime, due: datetime, now: datetime, at_risk_fraction: float) -> str:
    """``"overdue"`` past the deadline, ``"at-risk"`` from ``at_risk_from`` (a clock
    with no time at all is at risk until it is overdue), else ``""``."""
    if now >= due:
        return "overdue"
    if due <= start or now >= at_risk_from(start, due, at_risk_fraction):
        return "at-risk"
    return ""
