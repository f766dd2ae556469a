"""Intake: complaints arriving from other channels as JSON lines.

The web form, the WeChat bridge and the hotline system each write one JSON
object per line with the record form's fields (``validation.INTAKE_FIELDS``).
Every line is registered in its own transaction, so a bad line never stops the
good ones and nothing is ever half-registered. Every input line (blank ones
excepted) gets one result, so the caller can tell the sender which line failed
and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .complaints import register_complaint
from .desk import Desk
from .errors import DomainError, ValidationFailed
from .validation import FIELD_LABELS, INTAKE_FIELDS

BOM = "\ufeff"


def field_name(name: str) -> str:
    """``quantity（数量）``: the intake name and the label staff see on the form."""
    label = FIELD_LABELS.get(name)
    return f"{name}（{label}）" if label else name


def describe_errors(errors: dict[str, str]) -> str:
    """One line naming every bad field and what is wrong with it, in form order."""
    order = {name: i for i, name in enumerate(INTAKE_FIELDS)}
    names = sorted(errors, key=lambda n: order.get(n, len(order)))
    return "；".join(f"{field_name(name)}：{errors[name]}" for name in names)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "数组"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, (int, float)):
        return "数字"
    if value is None:
        return "null"
    return type(value).__name__


def parse_line(raw: str) -> tuple[dict | None, str | None]:
    """Decode one line into a record form, or say why it cannot be one."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"不是有效的 JSON：{exc.msg}（第 {exc.colno} 列）"
    except RecursionError:
        return None, "不是有效的 JSON：嵌套过深"
    if not isinstance(data, dict):
        return None, f"每行必须是一个 JSON 对象 {{...}}，此行是{_json_type(data)}"
    unknown = [key for key in data if key not in FIELD_LABELS]
    if unknown:
        names = "、".join(unknown)
        return None, (f"未知字段 {names}（可用字段：{', '.join(INTAKE_FIELDS)}）；"
                      "此行未登记，以免丢失内容")
    return data, None


def intake_lines(desk: Desk, actor: str, lines: Iterable[str | bytes]) -> Iterator[dict]:
    """Register one complaint per JSON line; yield one result per non-blank line.

    Results are ``{"line": N, "number": "TS-..."}`` or ``{"line": N, "error":
    "..."}`` (validation errors add ``"fields"``: field → message). Lines are
    numbered from 1 as an editor shows them: blank lines are skipped without a
    result but still counted. A UTF-8 byte-order mark before the first line is
    ignored. Lines may be ``bytes`` (a file read in binary): a line that is not
    UTF-8 is reported on its own instead of stopping the whole input.
    """
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield {"line": number, "error": f"不是 UTF-8 编码的文本（第 {exc.start + 1} 字节）"}
                continue
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        if not raw.strip():
            continue
        data, problem = parse_line(raw)
        if problem is not None:
            yield {"line": number, "error": problem}
            continue
        try:
            complaint = register_complaint(desk, actor, data)
        except ValidationFailed as exc:
            yield {"line": number, "error": describe_errors(exc.errors), "fields": dict(exc.errors)}
        except DomainError as exc:
            yield {"line": number, "error": exc.message}
        else:
            yield {"line": number, "number": complaint.number}


__all__ = ["describe_errors", "field_name", "intake_lines", "parse_line"]
