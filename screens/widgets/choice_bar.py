"""A one-line picker: every option visible, chosen with one key.

At the counter a picker must cost one keystroke: the digit in front of an option
chooses it; left/right move between options. A dropdown would cost three.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from screens.widgets.typeahead import OwnKeysInOrder


class ChoiceBar(OwnKeysInOrder, Widget, can_focus=True):
    """Options as ``1 电话  2 电邮 …``; the chosen one is highlighted."""

    BINDINGS = [
        Binding("left", "move(-1)", "上一项", show=False),
        Binding("right", "move(1)", "下一项", show=False),
    ]

    COMPONENT_CLASSES = {"choice-bar--chosen", "choice-bar--key"}

    value: reactive[str | None] = reactive(None)

    class Changed(Message):
        """The chosen option changed."""

        def __init__(self, choice_bar: "ChoiceBar", value: str | None) -> None:
            super().__init__()
            self.choice_bar = choice_bar
            self.value = value

        @property
        def control(self) -> "ChoiceBar":
            return self.choice_bar

    def __init__(self, options: list[tuple[str, str]], value: str | None = None, *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        if len(options) > 9:
            raise ValueError("ChoiceBar takes at most 9 options (one digit each)")
        self.options = options
        self.set_reactive(ChoiceBar.value, value)

    def _parts(self) -> list[Content]:
        key_style = self.get_visual_style("choice-bar--key")
        chosen_style = self.get_visual_style("choice-bar--chosen")
        parts: list[Content] = []
        for index, (code, label) in enumerate(self.options, start=1):
            key = Content(str(index)).stylize(key_style)
            text = Content(f" {label} ")
            if code == self.value:
                text = text.stylize(chosen_style)
            parts.append(Content.assemble(key, text))
        return parts

    def _lines(self, width: int) -> list[Content]:
        """Options laid out left to right, a whole option to the next line when
        it does not fit (its digit stays with its name)."""
        lines: list[Content] = []
        line = Content("")
        for part in self._parts():
            if line.cell_length and line.cell_length + 1 + part.cell_length > width:
                lines.append(line)
                line = Content("")
            line = Content.assemble(line, " ", part) if line.cell_length else part
        lines.append(line)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(max(self.content_region.width, 1)))

    def watch_value(self, value: str | None) -> None:
        self.post_message(self.Changed(self, value))

    def _index(self) -> int:
        for index, (code, _label) in enumerate(self.options):
            if code == self.value:
                return index
        return -1

    def action_move(self, step: int) -> None:
        index = self._index()
        if index < 0:
            index = 0 if step > 0 else len(self.options) - 1
        else:
            index = (index + step) % len(self.options)
        self.value = self.options[index][0]

    def on_key(self, event: Key) -> None:
        if event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.options):
                self.value = self.options[index][0]
                event.stop()
                event.prevent_default()
