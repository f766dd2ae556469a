"""SQLModel tables. The DDL that creates them lives in ``schema.py``.

Times are aware datetimes, stored as UTC (sqlmodel's UTCDateTime) and read
back as UTC; the desk's time zone is applied for display and calendar periods.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import event
from sqlmodel import Field, SQLModel



class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    login: str = Field(primary_key=True)
    name: str
    role: str
    department: Optional[str] = None
    active: bool = True
    created_at: datetime
    #: The manager (部门经理) of ``department``: gives the 处理单's 部门经理意见 (v12).
    manager: bool = False


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
    # Derived from the times above on every write (schema v5; see timing_facts), so
    # the statistics sum small integers instead of comparing times row by row.
    first_response_late: Optional[int] = None     # None until judged; 0 on time, 1 late
    resolution_late: Optional[int] = None         # None until resolved; 0 on time, 1 late
    handling_minutes: Optional[int] = None        # received → resolved, whole minutes
    # Merged into another complaint as its duplicate (schema v10): closed, counted
    # once in the 统计表 (as the one it was merged into).
    merged_into_id: Optional[int] = Field(default=None, foreign_key="complaint.id")
    # The department's investigation clock, set at dispatch, and the handling
    # clock's pause while the desk waits on the customer (schema v12, clocks.py).
    dispatched_at: Optional[datetime] = None
    investigation_due: Optional[datetime] = None
    paused_at: Optional[datetime] = None          # None: the clocks run
    pause_reason: Optional[str] = None
    paused_minutes: int = 0                       # every finished pause, whole minutes


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
    #: Logins of everyone who saved a version, space-separated (schema v8).
    authors: str = ""
    #: 部门经理意见 is given by the department's manager, never typed into the
    #: sheet by its editors; and a plan above the configured amount is approved
    #: twice: ``first_*`` is the first approval (schema v12, approvals.py).
    manager_opinion_by: Optional[str] = Field(default=None, foreign_key="staff.login")
    manager_opinion_at: Optional[datetime] = None
    first_decided_by: Optional[str] = Field(default=None, foreign_key="staff.login")
    first_decided_at: Optional[datetime] = None
    first_opinion: Optional[str] = None

    def author_logins(self) -> set[str]:
        """Who wrote any version of this sheet (none of them may decide on it)."""
        return set(self.authors.split()) | {login for login in (
            self.drafted_by, self.updated_by, self.submitted_by, self.manager_opinion_by) if login}


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


class AlertSent(SQLModel, table=True):
    """An alert given once (schema v11): about which complaint, what it was about
    (``key``: the deadline state and the deadline, a revisit's due time, a new 重大
    complaint) and to whom."""

    __tablename__ = "alert_sent"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    key: str = Field(primary_key=True)
    recipient: str = Field(primary_key=True)
    sent_at: datetime


class AuditEvent(SQLModel, table=True):
    """Append-only: triggers refuse UPDATE and DELETE, and an INSERT but of the next
    id with its hash (schema v7). ``hash`` links the event to the one before
    (audit_chain.py); audit.record sets ``id`` and ``hash``."""

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
    hash: Optional[bytes] = None  # 32 bytes: SHA-256(previous hash ‖ content)


class DailyCounter(SQLModel, table=True):
    """Last sequence number issued per local day, so numbers are never reused."""

    __tablename__ = "daily_counter"

    day: str = Field(primary_key=True)
    last: int = 0


# ---------------------------------------------------------------- derived facts

TIMING_INPUTS = ("received_at", "first_response_at", "first_response_due", "resolved_at",
                 "handling_due", "resolution_due", "paused_minutes")


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC; a naive time is taken as UTC already (the stored form)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def timing_facts(received_at: datetime, first_response_at: datetime | None,
                 first_response_due: datetime, resolved_at: datetime | None,
                 handling_due: datetime | None, resolution_due: datetime,
                 paused_minutes: int | None = 0) -> dict[str, int | None]:
    """The complaint's timing as the statistics count it (reporting.py's definitions):

    - ``first_response_late``: judged after ``first_response_due`` (None: not judged yet);
    - ``resolution_late``: the outcome accepted after the deadline told to the customer
      (``handling_due``, else ``resolution_due``) (None: not resolved);
    - ``handling_minutes``: received → resolved in whole minutes, counted from each
      time's whole seconds (the fraction dropped), less the minutes the handling
      clock was paused waiting on the customer, never below 0 (a complaint may be
      received a few minutes ahead of the clock) (None: not resolved).

    A pause moves the deadline on by the time it lasted (clocks.resumed), so
    ``resolution_late`` is counted without the pause too.

    ``schema.V5_BACKFILL`` computes the same in SQL for files made before v5.
    """
    judged, resolved = _utc(first_response_at), _utc(resolved_at)
    minutes = None
    if resolved is not None:
        start = _utc(received_at)
        assert start is not None
        minutes = max(0, (int(resolved.timestamp()) - int(start.timestamp())) // 60
                      - (paused_minutes or 0))
    return {
        "first_response_late": None if judged is None
        else int(judged > _utc(first_response_due)),  # type: ignore[operator]
        "resolution_late": None if resolved is None
        else int(resolved > _utc(handling_due or resolution_due)),  # type: ignore[operator]
        "handling_minutes": minutes,
    }


def fill_timing_facts(values: Any) -> None:
    """Set the derived timing columns on a Complaint or on a dict of its columns."""
    if isinstance(values, dict):
        values.update(timing_facts(*(values[name] for name in TIMING_INPUTS[:-1]),
                                   values.get("paused_minutes") or 0))
        return
    for name, value in timing_facts(*(getattr(values, n) for n in TIMING_INPUTS)).items():
        if getattr(values, name) != value:
            setattr(values, name, value)


@event.listens_for(Complaint, "before_insert")
@event.listens_for(Complaint, "before_update")
def _keep_timing_facts(_mapper: Any, _connection: Any, target: Complaint) -> None:
    """Every ORM write of a complaint keeps its derived timing columns true."""
    fill_timing_facts(target)
