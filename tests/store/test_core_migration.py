"""Upgrading a version-1 file (before the queue, links and search) in place."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from complaintdesk.store.sqlite import schema
from complaintdesk.process import staffing
from complaintdesk.process.complaints import get_complaint, link_complaints
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.process.queue import QueueFilter, open_queue
from complaintdesk.store.sqlite.queue import Queue as SqliteQueue

from tests.helpers import register

ZONE = "Asia/Shanghai"
# How the application stores aware datetimes: UTC, without an offset.
RECEIVED = "2026-11-20 01:30:00.000000"          # 09:30 in Shanghai
FIRST_DUE = "2026-11-22 01:30:00.000000"         # general: 48 h
RESOLUTION_DUE = "2026-11-27 01:30:00.000000"    # general: 7 days
CREATED = "2026-11-20 01:35:12.123456"

V1_ROWS = [
    ("INSERT INTO staff(login, name, role, department, active, created_at) "
     "VALUES ('admin1', '管理员', 'admin', NULL, 1, ?)", (CREATED,)),
    ("INSERT INTO staff(login, name, role, department, active, created_at) "
     "VALUES ('counter1', '柜台小王', 'counter', NULL, 1, ?)", (CREATED,)),
    ("INSERT INTO customer(id, name, address, contact, contact_key, created_at) "
     "VALUES (1, '李娜', '北京市朝阳区建国路88号', '138-1234-5678', '13812345678', ?)", (CREATED,)),
    ("INSERT INTO complaint(id, number, customer_id, customer_name, address, contact, channel, "
     "received_at, event, demand, category, priority, priority_rank, product, quantity, status, "
     "received_by, first_response_due, resolution_due, escalated, department, handler, "
     "created_at, updated_at, version) VALUES (1, 'TS-20261120-0001', 1, '李娜', "
     "'北京市朝阳区建国路88号', '138-1234-5678', 'phone', ?, '快递送到时电水壶已经破损', "
     "'要求退款', 'product', 'general', 2, '电水壶', 1, 'registered', 'counter1', ?, ?, 0, "
     "NULL, NULL, ?, ?, 1)", (RECEIVED, FIRST_DUE, RESOLUTION_DUE, CREATED, CREATED)),
    ("INSERT INTO complaint(id, number, customer_id, customer_name, address, contact, channel, "
     "received_at, event, demand, category, priority, priority_rank, product, quantity, status, "
     "received_by, first_response_due, resolution_due, escalated, department, handler, "
     "created_at, updated_at, version) VALUES (2, 'TS-20261120-0002', 1, '李娜', "
     "'北京市朝阳区建国路88号', '138-1234-5678', 'phone', ?, '又来电催促', "
     "'尽快处理', 'service', 'urgent', 0, '', NULL, 'registered', 'admin1', ?, ?, 0, "
     "'quality', NULL, ?, ?, 1)",
     ("2026-11-20 02:00:00.000000", "2026-11-20 04:00:00.000000",
      "2026-11-21 02:00:00.000000", CREATED, CREATED)),
    ("INSERT INTO audit_event(at, actor, complaint_id, action, field, before, after, detail) "
     "VALUES (?, 'admin1', NULL, 'staff.bootstrap', NULL, NULL, 'admin1 admin', NULL)", (CREATED,)),
    ("INSERT INTO audit_event(at, actor, complaint_id, action, field, before, after, detail) "
     "VALUES (?, 'counter1', 1, 'complaint.registered', NULL, NULL, 'TS-20261120-0001', "
     "'{\"priority\": \"general\", \"channel\": \"phone\", \"escalated\": false}')", (CREATED,)),
    ("INSERT INTO audit_event(at, actor, complaint_id, action, field, before, after, detail) "
     "VALUES (?, 'admin1', 2, 'complaint.registered', NULL, NULL, 'TS-20261120-0002', "
     "'{\"priority\": \"urgent\", \"channel\": \"phone\", \"escalated\": false}')", (CREATED,)),
    ("INSERT INTO daily_counter(day, last) VALUES ('20261120', 2)", ()),
]


def make_v1(path) -> None:
    """A file as release 1 left it: its DDL, user_version 1, a little data."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for statement in schema.split_sql(schema.V1):
            conn.execute(statement)
        for statement, params in V1_ROWS:
            conn.execute(statement, params)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
def v1_path(tmp_path):
    path = tmp_path / "old.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [r[1] for r in conn.execute("PRAGMA table_info(complaint)")]
        assert "due_at" not in columns and "closed" not in columns
    finally:
        conn.close()
    return path


@pytest.fixture
def upgraded(v1_path, frozen_now):
    desk = open_desk(v1_path, config=DeskConfig(timezone_name=ZONE), clock=lambda: frozen_now)
    yield desk
    desk.close()


def query(path, statement: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def test_version_one_file_is_upgraded(upgraded, v1_path):
    assert schema.SCHEMA_VERSION == max(schema.MIGRATIONS) >= 2
    assert query(v1_path, "PRAGMA user_version") == [(schema.SCHEMA_VERSION,)]
    columns = [r[1] for r in query(v1_path, "PRAGMA table_info(complaint)")]
    assert "due_at" in columns and "closed" in columns
    tables = {r[0] for r in query(v1_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"complaint_link", "complaint_fts3", "complaint_fts2"} <= tables
    index_columns = [r[2] for r in query(v1_path, "PRAGMA index_info(ix_complaint_queue)")]
    assert index_columns == ["closed", "priority_rank", "due_at", "id"]


def test_existing_complaints_survive_with_a_queue_deadline(upgraded, v1_path):
    assert query(v1_path, "SELECT id, due_at, closed FROM complaint ORDER BY id") == [
        (1, FIRST_DUE, 0), (2, "2026-11-20 04:00:00.000000", 0)]
    record = get_complaint(upgraded, "TS-20261120-0001")
    complaint = record.complaint
    assert complaint.due_at == complaint.first_response_due
    assert complaint.due_at == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    assert complaint.resolution_due == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
    assert complaint.closed is False
    assert (complaint.customer_name, complaint.event, complaint.received_by) == (
        "李娜", "快递送到时电水壶已经破损", "counter1")
    assert record.receiver_name == "柜台小王"
    assert [e.action for e in record.timeline] == ["complaint.registered"]
    assert [c.number for c in record.customer_others] == ["TS-20261120-0002"]
    assert record.links == []


def test_upgraded_complaints_are_in_the_queue(upgraded):
    rows = open_queue(upgraded).page(0, 10)
    assert [r.number for r in rows] == ["TS-20261120-0002", "TS-20261120-0001"]
    assert rows[1].due_at == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    # Both deadlines are before the frozen 2026-11-23 10:00.
    assert open_queue(upgraded, QueueFilter(overdue_only=True)).count() == 2
    assert open_queue(upgraded, QueueFilter(department="quality")).count() == 1


@pytest.mark.parametrize(("text", "numbers"), [
    ("退款", ["TS-20261120-0001"]),            # two characters
    ("破损", ["TS-20261120-0001"]),
    ("电水壶", ["TS-20261120-0001"]),          # three
    ("快递送到时", ["TS-20261120-0001"]),
    ("快递 电水壶", ["TS-20261120-0001"]),
    ("李娜", ["TS-20261120-0002", "TS-20261120-0001"]),
    ("13812345678", ["TS-20261120-0002", "TS-20261120-0001"]),
    ("138-1234", ["TS-20261120-0002", "TS-20261120-0001"]),
    ("0002", ["TS-20261120-0002"]),
    ("催促", ["TS-20261120-0002"]),
    ("催促 退款", []),
])
def test_upgraded_complaints_are_searchable(upgraded, text, numbers):
    assert [r.number for r in open_queue(upgraded, QueueFilter(search=text)).page(0, 10)] == numbers


def test_audit_events_stay_append_only(upgraded, v1_path):
    conn = sqlite3.connect(v1_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_event SET actor = 'someone' WHERE complaint_id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_event")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] == 3
    finally:
        conn.close()


def test_upgraded_file_keeps_working(upgraded, v1_path):
    actor = staffing.sign_in(upgraded, "counter1")
    assert actor.role.value == "counter"
    # The day's counter carried over: no number is reused.
    newer = register(upgraded, "counter1", received_at="2026-11-20T15:00:00+08:00",
                     contact="138 1234 5678")
    assert newer.number == "TS-20261120-0003"
    assert newer.customer_id == 1
    link_complaints(upgraded, "counter1", newer.number, "TS-20261120-0001", "repeat")
    assert [l.complaint.number for l in get_complaint(upgraded, "TS-20261120-0001").links] == [
        newer.number]
    assert [r.number for r in open_queue(upgraded, QueueFilter(search="玻璃杯")).page(0, 10)] == [
        newer.number]
    # The first registration of the new version sits among the old ones by its deadline.
    assert open_queue(upgraded).position(newer.number) == 2


def test_reopening_does_not_migrate_again(upgraded, v1_path, frozen_now):
    upgraded.close()
    again = open_desk(v1_path, config=DeskConfig(timezone_name=ZONE), clock=lambda: frozen_now)
    try:
        assert query(v1_path, "PRAGMA user_version") == [(schema.SCHEMA_VERSION,)]
        # Indexed once: a search finds each complaint once.
        assert open_queue(again, QueueFilter(search="李娜")).count() == 2
        assert query(v1_path, "SELECT count(*) FROM complaint") == [(2,)]
    finally:
        again.close()


def test_many_version_one_complaints_are_indexed(tmp_path, frozen_now):
    """More than one migration batch of 5,000 rows."""
    path = tmp_path / "big.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO complaint(number, customer_id, customer_name, contact, channel, received_at, "
            "event, demand, category, priority, priority_rank, status, received_by, "
            "first_response_due, resolution_due, created_at, updated_at) VALUES "
            "(?, 1, '李娜', '138-1234-5678', 'phone', ?, ?, '无', 'service', 'general', 2, "
            "'registered', 'counter1', ?, ?, ?, ?)",
            [(f"TS-20261001-{i:05d}", RECEIVED, "第%d号退款" % i if i % 1000 == 0 else "普通投诉",
              FIRST_DUE, RESOLUTION_DUE, CREATED, CREATED) for i in range(1, 12001)])
    conn.close()
    desk = open_desk(path, config=DeskConfig(timezone_name=ZONE), clock=lambda: frozen_now)
    try:
        assert open_queue(desk).count() == 12002
        assert open_queue(desk, QueueFilter(search="退款")).count() == 12 + 1
        assert open_queue(desk, QueueFilter(search="12000号")).count() == 1
        common = open_queue(desk, QueueFilter(search="普通投诉"))
        assert common.count() == SqliteQueue.SEARCH_CAP and common.capped  # a search counts to the cap
        assert query(path, "SELECT count(*) FROM complaint_fts3 "
                           "WHERE complaint_fts3 MATCH '\"普通投诉\"'") == [(12000 - 12,)]
        assert query(path, "SELECT count(*) FROM complaint_fts2_open "  # all open: all there
                           "WHERE complaint_fts2_open MATCH '退款'") == [(12 + 1,)]
    finally:
        desk.close()
