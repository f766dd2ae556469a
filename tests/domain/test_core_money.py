"""Money: what staff type into 损失金额 → whole fen, and fen → ¥1,234.50."""

from __future__ import annotations

from decimal import Decimal

import pytest

from complaintdesk.domain.money import MAX_CENTS, format_amount, parse_amount


@pytest.mark.parametrize(("typed", "cents"), [
    ("1,234.5", 123450),
    ("1234.50", 123450),
    ("1234", 123400),
    ("0", 0),
    ("0.00", 0),
    ("0.01", 1),
    ("0.1", 10),
    (".5", 50),
    ("  12.30  ", 1230),
    ("1.230", 123),              # a trailing zero is not a third decimal
    ("¥1,234.50", 123450),
    ("￥1234.5", 123450),        # full-width yen sign
    ("¥ 88", 8800),
    ("1，234.50", 123450),       # full-width comma
    ("1,234,567.89", 123456789),
    ("100000000000", MAX_CENTS),  # the largest amount accepted
    (1234.5, 123450),
    (7, 700),
    (Decimal("19.99"), 1999),
])
def test_parse_amount_to_fen(typed: object, cents: int) -> None:
    assert parse_amount(typed) == cents


@pytest.mark.parametrize("empty", [None, "", "   ", "\t"])
def test_parse_amount_empty_is_none(empty: object) -> None:
    assert parse_amount(empty) is None


@pytest.mark.parametrize(("typed", "message"), [
    ("-1", "负数"),
    ("-0.01", "负数"),
    (-5, "负数"),
    ("abc", "数字"),
    ("12元", "数字"),
    ("1.2.3", "数字"),
    ("1 234", "数字"),
    ("NaN", "数字"),
    ("nan", "数字"),
    ("sNaN", "数字"),
    ("Infinity", "数字"),
    ("-Infinity", "数字"),
    ("inf", "数字"),
    (float("nan"), "数字"),
    (float("inf"), "数字"),
    (True, "数字"),
    (False, "数字"),
    ("1.234", "两位小数"),
    ("0.001", "两位小数"),
    (0.1 + 0.2, "两位小数"),     # 0.30000000000000004
    ("100000000000.01", "过大"),
    ("1e30", "过大"),
    ("9" * 29, "过大"),          # more digits than Decimal's default precision
    ("1e999999999", "过大"),
])
def test_parse_amount_refuses_with_a_message(typed: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_amount(typed)
    assert type(caught.value) is ValueError, "must be a plain ValueError, not a decimal signal"
    assert message in str(caught.value)


@pytest.mark.parametrize(("cents", "shown"), [
    (123450, "¥1,234.50"),
    (0, "¥0.00"),
    (1, "¥0.01"),
    (10, "¥0.10"),
    (99, "¥0.99"),
    (100, "¥1.00"),
    (100000, "¥1,000.00"),
    (123456789, "¥1,234,567.89"),
    (MAX_CENTS, "¥100,000,000,000.00"),
    (10**20 + 5, "¥1,000,000,000,000,000,000.05"),
    (None, "—"),
])
def test_format_amount(cents: int | None, shown: str) -> None:
    assert format_amount(cents) == shown


@pytest.mark.parametrize("typed", ["0", "0.01", "1,234.5", "￥99，999.99", "100000000000"])
def test_parse_then_format_round_trip(typed: str) -> None:
    cents = parse_amount(typed)
    assert cents is not None
    assert parse_amount(format_amount(cents)) == cents
