"""Who may approve a 处理单 and who gives its 部门经理意见 (process.md §5), as the
desk's ``[approval]`` configuration says.

- A plan whose 损失金额 is at most ``second_above`` is approved once, by a 客服主管.
- Above it, twice: first by a 客服主管 (一级审批), then by staff of the configured
  ``second_role`` (二级审批) — never by the first approver, never by anyone who
  wrote the sheet or gave its 部门经理意见. Either level may send it back; a
  returned plan needs both approvals again.
- The 部门经理意见 is given by the responsible department's own manager (staff
  flagged as its manager, or staff of the configured role in that department),
  recorded with who and when; nobody types it into the sheet.
"""

from __future__ import annotations

from typing import Any

from complaintdesk.domain.config import Approval
from complaintdesk.domain.enums import Role
from complaintdesk.domain.money import format_amount

SINGLE, FIRST, SECOND = "single", "first", "second"
LEVEL_LABELS = {SINGLE: "审批", FIRST: "一级审批", SECOND: "二级审批"}


def needs_second(loss_cents: int | None, approval: Approval) -> bool:
    """A plan above the configured amount is approved twice."""
    return approval.second_above_cents is not None and (loss_cents or 0) > approval.second_above_cents


def level(sheet: Any, approval: Approval) -> str:
    """Which approval a submitted sheet waits for: ``single``, ``first`` or ``second``."""
    if not needs_second(sheet.loss_cents, approval):
        return SINGLE
    return SECOND if sheet.first_decided_by else FIRST


def approver_role(which: str, approval: Approval) -> Role:
    return Role(approval.second_role) if which == SECOND else Role.SUPERVISOR


def approver_refusal(sheet: Any, role: Role, login: str, approval: Approval) -> str | None:
    """Why ``login`` (``role``) may not approve or return ``sheet`` now, or None."""
    which = level(sheet, approval)
    wanted = approver_role(which, approval)
    if role is not wanted:
        if which == SECOND:
            return (f"损失金额超过 {format_amount(approval.second_above_cents)}，"
                    f"一级审批已由主管通过，须由{wanted.label}二级审批")
        return "只有主管可以审批处理方案"
    if login == sheet.manager_opinion_by:
        return "不能审批自己给出部门经理意见的处理单"
    if login in sheet.author_logins():
        return "不能审批自己拟定或修改过的处理单"
    if which == SECOND and login == sheet.first_decided_by:
        return "一级审批人不能再做二级审批，须由另一人审批"
    return None


def approver_of_any(role: Role, approval: Approval) -> str | None:
    """Why staff of ``role`` decide no sheet at all (the approvals list's key), or None."""
    if role is Role.SUPERVISOR or (approval.second_above_cents is not None
                                   and role is Role(approval.second_role)):
        return None
    if approval.second_above_cents is not None:
        return f"只有主管（及二级审批的{Role(approval.second_role).label}）可以审批处理方案"
    return "只有主管可以审批处理方案"


def manager_refusal(staff: Any, department: str | None, approval: Approval,
                    department_name: str) -> str | None:
    """Why ``staff`` may not give the 部门经理意见 of ``department``'s sheet, or None."""
    if department is None or staff.department != department:
        return f"部门经理意见须由责任部门（{department_name}）的部门经理填写"
    if approval.manager_by == "flag":
        if not staff.manager:
            return f"只有{department_name}的部门经理可以填写部门经理意见"
    elif Role(staff.role).value != approval.manager_by:
        return f"只有{department_name}的{Role(approval.manager_by).label}可以填写部门经理意见"
    return None


__all__ = ["FIRST", "LEVEL_LABELS", "SECOND", "SINGLE", "approver_of_any", "approver_refusal", "approver_role",
           "level", "manager_refusal", "needs_second"]
