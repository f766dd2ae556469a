"""Plain text wrapped as Chinese is set: no line starts with ，。）… nor ends with
（「…, Latin words whole (``text.wrap_text``); Textual's own wrapping breaks CJK
text anywhere."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from complaintdesk.domain.text import wrap_text


class Wrapped(Widget):
    """A label whose text wraps by the Chinese line-breaking rules."""

    DEFAULT_CSS = """
    Wrapped {
        height: auto;
    }
    """

    def __init__(self, text: str, *, classes: str | None = None, id: str | None = None) -> None:
        super().__init__(classes=classes, id=id)
        self.text = text

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return len(wrap_text(self.text, width))

    def render(self) -> Content:
        return Content("\n".join(wrap_text(self.text, max(self.content_region.width, 1))))
