"""The PostgreSQL server the tests of the PostgreSQL store use.

``$COMPLAINTDESK_TEST_PG`` names one (a URL of any database on it, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``; CI's machine has one there).
Where none is given, a throwaway cluster is started with the installed
PostgreSQL binaries (initdb, pg_ctl) on a socket in a temporary directory, and
stopped at the end. Only where there are none are the tests skipped — loudly;
under CI (``$CI``) that is a failure instead.

Each test gets its own database, copied from a template that was migrated once
(``CREATE DATABASE … TEMPLATE``: a few tens of milliseconds), and dropped after.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

_server: str | None = None
_template: str | None = None
_cluster: Path | None = None


def _binaries() -> tuple[str, str] | None:
    for folder in [None, *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]:
        initdb = shutil.which("initdb", path=str(folder) if folder else None)
        pg_ctl = shutil.which("pg_ctl", path=str(folder) if folder else None)
        if initdb and pg_ctl:
            return initdb, pg_ctl
    return None


def _start_cluster() -> str | None:
    """A throwaway cluster on a socket in a new directory; its URL, or None."""
    global _cluster
    found = _binaries()
    if found is None:
        return None
    initdb, pg_ctl = found
    base = Path(tempfile.mkdtemp(prefix="cd-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster runs as nobody
        user = "postgres" if _has_user("postgres") else "nobody"
        shutil.chown(base, user)
        run_as = ["runuser", "-u", user, "--"]
    data, sock = base / "data", base
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-k {sock} -c listen_addresses='' -c fsync=off", "start"],
                   check=True, capture_output=True)
    _cluster = base
    def stop() -> None:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql://postgres@/postgres?host={sock}"


class Scratch:
    """A throwaway cluster of this test's own, on a socket in its own directory:
    for what the shared server cannot be made to do (ask for passwords, stream to
    a standby)."""

    def __init__(self, *, initdb_args: tuple[str, ...] = (), replica_of: Scratch | None = None,
                 password: str | None = None) -> None:
        found = _binaries()
        if found is None:
            message = "没有 initdb/pg_ctl，无法建临时 PostgreSQL 集群（apt-get install postgresql）"
            if os.environ.get("CI"):
                pytest.fail(message + "——CI 中不允许跳过", pytrace=False)
            pytest.skip(message)
        initdb, self._pg_ctl = found
        self.base = Path(tempfile.mkdtemp(prefix="cd-pgx-"))
        self.data = self.base / "data"
        user = "postgres" if _has_user("postgres") else "nobody"
        self._run_as = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
        if self._run_as:
            shutil.chown(self.base, user)
        args = list(initdb_args)
        if password is not None:
            pwfile = self.base / "pw"
            pwfile.write_text(password + "\n")
            if self._run_as:
                shutil.chown(pwfile, user)
            args.append(f"--pwfile={pwfile}")
        try:
            self._start(initdb, args, replica_of)
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)  # a worker that dies mid-test leaves no server

    def _start(self, initdb: str, args: list[str], replica_of: Scratch | None) -> None:
        if replica_of is None:
            self._as_owner(initdb, "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                           "--locale=C.UTF-8", *args)
        else:  # a streaming standby of ``replica_of`` (standby.signal, primary_conninfo)
            basebackup = str(Path(initdb).resolve().with_name("pg_basebackup"))
            self._as_owner(basebackup, "-h", str(replica_of.base), "-U", "postgres",
                           "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast")
        self._as_owner(self._pg_ctl, "-D", str(self.data), "-w", "-l", str(self.base / "log"), "-o",
                       f"-k {self.base} -c listen_addresses='' -c fsync=off -c wal_level=replica",
                       "start")

    def _as_owner(self, *argv: str) -> None:
        done = subprocess.run([*self._run_as, *argv], capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.base}"

    def stop(self) -> None:
        if not self.base.exists():
            return
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._run_as, self._pg_ctl, "-D", str(self.data), "-m", "immediate",
                            "stop"], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def server() -> str:
    """The URL of the server's maintenance database; skips (fails under CI) if none."""
    global _server
    if _server is None:
        _server = os.environ.get("COMPLAINTDESK_TEST_PG") or _start_cluster() or ""
    if not _server:
        message = ("PostgreSQL 测试被跳过：未设置 $COMPLAINTDESK_TEST_PG，本机也没有 "
                   "initdb/pg_ctl（apt-get install postgresql）")
        if os.environ.get("CI"):
            pytest.fail(message + "——CI 中不允许跳过", pytrace=False)
        pytest.skip(message)
    return _server


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(url: str) -> psycopg.Connection:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(dsn, autocommit=True)


def _ensure_template() -> str:
    """A database migrated to this release's schema, the template of every test's."""
    global _template
    if _template is None:
        from complaintdesk.store.postgres.engine import open_store

        name = f"cd_tmpl_{uuid.uuid4().hex[:12]}"
        with _admin(server()) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        open_store(_with_database(server(), name)).dispose()
        _template = name
        atexit.register(_drop, name)
    return _template


def _drop(name: str) -> None:
    try:
        with _admin(server()) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass


#: Databases this process made, and those free for the next test (emptied).
_made: list[str] = []
_free: list[str] = []
TABLES = ("staff, customer, complaint, complaint_search, audit_event, daily_counter, "
          "complaint_link, investigation, handling_sheet, revisit, alert_sent")


def new_database(empty: bool = False) -> str:
    """A database for one test (the schema in place and no rows, unless ``empty``:
    no schema at all); its URL. ``drop_database`` gives it back."""
    if _free and not empty:
        return _with_database(server(), _free.pop())
    name = f"cd_test_{uuid.uuid4().hex[:16]}"
    template = "template0" if empty else _ensure_template()
    with _admin(server()) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    if not _made:
        atexit.register(_drop_all)
    _made.append(name)
    return _with_database(server(), name)


def drop_database(url: str) -> None:
    """Give a test's database back: emptied (TRUNCATE, past the audit trail's
    guards as only a superuser can) for the next test, or dropped if that fails
    (a connection left holding a lock, a changed schema)."""
    name = make_url(url).database or ""
    try:
        with _admin(url) as conn:
            conn.execute("SET lock_timeout = '2s'")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            from complaintdesk.store.postgres.migrate import head

            if revision != [(head(),)]:
                raise psycopg.Error("schema changed")
            disabled = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D'"
                                    ).fetchone()[0]
            if disabled:
                raise psycopg.Error("a trigger was disabled")
            conn.execute("SET session_replication_role = replica")
            conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
        _free.append(name)
    except psycopg.Error:
        _drop(name)


def _drop_all() -> None:
    for name in _made:
        _drop(name)
