"""The SQL of the 统计表 on SQLite, tuned to its indexes (``INDEXED BY``) and its
booleans (``IS 0``/``IS 1``, ``sum`` of comparisons). ``reports/figures.py``
asks for these by name through the port (``Store.report_sql``) and does the
arithmetic; a backend supplies its own text for the same names, with the same
parameters (``:start``/``:end``/``:now`` as ``figures.db_time`` writes them) and
the same columns in the same order.
"""

from __future__ import annotations

_RANGE = "c.received_at >= :start AND c.received_at < :end"

# Lateness and handling minutes are kept on each complaint (models.timing_facts),
# so the main scan sums small integers. Staff come last in the grouping: the
# per-person figures are sums of these groups, not a second scan.
_MAIN = f"""
SELECT c.category, c.channel, c.priority, c.department, c.handling_method,
       c.received_by, c.handler,
       count(*), coalesce(sum(c.loss_cents), 0),
       sum(c.first_response_late IS 0), sum(c.first_response_late IS 1),
       sum(c.resolution_late IS 0), sum(c.resolution_late IS 1),
       count(c.handling_minutes), coalesce(sum(c.handling_minutes), 0),
       sum(c.closed), sum(c.reopen_count > 0)
FROM complaint c INDEXED BY ix_complaint_report WHERE {_RANGE}
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""

# The same sums over the complaints merged into another as duplicates (a few, by
# their own partial index): reports/figures.py takes them back out, so that a
# merged pair counts once without the main scan reading one more column.
_MERGED = _MAIN.replace("INDEXED BY ix_complaint_report WHERE",
                        "INDEXED BY ix_complaint_merged WHERE c.merged_into_id IS NOT NULL AND")

# The not-yet-judged or not-yet-resolved: late once their deadline has passed.
_PENDING = f"""
SELECT c.handler,
       sum(c.first_response_late IS NULL AND c.first_response_due < :now),
       sum(c.resolution_late IS NULL AND coalesce(c.handling_due, c.resolution_due) < :now)
FROM complaint c INDEXED BY ix_complaint_pending
WHERE (c.first_response_late IS NULL OR c.resolution_late IS NULL) AND {_RANGE}
GROUP BY 1
"""

_MERGED_PENDING = f"""
SELECT c.handler,
       sum(c.first_response_late IS NULL AND c.first_response_due < :now),
       sum(c.resolution_late IS NULL AND coalesce(c.handling_due, c.resolution_due) < :now)
FROM complaint c INDEXED BY ix_complaint_merged
WHERE c.merged_into_id IS NOT NULL AND (c.first_response_late IS NULL OR c.resolution_late IS NULL)
  AND {_RANGE}
GROUP BY 1
"""

# The complaints whose handling clock was ever paused (a few, by their partial
# index): how many, the time paused (a running pause up to now) and how many are
# paused now.
_PAUSED_WHERE = "(c.paused_minutes > 0 OR c.paused_at IS NOT NULL)"
_PAUSED = f"""
SELECT count(*), coalesce(sum(c.paused_minutes), 0)
         + coalesce(sum(CASE WHEN c.paused_at IS NOT NULL AND c.closed = 0
                        THEN max(0, CAST((julianday(:now) - julianday(c.paused_at)) * 1440 AS INTEGER))
                        END), 0),
       sum(c.paused_at IS NOT NULL AND c.closed = 0)
FROM complaint c INDEXED BY ix_complaint_paused
WHERE {_PAUSED_WHERE} AND {_RANGE}
"""

# The paused now and past their (not yet moved) deadline are not late while the
# clock waits: the "pending" counts take them back out.
_PAUSED_PENDING = f"""
SELECT c.handler, 0,
       sum(c.resolution_late IS NULL AND coalesce(c.handling_due, c.resolution_due) < :now)
FROM complaint c INDEXED BY ix_complaint_paused
WHERE {_PAUSED_WHERE} AND c.paused_at IS NOT NULL AND c.merged_into_id IS NULL AND {_RANGE}
GROUP BY 1
"""

# The median: the index in order of minutes, walked to the middle of the period's rows.
_MIDDLE = f"""
SELECT c.handling_minutes FROM complaint c INDEXED BY ix_complaint_handling_minutes
WHERE c.handling_minutes IS NOT NULL AND {_RANGE}
ORDER BY c.handling_minutes LIMIT :take OFFSET :skip
"""

_REVISITS = """
SELECT r.reached, r.attitude, r.result, r.received_by, r.handler, count(*)
FROM revisit r INDEXED BY ix_revisit_report
WHERE r.received_at >= :start AND r.received_at < :end
GROUP BY 1, 2, 3, 4, 5
"""

_REPEATS = f"""
SELECT count(DISTINCT l.complaint_id)
FROM complaint_link l CROSS JOIN complaint c ON c.id = l.complaint_id  -- the few links first
WHERE l.kind = 'repeat' AND {_RANGE}
"""

_COUNT = ("SELECT count(*) - (SELECT count(*) FROM complaint m INDEXED BY ix_complaint_merged "
          "WHERE m.merged_into_id IS NOT NULL AND m.received_at >= :start AND m.received_at < :end) "
          "FROM complaint c INDEXED BY ix_complaint_received WHERE " + _RANGE)


_ROWS = f"""
SELECT c.id, c.received_at, c.number, c.customer_name, c.event, c.department,
       c.handling_method, c.loss_cents, c.product, c.quantity
FROM complaint c INDEXED BY ix_complaint_received
WHERE {_RANGE} AND (c.received_at > :after_at OR (c.received_at = :after_at AND c.id > :after_id))
  AND c.merged_into_id IS NULL
ORDER BY c.received_at, c.id LIMIT :limit OFFSET :skip
"""



REPORT_SQL = {
    "main": _MAIN,
    "merged": _MERGED,
    "pending": _PENDING,
    "merged_pending": _MERGED_PENDING,
    "paused": _PAUSED,
    "paused_pending": _PAUSED_PENDING,
    "middle": _MIDDLE,
    "revisits": _REVISITS,
    "repeats": _REPEATS,
    "count": _COUNT,
    "rows": _ROWS,
    "staff_names": "SELECT login, name FROM staff",
}
