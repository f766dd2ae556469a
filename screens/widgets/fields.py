"""Text fields as the counter expects them: entering a pre-filled field puts the
cursor at the end of what is there (Textual's Input selects it all, so the first
key typed would replace a customer's name; its TextArea starts at the top), and
editing keys typed fast apply in the order typed (``OwnKeysInOrder``)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from screens.widgets.typeahead import OwnKeysInOrder


class Field(OwnKeysInOrder, Input):
    """A one-line field; focus puts the cursor after the text, nothing selected."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def on_focus(self, event: events.Focus) -> None:
        self.cursor_position = len(self.value)


class TextBox(OwnKeysInOrder, TextArea):
    """A multi-line field; focus puts the cursor at the end of the text."""

    def on_focus(self, event: events.Focus) -> None:
        self.move_cursor(self.document.end)


class SearchBox(OwnKeysInOrder, Input):
    """The queue's search box: Textual's Input (entering it again selects the words,
    so new words replace them), with editing keys applied in the order typed."""
