"""Digit grams in the PostgreSQL search index (revision 0003): the migration
computes in SQL what the store computes in Python, for any text, and a desk of
the release before is upgraded so that its phone numbers are found by them."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.domain.search import digit_grams, indexed_fields
from complaintdesk.process import complaints, staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.process.queue import open_queue
from complaintdesk.store.models import Complaint
from complaintdesk.store.postgres import migrate
from complaintdesk.store.postgres.search import search_row
from sqlalchemy import select
from tests import pg_server
from tests.helpers import sample

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CONFIG = DeskConfig(timezone_name="Asia/Shanghai")


def _migration():  # type: ignore[no-untyped-def]
    path = migrate.SCRIPTS / "versions" / "0003_digit_grams.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server_conn():  # type: ignore[no-untyped-def]
    url = pg_server.new_database()
    conn = psycopg.connect(url, autocommit=True)
    yield conn
    conn.close()
    pg_server.drop_database(url)


DOC = st.one_of(st.text(st.sampled_from("0123456789０１٣ab中-\n "), max_size=80),
                # Any text a database can hold (the store refuses NUL and lone surrogates).
                st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                        max_size=80))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=DOC)
def test_the_migrations_sql_finds_the_digit_grams_the_store_finds(server_conn, doc) -> None:
    sql = f"SELECT {_migration().DIGIT_GRAMS} FROM (SELECT %s::text AS doc) AS row"
    assert set(server_conn.execute(sql, (doc,)).fetchone()[0]) == digit_grams(doc)


TEXTS = ["客户来电 138-1234-5678 说订单 20261101998 未到账", "型号 X1234 的玻璃杯", "１２３４５ 全角", "电话 ٣٤٥٦٧٨",
         "无数字", "订单号 4006-123-456 和 98765"]


def test_a_desk_of_the_release_before_gets_digit_grams_and_finds_phone_numbers() -> None:
    url = pg_server.new_database()
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        made = [complaints.register_complaint(desk, "admin1", sample(event=text, contact=f"1390000{i:04d}"))
                for i, text in enumerate(TEXTS)]
        with desk.store.write() as session:  # half of them closed: the closed-too search
            for complaint in made[::2]:
                row = session.get(Complaint, complaint.id)
                row.closed, row.due_at = True, None
        desk.close()
        # The release before: pairs only, at revision 0002.
        with pg_server._admin(url) as conn:
            conn.execute("UPDATE complaint_search SET grams = ARRAY(SELECT g FROM unnest(grams) g "
                         "WHERE length(g) = 2)")
            conn.execute("UPDATE alembic_version SET version_num = '0002_audit_notify'")
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        try:
            assert desk.store.upgraded == ["0003_digit_grams", "0004_search_partitions"]
            with desk.store.read() as session:
                for row in session.exec(select(Complaint)).scalars():
                    stored = session.connection().exec_driver_sql(
                        "SELECT open, grams FROM complaint_search WHERE complaint_id = %s",
                        (row.id,)).one()
                    _id, open_, grams, _doc = search_row(indexed_fields(row), not row.closed)
                    assert (stored.open, set(stored.grams)) == (open_, set(grams)), row.number
            with pg_server._admin(url) as conn:
                indexes = {r[0] for r in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'complaint_search'")}
            assert {"ix_search_grams", "ix_search_grams_open"} <= indexes

            def found(words: str) -> list[str]:
                queue = open_queue(desk, QueueFilter(search=words, include_closed=True))
                return sorted(r.number for r in queue.page(0, 20))

            assert found("139-0000-0003") == [made[3].number]
            assert found("13900000004") == [made[4].number]
            assert found("0000") == sorted(c.number for c in made)
            assert found("1234") == sorted(c.number for c in (made[0], made[1]))
            assert found("4006-123") == [made[5].number]
            assert found("12345") == []  # full-width digits are not ASCII digits, as on SQLite
        finally:
            desk.close()
    finally:
        pg_server.drop_database(url)


def test_the_desks_own_role_cannot_upgrade_and_is_told_who_can() -> None:
    """The desk connects as a role that owns nothing (README): after a release
    with a new revision, opening the desk as that role says the owner must run
    migrate, changes nothing, and opens once the owner has."""
    import uuid

    from sqlalchemy.engine import make_url

    from complaintdesk.domain.errors import StoreError
    from complaintdesk.store import open_store

    url = pg_server.new_database()
    name = make_url(url).database
    role = f"cd_app_{uuid.uuid4().hex[:8]}"
    app_url = make_url(url).set(username=role, password=None).render_as_string(hide_password=False)
    admin = pg_server._admin(pg_server.server())
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        made = complaints.register_complaint(desk, "admin1", sample(contact="13711112222"))
        desk.close()
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        with pg_server._admin(url) as conn:
            for grant in ("GRANT USAGE ON SCHEMA public TO {r}",
                          "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
                          "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {r}",
                          "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}"):
                conn.execute(grant.format(r=f'"{role}"'))
            conn.execute("UPDATE complaint_search SET grams = ARRAY(SELECT g FROM unnest(grams) g "
                         "WHERE length(g) = 2)")
            conn.execute("UPDATE alembic_version SET version_num = '0002_audit_notify'")
        with pytest.raises(StoreError, match="当前角色无权修改表结构.*所有者角色运行 complaintdesk --db"):
            open_store(app_url)
        with pg_server._admin(url) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                ("0002_audit_notify",)]
            assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_search_grams%'"
                                ).fetchone()[0] == 2
        open_store(url).dispose()  # the owner's migrate
        desk = open_desk(app_url, CONFIG, clock=lambda: NOW)
        try:
            found = open_queue(desk, QueueFilter(search="137-1111-2222", include_closed=True))
            assert [r.number for r in found.page(0, 5)] == [made.number]
        finally:
            desk.close()
    finally:
        pg_server._drop(name)
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()
