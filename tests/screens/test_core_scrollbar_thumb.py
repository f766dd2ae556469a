"""The table skips repainting its scrollbar when a new row count leaves the thumb
where it was drawn (screens/widgets/virtual_table.thumb_cells): that must agree
with Textual's own drawing, or a console would show a stale scrollbar."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rich.color import Color
from textual.scrollbar import ScrollBarRender

from screens.widgets.virtual_table import thumb_cells


def drawn(track: int, virtual: int, window: int, position: float) -> list:
    bar = ScrollBarRender.render_bar(size=track, virtual_size=virtual, window_size=window,
                                     position=position, back_color=Color.parse("#111111"),
                                     bar_color=Color.parse("#eeeeee"))
    return [(segment.text, segment.style) for segment in bar.segments]


@settings(max_examples=400, deadline=None)
@given(track=st.integers(1, 60), window=st.integers(1, 60), count=st.integers(1, 2_000_000),
       added=st.integers(-50, 50), scrolled=st.floats(0, 1))
def test_the_same_thumb_cells_mean_the_same_drawing(track, window, count, added, scrolled):
    """Whenever thumb_cells says the thumb stays, Textual draws the bar the same."""
    after = count + added
    assume(after > window and count > window)
    position = int(min(scrolled * (count - window), after - window) * 8) / 8
    if thumb_cells(track, count, window, position) == thumb_cells(track, after, window, position):
        assert drawn(track, count, window, position) == drawn(track, after, window, position)


def test_one_more_row_of_a_long_queue_leaves_the_thumb_alone():
    assert thumb_cells(19, 67_510, 19, 0) == thumb_cells(19, 67_511, 19, 0)
    assert thumb_cells(19, 30, 19, 0) != thumb_cells(19, 31, 19, 0)  # a short one moves it
