"""The open complaints with a clock at or past its warning share, or a revisit
within the notice (process/alerts.py checks each again, clock by clock, with
domain/clocks.py): in SQL so that an alerts run on a million complaints reads
only those. The queue index keeps the scan to the open rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

WARNING_SQL = text("""
SELECT id FROM complaint INDEXED BY ix_complaint_queue
WHERE closed = 0 AND due_at IS NOT NULL AND (
  (status = 'revisit' AND revisit_due <= :notice)
  OR (status = 'registered' AND julianday(:now) >= julianday(received_at)
      + :f * (julianday(first_response_due) - julianday(received_at)))
  OR (status NOT IN ('registered', 'revisit') AND paused_at IS NULL AND (
      julianday(:now) >= julianday(received_at) + paused_minutes / 1440.0
        + :f * (julianday(coalesce(handling_due, resolution_due)) - julianday(received_at)
                - paused_minutes / 1440.0)
      OR (status = 'investigating' AND investigation_due IS NOT NULL
          AND julianday(:now) >= julianday(coalesce(dispatched_at, received_at))
            + :f * (julianday(investigation_due) - julianday(coalesce(dispatched_at, received_at))))))
)
ORDER BY id""")


def stamp(moment: datetime) -> str:
    """A time as the file stores it (naive UTC text), for comparing in SQL."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


__all__ = ["WARNING_SQL", "stamp"]
