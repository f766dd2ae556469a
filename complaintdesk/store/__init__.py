"""The store: the port every layer above uses (``port.py``), the tables shared by
backends (``models.py``), and the backends (``sqlite/``).

``open_store`` is the one place that picks a backend for a location.
"""

from __future__ import annotations

from pathlib import Path

from complaintdesk.store.port import Store


def open_store(location: Path | str) -> Store:
    """Open (creating or upgrading) the database at ``location``.

    Raises:
        StoreError: the location cannot be used, is not a complaintdesk database,
            or comes from a newer release.
    """
    if is_url(location):
        from complaintdesk.store.postgres.engine import open_store as open_postgresql

        return open_postgresql(str(location))
    from complaintdesk.store.sqlite.engine import open_store as open_sqlite

    return open_sqlite(Path(location))


def has_desk(location: Path | str) -> bool:
    """Whether a complaintdesk database is at ``location`` already (a file there, or a
    server database with the schema). Where it cannot tell (no access, the server
    not answering), True: opening it then says why."""
    if is_url(location):
        from complaintdesk.store.postgres.engine import has_schema

        return has_schema(str(location))
    try:
        Path(location).stat()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def shown_location(location: Path | str) -> str:
    """``location`` to show and log: a URL without its password."""
    if is_url(location):
        from complaintdesk.store.postgres.engine import shown

        return shown(str(location))
    return str(location)


def is_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql://…``) rather
    than a SQLite file."""
    return isinstance(location, str) and "://" in location and location.split("://", 1)[0] in (
        "postgresql", "postgres", "postgresql+psycopg")


__all__ = ["Store", "has_desk", "is_url", "open_store", "shown_location"]
