"""Loading whole tables into a new SQLite desk in one transaction (``copy-to`` a
file: a backup of a server's desk), the search indexes built after."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from complaintdesk.store.sqlite import search_index


def _stored(value: Any) -> Any:
    """A value as the file keeps it: times as naive UTC text, booleans as 0/1."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


class BulkLoad:
    """One ``BEGIN IMMEDIATE`` transaction on the target file."""

    def __init__(self, store: Any) -> None:
        self._conn = store.raw_connection()
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("BEGIN IMMEDIATE")

    def is_being_filled(self, store: Any) -> bool:
        """Whether ``store`` is this file (a new file never is)."""
        return False

    def count(self, table: str) -> int:
        return self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def audit_hash(self, event_id: int) -> bytes | None:
        row = self._conn.execute("SELECT hash FROM audit_event WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else row[0]

    def last_audit_id(self) -> int:
        return self._conn.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0]

    def clear(self) -> None:
        raise RuntimeError("a SQLite target is always new")

    def copy(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        insert = (f"INSERT INTO {table} ({', '.join(columns)}) "
                  f"VALUES ({', '.join('?' for _ in columns)})")
        count = 0
        it = iter(rows)
        while batch := [tuple(map(_stored, row)) for row in islice(it, 5000)]:
            self._conn.executemany(insert, batch)
            count += len(batch)
        return count

    def set_column(self, table: str, column: str, pairs: list[tuple[int, Any]]) -> None:
        self._conn.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                               [(_stored(value), ident) for ident, value in pairs])

    def index(self, rows: Iterable[tuple[tuple, bool]]) -> None:
        every, still_open = [], []
        for fields, open_ in rows:
            every.append(fields)
            if open_:
                still_open.append(fields)
        search_index.index_complaints(self._conn, every, (search_index.EVERY,))
        search_index.index_complaints(self._conn, still_open, (search_index.OPEN,))

    def finish(self) -> None:
        self._conn.execute("COMMIT")
        self._conn.close()

    def abort(self) -> None:
        self._conn.execute("ROLLBACK")
        self._conn.close()
