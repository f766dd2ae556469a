"""QueueFilter.admits (what a console judges from a change without asking the
database) says the same as the queue's SQL (store/keyset_queue.where_filter), on
every backend: complaints at every status, of every priority, in two
departments, paused and overdue, under several hundred filters."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from sqlmodel import select

from complaintdesk.domain.enums import Priority, Status
from complaintdesk.process import pauses
from complaintdesk.process import workflow as wf
from complaintdesk.process.queue import QueueFilter, open_queue
from complaintdesk.store.models import Complaint
from tests.process.test_core_revisits import clock, people  # noqa: F401 - fixtures
from tests.process.test_core_workflow import NOW, drive_to


def test_admits_says_what_the_queue_sql_says(people, clock):  # noqa: F811
    numbers = []
    other = drive_to(people, Status.REGISTERED, priority="major")
    wf.judge_ours(people, "counter1", other, department="production", customer_told=True)
    wf.dispatch(people, "sup1", other, handler="hp")  # production's handler
    paused = drive_to(people, Status.DRAFTING)
    numbers += [other, paused]
    for index, status in enumerate(Status):
        priority = list(Priority)[index % 3].value
        numbers.append(drive_to(people, status, priority=priority))
    clock.now = NOW + timedelta(days=8)  # before its deadline: it may pause
    pauses.pause(people, "counter1", paused, reason="等客户补交发票")
    clock.now = NOW + timedelta(days=33)  # those are past every deadline now; these not
    for index, status in enumerate(Status):  # another customer's (one of the same would
        # resume the paused clock: the customer is in touch again)
        numbers.append(drive_to(people, status, priority=list(Priority)[(index + 1) % 3].value,
                                contact="13900009999"))

    with people.store.read() as session:
        complaints = session.exec(select(Complaint)).all()
        for c in complaints:
            session.expunge(c)
    assert {c.number for c in complaints} == set(numbers)
    now = people.now()
    assert any(c.due_at is not None and c.due_at < now for c in complaints)  # overdue ones
    assert any(c.paused_at is not None and c.due_at < now for c in complaints)
    assert any(c.due_at is not None and c.due_at > now for c in complaints)

    options = itertools.product(
        [None, *(s.value for s in Status)], [None, *(p.value for p in Priority)],
        [None, "quality", "production"], [None, "counter1", "hq", "hp"], [None, "quality"],
        [False, True], [False, True])
    filters = [QueueFilter(status=s, priority=p, department=d, mine=m, mine_department=md,
                           overdue_only=o, include_closed=c)
               for s, p, d, m, md, o, c in options if md is None or m is not None]
    chosen = random.Random(20261203).sample(filters, 400)
    matched = 0
    for queue_filter in chosen:
        judged = {c.number for c in complaints if queue_filter.admits(c, now)}
        stored = {row.number for row in open_queue(people, queue_filter).rows_of(numbers)}
        assert judged == stored, queue_filter
        matched += bool(stored)
    assert matched > 50  # the filters were not all empty ones
    assert QueueFilter(search="退款").admits(complaints[0], now) is None
