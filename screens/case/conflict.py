"""A refused save, side by side: the user's input and the version a colleague (or
the user in another session) saved meanwhile. Nothing typed is lost: the user
chooses which to keep, or goes back to editing with her own text.

Returns ``"mine"`` (save my input over the newer version), ``"theirs"`` (load the
other version into the editor) or None (back to editing, my input as it was).
"""

from __future__ import annotations

from enum import StrEnum

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

#: One compared field: its printed label, my text, theirs.
Difference = tuple[str, str, str]


class ConflictChoice(StrEnum):
    """How a save conflict is settled (Esc: neither, back to editing)."""

    MINE = "mine"      # save my input over their version
    THEIRS = "theirs"  # take their version


class ConflictDialog(ModalScreen[ConflictChoice | None]):
    """The fields that differ, mine on the left, theirs on the right."""

    BINDINGS = [
        Binding("m,M", "choose('mine')", "用我的保存"),
        Binding("t,T", "choose('theirs')", "采用对方的"),
        Binding("escape", "choose(None)", "返回编辑"),
    ]

    def __init__(self, message: str, theirs_title: str, differences: list[Difference]) -> None:
        super().__init__()
        self.message = message
        self.theirs_title = theirs_title
        self.differences = differences

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide conflict-dialog"):
            yield Label(Content("保存冲突：请对照后选择"), classes="dialog-title")
            # The keys first: on a small terminal the comparison scrolls below them.
            yield Label(Content("[M] 用我的输入保存（覆盖对方的版本）  [T] 采用对方的版本\n"
                                "[Esc] 返回编辑（保留我的输入）"), classes="dialog-keys")
            yield Label(Content(self.message), classes="dialog-body")
            with Grid(classes="conflict-grid"):
                yield Label(Content("字段"), classes="conflict-head")
                yield Label(Content("你的输入"), classes="conflict-head")
                yield Label(Content(self.theirs_title), classes="conflict-head")
                if not self.differences:
                    yield Label(Content("—"))
                    yield Label(Content("内容与对方的版本相同"))
                    yield Label(Content(""))
                for label, mine, theirs in self.differences:
                    yield Label(Content(label), classes="conflict-label")
                    yield Label(Content(mine or "（空）"), classes="conflict-mine")
                    yield Label(Content(theirs or "（空）"), classes="conflict-theirs")

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(None if choice is None else ConflictChoice(choice))
