"""Untrusted text: cleaned at the core's boundary, otherwise stored exactly."""

from __future__ import annotations


import pytest

from tests.helpers import sql_rows
from complaintdesk.process import complaints
from complaintdesk.domain.contacts import contact_key as normalize_contact
from complaintdesk.domain.text import clean_line, clean_text, display_width, mask_contact

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def form(**overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "customer_name": "张三", "contact": "13812345678", "channel": "web",
        "event": "商品有划痕", "demand": "换货", "category": "product", "priority": "major",
    }
    data.update(overrides)
    return data


# ----------------------------------------------------------------- clean_text

def test_removes_escape_sequences_start():
    assert clean_text("\x1b[31mred\x1b[0m") == "[31mred[0m"
    assert "\x1b" not in clean_text("a\x1b\x1b\x1bb")


def test_defuses_osc52_clipboard_write():
    cleaned = clean_text("看这里\x1b]52;c;cm0gLXJmIH4=\x07完")
    assert "\x1b" not in cleaned and "\x07" not in cleaned
    assert cleaned == "看这里]52;c;cm0gLXJmIH4=完"
    # The string-terminator form (ESC \) too.
    assert clean_text("\x1b]52;c;eA==\x1b\\") == "]52;c;eA==\\"


def test_removes_c0_c1_and_del():
    assert clean_text("\x9b31m红\x9d0;t\x9c") == "31m红0;t"
    assert clean_text("a\x00b\x08c\x7fd\x85e") == "abcde"
    for code in list(range(0x00, 0x09)) + list(range(0x0b, 0x20)) + list(range(0x7f, 0xa0)):
        if chr(code) == "\r":
            continue
        assert clean_text(f"x{chr(code)}y") == "xy", hex(code)


@pytest.mark.parametrize("char", BIDI)
def test_removes_bidi_overrides_and_isolates(char):
    assert clean_text(f"退款{char}gnp.exe") == "退款gnp.exe"


def test_keeps_newline_tab_brackets_backslashes_emoji():
    text = "第一行\n\t[urgent] [/b] [@click=app.quit]x[/] C:\\new \\n \"引号\" 'x' 😡👍🏻 這個產品"
    assert clean_text(text) == text


def test_carriage_returns_become_newlines():
    assert clean_text("一\r\n二\r三") == "一\n二\n三"


def test_keeps_other_unicode():
    # Zero-width joiners in emoji sequences and non-breaking spaces are not controls.
    text = "👨‍👩‍👧 a\u00a0b ﹝全角﹞ é"
    assert clean_text(text) == text


def test_clean_line_flattens_whitespace():
    assert clean_line("  张三\n有限\t公司\x1b  ") == "张三 有限 公司"


def test_hostile_fixture_is_clean_already(hostile_text):
    assert len(hostile_text) == 2000
    assert clean_text(hostile_text) == hostile_text


# ----------------------------------------------------------------- stored exactly

def test_hostile_text_is_stored_and_read_back_exactly(desk, counter, hostile_text):
    name = "[b]王[/b] \\n \"老\" 😡 這個"
    created = complaints.register_complaint(desk, counter, form(
        event=hostile_text, demand=hostile_text, customer_name=name,
        address="[@click=app.quit]地址[/]", product="[urgent]壶"))
    for complaint in (complaints.get_complaint(desk, created.number).complaint,
                      complaints.list_complaints(desk)[0],
                      next(iter(complaints.iter_complaints(desk)))):
        assert complaint.event == hostile_text
        assert complaint.demand == hostile_text
        assert complaint.customer_name == name
        assert complaint.address == "[@click=app.quit]地址[/]"
        assert complaint.product == "[urgent]壶"
    # Byte-exact in the file too, for every other reader (export, sqlite3 shell).
    assert sql_rows(desk, "SELECT event FROM complaint") == [(hostile_text,)]


def test_dangerous_characters_never_reach_the_database(desk, counter, hostile_text):
    poisoned = "\x1b]52;c;cm0gLXJm\x07" + "\u202e" + hostile_text[:1900] + "\x9b2J\x00"
    created = complaints.register_complaint(desk, counter, form(
        event=poisoned, demand="\u2066退款\u2069", customer_name="\x1b[2J张三\u202e",
        contact="138\x1b1234\u20665678"))
    stored = complaints.get_complaint(desk, created.number).complaint
    assert stored.event == clean_text(poisoned).strip()
    assert stored.event == "]52;c;cm0gLXJm" + hostile_text[:1900] + "2J"
    assert stored.demand == "退款"
    assert stored.customer_name == "[2J张三"
    assert stored.contact == "13812345678"
    for (value,) in sql_rows(desk, "SELECT event || demand || customer_name || contact "
                                   "FROM complaint"):
        assert all(ch not in value for ch in ["\x1b", "\x07", "\x9b", "\x00", *BIDI])
    for (value,) in sql_rows(desk, "SELECT name || contact FROM customer"):
        assert "\x1b" not in value and "\u2066" not in value


# ----------------------------------------------------------------- display helpers

@pytest.mark.parametrize("contact, masked", [
    ("13812345678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("li@example.com", "l***@example.com"),
    ("@example.com", "***@example.com"),
    ("ab", "**"),
    ("abcd", "a**d"),
])
def test_mask_contact(contact, masked):
    assert mask_contact(contact) == masked


def test_mask_contact_hides_the_middle_digits():
    assert "1234" not in mask_contact("13812345678")


@pytest.mark.parametrize("text, width", [
    ("", 0), ("abc", 3), ("中文", 4), ("中文ab", 6), ("投诉ＡＢ", 8), ("e\u0301", 1),
    ("受理编号TS-20261123-0001", 8 + 16),
])
def test_display_width(text, width):
    assert display_width(text) == width


@pytest.mark.parametrize("a, b", [
    ("138-1234-5678", "138 1234 5678"),
    ("(010)12345678", "010-1234 5678"),
    ("（010）12345678", "01012345678"),
    ("Li@Example.COM", "li@example.com"),
])
def test_normalize_contact_matches_formatting_variants(a, b):
    assert normalize_contact(a) == normalize_contact(b)
