"""The pacing of 紧急 notices (screens/urgent_notices.py): one at a time, none lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from screens.urgent_notices import NAMED, UrgentNotices, notice_text


def test_one_notice_at_a_time_and_what_waits_comes_next():
    notices = UrgentNotices(shown_seconds=10)
    first = notices.arrived([("TS-1", "甲")], 1, now=100.0)
    assert first is not None and first.text == "新的紧急投诉 TS-1：甲"
    assert notices.arrived([("TS-2", "乙")], 1, now=103.0) is None  # one is up
    assert notices.arrived([("TS-3", "丙")], 1, now=105.0) is None
    assert notices.waiting and notices.wait_until == 110.0
    assert notices.due(109.9) is None
    second = notices.due(110.0)
    assert second is not None and second.text == "新的紧急投诉 2 件：TS-2 乙；TS-3 丙"
    assert not notices.waiting and notices.due(200.0) is None
    # Quiet for longer than a notice stays up: the next one is shown at once.
    assert notices.arrived([("TS-4", "丁")], 1, now=200.0).count == 1


def test_nothing_new_is_no_notice():
    notices = UrgentNotices()
    assert notices.arrived([], 0, now=0.0) is None and not notices.waiting


def test_many_at_once_are_counted_past_the_first_few():
    many = [(f"TS-{i}", f"客户{i}") for i in range(NAMED)]
    assert notice_text(many, 2_500) == "新的紧急投诉 2,500 件（TS-0 等），请在列表中查看"
    assert notice_text(many[:2], 2) == "新的紧急投诉 2 件：TS-0 客户0；TS-1 客户1"


arrivals = st.lists(st.tuples(st.floats(0, 30, allow_nan=False), st.integers(0, 5000)),
                    max_size=40)


@settings(max_examples=200, deadline=None)
@given(arrivals, st.floats(0.5, 20))
def test_no_complaint_goes_unannounced_and_notices_keep_their_distance(batches, shown):
    """Whatever arrives, whenever: every complaint is counted in exactly one notice,
    no notice comes sooner than ``shown`` seconds after the last, and a notice
    names only complaints that arrived, never more than NAMED."""
    notices = UrgentNotices(shown_seconds=shown)
    now, shown_at, announced, arrived, numbers = 0.0, [], 0, 0, set()
    for serial, (step, count) in enumerate(batches):
        now += step
        named = [(f"TS-{serial}-{i}", "客户") for i in range(min(count, NAMED))]
        numbers.update(n for n, _ in named)
        arrived += count
        for notice in (notices.due(now), notices.arrived(named, count, now)):
            if notice is not None:
                shown_at.append(now)
                announced += notice.count
                assert len(notice.named) <= NAMED
                assert {n for n, _ in notice.named} <= numbers
    if notices.waiting:  # the app's timer fires when the last one has gone
        last = notices.due(notices.wait_until)
        shown_at.append(notices.wait_until)
        announced += last.count
    assert announced == arrived
    assert all(b - a >= shown - 1e-9 for a, b in zip(shown_at, shown_at[1:]))
