"""The line over a list (screens/widgets/status_line.py): any text, hostile or
wide, is one line exactly as wide as the screen, its control characters spaces;
a new text repaints that line alone, with no layout pass."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings, strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult

from screens.widgets.status_line import StatusLine, one_line


class Probe(App):
    def compose(self) -> ComposeResult:
        yield StatusLine("正在读取…", id="line")


def test_control_characters_are_spaces_and_the_rest_is_kept():
    assert one_line("待处理投诉 3 件\n\t搜索“[b]x[/b]”\x1b[31m") == "待处理投诉 3 件  搜索“[b]x[/b]” [31m"
    assert one_line("表情 😡👍🏻 繁體") == "表情 😡👍🏻 繁體"


def _drawn(line: StatusLine, width: int) -> str:
    strip = line.render_line(0)
    assert strip.cell_length == width
    return strip.text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_one_line_as_wide_as_the_screen(text):
    async def run() -> None:
        app = Probe()
        async with app.run_test(size=(40, 5)) as pilot:
            line = app.query_one(StatusLine)
            line.show(text)
            await pilot.pause()
            width = line.size.width
            drawn = _drawn(line, width)
            assert not any(ch in drawn for ch in "\n\r\t\x1b")
            shown = one_line(text)
            if cell_len(shown) <= width:  # all of it, padded
                assert drawn.rstrip(" ") == shown.rstrip(" ")
            assert line.render_line(1).cell_length == width  # nothing below

    asyncio.run(run())


async def test_a_new_text_repaints_the_line_without_a_layout():
    app = Probe()
    async with app.run_test(size=(30, 5)) as pilot:
        line = app.query_one(StatusLine)
        layouts: list[bool] = []
        original = line.refresh

        def refresh(*regions, **kwargs):  # type: ignore[no-untyped-def]
            layouts.append(bool(kwargs.get("layout")))
            return original(*regions, **kwargs)

        line.refresh = refresh  # type: ignore[method-assign]
        line.show("待处理投诉 12,345 件")
        line.show("待处理投诉 12,345 件")  # the same again: nothing to repaint
        await pilot.pause()
        assert layouts == [False]
        assert _drawn(line, line.size.width).startswith("待处理投诉 12,345 件")
        line.show("待处理投诉超过一千件，只列出最前面的一千件（加词可缩小范围）")
        await pilot.pause()
        assert _drawn(line, line.size.width) == "待处理投诉超过一千件，只列出最"
        assert str(line.render()) == "待处理投诉超过一千件，只列出最前面的一千件（加词可缩小范围）"
