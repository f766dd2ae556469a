"""Versioned schema: explicit DDL per version, applied in order.

The version lives in ``PRAGMA user_version``. A new release adds a step to
``MIGRATIONS``; an existing file is upgraded in place in one transaction. A
file from a newer release is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from complaintdesk.store.sqlite import search_index as search
from complaintdesk.store.sqlite.audit_triggers import AUDIT_NO_REPLACE, AUDIT_TRIGGERS
from complaintdesk.store.sqlite.schema_history import (V1, index_all, split_sql, v2, v3, v4, v5,
                                                      v6)


def v7(conn: sqlite3.Connection) -> None:
    """The tamper-evident audit trail: each event's hash over its content and the
    hash before it (audit_chain.py), computed here for the existing events in id
    order, and the insert trigger that refuses REPLACE and out-of-turn ids.

    The no-update trigger is dropped while the hashes are written and re-created
    with its V1 text, all in the caller's transaction: a failed upgrade leaves the
    file as it was.
    """
    from complaintdesk.store.sqlite import audit_chain

    conn.execute("ALTER TABLE audit_event ADD COLUMN hash BLOB")
    conn.execute("DROP TRIGGER audit_event_no_update")
    audit_chain.fill_chain(conn)
    conn.execute(AUDIT_TRIGGERS["audit_event_no_update"])
    conn.execute(AUDIT_NO_REPLACE)


def v1(conn: sqlite3.Connection) -> None:
    for statement in split_sql(V1):
        conn.execute(statement)


def v8(conn: sqlite3.Connection) -> None:
    """Everyone who saved any version of a 处理单 is on it (``authors``, logins
    separated by spaces): none of them may approve or return it. Filled for
    existing sheets from the sheet's own columns and the audit trail's saves and
    submits of it."""
    conn.execute("ALTER TABLE handling_sheet ADD COLUMN authors TEXT NOT NULL DEFAULT ''")
    authors: dict[str, set[str]] = {}
    for number, *logins in conn.execute(
            "SELECT sheet_number, drafted_by, updated_by, submitted_by FROM handling_sheet"):
        authors[number] = {login for login in logins if login}
    for actor, number in conn.execute(
            "SELECT actor, json_extract(detail, '$.sheet') FROM audit_event "
            "WHERE action IN ('workflow.save_sheet', 'workflow.submit_sheet') "
            "AND json_valid(detail)"):
        if number in authors:
            authors[number].add(actor)
    conn.executemany("UPDATE handling_sheet SET authors = ? WHERE sheet_number = ?",
                     [(" ".join(sorted(logins)), number) for number, logins in authors.items()])


def v9(conn: sqlite3.Connection) -> None:
    """Contacts recognised as phone numbers, e-mail addresses and WeChat ids
    (contacts.py): every customer's key is recomputed; customers whose contacts
    turn out to be the same (``+86 138…`` and ``138…``, full-width digits) become
    one — the earliest keeps its id, the others' complaints move to it — and the
    search indexes, which hold the key beside the contact, are rebuilt."""
    from complaintdesk.domain.contacts import contact_key

    keep: dict[str, int] = {}
    moves: list[tuple[int, int]] = []
    rows = conn.execute("SELECT id, contact FROM customer ORDER BY id").fetchall()
    # Free every key first (NUL never occurs in a cleaned contact).
    conn.execute("UPDATE customer SET contact_key = char(0) || id")
    for customer_id, contact in rows:
        key = contact_key(contact)
        if key in keep:
            moves.append((keep[key], customer_id))
        else:
            keep[key] = customer_id
            conn.execute("UPDATE customer SET contact_key = ? WHERE id = ?", (key, customer_id))
    conn.executemany("UPDATE complaint SET customer_id = ? WHERE customer_id = ?", moves)
    conn.executemany("DELETE FROM customer WHERE id = ?", [(gone,) for _, gone in moves])
    for table in (search.TRIGRAM_TABLE, search.BIGRAM_TABLE, search.OPEN_TRIGRAM_TABLE,
                  search.OPEN_BIGRAM_TABLE):
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
    index_all(conn, "WHERE id > ?", (search.EVERY,))
    index_all(conn, "WHERE closed = 0 AND id > ?", (search.OPEN,))


def v10(conn: sqlite3.Connection) -> None:
    """A duplicate merged into its original (duplicates.merge_into): the link to the
    original, and the few merged complaints by receiving time, which the 统计表
    takes back out of its sums so that a merged pair counts once."""
    conn.execute("ALTER TABLE complaint ADD COLUMN merged_into_id INTEGER REFERENCES complaint(id)")
    conn.execute("CREATE INDEX ix_complaint_merged ON complaint(received_at) "
                 "WHERE merged_into_id IS NOT NULL")


def v11(conn: sqlite3.Connection) -> None:
    """The alerts given (alerts.py): each once, remembered here."""
    conn.execute("CREATE TABLE alert_sent (complaint_id INTEGER NOT NULL REFERENCES complaint(id), "
                 "key TEXT NOT NULL, recipient TEXT NOT NULL, sent_at DATETIME NOT NULL, "
                 "PRIMARY KEY (complaint_id, key, recipient)) WITHOUT ROWID")


def v12(conn: sqlite3.Connection) -> None:
    """The four clocks and their pause (clocks.py), approval by amount and the
    department manager's own opinion (approvals.py)."""
    for column in ("dispatched_at DATETIME", "investigation_due DATETIME", "paused_at DATETIME",
                   "pause_reason TEXT", "paused_minutes INTEGER NOT NULL DEFAULT 0"):
        conn.execute(f"ALTER TABLE complaint ADD COLUMN {column}")
    for column in ("manager_opinion_by TEXT REFERENCES staff(login)",
                   "manager_opinion_at DATETIME",
                   "first_decided_by TEXT REFERENCES staff(login)", "first_decided_at DATETIME",
                   "first_opinion TEXT"):
        conn.execute(f"ALTER TABLE handling_sheet ADD COLUMN {column}")
    conn.execute("ALTER TABLE staff ADD COLUMN manager BOOLEAN NOT NULL DEFAULT 0")
    # The open complaints' clocks, so that an alerts run finds the amber and red ones
    # in this small index alone (clock_sql.WARNING_SQL), not in the table's rows.
    conn.execute("CREATE INDEX ix_complaint_clocks ON complaint(status, received_at, "
                 "first_response_due, handling_due, resolution_due, investigation_due, "
                 "dispatched_at, revisit_due, paused_at, paused_minutes, due_at) WHERE closed = 0")
    # The few complaints ever paused, by receiving time: the 统计表's paused time.
    conn.execute("CREATE INDEX ix_complaint_paused ON complaint(received_at) "
                 "WHERE paused_minutes > 0 OR paused_at IS NOT NULL")
    # The new role 分管领导 (leader): the role CHECK widened in place, as SQLite's
    # documented procedure allows for a constraint every existing row satisfies
    # (a rebuilt table would break the foreign keys that name staff).
    (version,) = conn.execute("PRAGMA schema_version").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    changed = conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'staff' "
        "AND instr(sql, ?) > 0", ("'supervisor','admin'", "'supervisor','leader','admin'",
                                  "'supervisor','admin'")).rowcount
    conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    conn.execute("PRAGMA writable_schema = OFF")
    if changed != 1:  # a staff table not made by these steps: stop, nothing is kept
        raise RuntimeError("staff 表的角色约束与预期不同，无法加入“分管领导”角色")


# MIGRATIONS[n] takes a file from version n-1 to version n, inside the caller's
# IMMEDIATE transaction. Never edit a released step: add a new one.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: v1, 2: v2, 3: v3, 4: v4, 5: v5, 6: v6, 7: v7, 8: v8, 9: v9, 10: v10, 11: v11,
    12: v12}
SCHEMA_VERSION = max(MIGRATIONS)
