"""Pilot tests: registering a complaint on the 《客户投诉记录单》 with the keyboard."""

from __future__ import annotations

import asyncio

import pytest

from textual.widgets import Input, Label, TextArea

from complaintdesk.process import staffing
from complaintdesk.process.complaints import count_complaints, get_complaint, list_complaints
from screens.widgets.choice_bar import ChoiceBar
from screens.widgets.dialogs import ConfirmDialog, SavedDialog
from screens.worklist.queue_screen import QueueScreen
from screens.register.record_form import RecordFormScreen
from screens.widgets.virtual_table import VirtualTable

from tests.screens.screen_helpers import make_app, register, settle, type_text


async def fill_phone_complaint(pilot) -> None:  # type: ignore[no-untyped-def]
    """The counter's path: typed text, one Tab per field, one key per picker choice."""
    await type_text(pilot, "张三")
    await pilot.press("tab")
    await type_text(pilot, "上海市徐汇区漕溪北路1号")
    await pilot.press("tab")  # past 受理日期 (now) and 投诉方式 (default 电话)
    await type_text(pilot, "138 0000 1111")
    await pilot.press("tab")
    await type_text(pilot, "快递破损")
    await pilot.press("tab")
    await type_text(pilot, "退款")
    await pilot.press("tab", "2", "tab", "1", "tab")  # 产品问题, 紧急
    await type_text(pilot, "保温杯")
    await pilot.press("tab")
    await type_text(pilot, "2")


async def open_filled_form(pilot) -> None:  # type: ignore[no-untyped-def]
    """From the queue: n and the phone complaint typed in (not saved)."""
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await fill_phone_complaint(pilot)


async def register_by_keys(pilot) -> None:  # type: ignore[no-untyped-def]
    """From the queue: n, the phone complaint, Ctrl+S (the saved dialog, or the
    form with its refusal, is then on screen)."""
    await open_filled_form(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_register_with_keyboard_only(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, RecordFormScreen)
        await fill_phone_complaint(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        number = app.screen.number
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(VirtualTable).cursor_key == number

    record = get_complaint(desk, number)
    c = record.complaint
    assert (c.customer_name, c.address, c.contact) == ("张三", "上海市徐汇区漕溪北路1号", "138 0000 1111")
    assert (c.channel, c.category, c.priority) == ("phone", "product", "urgent")
    assert (c.event, c.demand, c.product, c.quantity) == ("快递破损", "退款", "保温杯", 2)
    assert c.received_by == counter
    assert desk.local(c.received_at) == desk.now()
    assert number.startswith("TS-20261123-")


async def test_empty_form_shows_errors_at_fields_and_saves_nothing(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecordFormScreen)
        for name in ("customer_name", "contact", "event", "demand", "category"):
            label = screen.query_one(f"#error-{name}", Label)
            assert label.display, name
            assert "必填" in str(label.render())
        assert not screen.query_one("#error-address", Label).display
        assert screen.focused is screen.query_one("#customer_name", Input)
    assert count_complaints(desk) == 0


async def test_bad_quantity_is_named_at_the_field(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#quantity", Input).focus()
        await type_text(pilot, "-1")
        await pilot.press("tab")
        await settle(pilot)
        label = screen.query_one("#error-quantity", Label)
        assert label.display
        assert "负数" in str(label.render())
        screen.query_one("#quantity", Input).value = "1.5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "整数" in str(label.render())
    assert count_complaints(desk) == 0


async def test_escape_with_input_asks_and_keeps_the_form(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "李四")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#customer_name", Input).value == "李四"
        # ctrl+q must not throw the form away either.
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#customer_name", Input).value == "李四"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_escape_on_untouched_form_leaves_at_once(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_known_contact_shows_history_and_fills_name(desk, counter):
    register(desk, counter, contact="139-8888-7777", customer_name="王五商行", channel="wechat",
             event="上次的投诉 [b]内容[/b]")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#contact", Input).focus()
        await type_text(pilot, "139 8888 7777")
        await settle(pilot)
        history = screen.query_one("#customer-history")
        assert history.display
        shown = str(history.render())
        assert "1 件" in shown and "上次的投诉 [b]内容[/b]" in shown
        assert screen.query_one("#customer_name", Input).value == "王五商行"


async def test_channel_is_remembered_and_next_form_is_blank(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#channel", ChoiceBar).value == "phone"
        await type_text(pilot, "赵六")
        await pilot.press("tab", "tab", "shift+tab", "5", "tab")  # back from 联系方式: 微信
        await type_text(pilot, "wx_zhao6")
        await pilot.press("tab")
        await type_text(pilot, "客服态度差")
        await pilot.press("tab")
        await type_text(pilot, "道歉")
        await pilot.press("tab", "1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        await pilot.press("n")  # register the next one
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordFormScreen)
        assert form.query_one("#customer_name", Input).value == ""
        assert form.query_one("#event", TextArea).text == ""
        assert form.query_one("#channel", ChoiceBar).value == "wechat"
        assert not form.has_unsaved_input()
    assert [c.channel for c in list_complaints(desk)] == ["wechat"]


async def test_refused_save_keeps_the_input(desk, admin):
    staffing.add_staff(desk, admin.login, "handler1", "质检老刘", "handler", "quality")
    app = make_app(desk, "handler1")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await register_by_keys(pilot)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#customer_name", Input).value == "张三"
        messages = [str(n.message) for n in app._notifications]
        assert any("只有" in m and "登记投诉" in m for m in messages), messages
    assert count_complaints(desk) == 0


def burst(app, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Queue key presses all at once, as keys typed ahead arrive in one read over a
    slow SSH link: none is handled before the next is queued (pilot.press waits
    after every key, so it never shows this)."""
    from textual import events

    names = {"\t": "tab", "/": "slash", " ": "space"}
    named = {"tab": "\t", "enter": "\r", "backspace": "\x7f", "ctrl+s": None, "escape": "\x1b",
             "shift+tab": None, "left": None, "right": None, "home": None, "end": None,
             "delete": None}
    for key in keys:
        if key in named:
            app.post_message(events.Key(key, named[key]))
        else:
            for char in key:
                app.post_message(events.Key(names.get(char, char), char))


# Whole complaints typed before the console has caught up, and the fields they make.
TYPED_AHEAD = [
    # n, then every field, then Ctrl+S: each field gets its own text; nothing lands
    # in the queue or the wrong field (Tab and n are read at once, not after the
    # focused field).
    (("n", "王五/刘", "tab", "tab", "shift+tab", "3", "tab", "13900002222", "tab",
      "快递破损 n/s", "tab", "退款", "tab", "2", "tab", "1", "tab", "保温杯", "ctrl+s"),
     ("王五/刘", "13900002222", "onsite", "快递破损 n/s", "退款", "product", "urgent", "保温杯")),
    # Backspace, Home/End, Delete and a picker's arrows among the text: each applies
    # where it was typed, not after the text that followed it (Textual sends a
    # bound key up to the App first: "王五x" Backspace "六" became "王五x六").
    (("n", "王五x", "backspace", "六", "tab", "tab", "shift+tab", "4", "left", "tab",
      "1390000222", "left", "3", "end", "tab",
      "快递破损", "home", "【", "end", "】", "tab", "退款x", "backspace", "tab",
      "2", "tab", "1", "tab", "保温杯x", "left", "delete", "ctrl+s"),
     ("王五六", "13900002232", "onsite", "【快递破损】", "退款", "product", "urgent", "保温杯")),
]


@pytest.mark.parametrize("keys, fields", TYPED_AHEAD, ids=["fields", "editing-keys"])
async def test_keys_typed_ahead_land_where_they_were_typed(desk, counter, keys, fields):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, *keys)
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog), [str(n.message) for n in app._notifications]
        number = app.screen.number
    c = get_complaint(desk, number).complaint
    assert (c.customer_name, c.contact, c.channel, c.event, c.demand, c.category, c.priority,
            c.product) == fields


async def test_search_edited_while_typed_ahead(desk, counter):
    """A search corrected with Backspace and submitted with Enter in one burst
    searches for the corrected words."""
    register(desk, counter, customer_name="上海n/商行")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/", "n/商x", "backspace", "行", "enter")
        await settle(pilot)
        assert app.screen.queue_filter.search == "n/商行"
        assert app.screen.query_one(VirtualTable).row_count == 1


async def test_keys_typed_ahead_after_slash_go_into_the_search(desk, counter):
    """"/" then words at once: the words (n and / included) are the search, not
    keys of the queue (n would open the form)."""
    register(desk, counter, customer_name="上海n/商行")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/", "n/商行", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.queue_filter.search == "n/商行"
        assert app.screen.query_one(VirtualTable).row_count == 1


@pytest.mark.parametrize("after", ["n", "x", "nZ", "/娜"])
async def test_keys_typed_after_enter_in_the_search_are_the_lists(desk, counter, after):
    """"/ 商行 Enter" and a key at once: the search is 商行, and the key is the
    list's, not more words in the box: n opens the form (a Z after it is its
    first field's), x clears the search again, / opens the box again (娜 then
    replaces the words there, not yet searched)."""
    register(desk, counter, customer_name="上海商行")
    register(desk, counter, customer_name="李娜")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/", "商行", "enter", after)
        await settle(pilot)
        if after.startswith("n"):
            assert isinstance(app.screen, RecordFormScreen)
            assert app.screen.query_one("#customer_name", Input).value == after[1:]
            await app.pop_screen()
            await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert queue.queue_filter.search == ("" if after == "x" else "商行")
        box = queue.query_one("#search", Input)
        assert box.value == ("娜" if after == "/娜" else queue.queue_filter.search)
        assert box.has_focus == (after == "/娜")
        assert queue.query_one(VirtualTable).row_count == (2 if after == "x" else 1)


async def test_text_pasted_after_enter_in_the_search_goes_where_the_keys_put_the_focus(
        desk, counter):
    """"/ 商行 Enter", then "/", a paste of 李娜 and Enter, all queued at once: the
    paste lands in the box opened again (not in the box before the Enter) and
    the search is 李娜; a paste after Enter alone goes to the list, not the box."""
    from textual import events

    register(desk, counter, customer_name="上海商行")
    register(desk, counter, customer_name="李娜")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/", "商行", "enter", "/")
        app.post_message(events.Paste("李娜\n第二行"))
        burst(app, "enter")
        await settle(pilot)
        queue = app.screen
        assert queue.queue_filter.search == "李娜"
        assert queue.query_one("#search", Input).value == "李娜"
        burst(app, "/", "娜", "enter")
        app.post_message(events.Paste("上海"))
        await settle(pilot)
        assert queue.queue_filter.search == "娜"
        assert queue.query_one("#search", Input).value == "娜"
        assert queue.query_one(VirtualTable).has_focus


async def test_keys_typed_after_esc_in_the_search_are_the_lists(desk, counter):
    """A search on the list, then "/ 李 Esc / 娜 Enter" at once: Esc leaves the
    search as it was (商行), the second / opens the box again and 娜 replaces the
    words there: the search is 娜, nothing typed after Esc is lost or misplaced."""
    register(desk, counter, customer_name="上海商行")
    register(desk, counter, customer_name="李娜")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/", "商行", "enter")
        await settle(pilot)
        burst(app, "/", "李", "escape", "/", "娜", "enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert queue.queue_filter.search == "娜"
        assert queue.query_one("#search", Input).value == "娜"
        assert queue.query_one(VirtualTable).row_count == 1
        assert queue.query_one(VirtualTable).has_focus


async def test_a_search_typed_as_the_saved_dialog_closes_is_not_lost(desk, counter):
    """The queue is back on the terminal and "/", the number and Enter follow at
    once, as a fast typist's bytes do while the form is still being taken down:
    the search must land in the box, not in the table."""
    from textual import events

    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await register_by_keys(pilot)
        number = app.screen.number
        app.post_message(events.Key("enter", "\r"))
        while not isinstance(app.screen, QueueScreen):  # no settling: the form's
            await asyncio.sleep(0)                      # callbacks are still due
        burst = [events.Key("slash", "/")]
        burst += [events.Key("minus" if c == "-" else c, c) for c in number]
        burst.append(events.Key("enter", "\r"))
        for event in burst:
            app.post_message(event)
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.queue_filter.search == number
        assert app.screen.query_one(VirtualTable).source.count() == 1


async def test_an_unexpected_failure_keeps_the_input_and_allows_saving_again(
        desk, counter, monkeypatch):
    """Not a refusal but a fault (here a full disk): the console says so, the form
    keeps what was typed, and Ctrl+S works again once the fault is gone."""
    import screens.register.record_form as record_form

    real = record_form.register_complaint

    def disk_full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(record_form, "register_complaint", disk_full)
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await register_by_keys(pilot)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#customer_name", Input).value == "张三"
        notices = [n.message for n in app._notifications]
        assert any("No space left on device" in m and "仍在表单中" in m for m in notices)
        assert count_complaints(desk) == 0

        monkeypatch.setattr(record_form, "register_complaint", real)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
    assert count_complaints(desk) == 1


async def test_no_urgent_notice_for_the_clerks_own_registration(desk, counter):
    """The notice of a new 紧急 complaint is for the others; she knows hers."""
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill_phone_complaint(pilot)  # 紧急
        await pilot.press("ctrl+s")
        await settle(pilot)
        number = app.screen.number
        await pilot.press("enter")
        for _ in range(30):  # the watcher polls once a second
            await pilot.pause(0.1)
        await settle(pilot)
        assert get_complaint(desk, number).complaint.priority == "urgent"
        assert not [n for n in app._notifications if "紧急" in str(n.message)]


async def test_a_corrected_contact_never_mixes_two_customers(desk, counter):
    """Contact of 张三 (with an address), corrected to 李四's (without one): the
    form shows 李四 and no address, not 张三's address under 李四's name. A contact
    nobody has takes back what was filled in; a name the clerk typed herself is
    replaced only when she says so."""
    register(desk, counter, customer_name="张三", contact="13900000001", address="上海市徐汇区1号")
    register(desk, counter, customer_name="李四", contact="13900000002", address="")
    app = make_app(desk, counter)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        name, address = form.query_one("#customer_name", Input), form.query_one("#address", Input)
        contact = form.query_one("#contact", Input)

        async def contact_is(value: str) -> None:
            contact.value = value
            for _ in range(20):
                await pilot.pause(0.05)
            await settle(pilot)

        await contact_is("13900000001")
        assert (name.value, address.value) == ("张三", "上海市徐汇区1号")
        await contact_is("13900000002")
        assert (name.value, address.value) == ("李四", "")
        await contact_is("13900000009")
        assert (name.value, address.value) == ("", "")

        name.value = "王五（自己输入）"
        await contact_is("13900000001")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert (name.value, address.value) == ("王五（自己输入）", "上海市徐汇区1号")
        await contact_is("13900000002")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert (name.value, address.value) == ("李四", "")


async def test_the_saved_dialog_names_the_fields_that_were_cleaned(desk, counter):
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_filled_form(pilot)
        app.screen.query_one("#customer_name", Input).value = "张\x1b[31m三"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        text = "".join(str(label.render()) for label in app.screen.query(Label))
        assert "已清理：投诉客户名称" in text and "投诉理由" not in text
        number = app.screen.number
    assert get_complaint(desk, number).complaint.customer_name == "张[31m三"


async def test_a_slow_save_shows_what_it_waits_for(desk, counter, monkeypatch):
    """A save queued behind another console's write: after a moment a spinner and
    正在保存记录单… at the bottom; gone when the save is done."""
    import time

    import screens.register.record_form as record_form
    from screens.widgets.waiting import Waiting

    real = record_form.register_complaint

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(1.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(record_form, "register_complaint", slow)
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_filled_form(pilot)
        form = app.screen
        await pilot.press("ctrl+s")
        await pilot.pause(0.7)
        shown = form.query(Waiting)
        assert len(shown) == 1 and "正在保存记录单" in str(shown.first().query_one(Label).render())
        await pilot.pause(1.0)
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        assert not form.query(Waiting)


async def test_a_quick_save_shows_no_spinner(desk, counter, monkeypatch):
    from screens.widgets.waiting import Waiting

    mounted: list[object] = []
    monkeypatch.setattr(Waiting, "on_mount", lambda self: mounted.append(self), raising=False)
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await register_by_keys(pilot)
        await pilot.pause(0.5)
        assert isinstance(app.screen, SavedDialog)
    assert mounted == []


async def test_a_likely_duplicate_is_asked_about_before_it_is_registered(desk, counter):
    """The same contact already has an open complaint about the same product: Ctrl+S
    asks first; N goes back to the form with everything kept, Y registers."""
    earlier = register(desk, counter, customer_name="张三", contact="13800001111", product="保温杯",
                       address="上海市徐汇区漕溪北路1号")
    app = make_app(desk, counter)
    async with app.run_test(size=(80, 24)) as pilot:
        await register_by_keys(pilot)
        assert isinstance(app.screen, ConfirmDialog) and app.screen.title_text == "可能重复登记"
        assert earlier.number in str(app.screen.question)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#event", TextArea).text == "快递破损"
        assert count_complaints(desk) == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
    assert count_complaints(desk) == 2
