"""Demo data, part four: writing the batches, each one transaction, as registration would.

Each batch is one ``BEGIN IMMEDIATE`` transaction holding its customers, 受理编号
from ``daily_counter``, complaints, investigations, sheets, revisits, audit
events and search rows, so another console on the file never sees half a
complaint and can register its own between two batches.

Building a batch is Python work, writing it SQLite's: for a large demo the
builder (demo_batch.py) runs in a process of its own and builds batch k+1 while
batch k is written, its ids and numbers *predicted* from the batches before. The
writing transaction checks the prediction against the file (the next ids, the
days' counters, that its new customers are still new). If another session wrote
in between, nothing of that batch is written: the builder puts its dice back and
the rest of the load goes one batch at a time, each built for the state read
inside its own transaction.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import sqlite3
import subprocess
import sys
import threading
import traceback
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from complaintdesk.store.sqlite import audit_chain
from complaintdesk.store.sqlite import search_index
from complaintdesk.process.desk import Desk
from complaintdesk.domain.errors import StoreError
from complaintdesk.demo.batch import (COLUMNS, CUSTOMER_INSERT, Builder, Plan, Prepared, State,
                         known_customers, read_state)


class _Conflict(Exception):
    """Another session wrote between the batch's prediction and its transaction."""


def _check_references(raw, batch: Prepared) -> None:  # type: ignore[no-untyped-def]
    """Every reference the batch's rows make (to staff, customers, complaints) names a
    row of the batch or of the file, or :class:`StoreError`.

    The load's connection leaves SQLite's foreign-key enforcement off (a b-tree probe
    per reference, twelve million of them for a million complaints: 16 % of the
    load's time), so the batch is checked here instead, once per referenced value,
    against the file's own schema (``PRAGMA foreign_key_list``)."""
    wanted: dict[tuple[str, str], set] = defaultdict(set)
    for table, rows in batch.tables:
        if not rows:
            continue
        names = COLUMNS[table].names
        for _id, _seq, target, column, to, *_rest in raw.execute(
                f"PRAGMA foreign_key_list({table})").fetchall():
            if column not in names:
                raise StoreError(f"演示数据缺少外键列 {table}.{column}（本批未写入）")
            if to is None:  # "REFERENCES target": its primary key
                to = next((row[1] for row in raw.execute(f"PRAGMA table_info({target})")
                           if row[5] == 1), "rowid")
            wanted[(target, to)].update(map(itemgetter(names.index(column)), rows))
    made = {("customer", "id"): {row[0] for row in batch.customers},
            ("complaint", "id"): {row[0] for table, rows in batch.tables
                                  if table == "complaint" for row in rows}}
    for (target, column), values in wanted.items():
        values.discard(None)
        values -= made.get((target, column), set())
        values = list(values)
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            found = {row[0] for row in raw.execute(
                f"SELECT {column} FROM {target} WHERE {column} IN "
                f"({','.join('?' * len(chunk))})", chunk)}
            missing = [v for v in chunk if v not in found]
            if missing:
                raise StoreError(f"演示数据引用了不存在的 {target}.{column}：{missing[:5]}"
                                 f"（本批未写入）")


def _insert(raw, batch: Prepared) -> None:  # type: ignore[no-untyped-def]
    """Write a built batch in the caller's transaction, its references checked first."""
    _check_references(raw, batch)
    if batch.customers:
        raw.executemany(CUSTOMER_INSERT, batch.customers)
    raw.executemany("INSERT INTO daily_counter(day, last) VALUES (?, ?) "
                    "ON CONFLICT(day) DO UPDATE SET last = excluded.last", batch.counters)
    for table, rows in batch.tables:
        if table == "audit_event" and rows:
            _insert_events(raw, rows, batch.state)
        elif rows:
            raw.executemany(COLUMNS[table].insert, rows)
    search_index.insert_rows(raw, batch.trigrams, batch.bigrams, (search_index.EVERY,))
    search_index.insert_rows(raw, [batch.trigrams[i] for i in batch.open_search],
                       [batch.bigrams[i] for i in batch.open_search], (search_index.OPEN,))


def _insert_events(raw, rows: list[tuple],  # type: ignore[no-untyped-def]
                   state: State) -> None:
    """Write the batch's audit events (demo_batch.AUDIT_VALUES and the hash, chained
    after ``state``'s last event) in the caller's transaction.

    The events take the ids SQLite gives (the last id + 1, + 2…, what their hashes
    were made for: checked before and after) with the insert trigger lifted for the
    batch: it and an explicit id cost 1.2 µs an event, 7 % of a load. Inside this
    IMMEDIATE transaction nobody else can write or see it lifted; it is put back with
    the SQL the file had, so a change someone made to it still shows in
    audit_chain.verify_chain."""
    if audit_chain.tail(raw) != (state.audit_id, state.audit_hash):  # pragma: no cover
        raise StoreError("演示数据的审计事件没有接在审计链末尾（本批未写入）")
    guard = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                        "AND name = 'audit_event_no_replace'").fetchone()
    if guard is not None:
        raw.execute("DROP TRIGGER audit_event_no_replace")
    raw.executemany(COLUMNS["audit_event"].insert, rows)
    if raw.execute("SELECT max(id) FROM audit_event").fetchone()[0] != state.audit_id + len(rows):
        raise StoreError("演示数据的审计事件编号与审计链不符（本批未写入）")  # pragma: no cover
    if guard is not None:
        raw.execute(guard[0])


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """A BEGIN IMMEDIATE transaction on ``conn``, errors as the store reports them."""
    try:
        with conn.begin():
            yield
    except OperationalError as exc:
        raise StoreError(f"写入数据库失败：{exc.orig}（数据未保存，可重试）") from exc


def commit_predicted(conn: Connection, batch: Prepared) -> None:
    """Write a batch built on a prediction, if the file is as predicted (else
    :class:`_Conflict`, nothing written)."""
    with _transaction(conn):
        raw = conn.connection.driver_connection
        if (read_state(raw, list(batch.state.counters)) != batch.state
                or known_customers(raw, batch.new_keys)):
            raise _Conflict
        _insert(raw, batch)


def write_load(conn: Connection, builder: "LocalBuilder | RemoteBuilder",
               written: Callable[[Prepared], None]) -> None:
    """Write every batch ``builder`` builds; ``written`` is told of each, committed."""
    index = asked = 0
    for asked in range(builder.AHEAD):
        builder.request(asked, None)
    while (batch := builder.result()) is not None:
        asked += 1
        builder.request(asked, None)  # built while this one is written
        try:
            commit_predicted(conn, batch)
        except _Conflict:
            for _later in range(asked - index):  # built on the same wrong prediction
                builder.result()
            _one_by_one(conn, builder, index, written)
            return
        written(batch)
        index += 1
    for _later in range(asked - index):  # the end, as many times as asked past it
        builder.result()


def _one_by_one(conn: Connection, builder: "LocalBuilder | RemoteBuilder", index: int,
                written: Callable[[Prepared], None]) -> None:
    """From batch ``index`` on: read the state, build and write in one transaction."""
    while True:
        with _transaction(conn):
            raw = conn.connection.driver_connection
            builder.request(index, read_state(raw, None))
            batch = builder.result()
            if batch is None:
                return
            if known_customers(raw, batch.new_keys):  # pragma: no cover - built on this state
                raise StoreError("演示数据的新客户已存在，请重试")
            _insert(raw, batch)
        written(batch)
        index += 1


# ------------------------------------------------------------------ builders


class LocalBuilder:
    """Builds in this process, when asked for the result (a small demo)."""

    AHEAD = 1

    def __init__(self, plan: Plan):
        self.builder = Builder(plan)
        self.asked: deque[tuple[int, State | None]] = deque()

    def request(self, index: int, state: State | None) -> None:
        self.asked.append((index, state))

    def result(self) -> Prepared | None:
        return self.builder.build(*self.asked.popleft())

    def close(self) -> None:
        self.builder.close()


class RemoteBuilder:
    """Builds in a process of its own, one request ahead.

    A fresh interpreter (``python -c``) reading pickled requests on its stdin and
    writing batches (``Prepared.to_wire``) on its stdout:
    unlike multiprocessing's ``spawn`` it never re-imports the caller's main
    script, and unlike ``fork`` it shares no SQLite handle with this process.
    """

    AHEAD = 2  # two batches asked for, so one is built while the other waits

    def __init__(self, plan: Plan):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from complaintdesk.demo.writer import _serve; _serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to, self.back = self.process.stdin, self.process.stdout
        # Replies are read off the pipe as they come, so the builder never waits for
        # the writer to read one before it builds the next.
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="demo-builder-reader",
                                       daemon=True)
        self.reader.start()
        _send(self.to, plan)

    def _read(self) -> None:
        while (data := _receive_bytes(self.back)) is not None:
            self.replies.put(data)
        self.replies.put(None)

    def request(self, index: int, state: State | None) -> None:
        _send(self.to, (index, state))

    def result(self) -> Prepared | None:
        data = self.replies.get()
        if data is None:
            self.replies.put(None)
            raise StoreError("生成演示数据的子进程意外退出")
        kind, value = data[:1], data[1:]
        if kind == b"E":
            raise StoreError(f"生成演示数据失败：{value.decode()}")
        return Prepared.from_wire(value) if value else None

    def close(self) -> None:
        try:
            _send(self.to, None)
            self.to.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if the child hangs
            self.process.kill()
            self.process.wait()
        self.reader.join(10)
        self.back.close()


def _send(stream, value: object) -> None:  # type: ignore[no-untyped-def]
    _send_bytes(stream, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def _send_bytes(stream, data: bytes) -> None:  # type: ignore[no-untyped-def]
    stream.write(len(data).to_bytes(8, "little"))
    stream.write(data)
    stream.flush()


def _receive_bytes(stream) -> bytes | None:  # type: ignore[no-untyped-def]
    """The next message as pickled, or None at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "little")
    data = stream.read(size)
    return data if len(data) == size else None  # cut short: the other side died


def _receive(stream) -> object:  # type: ignore[no-untyped-def]
    """The next value, or None at the end of the stream."""
    data = _receive_bytes(stream)
    return None if data is None else pickle.loads(data)


def _serve() -> None:
    """The builder process: build each batch asked for, until told None."""
    gc.disable()  # as in fill_demo: many short-lived objects, no cycles
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    plan = _receive(requests)
    assert isinstance(plan, Plan)
    builder = Builder(plan)
    try:
        while (asked := _receive(requests)) is not None:
            try:
                batch = builder.build(*asked)
                _send_bytes(replies, b"B" + (batch.to_wire() if batch is not None else b""))
            except Exception as exc:  # noqa: BLE001 - reported to the writer, which stops
                _send_bytes(replies, b"E" + f"{type(exc).__name__}: {exc}\n"
                                            f"{traceback.format_exc()}".encode())
                return
    except BrokenPipeError:  # the writer went away
        pass
    finally:
        builder.close()


@contextmanager
def bulk_connection(desk: Desk, count: int) -> Iterator[Connection]:
    """A connection for a load of ``count`` complaints in IMMEDIATE transactions.

    For the load only, a larger page cache (SQLite's default 2 MB is too small for
    the hot pages of a dozen indexes), ``synchronous=NORMAL`` (in WAL mode a crash
    may lose the last batches, never the file's integrity), temporary b-trees in
    memory, checkpoints only every ``CHECKPOINT_PAGES`` pages of WAL instead of
    after every batch (an index or FTS page changed by several batches is copied
    into the file once: 13 % less writing time at 500,000 complaints), and foreign
    keys checked per batch in Python (``_check_references``), not per row. Each is put
    back as it was before the connection returns to the pool, after a checkpoint,
    so the next colleague to save does not pay for the load's.
    """
    conn = desk.store.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    raw = conn.connection.driver_connection
    saved = {name: raw.execute(f"PRAGMA {name}").fetchone()[0]
             for name in ("cache_size", "synchronous", "temp_store", "wal_autocheckpoint",
                          "foreign_keys")}
    try:
        raw.execute(f"PRAGMA cache_size = {-min(CACHE_KIB, max(16_384, count // 8))}")
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("PRAGMA temp_store = MEMORY")
        raw.execute("PRAGMA foreign_keys = OFF")
        if count >= CHECKPOINT_PAGES // 10:
            raw.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        yield conn
    finally:
        try:
            _fold_wal(raw)
            for name, value in saved.items():
                raw.execute(f"PRAGMA {name} = {value}")
        except sqlite3.Error:  # the file failed us (disk full?): never back to the pool
            conn.invalidate()
        finally:
            conn.close()


def _fold_wal(raw) -> None:  # type: ignore[no-untyped-def]
    """Fold the load's WAL back into the file (PASSIVE: readers never wait), then cut
    it to nothing, else its ~400 MB stay on disk. A checkpoint that fails or is held
    up by a reader is left to later ones: the load itself is committed."""
    try:
        busy, log, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy and log == done:  # nothing left that a TRUNCATE would wait for
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error:
        pass


CACHE_KIB = 128 * 1024  # the page cache of a large load, at most
CHECKPOINT_PAGES = 100_000  # of 4 KiB: the WAL of a large load grows to about 400 MB


__all__ = ["bulk_connection", "write_load"]
