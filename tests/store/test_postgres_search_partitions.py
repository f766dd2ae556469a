"""The PostgreSQL search table in hash partitions (revision 0004): a desk of the
release before is upgraded with its rows, indexes, grants and owner, and its
searches and capped counts find what they found before."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.process import complaints, staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.process.queue import open_queue
from complaintdesk.store.models import Complaint
from complaintdesk.store.postgres import migrate
from tests import pg_server
from tests.helpers import sample

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CONFIG = DeskConfig(timezone_name="Asia/Shanghai")
PARTITIONS = 8

#: The search table as revision 0003 left it: one plain table.
UNSPLIT = """
CREATE TABLE search_unsplit (
    complaint_id  INTEGER PRIMARY KEY REFERENCES complaint(id),
    open          BOOLEAN NOT NULL,
    grams         TEXT[] NOT NULL,
    doc           TEXT NOT NULL
);
INSERT INTO search_unsplit SELECT complaint_id, open, grams, doc FROM complaint_search;
DROP TABLE complaint_search;
ALTER TABLE search_unsplit RENAME TO complaint_search;
ALTER INDEX search_unsplit_pkey RENAME TO complaint_search_pkey;
ALTER TABLE complaint_search RENAME CONSTRAINT search_unsplit_complaint_id_fkey
    TO complaint_search_complaint_id_fkey;
CREATE INDEX ix_search_grams ON complaint_search USING gin (grams);
CREATE INDEX ix_search_grams_open ON complaint_search USING gin (grams) WHERE open;
UPDATE alembic_version SET version_num = '0003_digit_grams';
"""

WORDS = ["退款", "快递", "破损", "快递 破损", "139-0000", "0007", "客户", "没有这个词"]


def _layout(url: str) -> dict:
    with pg_server._admin(url) as conn:
        kind, owner = conn.execute(
            "SELECT relkind, pg_get_userbyid(relowner) FROM pg_class "
            "WHERE oid = 'complaint_search'::regclass").fetchone()
        parts = conn.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'complaint_search'::regclass ORDER BY 1").fetchall()
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'complaint_search'")}
        keys = {r[0] for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'complaint_search'::regclass")}
        rows = conn.execute("SELECT complaint_id, open, grams, doc FROM complaint_search "
                            "ORDER BY complaint_id").fetchall()
    return {"kind": kind, "owner": owner, "parts": parts, "indexes": indexes, "keys": keys,
            "rows": rows}


def _close(desk, *numbers: str) -> None:  # type: ignore[no-untyped-def]
    """Closed as the handling process would leave them (the search row follows)."""
    from sqlalchemy import select

    with desk.store.write() as session:
        for row in session.exec(select(Complaint).where(Complaint.number.in_(numbers))).scalars():
            row.closed, row.due_at = True, None


def _found(desk, words: str, closed_too: bool) -> tuple[int, bool, list[str]]:  # type: ignore[no-untyped-def]
    queue = open_queue(desk, QueueFilter(search=words, include_closed=closed_too))
    count = queue.count()
    return count, queue.capped, [r.number for r in queue.page(0, 200)]


def test_a_new_desk_has_its_search_table_in_partitions() -> None:
    url = pg_server.new_database()
    try:
        layout = _layout(url)
        assert layout["kind"] == "p"
        assert [name for name, _owner in layout["parts"]] == [
            f"complaint_search_{i}" for i in range(PARTITIONS)]
        assert {"ix_search_grams", "ix_search_grams_open", "complaint_search_pkey"} <= layout["indexes"]
        assert layout["keys"] == {"complaint_search_pkey", "complaint_search_complaint_id_fkey"}
    finally:
        pg_server.drop_database(url)


def test_a_desk_of_the_release_before_is_split_with_its_grants_and_owner() -> None:
    """Made at revision 0003 (one plain table, owned by the desk's owner role, the
    desk's own role granted as the README says), upgraded by a superuser: the same
    rows in 8 partitions, the same searches, and the desk's role still searches,
    registers and closes."""
    url = pg_server.new_database()
    name = make_url(url).database
    tag = uuid.uuid4().hex[:8]
    owner, app = f"cd_own_{tag}", f"cd_app_{tag}"
    app_url = make_url(url).set(username=app, password=None).render_as_string(hide_password=False)
    admin = pg_server._admin(pg_server.server())
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        made = [complaints.register_complaint(desk, "admin1", sample(
            event=f"{'快递破损' if i % 3 else '退款未到账'} 第{i}单", customer_name=f"客户{i}",
            contact=f"1390000{i:04d}")) for i in range(40)]
        _close(desk, *(c.number for c in made[::4]))
        before = {(w, c): _found(desk, w, c) for w in WORDS for c in (False, True)}
        desk.close()
        admin.execute(f'CREATE ROLE "{owner}"')
        admin.execute(f'CREATE ROLE "{app}" LOGIN')
        with pg_server._admin(url) as conn:
            conn.execute(UNSPLIT)
            conn.execute(f'ALTER TABLE complaint_search OWNER TO "{owner}"')
            for grant in ("GRANT USAGE ON SCHEMA public TO {r}",
                          "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
                          "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {r}",
                          "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}"):
                conn.execute(grant.format(r=f'"{app}"'))
        unsplit = _layout(url)
        assert unsplit["kind"] == "r" and unsplit["owner"] == owner and not unsplit["parts"]

        desk = open_desk(url, CONFIG, clock=lambda: NOW)  # the superuser's migrate
        try:
            assert desk.store.upgraded == ["0004_search_partitions"]
            split = _layout(url)
            assert split["kind"] == "p" and split["owner"] == owner
            assert split["parts"] == [(f"complaint_search_{i}", owner) for i in range(PARTITIONS)]
            assert split["rows"] == unsplit["rows"]
            assert split["keys"] == {"complaint_search_pkey", "complaint_search_complaint_id_fkey"}
            assert {"ix_search_grams", "ix_search_grams_open"} <= split["indexes"]
            assert set(_text_indexes(url).values()) == {("fastupdate=off",)}
            assert {(w, c): _found(desk, w, c) for w in WORDS for c in (False, True)} == before
        finally:
            desk.close()
        with pg_server._admin(url) as conn:
            grants = {r[0] for r in conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'complaint_search' AND grantee = %s", (app,))}
        assert grants == {"SELECT", "INSERT", "UPDATE", "DELETE"}

        desk = open_desk(app_url, CONFIG, clock=lambda: NOW)  # the desk's own role
        try:
            assert desk.store.upgraded == []
            new = complaints.register_complaint(desk, "admin1", sample(
                event="快递破损 新登记", contact="13900009999"))
            assert new.number in _found(desk, "13900009999", False)[2]
            _close(desk, new.number)
            assert new.number not in _found(desk, "13900009999", False)[2]
            assert new.number in _found(desk, "13900009999", True)[2]
        finally:
            desk.close()
    finally:
        pg_server._drop(name)
        for role in (app, owner):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def test_the_revision_is_this_releases_head() -> None:
    assert migrate.head() == "0004_search_partitions"


@pytest.mark.parametrize("open_share", [1.0, 0.5, 0.0])
def test_a_capped_count_across_partitions_is_the_cap_and_exact_below_it(open_share, monkeypatch) -> None:
    """Counts stop at the cap across the partitions: with more matches than the cap
    the count is the cap (capped), below it the exact number, open and closed."""
    from complaintdesk.store.keyset_queue import KeysetQueue

    url = pg_server.new_database()
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        total = 60
        made = [complaints.register_complaint(desk, "admin1", sample(
            event=f"快递破损 第{i}单", contact=f"1370000{i:04d}")) for i in range(total)]
        _close(desk, *(c.number for c in made[int(total * open_share):]))
        for cap in (10, 25, total - 1, total, total + 5):
            monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", cap)
            for closed_too, matches in ((True, total), (False, int(total * open_share))):
                queue = open_queue(desk, QueueFilter(search="快递 破损", include_closed=closed_too))
                count = queue.count()
                assert (count, queue.capped) == (min(matches, cap), matches > cap), (cap, closed_too)
        desk.close()
    finally:
        pg_server.drop_database(url)


@pytest.mark.parametrize("closed, many", [(6, True), (3, False)])
def test_the_closed_half_of_a_capped_search_is_judged_by_counting_it_again(closed, many,
                                                                            monkeypatch) -> None:
    """A capped search's closed half has no count (it stopped at the cap): its page
    plan is judged by counting it again up to the threshold, so many closed matches
    walk the queue and a few are read first, and either way the rows at the cap are
    those of the whole list in queue order."""
    from complaintdesk.store.keyset_queue import KeysetQueue
    from complaintdesk.store.postgres import queue as pg_queue

    url = pg_server.new_database()
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        made = [complaints.register_complaint(desk, "admin1", sample(
            event=f"快递破损 第{i}单", contact=f"1360000{i:04d}")) for i in range(8 + closed)]
        _close(desk, *(c.number for c in made[8:]))
        whole = [r.number for r in open_queue(desk, QueueFilter(search="快递", include_closed=True))
                 .page(0, 50)]
        assert len(whole) == 8 + closed
        monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", 10)
        monkeypatch.setattr(pg_queue, "FEW_MATCHES", 4)
        queue = open_queue(desk, QueueFilter(search="快递", include_closed=True))
        assert (queue.count(), queue.capped) == (10, True)
        _open_part, closed_part = queue._parts
        assert closed_part._count is None
        assert closed_part._many() is many
        assert [r.number for r in queue.page(7, 3)] == whole[7:10]
        desk.close()
    finally:
        pg_server.drop_database(url)


def _access(conn, table: str) -> dict:  # type: ignore[no-untyped-def]
    """Who may do what with ``table``, besides its owner: grants (of the table and
    of its columns), row-level security and its policies; and its comments,
    statistics targets and storage options."""
    oid = conn.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]
    who = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END"
    return {
        "grants": set(conn.execute(
            f"SELECT {who}, a.privilege_type, a.is_grantable FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.oid = %s AND a.grantee <> c.relowner", (oid,))),
        "column grants": set(conn.execute(
            f"SELECT t.attname, {who}, a.privilege_type, a.is_grantable "
            "FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a "
            "WHERE c.oid = %s AND t.attnum > 0 AND a.grantee <> c.relowner", (oid,))),
        "security": conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                                 "WHERE oid = %s", (oid,)).fetchone(),
        "policies": set(conn.execute(
            "SELECT policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies "
            "WHERE tablename = %s", (table,))),
        "comment": conn.execute("SELECT obj_description(%s, 'pg_class')", (oid,)).fetchone()[0],
        "columns": set(conn.execute(
            "SELECT attname, col_description(attrelid, attnum), attstattarget FROM pg_attribute "
            "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped", (oid,))),
    }


def test_the_split_keeps_exactly_who_may_read_the_search_table() -> None:
    """What an admin set on the search table at revision 0003 — a column grant,
    row-level security with a policy, comments, a statistics target, storage
    options — is on the split table after the upgrade, and the migrating role's
    default privileges give nobody access the old table did not."""
    url = pg_server.new_database()
    name = make_url(url).database
    tag = uuid.uuid4().hex[:8]
    column_reader, open_reader, snoop = f"cd_col_{tag}", f"cd_Open-{tag}", f"cd_snoop_{tag}"
    admin = pg_server._admin(pg_server.server())
    try:
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        staffing.sign_in(desk, "admin1", "管理员")
        made = [complaints.register_complaint(desk, "admin1", sample(
            event=f"快递破损 第{i}单", contact=f"1350000{i:04d}")) for i in range(12)]
        _close(desk, *(c.number for c in made[:5]))
        desk.close()
        for role in (column_reader, open_reader, snoop):
            admin.execute(f'CREATE ROLE "{role}"')
        with pg_server._admin(url) as conn:
            conn.execute(UNSPLIT)
            for statement in (
                    f'GRANT SELECT (complaint_id, open) ON complaint_search TO "{column_reader}"',
                    f'GRANT SELECT ON complaint_search TO "{open_reader}"',
                    "ALTER TABLE complaint_search ENABLE ROW LEVEL SECURITY",
                    f'CREATE POLICY "open only" ON complaint_search FOR SELECT TO "{open_reader}" '
                    "USING (open)",
                    "COMMENT ON TABLE complaint_search IS '搜索索引：勿手改'",
                    "COMMENT ON COLUMN complaint_search.doc IS 'it''s the text'",
                    "ALTER TABLE complaint_search ALTER COLUMN doc SET STATISTICS 500",
                    "ALTER TABLE complaint_search SET (autovacuum_vacuum_scale_factor = 0.05,"
                    " toast.autovacuum_enabled = false)",
                    f'ALTER DEFAULT PRIVILEGES GRANT SELECT, DELETE ON TABLES TO "{snoop}"'):
                conn.execute(statement)
            before = _access(conn, "complaint_search")
        assert before["security"] == (True, False) and before["policies"]

        desk = open_desk(url, CONFIG, clock=lambda: NOW)  # the superuser's migrate
        desk.close()
        with pg_server._admin(url) as conn:
            assert _layout(url)["kind"] == "p"
            assert _access(conn, "complaint_search") == before
            parts = [f"complaint_search_{i}" for i in range(PARTITIONS)]
            for table in ["complaint_search", *parts]:
                for privilege in ("SELECT", "DELETE"):
                    assert not conn.execute("SELECT has_table_privilege(%s, %s, %s)",
                                            (snoop, table, privilege)).fetchone()[0], table
            for part in parts:
                assert conn.execute(
                    "SELECT c.reloptions, t.reloptions FROM pg_class c "
                    "JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = %s::regclass",
                    (part,)).fetchone() == (["autovacuum_vacuum_threshold=1000",
                                             "autovacuum_vacuum_scale_factor=0.05"],
                                            ["autovacuum_enabled=false"])
            assert conn.execute("SELECT has_column_privilege(%s, 'complaint_search', 'open', "
                                "'SELECT'), has_column_privilege(%s, 'complaint_search', 'doc', "
                                "'SELECT')", (column_reader, column_reader)).fetchone() == (True, False)
            conn.execute(f'SET ROLE "{open_reader}"')
            assert conn.execute("SELECT count(*) FROM complaint_search").fetchone()[0] == 7
            conn.execute("RESET ROLE")
            assert conn.execute("SELECT count(*) FROM complaint_search").fetchone()[0] == 12
    finally:
        pg_server._drop(name)
        for role in (column_reader, open_reader, snoop):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def _text_indexes(url: str) -> dict:
    """Each text index of the search table's partitions, by name: its options."""
    with pg_server._admin(url) as conn:
        return {name: tuple(options or ()) for name, options in conn.execute(
            "SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent IN ('ix_search_grams'::regclass, 'ix_search_grams_open'::regclass)")}


def _partition_options(url: str) -> dict:
    with pg_server._admin(url) as conn:
        return {name: tuple(options or ()) for name, options in conn.execute(
            "SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'complaint_search'::regclass")}


VACUUMED = ("autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=1000")


def test_the_text_indexes_keep_no_pending_list_on_a_new_split_and_a_rerun_desk() -> None:
    """Every partition's two text indexes are made without GIN's pending list (a
    search would read it whole), and every partition is vacuumed after 1,000
    changed rows (dead entries of closed complaints in the open index): on a new
    desk, and on a split desk whose revision is run again after its indexes were
    given a pending list and its partitions lost that setting — except where an
    admin set a partition's own."""
    url = pg_server.new_database()
    try:
        indexes = _text_indexes(url)
        assert len(indexes) == 2 * PARTITIONS
        assert set(indexes.values()) == {("fastupdate=off",)}
        assert set(_partition_options(url).values()) == {VACUUMED}
        with pg_server._admin(url) as conn:
            for name in indexes:
                conn.execute(f'ALTER INDEX "{name}" SET (fastupdate = on)')
            for i in range(PARTITIONS):
                conn.execute(f"ALTER TABLE complaint_search_{i} RESET "
                             "(autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)")
            conn.execute("ALTER TABLE complaint_search_3 SET (autovacuum_vacuum_threshold = 77)")
            conn.execute("UPDATE alembic_version SET version_num = '0003_digit_grams'")
        desk = open_desk(url, CONFIG, clock=lambda: NOW)
        try:
            assert desk.store.upgraded == ["0004_search_partitions"]
            staffing.sign_in(desk, "admin1", "管理员")
            made = complaints.register_complaint(desk, "admin1", sample(event="快递破损"))
            assert made.number in _found(desk, "快递", False)[2]
        finally:
            desk.close()
        assert set(_text_indexes(url).values()) == {("fastupdate=off",)}
        options = _partition_options(url)
        assert options.pop("complaint_search_3") == ("autovacuum_vacuum_threshold=77",)
        assert set(options.values()) == {VACUUMED}
        assert _layout(url)["kind"] == "p"
    finally:
        pg_server.drop_database(url)
