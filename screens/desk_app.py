"""What every screen may ask of the console application.

``ComplaintDeskApp`` (app.py) implements it; screens name this class, never the
app module, so no screen imports the app and the app can import every screen.
"""

from __future__ import annotations

from weakref import WeakSet

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor
from complaintdesk.process.watch import Changes
from screens.messages import Area, ShowArea
from screens.worklist.rows import QueueSource
from screens.widgets.virtual_table import VirtualTable


class DeskScreen(Screen):
    """A screen of the desk: given the desk and the person at it when it is made,
    never reaching into the app for them."""

    #: The screen's name in its help panel.
    HELP_TITLE = ""
    # First, so that "? 帮助" is in the footer even at 80 columns.
    # In a text field "?" is text and the footer shows F1 instead (one key per action).
    BINDINGS = [Binding("question_mark", "app.help", "帮助", tooltip="按键说明：本屏每个键的作用"),
                Binding("f1", "app.help", "帮助", tooltip="按键说明：本屏每个键的作用")]

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__()
        self.desk = desk
        self.actor = actor

    def disabled_reason(self, action: str, parameters: tuple[str, ...]) -> str | None:
        """Why the key of ``action`` is dimmed now (None: no reason to tell)."""
        return None

    def on_key(self, event: events.Key) -> None:
        """A dimmed key pressed says why instead of doing nothing silently (a key
        that is text in a field never gets here: the field takes it)."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.binding.system:
            return
        from screens.widgets.help_panel import action_name

        name, params = action_name(active.binding.action)
        reason = self.disabled_reason(name, params) or "现在不可用"
        what = active.binding.description or self.app.get_key_display(active.binding)
        self.notify(f"{what}：{reason}", severity="warning", markup=False)
        event.stop()


class DataScreen(DeskScreen):
    """A screen that shows data from the desk. On a change the app reloads it at
    once when it is visible, else marks it ``stale`` and it reloads when it is
    shown again."""

    stale = False
    #: The screen shows countdowns and deadline colours: read again at every
    #: minute of the desk's clock, so a row turns amber or red at its moment even
    #: when nobody changes anything (only while the screen is on the terminal;
    #: a covered screen is marked stale and reads again when shown).
    FOLLOWS_CLOCK = True

    def refresh_data(self) -> None:
        """Read again what the screen shows."""
        raise NotImplementedError

    def touched_by(self, changes: Changes) -> bool:
        """Whether others' ``changes`` may alter what the screen shows (by default,
        any change may)."""
        return True

    def changes_can_wait(self, changes: Changes) -> bool:
        """Asked in the change follower's thread while the screen is on top: whether
        ``changes`` leave what it shows as it is but for a count, so that they may
        reach it a few seconds later, together with others (by default, never)."""
        return False

    def changes_arrived(self, changes: Changes) -> None:
        """Others committed ``changes`` while the screen is on the terminal: read
        again what they touch (by default, everything when touched)."""
        if self.touched_by(changes):
            self.refresh_data()

    def on_mount(self) -> None:
        self.app.data_screens.add(self)
        if self.FOLLOWS_CLOCK:
            self._next_minute()

    def _next_minute(self) -> None:
        now = self.desk.now()
        wait = 60.0 - now.second - now.microsecond / 1e6
        self.set_timer(max(wait, 0.5) + 0.05, self._minute_passed)

    def _minute_passed(self) -> None:
        if self.is_current:
            self.clock_moved()
        else:
            self.stale = True
        self._next_minute()

    def clock_moved(self) -> None:
        """A minute of the desk's clock passed while the screen is on the terminal
        (by default: read again)."""
        self.refresh_data()

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.refresh_data()

    def action_back(self) -> None:
        """Back: to the screen below, or from an area's first screen to the queue."""
        if self.app.screen_stack and self.app.screen_stack[0] is self:
            self.app.post_message(ShowArea(Area.QUEUE))
        else:
            self.app.pop_screen()


def status_list_touched(changes: Changes, status: str, table: "VirtualTable") -> bool:
    """Whether ``changes`` may alter a list of the complaints at ``status`` (the
    pending approvals, the revisits due) that ``table`` shows: a changed row now
    at that status, or one the list holds; when the table has not read all its
    rows, any changed row. A note or a link alone changes no such list."""
    if changes.everything:
        return True
    rows = changes.rows
    if any(c.status == status for c in rows):
        return True
    held = table.keys_read()
    return bool(rows) if held is None else any(c.number in held for c in rows)


class DeskApp(App[None]):
    """The console: the desk and the person at it, navigation and refresh."""

    desk: Desk
    actor: Actor
    #: Every screen showing data, in any area: a change reloads the visible ones and
    #: marks the rest stale.
    data_screens: WeakSet[DataScreen]

    def take_initial_queue(self) -> QueueSource:
        """The home queue, already being read since the app was created."""
        raise NotImplementedError
