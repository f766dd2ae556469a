"""Pausing the handling clock while the desk waits on the customer (missing
papers, unreachable): a reason is required and audited; the clock runs again by
hand or at the customer's next contact (their answer to the plan, or a new
complaint registered from the same contact). See domain/clocks.py for what a
pause does to the deadlines and to the 统计表.
"""

from __future__ import annotations

from sqlmodel import Session

from complaintdesk.domain import clocks
from complaintdesk.domain.enums import Action, Role
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.errors import PermissionDenied, ValidationFailed
from complaintdesk.domain.validation import cleaned_reason
from complaintdesk.process.desk import Desk
from complaintdesk.process.workflow import Outcome, act
from complaintdesk.store.models import Complaint, Staff

BY_HAND, BY_CONTACT = clocks.BY_HAND, clocks.BY_CONTACT


def pause(desk: Desk, actor: str, number: str, *, reason: str,
          expected_version: int | None = None) -> Outcome:
    """Stop the handling (and investigation) clock until the customer is back."""
    errors: dict[str, str] = {}
    text = cleaned_reason(reason, "暂停原因", "等待客户补交购货凭证", errors)
    if errors:
        raise ValidationFailed(errors)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        _own_department(c, staff, "暂停计时")
        now = desk.now()
        late = [clock.label for clock in clocks.clocks(as_row(c))
                if clock.state(now, desk.config.at_risk_fraction) == "overdue"]
        if late:  # a pause stops a clock; it does not undo lateness
            raise PermissionDenied(f"{c.number}：{'、'.join(late)}已过，不能暂停计时"
                                   "（超时不能用暂停抹去）")
        return clocks.paused(as_row(c), reason=text, at=now)

    return act(desk, actor, number, Action.PAUSE, expected_version, apply)


def _own_department(c: Complaint, staff: Staff, what: str) -> None:
    """A handler pauses and resumes only the complaints of their own department."""
    if staff.role == Role.HANDLER.value and staff.department != c.department:
        raise PermissionDenied(f"{c.number}：只有责任部门的处理专员可以{what}")


def resume(desk: Desk, actor: str, number: str, *, how: str = BY_HAND,
           expected_version: int | None = None) -> Outcome:
    """Run the clocks again; the deadlines move on by the pause."""

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        _own_department(c, staff, "恢复计时")
        return resumed(desk, c, how)

    return act(desk, actor, number, Action.RESUME, expected_version, apply)


def resumed(desk: Desk, c: Complaint, how: str) -> dict:
    """The effect of resuming ``c`` now."""
    return clocks.resumed_on(as_row(c), at=desk.now(), config=desk.config, how=how)


__all__ = ["BY_CONTACT", "BY_HAND", "pause", "resume"]
