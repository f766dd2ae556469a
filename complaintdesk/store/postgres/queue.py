"""The PostgreSQL store's priority queue: the shared keyset queue with the
search of ``complaint_search`` (search.py). PostgreSQL's planner needs no hints:
it reads the matches from the GIN index and sorts them, or walks the queue
index, by its own statistics."""

from __future__ import annotations

from complaintdesk.domain.search import SearchQuery
from complaintdesk.store.keyset_queue import KeysetQueue
from complaintdesk.store.postgres.search import text_clause


class Queue(KeysetQueue):
    """The queue read from a PostgreSQL database."""

    NULL_DUE_FLOOR = "'-infinity'::timestamptz"

    def text_clauses(self, search: SearchQuery) -> list:
        if not search.long_terms and not search.short_terms:
            return []
        return [text_clause(search, open_only=not self.filter.include_closed)]
