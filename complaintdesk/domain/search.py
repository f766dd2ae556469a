"""Full-text search of complaints, Chinese two-character terms included.

Measured facts this design answers (conventions.md): FTS5 ``trigram`` finds
terms of 3+ characters fast but never matches shorter ones, silently drops them
inside an implicit AND, and SQLite 3.40's ``LIKE`` on a trigram table returns
nothing for them. So there are two contentless indexes:

* ``complaint_fts3`` — trigram, every searchable column; answers terms of 3+
  characters (a phrase of trigrams, case-insensitive).
* ``complaint_fts2`` — every pair of adjacent letters/digits of the same texts,
  written as space-separated tokens for the ``unicode61`` tokenizer, with
  ``detail=none`` (no positions: a term is one token). Answers 2-character
  terms such as 退款, 快递, 破损.

Each pair also has an ``_open`` twin holding only the complaints not closed yet
(schema v6): the queue searches open complaints by default, and a frequent
word's matches are mostly closed complaints (质量问题: 87,380 matches in the 1M
demo, 5,591 of them open; only counting the former took 24 ms). A complaint
leaves the twins when it is closed (a flush hook in ``models`` applies
``open_index_change``) and would join them again if it were ever reopened.

The index tables and their one writer are ``store/sqlite/search_index.py``;
this module holds what does not depend on a database: which fields are
indexed, the pairs cut from them, and the parsing of what a person typed.

Each term becomes one quoted FTS string (``"..."`` with quotes doubled), so
user input can never inject query syntax; terms are ANDed explicitly.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass

from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.contacts import searchable
from complaintdesk.domain.text import clean_line

# The searchable columns, in this order, in the trigram index.
SEARCH_COLUMNS = ("number", "customer_name", "contact", "event", "demand", "product")

_SPACE = re.compile(r"[\s\u3000]+")
_NUMBER_PREFIX = re.compile(r"^TS-\d{4}", re.IGNORECASE)


# A run of two or more letters/digits: [^\W_] is exactly str.isalnum().
_RUN = re.compile(r"[^\W_]{2,}")


def bigrams(texts: Iterable[str]) -> str:
    """Distinct adjacent letter/digit pairs of ``texts``, space separated, lower case.

    The pairs are cut from runs of letters/digits (texts joined by a space, which
    no run crosses) at C speed: 40 % less time than testing every adjacent pair
    in Python, which was a quarter of the demo's build time."""
    grams: set[str] = set()
    for run in _RUN.findall(" ".join(texts).lower()):
        grams.update(map(operator.add, run, run[1:]))
    return " ".join(sorted(grams))


# A run of four or more ASCII digits.
_DIGIT_RUN = re.compile(r"[0-9]{4,}")

#: How many digits one digit gram holds.
DIGIT_GRAM = 4


def digit_grams(text: str) -> set[str]:
    """Every four adjacent ASCII digits inside ``text``'s runs of digits.

    Digit pairs are in nearly every complaint (a phone number has ten of them), so
    an index of pairs alone cannot narrow a phone number down: at 10M complaints
    PostgreSQL intersected ten posting lists of about a million entries each
    (1.1 s). One of 10,000 four-digit grams is in about one complaint in a
    thousand. A term's digit grams are always among those of a text holding the
    term: a run of digits inside the term lies inside one run of the text."""
    return {run[i:i + DIGIT_GRAM] for run in _DIGIT_RUN.findall(text)
            for i in range(len(run) - DIGIT_GRAM + 1)}


_DIGITS = frozenset("0123456789")


def term_grams(term: str) -> list[str]:
    """Grams an index of pairs and digit grams holds for every text containing
    ``term`` (in lower case), enough to find it among few candidates: its digit
    grams, and its pairs but those of digits alone where it has digit grams.
    Those pairs add nothing a search needs (a text holding 1234 holds 12, 23 and
    34; a pair of digits is in nearly every complaint): at 10.3M complaints the
    digit pairs 19 and 99 of 199-6354-3314 took 148 ms of the GIN scan, its digit
    grams 2 ms. Any of a term's grams narrows the search, never more than the
    term does: the text itself is compared after."""
    lowered = term.lower()
    quads = digit_grams(lowered)
    pairs = bigrams([lowered]).split()
    if quads:
        pairs = [pair for pair in pairs if not _DIGITS.issuperset(pair)]
    return pairs + sorted(quads)


# What index_values takes, in its order: the id, then the searchable columns.
INDEXED_FIELDS = ("id", *SEARCH_COLUMNS)


def indexed_fields(complaint: object) -> tuple:
    """``index_values`` arguments of a complaint (a model object or a dict of its
    columns): the one place that says which fields are indexed, so a delete from
    the open-only index is always given what the insert was."""
    if isinstance(complaint, dict):
        return tuple(complaint[name] for name in INDEXED_FIELDS)
    return tuple(getattr(complaint, name) for name in INDEXED_FIELDS)


def index_values(complaint_id: int, number: str, customer_name: str, contact: str, event: str,
                 demand: str, product: str) -> tuple[tuple, tuple]:
    """The rows to insert into the trigram and bigram tables for one complaint.

    The contact is indexed as written and compacted (contacts.searchable), so
    13812345678 finds 138-1234-5678, +86 138 1234 5678 and full-width digits.
    """
    contact_text = f"{contact} {searchable(contact)}"
    columns = (number, customer_name, contact_text, event, demand, product)
    return (complaint_id, *columns), (complaint_id, bigrams(columns))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _trigram_term(term: str) -> str:
    """A 3+ character term; written with dashes or brackets it also matches its
    normalised form, so 139-8765-4321 finds a contact saved as 13987654321."""
    normal = searchable(term)
    if len(normal) >= 3 and normal != term.lower():
        return f"({_quote(term)} OR {_quote(normal)})"
    return _quote(term)


@dataclass(frozen=True)
class SearchQuery:
    """Parsed search input: FTS expressions for each index (None = not needed)."""

    text: str
    trigram: str | None
    bigram: str | None
    number_prefixes: tuple[str, ...] = ()
    #: The words themselves, for a backend whose index is not FTS5: 3+ characters
    #: as typed, 2 characters in lower case.
    long_terms: tuple[str, ...] = ()
    short_terms: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.trigram is None and self.bigram is None and not self.number_prefixes


def parse_search(text: str) -> SearchQuery:
    """Split input on spaces into terms that must all match.

    Raises:
        DomainError: a term of one character (neither index can answer it), with
            a message saying how to search instead.
    """
    text = clean_line(text)
    terms = [t for t in _SPACE.split(text) if t]
    long_terms: list[str] = []
    short_terms: list[str] = []
    numbers: list[str] = []
    for term in dict.fromkeys(terms):
        if _NUMBER_PREFIX.match(term):
            # A 受理编号 or its beginning: the unique index answers it at once, where
            # a trigram phrase of TS-2026… would intersect near-universal trigrams.
            numbers.append(term.upper())
        elif len(term) >= 3:
            long_terms.append(term)
        elif len(term) == 2 and term[0].isalnum() and term[1].isalnum():
            short_terms.append(term.lower())
        else:
            raise DomainError(f"“{term}”太短：请输入至少两个字（或两个字母/数字）的词，多个词用空格分开")
    return SearchQuery(
        text=text,
        trigram=" AND ".join(_trigram_term(t) for t in long_terms) or None,
        bigram=" AND ".join(_quote(t) for t in short_terms) or None,
        number_prefixes=tuple(numbers),
        long_terms=tuple(long_terms),
        short_terms=tuple(short_terms),
    )
