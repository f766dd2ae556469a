"""Noticing what other consoles changed, without polling tables.

``PRAGMA data_version`` on a connection kept outside any transaction changes
whenever another connection commits, and costs microseconds. Each console keeps
one such connection and asks it every second or so.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlmodel import func, select

from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Priority
from complaintdesk.store.models import Complaint


class ChangeWatcher:
    """Tells whether anyone (another process or this one) committed since last asked.

    Safe to ask from one thread while another closes it: closing a sqlite3
    connection in the middle of a statement on another thread crashes the
    interpreter (a segfault seen in CI when a console quit during a poll), so
    every use of the connection holds one lock, and a closed watcher reports no
    change.
    """

    def __init__(self, desk: Desk) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = desk.store.raw_connection()
        self._version = self._read()

    def _read(self) -> int | None:
        with self._lock:
            if self._conn is None:
                return None
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        version = self._read()
        if version is None or version == self._version:
            return False
        self._version = version
        return True

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def last_complaint_id(desk: Desk) -> int:
    with desk.store.read() as session:
        return session.exec(select(Complaint.id).order_by(Complaint.id.desc()).limit(1)).first() \
            or 0  # type: ignore[call-overload]


URGENT_SHOWN = 3  # new urgent complaints announced one by one; beyond that, counted


def new_urgent_since(desk: Desk, after_id: int, limit: int = URGENT_SHOWN
                     ) -> tuple[list[tuple[str, str]], int, int]:
    """Urgent complaints registered after ``after_id``: the first ``limit`` as
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
        rows = session.exec(  # type: ignore[call-overload]
            select(Complaint.number, Complaint.customer_name).where(urgent)
            .order_by(Complaint.id).limit(limit)).all()
        count = len(rows) if len(rows) < limit else session.exec(  # type: ignore[call-overload]
            select(func.count()).select_from(Complaint).where(urgent)).one()
    return [(r[0], r[1]) for r in rows], count, newest
