"""How codes and times are shown: the one place the CLI, the printed forms and
the screens take their labels from.

Codes are the domain's enums (their Chinese labels are the paper forms'); an
unknown code (a newer release's, or a damaged row) is shown as it is rather
than hidden.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from complaintdesk.domain.enums import (AgreementMethod, Category, Channel, HandlingMethod,
                                        LabelledEnum, LinkKind, Priority, Responsibility,
                                        RevisitMethod, RevisitOutcome, Role, Satisfaction,
                                        SheetState, Status, audit_action_label)
from complaintdesk.domain.timing import TIME_FORMAT
from complaintdesk.domain.validation import FIELD_LABELS
from complaintdesk.process.desk import Desk

def label(enum: type[LabelledEnum], code: str | Enum | None) -> str:
    """The Chinese label of ``code`` in ``enum``; "" for none, the code itself
    when it is not one of the enum's."""
    if code is None or code == "":
        return ""
    try:
        return enum(code).label
    except ValueError:
        return str(code)


def action_label(action: str) -> str:
    """An audit event's action as the timeline shows it."""
    return audit_action_label(action)


def time_text(desk: Desk, moment: datetime | None, fmt: str = TIME_FORMAT) -> str:
    """A stored time in the desk's zone as the forms print it ("" for none)."""
    return desk.local(moment).strftime(fmt) if moment else ""


__all__ = ["FIELD_LABELS", "TIME_FORMAT", "AgreementMethod", "Category",
           "Channel", "HandlingMethod", "LinkKind", "Priority", "Responsibility",
           "RevisitMethod", "RevisitOutcome", "Role", "Satisfaction", "SheetState", "Status",
           "action_label", "label", "time_text"]
