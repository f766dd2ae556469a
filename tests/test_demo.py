"""Demo data: deterministic, varied, and keeping every invariant registration keeps."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlmodel import func, select

from complaintdesk import complaints, staffing
from complaintdesk.config import DeskConfig, deadlines_for
from complaintdesk.demo import fill_demo
from complaintdesk.desk import open_desk
from complaintdesk.enums import Category, Channel, Priority, Role
from complaintdesk.errors import PermissionDenied
from complaintdesk.exporting import export_rows, write_jsonl
from complaintdesk.models import AuditEvent, Complaint, Customer, DailyCounter, Staff
from complaintdesk.text import normalize_contact


def _all(desk, model):
    with desk.store.read() as session:
        return list(session.exec(select(model)))


def test_demo_is_deterministic_for_a_seed_and_clock(tmp_path, frozen_now, admin, desk):
    fill_demo(desk, 120, seed=7, actor=admin.login)
    other = open_desk(tmp_path / "other.db", DeskConfig(timezone_name="Asia/Shanghai"),
                      clock=lambda: frozen_now)
    try:
        staffing.sign_in(other, "admin1")
        fill_demo(other, 120, seed=7, actor="admin1")
        first, second = io.StringIO(), io.StringIO()
        write_jsonl(export_rows(desk), first)
        write_jsonl(export_rows(other), second)
        assert first.getvalue() == second.getvalue()

        fill_demo(other, 120, seed=8, actor="admin1")
        texts = [json.loads(x)["event"] for x in second.getvalue().splitlines()]
        later = [c.event for c in complaints.iter_complaints(other)][120:]
        assert texts != later
    finally:
        other.close()


def test_demo_covers_every_value_months_and_staff_roles(desk, admin, frozen_now):
    summary = fill_demo(desk, 200, actor=admin.login)
    rows = _all(desk, Complaint)
    assert summary.complaints == len(rows) == 200
    assert {r.channel for r in rows} == {c.value for c in Channel}
    assert {r.category for r in rows} == {c.value for c in Category}
    assert {r.priority for r in rows} == {p.value for p in Priority}

    received = [desk.local(r.received_at) for r in rows]
    assert max(received) <= frozen_now
    assert min(received) >= frozen_now - timedelta(days=190)
    assert len({(m.year, m.month) for m in received}) >= 6

    staff = _all(desk, Staff)
    roles = Counter(s.role for s in staff)
    assert roles[Role.COUNTER.value] >= 2 and roles[Role.SUPERVISOR.value] >= 1
    handler_depts = {s.department for s in staff if s.role == Role.HANDLER.value}
    assert handler_depts == {d.code for d in desk.config.departments}
    receivers = {s.login: s.role for s in staff}
    assert {receivers[r.received_by] for r in rows} <= {"counter", "supervisor", "admin"}


def test_demo_rows_keep_registration_invariants(desk, admin):
    fill_demo(desk, 300, actor=admin.login, batch_size=64)
    rows = _all(desk, Complaint)
    for r in rows:
        priority = Priority(r.priority)
        first, resolution = deadlines_for(priority, desk.local(r.received_at), desk.config)
        assert (r.first_response_due, r.resolution_due) == (first, resolution)
        assert r.escalated == (priority is Priority.MAJOR)
        assert r.priority_rank == priority.rank
        assert r.status == "registered"
        day = desk.local(r.received_at).strftime("%Y%m%d")
        assert r.number.startswith(f"TS-{day}-")

    events = [e for e in _all(desk, AuditEvent) if e.action == "complaint.registered"]
    assert sorted((e.complaint_id, e.actor, e.after) for e in events) == sorted(
        (r.id, r.received_by, r.number) for r in rows)

    per_day = defaultdict(list)
    for r in rows:
        per_day[r.number[3:11]].append(int(r.number[12:]))
    counters = {c.day: c.last for c in _all(desk, DailyCounter)}
    for day, seqs in per_day.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        assert counters[day] == len(seqs)


def test_customers_are_shared_by_contact_and_some_complain_on_several_channels(desk, admin):
    fill_demo(desk, 400, actor=admin.login, batch_size=50)
    rows = _all(desk, Complaint)
    customers = {c.id: c for c in _all(desk, Customer)}
    for r in rows:
        assert customers[r.customer_id].contact_key == normalize_contact(r.contact)
    assert len(customers) == len({normalize_contact(r.contact) for r in rows})

    channels = defaultdict(set)
    for r in rows:
        channels[r.customer_id].add(r.channel)
    assert sum(1 for found in channels.values() if len(found) >= 2) >= 10


def test_demo_continues_numbers_of_an_existing_day(desk, admin, counter, frozen_now):
    before = complaints.register_complaint(desk, counter, {
        "customer_name": "先来的客户", "contact": "13800000000", "channel": "phone",
        "event": "已在今天登记", "demand": "回电", "category": "service", "priority": "general",
        "received_at": frozen_now.isoformat()})
    assert before.number == "TS-20261123-0001"
    fill_demo(desk, 3000, actor=admin.login, batch_size=500)
    today = [r.number for r in _all(desk, Complaint) if r.number.startswith("TS-20261123-")]
    assert len(today) > 1 and len(set(today)) == len(today)

    after = complaints.register_complaint(desk, counter, {
        "customer_name": "后来的客户", "contact": "13800000000", "channel": "wechat",
        "event": "又来了", "demand": "回电", "category": "service", "priority": "general"})
    assert after.number == f"TS-20261123-{len(today) + 1:04d}"
    assert after.customer_id == before.customer_id


def test_running_demo_twice_adds_without_collisions(desk, admin):
    fill_demo(desk, 150, actor=admin.login)
    second = fill_demo(desk, 150, actor=admin.login)
    assert second.staff_added == []
    with desk.store.read() as session:
        assert session.exec(select(func.count()).select_from(Complaint)).one() == 300
        assert session.exec(select(func.count(func.distinct(Complaint.number)))).one() == 300


def test_only_an_admin_may_fill_demo_data(desk, counter):
    with pytest.raises(PermissionDenied, match="管理员"):
        fill_demo(desk, 10, actor=counter)
    assert complaints.count_complaints(desk) == 0
