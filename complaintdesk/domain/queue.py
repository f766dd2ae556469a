"""What the priority queue shows (a filter) and what one of its lines holds.

How a backend finds the rows is the store's (``store/port.QueueReader``); the
order is the process's: open before closed, 紧急 before 重大 before 一般, then the
nearest deadline, then id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from complaintdesk.domain.enums import Priority


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Every field narrows; the default is all open complaints."""

    status: str | None = None
    priority: str | None = None
    department: str | None = None
    mine: str | None = None  # a login: complaints received by, assigned to, or in the dept of
    mine_department: str | None = None
    overdue_only: bool = False
    include_closed: bool = False
    search: str = ""

    def with_(self, **changes: object) -> "QueueFilter":
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class QueueRow:
    """One queue line with what the screen needs, detached from the session."""

    id: int
    number: str
    priority: str
    status: str
    customer_name: str
    contact: str
    category: str
    department: str | None
    handler_name: str | None
    received_at: datetime
    due_at: datetime
    escalated: bool
    closed: bool
    dispatched_at: datetime | None = None
    resolved_at: datetime | None = None
    paused_at: datetime | None = None   # the handling clock waits on the customer
    paused_minutes: int = 0
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.closed, Priority(self.priority).rank, self.due_at, self.id)
