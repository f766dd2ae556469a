"""The priority queue: order, deadlines, paging, position, filters; deadline
states; noticing other processes' commits (core, no screens)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlmodel import select

from tests.helpers import backend, sql_rows, sql_run, location
from complaintdesk.process import staffing
from complaintdesk.process import watch
from complaintdesk.domain.enums import Priority
from complaintdesk.store.models import Complaint
from complaintdesk.process.queue import QueueFilter, QueueReader, open_queue
from complaintdesk.store.keyset_queue import KeysetQueue
from complaintdesk.domain.timing import deadline_state
from tests.helpers import register

SHANGHAI = ZoneInfo("Asia/Shanghai")
RANK = {"urgent": 0, "major": 1, "general": 2}
PRIORITIES = ("general", "urgent", "major")


def execute(desk, statement: str, **params: object) -> None:
    """Change test data behind the core's back, as another tool would."""
    sql_run(desk, statement, **params)


def close_complaint(desk, number: str) -> None:
    """What closing does to the queue's columns (revisits._close: closed, and no
    deadline any more), through the ORM, whose flush hook keeps the open-only search
    index. The workflow's way to closed is a long one (test_core_revisits)."""
    with desk.store.write() as session:
        c = session.exec(select(Complaint).where(Complaint.number == number)).one()
        c.closed, c.due_at = True, None
        session.add(c)


def all_rows(queue: QueueReader, size: int = 10, keyset: bool = False) -> list:
    """Every row of ``queue`` fetched page by page."""
    rows: list = []
    after = None
    while True:
        page = queue.page(len(rows), size, after=after if keyset else None)
        assert len(page) <= size
        rows.extend(page)
        assert len(rows) <= 1000, "paging does not advance"
        if len(page) < size:
            return rows
        after = page[-1].sort_key


def numbers(rows) -> list[str]:
    return [row.number for row in rows]


def local(frozen_now, hours: float = 0, minutes: int = 0) -> str:
    """A receiving time relative to the frozen clock, as the form would send it."""
    return (frozen_now + timedelta(hours=hours, minutes=minutes)).isoformat()


# ----------------------------------------------------------------- order

@pytest.fixture
def many(desk, admin, frozen_now):
    """57 open complaints: mixed priorities, receiving times repeating so that
    several share a deadline (the id then decides), registered out of order."""
    made = []
    for i in range(57):
        priority = PRIORITIES[i % 3]
        received = local(frozen_now, hours=-(i % 5) * 3, minutes=-(i % 2) * 30)
        made.append(register(desk, admin.login, priority=priority, received_at=received,
                             contact=f"1390000{i:04d}"))
    return made


def expected_order(complaints) -> list[str]:
    return [c.number for c in sorted(complaints, key=lambda c: (RANK[c.priority], c.due_at, c.id))]


def closed_order(complaints, closed: list[str]) -> list[str]:
    """Closed complaints have no deadline: they follow the open ones by priority, then id."""
    return [c.number for c in sorted((c for c in complaints if c.number in closed),
                                     key=lambda c: (RANK[c.priority], c.id))]


def test_queue_orders_by_priority_then_deadline_then_id(desk, many):
    rows = open_queue(desk).page(0, 100)
    expected = expected_order(many)
    assert numbers(rows) == expected
    # The fixture really exercises every tie-breaker.
    assert expected != [c.number for c in sorted(many, key=lambda c: c.id)]
    dues = [(c.priority, c.due_at) for c in many]
    assert len(set(dues)) < len(dues), "some complaints should share a deadline"
    ranks = [Priority(r.priority).rank for r in rows]
    assert ranks == sorted(ranks)
    assert [r.priority for r in rows[:19]] == ["urgent"] * 19
    assert [r.priority for r in rows[-19:]] == ["general"] * 19
    for first, second in zip(rows, rows[1:]):
        assert first.sort_key < second.sort_key


def test_equal_deadlines_are_ordered_by_id(desk, admin, frozen_now):
    same = local(frozen_now, hours=-1)
    made = [register(desk, admin.login, priority="major", received_at=same) for _ in range(4)]
    assert len({c.due_at for c in made}) == 1
    assert numbers(open_queue(desk).page(0, 10)) == [c.number for c in made]


def test_urgent_registered_last_comes_first(desk, admin, frozen_now):
    general = register(desk, admin.login, priority="general", received_at=local(frozen_now, hours=-100))
    major = register(desk, admin.login, priority="major", received_at=local(frozen_now, hours=-30))
    urgent = register(desk, admin.login, priority="urgent")
    # The general one is long overdue, yet urgency comes first.
    assert general.due_at < major.due_at < urgent.due_at
    assert numbers(open_queue(desk).page(0, 10)) == [urgent.number, major.number, general.number]


@pytest.mark.parametrize(("priority", "hours"), [("urgent", 2), ("major", 24), ("general", 48)])
def test_due_at_is_the_first_response_deadline(desk, admin, frozen_now, priority, hours):
    received = frozen_now - timedelta(minutes=90)
    complaint = register(desk, admin.login, priority=priority, received_at=received.isoformat())
    [row] = open_queue(desk).page(0, 10)
    assert row.due_at == received + timedelta(hours=hours)
    assert row.due_at == complaint.first_response_due
    assert row.due_at < complaint.resolution_due
    assert row.received_at == received
    assert row.closed is False


def test_closed_complaints_only_with_include_closed_and_after_open(desk, many):
    expected = expected_order(many)
    closed = [expected[0], expected[20], expected[-1]]
    for number in closed:
        close_complaint(desk, number)
    open_rows = open_queue(desk).page(0, 100)
    assert numbers(open_rows) == [n for n in expected if n not in closed]
    assert open_queue(desk).count() == 54

    everything = open_queue(desk, QueueFilter(include_closed=True))
    rows = everything.page(0, 100)
    assert numbers(rows) == [n for n in expected if n not in closed] + closed_order(many, closed)
    assert [r.closed for r in rows[-3:]] == [True, True, True]
    assert everything.count() == 57


# ----------------------------------------------------------------- paging

def test_offset_and_keyset_pages_agree(desk, many):
    queue = open_queue(desk)
    by_offset = [queue.page(offset, 10) for offset in range(0, 60, 10)]
    assert [len(p) for p in by_offset] == [10, 10, 10, 10, 10, 7]

    by_key = []
    after = None
    for offset in range(0, 60, 10):
        page = queue.page(offset, 10, after=after)
        by_key.append(page)
        if page:
            after = page[-1].sort_key
    assert by_key == by_offset
    flat = [row for page in by_key for row in page]
    assert numbers(flat) == expected_order(many)
    assert len(set(numbers(flat))) == 57
    assert queue.page(60, 10) == []
    assert queue.page(57, 10, after=flat[-1].sort_key) == []


@pytest.mark.parametrize("size", [1, 7, 10, 56, 57, 100])
def test_page_sizes(desk, many, size):
    queue = open_queue(desk)
    assert numbers(all_rows(queue, size)) == expected_order(many)
    assert numbers(all_rows(queue, size, keyset=True)) == expected_order(many)


def _count_halves(monkeypatch, halves: bool) -> None:
    """Count a search with closed complaints too by its halves, or all then open,
    on every backend (each picks one; both must give the same rows)."""
    from complaintdesk.store.postgres.queue import Queue as PostgresQueue
    from complaintdesk.store.sqlite.queue import Queue as SqliteQueue

    for queue in (SqliteQueue, PostgresQueue):
        monkeypatch.setattr(queue, "COUNT_HALVES", halves)


@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize(("search", "few"), [("", 3000), ("1390000", 3000), ("1390000", 0)])
def test_keyset_paging_across_the_closed_boundary(desk, many, monkeypatch, search, few, halves):
    """Closed complaints have no deadline (NULL), of every priority here: paging by
    key must neither drop the rest of a priority nor stop at its end. A search with
    closed complaints too reads its open and closed halves apart (every contact
    matches 1390000), whether it sorts its few matches or walks the queue index."""
    monkeypatch.setattr("complaintdesk.store.sqlite.queue.FEW_MATCHES", few)
    monkeypatch.setattr("complaintdesk.store.postgres.queue.FEW_MATCHES", few)
    _count_halves(monkeypatch, halves)
    expected = expected_order(many)
    closed = expected[3:9] + expected[30:33] + expected[-2:]
    for number in closed:
        close_complaint(desk, number)
    queue = open_queue(desk, QueueFilter(include_closed=True, search=search))
    assert queue.count() == 57
    want = [n for n in expected if n not in closed] + closed_order(many, closed)
    assert numbers(all_rows(queue, 10)) == want
    assert numbers(all_rows(queue, 10, keyset=True)) == want
    assert numbers(all_rows(queue, 4, keyset=True)) == want
    for size in (4, 10):  # backwards from the end, a page at a time, by key
        back = queue.page_from_end(0, size)
        while earlier := queue.page_before(back[0].sort_key, size):
            back = earlier + back
        assert numbers(back) == want
    assert [queue.position(number) for number in want] == list(range(len(want)))


def test_position_is_the_index_in_the_full_list(desk, many):
    queue = open_queue(desk)
    full = numbers(all_rows(queue))
    for index, number in enumerate(full):
        assert queue.position(number) == index
    assert queue.position("TS-19990101-0001") is None


def test_position_is_none_when_the_filter_hides_the_complaint(desk, many):
    expected = expected_order(many)
    urgent = open_queue(desk, QueueFilter(priority="urgent"))
    general = [c.number for c in many if c.priority == "general"]
    assert urgent.position(general[0]) is None
    urgent_numbers = numbers(all_rows(urgent))
    assert urgent.position(urgent_numbers[-1]) == len(urgent_numbers) - 1

    close_complaint(desk, expected[5])
    assert open_queue(desk).position(expected[5]) is None
    assert open_queue(desk).position(expected[6]) == 5
    with_closed = open_queue(desk, QueueFilter(include_closed=True))
    assert with_closed.position(expected[5]) == 56
    assert with_closed.position(expected[6]) == 5


# ----------------------------------------------------------------- filters

@pytest.fixture
def office(desk, admin, counter, frozen_now):
    """Six complaints with departments, handlers, deadlines past and future.

    ``c1`` is due at 11:00 Shanghai (03:00 UTC), an hour after the frozen 10:00:
    not overdue, whichever way the times are compared.
    """
    staffing.add_staff(desk, admin.login, "handler1", "处理员小李", "handler", department="quality")
    staffing.add_staff(desk, admin.login, "handler2", "处理员小赵", "handler", department="production")
    spec = {
        # name: (receiver, priority, hours before now, department, handler)
        "c1": (counter, "urgent", 1, "quality", "handler1"),      # due in 1 h
        "c2": (counter, "major", 30, "production", "handler2"),   # overdue 6 h
        "c3": (admin.login, "general", 50, "quality", None),      # overdue 2 h
        "c4": (admin.login, "general", 1, None, None),            # due in 47 h
        "c5": (admin.login, "urgent", 3, "service", None),        # overdue 1 h, closed
        "c6": (counter, "major", 1, "quality", "handler2"),       # due in 23 h
    }
    made = {}
    for name, (who, priority, hours, department, handler) in spec.items():
        complaint = register(desk, who, priority=priority,
                             received_at=local(frozen_now, hours=-hours))
        execute(desk, "UPDATE complaint SET department = :d, handler = :h WHERE id = :i",
                d=department, h=handler, i=complaint.id)
        made[name] = complaint.number
    close_complaint(desk, made["c5"])
    return made


def shown(desk, office, **f) -> list[str]:
    """The fixture names the filtered queue shows, in queue order; checks count()
    and keyset paging agree with it."""
    queue = open_queue(desk, QueueFilter(**f))
    rows = all_rows(queue, 2)
    assert queue.count() == len(rows)
    assert numbers(all_rows(queue, 2, keyset=True)) == numbers(rows)
    names = {number: name for name, number in office.items()}
    return [names[row.number] for row in rows]


def test_default_filter_shows_open_complaints(desk, office):
    assert shown(desk, office) == ["c1", "c2", "c6", "c3", "c4"]
    assert shown(desk, office, include_closed=True) == ["c1", "c2", "c6", "c3", "c4", "c5"]


def test_filter_by_priority(desk, office):
    assert shown(desk, office, priority="urgent") == ["c1"]
    assert shown(desk, office, priority="urgent", include_closed=True) == ["c1", "c5"]
    assert shown(desk, office, priority="major") == ["c2", "c6"]
    assert shown(desk, office, priority="general") == ["c3", "c4"]


def test_filter_by_status(desk, office):
    assert shown(desk, office, status="registered") == ["c1", "c2", "c6", "c3", "c4"]
    assert shown(desk, office, status="resolved") == []


def test_filter_by_department(desk, office):
    assert shown(desk, office, department="quality") == ["c1", "c6", "c3"]
    assert shown(desk, office, department="service") == []
    assert shown(desk, office, department="service", include_closed=True) == ["c5"]
    assert shown(desk, office, department="rnd") == []


def test_filter_mine(desk, office, counter):
    # Received by the counter clerk.
    assert shown(desk, office, mine=counter) == ["c1", "c2", "c6"]
    # Assigned to the handler...
    assert shown(desk, office, mine="handler1") == ["c1"]
    assert shown(desk, office, mine="handler2") == ["c2", "c6"]
    # ...or in the handler's department.
    assert shown(desk, office, mine="handler1", mine_department="quality") == ["c1", "c6", "c3"]
    assert shown(desk, office, mine="handler2", mine_department="production") == ["c2", "c6"]
    assert shown(desk, office, mine="nobody") == []
    # mine_department alone does not filter.
    assert shown(desk, office, mine_department="quality") == ["c1", "c2", "c6", "c3", "c4"]


def test_filter_overdue_only(desk, office):
    assert shown(desk, office, overdue_only=True) == ["c2", "c3"]
    # c5 was overdue when it was closed; closed, it has no deadline to miss.
    assert shown(desk, office, overdue_only=True, include_closed=True) == ["c2", "c3"]


def test_overdue_is_strictly_past_the_deadline(desk, admin, frozen_now):
    exactly = register(desk, admin.login, priority="urgent", received_at=local(frozen_now, hours=-2))
    past = register(desk, admin.login, priority="urgent",
                    received_at=local(frozen_now, hours=-2, minutes=-1))
    assert exactly.due_at == frozen_now
    assert numbers(open_queue(desk, QueueFilter(overdue_only=True)).page(0, 10)) == [past.number]


def test_filter_combinations(desk, office, counter):
    assert shown(desk, office, overdue_only=True, department="quality") == ["c3"]
    assert shown(desk, office, priority="major", mine=counter, overdue_only=True) == ["c2"]
    assert shown(desk, office, priority="major", mine="handler2") == ["c2", "c6"]
    assert shown(desk, office, department="quality", priority="urgent") == ["c1"]
    assert shown(desk, office, department="quality", priority="general",
                 mine="handler1", mine_department="quality") == ["c3"]
    assert shown(desk, office, department="production", overdue_only=True,
                 status="registered") == ["c2"]
    assert shown(desk, office, department="quality", priority="major", overdue_only=True) == []
    assert shown(desk, office, department="quality", search="玻璃杯") == ["c1", "c6", "c3"]
    assert shown(desk, office, priority="urgent", search="华联", include_closed=True) == ["c1", "c5"]


def test_rows_carry_what_the_screen_shows(desk, office):
    rows = {row.number: row for row in open_queue(desk, QueueFilter(include_closed=True)).page(0, 10)}
    c1 = rows[office["c1"]]
    assert (c1.department, c1.handler_name, c1.customer_name) == ("quality", "处理员小李", "北京华联超市")
    assert c1.contact == "13812345678" and c1.category == "product"
    assert rows[office["c3"]].handler_name is None
    assert rows[office["c2"]].escalated is True  # 重大 is escalated on registration
    assert rows[office["c1"]].escalated is False
    assert rows[office["c5"]].closed is True


def test_filter_changes_with_with_(desk, office):
    base = QueueFilter(priority="major")
    assert base.with_(priority="general").priority == "general"
    assert base.priority == "major"
    assert shown(desk, office, **vars(base.with_(overdue_only=True))) == ["c2"]


# ----------------------------------------------------------------- deadline states

@pytest.fixture
def window():
    start = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)
    return start, start + timedelta(hours=4)


def test_overdue_at_and_after_the_deadline(window):
    start, due = window
    assert deadline_state(start, due, due, 0.75) == "overdue"
    assert deadline_state(start, due, due + timedelta(seconds=1), 0.75) == "overdue"
    assert deadline_state(start, due, due + timedelta(days=30), 0.75) == "overdue"
    assert deadline_state(start, due, due - timedelta(seconds=1), 0.75) == "at-risk"


def test_at_risk_from_exactly_the_fraction_used(window):
    start, due = window
    assert deadline_state(start, due, start + timedelta(hours=3), 0.75) == "at-risk"
    assert deadline_state(start, due, start + timedelta(hours=3, seconds=-1), 0.75) == ""
    assert deadline_state(start, due, start, 0.75) == ""
    assert deadline_state(start, due, start - timedelta(hours=1), 0.75) == ""
    # The threshold is configurable.
    assert deadline_state(start, due, start + timedelta(hours=2), 0.5) == "at-risk"
    assert deadline_state(start, due, start + timedelta(hours=2), 0.75) == ""


def test_deadline_state_across_time_zones(window):
    start, due = window
    utc = ZoneInfo("UTC")
    assert deadline_state(start.astimezone(utc), due, (start + timedelta(hours=3)).astimezone(utc),
                          0.75) == "at-risk"
    assert deadline_state(start, due.astimezone(utc), due.astimezone(utc), 0.75) == "overdue"


def test_zero_length_window(window):
    start, _ = window
    assert deadline_state(start, start, start - timedelta(minutes=1), 0.75) == "at-risk"
    assert deadline_state(start, start, start, 0.75) == "overdue"
    assert deadline_state(start, start, start + timedelta(minutes=1), 0.75) == "overdue"


# ----------------------------------------------------------------- other processes

OTHER_PROCESS = textwrap.dedent("""
    import sys
    from complaintdesk.process import complaints
    from complaintdesk.process import staffing
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk

    desk = open_desk(sys.argv[1], config=DeskConfig(timezone_name="Asia/Shanghai"))
    actor = staffing.sign_in(desk, sys.argv[2])
    complaint = complaints.register_complaint(desk, actor.login, {
        "customer_name": "远方客户", "contact": "13700001111", "channel": "phone",
        "event": "另一个终端登记的投诉", "demand": "尽快回电", "category": "service",
        "priority": sys.argv[3],
    })
    print(complaint.number)
    desk.close()
""")


def register_elsewhere(desk, login: str, priority: str) -> str:
    """Register a complaint from another process on the same file; its number."""
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(location(desk)), login, priority],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_watcher_notices_a_commit_from_another_process(desk, admin):
    watcher = watch.watch_changes(desk)
    try:
        assert watcher.changed() is False
        number = register_elsewhere(desk, admin.login, "urgent")
        assert number.startswith("TS-")
        assert watcher.changed() is True
        assert watcher.changed() is False
        assert open_queue(desk).position(number) == 0
    finally:
        watcher.close()


def test_watcher_notices_a_commit_in_this_process_too(desk, admin):
    watcher = watch.watch_changes(desk)
    try:
        assert watcher.changed() is False
        open_queue(desk).count()  # reading is not a change
        assert watcher.changed() is False
        register(desk, admin.login)
        assert watcher.changed() is True
        assert watcher.changed() is False
    finally:
        watcher.close()


def test_new_urgent_since(desk, admin):
    assert watch.last_complaint_id(desk) == 0
    assert watch.new_urgent_since(desk, 0) == ([], 0, 0)
    old = register(desk, admin.login, priority="urgent")
    mark = watch.last_complaint_id(desk)
    assert mark == old.id

    general = register(desk, admin.login, priority="general")
    urgent = register(desk, admin.login, priority="urgent", customer_name="急客户")
    major = register(desk, admin.login, priority="major")
    elsewhere = register_elsewhere(desk, admin.login, "urgent")
    last = register(desk, admin.login, priority="general")

    found, count, newest = watch.new_urgent_since(desk, mark)
    assert found == [(urgent.number, "急客户"), (elsewhere, "远方客户")] and count == 2
    assert old.number not in [n for n, _ in found]
    assert general.number not in [n for n, _ in found] and major.number not in [n for n, _ in found]
    assert newest == last.id == watch.last_complaint_id(desk)
    # Nothing new since: nothing reported, the mark stays.
    assert watch.new_urgent_since(desk, newest) == ([], 0, newest)
    # Many at once (a bulk load): the first few, and how many in all.
    more = [register(desk, admin.login, priority="urgent", customer_name=f"客户{i}").number
            for i in range(5)]
    found, count, newest = watch.new_urgent_since(desk, newest, limit=3)
    assert [n for n, _ in found] == more[:3] and count == 5
    assert newest == watch.last_complaint_id(desk)


def test_a_closed_complaint_leaves_the_open_search_index(desk, counter):
    """The default queue searches an index of open complaints only; closing takes a
    complaint out of it in the same transaction, and "closed too" still finds it."""
    number = register(desk, counter, event="包装里有一只独角兽玩偶").number
    for term in ("独角兽", "玩偶"):
        assert open_queue(desk, QueueFilter(search=term)).count() == 1
    close_complaint(desk, number)
    for term in ("独角兽", "玩偶"):
        queue = open_queue(desk, QueueFilter(search=term))
        assert (queue.count(), queue.page(0, 10)) == (0, [])
        closed_too = open_queue(desk, QueueFilter(search=term, include_closed=True))
        assert closed_too.count() == 1
        assert [r.number for r in closed_too.page(0, 10)] == [number]
    if backend(desk) == "postgresql":  # the index row says it is closed
        assert sql_rows(desk, "SELECT s.open FROM complaint_search s JOIN complaint c "
                        "ON c.id = s.complaint_id WHERE c.number = :n", n=number) == [(False,)]
        return
    conn = sqlite3.connect(desk.store.path)
    try:
        for table, term in (("complaint_fts3_open", "独角兽"), ("complaint_fts2_open", "玩偶")):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                                (f'"{term}"',)).fetchone() == (0,)
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_search_count_stops_at_the_cap(desk, counter, monkeypatch):
    """A search counts at most SEARCH_CAP matches and says it stopped there."""
    from complaintdesk.process.queue import open_queue, QueueFilter

    from tests.helpers import register

    monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", 3)
    for _ in range(4):
        register(desk, counter, event="快递破损")
    register(desk, counter, event="别的事")
    capped = open_queue(desk, QueueFilter(search="破损"))
    assert capped.count() == 3 and capped.capped
    assert len(capped.page(0, 10)) == 4  # paging itself is not capped
    exact = open_queue(desk, QueueFilter(search="别的"))
    assert exact.count() == 1 and not exact.capped
    unfiltered = open_queue(desk)
    assert unfiltered.count() == 5 and not unfiltered.capped


def test_a_capped_search_ends_at_its_cap_not_at_the_true_end(desk, many, monkeypatch):
    """The console shows a search's first SEARCH_CAP rows. Its last page must be rows
    cap-n .. cap of the search order, not the last rows of every match (which the
    count-from-the-end shortcut would give)."""
    from screens.worklist.rows import QueueSource

    monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", 20)
    source = QueueSource(desk, QueueFilter(search="1390000"))  # all 57 contacts match
    assert source.count() == 20 and source.queue.capped
    every = [r.number for r in open_queue(desk, QueueFilter(search="1390000")).page(0, 57)]
    assert [r.key for r in source.fetch(15, 5)] == every[15:20]


@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize("cap", [20, 30, 60])
def test_a_search_with_closed_too_is_capped_across_its_halves(desk, many, monkeypatch, cap, halves):
    """Open matches under the cap, open and closed together over it (cap 20, 30), or
    everything under it (cap 60): the count stops at the cap or is exact, and the
    rows run from the open ones into the closed ones in the queue order."""
    monkeypatch.setattr(KeysetQueue, "SEARCH_CAP", cap)
    _count_halves(monkeypatch, halves)
    expected = expected_order(many)
    closed = expected[:30]
    for number in closed:
        close_complaint(desk, number)
    want = [n for n in expected if n not in closed] + closed_order(many, closed)
    queue = open_queue(desk, QueueFilter(include_closed=True, search="1390000"))
    assert queue.count() == min(cap, 57) and queue.capped == (cap < 57)
    assert numbers(all_rows(queue, 10))[:min(cap, 57)] == want[:min(cap, 57)]


def test_number_prefix_search_uses_the_number(desk, counter):
    from complaintdesk.process.queue import open_queue, QueueFilter

    from tests.helpers import register

    first = register(desk, counter)
    register(desk, counter, received_at="2026-11-20T09:00:00+08:00")
    assert [r.number for r in open_queue(desk, QueueFilter(search="ts-20261123")).page(0, 10)] == \
        [first.number]
    assert open_queue(desk, QueueFilter(search="TS-2026")).count() == 2


CLOSE_WHILE_POLLING = r"""
import sys, threading
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import Desk
from complaintdesk.store import open_store
from complaintdesk.process.watch import watch_changes

desk = Desk(open_store(sys.argv[1]), DeskConfig())
for _ in range(300):
    watcher = watch_changes(desk)
    stop = threading.Event()
    def poll():
        while not stop.is_set():
            watcher.changed()
    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    watcher.close()
    stop.set()
    for t in threads:
        t.join()
    assert watcher.changed() is False and watcher.closed
print("ok")
"""


def test_watcher_closed_while_another_thread_polls_does_not_crash(desk):
    """Closing the watcher while a worker thread is inside PRAGMA data_version must
    not crash the interpreter (it did, with a segfault, when a console quit mid-poll)."""
    done = subprocess.run([sys.executable, "-c", CLOSE_WHILE_POLLING, str(location(desk))],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "ok"


@settings(max_examples=80, deadline=None)
@given(typed=st.text(max_size=30))
def test_a_typed_number_resolves_or_is_refused_in_words(desk_with_numbers, typed):
    """``show``/``print`` take what a person types (any text, from the command
    line): a number it names, or a DomainError with a message — never a crash."""
    from complaintdesk.domain.errors import DomainError
    from complaintdesk.process.complaints import resolve_number

    desk, numbers = desk_with_numbers
    try:
        number = resolve_number(desk, typed)
    except DomainError as exc:
        assert exc.message
    else:
        assert number in numbers
        assert typed.strip().upper() in number


@pytest.fixture(scope="module")
def desk_with_numbers(tmp_path_factory):  # type: ignore[no-untyped-def]
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk

    desk = open_desk(tmp_path_factory.mktemp("numbers") / "n.db",
                     config=DeskConfig(timezone_name="Asia/Shanghai"))
    admin = staffing.sign_in(desk, "admin1", "管理员")
    numbers = {register(desk, admin.login, customer_name=f"客户{i}").number for i in range(3)}
    yield desk, numbers
    desk.close()
