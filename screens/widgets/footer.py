"""Textual's Footer, rebuilt once per burst of binding changes, showing whole
keys only.

Textual's Footer recomposes after every ``bindings_updated`` signal, and a
screen sends several in a row (mounting, focusing, each reactive that changes
which actions apply): five rebuilds before the queue's first paint, 177 ms of
the console's start-up on the development machine. A rebuild reads the bindings
as they are when it runs, so one rebuild after the burst shows the same keys.

Textual's Footer also cuts the last key that does not fit in the middle of its
label ("d 部" at 80 columns). Here keys that do not fit are left out whole; the
help panel (``?``) lists every key.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widget import Widget

#: A key's cells beyond its key and label: Textual pads the key one cell each
#: side and the label one cell after.
KEY_PADDING = 3


def key_width(key: Widget) -> int:
    """Cells a FooterKey takes (Textual does not export the class; its key and
    label are public attributes)."""
    return (cell_len(getattr(key, "key_display", "")) + cell_len(getattr(key, "description", ""))
            + KEY_PADDING)


class Footer(TextualFooter):
    """Drop-in for ``textual.widgets.Footer`` that coalesces rebuilds and never
    shows half a key."""

    _rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False  # a change from here on asks for another
        await self.recompose()

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        palette = [w for w in widgets if w.has_class("-command-palette")]
        keys = [w for w in widgets if hasattr(w, "key_display") and w not in palette]
        if len(keys) + len(palette) != len(widgets):  # groups: leave them to Textual
            yield from widgets
            return
        room = (self.size.width or self.app.size.width) - sum(map(key_width, palette)) - 1
        kept: list[Widget] = []
        for key in keys:
            room -= key_width(key)
            if room < 0:
                break
            kept.append(key)
        self.styles.grid_size_columns = len(kept)
        yield from kept
        yield from palette
