"""Versioned schema: explicit DDL per version, applied in order.

The version lives in ``PRAGMA user_version``. A new release adds a step to
``MIGRATIONS``; an existing file is upgraded in place in one transaction. A
file from a newer release is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from complaintdesk.store.sqlite import search_index as search

V1 = """
CREATE TABLE staff (
    login       TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('counter','handler','supervisor','admin')),
    department  TEXT,
    active      BOOLEAN NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL
);
CREATE TABLE customer (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL,
    contact_key TEXT NOT NULL UNIQUE,
    created_at  DATETIME NOT NULL
);
CREATE TABLE complaint (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    customer_id         INTEGER NOT NULL REFERENCES customer(id),
    customer_name       TEXT NOT NULL,
    address             TEXT NOT NULL DEFAULT '',
    contact             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    received_at         DATETIME NOT NULL,
    event               TEXT NOT NULL,
    demand              TEXT NOT NULL,
    category            TEXT NOT NULL,
    priority            TEXT NOT NULL CHECK (priority IN ('urgent','major','general')),
    priority_rank       INTEGER NOT NULL,
    product             TEXT NOT NULL DEFAULT '',
    quantity            INTEGER CHECK (quantity IS NULL OR quantity >= 0),
    status              TEXT NOT NULL,
    received_by         TEXT NOT NULL REFERENCES staff(login),
    first_response_due  DATETIME NOT NULL,
    resolution_due      DATETIME NOT NULL,
    escalated           BOOLEAN NOT NULL DEFAULT 0,
    department          TEXT,
    handler             TEXT REFERENCES staff(login),
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ix_complaint_customer ON complaint(customer_id, received_at);
CREATE INDEX ix_complaint_received ON complaint(received_at);
CREATE INDEX ix_complaint_queue ON complaint(status, priority_rank, resolution_due);
CREATE TABLE audit_event (
    id            INTEGER PRIMARY KEY,
    at            DATETIME NOT NULL,
    actor         TEXT NOT NULL,
    complaint_id  INTEGER REFERENCES complaint(id),
    action        TEXT NOT NULL,
    field         TEXT,
    before        TEXT,
    after         TEXT,
    detail        TEXT
);
CREATE INDEX ix_audit_complaint ON audit_event(complaint_id, id);
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TABLE daily_counter (
    day   TEXT PRIMARY KEY,
    last  INTEGER NOT NULL DEFAULT 0
);
"""

V2_DDL = """
ALTER TABLE complaint ADD COLUMN due_at DATETIME;
ALTER TABLE complaint ADD COLUMN closed BOOLEAN NOT NULL DEFAULT 0;
UPDATE complaint SET due_at = first_response_due;
DROP INDEX ix_complaint_queue;
CREATE INDEX ix_complaint_queue ON complaint(closed, priority_rank, due_at, id);
-- Search results are checked against closed through this small index rather
-- than the table's wide rows (count of a 2-character term: 100 ms -> 18 ms at 100k).
CREATE INDEX ix_complaint_closed_id ON complaint(closed, id);
CREATE INDEX ix_complaint_handler ON complaint(handler);
CREATE INDEX ix_complaint_received_by ON complaint(received_by);
CREATE TABLE complaint_link (
    id            INTEGER PRIMARY KEY,
    complaint_id  INTEGER NOT NULL REFERENCES complaint(id),
    linked_id     INTEGER NOT NULL REFERENCES complaint(id),
    kind          TEXT NOT NULL CHECK (kind IN ('repeat','duplicate')),
    created_by    TEXT NOT NULL REFERENCES staff(login),
    created_at    DATETIME NOT NULL,
    UNIQUE (complaint_id, linked_id),
    CHECK (complaint_id <> linked_id)
);
CREATE INDEX ix_link_linked ON complaint_link(linked_id);
""" + search.CREATE_INDEXES


def v2(conn: sqlite3.Connection) -> None:
    """Queue deadline and closed flag, links between complaints, search indexes.

    Existing complaints are indexed for search in batches.
    """
    for statement in split_sql(V2_DDL):
        conn.execute(statement)
    _index_all(conn, "WHERE id > ?", (search.EVERY,))


V3_DDL = """
ALTER TABLE complaint ADD COLUMN responsibility TEXT CHECK (responsibility IN ('ours','not_ours'));
ALTER TABLE complaint ADD COLUMN explanation TEXT;
ALTER TABLE complaint ADD COLUMN agreement_method TEXT;
ALTER TABLE complaint ADD COLUMN handling_due DATETIME;
ALTER TABLE complaint ADD COLUMN customer_told_at DATETIME;
ALTER TABLE complaint ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE complaint ADD COLUMN revisit_due DATETIME;
CREATE INDEX ix_complaint_department ON complaint(department, closed);
CREATE TABLE investigation (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaint(id),
    round        INTEGER NOT NULL,
    facts        TEXT NOT NULL,
    root_cause   TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '[]',
    finding      TEXT NOT NULL,
    report       TEXT NOT NULL,
    recorded_by  TEXT NOT NULL REFERENCES staff(login),
    recorded_at  DATETIME NOT NULL
);
CREATE INDEX ix_investigation_complaint ON investigation(complaint_id, round);
CREATE TABLE handling_sheet (
    id                     INTEGER PRIMARY KEY,
    complaint_id           INTEGER NOT NULL REFERENCES complaint(id),
    round                  INTEGER NOT NULL,
    sheet_number           TEXT NOT NULL UNIQUE,
    department             TEXT NOT NULL,
    handling_date          DATETIME NOT NULL,
    result                 TEXT NOT NULL DEFAULT '',
    receiver_opinion       TEXT NOT NULL DEFAULT '',
    manager_opinion        TEXT NOT NULL DEFAULT '',
    customer_opinion       TEXT NOT NULL DEFAULT '',
    method                 TEXT CHECK (method IS NULL OR method IN ('compensation','return','discount','other')),
    loss_cents             INTEGER CHECK (loss_cents IS NULL OR loss_cents >= 0),
    product                TEXT NOT NULL DEFAULT '',
    quantity               INTEGER CHECK (quantity IS NULL OR quantity >= 0),
    state                  TEXT NOT NULL CHECK (state IN ('draft','submitted','approved','returned')),
    drafted_by             TEXT NOT NULL REFERENCES staff(login),
    submitted_at           DATETIME,
    submitted_by           TEXT REFERENCES staff(login),
    decided_by             TEXT REFERENCES staff(login),
    decided_at             DATETIME,
    implementation_opinion TEXT,
    return_reason          TEXT,
    updated_by             TEXT NOT NULL REFERENCES staff(login),
    updated_at             DATETIME NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1,
    UNIQUE (complaint_id, round)
);
CREATE INDEX ix_sheet_state ON handling_sheet(state, submitted_at);
"""


def v3(conn: sqlite3.Connection) -> None:
    """Handling: responsibility, investigation, the 《客户投诉处理单》 and its approval."""
    for statement in split_sql(V3_DDL):
        conn.execute(statement)


V4_DDL = """
ALTER TABLE complaint ADD COLUMN first_response_at DATETIME;
ALTER TABLE complaint ADD COLUMN resolved_at DATETIME;
ALTER TABLE complaint ADD COLUMN closed_at DATETIME;
ALTER TABLE complaint ADD COLUMN handling_method TEXT;
ALTER TABLE complaint ADD COLUMN loss_cents INTEGER;
ALTER TABLE complaint ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE complaint ADD COLUMN revisit_attempts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE revisit (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaint(id),
    round        INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    method       TEXT NOT NULL CHECK (method IN ('phone','onsite','wechat','other')),
    reached      INTEGER NOT NULL CHECK (reached IN (0, 1)),
    attitude     TEXT CHECK (attitude IS NULL OR attitude IN ('satisfied','basic','dissatisfied')),
    result       TEXT CHECK (result IS NULL OR result IN ('satisfied','basic','dissatisfied')),
    comment      TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL CHECK (outcome IN ('closed','reopened','retry','closed_unreached')),
    recorded_by  TEXT NOT NULL REFERENCES staff(login),
    recorded_at  DATETIME NOT NULL,
    -- The complaint's receiving time and staff, copied (they never change for a
    -- revisit), so satisfaction per period and per person is one index scan.
    received_at  DATETIME NOT NULL,
    received_by  TEXT NOT NULL,
    handler      TEXT
);
CREATE INDEX ix_revisit_complaint ON revisit(complaint_id, id);
CREATE INDEX ix_revisit_report ON revisit(reached, attitude, result, received_by, handler,
                                          received_at);
CREATE INDEX ix_complaint_revisit_due ON complaint(revisit_due) WHERE status = 'revisit';
-- Everything the 《客户投诉统计表》 sums, in the order it groups by: a period's
-- figures are one scan of these narrow indexes, never of the table's wide rows
-- (texts up to 2,000 characters), and never a sort of a million rows.
CREATE INDEX ix_complaint_report ON complaint(
    category, channel, priority, department, handling_method, received_at, loss_cents,
    first_response_at, first_response_due, resolved_at, handling_due, resolution_due,
    reopen_count, closed);
CREATE INDEX ix_complaint_staff ON complaint(
    received_by, handler, received_at, resolved_at, handling_due, resolution_due);
-- The median handling time: a range of the period, its resolved rows sorted.
CREATE INDEX ix_complaint_resolution ON complaint(received_at, resolved_at);
"""

V4_BACKFILL = """
UPDATE complaint SET
  first_response_at = (SELECT min(at) FROM audit_event a WHERE a.complaint_id = complaint.id
                       AND a.action IN ('workflow.judge_ours', 'workflow.judge_not_ours')),
  resolved_at = (SELECT max(at) FROM audit_event a WHERE a.complaint_id = complaint.id
                 AND a.action IN ('workflow.customer_agrees', 'workflow.judge_not_ours')),
  handling_method = (SELECT method FROM handling_sheet h WHERE h.complaint_id = complaint.id
                     AND h.state = 'approved' ORDER BY h.round DESC LIMIT 1),
  loss_cents = (SELECT loss_cents FROM handling_sheet h WHERE h.complaint_id = complaint.id
                AND h.state = 'approved' ORDER BY h.round DESC LIMIT 1)
WHERE status <> 'registered'
"""


def v4(conn: sqlite3.Connection) -> None:
    """Revisits, closing, reopening, and the figures the statistics need.

    The response, resolution and closing times and the approved plan's method and
    loss are kept on the complaint, so a year's report is one scan of one table.
    Existing complaints get them from their audit trail and approved sheets.
    """
    for statement in split_sql(V4_DDL):
        conn.execute(statement)
    conn.execute(V4_BACKFILL)


V5_COLUMNS = """
DROP INDEX ix_complaint_report;
DROP INDEX ix_complaint_staff;
DROP INDEX ix_complaint_resolution;
ALTER TABLE complaint ADD COLUMN first_response_late INTEGER;
ALTER TABLE complaint ADD COLUMN resolution_late INTEGER;
ALTER TABLE complaint ADD COLUMN handling_minutes INTEGER;
"""

V5_INDEXES = """
-- Everything the 《客户投诉统计表》 sums, in the order it groups by (staff last):
-- a period's figures are one scan of this narrow index of codes and small
-- integers, never of the table's wide rows and never a sort of a million rows.
CREATE INDEX ix_complaint_report ON complaint(
    category, channel, priority, department, handling_method, received_by, handler,
    received_at, loss_cents, first_response_late, resolution_late, handling_minutes,
    reopen_count, closed);
-- The few complaints whose lateness depends on the clock: not judged or not
-- resolved yet, late once their deadline has passed.
CREATE INDEX ix_complaint_pending ON complaint(
    received_at, handler, first_response_late, first_response_due, resolution_late,
    handling_due, resolution_due) WHERE first_response_late IS NULL OR resolution_late IS NULL;
-- The median handling time: walked in order of minutes up to the middle row.
CREATE INDEX ix_complaint_handling_minutes ON complaint(handling_minutes, received_at)
    WHERE handling_minutes IS NOT NULL;
"""

# The SQL twin of models.timing_facts (tests check they agree).
V5_BACKFILL = """
UPDATE complaint SET
  first_response_late = CASE WHEN first_response_at IS NULL THEN NULL
                             ELSE first_response_at > first_response_due END,
  resolution_late = CASE WHEN resolved_at IS NULL THEN NULL
                         ELSE resolved_at > coalesce(handling_due, resolution_due) END,
  handling_minutes = CASE WHEN resolved_at IS NULL THEN NULL ELSE
      max(0, (CAST(strftime('%s', substr(resolved_at, 1, 19)) AS INTEGER)
              - CAST(strftime('%s', substr(received_at, 1, 19)) AS INTEGER)) / 60) END
WHERE first_response_at IS NOT NULL OR resolved_at IS NOT NULL
"""


def v5(conn: sqlite3.Connection) -> None:
    """Lateness and handling minutes kept on the complaint, for a fast year report.

    Computed from the times on every write (models.timing_facts); existing
    complaints get them here. The statistics indexes are rebuilt around them
    (after the backfill: building an index once is cheaper than updating it).
    """
    for statement in split_sql(V5_COLUMNS):
        conn.execute(statement)
    conn.execute(V5_BACKFILL)
    for statement in split_sql(V5_INDEXES):
        conn.execute(statement)


def v6(conn: sqlite3.Connection) -> None:
    """Open-only twins of the search indexes (search.py), filled with the complaints
    not closed yet: the queue's default search reads only those."""
    for statement in split_sql(search.CREATE_OPEN_INDEXES):
        conn.execute(statement)
    _index_all(conn, "WHERE closed = 0 AND id > ?", (search.OPEN,))


def _index_all(conn: sqlite3.Connection, where: str,
               into: tuple[tuple[str, str], ...]) -> None:
    """Index the complaints ``where`` selects (``id > ?`` last), 5,000 at a time,
    into the search index pairs ``into``."""
    last = 0
    while True:
        rows = conn.execute(
            "SELECT id, number, customer_name, contact, event, demand, product FROM complaint "
            f"{where} ORDER BY id LIMIT 5000", (last,)).fetchall()
        if not rows:
            break
        search.index_complaints(conn, rows, into)
        last = rows[-1][0]


def split_sql(script: str) -> list[str]:
    """Split a DDL script into statements, keeping trigger bodies whole."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


# The audit chain (audit_chain.py). An event takes the next id and a 32-byte hash,
# or nothing: REPLACE INTO / INSERT OR REPLACE with an existing id would otherwise
# delete the event without firing the delete trigger and put another in its place;
# and with ids that never skip, the number of events is the last id and a gap is a
# deletion. The message stays English like the other two: SQLite's, not the desk's.
AUDIT_NO_REPLACE = """
CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_event)
  OR typeof(NEW.hash) IS NOT 'blob' OR length(NEW.hash) IS NOT 32
BEGIN SELECT RAISE(ABORT, 'audit events are append-only (the next id, a 32-byte hash)'); END
""".strip()

# The three triggers that keep audit_event append-only, name → SQL as created
# (the first two by V1, the update one re-created by v7 with the same text), as
# sqlite_master keeps them (without the final semicolon): audit_chain checks them.
AUDIT_TRIGGERS: dict[str, str] = {
    **{statement.split()[2]: statement.removesuffix(";") for statement in split_sql(V1)
       if statement.startswith("CREATE TRIGGER audit_event_")},
    "audit_event_no_replace": AUDIT_NO_REPLACE,
}
assert set(AUDIT_TRIGGERS) == {"audit_event_no_update", "audit_event_no_delete",
                               "audit_event_no_replace"}


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
    _index_all(conn, "WHERE id > ?", (search.EVERY,))
    _index_all(conn, "WHERE closed = 0 AND id > ?", (search.OPEN,))


# MIGRATIONS[n] takes a file from version n-1 to version n, inside the caller's
# IMMEDIATE transaction. Never edit a released step: add a new one.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: v1, 2: v2, 3: v3, 4: v4, 5: v5, 6: v6, 7: v7, 8: v8, 9: v9}
SCHEMA_VERSION = max(MIGRATIONS)
