"""Untrusted text: cleaning at the core's boundary and terminal-safe helpers.

Customer texts may carry terminal escapes (ESC, OSC 52 clipboard writes), C1
controls or bidi overrides that reorder what staff read. They are removed
before anything is stored. A lone surrogate (U+D800–U+DFFF on its own: JSON's
``"\ud800"``, a file decoded with ``surrogateescape``) is no character and cannot
be stored as UTF-8; each becomes U+FFFD (�), as a decoder does with bytes it
cannot read. Everything else is kept exactly.
"""

from __future__ import annotations

import re

import wcwidth

# C0 controls except TAB (0x09) and LF (0x0A), DEL, C1 controls, and the bidi
# embedding/override/isolate characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]"
)


_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD: what remains can be
    encoded as UTF-8 (stored, printed, indexed). A valid pair cannot occur in a
    Python ``str`` (it holds code points), so every surrogate here is lone."""
    return _SURROGATE.sub(REPLACEMENT, value)


def clean_text(value: str) -> str:
    """Remove control characters (but newline and tab) and bidi overrides;
    replace lone surrogates with U+FFFD.

    CR LF and lone CR become LF so that a text pasted from Windows keeps its
    line breaks.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return storable(_UNSAFE.sub("", value))


def clean_line(value: str) -> str:
    """Clean a one-line field: like clean_text, and newlines/tabs become spaces."""
    return clean_text(value).replace("\n", " ").replace("\t", " ").strip()


def grapheme_width(cluster: str) -> int:
    """Cells one user-perceived character takes (an emoji family joined with
    ZWJ: 2; a letter with combining marks: 1; a zero-width space: 0), as the
    ``wcwidth`` library knows it; a control character takes none."""
    width = wcwidth.wcswidth(cluster)
    if width >= 0:
        return width
    return sum(max(wcwidth.wcwidth(char), 0) for char in cluster)


def graphemes(value: str) -> list[str]:
    """``value`` as user-perceived characters (never split inside one)."""
    return list(wcwidth.iter_graphemes(value))


def display_width(value: str) -> int:
    """Terminal cell width: wide (CJK, most emoji) characters take two cells,
    combining marks and zero-width characters none (``wcwidth``, grapheme-aware)."""
    if value.isascii() and value.isprintable():
        return len(value)  # the common case, without the library's walk
    return sum(grapheme_width(cluster) for cluster in wcwidth.iter_graphemes(value))


#: Chinese line-breaking rules (禁则): these never start a line…
NO_LINE_START = frozenset("，。、；：？！）」』》〉】〕”’…—·,.;:?!)]}%")
#: …and these never end one.
NO_LINE_END = frozenset("（「『《〈【〔“‘([{")
_LINE_BREAKS = re.compile("[\n\u2028\u2029]")


def wrap_text(value: str, width: int) -> list[str]:
    """Lines of at most ``width`` display cells (one wider character alone may
    exceed a width below 2).

    Newlines (and U+2028/U+2029) start new lines. CJK text breaks between any two
    characters, but closing punctuation (，。）…) never starts a line and opening
    punctuation (（「…) never ends one: the neighbouring character moves along. A run
    of narrow characters (a Latin word, a number) moves whole to the next line when
    it fits there, and the space it breaks at is dropped. Nothing else is dropped.
    """
    width = max(width, 1)
    lines: list[str] = []
    for paragraph in _LINE_BREAKS.split(value):
        line: list[str] = []
        used = 0
        for char in graphemes(paragraph):
            cw = grapheme_width(char)
            if used + cw > width and line:
                line, used, keep = _break(line, char, width, lines)
                if not keep:
                    continue
            line.append(char)
            used += cw
        lines.append("".join(line))
    return lines


def _break(line: list[str], char: str, width: int,
           lines: list[str]) -> tuple[list[str], int, bool]:
    """End ``line`` before ``char``; returns the next line's start, its width and
    whether ``char`` is still to be added (a breaking space is not)."""
    wide = grapheme_width(char) == 2
    cut = len(line) - 1 - line[::-1].index(" ") if " " in line else -1
    tail = line[cut + 1:] if cut > 0 else []
    if (char != " " and tail and not wide and all(grapheme_width(t) == 1 for t in tail)
            and display_width("".join(tail)) + grapheme_width(char) <= width):
        lines.append("".join(line[:cut]))  # a narrow word moves whole
        return tail, display_width("".join(tail)), True
    if char in NO_LINE_START or line[-1] in NO_LINE_END:
        # 禁则: carry the characters that may not stay behind (the one before a
        # closing mark, an opening mark, and any run of them) to the next line.
        k = len(line) - 1 if char in NO_LINE_START else len(line)
        while k > 0 and (line[k - 1] in NO_LINE_END
                         or (k < len(line) and line[k] in NO_LINE_START)):
            k -= 1
        carried = line[k:]
        if 0 < k < len(line) and not any(c.isspace() for c in carried) \
                and display_width("".join(carried)) + grapheme_width(char) <= width:
            lines.append("".join(line[:k]))
            return carried, display_width("".join(carried)), True
    lines.append("".join(line))
    return [], 0, char != " "


def pad(value: str, width: int) -> str:
    """Pad with spaces to ``width`` terminal cells (CJK-aware)."""
    return value + " " * max(width - display_width(value), 0)


def mask_contact(value: str) -> str:
    """Mask a contact for lists: ``138****5678``, ``l***@example.com``."""
    value = value.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    if len(value) <= 2:
        return "*" * len(value)
    return value[:1] + "*" * (len(value) - 2) + value[-1:]
