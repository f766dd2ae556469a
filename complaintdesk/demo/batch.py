"""Demo data, part three: building a batch of rows for a given state of the file.

A batch is built for a :class:`State` — the next ids and its days' 受理编号
counters — and comes out as plain tuples ready to insert: customers, counters,
complaints, investigations, sheets, audit events, revisits and search rows. The
:class:`Builder` owns the dice (generator and handling); it runs in the writing
process for a small demo, in a process of its own for a large one (demo_writer.py).
"""

from __future__ import annotations

import marshal
import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import add, itemgetter
from pathlib import Path
from typing import NamedTuple

from sqlmodel.sql.sqltypes import UTCDateTime

from complaintdesk.store.sqlite import audit_chain
from complaintdesk.domain import search
from complaintdesk.store.sqlite.audit_chain import GENESIS
from complaintdesk.domain import effects
from complaintdesk.domain.numbers import format_number
from complaintdesk.domain.config import DeskConfig
from complaintdesk.store.models import (AuditEvent, Complaint, Customer, HandlingSheet, Investigation, Revisit,
                     fill_timing_facts)
from complaintdesk.demo.generate import DemoCustomer, Generator, DemoRow, spread_over_days
from complaintdesk.demo.cases import Cast
from complaintdesk.demo.handling import CaseHandling

#: A complaint row's columns as the table's defaults make them (NULL where none):
#: registration (effects.registered) and the stories fill in the rest.
NEW_COMPLAINT = {column.name: None if column.default is None else column.default.arg
                 for column in Complaint.__table__.columns  # type: ignore[attr-defined]
                 if column.name != "id"}

# ------------------------------------------------------------------ rows as tuples


class _Columns(NamedTuple):
    """A table's columns (but the id, unless asked), for rows bound as plain sequences."""

    table: str
    names: tuple[str, ...]
    get: Callable[[dict], tuple]
    times: tuple[int, ...]  # positions of the UTCDateTime columns
    insert: str


def _columns(table, with_id: bool = False) -> _Columns:  # type: ignore[no-untyped-def]
    columns = [c for c in table.columns if with_id or c.name != "id"]
    names = tuple(c.name for c in columns)
    return _Columns(table.name, names, itemgetter(*names),
                    tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)),
                    f"INSERT INTO {table.name} ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _c in names)})")


COLUMNS = {columns.table: columns for columns in (
    _columns(Complaint.__table__, with_id=True), _columns(Investigation.__table__),
    _columns(HandlingSheet.__table__), _columns(AuditEvent.__table__),
    _columns(Revisit.__table__, with_id=True), _columns(Customer.__table__, with_id=True))}
# Audit events are built as their eight values and their hash, chained after the
# file's last event as the batch's state has it (_chained): the builder, in a process
# of its own for a large load, takes the hashing off the writer.
AUDIT_VALUES = ("at", "actor", "complaint_id", "action", "field", "before", "after", "detail")
assert COLUMNS["audit_event"].names == (*AUDIT_VALUES, "hash")
_CUSTOMER_ORDER = ("id", "name", "address", "contact", "contact_key", "created_at")
assert set(COLUMNS["customer"].names) == set(_CUSTOMER_ORDER)
CUSTOMER_INSERT = (f"INSERT INTO customer ({', '.join(_CUSTOMER_ORDER)}) "
                   f"VALUES ({', '.join('?' for _c in _CUSTOMER_ORDER)})")


def utc_text(moment: datetime | None) -> str | None:
    """A time as UTCDateTime stores it in SQLite (UTC, ``2026-11-23 02:00:00.000000``).
    A naive time is taken as UTC already (the handling's own times)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def _row_of(values: dict, columns: _Columns) -> tuple:
    """A row of ``columns`` from a dict whose times are naive UTC (or None)."""
    row = list(columns.get(values))
    for i in columns.times:
        moment = row[i]
        if moment is not None:
            row[i] = moment.isoformat(" ", "microseconds")
    return tuple(row)


# ------------------------------------------------------------------ a batch


class State(NamedTuple):
    """What the file holds when a batch is written: the next ids, the batch's days'
    counters (day → last number issued), and the end of the audit chain the batch's
    events follow (the last event's id and hash, audit_chain.tail)."""

    complaint_id: int
    customer_id: int
    revisit_id: int
    counters: dict[str, int]
    audit_id: int = 0
    audit_hash: bytes = GENESIS


@dataclass
class Prepared:
    """A batch built for ``state``: what the writer inserts, nothing else."""

    index: int
    state: State
    new_keys: list[str] = field(default_factory=list)  # customers new to the file
    customers: list[tuple] = field(default_factory=list)
    counters: list[tuple[str, int]] = field(default_factory=list)
    tables: list[tuple[str, list[tuple]]] = field(default_factory=list)
    trigrams: list[tuple] = field(default_factory=list)
    bigrams: list[tuple] = field(default_factory=list)
    open_search: list[int] = field(default_factory=list)  # positions of those not closed
    numbers: list[str] = field(default_factory=list)

    def to_wire(self) -> bytes:
        """The batch as bytes for the pipe from the builder process. ``marshal``, not
        pickle: the rows are plain tuples of str, int, float and None (and the audit
        events' hashes, bytes), which marshal writes 2.5x and reads 1.4x as fast
        (pickle memoizes every string; measured on 10,000-complaint batches, 3 GB a
        million complaints)."""
        return marshal.dumps((self.index, tuple(self.state[:3]), self.state.counters,
                              tuple(self.state[4:]), self.new_keys, self.customers,
                              self.counters, self.tables, self.trigrams, self.bigrams,
                              self.open_search, self.numbers))

    @classmethod
    def from_wire(cls, data: bytes) -> "Prepared":
        (index, ids, counters, audit, new_keys, customers, day_counters, tables, trigrams,
         bigrams, open_search, numbers) = marshal.loads(data)
        return cls(index, State(*ids, counters, *audit), new_keys, customers, day_counters,
                   tables, trigrams, bigrams, open_search, numbers)


def read_state(raw, days: list[str] | None) -> State:  # type: ignore[no-untyped-def]
    """The file's state for a batch of ``days`` (None: every day's counter), read
    with the DB-API connection ``raw``."""
    def next_id(table: str) -> int:
        return raw.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]

    if days is None:
        return State(next_id("complaint"), next_id("customer"), next_id("revisit"),
                      dict(raw.execute("SELECT day, last FROM daily_counter").fetchall()),
                      *audit_chain.tail(raw))
    counters = {day: 0 for day in days}
    for start in range(0, len(days), 500):
        chunk = days[start:start + 500]
        counters.update(raw.execute(
            f"SELECT day, last FROM daily_counter WHERE day IN ({','.join('?' * len(chunk))})",
            chunk).fetchall())
    return State(next_id("complaint"), next_id("customer"), next_id("revisit"), counters,
                  *audit_chain.tail(raw))


def known_customers(raw, keys: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """contact_key → id of the customers the file already has, of ``keys``."""
    known: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        known.update(raw.execute(
            f"SELECT contact_key, id FROM customer WHERE contact_key IN "
            f"({','.join('?' * len(chunk))})", chunk).fetchall())
    return known


def _prepare(config: DeskConfig, index: int, rows: list[DemoRow], state: State, now: datetime,
             handling: CaseHandling, lookup: Callable[[list[str]], dict[str, int]]
             ) -> tuple[Prepared, list[DemoCustomer]]:
    """Build a batch for ``state``: customers (``lookup`` finds those the file has),
    numbers, complaints as far along as their stories have got by now, their
    investigations, sheets, revisits, audit events and search rows. Also returns the
    customers it gave an id."""
    out = Prepared(index, state)
    now_utc = now.astimezone(UTC).replace(tzinfo=None)
    assigned = _assign_customers(out, rows, lookup, now_utc)

    counters = dict(state.counters)
    numbers = out.numbers
    for row in rows:  # continue each local day's counter, as registration does
        counters[row.day] = last = counters.get(row.day, 0) + 1
        numbers.append(format_number(row.day, last))
    out.counters = [(day, counters[day]) for day in dict.fromkeys(row.day for row in rows)]

    plus, limits = handling.calendar.plus, config.limits
    handling.revisits.next_id = state.revisit_id
    next_id = state.complaint_id
    complaints, events, details = [], [], {}
    for offset, (row, number) in enumerate(zip(rows, numbers)):
        # Times as naive UTC, the stored form. Deadlines count on the desk's calendar
        # from the receiving time, as registration counts them (config.deadlines_for).
        received = row.received_at.astimezone(UTC).replace(tzinfo=None)
        limit = limits[row.priority]
        first_due = plus(received, limit.first_response)
        # Registered a few minutes after it came in (never after now).
        created = min(received + timedelta(minutes=1 + (offset * 7) % 15), now_utc)
        registration, base = effects.registered(
            number=number, customer_id=row.customer.id, customer_name=row.customer.name,
            address=row.customer.address, contact=row.contact, channel=row.channel,
            received_at=received, event=row.event, demand=row.demand, category=row.category,
            priority=row.priority, product=row.product, quantity=row.quantity,
            by=row.receiver, first_response_due=first_due,
            resolution_due=plus(received, limit.resolution), at=created)
        complaint = dict(NEW_COMPLAINT, id=next_id + offset, **registration)
        complaints.append(complaint)
        key = (row.priority, row.channel)
        detail = details.get(key)
        if detail is None:
            detail = details[key] = effects.detail_text(dict(base, source="demo"))
        events.append((utc_text(created), row.receiver, next_id + offset,
                       "complaint.registered", None, None, number, detail))
        handling.play(complaint, row, number)
    investigations, sheets, steps, revisits = handling.take()
    # Ids follow each complaint's story (not the clock across complaints): appending
    # to the audit index in order is cheaper than inserting all over it.
    events += steps
    # Plain tuples, times already in the stored form: Core's per-row parameter
    # processing would cost more than SQLite's own work.
    complaint_columns, sheet_columns = COLUMNS["complaint"], COLUMNS["handling_sheet"]
    for c in complaints:
        fill_timing_facts(c)
    out.tables = [("complaint", [_row_of(c, complaint_columns) for c in complaints]),
                  ("investigation", investigations),
                  ("handling_sheet", [_row_of(s, sheet_columns) for s in sheets]),
                  ("audit_event", _chained(events, state)),
                  ("revisit", [_row_of(v, COLUMNS["revisit"]) for v in revisits])]
    for c in complaints:
        tri, bi = search.index_values(*search.indexed_fields(c))
        if not c["closed"]:
            out.open_search.append(len(out.trigrams))
        out.trigrams.append(tri)
        out.bigrams.append(bi)
    return out, assigned


def _chained(events: list[tuple], state: State) -> list[tuple]:
    """The batch's audit events with their hashes, chained after ``state``'s last event:
    each gets the next id when written (demo_writer._insert_events checks)."""
    tails = audit_chain.content_tails(events)
    hashes = audit_chain.chain_tails(state.audit_hash, state.audit_id + 1, tails)
    return list(map(add, events, zip(hashes)))


def _assign_customers(out: Prepared, rows: list[DemoRow],
                      lookup: Callable[[list[str]], dict[str, int]],
                      now_utc: datetime) -> list[DemoCustomer]:
    """Give every row's customer an id: the file's for a known contact, else a new one."""
    pending: dict[str, DemoCustomer] = {}
    for row in rows:
        if row.customer.id is None and row.customer.key not in pending:
            pending[row.customer.key] = row.customer
    known = lookup(list(pending)) if pending else {}
    next_id = out.state.customer_id
    created = utc_text(now_utc)
    assigned = []
    for key, customer in pending.items():
        assigned.append(customer)
        if key in known:
            customer.id = known[key]
            continue
        customer.id = next_id
        next_id += 1
        out.new_keys.append(key)
        out.customers.append((customer.id, customer.name, customer.address, customer.contact,
                              key, created))
    for row in rows:  # another object of this batch with the same key
        if row.customer.id is None:
            assigned.append(row.customer)
            row.customer.id = pending[row.customer.key].id
    return assigned


# ------------------------------------------------------------------ the builder


@dataclass
class Plan:
    """Everything a builder needs, picklable: it may run in a process of its own."""

    db_path: Path
    config: DeskConfig
    now_utc: datetime
    seed: int
    months: int
    count: int
    batch_size: int
    receivers: list[str]
    cast: Cast


class Builder:
    """Builds the load's batches in order, from the same dice as a one-by-one load.

    ``build(k, state)`` builds batch ``k``. With ``state`` None it predicts the
    state from the batches it built before (reading the file only for what they
    did not touch); with a state read by the writer inside its transaction it
    builds for that. Asked for a batch it built already (the writer found the file
    changed), it first puts back the dice and the customers' ids as they were.
    """

    KEEP = 4  # batches remembered for building again (the writer asks at most 2 ahead)

    def __init__(self, plan: Plan):
        self.plan = plan
        self.now = now = plan.now_utc.astimezone(plan.config.timezone)
        rng = random.Random(plan.seed)
        counts = spread_over_days(rng, plan.months, plan.count)
        self.rows = self._batches(Generator(rng, plan.receivers).rows(counts, now))
        # Its own dice, so a seed's complaints read the same as before handling was played.
        self.handling = CaseHandling(random.Random(f"{plan.seed}/handling"), plan.cast,
                                  plan.config, now, plan.count)
        # (index, rows, snapshot, customers given an id, new customers' key → id)
        self.history: list[tuple[int, list[DemoRow], tuple, list[DemoCustomer], dict[str, int]]] = []
        self.again: list[list[DemoRow]] = []  # rows to build again, next first
        self.next: State | None = None
        self.counters: dict[str, int] = {}  # every day's counter as predicted
        self._db: sqlite3.Connection | None = None

    def _batches(self, rows: Iterator[DemoRow]) -> Iterator[list[DemoRow]]:
        batch: list[DemoRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.plan.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def db(self) -> sqlite3.Connection:
        """A connection of the builder's own, for reading what the file holds."""
        if self._db is None:
            self._db = sqlite3.connect(self.plan.db_path, timeout=10, isolation_level=None,
                                       check_same_thread=False)
        return self._db

    def build(self, index: int, state: State | None) -> Prepared | None:
        """Batch ``index`` (None when the load is done)."""
        if self.history and index <= self.history[-1][0]:
            self._rewind(index)
        rows = self.again.pop(0) if self.again else next(self.rows, None)
        if rows is None:
            return None
        # Reads in autocommit, never holding a snapshot (which would keep the writer's
        # checkpoints from resetting the WAL); the writer checks what matters.
        raw = self.db()
        in_flight: dict[str, int] = {}
        if state is None:  # the batches built but perhaps not yet written
            state = self._predict(raw, rows)
            for *_rest, new in self.history:
                in_flight.update(new)

        def lookup(keys: list[str]) -> dict[str, int]:
            known = known_customers(raw, keys)
            known.update((k, in_flight[k]) for k in keys if k in in_flight)
            return known

        snapshot = self.handling.snapshot()
        batch, assigned = _prepare(self.plan.config, index, rows, state, self.now,
                                   self.handling, lookup)
        new = {key: row[0] for key, row in zip(batch.new_keys, batch.customers)}
        self.history = [*self.history[-(self.KEEP - 1):], (index, rows, snapshot, assigned, new)]
        self.counters.update(batch.counters)
        events = dict(batch.tables)["audit_event"]
        self.next = State(state.complaint_id + len(rows), state.customer_id + len(batch.customers),
                           self.handling.revisits.next_id, {}, state.audit_id + len(events),
                           events[-1][-1] if events else state.audit_hash)
        return batch

    def _predict(self, raw: sqlite3.Connection, rows: list[DemoRow]) -> State:
        days = list(dict.fromkeys(row.day for row in rows))
        if self.next is None:
            self.next = read_state(raw, [])
        unknown = [day for day in days if day not in self.counters]
        if unknown:
            self.counters.update(read_state(raw, unknown).counters)
        return self.next._replace(counters={day: self.counters[day] for day in days})

    def _rewind(self, index: int) -> None:
        """Back to before batch ``index``: its dice, its customers without ids."""
        at = next(i for i, (k, *_rest) in enumerate(self.history) if k == index)
        undone = self.history[at:]
        self.history = self.history[:at]
        self.handling.restore(undone[0][2])
        for _k, _rows, _snapshot, assigned, _new in undone:
            for customer in assigned:
                customer.id = None
        self.again = [rows for _k, rows, *_rest in undone] + self.again
        self.next, self.counters = None, {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


__all__ = ["COLUMNS", "CUSTOMER_INSERT", "read_state", "known_customers"]
