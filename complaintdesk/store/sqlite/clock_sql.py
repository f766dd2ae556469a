"""The open complaints with a clock at or past its warning share, or a revisit
within the notice (process/alerts.py checks each again, clock by clock, with
domain/clocks.py): in SQL so that an alerts run on a million complaints reads
only those. The queue index keeps the scan to the open rows."""

from __future__ import annotations

from datetime import UTC, datetime

#: What alerts.py needs of a candidate (clocks.clocks' columns and the alert's words).
COLUMNS = ("id", "number", "priority", "status", "customer_name", "handler", "received_by",
           "closed", "received_at", "first_response_at", "first_response_due", "handling_due",
           "resolution_due", "investigation_due", "dispatched_at", "resolved_at", "revisit_due",
           "paused_at", "paused_minutes", "due_at")
TIMES = frozenset(name for name in COLUMNS if name.endswith(("_at", "_due")))

# Read from ix_complaint_clocks alone (a partial index of the open complaints'
# clocks): the ids; their columns are then read by id.
WARNING_SQL = """
SELECT id FROM complaint INDEXED BY ix_complaint_clocks
WHERE closed = 0 AND (
  (status = 'revisit' AND revisit_due <= :notice)
  OR (status = 'registered' AND julianday(:now) >= julianday(due_at)
      - (1 - :f) * (julianday(first_response_due) - julianday(received_at)))
  OR (status NOT IN ('registered', 'revisit') AND paused_at IS NULL AND (
      julianday(:now) >= julianday(received_at) + paused_minutes / 1440.0
        + :f * (julianday(coalesce(handling_due, resolution_due)) - julianday(received_at)
                - paused_minutes / 1440.0)
      OR (status = 'investigating' AND investigation_due IS NOT NULL
          AND julianday(:now) >= julianday(coalesce(dispatched_at, received_at))
            + :f * (julianday(investigation_due) - julianday(coalesce(dispatched_at, received_at))))))
)
ORDER BY id"""


# One person's candidates (a console's header, after every change anyone makes):
# their own open complaints by the handler and received_by indexes, the same
# clock conditions.
_CONDITIONS = WARNING_SQL[WARNING_SQL.index("WHERE closed = 0 AND ("):WARNING_SQL.index("ORDER BY")]
PERSON_SQL = (f"SELECT {', '.join(COLUMNS)} FROM complaint "
              + _CONDITIONS.replace("WHERE closed = 0 AND (", "WHERE closed = 0 AND (handler = :login OR "
                                    "(handler IS NULL AND received_by = :login)) AND (", 1))


def moment(text: str | None) -> datetime | None:
    """A stored time (naive UTC text) as an aware UTC datetime."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def candidates(connection, now: datetime, notice: datetime,  # type: ignore[no-untyped-def]
               fraction: float, login: str | None = None,
               numbers: list[str] | None = None) -> list[dict]:
    """The candidates as plain dicts of COLUMNS (times aware UTC), read through the
    driver: an alerts run on a million complaints reads tens of thousands of rows,
    and the ORM's objects would be most of its time. With ``login``, only the
    complaints that person is responsible for, and with ``numbers`` only among those."""
    if login is not None:
        params = {"now": stamp(now), "notice": stamp(notice), "f": fraction, "login": login}
        query = PERSON_SQL
        if numbers is not None:  # only among these complaints (by the unique index)
            names = [f"n{i}" for i in range(len(numbers))]
            query += f" AND number IN ({', '.join(':' + n for n in names) or 'NULL'})"
            params.update(zip(names, numbers))
        return [_Candidate(zip(COLUMNS, row)) for row in connection.execute(query, params)]
    ids = [row[0] for row in connection.execute(
        WARNING_SQL, {"now": stamp(now), "notice": stamp(notice), "f": fraction})]
    out = []
    select = f"SELECT {', '.join(COLUMNS)} FROM complaint WHERE id IN "
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        out.extend(_Candidate(zip(COLUMNS, row)) for row in connection.execute(
            select + f"({', '.join('?' * len(part))})", part))
    return out


class _Candidate(dict):
    """A candidate's columns; a time is parsed when first read (a run reads a few of
    each row's eleven, for tens of thousands of rows)."""

    __slots__ = ()

    def __getitem__(self, name: str):  # type: ignore[no-untyped-def]
        value = dict.__getitem__(self, name)
        if value.__class__ is str and name in TIMES:
            value = moment(value)
            self[name] = value
        return value


def stamp(moment: datetime) -> str:
    """A time as the file stores it (naive UTC text), for comparing in SQL."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


__all__ = ["COLUMNS", "WARNING_SQL", "candidates", "stamp"]
