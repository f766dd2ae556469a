"""The open complaints with a clock at or past its warning share, or a revisit
within the notice, on PostgreSQL: the same conditions as the SQLite store's
``clock_sql.WARNING_SQL``, in interval arithmetic (process/alerts.py checks each
candidate again, clock by clock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaintdesk.store.sqlite.clock_sql import COLUMNS

_PAUSE = "paused_minutes * interval '1 minute'"

WARNING_SQL = f"""
SELECT {", ".join(COLUMNS)} FROM complaint
WHERE NOT closed AND (
  (status = 'revisit' AND revisit_due <= %(notice)s)
  OR (status = 'registered' AND %(now)s >= due_at
      - (1 - %(f)s) * (first_response_due - received_at))
  OR (status NOT IN ('registered', 'revisit') AND paused_at IS NULL AND (
      %(now)s >= received_at + {_PAUSE}
        + %(f)s * (coalesce(handling_due, resolution_due) - received_at - {_PAUSE})
      OR (status = 'investigating' AND investigation_due IS NOT NULL
          AND %(now)s >= coalesce(dispatched_at, received_at)
            + %(f)s * (investigation_due - coalesce(dispatched_at, received_at)))))
)
ORDER BY id"""


PERSON_SQL = WARNING_SQL.replace(
    "WHERE NOT closed AND (", "WHERE NOT closed AND (handler = %(login)s OR "
    "(handler IS NULL AND received_by = %(login)s)) AND (", 1)


#: One person's candidates among some complaints (a console after others' changes).
PERSON_AMONG_SQL = PERSON_SQL.replace("ORDER BY id", "AND number = ANY(%(numbers)s) ORDER BY id")


def candidates(connection: Any, now: datetime, notice: datetime, fraction: float,
               login: str | None = None, numbers: list[str] | None = None) -> list[dict]:
    """The candidates as plain dicts of COLUMNS (times aware UTC); with ``login``,
    only that person's, and with ``numbers`` only among those complaints."""
    query = WARNING_SQL if login is None else PERSON_SQL if numbers is None else PERSON_AMONG_SQL
    rows = connection.exec_driver_sql(query, {"now": now, "notice": notice, "f": float(fraction),
                                              "login": login, "numbers": numbers})
    return [dict(zip(COLUMNS, row)) for row in rows]
