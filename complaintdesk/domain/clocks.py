"""The four clocks of a complaint (process.md §2, §4, §6, §7), each with its early
warning, and the pause of the handling clock while the desk waits on the customer.

- 首次响应 first response: from receiving until the responsibility is judged;
- 部门调查 investigation: from dispatch until the department records its findings
  (the deadline is set at dispatch and shown to the department);
- 处理期限 handling: the deadline promised to the customer, until the customer
  accepts the outcome;
- 回访 revisit: from the accepted outcome until the call-back.

A **pause** (reason required, audited; the workflow's 暂停计时/恢复计时) stops the
handling and investigation clocks. Resumed — by hand, or by the customer's next
contact — their deadlines move on by the working time (or, for a limit counted on
the clock, the calendar time) the pause took, and the pause's calendar minutes are
added to ``paused_minutes``, which the 统计表 reports and leaves out of the
handling time. Everything here reads and writes a *row* (``effects.Row``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from complaintdesk.domain.enums import Status
from complaintdesk.domain.timing import deadline_state
from complaintdesk.domain.workdays import Span, WorkCalendar

if TYPE_CHECKING:
    from complaintdesk.domain.config import DeskConfig

#: Where a pause may start: from the acceptance of the responsibility until the
#: customer's answer (the revisit has its own 无法联系 rule).
PAUSABLE = frozenset({Status.ACCEPTED, Status.INVESTIGATING, Status.DRAFTING,
                      Status.PENDING_APPROVAL, Status.RETURNED, Status.APPROVED,
                      Status.INFORMED, Status.SECOND_ROUND})

CLOCK_LABELS = {"first_response": "首次响应", "investigation": "部门调查",
                "handling": "处理期限", "revisit": "回访"}


@dataclass(frozen=True)
class Clock:
    """One running clock: what it is, when it started and runs out."""

    kind: str          # a CLOCK_LABELS key
    start: datetime
    due: datetime
    paused: bool = False

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.kind]

    def state(self, now: datetime, at_risk_fraction: float) -> str:
        """``"paused"``, ``"overdue"``, ``"at-risk"`` or ``""`` (see timing.deadline_state)."""
        if self.paused:
            return "paused"
        return deadline_state(self.start, self.due, now, at_risk_fraction)


def _get(c: Any, name: str) -> Any:
    """A column that rows made before it existed (the demo's) may lack."""
    try:
        return c[name]
    except (KeyError, AttributeError):
        return None


def clocks(c: Mapping[str, Any]) -> list[Clock]:
    """The clocks running on a complaint now, the nearest-ending first."""
    status = Status(c["status"])
    if c["closed"] or status is Status.CLOSED:
        return []
    paused = _get(c, "paused_at") is not None
    out: list[Clock] = []
    if status is Status.REVISIT:
        if c["revisit_due"] is not None:
            out.append(Clock("revisit", c["resolved_at"] or c["received_at"], c["revisit_due"]))
        return out
    if c["first_response_at"] is None or status is Status.REGISTERED:
        due, start = first_response(c)
        out.append(Clock("first_response", start, due))
        return out
    if status is Status.INVESTIGATING and _get(c, "investigation_due") is not None:
        out.append(Clock("investigation", _get(c, "dispatched_at") or c["received_at"],
                         c["investigation_due"], paused))
    # The pauses' time is left out of the handling clock's amber share as of its deadline.
    out.append(Clock("handling", handling_start(c["received_at"], _get(c, "paused_minutes")),
                     c["handling_due"] or c["resolution_due"], paused))
    out.sort(key=lambda clock: clock.due)
    return out


def first_response(c: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """The first-response clock's deadline and start. Judged again after a revisit
    (回访不满意，重新判定责任) the clock runs anew: its deadline is the queue's
    (``due_at``), as long as the registration's, counted back from it."""
    if c["first_response_at"] is not None and _get(c, "due_at") is not None:
        return c["due_at"], _anew(c["due_at"], c["first_response_due"], c["received_at"])
    return c["first_response_due"], c["received_at"]


def _anew(due: datetime, first_response_due: datetime, received_at: datetime) -> datetime:
    """The start of a first-response clock run anew to ``due``: as long as the first."""
    return due - (first_response_due - received_at)


def clock_state(row: Any, now: datetime, at_risk_fraction: float) -> str:
    """The state of the clock a queue row counts down (``QueueRow``): ``"paused"``
    while the desk waits on the customer, else amber/red as ``deadline_state``."""
    if row.paused_at is not None:
        return "paused"
    return deadline_state(clock_start(row), row.due_at, now, at_risk_fraction)


def queue_due(c: Mapping[str, Any]) -> datetime | None:
    """The deadline the queue sorts and counts down by: the nearest running clock's."""
    running = clocks(c)
    return running[0].due if running else None


def handling_start(received_at: datetime, paused_minutes: int | None) -> datetime:
    """Where the handling clock's share counts from: receiving, moved on by the pauses."""
    return received_at + timedelta(minutes=paused_minutes or 0)


def clock_start(row: Any) -> datetime:
    """When the clock a queue row counts down (``due_at``) started: for its amber share
    (the row: ``QueueRow``, with the same times as ``clocks`` reads)."""
    if row.status == Status.INVESTIGATING.value and row.dispatched_at is not None:
        return row.dispatched_at
    if row.status == Status.REVISIT.value and row.resolved_at is not None:
        return row.resolved_at
    if row.status == Status.REGISTERED.value:
        if row.first_response_at is not None and row.first_response_due is not None:
            return _anew(row.due_at, row.first_response_due, row.received_at)
        return row.received_at
    return handling_start(row.received_at, row.paused_minutes)


def moved_on(due: datetime, start: datetime, end: datetime, limit: Span,
             calendar: WorkCalendar) -> datetime:
    """``due`` moved on by the pause from ``start`` to ``end``: by the working time
    the pause took when ``limit`` counts working time, else by its calendar length."""
    if not limit.working:
        return due + (end - start)
    lost = calendar.working_days_between(start, end) * calendar.day_length
    return calendar.add_working_time(due, lost) if lost else due


def _same_zone(moment: datetime, like: datetime) -> datetime:
    """``moment`` on ``like``'s wall clock (working days are the desk's local days)."""
    if moment.tzinfo is not None and like.tzinfo is not None:
        return moment.astimezone(like.tzinfo)
    return moment


def paused(c: Any, *, reason: str, at: datetime) -> dict[str, Any]:
    """The handling clock stops at ``at`` (the row's ``paused_at``)."""
    c["paused_at"], c["pause_reason"] = at, reason
    return {"reason": reason}


def resumed(c: Any, *, at: datetime, limit: Span, calendar: WorkCalendar, how: str,
            investigation: Span | None = None) -> dict[str, Any]:
    """The clocks run again: the handling and investigation deadlines move on by the
    pause (the investigation's by the part after its dispatch, in its own limit's
    unit), and its minutes are kept for the 统计表. ``how``: by hand, or the
    customer's next contact (in words, for the audit). A clock set back before the
    pause began moves nothing."""
    start = _same_zone(c["paused_at"], at)
    at = max(at, start)
    minutes = int((at - start).total_seconds()) // 60
    detail: dict[str, Any] = {"how": how, "paused_minutes": minutes,
                              "reason": c["pause_reason"]}
    for name in ("handling_due", "resolution_due"):
        if c[name] is not None:
            c[name] = moved_on(_same_zone(c[name], at), start, at, limit, calendar)
            detail[name] = c[name].isoformat()
    if _get(c, "investigation_due") is not None:
        dispatched = _get(c, "dispatched_at")
        since = max(start, _same_zone(dispatched, at)) if dispatched is not None else start
        c["investigation_due"] = moved_on(_same_zone(c["investigation_due"], at), since,
                                          max(at, since), investigation or limit, calendar)
        detail["investigation_due"] = c["investigation_due"].isoformat()
    c["paused_at"], c["pause_reason"] = None, None
    c["paused_minutes"] = (c["paused_minutes"] or 0) + minutes
    c["due_at"] = queue_due(c)
    return detail


def resumed_on(c: Any, *, at: datetime, config: "DeskConfig", how: str) -> dict[str, Any]:
    """``resumed`` as the desk counts: by the priority's limits' units."""
    from complaintdesk.domain.enums import Priority

    limits = config.limits[Priority(c["priority"])]
    return resumed(c, at=at, limit=limits.resolution, calendar=config.calendar, how=how,
                   investigation=limits.investigation)


BY_HAND = "手动恢复"
BY_CONTACT = "客户再次联系"

__all__ = ["BY_CONTACT", "BY_HAND", "CLOCK_LABELS", "Clock", "PAUSABLE", "clock_start",
           "clock_state", "clocks", "first_response", "handling_start", "moved_on", "paused",
           "queue_due", "resumed", "resumed_on"]
