"""The SQLite store shared by every console and CLI on the box.

Why each setting (see conventions.md): WAL lets readers work while one writer
commits; ``synchronous=FULL`` keeps a commit the user saw as saved across a power
loss; writes start with ``BEGIN IMMEDIATE`` so a read-then-write transaction
never dies with "database is locked" under contention; reads stay deferred so an
idle reader never blocks the office; sessions are short.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from datetime import datetime

from sqlalchemy import event
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError, StatementError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine, select

from complaintdesk.store import adminlog
from complaintdesk.store.sqlite.dbfile import ADVICE, DamagedDatabase, inspect, is_corruption
from complaintdesk.domain.errors import DomainError, StoreError
from complaintdesk.domain.search import indexed_fields
from complaintdesk.store.models import DailyCounter
from complaintdesk.store.sqlite import audit_chain, audit_trail, clock_sql, search_index
from complaintdesk.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from complaintdesk.store.sqlite.watcher import ChangeWatcher
from complaintdesk.store.sqlite.queue import Queue
from complaintdesk.store.sqlite.report_sql import REPORT_SQL
from complaintdesk.store.port import STORE_KEY, AuditCheck, Clock, Registration
from complaintdesk.domain.queue import QueueFilter

BUSY_TIMEOUT_MS = 10_000
#: Files up to this size get a quick check before a bulk write (intake).
QUICK_CHECK_LIMIT = 64 * 1024 * 1024


def _check_path(path: Path) -> None:
    """Refuse paths SQLite would fail on later, with a message that says why."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise StoreError(f"数据库所在目录不存在：{parent}（请先创建该目录，或用 --db 指定其他路径）")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"没有读写数据库文件的权限：{path}（请管理员检查文件的组和权限）")
    # WAL needs to create the -wal and -shm files next to the database.
    # A directory with no write bit at all was made read-only on purpose:
    # honoured for root too, who would otherwise write into it anyway.
    if not os.access(parent, os.W_OK | os.X_OK) or not parent.stat().st_mode & 0o222:
        raise StoreError(f"没有在数据库目录中写文件的权限：{parent}（WAL 模式需要在此目录创建 -wal/-shm 文件）")


def _create_for_group(path: Path) -> None:
    """Create a new database file owned by its directory's group.

    In a shared directory (group-writable, usually setgid) the file is made
    group read/write (0660) whatever the creator's umask: SQLite alone would make
    it 0644 and lock every colleague out, and every ``ssh host command`` runs with
    umask 022. Elsewhere (a personal or service directory) it is 0600. SQLite gives
    the -wal and -shm files the database's mode; their group is fixed on each
    connection (``_share_sidecars``).
    """
    parent = path.parent if str(path.parent) else Path(".")
    info = parent.stat()
    shared = bool(info.st_mode & 0o020)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"无法创建数据库文件 {path}：{exc.strerror}") from None
    try:
        if shared:
            if os.fstat(fd).st_gid != info.st_gid:
                os.fchown(fd, -1, info.st_gid)
            os.fchmod(fd, 0o660)
    except OSError as exc:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise StoreError(f"无法把新数据库 {path} 设为目录的组可读写：{exc.strerror}"
                         "（请确认你属于该目录的组）") from None
    os.close(fd)


def _share_sidecars(path: Path) -> None:
    """Give the -wal and -shm files this process created the database's group.

    SQLite copies the database's mode to them but not its group (outside a setgid
    directory they get the creator's primary group), which would lock colleagues
    out of a group-shared database until the last connection closes.
    """
    try:
        db = path.stat()
    except OSError:
        return
    if not db.st_mode & 0o060:
        return
    me = os.geteuid()
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            info = side.stat()
            if info.st_uid == me and info.st_gid != db.st_gid:
                os.chown(side, -1, db.st_gid)
        except OSError:
            pass


def make_engine(path: Path) -> Engine:
    """Build an engine for ``path``. Never called at import time."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the documented recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # opens the -wal and -shm
        cur.close()
        _share_sidecars(path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _unstorable(exc: Exception) -> None:
    """A text SQLite cannot take (a lone surrogate) reached a query: the boundary
    cleans texts (text.storable), this is the net under it, for reads (a search
    or a number typed on the command line) as for writes."""
    if isinstance(exc, StatementError) and not isinstance(exc.orig, UnicodeEncodeError):
        raise exc
    raise DomainError("文本中有无法处理的字符（孤立的代理项 U+D800–U+DFFF，例如终端传来的"
                      "非 UTF-8 字节）：未执行，请删除该字符后重试") from exc


class Store:
    """The database file: short read sessions and short immediate write sessions."""

    backend = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.engine = make_engine(self.path)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        #: Set when SQLite reported the file damaged: no write is tried after that.
        self.damaged: str | None = None
        #: The schema steps opening it applied (``v12``…).
        self.upgraded: list[str] = []

    def schema_version(self) -> str:
        return f"SQLite 结构版本 {SCHEMA_VERSION}"

    def _damaged(self, exc: Exception) -> DamagedDatabase:
        """Note the damage (once, in the log too) and say what to do."""
        orig = getattr(exc, "orig", None) or exc
        if self.damaged is None:
            self.damaged = f"数据库 {self.path} 已损坏（SQLite：{orig}），已停止写入：{ADVICE}"
            adminlog.log("store-damaged", adminlog.syslog.LOG_CRIT, file=self.path,
                         error=type(orig).__name__)
        return DamagedDatabase(self.damaged)

    @contextmanager
    def _answered(self, failed: str) -> Iterator[None]:
        """What SQLite says, as the desk says it: damage (the store stops writing),
        a busy or failed database (``failed`` + SQLite's words), a text SQLite
        cannot take. One place for reads and writes, through SQLAlchemy or the
        raw driver connection."""
        try:
            yield
        except DatabaseError as exc:
            if is_corruption(exc.orig):
                raise self._damaged(exc) from exc
            if isinstance(exc, OperationalError):
                raise StoreError(failed.format(exc.orig)) from exc
            raise
        except (UnicodeEncodeError, StatementError) as exc:
            _unstorable(exc)
        except sqlite3.DatabaseError as exc:
            if is_corruption(exc):
                raise self._damaged(exc) from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A deferred read transaction, closed on exit."""
        with self._answered("读取数据库失败：{}"):
            with Session(self.engine, expire_on_commit=False, info={STORE_KEY: self}) as session:
                with session.begin():
                    yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on
        error; refused at once once the file was found damaged."""
        if self.damaged is not None:
            raise DamagedDatabase(self.damaged)
        with self._answered("写入数据库失败：{}（数据未保存，可重试）"):
            with Session(self._writer, expire_on_commit=False, info={STORE_KEY: self}) as session:
                with session.begin():
                    yield session

    def register_at_once(self, registration: Registration) -> None:
        """Never: a SQLite write holds no lock across a network, so the usual
        ``write`` is as quick (the caller registers through it)."""
        return None

    def check_before_bulk_write(self) -> None:
        """Before a bulk write (intake), SQLite's quick check of the whole file
        when it is small enough to take well under a second (about 12 ms a MB
        here): damage in a page no command has read yet is found before more is
        written beside it. A larger file relies on the start check and on SQLite
        reporting damage when it reads a damaged page (see dbfile.py).

        Raises:
            DamagedDatabase: the check found damage; nothing more is written.
        """
        if self.damaged is not None:
            raise DamagedDatabase(self.damaged)
        try:
            if self.path.stat().st_size > QUICK_CHECK_LIMIT:
                return
        except OSError:
            return
        conn = self.raw_connection()
        try:
            cursor = conn.execute("PRAGMA quick_check(1)")
            try:
                first = cursor.fetchone()
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from exc
        finally:
            conn.close()
        if first is not None and first[0] != "ok":
            raise self._damaged(sqlite3.DatabaseError(f"quick_check: {first[0]}"))

    def append_audit(self, session: Session, event: dict) -> None:
        """Append one audit event to the unit of work ``session`` (hash-linked)."""
        audit_trail.append_event(session, event)

    def check_audit_trail(self) -> AuditCheck:
        """The quick check: append-only triggers present, the last links sound."""
        return audit_chain.quick_check(self)

    def verify_audit_trail(self, head: str | None = None, quick: bool = False):  # type: ignore[no-untyped-def]
        """Every link of the audit chain (``quick``: the last ones), and ``head``."""
        return audit_chain.quick_check(self) if quick else audit_chain.verify_chain(self, head)

    def bulk_load(self):  # type: ignore[no-untyped-def]
        """One transaction that loads whole tables into this (new) file (copy-to)."""
        from complaintdesk.store.sqlite.bulk import BulkLoad

        return BulkLoad(self)

    def next_sequence(self, session: Session, day: str) -> int:
        """The next number of ``day``'s counter, inside the caller's write
        transaction: BEGIN IMMEDIATE's write lock serialises registrations, and
        the counter is only ever incremented."""
        session.exec(sql(  # type: ignore[call-overload]
            "INSERT INTO daily_counter(day, last) VALUES (:day, 1) "
            "ON CONFLICT(day) DO UPDATE SET last = last + 1"
        ).bindparams(day=day))
        return session.exec(select(DailyCounter.last)  # type: ignore[call-overload]
                            .where(DailyCounter.day == day)).one()

    def index_new_complaint(self, session: Session, values: dict) -> None:
        """Add a complaint just inserted in ``session`` (its column values) to the
        search indexes, in the same transaction (search_index is their one writer)."""
        search_index.index_complaints(session.connection().connection.driver_connection,
                                      [indexed_fields(values)])

    def queue(self, source: Clock, queue_filter: QueueFilter | None = None) -> Queue:
        """The priority queue of ``queue_filter`` read from this file."""
        return Queue(source, queue_filter)

    def warning_candidates(self, session: Session, now: datetime, notice: datetime,
                           fraction: float, login: str | None = None,
                           numbers: list[str] | None = None) -> list[dict]:
        """The open complaints with a clock at or past ``fraction`` of its time at
        ``now``, or a revisit due by ``notice`` (clock_sql.WARNING_SQL), as dicts of
        clock_sql.COLUMNS."""
        return clock_sql.candidates(session.connection().connection.driver_connection, now,
                                    notice, fraction, login, numbers)

    def report_read(self) -> AbstractContextManager[Session]:
        """The 统计表 reads like anything else: SQLite's page cache is the process's."""
        return self.read()

    def report_sql(self, name: str) -> str:
        """The 统计表's query ``name`` in SQLite's words (report_sql.REPORT_SQL)."""
        return REPORT_SQL[name]

    def watcher(self) -> ChangeWatcher:
        """A watcher of commits by anyone (``PRAGMA data_version``, asked when the
        kernel says the WAL was written)."""
        return ChangeWatcher(self.raw_connection(), self.path)

    def raw_connection(self) -> sqlite3.Connection:
        """A plain sqlite3 connection in autocommit mode, for change detection."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        _share_sidecars(self.path)
        return conn

    def dispose(self) -> None:
        self.engine.dispose()


def _migrate(store: Store) -> None:
    # A look without the writers' lock first: at nine o'clock two hundred consoles
    # open the file at once, and each taking the lock only to find the schema
    # current made some wait out the busy timeout ("database is locked").
    with store.engine.connect() as conn:
        if conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION:
            return
    with store.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        with conn.begin():
            version = conn.exec_driver_sql("PRAGMA user_version").scalar() or 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"数据库 {store.path} 来自更新的 complaintdesk 版本（结构版本 {version}，"
                    f"本程序支持到 {SCHEMA_VERSION}）：请升级 complaintdesk 后再打开"
                )
            if version == 0:
                tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).scalar()
                if tables:
                    raise StoreError(f"{store.path} 不是 complaintdesk 数据库（其中已有其他表）")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](conn.connection.driver_connection)
                conn.exec_driver_sql(f"PRAGMA user_version = {step}")
                store.upgraded.append(f"v{step}")


def open_store(path: Path) -> Store:
    """Open (creating or upgrading) the database at ``path``.

    Raises:
        StoreError: the path cannot be used, the file is not a complaintdesk
            database, or it comes from a newer release.
    """
    path = Path(path)
    verdict = inspect(path, SCHEMA_VERSION)  # before anything is written to it
    _check_path(path)
    if verdict.new:
        _create_for_group(path)
    store = Store(path)
    try:
        _migrate(store)
    except StoreError:
        store.dispose()
        raise
    except (DBAPIError, sqlite3.Error) as exc:
        store.dispose()
        orig = getattr(exc, "orig", exc)
        if is_corruption(orig):
            raise DamagedDatabase(f"数据库 {path} 已损坏（SQLite：{orig}）：{ADVICE}") from None
        raise StoreError(f"无法打开数据库 {path}：{orig}") from None
    return store
