"""Helpers for tests of every layer: a sample 记录单 and registering it."""

from __future__ import annotations

from complaintdesk.process.complaints import register_complaint


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
