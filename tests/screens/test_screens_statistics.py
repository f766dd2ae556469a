"""The statistics screen (issue 5): periods on keys, bars, the rows, who may open it;
snapshots at 80×24 and 120×40 with a hostile complaint in the rows."""

from __future__ import annotations

import pytest
from textual.widgets import Static, TabbedContent

from complaintdesk.process import staffing
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from screens.app import ComplaintDeskApp
from screens.statistics.statistics_screen import StatisticsScreen, bar
from screens.widgets.virtual_table import VirtualTable

from tests.screens.screen_helpers import register, settle
from tests.reports.test_core_report import NOW, built  # noqa: F401  (the hand-counted fixture)

SIZES = [(80, 24), (120, 40)]


def test_bar_is_drawn_in_eighths() -> None:
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 4) == "██  "
    assert bar(1, 16, 2) == "▏ "
    assert bar(0, 10, 3) == "   "
    assert bar(3, 0, 3) == ""


@pytest.fixture
def stats_desk(built):  # type: ignore[no-untyped-def]  # noqa: F811
    desk = open_desk(built[0], config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=lambda: NOW)
    yield desk
    desk.close()


def app_for(desk, login: str) -> ComplaintDeskApp:  # type: ignore[no-untyped-def]
    return ComplaintDeskApp(desk, staffing.sign_in(desk, login), watch=False)


def title(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#stats-title").render())


async def test_periods_switch_on_keys(stats_desk) -> None:
    app = app_for(stats_desk, "sup1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.push_screen(StatisticsScreen(app.desk, app.actor))
        await settle(pilot)
        assert "2026年11月" in title(app) and "共 4 件" in title(app)
        summary = str(app.screen.query_one("#stats-summary", Static).render())
        assert "投诉总数" in summary and "█" in summary and "回访满意率" in summary
        await pilot.press("s")
        await settle(pilot)
        assert "2026年第四季度" in title(app) and "共 5 件" in title(app)
        await pilot.press("left")
        await settle(pilot)
        assert "2026年第三季度" in title(app) and "共 1 件" in title(app)
        await pilot.press("y")
        await settle(pilot)
        assert "2026年" in title(app) and "共 7 件" in title(app)
        await pilot.press("left")
        await settle(pilot)
        assert "2025年" in title(app) and "共 1 件" in title(app)
        await pilot.press("m", "right")
        await settle(pilot)
        assert "2025年2月" in title(app) and "共 0 件" in title(app)


async def test_rows_tab_lists_the_period_and_opens_a_complaint(stats_desk, built) -> None:  # noqa: F811
    app = app_for(stats_desk, "sup1")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.push_screen(StatisticsScreen(app.desk, app.actor))
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "rows"
        table = app.screen.query_one(VirtualTable)
        assert table.row_count == 4
        assert [table.row_at(i).key for i in range(4)] == [
            built[1][k] for k in ("N3", "N1", "N2", "N4")]
        assert table.row_at(1).cells[6] == "¥1,234.50"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ComplaintRecordScreen"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        staff = str(app.screen.query_one("#stats-staff", Static).render())
        assert "柜台小王" in staff and "质检小李" in staff


# ----------------------------------------------------------------- snapshots

@pytest.fixture
def hostile_desk(desk, counter, hostile_text):  # type: ignore[no-untyped-def]
    staffing.add_staff(desk, "admin1", "sup1", "主管甲", "supervisor")
    register(desk, counter, customer_name="上海申通物流有限公司", category="service",
             channel="email", priority="major", received_at="2026-11-02 09:00")
    register(desk, counter, customer_name=hostile_text[:60], event=hostile_text,
             product="[@click=app.quit]杯[/]", priority="urgent", received_at="2026-11-20 08:00")
    register(desk, counter, customer_name="李娜", category="price", channel="wechat",
             received_at="2026-11-23 08:00")
    return desk


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_summary_snapshot(snap_compare, hostile_desk, size) -> None:
    app = app_for(hostile_desk, "sup1")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.app.push_screen(StatisticsScreen(pilot.app.desk, pilot.app.actor))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_rows_snapshot(snap_compare, hostile_desk, size) -> None:
    app = app_for(hostile_desk, "sup1")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.app.push_screen(StatisticsScreen(pilot.app.desk, pilot.app.actor))
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_only_supervisors_and_admins_open_it(stats_desk) -> None:
    from screens.statistics.statistics_screen import open_statistics

    app = app_for(stats_desk, "counter1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        open_statistics(app)
        await settle(pilot)
        assert not isinstance(app.screen, StatisticsScreen)
        assert any("只有客服主管、分管领导、管理员可以查看统计表" in str(n.message)
                   for n in app._notifications)
    app = app_for(stats_desk, "admin1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        open_statistics(app)
        await settle(pilot)
        assert isinstance(app.screen, StatisticsScreen)


async def test_the_queue_opens_it_on_t(stats_desk) -> None:
    app = app_for(stats_desk, "sup1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, StatisticsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "QueueScreen"


async def test_rows_titles_stay_over_their_cells_when_the_scrollbar_takes_room(stats_desk) -> None:
    """At 120 columns with more rows than fit, the scrollbar leaves the rows 118
    cells: 品名 and 数量 (shown from 120 on) are dropped from the rows, and from the
    titles too, so 投诉内容 ends under its own title (it ran ~20 cells past it)."""
    from screens.widgets.virtual_table import TableHeader, layout

    app = app_for(stats_desk, "sup1")
    async with app.run_test(size=(120, 9)) as pilot:
        await settle(pilot)
        await app.push_screen(StatisticsScreen(app.desk, app.actor))
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        header = next(h for h in app.screen.query(TableHeader) if h.columns is table.columns)
        rows_width = table.scrollable_content_region.width
        assert rows_width < 120 <= header.size.width, (rows_width, header.size)
        assert "品名" not in header.render_line(0).text
        assert header.rows_width == rows_width
        assert layout(header.columns, header.rows_width) == layout(table.columns, rows_width)
