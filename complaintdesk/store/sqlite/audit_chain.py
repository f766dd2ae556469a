"""The audit trail's hash chain: every event carries a hash over its content and
the hash of the event before it, so changing, removing or slipping in an event
anywhere in the trail shows.

The chain (schema v7):

- ``hash`` is a 32-byte BLOB column of ``audit_event``: ``SHA-256(previous hash ‖
  content)``, the first event chained from :data:`GENESIS` (SHA-256 of a fixed
  label, so a chain of this release can never be mistaken for another's).
- ``content`` is the event's nine stored values ``(id, at, actor, complaint_id,
  action, field, before, after, detail)`` as a compact JSON array, exactly as
  SQLite's ``json_array()`` writes it for the values the file holds: integers as
  digits, NULL as ``null``, text as a JSON string (``"`` and ``\\`` escaped, control
  characters as ``\\b \\t \\n \\f \\r`` or ``\\u00xx``, everything else as is), in
  UTF-8. It tells the storage classes apart (``5`` ≠ ``"5"`` ≠ ``null``) and any text
  from any other, so a changed value never has the content it had. The previous
  hash has a fixed length, so the two never run into each other.
- The verifier reads raw rows (sqlite3, no ORM) and lets SQLite make the
  content (:data:`CONTENT_SQL`), which keeps it to about a microsecond and a half
  an event; :func:`content_bytes` is the same encoding in Python, used by the
  writers (audit.record, the demo) before the row exists, and by the verifier
  again for any link that does not hold the fast way (a REAL or BLOB value, which
  complaintdesk never writes, or a SQLite whose JSON differs), so a link is broken
  only if neither encoding of what the file holds gives its stored hash.
- Ids run 1, 2, 3… without a gap: the insert trigger (schema v7) takes an event
  only with the next id and a 32-byte hash, so ``REPLACE INTO`` an existing id is
  refused (REPLACE deletes without firing delete triggers) and the number of
  events is the last id. Every writer computes its links inside its ``BEGIN
  IMMEDIATE`` transaction, so concurrent writers still make one chain.

What the chain cannot show alone: a trail rewritten from some event to its end
with every later hash recomputed, or cut short at the end. That is what the head
is for: an admin writes down ``audit head`` (``N:HASH``) or sends it elsewhere, and
``verify_chain(store, head="N:HASH")`` proves events 1..N are still those.

Nothing here prints: the functions return plain dataclasses, with problems as
sentences for the CLI and the console to show.
"""

from __future__ import annotations

import gc
import hashlib
import json
import json.encoder
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, itemgetter, methodcaller
from pathlib import Path
from typing import Protocol

from complaintdesk.domain.errors import DomainError
from complaintdesk.store.sqlite.audit_triggers import AUDIT_TRIGGERS



class Store(Protocol):
    """What the checks need of the SQLite store (``engine.Store``)."""

    path: Path

    def raw_connection(self) -> sqlite3.Connection: ...

GENESIS = hashlib.sha256(b"complaintdesk audit_event chain v1").digest()
HASH_SIZE = 32
CONTENT_COLUMNS = ("id", "at", "actor", "complaint_id", "action", "field", "before", "after",
                   "detail")
# The content as SQLite makes it from the stored values (see the module's doc).
CONTENT_SQL = f"CAST(json_array({', '.join(CONTENT_COLUMNS)}) AS BLOB)"

CHUNK = 20_000  # events read at a time (about 6 MB of rows)
PARALLEL_FROM = 400_000  # events: below this a second process costs more than it saves
MAX_PROBLEMS = 20  # sentences kept in a report; the count of the rest is said


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class ChainHead:
    """The end of the chain: how many events, the last one's id and its hash."""

    count: int
    last_id: int
    hash_hex: str

    @property
    def text(self) -> str:
        """``N:HEX``, N the last event's id: what an admin writes down."""
        return f"{self.last_id}:{self.hash_hex}"


@dataclass
class ChainReport:
    """What a check found. ``first_broken_id`` is the first event whose link does
    not hold, which is missing, or from which the trail differs from a given head."""

    ok: bool
    checked: int
    first_broken_id: int | None
    problems: list[str] = field(default_factory=list)
    head: ChainHead = field(default_factory=lambda: ChainHead(0, 0, GENESIS.hex()))


# ------------------------------------------------------------------ encoding

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
# The same as _JSON, without JSONEncoder.encode's Python around it.
_C_ENCODER = (None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, None, json.encoder.c_encode_basestring or json.encoder.py_encode_basestring, None,
    ":", ",", False, False, True))
_REAL_JSON: sqlite3.Connection | None = None


def content_bytes(values: Sequence[object]) -> bytes:
    """The content of an event whose nine stored values are ``values`` (in
    :data:`CONTENT_COLUMNS` order, as sqlite3 returns them: int, str or None; a
    float or bytes only in a file someone altered)."""
    plain = []
    for value in values:
        if value is None or type(value) is int or type(value) is str:
            plain.append(value)
        elif isinstance(value, bool):  # sqlite3 stores True as 1
            plain.append(int(value))
        elif isinstance(value, int):
            plain.append(int(value))
        elif isinstance(value, str):  # bound by sqlite3 as the text it holds
            plain.append(str.__str__(value))
        elif isinstance(value, float):
            plain.append(_Raw(_real_json(value)))
        elif isinstance(value, (bytes, bytearray, memoryview)):
            # json_array() refuses BLOBs; this never equals the content of a value of
            # any other class (text is always quoted).
            plain.append(_Raw('{"blob":"' + bytes(value).hex() + '"}'))
        else:
            raise TypeError(f"an audit value cannot be {type(value).__name__}: {value!r}")
    if any(type(v) is _Raw for v in plain):
        return ("[" + ",".join(v if type(v) is _Raw else _JSON.encode(v) for v in plain)
                + "]").encode()
    return _JSON.encode(plain).encode()


class _Raw(str):
    """A piece of JSON written as it is."""


def _real_json(value: float) -> str:
    """A REAL as SQLite's JSON writes it (complaintdesk never stores one)."""
    global _REAL_JSON
    if _REAL_JSON is None:
        _REAL_JSON = sqlite3.connect(":memory:", check_same_thread=False)
    return _REAL_JSON.execute("SELECT json_array(?)", (value,)).fetchone()[0][1:-1]


def content_tails(rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """For a writer that learns the ids only when it writes (the demo's builder): the
    JSON array of each event's eight values after the id (str, int or None), so that
    ``content = b"[%d," % id + tail[1:]`` (:func:`chain_tails`). About 1 µs an event:
    json's C encoder called directly (JSONEncoder.encode's own Python costs half as much
    again)."""
    if _C_ENCODER is None:  # pragma: no cover - CPython always has _json
        return map(str.encode, map(_JSON.encode, rows))
    return map(str.encode, map("".join, map(_C_ENCODER, rows, repeat(0))))


@dataclass(frozen=True)
class Hole:
    """A value of an event not known yet where its content is made (a writer that
    learns it in SQL, under the writers' lock): digits only, between ``before``
    and ``after``; with both ``None`` an integer, else the text ``before + digits
    + after``. See :func:`content_pieces`."""

    before: str | None = None
    after: str | None = None


def content_pieces(values: Sequence[object]) -> list[bytes]:
    """The content of an event whose values hold :class:`Hole` s, cut at the holes:
    ``pieces[0] + d1 + pieces[1] + d2 + … + pieces[-1]``, ``d1, d2…`` the holes'
    digits in ASCII, is :func:`content_bytes` of the values with the holes filled
    (JSON escapes text character by character, and no digit is escaped, so a
    string cut around its digits is the string's JSON cut there)."""
    marks = [i for i, value in enumerate(values) if isinstance(value, Hole)]
    plain = [value if not isinstance(value, Hole) else 0 for value in values]
    pieces, start = [b"["], 0
    for i in marks:
        hole = values[i]
        assert isinstance(hole, Hole)
        head = content_bytes(plain[start:i])[1:-1] + (b"," if i > start else b"")
        if hole.before is None and hole.after is None:
            pieces[-1] += head
            pieces.append(b"")
        else:
            pieces[-1] += head + content_bytes([hole.before or ""])[1:-2]
            pieces.append(content_bytes([hole.after or ""])[2:-1])
        if i + 1 < len(values):
            pieces[-1] += b","
        start = i + 1
    pieces[-1] += content_bytes(plain[start:])[1:]
    return pieces


def link(previous: bytes, content: bytes) -> bytes:
    """An event's hash: SHA-256 over the previous event's hash and its content."""
    return hashlib.sha256(previous + content).digest()


def chain_tails(previous: bytes, first_id: int, tails: Iterable[bytes]) -> list[bytes]:
    """The hashes of events ``first_id``, ``first_id + 1``… given their
    :func:`content_tails`, chained from ``previous``."""
    sha256 = hashlib.sha256
    hashes = []
    append = hashes.append
    h = previous
    for event_id, tail in enumerate(tails, first_id):
        h = sha256(b"%b[%d,%b" % (h, event_id, tail[1:])).digest()
        append(h)
    return hashes


def tail(conn: sqlite3.Connection) -> tuple[int, bytes]:
    """The last event's id and hash (0 and :data:`GENESIS` when there is none), read
    with ``conn``: inside the writer's transaction, so the next link is made on the
    file as it is."""
    row = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS
    return row[0], row[1]


def chain_contents(previous: bytes, contents: Iterable[bytes]) -> list[bytes]:
    """The hashes of consecutive events with these contents, chained from ``previous``."""
    sha256 = hashlib.sha256
    hashes = []
    append = hashes.append
    h = previous
    for content in contents:
        h = sha256(h + content).digest()
        append(h)
    return hashes


def fill_chain(conn: sqlite3.Connection) -> None:
    """Hash every event of a file that has none yet (schema v7), in id order from
    :data:`GENESIS`, ``CHUNK`` events at a time (about 5 s a million events),
    inside the caller's transaction, with the no-update trigger out of the way."""
    conn.execute("CREATE TEMP TABLE audit_chain_fill (id INTEGER PRIMARY KEY, hash BLOB)")
    try:
        prev, start = GENESIS, 0
        while True:
            try:
                rows = conn.execute(f"SELECT id, {CONTENT_SQL} FROM audit_event WHERE id > ? "
                                    "ORDER BY id LIMIT ?", (start, CHUNK)).fetchall()
            except sqlite3.OperationalError:  # a BLOB (never written by complaintdesk)
                rows = [(row[0], content_bytes(row)) for row in conn.execute(
                    f"SELECT {', '.join(CONTENT_COLUMNS)} FROM audit_event WHERE id > ? "
                    "ORDER BY id LIMIT ?", (start, CHUNK))]
            if not rows:
                break
            ids, contents = zip(*rows)
            hashes = chain_contents(prev, contents)
            conn.executemany("INSERT INTO temp.audit_chain_fill (id, hash) VALUES (?, ?)",
                             zip(ids, hashes))
            conn.execute("UPDATE audit_event SET hash = (SELECT f.hash FROM temp.audit_chain_fill "
                         "f WHERE f.id = audit_event.id) WHERE id > ? AND id <= ?",
                         (start, ids[-1]))
            conn.execute("DELETE FROM temp.audit_chain_fill")
            prev, start = hashes[-1], ids[-1]
    finally:
        conn.execute("DROP TABLE temp.audit_chain_fill")


# ------------------------------------------------------------------ checking a range


_digest = methodcaller("digest")
_FAST = f"SELECT hash, {CONTENT_SQL} FROM audit_event WHERE id > ? AND id <= ? ORDER BY id"
_SLOW = (f"SELECT id, hash, {', '.join(CONTENT_COLUMNS)}, {CONTENT_SQL} FROM audit_event "
         "WHERE id > ? AND id <= ? ORDER BY id")
_SLOW_NO_JSON = (f"SELECT id, hash, {', '.join(CONTENT_COLUMNS)}, NULL FROM audit_event "
                 "WHERE id > ? AND id <= ? ORDER BY id")


@dataclass
class _Range:
    """What checking a range of events found: how many were read, and the broken
    ones as (id, None) for a link that does not hold or (id, last) for the events
    id..last missing; at most MAX_PROBLEMS of them, and their total."""

    checked: int = 0
    broken: list[tuple[int, int | None]] = field(default_factory=list)
    broken_count: int = 0

    def changed(self, event_id: int) -> None:
        self.broken_count += 1
        if len(self.broken) < MAX_PROBLEMS:
            self.broken.append((event_id, None))

    def missing(self, first: int, last: int) -> None:
        if self.broken and self.broken[-1][1] == first - 1:  # the same gap, chunk after chunk
            self.broken[-1] = (self.broken[-1][0], last)
            return
        self.broken_count += 1
        if len(self.broken) < MAX_PROBLEMS:
            self.broken.append((first, last))


def _sentences(broken: list[tuple[int, int | None]]) -> list[str]:
    """Sentences for broken entries in id order, a gap split between ranges joined."""
    merged: list[tuple[int, int | None]] = []
    for first, last in broken:
        if last is not None and merged and merged[-1][1] == first - 1:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    out = []
    for first, last in merged:
        if last is None:
            out.append(f"审计事件 #{first} 的内容或哈希被改动")
        elif first == last:
            out.append(f"审计事件 #{first} 缺失（被删除）")
        else:
            out.append(f"审计事件 #{first} 至 #{last} 缺失（共 {last - first + 1} 条，被删除）")
    return out


def _previous_hash(conn: sqlite3.Connection, lo: int) -> tuple[int, object]:
    """The id and stored hash of the last event at or before ``lo`` (0, GENESIS if none)."""
    row = conn.execute("SELECT id, hash FROM audit_event WHERE id <= ? ORDER BY id DESC LIMIT 1",
                       (lo,)).fetchone()
    return (0, GENESIS) if row is None else (row[0], row[1])


@dataclass
class _Walk:
    """Where a check has got to: the next id expected, the stored hash of the last
    event seen, the hash it should have had if its link did not hold (so that only
    a changed hash does not also break the next link), and whether events are
    missing between the two (then the next event's link cannot hold and is not
    reported as changed: the gap is)."""

    expected: int
    prev: object
    after_gap: bool
    should: bytes | None = None


def _check_range(conn: sqlite3.Connection, lo: int, hi: int) -> _Range:
    """Check the events ``lo < id <= hi`` (``hi`` no more than the last id): each
    link against the stored hash of the event before it, and that none is missing;
    ``CHUNK`` events at a time, the fast way first (:data:`CONTENT_SQL`)."""
    result = _Range()
    prev_id, prev = _previous_hash(conn, lo)
    # Events missing just before lo are reported by the range that holds them.
    walk = _Walk(lo + 1, prev, prev_id < lo)
    start = lo
    while start < hi:
        end = min(hi, start + CHUNK)
        try:
            rows = conn.execute(_FAST, (start, end)).fetchall()
        except sqlite3.OperationalError:  # a BLOB json_array() will not take
            rows = None
        if rows and len(rows) == end - start and not walk.after_gap:
            hashes, contents = zip(*rows)
            try:
                made = tuple(map(_digest, map(hashlib.sha256,
                                              map(add, (walk.prev, *hashes[:-1]), contents))))
            except TypeError:  # a hash that is NULL or not a BLOB
                made = None
            if made == hashes:
                result.checked += len(rows)
                walk.expected, walk.prev, walk.should = end + 1, hashes[-1], None
                start = end
                continue
        _check_slowly(conn, start, end, walk, result)
        start = end
    return result


def _check_slowly(conn: sqlite3.Connection, start: int, end: int, walk: _Walk,
                  result: _Range) -> None:
    """One chunk event by event, each link tried with both encodings; gaps named."""
    try:
        rows = conn.execute(_SLOW, (start, end)).fetchall()
    except sqlite3.OperationalError:
        rows = conn.execute(_SLOW_NO_JSON, (start, end)).fetchall()
    for event_id, stored, *values, fast in rows:
        result.checked += 1
        if event_id > walk.expected:
            result.missing(walk.expected, event_id - 1)
            walk.after_gap = True
        made = _links(walk.prev, values, fast)
        if walk.should is not None:
            made += _links(walk.should, values, fast)
        holds = isinstance(stored, bytes) and stored in made
        if not walk.after_gap and not holds:
            result.changed(event_id)
        walk.expected, walk.prev, walk.after_gap = event_id + 1, stored, False
        walk.should = None if holds or not made else made[0]
    if walk.expected <= end:  # missing up to the end of the chunk (end <= the last id)
        result.missing(walk.expected, end)
        walk.expected, walk.after_gap = end + 1, True


def _links(prev: object, values: list[object], fast: object) -> list[bytes]:
    """The hashes an event with these values may have after ``prev``: from SQLite's
    content and from :func:`content_bytes` (the same but for what complaintdesk
    never writes)."""
    if not isinstance(prev, bytes) or len(prev) != HASH_SIZE:
        return []
    made = [link(prev, fast)] if isinstance(fast, bytes) else []
    try:
        reference = link(prev, content_bytes(values))
    except (TypeError, UnicodeEncodeError):  # text that is not UTF-8
        return made
    return made if reference in made else [*made, reference]


# ------------------------------------------------------------------ the API


def _connect(store: "Store") -> sqlite3.Connection:
    conn = store.raw_connection()
    # Text that is not valid UTF-8 (only in an altered file) must not stop the check.
    conn.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
    return conn


def _ends(conn: sqlite3.Connection) -> tuple[int, int, bytes | None]:
    """The first id, the last id and the last hash (0, 0, None for no events)."""
    first = conn.execute("SELECT id FROM audit_event ORDER BY id LIMIT 1").fetchone()
    last = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    if first is None or last is None:
        return 0, 0, None
    return first[0], last[0], last[1]


def _head(first: int, last: int, last_hash: object) -> ChainHead:
    if not last:
        return ChainHead(0, 0, GENESIS.hex())
    hash_hex = last_hash.hex() if isinstance(last_hash, bytes) else ""
    # Ids run without a gap (the insert trigger), so the count is the span; a gap
    # is a deletion that verify_chain reports.
    return ChainHead(last - first + 1, last, hash_hex)


def chain_head(store: "Store") -> ChainHead:
    """The chain's head: number of events, last id and its hash (``.text``: ``N:HEX``)."""
    conn = store.raw_connection()
    try:
        conn.execute("BEGIN")
        try:
            return _head(*_ends(conn))
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def trigger_problems(conn: sqlite3.Connection) -> list[str]:
    """Sentences for every append-only trigger of ``audit_event`` missing or changed,
    and for any other trigger on the table."""
    expected = {name: " ".join(sql.split()) for name, sql in AUDIT_TRIGGERS.items()}
    found = {name: " ".join((sql or "").split()) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND lower(tbl_name) = 'audit_event'")}
    problems = []
    for name, sql in expected.items():
        if name not in found:
            problems.append(f"缺少只追加触发器 {name}")
        elif found[name] != sql:
            problems.append(f"只追加触发器 {name} 被改动")
    for name in sorted(set(found) - set(expected)):
        problems.append(f"审计表上有不该有的触发器 {name}")
    return problems


_HEAD_TEXT = re.compile(r"\s*(\d+):([0-9a-fA-F]{64})\s*")


def parse_head(text: str) -> tuple[int, bytes]:
    """``N:HEX`` → (N, hash).

    Raises:
        DomainError: not of that form.
    """
    match = _HEAD_TEXT.fullmatch(text or "")
    if match is None:
        raise DomainError(f"链头格式不对：{text!r}。应为“事件号:哈希”，哈希为 64 位十六进制，"
                          "例如 1234:9f86d081884c7d65…（即 audit head 输出的那一行）")
    return int(match.group(1)), bytes.fromhex(match.group(2))


def _head_problems(conn: sqlite3.Connection, head: tuple[int, bytes]) -> list[str]:
    number, expected = head
    if number == 0:
        return [] if expected == GENESIS else ["链头 0 的哈希不是空审计链的起点：链头记错了"]
    row = conn.execute("SELECT hash FROM audit_event WHERE id = ?", (number,)).fetchone()
    if row is None:
        return [f"审计事件 #{number} 不存在：记下链头之后，审计记录被删减"]
    if row[0] != expected:
        return [f"审计事件 #{number} 的哈希与记下的链头不符：到 #{number} 为止的审计记录被改写"]
    return []


def _report(checked: int, ranges: list[_Range], problems: list[str], head: ChainHead,
            head_problems: list[str], head_number: int | None) -> ChainReport:
    broken = sorted((b for r in ranges for b in r.broken), key=itemgetter(0))
    total = sum(r.broken_count for r in ranges)
    first = broken[0][0] if broken else None
    if head_problems and head_number is not None:
        first = head_number if first is None else min(first, head_number)
    said = _sentences(broken)
    sentences = problems + said + head_problems
    if total > len(broken):
        sentences.append(f"另有 {total - len(broken)} 处审计事件的问题未一一列出")
    return ChainReport(not sentences, checked, first, sentences, head)


def verify_chain(store: "Store", head: str | None = None, *,
                 workers: int | None = None) -> ChainReport:
    """Check the whole chain: every link, that ids run without a gap, that the three
    append-only triggers are there as created, and, with ``head`` (``N:HEX``), that
    event N still has that hash (so events 1..N are those the head was taken of).

    The links are checked by ``workers`` processes (default: one per core), each a
    range of ids; a link needs only the stored hash of the event before it.

    Raises:
        DomainError: ``head`` is not of the form ``N:HEX``.
    """
    wanted = parse_head(head) if head is not None else None
    problems: list[str] = []
    head_problems: list[str] = []
    ranges: list[_Range] = []
    first = last = 0
    last_hash = None
    conn = _connect(store)
    try:
        conn.execute("BEGIN")  # one snapshot for the ends, the triggers and the head
        try:
            problems = trigger_problems(conn)
            first, last, last_hash = _ends(conn)
            head_problems = _head_problems(conn, wanted) if wanted else []
        finally:
            conn.execute("ROLLBACK")
        ranges = _check_all(store, conn, last, workers)
    except sqlite3.DatabaseError as exc:  # no hash column, a damaged file…
        problems.append(f"无法读取审计表：{exc}")
    finally:
        conn.close()
    checked = sum(r.checked for r in ranges)
    return _report(checked, ranges, problems, _head(first, last, last_hash), head_problems,
                   wanted[0] if wanted else None)


def quick_check(store: "Store", last: int = 64) -> ChainReport:
    """The console's start-up check: the triggers are there and the last ``last``
    links hold. Milliseconds on any size of trail."""
    conn = _connect(store)
    try:
        conn.execute("BEGIN")
        try:
            problems = trigger_problems(conn)
            first, last_id, last_hash = _ends(conn)
            ranges = [_check_range(conn, max(0, last_id - last), last_id)] if last_id else []
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        problems, ranges, first, last_id, last_hash = [f"无法读取审计表：{exc}"], [], 0, 0, None
    finally:
        conn.close()
    checked = sum(r.checked for r in ranges)
    return _report(checked, ranges, problems, _head(first, last_id, last_hash), [], None)


# ------------------------------------------------------------------ in parallel


def _parts(last: int, count: int) -> list[tuple[int, int]]:
    """``count`` ranges (lo, hi] covering 0..last."""
    step = -(-last // count)
    return [(lo, min(last, lo + step)) for lo in range(0, last, step)]


def _check_all(store: "Store", conn: sqlite3.Connection, last: int,
               workers: int | None) -> list[_Range]:
    """Every link up to ``last``: this process takes the first range, a child
    process each other one (started first, so they all run at once)."""
    if workers is None:
        workers = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else os.cpu_count() or 1)
    workers = max(1, min(workers, 16, last // (PARALLEL_FROM // 2) or 1))
    parts = _parts(last, workers) if last else []
    children = [_Child(store.path, lo, hi) for lo, hi in parts[1:]]
    # Millions of short-lived tuples and no cycles: in a process with a big heap (the
    # console's) the cycle collector's passes over it cost a fifth of the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        ranges = [_check_range(conn, *parts[0])] if parts else []
        for child, (lo, hi) in zip(children, parts[1:]):
            ranges.append(child.result() or _check_range(conn, lo, hi))
    finally:
        if collecting:
            gc.enable()
        for child in children:
            child.close()
    return ranges


class _Child:
    """A fresh interpreter checking one range (``python -c``: like the demo's builder,
    it never re-imports the caller's main script and shares no SQLite handle)."""

    def __init__(self, path: os.PathLike, lo: int, hi: int):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            self.process: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-c", "from complaintdesk.store.sqlite.audit_chain import _serve; _serve()",
                 os.fspath(path), str(lo), str(hi)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env)
        except OSError:
            self.process = None

    def result(self) -> _Range | None:
        """The child's result, or None if it failed (the caller checks the range itself)."""
        if self.process is None:
            return None
        out, _err = self.process.communicate()
        if self.process.returncode != 0:
            return None
        try:
            data = json.loads(out)
            return _Range(data["checked"], [tuple(b) for b in data["broken"]],
                          data["broken_count"])
        except (ValueError, KeyError, TypeError):
            return None

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _serve() -> None:
    """The child: check ``sys.argv[1:]`` = path lo hi, print the result as JSON."""
    gc.disable()  # as in _check_all
    path, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)  # store's busy timeout
    conn.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
    try:
        result = _check_range(conn, lo, hi)
    finally:
        conn.close()
    sys.stdout.write(json.dumps({"checked": result.checked, "broken": result.broken,
                                 "broken_count": result.broken_count}))


__all__ = ["GENESIS", "ChainHead", "ChainReport", "chain_head", "content_bytes", "link",
           "parse_head", "quick_check", "tail", "trigger_problems", "verify_chain"]
