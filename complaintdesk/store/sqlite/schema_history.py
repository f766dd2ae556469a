"""The SQLite schema's history, steps 1–6: frozen. A file at any of these versions
is upgraded by running the later steps in order, so none of this text may change;
a new change is a new step in ``schema.py``.
"""

from __future__ import annotations

import sqlite3

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
    index_all(conn, "WHERE id > ?", (search.EVERY,))


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
    index_all(conn, "WHERE closed = 0 AND id > ?", (search.OPEN,))


def index_all(conn: sqlite3.Connection, where: str,
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
