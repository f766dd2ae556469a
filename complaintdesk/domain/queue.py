"""What the priority queue shows (a filter) and what one of its lines holds.

How a backend finds the rows is the store's (``store/port.QueueReader``); the
order is the process's: open before closed, 紧急 before 重大 before 一般, then the
nearest deadline, then id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

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

    def admits(self, c: Any, now: datetime) -> bool | None:
        """Whether the view shows complaint ``c`` (its closed, status, priority,
        department, received_by, handler, due_at, paused_at) at ``now``; None for a
        search, which only the store's text index can say. The store's SQL says the
        same (store/keyset_queue.where_filter; a test holds them together)."""
        if self.search.strip():
            return None
        if c.closed and not self.include_closed:
            return False
        if self.status and c.status != self.status:
            return False
        if self.priority and Priority(c.priority).rank != Priority.parse(self.priority).rank:
            return False
        if self.department and c.department != self.department:
            return False
        if self.mine and not (c.received_by == self.mine or c.handler == self.mine or (
                self.mine_department and c.department == self.mine_department)):
            return False
        if self.overdue_only and not (c.due_at is not None and c.due_at < now
                                      and c.paused_at is None):
            return False
        return True


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
        return queue_key(self.closed, self.priority, self.due_at, self.id)


def queue_key(closed: bool, priority: str, due_at: datetime | None, ident: int) -> tuple:
    """A complaint's place in the queue's order (the store's ``SORT_COLUMNS``)."""
    return (closed, Priority(priority).rank, due_at, ident)


@dataclass(frozen=True)
class ViewEffect:
    """What a console showing part of a queue view must do after others' commits."""

    reload: bool = False   # rows it has read moved or changed: count and read again
    recount: bool = False  # only the count may have changed: count again
    added: int = 0         # that many new complaints joined the view past its rows
    #: Instead of reading again: the rows read as they are now (from the top) and
    #: the view's new count (``splice_view``).
    spliced: tuple[QueueRow, ...] | None = None
    count: int | None = None

    @property
    def nothing(self) -> bool:
        return not (self.reload or self.recount or self.added or self.spliced is not None)


def _sorts_before(a: tuple, b: tuple) -> bool | None:
    """Whether sort key ``a`` comes before ``b``; None when the keys cannot say (a
    closed complaint's missing deadline, which the backends place differently)."""
    try:
        return a < b
    except TypeError:
        return None


def effect_on_view(loaded: list[QueueRow], start: int, total: int, changed: set[str] | frozenset[str],
                   new: set[str] | frozenset[str], shown_now: list[QueueRow],
                   unmoved: set[str] | frozenset[str] = frozenset()) -> ViewEffect:
    """How commits that touched the complaints ``changed`` (``new`` among them just
    registered; ``unmoved`` ones changed in what their row says, not in whether or
    where the view shows them) move a view of which the console has read
    ``loaded``, the rows ``start`` … in order, out of ``total``; ``shown_now`` are
    the changed ones the view shows after the commits.

    A read row that changed, or a row that now sorts among or before the read
    ones, means reading again. A new complaint sorting after them only adds to the
    count. Any other change off the read rows may have added to or taken from the
    count (count again) — or, when the read rows are not the first, shifted them
    from above (read again)."""
    if not changed:
        return ViewEffect()
    if not loaded:
        return ViewEffect(reload=True)
    read = {row.number for row in loaded}
    now = {row.number: row for row in shown_now}
    last = loaded[-1].sort_key
    reaches_end = start + len(loaded) >= total
    added, recount = 0, False
    for number in changed:
        row = now.get(number)
        if number in read:
            return ViewEffect(reload=True)
        if number in unmoved:
            continue  # not among the rows read, and staying where it was
        if row is not None:
            if reaches_end or _sorts_before(row.sort_key, last) is not False:
                return ViewEffect(reload=True)  # among or before the rows read
            if number in new:
                added += 1
                continue
        elif number in new:
            continue  # a new complaint this view does not show
        if start > 0:
            return ViewEffect(reload=True)  # it may have left or joined above the rows read
        recount = True
    return ViewEffect(recount=recount, added=0 if recount else added)


def splice_view(loaded: list[QueueRow], start: int, total: int, changed: set[str] | frozenset[str],
                new: set[str] | frozenset[str], shown_now: list[QueueRow]
                ) -> tuple[list[QueueRow], int] | None:
    """The rows read (from the top of the view) and the view's count after commits
    that changed only rows read or added new complaints, from the changed rows
    alone (``shown_now``: those the view shows now): a new 紧急 complaint at the top,
    a row on the terminal corrected, without reading the page again. None when the
    rows cannot be known so (rows read further down, a change to a complaint not
    read, a row leaving so that one from beyond would have to move up).

    ``loaded`` must have been read before the commits (VirtualTable reads again
    when it read anything since: ``Changes.after_event``); a new complaint among
    them shows they were not, and gives None."""
    if start != 0 or not loaded:
        return None
    read = {row.number for row in loaded}
    if any(number not in read and number not in new for number in changed):
        return None
    if any(number in read for number in new):
        # Rows read after the commits they were to be judged against (a page read
        # while the changes were on their way): the count does not go with them.
        return None
    now = {row.number: row for row in shown_now if row.number in changed}
    rows = [row for row in loaded if row.number not in changed] + list(now.values())
    try:
        rows.sort(key=lambda row: row.sort_key)
        count = total - sum(1 for n in changed if n in read and n not in now) + sum(
            1 for n in now if n not in read)
        if start + len(loaded) >= total:  # every row of the view was read
            return rows, count
        last = loaded[-1].sort_key
        # Rows past the last one read may be preceded by rows never read: only those
        # up to it are known, and there must be as many as were read.
        known = [row for row in rows if row.sort_key <= last]
    except TypeError:  # a closed complaint's missing deadline: no order to rely on
        return None
    if len(known) < len(loaded):
        return None
    return known[:len(loaded)], count
