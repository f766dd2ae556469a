"""The tamper-evident audit trail: every event's hash over its content and the
hash before it (audit_chain.py, schema v7), kept by every writer and checked
from the raw rows."""

from __future__ import annotations

import random
import sqlite3
import threading
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.store.sqlite import audit_chain
from complaintdesk.store.sqlite import schema
from complaintdesk.process import staffing
from complaintdesk.store.sqlite.audit_chain import GENESIS, chain_head, quick_check, verify_chain
from complaintdesk.process.complaints import add_note, link_complaints, register_complaint
from complaintdesk.domain.config import DeskConfig
from complaintdesk.demo.load import fill_demo
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.errors import DomainError

#: The SQLite store's chain, its triggers and its file (the PostgreSQL store's own
#: guards: tests/store/test_postgres_store.py).
pytestmark = pytest.mark.sqlite_only

from tests.conftest import DESK_ZONE
from tests.store.test_core_migration import make_v1

COLUMNS = ", ".join(audit_chain.CONTENT_COLUMNS)
REFUSED = r"audit events are append-only \(the next id, a 32-byte hash\)"


def sample(contact: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "customer_name": "北京华联超市", "address": "北京市朝阳区建国路88号", "contact": contact,
        "channel": "phone", "event": "收到的玻璃杯有三只破损。", "demand": "退货并补发",
        "category": "product", "priority": "general", "product": "玻璃杯", "quantity": 3,
    }
    data.update(changes)
    return data


def raw(desk) -> sqlite3.Connection:  # type: ignore[no-untyped-def]
    """A plain connection in autocommit, as someone with the file would use sqlite3."""
    return sqlite3.connect(desk.store.path, isolation_level=None)


def query(desk, statement: str, *params: object) -> list[tuple]:  # type: ignore[no-untyped-def]
    conn = raw(desk)
    try:
        return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def events(desk) -> list[tuple]:  # type: ignore[no-untyped-def]
    return query(desk, f"SELECT {COLUMNS}, hash FROM audit_event ORDER BY id")


def recompute_from(conn: sqlite3.Connection, first: int) -> None:
    """What a careful forger does: every hash from event ``first`` on made again,
    the update trigger out of the way and put back as it was."""
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER audit_event_no_update")
    prev = GENESIS if first == 1 else conn.execute(
        "SELECT hash FROM audit_event WHERE id = ?", (first - 1,)).fetchone()[0]
    rows = conn.execute(f"SELECT id, {audit_chain.CONTENT_SQL} FROM audit_event WHERE id >= ? "
                        "ORDER BY id", (first,)).fetchall()
    for event_id, content in rows:
        prev = audit_chain.link(prev, content)
        conn.execute("UPDATE audit_event SET hash = ? WHERE id = ?", (prev, event_id))
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_update"])
    conn.execute("COMMIT")


@pytest.fixture
def busy(desk, admin, counter):  # type: ignore[no-untyped-def]
    """A desk after a morning's use-cases: staff, registrations, links (two events in
    one transaction), notes."""
    staffing.add_staff(desk, admin.login, "handler1", "处理人小李", "handler", "quality")
    first = register_complaint(desk, counter, sample("13812345678"))
    second = register_complaint(desk, counter, sample("13912345678", priority="urgent"))
    link_complaints(desk, counter, second.number, first.number, "repeat")
    add_note(desk, counter, first.number, "客户又来电：'引号' \"双引号\" 反斜杠\\ 换行\n制表\t😡")
    staffing.disable_staff(desk, admin.login, "handler1")
    return desk


# ------------------------------------------------------------------ a sound chain


def test_chain_holds_after_use_cases(busy):
    rows = events(busy)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # ids without a gap
    assert len(rows) >= 7
    report = verify_chain(busy.store)
    assert report.ok, report.problems
    assert (report.checked, report.first_broken_id, report.problems) == (len(rows), None, [])
    head = chain_head(busy.store)
    assert (head.count, head.last_id, head.hash_hex) == (len(rows), len(rows), rows[-1][-1].hex())
    assert head.text == f"{len(rows)}:{rows[-1][-1].hex()}"
    assert report.head == head
    assert quick_check(busy.store).ok


def test_each_link_is_sha256_of_the_previous_hash_and_the_stored_content(busy):
    prev = GENESIS
    for *values, stored in events(busy):
        content = audit_chain.content_bytes(values)
        assert content.startswith(b"[%d," % values[0])
        assert stored == audit_chain.link(prev, content) == __import__("hashlib").sha256(
            prev + content).digest()
        prev = stored


def test_an_empty_trail_has_the_genesis_head(desk):
    head = chain_head(desk.store)
    assert (head.count, head.last_id, head.text) == (0, 0, f"0:{GENESIS.hex()}")
    report = verify_chain(desk.store, head=head.text)
    assert report.ok and report.checked == 0


def test_chain_holds_after_a_demo_load_and_later_use(desk, admin):
    fill_demo(desk, 150, actor=admin.login, batch_size=40)
    fill_demo(desk, 120, seed=3, actor=admin.login, batch_size=50, parallel=True)
    register_complaint(desk, admin.login, sample("13712345678"))
    report = verify_chain(desk.store)
    assert report.ok, report.problems
    count = query(desk, "SELECT count(*), max(id), min(id) FROM audit_event")[0]
    assert count[0] == count[1] == report.checked and count[2] == 1
    assert quick_check(desk.store).ok


# ------------------------------------------------------------------ the encoding


TRICKY = ["", "'", '"', "\\", "\\n", "\n\r\t\b\f", "\x00nul", "\x01\x1f\x7f", "\u2028\u2029",
          "😡👍🏻", "繁體中文", "[1,2]", "null", "{\"a\": 1}", "a\u00e9\u0301", "\ufeffbom",
          "x" * 3000]


def sqlite_content(conn: sqlite3.Connection, values: list[object]) -> bytes:
    conn.execute("DELETE FROM t")
    conn.execute(f"INSERT INTO t VALUES ({', '.join('?' * 9)})", values)
    return conn.execute(f"SELECT {audit_chain.CONTENT_SQL} FROM t").fetchone()[0]


@pytest.fixture
def memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    # The audit columns with their affinities (what is stored is what is hashed).
    conn.execute("CREATE TABLE t (id INTEGER, at DATETIME, actor TEXT, complaint_id INTEGER, "
                 "action TEXT, field TEXT, before TEXT, after TEXT, detail TEXT)")
    return conn


def test_python_and_sqlite_encodings_agree(memory):
    rng = random.Random(20261123)
    alphabet = [chr(c) for c in range(0, 0x80)] + list("中文繁體😡é\u2028\ufffd\U0010ffff")
    cases = [[1, "2026-11-23 02:00:00.000000", t, None, "a", None, t, None, t] for t in TRICKY]
    cases.append([2 ** 62, "2026-11-23 02:00:00.000000", "x", -5, "a", "", "", "", ""])
    for _ in range(400):
        def text() -> str | None:
            if rng.random() < 0.2:
                return None
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        cases.append([rng.randrange(1, 10 ** 9), text() or "t", text() or "a",
                      rng.choice([None, rng.randrange(1, 10 ** 6)]), text() or "x",
                      text(), text(), text(), text()])
    for values in cases:
        assert audit_chain.content_bytes(values) == sqlite_content(memory, values), values


def test_the_encoding_tells_storage_classes_apart(memory):
    base = [1, "2026-11-23 02:00:00.000000", "a", 5, "x", None, None, None, None]
    seen = {audit_chain.content_bytes(base)}
    for i, other in [(3, "5"), (3, None), (3, 5.0), (3, b"5"), (5, ""), (5, "null"),
                     (1, b"2026-11-23 02:00:00.000000"), (8, "")]:
        values = list(base)
        values[i] = other
        seen.add(audit_chain.content_bytes(values))
    assert len(seen) == 9


_VALUE = st.one_of(st.none(), st.integers(-2 ** 62, 2 ** 62),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_VALUE, min_size=9, max_size=9),
       holes=st.lists(st.tuples(st.integers(0, 8), st.one_of(st.none(), st.tuples(
           st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
           st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)))),
           max_size=4, unique_by=lambda hole: hole[0]),
       fillers=st.lists(st.text("0123456789", min_size=1, max_size=7), min_size=4, max_size=4))
def test_content_cut_at_its_holes_is_the_content_with_them_filled(values, holes, fillers):
    """content_pieces (PostgreSQL's registration in one message fills the holes
    in SQL): the pieces joined by the holes' digits are content_bytes of the
    values with those digits in."""
    cut, filled = list(values), list(values)
    for (i, around), digits in zip(sorted(holes), fillers):
        if around is None:
            cut[i], filled[i] = audit_chain.Hole(), int(digits)
        else:
            cut[i], filled[i] = audit_chain.Hole(*around), around[0] + digits + around[1]
    pieces = audit_chain.content_pieces(cut)
    digits_in = [str(filled[i]) if around is None else digits
                 for (i, around), digits in zip(sorted(holes), fillers)]
    assert len(pieces) == len(digits_in) + 1
    joined = pieces[0] + b"".join(d.encode() + p for d, p in zip(digits_in, pieces[1:]))
    assert joined == audit_chain.content_bytes(filled)


def test_the_demo_builders_tails_make_the_same_chain(busy):
    rows = events(busy)
    tails = list(audit_chain.content_tails([r[1:9] for r in rows]))
    assert audit_chain.chain_tails(GENESIS, 1, tails) == [r[-1] for r in rows]


# ------------------------------------------------------------------ tampering


def test_a_forged_event_with_a_wrong_hash_is_named(busy):
    last = len(events(busy))
    conn = raw(busy)
    conn.execute("INSERT INTO audit_event (id, at, actor, action, after, hash) VALUES "
                 "(?, '2026-11-23 02:00:00.000000', 'admin1', 'staff.added', 'x admin', ?)",
                 (last + 1, bytes(32)))
    conn.close()
    report = verify_chain(busy.store)
    assert not report.ok
    assert report.first_broken_id == last + 1
    assert report.problems == [f"审计事件 #{last + 1} 的内容或哈希被改动"]
    assert not quick_check(busy.store).ok


def test_an_event_changed_after_dropping_the_trigger_is_named(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET actor = 'someone' WHERE id = 3")
    conn.close()
    report = verify_chain(busy.store)
    assert not report.ok and report.first_broken_id == 3
    assert report.problems == ["缺少只追加触发器 audit_event_no_update",
                               "审计事件 #3 的内容或哈希被改动"]


@pytest.mark.parametrize("change", [
    "UPDATE audit_event SET hash = NULL WHERE id = 4",
    "UPDATE audit_event SET hash = x'00' WHERE id = 4",
    "UPDATE audit_event SET hash = hex(hash) WHERE id = 4",
    "UPDATE audit_event SET after = CAST(after AS BLOB) WHERE id = 4",  # same bytes, a BLOB
    "UPDATE audit_event SET complaint_id = 1.5 WHERE id = 4",
    "UPDATE audit_event SET at = 20261123 WHERE id = 4",
    "UPDATE audit_event SET detail = detail || ' ' WHERE id = 4",
])
def test_any_change_of_a_stored_value_or_its_hash_is_named(busy, change):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute(change)
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_update"])
    conn.close()
    report = verify_chain(busy.store)
    assert not report.ok and report.first_broken_id == 4, report.problems
    assert report.problems == ["审计事件 #4 的内容或哈希被改动"]


def test_a_deleted_event_is_named(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("DELETE FROM audit_event WHERE id = 2")
    conn.close()
    report = verify_chain(busy.store)
    assert not report.ok and report.first_broken_id == 2
    assert report.problems == ["缺少只追加触发器 audit_event_no_delete", "审计事件 #2 缺失（被删除）"]


def test_the_first_events_deleted_are_named(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("DELETE FROM audit_event WHERE id <= 2")
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_delete"])
    conn.close()
    report = verify_chain(busy.store)
    assert report.first_broken_id == 1
    assert report.problems == ["审计事件 #1 至 #2 缺失（共 2 条，被删除）"]


@pytest.mark.parametrize("statement", [
    "REPLACE INTO audit_event ({c}, hash) SELECT {c}, hash FROM audit_event WHERE id = 3",
    "INSERT OR REPLACE INTO audit_event ({c}, hash) "
    "SELECT id, at, 'someone', complaint_id, action, field, before, after, detail, hash "
    "FROM audit_event WHERE id = 3",
    "INSERT INTO audit_event ({c}, hash) SELECT id, at, 'someone', complaint_id, action, field, "
    "before, after, detail, hash FROM audit_event WHERE id = 3 "
    "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
    "INSERT INTO audit_event (at, actor, action, hash) "  # no id: not the next one either
    "VALUES ('2026-11-23 02:00:00.000000', 'x', 'y', zeroblob(32))",
    "INSERT INTO audit_event (id, at, actor, action, hash) "  # skipping ids
    "SELECT max(id) + 2, '2026-11-23 02:00:00.000000', 'x', 'y', zeroblob(32) FROM audit_event",
    "INSERT INTO audit_event (id, at, actor, action) "  # the next id without a hash
    "SELECT max(id) + 1, '2026-11-23 02:00:00.000000', 'x', 'y' FROM audit_event",
    "INSERT INTO audit_event (id, at, actor, action, hash) "
    "SELECT max(id) + 1, '2026-11-23 02:00:00.000000', 'x', 'y', randomblob(31) FROM audit_event",
])
def test_replace_and_out_of_turn_inserts_are_refused(busy, statement):
    before = events(busy)
    conn = raw(busy)
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        conn.execute(statement.format(c=COLUMNS))
    conn.close()
    assert events(busy) == before
    assert verify_chain(busy.store).ok


@pytest.mark.parametrize("name", sorted(schema.AUDIT_TRIGGERS))
def test_a_dropped_trigger_is_named(busy, name):
    conn = raw(busy)
    conn.execute(f"DROP TRIGGER {name}")
    conn.close()
    for report in (verify_chain(busy.store), quick_check(busy.store)):
        assert not report.ok
        assert report.problems == [f"缺少只追加触发器 {name}"]
        assert report.first_broken_id is None  # every link still holds


def test_a_weakened_or_extra_trigger_is_named(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event WHEN 0 "
                 "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
    conn.execute("CREATE TRIGGER audit_event_sneak AFTER INSERT ON audit_event "
                 "BEGIN SELECT 1; END")
    conn.close()
    assert verify_chain(busy.store).problems == ["只追加触发器 audit_event_no_delete 被改动",
                                                 "审计表上有不该有的触发器 audit_event_sneak"]


def test_quick_check_reads_only_the_last_links(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET actor = 'x' WHERE id = 1")
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_update"])
    conn.close()
    assert quick_check(busy.store, last=2).ok  # event 1 is not among the last 2
    assert quick_check(busy.store, last=2).checked == 2
    assert not quick_check(busy.store).ok  # the last 64: all of them
    assert not quick_check(busy.store, last=1000).ok
    assert verify_chain(busy.store).first_broken_id == 1


# ------------------------------------------------------------------ the head


def test_a_head_proves_the_trail_up_to_it(busy, counter):
    head = chain_head(busy.store).text
    assert verify_chain(busy.store, head=head).ok
    register_complaint(busy, counter, sample("13600000000"))  # the trail grows
    report = verify_chain(busy.store, head=head)
    assert report.ok and report.head.last_id == int(head.split(":")[0]) + 1


def test_a_head_catches_a_trail_rewritten_consistently(busy):
    head = chain_head(busy.store)
    conn = raw(busy)
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET actor = 'someone' WHERE id = 2")
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_update"])
    conn.execute("COMMIT")
    recompute_from(conn, 2)
    conn.close()
    assert verify_chain(busy.store).ok  # the chain alone cannot tell
    report = verify_chain(busy.store, head=head.text)
    assert not report.ok and report.first_broken_id == head.last_id
    assert report.problems == [f"审计事件 #{head.last_id} 的哈希与记下的链头不符："
                               f"到 #{head.last_id} 为止的审计记录被改写"]


def test_a_head_catches_a_trail_cut_short(busy):
    head = chain_head(busy.store)
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("DELETE FROM audit_event WHERE id = ?", (head.last_id,))
    conn.execute(schema.AUDIT_TRIGGERS["audit_event_no_delete"])
    conn.close()
    assert verify_chain(busy.store).ok
    report = verify_chain(busy.store, head=head.text)
    assert report.first_broken_id == head.last_id
    assert report.problems == [f"审计事件 #{head.last_id} 不存在：记下链头之后，审计记录被删减"]


@pytest.mark.parametrize("text", ["", "12", "12:abc", "x:" + "0" * 64, "12:" + "g" * 64,
                                  "-1:" + "0" * 64, "12:" + "0" * 63])
def test_a_malformed_head_is_refused_with_the_form(busy, text):
    with pytest.raises(DomainError, match="应为“事件号:哈希”"):
        verify_chain(busy.store, head=text)


# ------------------------------------------------------------------ large and parallel


def test_chunks_and_processes_check_the_same(busy, monkeypatch, counter):
    for i in range(20):
        register_complaint(busy, counter, sample(f"135{i:08d}"))
    monkeypatch.setattr(audit_chain, "CHUNK", 4)
    monkeypatch.setattr(audit_chain, "PARALLEL_FROM", 4)
    total = len(events(busy))
    sound = verify_chain(busy.store, workers=3)
    assert sound.ok and sound.checked == total
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("UPDATE audit_event SET actor = 'x' WHERE id IN (9, ?)", (total - 1,))
    conn.execute("DELETE FROM audit_event WHERE id BETWEEN 11 AND 20")  # across chunks
    conn.close()
    for workers in (1, 3):
        report = verify_chain(busy.store, workers=workers)
        assert report.first_broken_id == 9
        assert report.problems[2:] == ["审计事件 #9 的内容或哈希被改动",
                                       "审计事件 #11 至 #20 缺失（共 10 条，被删除）",
                                       f"审计事件 #{total - 1} 的内容或哈希被改动"]
        assert report.checked == total - 10


# ------------------------------------------------------------------ migration


def make_v6(path) -> None:  # type: ignore[no-untyped-def]
    """A file as release 6 left it, with events of every shape."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in range(1, 7):
        schema.MIGRATIONS[step](conn)
    conn.execute("INSERT INTO staff(login, name, role, created_at) "
                 "VALUES ('admin1', '管理员', 'admin', '2026-11-20 01:35:12.123456')")
    for i, text in enumerate(TRICKY * 3):
        conn.execute("INSERT INTO audit_event(at, actor, complaint_id, action, field, before, "
                     "after, detail) VALUES (?, 'admin1', NULL, 'complaint.note', ?, NULL, ?, ?)",
                     (f"2026-11-20 01:35:{i % 60:02d}.000000", None if i % 2 else "status",
                      text, '{"text": %s}' % __import__("json").dumps(text)))
    conn.execute("PRAGMA user_version = 6")
    conn.execute("COMMIT")
    conn.close()


def schema_of(path) -> list[tuple]:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                            "ORDER BY type, name").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("chunk", [20_000, 7])
def test_a_version_6_file_gets_its_chain(tmp_path, frozen_now, monkeypatch, chunk):
    monkeypatch.setattr(audit_chain, "CHUNK", chunk)
    path = tmp_path / "v6.db"
    make_v6(path)
    before = sqlite3.connect(path).execute(
        f"SELECT {COLUMNS} FROM audit_event ORDER BY id").fetchall()
    desk = open_desk(path, config=DeskConfig(timezone_name=DESK_ZONE), clock=lambda: frozen_now)
    try:
        assert query(desk, "PRAGMA user_version") == [(schema.SCHEMA_VERSION,)]
        assert [r[:9] for r in events(desk)] == before  # nothing but the hashes changed
        report = verify_chain(desk.store)
        assert report.ok and report.checked == len(before) == len(TRICKY) * 3
        staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")  # the chain goes on
        assert verify_chain(desk.store).ok
    finally:
        desk.close()
    fresh = tmp_path / "fresh.db"
    open_desk(fresh, config=DeskConfig(timezone_name=DESK_ZONE)).close()
    assert schema_of(path) == schema_of(fresh)


def test_a_version_1_file_gets_its_chain(tmp_path, frozen_now):
    path = tmp_path / "v1.db"
    make_v1(path)
    desk = open_desk(path, config=DeskConfig(timezone_name=DESK_ZONE), clock=lambda: frozen_now)
    try:
        report = verify_chain(desk.store)
        assert report.ok and report.checked == 3
        register_complaint(desk, "counter1", sample("13712345678"))
        assert verify_chain(desk.store).checked == 4
    finally:
        desk.close()


# ------------------------------------------------------------------ concurrency


def test_two_desks_registering_at_once_make_one_chain(tmp_path, desk, admin, counter, frozen_now):
    other = open_desk(desk.store.path, config=DeskConfig(timezone_name=DESK_ZONE),
                      clock=lambda: frozen_now)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(on, prefix: str) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            for i in range(25):
                register_complaint(on, counter, sample(f"{prefix}{i:08d}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, p))
               for d, p in ((desk, "131"), (other, "132"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert not errors, errors
    report = verify_chain(desk.store)
    assert report.ok, report.problems
    assert report.checked == query(desk, "SELECT count(*) FROM audit_event")[0][0] == 2 + 50


def test_two_processes_registering_at_once_make_one_chain(tmp_path, desk, admin, counter):
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from complaintdesk.process.complaints import register_complaint\n"
        "from complaintdesk.domain.config import DeskConfig\n"
        "from complaintdesk.process.desk import open_desk\n"
        "desk = open_desk(sys.argv[1], config=DeskConfig(timezone_name='Asia/Shanghai'))\n"
        "for i in range(20):\n"
        "    register_complaint(desk, 'counter1', {'customer_name': '客户', 'contact': "
        "sys.argv[2] + '%08d' % i, 'channel': 'phone', 'event': '破损', 'demand': '退货', "
        "'category': 'product', 'priority': 'general'})\n"
        "desk.close()\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(desk.store.path), prefix])
             for prefix in ("133", "134")]
    assert [p.wait(120) for p in procs] == [0, 0]
    report = verify_chain(desk.store)
    assert report.ok, report.problems
    assert report.checked == 2 + 40


def test_record_links_several_events_of_one_transaction(desk, admin):
    from complaintdesk.process import audit

    now = datetime(2026, 11, 23, 2, 0).astimezone()
    with desk.store.write() as session:
        for i in range(3):
            audit.record(session, at=now, actor=admin.login, action="complaint.note",
                         after=i, detail={"i": i})
    assert [r[0] for r in events(desk)] == [1, 2, 3, 4]
    assert verify_chain(desk.store).ok


def test_a_table_without_its_hashes_is_reported_not_raised(busy):
    conn = raw(busy)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("DROP TRIGGER audit_event_no_replace")
    conn.execute("ALTER TABLE audit_event DROP COLUMN hash")
    conn.close()
    for report in (verify_chain(busy.store), quick_check(busy.store)):
        assert not report.ok
        assert report.problems[-1].startswith("无法读取审计表：")


@pytest.mark.parametrize("parallel", [True, False])
def test_an_event_written_during_a_demo_load_stays_in_the_chain(desk, admin, monkeypatch,
                                                                 parallel):
    """A batch's events are chained on a prediction of the trail's end; an event
    written meanwhile (no complaint: only the chain's end changes) makes it wrong, and
    the batch is built again for the file as it is."""
    from complaintdesk.demo import writer as demo_writer

    commit, calls = demo_writer.commit_predicted, []

    def colleague_writes_first(conn, batch):  # type: ignore[no-untyped-def]
        calls.append(batch.index)
        if len(calls) == 2:
            staffing.add_staff(desk, admin.login, "counter9", "柜台小赵", "counter")
        return commit(conn, batch)

    monkeypatch.setattr(demo_writer, "commit_predicted", colleague_writes_first)
    fill_demo(desk, 400, actor=admin.login, batch_size=100, parallel=parallel)
    assert calls == [0, 1]  # the second batch's prediction failed: then one at a time
    assert query(desk, "SELECT count(*) FROM audit_event WHERE action = 'staff.added' "
                       "AND after LIKE 'counter9%'") == [(1,)]
    report = verify_chain(desk.store)
    assert report.ok, report.problems
