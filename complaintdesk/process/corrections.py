"""Correcting a registered complaint: a mistyped name, the wrong type or priority.

The 受理编号 never changes. Who may correct what follows the roles: the counter
(客服专员) corrects what was taken down at registration, a supervisor that and the
紧急程度 (which decides the deadlines and the escalation). Each corrected field is
audited with its old and new value and the reason, shows in the timeline, and the
search indexes follow (the store's hook). A corrected priority recomputes the
deadlines only when the person confirms it; otherwise the complaint keeps the
deadlines it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from complaintdesk.domain.clocks import queue_due
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.config import deadlines_for
from complaintdesk.domain.enums import Priority, Role
from complaintdesk.domain.errors import DomainError, ValidationFailed
from complaintdesk.domain.timing import TIME_FORMAT
from complaintdesk.domain.validation import FIELD_LABELS, cleaned_reason, validate_complaint
from complaintdesk.process import audit
from complaintdesk.process.complaints import find_complaint, find_or_create_customer
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import require
from complaintdesk.store.models import Complaint

#: The registration's fields a correction may change (not the 受理日期: the
#: number carries its day, and the deadlines count from it).
TAKEN_DOWN = ("customer_name", "address", "contact", "channel", "event", "demand", "category",
              "product", "quantity")
CORRECTABLE = (*TAKEN_DOWN, "priority")
FIELDS_BY_ROLE: dict[Role, tuple[str, ...]] = {Role.COUNTER: TAKEN_DOWN,
                                               Role.SUPERVISOR: CORRECTABLE}


@dataclass(frozen=True)
class Correction:
    number: str
    changed: dict[str, tuple[str, str]]  # field → (before, after), as shown
    deadlines_recomputed: bool


def correctable_fields(role: Role) -> tuple[str, ...]:
    """The fields a person of ``role`` may correct (none: may not correct)."""
    return FIELDS_BY_ROLE.get(role, ())


def correction_refusal(role: Role, complaint: Complaint) -> str | None:
    """Why a person of ``role`` may not correct ``complaint`` now, or None."""
    if not correctable_fields(role):
        return "只有客服专员、客服主管可以更正投诉"
    if complaint.closed:
        return "已结案的投诉不能更正"
    return None


def form_values(c: Complaint) -> dict[str, object]:
    """The complaint's correctable fields as the record form holds them."""
    return {name: ("" if getattr(c, name) is None else getattr(c, name)) for name in CORRECTABLE}


def _shown(value: object) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def correct_complaint(desk: Desk, actor: str, number: str, changes: Mapping[str, object],
                      reason: object, *, recompute_deadlines: bool = False,
                      expected_version: int | None = None) -> Correction:
    """Correct fields of a registered complaint, with a reason.

    Raises:
        ValidationFailed: a bad value (as the record form says it), a field this
            person may not correct, or no reason.
        DomainError: nothing differs, the complaint is closed, or it changed
            meanwhile (``expected_version``).
        PermissionDenied: the actor may not correct complaints.
    """
    errors: dict[str, str] = {}
    text = cleaned_reason(reason, "更正原因", "登记时联系方式记错一位", errors)
    unknown = [name for name in changes if name not in CORRECTABLE]
    for name in unknown:
        errors[name] = f"{FIELD_LABELS.get(name, name)}不能更正（受理编号和受理日期不变）"
    if errors:
        raise ValidationFailed(errors)
    with desk.store.write() as session:
        role = require(session, actor, set(FIELDS_BY_ROLE), "更正投诉")
        c = find_complaint(session, number)
        if expected_version is not None and c.version != expected_version:
            raise DomainError(f"{c.number} 刚被别人改动过：请重新打开后再更正")
        refusal = correction_refusal(role, c)
        if refusal is not None:
            raise DomainError(f"{c.number}：{refusal}")
        allowed = correctable_fields(role)
        data = {**form_values(c), "received_at": desk.local(c.received_at).isoformat()}
        data.update(changes)
        draft, problems = validate_complaint(data, now=desk.now(), zone=desk.config.timezone)
        if draft is None:
            raise ValidationFailed(problems)
        changed: dict[str, tuple[str, str]] = {}
        for name in CORRECTABLE:
            before, after = _shown(getattr(c, name)), _shown(getattr(draft, name))
            if before != after:
                if name not in allowed:
                    raise ValidationFailed({name: f"只有客服主管可以更正{FIELD_LABELS[name]}"})
                changed[name] = (before, after)
        if not changed:
            raise DomainError("没有要更正的内容：各栏与原记录相同")
        now = desk.now_utc()
        for name, (_before, after) in changed.items():
            value = getattr(draft, name)
            setattr(c, name, getattr(value, "value", value))
        if "contact" in changed or "customer_name" in changed or "address" in changed:
            c.customer_id = find_or_create_customer(session, draft, now)
        recomputed = False
        if "priority" in changed:
            priority = Priority(c.priority)
            c.priority_rank = priority.rank
            if priority is Priority.MAJOR and not c.escalated:
                c.escalated = True  # 重大 goes to management, as at registration
            if recompute_deadlines:
                recomputed = _recompute(desk, session, c, actor, now, text)
        for name, (before, after) in changed.items():
            audit.record(session, at=now, actor=actor, action="complaint.corrected",
                         complaint_id=c.id, field=name, before=before, after=after,
                         detail={"reason": text})
        c.version += 1
        c.updated_at = now
        session.add(c)
        return Correction(c.number, changed, recomputed)


def _recompute(desk: Desk, session, c: Complaint, actor: str, now, reason: str) -> bool:  # type: ignore[no-untyped-def]
    """New deadlines from the corrected priority, counted from the receiving time."""
    first, resolution = deadlines_for(Priority(c.priority), desk.local(c.received_at), desk.config)
    before = {"first_response_due": c.first_response_due, "resolution_due": c.resolution_due}
    c.first_response_due, c.resolution_due = first, resolution
    if not c.closed:  # the queue counts down to the nearest running clock (clocks.py)
        c.due_at = queue_due(as_row(c))

    def shown(moment) -> str:  # type: ignore[no-untyped-def]
        return desk.local(moment).strftime(TIME_FORMAT)

    audit.record(session, at=now, actor=actor, action="complaint.deadlines_recomputed",
                 complaint_id=c.id, field="resolution_due",
                 before=shown(before["resolution_due"]), after=shown(resolution),
                 detail={"reason": reason, "first_response_due": shown(first),
                         "first_response_due_before": shown(before["first_response_due"])})
    return True


__all__ = ["CORRECTABLE", "Correction", "FIELDS_BY_ROLE", "TAKEN_DOWN", "correct_complaint",
           "correctable_fields", "correction_refusal", "form_values"]
