"""Search in the queue: Chinese two-character terms, longer terms, several terms
together, 受理编号, names, contacts, and input that must never become FTS syntax."""

from __future__ import annotations

import re

import pytest

from complaintdesk.domain import search
from complaintdesk.domain.errors import DomainError
from complaintdesk.process.queue import open_queue, QueueFilter
from complaintdesk.domain.contacts import searchable as normalize_contact

from tests.helpers import register

NEUTRAL = {
    "customer_name": "王五商行",
    "address": "上海市静安区某路1号",
    "event": "客户来电反映问题。",
    "demand": "请尽快处理",
    "product": "台灯",
    "category": "product",
    "priority": "general",
}

# name: fields different from NEUTRAL. Registered in this order: s1 is TS-20261123-0001, ...
CASES = {
    "s1": {"event": "退款一直没有到账"},                          # 退款 at the very start
    "s2": {"event": "快递送来的箱子", "demand": "要求全额退款"},     # 退款 at the very end
    "s3": {"event": "外包装破损", "demand": "换货", "product": "玻璃杯"},
    "s4": {"event": "电水壶不加热，要求退款并寄快递取件", "product": "电水壶"},
    "s5": {"customer_name": "李娜", "contact": "138-1234-5678", "product": "iPhone 15",
           "event": "屏幕碎了"},
    "s6": {"customer_name": "北京华联超市", "event": "玻璃杯有裂纹"},
    "s7": {},  # the hostile text, see the fixture
    "s8": {"event": "快递员态度差"},
    "s9": {"event": "底部漏水", "product": "电水壶"},
    "s10": {"customer_name": "赵六", "contact": "13987654321"},
}


@pytest.fixture
def corpus(desk, admin, hostile_text) -> dict[str, dict[str, str]]:
    """name -> the searchable texts of each registered complaint (number included)."""
    made = {}
    for index, (name, changes) in enumerate(CASES.items()):
        data = {**NEUTRAL, "contact": f"021-{5550 + index}-8888", **changes}
        if name == "s7":
            data["event"] = hostile_text
        complaint = register(desk, admin.login, **data)
        made[name] = {
            "number": complaint.number, "customer_name": complaint.customer_name,
            "contact": complaint.contact, "event": complaint.event,
            "demand": complaint.demand, "product": complaint.product,
        }
    assert made["s7"]["event"] == hostile_text
    return made


def found(desk, corpus, text: str) -> set[str]:
    """Names of the complaints the search finds; count() agrees with the rows."""
    queue = open_queue(desk, QueueFilter(search=text))
    rows = queue.page(0, 100)
    assert queue.count() == len(rows)
    names = {fields["number"]: name for name, fields in corpus.items()}
    return {names[row.number] for row in rows}


def oracle(corpus, text: str) -> set[str]:
    """What the search should find, by brute force: every term occurs
    (case-insensitively) in some field; a contact also matches normalised."""
    terms = [t for t in re.split(r"[\s\u3000]+", text.strip()) if t]

    def has(fields: dict[str, str], term: str) -> bool:
        haystacks = [v.lower() for v in fields.values()] + [normalize_contact(fields["contact"])]
        wanted = [term.lower()]
        if len(term) >= 3 and len(normalize_contact(term)) >= 3:
            wanted.append(normalize_contact(term))
        return any(w in h for w in wanted for h in haystacks)

    return {name for name, fields in corpus.items() if all(has(fields, t) for t in terms)}


def test_the_corpus_has_no_accidental_matches(corpus):
    assert oracle(corpus, "退款") == {"s1", "s2", "s4"}
    assert oracle(corpus, "快递") == {"s2", "s4", "s8"}
    assert oracle(corpus, "破损") == {"s3"}


# ----------------------------------------------------------------- two characters

@pytest.mark.parametrize(("term", "names"), [
    ("退款", {"s1", "s2", "s4"}),
    ("快递", {"s2", "s4", "s8"}),
    ("破损", {"s3"}),
    ("漏水", {"s9"}),
    ("台灯", {"s1", "s2", "s6", "s7", "s8", "s10"}),  # the product column
    ("投诉", {"s7"}),
    ("没有", {"s1"}),
    ("裂缝", set()),
])
def test_two_character_chinese_terms(desk, corpus, term, names):
    assert found(desk, corpus, term) == names == oracle(corpus, term)


def test_two_character_term_at_the_very_start_and_end_of_a_text(desk, corpus):
    assert corpus["s1"]["event"].startswith("退款")
    assert corpus["s2"]["demand"].endswith("退款")
    assert corpus["s3"]["event"].endswith("破损")
    assert corpus["s2"]["event"].startswith("快递")
    assert {"s1", "s2"} <= found(desk, corpus, "退款")
    assert found(desk, corpus, "破损") == {"s3"}
    assert "s2" in found(desk, corpus, "快递")
    # The first and last pair of a longer text.
    assert found(desk, corpus, "到账") == {"s1"}
    assert found(desk, corpus, "全额") == {"s2"}


def test_two_characters_across_punctuation_do_not_match(desk, corpus):
    # s4 has "加热，要求": 热 and 要 are not adjacent letters.
    assert found(desk, corpus, "热要") == set()
    assert found(desk, corpus, "加热") == {"s4"}


# ----------------------------------------------------------------- longer terms

@pytest.mark.parametrize(("term", "names"), [
    ("玻璃杯", {"s3", "s6"}),
    ("电水壶", {"s4", "s9"}),
    ("退款一直", {"s1"}),       # the start of a text
    ("全额退款", {"s2"}),       # the end of a text
    ("要求全额退款", {"s2"}),
    ("华联超市", {"s6"}),
    ("北京华联超市", {"s6"}),
    ("不存在的词", set()),
])
def test_terms_of_three_or_more_characters(desk, corpus, term, names):
    assert found(desk, corpus, term) == names == oracle(corpus, term)


# ----------------------------------------------------------------- several terms

@pytest.mark.parametrize(("text", "names"), [
    ("退款 快递", {"s2", "s4"}),             # two 2-char terms: both must match
    ("快递 退款", {"s2", "s4"}),
    ("退款 电水壶", {"s4"}),                  # 2-char and 3-char: neither is dropped
    ("电水壶 退款", {"s4"}),
    ("玻璃杯 破损", {"s3"}),
    ("破损 裂纹", set()),
    ("退款 快递 电水壶", {"s4"}),
    ("电水壶 不加热 快递", {"s4"}),
    ("玻璃杯 华联超市", {"s6"}),               # two 3+-char terms
    ("退款 漏水", set()),
    ("电水壶 玻璃杯", set()),
    ("退款 退款", {"s1", "s2", "s4"}),
    ("  退款   快递  ", {"s2", "s4"}),
    ("退款\u3000快递", {"s2", "s4"}),         # a full-width space separates terms too
    ("退款\t快递", {"s2", "s4"}),
])
def test_several_terms_must_all_match(desk, corpus, text, names):
    assert found(desk, corpus, text) == names == oracle(corpus, text)


def test_short_term_is_not_silently_dropped_next_to_a_long_one(desk, corpus):
    assert found(desk, corpus, "电水壶") == {"s4", "s9"}
    assert found(desk, corpus, "电水壶 漏水") == {"s9"}
    assert found(desk, corpus, "电水壶 快递") == {"s4"}


def test_full_width_space_splits_into_two_terms():
    query = search.parse_search("退款\u3000快递")
    assert query.bigram == '"退款" AND "快递"'
    assert query.trigram is None


# ----------------------------------------------------------------- numbers, names, contacts

def test_search_by_number(desk, corpus):
    assert corpus["s3"]["number"] == "TS-20261123-0003"
    assert found(desk, corpus, "TS-20261123-0003") == {"s3"}
    assert found(desk, corpus, "ts-20261123-0003") == {"s3"}
    assert found(desk, corpus, "0003") == {"s3"}             # 4 characters: trigram
    assert found(desk, corpus, "-0003") == {"s3"}
    assert found(desk, corpus, "20261123-0010") == {"s10"}
    assert found(desk, corpus, "TS-2026") == set(corpus)
    assert found(desk, corpus, "TS-20261124") == set()


def test_search_by_customer_name(desk, corpus):
    assert found(desk, corpus, "李娜") == {"s5"}
    assert found(desk, corpus, "赵六") == {"s10"}
    assert found(desk, corpus, "北京华联超市") == {"s6"}
    assert found(desk, corpus, "王五商行") == set(corpus) - {"s5", "s6", "s10"}
    assert found(desk, corpus, "李娜 iPhone") == {"s5"}


def test_search_by_contact_as_written_and_normalised(desk, corpus):
    assert corpus["s5"]["contact"] == "138-1234-5678"
    assert found(desk, corpus, "138-1234-5678") == {"s5"}
    assert found(desk, corpus, "13812345678") == {"s5"}
    assert found(desk, corpus, "138-1234") == {"s5"}
    assert found(desk, corpus, "1381234") == {"s5"}
    assert found(desk, corpus, "5678") == {"s5"}


def test_contact_written_differently_from_the_saved_one(desk, corpus):
    # Saved without dashes, searched the way the customer dictates it.
    assert corpus["s10"]["contact"] == "13987654321"
    assert found(desk, corpus, "13987654321") == {"s10"}
    assert found(desk, corpus, "139-8765-4321") == {"s10"}
    assert found(desk, corpus, "139-8765") == {"s10"}
    assert found(desk, corpus, "(139)87654321") == {"s10"}
    assert found(desk, corpus, "139 8765 4321") == {"s10"}  # three terms, all in it
    assert found(desk, corpus, "139-8765-0000") == set()


@pytest.mark.parametrize("term", ["iPhone", "iphone", "IPHONE", "IPhone 15", "ip", "IP", "Ph"])
def test_ascii_is_case_insensitive(desk, corpus, term):
    assert found(desk, corpus, term) == {"s5"}


def test_search_combines_with_filters(desk, corpus):
    queue = open_queue(desk, QueueFilter(search="退款", priority="general"))
    assert queue.count() == 3
    assert open_queue(desk, QueueFilter(search="退款", priority="urgent")).count() == 0


def test_blank_search_shows_everything(desk, corpus):
    for text in ("", "   ", "\u3000", "\t"):
        assert found(desk, corpus, text) == set(corpus)


# ----------------------------------------------------------------- refusals

@pytest.mark.parametrize("text", ["退", "a", "1", "退款 款", "电水壶 x", "😡", '"', "*", "\\", "-",
                                  "event : 退款"])
def test_one_character_term_is_refused_with_a_helpful_message(desk, corpus, text):
    with pytest.raises(DomainError) as caught:
        open_queue(desk, QueueFilter(search=text))
    message = caught.value.message
    assert "太短" in message and "两个字" in message and "空格" in message
    short = [t for t in text.split() if len(t) == 1][0]
    assert f"“{short}”" in message


@pytest.mark.parametrize("text", ['""', "😡😡", "\\\\", "**", "()", "--", "退款 ^*"])
def test_two_symbols_are_refused(desk, corpus, text):
    with pytest.raises(DomainError, match="太短"):
        open_queue(desk, QueueFilter(search=text))


# ----------------------------------------------------------------- hostile input

HOSTILE = [
    'a"b',
    '退款" OR "快递',
    '"退款"',
    'NEAR(退款 快递)',
    'NEAR(退款,快递)',
    '退款*',
    '"退款"*',
    'event:退款',
    '{event demand}:退款',
    '^退款',
    '(退款)',
    '(退款 OR 快递)',
    'AND',
    'OR 退款',
    '退款 OR 快递',
    '退款 NOT 快递',
    '-退款',
    '退款 -快递',
    '退款\\',
    '\\"退款',
    '退款 AND',
    '""""',
    "'退款'",
    '退款;DROP',
    "%退款%",
    "_退_",
    "😡😡😡",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_searched_literally(desk, corpus, text):
    result = found(desk, corpus, text)
    assert result == oracle(corpus, text)
    assert result != set(corpus)


@pytest.mark.parametrize("text", [
    '退款" OR "快递', 'NEAR(退款 快递)', '退款*', 'event:退款', '^退款', '(退款)',
    'AND', 'OR 退款', '-退款', '退款\\', '退款 OR 快递', 'a"b',
])
def test_hostile_input_matches_nothing_here(desk, corpus, text):
    # None of these occur literally in the corpus; as FTS syntax most would match.
    assert found(desk, corpus, text) == set()


def test_hostile_text_is_found_by_its_literal_pieces(desk, corpus, hostile_text):
    assert "[urgent]" in hostile_text
    # Brackets are just characters to the trigram index.
    assert found(desk, corpus, "[urgent]") == {"s7"}
    assert found(desk, corpus, "[URGENT]") == {"s7"}
    assert found(desk, corpus, "urgent") == {"s7"}
    assert found(desk, corpus, "[urgent") == {"s7"}
    assert found(desk, corpus, "[重复]") == {"s7"}
    assert found(desk, corpus, "[@click=app.quit]") == {"s7"}
    assert found(desk, corpus, '"双"') == {"s7"}
    assert found(desk, corpus, "\\temp") == {"s7"}
    assert found(desk, corpus, "C:\\temp\\new") == {"s7"}
    assert found(desk, corpus, "\\投诉") == {"s7"}
    assert found(desk, corpus, "${x}") == {"s7"}
    assert found(desk, corpus, "😡👍🏻") == {"s7"}     # three code points
    assert found(desk, corpus, "這個產品") == {"s7"}
    assert found(desk, corpus, "[urgent] 退款") == set()
    assert found(desk, corpus, "[urgent] 投诉") == {"s7"}
    assert found(desk, corpus, "[urgentx]") == set()


# ----------------------------------------------------------------- the FTS expressions

_STRING = r'"(?:[^"]|"")*"'
_TERM = rf'(?:{_STRING}|\({_STRING} OR {_STRING}\))'
_EXPRESSION = re.compile(rf"{_TERM}(?: AND {_TERM})*")


def _strings(expression: str) -> list[str]:
    return [s[1:-1].replace('""', '"') for s in re.findall(_STRING, expression)]


@pytest.mark.parametrize("text", HOSTILE + [
    "退款", "退款 快递 电水壶", "iPhone", "138-1234-5678", "a\"\"b", '""x""', "NOT 退款",
])
def test_parse_search_quotes_every_term(text):
    query = search.parse_search(text)
    terms = [t for t in re.split(r"[\s\u3000]+", text.strip()) if t]
    quoted: list[str] = []
    for expression in (query.trigram, query.bigram):
        if expression is None:
            continue
        # Nothing outside double-quoted strings but AND, OR and parentheses we wrote.
        assert _EXPRESSION.fullmatch(expression), expression
        quoted += _strings(expression)
    for term in terms:
        wanted = term.lower() if len(term) == 2 else term
        assert wanted in quoted
    # Every quoted string is a term or a term's normalised form.
    allowed = {t for t in terms} | {t.lower() for t in terms} | {normalize_contact(t) for t in terms}
    assert set(quoted) <= allowed
    assert query.text == text


def test_parse_search_splits_terms_by_length():
    query = search.parse_search("退款 玻璃杯 IP 退款")
    assert query.bigram == '"退款" AND "ip"'
    assert query.trigram == '"玻璃杯"'
    assert search.parse_search("   ").empty
    assert search.parse_search('a"b').trigram == '"a""b"'


def _pairs_one_by_one(texts: list[str]) -> str:
    """The definition, written plainly: every adjacent pair of letters/digits."""
    grams = set()
    for text in texts:
        text = text.lower()
        for first, second in zip(text, text[1:]):
            if first.isalnum() and second.isalnum():
                grams.add(first + second)
    return " ".join(sorted(grams))


def test_bigrams_match_the_plain_definition_on_random_text():
    """The fast cut (regex runs, texts joined by a space) equals the definition on
    text mixing CJK, ASCII, full-width and other digits, combining marks, emoji,
    underscores, punctuation, and letters whose lower case is longer (İ) or depends
    on context (the Greek final sigma)."""
    import random

    rnd = random.Random(5)
    pool = [chr(c) for c in [*range(0x20, 0x17F), *range(0x4E00, 0x4E40), 0x130, 0x3000,
                             0x2163, 0xFF10, 0xFF21, 0x1D7CE, 0x1F600, 0x0660, 0x0300, 0x00BD,
                             0x00B2, 0x3A3, 0x3A3, 0x391, 0x3C3, 0x2019, 0x200D]]
    for _ in range(5000):
        texts = ["".join(rnd.choice(pool) for _ in range(rnd.randint(0, 25)))
                 for _ in range(rnd.randint(1, 6))]
        assert search.bigrams(texts) == _pairs_one_by_one(texts), texts


def test_bigrams_pair_only_adjacent_letters_and_digits():
    assert search.bigrams(["退款，快递"]) == "快递 退款"
    assert search.bigrams(["iPhone"]) == "ho ip ne on ph"
    assert search.bigrams(["a", "b"]) == ""
    assert search.bigrams(["ab", "cd"]) == "ab cd"
