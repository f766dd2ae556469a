"""One error path for the console's background database work.

A screen's thread worker hands its work to ``deliver``: the result reaches the
screen on the UI thread, and a refusal (DomainError) reaches it as its message —
by default as an error notice. Anything else is a bug and goes to the app's
worker-error handler (``ComplaintDeskApp.on_worker_state_changed``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.screen import Screen

from complaintdesk.domain.errors import DomainError

T = TypeVar("T")


def deliver(screen: Screen, work: Callable[[], T], done: Callable[[T], object],
            failed: Callable[[str], object] | None = None) -> None:
    """Run ``work`` (in the calling worker thread); then, on the UI thread, call
    ``done`` with its result or ``failed`` with the refusal's message."""
    try:
        result = work()
    except DomainError as exc:
        screen.app.call_from_thread(failed or _notice(screen), exc.message)
        return
    screen.app.call_from_thread(done, result)


def _notice(screen: Screen) -> Callable[[str], object]:
    def notify(message: str) -> None:
        screen.notify(message, severity="error", markup=False)
    return notify
