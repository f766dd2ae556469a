"""Appending to the audit trail of the SQLite store: each event linked by its
hash to the one before (the chain itself: ``audit_chain.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect
from sqlmodel import Session

from complaintdesk.store.models import AuditEvent
from complaintdesk.store.sqlite import audit_chain

_AT = AuditEvent.__table__.c.at.type  # type: ignore[attr-defined]
_INSERT = AuditEvent.__table__.insert()  # type: ignore[attr-defined]
_AT_PROCESSORS: dict[type, Any] = {}


def _stored_at(at: Any, dialect: Dialect) -> Any:
    """``at`` as the column stores it (UTCDateTime: UTC text), for the event's hash:
    the column type's own bind processing, so the hash is of what is stored."""
    kind = type(dialect)
    if kind not in _AT_PROCESSORS:
        _AT_PROCESSORS[kind] = _AT.dialect_impl(dialect).bind_processor(dialect)
    process = _AT_PROCESSORS[kind]
    return process(at) if process is not None else at


def append_event(session: Session, event: dict[str, Any]) -> None:
    """Append one audit event (``at, actor, complaint_id, action, field, before,
    after, detail`` as stored) to the current transaction, linked to the event before.

    The link is made inside the writer's ``BEGIN IMMEDIATE`` transaction on the file
    as it is (the events of this transaction flushed first), so concurrent writers
    and several events in one transaction make one chain.
    """
    session.flush()  # this transaction's earlier events are in the file
    connection = session.connection()
    last_id, previous = audit_chain.tail(connection.connection.driver_connection)
    event_id = last_id + 1
    content = audit_chain.content_bytes((
        event_id, _stored_at(event["at"], connection.dialect), event["actor"],
        event["complaint_id"], event["action"], event["field"], event["before"],
        event["after"], event["detail"]))
    # A Core insert, not an ORM object: nothing waits in the session's unit of
    # work (a registration's cost was mostly ORM flushes), and the next event's
    # tail read sees this one at once.
    connection.execute(_INSERT, dict(event, id=event_id, hash=audit_chain.link(previous, content)))
