"""Pilot tests: a supervisor merges a duplicate into its original from the record
with the keyboard; others see the key dimmed with the reason."""

from __future__ import annotations

from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from screens.case.record_screen import ComplaintRecordScreen
from screens.widgets.form_dialog import FormDialog

from tests.screens.screen_helpers import make_app, register, settle, type_text


async def open_record(pilot, number: str, key: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """From the queue: the complaint's record, then ``key`` pressed on it."""
    await settle(pilot)
    pilot.app.open_complaint(number)
    await settle(pilot)
    if key is not None:
        await pilot.press(key)
        await settle(pilot)


def _staff(desk, admin) -> None:  # type: ignore[no-untyped-def]
    staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")


async def test_a_supervisor_merges_a_duplicate_by_keys(desk, admin, counter):
    _staff(desk, admin)
    original = register(desk, counter, customer_name="张三", contact="13800001111")
    dup = register(desk, counter, customer_name="张三", contact="138 0000 1111")
    app = make_app(desk, "super1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, dup.number, "m")
        assert isinstance(app.screen, FormDialog)
        await type_text(pilot, original.number[-4:])  # the end of the number is enough
        await pilot.press("tab")
        await type_text(pilot, "同一客户重复来电")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
    merged = wf.get_handling(desk, dup.number).complaint
    assert merged.status == "closed" and merged.merged_into_id is not None


async def test_a_counter_clerk_sees_the_merge_key_dimmed_with_why(desk, admin, counter):
    register(desk, counter)
    dup = register(desk, counter)
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, dup.number)
        screen = app.screen
        assert screen.check_action("merge", ()) is None  # shown dimmed
        assert screen.disabled_reason("merge", ()) == "只有客服主管可以合并重复投诉"
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)  # no dialog
    assert wf.get_handling(desk, dup.number).complaint.status == "registered"


async def test_a_counter_clerk_corrects_a_mistyped_name_by_keys(desk, admin, counter):
    """x opens the 更正 dialog filled with the record; the name retyped, a reason,
    Ctrl+S: corrected, and the timeline says what changed and why."""
    c = register(desk, counter, customer_name="张山", contact="13800001111")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, c.number, "x")
        assert isinstance(app.screen, FormDialog)
        # Everything is filled but the reason: the cursor waits there.
        assert app.screen.focused is app.screen.query_one("#f-reason")
        await type_text(pilot, "登记时姓名打错")
        app.screen.query_one("#f-customer_name").focus()
        await pilot.press("ctrl+u")  # the name's old text out
        await type_text(pilot, "张三")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
        timeline = str(app.screen.query_one("#record-timeline").render())
        assert "投诉客户名称：张山 → 张三（原因：登记时姓名打错）" in timeline
    assert wf.get_handling(desk, c.number).complaint.customer_name == "张三"


async def test_the_header_counts_my_amber_and_red_and_says_when_one_turns(store_location, frozen_now):
    """The clerk's own complaint, 83 % of its first-response time used: 预警 1 in the
    header; ten hours later it is past its deadline: 超时 1, and a notice says so."""
    from datetime import timedelta

    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk
    from tests.process.test_core_workflow import Clock

    clock = Clock(frozen_now)
    desk = open_desk(store_location, config=DeskConfig(timezone_name="Asia/Shanghai"), clock=clock)
    try:
        admin = staffing.sign_in(desk, "admin1", "管理员")
        staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
        c = register(desk, "counter1", priority="general",
                     received_at=(frozen_now - timedelta(hours=40)).isoformat())
        app = make_app(desk, "counter1")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.title == "客户投诉处理台 · 我的：预警 1 超时 0"
            assert not app._notifications  # what was amber at start is not announced
            clock.now = frozen_now + timedelta(hours=10)
            app._check_mine()
            await settle(pilot)
            assert app.title == "客户投诉处理台 · 我的：预警 0 超时 1"
            assert any(c.number in n.message and "已超过期限" in n.message
                       for n in app._notifications)
    finally:
        desk.close()


async def test_the_header_recounts_only_for_changes_to_my_complaints(store_location, frozen_now):
    """Another console registers an old complaint for me (amber at once): the
    header counts it from that change alone; one registered by a colleague for
    themself does not move my count (and costs my console no recount)."""
    from datetime import timedelta

    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk
    from tests.screens.test_screens_queue import wait_until

    desk = open_desk(store_location, config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=lambda: frozen_now)
    try:
        admin = staffing.sign_in(desk, "admin1", "管理员")
        staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
        staffing.add_staff(desk, admin.login, "counter2", "柜台小李", "counter")
        old = (frozen_now - timedelta(hours=40)).isoformat()
        register(desk, "counter1", priority="general", received_at=old)
        app = make_app(desk, "counter1")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.title == "客户投诉处理台 · 我的：预警 1 超时 0"
            counted = app._mine_counted
            register(desk, "counter2", priority="general", received_at=old)
            await pilot.pause(2.5)
            await settle(pilot)
            assert app.title == "客户投诉处理台 · 我的：预警 1 超时 0"
            mine = register(desk, "counter1", priority="general", received_at=old)
            assert await wait_until(pilot, lambda: app.title == "客户投诉处理台 · 我的：预警 2 超时 0")
            assert app._mine_counted == counted  # from the changed complaint alone
            assert mine.number in (app._mine or {})
    finally:
        desk.close()
