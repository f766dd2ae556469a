"""Pilot tests of the revisit (回访): the list, the form from the list and from the
record, closing, reopening, retrying and closing as unreachable."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Label, Static, TextArea

from complaintdesk.process import revisits
from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from complaintdesk.process.complaints import get_complaint
from complaintdesk.domain.enums import Status
from screens.widgets.choice_bar import ChoiceBar
from screens.messages import DataChanged
from screens.case.record_screen import ComplaintRecordScreen
from screens.widgets.dialogs import KeptInputDialog
from screens.widgets.form_dialog import FormDialog
from screens.worklist.queue_screen import QueueScreen
from screens.callbacks.due_screen import RevisitsScreen
from screens.widgets.virtual_table import VirtualTable

from tests.screens.screen_helpers import make_app, register, settle


def failed_calls(desk, number: str, who: str, days: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Failed calls on the given days from today (they count once per day), made
    from another console whose clock is that day."""
    from complaintdesk.process.desk import open_desk

    now = desk.now()
    for day in days:
        other = open_desk(desk.store.path, config=desk.config,
                          clock=lambda day=day: now + timedelta(days=day))
        try:
            revisits.record_revisit(other, who, number, method="电话", reached=False)
        finally:
            other.close()


def staff(desk, admin) -> None:  # type: ignore[no-untyped-def]
    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "quality")
    staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")


def ours_to_revisit(desk, **changes: object) -> str:  # type: ignore[no-untyped-def]
    """Register a complaint and handle it (ours, quality) until the customer agrees."""
    n = register(desk, "counter1", **changes).number
    wf.judge_ours(desk, "counter1", n, department="quality", customer_told=True)
    wf.dispatch(desk, "super1", n, handler="handler1")
    wf.record_investigation(desk, "handler1", n, dict(facts="破损属实", root_cause="包装",
                                                      finding="我方", report="退货"))
    wf.submit_sheet(desk, "handler1", n, dict(result="退货并补发", receiver_opinion="同意",
                                              method="return", loss_amount="30"))
    wf.approve_plan(desk, "super1", n, opinion="按方案执行")
    wf.inform_customer(desk, "counter1", n, how="phone")
    wf.record_customer_opinion(desk, "counter1", n, agreed=True, opinion="同意，已签字")
    return n


def not_ours_to_revisit(desk, days_ago: int = 0,  # type: ignore[no-untyped-def]
                        **changes: object) -> str:
    """A complaint judged not ours ``days_ago`` days ago (its revisit due 7 days after)."""
    n = register(desk, "counter1", **changes).number
    clock = desk.clock
    then = clock() - timedelta(days=days_ago)
    desk.clock = lambda: then
    try:
        wf.judge_not_ours(desk, "counter1", n, explanation="物流公司负责", agreement_method="电话")
    finally:
        desk.clock = clock
    return n


def status_of(desk, number: str) -> Status:  # type: ignore[no-untyped-def]
    return Status(get_complaint(desk, number).complaint.status)


def shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(VirtualTable)
    rows = [table.row_at(i) for i in range(table.row_count)]
    return [r.key for r in rows if r is not None]


def status_line(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#revisits-status", Label).render())


async def open_list(pilot) -> RevisitsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RevisitsScreen)
    return screen


async def fill_revisit(pilot, **values: str | None) -> FormDialog:  # type: ignore[no-untyped-def]
    """Press H, set the form's choices and comment (None clears a choice the form
    starts with: 电话, 联系上); the dialog (not yet submitted)."""
    await pilot.press("h")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, FormDialog)
    for name, value in values.items():
        if name == "comment":
            dialog.query_one("#f-comment", TextArea).text = value
        else:
            dialog.query_one(f"#f-{name}", ChoiceBar).value = value
    return dialog


async def test_due_revisits_listed_earliest_first_overdue_marked(desk, admin):
    staff(desk, admin)
    ours = ours_to_revisit(desk, customer_name="昨天处理完的客户")
    overdue = not_ours_to_revisit(desk, days_ago=9, customer_name="早该回访的客户")
    register(desk, "counter1")  # still being handled: not on the list
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        assert shown(app) == [overdue, ours]
        assert "待回访 2 件，其中超期 1 件" in status_line(app)
        table = screen.query_one(VirtualTable)
        first, second = table.row_at(0), table.row_at(1)
        assert first.tag == "overdue" and first.cells[-1].startswith("超")
        assert second.tag == "" and second.cells[-1] == "剩7天0时"
        assert first.cells[2] == "138****5678"  # contact masked as in the queue
        assert first.cells[4] == "非我方责任" and second.cells[4] == "质量管理部"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen) and app.screen.number == ours
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_satisfied_revisit_from_the_list_closes_it(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        dialog = await fill_revisit(pilot, method="phone", reached="yes", attitude="satisfied",
                                    result="basic")
        assert "13812345678" in str(dialog.query_one(".dialog-body").render())  # whom to call
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RevisitsScreen)
        assert shown(app) == []
        assert "没有待回访的投诉" in status_line(app)
    assert status_of(desk, number) is Status.CLOSED
    [visit] = revisits.revisits_of(desk, get_complaint(desk, number).complaint.id)
    assert (visit.method, visit.attitude, visit.result, visit.outcome) == (
        "phone", "satisfied", "basic", "closed")


async def test_dissatisfied_revisit_puts_it_back_in_the_queue(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        await fill_revisit(pilot, method="wechat", reached="yes", attitude="basic",
                           result="dissatisfied", comment="补发的杯子又碎了 [b]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert shown(app) == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert number in shown(app)
        row = app.screen.query_one(VirtualTable).row_at(shown(app).index(number))
        assert row.cells[2] == "二次处理"
        app.open_complaint(number)
        await settle(pilot)
        text = str(app.screen.query_one("#record-revisits", Static).render())
        assert "回访不满意重新处理 1 次" in text
        assert "不满意，重新处理" in text and "补发的杯子又碎了 [b]" in text
    assert status_of(desk, number) is Status.SECOND_ROUND


async def test_unreached_counts_the_attempt_and_reschedules(desk, admin, frozen_now):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        await fill_revisit(pilot, method="phone", reached="no", comment="无人接听")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert shown(app) == [number]
        row = screen.query_one(VirtualTable).row_at(0)
        assert row.cells[5] == "1次" and row.cells[-1] == "剩1天0时"
    c = get_complaint(desk, number).complaint
    assert (c.status, c.revisit_attempts) == ("revisit", 1)
    assert c.revisit_due == frozen_now + timedelta(days=1)


async def test_close_unreached_dimmed_until_enough_failed_calls(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_complaint(number)
        await settle(pilot)
        record = app.screen
        assert isinstance(record, ComplaintRecordScreen)
        assert record.check_action("step", ("close_unreached",)) is None
        assert record.check_action("step", ("revisit",)) is True
        steps = str(record.query_one("#record-steps", Static).render())
        assert "须在 3 个不同的日子都无法联系后才能按无法联系结案" in steps
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)
        # Three failed calls on three days, from other consoles.
        failed_calls(desk, number, "super1", [0, 1, 2])
        record.refresh_data()
        await settle(pilot)
        assert record.check_action("step", ("close_unreached",)) is True
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#f-comment", TextArea).text = "三次电话无人接听，号码已停机"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is record
        history = str(record.query_one("#record-revisits", Static).render())
        assert history.count("未联系上，已约下次回访") == 3 and "主管张" in history
    assert status_of(desk, number) is Status.CLOSED


async def test_close_unreached_on_the_list_follows_the_highlighted_row(desk, admin):
    staff(desk, admin)
    tried = not_ours_to_revisit(desk, days_ago=3)
    fresh = not_ours_to_revisit(desk)
    failed_calls(desk, tried, "counter1", [-2, -1, 0])
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        assert shown(app) == [tried, fresh]  # the retry is due tomorrow, fresh in 7 days
        assert screen.check_action("step", ("close_unreached",)) is True
        await pilot.press("down")
        await settle(pilot)
        assert screen.check_action("step", ("close_unreached",)) is None
        await pilot.press("w")
        await settle(pilot)
        assert app.screen is screen  # refused: no form
        await pilot.press("up", "w")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert shown(app) == [fresh]
    assert status_of(desk, tried) is Status.CLOSED


async def test_a_handler_sees_the_revisit_keys_dimmed(desk, admin):
    staff(desk, admin)
    not_ours_to_revisit(desk)
    app = make_app(desk, "handler1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        assert screen.check_action("step", ("revisit",)) is None
        await pilot.press("h")
        await settle(pilot)
        assert app.screen is screen


async def test_missing_method_shows_the_error_and_keeps_the_input(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        await fill_revisit(pilot, method=None, reached="yes", attitude="dissatisfied",
                           result="satisfied", comment="态度很差")
        await pilot.press("ctrl+s")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, FormDialog)
        assert "回访方式：请选择" in str(again.query_one(".form-dialog-error").render())
        assert again.query_one("#f-attitude", ChoiceBar).value == "dissatisfied"
        assert again.query_one("#f-comment", TextArea).text == "态度很差"
        await pilot.press("escape")  # cancel: the draft is kept for next time
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.query_one("#f-comment", TextArea).text == "态度很差"
        app.screen.query_one("#f-method", ChoiceBar).value = "onsite"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RevisitsScreen)
    assert status_of(desk, number) is Status.SECOND_ROUND


async def test_closed_meanwhile_by_another_console_is_said_not_retried(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_list(pilot)
        await fill_revisit(pilot, method="phone", reached="yes", attitude="dissatisfied",
                           result="dissatisfied", comment="还是坏的")
        revisits.record_revisit(desk, "super1", number, method="onsite", reached=True,
                                attitude="满意", result="满意")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # No form to retry in vain: the reason and what was typed, then the list.
        assert isinstance(app.screen, KeptInputDialog)
        assert "主管张" in app.screen.message and "保留" in app.screen.message
        assert "还是坏的" in dict(app.screen.typed).values()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RevisitsScreen)
        assert shown(app) == []
    assert status_of(desk, number) is Status.CLOSED


async def test_a_reached_phone_call_is_the_form_s_start(desk, admin):
    """h opens the form with 电话 and 联系上 chosen and the focus on 对处理态度:
    a satisfied call is 1, Tab, 1, Ctrl+S."""
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        await pilot.press("h")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        assert dialog.focused is dialog.query_one("#f-attitude", ChoiceBar)
        await pilot.press("1", "tab", "1", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RevisitsScreen)
    assert status_of(desk, number) is Status.CLOSED


async def test_reached_not_chosen_is_asked_for(desk, admin):
    staff(desk, admin)
    number = ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        await fill_revisit(pilot, method="phone", reached=None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert "是否联系上" in str(app.screen.query_one(".form-dialog-error").render())
    assert status_of(desk, number) is Status.REVISIT


async def test_live_refresh_keeps_the_cursor_on_the_same_complaint(desk, admin):
    staff(desk, admin)
    first = not_ours_to_revisit(desk, days_ago=2)
    second = not_ours_to_revisit(desk, days_ago=1)
    third = not_ours_to_revisit(desk)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        assert screen.query_one(VirtualTable).cursor_key == third
        # Another console closes the first one.
        revisits.record_revisit(desk, "super1", first, method="phone", reached=True,
                                attitude="满意", result="满意")
        app.post_message(DataChanged())
        await settle(pilot)
        assert shown(app) == [second, third]
        assert screen.query_one(VirtualTable).cursor_key == third
        assert "待回访 2 件" in status_line(app)


async def test_hostile_comment_shown_literally_on_the_record(desk, admin, hostile_text):
    staff(desk, admin)
    number = not_ours_to_revisit(desk, customer_name=hostile_text[:40])
    revisits.record_revisit(desk, "counter1", number, method="phone", reached=True,
                            attitude="不满意", result="满意", comment=hostile_text[:300])
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_complaint(number)
        await settle(pilot)
        text = str(app.screen.query_one("#record-revisits", Static).render())
        assert "[urgent] 客户说：[/b]" in text and "[@click=app.quit]x[/]" in text
        assert "不满意，重新处理" in text
    assert status_of(desk, number) is Status.REGISTERED  # not ours: judged again


async def test_the_revisit_list_reads_again_only_for_changes_it_can_show(desk, admin):
    """From another console: a new complaint (not due a revisit) and a note leave
    the list as it was, unread; a revisit recorded on one of its complaints takes
    that one off the list."""
    from complaintdesk.process.complaints import add_note
    from tests.screens.test_screens_queue import wait_until

    staff(desk, admin)
    first = not_ours_to_revisit(desk, days_ago=2)
    second = not_ours_to_revisit(desk, days_ago=1)
    app = make_app(desk, "counter1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(VirtualTable)
        generation = table._generation
        register(desk, "counter1", customer_name="新来的客户")
        add_note(desk, "counter1", second, "客户说下午再打")
        await pilot.pause(2.5)
        await settle(pilot)
        assert table._generation == generation and shown(app) == [first, second]
        revisits.record_revisit(desk, "super1", first, method="phone", reached=True,
                                attitude="满意", result="满意")
        assert await wait_until(pilot, lambda: shown(app) == [second])
        assert "待回访 1 件" in status_line(app)
