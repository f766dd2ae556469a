"""Keys typed ahead of the console (a burst over a slow SSH link, a paste, a scanner).

Textual reads each key in the App and hands it to the focused widget's own queue;
a priority binding (Ctrl+S, Tab) runs as the App reads its key, while the keys
typed just before it may still wait in that queue. Saving at once would save a
field without its last characters, silently.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ScreenStackError
from textual.screen import Screen
from textual.widget import Widget


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


class OwnKeysInOrder:
    """Mixin for a field that takes text keys itself (Input, TextArea, ChoiceBar):
    its own key bindings (Backspace, Delete, arrows, Home/End, Enter to submit) run
    in the field, in the order the keys were typed.

    Textual handles a text key in the focused field, but a bound key goes up
    through every parent's queue to the App before its binding runs; keys typed
    after it in the same read are meanwhile typed into the field. ``ab`` Backspace
    ``xyz`` arriving at once became ``abxy`` (upstream Textualize/textual#6605).
    Bindings of the screen and the App (Esc, Ctrl+S, Tab) are left to Textual:
    priority ones run as the App reads the key and ``after_typed_keys`` waits for
    the field; a binding that closes the screen must not run inside the field.

    List it before the widget class, so this handler runs before the widget's own
    (Input's and TextArea's never take a non-printable key that is one of their
    bindings; a class below the mixin, as ChoiceBar's digits, runs first). A
    binding that declines (SkipAction, a disabled action) goes up as before, where
    Textual looks in the field again (its actions decline before doing anything).
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # text: the field's own handler types it
        widget: Widget = self  # type: ignore[assignment]
        bindings = widget._bindings
        if widget.app._keymap:  # as Textual's own chain of bindings applies it
            bindings = bindings.copy()
            bindings.apply_keymap(widget.app._keymap)
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                restart_blink = getattr(widget, "_restart_blink", None)
                if restart_blink is not None:  # the field's own handler, skipped, would
                    restart_blink()
                event.stop()
                event.prevent_default()
                return
