"""The search indexes of the SQLite store and their one writer.

Every write to the FTS5 tables goes through this module: a registration
(``index_complaints``), a complaint closed or reopened (the ORM hook
``_keep_open_search``), the demo's bulk load (``insert_rows``) and the schema
steps that build or rebuild them (``schema._index_all``). What is indexed and how
a query is parsed is the domain's (``domain/search.py``); why two indexes and
their open-only twins, see there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect

from complaintdesk.domain.search import INDEXED_FIELDS, SEARCH_COLUMNS, index_values, indexed_fields
from complaintdesk.store.models import Complaint

TRIGRAM_TABLE = "complaint_fts3"
BIGRAM_TABLE = "complaint_fts2"
OPEN_TRIGRAM_TABLE = "complaint_fts3_open"
OPEN_BIGRAM_TABLE = "complaint_fts2_open"


def _create(trigram: str, bigram: str) -> str:
    return f"""
CREATE VIRTUAL TABLE {trigram} USING fts5(
    {", ".join(SEARCH_COLUMNS)}, tokenize='trigram', content='', detail=full
);
CREATE VIRTUAL TABLE {bigram} USING fts5(
    grams, tokenize='unicode61', content='', detail=none
);
"""


CREATE_INDEXES = _create(TRIGRAM_TABLE, BIGRAM_TABLE)
CREATE_OPEN_INDEXES = _create(OPEN_TRIGRAM_TABLE, OPEN_BIGRAM_TABLE)


def _insert(table: str, columns: tuple[str, ...], delete: bool = False) -> str:
    """Insert a row; with ``delete``, FTS5's command removing a contentless row,
    which must be given exactly the values it was indexed with."""
    if delete:
        return (f"INSERT INTO {table}({table}, rowid, {', '.join(columns)}) "
                f"VALUES ('delete', ?, {', '.join('?' for _ in columns)})")
    return (f"INSERT INTO {table}(rowid, {', '.join(columns)}) "
            f"VALUES (?, {', '.join('?' for _ in columns)})")


INSERT_TRIGRAM = _insert(TRIGRAM_TABLE, SEARCH_COLUMNS)
INSERT_BIGRAM = _insert(BIGRAM_TABLE, ("grams",))
INSERT_OPEN_TRIGRAM = _insert(OPEN_TRIGRAM_TABLE, SEARCH_COLUMNS)
INSERT_OPEN_BIGRAM = _insert(OPEN_BIGRAM_TABLE, ("grams",))
DELETE_TRIGRAM = _insert(TRIGRAM_TABLE, SEARCH_COLUMNS, delete=True)
DELETE_BIGRAM = _insert(BIGRAM_TABLE, ("grams",), delete=True)
DELETE_OPEN_TRIGRAM = _insert(OPEN_TRIGRAM_TABLE, SEARCH_COLUMNS, delete=True)
DELETE_OPEN_BIGRAM = _insert(OPEN_BIGRAM_TABLE, ("grams",), delete=True)

EVERY = (INSERT_TRIGRAM, INSERT_BIGRAM)   # the indexes of every complaint
OPEN = (INSERT_OPEN_TRIGRAM, INSERT_OPEN_BIGRAM)  # their open-only twins


def insert_rows(dbapi_conn, tri: list[tuple], bi: list[tuple],  # type: ignore[no-untyped-def]
                into: tuple[tuple[str, str], ...] = (EVERY, OPEN)) -> None:
    """Write ``index_values`` rows into the index pairs ``into``, in the caller's
    transaction."""
    if tri:
        for insert_trigram, insert_bigram in into:
            dbapi_conn.executemany(insert_trigram, tri)
            dbapi_conn.executemany(insert_bigram, bi)


def index_complaints(dbapi_conn, rows: Iterable[tuple],  # type: ignore[no-untyped-def]
                     into: tuple[tuple[str, str], ...] = (EVERY, OPEN)) -> None:
    """Index complaints given as ``index_values`` argument tuples, in the caller's
    transaction: by default (a new complaint is open) into both pairs."""
    values = [index_values(*row) for row in rows]
    insert_rows(dbapi_conn, [tri for tri, _bi in values], [bi for _tri, bi in values], into)


def open_index_change(row: tuple, now_open: bool) -> list[tuple[str, tuple]]:
    """The statements that add a complaint (``index_values`` arguments) to the
    open-only twins, or take it out of them.

    A contentless FTS5 row is deleted by giving the values it was indexed with, so
    ``index_values`` (and ``bigrams``, ``searchable``) must stay the same
    function of a complaint's fields; a change to them needs a schema step that
    rebuilds the indexes."""
    tri, bi = index_values(*row)
    if now_open:
        return [(INSERT_OPEN_TRIGRAM, tri), (INSERT_OPEN_BIGRAM, bi)]
    return [(DELETE_OPEN_TRIGRAM, tri), (DELETE_OPEN_BIGRAM, bi)]




def _reindex_corrected(connection: Any, target: Complaint) -> bool:
    """A searchable field corrected (corrections.py): the complaint's rows in the
    indexes are replaced — deleted with the values they were indexed with, inserted
    with the new ones — in both pairs, or only the full pair once closed. Returns
    whether it did (and so also took care of the open pair)."""
    state = inspect(target)
    changed = [name for name in INDEXED_FIELDS if state.attrs[name].history.added]
    if not changed:
        return False
    old = []
    for name in INDEXED_FIELDS:
        history = state.attrs[name].history
        if history.added and not history.deleted:  # set without being loaded: ask the file
            old.append(connection.exec_driver_sql(
                f"SELECT {name} FROM complaint WHERE id = ?", (target.id,)).scalar())
        else:
            old.append(history.deleted[0] if history.deleted else getattr(target, name))
    closed = state.attrs.closed.history
    if not closed.added:
        was_closed = target.closed
    elif closed.deleted:
        was_closed = closed.deleted[0]
    else:
        was_closed = connection.exec_driver_sql(
            "SELECT closed FROM complaint WHERE id = ?", (target.id,)).scalar()
    was_open = not bool(was_closed)
    old_tri, old_bi = index_values(*old)
    new_tri, new_bi = index_values(*indexed_fields(target))
    statements = [(DELETE_TRIGRAM, old_tri), (DELETE_BIGRAM, old_bi),
                  (INSERT_TRIGRAM, new_tri), (INSERT_BIGRAM, new_bi)]
    if was_open:
        statements += [(DELETE_OPEN_TRIGRAM, old_tri), (DELETE_OPEN_BIGRAM, old_bi)]
    if not target.closed:
        statements += [(INSERT_OPEN_TRIGRAM, new_tri), (INSERT_OPEN_BIGRAM, new_bi)]
    for sql, params in statements:
        connection.exec_driver_sql(sql, params)
    return True


def _keep_open_search(_mapper: Any, connection: Any, target: Complaint) -> None:
    """A complaint closed (or ever reopened) leaves (or rejoins) the open-only search
    indexes in the same transaction, whichever use-case changed it; a corrected
    searchable field is indexed anew. (Another backend keeps its own index.)"""
    if connection.dialect.name != "sqlite":
        return
    if _reindex_corrected(connection, target):
        return
    history = inspect(target).attrs.closed.history
    if not history.added:
        return
    if history.deleted:
        was = bool(history.deleted[0])
    else:  # set without having been loaded: ask the file what it was
        was = bool(connection.exec_driver_sql(
            "SELECT closed FROM complaint WHERE id = ?", (target.id,)).scalar())
    if was == bool(target.closed):
        return
    # The indexed values are the complaint's current ones (a correction of them is
    # handled above, in the same hook).
    for sql, params in open_index_change(indexed_fields(target), now_open=not target.closed):
        connection.exec_driver_sql(sql, params)


def watch_closing() -> None:
    """Keep the open-only twins true on every ORM update of a complaint (once)."""
    if not event.contains(Complaint, "before_update", _keep_open_search):
        event.listen(Complaint, "before_update", _keep_open_search)


watch_closing()
