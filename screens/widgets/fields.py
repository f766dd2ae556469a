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
    so new words replace them), with editing keys applied in the order typed.

    Enter (search) and Esc (cancel: the words it had when entered, hidden if none)
    hand the focus to ``leave_to`` (a selector on the screen) as the box reads
    them, in the order typed. Keys typed (or text pasted) after them that reached
    the box before it had read them are read again from the top, as typed on the list: ``/ 快递
    Enter n`` searches and then opens the form; ``n`` never lands in the box. (The
    screen's handler of ``Submitted`` runs later: moving the focus there was too
    late, and so is anything else done to the box there.)"""

    def __init__(self, *args, leave_to: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._leave_to = leave_to
        self._kept = ""

    def on_focus(self, event: events.Focus) -> None:
        self._kept = self.value  # the search in force: Esc goes back to it

    async def _on_key(self, event: events.Key) -> None:
        if self._left(event):
            self.app.post_message(events.Key(event.key, event.character))
        elif event.key == "escape":
            event.prevent_default()
            event.stop()
            self.value = self._kept
            self._leave()

    async def _on_paste(self, event: events.Paste) -> None:
        if self._left(event):
            self.app.post_message(events.Paste(event.text))

    def _left(self, event: events.Event) -> bool:
        """Whether ``event`` came after Enter or Esc, queued for the box before it
        read them: then it is not the box's, and is read again from the top."""
        if self.screen.focused is self:
            return False
        event.prevent_default()
        event.stop()
        return True

    async def action_submit(self) -> None:
        await super().action_submit()
        self._leave()

    def _leave(self) -> None:
        if not self.value.strip():
            self.display = False
        # Screen.set_focus, not Widget.focus(): at once, before the next key is read.
        self.screen.set_focus(self.screen.query_one(self._leave_to))
