"""A registration in one message on PostgreSQL (store/postgres/registration.py):
the same rows as the usual write, nothing written when it fails, numbers past
9999, and what it reads taken after the writers' lock."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from complaintdesk.domain.errors import PermissionDenied, ValidationFailed
from complaintdesk.domain.queue import QueueFilter
from complaintdesk.domain.search import indexed_fields
from complaintdesk.process import complaints
from complaintdesk.process.queue import open_queue
from complaintdesk.store.postgres.ddl import WRITE_LOCK
from complaintdesk.store.postgres.search import search_row
from tests.helpers import sample, sql_rows, sql_run
from tests.store.test_postgres_store import _admin, pg_desk  # noqa: F401 - fixture

TABLES = ("customer", "complaint", "complaint_search", "audit_event")


def _counts(desk) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {t: sql_rows(desk, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    counts["counter"] = sql_rows(desk, "SELECT coalesce(sum(last), 0) FROM daily_counter")[0][0]
    return counts


def _at_once(desk, monkeypatch, data):  # type: ignore[no-untyped-def]
    """Register ``data``, checking that the store wrote it in its one message."""
    real, done = desk.store.register_at_once, []

    def spy(registration):  # type: ignore[no-untyped-def]
        done.append(real(registration))
        return done[-1]

    with monkeypatch.context() as patched:
        patched.setattr(desk.store, "register_at_once", spy)
        created = complaints.register_complaint(desk, "counter1", data)
    assert done and done[-1] is not None
    return created


def _the_usual_way(desk, monkeypatch, data):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as patched:
        patched.setattr(desk.store, "register_at_once", lambda registration: None)
        return complaints.register_complaint(desk, "counter1", data)


def _row(desk, number: str) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with desk.store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM complaint WHERE number = :n"),
                                 {"n": number}).one()._mapping)


def _event(desk, complaint_id: int) -> dict:  # type: ignore[no-untyped-def]
    """The complaint's one audit event, but its id and hash."""
    from sqlalchemy import text

    with desk.store.engine.connect() as conn:
        row = conn.execute(text("SELECT at, actor, action, field, before, after, detail "
                                "FROM audit_event WHERE complaint_id = :i"), {"i": complaint_id}).one()
    return dict(row._mapping)


def _search(desk, complaint_id: int) -> tuple:  # type: ignore[no-untyped-def]
    rows = sql_rows(desk, "SELECT complaint_id, open, grams, doc FROM complaint_search "
                          "WHERE complaint_id = :i", i=complaint_id)
    return tuple(rows[0])


def test_a_failure_inside_the_one_message_leaves_nothing_behind(pg_desk, pg_url) -> None:
    """The server fails the audit event's insert (a trigger): the customer, the
    number, the complaint and its search row are rolled back with it."""
    with _admin(pg_url) as conn:
        conn.execute("CREATE FUNCTION test_refuse_event() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$")
        conn.execute("CREATE TRIGGER test_refuse_event BEFORE INSERT ON audit_event FOR EACH ROW "
                     "WHEN (NEW.action = 'complaint.registered') "
                     "EXECUTE FUNCTION test_refuse_event()")
    before = _counts(pg_desk)
    with pytest.raises(DBAPIError, match="refused by the test"):
        complaints.register_complaint(pg_desk, "counter1", sample(contact="13911112222"))
    assert _counts(pg_desk) == before
    with _admin(pg_url) as conn:
        conn.execute("DROP TRIGGER test_refuse_event ON audit_event")
        conn.execute("DROP FUNCTION test_refuse_event()")
    assert complaints.register_complaint(pg_desk, "counter1", sample()).number == "TS-20261123-0001"
    assert pg_desk.store.verify_audit_trail().ok


# Text a clerk may type or paste: Chinese, digits in runs, quotes, backslashes,
# full-width forms, emoji, combining marks; never NUL or a lone surrogate (the
# store refuses those before any statement: test_postgres_store).
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24)
DIGITS = st.text("0123456789", min_size=0, max_size=9)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=TEXT, event=TEXT, demand=TEXT, product=st.one_of(st.just(""), TEXT),
       digits=DIGITS, phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       priority=st.sampled_from(["general", "major", "urgent"]))
def test_at_once_and_the_usual_way_write_the_same_rows(
        pg_desk, monkeypatch, name, event, demand, product, digits, phone, priority) -> None:
    """The same form registered both ways: the complaint's columns (but its id and
    number) alike; each search row what ``search_row`` makes of its complaint
    (the sequence's grams made by the server); the chain sound."""
    data = sample(customer_name=name, event=event + digits, demand=demand, product=product,
                  contact=phone, priority=priority)
    try:
        at_once = _at_once(pg_desk, monkeypatch, data)
    except ValidationFailed:
        return  # a form the desk refuses either way
    usual = _the_usual_way(pg_desk, monkeypatch, data)
    first, second = _row(pg_desk, at_once.number), _row(pg_desk, usual.number)
    assert at_once.number.startswith("TS-20261123-")
    assert (first["id"], first["number"], first["customer_id"]) == (
        at_once.id, at_once.number, at_once.customer_id)
    for row in (first, second):
        assert _search(pg_desk, row["id"]) == search_row(indexed_fields(row), True)
    ignore = {"id", "number"}
    assert {k: v for k, v in first.items() if k not in ignore} == \
        {k: v for k, v in second.items() if k not in ignore}
    events = [_event(pg_desk, row["id"]) for row in (first, second)]
    assert [e.pop("after") for e in events] == [first["number"], second["number"]]
    assert events[0] == events[1]
    assert pg_desk.store.verify_audit_trail(quick=True).ok


def test_numbers_widen_past_9999_at_once_as_the_usual_way(pg_desk, monkeypatch) -> None:
    sql_run(pg_desk, "INSERT INTO daily_counter (day, last) VALUES ('20261123', 998)")
    numbers = [_at_once(pg_desk, monkeypatch, sample()).number for _ in range(2)]
    sql_run(pg_desk, "UPDATE daily_counter SET last = 9998 WHERE day = '20261123'")
    numbers += [_at_once(pg_desk, monkeypatch, sample()).number for _ in range(2)]
    assert numbers == ["TS-20261123-0999", "TS-20261123-1000", "TS-20261123-9999",
                       "TS-20261123-10000"]
    for number in numbers:
        row = _row(pg_desk, number)
        assert _search(pg_desk, row["id"]) == search_row(indexed_fields(row), True)
    queue = open_queue(pg_desk, QueueFilter(search="10000"))
    assert [r.number for r in queue.page(0, 10)] == ["TS-20261123-10000"]
    assert pg_desk.store.verify_audit_trail().ok


def test_an_account_stopped_while_the_registration_waits_for_the_lock_is_refused(
        pg_desk, pg_url) -> None:
    """What the message reads, it reads after the writers' lock: a clerk stopped by
    the holder of the lock is refused, and nothing is written."""
    holder = _admin(pg_url)
    holder.execute("BEGIN")
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    holder.execute("UPDATE staff SET active = false WHERE login = 'counter1'")
    before = _counts(pg_desk)
    outcome: list[object] = []

    def register() -> None:
        try:
            outcome.append(complaints.register_complaint(pg_desk, "counter1", sample()))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcome.append(exc)

    clerk = threading.Thread(target=register)
    clerk.start()
    time.sleep(0.5)
    assert not outcome  # waiting for the lock
    holder.execute("COMMIT")
    holder.close()
    clerk.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], PermissionDenied), outcome
    assert _counts(pg_desk) == before


def test_the_message_is_prepared_once_a_connection_whatever_the_values(pg_desk, monkeypatch) -> None:
    """Its parameters keep one type (3 would go as smallint, 40000 as integer, None
    as unknown): a second prepared copy would be planned under the lock."""
    for quantity in (3, 40000, None, 5, 70000, None, 0):
        _at_once(pg_desk, monkeypatch, sample(quantity=quantity))
    with pg_desk.store.engine.connect() as one, pg_desk.store.engine.connect() as other:
        counts = [c.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements WHERE "
                                    "statement LIKE '%%daily_counter%%'").scalar() for c in (one, other)]
    assert max(counts) == 1, counts


def test_writers_queue_under_a_repeatable_read_default(pg_url, monkeypatch) -> None:
    """A database (or role) whose default isolation is REPEATABLE READ: writers
    queued on the writers' lock would fail with a serialization error; both
    ways of registering still number without a gap and chain soundly."""
    from sqlalchemy.engine import make_url

    from complaintdesk.process import staffing
    from complaintdesk.process.desk import open_desk
    from tests.store.test_postgres_store import CONFIG, NOW

    with _admin(pg_url) as conn:
        conn.execute(f"ALTER DATABASE {make_url(pg_url).database} "
                     "SET default_transaction_isolation = 'repeatable read'")
    desks = [open_desk(pg_url, config=CONFIG, clock=lambda: NOW) for _ in range(2)]
    staffing.sign_in(desks[0], "admin1", "管理员")
    staffing.add_staff(desks[0], "admin1", "counter1", "柜台小王", "counter")
    monkeypatch.setattr(desks[1].store, "register_at_once", lambda registration: None)
    failures: list[BaseException] = []

    def clerk(desk) -> None:  # type: ignore[no-untyped-def]
        for i in range(10):
            try:
                complaints.register_complaint(desk, "counter1", sample(contact=f"1391111{i:04d}"))
            except Exception as exc:  # noqa: BLE001 - the test counts them
                failures.append(exc)

    threads = [threading.Thread(target=clerk, args=(desks[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert failures == []
        numbers = sorted(n for (n,) in sql_rows(desks[0], "SELECT number FROM complaint"))
        assert numbers == [f"TS-20261123-{i:04d}" for i in range(1, 41)]
        assert desks[0].store.verify_audit_trail().ok
    finally:
        for desk in desks:
            desk.close()
