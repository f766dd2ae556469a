"""The triggers that keep the SQLite audit trail append-only, as created."""

from __future__ import annotations

from complaintdesk.store.sqlite.schema_history import V1, split_sql


# The audit chain (audit_chain.py). An event takes the next id and a 32-byte hash,
# or nothing: REPLACE INTO / INSERT OR REPLACE with an existing id would otherwise
# delete the event without firing the delete trigger and put another in its place;
# and with ids that never skip, the number of events is the last id and a gap is a
# deletion. The message stays English like the other two: SQLite's, not the desk's.
AUDIT_NO_REPLACE = """
CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_event)
  OR typeof(NEW.hash) IS NOT 'blob' OR length(NEW.hash) IS NOT 32
BEGIN SELECT RAISE(ABORT, 'audit events are append-only (the next id, a 32-byte hash)'); END
""".strip()

# The three triggers that keep audit_event append-only, name → SQL as created
# (the first two by V1, the update one re-created by v7 with the same text), as
# sqlite_master keeps them (without the final semicolon): audit_chain checks them.
AUDIT_TRIGGERS: dict[str, str] = {
    **{statement.split()[2]: statement.removesuffix(";") for statement in split_sql(V1)
       if statement.startswith("CREATE TRIGGER audit_event_")},
    "audit_event_no_replace": AUDIT_NO_REPLACE,
}
assert set(AUDIT_TRIGGERS) == {"audit_event_no_update", "audit_event_no_delete",
                               "audit_event_no_replace"}
