"""Likely duplicates: the same customer (by contact), the same product, still open,
received within the configured days of each other. Registration warns about them
(the console asks before saving; intake reports them on the line's result) so the
same matter is not registered twice without anyone noticing."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from complaintdesk.domain import effects
from complaintdesk.domain.contacts import contact_key
from complaintdesk.domain.enums import LinkKind, Role, Status
from complaintdesk.domain.errors import DomainError, ValidationFailed
from complaintdesk.domain.validation import ComplaintDraft, cleaned_reason
from complaintdesk.process import audit
from complaintdesk.process.contact import resume_on_contact
from complaintdesk.process.complaints import MAX_NOTE_LENGTH, find_complaint
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import require
from complaintdesk.store.models import AuditEvent, Complaint, ComplaintLink, Customer, Investigation

#: How many earlier complaints a warning names at most.
MAX_NAMED = 5


@dataclass(frozen=True)
class Earlier:
    """An open complaint the new one may repeat."""

    number: str
    status: Status
    received_at: datetime
    product: str

    def describe(self, desk: Desk) -> str:
        when = desk.local(self.received_at).strftime("%m-%d %H:%M")
        return f"{self.number}（{when}，{self.status.label}）"


def same_product(a: str, b: str) -> bool:
    """Products compared as people type them: case, spaces and full-width forms aside."""
    return _product_key(a) == _product_key(b)


def _product_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _open_of_customers(session: Session, customers: set[int], low: datetime,
                       high: datetime) -> list[Complaint]:
    """The open complaints of ``customers`` received between ``low`` and ``high``."""
    if not customers:
        return []
    return list(session.exec(select(Complaint).where(
        col(Complaint.customer_id).in_(customers), Complaint.closed == False,  # noqa: E712
        col(Complaint.received_at) >= low, col(Complaint.received_at) <= high)).all())


def _earlier(candidates: Sequence[Complaint], customer_id: int, received_at: datetime,
             product: str, within: timedelta, before_id: int | None) -> list[Earlier]:
    """The rule, in one place: the same customer, the same product, received within
    ``within`` of ``received_at`` (and registered before ``before_id``), newest first."""
    found = sorted((o for o in candidates
                    if o.customer_id == customer_id
                    and (before_id is None or o.id < before_id)  # type: ignore[operator]
                    and abs(o.received_at - received_at) <= within
                    and same_product(o.product or "", product)),
                   key=lambda o: o.received_at, reverse=True)[:MAX_NAMED]
    return [Earlier(o.number, Status(o.status), o.received_at, o.product or "") for o in found]


def likely_duplicates(desk: Desk, draft: ComplaintDraft) -> list[Earlier]:
    """Open complaints this draft may repeat (before it is registered)."""
    within = timedelta(days=desk.config.duplicate_within_days)
    if not within:
        return []
    with desk.store.read() as session:
        customer = session.exec(select(Customer.id).where(
            Customer.contact_key == contact_key(draft.contact))).first()
        if customer is None:
            return []
        candidates = _open_of_customers(session, {customer}, draft.received_at - within,
                                        draft.received_at + within)
    return _earlier(candidates, customer, draft.received_at, draft.product, within, None)


def duplicates_of_registered(desk: Desk, numbers: Sequence[str]) -> dict[str, list[Earlier]]:
    """For complaints just registered: the open ones registered before each that it
    may repeat (intake's report; a file with the same matter twice names the first
    line's complaint on the second line's result). Two reads a chunk of 500, not a
    read a complaint: intake registers thousands a second."""
    within = timedelta(days=desk.config.duplicate_within_days)
    out: dict[str, list[Earlier]] = {}
    if not within or not numbers:
        return out
    with desk.store.read() as session:
        for start in range(0, len(numbers), 500):
            new = session.exec(select(Complaint).where(
                col(Complaint.number).in_(list(numbers[start:start + 500])))).all()
            if not new:
                continue
            by_customer: dict[int, list[Complaint]] = {}
            for o in _open_of_customers(
                    session, {c.customer_id for c in new},
                    min(c.received_at for c in new) - within, max(c.received_at for c in new) + within):
                by_customer.setdefault(o.customer_id, []).append(o)
            for c in new:
                found = _earlier(by_customer.get(c.customer_id, []), c.customer_id, c.received_at,
                                 c.product or "", within, c.id)
                if found:
                    out[c.number] = found
    return out


# ----------------------------------------------------------------- merging

MERGE_ROLES = frozenset({Role.SUPERVISOR})


def merge_into(desk: Desk, actor: str, number: str, original_number: str, reason: object,
               expected_version: int | None = None) -> Complaint:
    """Merge the duplicate ``number`` into ``original_number`` (supervisors).

    The duplicate is closed as 重复投诉 of the original and linked to it (重复登记);
    its notes and its investigations' evidence are carried over to the original as
    notes naming where they came from; both timelines record the merge, with the
    reason. The 统计表 then counts the pair once. A duplicate already handled to an
    outcome (resolved or closed) is not merged: its handling counts on its own.

    Raises:
        ValidationFailed: no reason given.
        DomainError: the two are the same, the duplicate is closed, resolved or has
            others merged into it, the original was itself merged, or the duplicate
            changed meanwhile (``expected_version``).
        PermissionDenied: the actor is not a supervisor.
    """
    errors: dict[str, str] = {}
    text = cleaned_reason(reason, "合并原因", "同一客户就同一事项重复来电", errors)
    if errors:
        raise ValidationFailed(errors)
    with desk.store.write() as session:
        require(session, actor, MERGE_ROLES, "合并重复投诉")
        dup = find_complaint(session, number)
        original = find_complaint(session, original_number)
        _check_merge(session, dup, original, expected_version)
        # A paused clock ends with the case: its time is kept for the 统计表.
        resume_on_contact(desk, session, actor, dup, f"合并到 {original.number}，停止计时")
        now = desk.now_utc()
        before = dup.status
        dup.status = Status.CLOSED.value
        effects.closed(effects.as_row(dup), now)
        dup.merged_into_id = original.id
        dup.version += 1
        dup.updated_at = now
        session.add(dup)
        linked = session.exec(select(ComplaintLink).where(
            ((ComplaintLink.complaint_id == dup.id) & (ComplaintLink.linked_id == original.id))
            | ((ComplaintLink.complaint_id == original.id) & (ComplaintLink.linked_id == dup.id)))).first()
        if linked is None:
            session.add(ComplaintLink(complaint_id=dup.id, linked_id=original.id,
                                      kind=LinkKind.DUPLICATE.value, created_by=actor, created_at=now))
        carried = _carry_over(session, dup, original, actor, now)
        audit.record(session, at=now, actor=actor, action="complaint.merged", complaint_id=dup.id,
                     field="status", before=before, after=Status.CLOSED.value,
                     detail={"into": original.number, "reason": text, "carried": carried})
        audit.record(session, at=now, actor=actor, action="complaint.merged_from",
                     complaint_id=original.id, after=dup.number,
                     detail={"from": dup.number, "reason": text, "carried": carried})
        session.flush()
        session.refresh(dup)
        return dup


def merge_refusal(role: Role, dup: Complaint) -> str | None:
    """Why a person of ``role`` may not merge ``dup`` into another now, or None (the
    console dims its key with this; ``merge_into`` checks it again)."""
    if role not in MERGE_ROLES:
        return "只有客服主管可以合并重复投诉"
    if dup.closed:
        return "已结案，不能再合并"
    if dup.resolved_at is not None:
        return (f"已处理出结果（{Status(dup.status).label}），它的处理要单独计入统计，"
                "不能合并；可按 L 关联")
    return None


def _check_merge(session: Session, dup: Complaint, original: Complaint,
                 expected_version: int | None) -> None:
    if dup.id == original.id:
        raise DomainError("不能把投诉合并到它自己")
    if expected_version is not None and dup.version != expected_version:
        raise DomainError(f"{dup.number} 刚被别人改动过：请重新打开后再合并")
    problem = merge_refusal(Role.SUPERVISOR, dup)
    if problem is not None:
        raise DomainError(f"{dup.number}：{problem}")
    if original.merged_into_id is not None:
        into = session.get(Complaint, original.merged_into_id)
        raise DomainError(f"{original.number} 本身已合并到 {into.number if into else '另一件投诉'}："
                          "请合并到那一件")
    merged_in = session.exec(select(Complaint.number).where(
        Complaint.merged_into_id == dup.id)).first()
    if merged_in is not None:
        raise DomainError(f"已有投诉（{merged_in}）合并到 {dup.number}：请把 {original.number} "
                          f"合并到 {dup.number}，或先处理那一件")


def _carry_over(session: Session, dup: Complaint, original: Complaint, actor: str,
                now: datetime) -> int:
    """The duplicate's notes and evidence, as notes on the original; returns how many."""
    notes = session.exec(select(AuditEvent.after).where(
        AuditEvent.complaint_id == dup.id, AuditEvent.action == "complaint.note")
        .order_by(col(AuditEvent.id))).all()
    carried = [f"［合并自 {dup.number} 的备注］{note}" for note in notes if note]
    for inv in session.exec(select(Investigation).where(Investigation.complaint_id == dup.id)
                            .order_by(col(Investigation.id))).all():
        for item in _evidence(inv.evidence):
            where = f"（{item['path']}）" if item.get("path") else ""
            carried.append(f"［合并自 {dup.number} 的证据］{item.get('description', '')}{where}")
    for note in carried:
        audit.record(session, at=now, actor=actor, action="complaint.note",
                     complaint_id=original.id, after=note[:MAX_NOTE_LENGTH])
    return len(carried)


def _evidence(raw: str | None) -> list[dict]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


__all__ = ["Earlier", "MAX_NAMED", "MERGE_ROLES", "duplicates_of_registered", "likely_duplicates",
           "merge_into", "merge_refusal", "same_product"]
