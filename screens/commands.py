"""Command palette: go to a complaint by its 受理编号; Textual's own commands and
the screen's actions, in Chinese."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from collections.abc import Iterator

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette, Hit, Hits, Provider
from textual.content import Content
from textual.screen import Screen
from textual.widgets.option_list import Option

from complaintdesk.process.complaints import find_numbers

from screens.messages import OpenComplaint
from screens.widgets.help_panel import action_name, keys_of

if TYPE_CHECKING:
    from screens.desk_app import DeskApp


class GoToComplaint(Provider):
    """Type part of a number (``0007``, ``20261123-0007``, ``TS-2026…``)."""

    app: "DeskApp"

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if len(query) < 2:
            return
        found = await asyncio.to_thread(find_numbers, self.app.desk, query, 20)
        for number, customer in found:
            yield Hit(
                1.0,
                Content.from_markup("转到投诉 $number  $customer", number=number, customer=customer),
                partial(self.app.post_message, OpenComplaint(number)),
                text=number,
                help="打开这件投诉的完整记录",
            )


class DeskCommandPalette(CommandPalette):
    """Textual's palette, speaking Chinese."""

    def __init__(self) -> None:
        super().__init__(placeholder="输入命令名称（如 登记、主题、退出）或受理编号…",
                         id="--command-palette")

    # Textual writes its "No matches found" in this method; the same, in Chinese.
    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text("没有匹配的命令或投诉", style="not bold")),
                           disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


#: Textual's own app keys that move the focus or open the palette: no commands.
NOT_COMMANDS = frozenset({"focus_next", "focus_previous", "command_palette"})


def system_commands(app: "DeskApp", screen: Screen) -> Iterator[SystemCommand]:
    """Textual's own commands (in Chinese, found by their English names too) and
    every action of the screen the palette was opened on, with its key."""
    yield SystemCommand("按键说明（keys, help）", "本屏每个键的作用，以及暗色的键为何不可用",
                        app.action_help)
    yield SystemCommand("主题（theme）", "切换配色主题", app.action_change_theme)
    yield SystemCommand("退出（quit）", "退出控制台", app.action_quit)
    for row in keys_of(screen):
        # The screen's own actions; a field's or a table's cursor keys are no commands.
        if row.dimmed_because or row.action is None or row.namespace not in (screen, app) \
                or action_name(row.action)[0] in NOT_COMMANDS:
            continue
        yield SystemCommand(f"{row.does}（{row.key}）", "本屏操作",
                            partial(app.run_action, row.action, row.namespace))
