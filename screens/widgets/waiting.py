"""Waiting made visible: work that takes longer than ``AFTER_SECONDS`` (a save
queued behind another console's write on a busy database, a large report)
shows a spinner and what it waits for, at the bottom of the screen, until it
ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, LoadingIndicator

#: Quicker than this and nothing is shown (it would only flicker).
AFTER_SECONDS = 0.3


class Waiting(Horizontal):
    """A spinner and the words of what the console is waiting for."""

    DEFAULT_CSS = """
    Waiting {
        dock: bottom;
        height: 1;
        background: $boost;
    }
    Waiting LoadingIndicator {
        width: 6;
        height: 1;
    }
    Waiting Label {
        width: 1fr;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(id="waiting")
        self.text = text

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        yield Label(Content(self.text))
