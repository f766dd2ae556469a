"""Audit events: written in the same transaction as the change they record, each
linked by its hash to the one before (audit_chain.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Dialect
from sqlmodel import Session, select

from complaintdesk.store.sqlite import audit_chain
from complaintdesk.store.models import AuditEvent

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


def record(session: Session, *, at, actor: str, action: str, complaint_id: int | None = None,
           field: str | None = None, before: Any = None, after: Any = None,
           detail: dict | None = None) -> None:
    """Append one audit event to the current transaction, linked to the event before.

    The link is made inside the writer's ``BEGIN IMMEDIATE`` transaction on the file
    as it is (the events of this transaction flushed first), so concurrent writers
    and several events in one transaction make one chain.
    """
    before = None if before is None else str(before)
    after = None if after is None else str(after)
    detail_text = None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)
    session.flush()  # this transaction's earlier events are in the file
    connection = session.connection()
    last_id, previous = audit_chain.tail(connection.connection.driver_connection)
    event_id = last_id + 1
    content = audit_chain.content_bytes((
        event_id, _stored_at(at, connection.dialect), actor, complaint_id, action,
        field, before, after, detail_text))
    values = dict(id=event_id, at=at, actor=actor, complaint_id=complaint_id, action=action,
                  field=field, before=before, after=after, detail=detail_text,
                  hash=audit_chain.link(previous, content))
    # A Core insert, not an ORM object: nothing waits in the session's unit of
    # work (a registration's cost was mostly ORM flushes), and the next event's
    # tail read sees this one at once.
    connection.execute(_INSERT, values)


def timeline(session: Session, complaint_id: int) -> list[AuditEvent]:
    return list(session.exec(
        select(AuditEvent).where(AuditEvent.complaint_id == complaint_id).order_by(AuditEvent.id)
    ))


ACTION_LABELS = {
    "complaint.registered": "登记投诉",
    "staff.bootstrap": "首位用户成为管理员",
    "staff.added": "添加员工",
    "staff.disabled": "停用员工",
    "staff.enabled": "启用员工",
    "staff.role_changed": "更改员工角色",
    "customer.updated": "更新客户资料",
    "complaint.linked": "关联到",
    "complaint.linked_from": "被关联自",
    "complaint.note": "备注",
}


def action_label(action: str) -> str:
    if action.startswith("workflow."):
        from complaintdesk.domain.enums import Action

        try:
            return Action(action.removeprefix("workflow.")).label
        except ValueError:
            pass
    return ACTION_LABELS.get(action, action)
