"""How a console announces new 紧急 complaints: one notice at a time.

Every console on the box is told of every new 紧急 complaint. One notice each
stacked up on the terminal (ten of them at one a second) and cost each console
a mount and a layout pass per complaint: with 200 consoles, more than both
cores. So a console shows one notice, and what arrives while it is up waits and
is announced in one notice when it goes (its rows are at the top of the queue,
in red, at once).

Plain Python, no Textual: the app asks ``arrived`` and ``due`` and shows what
they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOWN_SECONDS = 10.0  # how long a notice stays up, and so the least time between two
NAMED = 3  # complaints named in a notice; past that, counted


@dataclass(frozen=True)
class Notice:
    """One notice: ``count`` new 紧急 complaints, the first ones ``named``."""

    count: int
    named: tuple[tuple[str, str], ...]  # (number, customer)

    @property
    def text(self) -> str:
        return notice_text(list(self.named), self.count)


@dataclass
class UrgentNotices:
    """The 紧急 notices of one console: what to show now, and what waits."""

    shown_seconds: float = SHOWN_SECONDS
    _waiting: list[tuple[str, str]] = field(default_factory=list)  # (number, customer)
    _waiting_count: int = 0
    _quiet_until: float = float("-inf")

    def arrived(self, urgent: list[tuple[str, str]], count: int, now: float) -> Notice | None:
        """``count`` new 紧急 complaints, the first ones ``urgent``: the notice to
        show now, or None (none came, or one is up: call ``due`` at ``wait_until``)."""
        if count <= 0:
            return None
        room = NAMED - len(self._waiting)
        self._waiting += urgent[:max(room, 0)]
        self._waiting_count += count
        return self.due(now)

    @property
    def waiting(self) -> bool:
        return self._waiting_count > 0

    @property
    def wait_until(self) -> float:
        """When what waits may be shown (the notice up now has gone)."""
        return self._quiet_until

    def due(self, now: float) -> Notice | None:
        """The notice of everything waiting, if the last one has gone by ``now``."""
        if not self._waiting_count or now < self._quiet_until:
            return None
        notice = Notice(self._waiting_count, tuple(self._waiting))
        self._waiting, self._waiting_count = [], 0
        self._quiet_until = now + self.shown_seconds
        return notice


def notice_text(urgent: list[tuple[str, str]], count: int) -> str:
    """One notice of ``count`` new 紧急 complaints, the first ``urgent`` named."""
    if count == 1 and urgent:
        number, customer = urgent[0]
        return f"新的紧急投诉 {number}：{customer}"
    if count <= NAMED and len(urgent) == count:
        return f"新的紧急投诉 {count} 件：" + "；".join(f"{n} {c}" for n, c in urgent)
    first = f"（{urgent[0][0]} 等）" if urgent else ""
    return f"新的紧急投诉 {count:,} 件{first}，请在列表中查看"
