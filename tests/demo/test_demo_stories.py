"""The demo tells true stories: each complaint's investigation, 处理单, answer and
revisit are about its own matter and product, and a seed gives the same desk on
any day (only dates and times move with the clock)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaintdesk.demo.load import fill_demo
from complaintdesk.demo.matters import MATTERS, PRODUCTS, Matter
from complaintdesk.domain.config import DeskConfig, TimeLimit
from complaintdesk.domain.enums import Category, Priority
from complaintdesk.domain.workdays import Span
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.store.models import (AuditEvent, Complaint, Customer, HandlingSheet,
                                        Investigation, Revisit)

ZONE = ZoneInfo("Asia/Shanghai")
TABLES = (Complaint, Customer, Investigation, HandlingSheet, Revisit, AuditEvent)


def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regular expression: each ``{value}`` any text on one line."""
    parts = re.split(r"\{\w+\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


MATTER_OF = [(matter, _pattern(matter.event)) for matters in MATTERS.values() for matter in matters]


def _matter(event: str, category: str) -> Matter:
    found = [m for m, pattern in MATTER_OF if pattern.match(event) and m in MATTERS[Category(category)]]
    assert len(found) == 1, event
    return found[0]


#: Limits on the clock only: with working days a deadline depends on the holidays in
#: reach, so it moves with more than the clock (the next test covers that case).
CLOCK_LIMITS = {p: TimeLimit(Span(h1, "hours"), Span(h2, "hours"), Span(h3, "hours"))
                for p, (h1, h2, h3) in {Priority.URGENT: (2, 24, 12), Priority.MAJOR: (24, 72, 48),
                                        Priority.GENERAL: (48, 168, 96)}.items()}


def _fill(path, now: datetime, count: int = 250, seed: int = 11, limits=None):
    config = DeskConfig(timezone_name="Asia/Shanghai", **({"limits": limits} if limits else {}))
    desk = open_desk(path, config, clock=lambda: now)
    staffing.sign_in(desk, "admin1")
    fill_demo(desk, count, seed, actor="admin1")
    return desk


def _rows(desk, model) -> list:
    with desk.store.read() as session:
        return list(session.exec(select(model).order_by(model.id)))  # type: ignore[attr-defined]


_DATES = re.compile(r"\d{1,2}月\d{1,2}日|\d{1,2}月(?=账单)|\d{8}-\d{4}")


def _shifted(value, shift: timedelta):
    """A stored value with its dates put back by ``shift``: times moved, the day and
    month in a text and a 受理编号 (which carries the day) blanked."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) - shift
    if isinstance(value, str):
        value = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+\d\d:\d\d)?", "T", value)
        return _DATES.sub("D", value)
    return value


@pytest.mark.parametrize("later", [datetime(2027, 3, 17, 9, 5, 7, tzinfo=ZONE),
                                   datetime(2027, 10, 1, 23, 59, tzinfo=ZONE)])
def test_a_seed_gives_the_same_desk_on_any_day_only_the_dates_move(tmp_path, later):
    first = _fill(tmp_path / "a.db", datetime(2026, 12, 3, 15, 20, 30, tzinfo=ZONE),
                  limits=CLOCK_LIMITS)
    second = _fill(tmp_path / "b.db", later, limits=CLOCK_LIMITS)
    try:
        shift = (later - datetime(2026, 12, 3, 15, 20, 30, tzinfo=ZONE))
        for model in TABLES:
            a, b = _rows(first, model), _rows(second, model)
            assert len(a) == len(b) > 0, model
            columns = [c.name for c in model.__table__.columns  # type: ignore[attr-defined]
                       if c.name not in ("hash", "prev_hash")]
            for x, y in zip(a, b):
                left = [_shifted(getattr(x, c), timedelta(0)) for c in columns]
                right = [_shifted(getattr(y, c), shift) for c in columns]
                assert left == right, (model.__name__, x.id)
    finally:
        first.close()
        second.close()


def test_with_working_day_deadlines_only_the_deadlines_move_with_the_holidays(tmp_path):
    """The default limits count working days: what the complaints say, who they are
    from and how far each has got are still the same on any day."""
    first = _fill(tmp_path / "a.db", datetime(2026, 12, 3, 15, 20, 30, tzinfo=ZONE))
    second = _fill(tmp_path / "b.db", datetime(2026, 10, 8, 11, 0, tzinfo=ZONE))
    try:
        columns = ("customer_name", "contact", "channel", "category", "priority", "demand",
                   "product", "quantity", "status", "round", "responsibility", "department")
        a, b = _rows(first, Complaint), _rows(second, Complaint)
        assert [[getattr(x, c) for c in columns] for x in a] == \
            [[getattr(y, c) for c in columns] for y in b]
        assert [_DATES.sub("D", x.event) for x in a] == [_DATES.sub("D", y.event) for y in b]
    finally:
        first.close()
        second.close()


@pytest.fixture(scope="module")
def stories(tmp_path_factory):
    desk = _fill(tmp_path_factory.mktemp("stories") / "demo.db",
                 datetime(2026, 11, 23, 10, 0, tzinfo=ZONE), count=1500, seed=4)
    data = {model: _rows(desk, model) for model in (Complaint, Investigation, HandlingSheet, Revisit)}
    desk.close()
    return data


def test_each_investigation_sheet_and_explanation_tells_the_complaints_own_matter(stories):
    complaints = {c.id: c for c in stories[Complaint]}
    investigations = stories[Investigation]
    assert len(investigations) > 500
    for inv in investigations:
        c = complaints[inv.complaint_id]
        matter = _matter(c.event, c.category)
        assert _pattern(matter.facts).fullmatch(inv.facts), (c.event, inv.facts)
        assert _pattern(matter.cause).fullmatch(inv.root_cause)
        assert _pattern(matter.measure.rstrip("。")).search(inv.report)
        if c.product:  # the product investigated is the one complained about
            assert "{product}" not in matter.facts or c.product in inv.facts
    explained = [c for c in complaints.values() if c.explanation]
    assert explained
    for c in explained:
        assert _pattern(_matter(c.event, c.category).not_ours).fullmatch(c.explanation)
    others = 0
    for sheet in stories[HandlingSheet]:
        c = complaints[sheet.complaint_id]
        if sheet.method == "other" and sheet.result:
            others += 1
            assert _pattern(_matter(c.event, c.category).remedy).match(
                sheet.result.removeprefix("客户对第一次处理结果不满意，经再次协商：")), sheet.result
        if sheet.method == "return":  # only goods are returned, and the ones complained about
            assert c.product and c.product in sheet.result
        if sheet.result and "{product}" in sheet.result:
            pytest.fail(sheet.result)
    assert others


def test_a_product_fails_only_in_ways_that_product_can(stories):
    defects = {name: ds for name, _unit, ds in PRODUCTS}
    every_defect = {d for ds in defects.values() for d in ds}
    seen = 0
    for c in stories[Complaint]:
        if not c.product:
            continue
        named = [d for d in every_defect if d in c.event]
        for defect in named:
            if defect not in defects[c.product]:
                # A shorter defect inside a longer one of the right product is fine.
                assert any(defect in own and own in c.event for own in defects[c.product]), \
                    (c.product, c.event)
        seen += bool(named)
        # A product's name never runs into a number (扫地机器人 X10 and 122 台 stay apart).
        assert not re.search(re.escape(c.product) + r"\d", c.event), c.event
    assert seen > 100


def test_revisits_and_answers_speak_of_money_only_when_the_plan_pays(stories):
    sheets = defaultdict(list)
    for s in stories[HandlingSheet]:
        sheets[s.complaint_id].append(s)
    for v in stories[Revisit]:
        if v.comment and "到账" in v.comment:
            paying = [s for s in sheets[v.complaint_id] if s.loss_cents]
            assert paying, v.comment
