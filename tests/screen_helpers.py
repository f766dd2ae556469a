"""Helpers for Pilot and snapshot tests of the console."""

from __future__ import annotations

from complaintdesk.process import staffing
from complaintdesk.process.complaints import register_complaint
from screens.app import ComplaintDeskApp


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


def sample(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "customer_name": "北京华联超市",
        "address": "北京市朝阳区建国路88号",
        "contact": "13812345678",
        "channel": "phone",
        "event": "收到的玻璃杯有三只破损。",
        "demand": "退货并补发",
        "category": "product",
        "priority": "general",
        "product": "玻璃杯",
        "quantity": 3,
    }
    data.update(changes)
    return data


def register(desk, login: str, **changes: object):  # type: ignore[no-untyped-def]
    return register_complaint(desk, login, sample(**changes))
