"""The PostgreSQL store against a real server (tests/pg_server.py): what only a
server database has — its schema upgrades by Alembic, the audit trail guarded by
the server, LISTEN/NOTIFY, sessions in UTC whatever the server's zone, URLs on
the command line — and copy-to between the backends, both ways."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.errors import DomainError, StoreError
from complaintdesk.process import complaints, staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.process.queue import open_queue
from complaintdesk.process.watch import watch_changes
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.reports.figures import build_report, parse_period
from complaintdesk.store import open_store
from complaintdesk.store.postgres import migrate
from complaintdesk.store.transfer import copy_desk
from tests import pg_server
from tests.helpers import sample, sql_rows, sql_run

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CONFIG = DeskConfig(timezone_name="Asia/Shanghai")


def _admin(url: str) -> psycopg.Connection:
    return pg_server._admin(url)


@pytest.fixture
def pg_desk(pg_url):  # type: ignore[no-untyped-def]
    desk = open_desk(pg_url, config=CONFIG, clock=lambda: NOW)
    staffing.sign_in(desk, "admin1", "管理员")
    staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")
    yield desk
    desk.close()


# ------------------------------------------------------------------ schema

def test_an_empty_database_gets_the_schema_and_a_second_open_changes_nothing() -> None:
    url = pg_server.new_database(empty=True)
    try:
        store = open_store(url)
        assert store.upgraded == ["0001_baseline", "0002_audit_notify", "0003_digit_grams",
                                  "0004_search_partitions"]
        assert migrate.head() == "0004_search_partitions"
        store.dispose()
        again = open_store(url)
        assert again.upgraded == []
        again.dispose()
    finally:
        pg_server.drop_database(url)


def test_a_database_of_the_baseline_is_upgraded_and_its_notes_then_wake_consoles() -> None:
    """A desk made by the release before (revision 0001) opens, is upgraded by
    Alembic to 0002, and a note (an audit event alone) then wakes a watcher."""
    from alembic import command
    from sqlalchemy import create_engine

    url = pg_server.new_database(empty=True)
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection, connection.begin():
            command.upgrade(migrate._config(connection), "0001_baseline")
        engine.dispose()
        desk = open_desk(url, DeskConfig())
        try:
            assert desk.store.upgraded == ["0002_audit_notify", "0003_digit_grams",
                                           "0004_search_partitions"]
            admin = staffing.sign_in(desk, "admin1", "管理员")
            made = complaints.register_complaint(desk, admin.login, sample())
            watcher = watch_changes(desk)
            try:
                complaints.add_note(desk, admin.login, made.number, "只写进处理记录的备注")
                changes = watcher.changes()
                assert changes is not None and changes.numbers == {made.number}
            finally:
                watcher.close()
        finally:
            desk.close()
    finally:
        pg_server.drop_database(url)


def test_a_newer_schema_is_refused_in_words(pg_url) -> None:
    with _admin(pg_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(StoreError, match="来自更新的 complaintdesk 版本.*9999_from_the_future"):
        open_store(pg_url)


def test_a_database_of_something_else_is_refused_untouched() -> None:
    url = pg_server.new_database(empty=True)
    try:
        with _admin(url) as conn:
            conn.execute("CREATE TABLE payroll (id int)")
        with pytest.raises(StoreError, match="不是 complaintdesk 数据库"):
            open_store(url)
        with _admin(url) as conn:
            assert conn.execute("SELECT to_regclass('complaint')").fetchone() == (None,)
    finally:
        pg_server.drop_database(url)


def test_an_unreachable_server_is_said_in_chinese() -> None:
    with pytest.raises(StoreError, match=r"无法打开数据库 postgresql://nobody:\*\*\*@127.0.0.1:1/x"
                       ".*请检查服务器地址") as refused:
        open_store("postgresql://nobody:secret@127.0.0.1:1/x")
    assert "secret" not in refused.value.message
    assert "数据库服务器没有响应（未运行或正在重启）" in refused.value.message  # port 1: refused


def test_the_baseline_matches_the_models(pg_url) -> None:
    """Tables, columns and nullability the baseline creates are those the models map
    (the search index is no model); only the audit hash is stricter (NOT NULL)."""
    from sqlmodel import SQLModel

    with _admin(pg_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name NOT IN "
            "('alembic_version', 'complaint_search') AND table_name NOT LIKE 'complaint_search\\_%'").fetchall()
    found: dict[str, dict[str, bool]] = {}
    for table, column, not_null in columns:
        found.setdefault(table, {})[column] = not_null
    assert set(found) == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        assert set(found[name]) == {c.name for c in table.columns}, name
        model = {c.name for c in table.columns if not c.nullable and not c.primary_key}
        server = {c for c, not_null in found[name].items()
                  if not_null and c not in {k.name for k in table.primary_key.columns}}
        assert server - model == ({"hash"} if name == "audit_event" else set()), name
        assert model <= server, name


# ------------------------------------------------------------------ the server's guards

def test_the_server_refuses_to_change_or_empty_the_audit_trail(pg_desk) -> None:
    complaints.register_complaint(pg_desk, "counter1", sample())
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event",
                      "TRUNCATE audit_event CASCADE",
                      "INSERT INTO audit_event (id, at, actor, action, hash) "
                      "VALUES (1, now(), 'x', 'y', decode(repeat('00', 32), 'hex'))"):
        with pytest.raises(DBAPIError, match="append-only"):
            sql_run(pg_desk, statement)
    assert pg_desk.store.check_audit_trail().ok


def test_a_disabled_guard_and_a_changed_event_are_found(pg_desk) -> None:
    complaints.register_complaint(pg_desk, "counter1", sample())
    sql_run(pg_desk, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update")
    sql_run(pg_desk, "UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    quick = pg_desk.store.check_audit_trail()
    assert not quick.ok and any("已被停用" in p for p in quick.problems)
    full = pg_desk.store.verify_audit_trail()
    assert full.first_broken_id == 2 and any("审计记录 2 与链不符" in p for p in full.problems)


def test_numbers_run_on_without_gaps_after_a_rolled_back_registration(pg_desk) -> None:
    first = complaints.register_complaint(pg_desk, "counter1", sample())
    with pytest.raises(Exception):
        with pg_desk.store.write() as session:
            assert pg_desk.store.next_sequence(session, "20261123") == 2
            raise RuntimeError("the registration fails after taking its number")
    second = complaints.register_complaint(pg_desk, "counter1", sample())
    assert (first.number, second.number) == ("TS-20261123-0001", "TS-20261123-0002")


def test_a_writer_waiting_past_the_lock_timeout_is_told_the_database_is_busy(
        pg_desk, pg_url, monkeypatch) -> None:
    """The timeout is set in the lock's own statement, before the lock is waited
    for; a registration refused under the lock takes no number."""
    import threading

    from complaintdesk.domain.errors import PermissionDenied
    from complaintdesk.store.postgres import engine as pg_engine
    from complaintdesk.store.postgres.ddl import WRITE_LOCK

    staffing.add_staff(pg_desk, "admin1", "leader1", "分管领导老李", "leader")
    monkeypatch.setattr(pg_engine, "LOCK_TIMEOUT_S", 1)
    holder = _admin(pg_url)
    holder.execute("BEGIN")
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    # Let go after 6 s whatever happens: a timeout not applied fails the test
    # (the registration gets through) instead of hanging it.
    release = threading.Timer(6, holder.execute, ("ROLLBACK",))
    release.start()
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match="数据库忙"):
            complaints.register_complaint(pg_desk, "counter1", sample())
        assert 0.9 < time.monotonic() - started < 5
    finally:
        release.cancel()
        release.join()
        holder.execute("ROLLBACK")
        holder.close()
    with pytest.raises(PermissionDenied, match="只有"):
        complaints.register_complaint(pg_desk, "leader1", sample())
    assert complaints.register_complaint(pg_desk, "counter1", sample()).number == "TS-20261123-0001"
    assert pg_desk.store.verify_audit_trail().ok


def test_a_connection_lost_while_committing_is_said_as_an_unknown_outcome(pg_desk, pg_url) -> None:
    """The server's connection ends while it commits a registration (a deferred
    trigger holds the COMMIT; another session terminates it meanwhile): the
    clerk is told the outcome is unknown and to look before doing it again, not
    "not saved, retry", which could register the complaint twice. The desk then
    works on with a new connection."""
    import threading

    with _admin(pg_url) as conn:
        conn.execute("CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN PERFORM pg_sleep(5); RETURN NULL; END $$")
        conn.execute("CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON complaint "
                     "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_slow_commit()")
    database = make_url(pg_url).database

    def cut_the_commit() -> None:
        with _admin(pg_url) as conn:
            for _ in range(200):
                row = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                   "AND wait_event = 'PgSleep'", (database,)).fetchone()
                if row:
                    conn.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                    return
                time.sleep(0.05)

    cutter = threading.Thread(target=cut_the_commit)
    try:
        cutter.start()
        with pytest.raises(StoreError, match="无法确定这次操作是否已保存.*确认没有再重做"):
            complaints.register_complaint(pg_desk, "counter1", sample(customer_name="断线时登记的客户"))
        cutter.join()
    finally:
        with _admin(pg_url) as conn:
            conn.execute("DROP TRIGGER test_slow_commit ON complaint")
            conn.execute("DROP FUNCTION test_slow_commit()")
    # (Here the server had not committed when its connection ended: nothing was saved.)
    assert open_queue(pg_desk, QueueFilter(search="断线时登记的客户")).count() == 0
    again = complaints.register_complaint(pg_desk, "counter1", sample(customer_name="断线时登记的客户"))
    assert again.number == "TS-20261123-0001"


def test_an_error_the_server_answers_at_commit_is_not_an_unknown_outcome(pg_desk, pg_url) -> None:
    """A deferred check refused at COMMIT is the server's answer: the write was
    rolled back, and the clerk is not sent to look for it."""
    with _admin(pg_url) as conn:
        conn.execute("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$")
        conn.execute("CREATE CONSTRAINT TRIGGER test_refuse AFTER INSERT ON complaint "
                     "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse()")
    try:
        with pytest.raises(Exception) as raised:
            complaints.register_complaint(pg_desk, "counter1", sample())
        assert "无法确定" not in str(raised.value)
    finally:
        with _admin(pg_url) as conn:
            conn.execute("DROP TRIGGER test_refuse ON complaint")
            conn.execute("DROP FUNCTION test_refuse()")
    assert complaints.register_complaint(pg_desk, "counter1", sample()).number == "TS-20261123-0001"


# ------------------------------------------------------------------ time zones

def test_reports_do_not_depend_on_the_servers_time_zone(pg_url) -> None:
    """Period bounds are naive UTC text: read in a session zone of New York they
    would be 5 h off. Every session of the store runs in UTC."""
    desk = open_desk(pg_url, config=CONFIG, clock=lambda: NOW)
    staffing.sign_in(desk, "admin1", "管理员")
    staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")
    # 2026-10-31 17:00 UTC: in November at the desk; read in New York's zone the
    # bounds would start at 20:00 UTC and put it in October.
    early = datetime(2026, 11, 1, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    complaints.register_complaint(desk, "counter1", sample(received_at=early.isoformat()))
    before = build_report(desk, parse_period("2026-11", CONFIG.timezone)).total
    desk.close()
    name = make_url(pg_url).database
    with _admin(pg_url) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET timezone = \'America/New_York\'')
    try:
        again = open_desk(pg_url, config=CONFIG, clock=lambda: NOW)
        try:
            assert before == 1
            assert build_report(again, parse_period("2026-11", CONFIG.timezone)).total == 1
            assert build_report(again, parse_period("2026-10", CONFIG.timezone)).total == 0
        finally:
            again.close()
    finally:
        with _admin(pg_url) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET timezone')


# ------------------------------------------------------------------ a read replica

def test_the_reports_reads_have_their_own_settings_and_no_other_read_does(pg_desk) -> None:
    """The 统计表's reads hash in memory and price the received_at index as data in
    memory (store/postgres/engine.report_read); every other read keeps the
    server's settings, and the report's do not outlive its transaction."""
    from sqlalchemy import text

    store = pg_desk.store

    def settings(session) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        return (session.exec(text("SHOW work_mem")).one()[0],
                session.exec(text("SHOW random_page_cost")).one()[0])

    with store.read() as session:
        server = settings(session)
    with store.report_read() as session:
        assert settings(session) == ("64MB", "1.1")
    assert server != ("64MB", "1.1")
    for _ in range(3):  # the pool's connections, each used after a report
        with store.read() as session:
            assert settings(session) == server


def test_a_search_count_reads_with_its_own_working_memory_and_no_other_read_does(pg_desk) -> None:
    """A search's count runs with COUNT_WORK_MEM (store/postgres/queue.py): set
    for its own read transaction only."""
    from sqlalchemy import text

    from complaintdesk.store.postgres.queue import COUNT_WORK_MEM

    store = pg_desk.store
    queue = open_queue(pg_desk, QueueFilter(search="退款", include_closed=True))
    with store.read() as session:
        server = session.exec(text("SHOW work_mem")).one()[0]
    assert server != COUNT_WORK_MEM
    with store.read() as session:
        queue._plan(session, counting=True)
        assert session.exec(text("SHOW work_mem")).one()[0] == COUNT_WORK_MEM
    assert queue.count() == 0
    for _ in range(3):  # the pool's connections, each used after a count
        with store.read() as session:
            assert session.exec(text("SHOW work_mem")).one()[0] == server


def test_a_read_replica_serves_reports_and_refuses_writes_in_words() -> None:
    """A streaming standby of a scratch primary (pg_basebackup -R): opening the
    desk, signing in, the 统计表 and audit verification work there; a stranger is
    told they are not staff (not the server's English); a write is refused in
    words, not as an internal error; what the primary commits arrives."""
    primary = pg_server.Scratch()
    replica = None
    try:
        with _admin(primary.url()) as conn:
            conn.execute("CREATE DATABASE cd")
        desk = open_desk(primary.url("cd"), config=CONFIG, clock=lambda: NOW)
        standby = None
        try:
            staffing.sign_in(desk, "admin1", "管理员")
            staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")
            complaints.register_complaint(desk, "counter1", sample())
            replica = pg_server.Scratch(replica_of=primary)
            standby = open_desk(replica.url("cd"), config=CONFIG, clock=lambda: NOW)
            with _admin(replica.url("cd")) as conn:
                assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
            assert staffing.sign_in(standby, "counter1").login == "counter1"
            with pytest.raises(DomainError, match="不是本系统的在职员工"):
                staffing.sign_in(standby, "stranger1")
            assert build_report(standby, parse_period("2026-11", CONFIG.timezone)).total == 1
            assert standby.store.verify_audit_trail().ok
            with pytest.raises(StoreError, match="只读.*未执行.*请连接主库"):
                complaints.register_complaint(standby, "counter1", sample())
            complaints.register_complaint(desk, "counter1", sample())
            for _ in range(600):  # streamed at once; up to 30 s on a loaded machine
                if build_report(standby, parse_period("2026-11", CONFIG.timezone)).total == 2:
                    break
                time.sleep(0.05)
            assert build_report(standby, parse_period("2026-11", CONFIG.timezone)).total == 2
        finally:
            if standby is not None:
                standby.close()
            desk.close()
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()


# ------------------------------------------------------------------ LISTEN/NOTIFY

def test_the_watcher_hears_which_complaints_changed(pg_desk) -> None:
    watcher = watch_changes(pg_desk)
    try:
        assert watcher.changed() is False
        complaints.register_complaint(pg_desk, "counter1", sample())
        assert watcher.changed() is True
        assert watcher.changed() is False
    finally:
        watcher.close()


def test_the_store_watcher_names_the_changed_numbers(pg_desk) -> None:
    watcher = pg_desk.store.watcher()
    try:
        made = complaints.register_complaint(pg_desk, "counter1", sample())
        changes = watcher.changes()
        assert changes is not None and not changes.everything
        assert changes.numbers == {made.number} and changes.new[0].number == made.number
        staffing.add_staff(pg_desk, "admin1", "counter2", "柜台小李", "counter")
        changes = watcher.changes()
        assert changes is not None and changes.everything
    finally:
        watcher.close()
    assert watcher.closed and watcher.changed() is False


# ------------------------------------------------------------------ search

def test_two_character_chinese_terms_and_longer_ones_are_exact(pg_desk) -> None:
    a = complaints.register_complaint(pg_desk, "counter1", sample(event="快递破损，要求退款"))
    b = complaints.register_complaint(pg_desk, "counter1", sample(event="退货后款项未到",
                                                                  contact="13987654321"))
    def found(text: str) -> list[str]:
        queue = open_queue(pg_desk, QueueFilter(search=text))
        return sorted(r.number for r in queue.page(0, 50))
    assert found("退款") == [a.number]           # 退货…款项 has 退 and 款, not 退款
    assert found("破损 快递") == [a.number]
    assert found("款项未到") == [b.number]
    assert found("139-8765-4321") == [b.number]  # the contact's normalised form
    assert found("款项未来") == []
    assert found("GLASS") == [] and found("玻璃杯") == sorted([a.number, b.number])


# ------------------------------------------------------------------ copy-to

def test_copy_to_postgresql_and_back_keeps_everything_and_verifies(tmp_path, pg_url) -> None:
    from complaintdesk.demo.load import fill_demo

    source = open_desk(tmp_path / "demo.db", config=CONFIG, clock=lambda: NOW)
    try:
        staffing.sign_in(source, "admin1", "管理员")
        fill_demo(source, 400, actor="admin1")
        report = copy_desk(source.store, pg_url)
        assert report.counts["complaint"] == 400 and not report.replaced
        target = open_desk(pg_url, config=CONFIG, clock=lambda: NOW)
        try:
            _same_desk(source, target)
            _text_indexes_without_pending_lists(pg_url)
            # A re-run replaces the earlier copy.
            assert copy_desk(source.store, pg_url).replaced
            _same_desk(source, target)
            # Work done on the copy: a re-run would lose it, and is refused.
            staffing.add_staff(target, "admin1", "newcomer", "新人", "counter")
            with pytest.raises(DomainError, match="不是本数据库早先的副本"):
                copy_desk(source.store, pg_url)
            # And back to a new SQLite file, as a backup of the server's desk.
            back = copy_desk(target.store, tmp_path / "back.db")
            assert back.counts["staff"] == report.counts["staff"] + 1
            restored = open_desk(tmp_path / "back.db", config=CONFIG, clock=lambda: NOW)
            try:
                _same_desk(target, restored)
                assert restored.store.verify_audit_trail().ok
            finally:
                restored.close()
            with pytest.raises(DomainError, match="已存在"):
                copy_desk(target.store, tmp_path / "back.db")
        finally:
            target.close()
    finally:
        source.close()


def _text_indexes_without_pending_lists(url: str) -> None:
    """The load gave the text indexes pending lists (speed): merged and switched
    off again, as revision 0004 made them."""
    with pg_server._admin(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        try:
            rows = conn.execute(
                "SELECT c.relname, c.reloptions, (pgstatginindex(c.oid)).pending_tuples "
                "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent IN "
                "('ix_search_grams'::regclass, 'ix_search_grams_open'::regclass)").fetchall()
        finally:
            conn.execute("DROP EXTENSION pgstattuple")
    assert len(rows) == 16
    assert {(tuple(options), pending) for _name, options, pending in rows} == {(("fastupdate=off",), 0)}


def _same_desk(one, other) -> None:  # type: ignore[no-untyped-def]
    """The same complaints in the same queue order, the same 统计表, the same search."""
    for f in (QueueFilter(), QueueFilter(include_closed=True), QueueFilter(search="退款"),
              QueueFilter(search="质量问题", include_closed=True)):
        a, b = open_queue(one, f), open_queue(other, f)
        assert a.count() == b.count()
        assert [r.number for r in a.page(0, 60)] == [r.number for r in b.page(0, 60)]
    for period in ("2026-11", "2026-Q3", "2026"):
        p = parse_period(period, CONFIG.timezone)
        ra, rb = build_report(one, p), build_report(other, p)
        ra.generated_at = rb.generated_at = None  # type: ignore[assignment]
        assert ra == rb
    assert sql_rows(one, "SELECT count(*), max(id) FROM audit_event") == \
        sql_rows(other, "SELECT count(*), max(id) FROM audit_event")


# ------------------------------------------------------------------ the command line

def test_the_command_line_takes_a_postgresql_url(pg_url, tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    env = {**os.environ, "COMPLAINTDESK_CONFIG": str(config)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "complaintdesk", "--db", pg_url, *args],
                              capture_output=True, text=True, env=env, timeout=120)

    fresh = pg_server.new_database(empty=True)
    try:
        refused = subprocess.run([sys.executable, "-m", "complaintdesk", "--db", fresh, "staff",
                                  "list"], capture_output=True, text=True, env=env, timeout=120)
        assert refused.returncode == 1 and "还没有 complaintdesk 的数据" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        pg_server.drop_database(fresh)
    done = run("migrate")
    assert done.returncode == 0 and "无需升级" in done.stdout, done.stderr
    backup = run("backup", "-o", str(tmp_path / "b.db"))
    assert backup.returncode == 1 and "pg_dump" in backup.stderr
    verify = run("audit", "verify")
    assert verify.returncode == 0 and "审计链完整" in verify.stdout, verify.stderr


# ------------------------------------------------------------------ what a review found

def test_copy_to_the_same_database_under_another_address_is_refused(pg_desk) -> None:
    complaints.register_complaint(pg_desk, "counter1", sample())
    same = make_url(pg_desk.store.url)
    other_spelling = same.set(host="localhost" if same.host != "localhost" else "127.0.0.1")
    with pytest.raises(DomainError, match="就是当前数据库"):
        copy_desk(pg_desk.store, other_spelling.render_as_string(hide_password=False))
    assert sql_rows(pg_desk, "SELECT count(*) FROM complaint") == [(1,)]


def test_amounts_up_to_the_domains_limit_fit(pg_desk) -> None:
    """domain/money allows up to 10^13 fen; int4 would stop at 2^31."""
    made = complaints.register_complaint(pg_desk, "counter1", sample())
    sql_run(pg_desk, "UPDATE complaint SET loss_cents = :v WHERE number = :n",
            v=10**13, n=made.number)
    assert sql_rows(pg_desk, "SELECT loss_cents FROM complaint") == [(10**13,)]


@pytest.mark.parametrize("first", ["read", "register", "write"])
def test_pooled_connections_the_server_ended_are_replaced_before_use(pg_desk, pg_url, first) -> None:
    """The server ends the desk's idle connections (restarted, an admin's
    pg_terminate_backend): the next read, registration or write takes a new
    connection without a word to the clerk — no "outcome unknown", nothing lost."""
    made = [complaints.register_complaint(pg_desk, "counter1", sample()).number]
    with pg_desk.store.engine.connect() as one, pg_desk.store.engine.connect() as two:
        pids = {c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in (one, two)}
    with _admin(pg_url) as conn:
        ended = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = %s AND application_name = 'complaintdesk'",
                             (make_url(pg_url).database,)).fetchone()[0]
    assert ended >= len(pids) == 2
    time.sleep(0.2)  # the server's goodbye reaches the sockets
    if first == "read":
        assert open_queue(pg_desk, QueueFilter()).count() == 1
    elif first == "register":
        made.append(complaints.register_complaint(pg_desk, "counter1", sample()).number)
    else:
        staffing.add_staff(pg_desk, "admin1", "counter2", "柜台小李", "counter")
    made.append(complaints.register_complaint(pg_desk, "counter1", sample()).number)
    assert made == [f"TS-20261123-{i:04d}" for i in range(1, len(made) + 1)]
    assert open_queue(pg_desk, QueueFilter()).count() == len(made)
    assert pg_desk.store.verify_audit_trail().ok


def test_a_watcher_whose_connection_was_cut_listens_again(pg_desk) -> None:
    watcher = pg_desk.store.watcher()
    try:
        sql_run(pg_desk, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'complaintdesk-watch'")
        assert watcher.changes() is None           # the cut is found
        again = watcher.changes()                  # listening again: "anything may have changed"
        assert again is not None and again.everything
        made = complaints.register_complaint(pg_desk, "counter1", sample())
        changes = watcher.changes()
        assert changes is not None and changes.numbers == {made.number}
    finally:
        watcher.close()


@pytest.mark.parametrize("url", ["postgresql://u@h:54x2/db", "postgresql://u@h:99999/db"])
def test_a_malformed_url_is_said_in_words(url) -> None:
    with pytest.raises(StoreError, match="数据库地址写得不对|无法打开数据库"):
        open_store(url)


def test_a_word_that_only_looks_like_a_scheme_is_a_file_name() -> None:
    from complaintdesk.store import is_url

    assert not is_url("postgres") and not is_url("postgresql:desk.db")
    assert is_url("postgresql://u@h/db") and is_url("postgres://u@h/db")


def test_a_watcher_waits_on_its_socket_and_wakes_at_a_commit(pg_desk) -> None:
    """An idle console's follower waits on the LISTEN connection: a commit wakes it
    at once (not after its timeout), and close() from another thread ends a wait
    at once."""
    import threading
    import time

    watcher = pg_desk.store.watcher()
    try:
        started = time.monotonic()
        assert watcher.wait(0.3) is False  # nothing happens: the whole timeout
        assert time.monotonic() - started >= 0.25
        timer = threading.Timer(0.2, complaints.register_complaint,
                                args=(pg_desk, "counter1", sample()))
        timer.start()
        started = time.monotonic()
        assert watcher.wait(10) is True
        assert time.monotonic() - started < 5
        timer.join()
        changes = watcher.changes()
        assert changes is not None and len(changes.new) == 1
        closer = threading.Timer(0.2, watcher.close)
        closer.start()
        started = time.monotonic()
        assert watcher.wait(30) is False  # the alarm close() rings: at once
        closer.join()
        assert watcher.closed and watcher.changes() is None
        assert time.monotonic() - started < 2
    finally:
        watcher.close()


def test_a_frequent_words_closed_matches_are_counted_among_the_oldest_rows_first(
        pg_desk, monkeypatch) -> None:
    """With closed complaints too, a word the open complaints say is frequent has its
    closed half counted among the oldest search rows (store/postgres/queue.py), not
    by the text index; where those rows hold too few, the index counts, and the
    count is the same either way."""
    from complaintdesk.store.keyset_queue import KeysetQueue
    from complaintdesk.store.models import Complaint
    from complaintdesk.store.postgres import queue as pg_queue

    def add(event: str, closed: bool) -> None:
        made = complaints.register_complaint(pg_desk, "counter1", sample(event=event))
        if closed:
            with pg_desk.store.write() as session:
                row = session.get(Complaint, made.id)
                row.closed, row.due_at = True, None

    for event, closed in [("快递压坏", True), ("快递晚到", True), ("快递丢件", True),
                          ("快递未到", False), ("快递太慢", False), ("门店态度", False),
                          ("包装破损", False), ("屏幕破损", False), ("价格不符", False),
                          ("杯子破损", True), ("外箱破损", True)]:
        add(event, closed)
    by_index: list[str] = []  # the halves the text index counted
    counted = pg_queue.Queue._counted

    def spy(self, limit):  # type: ignore[no-untyped-def]
        if self.search is not None:
            by_index.append("closed" if self.closed_only else "open")
        return counted(self, limit)

    monkeypatch.setattr(pg_queue.Queue, "_counted", spy)
    monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", 2)
    # 快递: 2 of 6 open complaints; the cap wants 1 closed match more, and the
    # oldest rows (5 of them by that share) hold three.
    queue = open_queue(pg_desk, QueueFilter(search="快递", include_closed=True))
    assert (queue.count(), queue.capped) == (2, True)
    assert by_index == ["open"]
    assert queue.count(exact=True) == 5
    # 破损: 2 of 6 open; its closed matches are the newest rows, past the oldest
    # ones read (5 again): the index counts them.
    by_index.clear()
    queue = open_queue(pg_desk, QueueFilter(search="破损", include_closed=True))
    assert (queue.count(), queue.capped) == (2, True)
    assert by_index == ["open", "closed"]
    assert queue.count(exact=True) == 4
    # Under a cap they do not reach, the oldest rows (all 11) hold too few: the
    # index counts them, and the count is not called capped.
    monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", 4)
    by_index.clear()
    queue = open_queue(pg_desk, QueueFilter(search="破损", include_closed=True))
    assert (queue.count(), queue.capped) == (4, False)
    assert by_index == ["open", "closed"]
