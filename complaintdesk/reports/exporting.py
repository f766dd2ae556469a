"""Export: every complaint under the same field names as intake.

Texts come out exactly as they were stored (after the boundary cleaning):
markup-like brackets, backslashes, quotes, emoji and line breaks included.
Times are ISO 8601 with the offset of the desk's time zone; enumerations are
English codes, as intake accepts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from complaintdesk.process.complaints import iter_complaints
from complaintdesk.process.desk import Desk
from complaintdesk.store.models import Complaint
from complaintdesk.reports.spreadsheet import write_table
from complaintdesk.domain.text import mask_contact
from complaintdesk.domain.validation import INTAKE_FIELDS

EXPORT_FIELDS: tuple[str, ...] = (
    "number", *INTAKE_FIELDS, "status", "received_by",
    "first_response_due", "resolution_due", "escalated",
)


def complaint_row(desk: Desk, complaint: Complaint) -> dict:
    """One complaint as a flat dict of EXPORT_FIELDS."""
    return {
        "number": complaint.number,
        "customer_name": complaint.customer_name,
        "address": complaint.address,
        "received_at": desk.local(complaint.received_at).isoformat(),
        "channel": complaint.channel,
        "contact": complaint.contact,
        "event": complaint.event,
        "demand": complaint.demand,
        "category": complaint.category,
        "priority": complaint.priority,
        "product": complaint.product,
        "quantity": complaint.quantity,
        "status": complaint.status,
        "received_by": complaint.received_by,
        "first_response_due": desk.local(complaint.first_response_due).isoformat(),
        "resolution_due": desk.local(complaint.resolution_due).isoformat(),
        "escalated": bool(complaint.escalated),
    }


def export_rows(desk: Desk, *, full_contacts: bool) -> Iterator[dict]:
    """Every complaint in registration order, read in short sessions; contacts
    masked (``138****5678``) unless ``full_contacts``
    (``contacts.exports_full_contacts`` says for whom)."""
    for complaint in iter_complaints(desk):
        row = complaint_row(desk, complaint)
        if not full_contacts:
            row["contact"] = mask_contact(row["contact"])
        yield row


def jsonl_line(row: dict) -> str:
    """One JSON object, no newline. U+2028/U+2029 are escaped so that tools
    splitting on every Unicode line break still see one object per line."""
    text = json.dumps(row, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def write_jsonl(rows: Iterable[dict], stream: TextIO) -> int:
    """Write one JSON object per line (UTF-8, not ASCII-escaped). Returns the count."""
    count = 0
    for row in rows:
        stream.write(jsonl_line(row))
        stream.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict], stream: TextIO) -> int:
    """The export as CSV, safe to open in a spreadsheet (see spreadsheet.py).
    Returns the row count."""
    fields = list(EXPORT_FIELDS)
    return write_table(stream, fields, ([row.get(f) for f in fields] for row in rows))


__all__ = ["EXPORT_FIELDS", "complaint_row", "export_rows", "jsonl_line", "write_csv", "write_jsonl"]
