"""Intake of JSON lines and export back out: per-line results, and texts that
come back exactly as they went in (after the boundary cleaning)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from complaintdesk.process import complaints
from complaintdesk.process import staffing
from complaintdesk.reports.exporting import EXPORT_FIELDS, export_rows, write_csv, write_jsonl
from complaintdesk.process.intake import intake_lines
from complaintdesk.store.models import AuditEvent, Complaint
from complaintdesk.domain.validation import INTAKE_FIELDS


def good(**overrides) -> dict:
    data = {
        "customer_name": "杭州恒达商贸有限公司", "address": "浙江省杭州市西湖区文化路 8 号",
        "contact": "138-1234-5678", "channel": "wechat", "received_at": "2026-11-22T15:30:00+08:00",
        "event": "收到的空气净化器外包装破损，机器无法开机。", "demand": "要求更换新品",
        "category": "product", "priority": "general", "product": "空气净化器 KJ-500", "quantity": 2,
    }
    data.update(overrides)
    return data


def line(data: object) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


def exported(desk) -> list[dict]:
    stream = io.StringIO()
    write_jsonl(export_rows(desk, full_contacts=True), stream)
    return [json.loads(text) for text in stream.getvalue().splitlines()]


# ------------------------------------------------------------------ intake

def test_good_lines_are_registered_and_bad_lines_named_with_line_and_field(desk, counter):
    lines = [
        line(good(customer_name="甲公司")),
        line(good(quantity=-1)),
        "\n",
        '{"customer_name": "乙", \n',
        line(good(qty=3)),
        line(["not", "an", "object"]),
        line(good(customer_name="丙公司", channel="电话", category="价格争议", priority="紧急")),
        line(good(channel="fax", event="   ")),
    ]
    results = list(intake_lines(desk, counter, lines))

    assert [r["line"] for r in results] == [1, 2, 4, 5, 6, 7, 8]
    assert results[0]["number"].startswith("TS-20261122-")
    assert "quantity" in results[1]["error"] and "数量" in results[1]["error"]
    assert results[1]["fields"] == {"quantity": "不能是负数"}
    assert "JSON" in results[2]["error"]
    assert "qty" in results[3]["error"] and "number" not in results[3]
    assert "对象" in results[4]["error"]
    assert "number" in results[5]
    both = results[6]["error"]
    assert "channel（投诉方式）" in both and "event（投诉理由(事件经过)）" in both

    rows = exported(desk)
    assert [(r["number"], r["customer_name"]) for r in rows] == [
        (results[0]["number"], "甲公司"), (results[5]["number"], "丙公司")]
    assert (rows[1]["channel"], rows[1]["category"], rows[1]["priority"]) == ("phone", "price", "urgent")


def test_a_failed_line_leaves_nothing_behind(desk, counter):
    list(intake_lines(desk, counter, [line(good(contact="139 0000 1111", quantity="很多"))]))
    assert complaints.count_complaints(desk) == 0
    assert complaints.customer_history(desk, "13900001111") == (0, [])
    with desk.store.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "complaint.registered")).all() == []


def test_byte_order_mark_and_windows_line_endings_are_tolerated(desk, counter):
    first = "\ufeff" + json.dumps(good(customer_name="带BOM的第一行"), ensure_ascii=False) + "\r\n"
    results = list(intake_lines(desk, counter, [first, line(good())]))
    assert [("number" in r) for r in results] == [True, True]
    assert exported(desk)[0]["customer_name"] == "带BOM的第一行"


def test_a_line_that_is_not_utf8_is_reported_and_the_rest_registered(desk, counter):
    raw = [line(good()).encode("gbk"), line(good(customer_name="UTF8")).encode("utf-8")]
    results = list(intake_lines(desk, counter, raw))
    assert "UTF-8" in results[0]["error"]
    assert "number" in results[1]


def test_an_actor_who_may_not_register_gets_an_error_per_line(desk, admin):
    staffing.add_staff(desk, admin.login, "handler1", "处理员", "handler", "quality")
    results = list(intake_lines(desk, "handler1", [line(good())]))
    assert results == [{"line": 1, "error": results[0]["error"]}]
    assert "登记投诉" in results[0]["error"]
    assert complaints.count_complaints(desk) == 0


# ------------------------------------------------------------------ export

def test_export_gives_back_hostile_text_exactly(desk, counter, hostile_text):
    one_line = "[b]粗体[/b] [@click=app.quit]退出[/] \\路径\\ \"引号\" 'x' 😡 這個"
    sent = good(customer_name=one_line, address=one_line + " 地址", product=one_line[:100],
                event=hostile_text, demand=hostile_text, contact="wx:[/b]@例子.cn")
    results = list(intake_lines(desk, counter, [line(sent)]))
    assert "number" in results[0], results

    (row,) = exported(desk)
    for name in ("customer_name", "address", "product", "event", "demand", "contact"):
        assert row[name] == sent[name], name
    assert len(row["event"]) == 2000


def test_export_shows_texts_after_the_boundary_cleaning(desk, counter):
    dirty = "前\x1b]52;c;ZXZpbA==\x07中\u202e后\r\n第二行\x9b31m"
    results = list(intake_lines(desk, counter, [line(good(event=dirty, customer_name="名\x1b[31m称\t"))]))
    assert "number" in results[0], results
    (row,) = exported(desk)
    assert row["event"] == "前]52;c;ZXZpbA==中后\n第二行31m"
    assert row["customer_name"] == "名[31m称"


def test_export_row_fields_codes_times_and_numbers(desk, counter):
    list(intake_lines(desk, counter, [
        line(good(priority="major", received_at="2026-11-23 09:15", quantity=None)),
        line(good(quantity="7")),
    ]))
    first, second = exported(desk)
    assert tuple(first) == EXPORT_FIELDS
    assert set(INTAKE_FIELDS) | {"number", "status"} <= set(first)
    assert first["received_at"] == "2026-11-23T09:15:00+08:00"
    assert first["first_response_due"] == "2026-11-24T09:15:00+08:00"
    assert first["resolution_due"] == "2026-11-26T09:15:00+08:00"
    assert first["escalated"] is True and second["escalated"] is False
    assert first["quantity"] is None and second["quantity"] == 7
    assert (first["status"], first["received_by"]) == ("registered", counter)


def test_export_reads_every_complaint_across_batches(desk, counter):
    list(intake_lines(desk, counter, [line(good(customer_name=f"客户{i}")) for i in range(7)]))
    names = [c.customer_name for c in complaints.iter_complaints(desk, batch=3)]
    assert names == [f"客户{i}" for i in range(7)]


def test_jsonl_keeps_one_object_per_line_even_with_unicode_line_separators(desk, counter):
    text = "第一段\u2028第二段\u2029第三段\n第四段"
    list(intake_lines(desk, counter, [line(good(event=text))]))
    stream = io.StringIO()
    write_jsonl(export_rows(desk, full_contacts=True), stream)
    lines = stream.getvalue().splitlines()  # splits on U+2028 too, unlike file iteration
    assert len(lines) == 1
    assert json.loads(lines[0])["event"] == text


def test_csv_has_a_bom_a_header_and_parses_back_to_the_same_texts(desk, counter, hostile_text):
    list(intake_lines(desk, counter, [
        line(good(event=hostile_text, customer_name="逗号,引号\"公司\"")),
        line(good(quantity=None, priority="major")),
    ]))
    stream = io.StringIO(newline="")
    assert write_csv(export_rows(desk, full_contacts=True), stream) == 2
    text = stream.getvalue()
    assert text.startswith("\ufeffnumber,customer_name,")

    parsed = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    rows = exported(desk)
    assert [p["number"] for p in parsed] == [r["number"] for r in rows]
    assert parsed[0]["event"] == hostile_text
    assert parsed[0]["customer_name"] == "逗号,引号\"公司\""
    assert (parsed[1]["quantity"], parsed[1]["escalated"]) == ("", "true")
    assert parsed[0]["quantity"] == "2"


def test_csv_bytes_are_utf8_with_bom(desk, counter):
    list(intake_lines(desk, counter, [line(good())]))
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    write_csv(export_rows(desk, full_contacts=True), wrapper)
    wrapper.flush()
    data = raw.getvalue()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert "杭州恒达商贸有限公司".encode() in data


@pytest.mark.parametrize("value", ["   ", "", None])
def test_missing_required_text_is_named(desk, counter, value):
    (result,) = intake_lines(desk, counter, [line(good(demand=value))])
    assert result["fields"] == {"demand": "必填"}
    assert "demand（投诉要求）" in result["error"]


def test_received_by_and_audit_are_the_intake_actor(desk, counter):
    (result,) = intake_lines(desk, counter, [line(good())])
    record = complaints.get_complaint(desk, result["number"])
    assert record.complaint.received_by == counter
    assert [(e.action, e.actor) for e in record.timeline] == [("complaint.registered", counter)]
    with desk.store.read() as session:
        assert session.exec(select(Complaint.contact)).all() == ["138-1234-5678"]


# ------------------------------------------------------------------ spreadsheet safety

@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-2+3",
                                  "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_csv_export_neutralises_formula_cells_and_jsonl_keeps_the_text(desk, counter, name):
    complaints.register_complaint(desk, counter, good(customer_name=name + "公司",
                                                      event=name + " 经过"))
    stream = io.StringIO(newline="")
    write_csv(export_rows(desk, full_contacts=True), stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    stored = exported(desk)[0]["customer_name"]
    assert rows[0]["customer_name"] == "'" + stored
    assert rows[0]["event"].startswith("'")


def test_safe_cell_rule():
    from complaintdesk.reports.spreadsheet import safe_cell

    assert [safe_cell(v) for v in ["=1", "+1", "-1", "@a", "\t1", "\r1", "a=1", "", None,
                                   -5, 3, True]] == \
        ["'=1", "'+1", "'-1", "'@a", "'\t1", "'\r1", "a=1", "", "", -5, 3, "true"]


def test_a_batch_rolls_back_only_the_line_that_fails_and_numbers_have_no_gaps(
        desk, counter, monkeypatch):
    """Lines at hand are registered in one transaction, a savepoint each: a line
    that fails inside it is rolled back alone (its number is not used up)."""
    real = complaints._account_and_customer

    def failing(session, actor, draft, now):  # type: ignore[no-untyped-def]
        if draft.customer_name == "坏行":
            raise complaints.DomainError("模拟的失败")
        return real(session, actor, draft, now)

    monkeypatch.setattr(complaints, "_account_and_customer", failing)
    lines = [line(good(customer_name=name)) for name in ("甲", "坏行", "乙", "丙")]
    results = list(intake_lines(desk, counter, lines, batch=10))
    assert [r.get("number", r.get("error")) for r in results] == [
        "TS-20261122-0001", "模拟的失败", "TS-20261122-0002", "TS-20261122-0003"]
    assert sorted(row["customer_name"] for row in exported(desk)) == ["丙", "乙", "甲"]


def test_intake_never_waits_for_more_input_before_answering_what_has_arrived(desk, counter):
    """With ``ready`` saying nothing more is there, each line is answered (and
    committed) before the next is read."""
    seen: list[str] = []

    def slow_source():  # type: ignore[no-untyped-def]
        for name in ("甲", "乙"):
            seen.append(f"read {name}")
            yield line(good(customer_name=name))

    for result in intake_lines(desk, counter, slow_source(), ready=lambda: False):
        seen.append(f"answered {result['line']}")
    assert seen == ["read 甲", "answered 1", "read 乙", "answered 2"]


def test_a_result_names_the_fields_cleaning_changed(desk, counter):
    """Nothing is cleaned silently: control and bidi characters removed, a line
    break in the name made a space — the result lists those fields; the
    whitespace around a field is not worth a word."""
    lines = [line(good(customer_name="张\n三", event="停电\x07了\u202e", demand=" 退款 ")),
             line(good(customer_name="  李四  ", event="正常的文字\n第二行"))]
    results = list(intake_lines(desk, counter, lines))
    assert results[0]["cleaned"] == ["customer_name", "event"]
    assert "cleaned" not in results[1] and "number" in results[1]
    stored = complaints.get_complaint(desk, results[0]["number"]).complaint
    assert (stored.customer_name, stored.event, stored.demand) == ("张 三", "停电了", "退款")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_cleaned_lists_a_field_exactly_when_its_text_changed(text):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from complaintdesk.domain.validation import cleaned_fields, validate_complaint

    zone = ZoneInfo("Asia/Shanghai")
    data = good(event="事情" + text)
    draft, errors = validate_complaint(data, now=datetime(2026, 11, 23, 10, tzinfo=zone), zone=zone)
    if draft is None:
        return
    assert ("event" in cleaned_fields(data, draft)) == (data["event"].strip() != draft.event)
