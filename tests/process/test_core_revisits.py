"""The revisit (issue 5, process.md §7): scheduling, retries, reopening and closing."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from complaintdesk.process import revisits
from complaintdesk.store.sqlite import schema_history
from complaintdesk.process import workflow as wf
from complaintdesk.process.complaints import get_complaint, link_complaints
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.errors import PermissionDenied, ValidationFailed
from complaintdesk.process.queue import open_queue, QueueFilter

from tests.helpers import register
from tests.process.test_core_workflow import (INVESTIGATION, NOW, SHEET, Clock, add_people, audit_rows,
                                 drive_to, last_audit_id, sheet_version, snapshot)
from tests.process.test_core_workflow import S as Status

UTC_DAY = timedelta(days=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _desk(location, clock: Clock, **config: object):  # type: ignore[no-untyped-def]
    desk = open_desk(location, config=DeskConfig(timezone_name="Asia/Shanghai",
                                                          **config), clock=clock)
    add_people(desk)
    return desk


@pytest.fixture
def people(store_location, clock):  # type: ignore[no-untyped-def]
    desk = _desk(store_location, clock)
    yield desk
    desk.close()


def complaint(desk, number: str):  # type: ignore[no-untyped-def]
    return wf.get_handling(desk, number).complaint


def satisfied_visit(desk, number: str, who: str = "counter1", **kw):  # type: ignore[no-untyped-def]
    return revisits.record_revisit(desk, who, number, method=kw.pop("method", "电话"), reached=True,
                                   attitude=kw.pop("attitude", "满意"),
                                   result=kw.pop("result", "满意"), **kw)


# ----------------------------------------------------------------- scheduling

def test_accepted_outcome_is_due_a_revisit_within_seven_days(people, clock) -> None:
    number = drive_to(people, Status.INFORMED)
    clock.now = NOW + timedelta(hours=5)
    wf.record_customer_opinion(people, "counter1", number, agreed=True, opinion="同意")
    c = complaint(people, number)
    assert c.status == "revisit"
    assert c.resolved_at == clock.now
    assert c.revisit_due == c.due_at == clock.now + timedelta(days=7)
    assert c.first_response_at == NOW  # judged at NOW by drive_to
    rows, total = revisits.due_revisits(people)
    assert total == 1 and [r.number for r in rows] == [number]


def test_not_ours_accepted_is_due_a_revisit_too(people, clock) -> None:
    number = register(people, "counter1").number
    wf.judge_not_ours(people, "counter1", number, explanation="物流公司责任", agreement_method="电话")
    c = complaint(people, number)
    assert (c.status, c.revisit_due, c.resolved_at, c.first_response_at) == (
        "revisit", NOW + timedelta(days=7), NOW, NOW)


def test_the_revisit_window_is_configurable(store_location, clock) -> None:
    desk = _desk(store_location, clock, revisit_within=relativedelta(days=3))
    try:
        number = drive_to(desk, Status.REVISIT)
        assert complaint(desk, number).revisit_due == NOW + timedelta(days=3)
    finally:
        desk.close()


def test_the_list_is_sorted_by_due_date_earliest_first(people, clock) -> None:
    later = drive_to(people, Status.REVISIT)
    clock.now = NOW - timedelta(days=2)
    earlier = drive_to(people, Status.REVISIT)
    clock.now = NOW
    drive_to(people, Status.INFORMED)  # not due a revisit
    rows, total = revisits.due_revisits(people)
    assert [r.number for r in rows] == [earlier, later] and total == 2
    assert rows[0].revisit_due < rows[1].revisit_due


def test_overdue_revisits_are_counted_in_the_database(people, clock) -> None:
    clock.now = NOW - timedelta(days=8)
    late = drive_to(people, Status.REVISIT)
    clock.now = NOW
    drive_to(people, Status.REVISIT)
    assert revisits.overdue_revisits(people) == 1
    rows, _ = revisits.due_revisits(people)
    assert rows[0].number == late and rows[0].complaint.number == late
    satisfied_visit(people, late)
    assert revisits.overdue_revisits(people) == 0


# ----------------------------------------------------------------- closing

@pytest.mark.parametrize(("attitude", "result"), [
    ("满意", "满意"), ("基本满意", "满意"), ("satisfied", "basic"), ("basic", "basic")])
def test_satisfied_or_basically_satisfied_closes(people, clock, attitude, result) -> None:
    number = drive_to(people, Status.REVISIT)
    clock.now = NOW + timedelta(days=2)
    mark = last_audit_id(people)
    outcome = satisfied_visit(people, number, attitude=attitude, result=result, comment="谢谢")
    assert outcome.status is Status.CLOSED
    c = complaint(people, number)
    assert (c.status, c.closed, c.closed_at, c.due_at) == ("closed", True, clock.now, None)
    [visit] = revisits.revisits_of(people, c.id)
    assert (visit.method, visit.reached, visit.outcome, visit.attempt, visit.comment) == (
        "phone", True, "closed", 1, "谢谢")
    [event] = audit_rows(people, mark)
    assert (event["action"], event["before"], event["after"]) == (
        "workflow.revisit_close", "revisit", "closed")
    assert revisits.due_revisits(people) == ([], 0)
    assert open_queue(people).position(number) is None  # not in the open queue any more
    assert open_queue(people, QueueFilter(include_closed=True)).position(number) is not None
    # ... nor in the open-only search index; "closed too" still finds it.
    assert open_queue(people, QueueFilter(search=c.customer_name)).count() == 0
    assert open_queue(people, QueueFilter(search=c.customer_name, include_closed=True)).count() == 1


def test_a_closed_case_takes_no_more_revisits(people) -> None:
    number = drive_to(people, Status.CLOSED)
    with pytest.raises(PermissionDenied, match="已结案"):
        satisfied_visit(people, number)


def test_only_service_staff_record_revisits(people) -> None:
    number = drive_to(people, Status.REVISIT)
    before = snapshot(people)
    with pytest.raises(PermissionDenied, match="只有客服专员、客服主管可以回访结案"):
        satisfied_visit(people, number, who="hq")
    assert snapshot(people) == before


# ----------------------------------------------------------------- reopening

def test_dissatisfied_reopens_ours_to_a_new_handling_round(people, clock) -> None:
    number = drive_to(people, Status.REVISIT)
    first = complaint(people, number)
    clock.now = NOW + timedelta(days=3)
    outcome = revisits.record_revisit(people, "counter1", number, method="上门", reached=True,
                                      attitude="满意", result="不满意", comment="补发的杯子又碎了")
    assert outcome.status is Status.SECOND_ROUND
    c = complaint(people, number)
    assert (c.round, c.reopen_count, c.resolved_at, c.revisit_due) == (2, 1, None, None)
    assert c.department == first.department and c.handler == first.handler
    # A fresh handling deadline from the priority (一般: 7 working days from Thursday
    # 11-26: Fri, Mon–Fri, Mon 12-07).
    assert c.handling_due == c.due_at == clock.now + timedelta(days=11)
    [visit] = revisits.revisits_of(people, c.id)
    assert (visit.outcome, visit.result, visit.round) == ("reopened", "dissatisfied", 1)
    # Back in the queue, and handled again to a close; the reopen stays counted once.
    assert open_queue(people).position(number) is not None
    wf.save_sheet(people, "hq", number, SHEET, sheet_version=None)
    wf.submit_sheet(people, "hq", number, SHEET, sheet_version=sheet_version(people, number))
    wf.approve_plan(people, "sup1", number, opinion="重新补发")
    wf.inform_customer(people, "counter1", number, how="phone")
    wf.record_customer_opinion(people, "counter1", number, agreed=True, opinion="同意")
    assert complaint(people, number).resolved_at == clock.now
    satisfied_visit(people, number)
    c = complaint(people, number)
    assert (c.status, c.reopen_count, c.round) == ("closed", 1, 2)
    assert [v.outcome for v in revisits.revisits_of(people, c.id)] == ["reopened", "closed"]


def test_dissatisfied_with_the_attitude_alone_also_reopens(people) -> None:
    number = drive_to(people, Status.REVISIT)
    outcome = revisits.record_revisit(people, "counter1", number, method="phone", reached=True,
                                      attitude="不满意", result="满意", comment="接待员态度差")
    assert outcome.status is Status.SECOND_ROUND


def test_dissatisfied_with_not_ours_goes_back_to_the_judgement(people, clock) -> None:
    number = register(people, "counter1", priority="major").number
    wf.judge_not_ours(people, "counter1", number, explanation="运输问题", agreement_method="柜台")
    clock.now = NOW + timedelta(days=1)
    outcome = revisits.record_revisit(people, "counter1", number, method="wechat", reached=True,
                                      attitude="基本满意", result="不满意", comment="不认可解释")
    assert outcome.status is Status.REGISTERED
    c = complaint(people, number)
    assert (c.responsibility, c.reopen_count, c.round) == (None, 1, 1)
    assert c.due_at == clock.now + timedelta(hours=24)  # 重大: first response within 24 h
    assert c.first_response_at == NOW  # the first response stays the first
    [event] = [e for e in audit_rows(people) if e["action"].startswith("workflow.reopen")]
    assert (event["action"], event["after"]) == ("workflow.reopen_judgement", "registered")
    # It can now be judged ours and handled.
    wf.judge_ours(people, "counter1", number, department="quality", customer_told=True)
    assert complaint(people, number).status == "accepted"


def test_a_repeat_complaint_links_to_a_closed_case(people) -> None:
    old = drive_to(people, Status.CLOSED)
    new = register(people, "counter1").number
    link_complaints(people, "counter1", new, old, "repeat")
    record = get_complaint(people, new)
    assert [(link.complaint.number, link.complaint.status, link.kind.value) for link in
            record.links] == [(old, "closed", "repeat")]


# ----------------------------------------------------------------- not reached

def test_not_reached_schedules_the_next_call_and_counts(people, clock) -> None:
    number = drive_to(people, Status.REVISIT)
    for attempt in (1, 2):
        clock.now = NOW + timedelta(days=attempt)
        outcome = revisits.record_revisit(people, "counter1", number, method="电话", reached=False,
                                          comment="无人接听")
        assert outcome.status is Status.REVISIT
        c = complaint(people, number)
        assert c.revisit_attempts == attempt
        assert c.revisit_due == c.due_at == clock.now + UTC_DAY
    visits = revisits.revisits_of(people, complaint(people, number).id)
    assert [(v.attempt, v.reached, v.outcome, v.attitude) for v in visits] == [
        (1, False, "retry", None), (2, False, "retry", None)]
    rows, _ = revisits.due_revisits(people)
    assert rows[0].attempts == 2


def test_closing_as_unreachable_needs_the_configured_attempts(people, clock) -> None:
    number = drive_to(people, Status.REVISIT)
    for attempt in range(2):
        clock.now = NOW + UTC_DAY * attempt
        revisits.record_revisit(people, "counter1", number, method="phone", reached=False)
    with pytest.raises(PermissionDenied, match="回访已在 2 天尝试联系；须在 3 个不同的日子"):
        revisits.close_unreached(people, "counter1", number, comment="停机")
    clock.now = NOW + UTC_DAY * 2
    revisits.record_revisit(people, "counter1", number, method="phone", reached=False)
    outcome = revisits.close_unreached(people, "counter1", number, comment="三次无人接听")
    assert outcome.status is Status.CLOSED
    c = complaint(people, number)
    assert (c.closed, c.revisit_attempts) == (True, 3)
    assert audit_rows(people)[-1]["action"] == "workflow.close_unreached"


def test_failed_calls_on_one_day_are_one_attempt(people, clock) -> None:
    """The retry is "the next day": three calls within a quarter of an hour do not
    allow closing as 无法联系; a call on each of three days does."""
    number = drive_to(people, Status.REVISIT)
    for minutes in (0, 5, 14):
        clock.now = NOW + timedelta(minutes=minutes)
        revisits.record_revisit(people, "counter1", number, method="phone", reached=False)
    assert complaint(people, number).revisit_attempts == 1
    with pytest.raises(PermissionDenied, match="3 个不同的日子"):
        revisits.close_unreached(people, "counter1", number, comment="打了三次")
    visits = revisits.revisits_of(people, complaint(people, number).id)
    assert [v.attempt for v in visits] == [1, 1, 1]
    for day in (1, 2):
        clock.now = NOW + UTC_DAY * day + timedelta(hours=1)
        revisits.record_revisit(people, "counter1", number, method="phone", reached=False)
    assert complaint(people, number).revisit_attempts == 3
    assert revisits.close_unreached(people, "counter1", number).status is Status.CLOSED


def test_max_attempts_is_configurable(store_location, clock) -> None:
    desk = _desk(store_location, clock, revisit_max_attempts=1, revisit_retry=relativedelta(hours=4))
    try:
        number = drive_to(desk, Status.REVISIT)
        revisits.record_revisit(desk, "counter1", number, method="phone", reached=False)
        assert complaint(desk, number).revisit_due == NOW + timedelta(hours=4)
        assert revisits.close_unreached(desk, "counter1", number).status is Status.CLOSED
    finally:
        desk.close()


def test_reaching_the_customer_after_failed_calls_closes_normally(people) -> None:
    number = drive_to(people, Status.REVISIT)
    revisits.record_revisit(people, "counter1", number, method="phone", reached=False)
    satisfied_visit(people, number)
    visits = revisits.revisits_of(people, complaint(people, number).id)
    assert [(v.attempt, v.outcome) for v in visits] == [(1, "retry"), (2, "closed")]


# ----------------------------------------------------------------- bad input, two people

def test_bad_input_names_every_field_and_writes_nothing(people) -> None:
    number = drive_to(people, Status.REVISIT)
    before = snapshot(people)
    with pytest.raises(ValidationFailed) as bad:
        revisits.record_revisit(people, "counter1", number, method="", reached=True,
                                attitude="很好", result=None)
    assert set(bad.value.errors) == {"method", "attitude", "result"}
    assert "回访方式" in bad.value.errors["method"] and "满意" in bad.value.errors["result"]
    with pytest.raises(ValidationFailed) as bad:
        revisits.record_revisit(people, "counter1", number, method="phone", reached=True,
                                attitude="满意", result="不满意", comment="  ")
    assert set(bad.value.errors) == {"comment"}
    with pytest.raises(ValidationFailed):
        revisits.record_revisit(people, "counter1", number, method="phone", reached=False,
                                comment="长" * 2001)
    with pytest.raises(ValidationFailed) as bad:
        revisits.record_revisit(people, "counter1", number, method="phone", reached=None)
    assert set(bad.value.errors) == {"reached"}
    assert snapshot(people) == before


def test_a_stale_revisit_is_refused_and_changes_nothing(people) -> None:
    number = drive_to(people, Status.REVISIT)
    loaded = complaint(people, number).version
    revisits.record_revisit(people, "sup1", number, method="phone", reached=False)
    before = snapshot(people)
    with pytest.raises(wf.StaleEdit, match="主管甲"):
        satisfied_visit(people, number, expected_version=loaded)
    with pytest.raises(wf.StaleEdit):
        revisits.close_unreached(people, "counter1", number, expected_version=loaded)
    assert snapshot(people) == before
    assert satisfied_visit(people, number, expected_version=loaded + 1).status is Status.CLOSED


def test_hostile_comment_is_kept_exactly(people, hostile_text) -> None:
    number = drive_to(people, Status.REVISIT)
    revisits.record_revisit(people, "counter1", number, method="phone", reached=True,
                            attitude="不满意", result="不满意", comment=hostile_text)
    [visit] = revisits.revisits_of(people, complaint(people, number).id)
    assert visit.comment == hostile_text


# ----------------------------------------------------------------- the v4 upgrade

@pytest.mark.sqlite_only
def test_upgrade_backfills_the_statistics_columns_from_history(people) -> None:
    """The v4 migration derives first response, resolution and the approved plan from
    the audit trail and the sheets: the same values the use-cases set."""
    numbers = [drive_to(people, s) for s in (Status.REGISTERED, Status.ACCEPTED,
                                              Status.APPROVED, Status.REVISIT)]
    not_ours = register(people, "counter1").number
    wf.judge_not_ours(people, "counter1", not_ours, explanation="x", agreement_method="phone")
    numbers.append(not_ours)
    columns = "first_response_at, resolved_at, handling_method, loss_cents"
    conn = sqlite3.connect(people.store.path)
    try:
        expected = conn.execute(f"SELECT number, {columns} FROM complaint ORDER BY id").fetchall()
        assert [row[3] for row in expected] == [None, None, "return", "return", None]
        assert expected[3][4] == 123450
        conn.execute("UPDATE complaint SET first_response_at = NULL, resolved_at = NULL, "
                     "handling_method = NULL, loss_cents = NULL")
        conn.execute(schema_history.V4_BACKFILL)
        conn.commit()
        assert conn.execute(f"SELECT number, {columns} FROM complaint ORDER BY id").fetchall() \
            == expected
    finally:
        conn.close()
    assert INVESTIGATION  # the drive used the shared investigation fixture
