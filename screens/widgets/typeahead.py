"""Keys typed ahead of the console (a burst over a slow SSH link, a paste, a scanner).

Textual reads each key in the App and hands it to the focused widget's own queue;
a priority binding (Ctrl+S, Tab) runs as the App reads its key, while the keys
typed just before it may still wait in that queue. Saving at once would save a
field without its last characters, silently.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ScreenStackError
from textual.screen import Screen


def after_typed_keys(screen: Screen, callback: Callable[[], object]) -> None:
    """Run ``callback`` on ``screen`` once the focused widget has handled every key
    queued for it: a note queued behind them in that widget's own queue hands the
    callback back to the screen (run in the widget itself, a dialog dismissing
    its screen would wait for the widget's own message loop)."""
    def run() -> None:
        # A second Ctrl+S (or Esc) typed ahead may have closed the screen already:
        # its dismiss() would close the screen beneath instead.
        try:
            on_top = screen.app.screen is screen
        except ScreenStackError:  # the console is closing
            return
        if on_top:
            callback()  # not awaited: a dismiss() must not be awaited from its own screen

    focused = screen.focused
    if focused is None:
        screen.call_later(run)
    else:
        focused.call_later(screen.call_later, run)
