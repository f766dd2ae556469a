"""Likely duplicates: the same customer (by contact), the same product, still open,
received within the configured days of each other. Registration warns about them
(the console asks before saving; intake reports them on the line's result) so the
same matter is not registered twice without anyone noticing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from complaintdesk.domain.contacts import contact_key
from complaintdesk.domain.enums import Status
from complaintdesk.domain.validation import ComplaintDraft
from complaintdesk.process.desk import Desk
from complaintdesk.store.models import Complaint, Customer

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
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _matches(session: Session, key: str, product: str, received_at: datetime, within: timedelta,
             before_id: int | None) -> list[Earlier]:
    customer = session.exec(select(Customer.id).where(Customer.contact_key == key)).first()
    if customer is None:
        return []
    query = select(Complaint).where(
        Complaint.customer_id == customer, Complaint.closed == False,  # noqa: E712
        col(Complaint.received_at) >= received_at - within,
        col(Complaint.received_at) <= received_at + within)
    if before_id is not None:
        query = query.where(col(Complaint.id) < before_id)
    rows = session.exec(query.order_by(col(Complaint.received_at).desc()).limit(200)).all()
    return [Earlier(c.number, Status(c.status), c.received_at, c.product or "")
            for c in rows if same_product(c.product or "", product)][:MAX_NAMED]


def likely_duplicates(desk: Desk, draft: ComplaintDraft) -> list[Earlier]:
    """Open complaints this draft may repeat (before it is registered)."""
    within = timedelta(days=desk.config.duplicate_within_days)
    if not within:
        return []
    with desk.store.read() as session:
        return _matches(session, contact_key(draft.contact), draft.product, draft.received_at,
                        within, None)


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
            low = min(c.received_at for c in new) - within
            high = max(c.received_at for c in new) + within
            candidates = session.exec(select(Complaint).where(
                col(Complaint.customer_id).in_({c.customer_id for c in new}),
                Complaint.closed == False,  # noqa: E712
                col(Complaint.received_at) >= low, col(Complaint.received_at) <= high)).all()
            by_customer: dict[int, list[Complaint]] = {}
            for c in candidates:
                by_customer.setdefault(c.customer_id, []).append(c)
            for c in new:
                found = sorted(
                    (o for o in by_customer.get(c.customer_id, ())
                     if o.id < c.id and abs(o.received_at - c.received_at) <= within  # type: ignore[operator]
                     and same_product(o.product or "", c.product or "")),
                    key=lambda o: o.received_at, reverse=True)[:MAX_NAMED]
                if found:
                    out[c.number] = [Earlier(o.number, Status(o.status), o.received_at, o.product or "")
                                     for o in found]
    return out


__all__ = ["Earlier", "MAX_NAMED", "duplicates_of_registered", "likely_duplicates", "same_product"]
