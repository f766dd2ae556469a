"""Money as exact decimals: parsed from what staff type, stored as whole fen (cents)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_CENTS = 10**13  # a hundred billion yuan: anything above is a typing slip


def parse_amount(value: object) -> int | None:
    """``"1,234.5"``, ``"¥1234.50"`` or ``1234.5`` → 123450 fen; empty → None.

    Raises:
        ValueError: with a message for the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("金额必须是数字，例如 1234.50")
    text = str(value).strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("金额必须是数字，例如 1234.50") from None
    if not amount.is_finite():
        raise ValueError("金额必须是数字，例如 1234.50")
    if amount < 0:
        raise ValueError("金额不能是负数")
    # Before quantize: past 28 digits quantize raises InvalidOperation, not ValueError.
    if amount > Decimal(MAX_CENTS) / 100:
        raise ValueError("金额过大，请检查")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("金额最多两位小数（分）")
    cents = int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return cents


def format_amount(cents: int | None) -> str:
    """123450 → ``¥1,234.50``; None → ``—``."""
    if cents is None:
        return "—"
    yuan, fen = divmod(cents, 100)
    return f"¥{yuan:,}.{fen:02d}"
