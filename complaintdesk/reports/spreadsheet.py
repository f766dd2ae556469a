"""CSV that a spreadsheet opens safely: every CSV the desk writes goes through here.

Excel, LibreOffice and WPS treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (``=HYPERLINK(...)`` in a customer's name would run when a
manager opens the export), and a leading tab or carriage return can hide such a
start. Following OWASP's rule for CSV injection, a text cell that starts with
one of those characters gets a single quote ``'`` in front: the spreadsheet shows
the text as text. Numbers (quantities, amounts) are written as numbers and left
alone. The exact text is in the JSON / JSON Lines exports.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

#: Characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet should see it: a text starting like a formula
    is prefixed with ``'``; None is empty; booleans are true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_table(stream: TextIO, header: Iterable[str], rows: Iterable[Iterable[object]]) -> int:
    """Write a UTF-8 BOM (so Excel reads the Chinese), the header and the rows,
    every cell through ``safe_cell``. The stream should be opened with
    ``newline=""``; texts with line breaks, quotes or commas are quoted by the
    csv module. Returns the number of rows."""
    stream.write(BOM)
    writer = csv.writer(stream)
    writer.writerow([safe_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


__all__ = ["FORMULA_START", "safe_cell", "write_table"]
