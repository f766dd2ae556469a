"""The PostgreSQL store's search index and its one writer: a row per complaint
in ``complaint_search`` with the complaint's letter/digit pairs and the four
adjacent digits of its runs of digits (``grams``, GIN indexed, and a partial
index of the open complaints; the digit grams since revision 0003) and its
searchable text in lower case (``doc``).

A 2-character term is one pair: ``grams @> ARRAY[term]``, exact, answered by the
index alone. A longer term needs all its grams (``domain.search.term_grams``: its
pairs, and for digits its digit grams, so a phone number is a handful of rare
grams instead of ten pairs found in nearly every complaint; the index finds the
candidates)
and then the term itself in ``doc`` (``strpos``), so it matches exactly what the
SQLite store's trigram phrase matches: the term inside one searchable field,
case-insensitive; written with dashes or brackets it also matches its normalised
form (a contact saved as 13987654321 is found by 139-8765-4321). What is indexed
is the domain's (``domain/search.py``), the same as for SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (Boolean, Integer, Text, and_, column, event, func, inspect, literal, or_, select,
                        table, true)
from sqlalchemy.dialects.postgresql import ARRAY

from complaintdesk.domain.contacts import searchable
from complaintdesk.domain.search import (INDEXED_FIELDS, SearchQuery, bigrams, digit_grams, index_values,
                                         indexed_fields, term_grams)
from complaintdesk.store.models import Complaint

SEARCH = table("complaint_search", column("complaint_id", Integer), column("open", Boolean),
               column("grams", ARRAY(Text)), column("doc", Text))

INSERT = ("INSERT INTO complaint_search (complaint_id, open, grams, doc) "
          "VALUES (%s, %s, %s, %s)")
UPDATE = "UPDATE complaint_search SET open = %s, grams = %s, doc = %s WHERE complaint_id = %s"


def search_row(fields: tuple, open_: bool) -> tuple[int, bool, list[str], str]:
    """The index row of a complaint given as ``indexed_fields``: its id, whether it
    is open, its grams and its searchable text (fields apart by a newline, which
    no term holds)."""
    (complaint_id, *columns), _bi = index_values(*fields)
    doc = "\n".join(columns).lower()
    return complaint_id, open_, bigrams(columns).split() + sorted(digit_grams(doc)), doc


def index_complaints(cursor: Any, rows: list[tuple[tuple, bool]]) -> None:
    """Index complaints given as (``indexed_fields``, open), in the caller's transaction."""
    cursor.executemany(INSERT, [search_row(fields, open_) for fields, open_ in rows])


def _grams(pairs: list[str]) -> Any:
    """Pairs as one ``text[]`` parameter."""
    return literal(pairs, ARRAY(Text))


def _term(term: str, text_alone: bool = False) -> Any:
    """A term of 3+ characters: its grams, then the term itself in the text (or,
    ``text_alone``, the text only: the grams of a text holding the term always
    hold the term's, so they are there for the index and decide nothing)."""
    lowered = term.lower()
    grams = term_grams(lowered)
    found = func.strpos(SEARCH.c.doc, lowered) > 0
    return and_(SEARCH.c.grams.contains(_grams(grams)), found) if grams and not text_alone else found


def text_clause(search: SearchQuery, open_only: bool) -> Any:
    """The condition on ``Complaint.id`` of every word of ``search``."""
    conditions = text_conditions(search)
    if open_only:
        conditions.append(SEARCH.c.open == true())
    return Complaint.id.in_(select(SEARCH.c.complaint_id).where(*conditions))


def text_conditions(search: SearchQuery, text_alone: bool = False) -> list:
    """The conditions on ``complaint_search`` of every word of ``search``;
    ``text_alone``: each word tested on the text only, for rows read one by one
    (not by the index), where reading the grams too tripled the cost."""
    conditions = []
    for term in search.long_terms:
        normal = searchable(term)
        if len(normal) >= 3 and normal != term.lower():
            conditions.append(or_(_term(term, text_alone), _term(normal, text_alone)))
        else:
            conditions.append(_term(term, text_alone))
    pairs = []
    for pair in search.short_terms:
        # A pair of letters/digits is in the grams exactly where the text holds it
        # (both come from the same lower-cased fields, and such a pair lies inside
        # one run of letters/digits).
        if text_alone and len(pair) == 2 and pair.isalnum():
            conditions.append(func.strpos(SEARCH.c.doc, pair) > 0)
        else:
            pairs.append(pair)
    if pairs:
        conditions.append(SEARCH.c.grams.contains(_grams(pairs)))
    return conditions


def _keep_index(_mapper: Any, connection: Any, target: Complaint) -> None:
    """A complaint closed, reopened or with a searchable field corrected: its index
    row follows in the same transaction, whichever use-case changed it."""
    if connection.dialect.name != "postgresql":
        return
    state = inspect(target)
    if not any(state.attrs[name].history.added for name in (*INDEXED_FIELDS, "closed")):
        return
    _id, open_, grams, doc = search_row(indexed_fields(target), not target.closed)
    connection.exec_driver_sql(UPDATE, (open_, grams, doc, target.id))


if not event.contains(Complaint, "before_update", _keep_index):
    event.listen(Complaint, "before_update", _keep_index)
