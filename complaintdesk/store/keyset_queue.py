"""The priority queue (``port.QueueReader``) in SQLAlchemy Core, shared by the
backends: which complaints need doing first, filtered and searched. A backend
subclasses ``KeysetQueue`` for what its SQL says its own way: the text search's
conditions, hints to its planner, the floor below every deadline.

Order: open before closed, 紧急 before 重大 before 一般, then the nearest
deadline (``due_at``), then id. The index ``ix_complaint_queue`` has exactly
that order, so a page is an index range scan; pages after a known row use
keyset pagination (no OFFSET walk), which keeps page-down flat at a million rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, literal_column, or_, select, true, tuple_
from sqlalchemy.sql import Select

from complaintdesk.domain.enums import Priority
from complaintdesk.domain.queue import QueueFilter, QueueRow
from complaintdesk.domain.search import SearchQuery, parse_search
from complaintdesk.store.models import Complaint, Staff
from complaintdesk.store.port import Clock

SORT_COLUMNS = (Complaint.closed, Complaint.priority_rank, Complaint.due_at, Complaint.id)


def where_filter(f: QueueFilter, now: datetime) -> list:
    """The filter's conditions but the text search's: ``QueueFilter.admits`` in SQL
    (tests/process/test_core_queue.py holds the two together)."""
    clauses = []
    if not f.include_closed:
        clauses.append(Complaint.closed == false())
    if f.status:
        clauses.append(Complaint.status == f.status)
    if f.priority:
        clauses.append(Complaint.priority_rank == Priority.parse(f.priority).rank)
    if f.department:
        clauses.append(Complaint.department == f.department)
    if f.mine:
        mine = [Complaint.received_by == f.mine, Complaint.handler == f.mine]
        if f.mine_department:
            mine.append(Complaint.department == f.mine_department)
        clauses.append(or_(*mine))
    if f.overdue_only:
        clauses.append(Complaint.due_at < now)
        clauses.append(Complaint.paused_at.is_(None))  # type: ignore[union-attr] # a paused clock is not overdue
    return clauses


def number_clauses(search: SearchQuery | None) -> list:
    """A 受理编号 or its beginning, by the unique index of numbers."""
    clauses = []
    for prefix in search.number_prefixes if search is not None else ():
        # As a subquery, like the text indexes: the planner otherwise walks the whole
        # queue index checking the number range (400 ms at a million rows).
        numbered = select(Complaint.id).where(Complaint.number >= prefix,
                                              Complaint.number < prefix + "\uffff")
        clauses.append(Complaint.id.in_(numbered.scalar_subquery()))
    return clauses


def _search(f: QueueFilter) -> SearchQuery | None:
    if not f.search.strip():
        return None
    query = parse_search(f.search)
    return None if query.empty else query


def rows_of(session, query: Select) -> int:  # type: ignore[no-untyped-def]
    """How many rows ``query`` gives, read in ``session``."""
    return session.exec(select(func.count()).select_from(query.subquery())).one()[0]


def _rows_select(clauses: list, name_by_subquery: bool = False) -> Select:
    """The queue's rows; the handler's name by a join, or (``name_by_subquery``) by
    a subquery of each row, which PostgreSQL evaluates after the sort and LIMIT."""
    if name_by_subquery:
        name: Any = (select(Staff.name).where(Staff.login == Complaint.handler)
                     .scalar_subquery())
    else:
        name = Staff.name
    query = select(Complaint.id, Complaint.number, Complaint.priority, Complaint.status,
                   Complaint.customer_name, Complaint.contact, Complaint.category,
                   Complaint.department, name, Complaint.received_at, Complaint.due_at,
                   Complaint.escalated, Complaint.closed, Complaint.dispatched_at,
                   Complaint.resolved_at, Complaint.paused_at, Complaint.paused_minutes,
                   Complaint.first_response_at, Complaint.first_response_due)
    if not name_by_subquery:
        query = query.outerjoin(Staff, Staff.login == Complaint.handler)
    return query.where(*clauses)


class KeysetQueue:
    """A filtered view of the queue. Methods open their own short read sessions."""

    #: A value every deadline sorts after (a closed complaint has none: see _seek_arms).
    NULL_DUE_FLOOR = "''"

    #: How a page reads the handler's name (see _rows_select): a join here.
    NAME_BY_SUBQUERY = False

    def _rows_select(self, clauses: list) -> Select:
        return _rows_select(clauses, self.NAME_BY_SUBQUERY)

    def text_clauses(self, search: SearchQuery) -> list:
        """The conditions of the search's words (the backend's text index)."""
        raise NotImplementedError

    def _where(self, search: SearchQuery | None) -> list:
        clauses = where_filter(self.filter, self.desk.now())
        if search is None:
            return clauses
        return [*clauses, *self.text_clauses(replace(search, number_prefixes=())),
                *number_clauses(search)]

    def __init__(self, desk: Clock, f: QueueFilter | None = None) -> None:
        self.desk = desk
        self.filter = f or QueueFilter()
        self.search = _search(self.filter)  # raises DomainError for a bad search

    #: Only the closed complaints of the view (one half of a split search, see _split).
    closed_only = False

    def _clauses(self) -> list:
        clauses = self._where(self.search)
        return [*clauses, Complaint.closed == true()] if self.closed_only else clauses

    _parts: tuple[KeysetQueue, KeysetQueue] | None = None

    def _splits(self) -> bool:
        return self.search is not None and self.filter.include_closed and not self.closed_only

    def _split(self) -> tuple[KeysetQueue, KeysetQueue] | None:
        """A text search with closed complaints too reads its two halves apart: the
        open complaints (first in the queue order) from the open-only index, then
        the closed ones. Read together, every page first built the set of all
        matches, 167,000 for 退款 on the 1M demo: 340 ms for the first page. Pages
        of the closed half still do (its matches come from the index of all)."""
        if not self._splits():
            return None
        if self._parts is None:
            self.count()  # counts the halves
        return self._parts

    def _halves(self) -> tuple[KeysetQueue, KeysetQueue]:
        open_part = type(self)(self.desk, self.filter.with_(include_closed=False))
        closed_part = type(self)(self.desk, self.filter)
        closed_part.closed_only = True
        return open_part, closed_part

    #: How a search with closed complaints too is counted: its two halves (True), or
    #: all matches and then the open ones (False: where counting all matches up to
    #: the cap is cheap, as with SQLite's FTS index driving the count).
    COUNT_HALVES = False

    #: A search counts at most this many matches: beyond it nobody scrolls, they add
    #: a word, and counting 160,000 matches of 退款 exactly costs 100 ms at 1M rows.
    SEARCH_CAP = 10_000
    capped = False
    _count: int | None = None

    def count(self, exact: bool = False) -> int:
        """Rows in this view; for a search at most SEARCH_CAP (then ``capped`` is set)
        unless ``exact``."""
        limit = None if exact else self.SEARCH_CAP + 1
        if not self._splits() or exact:
            count = self._counted(limit)
        elif self.COUNT_HALVES:
            # The open half, then the closed half only up to the cap: never the
            # matches of the index of all and then the open ones again.
            open_part, closed_part = self._halves()
            open_count = open_part._counted(limit)
            open_part._set_count(open_count)
            closed_count = (0 if open_count >= limit
                            else closed_part._counted_closed(open_count, limit - open_count))
            count = open_count + closed_count
            if count < limit:  # the closed half counted whole
                closed_part._set_count(closed_count)
            self._parts = (open_part, closed_part)
        else:
            # All matches up to the cap, then the open half; the closed half is the rest.
            count = self._counted(limit)
            open_part, closed_part = self._halves()
            open_count = open_part._counted(limit)
            open_part._set_count(open_count)
            if count < limit:  # (a commit between the two reads cannot make it negative)
                closed_part._set_count(max(0, count - open_count))
            self._parts = (open_part, closed_part)
        if exact:
            return count
        return self._set_count(count)

    def _set_count(self, count: int) -> int:
        self._count = count
        self.capped = self.search is not None and count > self.SEARCH_CAP
        return min(count, self.SEARCH_CAP) if self.capped else count

    def _counted(self, limit: int | None) -> int:
        """Rows in this view, up to ``limit`` when it is a search."""
        query = self._search_count(limit) if self.search is not None else None
        if query is None:
            query = select(Complaint.id).where(*self._clauses())
            if self.search is not None and limit is not None:
                query = query.limit(limit)
        with self.desk.store.read() as session:
            self._plan(session, counting=True)
            return rows_of(session, query)

    def _counted_closed(self, open_matches: int, limit: int) -> int:
        """The closed half's rows up to ``limit``, its open half having
        ``open_matches`` (a backend may judge from it where to look first)."""
        return self._counted(limit)

    def _plan(self, session, counting: bool = False) -> None:  # type: ignore[no-untyped-def]
        """A backend's settings for its planner before a query of this view, in its
        read transaction (none here)."""

    def _search_count(self, limit: int | None) -> Select | None:
        """A backend's faster way to count a text search (None: the plain count)."""
        return None

    def page(self, offset: int, limit: int, after: tuple | None = None) -> list[QueueRow]:
        """Rows ``offset`` .. ``offset+limit``; ``after`` is the sort key of row ``offset-1``
        when known, which turns the OFFSET walk into an index seek."""
        split = self._split()
        if split is not None:
            return self._split_page(*split, offset, limit, after)
        base = self._rows_select(self._clauses())
        if after is None:
            return self._rows(base.offset(offset).order_by(*self._order()).limit(limit))
        rows: list[QueueRow] = []
        for arm in self._seek_arms(after, forward=True):  # nearest rows first
            rows += self._rows(base.where(arm).order_by(*self._order()).limit(limit - len(rows)))
            if len(rows) == limit:
                break
        return rows

    def _rows(self, query: Select) -> list[QueueRow]:
        with self.desk.store.read() as session:
            self._plan(session)
            return [QueueRow(*row) for row in session.exec(query)]  # type: ignore[call-overload]

    def _split_page(self, open_part: KeysetQueue, closed_part: KeysetQueue, offset: int, limit: int,
                    after: tuple | None) -> list[QueueRow]:
        if after is not None and after[0]:  # already among the closed
            return closed_part.page(offset, limit, after)
        rows = open_part.page(offset, limit, after)
        if len(rows) < limit:  # the open ones end on this page: the closed follow
            skip = 0
            if after is None and not rows:
                skip = offset - open_part.count(exact=True)
            rows += closed_part.page(skip, limit - len(rows))
        return rows

    def page_before(self, before: tuple, limit: int) -> list[QueueRow]:
        """The ``limit`` rows just before the row whose sort key is ``before``."""
        split = self._split()
        if split is not None:
            open_part, closed_part = split
            if not before[0]:
                return open_part.page_before(before, limit)
            rows = closed_part.page_before(before, limit)
            if len(rows) < limit:  # the first closed one: the last open ones before it
                rows = open_part.page_from_end(0, limit - len(rows)) + rows
            return rows
        rows: list[QueueRow] = []
        for arm in self._seek_arms(before, forward=False):  # nearest rows first
            rows = self._reversed(self._rows_select(self._clauses()).where(arm), limit - len(rows)) + rows
            if len(rows) == limit:
                break
        return rows

    def page_from_end(self, offset_from_end: int, limit: int) -> list[QueueRow]:
        """Rows counted from the end: cheap near the end, where OFFSET from the start is not."""
        return self._reversed(self._rows_select(self._clauses()), limit, offset_from_end)

    def _order(self, descending: bool = False) -> list:
        """The queue order."""
        return [c.desc() for c in SORT_COLUMNS] if descending else list(SORT_COLUMNS)

    def _reversed(self, query: Select, limit: int, offset: int = 0) -> list[QueueRow]:
        query = query.order_by(*self._order(descending=True)).offset(offset).limit(limit)
        with self.desk.store.read() as session:
            self._plan(session)
            rows = [QueueRow(*row) for row in session.exec(query)]  # type: ignore[call-overload]
        rows.reverse()
        return rows

    def _key_columns(self, key: tuple) -> tuple[tuple, tuple]:
        # With closed fixed by the filter, leave it out of the row value: SQLite then
        # uses the row value as a range on the queue index instead of scanning it.
        if not self.filter.include_closed:
            return SORT_COLUMNS[1:], key[1:]
        return SORT_COLUMNS, key

    def _seek_arms(self, key: tuple, forward: bool) -> list:
        """Conditions for the rows after (``forward``) or before the row whose sort key
        is ``key``, nearest first, each a seek in the queue index.

        A closed complaint has no deadline (due_at NULL), and a row value holding NULL
        compares as unknown: every row of the same priority would drop out of the page.
        NULL sorts first, so such a key reads its own group (same priority, no
        deadline) by id, then the rows beyond the group: after it, from the row value
        (..., NULL_DUE_FLOOR, 0), which every deadline follows and NULL does not; before it, from
        the groups before."""
        columns, values = self._key_columns(key)
        if key[2] is not None:
            row, at = tuple_(*columns), tuple_(*values)
            return [row > at if forward else row < at]
        *head, due, ident = columns
        *head_values, _null, ident_value = values
        group = [*(c == v for c, v in zip(head, head_values)), due.is_(None)]
        if forward:
            return [and_(*group, ident > ident_value),
                    tuple_(*head, due, ident) > tuple_(*head_values, literal_column(self.NULL_DUE_FLOOR), 0)]
        return [and_(*group, ident < ident_value), tuple_(*head) < tuple_(*head_values)]

    def _key_before(self, key: tuple):  # type: ignore[no-untyped-def]
        """Every row before ``key`` as one condition (for counting a position)."""
        return or_(*self._seek_arms(key, forward=False))

    def rows_of(self, numbers: Iterable[str]) -> list[QueueRow]:
        """The rows of these complaints that this view shows now (any order): what a
        console asks after others' commits, to see whether its page moved."""
        numbers = list(numbers)
        if not numbers:
            return []
        return self._rows(self._rows_select(self._where(self.search))
                          .where(Complaint.number.in_(numbers)))

    def position(self, number: str) -> int | None:
        """Index of complaint ``number`` in this view, or None if the filter hides it."""
        with self.desk.store.read() as session:
            target = session.exec(  # type: ignore[call-overload]
                self._rows_select(self._clauses()).where(Complaint.number == number)).first()
            if target is None:
                return None
            key = QueueRow(*target).sort_key
            return session.exec(  # type: ignore[call-overload]
                select(func.count()).select_from(Complaint)
                .where(*self._clauses(), self._key_before(key))).one()[0]
