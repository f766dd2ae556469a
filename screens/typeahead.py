"""Keys typed ahead of the console (a burst over a slow SSH link, a paste, a scanner).

Textual reads each key in the App and hands it to the focused widget's own queue;
a priority binding (Ctrl+S, Tab) runs as the App reads its key, while the keys
typed just before it may still wait in that queue. Saving at once would save a
field without its last characters, silently.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen


def after_typed_keys(screen: Screen, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the focused widget has handled every key queued for it:
    queued behind them, in that widget's own queue."""
    (screen.focused or screen).call_later(callback)
