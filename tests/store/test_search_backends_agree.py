"""The PostgreSQL store's search (pairs in a GIN index, then the text) finds exactly
what the SQLite store's FTS5 trigram and bigram indexes find, for any words: the
same corpus on both, words drawn by Hypothesis from its texts and beyond them."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.process import complaints, staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.process.queue import open_queue
from tests import pg_server
from tests.helpers import sample

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PIECES = ["退款", "快递", "破损", "质量问题", "玻璃杯", "未到账", "Glass", "ÉCRAN", "écran",
          "138-1234-5678", "13987654321", "要求退货", "[b]标记[/b]", "x", "款项", "退", "货款",
          "4006-123-456", "20261123", "订单0042", "５６７８", "12345678901"]
rng = random.Random(17)
TEXTS = ["".join(rng.choice(PIECES) + rng.choice(["", " ", "，", "-"]) for _ in range(6))
         for _ in range(24)]


@pytest.fixture(scope="module")
def two_desks(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = pg_server.new_database()
    desks = [open_desk(tmp_path_factory.mktemp("agree") / "t.db",
                       DeskConfig(timezone_name="Asia/Shanghai"), clock=lambda: NOW),
             open_desk(url, DeskConfig(timezone_name="Asia/Shanghai"), clock=lambda: NOW)]
    for desk in desks:
        staffing.sign_in(desk, "admin1", "管理员")
        staffing.add_staff(desk, "admin1", "counter1", "柜台", "counter")
        for i, text in enumerate(TEXTS):
            made = complaints.register_complaint(desk, "counter1", sample(
                event=text, contact=f"139{i:08d}", customer_name=TEXTS[-1 - i][:20]))
            if i % 3 == 0:  # some closed: the open-only and the every-complaint indexes
                from complaintdesk.store.models import Complaint
                with desk.store.write() as session:
                    row = session.get(Complaint, made.id)
                    row.closed, row.due_at = True, None
    yield desks
    for desk in desks:
        desk.close()
    pg_server.drop_database(url)


def _found(desk, words: str, closed_too: bool):  # type: ignore[no-untyped-def]
    try:
        queue = open_queue(desk, QueueFilter(search=words, include_closed=closed_too))
    except DomainError as exc:
        return ("refused", exc.message)
    return queue.count(), sorted(row.number for row in queue.page(0, 100))


WORD = st.one_of(
    st.sampled_from(TEXTS).flatmap(lambda t: st.tuples(st.integers(0, len(t)), st.integers(2, 6))
                                   .map(lambda ab, t=t: t[ab[0]:ab[0] + ab[1]])),
    st.sampled_from(PIECES),
    st.text(st.sampled_from("退款货快递破损质量glassÉé-138 "), min_size=1, max_size=6),
    st.text(st.sampled_from("0123456789-５ "), min_size=2, max_size=12))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(WORD, min_size=1, max_size=3).map(" ".join), closed_too=st.booleans())
def test_both_backends_find_the_same_complaints(two_desks, words, closed_too) -> None:
    sqlite_desk, pg_desk = two_desks
    assert _found(pg_desk, words, closed_too) == _found(sqlite_desk, words, closed_too), words


def _capped(desk, words: str, cap: int):  # type: ignore[no-untyped-def]
    from unittest import mock

    from complaintdesk.store.keyset_queue import KeysetQueue

    try:
        queue = open_queue(desk, QueueFilter(search=words, include_closed=True))
    except DomainError as exc:
        return ("refused", exc.message)
    with mock.patch.object(KeysetQueue, "SEARCH_CAP", cap):
        count = queue.count()
        return count, queue.capped, queue.count(exact=True), queue.search is not None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(WORD, min_size=1, max_size=2).map(" ".join), cap=st.integers(1, 9))
def test_both_backends_cap_a_search_with_closed_complaints_alike(two_desks, words, cap) -> None:
    """A capped count with closed complaints too (PostgreSQL counts a frequent
    word's closed half among the oldest rows first, store/postgres/queue.py) is
    min(matches, cap) and says it was capped exactly when there are more."""
    sqlite_desk, pg_desk = two_desks
    found = _capped(pg_desk, words, cap)
    assert found == _capped(sqlite_desk, words, cap), words
    if found[0] != "refused" and found[3]:  # a search (not words of blanks alone)
        count, capped, exact, _search = found
        assert (count, capped) == (min(exact, cap), exact > cap), words
