"""Snapshots of the dialogs and tabs the other files leave out, at 80×24 and
120×40 with hostile text and the longest allowed department names: 派单, 告知客户,
客户意见, 上报, 备注, 关联, the discard confirmation, the 员工考核 tab and the
command palette. Open a changed SVG before accepting it
(`rsvg-convert -o x.png file.svg`)."""

from __future__ import annotations

import pytest

from complaintdesk.process import workflow as wf

from tests.screens.screen_helpers import make_app, register, settle, type_text
from tests.screens.test_snapshots import SIZES, no_blink
from tests.screens.test_snapshots_help_dialogs import long_desk  # noqa: F401 - a fixture


def _through_approval(desk, hostile_text: str) -> str:
    """A complaint with hostile texts carried to 已批准; returns its number."""
    c = register(desk, "counter1", customer_name=hostile_text[:60], event=hostile_text)
    n = c.number
    wf.judge_ours(desk, "counter1", n, department="d9", customer_told=True)
    wf.dispatch(desk, "super1", n, handler="handler1")
    wf.record_investigation(desk, "handler1", n, dict(
        facts=hostile_text[:200], root_cause="[b]包装[/b]", finding="我方", report="报告",
        evidence=[]))
    wf.submit_sheet(desk, "handler1", n, dict(
        result=hostile_text[:200], receiver_opinion="同意", method="compensation",
        loss_amount="1234.5"))
    wf.approve_plan(desk, "super1", n, opinion="同意 [@click=app.quit]x[/]")
    return n


async def _open(pilot, number: str, key: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.open_complaint(number)
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    await no_blink(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_dispatch_dialog(snap_compare, long_desk, size):  # noqa: F811
    """派单: the department's handlers to pick from, the deadline, the record behind."""
    desk, _, _ = long_desk
    c = register(desk, "counter1", customer_name="派单的客户")
    wf.judge_ours(desk, "counter1", c.number, department="d9", customer_told=True)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, c.number, "g")

    assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_inform_dialog(snap_compare, long_desk, hostile_text, size):  # noqa: F811
    """告知客户: how the customer was told, with the approved plan in view."""
    desk, _, _ = long_desk
    number = _through_approval(desk, hostile_text)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, number, "t")

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_opinion_dialog(snap_compare, long_desk, hostile_text, size):  # noqa: F811
    """客户意见: agreed or not, the customer's words, how they were given."""
    desk, _, _ = long_desk
    number = _through_approval(desk, hostile_text)
    wf.inform_customer(desk, "counter1", number, how="phone")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, number, "k")

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_escalate_dialog(snap_compare, long_desk, size):  # noqa: F811
    """上报: the reason field visible before anything is typed."""
    desk, fresh, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, fresh, "u")

    assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_note_dialog(snap_compare, long_desk, size):  # noqa: F811
    desk, fresh, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, fresh, "a")
        await type_text(pilot, "客户又来电[red]催[/red]")
        await settle(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_link_dialog(snap_compare, long_desk, size):  # noqa: F811
    desk, fresh, dispatched = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, fresh, "l")
        await type_text(pilot, dispatched[-6:])
        await settle(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_discard_confirmation(snap_compare, long_desk, size):  # noqa: F811
    """Esc on a record form with typed text asks before throwing it away."""
    desk, _, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "王")
        await pilot.press("escape")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_staff_tab_of_the_statistics(snap_compare, long_desk, hostile_text, size):  # noqa: F811
    """员工考核: each share says of what (按时 n / 处理 m)."""
    desk, _, _ = long_desk
    _through_approval(desk, hostile_text)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_command_palette(snap_compare, long_desk, size):  # noqa: F811
    """The palette in Chinese: the screen's actions and Textual's own commands."""
    desk, _, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_likely_duplicate_question(snap_compare, long_desk, size):  # noqa: F811
    """Saving the same contact's same product while the first is open asks first."""
    from tests.screens.test_screens_form import fill_phone_complaint

    desk, _, _ = long_desk
    register(desk, "counter1", customer_name="张三", contact="13800001111", product="保温杯",
             address="上海市徐汇区漕溪北路1号")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill_phone_complaint(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "counter1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_merge_dialog(snap_compare, long_desk, size):  # noqa: F811
    """合并重复投诉: what merging does, the original's number and the reason."""
    desk, fresh, dispatched = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, fresh, "m")
        await type_text(pilot, dispatched[-4:])
        await pilot.press("tab")
        await type_text(pilot, "同一客户[red]重复[/red]来电")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_correction_dialog(snap_compare, long_desk, size):  # noqa: F811
    """更正 (a supervisor: the 紧急程度 too), filled with the hostile record."""
    desk, fresh, _ = long_desk

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, fresh, "x")

    assert snap_compare(make_app(desk, "super1"), terminal_size=size, run_before=run_before)
