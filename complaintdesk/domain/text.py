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
import unicodedata

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


def display_width(value: str) -> int:
    """Terminal cell width: wide (CJK) characters take two cells."""
    width = 0
    for char in value:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


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
