"""The priority queue: which complaints need doing first, filtered and searched.

The rows come from the store (``Store.queue``: on SQLite an index range scan
with keyset pages, see ``store/sqlite/queue.py``); the filter and the row are
the domain's.
"""

from __future__ import annotations

from complaintdesk.domain.queue import QueueFilter, QueueRow
from complaintdesk.process.desk import Desk
from complaintdesk.store.port import QueueReader


def open_queue(desk: Desk, queue_filter: QueueFilter | None = None) -> QueueReader:
    """The queue of ``queue_filter`` (default: every open complaint).

    Raises:
        DomainError: the search cannot be understood (the message says why).
    """
    return desk.store.queue(desk, queue_filter)


__all__ = ["QueueFilter", "QueueReader", "QueueRow", "open_queue"]
