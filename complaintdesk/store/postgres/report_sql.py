"""The SQL of the 统计表 on PostgreSQL: the same names, parameters and columns as
``store/sqlite/report_sql.py`` (``reports/figures.py`` does the arithmetic), in
PostgreSQL's words: ``count(*) FILTER (WHERE …)`` for SQLite's sums of
comparisons, booleans as booleans, psycopg's ``%(name)s`` parameters. The bounds
arrive as naive UTC text; every session of the store runs in UTC, so they are read
as UTC.
"""

from __future__ import annotations

_RANGE = "c.received_at >= %(start)s AND c.received_at < %(end)s"

_SUMS = """
       count(*), coalesce(sum(c.loss_cents), 0)::bigint,
       count(*) FILTER (WHERE c.first_response_late = 0),
       count(*) FILTER (WHERE c.first_response_late = 1),
       count(*) FILTER (WHERE c.resolution_late = 0),
       count(*) FILTER (WHERE c.resolution_late = 1),
       count(c.handling_minutes), coalesce(sum(c.handling_minutes), 0),
       count(*) FILTER (WHERE c.closed), count(*) FILTER (WHERE c.reopen_count > 0)"""

_MAIN = f"""
SELECT c.category, c.channel, c.priority, c.department, c.handling_method,
       c.received_by, c.handler, {_SUMS}
FROM complaint c WHERE {_RANGE}
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""

_MERGED = f"""
SELECT c.category, c.channel, c.priority, c.department, c.handling_method,
       c.received_by, c.handler, {_SUMS}
FROM complaint c WHERE c.merged_into_id IS NOT NULL AND {_RANGE}
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""

_LATE = """
       count(*) FILTER (WHERE c.first_response_late IS NULL AND c.first_response_due < %(now)s),
       count(*) FILTER (WHERE c.resolution_late IS NULL
                        AND coalesce(c.handling_due, c.resolution_due) < %(now)s)"""

_PENDING = f"""
SELECT c.handler, {_LATE}
FROM complaint c
WHERE (c.first_response_late IS NULL OR c.resolution_late IS NULL) AND {_RANGE}
GROUP BY 1
"""

_MERGED_PENDING = f"""
SELECT c.handler, {_LATE}
FROM complaint c
WHERE c.merged_into_id IS NOT NULL AND (c.first_response_late IS NULL OR c.resolution_late IS NULL)
  AND {_RANGE}
GROUP BY 1
"""

_PAUSED_WHERE = "(c.paused_minutes > 0 OR c.paused_at IS NOT NULL)"
_PAUSED = f"""
SELECT count(*), coalesce(sum(c.paused_minutes), 0)
         + coalesce(sum(CASE WHEN c.paused_at IS NOT NULL AND NOT c.closed
                        THEN greatest(0, floor(extract(epoch FROM (CAST(%(now)s AS timestamptz)
                                                                   - c.paused_at)) / 60))::int
                        END), 0)::bigint,
       count(*) FILTER (WHERE c.paused_at IS NOT NULL AND NOT c.closed)
FROM complaint c
WHERE {_PAUSED_WHERE} AND {_RANGE}
"""

_PAUSED_PENDING = f"""
SELECT c.handler, 0,
       count(*) FILTER (WHERE c.resolution_late IS NULL
                        AND coalesce(c.handling_due, c.resolution_due) < %(now)s)
FROM complaint c
WHERE {_PAUSED_WHERE} AND c.paused_at IS NOT NULL AND c.merged_into_id IS NULL AND {_RANGE}
GROUP BY 1
"""

_MIDDLE = f"""
SELECT c.handling_minutes FROM complaint c
WHERE c.handling_minutes IS NOT NULL AND {_RANGE}
ORDER BY c.handling_minutes LIMIT %(take)s OFFSET %(skip)s
"""

_REVISITS = """
SELECT r.reached::int, r.attitude, r.result, r.received_by, r.handler, count(*)
FROM revisit r
WHERE r.received_at >= %(start)s AND r.received_at < %(end)s
GROUP BY 1, 2, 3, 4, 5
"""

_REPEATS = f"""
SELECT count(DISTINCT l.complaint_id)
FROM complaint_link l JOIN complaint c ON c.id = l.complaint_id
WHERE l.kind = 'repeat' AND {_RANGE}
"""

_COUNT = ("SELECT count(*) - (SELECT count(*) FROM complaint m "
          "WHERE m.merged_into_id IS NOT NULL AND m.received_at >= %(start)s "
          "AND m.received_at < %(end)s) FROM complaint c WHERE " + _RANGE)

_ROWS = f"""
SELECT c.id, c.received_at, c.number, c.customer_name, c.event, c.department,
       c.handling_method, c.loss_cents, c.product, c.quantity
FROM complaint c
WHERE {_RANGE}
  AND (CAST(%(after_at)s AS text) = ''
       OR (c.received_at, c.id) > (CAST(NULLIF(%(after_at)s, '') AS timestamptz), %(after_id)s))
  AND c.merged_into_id IS NULL
ORDER BY c.received_at, c.id LIMIT %(limit)s OFFSET %(skip)s
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
