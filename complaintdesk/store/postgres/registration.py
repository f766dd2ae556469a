"""A registration in one message on PostgreSQL: the writers' lock held only
while the server works.

The usual write (``Store.write``) holds the writers' lock from its first
statement to its COMMIT, across the round trips between: with 8 consoles
registering at once on 2 cores, the holder's Python waits its turn for a core
between them while the others wait for the lock. Here the lock, the account
check, the customer, the day's number, the complaint, its search row and its
audit event are two statements pipelined on an autocommit connection (one
network write, one Sync), which the server runs as one implicit transaction and
commits before it answers: the lock is held for the server's own work only.
Each statement is prepared on its connection (psycopg's ``prepare=True``, its
parameters of one type whatever their values) and runs its generic plan: the
server plans it under the lock once per connection (and again when its tables'
statistics change), not on every registration.
The second statement's snapshot is taken when it starts, after the lock is
granted: it reads what the writer before committed (the chain's head, the
counter, the account).

Everything that does not depend on what the lock guards is made in Python
before (the complaint's columns by ``effects.registered``, the search row's
grams and text but for the number's sequence, the audit content cut where the
ids and the sequence go by ``content_pieces``); the SQL fills in the sequence,
the ids and the previous hash, and adds the sequence's grams as
``domain.search`` makes them (its digit pairs and its four-digit grams). Where
the registration is not the plain case — the account missing, stopped or of
another role, or a complaint of the customer's paused (the registration resumes
it) — the statement writes nothing and says so, and the caller registers the
usual way, where those are judged and said (``process.complaints``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from complaintdesk.domain.search import DIGIT_GRAM, indexed_fields
from complaintdesk.store.models import Complaint
from complaintdesk.store.port import Registration
from complaintdesk.store.postgres.audit import chain_time
from complaintdesk.store.postgres.ddl import WRITE_LOCK
from complaintdesk.store.postgres.search import search_row
from complaintdesk.store.sqlite.audit_chain import GENESIS, Hole, content_pieces


def _sequence_text(last: str) -> str:
    """SQL of the sequence as ``format_number`` writes it: four digits at least."""
    return f"CASE WHEN {last} < 1000 THEN lpad({last}::text, 4, '0') ELSE {last}::text END"


#: The first statement: the lock's timeout set before the lock is waited for (the
#: select list is evaluated in order), the cached generic plan for the second.
LOCK = ("SELECT set_config('lock_timeout', %s, true),"
        " set_config('plan_cache_mode', 'force_generic_plan', true), pg_advisory_xact_lock(%s)")


def _statement(columns: list[tuple[str, str]]) -> str:
    values = ", ".join(f"%(c_{name})s::{kind}" for name, kind in columns)
    return f"""
WITH account AS (
    SELECT active AND role = ANY(%(roles)s::text[]) AS ok FROM staff
    WHERE login = %(actor)s::text),
found AS (
    SELECT id, EXISTS (SELECT 1 FROM complaint WHERE complaint.customer_id = customer.id
                       AND complaint.paused_at IS NOT NULL) AS paused
    FROM customer WHERE contact_key = %(contact_key)s::text),
go AS (
    SELECT FROM account WHERE ok AND NOT EXISTS (SELECT FROM found WHERE paused)),
new_customer AS (
    INSERT INTO customer (name, address, contact, contact_key, created_at)
    SELECT %(name)s::text, %(address)s::text, %(contact)s::text, %(contact_key)s::text,
           %(at)s::timestamptz FROM go
    WHERE NOT EXISTS (SELECT FROM found) RETURNING id),
counter AS (
    INSERT INTO daily_counter AS d (day, last) SELECT %(day)s::text, 1 FROM go
    ON CONFLICT (day) DO UPDATE SET last = d.last + 1 RETURNING d.last),
issued AS (
    SELECT {_sequence_text("last")} AS seq,
           (SELECT id FROM found UNION ALL SELECT id FROM new_customer) AS customer_id
    FROM counter),
head AS (
    SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1),
complaint_row AS (
    INSERT INTO complaint (number, customer_id, {", ".join(name for name, _ in columns)})
    SELECT %(prefix)s::text || seq, customer_id, {values} FROM issued RETURNING id),
search_row AS (
    INSERT INTO complaint_search (complaint_id, open, grams, doc)
    SELECT complaint_row.id, true,
           ARRAY(SELECT g FROM unnest(%(pairs)s::text[] || ARRAY(
                     SELECT substr(seq, i, 2) FROM generate_series(1, length(seq) - 1) i)) g
                 GROUP BY g ORDER BY g COLLATE "C")
           || ARRAY(SELECT g FROM unnest(%(digit_grams)s::text[] || ARRAY(
                     SELECT substr(seq, i, {DIGIT_GRAM})
                     FROM generate_series(1, length(seq) - {DIGIT_GRAM - 1}) i)) g
                 GROUP BY g ORDER BY g COLLATE "C"),
           %(doc_head)s::text || seq || %(doc_tail)s::text
    FROM complaint_row, issued),
event AS (
    INSERT INTO audit_event (id, at, actor, complaint_id, action, field, before, after, detail,
                             hash)
    SELECT coalesce(head.id, 0) + 1, %(at)s::timestamptz, %(actor)s::text, complaint_row.id,
           %(action)s::text, NULL, NULL, %(prefix)s::text || seq, %(detail)s::text,
           sha256(coalesce(head.hash, %(genesis)s::bytea) || %(piece0)s::bytea
                  || convert_to((coalesce(head.id, 0) + 1)::text, 'UTF8') || %(piece1)s::bytea
                  || convert_to(complaint_row.id::text, 'UTF8') || %(piece2)s::bytea
                  || convert_to(seq, 'UTF8') || %(piece3)s::bytea)
    FROM complaint_row CROSS JOIN issued LEFT JOIN head ON true)
SELECT complaint_row.id, issued.seq, issued.customer_id
FROM (SELECT 1) AS one LEFT JOIN issued ON true LEFT JOIN complaint_row ON true
"""


_STATEMENTS: dict[tuple[str, ...], str] = {}
_KINDS = {name: column.type.compile(dialect=postgresql.dialect())
          for name, column in Complaint.__table__.c.items()}  # type: ignore[attr-defined]


def parameters(registration: Registration) -> dict[str, Any]:
    """The statement's parameters: everything made before the lock."""
    row, prefix = registration.row, registration.number_prefix
    # The search row as search_row makes it, the number's sequence left out (the
    # prefix ends with "-", which no run of letters/digits crosses): its pairs
    # (two characters) and digit grams (four), each sorted; its text, the
    # number first.
    _id, _open, grams, doc = search_row(indexed_fields(dict(row, id=0, number=prefix)), True)
    doc_head, doc_tail = doc.split("\n", 1)
    at = registration.at
    pieces = content_pieces((Hole(), chain_time(at), registration.actor, Hole(), registration.action,
                             None, None, Hole(before=prefix), registration.detail))
    customer = registration.customer
    # Integers as text (cast in the SQL): psycopg would send 3 as smallint and
    # 40000 as integer, and prepare the statement again for each (its plan made
    # under the lock). Text and NULL keep one type.
    params: dict[str, Any] = {f"c_{name}": _one_type(value) for name, value in row.items()}
    params.update(
        roles=list(registration.roles),
        actor=registration.actor, contact_key=customer["contact_key"], name=customer["name"],
        address=customer["address"], contact=customer["contact"], at=at.astimezone(UTC),
        day=registration.day, prefix=prefix, pairs=[g for g in grams if len(g) == 2],
        digit_grams=[g for g in grams if len(g) == DIGIT_GRAM],
        doc_head=doc_head, doc_tail="\n" + doc_tail, action=registration.action,
        detail=registration.detail, genesis=GENESIS,
        **{f"piece{i}": piece for i, piece in enumerate(pieces)})
    return params


def _one_type(value: Any) -> Any:
    return str(value) if type(value) is int else value


def statement(row: dict[str, Any]) -> str:
    columns = tuple(name for name in row if name not in ("id", "number", "customer_id"))
    if columns not in _STATEMENTS:
        _STATEMENTS[columns] = _statement([(name, _KINDS[name]) for name in columns])
    return _STATEMENTS[columns]


def register(connection: Any, registration: Registration, timeout: str) -> tuple[int, str, int] | None:
    """Run the registration on ``connection`` (a SQLAlchemy connection in
    autocommit); (the complaint's id, its sequence, the customer's id), or None
    where nothing was written (the caller registers the usual way).

    Raises:
        DBAPIError: the server refused (the lock's timeout, a constraint), or
            psycopg a value.
        ConnectionLost: the connection ended (the outcome unknown).
    """
    raw = connection.connection.driver_connection
    text = statement(registration.row)
    params = parameters(registration)
    try:
        with raw.cursor() as lock, raw.cursor() as cursor:
            with raw.pipeline():
                lock.execute(LOCK, (timeout, WRITE_LOCK), prepare=True)
                cursor.execute(text, params, prepare=True)
            complaint_id, seq, customer_id = cursor.fetchone()
    except psycopg.Error as exc:
        if _lost(raw, exc):
            first = _first(exc)
            raise ConnectionLost((str(first).strip().splitlines() or [type(first).__name__])[0]
                                 ) from exc
        raise DBAPIError.instance(text, params, exc, psycopg.Error) from exc
    return None if complaint_id is None else (complaint_id, seq, customer_id)


class ConnectionLost(Exception):
    """The connection ended with the registration sent: the server may have
    committed it or not."""


def _first(exc: BaseException) -> BaseException:
    """The first of a chain of psycopg errors (leaving a pipeline whose connection
    broke raises its own error on top of the server's)."""
    while isinstance(exc.__context__, psycopg.Error):
        exc = exc.__context__
    return exc


def _lost(raw: psycopg.Connection, exc: psycopg.Error) -> bool:
    """Whether ``exc`` ended the connection (rather than the server refusing the
    statement, or psycopg refusing a value before sending it)."""
    state = getattr(_first(exc), "sqlstate", None) or ""
    return (raw.broken or raw.closed or raw.pgconn.status != psycopg.pq.ConnStatus.OK
            or state.startswith(("08", "57P")))
