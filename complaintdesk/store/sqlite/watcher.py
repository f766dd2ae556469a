"""Noticing what other consoles changed, without polling tables.

``PRAGMA data_version`` on a connection kept outside any transaction changes
whenever another connection commits, and costs microseconds. Each console keeps
one such connection and asks it when the kernel says the database's WAL was
written (``commit_signal.py``), or every second where it cannot say; when it
has changed, the audit trail says what (``store/changes.py``).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from complaintdesk.store.alarm import Alarm
from complaintdesk.store.changes import ChangeFeed, Changes
from complaintdesk.store.sqlite.clock_sql import moment
from complaintdesk.store.sqlite.commit_signal import CommitSignal, open_signal

class ChangeWatcher:
    """Tells what anyone (another process or this one) committed since last asked.

    Safe to ask from one thread while another closes it: closing a sqlite3
    connection in the middle of a statement on another thread crashes the
    interpreter (a segfault seen in CI when a console quit during a poll), so
    every use of the connection holds one lock, and a closed watcher reports no
    change. A wait on another thread ends at once when it is closed.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._waiting = threading.Lock()  # held while a thread waits on the signal
        self._conn: sqlite3.Connection | None = conn
        self._alarm = Alarm()
        self._signal: CommitSignal | None = open_signal(path) if path is not None else None
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
    def waits(self) -> bool:
        """Whether ``wait`` is told of commits by the kernel (else it is a pause)."""
        signal = self._signal
        return signal is not None and not signal.lost

    def wait(self, timeout: float) -> bool:
        """Block until the database's WAL is written (True),
        ``timeout`` seconds pass, another file in its directory is written or the
        watcher is closed (False: at once, from another thread). Without
        the kernel's signal, a plain pause of ``timeout`` after which it says to
        look (True)."""
        with self._waiting:
            if self.closed:
                return False
            if not self.waits:
                self._alarm.wait([], timeout)
                return not self.closed
            assert self._signal is not None
            if not self._alarm.wait([self._signal.fileno()], timeout):
                return False
            # Another file in the directory: False. A commit caught before its last
            # write is not visible yet: the follower looks again (``unsure``).
            return self._signal.drain() and not self.closed

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        self._alarm.ring()
        with self._waiting:  # the waiter has left (woken by the alarm at once)
            self._alarm.close()
            if self._signal is not None:
                self._signal.close()
