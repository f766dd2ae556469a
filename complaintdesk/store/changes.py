"""What changed since a console last looked: read from the audit trail.

A backend's watcher knows cheaply *that* someone committed (SQLite's
``PRAGMA data_version``, PostgreSQL's ``LISTEN``); this says *what*. Every
change to a complaint appends audit events naming it, in commit order (writers
are serialised on both backends, so event ids rise with commits), and a change
of staff appends one naming none. So the events after the last one seen give
the complaints changed, and those with an id above the last one seen are new.

The SQL is plain and the same on both backends (only the placeholder differs);
it runs on the watcher's own connection, outside the ORM: a console asks after
every commit anyone makes, and this costs well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from complaintdesk.domain.queue import queue_key

#: More complaints than this changed at once (a bulk intake, a demo load): the
#: consoles read everything again rather than judge each one.
MAX_CHANGED = 200
#: Audit events read per look; beyond it, everything changed as above.
MAX_EVENTS = 2_000

START_SQL = ("SELECT (SELECT coalesce(max(id), 0) FROM audit_event), "
             "(SELECT coalesce(max(id), 0) FROM complaint)")
EVENTS_SQL = ("SELECT a.id, a.complaint_id, a.action, a.field, c.id, c.number, c.priority, c.received_by, "
              "c.handler, c.customer_name, c.closed, c.status, c.department, c.due_at, "
              "c.paused_at FROM audit_event a "
              "LEFT JOIN complaint c ON c.id = a.complaint_id "
              "WHERE a.id > {p} ORDER BY a.id LIMIT {limit}")

#: Audit actions that add to a complaint's timeline and change none of the columns
#: a queue row shows, filters or sorts by (process/complaints.py): a console's
#: queue has nothing to do for them; a record showing the complaint reads again.
TIMELINE_ONLY = frozenset({"complaint.note", "complaint.linked", "complaint.linked_from"})
#: The columns that decide whether a queue shows a complaint and where (a
#: correction of any other field, such as the customer's name, changes what its
#: row says but not its place).
PLACE_COLUMNS = frozenset({"closed", "status", "priority", "priority_rank", "department",
                           "received_by", "handler", "due_at", "paused_at"})


def _moves(action: str, field_name: str | None) -> bool:
    """Whether an event may change where, or whether, queues show its complaint."""
    if action in TIMELINE_ONLY:
        return False
    return not (action == "complaint.corrected" and field_name is not None
                and field_name not in PLACE_COLUMNS)


@dataclass(frozen=True)
class ChangedComplaint:
    """A complaint some commit since the last look touched, as it is now."""

    id: int
    number: str
    priority: str
    received_by: str
    handler: str | None
    customer_name: str
    new: bool  # registered since the last look
    row_changed: bool = True  # False: only its timeline grew (TIMELINE_ONLY)
    moved: bool = True  # False: its place in any queue, and whether it is in one, stay
    # What a queue filters and sorts by (domain/queue.py), as it is now.
    closed: bool = False
    status: str = ""
    department: str | None = None
    due_at: datetime | None = None
    paused_at: datetime | None = None

    def concerns(self, login: str) -> bool:
        """Whether ``login`` registered it or handles it."""
        return login in (self.received_by, self.handler)

    @property
    def sort_key(self) -> tuple:
        """Its place in the queue's order."""
        return queue_key(self.closed, self.priority, self.due_at, self.id)


@dataclass(frozen=True)
class Changes:
    """What changed since the last look.

    ``everything`` means: read everything again (and check the account: the
    person may have been disabled). A change of staff, a commit that left no
    audit event, more complaints than MAX_CHANGED, or a watcher that lost its connection and cannot know."""

    complaints: tuple[ChangedComplaint, ...] = ()
    everything: bool = False
    numbers: frozenset[str] = field(init=False)
    #: The last audit event seen before them: they are events after it. A read
    #: of the desk that saw events past it may hold them already.
    after_event: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", frozenset(c.number for c in self.complaints))

    @property
    def new(self) -> tuple[ChangedComplaint, ...]:
        return tuple(c for c in self.complaints if c.new)

    @property
    def rows(self) -> tuple[ChangedComplaint, ...]:
        """The complaints whose queue row may have changed (not only their timeline)."""
        return tuple(c for c in self.complaints if c.row_changed)


#: Everything may have changed and nothing more is known (a reconnect).
UNKNOWN = Changes(everything=True)

Execute = Callable[[str, Sequence[object]], list[tuple]]
Moment = Callable[[Any], "datetime | None"]


class ChangeFeed:
    """Reads the changes after the last event it saw. ``execute(sql, params)``
    runs a query on the watcher's connection and returns its rows; ``placeholder``
    is its driver's (``?`` or ``%s``), ``moment`` turns a time it reads into an
    aware datetime."""

    def __init__(self, execute: Execute, placeholder: str, moment: Moment) -> None:
        self._execute = execute
        self._moment = moment
        self._events_sql = EVENTS_SQL.format(p=placeholder, limit=MAX_EVENTS + 1)
        self.last_event, self.last_complaint = self._execute(START_SQL, ())[0]

    def read(self) -> Changes:
        """What the commits since the last read changed (someone committed)."""
        after = self.last_event
        rows = self._execute(self._events_sql, (after,))
        if not rows:  # a commit without an audit event: nothing to go by
            return Changes(everything=True)
        if len(rows) > MAX_EVENTS:
            self.last_event, self.last_complaint = self._execute(START_SQL, ())[0]
            return Changes(everything=True, after_event=after)
        seen: dict[int, ChangedComplaint] = {}
        staff = False
        for (_event, complaint_id, action, field_name, cid, number, priority, received_by,
             handler, customer, closed, status, department, due_at, paused_at) in rows:
            if complaint_id is None or cid is None:
                staff = True  # staff, settings: not about one complaint
                continue
            row_changed = action not in TIMELINE_ONLY
            moved = _moves(action, field_name)
            before = seen.get(cid)
            if before is not None:
                seen[cid] = replace(before, row_changed=before.row_changed or row_changed,
                                    moved=before.moved or moved)
                continue
            seen[cid] = ChangedComplaint(
                cid, number, priority, received_by, handler, customer,
                new=cid > self.last_complaint, row_changed=row_changed, moved=moved,
                closed=bool(closed), status=status, department=department,
                due_at=self._moment(due_at), paused_at=self._moment(paused_at))
        self.last_event = rows[-1][0]
        if seen:
            self.last_complaint = max(self.last_complaint, max(seen))
        if len(seen) > MAX_CHANGED:
            return Changes(everything=True, after_event=after)
        return Changes(tuple(sorted(seen.values(), key=lambda c: c.id)), everything=staff,
                       after_event=after)


def merged(batches: list[Changes]) -> Changes:
    """Several looks' changes as one (a console busy with one reload while more
    arrive): the complaints as last seen, new if new in any."""
    # A batch that changed no row (a note) holds nothing a read could have seen.
    after = min((b.after_event for b in batches
                 if b.after_event is not None and (b.rows or b.everything)), default=None)
    if any(batch.everything for batch in batches):
        return Changes(everything=True, after_event=after)
    latest: dict[int, ChangedComplaint] = {}
    for batch in batches:
        for complaint in batch.complaints:
            before = latest.get(complaint.id)
            latest[complaint.id] = complaint if before is None else replace(
                complaint, new=complaint.new or before.new,
                row_changed=complaint.row_changed or before.row_changed,
                moved=complaint.moved or before.moved)
    if len(latest) > MAX_CHANGED:
        return Changes(everything=True, after_event=after)
    return Changes(tuple(sorted(latest.values(), key=lambda c: c.id)), after_event=after)
