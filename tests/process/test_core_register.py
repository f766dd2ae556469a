"""Registering a complaint: 受理编号, deadlines, validation, audit, customers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.helpers import backend, sql_rows, sql_run, location
from complaintdesk.domain.workdays import Span

from complaintdesk.process import audit
from complaintdesk.process import complaints
from complaintdesk.process import staffing
from complaintdesk.domain.config import (REFERENCE_CONFIG_PATH, DeskConfig, deadlines_for,
                                  load_config)
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.enums import Category, Channel, Priority, audit_action_label
from complaintdesk.domain.errors import DomainError, PermissionDenied, ValidationFailed
from complaintdesk.domain.validation import validate_complaint

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER_RE = re.compile(r"^TS-\d{8}-\d{4,}$")


def form(**overrides) -> dict[str, object]:
    """A valid 《客户投诉记录单》 as the form or intake would hand it over."""
    data: dict[str, object] = {
        "customer_name": "张三",
        "address": "北京市朝阳区建国路 1 号",
        "contact": "138-1234-5678",
        "channel": "phone",
        "received_at": "",
        "event": "上周买的电水壶底部漏水。",
        "demand": "退货退款",
        "category": "product",
        "priority": "general",
        "product": "电水壶",
        "quantity": "1",
    }
    data.update(overrides)
    return data


def _count(desk, table: str) -> int:
    return sql_rows(desk, f"SELECT count(*) FROM {table}")[0][0]


def _row_counts(desk) -> dict[str, int]:
    return {t: _count(desk, t) for t in ("complaint", "customer", "audit_event", "daily_counter")}


# ----------------------------------------------------------------- 受理编号

def test_number_format_and_sequence(desk, counter):
    numbers = [complaints.register_complaint(desk, counter, form()).number for _ in range(3)]
    assert numbers == ["TS-20261123-0001", "TS-20261123-0002", "TS-20261123-0003"]
    assert all(NUMBER_RE.match(n) for n in numbers)


def test_number_uses_received_date_in_desk_zone(desk, counter):
    # 00:30 in Shanghai is still the 22nd in UTC.
    early = complaints.register_complaint(desk, counter, form(received_at="2026-11-23T00:30:00+08:00"))
    assert early.number == "TS-20261123-0001"
    # The same kind of instant written in UTC.
    utc = complaints.register_complaint(desk, counter, form(received_at="2026-11-22T16:45:00Z"))
    assert utc.number == "TS-20261123-0002"
    # The evening before belongs to the 22nd, which has its own sequence.
    before = complaints.register_complaint(desk, counter, form(received_at="2026-11-22T23:59:00+08:00"))
    assert before.number == "TS-20261122-0001"


def test_numbers_are_never_reused(desk, counter):
    first = complaints.register_complaint(desk, counter, form())
    second = complaints.register_complaint(desk, counter, form())
    # Even if the newest complaint row vanished, its number is not issued again.
    if backend(desk) == "postgresql":
        with desk.store.engine.begin() as conn:  # past the foreign keys, as a superuser can
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("DELETE FROM complaint WHERE number = :n"), {"n": second.number})
    else:  # a plain connection: foreign keys are off unless asked for
        raw = sqlite3.connect(desk.store.path)
        raw.execute("DELETE FROM complaint WHERE number = ?", (second.number,))
        raw.commit()
        raw.close()
    third = complaints.register_complaint(desk, counter, form())
    assert (first.number, second.number, third.number) == (
        "TS-20261123-0001", "TS-20261123-0002", "TS-20261123-0003")


def test_number_widens_rather_than_wraps():
    assert complaints.format_number("20261123", 7) == "TS-20261123-0007"
    assert complaints.format_number("20261123", 10000) == "TS-20261123-10000"


def _register_in_threads(desks, login: str, per_thread: int) -> tuple[list[str], list[str]]:
    barrier = threading.Barrier(len(desks))
    numbers: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(d):
        barrier.wait()
        for _ in range(per_thread):
            try:
                number = complaints.register_complaint(d, login, form()).number
            except Exception as exc:  # noqa: BLE001 - collected and asserted on
                with lock:
                    errors.append(repr(exc))
            else:
                with lock:
                    numbers.append(number)

    threads = [threading.Thread(target=work, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return numbers, errors


def test_numbers_unique_across_threads_sharing_a_desk(desk, counter):
    numbers, errors = _register_in_threads([desk] * 6, counter, 8)
    assert errors == []
    assert sorted(numbers) == [f"TS-20261123-{i:04d}" for i in range(1, 49)]


def test_numbers_unique_across_threads_with_own_desks(desk, counter, frozen_now):
    others = [open_desk(location(desk), config=desk.config, clock=lambda: frozen_now)
              for _ in range(4)]
    try:
        numbers, errors = _register_in_threads(others, counter, 10)
    finally:
        for d in others:
            d.close()
    assert errors == []
    assert sorted(numbers) == [f"TS-20261123-{i:04d}" for i in range(1, 41)]


def _register_in_process(db_path: str, login: str, now_iso: str, count: int,
                         barrier, results) -> None:
    """Runs in a spawned process: its own desk on the shared file."""
    now = datetime.fromisoformat(now_iso)
    numbers, errors = [], []
    try:
        d = open_desk(db_path, config=DeskConfig(timezone_name="Asia/Shanghai"),
                      clock=lambda: now)
    except Exception as exc:  # noqa: BLE001
        barrier.wait()
        results.put(([], [repr(exc)]))
        return
    try:
        barrier.wait()
        for i in range(count):
            try:
                numbers.append(complaints.register_complaint(
                    d, login, form(customer_name=f"客户{i}", contact=f"1390000{i:04d}")).number)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
    finally:
        d.close()
    results.put((numbers, errors))


def test_numbers_unique_across_processes(desk, counter, frozen_now):
    ctx = multiprocessing.get_context("spawn")
    processes, per_process = 4, 25
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [ctx.Process(target=_register_in_process,
                           args=(str(location(desk)), counter, frozen_now.isoformat(),
                                 per_process, barrier, results))
               for _ in range(processes)]
    for w in workers:
        w.start()
    collected = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0

    numbers = [n for ns, _ in collected for n in ns]
    errors = [e for _, es in collected for e in es]
    assert errors == []
    assert len(numbers) == len(set(numbers)) == processes * per_process
    assert sorted(numbers) == [f"TS-20261123-{i:04d}" for i in range(1, processes * per_process + 1)]
    # The parent sees them all, each with its one audit event.
    assert complaints.count_complaints(desk) == processes * per_process
    assert sql_rows(desk, "SELECT count(*) FROM audit_event WHERE action='complaint.registered'"
                    )[0][0] == processes * per_process


# ----------------------------------------------------------------- deadlines

END_OF_WEDNESDAY = datetime(2026, 11, 25, 23, 59, 59, 999999, tzinfo=SHANGHAI)
END_OF_DECEMBER_1 = datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI)

@pytest.mark.parametrize("priority, first, resolution, escalated", [
    ("urgent", timedelta(hours=2), timedelta(hours=24), False),
    ("紧急", timedelta(hours=2), timedelta(hours=24), False),
    # Received on a Sunday: 3 working days are Mon–Wed, to the end of Wednesday …
    ("major", timedelta(hours=24), END_OF_WEDNESDAY, True),
    ("重大", timedelta(hours=24), END_OF_WEDNESDAY, True),
    # … and 7 run Mon 23 – Fri 27, Mon 30, Tue 1 December.
    ("general", timedelta(hours=48), END_OF_DECEMBER_1, False),
    ("一般", timedelta(hours=48), END_OF_DECEMBER_1, False),
])
def test_default_deadlines(desk, counter, priority, first, resolution, escalated):
    """The first response counts the clock; 重大 and 一般 handling counts working days."""
    received = datetime(2026, 11, 22, 9, 15, tzinfo=SHANGHAI)  # not "now": counted from receiving
    created = complaints.register_complaint(desk, counter, form(priority=priority,
                                                                received_at=received.isoformat()))
    stored = complaints.get_complaint(desk, created.number).complaint
    assert stored.received_at == received
    assert stored.first_response_due == received + first
    assert stored.resolution_due == (received + resolution if isinstance(resolution, timedelta)
                                     else resolution)
    assert stored.escalated is escalated
    assert stored.priority_rank == Priority.parse(priority).rank


def test_deadlines_for_uses_config_limits():
    received = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    assert deadlines_for(Priority.URGENT, received, DeskConfig()) == (
        received + timedelta(hours=2), received + timedelta(hours=24))


def test_reference_config_file_matches_builtin_defaults():
    assert load_config(REFERENCE_CONFIG_PATH).limits == DeskConfig().limits


def test_changed_config_affects_new_complaints_only(desk, counter, frozen_now, tmp_path):
    before = complaints.register_complaint(desk, counter, form(priority="urgent"))

    config_path = tmp_path / "config.toml"
    config_path.write_text(
        'timezone = "Asia/Shanghai"\n'
        "[deadlines.urgent]\nfirst_response_hours = 1\nresolution_hours = 8\n"
        "[deadlines.general]\nfirst_response_hours = 1.5\nresolution_days = 1.5\n",
        encoding="utf-8")
    config = load_config(config_path)
    edited = open_desk(location(desk), config=config, clock=lambda: frozen_now)
    try:
        after = complaints.register_complaint(edited, counter, form(priority="urgent"))
        general = complaints.register_complaint(edited, counter, form(priority="general"))
        old = complaints.get_complaint(edited, before.number).complaint
        new = complaints.get_complaint(edited, after.number).complaint
        gen = complaints.get_complaint(edited, general.number).complaint
    finally:
        edited.close()
    assert old.first_response_due == frozen_now + timedelta(hours=2)
    assert old.resolution_due == frozen_now + timedelta(hours=24)
    assert new.first_response_due == frozen_now + timedelta(hours=1)
    assert new.resolution_due == frozen_now + timedelta(hours=8)
    assert gen.first_response_due == frozen_now + timedelta(minutes=90)
    assert gen.resolution_due == frozen_now + timedelta(hours=36)
    # Priorities the file does not mention keep their defaults.
    assert config.limits[Priority.MAJOR] == DeskConfig().limits[Priority.MAJOR]


@pytest.mark.parametrize("content, hint", [
    ("[deadlines.urgent\nfirst_response_hours = 1", "格式错误"),
    ("[deadlines.critical]\nfirst_response_hours = 1\nresolution_hours = 2", "critical"),
    ("[deadlines.urgent]\nfirst_response_hours = -1\nresolution_hours = 2", "first_response"),
    ("[deadlines.urgent]\nfirst_response_hours = 1\nresolution_hours = 0", "resolution"),
    ('[deadlines.urgent]\nfirst_response_hours = "two"\nresolution_hours = 2', "first_response"),
    ("[deadlines.urgent]\nfirst_response_hours = true\nresolution_hours = 2", "first_response"),
    ("[deadlines.urgent]\nfirst_response_hours = 1", "resolution"),
    ("[deadlines]\nurgent = 2", "deadlines.urgent"),
    ("deadlines = 2", "deadlines"),
    ('timezone = "Mars/Olympus_Mons"', "Mars/Olympus_Mons"),
    ("[queue]\nat_risk_fraction = 1.5", "at_risk_fraction"),
    ("queue = 3", "queue"),
    ("departments = []", "部门"),
    ('[[departments]]\ncode = "qa"', "departments"),
])
def test_broken_config_is_a_domain_error_naming_the_problem(tmp_path, content, hint):
    path = tmp_path / "config.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DomainError) as excinfo:
        load_config(path)
    assert hint in excinfo.value.message
    assert excinfo.value.message.startswith(("配置", "无法", "找不到"))


def test_missing_explicit_config_is_a_domain_error(tmp_path):
    with pytest.raises(DomainError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml")


def test_config_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text("[deadlines.major]\nfirst_response_hours = 4\nresolution_days = 2\n",
                    encoding="utf-8")
    monkeypatch.setenv("COMPLAINTDESK_CONFIG", str(path))
    from complaintdesk.box.locations import located_config

    assert located_config().limits[Priority.MAJOR].first_response == Span(4, "hours")


# ----------------------------------------------------------------- validation

def _validate(data, now):
    return validate_complaint(data, now=now, zone=SHANGHAI)


def test_valid_form_gives_a_clean_draft(frozen_now):
    draft, errors = _validate(form(channel="微信", category="产品问题", priority="紧急",
                                   customer_name="  张三\t有限公司 "), frozen_now)
    assert errors == {}
    assert draft.channel is Channel.WECHAT
    assert draft.category is Category.PRODUCT
    assert draft.priority is Priority.URGENT
    assert draft.customer_name == "张三 有限公司"
    assert draft.quantity == 1
    assert draft.received_at == frozen_now


def test_required_fields(frozen_now):
    draft, errors = _validate({}, frozen_now)
    assert draft is None
    assert set(errors) == {"customer_name", "contact", "channel", "event", "demand",
                           "category", "priority"}


@pytest.mark.parametrize("field", ["customer_name", "contact", "event", "demand"])
@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "\x1b\x07\u202e"])
def test_blank_or_control_only_text_is_missing(frozen_now, field, blank):
    _, errors = _validate(form(**{field: blank}), frozen_now)
    assert set(errors) == {field}
    assert "必填" in errors[field]


@pytest.mark.parametrize("field", ["address", "product"])
def test_optional_text_fields(frozen_now, field):
    draft, errors = _validate(form(**{field: None}), frozen_now)
    assert errors == {}
    assert getattr(draft, field) == ""


@pytest.mark.parametrize("value", ["-1", -1, "1.5", 1.5, "abc", "３", "1 2", "1e3", True, False,
                                   [1], "0x10"])
def test_quantity_rejected(frozen_now, value):
    _, errors = _validate(form(quantity=value), frozen_now)
    assert set(errors) == {"quantity"}


@pytest.mark.parametrize("value, expected", [
    ("", None), (None, None), ("  ", None), ("0", 0), (0, 0), ("12", 12), (" 7 ", 7), (3, 3),
])
def test_quantity_accepted(frozen_now, value, expected):
    draft, errors = _validate(form(quantity=value), frozen_now)
    assert errors == {}
    assert draft.quantity == expected


@pytest.mark.parametrize("field, limit", [
    ("customer_name", 100), ("address", 200), ("contact", 100), ("event", 5000),
    ("demand", 2000), ("product", 100),
])
def test_length_limits(frozen_now, field, limit):
    def text(length: int) -> str:  # a contact must be one: an e-mail address that long
        return "字" * length if field != "contact" else "a" * (length - 12) + "@example.com"

    ok, errors = _validate(form(**{field: text(limit)}), frozen_now)
    assert errors == {} and len(getattr(ok, field)) == limit
    _, errors = _validate(form(**{field: text(limit + 1)}), frozen_now)
    assert set(errors) == {field}
    assert str(limit) in errors[field]


def test_two_thousand_character_texts_are_accepted(frozen_now, hostile_text):
    draft, errors = _validate(form(event=hostile_text, demand=hostile_text), frozen_now)
    assert errors == {}
    assert draft.event == hostile_text and draft.demand == hostile_text


@pytest.mark.parametrize("field, value, member", [
    ("channel", "phone", Channel.PHONE), ("channel", "电话", Channel.PHONE),
    ("channel", "微信", Channel.WECHAT), ("channel", "WeChat", Channel.WECHAT),
    ("channel", " email ", Channel.EMAIL), ("channel", "APP", Channel.APP),
    ("category", "产品问题", Category.PRODUCT), ("category", "price", Category.PRICE),
    ("category", "服务质量", Category.SERVICE),
    ("priority", "紧急", Priority.URGENT), ("priority", "Major", Priority.MAJOR),
    ("priority", Priority.GENERAL, Priority.GENERAL),
])
def test_enumerations_accept_code_or_label(frozen_now, field, value, member):
    draft, errors = _validate(form(**{field: value}), frozen_now)
    assert errors == {}
    assert getattr(draft, field) is member


@pytest.mark.parametrize("field, value", [
    ("channel", "fax"), ("channel", "電話"), ("category", "quality"), ("priority", "high"),
    ("priority", 1), ("channel", None), ("priority", "  "),
])
def test_enumerations_reject_unknown(frozen_now, field, value):
    _, errors = _validate(form(**{field: value}), frozen_now)
    assert set(errors) == {field}


def test_unknown_enumeration_message_lists_choices(frozen_now):
    _, errors = _validate(form(channel="fax"), frozen_now)
    assert "phone" in errors["channel"] and "电话" in errors["channel"]


@pytest.mark.parametrize("value, expected", [
    ("2026-11-23T09:30:00+08:00", datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)),
    ("2026-11-23T01:30:00Z", datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)),
    ("2026-11-23T09:30:00", datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)),  # desk's zone
    ("2026-11-23 09:30", datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)),
    ("2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=SHANGHAI)),
    ("2026-11-23T10:04:00+08:00", datetime(2026, 11, 23, 10, 4, tzinfo=SHANGHAI)),  # clock skew
    ("", datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)),
])
def test_received_at_parsing(frozen_now, value, expected):
    draft, errors = _validate(form(received_at=value), frozen_now)
    assert errors == {}
    assert draft.received_at == expected
    assert draft.received_at.utcoffset() is not None


@pytest.mark.parametrize("value", [
    "2026-11-23T11:00:00+08:00",  # an hour ahead
    "2026-11-23T03:00:00Z",       # an hour ahead, written in UTC
    "2026-11-24",
    "yesterday", "23/11/2026", "2026-13-01", "1999-12-31T10:00:00+08:00", 20261123,
])
def test_received_at_rejected(frozen_now, value):
    _, errors = _validate(form(received_at=value), frozen_now)
    assert set(errors) == {"received_at"}


def test_all_errors_reported_at_once(desk, counter):
    bad = form(customer_name="", channel="fax", quantity="-1",
               received_at="2027-01-01T00:00:00+08:00", event="字" * 5001, priority="")
    with pytest.raises(ValidationFailed) as excinfo:
        complaints.register_complaint(desk, counter, bad)
    assert set(excinfo.value.errors) == {"customer_name", "channel", "quantity", "received_at",
                                         "event", "priority"}
    for field in excinfo.value.errors:
        assert field in excinfo.value.message


def test_non_text_values_are_errors_not_crashes(frozen_now):
    _, errors = _validate(form(customer_name=42, event=["a"]), frozen_now)
    assert set(errors) == {"customer_name", "event"}


# ----------------------------------------------------------------- audit

def test_registration_writes_one_audit_event(desk, counter):
    before = _row_counts(desk)
    created = complaints.register_complaint(desk, counter, form(priority="major", channel="微信"))
    after = _row_counts(desk)
    assert after["complaint"] == before["complaint"] + 1
    assert after["audit_event"] == before["audit_event"] + 1

    record = complaints.get_complaint(desk, created.number)
    assert [e.action for e in record.timeline] == ["complaint.registered"]
    event = record.timeline[0]
    assert event.actor == counter
    assert event.after == created.number
    assert event.complaint_id == created.id
    assert event.at is not None
    assert '"major"' in event.detail and '"wechat"' in event.detail
    assert record.complaint.received_by == counter
    assert record.receiver_name == "柜台小王"
    assert audit_action_label(event.action) == "登记投诉"


def test_failure_while_auditing_leaves_nothing_behind(desk, counter, monkeypatch):
    """Complaint, customer, number and audit event commit together or not at all
    (in the usual write transaction; PostgreSQL's registration in one message:
    tests/store/test_postgres_registration.py)."""
    monkeypatch.setattr(desk.store, "register_at_once", lambda registration: None)
    real_record = audit.record

    def failing_record(session, **kwargs):
        real_record(session, **kwargs)
        raise RuntimeError("disk full")

    before = _row_counts(desk)
    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        complaints.register_complaint(desk, counter, form())
    monkeypatch.setattr(audit, "record", real_record)
    assert _row_counts(desk) == before
    assert complaints.register_complaint(desk, counter, form()).number == "TS-20261123-0001"


def test_failed_validation_writes_nothing(desk, counter):
    before = _row_counts(desk)
    with pytest.raises(ValidationFailed):
        complaints.register_complaint(desk, counter, form(quantity="-1"))
    assert _row_counts(desk) == before


@pytest.mark.parametrize("who", ["handler1", "stranger"])
def test_refused_registration_writes_nothing(desk, admin, who):
    staffing.add_staff(desk, admin.login, "handler1", "处理员", "handler", "quality")
    before = _row_counts(desk)
    with pytest.raises(PermissionDenied):
        complaints.register_complaint(desk, who, form())
    assert _row_counts(desk) == before


@pytest.mark.parametrize("who", ["handler1", "stranger", "stopped1"])
@pytest.mark.parametrize("contact", ["13912345678", "13800001111"])
def test_a_refused_registration_takes_no_number_and_touches_no_customer(desk, admin, counter,
                                                                       who, contact):
    """The account is checked under the writers' lock after the day's number is
    taken: whatever the refusal (another role, no account, a stopped one) and
    whether the contact's customer exists or not, the number goes back with the
    rest and the next registration gets it."""
    staffing.add_staff(desk, admin.login, "handler1", "处理员", "handler", "quality")
    staffing.add_staff(desk, admin.login, "stopped1", "已停用", "counter")
    staffing.disable_staff(desk, admin.login, "stopped1")
    first = complaints.register_complaint(desk, counter, form(contact="13800001111"))
    before = _row_counts(desk)
    with pytest.raises(PermissionDenied):
        complaints.register_complaint(desk, who, form(contact=contact, customer_name="别人"))
    assert _row_counts(desk) == before
    with pytest.raises(PermissionDenied):  # intake's batch: refused before its first line
        complaints.register_drafts(desk, who, [complaints.validate(desk, form(contact=contact))])
    assert _row_counts(desk) == before
    second = complaints.register_complaint(desk, counter, form(contact=contact))
    assert (first.number, second.number) == ("TS-20261123-0001", "TS-20261123-0002")


def test_audit_table_is_append_only(desk, counter):
    complaints.register_complaint(desk, counter, form())
    with pytest.raises(DBAPIError, match="append-only"):
        sql_run(desk, "UPDATE audit_event SET actor = 'someone_else'")
    with pytest.raises(DBAPIError, match="append-only"):
        sql_run(desk, "DELETE FROM audit_event")
    assert sql_rows(desk, "SELECT count(*) FROM audit_event WHERE actor = 'someone_else'"
                    ) == [(0,)]
    assert sql_rows(desk, "SELECT count(*) FROM audit_event")[0][0] >= 3


# ----------------------------------------------------------------- customers

def test_same_contact_in_other_formatting_is_the_same_customer(desk, counter):
    a = complaints.register_complaint(desk, counter, form(contact="138-1234-5678", channel="phone"))
    b = complaints.register_complaint(desk, counter, form(contact="138 1234 5678", channel="wechat"))
    c = complaints.register_complaint(desk, counter, form(contact="(138)12345678", channel="web"))
    d = complaints.register_complaint(desk, counter, form(contact="13912345678"))
    assert a.customer_id == b.customer_id == c.customer_id
    assert d.customer_id != a.customer_id
    assert _count(desk, "customer") == 2
    # Each complaint keeps the contact as it was written.
    assert complaints.get_complaint(desk, b.number).complaint.contact == "138 1234 5678"


def test_email_contact_matches_case_insensitively(desk, counter):
    a = complaints.register_complaint(desk, counter, form(contact="Li@Example.com"))
    b = complaints.register_complaint(desk, counter, form(contact="li@example.com "))
    assert a.customer_id == b.customer_id


def test_customer_history_newest_first_with_total(desk, counter):
    received = ["2026-11-20T09:00:00+08:00", "2026-11-22T09:00:00+08:00",
                "2026-11-01T09:00:00+08:00", "2026-11-21T09:00:00+08:00"]
    created = {r: complaints.register_complaint(desk, counter, form(received_at=r)).number
               for r in received}
    complaints.register_complaint(desk, counter, form(contact="13900000000"))

    total, rows = complaints.customer_history(desk, "138 1234 5678", limit=3)
    assert total == 4
    assert [r.number for r in rows] == [created["2026-11-22T09:00:00+08:00"],
                                        created["2026-11-21T09:00:00+08:00"],
                                        created["2026-11-20T09:00:00+08:00"]]


@pytest.mark.parametrize("contact", ["", "   ", "13700000000"])
def test_customer_history_unknown_or_empty(desk, counter, contact):
    complaints.register_complaint(desk, counter, form())
    assert complaints.customer_history(desk, contact) == (0, [])


def test_list_complaints_newest_first(desk, counter):
    older = complaints.register_complaint(desk, counter, form(received_at="2026-11-01T09:00:00+08:00"))
    newer = complaints.register_complaint(desk, counter, form(received_at="2026-11-22T09:00:00+08:00"))
    assert [c.number for c in complaints.list_complaints(desk)] == [newer.number, older.number]
    assert [c.number for c in complaints.iter_complaints(desk, batch=1)] == [older.number,
                                                                            newer.number]


def test_last_channel_is_the_actors_last(desk, counter, admin):
    assert complaints.last_channel(desk, counter) is None
    complaints.register_complaint(desk, counter, form(channel="微信"))
    complaints.register_complaint(desk, admin.login, form(channel="email"))
    assert complaints.last_channel(desk, counter) == "wechat"
