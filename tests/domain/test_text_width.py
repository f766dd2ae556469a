"""Display width and line wrapping of untrusted text: graphemes (emoji ZWJ
sequences, combining marks, zero-width characters), CJK, and the Chinese
line-breaking rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.domain.text import (NO_LINE_END, NO_LINE_START, display_width, graphemes,
                                       wrap_text)

import pytest


@pytest.mark.parametrize("text, cells", [
    ("abc", 3), ("客户投诉", 8), ("👨‍👩‍👧", 2), ("❤️", 2), ("e\u0301", 1), ("a\u200bb", 2),
    ("🇨🇳", 2), ("ｱ", 1), ("Ｆ", 2), ("a\x1bb", 2), ("", 0), ("中文 abc", 8),
])
def test_display_width_counts_what_a_terminal_shows(text, cells):
    assert display_width(text) == cells


def test_wrap_never_starts_a_line_with_closing_punctuation():
    text = "调查（暂不可用：投诉当前状态为“已登记”，不能记录调查）"
    for width in range(8, 40):
        for line in wrap_text(text, width)[1:]:
            assert line[0] not in NO_LINE_START, (width, line)
        assert "".join(wrap_text(text, width)) == text


def test_wrap_never_ends_a_line_with_opening_punctuation():
    text = "处理单（暂不可用）客户说「好」再见"
    for width in range(8, 30):
        for line in wrap_text(text, width)[:-1]:
            assert line[-1] not in NO_LINE_END, (width, line)


def test_a_latin_word_moves_whole_and_the_space_is_dropped():
    assert wrap_text("请拨打 hotline 4008001234", 12) == ["请拨打", "hotline", "4008001234"]


def test_an_emoji_family_is_never_split():
    lines = wrap_text("👨‍👩‍👧" * 5, 5)
    assert all(display_width(line) <= 5 for line in lines)
    assert "".join(lines) == "👨‍👩‍👧" * 5
    assert all(set(graphemes(line)) == {"👨‍👩‍👧"} for line in lines)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(list("客户投诉，。（）「」ab c1 👨‍👩‍👧e\u0301\u200b“”")),
                         max_size=120), st.text(max_size=120)),
       st.integers(min_value=2, max_value=60))
def test_wrap_keeps_every_character_and_fits_the_width(text, width):
    lines = wrap_text(text, width)
    assert all(display_width(line) <= width for line in lines)
    # only breaking spaces are dropped
    assert "".join(lines).replace(" ", "") == \
        "".join(text.replace("\n", "").replace("\u2028", "").replace("\u2029", "").split(" "))
