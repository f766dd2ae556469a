"""effect_on_view: what others' commits do to the part of the queue a console has
read. The property: whenever it says the rows read need no reading again, they
are exactly the rows the view has there after the commits, and the count it
implies (unchanged, or ``added`` more) is the view's new count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.domain.queue import QueueRow, ViewEffect, effect_on_view, splice_view

T0 = datetime(2026, 12, 1, 9, 0)
PRIORITIES = ["urgent", "major", "general"]


@dataclass(frozen=True)
class Item:
    """A complaint as the model sees it: its place in the order and whether the
    view's filter shows it."""

    id: int
    priority: str
    due: int  # minutes after T0
    shown: bool
    status: str = "registered"

    @property
    def number(self) -> str:
        return f"TS-20261201-{self.id:04d}"

    def row(self) -> QueueRow:
        return QueueRow(self.id, self.number, self.priority, self.status, "客户", "138", "service",
                        None, None, T0, T0 + timedelta(minutes=self.due), False, False)


def view(items: dict[int, Item]) -> list[QueueRow]:
    return sorted((i.row() for i in items.values() if i.shown), key=lambda r: r.sort_key)


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(1, 40))
    before = {i: Item(i, draw(st.sampled_from(PRIORITIES)), draw(st.integers(0, 50)),
                      draw(st.booleans()) or i % 3 == 0) for i in range(1, count + 1)}
    rows = view(before)
    if not rows:
        before[1] = Item(1, "general", 0, True)
        rows = view(before)
    start = draw(st.integers(0, len(rows) - 1))
    length = draw(st.integers(1, len(rows) - start))
    after = dict(before)
    changed_ids = draw(st.sets(st.integers(1, count), max_size=4))
    unmoved_ids = set()
    for i in changed_ids:  # an edit: priority, deadline, status, or in/out of the filter
        old = before[i]
        if draw(st.booleans()):  # or only what the row says (a corrected name)
            after[i] = Item(i, old.priority, old.due, old.shown, "corrected")
            unmoved_ids.add(i)
            continue
        after[i] = Item(i, draw(st.sampled_from(PRIORITIES)) if draw(st.booleans()) else old.priority,
                        draw(st.integers(0, 50)) if draw(st.booleans()) else old.due,
                        draw(st.booleans()) if draw(st.booleans()) else old.shown,
                        draw(st.sampled_from(["registered", "investigating"])))
    new_ids = set(range(count + 1, count + 1 + draw(st.integers(0, 3))))
    for i in new_ids:
        after[i] = Item(i, draw(st.sampled_from(PRIORITIES)), draw(st.integers(0, 80)),
                        draw(st.booleans()))
    return before, after, start, length, changed_ids, new_ids, unmoved_ids


@settings(max_examples=600, deadline=None)
@given(scenarios())
def test_what_it_says_needs_no_reading_is_what_the_view_shows(scenario) -> None:
    before, after, start, length, changed_ids, new_ids, unmoved_ids = scenario
    old_view, new_view = view(before), view(after)
    loaded = old_view[start:start + length]
    touched = changed_ids | new_ids
    changed = frozenset(after[i].number for i in touched)
    new = frozenset(after[i].number for i in new_ids)
    shown_now = [after[i].row() for i in touched if after[i].shown]
    unmoved = frozenset(after[i].number for i in unmoved_ids)
    spliced = splice_view(loaded, start, len(old_view), changed, new, shown_now)
    if spliced is not None:  # what it says the rows read are now, they are
        rows, count = spliced
        assert rows == new_view[:len(rows)] and count == len(new_view)
        assert len(rows) >= min(len(loaded), len(new_view))
    effect = effect_on_view(loaded, start, len(old_view), changed, new, shown_now, unmoved)
    if effect.reload:
        return
    assert new_view[start:start + length] == loaded  # the rows read are still right
    if not effect.recount:
        assert len(new_view) == len(old_view) + effect.added


def _rows(*items: Item) -> list[QueueRow]:
    return view({i.id: i for i in items})


def test_a_new_complaint_after_the_rows_read_only_adds_to_the_count() -> None:
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    late = Item(99, "general", 999, True)
    effect = effect_on_view(rows[:20], 0, 30, frozenset({late.number}), frozenset({late.number}),
                            [late.row()])
    assert effect == ViewEffect(added=1)


def test_a_new_complaint_the_view_does_not_show_changes_nothing() -> None:
    rows = _rows(*[Item(i, "general", i, True) for i in range(1, 31)])
    hidden = Item(99, "urgent", 0, False)
    assert effect_on_view(rows[:20], 0, 30, frozenset({hidden.number}),
                          frozenset({hidden.number}), []).nothing


def test_a_new_urgent_complaint_sorting_first_reloads() -> None:
    rows = _rows(*[Item(i, "general", i, True) for i in range(1, 31)])
    urgent = Item(99, "urgent", 500, True)
    assert effect_on_view(rows[:20], 0, 30, frozenset({urgent.number}),
                          frozenset({urgent.number}), [urgent.row()]).reload


def test_a_change_to_a_row_read_reloads_and_one_past_them_recounts() -> None:
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    assert effect_on_view(rows[:20], 0, 30, frozenset({old[3].number}), frozenset(),
                          [old[3].row()]).reload
    closed = old[25]  # past the rows read, and gone from the view
    assert effect_on_view(rows[:20], 0, 30, frozenset({closed.number}), frozenset(),
                          []) == ViewEffect(recount=True)


def test_a_row_off_the_page_whose_place_stays_changes_nothing_a_row_read_reloads() -> None:
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    for start, loaded in ((0, rows[:20]), (20, rows[20:])):
        far = old[25] if start == 0 else old[2]
        assert effect_on_view(loaded, start, 30, frozenset({far.number}), frozenset(),
                              [far.row()], frozenset({far.number})).nothing
    assert effect_on_view(rows[:20], 0, 30, frozenset({old[3].number}), frozenset(),
                          [old[3].row()], frozenset({old[3].number})).reload


def test_rows_read_further_down_reload_on_a_change_that_may_be_above_them() -> None:
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    assert effect_on_view(rows[20:], 20, 30, frozenset({old[2].number}), frozenset(),
                          []).reload


def test_a_closed_row_without_deadline_cannot_be_placed_so_reloads() -> None:
    open_rows = _rows(*[Item(i, "general", i, True) for i in range(1, 11)])
    closed = QueueRow(50, "TS-20261201-0050", "general", "closed", "客户", "138", "service",
                      None, None, T0, None, False, False)  # type: ignore[arg-type]
    # Same "closed" flag as the rows read, no deadline: the backends order it
    # differently, so nothing is assumed.
    assert effect_on_view(open_rows, 0, 20, frozenset({closed.number}),
                          frozenset({closed.number}), [closed]).reload


def test_a_new_urgent_complaint_is_spliced_in_at_the_top() -> None:
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    urgent = Item(99, "urgent", 500, True)
    spliced = splice_view(rows[:20], 0, 30, frozenset({urgent.number}),
                          frozenset({urgent.number}), [urgent.row()])
    assert spliced == ([urgent.row(), *rows[:19]], 31)
    # Rows read further down, or a change to a row not read: not known so.
    assert splice_view(rows[10:], 10, 30, frozenset({urgent.number}),
                       frozenset({urgent.number}), [urgent.row()]) is None
    assert splice_view(rows[:20], 0, 30, frozenset({old[25].number}), frozenset(),
                       [old[25].row()]) is None


def test_a_row_read_that_moves_past_the_rows_read_is_not_spliced() -> None:
    """What would fill its place (the first row never read) is unknown."""
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    rows = _rows(*old)
    later = Item(old[3].id, "general", 999, True)
    assert splice_view(rows[:20], 0, 30, frozenset({later.number}), frozenset(),
                       [later.row()]) is None
    # Unless every row was read: then it is simply last.
    spliced = splice_view(rows, 0, 30, frozenset({later.number}), frozenset(), [later.row()])
    assert spliced is not None and spliced[0][-1] == later.row() and spliced[1] == 30


def test_rows_read_after_the_commits_are_not_spliced() -> None:
    """A page read while the changes were on their way already holds the new
    complaint past the rows first read: splicing the 紧急 one in would count the
    new one twice or not at all; read again instead."""
    old = [Item(i, "general", i, True) for i in range(1, 31)]
    late = Item(40, "general", 999, True)
    urgent = Item(41, "urgent", 500, True)
    rows = _rows(*old, late)  # every row read, the late one among them
    changed = frozenset({late.number, urgent.number})
    assert splice_view(rows, 0, 30, changed, changed, [late.row(), urgent.row()]) is None
    # Read before the commits: both spliced in, counted once each.
    spliced = splice_view(_rows(*old), 0, 30, changed, changed, [late.row(), urgent.row()])
    assert spliced is not None and spliced[1] == 32


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_rows_read_that_hold_a_new_complaint_are_never_spliced(scenario) -> None:
    """Whatever else changed: a new complaint among the rows read means they were
    read after the commits, and the count cannot be worked out from them."""
    before, after, start, length, changed_ids, new_ids, unmoved_ids = scenario
    new_view = view(after)
    new = frozenset(after[i].number for i in new_ids)
    loaded = new_view[:max(length, 1)]
    touched = changed_ids | new_ids
    changed = frozenset(after[i].number for i in touched)
    shown_now = [after[i].row() for i in touched if after[i].shown]
    spliced = splice_view(loaded, 0, len(view(before)), changed, new, shown_now)
    if any(row.number in new for row in loaded):
        assert spliced is None
