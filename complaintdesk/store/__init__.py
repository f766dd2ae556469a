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
    from complaintdesk.store.sqlite.engine import open_store as open_sqlite

    return open_sqlite(Path(location))


__all__ = ["Store", "open_store"]
