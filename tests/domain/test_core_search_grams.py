"""The grams a search term needs (``term_grams``) are always among those of a
text holding the term, whatever the text: the PostgreSQL index may then use them
to find candidates without ever missing a match."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from complaintdesk.domain.search import bigrams, digit_grams, term_grams

# Digits of several kinds (ASCII, full-width, Arabic-Indic), letters, Chinese,
# separators: where the runs of digits start and stop.
CHARS = st.sampled_from("0123456789０１２٣٤ab中文-+ \n，")
TEXT = st.one_of(st.text(CHARS, max_size=60), st.text(max_size=60))


def _index(text: str) -> set[str]:
    lowered = text.lower()
    return set(bigrams([lowered]).split()) | digit_grams(lowered)


@given(text=TEXT, data=st.data())
def test_a_terms_grams_are_in_every_text_holding_it(text, data) -> None:
    start = data.draw(st.integers(0, len(text)))
    term = text[start:start + data.draw(st.integers(3, 20))]
    assert set(term_grams(term)) <= _index(text), term


@given(before=TEXT, term=st.text(CHARS, min_size=3, max_size=20), after=TEXT)
def test_a_term_inside_any_words_is_covered(before, term, after) -> None:
    assert set(term_grams(term)) <= _index(before + term + after)


def test_digit_grams_are_every_four_adjacent_ascii_digits() -> None:
    assert digit_grams("ts-20261123-0042 138-1234-5678") == {
        "2026", "0261", "2611", "6112", "1123", "0042", "1234", "5678"}
    assert digit_grams("123 １２３４ ٣٤٥٦ x9876y") == {"9876"}


def test_a_phone_number_is_looked_up_by_its_digit_grams_not_by_digit_pairs() -> None:
    """Each digit pair is in nearly every complaint; a four-digit gram in about
    one in a thousand."""
    assert term_grams("13812345678") == sorted(
        ["1381", "3812", "8123", "1234", "2345", "3456", "4567", "5678"])
    # Written with dashes: the runs of four; the digit pairs of the run of three
    # would only add lists of a million complaints each.
    assert term_grams("138-1234-5678") == ["1234", "5678"]
    assert term_grams("138-123") == ["12", "13", "23", "38"]  # no digit grams: the pairs
    # Letters keep their pairs, and the pair where letters meet digits.
    assert term_grams("AB1234") == ["ab", "b1", "1234"]
    assert term_grams("退款123") == ["12", "23", "款1", "退款"]


# Letters whose lower case is longer or context-dependent (İ, final Σ), beside
# the rest: where a pair in the grams and a pair in the text could part.
FIELD = st.one_of(st.text(st.sampled_from("İiIΣΑσςAaBb中文快递0１ -_\t"), max_size=12),
                  st.text(max_size=12))


@given(fields=st.lists(FIELD, min_size=5, max_size=5), data=st.data())
def test_a_pair_of_letters_is_in_the_grams_exactly_where_the_text_holds_it(fields, data) -> None:
    """A PostgreSQL count that reads rows one by one tests a two-character word on
    the text (store/postgres/search.py, ``text_alone``): for a lower-cased pair of
    letters/digits that is the grams' answer, for any complaint's search row."""
    from complaintdesk.store.postgres.search import search_row

    customer_name, contact, event, demand, product = fields
    _id, _open, grams, doc = search_row(
        (7, "TS-20261123-0007", customer_name, contact, event, demand, product), True)
    inside = [doc[i:i + 2] for i in range(len(doc) - 1)]
    pair = data.draw(st.one_of(st.sampled_from(inside), st.text(min_size=2, max_size=2)))
    if len(pair) == 2 and pair.isalnum():
        assert (pair in grams) == (pair in doc), (fields, pair)
