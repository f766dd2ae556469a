"""The store backends the suite runs on, and a new database of each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import pg_server

#: The store backends the tests that use ``desk`` run on, from
#: ``$COMPLAINTDESK_TEST_BACKENDS`` (comma separated; default ``sqlite``). With more
#: than one, every such test runs once per backend (ids ``[sqlite]``…); with one,
#: test ids stay as they are (the snapshots are named after them).
BACKENDS = [b.strip() for b in os.environ.get("COMPLAINTDESK_TEST_BACKENDS", "sqlite").split(",")
            if b.strip()]


def new_store_location(backend: str, folder: Path) -> Path | str:
    """A new database of ``backend``: a file path in ``folder`` (SQLite) or the URL
    of a new database on the test server (PostgreSQL, tests/pg_server.py); give it
    back with ``drop_store_location``."""
    if backend == "sqlite":
        return folder / "t.db"
    if backend == "postgresql":
        return pg_server.new_database()
    raise pytest.UsageError(f"COMPLAINTDESK_TEST_BACKENDS: unknown backend {backend!r} "
                            "(known: sqlite, postgresql)")


def drop_store_location(location: Path | str) -> None:
    """Give back a database ``new_store_location`` made (a file goes with its folder)."""
    if isinstance(location, str):
        pg_server.drop_database(location)
