"""The PostgreSQL store: the port of ``store/port.py`` on a database server.

Why each setting: every session runs in UTC, so a time given as naive UTC text
(the report queries' bounds, ``figures.db_time``) means what it says whatever the
server's or the role's ``TimeZone``; reads are REPEATABLE READ, READ ONLY (one
snapshot per unit of work, as SQLite's read transaction); a write transaction
first takes one transaction-scoped advisory lock, so writers queue as they do on
SQLite (``BEGIN IMMEDIATE``) and a use-case's read-check-write (the version
checks) can never lose an update under READ COMMITTED: the lock is taken before
the first read, and every read after it sees every commit before it.
Readers never wait for it.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (ArgumentError, DBAPIError, DisconnectionError, OperationalError,
                            StatementError)
from sqlmodel import Session, create_engine

from complaintdesk.domain.errors import DomainError, StoreError
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.domain.search import indexed_fields
from complaintdesk.store.alarm import Alarm
from complaintdesk.store.changes import UNKNOWN, ChangeFeed, Changes
from complaintdesk.store.port import STORE_KEY, Clock, Registration
from complaintdesk.store.postgres import audit, clock_sql, search
from complaintdesk.store.postgres.audit import chain_time
from complaintdesk.store.postgres import migrate
from complaintdesk.store.postgres import registration as registration_sql
from complaintdesk.store.postgres.ddl import CHANNEL, WRITE_LOCK
from complaintdesk.store.postgres.queue import Queue
from complaintdesk.store.postgres.report_sql import REPORT_SQL
from complaintdesk.store.sqlite.audit_chain import GENESIS, content_bytes, link

CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_S = 10


def driver_url(url: str) -> str:
    """``url`` for SQLAlchemy with the psycopg 3 driver."""
    scheme, rest = url.split(":", 1)
    return "postgresql+psycopg:" + rest


def shown(url: str) -> str:
    """``url`` without its password, to show and log."""
    try:
        return make_url(driver_url(url)).render_as_string(hide_password=True).replace(
            "postgresql+psycopg:", "postgresql:", 1)
    except (ArgumentError, ValueError):
        return "postgresql://…"


def libpq_dsn(url: str) -> str:
    """``url`` as libpq takes it (psycopg.connect)."""
    return make_url(driver_url(url)).set(drivername="postgresql").render_as_string(
        hide_password=False)


#: The 统计表's own planner settings (see Store.report_read): working memory per
#: sort or hash step, and the cost of a random page read, as for data in memory.
REPORT_WORK_MEM = "64MB"
REPORT_RANDOM_PAGE_COST = 1.1

#: A write on a hot standby (a read replica) or a server set read-only: no retry helps.
READ_ONLY_SERVER = ("数据库服务器是只读的（只读副本，或设为只读）：此操作需要写入，未执行，数据未改动。"
                    "登记、修改、提醒等请连接主库；只读副本只用于统计表、导出和审计核对")


def _read_only_server(error: BaseException | None, url: str) -> bool:
    """Whether the server refused a write because it only reads: a write in a
    read-only transaction, or a standby refusing to begin READ WRITE (a "feature
    not supported", asked of the server, not read from its message, which may be
    in any language)."""
    if isinstance(error, psycopg.errors.ReadOnlySqlTransaction):
        return True
    if not isinstance(error, psycopg.errors.FeatureNotSupported):
        return False
    try:
        with psycopg.connect(libpq_dsn(url), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
    except psycopg.Error:
        return False


def make_engine(url: str) -> Engine:
    # A console holds at most two pooled connections (its screen's reads and a
    # background worker's), and one more to LISTEN on: the server's
    # max_connections must cover three per console (README).
    # Writes are READ COMMITTED whatever the role's or the database's default
    # (under REPEATABLE READ two writers queued on the writers' lock fail with a
    # serialization error): set on each transaction by SQLAlchemy, and as the
    # session's default for the registration's autocommit message (registration.py).
    engine = create_engine(driver_url(url), pool_size=2, max_overflow=2,
                           isolation_level="READ COMMITTED",
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                                         # JIT's compile (~90 ms) costs more than it
                                         # saves on the desk's queries.
                                         "options": "-c TimeZone=UTC -c jit=off",
                                         "application_name": "complaintdesk"})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        dbapi_conn.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.execute("SET default_transaction_isolation = 'read committed'")
        dbapi_conn.commit()

    event.listen(engine, "checkout", _still_open)
    return engine


def _still_open(dbapi_conn: Any, _record: object, _proxy: object) -> None:
    """A pooled connection, before each use: one the server has ended (restarted,
    terminated, idle timeout) is replaced. An idle connection has nothing to
    read, so anything there is the server's goodbye (its FATAL message, the end
    of the stream): a look at the socket without waiting (a poll, ~2 µs) instead
    of a round trip to the server (SQLAlchemy's pre-ping: a third of a
    registration's own work on the client's side with 8 writers on 2 cores).

    Raises:
        DisconnectionError: the pool drops the connection and takes a new one.
    """
    pgconn = dbapi_conn.pgconn
    if dbapi_conn.closed or dbapi_conn.broken or pgconn.status != psycopg.pq.ConnStatus.OK:
        raise DisconnectionError("the connection is closed")
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError) as exc:  # the socket itself is gone
        raise DisconnectionError(str(exc)) from exc
    if readable:
        raise DisconnectionError("the server ended the connection")


def _unstorable(exc: Exception) -> None:
    raise DomainError("文本中有无法处理的字符（孤立的代理项 U+D800–U+DFFF 或 NUL，例如终端传来的"
                      "非 UTF-8 字节）：未执行，请删除该字符后重试") from exc


#: The connection lost while the server committed: the server may have committed
#: or not, and the client cannot know which. "Not saved, retry" could register a
#: complaint twice.
COMMIT_UNKNOWN = ("无法确定这次操作是否已保存：提交时与数据库服务器的连接断开（{}）。"
                  "请先查看记录（例如在队列中搜索该客户或编号）是否已有这次的改动，确认没有再重做，以免重复登记")


def _commit(transaction: Any) -> None:
    """Commit a write transaction; a connection lost meanwhile is said as such.

    Raises:
        StoreError: COMMIT_UNKNOWN (an error the server sent in answer, such as a
            deferred constraint, is not a lost connection and is raised as it is).
    """
    try:
        transaction.commit()
    except OperationalError as exc:
        if exc.connection_invalidated:
            raise StoreError(COMMIT_UNKNOWN.format(_words(exc))) from exc
        raise


class Store:
    """A PostgreSQL database: short read-only snapshots and serialised writes."""

    backend = "postgresql"

    def __init__(self, url: str):
        self.url = url
        #: What to show for the database (the URL without its password).
        self.path = shown(url)
        self.engine = make_engine(url)
        self._reader = self.engine.execution_options(isolation_level="REPEATABLE READ",
                                                     postgresql_readonly=True)
        #: A server never reports a damaged file the way SQLite does: always None.
        self.damaged: str | None = None
        #: The Alembic revisions opening it applied.
        self.upgraded: list[str] = []

    def schema_version(self) -> str:
        return f"PostgreSQL 结构修订 {migrate.head()}"

    @contextmanager
    def _answered(self, failed: str, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            if isinstance(exc.orig, psycopg.errors.LockNotAvailable):
                raise StoreError(failed.format(f"数据库忙（另一处的写入 {LOCK_TIMEOUT_S} 秒内未结束）")
                                 ) from exc
            raise StoreError(failed.format(_words(exc))) from exc
        except DBAPIError as exc:
            if writing and _read_only_server(exc.orig, self.url):
                raise StoreError(READ_ONLY_SERVER) from exc
            if isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
                raise StoreError(failed.format(_words(exc))) from exc
            if isinstance(exc.orig, psycopg.errors.CharacterNotInRepertoire) or \
                    "0x00" in str(exc.orig):
                _unstorable(exc)
            raise
        except StatementError as exc:
            if isinstance(exc.orig, (UnicodeEncodeError, ValueError)) and \
                    ("surrogate" in str(exc.orig) or "NUL" in str(exc.orig)):
                _unstorable(exc)
            raise
        except UnicodeEncodeError as exc:
            _unstorable(exc)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One snapshot (REPEATABLE READ, READ ONLY), closed on exit."""
        with self._answered("读取数据库失败：{}"):
            with Session(self._reader, expire_on_commit=False, info={STORE_KEY: self}) as session:
                with session.begin():
                    yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction holding the writers' lock: committed on success,
        rolled back on error."""
        with self._answered("写入数据库失败：{}（数据未保存，可重试）", writing=True):
            with Session(self.engine, expire_on_commit=False, info={STORE_KEY: self}) as session:
                transaction = session.begin()
                try:
                    # One round trip: lock_timeout (like SQLite's busy timeout:
                    # a writer stuck elsewhere, a console whose host died
                    # mid-write, gives "busy, retry", not a wait for ever) is set
                    # before the lock is waited for, the select list being
                    # evaluated in order (a test holds the lock and times it).
                    session.connection().exec_driver_sql(
                        "SELECT set_config('lock_timeout', %(timeout)s, true),"
                        " pg_advisory_xact_lock(%(key)s)",
                        {"timeout": f"{LOCK_TIMEOUT_S}s", "key": WRITE_LOCK})
                    yield session
                except BaseException:
                    # The error said is the body's, even where the rollback fails
                    # too (the connection gone): the server rolls back a lost one.
                    with suppress(DBAPIError):
                        transaction.rollback()
                    raise
                _commit(transaction)

    def register_at_once(self, registration: Registration) -> tuple[int, str, int] | None:
        """A plain registration as one message the server runs and commits before it
        answers (``registration.py``: the writers' lock held for the server's work
        only); None where nothing was written, and on a server before
        PostgreSQL 12 (no ``plan_cache_mode``), where the usual write is taken."""
        if self.engine.dialect.server_version_info < (12,):
            return None
        with self._answered("写入数据库失败：{}（数据未保存，可重试）", writing=True):
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    return registration_sql.register(connection, registration,
                                                     f"{LOCK_TIMEOUT_S}s")
                except registration_sql.ConnectionLost as exc:
                    connection.invalidate()
                    raise StoreError(COMMIT_UNKNOWN.format(exc)) from exc

    def check_before_bulk_write(self) -> None:
        """The server keeps its own pages: nothing to check before a bulk write."""

    def append_audit(self, session: Session, event: dict) -> None:
        """Append one audit event, linked by its hash to the one before, inside the
        write transaction (whose lock makes the chain one line)."""
        session.flush()
        connection = session.connection()
        row = connection.exec_driver_sql(
            "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").first()
        last_id, previous = (0, GENESIS) if row is None else (row[0], bytes(row[1]))
        event_id = last_id + 1
        content = content_bytes((event_id, chain_time(event["at"]), event["actor"],
                                 event["complaint_id"], event["action"], event["field"],
                                 event["before"], event["after"], event["detail"]))
        connection.exec_driver_sql(
            "INSERT INTO audit_event (id, at, actor, complaint_id, action, field, before, after,"
            " detail, hash) VALUES (%(id)s, %(at)s, %(actor)s, %(complaint_id)s, %(action)s,"
            " %(field)s, %(before)s, %(after)s, %(detail)s, %(hash)s)",
            dict(event, id=event_id, at=event["at"].astimezone(UTC),
                 hash=link(previous, content)))

    def check_audit_trail(self):  # type: ignore[no-untyped-def]
        """The quick check: the append-only triggers present and enabled, ids without
        a gap, the last links sound."""
        return audit.quick_check(self)

    def verify_audit_trail(self, head: str | None = None, quick: bool = False):  # type: ignore[no-untyped-def]
        """Every link of the audit chain (``quick``: the last ones), and ``head``."""
        return audit.quick_check(self) if quick else audit.verify_chain(self, head)

    def bulk_load(self):  # type: ignore[no-untyped-def]
        """One transaction that loads whole tables (copy-to)."""
        from complaintdesk.store.postgres.bulk import BulkLoad

        return BulkLoad(self)

    def next_sequence(self, session: Session, day: str) -> int:
        """The next number of ``day``'s counter, in the write transaction (a rollback
        takes it back: no gaps)."""
        return session.connection().exec_driver_sql(
            "INSERT INTO daily_counter AS d (day, last) VALUES (%(day)s, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = d.last + 1 RETURNING d.last",
            {"day": day}).scalar_one()

    def index_new_complaint(self, session: Session, values: dict) -> None:
        with session.connection().connection.driver_connection.cursor() as cursor:
            search.index_complaints(cursor, [(indexed_fields(values), not values.get("closed"))])

    def queue(self, source: Clock, queue_filter: QueueFilter | None = None) -> Queue:
        return Queue(source, queue_filter)

    def warning_candidates(self, session: Session, now: datetime, notice: datetime,
                           fraction: float, login: str | None = None,
                           numbers: list[str] | None = None) -> list[dict]:
        return clock_sql.candidates(session.connection(), now, notice, fraction, login, numbers)

    @contextmanager
    def report_read(self) -> Iterator[Session]:
        """A read for the 统计表, with two settings of its own (not every console's):
        - ``work_mem``: its group-by of a year (a million rows, a few thousand
          groups) hashes in memory instead of sorting on disk under the default
          4 MB (2.0 s -> 0.6 s at 1M);
        - ``random_page_cost`` as for data in memory or on SSD: a period is a
          range of ``received_at``, and at 10M the default 4 (spinning disks) had
          the server read the whole 6 GB table to count a year held in a tenth of
          it (its main query 2.3 s; by the index 0.7 s). A period holding most of
          the table is still read whole."""
        with self.read() as session:
            session.exec(sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))  # type: ignore[call-overload]
            session.exec(sql(f"SET LOCAL random_page_cost = {REPORT_RANDOM_PAGE_COST}"))  # type: ignore[call-overload]
            yield session

    def report_sql(self, name: str) -> str:
        return REPORT_SQL[name]

    def watcher(self) -> "NotifyWatcher":
        return NotifyWatcher(self.url)

    def dispose(self) -> None:
        self.engine.dispose()


#: What the server's (or psycopg's) words about a refused or lost connection
#: mean, for the person at the counter; the words themselves follow for the admin.
CONNECTION_WORDS = (
    ("Connection refused", "数据库服务器没有响应（未运行或正在重启）"),
    ("not currently accepting connections", "数据库暂不接受连接（管理员已关闭）"),
    ("the database system is starting up", "数据库服务器正在启动"),
    ("the database system is shutting down", "数据库服务器正在关闭"),
    ("the database system is in recovery mode", "数据库服务器正在恢复"),
    ("terminating connection due to administrator command",
     "连接被服务器中断（服务器重启或管理员操作）"),
    ("server closed the connection unexpectedly", "连接被服务器意外关闭"),
    ("timeout expired", "连接数据库服务器超时"),
    ("could not translate host name", "找不到数据库服务器的主机名"),
    ("No route to host", "网络不通，无法到达数据库服务器"),
    ("too many clients already", "数据库服务器的连接数已满（max_connections）"),
)


def _words(exc: Exception) -> str:
    """The server's first line about ``exc`` (SQLAlchemy's or psycopg's own),
    after what it means in Chinese where it is a known connection failure."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    line = (text.strip().splitlines() or [type(orig).__name__])[0]
    meaning = next((said for needle, said in CONNECTION_WORDS if needle in text), None)
    return f"{meaning}（服务器：{line}）" if meaning else line


#: The watchers' connections in pg_stat_activity (one per console).
WATCHER_NAME = "complaintdesk-watch"
#: With its connection lost, a watcher tries to open it again this often.
RECONNECT_PAUSE_S = 1.0


class NotifyWatcher:
    """Tells what anyone committed since last asked: ``LISTEN`` on its own
    autocommit connection says that someone did; the audit trail says what
    (``store/changes.py``, as on SQLite; the notifications' payloads name the
    complaints too, but a link names only one of its two).

    Asking sends one empty query, after which the server has delivered every
    notification committed before it, so a change this process just committed is
    never missed. A lost connection (the server restarted) is opened again on the
    next ask, which then says everything changed (what happened meanwhile is
    unknown). Safe to ask from one thread while another closes it.
    """

    def __init__(self, url: str) -> None:
        self._lock = threading.Lock()
        self._url = url
        self._got: list[str] = []
        self._closed = False
        self._alarm = Alarm()
        self._conn: psycopg.Connection | None = None
        try:
            self._connect()
        except psycopg.Error as exc:
            raise StoreError(f"无法连接数据库 {shown(url)}：{exc}") from None

    def _connect(self) -> None:
        conn = psycopg.connect(libpq_dsn(self._url), autocommit=True,
                               application_name=WATCHER_NAME,
                               connect_timeout=CONNECT_TIMEOUT_S, keepalives=1,
                               keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
        conn.execute(f"LISTEN {CHANNEL}")
        self._conn = conn
        self._feed = ChangeFeed(self._execute, "%s", lambda value: value)  # timestamptz: aware

    def _execute(self, sql: str, params: tuple) -> list[tuple]:
        assert self._conn is not None
        return self._conn.execute(sql, params).fetchall()

    def changes(self) -> Changes | None:
        """What the commits since the last ask changed; None if nobody committed."""
        with self._lock:
            if self._closed:
                return None
            if self._conn is None:  # lost: listen again, and say everything changed
                try:
                    self._connect()
                except psycopg.Error:
                    return None
                return UNKNOWN
            try:
                self._conn.execute("")  # what was committed before it has arrived now
                self._got += [note.payload for note in self._conn.notifies(timeout=0)]
                if not self._got:
                    return None
                self._got.clear()
                return self._feed.read()
            except psycopg.Error:
                self._conn.close()
                self._conn = None
                return None

    #: Whether ``wait`` is told of commits (by the server): always, here.
    waits = True

    def wait(self, timeout: float) -> bool:
        """Block until the server sends something, ``timeout`` seconds pass or the
        watcher is closed: in the kernel, on the LISTEN connection's socket and the
        alarm that ``close()`` rings, so an idle console spends nothing and a
        change is seen as it is committed. False: nothing came, no need to ask
        ``changes()``. With the connection lost, a pause of at most a second, then
        True (asking opens it again)."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            if self._closed or self._conn is None:
                # Nothing to wait on: a plain pause, then ask (which reconnects).
                self._alarm.wait([], min(timeout, RECONNECT_PAUSE_S))
                ready = None
            else:
                try:
                    ready = self._alarm.wait([self._conn.pgconn.socket], timeout)
                except (OSError, ValueError, psycopg.Error):
                    ready = [True]  # the connection is gone: changes() finds out
        finally:
            self._lock.release()
            if self._closed:
                self.close()
        if ready is None:
            return not self._closed
        return bool(ready)

    def changed(self) -> bool:
        return self.changes() is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Closed at once, or (while another thread waits on the socket) by that
        thread as its wait ends, at once: the alarm wakes it."""
        self._closed = True
        self._alarm.ring()
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._alarm.close()
        finally:
            self._lock.release()


def open_store(url: str) -> Store:
    """Open (creating the schema in an empty database, or upgrading it) the
    PostgreSQL database at ``url``.

    Raises:
        StoreError: the server cannot be reached or refuses, the database is not
            complaintdesk's, or it comes from a newer release.
    """
    try:
        store = Store(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"数据库地址写得不对：{exc}（应为 postgresql://用户@主机:端口/数据库名）") from None
    try:
        store.upgraded = migrate.upgrade(store.engine, store.path)
    except StoreError:
        store.dispose()
        raise
    except (DBAPIError, psycopg.Error) as exc:
        store.dispose()
        # A revision's own SQL goes to the driver's connection: its errors are psycopg's.
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        if _read_only_server(orig, url):
            raise StoreError(f"数据库 {store.path} 是只读副本，结构比本程序旧，副本上无法升级："
                             "请先对主库运行 complaintdesk migrate，等副本同步后再打开") from None
        if isinstance(orig, psycopg.errors.InsufficientPrivilege):
            # The desk's own role owns nothing (README): a new release's revisions
            # are the owner's to apply, before anyone opens the desk.
            raise StoreError(f"数据库 {store.path} 的结构比本程序旧，需要升级，而当前角色无权修改表结构："
                             "请由数据库管理员以表的所有者角色运行 complaintdesk --db <所有者的地址> migrate，"
                             "完成后再打开（升级前数据未改动）") from None
        raise StoreError(f"无法打开数据库 {store.path}：{_words(exc)}"
                         "（请检查服务器地址、数据库名、用户与密码，以及 pg_hba.conf）") from None
    return store


def has_schema(url: str) -> bool:
    """Whether the database at ``url`` has complaintdesk's schema (True when it
    cannot be asked: opening it says why)."""
    try:
        with psycopg.connect(libpq_dsn(url), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            return conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]
    except (psycopg.Error, ArgumentError, ValueError):
        return True
