"""Noticing what other consoles changed, without polling tables.

``PRAGMA data_version`` on a connection kept outside any transaction changes
whenever another connection commits, and costs microseconds. Each console keeps
one such connection and asks it every second or so; when it has changed, the
audit trail says what (``store/changes.py``).
"""

from __future__ import annotations

import sqlite3
import threading

from complaintdesk.store.changes import ChangeFeed, Changes
from complaintdesk.store.sqlite.clock_sql import moment


class ChangeWatcher:
    """Tells what anyone (another process or this one) committed since last asked.

    Safe to ask from one thread while another closes it: closing a sqlite3
    connection in the middle of a statement on another thread crashes the
    interpreter (a segfault seen in CI when a console quit during a poll), so
    every use of the connection holds one lock, and a closed watcher reports no
    change.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = conn
        with self._lock:
            self._version = self._data_version()
            self._feed = ChangeFeed(self._execute, "?", moment)

    def _data_version(self) -> int:
        assert self._conn is not None
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _execute(self, sql: str, params: tuple) -> list[tuple]:
        assert self._conn is not None
        return self._conn.execute(sql, params).fetchall()

    def changes(self) -> Changes | None:
        """What the commits since the last ask changed; None if nobody committed."""
        with self._lock:
            if self._conn is None:
                return None
            version = self._data_version()
            if version == self._version:
                return None
            self._version = version
            return self._feed.read()

    def changed(self) -> bool:
        return self.changes() is not None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
