"""Small modal dialogs with typed results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, TextArea

from complaintdesk.domain.enums import LinkKind

from screens.widgets.fields import Field, TextBox
from screens.widgets.wrapped import Wrapped
from screens.widgets.choice_bar import ChoiceBar
from screens.widgets.typeahead import after_typed_keys


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; escape means no."""

    BINDINGS = [
        Binding("y,Y", "answer(True)", "是"),
        Binding("n,N", "answer(False)", "否"),
        Binding("escape", "answer(False)", "取消"),
    ]

    def __init__(self, title: str, question: Content | str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question if isinstance(question, Content) else Content(question)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            if self.question.spans:
                yield Label(self.question, classes="dialog-body")
            else:  # plain: wrapped as Chinese is set, never cut at the dialog's edge
                yield Wrapped(self.question.plain, classes="dialog-body")
            yield Label(Content("[Y] 是    [N] 否"), classes="dialog-keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class KeptInputDialog(ModalScreen[None]):
    """A step that could not be saved and cannot be retried (a colleague did it
    meanwhile): the reason, and what the user typed, field by field."""

    BINDINGS = [
        Binding("escape", "close", "关闭"),
        Binding("enter", "close", "关闭", show=False),
    ]

    def __init__(self, title: str, message: str, typed: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.typed = typed

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide kept-input"):
            yield Label(Content(self.title_text), classes="dialog-title")
            # The key first: on a small terminal the texts scroll below it.
            yield Label(Content("[Esc] 关闭（此步骤已由他人完成，无法重试）"), classes="dialog-keys")
            yield Label(Content(self.message), classes="dialog-body")
            yield Label(Content("你输入的内容（未保存，可复制后另行记录）："), classes="form-dialog-label")
            for label, text in self.typed:
                yield Label(Content(label), classes="form-dialog-label")
                yield Label(Content(text), classes="dialog-body kept-text")

    def action_close(self) -> None:
        self.dismiss(None)


class NoticeScreen(Screen[None]):
    """A whole screen with one notice and nothing else: shown in place of every
    record when the console must close (the account was disabled)."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield Label(Content(self.message), classes="dialog-body")


class SavedChoice(StrEnum):
    """What the clerk chose after a registration."""

    LIST = "list"    # back to the queue
    AGAIN = "again"  # register the next complaint


@dataclass(frozen=True)
class NoteResult:
    """What the note dialog closed with: save it, or keep it as a draft."""

    save: bool
    text: str


@dataclass(frozen=True)
class LinkRequest:
    """Link this complaint to ``number`` as ``kind`` (a LinkKind code)."""

    number: str
    kind: str


class SavedDialog(ModalScreen[SavedChoice]):
    """Shows the new 受理编号 so staff can read it to the customer."""

    BINDINGS = [
        Binding("enter", "choose('list')", "返回列表"),
        Binding("escape", "choose('list')", "返回列表", show=False),
        Binding("n,N", "choose('again')", "继续登记"),
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
        self.dismiss(SavedChoice(choice))


class NoteDialog(ModalScreen[NoteResult]):
    """Write a note for the timeline. Escape keeps the draft for next time."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "保存备注", priority=True),
        Binding("escape", "cancel", "取消"),
    ]

    def __init__(self, number: str, draft: str = "") -> None:
        super().__init__()
        self.number = number
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Content.from_markup("给 $number 添加备注", number=self.number),
                        classes="dialog-title")
            yield TextBox(self.draft, id="note-text", soft_wrap=True)
            yield Label(Content("[Ctrl+S] 保存    [Esc] 取消（草稿保留）"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def action_submit(self) -> None:
        after_typed_keys(self, lambda: self.dismiss(NoteResult(True, self.text)))

    def action_cancel(self) -> None:
        self.dismiss(NoteResult(False, self.text))


class LinkDialog(ModalScreen[LinkRequest | None]):
    """Link this complaint to another one about the same matter."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "关联", priority=True),
        Binding("escape", "cancel", "取消"),
    ]

    def __init__(self, number: str, other: str = "") -> None:
        super().__init__()
        self.number = number
        self.other = other

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Content.from_markup("把 $number 关联到另一件投诉", number=self.number),
                        classes="dialog-title")
            yield Label(Content("另一件的受理编号"))
            yield Field(self.other, id="link-number", placeholder="TS-20261123-0007")
            yield Label(Content("关联类型"))
            yield ChoiceBar(LinkKind.choices(), LinkKind.REPEAT.value, id="link-kind")
            yield Label(Content("[Enter] 关联    [Esc] 取消"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        after_typed_keys(self, self._submit)

    def _submit(self) -> None:
        number = self.query_one(Input).value.strip()
        if not number:
            self.notify("请输入另一件投诉的受理编号", severity="warning", markup=False)
            return
        self.dismiss(LinkRequest(number, self.query_one(ChoiceBar).value or LinkKind.REPEAT.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
