"""What every screen may ask of the console application.

``ComplaintDeskApp`` (app.py) implements it; screens name this class, never the
app module, so no screen imports the app and the app can import every screen.
"""

from __future__ import annotations

from weakref import WeakSet

from textual.app import App
from textual.screen import Screen

from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor
from screens.messages import Area, ShowArea
from screens.worklist.rows import QueueSource


class DeskScreen(Screen):
    """A screen of the desk: given the desk and the person at it when it is made,
    never reaching into the app for them."""

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__()
        self.desk = desk
        self.actor = actor


class DataScreen(DeskScreen):
    """A screen that shows data from the desk. On a change the app reloads it at
    once when it is visible, else marks it ``stale`` and it reloads when it is
    shown again."""

    stale = False

    def refresh_data(self) -> None:
        """Read again what the screen shows."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.app.data_screens.add(self)

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
