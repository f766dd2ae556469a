"""Small modal dialogs with typed results."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; escape means no."""

    BINDINGS = [
        Binding("y", "answer(True)", "是"),
        Binding("n", "answer(False)", "否"),
        Binding("escape", "answer(False)", "取消"),
    ]

    def __init__(self, title: str, question: Content | str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question if isinstance(question, Content) else Content(question)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield Label(self.question, classes="dialog-body")
            yield Label(Content("[Y] 是    [N] 否"), classes="dialog-keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SavedDialog(ModalScreen[str]):
    """Shows the new 受理编号 so staff can read it to the customer."""

    BINDINGS = [
        Binding("enter", "choose('list')", "返回列表"),
        Binding("escape", "choose('list')", "返回列表", show=False),
        Binding("n", "choose('again')", "继续登记"),
    ]

    def __init__(self, number: str, summary: Content) -> None:
        super().__init__()
        self.number = number
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content("登记成功"), classes="dialog-title")
            yield Label(Content.from_markup("受理编号  [b]$number[/b]", number=self.number),
                        id="saved-number")
            yield Label(self.summary, classes="dialog-body")
            yield Label(Content("[Enter] 返回列表    [N] 继续登记下一件"), classes="dialog-keys")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
