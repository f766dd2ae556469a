"""SQLModel tables. The DDL that creates them lives in ``schema.py``.

Times are aware datetimes, stored as UTC (sqlmodel's UTCDateTime) and read
back as UTC; the desk's time zone is applied for display and calendar periods.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    login: str = Field(primary_key=True)
    name: str
    role: str
    department: Optional[str] = None
    active: bool = True
    created_at: datetime


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    address: str = ""
    contact: str
    contact_key: str = Field(unique=True)
    created_at: datetime


class Complaint(SQLModel, table=True):
    """One 《客户投诉记录单》 and the complaint's current state."""

    __tablename__ = "complaint"

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    customer_name: str
    address: str = ""
    contact: str
    channel: str
    received_at: datetime
    event: str
    demand: str
    category: str
    priority: str
    priority_rank: int
    product: str = ""
    quantity: Optional[int] = None
    status: str
    received_by: str = Field(foreign_key="staff.login")
    first_response_due: datetime
    resolution_due: datetime
    escalated: bool = False
    department: Optional[str] = None
    handler: Optional[str] = None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    # The deadline the queue sorts by: first response while nothing has been
    # done yet, then resolution. Kept by the core whenever the status changes.
    due_at: Optional[datetime] = None
    closed: bool = False
    # Handling (schema v3).
    responsibility: Optional[str] = None  # ours / not_ours
    explanation: Optional[str] = None
    agreement_method: Optional[str] = None
    handling_due: Optional[datetime] = None
    customer_told_at: Optional[datetime] = None
    round: int = 1
    revisit_due: Optional[datetime] = None
    # Revisits and statistics (schema v4).
    first_response_at: Optional[datetime] = None  # responsibility judged
    resolved_at: Optional[datetime] = None        # outcome accepted: the revisit is due
    closed_at: Optional[datetime] = None
    handling_method: Optional[str] = None         # of the latest approved 处理单
    loss_cents: Optional[int] = None
    reopen_count: int = 0
    revisit_attempts: int = 0                     # failed attempts in this revisit


class Investigation(SQLModel, table=True):
    """The department's investigation of one round (process.md §4)."""

    __tablename__ = "investigation"

    id: Optional[int] = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    round: int
    facts: str
    root_cause: str
    evidence: str = "[]"  # JSON list of {"kind", "description", "path"}
    finding: str
    report: str
    recorded_by: str = Field(foreign_key="staff.login")
    recorded_at: datetime


class HandlingSheet(SQLModel, table=True):
    """One 《客户投诉处理单》 per round; ``version`` refuses stale saves."""

    __tablename__ = "handling_sheet"

    id: Optional[int] = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    round: int
    sheet_number: str = Field(unique=True)
    department: str
    handling_date: datetime
    result: str = ""
    receiver_opinion: str = ""
    manager_opinion: str = ""
    customer_opinion: str = ""
    method: Optional[str] = None
    loss_cents: Optional[int] = None
    product: str = ""
    quantity: Optional[int] = None
    state: str
    drafted_by: str = Field(foreign_key="staff.login")
    submitted_at: Optional[datetime] = None
    submitted_by: Optional[str] = Field(default=None, foreign_key="staff.login")
    decided_by: Optional[str] = Field(default=None, foreign_key="staff.login")
    decided_at: Optional[datetime] = None
    implementation_opinion: Optional[str] = None
    return_reason: Optional[str] = None
    updated_by: str = Field(foreign_key="staff.login")
    updated_at: datetime
    version: int = 1


class Revisit(SQLModel, table=True):
    """One call-back to the customer (process.md §7), reached or not."""

    __tablename__ = "revisit"

    id: Optional[int] = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    round: int
    attempt: int
    method: str
    reached: bool
    attitude: Optional[str] = None
    result: Optional[str] = None
    comment: str = ""
    outcome: str  # closed / reopened / retry / closed_unreached
    recorded_by: str = Field(foreign_key="staff.login")
    recorded_at: datetime
    received_at: datetime  # the complaint's, copied for the statistics
    received_by: str
    handler: Optional[str] = None


class ComplaintLink(SQLModel, table=True):
    """A complaint marked as a repeat or duplicate of another (same matter)."""

    __tablename__ = "complaint_link"

    id: Optional[int] = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    linked_id: int = Field(foreign_key="complaint.id")
    kind: str
    created_by: str = Field(foreign_key="staff.login")
    created_at: datetime


class AuditEvent(SQLModel, table=True):
    """Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime
    actor: str
    complaint_id: Optional[int] = Field(default=None, foreign_key="complaint.id")
    action: str
    field: Optional[str] = None
    before: Optional[str] = None
    after: Optional[str] = None
    detail: Optional[str] = None


class DailyCounter(SQLModel, table=True):
    """Last sequence number issued per local day, so numbers are never reused."""

    __tablename__ = "daily_counter"

    day: str = Field(primary_key=True)
    last: int = 0
