"""A modal form described by a list of fields: one dialog serves every workflow step.

It returns ``(submitted, values)``: on Esc the values come back too, so the
screen keeps them as a draft and a slip of the hand loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from screens.widgets.fields import Field, TextBox
from screens.widgets.wrapped import Wrapped
from screens.widgets.choice_bar import ChoiceBar
from screens.widgets.typeahead import after_typed_keys


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "line"  # line | area | choice
    options: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str = ""
    height: int = 3


@dataclass(frozen=True)
class FormResult:
    """What a form dialog closed with: ``submitted`` (Ctrl+S) or kept as a draft
    (Esc), and the values as typed either way."""

    submitted: bool
    values: dict[str, object]


class FormDialog(ModalScreen[FormResult]):
    """Fields in order; Ctrl+S submits; Esc cancels keeping the input."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "确定", priority=True),
        Binding("escape", "cancel", "取消（保留输入）"),
    ]

    def __init__(self, title: str, fields: list[FormField], values: dict[str, object] | None = None,
                 *, intro: Content | str = "", error: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.values = dict(values or {})
        self.intro = intro if isinstance(intro, Content) else Content(intro)
        self.error = error

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide form-dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            if self.intro.plain and not self.intro.spans:  # plain: wrapped as Chinese is set
                yield Wrapped(self.intro.plain, classes="dialog-body")
            elif self.intro.plain:
                yield Label(self.intro, classes="dialog-body")
            if self.error:
                yield Label(Content(self.error), classes="form-dialog-error")
            for spec in self.fields:
                value = self.values.get(spec.name)
                if spec.kind == "area":
                    yield Wrapped(spec.label, classes="form-dialog-label")
                    area = TextBox(str(value or ""), id=f"f-{spec.name}", soft_wrap=True)
                    area.styles.height = max(spec.height, 3)  # the border's two rows + text
                    yield area
                elif spec.kind == "choice":
                    yield Horizontal(
                        Label(Content(spec.label), classes="form-dialog-label inline"),
                        ChoiceBar(spec.options, str(value) if value else None,
                                  id=f"f-{spec.name}"),
                        classes="form-dialog-row",
                    )
                else:
                    yield Horizontal(
                        Label(Content(spec.label), classes="form-dialog-label inline"),
                        Field(str(value or ""), id=f"f-{spec.name}", placeholder=spec.placeholder),
                        classes="form-dialog-row",
                    )
            yield Label(Content("[Ctrl+S] 确定    [Esc] 取消（输入会保留）"), classes="dialog-keys")

    def on_mount(self) -> None:
        """Focus the first field still to be filled (a choice made in advance, a
        draft's text, are passed over), else the first."""
        empty = [spec for spec in self.fields if not str(self.values.get(spec.name) or "").strip()]
        target = (empty or self.fields)[0] if self.fields else None
        first = self.query(f"#f-{target.name}").first() if target is not None else None
        if first is not None:
            first.focus()

    def collect(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for spec in self.fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, ChoiceBar):
                values[spec.name] = widget.value
            elif isinstance(widget, Input):
                values[spec.name] = widget.value
        return values

    def action_submit(self) -> None:
        after_typed_keys(self, lambda: self.dismiss(FormResult(True, self.collect())))

    def action_cancel(self) -> None:
        self.dismiss(FormResult(False, self.collect()))
