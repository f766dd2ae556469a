"""Time left to a deadline, described the same way on every screen and in the CLI."""

from __future__ import annotations

from datetime import datetime

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


def describe_due(due: datetime, now: datetime) -> str:
    """``2026-11-24 10:00（剩余 5小时10分）`` in ``due``'s own time zone."""
    return f"{due.strftime(TIME_FORMAT)}（{time_left(due, now)}）"


def deadline_state(start: datetime, due: datetime, now: datetime, at_risk_fraction: float) -> str:
    """``"overdue"`` past the deadline, ``"at-risk"`` once ``at_risk_fraction`` of the
    time from ``start`` to ``due`` is used, else ``""``."""
    if now >= due:
        return "overdue"
    total = (due - start).total_seconds()
    if total <= 0 or (now - start).total_seconds() >= at_risk_fraction * total:
        return "at-risk"
    return ""
