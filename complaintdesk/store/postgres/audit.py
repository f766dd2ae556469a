"""The audit trail's checks on PostgreSQL: the same hash chain as the SQLite
store (``sqlite/audit_chain.py`` owns its encoding), with event times entering the
hash as the UTC text the SQLite store keeps, so a trail copied between the two
keeps its hashes (``copy-to`` checks that)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from complaintdesk.store.postgres.ddl import AUDIT_TRIGGERS
from complaintdesk.store.sqlite.audit_chain import (GENESIS, ChainHead, ChainReport, content_bytes,
                                                    link, parse_head)

CHUNK = 20_000
MAX_PROBLEMS = 20
_COLUMNS = "id, at, actor, complaint_id, action, field, before, after, detail, hash"


def chain_time(at: datetime) -> str:
    """``at`` as it enters an event's hash: UTC text as the SQLite store keeps it,
    so a trail copied between the backends keeps its hashes."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def trigger_problems(cursor: Any) -> list[str]:
    """The append-only triggers that are missing or disabled."""
    cursor.execute("SELECT tgname, tgenabled FROM pg_trigger "
                   "WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal")
    found = dict(cursor.fetchall())
    problems = []
    for name in AUDIT_TRIGGERS:
        if name not in found:
            problems.append(f"审计表的保护触发器 {name} 不存在：审计记录可能已被改动")
        elif found[name] == "D":
            problems.append(f"审计表的保护触发器 {name} 已被停用：审计记录可能已被改动")
    return problems


def _walk(cursor: Any, lo: int, hi: int, previous: bytes, problems: list[str]) -> tuple[int, int | None]:
    """Check links lo+1..hi; returns (checked, first broken id)."""
    checked, broken, expected = 0, None, lo + 1
    cursor.execute(f"SELECT {_COLUMNS} FROM audit_event WHERE id > %s AND id <= %s ORDER BY id",
                   (lo, hi))
    while rows := cursor.fetchmany(CHUNK):
        for event_id, at, *values, stored in rows:
            if event_id != expected:
                broken = broken or expected
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"审计记录 {expected}–{event_id - 1} 缺失（被删除）")
                expected = event_id
            content = content_bytes((event_id, chain_time(at), *values))
            digest = link(previous, content)
            if bytes(stored) != digest:
                broken = broken or event_id
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"审计记录 {event_id} 与链不符（内容或前一条被改动）")
            previous = bytes(stored)
            expected += 1
            checked += 1
    return checked, broken


def _ends(cursor: Any) -> tuple[int, int, bytes | None]:
    cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM audit_event")
    count, last_id = cursor.fetchone()
    cursor.execute("SELECT hash FROM audit_event WHERE id = %s", (last_id,))
    row = cursor.fetchone()
    return count, last_id, None if row is None else bytes(row[0])


def _previous(cursor: Any, lo: int) -> bytes:
    if lo == 0:
        return GENESIS
    cursor.execute("SELECT hash FROM audit_event WHERE id = %s", (lo,))
    row = cursor.fetchone()
    return GENESIS if row is None else bytes(row[0])


def _check(store: Any, lo_from_end: int | None, head: str | None = None) -> ChainReport:
    problems: list[str] = []
    # The store's reading engine: its transactions begin READ ONLY (a pooled
    # connection last used for a write would begin READ WRITE, which a read
    # replica refuses).
    with store._reader.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            problems += trigger_problems(cursor)
            count, last_id, last_hash = _ends(cursor)
            if count != last_id:
                problems.append(f"审计记录共 {count} 条，但最后一条的编号是 {last_id}：有记录被删除")
            lo = 0 if lo_from_end is None else max(0, last_id - lo_from_end)
            checked, broken = _walk(cursor, lo, last_id, _previous(cursor, lo), problems)
            if head is not None:
                head_id, head_hash = parse_head(head)
                cursor.execute("SELECT hash FROM audit_event WHERE id = %s", (head_id,))
                row = cursor.fetchone()
                if row is None or bytes(row[0]) != head_hash:
                    problems.append(f"审计链与记下的链头 {head_id} 不符：此前的记录被改写或截断")
                    broken = broken or head_id
        conn.rollback()
    return ChainReport(ok=not problems, checked=checked, first_broken_id=broken, problems=problems,
                       head=ChainHead(count, last_id, (last_hash or GENESIS).hex()))


def quick_check(store: Any, last: int = 64) -> ChainReport:
    """The triggers there and enabled, no gap in the count, the last ``last`` links."""
    return _check(store, last)


def verify_chain(store: Any, head: str | None = None) -> ChainReport:
    """Every link from the first event, and the given head (``N:HASH``) if any."""
    return _check(store, None, head)
