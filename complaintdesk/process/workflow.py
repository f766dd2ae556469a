"""The handling workflow (process.md §3-§6) as an explicit state machine.

``TRANSITIONS`` is the whole rule: (status, action) → (next status, roles).
Every use-case here goes through ``act``, which loads the complaint and the
actor inside one IMMEDIATE transaction, refuses what the table does not allow
(with a message naming who may do it, or what state the complaint is in),
refuses a stale edit (``expected_version``), applies the change, moves the
status, and writes the audit event — all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from complaintdesk.domain import approvals, effects, numbers
from complaintdesk.domain import clocks
from complaintdesk.domain.clocks import PAUSABLE
from complaintdesk.domain.config import Approval
from complaintdesk.domain.effects import as_row
from complaintdesk.process import audit
from complaintdesk.process.complaints import find_complaint
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import (Action, AgreementMethod, HandlingMethod, Priority, Role,
                                        SheetState, Status, audit_action_label)
from complaintdesk.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from complaintdesk.store.models import Complaint, HandlingSheet, Investigation, Staff
from complaintdesk.domain.money import parse_amount
from complaintdesk.process.staffing import judge_account
from complaintdesk.domain.text import clean_line, clean_text
from complaintdesk.domain.timing import TIME_FORMAT
from complaintdesk.domain.validation import parse_quantity, parse_received_at

S, A = Status, Action
SERVICE = {Role.COUNTER, Role.SUPERVISOR}
DRAFTERS = {Role.HANDLER, Role.COUNTER, Role.SUPERVISOR}
FOLLOWERS = DRAFTERS  # who keeps the customer informed and may pause the clock
#: Who may be configured as the second approver ([approval] second_role), and who
#: may give a 部门经理意见 (as its department's manager: approvals.manager_refusal).
SECOND_APPROVERS = {Role.LEADER, Role.SUPERVISOR, Role.ADMIN}
STAFF = set(Role) - {Role.ADMIN}
#: Steps that record the customer in touch: a paused clock runs again (clocks.py).
CUSTOMER_CONTACT = frozenset({Action.CUSTOMER_AGREES, Action.CUSTOMER_DISAGREES})
OPEN = [s for s in Status if s is not Status.CLOSED]
#: The complaint statuses in which the 处理单 is drafted (saved, submitted).
DRAFTING_STATUSES = (S.DRAFTING, S.RETURNED, S.SECOND_ROUND)

#: (status, action) → (next status, roles allowed). Anything else is refused.
TRANSITIONS: dict[tuple[Status, Action], tuple[Status, frozenset[Role]]] = {
    (S.REGISTERED, A.JUDGE_NOT_OURS): (S.REVISIT, frozenset(SERVICE)),
    (S.REGISTERED, A.JUDGE_OURS): (S.ACCEPTED, frozenset(SERVICE)),
    (S.ACCEPTED, A.DISPATCH): (S.INVESTIGATING, frozenset({Role.SUPERVISOR})),
    (S.INVESTIGATING, A.RECORD_INVESTIGATION): (S.DRAFTING,
                                                frozenset({Role.HANDLER, Role.SUPERVISOR})),
    **{(s, A.SAVE_SHEET): (s, frozenset(DRAFTERS)) for s in DRAFTING_STATUSES},
    **{(s, A.SUBMIT_SHEET): (S.PENDING_APPROVAL, frozenset(DRAFTERS)) for s in DRAFTING_STATUSES},
    # 5. Approval (approvals.py): once, or above the configured amount twice; who
    # may decide at which level is approvals.approver_refusal's.
    (S.PENDING_APPROVAL, A.APPROVE): (S.APPROVED, frozenset({Role.SUPERVISOR})),
    (S.PENDING_APPROVAL, A.APPROVE_FIRST): (S.PENDING_APPROVAL, frozenset({Role.SUPERVISOR})),
    (S.PENDING_APPROVAL, A.APPROVE_SECOND): (S.APPROVED, frozenset(SECOND_APPROVERS)),
    (S.PENDING_APPROVAL, A.RETURN): (S.RETURNED, frozenset({Role.SUPERVISOR})),
    **{(s, A.MANAGER_OPINION): (s, frozenset(STAFF)) for s in DRAFTING_STATUSES},
    # The handling clock's pause while waiting on the customer (clocks.py).
    **{(s, A.PAUSE): (s, frozenset(FOLLOWERS)) for s in PAUSABLE},
    **{(s, A.RESUME): (s, frozenset(FOLLOWERS)) for s in PAUSABLE},
    (S.APPROVED, A.INFORM_CUSTOMER): (S.INFORMED, frozenset(SERVICE)),
    (S.INFORMED, A.CUSTOMER_AGREES): (S.REVISIT, frozenset(SERVICE)),
    (S.INFORMED, A.CUSTOMER_DISAGREES): (S.SECOND_ROUND, frozenset(SERVICE)),
    **{(s, A.ESCALATE): (s, frozenset({Role.SUPERVISOR})) for s in OPEN},
    # 7. The revisit (revisits.py): close, try again, or reopen.
    (S.REVISIT, A.REVISIT_CLOSE): (S.CLOSED, frozenset(SERVICE)),
    (S.REVISIT, A.REVISIT_UNREACHED): (S.REVISIT, frozenset(SERVICE)),
    (S.REVISIT, A.CLOSE_UNREACHED): (S.CLOSED, frozenset(SERVICE)),
    (S.REVISIT, A.REOPEN): (S.SECOND_ROUND, frozenset(SERVICE)),
    (S.REVISIT, A.REOPEN_JUDGEMENT): (S.REGISTERED, frozenset(SERVICE)),
}

#: The default revisit window; the desk's own is ``desk.config.revisit_within``.
REVISIT_AFTER = relativedelta(days=7)


class StaleEdit(DomainError):
    """Someone else changed the complaint since it was loaded; nothing was saved."""


class StaleSheet(StaleEdit):
    """The 处理单 changed (or was created) since the editor loaded it; ``version``
    is the one now stored, to save over once the user has compared."""

    def __init__(self, message: str, *, version: int | None):
        super().__init__(message)
        self.version = version


def refusal(status: Status, action: Action, role: Role, login: str,
            complaint: Complaint | None = None, sheet: HandlingSheet | None = None,
            max_attempts: int = 3, approval: Approval = Approval()) -> str | None:
    """Why ``login`` (``role``) may not do ``action`` now, or None if allowed.

    The screens use this to dim a key and say why; ``act`` raises it.
    ``max_attempts`` is the desk's revisit.max_attempts, ``approval`` its
    [approval] (who decides a sheet of which amount). ``A.APPROVE`` stands for
    whichever approval the sheet waits for.
    """
    if action in (A.APPROVE, A.APPROVE_FIRST, A.APPROVE_SECOND, A.RETURN) \
            and status is S.PENDING_APPROVAL and sheet is not None:
        return approvals.approver_refusal(sheet, role, login, approval)
    if action in (A.PAUSE, A.RESUME) and complaint is not None and status in PAUSABLE:
        if action is A.PAUSE and complaint.paused_at is not None:
            return "已在暂停计时中（等待客户）"
        if action is A.RESUME and complaint.paused_at is None:
            return "计时没有暂停"
    if action is A.PAUSE and status is S.REGISTERED:
        return "须先判定责任才能暂停计时"
    rule = TRANSITIONS.get((status, action))
    if rule is None:
        if action is A.ESCALATE and status is S.CLOSED:
            return "已结案的投诉不能上报"
        return f"投诉当前状态为“{status.label}”，不能{action.label}"
    _next, roles = rule
    if role not in roles:
        if action in (A.APPROVE, A.APPROVE_FIRST, A.RETURN):
            return "只有主管可以审批处理方案"
        allowed = "、".join(r.label for r in Role if r in roles)
        return f"只有{allowed}可以{action.label}"
    if action is A.ESCALATE and complaint is not None and complaint.escalated:
        return "该投诉已上报管理层"
    if action is A.CLOSE_UNREACHED and complaint is not None \
            and complaint.revisit_attempts < max_attempts:
        return (f"回访已在 {complaint.revisit_attempts} 天尝试联系；须在 {max_attempts} 个不同的日子"
                f"都无法联系后才能按无法联系结案")
    return None


@dataclass(frozen=True)
class Outcome:
    """What an action did: the complaint after it and its new version."""

    number: str
    status: Status
    version: int


def _current_sheet(session: Session, complaint: Complaint) -> HandlingSheet | None:
    return session.exec(select(HandlingSheet).where(
        HandlingSheet.complaint_id == complaint.id,
        HandlingSheet.round == complaint.round)).first()


def _stale_message(desk: Desk, session: Session, complaint: Complaint,
                   names: dict[str, str]) -> str:
    last = session.exec(select(audit.AuditEvent).where(
        audit.AuditEvent.complaint_id == complaint.id).order_by(audit.AuditEvent.id.desc())).first()
    if last is None:
        return f"{complaint.number} 已被他人修改，请重新打开后再操作"
    who = names.get(last.actor, last.actor)
    what = audit_action_label(last.action)
    change = f"（{_shown(last.field, last.before)} → {_shown(last.field, last.after)}）" \
        if last.field else ""
    return (f"{complaint.number} 刚被{who}修改：{what}{change}，时间 "
            f"{desk.local(last.at).strftime(TIME_FORMAT)}。你的输入已保留，请核对后重试。")


def _shown(field: str | None, value: str | None) -> str:
    """An audited value as staff read it: a status by its label (待审批, not pending_approval)."""
    if value and field == "status":
        try:
            return Status(value).label
        except ValueError:
            pass
    return value or "—"


def act(desk: Desk, actor: str, number: str, action: Action | None,
         expected_version: int | None, apply: Callable[[Session, Complaint, Staff], dict | None],
         choose: Callable[[Complaint], Action] | None = None,
         fresh: Callable[[Session, Complaint, Staff], None] | None = None) -> Outcome:
    """Check the table, the role and the version; apply; move the status; audit.

    ``choose`` picks the action from the complaint as it is inside the transaction
    (a revisit's outcome depends on whose responsibility it was). ``fresh`` checks
    the version of what is edited besides the complaint (the 处理单), right after
    the complaint's own: a save that lost a race hears "stale", not "not allowed".
    """
    with desk.store.write() as session:
        staff = session.get(Staff, actor)
        judge_account(actor, None if staff is None else (staff.active, staff.role), set(Role),
                      action.label if action else "操作")  # active staff
        assert staff is not None
        complaint = find_complaint(session, number)
        if choose is not None:
            action = choose(complaint)
        assert action is not None
        if expected_version is not None and complaint.version != expected_version:
            names = {s.login: s.name for s in session.exec(select(Staff))}
            raise StaleEdit(_stale_message(desk, session, complaint, names))
        if fresh is not None:
            fresh(session, complaint, staff)
        status = Status(complaint.status)
        reason = refusal(status, action, Role(staff.role), actor, complaint,
                         _current_sheet(session, complaint), desk.config.revisit_max_attempts,
                         desk.config.approval)
        if reason is not None:
            raise PermissionDenied(f"{complaint.number}：{reason}")
        next_status, _roles = TRANSITIONS[(status, action)]
        now = desk.now_utc()
        if action in CUSTOMER_CONTACT and complaint.paused_at is not None:
            # The customer's answer is their next contact: the paused clock runs again.
            audit.record(session, at=now, actor=actor, action=f"workflow.{A.RESUME.value}",
                         complaint_id=complaint.id, detail=clocks.resumed_on(
                             as_row(complaint), at=desk.now(), config=desk.config,
                             how=clocks.BY_CONTACT))
        detail = apply(session, complaint, staff) or {}
        complaint.status = next_status.value
        complaint.version += 1
        complaint.updated_at = now
        session.add(complaint)
        audit.record(session, at=now, actor=actor, action=f"workflow.{action.value}",
                     complaint_id=complaint.id, field="status" if next_status != status else None,
                     before=status.value if next_status != status else None,
                     after=next_status.value, detail=detail)
        return Outcome(complaint.number, next_status, complaint.version)


def later_deadline(desk: Desk, value: object, label: str) -> datetime | None:
    """A deadline typed by staff (empty: None, the default applies), in the desk's
    zone, later than now.

    Raises:
        ValueError: with ``label`` and what is wrong, for the field.
    """
    if value in (None, ""):
        return None
    try:
        due = parse_received_at(value, desk.now() + timedelta(days=3650), desk.config.timezone)
    except ValueError as exc:
        raise ValueError(f"{label}：{exc}") from None
    if due <= desk.now():
        raise ValueError(f"{label}必须晚于现在")
    return due


def revisit_due(desk: Desk, now: datetime) -> datetime:
    """When the revisit of an outcome accepted ``now`` falls due (the desk's window)."""
    return now + desk.config.revisit_within


def _required(data: Mapping[str, object], name: str, label: str, errors: dict[str, str],
              limit: int = 5000, multiline: bool = True) -> str:
    raw = data.get(name)
    text = clean_text(str(raw)).strip() if multiline and raw is not None else \
        clean_line(str(raw)) if raw is not None else ""
    if not text:
        errors[name] = f"{label}：必填"
    elif len(text) > limit:
        errors[name] = f"{label}：过长（{len(text)} 字，最多 {limit} 字）"
    return text


def _department(desk: Desk, value: object) -> str:
    for dept in desk.config.departments:
        if value in (dept.code, dept.name):
            return dept.code
    options = "、".join(d.name for d in desk.config.departments)
    raise ValueError(f"请选择责任部门（{options}）")


def _text_and_method(text_name: str, text_label: str, text: str, method_name: str,
                     method_label: str, method: str) -> tuple[str, AgreementMethod]:
    """A required text and how the customer gave it, checked together so both errors show."""
    errors: dict[str, str] = {}
    cleaned = _required({text_name: text}, text_name, text_label, errors, 2000)
    parsed = None
    try:
        parsed = AgreementMethod.parse(method)
    except ValueError as exc:
        errors[method_name] = f"{method_label}{exc}"
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(parsed, AgreementMethod)
    return cleaned, parsed


# ----------------------------------------------------------------- 3. responsibility

def judge_not_ours(desk: Desk, actor: str, number: str, *, explanation: str,
                   agreement_method: str, expected_version: int | None = None) -> Outcome:
    """Not the company's fault: record the explanation and the customer's agreement.
    The case moves to the revisit stage."""
    text, method = _text_and_method("explanation", "向客户的解释", explanation,
                                    "agreement_method", "客户同意的方式", agreement_method)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        now = desk.now()
        return effects.judged_not_ours(as_row(c), explanation=text, agreement_method=method.value,
                                       at=now, revisit_due=revisit_due(desk, now))

    return act(desk, actor, number, A.JUDGE_NOT_OURS, expected_version, apply)


def judge_ours(desk: Desk, actor: str, number: str, *, department: str,
               handling_due: object = None, customer_told: bool = False,
               expected_version: int | None = None) -> Outcome:
    """The company's fault: set the handling deadline (default: the resolution
    deadline from the priority), record that the customer was told it, and choose
    the responsible department."""
    errors: dict[str, str] = {}
    try:
        dept = _department(desk, department)
    except ValueError as exc:
        errors["department"] = str(exc)
    if not customer_told:
        errors["customer_told"] = "须先把处理期限告知客户，并在此确认"
    due = None
    try:
        due = later_deadline(desk, handling_due, "处理期限")
    except ValueError as exc:
        errors["handling_due"] = str(exc)
    if errors:
        raise ValidationFailed(errors)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        if due is None and desk.local(c.resolution_due) <= desk.now():
            # The default (the deadline set at registration) has passed: promising the
            # customer a deadline already gone is never what the person meant.
            passed = desk.local(c.resolution_due).strftime("%Y-%m-%d %H:%M")
            raise ValidationFailed({"handling_due": f"登记时的处理期限 {passed} 已过：请填写新的处理期限"
                                                    "（晚于现在），并告知客户"})
        return effects.judged_ours(as_row(c), department=dept,
                                   handling_due=due or c.resolution_due, at=desk.now())

    return act(desk, actor, number, A.JUDGE_OURS, expected_version, apply)


# ----------------------------------------------------------------- 4. dispatch, investigation

def investigation_default(desk: Desk, complaint: Complaint, now: datetime) -> datetime:
    """The investigation deadline the dispatcher is offered: the priority's
    investigation limit from now, but not after the handling deadline when that is
    still ahead."""
    due = now + desk.config.limits[Priority(complaint.priority)].investigation
    handling = complaint.handling_due or complaint.resolution_due
    if handling is not None and now < handling < due:
        return desk.local(handling)
    return due


def dispatch(desk: Desk, actor: str, number: str, *, handler: str,
             investigation_due: object = None,
             expected_version: int | None = None) -> Outcome:
    """The supervisor sends the 处理单 to the department and assigns a handler, with
    the date the department's investigation is due (empty: the priority's default,
    ``investigation_default``), shown to the department and watched like the others."""
    try:
        due_at = later_deadline(desk, investigation_due, "调查期限")
    except ValueError as exc:
        raise ValidationFailed({"investigation_due": str(exc)}) from None

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        person = session.get(Staff, handler)
        if person is None or not person.active or person.role != Role.HANDLER.value:
            raise ValidationFailed({"handler": f"{handler} 不是在职的投诉处理专员"})
        if person.department != c.department:
            raise ValidationFailed({"handler": f"{person.name} 不属于责任部门"
                                               f"{desk.config.department_name(c.department)}"})
        now = desk.now()
        return effects.dispatched(as_row(c), handler=handler, at=now,
                                  investigation_due=due_at or investigation_default(desk, c, now))

    return act(desk, actor, number, A.DISPATCH, expected_version, apply)


EVIDENCE_KINDS = {"document": "文件", "photo": "照片", "video": "视频", "witness": "证人证言",
                  "other": "其他"}


def _evidence(items: object, errors: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for index, item in enumerate(items or [], start=1):  # type: ignore[union-attr]
        if not isinstance(item, Mapping):
            errors["evidence"] = f"证据第 {index} 项格式不对"
            continue
        kind = str(item.get("kind") or "other")
        if kind not in EVIDENCE_KINDS:
            kind = next((k for k, v in EVIDENCE_KINDS.items() if v == kind), "")
            if not kind:
                errors["evidence"] = f"证据第 {index} 项的类型应为 {'、'.join(EVIDENCE_KINDS.values())}"
                continue
        description = clean_line(str(item.get("description") or ""))
        if not description:
            errors["evidence"] = f"证据第 {index} 项缺少说明"
            continue
        out.append({"kind": kind, "description": description[:500],
                    "path": clean_line(str(item.get("path") or ""))[:500]})
    return out


def record_investigation(desk: Desk, actor: str, number: str, data: Mapping[str, object],
                         expected_version: int | None = None) -> Outcome:
    """Facts verified, root cause, evidence, the responsibility finding, the report."""
    errors: dict[str, str] = {}
    texts = {name: _required(data, name, label, errors) for name, label in
             (("facts", "核实的事实"), ("root_cause", "根本原因"), ("finding", "责任认定"),
              ("report", "调查报告"))}
    evidence = _evidence(data.get("evidence"), errors)
    if errors:
        raise ValidationFailed(errors)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        if staff.role == Role.HANDLER.value and staff.department != c.department:
            raise PermissionDenied(f"{c.number}：只有责任部门的处理专员可以记录调查")
        session.add(Investigation(complaint_id=c.id, round=c.round,
                                  evidence=effects.detail_text(evidence),
                                  recorded_by=staff.login, recorded_at=desk.now_utc(), **texts))
        return effects.investigated(as_row(c), evidence=len(evidence))

    return act(desk, actor, number, A.RECORD_INVESTIGATION, expected_version, apply)


# ----------------------------------------------------------------- 5. the handling sheet

SHEET_TEXTS = {
    "result": "投诉处理结果",
    "receiver_opinion": "受理人员意见",
    "manager_opinion": "部门经理意见",
    "customer_opinion": "客户意见",
}


def sheet_number(complaint: Complaint) -> str:
    """处理单编号 of the complaint's current round (CL-20261123-0007-1)."""
    return numbers.sheet_number(complaint.number, complaint.round)


#: What the sheet's editors write; the 部门经理意见 is the manager's (approvals.py).
EDITABLE_TEXTS = {name: label for name, label in SHEET_TEXTS.items() if name != "manager_opinion"}


def _sheet_fields(desk: Desk, data: Mapping[str, object], *, complete: bool) -> dict:
    errors: dict[str, str] = {}
    fields: dict[str, object] = {}
    if clean_text(str(data.get("manager_opinion") or "")).strip():
        errors["manager_opinion"] = ("部门经理意见：须由责任部门的部门经理本人在处理单上填写"
                                     "（控制台“部门经理意见”），不随处理单保存")
    for name, label in EDITABLE_TEXTS.items():
        text = clean_text(str(data.get(name) or "")).strip()
        if len(text) > 5000:
            errors[name] = f"{label}：过长（最多 5000 字）"
        fields[name] = text
    if complete:
        for name in ("result", "receiver_opinion"):
            if not fields[name]:
                errors[name] = f"{SHEET_TEXTS[name]}：提交前必填"
    method = data.get("method")
    if method in (None, ""):
        fields["method"] = None
        if complete:
            errors["method"] = "处理方式：提交前请选择（赔偿/退货/折价/其他）"
    else:
        try:
            fields["method"] = HandlingMethod.parse(method).value
        except ValueError as exc:
            errors["method"] = f"处理方式{exc}"
    try:
        fields["loss_cents"] = parse_amount(data.get("loss_amount"))
    except ValueError as exc:
        errors["loss_amount"] = f"损失金额：{exc}"
    try:
        fields["quantity"] = parse_quantity(data.get("quantity"))
    except ValueError as exc:
        errors["quantity"] = f"数量：{exc}"
    fields["product"] = clean_line(str(data.get("product") or ""))[:100]
    if data.get("handling_date") not in (None, ""):
        try:
            fields["handling_date"] = parse_received_at(data.get("handling_date"),
                                                        desk.now() + timedelta(days=3650),
                                                        desk.config.timezone)
        except ValueError as exc:
            errors["handling_date"] = f"处理日期：{exc}"
    if errors:
        raise ValidationFailed(errors)
    return fields


def _sheet_unchanged(desk: Desk, sheet_version: int | None
                     ) -> Callable[[Session, Complaint, Staff], None]:
    """``act``'s ``fresh`` check for a sheet save made on ``sheet_version`` (None:
    the editor saw no sheet yet)."""
    def check(session: Session, c: Complaint, staff: Staff) -> None:
        sheet = _current_sheet(session, c)
        if sheet is None and sheet_version is not None:
            raise StaleSheet(f"{c.number} 已进入第 {c.round} 轮处理，你打开的是上一轮的处理单："
                             "你的保存未生效。你的输入已保留：请对照后决定是否作为本轮的处理单保存。",
                             version=None)
        if sheet is None or sheet.version == sheet_version:
            return
        who = session.get(Staff, sheet.updated_by)
        name = who.name if who else sheet.updated_by
        if sheet.updated_by == staff.login:
            name = f"你（{staff.login}）在另一个会话中"
        raise StaleSheet(
            f"处理单 {sheet.sheet_number} 刚被{name}于 "
            f"{desk.local(sheet.updated_at).strftime(TIME_FORMAT)} 修改（第 {sheet.version} 版）"
            f"，你的保存未生效。你的输入已保留：请对照对方的版本，决定保留哪一份。",
            version=sheet.version)
    return check


def _write_sheet(desk: Desk, session: Session, c: Complaint, staff: Staff,
                 fields: dict) -> tuple[HandlingSheet, str | None]:
    """Write the current round's sheet (its version was checked by ``act``); the
    manager's opinion it withdrew by changing the signed plan, if any (its text goes
    into the step's audit detail)."""
    if staff.role == Role.HANDLER.value and staff.department != c.department:
        raise PermissionDenied(f"{c.number}：只有责任部门的处理专员可以拟定处理单")
    sheet = _current_sheet(session, c)
    now = desk.now_utc()
    if sheet is None:
        sheet = HandlingSheet(**effects.new_sheet(as_row(c), number=c.number, by=staff.login,
                                                  at=now, handling_date=desk.now()))
    else:
        sheet.version += 1
    withdrawn = effects.sheet_edited(as_row(sheet), fields, by=staff.login, at=now)
    session.add(sheet)
    session.flush()
    return sheet, withdrawn


def _withdrawn(detail: dict, withdrawn: str | None) -> dict:
    """A step's audit detail, saying which signed 部门经理意见 the changed plan withdrew."""
    if withdrawn is not None:
        detail["manager_opinion_withdrawn"] = withdrawn
    return detail


def save_sheet(desk: Desk, actor: str, number: str, data: Mapping[str, object],
               sheet_version: int | None = None) -> Outcome:
    """Save the 处理单 draft of the current round (creating it on first save).

    ``sheet_version`` is the version the editor loaded (None for a new sheet); a
    save over somebody else's newer version is refused with who and when.
    """
    fields = _sheet_fields(desk, data, complete=False)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        sheet, withdrawn = _write_sheet(desk, session, c, staff, fields)
        return _withdrawn(effects.sheet_saved(as_row(sheet)), withdrawn)

    return act(desk, actor, number, A.SAVE_SHEET, None, apply,
                fresh=_sheet_unchanged(desk, sheet_version))


def submit_sheet(desk: Desk, actor: str, number: str, data: Mapping[str, object],
                 sheet_version: int | None = None) -> Outcome:
    """Save the sheet complete and submit it for approval."""
    fields = _sheet_fields(desk, data, complete=True)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        sheet, withdrawn = _write_sheet(desk, session, c, staff, fields)
        if withdrawn is not None and desk.config.approval.manager_required:
            raise ValidationFailed({"manager_opinion": "部门经理意见：方案已修改，须先保存并由部门"
                                                       "经理重新填写，再提交审批"})
        if desk.config.approval.manager_required and not sheet.manager_opinion_by:
            raise ValidationFailed({"manager_opinion": "部门经理意见：提交审批前须由责任部门的"
                                                       "部门经理填写"})
        detail = effects.sheet_submitted(as_row(sheet), by=staff.login, at=desk.now_utc())
        session.add(sheet)
        return _withdrawn(detail, withdrawn)

    return act(desk, actor, number, A.SUBMIT_SHEET, None, apply,
                fresh=_sheet_unchanged(desk, sheet_version))


def approve_plan(desk: Desk, actor: str, number: str, *, opinion: str,
                 expected_version: int | None = None) -> Outcome:
    """Approve with an 实施意见: the one approval, or above the configured amount the
    first (a 客服主管's) or the second (the configured role's) — whichever the sheet
    waits for. Nobody approves a sheet they wrote or gave the 部门经理意见 of, nor
    approves it twice."""
    return _decide(desk, actor, number, A.APPROVE, SheetState.APPROVED, "opinion", "实施意见",
                   opinion, expected_version)


def return_plan(desk: Desk, actor: str, number: str, *, reason: str,
                expected_version: int | None = None) -> Outcome:
    """Send the plan back to its drafter with a reason (required), at either level."""
    return _decide(desk, actor, number, A.RETURN, SheetState.RETURNED, "reason", "退回原因",
                   reason, expected_version)


def _decide(desk: Desk, actor: str, number: str, action: Action, state: SheetState,
            name: str, label: str, value: str, expected_version: int | None) -> Outcome:
    """A decision on the submitted sheet, with its required text."""
    errors: dict[str, str] = {}
    text = _required({name: value}, name, label, errors, 2000)
    if errors:
        raise ValidationFailed(errors)

    def choose(c: Complaint) -> Action:
        session = object_session(c)
        sheet = _current_sheet(session, c) if session is not None else None  # type: ignore[arg-type]
        if action is not A.APPROVE or sheet is None or c.status != S.PENDING_APPROVAL.value:
            return action
        which = approvals.level(sheet, desk.config.approval)
        return {approvals.SINGLE: A.APPROVE, approvals.FIRST: A.APPROVE_FIRST,
                approvals.SECOND: A.APPROVE_SECOND}[which]

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        sheet = _current_sheet(session, c)
        if sheet is None:
            raise NotFound(f"{c.number} 没有待审批的处理单")
        at = desk.now_utc()
        if approvals.level(sheet, desk.config.approval) == approvals.FIRST \
                and state is SheetState.APPROVED:
            detail = effects.first_approved(as_row(sheet), by=staff.login, at=at, text=text)
        else:
            detail = effects.decided(as_row(c), as_row(sheet), state=state, by=staff.login,
                                     at=at, text=text)
        session.add(sheet)
        return detail

    return act(desk, actor, number, action, expected_version, apply, choose=choose)


# ----------------------------------------------------------------- 6. implementation

def inform_customer(desk: Desk, actor: str, number: str, *, how: str,
                    expected_version: int | None = None) -> Outcome:
    """Record that the customer was told the result and the method."""
    try:
        method = AgreementMethod.parse(how)
    except ValueError as exc:
        raise ValidationFailed({"how": f"告知方式{exc}"}) from None

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        return effects.customer_informed(as_row(c), how=method.value, at=desk.now())

    return act(desk, actor, number, A.INFORM_CUSTOMER, expected_version, apply)


def record_customer_opinion(desk: Desk, actor: str, number: str, *, agreed: bool, opinion: str,
                            how: str = "signature",
                            expected_version: int | None = None) -> Outcome:
    """The customer agreed (signed): on to the revisit. Disagreed: a second round."""
    text, method = _text_and_method("opinion", "客户意见", opinion, "how", "方式", how)
    action = A.CUSTOMER_AGREES if agreed else A.CUSTOMER_DISAGREES

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        sheet = _current_sheet(session, c)
        now = desk.now()
        detail = effects.customer_answered(
            as_row(c), None if sheet is None else as_row(sheet), agreed=agreed, opinion=text,
            how=method.value, at=now, revisit_due=revisit_due(desk, now))
        if sheet is not None:
            session.add(sheet)
        return detail

    return act(desk, actor, number, action, expected_version, apply)


def escalate(desk: Desk, actor: str, number: str, *, reason: str = "",
             expected_version: int | None = None) -> Outcome:
    """A supervisor escalates any open complaint to management."""

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        return effects.escalated(as_row(c), reason=clean_line(reason)[:500])

    return act(desk, actor, number, A.ESCALATE, expected_version, apply)


# ----------------------------------------------------------------- reading

@dataclass(frozen=True)
class Handling:
    """The handling state of one complaint, for the record screen and print."""

    complaint: Complaint
    sheet: HandlingSheet | None
    sheets: list[HandlingSheet]
    investigations: list[Investigation]


def get_handling(desk: Desk, number: str) -> Handling:
    with desk.store.read() as session:
        return read_handling(session, find_complaint(session, number))


def read_handling(session: Session, c: Complaint) -> Handling:
    """The sheets and investigations of ``c``, inside the caller's unit of work."""
    sheets = list(session.exec(select(HandlingSheet).where(
        HandlingSheet.complaint_id == c.id).order_by(HandlingSheet.round)))
    investigations = list(session.exec(select(Investigation).where(
        Investigation.complaint_id == c.id).order_by(Investigation.id)))
    current = next((s for s in sheets if s.round == c.round), None)
    return Handling(c, current, sheets, investigations)


def handlers_of(desk: Desk, department: str | None) -> list[Staff]:
    """Active handlers of a department, for the dispatch picker."""
    with desk.store.read() as session:
        return list(session.exec(select(Staff).where(
            Staff.role == Role.HANDLER.value, Staff.active == True,  # noqa: E712
            Staff.department == department).order_by(Staff.login)))
