"""Noticing what other consoles changed, without polling tables.

``PRAGMA data_version`` on a connection kept outside any transaction changes
whenever another connection commits, and costs microseconds. Each console keeps
one such connection and asks it every second or so.
"""

from __future__ import annotations

import sqlite3
import threading


class ChangeWatcher:
    """Tells whether anyone (another process or this one) committed since last asked.

    Safe to ask from one thread while another closes it: closing a sqlite3
    connection in the middle of a statement on another thread crashes the
    interpreter (a segfault seen in CI when a console quit during a poll), so
    every use of the connection holds one lock, and a closed watcher reports no
    change.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = conn
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
