"""The customer's next contact runs a paused clock again (domain/clocks.py): used
inside the registering transaction of a new complaint from the same customer."""

from __future__ import annotations

from sqlmodel import Session, col, select

from complaintdesk.domain import clocks
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.enums import Action
from complaintdesk.process import audit
from complaintdesk.process.desk import Desk
from complaintdesk.store.models import Complaint


def resume_on_contact(desk: Desk, session: Session, actor: str, complaint: Complaint,
                      how: str = clocks.BY_CONTACT) -> bool:
    """The customer was in touch about ``complaint``: a paused clock runs again
    (audited, the complaint's version moves). True when it was paused."""
    if complaint.paused_at is None:
        return False
    detail = clocks.resumed_on(as_row(complaint), at=desk.now(), config=desk.config, how=how)
    complaint.version += 1
    complaint.updated_at = desk.now_utc()
    session.add(complaint)
    audit.record(session, at=desk.now_utc(), actor=actor, action=f"workflow.{Action.RESUME.value}",
                 complaint_id=complaint.id, detail=detail)
    return True


def resume_customer(desk: Desk, session: Session, actor: str, customer_id: int,
                    new_number: str) -> list[str]:
    """A new complaint (``new_number``) from the same customer is their next contact:
    every paused complaint of theirs runs again. The numbers resumed."""
    out = []
    # By the customer's index alone: with "not closed" in the query, SQLite (no
    # statistics) walked every open complaint by the closed index, 40 ms a
    # registration at 1M, and 8 writers timed out on the write lock.
    for c in session.exec(select(Complaint).where(
            Complaint.customer_id == customer_id, col(Complaint.paused_at).is_not(None))).all():
        if c.closed:
            continue
        if resume_on_contact(desk, session, actor, c, f"{clocks.BY_CONTACT}（新登记 {new_number}）"):
            out.append(c.number)
    return out


__all__ = ["resume_customer", "resume_on_contact"]
