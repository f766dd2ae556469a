"""The PostgreSQL store's priority queue: the shared keyset queue with the
search of ``complaint_search`` (search.py).

PostgreSQL's planner picks well by itself but for a search of a frequent word:
it multiplies the selectivity of "open" in the search table by that of "not
closed" in the complaints (the same fact twice), expects a few hundred matches
instead of thousands, and reads every open complaint to sort the matches (100 ms
for 破损 at 1M). So a view whose count says the matches are many is read by
walking the queue index in order, probing each complaint's search row, and
stopping at the page (5 ms); a view with few matches reads them and sorts them.
Counts of a search alone are read from the search table alone.
"""

from __future__ import annotations

from math import ceil

from sqlalchemy import false, func, select, text, true
from sqlalchemy.sql import Select

from complaintdesk.domain.search import SearchQuery
from complaintdesk.store.keyset_queue import KeysetQueue, rows_of
from complaintdesk.store.models import Complaint
from complaintdesk.store.postgres.search import SEARCH, text_clause, text_conditions

#: Above this many matches a page walks the queue index (see the module's docstring):
#: at the 1M demo's 67,510 open complaints, 3,000 matches mean ~1,100 probes a page.
FEW_MATCHES = 3000

#: Interactive reads: no parallel workers (their start-up alone is ~60 ms).
_SERIAL = text("SET LOCAL max_parallel_workers_per_gather = 0")
#: A count of matches: from the text index (a plain scan stops late: 140 ms for 退款).
_BY_INDEX = text("SET LOCAL enable_seqscan = off")
#: Working memory of a count, 8 MB: each partition's bitmap of its matches stays
#: exact (a bit for each row), so the heap scan under the count's LIMIT reads only
#: the matching rows of the pages it reaches. Lossy (a bit a heap page), every row
#: of those pages has its grams tested again: at 10.3M complaints with closed ones
#: too, 未到账 took 124 ms with 1 MB (the setting when the table was one, where a
#: bitmap of a whole frequent word had to be built before the LIMIT could stop:
#: smaller cost less), 56 ms with 4 MB and 45 ms with 16 MB.
COUNT_WORK_MEM = "8MB"
_COUNT_MEMORY = text(f"SET LOCAL work_mem = '{COUNT_WORK_MEM}'")
#: The closed half of a frequent word's count (see Queue._counted_closed) is first
#: looked for in at most this many of the oldest search rows, read in key order
#: with each row's text tested (under a microsecond a row): where the
#: open complaints say more rows than that would be needed, the index counts.
OLDEST_ROWS_AT_MOST = 100_000
#: Read the oldest rows this many times over what the open complaints' share of
#: matches says is needed, so a word a little rarer among the old ones still ends
#: there; a count that ends short is done again from the text index.
OLDEST_ROWS_MARGIN = 1.5
#: In key order: no bitmap of the text index (the cost this avoids), no plain scan.
_KEY_ORDER = [text(f"SET LOCAL {setting} = off") for setting in ("enable_bitmapscan", "enable_seqscan")]
#: A page of many matches: the queue index in order, each complaint's search row
#: probed by its key (no sort of all the matches, no hash or bitmap of them: with
#: its low estimate the planner otherwise rescans a materialised match list for
#: every complaint, 320 ms for 质量问题).
_IN_ORDER = [text(f"SET LOCAL {setting} = off") for setting in (
    "enable_sort", "enable_hashjoin", "enable_mergejoin", "enable_material", "enable_bitmapscan")]
#: A page of few matches: the matches first, each complaint read by its key, then
#: sorted (with a hash join the planner reads every open complaint to meet them:
#: 50 ms for the 5,591 numbers of one day).
_MATCHES_FIRST = [text(f"SET LOCAL {setting} = off") for setting in ("enable_hashjoin", "enable_mergejoin")]


class Queue(KeysetQueue):
    """The queue read from a PostgreSQL database."""

    NULL_DUE_FLOOR = "'-infinity'::timestamptz"
    #: The handler's name is read for the page's rows alone: the planner puts a
    #: join with the staff before the sort, once for every match a page of few
    #: matches sorts (5 of 13 ms for 未到账's 2,252 at 10.3M complaints).
    NAME_BY_SUBQUERY = True
    #: All matches of a frequent word are a bitmap of the whole GIN index (50 ms for
    #: 退款's 171,000 before the cap can stop it): count the open half, then the
    #: closed half up to the cap.
    COUNT_HALVES = True

    def text_clauses(self, search: SearchQuery) -> list:
        if not search.long_terms and not search.short_terms:
            return []
        return [text_clause(search, open_only=not self.filter.include_closed)]

    def _search_count(self, limit: int | None, text_alone: bool = False) -> Select | None:
        """A search and nothing else (but open/closed): its matches in the search
        table, no look at the complaints (``text_alone``: see text_conditions)."""
        search = self.search
        assert search is not None
        if search.number_prefixes or not (search.long_terms or search.short_terms):
            return None
        # Without closed complaints, the one condition is "not closed", which every
        # row of the open matches is.
        if len(self._where(None)) > (0 if self.filter.include_closed else 1):
            return None
        conditions = text_conditions(search, text_alone)
        if not self.filter.include_closed:
            conditions.append(SEARCH.c.open == true())
        elif self.closed_only:
            conditions.append(SEARCH.c.open == false())
        return select(SEARCH.c.complaint_id).where(*conditions).limit(limit)

    def _counted_closed(self, open_matches: int, limit: int) -> int:
        """The closed matches of a search with closed complaints too, up to ``limit``.

        The text index answers a frequent word with a bitmap of every match before
        the count's LIMIT can stop it: 1.25M for 快递 at 10.3M complaints, 150 ms,
        to find the 1,849 closed ones that the cap still wanted beside 8,152 open
        ones. The open complaints tell how common the word is; where that says
        ``limit`` matches lie within OLDEST_ROWS_AT_MOST rows, they are counted among
        the oldest rows (closed nearly all) in key order, stopping at ``limit``.
        Only a count that reaches ``limit`` is taken (any ``limit`` closed matches
        make the same capped count); one that ends short is done by the index.
        """
        query = self._search_count(limit, text_alone=True)
        if query is None or open_matches <= 0:
            return self._counted(limit)
        # The open complaints are counted only as far as the word's share could
        # still pass: a rare word's few open matches end it after a few hundred.
        open_at_most = open_matches * OLDEST_ROWS_AT_MOST // ceil(limit * OLDEST_ROWS_MARGIN)
        opened = select(Complaint.id).where(Complaint.closed == false()).limit(open_at_most + 1)
        with self.desk.store.read() as session:
            session.exec(_SERIAL)
            session.exec(_BY_INDEX)  # the open ones are the newest: a plain scan reads all
            open_total = rows_of(session, opened)
            if open_total > open_at_most:
                found = 0
            else:
                rows = ceil(limit * max(open_total, open_matches) / open_matches * OLDEST_ROWS_MARGIN)
                first = select(func.min(SEARCH.c.complaint_id)).scalar_subquery()
                for setting in _KEY_ORDER:
                    session.exec(setting)
                found = rows_of(session, query.where(SEARCH.c.complaint_id < first + rows))
        return found if found >= limit else self._counted(limit)

    #: For the closed half of a capped search: whether its matches are many (_many).
    _closed_many: bool | None = None

    def _many(self) -> bool | None:
        """Whether this search's matches are many (walk the queue), few (read them
        first), or not counted yet (None: the planner's own choice)."""
        if self.search is None:
            return None
        # A number's prefix matches a run of the numbers index: walk the queue only
        # when it matches past the cap (a month of numbers), else read the run.
        threshold = self.SEARCH_CAP if self.search.number_prefixes else FEW_MATCHES
        if self._count is None:
            if not self.closed_only:
                return None
            # The closed half of a capped search: its count stopped where the cap
            # was reached, so its size is unknown, and the planner, left to itself,
            # read and sorted every closed match for a page near the cap (End: 6 s
            # for 未到账's 350,000 at 10.3M complaints; by the walk 1.5 s). Counted
            # again up to the threshold, once: a few closed matches behind many
            # open ones are still read first, not looked for along the whole queue.
            if self._closed_many is None:
                self._closed_many = self._counted(threshold + 1) > threshold
            return self._closed_many
        return self._count > threshold

    def _plan(self, session, counting: bool = False) -> None:  # type: ignore[no-untyped-def]
        if self.search is None:
            return
        session.exec(_SERIAL)
        if counting:
            session.exec(_BY_INDEX)
            session.exec(_COUNT_MEMORY)
            return
        many = self._many()
        if many is not None:
            for setting in _IN_ORDER if many else _MATCHES_FIRST:
                session.exec(setting)

    def _order(self, descending: bool = False) -> list:
        """The queue order; for few matches with the priority written ``rank + 0``, so
        the queue index cannot be walked in order (75,000 closed complaints read
        for the 50 first of one day's numbers: 240 ms) and the matches are sorted."""
        if self._many() is not False:
            return super()._order(descending)
        columns = [Complaint.closed, Complaint.priority_rank + 0, Complaint.due_at, Complaint.id]
        return [c.desc() for c in columns] if descending else columns

