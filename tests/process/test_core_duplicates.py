"""Likely duplicates: the same contact (however it is typed), the same product
(case, spaces and full-width forms aside), still open, within the configured days."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlmodel import select

from complaintdesk.process import complaints
from complaintdesk.process.duplicates import likely_duplicates, same_product
from complaintdesk.process.intake import intake_lines
from complaintdesk.store.models import Complaint

from tests.process.test_core_register import form


def _draft(desk, **overrides):
    return complaints.validate(desk, form(**overrides))


def test_the_same_matter_open_is_found_however_the_contact_and_product_are_typed(desk, counter):
    first = complaints.register_complaint(desk, counter, form(contact="13812345678", product="保温杯 A1"))
    found = likely_duplicates(desk, _draft(desk, contact="138 1234 5678", product="保温杯ａ1"))
    assert [e.number for e in found] == [first.number]
    assert found[0].describe(desk).startswith(first.number)
    # Another product, another contact: nothing.
    assert likely_duplicates(desk, _draft(desk, contact="13812345678", product="电水壶")) == []
    assert likely_duplicates(desk, _draft(desk, contact="13900000000", product="保温杯 A1")) == []


def test_closed_or_long_ago_is_not_a_duplicate(desk, counter):
    old = complaints.register_complaint(desk, counter, form(
        received_at=(desk.now() - timedelta(days=31)).isoformat()))
    assert likely_duplicates(desk, _draft(desk)) == []
    with desk.store.write() as session:
        c = session.exec(select(Complaint).where(Complaint.number == old.number)).one()
        c.received_at = desk.now() - timedelta(days=29)
        session.add(c)
    assert [e.number for e in likely_duplicates(desk, _draft(desk))] == [old.number]
    with desk.store.write() as session:
        c = session.exec(select(Complaint).where(Complaint.number == old.number)).one()
        c.closed = True
        session.add(c)
    assert likely_duplicates(desk, _draft(desk)) == []


def test_the_warning_can_be_turned_off(desk, counter):
    complaints.register_complaint(desk, counter, form())
    quiet = replace(desk, config=replace(desk.config, duplicate_within_days=0))
    assert likely_duplicates(quiet, _draft(quiet)) == []


def test_intake_registers_a_likely_duplicate_and_says_so_on_its_line(desk, counter):
    earlier = complaints.register_complaint(desk, counter, form(contact="021-6543-2100",
                                                                product="LED 吸顶灯"))
    lines = [json.dumps(form(contact="02165432100", product="led吸顶灯"), ensure_ascii=False),
             json.dumps(form(contact="13700000001", product="扫地机器人"), ensure_ascii=False),
             json.dumps(form(contact="137-0000-0001", product="扫地机器人 "), ensure_ascii=False)]
    results = list(intake_lines(desk, counter, lines))
    assert [("number" in r) for r in results] == [True, True, True]  # all registered
    assert results[0]["likely_duplicate_of"] == [earlier.number]
    assert "warning" in results[0] and earlier.number in results[0]["warning"]
    assert "likely_duplicate_of" not in results[1]  # the first of the file's pair …
    assert results[2]["likely_duplicate_of"] == [results[1]["number"]]  # … is named on the second


def test_products_compare_as_people_type_them():
    assert same_product("保温杯 A1", "保温杯ａ１")
    assert same_product("", "  ")
    assert not same_product("保温杯", "保温壶")


# ----------------------------------------------------------------- merging

import pytest  # noqa: E402

from complaintdesk.domain.errors import DomainError, PermissionDenied, ValidationFailed  # noqa: E402
from complaintdesk.process import workflow as wf  # noqa: E402
from complaintdesk.process.duplicates import merge_into  # noqa: E402
from complaintdesk.reports.figures import build_report, parse_period  # noqa: E402
from complaintdesk.store.models import ComplaintLink  # noqa: E402
from tests.process.test_core_revisits import people  # noqa: E402,F401 - fixtures
from tests.process.test_core_revisits import clock  # noqa: E402,F401
from tests.process.test_core_workflow import INVESTIGATION, audit_rows, drive_to  # noqa: E402
from tests.process.test_core_workflow import S  # noqa: E402


def _report(desk):
    return build_report(desk, parse_period("2026-11", desk.config.timezone))


def test_a_merged_duplicate_is_closed_linked_carried_over_and_counted_once(people):  # noqa: F811
    original = drive_to(people, S.ACCEPTED)
    dup = drive_to(people, S.INVESTIGATING, product="电水壶")
    complaints.add_note(people, "counter1", dup, "客户又来电说水壶还在漏")
    wf.record_investigation(people, "hq", dup, dict(INVESTIGATION, evidence=[
        {"kind": "photo", "description": "漏水照片", "path": "/srv/e/1.jpg"}]))
    before = _report(people)
    assert before.total == 2 and before.by_priority["general"] == 2
    first_event = audit_rows(people)[-1]["id"]

    merged = merge_into(people, "sup1", dup, original, "同一客户就同一水壶重复来电")
    assert merged.status == "closed" and merged.closed and merged.closed_at is not None
    assert merged.due_at is None
    assert merged.merged_into_id == wf.get_handling(people, original).complaint.id
    with people.store.read() as session:
        [link] = session.exec(select(ComplaintLink)).all()
    assert (link.kind, link.created_by) == ("duplicate", "sup1")
    events = audit_rows(people, first_event)
    actions = [(e["action"], e["complaint_id"]) for e in events]
    assert ("complaint.merged", merged.id) in actions
    notes = [e["after"] for e in events if e["action"] == "complaint.note"]
    assert any("客户又来电说水壶还在漏" in n and dup in n for n in notes)
    assert any("漏水照片" in n and "/srv/e/1.jpg" in n for n in notes)
    merged_event = next(e for e in events if e["action"] == "complaint.merged")
    assert original in merged_event["detail"] and "重复来电" in merged_event["detail"]
    assert any(e["action"] == "complaint.merged_from" and e["after"] == dup for e in events)

    after = _report(people)  # the pair counts once
    assert after.total == 1 and after.by_priority["general"] == 1
    assert sum(s.registered for s in after.staff) == 1
    assert after.by_category["product"] == 1


@pytest.mark.parametrize("who", ["counter1", "hq", "admin1"])
def test_only_a_supervisor_merges(people, who):  # noqa: F811
    a, b = drive_to(people, S.REGISTERED), drive_to(people, S.REGISTERED)
    with pytest.raises(PermissionDenied):
        merge_into(people, who, b, a, "重复")


def test_what_cannot_be_merged_is_refused_in_words(people):  # noqa: F811
    a, b = drive_to(people, S.REGISTERED), drive_to(people, S.REGISTERED)
    with pytest.raises(ValidationFailed):
        merge_into(people, "sup1", b, a, "  ")
    with pytest.raises(DomainError, match="它自己"):
        merge_into(people, "sup1", a, a, "重复")
    resolved = drive_to(people, S.REVISIT)
    with pytest.raises(DomainError, match="已处理出结果"):
        merge_into(people, "sup1", resolved, a, "重复")
    merge_into(people, "sup1", b, a, "重复")
    with pytest.raises(DomainError, match="已结案"):
        merge_into(people, "sup1", b, a, "重复")
    c = drive_to(people, S.REGISTERED)
    with pytest.raises(DomainError, match=f"本身已合并到 {a}"):
        merge_into(people, "sup1", c, b, "重复")
    with pytest.raises(DomainError, match="已有投诉"):
        merge_into(people, "sup1", a, c, "重复")
    with pytest.raises(DomainError, match="刚被别人改动过"):
        merge_into(people, "sup1", c, a, "重复", expected_version=0)
