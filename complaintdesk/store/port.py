"""The store's port: what the use-cases, reports and screens may ask of a database.

A backend (``store/sqlite``, ``store/postgres``) implements
these protocols. Nothing above the store imports a backend: they are given a
``Store`` (in the ``Desk``) and use only what is written here. The tables are
``store/models.py`` (SQLModel), shared by every backend.

Units of work: ``read()`` is one read transaction, ``write()`` one write
transaction that commits on success and rolls back on error; a use-case does
all its reads and its writes for one step inside one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session

from complaintdesk.domain.queue import QueueFilter, QueueRow
from complaintdesk.store.changes import Changes


#: ``session.info[STORE_KEY]`` is the store whose unit of work ``session`` is.
STORE_KEY = "complaintdesk.store"


def store_of(session: Session) -> "Store":
    """The store whose ``read()``/``write()`` made ``session``: use-cases that are
    given only the session (audit.record) reach the store's services through it."""
    return session.info[STORE_KEY]


class AuditCheck(Protocol):
    """What a check of the audit trail found."""

    ok: bool
    problems: list[str]


class Watcher(Protocol):
    """Tells what anyone committed since last asked (toolong's watcher idea: the
    screens ask it, the backend decides how it knows; ``store/changes.py`` says
    what)."""

    def changes(self) -> Changes | None:
        """None if nobody committed since the last ask."""
        ...

    def changed(self) -> bool: ...

    @property
    def waits(self) -> bool:
        """Whether ``wait`` is told of commits (PostgreSQL's LISTEN, the kernel's
        inotify for SQLite); else it is a plain pause."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block until someone may have committed (True: ask ``changes()``),
        ``timeout`` seconds pass or the watcher is closed from another thread (at
        once). A watcher that is not told of commits pauses ``timeout``, then says
        to ask."""
        ...

    @property
    def closed(self) -> bool: ...

    def close(self) -> None: ...


class QueueReader(Protocol):
    """The priority queue of one filter: counts, pages (keyset), positions.

    A search counts at most ``SEARCH_CAP`` matches; ``capped`` is then set."""

    SEARCH_CAP: int
    capped: bool

    def count(self, exact: bool = False) -> int: ...

    def page(self, offset: int, limit: int, after: tuple | None = None) -> list[QueueRow]: ...

    def page_before(self, before: tuple, limit: int) -> list[QueueRow]: ...

    def page_from_end(self, offset_from_end: int, limit: int) -> list[QueueRow]: ...

    def position(self, number: str) -> int | None: ...

    def rows_of(self, numbers: Iterable[str]) -> list[QueueRow]:
        """The rows of these complaints that this view shows now (any order)."""
        ...


class Clock(Protocol):
    """What a read model needs of the desk: the store and the current time."""

    @property
    def store(self) -> "Store": ...

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Registration:
    """A registration as known before the writers' lock (``Store.register_at_once``):
    the complaint's columns but ``id``, ``number`` and ``customer_id``
    (``effects.registered``), the number's text before its sequence
    (``TS-20261205-``), the day of its counter, the customer's columns if the
    contact is new, the audit event's action and detail text, the clerk, the
    roles that may register, and the time of the registration."""

    row: dict[str, Any]
    number_prefix: str
    day: str
    customer: dict[str, Any]
    action: str
    detail: str
    actor: str
    roles: tuple[str, ...]
    at: datetime


class Store(Protocol):
    """One database: units of work, numbering, the search index, the watcher."""

    #: ``sqlite`` or ``postgresql``.
    backend: str
    #: Where the database is, to show (a file, or a URL without its password).
    path: Path | str
    #: Set when the backend found the database damaged; no write is tried after.
    damaged: str | None

    def read(self) -> AbstractContextManager[Session]: ...

    def write(self) -> AbstractContextManager[Session]: ...

    def append_audit(self, session: Session, event: dict) -> None:
        """Append one audit event (at, actor, complaint_id, action, field, before,
        after, detail) to the unit of work, linked by its hash to the one before."""
        ...

    def register_at_once(self, registration: Registration) -> tuple[int, str, int] | None:
        """Write a plain registration in one committed transaction, if the store
        can: (the complaint's id, the sequence of its number as written, the
        customer's id); None where nothing was written — the store cannot
        (SQLite), or the registration is not plain (the clerk's account missing,
        stopped or of another role; a complaint of the customer's paused) — and
        the caller registers through ``write``, where those are judged."""
        ...

    def check_audit_trail(self) -> AuditCheck:
        """The quick check of the audit trail (append-only guards, last links)."""
        ...

    def verify_audit_trail(self, head: str | None = None, quick: bool = False) -> AuditCheck:
        """The whole audit chain checked link by link (``quick``: the last links
        only), and against ``head`` (``N:HASH``) if given."""
        ...

    def bulk_load(self) -> object:
        """One transaction loading whole tables into this database (copy-to):
        count, clear, copy, set_column, index, finish, abort."""
        ...

    def next_sequence(self, session: Session, day: str) -> int:
        """The next number of ``day``'s 受理编号 counter, in the write transaction."""
        ...

    def index_new_complaint(self, session: Session, values: dict) -> None:
        """Add a complaint just inserted (its column values) to the search index."""
        ...

    def queue(self, source: Clock, queue_filter: QueueFilter | None = None) -> QueueReader:
        """The priority queue of ``queue_filter`` (default: the open complaints)."""
        ...

    def warning_candidates(self, session: Session, now: datetime, notice: datetime,
                           fraction: float, login: str | None = None,
                           numbers: list[str] | None = None) -> list[dict]:
        """The open complaints with a clock at or past ``fraction`` of its time at
        ``now`` (a pause leaves the handling and investigation clocks out), or a
        revisit due by ``notice``: a superset alerts.py checks clock by clock; with
        ``login``, only the complaints that person is responsible for (and with
        ``numbers``, only among those). Each a
        dict of the complaint's id, number, priority, status, customer_name, handler,
        received_by, closed, paused_minutes and its clocks' times (aware UTC)."""
        ...

    def report_read(self) -> AbstractContextManager[Session]:
        """A read session for the 统计表's grouping queries (a backend may give them
        planner settings of their own: more working memory, the date index priced
        as data in memory; never the desk's other reads)."""
        ...

    def report_sql(self, name: str) -> str:
        """The text of the 统计表's named query (main, pending, middle, revisits,
        repeats, count, rows, staff_names) in this backend's SQL: the reports do
        the arithmetic, the backend the reading (see store/sqlite/report_sql.py)."""
        ...

    def check_before_bulk_write(self) -> None:
        """Refuse (DamagedDatabase) a bulk write into a database found damaged."""
        ...

    def watcher(self) -> Watcher: ...

    def dispose(self) -> None: ...
