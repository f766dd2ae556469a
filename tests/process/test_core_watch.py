"""What changed since a console last looked (store/changes.py through each
backend's watcher), and what a console makes of it (process/watch.py). Runs on
every backend of the axis."""

from __future__ import annotations

import threading
import time

from complaintdesk.process import staffing, watch
from complaintdesk.process.complaints import add_note, link_complaints
from complaintdesk.store.changes import MAX_CHANGED, ChangedComplaint, Changes, merged
from tests.helpers import register, sql_run


def _changes(watcher) -> Changes:  # type: ignore[no-untyped-def]
    changes = watcher.changes()
    assert changes is not None, "a commit went unnoticed"
    return changes


def test_a_registration_is_named_new_with_who_and_how_urgent(desk, admin, counter):
    watcher = watch.watch_changes(desk)
    try:
        assert watcher.changes() is None
        made = register(desk, counter, priority="urgent", customer_name="周女士")
        changes = _changes(watcher)
        assert not changes.everything and changes.numbers == {made.number}
        (seen,) = changes.new
        assert (seen.number, seen.priority, seen.received_by, seen.customer_name) == (
            made.number, "urgent", counter, "周女士")
        assert watcher.changes() is None  # told once
    finally:
        watcher.close()


def test_a_later_change_is_not_new_and_a_link_names_both(desk, admin, counter):
    first = register(desk, counter)
    second = register(desk, counter)
    watcher = watch.watch_changes(desk)
    try:
        add_note(desk, counter, first.number, "客户来电补充")
        changes = _changes(watcher)
        assert changes.numbers == {first.number} and changes.new == ()
        link_complaints(desk, counter, second.number, first.number)
        assert _changes(watcher).numbers == {first.number, second.number}
    finally:
        watcher.close()


def test_a_change_of_staff_means_everything_and_the_account_is_checked(desk, admin, counter):
    watcher = watch.watch_changes(desk)
    try:
        staffing.disable_staff(desk, admin.login, counter)
        changes = _changes(watcher)
        assert changes.everything and changes.complaints == ()
    finally:
        watcher.close()


def test_several_commits_between_looks_are_told_together(desk, admin, counter):
    watcher = watch.watch_changes(desk)
    try:
        made = [register(desk, counter) for _ in range(3)]
        add_note(desk, counter, made[0].number, "补充")
        changes = _changes(watcher)
        assert changes.numbers == {m.number for m in made}
        assert {c.number for c in changes.new} == {m.number for m in made}
    finally:
        watcher.close()


def test_more_than_a_screenful_of_complaints_at_once_is_everything(desk, admin, counter):
    watcher = watch.watch_changes(desk)
    try:
        for _ in range(MAX_CHANGED + 5):
            register(desk, counter)
        assert _changes(watcher).everything
        made = register(desk, counter)  # and the next look is precise again
        changes = _changes(watcher)
        assert not changes.everything and changes.numbers == {made.number}
        assert changes.new[0].number == made.number
    finally:
        watcher.close()


def test_a_commit_with_no_audit_event_means_everything(desk, admin, counter):
    made = register(desk, counter)
    watcher = watch.watch_changes(desk)
    try:
        sql_run(desk, "UPDATE complaint SET customer_name = '改名' WHERE number = :n",
                n=made.number)
        assert _changes(watcher).everything
    finally:
        watcher.close()


def test_urgent_news_from_changes_needs_no_query_and_skips_ones_own(desk, admin, counter):
    theirs = register(desk, admin.login, priority="urgent", customer_name="甲")
    mine = register(desk, counter, priority="urgent", customer_name="乙")
    plain = register(desk, admin.login, priority="general")
    changes = Changes(tuple(
        ChangedComplaint(c.id, c.number, c.priority, c.received_by, None, c.customer_name, True)
        for c in (theirs, mine, plain)))
    urgent, count, newest = watch.urgent_news(desk, changes, 0, not_by=counter)
    assert urgent == [(theirs.number, "甲")] and count == 1 and newest == plain.id
    # When the changes cannot say, the database does (same answer).
    assert watch.urgent_news(desk, Changes(everything=True), 0, not_by=counter) == (
        urgent, count, newest)


def test_concerns_the_person_who_registered_or_handles_or_is_counted():
    def changed(received_by: str, handler: str | None) -> Changes:
        return Changes((ChangedComplaint(1, "TS-1", "general", received_by, handler, "x", False),))

    assert watch.concerns(changed("wang", None), "wang", {})
    assert watch.concerns(changed("li", "wang"), "wang", {})
    assert not watch.concerns(changed("li", "zhao"), "wang", {})
    assert watch.concerns(changed("li", "zhao"), "wang", {"TS-1": "overdue"})
    assert watch.concerns(Changes(everything=True), "wang", {})


def test_merged_keeps_new_and_the_latest_state():
    a_new = ChangedComplaint(1, "TS-1", "general", "wang", None, "x", True)
    a_later = ChangedComplaint(1, "TS-1", "urgent", "wang", "li", "x", False)
    b = ChangedComplaint(2, "TS-2", "general", "wang", None, "y", False)
    both = merged([Changes((a_new,)), Changes((a_later, b))])
    assert both.complaints == (ChangedComplaint(1, "TS-1", "urgent", "wang", "li", "x", True), b)
    assert merged([Changes((b,)), Changes(everything=True)]).everything


def test_the_follower_delivers_in_its_own_thread_and_stops(desk, admin, counter):
    got: list[Changes] = []
    failures: list[Exception] = []
    arrived = threading.Event()

    def deliver(changes: Changes) -> None:
        got.append(changes)
        arrived.set()

    follower = watch.Follower(desk, deliver, failures.append, every=0.05)
    follower.start()
    try:
        deadline = time.monotonic() + 10
        while follower.watcher is None and time.monotonic() < deadline:
            time.sleep(0.01)
        made = register(desk, counter)
        assert arrived.wait(10)
        assert got[0].numbers == {made.number} and follower.first_complaint_id < made.id
    finally:
        follower.stop()
    follower._thread.join(5)
    assert not follower._thread.is_alive() and failures == []


def test_a_corrected_name_keeps_the_place_a_corrected_priority_moves(desk, admin, counter):
    from complaintdesk.process.corrections import correct_complaint

    made = register(desk, counter)
    staffing.add_staff(desk, admin.login, "sup9", "主管九", "supervisor")
    watcher = watch.watch_changes(desk)
    try:
        correct_complaint(desk, counter, made.number, {"customer_name": "改正的名字"}, "记错了")
        (seen,) = _changes(watcher).complaints
        assert seen.row_changed and not seen.moved and seen.customer_name == "改正的名字"
        correct_complaint(desk, "sup9", made.number, {"priority": "urgent"}, "其实很急")
        (seen,) = _changes(watcher).complaints
        assert seen.moved and seen.priority == "urgent"
        add_note(desk, counter, made.number, "备注")
        (seen,) = _changes(watcher).complaints
        assert not seen.row_changed and not seen.moved
    finally:
        watcher.close()


class _CountingWatcher:
    """A store's watcher, its looks counted."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.looks = 0

    def changes(self) -> Changes | None:
        self.looks += 1
        return self.inner.changes()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def _started(follower: watch.Follower) -> None:
    follower.start()
    deadline = time.monotonic() + 10
    while follower.watcher is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert follower.watcher is not None


def test_an_idle_follower_looks_only_when_someone_commits(desk, admin, counter, monkeypatch):
    """The follower waits on the backend's signal (LISTEN; inotify on the SQLite
    file's directory): with nothing committed it does not look at all (polling
    every 0.05 s would have looked about 20 times), and a commit is delivered at
    once, not at the end of its 30 s linger."""
    real = desk.store.watcher
    made_watchers: list[_CountingWatcher] = []

    def counting() -> _CountingWatcher:
        made_watchers.append(_CountingWatcher(real()))
        return made_watchers[-1]

    monkeypatch.setattr(desk.store, "watcher", counting)
    got: list[Changes] = []
    arrived = threading.Event()
    follower = watch.Follower(desk, lambda c: (got.append(c), arrived.set()),
                              lambda exc: None, every=0.05, linger=30)
    _started(follower)
    try:
        (watcher,) = made_watchers
        assert watcher.waits
        time.sleep(1.0)
        assert watcher.looks == 0
        started = time.monotonic()
        made = register(desk, counter)
        assert arrived.wait(10) and time.monotonic() - started < 5
        assert got[0].numbers == {made.number}
        assert watcher.looks <= 3  # the commit, and at most a look again mid-commit
    finally:
        follower.stop()
    follower._thread.join(5)
    assert not follower._thread.is_alive()


def test_stopping_a_follower_ends_its_wait_at_once(desk, admin):
    """stop() closes the watcher, whose alarm wakes the thread waiting on the
    signal: a console quits without waiting out the 30 s linger."""
    follower = watch.Follower(desk, lambda c: None, lambda exc: None, every=0.05, linger=30)
    _started(follower)
    time.sleep(0.2)  # in its wait
    started = time.monotonic()
    follower.stop()
    follower._thread.join(5)
    assert not follower._thread.is_alive() and time.monotonic() - started < 2
    assert follower.watcher is not None and follower.watcher.closed


def test_a_burst_of_commits_is_read_in_few_looks(desk, admin, counter):
    """Twenty commits in a burst: the follower looks at most once a pace (0.5 s
    here), so far fewer than twenty looks deliver all twenty complaints."""
    got: list[Changes] = []
    follower = watch.Follower(desk, got.append, lambda exc: None, every=0.5, linger=30)
    _started(follower)
    try:
        made = {register(desk, counter).number for _ in range(20)}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and set().union(*(c.numbers for c in got)) != made:
            time.sleep(0.05)
        assert set().union(*(c.numbers for c in got)) == made
        assert len(got) < 20
    finally:
        follower.stop()


def test_a_follower_whose_watcher_is_closed_under_it_ends(desk, admin):
    """A watcher closed by anything but stop() (its wait then returns at once)
    ends the follower's thread rather than leaving it looping on a dead wait."""
    follower = watch.Follower(desk, lambda c: None, lambda exc: None, every=0.05, linger=30)
    _started(follower)
    assert follower.watcher is not None
    follower.watcher.close()
    follower._thread.join(5)
    assert not follower._thread.is_alive()


def test_looks_stay_a_pace_apart_and_a_quiet_desk_is_read_within_one(desk, admin, counter,
                                                                   monkeypatch):
    """The pace and the spread are one sleep after the signal: a commit right
    after a look is read no sooner than a pace after that look (0.4 s here),
    and a commit after a quiet spell at once after its spread (none here), not a
    pace later: the pace has passed already."""
    real = desk.store.watcher
    looked: list[float] = []

    class Timed(_CountingWatcher):
        def changes(self):  # type: ignore[no-untyped-def]
            looked.append(time.monotonic())
            return super().changes()

    monkeypatch.setattr(desk.store, "watcher", lambda: Timed(real()))
    got: list[tuple[float, Changes]] = []
    follower = watch.Follower(desk, lambda c: got.append((time.monotonic(), c)),
                              lambda exc: None, every=0.4, linger=30)
    monkeypatch.setattr(follower._spread, "uniform", lambda low, high: 0.0)
    _started(follower)

    def delivered(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(got) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(got) >= count

    try:
        register(desk, counter)
        delivered(1)
        first = got[0][0]
        second = register(desk, counter)  # at once after the first look
        delivered(2)
        assert got[1][1].numbers == {second.number}
        assert got[1][0] - first >= 0.4 - 0.02
        assert all(b - a >= 0.4 - 0.02 for a, b in zip(looked, looked[1:]))
        time.sleep(1.0)  # quiet: the pace is long past
        quiet = time.monotonic()
        register(desk, counter)
        committed = time.monotonic()  # the signal came before this, at the commit
        delivered(3)
        # Looked at once, not a pace later. (On SQLite the signal can come with
        # the commit's first write to the WAL, before the commit is visible: that
        # look finds nothing and the next, a pace later, delivers it.)
        assert min(t for t in looked if t > quiet) - committed < 0.3
    finally:
        follower.stop()


def test_changes_that_may_wait_are_held_and_go_with_the_first_that_may_not(desk, admin,
                                                                          counter):
    """A follower's hold: general complaints may wait (up to hold_for), and go at
    once, merged, with the first change that may not (an urgent one); what waits
    with nothing after it goes when hold_for has passed; a hold that fails means
    at once, and the thread goes on."""
    got: list[tuple[float, Changes]] = []
    asked: list[Changes] = []

    def hold(changes: Changes) -> bool:
        asked.append(changes)
        if any(c.customer_name == "出错" for c in changes.complaints):
            raise RuntimeError("a judge that fails")
        return all(c.priority == "general" for c in changes.complaints)

    follower = watch.Follower(desk, lambda c: got.append((time.monotonic(), c)),
                              lambda exc: None, every=0.05, linger=30, hold=hold, hold_for=30)
    _started(follower)

    def delivered(count: int, within: float = 10) -> bool:
        deadline = time.monotonic() + within
        while len(got) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return len(got) >= count

    try:
        waiting = [register(desk, counter) for _ in range(2)]
        deadline = time.monotonic() + 10
        while not any(c.numbers >= {m.number for m in waiting} for c in asked) \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not delivered(1, within=0.5)  # asked, and held
        urgent = register(desk, counter, priority="urgent")
        assert delivered(1)
        assert got[0][1].numbers == {m.number for m in waiting} | {urgent.number}
        assert {c.number for c in got[0][1].new} == got[0][1].numbers

        failing = register(desk, counter, customer_name="出错")
        assert delivered(2)
        assert got[1][1].numbers == {failing.number}
    finally:
        follower.stop()

    got.clear()
    follower = watch.Follower(desk, lambda c: got.append((time.monotonic(), c)),
                              lambda exc: None, every=0.05, linger=30, hold=hold, hold_for=0.6)
    _started(follower)
    try:
        before = time.monotonic()  # the commit, its look and the hold come after
        late = register(desk, counter)
        assert delivered(1)
        assert got[0][1].numbers == {late.number}
        assert 0.6 <= got[0][0] - before < 3.0
        assert got[0][1].after_event is not None
        assert got[0][1].after_event < watch.last_event_id(desk)
    finally:
        follower.stop()


def test_merged_changes_follow_the_earliest_batch_with_a_row():
    row = ChangedComplaint(1, "TS-1", "general", "wang", None, "x", True)
    note = ChangedComplaint(2, "TS-2", "general", "wang", None, "y", False, row_changed=False)
    both = merged([Changes((note,), after_event=10), Changes((row,), after_event=20),
                   Changes((row,), after_event=30)])
    assert both.after_event == 20  # the note alone changed nothing a read could hold
    assert merged([Changes((note,), after_event=10)]).after_event is None
    assert merged([Changes(everything=True, after_event=50),
                   Changes((row,), after_event=40)]).after_event == 40


def test_changes_say_which_events_came_before_them(desk, admin, counter):
    """A read of the desk that saw no event past ``after_event`` cannot hold them."""
    watcher = watch.watch_changes(desk)
    try:
        before = watch.last_event_id(desk)
        register(desk, counter)
        first = _changes(watcher)
        assert first.after_event == before < watch.last_event_id(desk)
        middle = watch.last_event_id(desk)
        add_note(desk, counter, first.complaints[0].number, "补充")
        assert _changes(watcher).after_event == middle
    finally:
        watcher.close()


def test_a_delivery_that_fails_is_told_and_the_follower_goes_on(desk, admin, counter):
    got: list[Changes] = []
    failures: list[Exception] = []

    def deliver(changes: Changes) -> None:
        if not got:
            got.append(changes)
            raise RuntimeError("the console could not take it")
        got.append(changes)

    follower = watch.Follower(desk, deliver, failures.append, every=0.05, linger=30)
    _started(follower)
    try:
        register(desk, counter)
        deadline = time.monotonic() + 10
        while not failures and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [str(f) for f in failures] == ["the console could not take it"]
        second = register(desk, counter)
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got[-1].numbers == {second.number}
    finally:
        follower.stop()


def test_what_must_show_at_once(desk, admin, counter):
    """Everything, nothing seen yet, a 紧急 complaint of someone else's, or one of
    the person's own (registered, handled, or counted among their clocks)."""
    watcher = watch.watch_changes(desk)
    try:
        seen = watch.last_complaint_id(desk)
        register(desk, admin.login)
        late = _changes(watcher)
        assert not watch.must_show_at_once(desk, late, seen, counter, {})
        assert watch.must_show_at_once(desk, late, None, counter, {})
        assert watch.must_show_at_once(desk, watch.Changes(everything=True), seen, counter, {})
        assert watch.must_show_at_once(desk, late, seen, counter, {late.complaints[0].number: "at-risk"})
        assert watch.must_show_at_once(desk, late, seen, admin.login, {})  # their own
        register(desk, admin.login, priority="urgent")
        urgent = _changes(watcher)
        assert watch.must_show_at_once(desk, urgent, seen, counter, {})
        # Their own 紧急 one is not announced to them, but it is among their clocks.
        assert watch.must_show_at_once(desk, urgent, seen, admin.login, {})
    finally:
        watcher.close()
