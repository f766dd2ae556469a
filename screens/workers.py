"""One error path for the console's background database work.

A screen's thread worker hands its work to ``deliver``: the result reaches the
screen on the UI thread, and a refusal (DomainError) reaches it as the typed
exception — by default as an error notice (``refusal_text`` says it in words).
Anything else is a bug: it is logged, reported to the screen as a refusal (so a
form keeps its input and can be saved again) and never ends the console.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.screen import Screen

from complaintdesk.domain.errors import DomainError, ValidationFailed

T = TypeVar("T")


class UnexpectedFailure(DomainError):
    """A failure that is not a refusal of the process (a bug, a full disk…)."""


def refusal_text(exc: DomainError) -> str:
    """What went wrong in words: a ValidationFailed as its fields' messages."""
    if isinstance(exc, ValidationFailed):
        return "；".join(exc.errors.values())
    return exc.message


def deliver(screen: Screen, work: Callable[[], T], done: Callable[[T], object],
            failed: Callable[[DomainError], object] | None = None) -> None:
    """Run ``work`` (in the calling worker thread); then, on the UI thread, call
    ``done`` with its result or ``failed`` with the refusal."""
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
