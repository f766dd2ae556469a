"""The 处理单's 部门经理意见, given by the department's manager, and the sheets waiting
for each approver (domain/approvals.py holds the rules; workflow.approve_plan the
approval itself)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from complaintdesk.domain import approvals, effects
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.enums import Action, Role, SheetState, Status
from complaintdesk.domain.errors import NotFound, PermissionDenied, ValidationFailed
from complaintdesk.domain.text import clean_text
from complaintdesk.process.desk import Desk
from complaintdesk.process.workflow import Outcome, act
from complaintdesk.store.models import Complaint, HandlingSheet, Staff

MAX_OPINION = 2000


def give_manager_opinion(desk: Desk, actor: str, number: str, *, opinion: str,
                         expected_version: int | None = None) -> Outcome:
    """The responsible department's manager writes (or rewrites) the 部门经理意见
    of the current round's sheet while it is drafted; signed with who and when."""
    text = clean_text(str(opinion or "")).strip()
    if not text:
        raise ValidationFailed({"opinion": "请填写部门经理意见"})
    if len(text) > MAX_OPINION:
        raise ValidationFailed({"opinion": f"部门经理意见过长：{len(text)} 字，最多 {MAX_OPINION} 字"})

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        reason = approvals.manager_refusal(staff, c.department, desk.config.approval,
                                           desk.config.department_name(c.department))
        if reason is not None:
            raise PermissionDenied(f"{c.number}：{reason}")
        sheet = session.exec(select(HandlingSheet).where(
            HandlingSheet.complaint_id == c.id, HandlingSheet.round == c.round)).first()
        if sheet is None:
            raise NotFound(f"{c.number} 本轮还没有处理单：请处理专员先保存处理单，再填写部门经理意见")
        if staff.login in sheet.author_logins() - {sheet.manager_opinion_by}:
            raise PermissionDenied(f"{c.number}：部门经理不能为自己拟定或修改过的处理单签署意见"
                                   "（须由处理单的作者以外的部门经理填写）")
        detail = effects.manager_opinion_given(as_row(sheet), by=staff.login, at=desk.now_utc(),
                                               text=text)
        session.add(sheet)
        return detail

    return act(desk, actor, number, Action.MANAGER_OPINION, expected_version, apply)


def manager_refusal(desk: Desk, staff: Staff | None, department: str | None) -> str | None:
    """For the screens: why ``staff`` may not give this department's 部门经理意见."""
    if staff is None:
        return "不是在职员工"
    return approvals.manager_refusal(staff, department, desk.config.approval,
                                     desk.config.department_name(department))


@dataclass(frozen=True)
class PendingApproval:
    number: str
    sheet_number: str
    customer_name: str
    department: str
    drafted_by: str
    submitted_at: datetime
    due_at: datetime | None
    method: str | None
    loss_cents: int | None
    level: str = approvals.SINGLE        # which approval it waits for
    first_decided_by: str | None = None


def pending_approvals(desk: Desk, limit: int = 500, role: Role | None = None
                      ) -> list[PendingApproval]:
    """Sheets waiting for an approval, oldest first; with the ``role`` of an approver,
    only those that role decides (a 客服主管 the single and first approvals, the
    configured second role the second ones); others see them all."""
    config = desk.config.approval
    if role is not None and approvals.approver_of_any(role, config) is not None:
        role = None  # not an approver: the whole list, to read
    with desk.store.read() as session:
        rows = session.exec(
            select(HandlingSheet, Complaint).join(Complaint, Complaint.id == HandlingSheet.complaint_id)
            .where(HandlingSheet.state == SheetState.SUBMITTED.value,
                   Complaint.status == Status.PENDING_APPROVAL.value)
            .order_by(HandlingSheet.submitted_at))
        out = []
        for s, c in rows:
            which = approvals.level(s, config)
            if role is not None and approvals.approver_role(which, config) is not role:
                continue
            out.append(PendingApproval(c.number, s.sheet_number, c.customer_name, s.department,
                                       s.drafted_by, s.submitted_at, c.handling_due or c.due_at,
                                       s.method, s.loss_cents, which, s.first_decided_by))
            if len(out) >= limit:
                break
        return out


__all__ = ["PendingApproval", "give_manager_opinion", "manager_refusal", "pending_approvals"]
