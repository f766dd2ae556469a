"""Helpers for Pilot and snapshot tests of the console."""

from __future__ import annotations

from complaintdesk.process import staffing
from screens.app import ComplaintDeskApp
from tests.helpers import register, sample


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let queued messages run and every database worker finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type text as key presses (one per character)."""
    await pilot.press(*[char for char in text])


def make_app(desk, login: str) -> ComplaintDeskApp:  # type: ignore[no-untyped-def]
    return ComplaintDeskApp(desk, staffing.sign_in(desk, login))


__all__ = ["make_app", "register", "sample", "settle", "type_text"]
