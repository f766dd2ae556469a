"""Pilot tests and snapshots of issue 16's console: P pauses and resumes the handling
clock, O gives the 部门经理意见 (its department's manager only), a plan above the
configured amount goes to the 分管领导 for the second approval; the record shows the
clocks (调查期限, 暂停计时). Snapshots at 80×24 and 120×40 with hostile text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from complaintdesk.domain.config import Approval
from complaintdesk.process import pauses, staffing
from complaintdesk.process import workflow as wf
from complaintdesk.process.approvals import give_manager_opinion
from screens.case.record_screen import ComplaintRecordScreen
from screens.widgets.form_dialog import FormDialog

from tests.screens.screen_helpers import make_app, register, settle, type_text
from tests.screens.test_screens_merge import open_record
from tests.screens.test_snapshots import SIZES, no_blink

SHEET = dict(result="退货并补发 [b]三只[/b] 玻璃杯", receiver_opinion="同意 [@click=app.quit]x[/]",
             method="compensation", loss_amount="8000", product="玻璃杯", quantity="3")


@pytest.fixture
def staffed(desk, admin, counter):  # type: ignore[no-untyped-def]
    """A desk whose plans above ¥5,000 need the 分管领导's second approval, with a
    handler, a manager of the quality department, two supervisors and a leader."""
    desk.config = replace(desk.config, approval=Approval(second_above_cents=5000_00))
    for login, name, role, dept in (("handler1", "质检老刘", "handler", "quality"),
                                    ("mgr1", "质量部经理 [b]王[/b]", "handler", "quality"),
                                    ("super1", "主管张", "supervisor", None),
                                    ("lead1", "分管领导 [red]李[/]", "leader", None)):
        staffing.add_staff(desk, admin.login, login, name, role, dept)
    staffing.set_manager(desk, admin.login, "mgr1", True)
    return desk


def _drafting(desk, counter: str, hostile_text: str, sheet: bool = True) -> str:  # type: ignore[no-untyped-def]
    n = register(desk, counter, customer_name=hostile_text[:60], event=hostile_text).number
    wf.judge_ours(desk, counter, n, department="quality", customer_told=True)
    wf.dispatch(desk, "super1", n, handler="handler1")
    wf.record_investigation(desk, "handler1", n, dict(
        facts="破损", root_cause="包装", finding="我方", report="报告", evidence=[]))
    if sheet:
        wf.save_sheet(desk, "handler1", n, SHEET)
    return n


# ----------------------------------------------------------------- pause and resume

async def test_pause_and_resume_by_keys(staffed, counter, hostile_text):
    number = _drafting(staffed, counter, hostile_text)
    app = make_app(staffed, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, number, "p")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("ctrl+s")  # no reason: refused, the dialog stays with the message
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert "暂停原因" in str(app.screen.query_one(".form-dialog-error").render())
        await type_text(pilot, "等待客户补交购货凭证")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
        labels = [str(label.render()) for label in app.screen.query(".rv-label")]
        assert "暂停计时" in labels
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog) and "恢复计时" in app.screen.title_text
        await pilot.press("1", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
    c = wf.get_handling(staffed, number).complaint
    assert c.paused_at is None and c.pause_reason is None


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_pause_dialog(snap_compare, staffed, counter, hostile_text, size):
    number = _drafting(staffed, counter, hostile_text)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_record(pilot, number, "p")
        await type_text(pilot, "等客户 [b]回电[/b]")
        await no_blink(pilot)

    assert snap_compare(make_app(staffed, counter), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_record_of_a_paused_investigation(snap_compare, staffed, counter, hostile_text, size):
    """调查期限 and 暂停计时 with its hostile reason, the clocks' words literal (a short
    event, so that the clocks are on screen at 80×24)."""
    n = register(staffed, counter, customer_name=hostile_text[:60], event="停水 [b]三小时[/b]",
                 demand="赔偿").number
    wf.judge_ours(staffed, counter, n, department="quality", customer_told=True)
    wf.dispatch(staffed, "super1", n, handler="handler1")
    pauses.pause(staffed, "handler1", n, reason="等客户寄回样品 [b]x[/b] $name")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_record(pilot, n)
        await no_blink(pilot)

    assert snap_compare(make_app(staffed, "handler1"), terminal_size=size, run_before=run_before)


# ----------------------------------------------------------------- 部门经理意见

async def test_the_manager_signs_by_keys_others_see_o_dimmed(staffed, counter, hostile_text):
    number = _drafting(staffed, counter, hostile_text)
    app = make_app(staffed, "handler1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, number)
        assert app.screen.disabled_reason("step", ("manager",)) == \
            "只有质量管理部的部门经理可以填写部门经理意见"
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)  # no dialog
    app = make_app(staffed, "mgr1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, number, "o")
        assert isinstance(app.screen, FormDialog)
        await type_text(pilot, "同意 质量部负责补发")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
    sheet = wf.get_handling(staffed, number).sheet
    assert (sheet.manager_opinion, sheet.manager_opinion_by) == ("同意 质量部负责补发", "mgr1")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_manager_opinion_dialog(snap_compare, staffed, counter, hostile_text, size):
    number = _drafting(staffed, counter, hostile_text)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_record(pilot, number, "o")
        await type_text(pilot, "同意 [b]补发[/b]")
        await no_blink(pilot)

    assert snap_compare(make_app(staffed, "mgr1"), terminal_size=size, run_before=run_before)


# ----------------------------------------------------------------- two approvals

async def test_a_large_plan_goes_to_the_leader_after_the_supervisor(staffed, counter,
                                                                    hostile_text):
    number = _drafting(staffed, counter, hostile_text)
    give_manager_opinion(staffed, "mgr1", number, opinion="同意")
    wf.submit_sheet(staffed, "handler1", number, SHEET, sheet_version=1)
    app = make_app(staffed, "lead1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, number)
        assert app.screen.disabled_reason("step", ("decide",)) == "只有主管可以审批处理方案"
    app = make_app(staffed, "super1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, number, "v")
        assert isinstance(app.screen, FormDialog) and "一级审批" in app.screen.title_text
        await type_text(pilot, "同意 报分管领导")  # (the cursor waits in the 实施意见)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert wf.get_handling(staffed, number).complaint.status == "pending_approval"
    assert wf.get_handling(staffed, number).sheet.first_decided_by == "super1"
    app = make_app(staffed, "lead1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("A")  # the approvals list: the leader's second approvals
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog) and "二级审批" in app.screen.title_text
        await type_text(pilot, "同意赔偿")
        await pilot.press("ctrl+s")
        await settle(pilot)
    sheet = wf.get_handling(staffed, number).sheet
    assert (sheet.state, sheet.first_decided_by, sheet.decided_by) == ("approved", "super1",
                                                                       "lead1")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_second_approval_dialog(snap_compare, staffed, counter, hostile_text, size):
    number = _drafting(staffed, counter, hostile_text)
    wf.submit_sheet(staffed, "handler1", number, SHEET, sheet_version=1)
    wf.approve_plan(staffed, "super1", number, opinion="同意 [b]报批[/b]")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_record(pilot, number, "v")
        await no_blink(pilot)

    assert snap_compare(make_app(staffed, "lead1"), terminal_size=size, run_before=run_before)
