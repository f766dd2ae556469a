"""Row sources: how the core's queue becomes table rows."""

from __future__ import annotations

import threading

from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Category, Priority, Status
from complaintdesk.process.queue import open_queue, QueueFilter, QueueRow
from complaintdesk.domain.queue import ViewEffect, effect_on_view, splice_view
from complaintdesk.process.watch import Changes, last_event_id
from complaintdesk.domain.text import mask_contact
from complaintdesk.domain.clocks import clock_state
from complaintdesk.domain.timing import minutes_left

from screens.widgets.virtual_table import PAGE_SIZE, Column, TableRow

QUEUE_COLUMNS = [
    Column("受理编号", 16),
    Column("紧急", 8),
    Column("状态", 8),  # 二次处理, 拟定方案: four characters
    Column("投诉客户", 0),
    Column("联系方式", 13, hide_below=110),
    Column("类型", 4),
    Column("责任部门", 10),
    Column("处理人", 6),
    Column("剩余时间", 11),  # !剩10时10分: the amber marker and the longest time
]


#: Before the time left of a row past its early-warning point (the 超 of an
#: overdue row is its marker).
AT_RISK_MARK = "!"
#: The 剩余时间 of a complaint whose handling clock is paused (waiting on the customer).
PAUSED_MARK = "暂停"


def compact_left(minutes: int, overdue: bool) -> str:
    """Time left as the list shows it: ``剩5时10分``, ``超2天3时``."""
    prefix = "超" if overdue else "剩"
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days >= 10:
        return f"{prefix}{days}天"
    if days:
        return f"{prefix}{days}天{hours}时"
    if hours:
        return f"{prefix}{hours}时{mins}分"
    return f"{prefix}{mins}分"


class QueueSource:
    """The queue under one filter. Remembers the sort key at each page's end, so the
    next page is an index seek rather than an OFFSET walk."""

    def __init__(self, desk: Desk, queue_filter: QueueFilter) -> None:
        self.desk = desk
        self.queue_filter = queue_filter
        self.queue = open_queue(desk, queue_filter)  # raises DomainError on a bad search
        self._keys: dict[int, tuple] = {}  # row index -> sort key of that row
        self._load = 0  # counts reloads: row positions are only good for their load
        self._lock = threading.Lock()

    def prefetch(self) -> None:
        """Count and read the first page in a plain thread now, while the console is
        still starting: the first paint then waits for neither."""
        def work() -> None:
            count = self.queue.count()
            self._prefetched = (count, self.fetch(0, PAGE_SIZE) if count else [])

        self._prefetched: tuple[int, list[TableRow]] | None = None
        self._prefetch_thread = threading.Thread(target=work, daemon=True)
        self._prefetch_thread.start()

    def _take_prefetched(self) -> tuple[int, list[TableRow]] | None:
        thread = getattr(self, "_prefetch_thread", None)
        if thread is None:
            return None
        thread.join()
        self._prefetch_thread = None
        return self._prefetched

    def count(self) -> int:
        prefetched = self._take_prefetched()
        if prefetched is not None:
            self._count, self._first_page = prefetched
            return self._count
        self._first_page = None  # only good for the load it was read for
        with self._lock:
            self._keys.clear()
            self._load += 1
        self._count = self.queue.count()
        return self._count

    def fetch(self, offset: int, limit: int) -> list[TableRow]:
        first_page = getattr(self, "_first_page", None)
        if first_page is not None and offset == 0 and limit == PAGE_SIZE:
            self._first_page = None
            return first_page
        load = self._load
        rows = self._fetch_rows(offset, limit)
        if rows:
            with self._lock:
                if load == self._load:  # not a read begun before a reload
                    self._keys[offset] = rows[0].sort_key
                    self._keys[offset + len(rows) - 1] = rows[-1].sort_key
        now = self.desk.now()
        fraction = self.desk.config.at_risk_fraction
        return [self.row(r, now, fraction) for r in rows]

    def _fetch_rows(self, offset: int, limit: int) -> list[QueueRow]:
        """Seek from a neighbouring page's known row when possible; else count from
        whichever end is nearer. Never walks an OFFSET across half a million rows."""
        with self._lock:
            after = self._keys.get(offset - 1) if offset else None
            before = self._keys.get(offset + limit)
        if after is not None:
            return self.queue.page(offset, limit, after=after)
        if before is not None:
            return self.queue.page_before(before, limit)
        total = getattr(self, "_count", 0)
        # Counting from the end only when the count is the whole view: a search
        # shows its first SEARCH_CAP rows, and its true end lies beyond them.
        if offset > total // 2 and not self.queue.capped:
            end = min(offset + limit, total)
            return self.queue.page_from_end(total - end, end - offset)
        return self.queue.page(offset, limit)

    def index_of(self, key: str) -> int | None:
        return self.queue.position(key)

    # ------------------------------------------------------------ following changes
    def judge(self, changes: Changes, start: int, rows: list[TableRow],
              total: int) -> ViewEffect | None:
        """What others' ``changes`` do to the rows read, judged from what the changes
        say of each complaint (no query); None when the store must be asked: a
        search (its text index), or rows read that changed and may be spliced
        (their new contents)."""
        if not changes.rows:  # a note or a link changes no queue row
            return ViewEffect()
        if self.queue_filter.search.strip():
            return None
        effect = self._effect(changes, start, rows, total, self._admitted(changes),
                              self._unmoved(changes))
        return None if effect.reload and start == 0 else effect

    def leaves(self, changes: Changes, start: int, rows: tuple[TableRow, ...] | list[TableRow],
               total: int) -> bool:
        """Whether others' ``changes`` leave the rows read as they are, adding at
        most to the count past them: ``judge`` without its consequences (no query,
        nothing of the source's changed), so any thread may ask."""
        if not changes.rows:
            return True
        if self.queue_filter.search.strip():
            return False
        effect = self._view_effect(changes, start, list(rows), total, self._admitted(changes),
                                   self._unmoved(changes))
        return not (effect.reload or effect.recount)

    def _admitted(self, changes: Changes) -> list:  # type: ignore[type-arg]
        """The changed complaints this view shows now, by what the changes say."""
        now = self.desk.now()
        return [c for c in changes.rows if self.queue_filter.admits(c, now)]

    def assess(self, changes: Changes, start: int, rows: list[TableRow],
               total: int) -> ViewEffect:
        """What others' ``changes`` do to the rows read, with the store's word on
        the changed complaints this view shows now (one query, in a worker
        thread); when the rows read must change, the changed rows spliced into
        them if that is enough (a new 紧急 complaint at the top, a row on the
        terminal corrected), else a reload."""
        shown = self.queue.rows_of(c.number for c in changes.rows)
        unmoved = frozenset() if self.queue_filter.search.strip() else self._unmoved(changes)
        effect = self._effect(changes, start, rows, total, shown, unmoved)
        if not effect.reload:
            return effect
        loaded = [row.data for row in rows]
        read = {row.key for row in rows}
        changed = frozenset(c.number for c in changes.rows
                            if c.number in read or c.number not in unmoved)
        splice = splice_view(loaded, start, total, changed,  # type: ignore[arg-type]
                             frozenset(c.number for c in changes.rows if c.new), shown)
        if splice is None or self.queue.capped:
            return effect
        spliced, count = splice
        self._forget_keys_from(0)
        self._count = count
        return ViewEffect(spliced=tuple(spliced), count=count)

    @staticmethod
    def _unmoved(changes: Changes) -> frozenset[str]:
        return frozenset(c.number for c in changes.rows if not c.moved)

    def _view_effect(self, changes: Changes, start: int, rows: list[TableRow], total: int,
                     shown: list, unmoved: frozenset[str]) -> ViewEffect:  # type: ignore[type-arg]
        loaded = [row.data for row in rows]
        if any(not isinstance(row, QueueRow) for row in loaded):
            return ViewEffect(reload=True)
        changed = changes.rows
        effect = effect_on_view(loaded, start, total,  # type: ignore[arg-type]
                                frozenset(c.number for c in changed),
                                frozenset(c.number for c in changed if c.new), shown, unmoved)
        if effect.added and self.queue.capped:  # shows its first SEARCH_CAP only
            return ViewEffect(recount=True)
        return effect

    def _effect(self, changes: Changes, start: int, rows: list[TableRow], total: int,
                shown: list, unmoved: frozenset[str]) -> ViewEffect:  # type: ignore[type-arg]
        effect = self._view_effect(changes, start, rows, total, shown, unmoved)
        if effect.added:  # they join past the rows read: the seek keys there shift
            self._forget_keys_from(start + len(rows))
            self._count = total + effect.added
        return effect

    def table_rows(self, rows: tuple[QueueRow, ...]) -> list[TableRow]:
        """Rows as the table shows them, the seek keys of their pages noted."""
        now, fraction = self.desk.now(), self.desk.config.at_risk_fraction
        with self._lock:
            for offset in range(0, len(rows), PAGE_SIZE):
                page = rows[offset:offset + PAGE_SIZE]
                self._keys[offset] = page[0].sort_key
                self._keys[offset + len(page) - 1] = page[-1].sort_key
        return [self.row(r, now, fraction) for r in rows]

    def position(self) -> int:
        """How far the desk's changes go now (read after a count or a page)."""
        return last_event_id(self.desk)

    def recount(self, keep_until: int) -> int:
        self._forget_keys_from(keep_until)  # the seek keys past the rows kept may shift
        self._count = self.queue.count()
        return self._count

    def restyle(self, rows: list[TableRow]) -> list[TableRow]:
        now, fraction = self.desk.now(), self.desk.config.at_risk_fraction
        return [self.row(row.data, now, fraction) if isinstance(row.data, QueueRow) else row
                for row in rows]

    def _forget_keys_from(self, index: int) -> None:
        with self._lock:
            for at in [i for i in self._keys if i >= index]:
                del self._keys[at]

    def row(self, r: QueueRow, now, fraction: float) -> TableRow:  # type: ignore[no-untyped-def]
        priority = Priority(r.priority).label + ("上报" if r.escalated else "")
        if r.closed:
            state, left = "", "-"
        elif (state := clock_state(r, now, fraction)) == "paused":
            state, left = "", PAUSED_MARK  # the clock waits on the customer
        else:
            left = compact_left(minutes_left(r.due_at, now), state == "overdue")
            if state == "at-risk":  # amber has a text marker too (NO_COLOR, colour-blind)
                left = AT_RISK_MARK + left
        tag = state or ("urgent" if r.priority == Priority.URGENT.value and not r.closed else "")
        return TableRow(
            key=r.number,
            cells=(
                r.number,
                priority,
                Status(r.status).label,
                r.customer_name,
                mask_contact(r.contact),
                Category(r.category).label[:2],  # 服务/产品/价格/其他
                self.desk.config.department_name(r.department) or "-",
                r.handler_name or "-",
                left,
            ),
            tag=tag,
            data=r,
        )
