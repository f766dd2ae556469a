"""Alembic's environment for the PostgreSQL store: run by ``migrate.upgrade`` on
the store's own connection (``config.attributes["connection"]``), never from an
alembic.ini."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
