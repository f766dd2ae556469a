"""Correcting a registered complaint: who may correct what, audited old and new
values with the reason, search follows, deadlines recomputed only on request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaintdesk.domain.errors import DomainError, PermissionDenied, ValidationFailed
from complaintdesk.process import workflow as wf
from complaintdesk.process.corrections import correct_complaint
from complaintdesk.process.queue import QueueFilter, open_queue

from tests.process.test_core_revisits import clock, people  # noqa: F401 - fixtures
from tests.process.test_core_workflow import audit_rows, drive_to
from tests.process.test_core_workflow import S


def _c(desk, number):  # type: ignore[no-untyped-def]
    return wf.get_handling(desk, number).complaint


def test_a_counter_clerk_corrects_what_was_taken_down_and_it_is_audited(people):  # noqa: F811
    number = drive_to(people, S.ACCEPTED)
    before = _c(people, number)
    last = audit_rows(people)[-1]["id"]
    done = correct_complaint(people, "counter1", number,
                             {"customer_name": "李四", "category": "price", "contact": "139 0000 2222"},
                             "登记时把客户姓名和联系方式记错了")
    assert set(done.changed) == {"customer_name", "category", "contact"}
    after = _c(people, number)
    assert (after.number, after.customer_name, after.category) == (number, "李四", "price")
    assert after.version == before.version + 1
    assert after.customer_id != before.customer_id  # another contact: another customer
    assert (after.first_response_due, after.resolution_due) == \
        (before.first_response_due, before.resolution_due)
    events = [e for e in audit_rows(people, last) if e["action"] == "complaint.corrected"]
    assert {(e["field"], e["before"], e["after"]) for e in events} >= {
        ("customer_name", before.customer_name, "李四"), ("category", before.category, "price")}
    assert all("记错了" in e["detail"] for e in events)
    # Search finds the corrected name and no longer the old one.
    assert open_queue(people, QueueFilter(search="李四")).count() == 1
    assert number not in [r.number for r in open_queue(people, QueueFilter(
        search=before.customer_name)).page(0, 50)]


def test_the_priority_is_a_supervisors_and_deadlines_move_only_when_asked(people):  # noqa: F811
    number = drive_to(people, S.REGISTERED)
    with pytest.raises(ValidationFailed) as refused:
        correct_complaint(people, "counter1", number, {"priority": "urgent"}, "客户说很急")
    assert "只有客服主管" in refused.value.errors["priority"]
    kept = _c(people, number)
    correct_complaint(people, "sup1", number, {"priority": "urgent"}, "客户说很急")
    c = _c(people, number)
    assert c.priority == "urgent" and c.priority_rank < kept.priority_rank
    assert c.resolution_due == kept.resolution_due  # not asked: the deadlines stay
    correct_complaint(people, "sup1", number, {"priority": "major"}, "实为重大",
                      recompute_deadlines=True)
    c = _c(people, number)
    assert c.escalated  # 重大 goes to management, as at registration
    assert c.first_response_due == c.received_at + timedelta(hours=24)
    assert c.due_at == c.first_response_due
    assert any(e["action"] == "complaint.deadlines_recomputed" for e in audit_rows(people))


@pytest.mark.parametrize("who", ["hq", "admin1"])
def test_handlers_and_admins_do_not_correct(people, who):  # noqa: F811
    number = drive_to(people, S.REGISTERED)
    with pytest.raises(PermissionDenied):
        correct_complaint(people, who, number, {"customer_name": "王五"}, "改名")


def test_what_cannot_be_corrected_is_refused_in_words(people):  # noqa: F811
    number = drive_to(people, S.REGISTERED)
    with pytest.raises(ValidationFailed) as no_reason:
        correct_complaint(people, "counter1", number, {"customer_name": "王五"}, " ")
    assert "reason" in no_reason.value.errors
    with pytest.raises(ValidationFailed) as fixed:
        correct_complaint(people, "counter1", number, {"number": "TS-1"}, "改号")
    assert "受理编号" in fixed.value.errors["number"]
    with pytest.raises(ValidationFailed) as bad:
        correct_complaint(people, "counter1", number, {"quantity": "-3"}, "数量")
    assert "quantity" in bad.value.errors
    with pytest.raises(DomainError, match="没有要更正的内容"):
        correct_complaint(people, "counter1", number, {"customer_name": _c(people, number).customer_name},
                          "同名")
    with pytest.raises(DomainError, match="刚被别人改动过"):
        correct_complaint(people, "counter1", number, {"customer_name": "王五"}, "改名",
                          expected_version=0)
    closed = drive_to(people, S.CLOSED)
    with pytest.raises(DomainError, match="已结案"):
        correct_complaint(people, "sup1", closed, {"customer_name": "王五"}, "改名")


# Untrusted text corrected again and again: the search indexes (contentless FTS5,
# whose rows are deleted by giving the values they were indexed with) stay true.
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from complaintdesk.process.duplicates import same_product  # noqa: E402

RARE = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
NAMES = st.text(alphabet=RARE + "ABCxyz 　\t", min_size=2, max_size=12)


def _term(name: str) -> str | None:
    """A search term a name is found by: its longest word, if long enough to search."""
    words = name.split()
    longest = max(words, key=len) if words else ""
    return longest if len(longest) >= 2 else None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=4))
def test_search_follows_any_corrected_name(people, names):  # noqa: F811
    number = drive_to(people, S.ACCEPTED, customer_name="癸亥起名")
    previous = "癸亥起名"
    for name in names:
        try:
            correct_complaint(people, "counter1", number, {"customer_name": name}, "更正姓名")
        except (ValidationFailed, DomainError):
            continue  # refused (blank, unchanged…): nothing changed, nothing to check
        now = _c(people, number).customer_name
        term = _term(now)
        if term is not None:
            found = [r.number for r in open_queue(people, QueueFilter(search=term)).page(0, 50)]
            assert number in found, (now, found)
        gone = _term(previous)
        if gone is not None and gone not in now:
            old = [r.number for r in open_queue(people, QueueFilter(search=gone)).page(0, 50)]
            assert number not in old, (previous, now)
        previous = now


@given(name=st.text(min_size=0, max_size=20))
def test_a_product_is_the_same_however_its_spaces_and_width(name):
    """Spaces anywhere, and full-width forms of ASCII, never make another product."""
    assert same_product(name, name)
    assert same_product(name, "　" + " ".join(name) + "\t")
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    assert same_product(name, wide)
    assert same_product(name.lower(), name.lower().upper().lower())
