"""客户联系方式: phone numbers, e-mail and WeChat ids recognised and keyed, so a
repeat complainant is recognised however the number is written; anything else is
refused with the accepted forms; the v9 migration merges customers that turn out
to be one and rebuilds the search index."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.process import complaints
from complaintdesk.store.sqlite import schema
from complaintdesk.domain.contacts import ACCEPTED, contact_key, parse_contact
from complaintdesk.domain.errors import ValidationFailed
from complaintdesk.process.queue import open_queue, QueueFilter

from tests.helpers import sample


@pytest.mark.parametrize("written", [
    "13800001111", "138 0000 1111", "138-0000-1111", "+86 138 0000 1111", "+86-138-0000-1111",
    "0086 13800001111", "8613800001111", "(+86) 138 0000 1111", "１３８００００１１１１",
    "＋８６ １３８ ００００ １１１１",
])
def test_every_way_of_writing_a_mobile_is_one_key(written):
    assert parse_contact(written).key == "+8613800001111"


@pytest.mark.parametrize("written, key", [
    ("010-12345678", "+861012345678"), ("(010) 1234 5678", "+861012345678"),
    ("+86 10 1234 5678", "+861012345678"), ("0571-87654321", "+8657187654321"),
    ("010-12345678 转 123", "+861012345678;ext=123"), ("010-12345678 分机123", "+861012345678;ext=123"),
    ("010-12345678 ext. 123", "+861012345678;ext=123"), ("010-12345678#123", "+861012345678;ext=123"),
    ("400-820-8820", "+864008208820"), ("+1 650 253 0000", "+16502530000"),
    ("Li.Ming@Example.COM", "li.ming@example.com"), ("li.ming@example.com", "li.ming@example.com"),
    ("微信：wxid_abc123", "wechat:wxid_abc123"), ("微信号 WangXM88", "wechat:wangxm88"),
    ("wx:wangxm88", "wechat:wangxm88"), ("wangxm88", "wechat:wangxm88"),
])
def test_landlines_extensions_abroad_email_and_wechat(written, key):
    assert parse_contact(written).key == key


def test_an_id_that_starts_like_a_prefix_is_not_cut():
    """``wxid_abc123`` is an id, not the prefix wx + ``id_abc123``: two customers."""
    assert parse_contact("wxid_abc123").key == "wechat:wxid_abc123"
    assert parse_contact("id_abc123").key == "wechat:id_abc123"
    assert parse_contact("wxabcdef").key != parse_contact("abcdef").key
    assert parse_contact("微信 wxid_abc123").key == parse_contact("wxid_abc123").key
    assert parse_contact("wx wxid_abc123").key == "wechat:wxid_abc123"


@pytest.mark.parametrize("written", ["x", "12345", "138000011", "abc@", "@example.com",
                                     "138 0000 11112222", "请打电话", "w1", "1380000111a"])
def test_an_unrecognisable_contact_is_refused_with_the_accepted_forms(written):
    with pytest.raises(ValueError) as refused:
        parse_contact(written)
    assert ACCEPTED in str(refused.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_contact_or_a_chinese_refusal(text):
    try:
        contact = parse_contact(text)
    except ValueError as exc:
        assert str(exc) == "必填" or ACCEPTED in str(exc)
    else:
        assert contact.kind in ("phone", "email", "wechat") and contact.key
        assert contact_key(text) == contact.key


def test_a_repeat_complainant_is_recognised_however_the_number_is_written(desk, counter):
    first = complaints.register_complaint(desk, counter, sample(contact="13800001111"))
    again = complaints.register_complaint(desk, counter, sample(contact="+86 138-0000-1111"))
    wide = complaints.register_complaint(desk, counter, sample(contact="１３８００００１１１１"))
    assert first.customer_id == again.customer_id == wide.customer_id
    total, _rows = complaints.customer_history(desk, "0086 138 0000 1111")
    assert total == 3
    with pytest.raises(ValidationFailed) as refused:
        complaints.register_complaint(desk, counter, sample(contact="x"))
    assert "contact" in refused.value.errors and "手机号" in refused.value.errors["contact"]


@pytest.mark.sqlite_only
def test_the_migration_merges_customers_and_rebuilds_the_search_index(desk, counter):
    a = complaints.register_complaint(desk, counter, sample(contact="13800001111"))
    b = complaints.register_complaint(desk, counter, sample(contact="+86 138 0000 1111"))
    # As a release before v9 left them: two customers, keys without the country
    # code, and an index that holds the old keys.
    conn = sqlite3.connect(desk.store.path)
    try:
        with conn:
            conn.execute("UPDATE customer SET contact_key = '13800001111'")
            conn.execute("INSERT INTO customer(name, address, contact, contact_key, created_at) "
                         "SELECT name, address, '+86 138 0000 1111', '+8613800001111', created_at "
                         "FROM customer")
            conn.execute("UPDATE complaint SET customer_id = (SELECT max(id) FROM customer) "
                         "WHERE number = ?", (b.number,))
            for table in ("complaint_fts3", "complaint_fts2", "complaint_fts3_open",
                          "complaint_fts2_open"):
                conn.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
            schema.v9(conn)
        assert conn.execute("SELECT id, contact_key FROM customer").fetchall() == \
            [(a.customer_id, "+8613800001111")]
        assert {row[0] for row in conn.execute("SELECT customer_id FROM complaint")} == \
            {a.customer_id}
    finally:
        conn.close()
    found = {row.number for row in open_queue(desk, QueueFilter(search="13800001111")).page(0, 10)}
    assert found == {a.number, b.number}
