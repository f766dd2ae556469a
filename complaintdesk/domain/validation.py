"""Validation of a 《客户投诉记录单》, shared by the form, intake and tests.

Field names are the intake/export names; ``FIELD_LABELS`` gives the printed
label each maps to, so every message can name the field as staff see it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from dateutil import parser as date_parser

from complaintdesk.domain.contacts import parse_contact
from complaintdesk.domain.enums import Category, Channel, Priority
from complaintdesk.domain.text import clean_line, clean_text

FIELD_LABELS: dict[str, str] = {
    "customer_name": "投诉客户名称",
    "address": "营业地址",
    "received_at": "受理日期",
    "channel": "投诉方式",
    "contact": "客户联系方式",
    "event": "投诉理由(事件经过)",
    "demand": "投诉要求",
    "category": "投诉类型",
    "priority": "紧急程度",
    "product": "品名",
    "quantity": "数量",
}

INTAKE_FIELDS = tuple(FIELD_LABELS)

MAX_LENGTH = {
    "customer_name": 100,
    "address": 200,
    "contact": 100,
    "event": 5000,
    "demand": 2000,
    "product": 100,
}
REQUIRED = ("customer_name", "contact", "channel", "event", "demand", "category", "priority")
MAX_QUANTITY = 10**9
# A receiving time a little ahead of the clock is tolerated (clock skew between systems).
FUTURE_TOLERANCE = timedelta(minutes=5)
MULTILINE = ("event", "demand")


@dataclass(frozen=True)
class ComplaintDraft:
    """A validated, cleaned record form, ready to register."""

    customer_name: str
    address: str
    contact: str
    channel: Channel
    received_at: datetime  # aware
    event: str
    demand: str
    category: Category
    priority: Priority
    product: str
    quantity: int | None


class HugeNumber(str):
    """A JSON integer literal too long to be worth converting (Python refuses
    more than 4,300 digits; no field takes more than ten): its digits as text,
    so that the field it was given for can say what is wrong."""


def parse_quantity(value: object) -> int | None:
    """A non-negative whole number, or None when empty.

    Raises:
        ValueError: with the message shown at the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("必须是不小于 0 的整数")
    digits = value.strip() if isinstance(value, str) else ""
    if re.fullmatch(r"[+-]?[0-9]{20,}", digits, re.ASCII):
        # Too long to convert cheaply (and Python refuses over 4,300 digits).
        raise ValueError("不能是负数" if digits.startswith("-") else f"不能超过 {MAX_QUANTITY}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", digits, re.ASCII):
        number = int(digits)
    else:
        raise ValueError("必须是不小于 0 的整数，例如 3")
    if number < 0:
        raise ValueError("不能是负数")
    if number > MAX_QUANTITY:
        raise ValueError(f"不能超过 {MAX_QUANTITY}")
    return number


def parse_received_at(value: object, now: datetime, zone: tzinfo) -> datetime:
    """ISO 8601 date-time; without an offset it is the desk's local time. Empty = now.

    Raises:
        ValueError: with the message shown at the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return now
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = date_parser.isoparse(value.strip())
        except (ValueError, OverflowError):
            try:
                moment = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
            except ValueError:
                raise ValueError("时间格式应为 2026-11-23 14:30 或 ISO 8601（如 2026-11-23T14:30:00+08:00）") from None
    else:
        raise ValueError("时间必须是文本，如 2026-11-23T14:30:00+08:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment > now + FUTURE_TOLERANCE:
        raise ValueError("不能晚于当前时间")
    if moment.year < 2000:
        raise ValueError("年份不合理（早于 2000 年）")
    return moment


def validate_complaint(data: Mapping[str, object], *, now: datetime,
                       zone: tzinfo) -> tuple[ComplaintDraft | None, dict[str, str]]:
    """Check a record form. Returns the cleaned draft, or None and field → message.

    Every field is checked so the form can show all problems at once.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, object] = {}

    for name in ("customer_name", "address", "contact", "event", "demand", "product"):
        raw = data.get(name)
        if raw is None:
            raw = ""
        if not isinstance(raw, str) or isinstance(raw, HugeNumber):
            errors[name] = "必须是文本"
            continue
        text = clean_text(raw).strip() if name in MULTILINE else clean_line(raw)
        if name in REQUIRED and not text:
            errors[name] = "必填"
            continue
        limit = MAX_LENGTH[name]
        if len(text) > limit:
            errors[name] = f"过长：{len(text)} 字，最多 {limit} 字"
            continue
        if name == "contact":
            try:
                parse_contact(text)
            except ValueError as exc:
                errors[name] = str(exc)
                continue
        cleaned[name] = text

    for name, enum in (("channel", Channel), ("category", Category), ("priority", Priority)):
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors[name] = "必填，请选择一项"
            continue
        try:
            cleaned[name] = enum.parse(raw)
        except ValueError as exc:
            errors[name] = str(exc)

    try:
        cleaned["quantity"] = parse_quantity(data.get("quantity"))
    except ValueError as exc:
        errors["quantity"] = str(exc)

    try:
        cleaned["received_at"] = parse_received_at(data.get("received_at"), now, zone)
    except ValueError as exc:
        errors["received_at"] = str(exc)

    if errors:
        return None, errors
    return ComplaintDraft(**cleaned), {}  # type: ignore[arg-type]


#: The text fields cleaning may change (see ``text.clean_text`` / ``clean_line``).
TEXT_FIELDS = ("customer_name", "address", "contact", "event", "demand", "product")


def cleaned_fields(data: Mapping[str, object], draft: "ComplaintDraft") -> list[str]:
    """The text fields whose stored text differs from what was given by more than
    the whitespace around it: control characters or bidi controls removed, line
    breaks in a one-line field made spaces, CR LF made LF, a lone surrogate
    replaced. Said on the result so the sender knows."""
    changed = []
    for name in TEXT_FIELDS:
        raw = data.get(name)
        if isinstance(raw, str) and raw.strip() != (getattr(draft, name) or ""):
            changed.append(name)
    return changed


#: A reason given for a correction, a merge…: required, one paragraph or a few.
MAX_REASON = 500


def cleaned_reason(value: object, what: str, example: str, errors: dict[str, str]) -> str:
    """``value`` as a reason, cleaned; a missing or overlong one is added to
    ``errors`` under ``"reason"`` (``what``: 更正原因, 合并原因; ``example`` shows one)."""
    text = clean_text(str(value or "")).strip()
    if not text:
        errors["reason"] = f"请填写{what}（如：{example}）"
    elif len(text) > MAX_REASON:
        errors["reason"] = f"{what}过长：{len(text)} 字，最多 {MAX_REASON} 字"
    return text

