"""The four clocks (first response, the department's investigation set at dispatch,
handling, revisit), each with its warning, and the pause of the handling clock
while the desk waits on the customer (issue 16, item 2)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from complaintdesk.domain.clocks import clock_state, clocks
from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.enums import Priority
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.errors import PermissionDenied, ValidationFailed
from complaintdesk.process import pauses
from complaintdesk.process import workflow as wf
from complaintdesk.process.alerts import deadline_states_of, give_alerts
from complaintdesk.process.desk import open_desk

from tests.helpers import register
from tests.process.test_core_revisits import clock, complaint, people  # noqa: F401 - fixtures
from tests.process.test_core_workflow import (NOW, ZONE, S, add_people, audit_rows, drive_to,
                                              last_audit_id)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZONE)


def _kinds(desk, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.kind for c in clocks(as_row(complaint(desk, number)))]


# ----------------------------------------------------------------- the investigation clock

def test_dispatch_sets_the_investigation_deadline_from_the_priority(people, clock):  # noqa: F811
    number = drive_to(people, S.INVESTIGATING)  # 一般, dispatched Monday 2026-11-23 10:00
    c = complaint(people, number)
    # 4 working days: Tue, Wed, Thu, Fri → Friday 10:00.
    assert _local(c.investigation_due) == datetime(2026, 11, 27, 10, 0, tzinfo=ZONE)
    assert _local(c.dispatched_at) == NOW
    assert c.due_at == min(c.investigation_due, c.handling_due)  # the queue's: the nearer
    assert _kinds(people, number) == ["investigation", "handling"]
    event = audit_rows(people)[-1]
    assert json.loads(event["detail"])["investigation_due"].startswith("2026-11-27T10:00")
    # Recorded: the department's clock stops, the queue counts to the handling deadline.
    wf.record_investigation(people, "hq", number, {
        "facts": "破损", "root_cause": "包装", "finding": "我方", "report": "换包装"})
    c = complaint(people, number)
    assert c.due_at == c.handling_due and _kinds(people, number) == ["handling"]


def test_dispatch_takes_a_date_and_refuses_a_past_one(people, clock):  # noqa: F811
    number = drive_to(people, S.ACCEPTED)
    with pytest.raises(ValidationFailed) as bad:
        wf.dispatch(people, "sup1", number, handler="hq", investigation_due="2026-11-20 10:00")
    assert "调查期限" in bad.value.errors["investigation_due"]
    with pytest.raises(ValidationFailed):
        wf.dispatch(people, "sup1", number, handler="hq", investigation_due="下周")
    assert complaint(people, number).status == S.ACCEPTED.value  # nothing saved
    wf.dispatch(people, "sup1", number, handler="hq", investigation_due="2026-11-24 17:30")
    assert _local(complaint(people, number).investigation_due) == datetime(2026, 11, 24, 17, 30,
                                                                           tzinfo=ZONE)


def test_default_investigation_never_after_the_handling_deadline(people, clock):  # noqa: F811
    number = drive_to(people, S.REGISTERED)
    wf.judge_ours(people, "counter1", number, department="quality", customer_told=True,
                  handling_due=(NOW + timedelta(days=2)).isoformat())
    wf.dispatch(people, "sup1", number, handler="hq")
    c = complaint(people, number)
    assert c.investigation_due == c.handling_due == c.due_at


def test_investigation_clock_warns_the_handler(people, clock):  # noqa: F811
    number = drive_to(people, S.INVESTIGATING)  # due Friday 10:00, 96 h of clock time
    clock.now = NOW + timedelta(hours=80)  # 83 % of the investigation clock, 10 % of handling
    alerts = [a for a in give_alerts(people, "admin1") if a.number == number]
    assert [a.kind for a in alerts] == ["at-risk"]
    assert "部门调查" in alerts[0].text and alerts[0].recipients[0] == "hq"
    assert deadline_states_of(people, "hq") == {number: "at-risk"}
    assert give_alerts(people, "admin1") == []  # once
    clock.now = NOW + timedelta(hours=97)
    assert [a.kind for a in give_alerts(people, "admin1") if a.number == number] == ["overdue"]


# ----------------------------------------------------------------- pause and resume

def test_pause_needs_a_reason_and_an_accepted_complaint(people, clock):  # noqa: F811
    registered = drive_to(people, S.REGISTERED)
    with pytest.raises(PermissionDenied, match="须先判定责任才能暂停计时"):
        pauses.pause(people, "counter1", registered, reason="等客户发票")
    number = drive_to(people, S.DRAFTING)
    for blank in ("", "   ", "\u3000"):
        with pytest.raises(ValidationFailed, match="暂停原因"):
            pauses.pause(people, "counter1", number, reason=blank)
    with pytest.raises(PermissionDenied, match="计时没有暂停"):
        pauses.resume(people, "counter1", number)
    with pytest.raises(PermissionDenied):
        pauses.pause(people, "admin1", number, reason="等客户发票")
    pauses.pause(people, "hq", number, reason="  等待客户补交购货凭证  ")
    c = complaint(people, number)
    assert c.paused_at is not None and c.pause_reason == "等待客户补交购货凭证"
    assert [clk.state(NOW + timedelta(days=30), 0.75) for clk in clocks(as_row(c))] == ["paused"]
    with pytest.raises(PermissionDenied, match="已在暂停计时中"):
        pauses.pause(people, "counter1", number, reason="再停一次")
    event = audit_rows(people)[-1]
    assert event["action"] == "workflow.pause" and json.loads(event["detail"]) == {
        "reason": "等待客户补交购货凭证"}


def test_a_pause_over_a_weekend_moves_a_working_day_deadline_by_the_working_time_lost(
        people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING)  # 一般: 7 working days from Monday 23 10:00
    due = complaint(people, number).handling_due
    assert _local(due) == datetime(2026, 12, 2, 10, 0, tzinfo=ZONE)
    clock.now = datetime(2026, 11, 27, 10, 0, tzinfo=ZONE)  # Friday
    pauses.pause(people, "counter1", number, reason="客户出差，下周一再联系")
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=ZONE)  # Monday: one working day lost
    pauses.resume(people, "counter1", number)
    c = complaint(people, number)
    assert _local(c.handling_due) == datetime(2026, 12, 3, 10, 0, tzinfo=ZONE)
    assert c.due_at == c.handling_due and c.paused_at is None and c.pause_reason is None
    assert c.paused_minutes == 3 * 24 * 60  # the clock time, for the 统计表
    detail = json.loads(audit_rows(people)[-1]["detail"])
    assert detail["how"] == "手动恢复" and detail["paused_minutes"] == 3 * 24 * 60


def test_a_pause_moves_a_clock_time_deadline_by_its_length(people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING, priority="紧急")  # 24 h on the clock
    due = complaint(people, number).handling_due
    clock.now = NOW + timedelta(hours=2)
    pauses.pause(people, "counter1", number, reason="等客户拍照")
    clock.now = NOW + timedelta(hours=7, minutes=30)
    pauses.resume(people, "counter1", number)
    c = complaint(people, number)
    assert c.handling_due == due + timedelta(hours=5, minutes=30)
    assert c.paused_minutes == 330


def test_a_paused_investigation_moves_the_department_deadline_too(people, clock):  # noqa: F811
    number = drive_to(people, S.INVESTIGATING)
    before = complaint(people, number)
    clock.now = NOW + timedelta(hours=1)
    pauses.pause(people, "hq", number, reason="等客户寄回样品")
    clock.now = NOW + timedelta(days=1, hours=1)  # Tuesday: one working day
    pauses.resume(people, "hq", number)
    after = complaint(people, number)
    assert _local(after.investigation_due) == _local(before.investigation_due) + timedelta(days=3)
    # (Friday 10:00 + one working day → Monday 10:00.)


def test_the_customers_answer_resumes_and_the_on_time_count_leaves_the_pause_out(
        people, clock):  # noqa: F811
    number = drive_to(people, S.INFORMED, priority="紧急")  # handling due in 24 h
    clock.now = NOW + timedelta(hours=1)
    pauses.pause(people, "counter1", number, reason="客户未接电话，等待回电")
    clock.now = NOW + timedelta(hours=31)  # 30 h paused; without the pause 7 h late
    before = last_audit_id(people)
    wf.record_customer_opinion(people, "counter1", number, agreed=True, opinion="同意")
    events = audit_rows(people, before)
    assert [e["action"] for e in events] == ["workflow.resume", "workflow.customer_agrees"]
    assert json.loads(events[0]["detail"])["how"] == "客户再次联系"
    c = complaint(people, number)
    assert c.status == S.REVISIT.value and c.paused_at is None
    assert c.resolution_late == 0 and c.paused_minutes == 30 * 60
    assert c.handling_minutes == 60  # 31 h received → resolved, less 30 h paused


def test_a_new_complaint_from_the_same_customer_resumes(people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING)
    other = drive_to(people, S.DRAFTING, contact="13900001111", customer_name="另一位")
    pauses.pause(people, "counter1", number, reason="等待客户补充材料")
    pauses.pause(people, "counter1", other, reason="等待客户补充材料")
    clock.now = NOW + timedelta(hours=3)
    version = complaint(people, number).version
    new = register(people, "counter1").number  # the same contact as the first
    c = complaint(people, number)
    assert c.paused_at is None and c.version == version + 1 and c.paused_minutes == 180
    resumed = [e for e in audit_rows(people) if e["action"] == "workflow.resume"]
    assert len(resumed) == 1 and new in json.loads(resumed[0]["detail"])["how"]
    assert complaint(people, other).paused_at is not None  # somebody else's stays paused


def test_paused_complaints_are_neither_amber_nor_red(people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING, priority="紧急")
    pauses.pause(people, "counter1", number, reason="等待客户补交照片")
    clock.now = NOW + timedelta(days=3)
    assert [a for a in give_alerts(people, "admin1") if a.number == number] == []
    assert number not in deadline_states_of(people, "hq")
    pauses.resume(people, "counter1", number)  # 72 h moved on: 24 h left of 24
    assert [a for a in give_alerts(people, "admin1") if a.number == number] == []


def test_stale_pause_is_refused(people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING)
    loaded = complaint(people, number).version
    pauses.pause(people, "counter1", number, reason="等客户", expected_version=loaded)
    with pytest.raises(wf.StaleEdit):
        pauses.resume(people, "hq", number, expected_version=loaded)
    pauses.resume(people, "hq", number, expected_version=loaded + 1)


def test_clocks_of_each_stage(people, clock):  # noqa: F811
    assert _kinds(people, drive_to(people, S.REGISTERED)) == ["first_response"]
    assert _kinds(people, drive_to(people, S.ACCEPTED)) == ["handling"]
    assert _kinds(people, drive_to(people, S.REVISIT)) == ["revisit"]
    assert _kinds(people, drive_to(people, S.CLOSED)) == []


def test_investigation_limit_from_the_config(tmp_path, store_location, clock):  # noqa: F811
    path = tmp_path / "c.toml"
    path.write_text("timezone = \"Asia/Shanghai\"\n[deadlines.general]\nfirst_response_hours = 48\n"
                    "resolution_working_days = 7\ninvestigation_hours = 6\n", encoding="utf-8")
    from complaintdesk.domain.config import load_config
    config = load_config(path)
    desk = open_desk(store_location, config=config, clock=clock)
    try:
        add_people(desk)
        number = drive_to(desk, S.INVESTIGATING)
        assert complaint(desk, number).investigation_due == (NOW + timedelta(hours=6))
    finally:
        desk.close()
    assert DeskConfig().limits  # the defaults hold an investigation limit per priority


# ----------------------------------------------------------------- the 统计表

def test_the_statistics_report_paused_time_and_leave_it_out(people, clock):  # noqa: F811
    from complaintdesk.reports.figures import build_report, parse_period
    from complaintdesk.reports.output import PAUSE_NOTE, render_table, summary_dict

    resumed = drive_to(people, S.INFORMED, priority="紧急")          # 24 h on the clock
    waiting = drive_to(people, S.DRAFTING, priority="紧急", contact="13700001111")
    late = drive_to(people, S.DRAFTING, priority="紧急", contact="13600001111")
    clock.now = NOW + timedelta(hours=1)
    pauses.pause(people, "counter1", resumed, reason="等待客户回电")
    pauses.pause(people, "counter1", waiting, reason="等待客户寄回商品")
    clock.now = NOW + timedelta(hours=11)
    wf.record_customer_opinion(people, "counter1", resumed, agreed=True, opinion="同意")
    clock.now = NOW + timedelta(hours=30)  # all three past their first 24 h
    report = build_report(people, parse_period("2026-11", people.config.timezone))
    assert (report.paused, report.paused_now) == (2, 1)
    assert report.paused_hours == pytest.approx(10 + 29)  # 10 h finished, 29 h running
    # On time: the resumed one (accepted within 24 h of clock time less its pause);
    # late: only the one never paused; the one paused now is not counted yet.
    assert (report.resolution.on_time, report.resolution.late) == (1, 1)
    assert report.handling_hours_avg == pytest.approx(1)  # 11 h less 10 h paused
    text = "\n".join(render_table(report, None, people))
    assert "2 件，共 39.0 小时（其中 1 件暂停中）" in text and PAUSE_NOTE in text
    assert summary_dict(report, people)["paused"]["complaints"] == 2
    assert late  # (registered to be late)


# ----------------------------------------------------------------- edges (review)

def test_judged_again_after_a_revisit_the_first_response_clock_runs_anew(people, clock):  # noqa: F811
    from complaintdesk.process import revisits

    number = register(people, "counter1", priority="major").number
    wf.judge_not_ours(people, "counter1", number, explanation="运输问题", agreement_method="柜台")
    clock.now = NOW + timedelta(days=20)  # long after the registration's first-response deadline
    revisits.record_revisit(people, "counter1", number, method="wechat", reached=True,
                            attitude="基本满意", result="不满意", comment="不认可解释")
    c = complaint(people, number)
    [first] = clocks(as_row(c))
    assert first.kind == "first_response" and first.due == c.due_at
    assert first.state(clock.now, 0.75) == ""  # 24 h ahead again: neither amber nor red
    assert number not in deadline_states_of(people, "counter1")
    assert [a for a in give_alerts(people, "admin1") if a.number == number and
            a.kind in ("overdue", "at-risk")] == []
    [row] = [r for r in people.store.queue(people).page(0, 50) if r.number == number]
    assert clock_state(row, clock.now, 0.75) == ""  # the queue's colour says the same
    clock.now += timedelta(hours=19)  # 79 % of the new 24 h
    assert deadline_states_of(people, "counter1") == {number: "at-risk"}
    [row] = [r for r in people.store.queue(people).page(0, 50) if r.number == number]
    assert clock_state(row, clock.now, 0.75) == "at-risk"
    assert [a.kind for a in give_alerts(people, "admin1") if a.number == number] == ["at-risk"]


def test_an_overdue_clock_is_not_paused(people, clock):  # noqa: F811
    number = drive_to(people, S.DRAFTING, priority="紧急")  # 24 h
    clock.now = NOW + timedelta(hours=25)
    with pytest.raises(PermissionDenied, match="处理期限已过，不能暂停计时"):
        pauses.pause(people, "counter1", number, reason="等客户")
    assert complaint(people, number).paused_at is None


def test_dispatched_while_paused_the_investigation_moves_only_by_the_time_after(people, clock):  # noqa: F811
    number = drive_to(people, S.ACCEPTED, priority="紧急")  # clock-time limits: easy sums
    pauses.pause(people, "counter1", number, reason="等客户补材料")
    clock.now = NOW + timedelta(hours=4)
    wf.dispatch(people, "sup1", number, handler="hq")  # investigation due in 12 h
    due = complaint(people, number).investigation_due
    clock.now = NOW + timedelta(hours=6)
    pauses.resume(people, "counter1", number)
    assert complaint(people, number).investigation_due == due + timedelta(hours=2)


def test_merging_a_paused_duplicate_ends_its_pause(people, clock):  # noqa: F811
    from complaintdesk.process.duplicates import merge_into
    from complaintdesk.reports.figures import build_report, parse_period

    original = drive_to(people, S.ACCEPTED)
    dup = drive_to(people, S.ACCEPTED)
    pauses.pause(people, "counter1", dup, reason="等客户")
    clock.now = NOW + timedelta(hours=2)
    merge_into(people, "sup1", dup, original, reason="同一事项重复登记")
    c = complaint(people, dup)
    assert c.closed and c.paused_at is None and c.paused_minutes == 120
    clock.now = NOW + timedelta(days=3)
    report = build_report(people, parse_period("2026-11", people.config.timezone))
    assert report.paused_now == 0


def test_a_resume_never_moves_a_deadline_back():
    from complaintdesk.domain.clocks import resumed

    due = datetime(2026, 12, 1, 10, 0, tzinfo=ZONE)
    row = {"paused_at": NOW + timedelta(hours=2), "pause_reason": "x", "handling_due": due,
           "resolution_due": due, "investigation_due": None, "paused_minutes": 0,
           "status": "drafting", "closed": False, "first_response_at": NOW,
           "received_at": NOW - timedelta(days=1), "first_response_due": NOW}
    config = DeskConfig()
    detail = resumed(row, at=NOW, limit=config.limits[Priority.URGENT].resolution,
                     calendar=config.calendar, how="手动恢复")
    assert row["handling_due"] == due and detail["paused_minutes"] == 0
