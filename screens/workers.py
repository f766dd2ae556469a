"""One error path for the console's background database work.

A screen's thread worker hands its work to ``deliver``: the result reaches the
screen on the UI thread, and a refusal (DomainError) reaches it as the typed
exception — by default as an error notice (``refusal_text`` says it in words).
Anything else is a bug: it is logged, reported to the screen as a refusal (so a
form keeps its input and can be saved again) and never ends the console.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from textual.screen import Screen

from complaintdesk.domain.errors import DomainError, ValidationFailed

from screens.widgets.waiting import AFTER_SECONDS, Waiting

T = TypeVar("T")


class UnexpectedFailure(DomainError):
    """A failure that is not a refusal of the process (a bug, a full disk…)."""


def refusal_text(exc: DomainError) -> str:
    """What went wrong in words: a ValidationFailed as its fields' messages."""
    if isinstance(exc, ValidationFailed):
        return "；".join(exc.errors.values())
    return exc.message


def deliver(screen: Screen, work: Callable[[], T], done: Callable[[T], object],
            failed: Callable[[DomainError], object] | None = None, *,
            waiting: str | None = None) -> None:
    """Run ``work`` (in the calling worker thread); then, on the UI thread, call
    ``done`` with its result or ``failed`` with the refusal. With ``waiting``
    (``正在保存…``), work that takes longer than a moment shows a spinner and
    those words until it ends."""
    if waiting is None:
        _deliver(screen, work, done, failed)
        return
    ended = threading.Event()

    def show() -> None:  # on the UI thread; never after the work has ended
        if not ended.is_set() and screen.is_attached and not screen.query(Waiting):
            screen.mount(Waiting(waiting))

    def hide() -> None:
        for widget in screen.query(Waiting):
            widget.remove()

    timer = threading.Timer(AFTER_SECONDS, _on_ui_thread, args=(screen, show))
    timer.daemon = True
    timer.start()
    try:
        _deliver(screen, work, done, failed)
    finally:
        ended.set()
        timer.cancel()
        _on_ui_thread(screen, hide)


def _on_ui_thread(screen: Screen, call: Callable[[], object]) -> None:
    try:
        screen.app.call_from_thread(call)
    except RuntimeError:  # the console has ended meanwhile
        pass


def _deliver(screen: Screen, work: Callable[[], T], done: Callable[[T], object],
             failed: Callable[[DomainError], object] | None) -> None:
    try:
        result = work()
    except DomainError as exc:
        screen.app.call_from_thread(failed or _notice(screen), exc)
        return
    except Exception as exc:  # noqa: BLE001 - reported, never the end of the console
        screen.app.call_from_thread(screen.log.error, repr(exc))
        screen.app.call_from_thread(failed or _notice(screen),
                                    UnexpectedFailure(f"操作失败：{exc}"))
        return
    screen.app.call_from_thread(done, result)


def _notice(screen: Screen) -> Callable[[DomainError], object]:
    def notify(exc: DomainError) -> None:
        screen.notify(refusal_text(exc), severity="error", markup=False)
    return notify
