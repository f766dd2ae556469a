"""The PostgreSQL store: the same port as ``store/sqlite`` on a database server
(``--db postgresql://…``). Schema upgrades by Alembic (``migrations/``)."""
