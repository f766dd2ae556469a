"""Linking complaints about the same matter, notes on the timeline, and finding
complaints by a fragment of their 受理编号."""

from __future__ import annotations

import json

import pytest

from tests.helpers import sql_rows
from complaintdesk.process import staffing
from complaintdesk.process.complaints import add_note, find_numbers, get_complaint, link_complaints
from complaintdesk.domain.enums import LinkKind
from complaintdesk.domain.errors import DomainError, NotFound, PermissionDenied

from tests.helpers import register


@pytest.fixture
def three(desk, admin, counter):
    a = register(desk, counter, customer_name="甲公司", contact="13800000001")
    b = register(desk, counter, customer_name="乙公司", contact="13800000002")
    c = register(desk, admin.login, customer_name="丙公司", contact="13800000003")
    return a.number, b.number, c.number


@pytest.fixture
def handler(desk, admin) -> str:
    staffing.add_staff(desk, admin.login, "handler1", "处理员小李", "handler", department="quality")
    return "handler1"


def events(desk, number: str, action: str | None = None) -> list:
    timeline = get_complaint(desk, number).timeline
    return [e for e in timeline if action is None or e.action == action]


def link_rows(desk) -> list[tuple]:
    return sql_rows(desk, "SELECT complaint_id, linked_id, kind, created_by FROM complaint_link")


# ----------------------------------------------------------------- links

def test_link_is_visible_from_both_sides(desk, three, counter):
    a, b, _ = three
    link_complaints(desk, counter, a, b, "repeat")

    [from_a] = get_complaint(desk, a).links
    assert from_a.kind is LinkKind.REPEAT
    assert from_a.outgoing is True
    assert from_a.complaint.number == b
    assert from_a.complaint.customer_name == "乙公司"

    [from_b] = get_complaint(desk, b).links
    assert from_b.kind is LinkKind.REPEAT
    assert from_b.outgoing is False
    assert from_b.complaint.number == a


def test_link_writes_an_audit_event_on_both_complaints(desk, three, counter, frozen_now):
    a, b, c = three
    link_complaints(desk, counter, a, b, "duplicate")

    [linked] = events(desk, a, "complaint.linked")
    assert linked.actor == counter
    assert linked.after == b
    assert json.loads(linked.detail) == {"kind": "duplicate"}
    assert linked.at == frozen_now

    [linked_from] = events(desk, b, "complaint.linked_from")
    assert linked_from.actor == counter
    assert linked_from.after == a
    assert json.loads(linked_from.detail) == {"kind": "duplicate"}

    assert events(desk, a, "complaint.linked_from") == []
    assert events(desk, b, "complaint.linked") == []
    assert [e.action for e in events(desk, c)] == ["complaint.registered"]
    assert get_complaint(desk, c).links == []


def test_several_links_keep_their_direction_and_kind(desk, three, admin, handler):
    a, b, c = three
    link_complaints(desk, admin.login, a, b)  # repeat by default
    link_complaints(desk, handler, c, a, "重复登记")  # the Chinese label works too
    links = get_complaint(desk, a).links
    assert [(l.complaint.number, l.outgoing, l.kind) for l in links] == [
        (b, True, LinkKind.REPEAT), (c, False, LinkKind.DUPLICATE)]
    assert [(l.complaint.number, l.outgoing) for l in get_complaint(desk, c).links] == [(a, True)]
    assert [(l.complaint.number, l.outgoing) for l in get_complaint(desk, b).links] == [(a, False)]


def test_link_accepts_numbers_with_surrounding_spaces(desk, three, counter):
    a, b, _ = three
    link_complaints(desk, counter, f"  {a} ", f"{b}\t")
    assert [l.complaint.number for l in get_complaint(desk, a).links] == [b]


def _nothing_written(desk, three, before) -> None:
    assert link_rows(desk) == before[0]
    assert [len(events(desk, n)) for n in three] == before[1]


def _state(desk, three):
    return link_rows(desk), [len(events(desk, n)) for n in three]


def test_link_to_itself_is_refused(desk, three, counter):
    a, _, _ = three
    before = _state(desk, three)
    with pytest.raises(DomainError, match="自己"):
        link_complaints(desk, counter, a, a)
    with pytest.raises(DomainError, match="自己"):
        link_complaints(desk, counter, a, f" {a} ")
    _nothing_written(desk, three, before)


def test_link_to_an_unknown_number_is_refused(desk, three, counter):
    a, _, _ = three
    before = _state(desk, three)
    with pytest.raises(NotFound) as caught:
        link_complaints(desk, counter, a, "TS-20990101-0001")
    assert "TS-20990101-0001" in caught.value.message
    assert "没有受理编号" in caught.value.message
    with pytest.raises(NotFound, match="TS-20990101-0002"):
        link_complaints(desk, counter, "TS-20990101-0002", a)
    _nothing_written(desk, three, before)


def test_duplicate_link_is_refused_in_either_direction(desk, three, counter, admin):
    a, b, _ = three
    link_complaints(desk, counter, a, b, "repeat")
    before = _state(desk, three)
    with pytest.raises(DomainError, match="已经关联"):
        link_complaints(desk, counter, a, b, "repeat")
    with pytest.raises(DomainError, match="已经关联"):
        link_complaints(desk, admin.login, a, b, "duplicate")
    with pytest.raises(DomainError) as caught:
        link_complaints(desk, counter, b, a, "repeat")
    assert a in caught.value.message and b in caught.value.message
    _nothing_written(desk, three, before)


@pytest.mark.parametrize("kind", ["same", "", "Repeat!", "重复", "linked"])
def test_bad_link_kind_is_refused(desk, three, counter, kind):
    a, b, _ = three
    with pytest.raises(DomainError) as caught:
        link_complaints(desk, counter, a, b, kind)
    assert "关联类型" in caught.value.message
    assert "repeat" in caught.value.message and "duplicate" in caught.value.message
    assert link_rows(desk) == []


def test_link_kind_is_case_insensitive(desk, three, counter):
    a, b, _ = three
    link_complaints(desk, counter, a, b, " DUPLICATE ")
    assert link_rows(desk)[0][2] == "duplicate"


def test_non_staff_cannot_link(desk, three):
    a, b, _ = three
    with pytest.raises(PermissionDenied):
        link_complaints(desk, "stranger", a, b)
    assert link_rows(desk) == []


# ----------------------------------------------------------------- notes

def test_note_is_appended_to_the_timeline(desk, three, handler, frozen_now):
    a, b, _ = three
    add_note(desk, handler, a, "已电话联系客户，客户同意换货。")
    [note] = events(desk, a, "complaint.note")
    assert note.actor == handler
    assert note.after == "已电话联系客户，客户同意换货。"
    assert note.at == frozen_now
    assert [e.action for e in events(desk, a)] == ["complaint.registered", "complaint.note"]
    assert events(desk, b, "complaint.note") == []


def test_notes_keep_their_order(desk, three, counter, admin):
    a, _, _ = three
    add_note(desk, counter, a, "第一条")
    add_note(desk, admin.login, a, "第二条")
    add_note(desk, counter, a, "第一条")  # the same text twice is two notes
    notes = events(desk, a, "complaint.note")
    assert [(n.actor, n.after) for n in notes] == [
        (counter, "第一条"), (admin.login, "第二条"), (counter, "第一条")]


def test_note_text_is_cleaned(desk, three, counter):
    a, _, _ = three
    add_note(desk, counter, a, "  客户\x1b[31m很生气\x07\r\n第二行\t缩进\u202e反向\x9b  ")
    [note] = events(desk, a, "complaint.note")
    assert note.after == "客户[31m很生气\n第二行\t缩进反向"
    assert "\x1b" not in note.after and "\x07" not in note.after and "\r" not in note.after


def test_hostile_note_is_stored_exactly(desk, three, counter, hostile_text):
    a, _, _ = three
    add_note(desk, counter, a, hostile_text)
    [note] = events(desk, a, "complaint.note")
    assert note.after == hostile_text


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n", "\x1b\x07\x00", "\u3000"])
def test_empty_note_is_refused(desk, three, counter, text):
    a, _, _ = three
    with pytest.raises(DomainError, match="不能为空"):
        add_note(desk, counter, a, text)
    assert events(desk, a, "complaint.note") == []


def test_note_length_limit(desk, three, counter):
    a, _, _ = three
    with pytest.raises(DomainError) as caught:
        add_note(desk, counter, a, "字" * 2001)
    assert "2001" in caught.value.message and "2000" in caught.value.message
    assert events(desk, a, "complaint.note") == []
    add_note(desk, counter, a, "字" * 2000)
    # Control characters removed before counting.
    add_note(desk, counter, a, "字" * 2000 + "\x1b" * 10)
    notes = events(desk, a, "complaint.note")
    assert [len(n.after) for n in notes] == [2000, 2000]


def test_non_staff_cannot_add_a_note(desk, three, admin):
    a, _, _ = three
    with pytest.raises(PermissionDenied) as caught:
        add_note(desk, "stranger", a, "我不是员工")
    assert "stranger" in caught.value.message
    assert events(desk, a, "complaint.note") == []


def test_disabled_staff_cannot_add_a_note(desk, three, admin, handler):
    a, _, _ = three
    staffing.disable_staff(desk, admin.login, handler)
    with pytest.raises(PermissionDenied, match="停用"):
        add_note(desk, handler, a, "还能写吗")
    assert events(desk, a, "complaint.note") == []


def test_note_on_an_unknown_complaint(desk, three, counter):
    with pytest.raises(NotFound, match="TS-20990101-0001"):
        add_note(desk, counter, "TS-20990101-0001", "备注")


# ----------------------------------------------------------------- find_numbers

@pytest.fixture
def numbered(desk, counter, frozen_now):
    made = [register(desk, counter, customer_name=f"客户{i}", contact=f"1380000000{i}")
            for i in range(1, 4)]
    made.append(register(desk, counter, customer_name="昨天的客户", contact="13800000009",
                         received_at="2026-11-22T15:00:00+08:00"))
    assert [c.number for c in made] == [
        "TS-20261123-0001", "TS-20261123-0002", "TS-20261123-0003", "TS-20261122-0001"]
    return made


def test_find_numbers_by_prefix(desk, numbered):
    assert find_numbers(desk, "TS-2026") == [
        ("TS-20261123-0003", "客户3"), ("TS-20261123-0002", "客户2"),
        ("TS-20261123-0001", "客户1"), ("TS-20261122-0001", "昨天的客户")]
    assert [n for n, _ in find_numbers(desk, "ts-20261123")] == [
        "TS-20261123-0003", "TS-20261123-0002", "TS-20261123-0001"]
    assert find_numbers(desk, " TS-20261122-0001 ") == [("TS-20261122-0001", "昨天的客户")]
    assert find_numbers(desk, "TS-20261124") == []
    assert find_numbers(desk, "TS-2026", limit=2) == [
        ("TS-20261123-0003", "客户3"), ("TS-20261123-0002", "客户2")]


def test_find_numbers_by_a_middle_fragment(desk, numbered):
    assert find_numbers(desk, "-0002") == [("TS-20261123-0002", "客户2")]
    assert [n for n, _ in find_numbers(desk, "0001")] == ["TS-20261122-0001", "TS-20261123-0001"]
    assert [n for n, _ in find_numbers(desk, "1122")] == ["TS-20261122-0001"]
    assert [n for n, _ in find_numbers(desk, "20261123-000")] == [
        "TS-20261123-0003", "TS-20261123-0002", "TS-20261123-0001"]
    assert find_numbers(desk, "-0004") == []
    assert find_numbers(desk, "") == []
    assert find_numbers(desk, "   ") == []


@pytest.mark.parametrize("fragment", [
    "%", "_", "%%", "0_01", "2026112_", "%0002", "TS-2026%", "TS-2026112_-0001", "\\", "\\%",
    "TS-_", "-000_",
])
def test_find_numbers_treats_like_wildcards_literally(desk, numbered, fragment):
    assert find_numbers(desk, fragment) == []
