"""Text fields as the counter expects them: entering a pre-filled field puts the
cursor at the end of what is there (Textual's Input selects it all, so the first
key typed would replace a customer's name; its TextArea starts at the top)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea


class Field(Input):
    """A one-line field; focus puts the cursor after the text, nothing selected."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def on_focus(self, event: events.Focus) -> None:
        self.cursor_position = len(self.value)


class TextBox(TextArea):
    """A multi-line field; focus puts the cursor at the end of the text."""

    def on_focus(self, event: events.Focus) -> None:
        self.move_cursor(self.document.end)
