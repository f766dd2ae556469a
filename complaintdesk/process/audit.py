"""Audit events: written in the same transaction as the change they record, each
linked by its hash to the one before (the store keeps the chain:
``store/sqlite/audit_chain.py``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from complaintdesk.domain.effects import detail_text
from complaintdesk.process.desk import Desk
from complaintdesk.store.models import AuditEvent
from complaintdesk.store.port import AuditCheck, store_of

def record(session: Session, *, at, actor: str, action: str, complaint_id: int | None = None,
           field: str | None = None, before: Any = None, after: Any = None,
           detail: dict | None = None) -> None:
    """Append one audit event to the unit of work ``session``, linked by its hash
    to the event before (the store's job: ``Store.append_audit``)."""
    store_of(session).append_audit(session, dict(
        at=at, actor=actor, complaint_id=complaint_id, action=action, field=field,
        before=None if before is None else str(before),
        after=None if after is None else str(after),
        detail=None if detail is None else detail_text(detail)))


def check_trail(desk: Desk) -> AuditCheck:
    """The quick check of the audit trail an admin's console runs at start: the
    append-only guards and the last links of the chain."""
    return desk.store.check_audit_trail()


def timeline(session: Session, complaint_id: int) -> list[AuditEvent]:
    return list(session.exec(
        select(AuditEvent).where(AuditEvent.complaint_id == complaint_id).order_by(AuditEvent.id)
    ))
