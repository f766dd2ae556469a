"""Noticing what other consoles changed, without polling tables.

``PRAGMA data_version`` on a connection kept outside any transaction changes
whenever another connection commits, and costs microseconds. Each console keeps
one such connection and asks it every second or so.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlmodel import select

from .desk import Desk
from .enums import Priority
from .models import Complaint


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


def new_urgent_since(desk: Desk, after_id: int) -> tuple[list[tuple[str, str]], int]:
    """Urgent complaints registered after ``after_id``: (number, customer) pairs, and
    the newest id seen, to pass next time."""
    with desk.store.read() as session:
        rows = session.exec(  # type: ignore[call-overload]
            select(Complaint.id, Complaint.number, Complaint.customer_name, Complaint.priority)
            .where(Complaint.id > after_id).order_by(Complaint.id)).all()
    newest = rows[-1][0] if rows else after_id
    return [(r[1], r[2]) for r in rows if r[3] == Priority.URGENT.value], newest
