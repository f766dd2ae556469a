"""The one line over a list that says how many rows it has and what filters it."""

from __future__ import annotations

import unicodedata

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Label


class StatusLine(Label):
    """One line of plain text (never markup), cut at the screen's edge.

    Its size is fixed, so a new text (``show``) repaints this line alone, with no
    layout pass; and the line is drawn as one segment, not through Textual's
    content renderer, which wraps and measures it (a third of a console's
    repaint when a colleague registers a complaint and only the count moves).
    A Label still: ``render()`` gives its text, as a test reads it."""

    DEFAULT_CSS = """
    StatusLine { width: 1fr; height: 1; }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        self._text = one_line(text)
        super().__init__(Content(self._text), id=id, markup=False)
        self._drawn: tuple[object, Strip] | None = None

    def show(self, text: str) -> None:
        """Say ``text`` instead (nothing is repainted if it is what it says)."""
        text = one_line(text)
        if text == self._text:
            return
        self._text = text
        self.update(Content(text), layout=False)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style.rich_style
        if y or not self._text:
            return Strip.blank(width, style)
        key = (self._text, width, style)
        if self._drawn is None or self._drawn[0] != key:
            line = Strip([Segment(self._text, style)]).crop_extend(0, width, style)
            self._drawn = (key, line)
        return self._drawn[1]


def one_line(text: str) -> str:
    """``text`` as one line of the terminal: a newline, a tab or another control
    character (a search term pasted with one) is a space, never a jump."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
