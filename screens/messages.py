"""Messages the console's screens and the app send each other (posting's way:
small typed messages instead of calling into the app by name)."""

from __future__ import annotations

from enum import StrEnum

from textual.message import Message


class OpenComplaint(Message):
    """Show complaint ``number``'s record (the app owns navigation)."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__()


class DataChanged(Message):
    """Someone committed: screens that show data reload. ``urgent`` lists new 紧急
    complaints to announce (number, customer) and ``urgent_count`` how many there
    are in all.

    A change waiting in the queue is replaced by a newer one (one reload, not
    several) unless it carries announcements, which are never dropped.
    """

    def __init__(self, urgent: list[tuple[str, str]] | None = None, urgent_count: int = 0, *,
                 watched: bool = False) -> None:
        self.urgent = list(urgent or [])
        self.urgent_count = urgent_count
        #: From the change follower: what changed waits in the app (a newer message
        #: that replaces this one takes it too). Else posted by a screen of this
        #: console after its own save: everything may have changed.
        self.watched = watched
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        # A follower's message leaves its changes waiting in the app, and a screen's
        # stands for everything: either may give way, but not a screen's to a
        # follower's (which would stand for less).
        return (isinstance(message, DataChanged) and not message.urgent_count
                and (message.watched or not self.watched))


class WatchFailed(Message):
    """The change follower could not ask the database (it goes on trying)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        super().__init__()


class Area(StrEnum):
    """The console's areas, each a Textual mode with its own stack of screens."""

    QUEUE = "queue"
    REVISITS = "revisits"
    APPROVALS = "approvals"
    STATISTICS = "statistics"


class ShowArea(Message):
    """Go to an area (the app owns navigation; an area keeps its state)."""

    def __init__(self, area: Area) -> None:
        self.area = area
        super().__init__()
