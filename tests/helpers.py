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


def sql_rows(desk, statement: str, **params: object) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Rows of ``statement`` (``:name`` parameters) read straight from the desk's
    database, whichever its backend, behind the core's back."""
    from sqlalchemy import text

    with desk.store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement), params)]


def sql_run(desk, statement: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    """Change the desk's database behind the core's back, as another tool would."""
    from sqlalchemy import text

    with desk.store.engine.begin() as conn:
        conn.execute(text(statement), params)


def backend(desk) -> str:  # type: ignore[no-untyped-def]
    """``sqlite`` or ``postgresql``."""
    return getattr(desk.store, "backend", "sqlite")


def location(desk) -> object:  # type: ignore[no-untyped-def]
    """What ``open_desk`` takes to open the desk's database again (elsewhere, in a
    child process): the file, or the URL with its password (``store.path`` hides it)."""
    return getattr(desk.store, "url", None) or desk.store.path
