"""What every screen may ask of the console application.

``ComplaintDeskApp`` (app.py) implements it; screens name this class, never the
app module, so no screen imports the app and the app can import every screen.
"""

from __future__ import annotations

from textual.app import App

from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor
from screens.worklist.rows import QueueSource


class DeskApp(App[None]):
    """The console: the desk and the person at it, navigation and refresh."""

    desk: Desk
    actor: Actor

    def open_complaint(self, number: str) -> None:
        """Show one complaint's record over the current screen."""
        raise NotImplementedError

    def data_changed(self, urgent: list[tuple[str, str]] | None = None,
                     urgent_count: int = 0) -> None:
        """Someone committed: refresh what shows data; announce new 紧急 complaints."""
        raise NotImplementedError

    def take_initial_queue(self) -> QueueSource:
        """The home queue, already being read since the app was created."""
        raise NotImplementedError
