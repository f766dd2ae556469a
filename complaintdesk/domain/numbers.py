"""受理编号: how a complaint's number is written. Issuing the next one of a day is
the store's job (``Store.next_sequence``): it needs the database's own locking."""

from __future__ import annotations

NUMBER_PREFIX = "TS"


def format_number(day: str, seq: int) -> str:
    """``TS-20261123-0007``; the sequence widens past 9999 rather than wrapping."""
    return f"{number_prefix(day)}{seq:04d}"


def number_prefix(day: str) -> str:
    """The number's text before its sequence: ``TS-20261123-``."""
    return f"{NUMBER_PREFIX}-{day}-"


def sheet_number(complaint_number: str, round_: int) -> str:
    """处理单编号: the complaint's number with CL- and the round (CL-20261123-0007-1)."""
    return f"CL-{complaint_number.removeprefix(NUMBER_PREFIX + '-')}-{round_}"
