"""What other consoles changed: the store's watcher (``watch_changes``) says
whether anyone committed; these read what is new."""

from __future__ import annotations

from sqlmodel import func, select

from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Priority
from complaintdesk.store.models import Complaint
from complaintdesk.store.port import Watcher


def watch_changes(desk: Desk) -> Watcher:
    """A watcher of commits by anyone; ``changed()`` costs microseconds."""
    return desk.store.watcher()


def last_complaint_id(desk: Desk) -> int:
    with desk.store.read() as session:
        return session.exec(select(Complaint.id).order_by(Complaint.id.desc()).limit(1)).first() \
            or 0  # type: ignore[call-overload]


URGENT_SHOWN = 3  # new urgent complaints announced one by one; beyond that, counted


def new_urgent_since(desk: Desk, after_id: int, limit: int = URGENT_SHOWN, *,
                     not_by: str | None = None) -> tuple[list[tuple[str, str]], int, int]:
    """Urgent complaints registered after ``after_id`` (other than those ``not_by``
    registered: nobody needs to be told of their own): the first ``limit`` as
    (number, customer) pairs, how many there are in all, and the newest id seen, to
    pass next time.

    A console announces each new urgent complaint; after a bulk load (demo, intake
    of a day's web forms) there may be thousands, which would be one notice each
    and one row each read here. So only the first few are read, and the rest counted.
    """
    with desk.store.read() as session:
        newest = session.exec(  # type: ignore[call-overload]
            select(func.max(Complaint.id)).where(Complaint.id > after_id)).one() or after_id
        urgent = (Complaint.id > after_id) & (Complaint.id <= newest) & (
            Complaint.priority == Priority.URGENT.value)
        if not_by is not None:
            urgent = urgent & (Complaint.received_by != not_by)
        rows = session.exec(  # type: ignore[call-overload]
            select(Complaint.number, Complaint.customer_name).where(urgent)
            .order_by(Complaint.id).limit(limit)).all()
        count = len(rows) if len(rows) < limit else session.exec(  # type: ignore[call-overload]
            select(func.count()).select_from(Complaint).where(urgent)).one()
    return [(r[0], r[1]) for r in rows], count, newest


__all__ = ["Watcher", "last_complaint_id", "new_urgent_since", "watch_changes", "URGENT_SHOWN"]
