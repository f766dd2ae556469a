"""Textual's Footer, rebuilt once per burst of binding changes.

Textual's Footer recomposes after every ``bindings_updated`` signal, and a
screen sends several in a row (mounting, focusing, each reactive that changes
which actions apply): five rebuilds before the queue's first paint, 177 ms of
the console's start-up on the development machine. A rebuild reads the bindings
as they are when it runs, so one rebuild after the burst shows the same keys.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Drop-in for ``textual.widgets.Footer`` that coalesces rebuilds."""

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
