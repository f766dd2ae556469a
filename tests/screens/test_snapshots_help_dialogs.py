"""Snapshots of the help panel and of the step dialogs that were cut: 责任判定
with nine departments of the longest allowed name, 调查 with its one-line field.
Open a changed SVG before accepting it (`rsvg-convert -o x.png file.svg`)."""

from __future__ import annotations

import pytest

from complaintdesk.domain.config import MAX_DEPARTMENT_NAME, Department, DeskConfig
from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from complaintdesk.process.desk import open_desk

from tests.conftest import DESK_ZONE
from tests.screens.screen_helpers import make_app, register, settle
from tests.screens.test_snapshots import SIZES, no_blink

LONG_NAMES = ["华东区域客户体验与质量保障", "西南区域售后服务与维修中心", "全国热线与在线客服管理部",
              "产品研发与技术支持中心一部", "市场营销与品牌公共关系中心", "物流仓储与配送运营管理部",
              "财务结算与价格争议处理中心", "法务合规与消费者权益保护部", "门店运营与现场服务管理中心"]


@pytest.fixture
def long_desk(store_location, frozen_now, hostile_text):
    departments = tuple(Department(f"d{i}", name[:MAX_DEPARTMENT_NAME])
                        for i, name in enumerate(LONG_NAMES, start=1))
    desk = open_desk(store_location, config=DeskConfig(departments=departments,
                                                       timezone_name=DESK_ZONE),
                     clock=lambda: frozen_now)
    admin = staffing.sign_in(desk, "admin1", "管理员")
    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "d9")
    staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")
    fresh = register(desk, "counter1", customer_name=hostile_text[:100], event=hostile_text)
    dispatched = register(desk, "counter1", customer_name="上海申通物流有限公司")
    wf.judge_ours(desk, "counter1", dispatched.number, department="d9", customer_told=True)
    wf.dispatch(desk, "super1", dispatched.number, handler="handler1")
    yield desk, fresh.number, dispatched.number
    desk.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_judge_dialog_shows_every_department_whole(snap_compare, long_desk, size):
    """Nine 12-character department names wrap whole, each with its digit."""
    desk, fresh, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_complaint(fresh)
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("1")  # 我方责任
        await pilot.press("tab")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_investigation_dialog_has_a_text_row_in_every_field(snap_compare, long_desk, size):
    """责任认定 shows the words typed into it (it was two border lines and no row)."""
    desk, _, dispatched = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_complaint(dispatched)
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("tab")
        for char in "我方包装不合格":
            await pilot.press(char)
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "handler1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help_panel_of_the_queue(snap_compare, long_desk, size):
    desk, _, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help_panel_of_a_record_says_why_keys_are_dimmed(snap_compare, long_desk, size):
    desk, fresh, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_complaint(fresh)
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(desk, "handler1"), terminal_size=size, run_before=run_before)
