"""The console follows the account's standing live: a disabled colleague's open
console hides every record at once behind a notice and closes."""

from __future__ import annotations

import asyncio

import pytest

from complaintdesk.process import staffing
from screens.widgets.dialogs import NoticeScreen

from tests.screens.screen_helpers import make_app, register, settle


async def _wait_for(pilot, predicate, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
        await pilot.pause()
    return predicate()


@pytest.mark.parametrize("change", ["disable", "set_role"])
async def test_a_changed_account_hides_records_and_leaves(desk, admin, counter, change,
                                                          monkeypatch):
    import screens.app as app_module

    monkeypatch.setattr(app_module, "LEAVE_AFTER_SECONDS", 0.5)
    register(desk, counter, customer_name="看得见的客户", contact="13812345678")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the record: contacts on screen
        await settle(pilot)
        assert not isinstance(app.screen, NoticeScreen)
        if change == "disable":
            staffing.disable_staff(desk, admin.login, counter)
        else:
            staffing.set_role(desk, admin.login, counter, "supervisor")
        assert await _wait_for(pilot, lambda: isinstance(app.screen, NoticeScreen)), app.screen
        # Nothing with a record left anywhere: the notice alone, every area removed.
        assert app.screen_stack == [app.screen]
        await settle(pilot)
        assert not any(screen.is_attached for screen in app.data_screens)
        text = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert counter in text and ("停用" if change == "disable" else "角色") in text
        assert await _wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 1


async def test_an_unchanged_account_stays(desk, admin, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        staffing.add_staff(desk, admin.login, "counter2", "柜台小李", "counter")
        await asyncio.sleep(1.5)
        await settle(pilot)
        assert not isinstance(app.screen, NoticeScreen)
        assert app.return_code is None


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_notice_snapshot(snap_compare, desk, admin, counter, size):
    app = make_app(desk, counter)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.leave("账号 counter1 已被管理员停用，控制台即将关闭。如需恢复，请联系管理员。"
                  "[red]不是标记[/red]")
        await pilot.pause()

    import screens.app as app_module

    app_module.LEAVE_AFTER_SECONDS = 60.0
    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        app_module.LEAVE_AFTER_SECONDS = 3.0
