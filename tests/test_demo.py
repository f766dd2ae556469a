"""Demo data: deterministic, varied, and keeping every invariant registration keeps."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text as sql_text
from sqlmodel import func, select

from complaintdesk import complaints, staffing, workflow
from complaintdesk.config import DeskConfig, deadlines_for
from complaintdesk.demo import fill_demo
from complaintdesk.desk import open_desk
from complaintdesk.enums import (Action, AgreementMethod, Category, Channel, HandlingMethod,
                                 Priority, Role, Status)
from complaintdesk.errors import PermissionDenied
from complaintdesk.exporting import export_rows, write_jsonl
from complaintdesk.models import (AuditEvent, Complaint, Customer, DailyCounter, HandlingSheet,
                                  Investigation, Staff)
from complaintdesk.queue import Queue, QueueFilter
from complaintdesk.text import normalize_contact
from complaintdesk.workflow import REVISIT_AFTER, TRANSITIONS


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
    escalated_later = {e.complaint_id for e in _all(desk, AuditEvent)
                       if e.action == "workflow.escalate"}
    for r in rows:
        priority = Priority(r.priority)
        first, resolution = deadlines_for(priority, desk.local(r.received_at), desk.config)
        assert (r.first_response_due, r.resolution_due) == (first, resolution)
        # 重大 from registration; a few others escalated later by a supervisor.
        assert r.escalated == (priority is Priority.MAJOR or r.id in escalated_later)
        assert r.priority_rank == priority.rank
        assert Status(r.status) is not Status.CLOSED
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


# ------------------------------------------------------------------ the handling workflow

WORKFLOW_STATUSES = {s for s in Status if s is not Status.CLOSED}  # closing: a later issue


def _handling(desk):
    """Complaints, sheets by complaint, investigations by complaint, events by complaint,
    and staff by login, read back through the models."""
    sheets, investigations, events = defaultdict(list), defaultdict(list), defaultdict(list)
    for sheet in sorted(_all(desk, HandlingSheet), key=lambda s: (s.complaint_id, s.round)):
        sheets[sheet.complaint_id].append(sheet)
    for inv in _all(desk, Investigation):
        investigations[inv.complaint_id].append(inv)
    for event in sorted(_all(desk, AuditEvent), key=lambda e: e.id):
        if event.complaint_id is not None:
            events[event.complaint_id].append(event)
    staff = {s.login: s for s in _all(desk, Staff)}
    return _all(desk, Complaint), sheets, investigations, events, staff


def test_a_default_demo_shows_every_status_of_the_workflow(desk, admin, frozen_now):
    fill_demo(desk, actor=admin.login)  # the default: 200
    rows = _all(desk, Complaint)
    assert len(rows) == 200
    assert {Status(r.status) for r in rows} == WORKFLOW_STATUSES
    assert not any(r.closed for r in rows)

    # By age: long-received complaints are (nearly all) at the revisit; the rest are recent.
    old = [r for r in rows if desk.local(r.received_at) < frozen_now - timedelta(days=30)]
    assert sum(r.status == "revisit" for r in old) >= 0.9 * len(old)
    early = [r for r in rows if r.status not in ("revisit",)]
    young = sorted(desk.local(r.received_at) for r in early)
    assert young[len(young) // 2] > frozen_now - timedelta(days=30)

    # About 15 % judged not the company's responsibility, with what they were told.
    judged = [r for r in rows if r.responsibility]
    not_ours = [r for r in judged if r.responsibility == "not_ours"]
    assert 0.05 <= len(not_ours) / len(judged) <= 0.3
    for r in not_ours:
        assert r.status == "revisit" and r.explanation and r.department is None
        assert AgreementMethod(r.agreement_method)


@pytest.mark.parametrize(("count", "seed"), [(200, 1), (200, 2), (30, 5), (12, 7)])
def test_every_status_shows_whatever_the_seed_even_in_a_small_demo(desk, admin, count, seed):
    fill_demo(desk, count, seed=seed, actor=admin.login)
    assert {Status(r.status) for r in _all(desk, Complaint)} == WORKFLOW_STATUSES


def test_demo_handling_is_deterministic_for_a_seed(tmp_path, frozen_now, admin, desk):
    fill_demo(desk, 150, seed=3, actor=admin.login)
    other = open_desk(tmp_path / "other.db", DeskConfig(timezone_name="Asia/Shanghai"),
                      clock=lambda: frozen_now)
    try:
        staffing.sign_in(other, "admin1")
        fill_demo(other, 150, seed=3, actor="admin1")

        def dump(d):  # type: ignore[no-untyped-def]
            return ([c.model_dump() for c in _all(d, Complaint)],
                    sorted(tuple(s.model_dump().values()) for s in _all(d, HandlingSheet)),
                    sorted(tuple(i.model_dump().values()) for i in _all(d, Investigation)),
                    [(e.at, e.actor, e.complaint_id, e.action, e.before, e.after, e.detail)
                     for e in sorted(_all(d, AuditEvent), key=lambda e: e.id)
                     if e.action.startswith(("workflow.", "complaint."))])

        assert dump(desk) == dump(other)
    finally:
        other.close()


def test_approvals_are_by_a_supervisor_who_neither_drafted_nor_submitted(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, _inv, events, staff = _handling(desk)
    decided = [s for ss in sheets.values() for s in ss if s.decided_by is not None]
    assert len(decided) > 100
    for sheet in decided:
        assert sheet.decided_by not in (sheet.drafted_by, sheet.submitted_by)
        assert staff[sheet.decided_by].role == Role.SUPERVISOR.value
        assert sheet.decided_at >= sheet.submitted_at
    # The audit agrees: every approve/return event is by a supervisor not the drafter.
    by_number = {s.sheet_number: s for ss in sheets.values() for s in ss}
    for e in (e for es in events.values() for e in es):
        if e.action in ("workflow.approve", "workflow.return"):
            sheet = by_number[json.loads(e.detail)["sheet"]]
            assert staff[e.actor].role == "supervisor" and e.actor != sheet.drafted_by
    # Drafters are mostly the department's handler, now and then a supervisor.
    drafters = Counter(staff[s.drafted_by].role for ss in sheets.values() for s in ss)
    assert drafters["handler"] > drafters["supervisor"]


def test_sheets_carry_methods_amounts_and_their_states(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, _inv, events, _staff = _handling(desk)
    by_id = {c.id: c for c in complaints_}
    all_sheets = [s for ss in sheets.values() for s in ss]
    submitted = [s for s in all_sheets if s.state != "draft"]
    assert {s.method for s in submitted} == {m.value for m in HandlingMethod}
    cents = [s.loss_cents for s in submitted]
    assert min(cents) == 0 and max(cents) <= 10_000 * 100
    assert any(c % 100 for c in cents)  # exact fen, not only whole yuan
    for s in all_sheets:
        c = by_id[s.complaint_id]
        assert s.sheet_number == f"CL-{c.number.removeprefix('TS-')}-{s.round}"
        assert s.department == c.department and s.product == c.product
        assert s.version >= 1 and s.updated_at >= s.handling_date
        if s.state != "draft":
            assert s.result and s.receiver_opinion and s.method and s.submitted_by
        if s.state == "approved":
            assert s.implementation_opinion and s.decided_by
        # Its version counts its changes as workflow.py counts them: 1 when made by a
        # save or submit, +1 for each later one, each decision and the customer's opinion.
        touched = [e for e in events[c.id] if e.action in (
            "workflow.save_sheet", "workflow.submit_sheet", "workflow.approve", "workflow.return")
            and json.loads(e.detail)["sheet"] == s.sheet_number]
        assert s.version == len(touched) + bool(s.customer_opinion), s.sheet_number
        # The current round's sheet matches the complaint's status.
        if s.round == c.round:
            expected = {"pending_approval": "submitted", "returned": "returned",
                        "approved": "approved", "informed": "approved",
                        "revisit": "approved", "drafting": "draft",
                        "second_round": "draft"}[c.status]
            assert s.state == expected, (c.number, c.status)


def test_second_rounds_have_round_two_and_two_sheets(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, _inv, events, _staff = _handling(desk)
    second = [c for c in complaints_ if c.round == 2]
    assert any(c.status == "second_round" for c in second)
    assert len(second) >= 5
    for c in second:
        first, again = sheets[c.id]
        assert (first.round, again.round) == (1, 2)
        assert first.state == "approved" and first.customer_opinion.startswith(("不同意", "不接受",
                                                                                 "对处理时效不满意",
                                                                                 "方案没有"))
        assert again.sheet_number.endswith("-2")
        disagreed = [e for e in events[c.id] if e.action == "workflow.customer_disagrees"]
        assert len(disagreed) == 1 and json.loads(disagreed[0].detail)["round"] == 2
    assert all(c.round == 1 for c in complaints_ if c.status != "second_round"
               and not any(e.action == "workflow.customer_disagrees" for e in events[c.id]))


def test_returned_sheets_have_a_reason_and_some_were_resubmitted(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, _inv, events, _staff = _handling(desk)
    with_reason = [s for ss in sheets.values() for s in ss if s.return_reason]
    assert any(s.state == "returned" for s in with_reason)
    assert any(s.state in ("submitted", "approved") for s in with_reason)  # resubmitted
    for s in (s for ss in sheets.values() for s in ss):
        returns = [e for e in events[s.complaint_id] if e.action == "workflow.return"
                   and json.loads(e.detail)["sheet"] == s.sheet_number]
        assert bool(returns) == bool(s.return_reason)
        if s.state == "returned":
            assert s.return_reason and s.decided_by
    for c in complaints_:
        if c.status == "returned":
            assert sheets[c.id][-1].state == "returned" and sheets[c.id][-1].return_reason


def test_every_complaints_audit_events_replay_its_status_path(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, investigations, events, staff = _handling(desk)
    for c in complaints_:
        story = events[c.id]
        assert story[0].action == "complaint.registered" and story[0].after == c.number
        status, last = Status.REGISTERED, story[0].at
        for e in story[1:]:
            assert e.action.startswith("workflow."), e.action
            action = Action(e.action.removeprefix("workflow."))
            assert (status, action) in TRANSITIONS, (c.number, status, action)
            after, roles = TRANSITIONS[(status, action)]
            assert Role(staff[e.actor].role) in roles, (c.number, action, e.actor)
            assert e.after == after.value
            if after is status:
                assert (e.field, e.before) == (None, None)
            else:
                assert (e.field, e.before) == ("status", status.value)
            assert e.at > last  # time moves on, step by step
            json.loads(e.detail)
            status, last = after, e.at
        assert status.value == c.status, c.number
        assert c.version == len(story)  # 1 at registration, +1 per step
        assert c.updated_at == last
        assert last <= desk.now_utc()
        # What the steps store is there: an investigation, a sheet per round drafted.
        steps = [e.action.removeprefix("workflow.") for e in story[1:]]
        assert len(investigations[c.id]) == steps.count("record_investigation")
        rnd, drafted = 1, set()
        for step in steps:
            rnd += step == "customer_disagrees"
            if step in ("save_sheet", "submit_sheet"):
                drafted.add(rnd)
        assert c.round == rnd
        assert [s.round for s in sheets[c.id]] == sorted(drafted)


def test_complaint_columns_match_the_status(desk, admin):
    fill_demo(desk, 400, actor=admin.login)
    complaints_, sheets, investigations, events, staff = _handling(desk)
    departments = {d.code for d in desk.config.departments}
    for c in complaints_:
        status = Status(c.status)
        if status is Status.REGISTERED:
            assert c.due_at == c.first_response_due and c.responsibility is None
            assert c.customer_told_at is None and c.handler is None
            continue
        assert c.customer_told_at is not None
        if status is Status.REVISIT:
            last = events[c.id][-1]
            assert c.revisit_due == (desk.local(last.at) + REVISIT_AFTER).astimezone(UTC)
            assert c.due_at == c.revisit_due
        else:
            assert c.due_at == c.handling_due
        if c.responsibility == "not_ours":
            continue
        assert c.responsibility == "ours" and c.department in departments
        assert c.handling_due >= c.resolution_due
        if status is Status.ACCEPTED:
            assert c.handler is None
            continue
        handler = staff[c.handler]
        assert handler.role == "handler" and handler.department == c.department
        if status is Status.INVESTIGATING:
            assert not investigations[c.id]
            continue
        [inv] = investigations[c.id]
        assert inv.recorded_by == c.handler and inv.round == 1
        assert inv.facts and inv.root_cause and inv.finding and inv.report
        evidence = json.loads(inv.evidence)
        assert 0 <= len(evidence) <= 3
        for item in evidence:
            assert item["kind"] in ("document", "photo", "video", "witness")
            assert item["description"]
            assert item["path"] == "" or item["path"].startswith("/") and c.number in item["path"]


def test_demo_complaints_can_be_carried_on_by_the_core(desk, admin):
    """The demo leaves each complaint where the core functions can take it further."""
    fill_demo(desk, actor=admin.login)
    complaints_, sheets, _inv, _events, staff = _handling(desk)
    first = {}
    for c in sorted(complaints_, key=lambda c: c.id):
        first.setdefault(c.status, c)
    supervisors = [s for s in staff.values() if s.role == "supervisor"]

    c = first["registered"]
    assert workflow.judge_ours(desk, "lixiaomei", c.number, department="quality",
                               customer_told=True, expected_version=c.version).status \
        is Status.ACCEPTED
    c = first["pending_approval"]
    sheet = sheets[c.id][-1]
    approver = next(s.login for s in supervisors if s.login != sheet.drafted_by)
    assert workflow.approve_plan(desk, approver, c.number, opinion="同意",
                                 expected_version=c.version).status is Status.APPROVED
    for status in ("returned", "second_round"):
        c = first[status]
        sheet = sheets[c.id][-1]
        outcome = workflow.submit_sheet(desk, sheet.drafted_by, c.number, {
            "result": "重新拟定", "receiver_opinion": "同意", "method": "compensation",
            "loss_amount": "120.50"}, sheet_version=sheet.version)
        assert outcome.status is Status.PENDING_APPROVAL
    c = first["informed"]
    assert workflow.record_customer_opinion(desk, "zhaomin", c.number, agreed=True,
                                            opinion="同意", expected_version=c.version).status \
        is Status.REVISIT
    c = first["accepted"]
    handler = next(s.login for s in staff.values()
                   if s.role == "handler" and s.department == c.department)
    assert workflow.dispatch(desk, "liuyang", c.number, handler=handler,
                             expected_version=c.version).status is Status.INVESTIGATING


def test_queue_and_search_work_over_demo_data(desk, admin):
    fill_demo(desk, actor=admin.login)
    rows = _all(desk, Complaint)
    queue = Queue(desk)
    assert queue.count() == 200
    listed, after = [], None
    while page := queue.page(len(listed), 37, after=after):
        listed += page
        after = page[-1].sort_key
    assert sorted(r.number for r in listed) == sorted(r.number for r in rows)
    assert [r.sort_key for r in listed] == sorted(r.sort_key for r in listed)

    for status in WORKFLOW_STATUSES:
        expected = {r.number for r in rows if r.status == status.value}
        found = Queue(desk, QueueFilter(status=status.value)).page(0, 500)
        assert {r.number for r in found} == expected and all(r.status == status.value
                                                             for r in found)
    # A handler's "mine": what was assigned to them and their department's complaints.
    handler = next(s for s in _all(desk, Staff) if s.role == "handler" and any(
        r.handler == s.login for r in rows))
    mine = Queue(desk, QueueFilter(mine=handler.login, mine_department=handler.department))
    assert {r.number for r in mine.page(0, 500)} == {
        r.number for r in rows if handler.login in (r.handler, r.received_by)
        or r.department == handler.department}
    # Search by customer name and by number still finds demo complaints.
    target = next(r for r in rows if r.status == "pending_approval")
    found = Queue(desk, QueueFilter(search=target.customer_name)).page(0, 50)
    assert target.number in {r.number for r in found}
    assert [r.number for r in Queue(desk, QueueFilter(search=target.number)).page(0, 5)] == [
        target.number]


def test_handling_times_are_stored_as_the_models_store_them(desk, admin):
    """Sheets, investigations and events are bound as text: it must be the text
    UTCDateTime writes, or comparisons in SQL would go wrong."""
    from sqlalchemy.dialects import sqlite

    from complaintdesk import demo

    stored = sqlite.DATETIME().bind_processor(sqlite.dialect())
    for moment in (datetime(2026, 11, 23, 10, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
                   datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)):
        assert demo._utc_text(moment) == stored(moment.astimezone(UTC))
        naive_utc = moment.astimezone(UTC).replace(tzinfo=None)  # the handling's own times
        assert demo._utc_text(naive_utc) == stored(moment.astimezone(UTC))
    fill_demo(desk, 100, actor=admin.login)
    with desk.store.read() as session:
        texts = session.exec(sql_text(
            "SELECT at FROM audit_event UNION ALL SELECT submitted_at FROM handling_sheet "
            "WHERE submitted_at IS NOT NULL UNION ALL SELECT recorded_at FROM investigation "
            "UNION ALL SELECT created_at FROM complaint")).all()
    assert {len(t) for (t,) in texts} == {26}


def test_revisit_dates_keep_the_wall_clock_across_a_clock_change(tmp_path):
    """A week after the customer agreed is counted on the desk's calendar, as the core
    counts it, also where the clocks changed in between (Berlin, 25 October 2026)."""
    now = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    berlin = open_desk(tmp_path / "berlin.db", DeskConfig(timezone_name="Europe/Berlin"),
                       clock=lambda: now)
    try:
        staffing.sign_in(berlin, "admin1")
        fill_demo(berlin, 1500, actor="admin1")
        _c, _s, _i, events, _staff = _handling(berlin)
        revisits = [c for c in _c if c.status == "revisit"]
        for c in revisits:
            # (As UTC: an aware time in a repeated hour never equals another zone's.)
            expected = berlin.local(events[c.id][-1].at) + REVISIT_AFTER
            assert c.revisit_due == expected.astimezone(UTC), c.number
        near_change = [c for c in revisits if datetime(2026, 10, 17, tzinfo=UTC)
                       < events[c.id][-1].at < datetime(2026, 10, 26, tzinfo=UTC)]
        assert near_change and any(c.revisit_due - events[c.id][-1].at != timedelta(days=7)
                                   for c in near_change)
    finally:
        berlin.close()
