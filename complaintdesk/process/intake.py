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
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from complaintdesk.process.duplicates import duplicates_of_registered
from complaintdesk.process.complaints import register_draft, register_drafts, validate
from complaintdesk.process.desk import Desk
from complaintdesk.domain.errors import DomainError, ValidationFailed
from complaintdesk.domain.text import storable
from complaintdesk.domain.validation import (FIELD_LABELS, INTAKE_FIELDS, ComplaintDraft, HugeNumber,
                                             cleaned_fields)

BOM = "\ufeff"
#: A line longer than this is refused unread: the longest form (every field at
#: its limit, every character escaped as \uXXXX) is far below it.
MAX_LINE = 1_000_000
#: Integer literals longer than this are not converted (Python refuses more than
#: 4,300 digits and converting is quadratic); the field says what is wrong.
MAX_INT_DIGITS = 30

#: Lines registered in one transaction at most (see intake_lines).
BATCH = 100

log = logging.getLogger(__name__)


def field_name(name: str) -> str:
    """``quantity（数量）``: the intake name and the label staff see on the form."""
    label = FIELD_LABELS.get(name)
    return f"{name}（{label}）" if label else name


def field_help() -> str:
    """Every intake field, what it holds and whether it is required: the text
    of ``complaintdesk intake --help``."""
    from complaintdesk.domain.enums import Category, Channel, Priority
    from complaintdesk.domain.validation import MAX_LENGTH, MAX_QUANTITY, REQUIRED

    choices = {"channel": Channel, "category": Category, "priority": Priority}
    lines = ["每行一个 JSON 对象，字段（英文名：表单上的栏目）："]
    for name, label in FIELD_LABELS.items():
        need = "必填" if name in REQUIRED else "可不填"
        if name in choices:
            values = "、".join(f"{m.value}/{m.label}" for m in choices[name])
            what = f"{need}；代码或中文：{values}"
        elif name == "received_at":
            what = (f"{need}，默认为导入时刻；ISO 8601 如 2026-11-23T14:30:00+08:00，"
                    "或 2026-11-23 14:30（本台时区），不能晚于现在")
        elif name == "quantity":
            what = f"{need}；0 到 {MAX_QUANTITY} 的整数"
        elif name == "contact":
            what = f"{need}，最多 {MAX_LENGTH[name]} 字；手机、座机或电子邮箱"
        else:
            what = f"{need}，最多 {MAX_LENGTH[name]} 字"
        lines.append(f"  {name:<15}{label}（{what}）")
    lines += [
        "其他字段被拒绝（写错的字段名不会被悄悄忽略）。文本中的控制字符和双向控制符"
        "被删除，无效的代理字符换成 U+FFFD，CR LF 换成换行；单行栏目的换行和制表符"
        "换成空格；首尾空白被去掉。除首尾空白外被清理过的栏目列在结果的 cleaned 中。",
        "每行输出一条 JSON 结果：成功为受理编号（及 cleaned；同一联系方式、同一品名在"
        "[duplicates] within_days 天内已有未结案投诉时，另有 likely_duplicate_of 与 warning，"
        "该行照常登记），失败为 error 与行号；"
        "有失败的行时退出状态为 1，其余行照常登记。",
    ]
    return "\n".join(lines)


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


def _int(literal: str) -> int | HugeNumber:
    return HugeNumber(literal) if len(literal) > MAX_INT_DIGITS else int(literal)


#: json's own messages, in Chinese.
_JSON_MESSAGES = {
    "Expecting value": "此处应为一个值",
    "Extra data": "对象结束后还有多余内容",
    "Unterminated string starting at": "字符串没有结束引号",
    "Expecting property name enclosed in double quotes": "字段名必须用双引号括起",
    "Expecting ':' delimiter": "字段名后应为冒号 :",
    "Expecting ',' delimiter": "此处应为逗号 ,",
    "Invalid control character": "字符串中有未转义的控制字符",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\uXXXX 转义",
}


def parse_line(raw: str) -> tuple[dict | None, str | None]:
    """Decode one line into a record form, or say why it cannot be one."""
    if len(raw) > MAX_LINE:
        return None, f"此行过长（{len(raw):,} 个字符，最多 {MAX_LINE:,}）：未读取"
    try:
        data = json.loads(raw, parse_int=_int)
    except json.JSONDecodeError as exc:
        message = next((zh for en, zh in _JSON_MESSAGES.items() if exc.msg.startswith(en)),
                       exc.msg)
        return None, f"不是有效的 JSON：{message}（第 {exc.colno} 列）"
    except RecursionError:
        return None, "不是有效的 JSON：嵌套过深"
    except ValueError as exc:  # e.g. a number json cannot represent
        return None, f"不是有效的 JSON：{exc}"
    if not isinstance(data, dict):
        return None, f"每行必须是一个 JSON 对象 {{...}}，此行是{_json_type(data)}"
    unknown = [storable(key) for key in data if key not in FIELD_LABELS]
    if unknown:
        names = "、".join(unknown)
        return None, (f"未知字段 {names}（可用字段：{', '.join(INTAKE_FIELDS)}）；"
                      "此行未登记，以免丢失内容")
    return data, None


def intake_lines(desk: Desk, actor: str, lines: Iterable[str | bytes], *,
                 ready: Callable[[], bool] | None = None, batch: int = BATCH) -> Iterator[dict]:
    """Register one complaint per JSON line; yield one result per non-blank line.

    Results are ``{"line": N, "number": "TS-..."}`` (with ``"cleaned"``: the text
    fields cleaning changed, ``validation.cleaned_fields``) or ``{"line": N, "error":
    "..."}`` (validation errors add ``"fields"``: field → message). Lines are
    numbered from 1 as an editor shows them: blank lines are skipped without a
    result but still counted. A UTF-8 byte-order mark at a line's start is
    ignored. Lines may be ``bytes`` (a file read in binary): a line that is not
    UTF-8 is reported on its own instead of stopping the whole input.

    Lines already at hand are registered together, up to ``batch`` in one
    transaction with a savepoint each (one durable commit for all of them):
    ``ready()`` says whether the next line can be read without waiting (None:
    always, as for a list or a file), so a slow sender's line is answered at
    once and no lock is held while waiting for input. A line's result is given
    once it is committed.
    """
    source = iter(lines)
    number = 0
    while True:
        chunk: list[tuple[int, object]] = []
        exhausted = False
        while len(chunk) < batch:
            try:
                raw = next(source)
            except StopIteration:
                exhausted = True
                break
            number += 1
            chunk.append((number, _prepare(desk, number, raw)))
            if ready is not None and not ready():
                break
        yield from _register(desk, actor, chunk)
        if exhausted:
            return


class Ready(NamedTuple):
    """A line ready to register, and the fields whose text cleaning changed."""

    draft: ComplaintDraft
    cleaned: list[str]


def _prepare(desk: Desk, number: int, raw: str | bytes) -> object:
    """One line decoded and checked: a draft to register, a result (an error) to
    give as it is, or None for a blank line. Never raises."""
    try:
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return {"line": number, "error": f"不是 UTF-8 编码的文本（第 {exc.start + 1} 字节）"}
        # A byte-order mark begins the first line of a file, or a line where
        # files were joined with cat.
        raw = raw.removeprefix(BOM)
        if not raw.strip():
            return None
        data, problem = parse_line(raw)
        if problem is not None:
            return {"line": number, "error": problem}
        draft = validate(desk, data)
        return Ready(draft, cleaned_fields(data, draft))
    except DomainError as exc:
        return _error(number, exc)
    except Exception as exc:  # noqa: BLE001 - one line's failure must not end the run
        return _internal(number, exc)


def _register(desk: Desk, actor: str, chunk: list[tuple[int, object]]) -> Iterator[dict]:
    """Register the chunk's drafts together and give every line's result in order."""
    drafts = [(number, item.draft) for number, item in chunk if isinstance(item, Ready)]
    cleaned = {number: item.cleaned for number, item in chunk if isinstance(item, Ready)}
    done: dict[int, dict] = {}
    if drafts:
        try:
            outcomes: list[object] = list(register_drafts(desk, actor, [d for _, d in drafts]))
        except DomainError as exc:  # the actor may not register, the store refused
            outcomes = [exc] * len(drafts)
        except Exception:  # noqa: BLE001 - find the line that fails, alone
            log.exception("intake batch failed; registering its lines one by one")
            outcomes = [_alone(desk, actor, draft) for _, draft in drafts]
        for (number, _draft), outcome in zip(drafts, outcomes):
            if isinstance(outcome, DomainError):
                done[number] = _error(number, outcome)
            elif isinstance(outcome, Exception):
                done[number] = _internal(number, outcome)
            else:
                done[number] = {"line": number, "number": outcome if isinstance(outcome, str)
                                else outcome.number}  # type: ignore[attr-defined]
                if cleaned[number]:
                    done[number]["cleaned"] = cleaned[number]
    registered = [r["number"] for r in done.values() if "number" in r]
    try:
        earlier = duplicates_of_registered(desk, registered)
    except Exception:  # noqa: BLE001 - a warning that fails must not lose the results
        log.exception("intake: looking for likely duplicates failed")
        earlier = {}
    for result in done.values():
        found = earlier.get(result.get("number", ""))
        if found:
            result["likely_duplicate_of"] = [e.number for e in found]
            result["warning"] = ("可能与未结案的投诉重复（同一联系方式、同一品名，"
                                 f"{desk.config.duplicate_within_days} 天内）："
                                 + "、".join(e.describe(desk) for e in found)
                                 + "。已登记；若是同一件事，请在控制台打开它按 L 关联为重复登记")
    for number, item in chunk:
        if item is None:
            continue
        yield done[number] if number in done else item  # type: ignore[misc]


def _alone(desk: Desk, actor: str, draft: ComplaintDraft) -> object:
    try:
        return register_draft(desk, actor, draft)
    except Exception as exc:  # noqa: BLE001 - this line's result
        return exc


def _error(number: int, exc: DomainError) -> dict:
    if isinstance(exc, ValidationFailed):
        errors = {storable(k): storable(v) for k, v in exc.errors.items()}
        return {"line": number, "error": describe_errors(errors), "fields": errors}
    return {"line": number, "error": storable(exc.message)}


def _internal(number: int, exc: Exception) -> dict:
    log.error("intake line %d failed", number, exc_info=exc)
    return {"line": number, "error": f"内部错误（{type(exc).__name__}），此行未登记；"
                                    "其他行不受影响，请把此行交给管理员"}


__all__ = ["describe_errors", "field_name", "intake_lines", "parse_line"]
