"""Registering complaints and reading them back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text as sql
from sqlmodel import Session, func, select

from complaintdesk.process import audit
from complaintdesk.process.contact import resume_customer
from complaintdesk.domain import effects
from complaintdesk.domain.numbers import NUMBER_PREFIX, format_number, number_prefix
from complaintdesk.domain.config import deadlines_for
from complaintdesk.domain.contacts import contact_key
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import LinkKind, Role
from complaintdesk.domain.errors import DomainError, NotFound, ValidationFailed
from complaintdesk.store.models import AuditEvent, Complaint, ComplaintLink, Customer, Staff
from complaintdesk.store.port import Registration
from complaintdesk.process.staffing import judge_account, require
from complaintdesk.domain.text import clean_text
from complaintdesk.domain.validation import ComplaintDraft, validate_complaint

REGISTER_ROLES = {Role.COUNTER, Role.SUPERVISOR, Role.ADMIN}
#: The action of a registration's audit event.
REGISTERED = "complaint.registered"

def next_number(desk: Desk, session: Session, day: str) -> str:
    """Issue the next 受理编号 of ``day`` inside the caller's write transaction:
    the store's counter is only ever incremented, so a number is never reused."""
    return format_number(day, desk.store.next_sequence(session, day))


_CUSTOMER_ID = sql("SELECT id FROM customer WHERE contact_key = :key")
# A registration's one read before its rows: the clerk's account (checked under
# the writers' lock, so it is the account as the registration commits), the
# customer of the contact, and whether any complaint of theirs is paused (a new
# complaint is their next contact: see resume_customer).
_ACCOUNT_AND_CUSTOMER = sql(
    "SELECT staff.active, staff.role, customer.id, EXISTS (SELECT 1 FROM complaint"
    " WHERE complaint.customer_id = customer.id AND complaint.paused_at IS NOT NULL)"
    " FROM staff LEFT JOIN customer ON customer.contact_key = :key WHERE staff.login = :login")
_INSERT_CUSTOMER = Customer.__table__.insert()  # type: ignore[attr-defined]
_INSERT_COMPLAINT = Complaint.__table__.insert()  # type: ignore[attr-defined]


def find_or_create_customer(session: Session, draft: ComplaintDraft, now: datetime) -> int:
    """The id of the customer with the draft's contact, created if new."""
    found = session.connection().execute(_CUSTOMER_ID, {"key": contact_key(draft.contact)}).scalar()
    return _new_customer(session, draft, now) if found is None else found


def _new_customer(session: Session, draft: ComplaintDraft, now: datetime) -> int:
    return session.connection().execute(_INSERT_CUSTOMER, _customer(draft, now)
                                        ).inserted_primary_key[0]


def _account_and_customer(session: Session, actor: str, draft: ComplaintDraft,
                          now: datetime) -> tuple[int, bool]:
    """Check that ``actor`` may register; the id of the customer with the draft's
    contact (created if new), and whether a complaint of theirs is paused.

    Raises:
        PermissionDenied: as ``require`` says it.
    """
    row = session.connection().execute(
        _ACCOUNT_AND_CUSTOMER, {"key": contact_key(draft.contact), "login": actor}).first()
    judge_account(actor, None if row is None else (row[0], row[1]), REGISTER_ROLES, "登记投诉")
    if row[2] is None:
        return _new_customer(session, draft, now), False
    return row[2], bool(row[3])


def register_complaint(desk: Desk, actor: str, data: Mapping[str, object]) -> Complaint:
    """Register a complaint from a 《客户投诉记录单》.

    Validates, issues the 受理编号, sets deadlines from the priority, links the
    customer by contact, and writes the audit event, all in one transaction.

    Raises:
        ValidationFailed: with field → message for every bad field.
        PermissionDenied: the actor may not register complaints.
    """
    return register_draft(desk, actor, validate(desk, data))


def validate(desk: Desk, data: Mapping[str, object]) -> ComplaintDraft:
    """The record form checked and cleaned at the desk's present time.

    Raises:
        ValidationFailed: with field → message for every bad field.
    """
    draft, errors = validate_complaint(data, now=desk.now(), zone=desk.config.timezone)
    if draft is None:
        raise ValidationFailed(errors)
    return draft


def register_draft(desk: Desk, actor: str, draft: ComplaintDraft) -> Complaint:
    """Register a checked draft: at once where the store can (PostgreSQL's one
    message: ``Store.register_at_once``), else in a write transaction.

    Raises:
        PermissionDenied: the actor may not register complaints.
    """
    now_utc = desk.now_utc()
    day = _day(desk, draft)
    values, detail = _columns(desk, actor, draft, "", 0, now_utc)
    done = desk.store.register_at_once(Registration(
        row=values, number_prefix=number_prefix(day), day=day, customer=_customer(draft, now_utc),
        action=REGISTERED, detail=audit.detail_text(detail), actor=actor,
        roles=tuple(role.value for role in REGISTER_ROLES), at=now_utc))
    if done is None:
        # Not plain (the account to judge, a paused complaint to resume), or
        # SQLite: the usual write, where the account is checked in _insert's
        # first read.
        with desk.store.write() as session:
            values = _insert(desk, session, actor, draft)
    else:
        values["id"], sequence, values["customer_id"] = done
        values["number"] = number_prefix(day) + sequence
    return Complaint(**values)


def register_drafts(desk: Desk, actor: str,
                    drafts: Sequence[ComplaintDraft]) -> list[str | DomainError]:
    """Register several drafts in one transaction, each in its own savepoint: one
    that fails is rolled back alone and its error is its result; the others are
    committed together (one durable commit instead of one per complaint: intake's
    speed). Results — the 受理编号, or the error — are in the drafts' order.

    Raises:
        PermissionDenied: the actor may not register complaints (nothing written).
        StoreError: the transaction itself failed (nothing written).
    """
    results: list[str | DomainError] = []
    with desk.store.write() as session:
        require(session, actor, REGISTER_ROLES, "登记投诉")
        connection = session.connection()
        for draft in drafts:
            # A plain SQLite savepoint: a registration writes through Core, so
            # the ORM has nothing of it to roll back (cheaper than begin_nested).
            connection.exec_driver_sql("SAVEPOINT registration")
            try:
                results.append(_insert(desk, session, actor, draft)["number"])
            except DomainError as exc:
                connection.exec_driver_sql("ROLLBACK TO registration")
                results.append(exc)
            connection.exec_driver_sql("RELEASE registration")
    return results


def _insert(desk: Desk, session: Session, actor: str, draft: ComplaintDraft) -> dict:
    """Write one registration (customer, number, complaint, index, audit) into the
    caller's transaction, ``actor``'s account checked; the complaint's column
    values, its id included.

    Raises:
        PermissionDenied: ``actor`` may not register (the number taken is rolled
            back with the rest).
    """
    now_utc = desk.now_utc()
    number = next_number(desk, session, _day(desk, draft))
    customer_id, paused = _account_and_customer(session, actor, draft, now_utc)
    values, detail = _columns(desk, actor, draft, number, customer_id, now_utc)
    # Core inserts, not ORM objects: the unit of work's flushes were most of a
    # registration's time (intake's speed); the columns not given take their
    # defaults.
    values["id"] = session.connection().execute(_INSERT_COMPLAINT, values).inserted_primary_key[0]
    desk.store.index_new_complaint(session, values)
    audit.record(session, at=now_utc, actor=actor, action=REGISTERED,
                 complaint_id=values["id"], after=values["number"], detail=detail)
    if paused:
        resume_customer(desk, session, actor, customer_id, values["number"])
    return values


def _day(desk: Desk, draft: ComplaintDraft) -> str:
    """The day whose counter numbers the draft: the day it was received, locally."""
    return draft.received_at.astimezone(desk.config.timezone).strftime("%Y%m%d")


def _columns(desk: Desk, actor: str, draft: ComplaintDraft, number: str, customer_id: int,
             now_utc: datetime) -> tuple[dict, dict]:
    """The complaint's columns and its event's detail (``effects.registered``)."""
    first_due, resolution_due = deadlines_for(draft.priority, draft.received_at, desk.config)
    return effects.registered(
        number=number, customer_id=customer_id,
        customer_name=draft.customer_name, address=draft.address, contact=draft.contact,
        channel=draft.channel, received_at=draft.received_at, event=draft.event,
        demand=draft.demand, category=draft.category, priority=draft.priority,
        product=draft.product, quantity=draft.quantity, by=actor,
        first_response_due=first_due, resolution_due=resolution_due, at=now_utc)


def _customer(draft: ComplaintDraft, now: datetime) -> dict:
    """The columns of the draft's customer, if new."""
    return dict(name=draft.customer_name, address=draft.address, contact=draft.contact,
                contact_key=contact_key(draft.contact), created_at=now)


# ----------------------------------------------------------------- reading

@dataclass(frozen=True)
class LinkedComplaint:
    """Another complaint linked to this one; ``outgoing`` when this one points to it."""

    kind: LinkKind
    outgoing: bool
    complaint: Complaint


@dataclass(frozen=True)
class ComplaintRecord:
    """A complaint with its audit timeline, detached from the session."""

    complaint: Complaint
    timeline: list[AuditEvent]
    receiver_name: str
    links: list[LinkedComplaint] = field(default_factory=list)
    customer_others: list[Complaint] = field(default_factory=list)
    staff_names: dict[str, str] = field(default_factory=dict)


def find_complaint(session: Session, number: str) -> Complaint:
    complaint = session.exec(select(Complaint).where(Complaint.number == number.strip())).first()
    if complaint is None:
        raise NotFound(f"没有受理编号为 {number.strip()} 的投诉：请检查编号")
    return complaint


def get_complaint(desk: Desk, number: str) -> ComplaintRecord:
    """Everything the record screen and ``show`` need, in one short read."""
    with desk.store.read() as session:
        return read_record(session, number)


def read_record(session: Session, number: str) -> ComplaintRecord:
    """The complaint ``number`` with its timeline, links and the customer's other
    complaints, inside the caller's unit of work."""
    complaint = find_complaint(session, number)
    names = {s.login: s.name for s in session.exec(select(Staff))}
    links = [
        LinkedComplaint(LinkKind(link.kind), link.complaint_id == complaint.id, other)
        for link, other in session.exec(
            select(ComplaintLink, Complaint).join(
                Complaint,
                ((ComplaintLink.complaint_id == complaint.id) & (Complaint.id == ComplaintLink.linked_id))
                | ((ComplaintLink.linked_id == complaint.id) & (Complaint.id == ComplaintLink.complaint_id)),
            ).order_by(ComplaintLink.id))
    ]
    others = list(session.exec(
        select(Complaint).where(Complaint.customer_id == complaint.customer_id,
                                Complaint.id != complaint.id)
        .order_by(Complaint.received_at.desc()).limit(50)))
    return ComplaintRecord(complaint, audit.timeline(session, complaint.id),
                           names.get(complaint.received_by, complaint.received_by),
                           links, others, names)


ANY_STAFF = set(Role)
MAX_NOTE_LENGTH = 2000


def link_complaints(desk: Desk, actor: str, number: str, other_number: str,
                    kind: str = LinkKind.REPEAT.value) -> None:
    """Mark ``number`` as a repeat or duplicate of ``other_number`` (the same matter).

    Both complaints' timelines get an audit event, in the same transaction.
    """
    try:
        link_kind = LinkKind.parse(kind)
    except ValueError as exc:
        raise DomainError(f"关联类型{exc}") from None
    with desk.store.write() as session:
        require(session, actor, ANY_STAFF, "关联投诉")
        this, other = find_complaint(session, number), find_complaint(session, other_number)
        if this.id == other.id:
            raise DomainError("不能把投诉关联到它自己")
        existing = session.exec(select(ComplaintLink).where(
            ((ComplaintLink.complaint_id == this.id) & (ComplaintLink.linked_id == other.id))
            | ((ComplaintLink.complaint_id == other.id) & (ComplaintLink.linked_id == this.id)))).first()
        if existing is not None:
            raise DomainError(f"{this.number} 与 {other.number} 已经关联")
        now = desk.now_utc()
        session.add(ComplaintLink(complaint_id=this.id, linked_id=other.id, kind=link_kind.value,
                                  created_by=actor, created_at=now))
        audit.record(session, at=now, actor=actor, action="complaint.linked", complaint_id=this.id,
                     after=other.number, detail={"kind": link_kind.value})
        audit.record(session, at=now, actor=actor, action="complaint.linked_from",
                     complaint_id=other.id, after=this.number, detail={"kind": link_kind.value})


def add_note(desk: Desk, actor: str, number: str, text: str) -> None:
    """Append a note to the complaint's timeline (an append never conflicts)."""
    note = clean_text(text).strip()
    if not note:
        raise DomainError("备注不能为空")
    if len(note) > MAX_NOTE_LENGTH:
        raise DomainError(f"备注过长：{len(note)} 字，最多 {MAX_NOTE_LENGTH} 字")
    with desk.store.write() as session:
        require(session, actor, ANY_STAFF, "添加备注")
        complaint = find_complaint(session, number)
        audit.record(session, at=desk.now_utc(), actor=actor, action="complaint.note",
                     complaint_id=complaint.id, after=note)


def count_complaints(desk: Desk) -> int:
    with desk.store.read() as session:
        return session.exec(select(func.count()).select_from(Complaint)).one()


def list_complaints(desk: Desk, offset: int = 0, limit: int = 100) -> list[Complaint]:
    """Newest first."""
    with desk.store.read() as session:
        return list(session.exec(
            select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc())
            .offset(offset).limit(limit)
        ))


def customer_history(desk: Desk, contact: str, limit: int = 20) -> tuple[int, list[Complaint]]:
    """The customer's earlier complaints (newest first) and how many there are in all."""
    key = contact_key(contact)
    if not key:
        return 0, []
    with desk.store.read() as session:
        customer = session.exec(select(Customer).where(Customer.contact_key == key)).first()
        if customer is None:
            return 0, []
        total = session.exec(select(func.count()).select_from(Complaint)
                             .where(Complaint.customer_id == customer.id)).one()
        rows = list(session.exec(
            select(Complaint).where(Complaint.customer_id == customer.id)
            .order_by(Complaint.received_at.desc()).limit(limit)
        ))
        return total, rows


def last_channel(desk: Desk, actor: str) -> str | None:
    """The channel of the actor's last registered complaint: the form's default."""
    with desk.store.read() as session:
        return session.exec(
            select(Complaint.channel).where(Complaint.received_by == actor)
            .order_by(Complaint.id.desc()).limit(1)
        ).first()


def iter_complaints(desk: Desk, batch: int = 1000):
    """Every complaint in number order, fetched in short read sessions by keyset."""
    last_id = 0
    while True:
        with desk.store.read() as session:
            rows = list(session.exec(
                select(Complaint).where(Complaint.id > last_id).order_by(Complaint.id).limit(batch)
            ))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def position_of(desk: Desk, number: str) -> int | None:
    """Index of a complaint in the newest-first list, or None if unknown."""
    with desk.store.read() as session:
        target = session.exec(select(Complaint).where(Complaint.number == number)).first()
        if target is None:
            return None
        newer = session.exec(select(func.count()).select_from(Complaint).where(
            (Complaint.received_at > target.received_at)
            | ((Complaint.received_at == target.received_at) & (Complaint.id > target.id))
        )).one()
        return newer


def resolve_number(desk: Desk, typed: str) -> str:
    """The 受理编号 a person means, as the palette understands it: any case
    (``ts-20261123-0007``), or a unique part (``0007``, ``20261123-0007``).

    Raises:
        NotFound: nothing matches.
        DomainError: the part matches several complaints (a few are named).
    """
    fragment = typed.strip().upper()
    if not fragment:
        raise DomainError("请给出受理编号，如 TS-20261123-0007 或其末尾的 0007")
    found = find_numbers(desk, fragment, limit=6)
    numbers = [number for number, _customer in found]
    if fragment in numbers:
        return fragment
    if len(numbers) == 1:
        return numbers[0]
    if not numbers:
        raise NotFound(f"没有受理编号为 {typed.strip()} 的投诉：请检查编号")
    shown = "、".join(numbers[:5]) + ("等" if len(numbers) > 5 else "")
    raise DomainError(f"“{typed.strip()}”对应多件投诉（{shown}）：请写出完整的受理编号")


def find_numbers(desk: Desk, fragment: str, limit: int = 20) -> list[tuple[str, str]]:
    """Complaints whose 受理编号 contains ``fragment``: (number, customer), newest first.

    A fragment of digits and dashes matches anywhere in the number
    (``0007``, ``20261123-0007``); ``TS-…`` prefixes use the unique index.
    """
    fragment = fragment.strip().upper()
    if not fragment:
        return []
    with desk.store.read() as session:
        if fragment.startswith(NUMBER_PREFIX):
            query = select(Complaint.number, Complaint.customer_name).where(
                Complaint.number >= fragment, Complaint.number < fragment + "\uffff"
            ).order_by(Complaint.number.desc())
        else:
            escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = select(Complaint.number, Complaint.customer_name).where(
                Complaint.number.like(f"%{escaped}%", escape="\\")
            ).order_by(Complaint.id.desc())
        return [tuple(row) for row in session.exec(query.limit(limit))]  # type: ignore[misc]
