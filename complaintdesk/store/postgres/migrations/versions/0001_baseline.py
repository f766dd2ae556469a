"""Baseline: the schema of complaintdesk's SQLite version 12, on PostgreSQL
(ddl.BASELINE). A later release adds a revision after this one; never edit it.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

from alembic import op

from complaintdesk.store.postgres.ddl import BASELINE

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One string of many statements (plpgsql bodies included): sent as it is.
    op.get_bind().connection.driver_connection.execute(BASELINE)
