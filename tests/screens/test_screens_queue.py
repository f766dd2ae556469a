"""Pilot tests of the queue, its filters and search, the full record, and live updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from textual.widgets import Input, Label, Static

from complaintdesk.process import staffing
from complaintdesk.process.complaints import add_note, get_complaint, iter_complaints
from complaintdesk.process.corrections import correct_complaint
from screens.case.record_screen import ComplaintRecordScreen
from screens.messages import DataChanged, OpenComplaint
from screens.widgets.dialogs import LinkDialog, NoteDialog
from screens.worklist.queue_screen import QueueScreen
from screens.widgets.virtual_table import VirtualTable

from tests.screens.screen_helpers import make_app, register, settle, type_text


def shown_numbers(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(VirtualTable)
    rows = [table.row_at(i) for i in range(table.row_count)]
    return [r.key for r in rows if r is not None]


def status_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#queue-status", Label).render())


async def wait_until(pilot, predicate, tries: int = 60) -> bool:  # type: ignore[no-untyped-def]
    """Let the app run until ``predicate()`` holds (bounded; for cross-process updates)."""
    for _ in range(tries):
        await settle(pilot)
        if predicate():
            return True
        await pilot.pause(0.1)
    return predicate()


async def test_queue_sorts_by_priority_then_deadline(desk, counter):
    general = register(desk, counter, priority="general")
    urgent_late = register(desk, counter, priority="urgent")
    major = register(desk, counter, priority="major")
    urgent_early = register(desk, counter, priority="urgent", received_at="2026-11-23T09:00:00+08:00")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown_numbers(app) == [urgent_early.number, urgent_late.number, major.number,
                                      general.number]
        assert "4 件" in status_text(app)


async def test_filter_keys_narrow_and_clear(desk, counter):
    register(desk, counter, priority="general")
    urgent = register(desk, counter, priority="urgent")
    overdue = register(desk, counter, priority="urgent", received_at="2026-11-23T07:00:00+08:00")
    app = make_app(desk, counter, )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")  # 紧急
        await settle(pilot)
        assert shown_numbers(app) == [overdue.number, urgent.number]
        assert "紧急" in status_text(app)
        await pilot.press("o")  # overdue only
        await settle(pilot)
        assert shown_numbers(app) == [overdue.number]
        await pilot.press("x")
        await settle(pilot)
        assert len(shown_numbers(app)) == 3
        assert "筛选" not in status_text(app)


async def test_mine_shows_what_i_received(desk, admin, counter):
    staffing.add_staff(desk, admin.login, "counter2", "柜台小李", "counter")
    mine = register(desk, counter)
    register(desk, "counter2")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert shown_numbers(app) == [mine.number]


async def test_search_two_character_terms_and_several_terms(desk, counter):
    refund = register(desk, counter, event="快递到了，包装破损", demand="要求退款")
    register(desk, counter, event="客服态度差", demand="道歉")
    register(desk, counter, event="价格调整未通知", demand="要求退款")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "退款 破损")
        await pilot.press("enter")
        await settle(pilot)
        assert shown_numbers(app) == [refund.number]
        assert "搜索“退款 破损”" in status_text(app)
        assert app.screen.query_one(VirtualTable).has_focus


async def test_hostile_search_input_is_only_text(desk, counter, hostile_text):
    hostile = register(desk, counter, event=hostile_text)
    register(desk, counter, event="普通投诉")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        for query in ('[urgent]', '" OR "', 'NEAR(a b)', "退款*", "a"):
            app.screen.query_one("#search", Input).value = query
            await pilot.press("slash", "enter")
            await settle(pilot)
        # the last one, a single character, is refused with a message and the list is kept
        messages = [str(n.message) for n in app._notifications]
        assert any("太短" in m for m in messages), messages
        app.screen.query_one("#search", Input).value = "[urgent]"
        await pilot.press("slash", "enter")
        await settle(pilot)
        assert shown_numbers(app) == [hostile.number]


async def test_enter_opens_full_record_with_history_and_timeline(desk, counter):
    first = register(desk, counter, contact="13800001111", event="第一次投诉")
    second = register(desk, counter, contact="138-0000-1111", event="又来投诉了")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        table.cursor_row = shown_numbers(app).index(second.number)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComplaintRecordScreen)
        assert first.number in str(screen.query_one("#record-others", Static).render())
        assert "登记投诉" in str(screen.query_one("#record-timeline", Static).render())
        assert "剩余" in screen.query_one("#record-fields").query(".rv-value").last().text


async def test_link_and_note_from_the_record(desk, counter):
    old = register(desk, counter, channel="phone")
    new = register(desk, counter, channel="wechat")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_complaint(new.number)
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LinkDialog)
        await type_text(pilot, old.number)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
        assert old.number in str(app.screen.query_one("#record-links", Static).render())
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        await type_text(pilot, "客户来电催促")
        await pilot.press("escape")  # a slip: the draft must survive
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.text == "客户来电催促"
        await pilot.press("ctrl+s")
        await settle(pilot)
    record = get_complaint(desk, new.number)
    assert [link.complaint.number for link in record.links] == [old.number]
    assert any(e.action == "complaint.note" and e.after == "客户来电催促" for e in record.timeline)


async def test_a_second_ctrl_s_typed_ahead_does_not_close_the_record(desk, counter):
    """Ctrl+S pressed twice on the note dialog before the console caught up: one note,
    and the record stays open (the second save finds its dialog gone, and must not
    dismiss the screen beneath it)."""
    from textual import events

    complaint = register(desk, counter)
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_complaint(complaint.number)
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        await type_text(pilot, "两次保存")
        app.post_message(events.Key("ctrl+s", None))
        app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        assert isinstance(app.screen, ComplaintRecordScreen)
    notes = [e for e in get_complaint(desk, complaint.number).timeline
             if e.action == "complaint.note"]
    assert [e.after for e in notes] == ["两次保存"]


async def test_link_to_unknown_number_keeps_input(desk, counter):
    complaint = register(desk, counter)
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        app.open_complaint(complaint.number)
        await settle(pilot)
        await pilot.press("l")
        await type_text(pilot, "TS-19990101-0001")
        await pilot.press("enter")
        await settle(pilot)
        assert any("没有受理编号" in str(n.message) for n in app._notifications)
        await pilot.press("l")
        await settle(pilot)
        assert app.screen.query_one("#link-number", Input).value == "TS-19990101-0001"


async def test_another_process_registering_shows_up_and_urgent_is_announced(desk, counter,
                                                                            admin):
    """Two consoles on one file: a colleague's complaint appears in the open queue
    in its priority place, the cursor stays on its row, and 紧急 raises a notification."""
    general = register(desk, counter, priority="general")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(VirtualTable).cursor_key == general.number
        script = textwrap.dedent(f"""
            from complaintdesk.process.desk import open_desk
            from complaintdesk.process.complaints import register_complaint
            desk = open_desk({str(desk.store.path)!r})
            c = register_complaint(desk, {admin.login!r}, dict(
                customer_name="另一终端的客户", contact="13911112222", channel="phone",
                event="停电了", demand="尽快恢复", category="service", priority="urgent"))
            print(c.number)
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True)
        other = out.stdout.strip()
        assert await wait_until(pilot, lambda: shown_numbers(app) == [other, general.number])
        assert app.screen.query_one(VirtualTable).cursor_key == general.number
        assert any(other in str(n.message) for n in app._notifications)


def _web_forms(count: int) -> list[str]:
    """A day's web forms as intake lines: every third one 紧急."""
    import json

    return [json.dumps({"customer_name": f"网单客户{i}", "contact": f"1390000{i:04d}",
                        "channel": "web", "received_at": "2026-11-23T08:00:00+08:00",
                        "event": f"网上订单 {i} 未按时发货", "demand": "尽快发货",
                        "category": "product" if i % 2 else "service",
                        "priority": "urgent" if i % 3 == 0 else "general"},
                       ensure_ascii=False) for i in range(count)]


@pytest.mark.parametrize("load", ["demo", "intake"])
async def test_many_new_urgent_complaints_at_once_are_one_notice(desk, counter, admin, load):
    """A bulk load (demo, a day's web forms) registering hundreds of 紧急 complaints
    must not bury the console in one notice each: a few are announced one by one,
    more as one notice with their number. (The demo fills a PostgreSQL desk only
    while it is new: there it is refused, in Chinese, and nothing arrives.)"""
    from complaintdesk.demo.load import fill_demo
    from complaintdesk.domain.errors import DomainError
    from complaintdesk.process.intake import intake_lines

    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        before = len(app._notifications)
        if load == "intake":
            results = list(intake_lines(desk, admin.login, _web_forms(300)))
            assert all("number" in r for r in results), results[:3]
        elif desk.store.backend == "sqlite":
            fill_demo(desk, 300, actor=admin.login)
        else:
            with pytest.raises(DomainError, match="只能填入新建的数据库"):
                fill_demo(desk, 300, actor=admin.login)
            await settle(pilot)
            assert len(app._notifications) == before and not list(iter_complaints(desk))
            return
        urgent = sum(1 for c in iter_complaints(desk) if c.priority == "urgent")
        assert urgent > 3
        assert await wait_until(pilot, lambda: len(app._notifications) > before)
        await settle(pilot)
        notices = [str(n.message) for n in list(app._notifications)[before:]]
        assert len(notices) == 1 and f"新的紧急投诉 {urgent:,} 件" in notices[0]


async def test_urgent_complaints_arriving_while_a_notice_is_up_come_in_the_next(
        desk, counter, admin):
    """One 紧急 notice at a time: a second new 紧急 complaint while the first's notice
    is up is at the top of the queue at once, and announced when that notice goes,
    with any others that came meanwhile, in one notice."""
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        app._urgent.shown_seconds = 5.0

        def urgent_notices() -> list[str]:
            return [str(n.message) for n in app._notifications if "紧急投诉" in str(n.message)]

        first = register(desk, admin.login, priority="urgent", customer_name="第一位")
        assert await wait_until(pilot, lambda: len(urgent_notices()) == 1)
        assert urgent_notices() == [f"新的紧急投诉 {first.number}：第一位"]
        second = register(desk, admin.login, priority="urgent", customer_name="第二位")
        third = register(desk, admin.login, priority="urgent", customer_name="第三位")
        assert await wait_until(pilot, lambda: set(shown_numbers(app)[:3]) == {
            first.number, second.number, third.number})
        assert len(urgent_notices()) == 1  # still only the first's
        assert await wait_until(pilot, lambda: any("2 件" in n for n in urgent_notices()), 150)
        last = [n for n in urgent_notices() if "2 件" in n][0]
        assert second.number in last and third.number in last and "第二位" in last


async def test_a_minute_restyles_the_rows_on_the_terminal_and_the_rest_when_shown(
        desk, counter, admin, frozen_now):
    """The clock moves countdowns and colours without reading again: the rows on
    the terminal at once, repainted only if one shows something else; the other
    pages read when they are next shown, as the clock has them then."""
    from datetime import timedelta

    made = [register(desk, admin.login) for _ in range(150)]
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        table.action_jump(-1)  # the second page read too, then back to the top
        await settle(pilot)
        table.action_jump(0)
        await settle(pilot)
        assert {0, 1} <= set(table._pages)
        generation = table._generation
        first, last = table.row_at(0).cells[-1], table._pages[1][1][-1].cells[-1]
        repaints = []
        refresh = table.refresh
        table.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))[1]

        app.screen.clock_moved()  # the same minute: nothing shows otherwise
        assert repaints == [] and table.row_at(0).cells[-1] == first

        desk.clock = lambda: frozen_now + timedelta(hours=5)
        app.screen.clock_moved()
        assert repaints and table._generation == generation  # repainted, not read again
        assert table.row_at(0).cells[-1] != first
        assert table._pages[1][1][-1].cells[-1] == last  # off the terminal: not yet
        assert table.row_at(len(made) - 1).cells[-1] != last  # shown: as the clock has it
        assert table.row_at(len(made) - 1) == table.source.restyle([table.row_at(len(made) - 1)])[0]


# ----------------------------------------------------------------- reading ahead

class _CountingSource:
    """1,000 numbered rows; records which pages were fetched."""

    def __init__(self) -> None:
        self.fetched: list[int] = []

    def count(self) -> int:
        return 1000

    def fetch(self, offset: int, limit: int):  # type: ignore[no-untyped-def]
        from screens.widgets.virtual_table import TableRow

        self.fetched.append(offset)
        return [TableRow(str(i), (str(i),)) for i in range(offset, min(offset + limit, 1000))]

    def index_of(self, key: str) -> int | None:
        return int(key)


async def test_the_table_reads_the_next_screen_ahead() -> None:
    """A page-down or page-up should find its rows already read: the table asks for
    the page one screen beyond what it shows, in each direction."""
    from textual.app import App, ComposeResult

    from screens.widgets.virtual_table import PAGE_SIZE, Column

    source = _CountingSource()

    class One(App):
        def compose(self) -> ComposeResult:
            yield VirtualTable([Column("号", 0)], source)

    app = One()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(VirtualTable)
        await settle(pilot)
        height = table.size.height
        assert source.fetched == [0]  # the first screen and the next are in page 0
        table.scroll_to(y=PAGE_SIZE - height, animate=False, immediate=True)
        await settle(pilot)  # rows 80-99 on screen, all in page 0 ...
        assert source.fetched == [0, PAGE_SIZE]  # ... and page 1 read for a page-down
        table.action_jump(5 * PAGE_SIZE + height)  # a jump: nothing read for it yet
        await settle(pilot)
        top = round(table.scroll_offset.y)
        assert top // PAGE_SIZE == 5 and (top - height) // PAGE_SIZE == 4
        assert {4 * PAGE_SIZE, 5 * PAGE_SIZE} <= set(source.fetched)  # page-up ready too


async def test_start_up_objects_are_frozen_while_the_console_runs(desk, counter) -> None:
    """Left out of Python's full collections (which stalled a page-down to 130 ms on
    the 1M demo) while the console runs; collectable again once it has quit."""
    import gc

    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _attempt in range(100):  # frozen a moment after the first paint
            if gc.get_freeze_count():
                break
            await pilot.pause(0.02)
        assert gc.get_freeze_count() > 10_000 and gc.isenabled()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


async def test_no_collection_runs_until_the_queue_is_painted(desk, counter, monkeypatch):
    """Collections are paused from the start until after the first paint (each full
    one took 60-70 ms of start-up), and come back with the freeze."""
    import gc

    import screens.app

    monkeypatch.setattr(screens.app, "FREEZE_AFTER_SECONDS", 60.0)  # not within the test
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not gc.isenabled()
        app._freeze_startup_objects()
        assert gc.isenabled() and gc.get_freeze_count() > 10_000
    assert gc.isenabled() and gc.get_freeze_count() == 0


async def test_the_footer_is_rebuilt_once_per_burst_of_binding_changes(desk, counter,
                                                                      monkeypatch) -> None:
    """Textual's Footer rebuilt itself after every bindings signal (five times before
    the first paint); ours rebuilds once after a burst, showing the same keys."""
    from screens.widgets.footer import Footer

    rebuilds = []
    original = Footer.recompose

    async def counting(self):  # type: ignore[no-untyped-def]
        rebuilds.append(self)
        await original(self)

    monkeypatch.setattr(Footer, "recompose", counting)
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        keys = [str(k.render()) for k in footer.children]
        rebuilds.clear()
        for _ in range(5):
            app.screen.refresh_bindings()
        await settle(pilot)
        assert len(rebuilds) == 1
        assert [str(k.render()) for k in footer.children] == keys
        assert any("搜索" in k for k in keys)


async def test_the_cursor_row_is_never_hidden_at_the_bottom(desk, counter):
    """Reaching a row below the screen (End, or the complaint just registered) scrolls
    it onto the last visible line; a horizontal scrollbar used to cover that line."""
    for i in range(40):
        register(desk, counter, customer_name=f"客户{i}", contact=f"1390000{i:04d}")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == 39
        visible = table.scrollable_content_region.height
        assert visible == table.size.height
        assert 0 <= table.cursor_row - round(table.scroll_offset.y) < visible


async def test_a_reload_in_place_keeps_the_row_a_reload_under_way_goes_to(desk, counter):
    """The console's own save is seen by its change watcher too: that reload comes
    while the jump to the complaint just registered is under way, and must land
    on that complaint, not on the row the cursor was on before."""
    numbers = [register(desk, counter, customer_name=f"客户{i}", contact=f"1390000{i:04d}").number
               for i in range(30)]
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert table.cursor_key == numbers[0]
        table.reload(keep_key=numbers[25])
        table.reload_in_place()  # before the first reload has landed
        await settle(pilot)
        assert table.cursor_key == numbers[25]


async def test_a_change_reloads_the_visible_screen_and_the_covered_one_on_return(desk, counter):
    """DataChanged: the record on top reloads at once; the queue under it is only
    marked stale and reloads when it is shown again."""
    first = register(desk, counter, customer_name="第一位客户")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        app.post_message(OpenComplaint(first.number))
        await settle(pilot)
        record = app.screen
        assert isinstance(record, ComplaintRecordScreen)
        later = register(desk, counter, customer_name="后来的客户")
        add_note(desk, counter, first.number, "另一台控制台写的备注")
        app.post_message(DataChanged())
        await settle(pilot)
        assert queue.stale and not record.stale
        assert "另一台控制台写的备注" in str(record.query_one("#record-timeline", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue and not queue.stale
        assert later.number in shown_numbers(app)


async def test_areas_are_modes_the_app_owns(desk, counter):
    """r/A go to an area (a mode with its own stack); Esc from its first screen goes
    back to the queue, which kept its place; a change made while the queue area
    was hidden reloads it when it is shown again."""
    register(desk, counter, customer_name="第一位客户")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        assert app.current_mode == "queue" and isinstance(queue, QueueScreen)
        await pilot.press("r")
        await settle(pilot)
        assert app.current_mode == "revisits" and app.screen is not queue
        later = register(desk, counter, customer_name="后来的客户")
        app.post_message(DataChanged())
        await settle(pilot)
        assert queue.stale
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "queue" and app.screen is queue and not queue.stale
        assert later.number in shown_numbers(app)
        await pilot.press("t")  # a counter clerk may not read the statistics
        await settle(pilot)
        assert app.current_mode == "queue"
        assert any("统计表" in str(n.message) for n in app._notifications)



# ----------------------------------------------------------------- following changes

async def test_the_queue_reads_again_only_when_a_change_moves_its_rows(desk, counter, admin):
    """Others' commits reach the console as the complaints they changed. A new
    complaint sorting past the rows read only adds to the count, a change past them
    only recounts, a note changes no row; a new 紧急 one (first in the order) or a
    correction of a row read is spliced into the rows read (no reading again),
    unless the rows read are further down."""
    made = [register(desk, admin.login) for _ in range(130)]  # page 0 read, 1 not
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        start, rows = table.loaded_rows()
        assert (start, len(rows), table.row_count) == (0, 100, 130)
        generation = table._generation

        late = register(desk, admin.login)  # same deadline, higher id: sorts last
        assert await wait_until(pilot, lambda: "待处理投诉 131 件" in status_text(app))
        assert table._generation == generation

        add_note(desk, admin.login, made[120].number, "页外的备注")  # past the rows read
        await pilot.pause(2.5)
        await settle(pilot)
        assert table._generation == generation and table.row_count == 131

        cursor = table.cursor_key
        urgent = register(desk, admin.login, priority="urgent", customer_name="急事客户")
        # (Only the first row looked at: a page read after the commit would mean
        # reading again, as it may hold what changed.)
        assert await wait_until(pilot, lambda: getattr(table.row_at(0), "key", None)
                                == urgent.number)
        assert "待处理投诉 132 件" in status_text(app)
        assert table._generation == generation  # spliced in: the page was not read again
        assert table.cursor_key == cursor and table.cursor_row == 1  # still on its row
        assert shown_numbers(app)[1:100] == [m.number for m in made[:99]]
        assert any(urgent.number in str(n.message) for n in app._notifications)

        add_note(desk, admin.login, made[0].number, "第一页上的备注")  # no column changes
        await pilot.pause(2.5)
        await settle(pilot)
        assert table._generation == generation
        correct_complaint(desk, counter, made[0].number, {"customer_name": "改正后的客户"},
                          "登记时写错了姓名")  # a row on the terminal changes
        assert await wait_until(pilot, lambda: table.row_at(1).cells[3] == "改正后的客户")
        assert table._generation == generation  # that row, spliced
        assert late.number not in shown_numbers(app)[:30]

        # A complaint never read moving up among the rows read cannot be spliced
        # (what it pushes down is known, what fills in behind it is not): read again.
        staffing.add_staff(desk, admin.login, "sup9", "主管九", "supervisor")
        correct_complaint(desk, "sup9", made[120].number, {"priority": "urgent"}, "其实很急")
        assert await wait_until(pilot, lambda: table._generation > generation)
        assert shown_numbers(app)[:2] == [urgent.number, made[120].number]


async def test_a_change_that_only_adds_to_the_count_waits_for_company(desk, counter, admin,
                                                                       monkeypatch):
    """A complaint registered past the rows read changes only the count: the
    console's follower holds it (up to COUNT_LAG_SECONDS, 60 s here) and hands it
    over with the first change that may not wait, a 紧急 one, at once. What may
    wait is judged against the rows read while nothing has moved: the person's
    own complaint, a 紧急 one, rows scrolled or a dialog over the queue mean at
    once."""
    import screens.app as console
    from complaintdesk.process import watch

    monkeypatch.setattr(console, "COUNT_LAG_SECONDS", 60.0)
    for _ in range(130):
        register(desk, admin.login)
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        register(desk, admin.login)  # the first goes at once: nothing is settled yet
        assert await wait_until(pilot, lambda: "待处理投诉 131 件" in status_text(app))
        assert table.still is not None and table.still.total == 131

        held = register(desk, admin.login)
        assert await wait_until(pilot, lambda: app._follower._held is not None)
        assert app._follower._held.numbers == {held.number}
        await pilot.pause(1.5)
        await settle(pilot)
        assert "待处理投诉 131 件" in status_text(app)  # held, the event loop not woken
        urgent = register(desk, admin.login, priority="urgent", customer_name="急事客户")
        assert await wait_until(pilot, lambda: shown_numbers(app)[:1] == [urgent.number])
        assert "待处理投诉 133 件" in status_text(app)
        assert any(urgent.number in str(n.message) for n in app._notifications)
        assert app._follower._held is None

        # Read again while one is held (Ctrl+R here; a filter, or a return to the
        # queue): the count then holds it already, and it is not counted twice.
        table.reload_in_place()  # the first page alone read again, the count settled
        assert await wait_until(pilot, lambda: table.still is not None)
        register(desk, admin.login)
        assert await wait_until(pilot, lambda: app._follower._held is not None)
        await pilot.press("ctrl+r")
        assert await wait_until(pilot, lambda: "待处理投诉 134 件" in status_text(app))
        again = register(desk, admin.login, priority="urgent", customer_name="又一位急事客户")
        # Second: the desk's clock stands still, so both 紧急 ones have one deadline.
        assert await wait_until(pilot, lambda: getattr(table.row_at(1), "key", None)
                                == again.number)
        await pilot.pause(0.5)
        await settle(pilot)
        assert "待处理投诉 135 件" in status_text(app) and table.row_count == 135

        # The judgement itself, on changes as a watcher reads them, the console's
        # own follower stopped (it would take them in).
        app._stop_watching()
        table.reload_in_place()  # only the first page read again
        assert await wait_until(pilot, lambda: table.still is not None)
        assert table.still.total == 135 and len(table.still.rows) == 100
        watcher = watch.watch_changes(desk)
        try:
            def read(**fields) -> watch.Changes:  # type: ignore[no-untyped-def]
                login = fields.pop("login", admin.login)
                register(desk, login, **fields)
                changes = watcher.changes()
                assert changes is not None
                return changes

            late, own, pressing = read(), read(login=counter), read(priority="urgent")
            assert app._can_wait(late)
            assert not app._can_wait(own)  # the person's own: their clocks count
            assert not app._can_wait(pressing)  # announced, and first in the order
            assert not app._can_wait(watch.Changes(everything=True))
            await pilot.press("question_mark")  # the keys' help over the queue
            await settle(pilot)
            assert not app._can_wait(late)
            await pilot.press("escape")
            await settle(pilot)
            assert app._can_wait(late)
            await pilot.press("pagedown")  # the next page is read too, with the new
            await settle(pilot)              # ones in it: at once, and read again
            assert late.new[0].number in {row.key for row in table.still.rows}
            assert not app._can_wait(late)

            # A count read between a commit and the look that finds it (Ctrl+R a
            # moment after a colleague's save): it holds the new one already.
            register(desk, admin.login)
            generation = table._generation
            await pilot.press("ctrl+r")
            assert await wait_until(pilot, lambda: table._generation > generation
                                    and table._landing is None)
            counted = table.row_count
            missed = watcher.changes()
            assert missed is not None and not missed.everything
            app.screen.changes_arrived(missed)
            await pilot.pause(0.3)
            assert await wait_until(pilot, lambda: table._landing is None)
            assert table.row_count == counted == sum(
                1 for c in iter_complaints(desk) if not c.closed)
        finally:
            watcher.close()


async def test_a_record_reads_again_only_for_its_own_complaints(desk, counter, admin):
    """A record on the terminal reads again when its complaint (or one it lists)
    changes, not when another one does."""
    mine = register(desk, admin.login, customer_name="甲客户")
    other = register(desk, admin.login, customer_name="乙客户", contact="13900001234")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.post_message(OpenComplaint(mine.number))
        await settle(pilot)
        record = app.screen
        assert isinstance(record, ComplaintRecordScreen)
        reads: list[int] = []
        original = record.refresh_data
        record.refresh_data = lambda: (reads.append(1), original())[1]  # type: ignore[method-assign]

        add_note(desk, admin.login, other.number, "别的投诉的备注")
        await pilot.pause(2.5)
        await settle(pilot)
        assert reads == []

        add_note(desk, admin.login, mine.number, "这份记录的备注")
        assert await wait_until(pilot, lambda: "这份记录的备注" in str(
            record.query_one("#record-timeline", Static).render()))
        assert reads == [1]


async def test_hidden_columns_show_customer_text_literally():
    """The line of dropped columns holds customer text: markup in it is shown as
    typed, never read (no bold, no link, no error for an unclosed tag)."""
    from textual.app import App, ComposeResult

    from screens.widgets.virtual_table import Column, HiddenColumns, TableRow

    hostile = "[b]赵[/b] [link=https://x.example]点我[/link] [red"

    class Host(App):
        def compose(self) -> ComposeResult:
            yield HiddenColumns([Column("客户", 10), Column("品名", 10)])

    async with Host().run_test(size=(80, 5)) as pilot:
        line = pilot.app.query_one(HiddenColumns)
        line.follow([10, 0], TableRow("k", ("张三", hostile)))
        await pilot.pause()
        shown = line.render_line(0).text
    assert f"未显示的列 ▸ 品名：{hostile}" in shown, shown


def test_a_position_that_cannot_be_read_is_unknown_and_the_rows_stand():
    """The desk's position is read after each count or page (to judge later
    changes against); if that read fails, the rows read still land."""
    class Failing:
        def position(self) -> int:
            raise RuntimeError("database gone")

    class Telling:
        def position(self) -> int:
            return 7

    assert VirtualTable._position(Failing()) is None  # type: ignore[arg-type]
    assert VirtualTable._position(Telling()) == 7  # type: ignore[arg-type]
    assert VirtualTable._position(object()) is None  # type: ignore[arg-type]
