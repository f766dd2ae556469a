"""The desk: the store, the configuration and the clock every use-case needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from complaintdesk.domain.config import DeskConfig
from complaintdesk.store import Store, open_store


@dataclass
class Desk:
    """Bundles what use-cases share. ``clock`` is replaceable so tests freeze time."""

    store: Store
    config: DeskConfig = field(default_factory=DeskConfig)
    clock: Callable[[], datetime] | None = None

    def now(self) -> datetime:
        """Aware current time in the desk's time zone."""
        if self.clock is not None:
            return self.clock().astimezone(self.config.timezone)
        return self.config.local_now()

    def now_utc(self) -> datetime:
        """Aware current time in UTC: how times are stored."""
        return self.now().astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        """A stored time in the desk's zone."""
        return moment.astimezone(self.config.timezone)

    def close(self) -> None:
        self.store.dispose()


def open_desk(db_path: Path, config: DeskConfig | None = None,
              clock: Callable[[], datetime] | None = None) -> Desk:
    """Open the database (creating or upgrading it); ``config`` defaults to the
    built-in one (the CLI passes the configuration it located)."""
    config = config if config is not None else DeskConfig()
    return Desk(open_store(db_path), config, clock)
