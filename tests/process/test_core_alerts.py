"""Alerts: amber, red, revisits due and new 重大 complaints, to the person
responsible and the supervisors, each once — also when two runs race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.helpers import location
from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.errors import PermissionDenied
from complaintdesk.process import workflow as wf
from complaintdesk.process.alerts import digests, give_alerts, staff_names
from complaintdesk.process.desk import open_desk

from tests.process.test_core_revisits import clock, people  # noqa: F401 - fixtures
from tests.process.test_core_workflow import NOW, drive_to
from tests.process.test_core_workflow import S


def _kinds(alerts):  # type: ignore[no-untyped-def]
    return {(a.kind, a.number, r) for a in alerts for r in a.recipients}


def test_amber_then_red_then_a_new_deadline_each_once(people, clock):  # noqa: F811
    number = drive_to(people, S.REGISTERED)  # 一般: first response due in 48 h
    assert give_alerts(people, "admin1") == []
    clock.now = NOW + timedelta(hours=37)  # 77 % of 48 h used: amber
    amber = give_alerts(people, "admin1")
    assert _kinds(amber) == {("at-risk", number, who) for who in ("counter1", "sup1", "sup2")}
    assert give_alerts(people, "admin1") == []  # given once
    clock.now = NOW + timedelta(hours=49)
    red = give_alerts(people, "admin1")
    assert {a.kind for a in red} == {"overdue"} and red[0].recipients == ("counter1", "sup1", "sup2")
    assert give_alerts(people, "admin1") == []
    # Judged and dispatched: a new deadline, the handler responsible now.
    wf.judge_ours(people, "counter1", number, department="quality", customer_told=True,
                  handling_due=(clock.now + timedelta(hours=10)).isoformat())
    wf.dispatch(people, "sup1", number, handler="hq")
    clock.now += timedelta(hours=9)
    again = give_alerts(people, "admin1")
    assert _kinds(again) == {("at-risk", number, who) for who in ("hq", "sup1", "sup2")}


def test_a_revisit_falling_due_and_a_new_major_complaint(people, clock):  # noqa: F811
    revisit = drive_to(people, S.REVISIT)
    major = drive_to(people, S.REGISTERED, priority="major")
    clock.now = NOW + timedelta(days=6, hours=12)  # the revisit is due within a day
    alerts = give_alerts(people, "admin1")
    kinds = {(a.kind, a.number) for a in alerts}
    assert ("revisit", revisit) in kinds and ("major", major) in kinds
    texts = digests(alerts, staff_names(people))
    assert set(texts) >= {"counter1", "sup1", "sup2"}
    assert "[回访到期]" in texts["sup1"] and "[新的重大投诉]" in texts["sup1"]
    assert texts["sup1"].startswith("主管甲（sup1）：")


def test_a_dry_run_remembers_nothing_and_only_admins_give_alerts(people, clock):  # noqa: F811
    drive_to(people, S.REGISTERED, priority="major")
    first = give_alerts(people, "admin1", remember=False)
    assert first and give_alerts(people, "admin1", remember=False) == first
    for who in ("counter1", "sup1", "hq"):
        with pytest.raises(PermissionDenied):
            give_alerts(people, who)
    assert give_alerts(people, None)  # root, for cron in service mode


def test_two_runs_at_once_give_each_alert_once(people, clock):  # noqa: F811
    for _ in range(5):
        drive_to(people, S.REGISTERED, priority="major")
    other = open_desk(location(people), config=DeskConfig(timezone_name="Asia/Shanghai"),
                      clock=clock)
    results: list[list] = [[], []]

    def run(i: int, desk) -> None:  # type: ignore[no-untyped-def]
        results[i] = give_alerts(desk, "admin1")

    try:
        threads = [threading.Thread(target=run, args=(0, people)),
                   threading.Thread(target=run, args=(1, other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    given = [(a.number, r) for batch in results for a in batch for r in a.recipients]
    assert len(given) == len(set(given)) == 5 * 3  # five complaints, counter1 + two supervisors


def test_a_console_header_knows_when_the_next_of_its_persons_clocks_turns(desk, admin):
    """deadline_watch_of: the states now, and the moment the next clock turns amber
    or red within the look-ahead; just before it nothing has turned, just after it
    has (the header counts again then instead of every minute)."""
    from dataclasses import replace

    from complaintdesk.process.alerts import deadline_states_of, deadline_watch_of
    from tests.helpers import register

    made = register(desk, admin.login)
    states, turn = deadline_watch_of(desk, admin.login, timedelta(days=30))
    assert states == {} and turn is not None and turn > desk.now()
    before = replace(desk, clock=lambda: turn - timedelta(seconds=1))
    after = replace(desk, clock=lambda: turn + timedelta(seconds=1))
    assert made.number not in deadline_states_of(before, admin.login)
    assert deadline_states_of(after, admin.login).get(made.number) in ("at-risk", "overdue")
    # Nothing turns within a minute of a fresh registration; another person has none.
    assert deadline_watch_of(desk, admin.login, timedelta(minutes=1)) == ({}, None)
    assert deadline_watch_of(desk, "nobody", timedelta(days=30)) == ({}, None)
