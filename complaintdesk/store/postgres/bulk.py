"""Loading whole tables into a PostgreSQL desk in one transaction (``copy-to``):
COPY, then the search index built from the complaints, the identity counters
moved past the ids copied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from complaintdesk.store.postgres import search
from complaintdesk.store.postgres.ddl import COPY_LOCK, WRITE_LOCK

#: The tables whose ids the server issues: moved past the copied ids.
IDENTITY_TABLES = ("customer", "complaint", "investigation", "handling_sheet", "revisit",
                   "complaint_link")
ALL_TABLES = ("alert_sent, complaint_link, revisit, handling_sheet, investigation, "
              "complaint_search, audit_event, complaint, customer, staff, daily_counter")


class BulkLoad:
    """One transaction on the target: ``clear`` (a re-run replaces an earlier copy),
    ``copy`` table by table, ``finish`` (commit) or ``abort``."""

    def __init__(self, store: Any) -> None:
        self._conn = store.engine.raw_connection()
        self._raw = self._conn.driver_connection
        self._raw.execute("SET LOCAL lock_timeout = '30s'")
        self._raw.execute("SELECT pg_advisory_xact_lock(%s), pg_advisory_xact_lock(%s)",
                          (WRITE_LOCK, COPY_LOCK))

    def is_being_filled(self, store) -> bool:  # type: ignore[no-untyped-def]
        """Whether ``store`` is this very database (its copy lock is held: by us)."""
        return store.backend == "postgresql" and is_being_filled(store)

    def count(self, table: str) -> int:
        return self._raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def audit_hash(self, event_id: int) -> bytes | None:
        row = self._raw.execute("SELECT hash FROM audit_event WHERE id = %s", (event_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def last_audit_id(self) -> int:
        return self._raw.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0]

    def clear(self) -> None:
        """Empty every table, the audit trail's guard lifted for this transaction
        only (the tables' owner may; the desk's own role should not be it)."""
        self._raw.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate")
        self._raw.execute(f"TRUNCATE {ALL_TABLES}")
        self._raw.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate")

    def copy(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        count = 0
        with self._raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count

    def set_column(self, table: str, column: str, pairs: list[tuple[int, Any]]) -> None:
        with self._raw.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s",
                               [(value, ident) for ident, value in pairs])

    def index(self, rows: Iterable[tuple[tuple, bool]]) -> None:
        """The search index of the complaints (``indexed_fields``, open).

        The text indexes keep no pending list (revision 0004: every search would
        read it); for the load they do, so the rows' grams reach each index in
        batches, not one insertion each (a 1M-complaint load took about 10
        minutes more that way), and the lists are merged and switched off again
        before the commit (the VACUUM after it would merge them too, but a copy
        killed between the two would leave them)."""
        texts = [name for (name,) in self._raw.execute(
            "SELECT i.inhrelid::regclass::text FROM pg_inherits i JOIN pg_class c "
            "ON c.oid = i.inhrelid WHERE i.inhparent IN "
            "('ix_search_grams'::regclass, 'ix_search_grams_open'::regclass) "
            "AND 'fastupdate=off' = ANY(c.reloptions) ORDER BY 1")]
        for name in texts:
            self._raw.execute(f"ALTER INDEX {name} SET (fastupdate = on)")
        with self._raw.cursor() as cursor:
            with cursor.copy("COPY complaint_search (complaint_id, open, grams, doc) FROM STDIN"
                             ) as copy:
                for fields, open_ in rows:
                    copy.write_row(search.search_row(fields, open_))
        for name in texts:
            self._raw.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")
            self._raw.execute(f"ALTER INDEX {name} SET (fastupdate = off)")

    def finish(self) -> None:
        for table in IDENTITY_TABLES:
            self._raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        self._raw.commit()
        # The planner's statistics and the visibility map of the tables just filled
        # (index-only scans): without them the first
        # searches and reports of a copied desk pick plans for empty tables.
        self._raw.autocommit = True
        self._raw.execute("VACUUM (ANALYZE)")
        self._raw.autocommit = False
        self._conn.close()

    def abort(self) -> None:
        self._raw.rollback()
        self._conn.close()


def is_being_filled(store: Any) -> bool:
    """Whether a copy-to is filling the database of ``store`` right now (its copy
    lock is taken): asked of a copy's source, it means the source is the target."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        free = raw.execute("SELECT pg_try_advisory_lock(%s)", (COPY_LOCK,)).fetchone()[0]
        if free:
            raw.execute("SELECT pg_advisory_unlock(%s)", (COPY_LOCK,))
        conn.rollback()
    return not free
