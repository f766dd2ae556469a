"""The SQLite store: connection settings, transaction modes, schema versions, paths."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from complaintdesk.process import complaints
from complaintdesk.store.sqlite import schema
from complaintdesk.store.sqlite import engine as store
from complaintdesk.process import staffing
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.errors import StoreError
from complaintdesk.store.models import Staff
from complaintdesk.store.sqlite.engine import open_store

#: The SQLite file itself: pragmas, WAL, locks, its DDL (the PostgreSQL store's
#: own: tests/store/test_postgres_store.py).
pytestmark = pytest.mark.sqlite_only


def _pragma(conn, name: str):
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


# ----------------------------------------------------------------- connection settings

def test_pragmas_on_engine_connections(desk):
    with desk.store.engine.connect() as conn:
        assert _pragma(conn, "journal_mode") == "wal"
        assert _pragma(conn, "synchronous") == 2  # FULL
        assert _pragma(conn, "foreign_keys") == 1
        assert _pragma(conn, "busy_timeout") == store.BUSY_TIMEOUT_MS


@pytest.mark.parametrize("mode", ["read", "write"])
def test_pragmas_inside_store_sessions(desk, mode):
    with getattr(desk.store, mode)() as session:
        conn = session.connection()
        assert _pragma(conn, "synchronous") == 2
        assert _pragma(conn, "foreign_keys") == 1
        assert _pragma(conn, "busy_timeout") >= 1000


def test_file_is_in_wal_mode_for_other_programs(desk):
    raw = sqlite3.connect(desk.store.path)
    try:
        # journal_mode=WAL is persistent: a plain sqlite3 client sees it too.
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_foreign_keys_are_enforced(desk, counter):
    with pytest.raises(Exception) as excinfo:
        with desk.store.write() as session:
            session.connection().exec_driver_sql(  # the next id and a hash: as a writer would
                "INSERT INTO audit_event(id, at, actor, complaint_id, action, hash) "
                "SELECT max(id) + 1, '2026-11-23 02:00:00', 'x', 999, 'test', zeroblob(32) "
                "FROM audit_event")
    assert "FOREIGN KEY" in str(excinfo.value)


# ----------------------------------------------------------------- transaction modes

def _try_begin_immediate(path: Path) -> str | None:
    """Try to take the write lock from an independent connection without waiting."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return None
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        other.close()


def test_write_session_holds_the_write_lock_from_its_first_statement(desk, admin):
    with desk.store.write() as session:
        # Only a read so far: a DEFERRED transaction would still hold no write lock.
        session.exec(select(Staff)).all()
        error = _try_begin_immediate(desk.store.path)
    assert error is not None and "locked" in error
    # Released at the end of the session.
    assert _try_begin_immediate(desk.store.path) is None


def test_read_session_does_not_block_writers(desk, admin):
    with desk.store.read() as session:
        assert session.exec(select(Staff)).all()
        assert _try_begin_immediate(desk.store.path) is None
        # And the desk itself can write while the read session is open.
        staffing.add_staff(desk, admin.login, "li", "李四", "counter")
    assert [s.login for s in staffing.list_staff(desk)].count("li") == 1


def test_write_session_rolls_back_on_error(desk, admin):
    with pytest.raises(RuntimeError):
        with desk.store.write() as session:
            session.add(Staff(login="ghost", name="幽灵", role="counter",
                              created_at=desk.now_utc()))
            session.flush()
            raise RuntimeError("boom")
    assert "ghost" not in {s.login for s in staffing.list_staff(desk)}


def test_locked_database_gives_store_error_not_traceback(tmp_path, monkeypatch, frozen_now):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 50)
    desk = open_desk(tmp_path / "t.db", config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=lambda: frozen_now)
    other = sqlite3.connect(desk.store.path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            staffing.sign_in(desk, "admin1", "管理员")
    finally:
        other.execute("ROLLBACK")
        other.close()
        desk.close()


# ----------------------------------------------------------------- schema versions

def _user_version(path: Path) -> int:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("PRAGMA user_version").fetchone()[0]
    finally:
        raw.close()


def _set_user_version(path: Path, version: int) -> None:
    raw = sqlite3.connect(path)
    try:
        raw.execute(f"PRAGMA user_version = {version}")
        raw.commit()
    finally:
        raw.close()


def test_new_file_gets_current_schema_version(tmp_path):
    path = tmp_path / "new.db"
    open_store(path).dispose()
    assert path.exists()
    assert _user_version(path) == schema.SCHEMA_VERSION


def test_file_from_newer_release_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_store(path).dispose()
    _set_user_version(path, schema.SCHEMA_VERSION + 1)
    with pytest.raises(StoreError) as excinfo:
        open_store(path)
    message = excinfo.value.message
    assert "升级" in message  # tells the person to upgrade complaintdesk
    assert str(schema.SCHEMA_VERSION + 1) in message
    assert "\n" not in message
    # Left untouched.
    assert _user_version(path) == schema.SCHEMA_VERSION + 1


def test_non_database_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    content = "这不是数据库，只是一份备忘录。\n" * 200
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StoreError) as excinfo:
        open_store(path)
    assert str(path) in excinfo.value.message
    assert path.read_text(encoding="utf-8") == content


def test_missing_directory_is_refused(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "t.db"
    with pytest.raises(StoreError, match="目录"):
        open_store(path)
    assert not path.parent.exists()


def test_directory_path_is_refused(tmp_path):
    with pytest.raises(StoreError, match="目录"):
        open_store(tmp_path)


def test_unwritable_directory_is_refused(tmp_path):
    """Refused for root too: a directory made read-only on purpose is honoured."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError):
            open_store(locked / "t.db")
    finally:
        locked.chmod(0o700)


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    raw.execute("INSERT INTO invoices(amount) VALUES (12.5)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="不是 complaintdesk"):
        open_store(path)
    raw = sqlite3.connect(path)
    try:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"invoices"}
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
    finally:
        raw.close()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path, frozen_now):
    path = tmp_path / "t.db"
    config = DeskConfig(timezone_name="Asia/Shanghai")
    first = open_desk(path, config=config, clock=lambda: frozen_now)
    staffing.sign_in(first, "admin1", "管理员")
    registered = complaints.register_complaint(first, "admin1", {
        "customer_name": "张三", "contact": "13812345678", "channel": "phone",
        "event": "水壶漏水", "demand": "退货", "category": "product", "priority": "general",
    })
    first.close()

    second = open_desk(path, config=config, clock=lambda: frozen_now)
    try:
        assert staffing.sign_in(second, "admin1").role.value == "admin"
        record = complaints.get_complaint(second, registered.number)
        assert record.complaint.event == "水壶漏水"
        assert complaints.count_complaints(second) == 1
        assert _user_version(path) == schema.SCHEMA_VERSION
    finally:
        second.close()


def test_schema_ddl_matches_models(desk):
    """Tables and columns the DDL creates are exactly those the models map."""
    raw = sqlite3.connect(desk.store.path)
    try:
        db_tables = {r[0] for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'complaint_fts%'")}  # FTS5 tables are not models
        assert db_tables == set(SQLModel.metadata.tables)
        for name, table in SQLModel.metadata.tables.items():
            info = raw.execute(f"PRAGMA table_info({name})").fetchall()
            db_columns = {row[1] for row in info}
            assert db_columns == {c.name for c in table.columns}, name
            # Nullability must agree too, or the model accepts what the DDL refuses.
            db_notnull = {row[1] for row in info if row[3] and not row[5]}
            model_notnull = {c.name for c in table.columns
                             if not c.nullable and not c.primary_key}
            assert db_notnull == model_notnull, name
    finally:
        raw.close()


def test_every_migration_step_exists():
    assert sorted(schema.MIGRATIONS) == list(range(1, schema.SCHEMA_VERSION + 1))


# ----------------------------------------------------------------- database path

@pytest.mark.parametrize("umask", [0o022, 0o007, 0o077])
def test_new_database_in_a_shared_directory_is_group_writable_whatever_the_umask(tmp_path, umask):
    """SQLite alone creates 0644 files, and ``ssh host command`` runs with umask 022:
    in a group-writable (shared) directory the group must be able to write the
    database whatever the creator's umask, and the -wal/-shm files copy its mode."""
    import stat

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2770)
    old = os.umask(umask)
    try:
        store = open_store(shared / "shared.db")
        with store.write() as session:
            session.exec(text("CREATE TABLE IF NOT EXISTS probe(x)"))
        try:
            info = (shared / "shared.db").stat()
            assert stat.S_IMODE(info.st_mode) == 0o660
            assert info.st_gid == shared.stat().st_gid
            wal = shared / "shared.db-wal"
            assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o660
        finally:
            store.dispose()
    finally:
        os.umask(old)


def test_new_database_in_a_private_directory_is_private(tmp_path):
    import stat

    private = tmp_path / "mine"
    private.mkdir(mode=0o700)
    store = open_store(private / "me.db")
    store.dispose()
    assert stat.S_IMODE((private / "me.db").stat().st_mode) == 0o600
