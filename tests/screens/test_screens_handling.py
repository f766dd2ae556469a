"""Pilot tests: one complaint from registration to approval as three users."""

from __future__ import annotations

from textual.widgets import Input, Static, TextArea

from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from complaintdesk.process.complaints import get_complaint
from complaintdesk.domain.enums import Status
from screens.approvals.pending_screen import ApprovalsScreen
from screens.widgets.choice_bar import ChoiceBar
from screens.case.record_screen import ComplaintRecordScreen
from screens.widgets.form_dialog import FormDialog
from screens.case.conflict import ConflictDialog
from screens.widgets.dialogs import KeptInputDialog
from screens.case.sheet_editor import SheetEditorScreen
from screens.widgets.virtual_table import VirtualTable

from tests.screens.screen_helpers import make_app, register, settle, type_text


def status_of(desk, number: str) -> Status:  # type: ignore[no-untyped-def]
    return Status(get_complaint(desk, number).complaint.status)


async def open_record(pilot, number: str) -> ComplaintRecordScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.open_complaint(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComplaintRecordScreen)
    return screen


def footer_state(screen: ComplaintRecordScreen, step: str) -> bool | None:
    return screen.check_action("step", (step,))


def staff(desk, admin) -> None:  # type: ignore[no-untyped-def]
    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "quality")
    staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")


async def test_registration_to_approval_as_three_users(desk, admin):
    staff(desk, admin)
    complaint = register(desk, "counter1")
    number = complaint.number

    # 1. The counter clerk judges responsibility: ours, quality, customer told.
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, number)
        assert footer_state(screen, "decide") is None  # dimmed: not a supervisor
        await pilot.press("j")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#f-finding", ChoiceBar).value = "ours"
        dialog.query_one("#f-department", ChoiceBar).value = "quality"
        dialog.query_one("#f-customer_told", ChoiceBar).value = "yes"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert status_of(desk, number) is Status.ACCEPTED

    # 2. The supervisor dispatches to the quality department's handler.
    app = make_app(desk, "super1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, number)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("1", "ctrl+s")
        await settle(pilot)
    assert status_of(desk, number) is Status.INVESTIGATING

    # 3. The handler records the investigation and drafts and submits the sheet.
    app = make_app(desk, "handler1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, number)
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        for name, text in (("facts", "三只杯子破损属实"), ("root_cause", "包装缓冲不足"),
                           ("evidence", "照片|外包装破损|/srv/p/1.jpg"), ("finding", "我方责任"),
                           ("report", "建议退货并改进包装")):
            dialog.query_one(f"#f-{name}", TextArea).text = text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert status_of(desk, number) is Status.DRAFTING
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, SheetEditorScreen)
        editor.query_one("#result", TextArea).text = "同意退货，补发新品"
        editor.query_one("#receiver_opinion", TextArea).text = "同意"
        editor.query_one("#loss_amount", Input).value = "1,234.5"
        await pilot.press("ctrl+u")  # submit without a method: refused, input kept
        await settle(pilot)
        assert isinstance(app.screen, SheetEditorScreen)
        assert editor.query_one("#result", TextArea).text == "同意退货，补发新品"
        editor.query_one("#method", ChoiceBar).value = "return"
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
    assert status_of(desk, number) is Status.PENDING_APPROVAL

    # A counter clerk sees the approve key dimmed, with the reason on screen.
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, number)
        assert footer_state(screen, "decide") is None
        assert "只有主管可以审批处理方案" in str(screen.query_one("#record-steps", Static).render())
        await pilot.press("v")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)
    assert status_of(desk, number) is Status.PENDING_APPROVAL

    # 4. The supervisor finds it on the approvals list and approves.
    app = make_app(desk, "super1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert app.screen.query_one(VirtualTable).cursor_key == number
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComplaintRecordScreen)
        assert footer_state(screen, "decide") is True
        await pilot.press("v")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("#f-decision", ChoiceBar).value = "approve"
        dialog.query_one("#f-text", TextArea).text = "按方案执行，三日内补发"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert status_of(desk, number) is Status.APPROVED
    handling = wf.get_handling(desk, number)
    assert handling.sheet is not None and handling.sheet.loss_cents == 123450
    assert handling.sheet.decided_by == "super1"


async def test_refused_step_reopens_the_form_with_the_input(desk, admin):
    staff(desk, admin)
    number = register(desk, "counter1").number
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, number)
        await pilot.press("j")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("#f-finding", ChoiceBar).value = "not_ours"
        await type_text(pilot, "")
        await pilot.press("ctrl+s")  # no explanation, no agreement method
        await settle(pilot)
        again = app.screen
        assert isinstance(again, FormDialog)
        assert "必填" in str(again.query_one(".form-dialog-error").render())
        assert again.query_one("#f-finding", ChoiceBar).value == "not_ours"
    assert status_of(desk, number) is Status.REGISTERED


async def test_two_people_one_sheet_second_save_is_refused(desk, admin):
    staff(desk, admin)
    staffing.add_staff(desk, admin.login, "super2", "主管李", "supervisor")
    number = register(desk, "counter1").number
    wf.judge_ours(desk, "counter1", number, department="quality", customer_told=True)
    wf.dispatch(desk, "super1", number, handler="handler1")
    wf.record_investigation(desk, "handler1", number, dict(facts="f", root_cause="r",
                                                           finding="x", report="y"))
    wf.save_sheet(desk, "handler1", number, dict(result="初稿"))
    app = make_app(desk, "handler1")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_record(pilot, number)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, SheetEditorScreen)
        # Meanwhile a supervisor saves the same sheet from another console.
        wf.save_sheet(desk, "super2", number, dict(result="主管改过的方案"), sheet_version=1)
        editor.query_one("#result", TextArea).text = "我的修改"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Both versions side by side; Esc goes back to editing with my text.
        assert isinstance(app.screen, ConflictDialog)
        shown = {(label, mine, theirs) for label, mine, theirs in app.screen.differences}
        assert ("投诉处理结果", "我的修改", "主管改过的方案") in shown
        assert "主管李" in app.screen.message and "保留" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#result", TextArea).text == "我的修改"
        assert wf.get_handling(desk, number).sheet.result == "主管改过的方案"
        # Saving again compares again; M saves mine over the newer version.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("m")
        await settle(pilot)
        assert app.screen is editor
    sheet = wf.get_handling(desk, number).sheet
    assert (sheet.result, sheet.version) == ("我的修改", 3)


async def test_a_conflict_can_take_the_other_version(desk, admin):
    """T loads the colleague's version into the editor; nothing is saved by it."""
    staff(desk, admin)
    number = register(desk, "counter1").number
    wf.judge_ours(desk, "counter1", number, department="quality", customer_told=True)
    wf.dispatch(desk, "super1", number, handler="handler1")
    wf.record_investigation(desk, "handler1", number, dict(facts="f", root_cause="r",
                                                           finding="x", report="y"))
    app = make_app(desk, "handler1")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_record(pilot, number)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, SheetEditorScreen) and editor.sheet_version is None
        # The same login saves a first version from another session.
        wf.save_sheet(desk, "handler1", number, dict(result="另一窗口的稿"))
        editor.query_one("#result", TextArea).text = "这里的稿"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert "另一个会话" in app.screen.message
        await pilot.press("t")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#result", TextArea).text == "另一窗口的稿"
        assert editor.sheet_version == 1
    assert wf.get_handling(desk, number).sheet.result == "另一窗口的稿"


async def test_a_step_a_colleague_did_meanwhile_shows_what_was_typed(desk, admin):
    """Two handlers' consoles record the same investigation; the second can no
    longer do the step, so no form reopens — but her text is shown, not dropped."""
    staff(desk, admin)
    number = register(desk, "counter1").number
    wf.judge_ours(desk, "counter1", number, department="quality", customer_told=True)
    wf.dispatch(desk, "super1", number, handler="handler1")
    app = make_app(desk, "handler1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, number)
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        for name, text in (("facts", "我核实的事实"), ("root_cause", "我找的原因"),
                           ("finding", "我方责任"), ("report", "我的报告")):
            dialog.query_one(f"#f-{name}", TextArea).text = text
        # Meanwhile the same handler records it from another session.
        wf.record_investigation(desk, "handler1", number, dict(
            facts="另一窗口", root_cause="r", finding="我方", report="y"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KeptInputDialog)
        shown = dict(app.screen.typed)
        assert "我核实的事实" in shown.values() and "我的报告" in shown.values()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, KeptInputDialog)
