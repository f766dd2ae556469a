"""The record's 处理记录: an audit event's change, in words."""

from __future__ import annotations

import json

from complaintdesk.domain.enums import Category, Channel, Priority, Status
from complaintdesk.domain.timing import span
from complaintdesk.domain.validation import FIELD_LABELS

#: Coded fields a correction changes, shown by their labels.
_CODED = {"priority": Priority, "category": Category, "channel": Channel}


def change_text(action: str, field: str | None, before: str | None, after: str | None,
            detail: str | None = None) -> str:
    if field == "status":
        return f"状态：{_status_label(before)} → {_status_label(after)}"
    if field:
        coded = _CODED.get(field)
        if coded is not None:
            before, after = (_label_of(coded, before), _label_of(coded, after))
        reason = _reason(detail)
        return (f"{FIELD_LABELS.get(field, field)}：{before or '—'} → {after or '—'}"
                + (f"（原因：{reason}）" if reason else ""))
    if action.startswith("workflow."):
        # A step that kept the status: the clock's pause and the plan's opinions say
        # what they were; the others' labels say it all (e.g. 回访未联系上).
        return _kept_status_text(action.removeprefix("workflow."), _detail(detail))
    return after or ""


def _kept_status_text(step: str, detail: dict) -> str:
    if step == "pause":
        return f"原因：{detail.get('reason', '')}"
    if step == "resume":
        minutes = int(detail.get("paused_minutes") or 0)
        return f"{detail.get('how', '')}，暂停 {span(minutes)}，期限顺延"
    if step in ("manager_opinion", "approve_first"):
        return str(detail.get("opinion") or "") + ("，待二级审批" if step == "approve_first" else "")
    return ""


def _detail(detail: str | None) -> dict:
    try:
        value = json.loads(detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _label_of(enum, code: str | None) -> str:  # type: ignore[no-untyped-def]
    try:
        return enum(code).label
    except ValueError:
        return code or "—"


def _reason(detail: str | None) -> str:
    return str(_detail(detail).get("reason") or "")


def _status_label(code: str | None) -> str:
    try:
        return Status(code).label
    except ValueError:
        return code or "—"


__all__ = ["change_text"]
