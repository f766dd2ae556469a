"""Helper of queue_bench.py: start an app headless, exit at its first real paint.

``_paint_once.py console DB`` paints the console's queue; ``_paint_once.py bare DB``
paints a bare Textual app after the same imports. Prints the seconds since
``$BENCH_START`` (set by the parent just before exec) and the RSS in kB.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The same imports for both kinds.
from textual import on  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.events import Mount  # noqa: E402
from textual.widgets import Footer, Header, Static  # noqa: E402

from complaintdesk.process.desk import open_desk  # noqa: E402
from complaintdesk.process.staffing import os_login, sign_in  # noqa: E402
from screens.app import ComplaintDeskApp  # noqa: E402
from screens.widgets.virtual_table import VirtualTable  # noqa: E402


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def finish(app: App) -> None:
    elapsed = time.time() - float(os.environ["BENCH_START"])
    app.exit(f"{elapsed:.4f} {rss_kb()}")


class Bare(App[str]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("受理编号 …")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(finish, self)


class Console(ComplaintDeskApp):
    # Not "on_mount": Textual calls the on_mount of every class in the MRO, so
    # overriding it here would push the queue screen twice.
    @on(Mount)
    def _start_probe(self) -> None:
        self._probe = self.set_interval(0.002, self._check)

    def _check(self) -> None:
        tables = self.screen.query(VirtualTable)
        if not tables:
            return
        table = tables.first()
        page = table._pages.get(0)
        if table.row_count and page and page[0] == table._generation:
            self._probe.stop()
            self.call_after_refresh(finish, self)


def main() -> None:
    kind, db = sys.argv[1], sys.argv[2]  # a file or a postgresql:// URL
    if kind == "bare":
        result = Bare().run(headless=True, size=(120, 40))
    else:
        desk = open_desk(db)
        result = Console(desk, sign_in(desk, os_login()), watch=False).run(
            headless=True, size=(120, 40))
    print(result)


if __name__ == "__main__":
    main()
