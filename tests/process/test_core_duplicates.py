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
