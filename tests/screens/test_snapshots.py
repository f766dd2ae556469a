"""Snapshot tests of every screen at 80×24 and 120×40, with hostile customer text.

The clock is frozen (conftest.frozen_now), so deadlines and dates are stable.
Open a changed SVG before accepting it (`rsvg-convert -o x.png file.svg`).
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from tests.screens.screen_helpers import make_app, register, settle

SIZES = [(80, 24), (120, 40)]


async def no_blink(pilot) -> None:  # type: ignore[no-untyped-def]
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def filled_desk(desk, counter, hostile_text):
    """A few ordinary complaints and one whose every text is hostile."""
    register(desk, counter, customer_name="上海申通物流有限公司", contact="021-6543-2100",
             channel="email", category="service", priority="major", event="客服电话无人接听")
    register(desk, counter, customer_name="李娜", contact="lina@example.com", channel="wechat",
             category="price", priority="general", event="价格调整未通知", product="", quantity=None)
    # Overdue: an urgent complaint received 3 hours ago (first response due after 2 h).
    register(desk, counter, customer_name="超时的客户", contact="13900000001", priority="urgent",
             received_at="2026-11-23T07:00:00+08:00", event="停水三小时无人处理")
    # At risk: a general complaint received 40 hours ago (83% of its 48 h used).
    register(desk, counter, customer_name="快到期的客户", contact="13900000002", priority="general",
             received_at="2026-11-21T18:00:00+08:00", event="发票开错")
    register(desk, counter, customer_name=hostile_text[:100], contact="[red]138-0000-0000[/red]@example.com",
             address=hostile_text[:200], event=hostile_text, demand=hostile_text,
             product="[@click=app.quit]杯[/]", priority="urgent")
    return desk


class TestQueue:
    """The priority queue: 紧急 first (the overdue one bold red with 超…, the hostile one
    red, its name literal with brackets), then 重大 with ▲ (escalated), then 一般 with the
    at-risk row amber; contacts masked at 120 columns, hidden at 80."""

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_list(self, snap_compare, filled_desk, counter, size):
        app = make_app(filled_desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_urgent_notice(self, snap_compare, filled_desk, counter, hostile_text, size):
        """New 紧急 complaints come as one notice naming them, the names literal
        (brackets and tags as typed), over the queue at the bottom right."""
        from screens.messages import DataChanged

        app = make_app(filled_desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            app.post_message(DataChanged([("TS-20261123-0101", hostile_text[:40]),
                                          ("TS-20261123-0102", "丙<i>公司")], 2))
            await settle(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_filtered_by_a_hostile_search(self, snap_compare, filled_desk, counter, hostile_text,
                                          size):
        """A 紧急 filter and a search for hostile text (brackets, a newline, a tab)
        found in one complaint: the line over the list names both, the term literal
        on one line, cut at the edge; the matching row below."""
        from complaintdesk.process.queue import QueueFilter

        app = make_app(filled_desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            term = hostile_text[hostile_text.index("繁體"):hostile_text.index("$name")]
            assert "\n" in term and "\t" in term
            pilot.app.screen.queue_filter = QueueFilter(priority="urgent", search=term)
            await settle(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    def test_empty_list(self, snap_compare, desk, counter):
        """A new database: the list says how to register the first complaint."""
        app = make_app(desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


class TestRecordForm:
    """The 《客户投诉记录单》 laid out like the paper form."""

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_blank_form(self, snap_compare, desk, counter, size):
        """Receiving date filled with now, channel 电话 and priority 一般 chosen,
        the receiving staff member is the signed-in counter clerk."""
        app = make_app(desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    def test_errors_at_fields(self, snap_compare, desk, counter):
        """ctrl+s on a nearly empty form: each missing field says 必填 under it and the
        quantity says why -2 is wrong."""
        app = make_app(desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            pilot.app.screen.query_one("#quantity", Input).value = "-2"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_hostile_input_and_history(self, snap_compare, filled_desk, counter, hostile_text,
                                       size):
        """Hostile text typed into the form stays literal; the known contact shows the
        customer's earlier complaint."""
        app = make_app(filled_desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            screen = pilot.app.screen
            screen.query_one("#event", TextArea).text = hostile_text
            screen.query_one("#contact", Input).value = "[red]138-0000-0000[/red]@example.com"
            await settle(pilot)
            screen.query_one("#contact", Input).focus()
            await no_blink(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)


class TestRecordView:
    """The complaint's record: every field literal (brackets, backslashes, emoji,
    the 2,000-character text wrapped), deadlines with time left, the timeline."""

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_hostile_record(self, snap_compare, filled_desk, counter, size):
        app = make_app(filled_desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)


class TestSavedDialog:
    """After ctrl+s the new 受理编号 is shown large enough to read to the customer."""

    def test_saved(self, snap_compare, desk, counter):
        app = make_app(desk, counter)

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            screen = pilot.app.screen
            screen.query_one("#customer_name", Input).value = "张三"
            screen.query_one("#contact", Input).value = "13800001111"
            screen.query_one("#event", TextArea).text = "快递破损"
            screen.query_one("#demand", TextArea).text = "退款"
            screen.query_one("#category").value = "product"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.fixture
def pending_desk(desk, admin, hostile_text):
    """The hostile complaint driven to 待审批 with hostile texts in its sheet, and an
    ordinary one submitted a day earlier whose handling deadline has passed."""
    from complaintdesk.process import staffing
    from complaintdesk.process import workflow as wf
    from complaintdesk.process.approvals import give_manager_opinion

    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "quality")
    staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")
    staffing.add_staff(desk, admin.login, "mgr1", "质量部经理 [b]王[/b]", "handler", "quality")
    staffing.set_manager(desk, admin.login, "mgr1", True)
    old = register(desk, "counter1", customer_name="上海申通物流有限公司", priority="urgent",
                   received_at="2026-11-21T09:00:00+08:00")
    hostile = register(desk, "counter1", customer_name=hostile_text[:100], event=hostile_text,
                       demand=hostile_text)
    # The old one was judged the day it came in (its deadline was ahead then).
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from complaintdesk.process.desk import open_desk

    back_then = open_desk(desk.store.path, config=desk.config,
                          clock=lambda: datetime(2026, 11, 21, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    try:
        wf.judge_ours(back_then, "counter1", old.number, department="quality", customer_told=True)
    finally:
        back_then.close()
    wf.judge_ours(desk, "counter1", hostile.number, department="quality", customer_told=True)
    for complaint in (old, hostile):
        n = complaint.number
        wf.dispatch(desk, "super1", n, handler="handler1")
        wf.record_investigation(desk, "handler1", n, dict(
            facts=hostile_text[:300], root_cause="[b]包装[/b]", finding="我方", report="报告",
            evidence=[{"kind": "photo", "description": "破损照片 [urgent]", "path": "/srv/p/1.jpg"}]))
        sheet = dict(result=hostile_text, receiver_opinion="同意 [@click=app.quit]x[/]",
                     method="compensation", loss_amount="12345.6", product="玻璃杯", quantity="3")
        wf.save_sheet(desk, "handler1", n, sheet)
        give_manager_opinion(desk, "mgr1", n, opinion="$name ${x} [b]同意[/b]")
        wf.submit_sheet(desk, "handler1", n, sheet, sheet_version=1)
    return desk, hostile.number


class TestHandling:
    """The 《客户投诉处理单》 editor, the approvals list and the approval dialog."""

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_sheet_editor(self, snap_compare, pending_desk, size):
        """The paper form's fields with the hostile sheet texts literal, 赔偿 chosen,
        the loss as typed-back decimal, the sheet number CL-…-1."""
        desk, number = pending_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            from complaintdesk.process import workflow as wf

            await settle(pilot)
            wf.return_plan(desk, "super1", number, reason="金额请核实 [b]")
            pilot.app.open_complaint(number)
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(make_app(desk, "handler1"), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_save_conflict(self, snap_compare, pending_desk, hostile_text, size):
        """A refused save, side by side: the handler's input against the version a
        supervisor saved meanwhile, hostile texts literal on both sides."""
        desk, number = pending_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            from textual.widgets import TextArea

            from complaintdesk.process import workflow as wf

            await settle(pilot)
            wf.return_plan(desk, "super1", number, reason="金额请核实")
            pilot.app.open_complaint(number)
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            version = wf.get_handling(desk, number).sheet.version
            wf.save_sheet(desk, "super1", number, dict(
                result="主管改写：[b]先退款[/b] " + hostile_text[:120], method="return",
                loss_amount="99.5"), sheet_version=version)
            pilot.app.screen.query_one("#result", TextArea).text = "我的修改 [@click=app.quit]x[/]"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(make_app(desk, "handler1"), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_kept_input(self, snap_compare, desk, admin, hostile_text, size):
        """A step a colleague did meanwhile: the reason and what was typed, hostile
        text literal."""
        from complaintdesk.process import staffing
        from complaintdesk.process import workflow as wf

        staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
        staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "quality")
        staffing.add_staff(desk, admin.login, "super1", "主管张", "supervisor")
        number = register(desk, "counter1").number
        wf.judge_ours(desk, "counter1", number, department="quality", customer_told=True)
        wf.dispatch(desk, "super1", number, handler="handler1")

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            from textual.widgets import TextArea

            await settle(pilot)
            pilot.app.open_complaint(number)
            await settle(pilot)
            await pilot.press("i")
            await settle(pilot)
            for name, text in (("facts", hostile_text[:300]), ("root_cause", "[b]包装[/b]"),
                               ("finding", "我方责任"), ("report", "报告 $name")):
                pilot.app.screen.query_one(f"#f-{name}", TextArea).text = text
            wf.record_investigation(desk, "handler1", number, dict(
                facts="另一窗口", root_cause="r", finding="我方", report="y"))
            await pilot.press("ctrl+s")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(make_app(desk, "handler1"), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_approvals_list(self, snap_compare, pending_desk, size):
        """Oldest submission first; the one past its handling deadline in red."""
        desk, _number = pending_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("A")
            await settle(pilot)

        assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_approval_dialog(self, snap_compare, pending_desk, size):
        """The supervisor's decision form over the record: 审批通过/退回 and the opinion."""
        desk, number = pending_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            pilot.app.open_complaint(number)
            await settle(pilot)
            await pilot.press("v")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)

    def test_record_for_counter_with_dimmed_approve(self, snap_compare, pending_desk):
        """A counter clerk's view of a sheet waiting for approval: the handling summary,
        the next step saying 只有主管可以审批处理方案, the V key dimmed in the footer."""
        desk, number = pending_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            pilot.app.open_complaint(number)
            await settle(pilot)
            pilot.app.screen.query_one("#record-view").scroll_end(animate=False)
            await settle(pilot)

        assert snap_compare(make_app(desk, "counter1"), terminal_size=(120, 40),
                            run_before=run_before)


@pytest.fixture
def revisit_desk(desk, admin, hostile_text):
    """Four complaints waiting for the revisit: one 9 days overdue (not ours), the hostile
    one (ours; one failed call with a hostile comment, so due tomorrow), one handled
    today (due in 7 days), one judged not ours 3 days ago."""
    from complaintdesk.process import revisits

    from tests.screens.test_screens_revisit import not_ours_to_revisit, ours_to_revisit, staff

    staff(desk, admin)
    not_ours_to_revisit(desk, days_ago=9, customer_name="上海申通物流有限公司",
                        contact="021-6543-2100", priority="major")
    hostile = ours_to_revisit(desk, customer_name=hostile_text[:100],
                              contact="[red]138-0000-0000[/red]@example.com", event=hostile_text,
                              priority="urgent")
    revisits.record_revisit(desk, "counter1", hostile, method="phone", reached=False,
                            comment=hostile_text[:300])
    ours_to_revisit(desk, customer_name="李娜", contact="lina@example.com")
    not_ours_to_revisit(desk, days_ago=3, customer_name="王五", contact="13900000003")
    return desk, hostile


class TestRevisits:
    """The revisit list (回访), its form and the record's revisit history."""

    @pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
    def test_revisit_list(self, snap_compare, revisit_desk, size):
        """Earliest due first: the overdue one bold red with 超…; the cursor on the
        hostile name, literal (brackets and all), 1次 tried and 剩1天0时; the status line
        待回访 4 件，其中超期 1 件; contacts masked at 120 columns, hidden at 80; the
        footer shows H 回访 and W 无法联系结案 dimmed (one failed call of three)."""
        desk, _hostile = revisit_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("down")
            await settle(pilot)

        assert snap_compare(make_app(desk, "counter1"), terminal_size=size,
                            run_before=run_before)

    def test_revisit_form(self, snap_compare, revisit_desk):
        """H on the hostile row: whom to call (name and contact literal), due date and
        tries, then method, reached, both ratings and the comment, at 80×24."""
        desk, _hostile = revisit_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("down", "h")
            await settle(pilot)
            await no_blink(pilot)

        assert snap_compare(make_app(desk, "counter1"), terminal_size=(80, 24),
                            run_before=run_before)

    def test_record_revisit_history(self, snap_compare, revisit_desk):
        """The hostile complaint's record scrolled to the revisit section: the due date
        with time left, 已尝试 1 次, the failed call with its hostile comment literal,
        the next steps [H] 回访 可以办理 and [W] 无法联系结案 with the core's reason."""
        desk, hostile = revisit_desk

        async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
            await settle(pilot)
            pilot.app.open_complaint(hostile)
            await settle(pilot)
            pilot.app.screen.query_one("#record-revisits").scroll_visible(animate=False, top=True)
            await settle(pilot)

        assert snap_compare(make_app(desk, "counter1"), terminal_size=(120, 40),
                            run_before=run_before)
