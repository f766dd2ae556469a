"""Every commit that appends audit events notifies: a note, a correction or
anything else that changes a complaint only through its timeline woke no
console before (the baseline's triggers watch the complaint's own tables).

One notification per distinct complaint of the statement's events ('' for an
event of no complaint, staff's); a statement of more than 200 events (a bulk
load, copy-to) sends one '*' instead: the consoles then read everything again
(store/changes.py reads what changed from the audit trail either way).

Revision ID: 0002_audit_notify
Revises: 0001_baseline
"""

from __future__ import annotations

from alembic import op

revision = "0002_audit_notify"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION audit_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM added) > 200 THEN
    PERFORM pg_notify('complaintdesk', '*');
  ELSE
    PERFORM pg_notify('complaintdesk', coalesce(c.number, ''))
      FROM (SELECT DISTINCT complaint_id FROM added) a
      LEFT JOIN complaint c ON c.id = a.complaint_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER audit_event_notify AFTER INSERT ON audit_event
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_event_notify();
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(UPGRADE)
