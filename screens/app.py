"""The complaintdesk console."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from complaintdesk.desk import Desk
from complaintdesk.staffing import Actor

from .dialogs import ConfirmDialog
from .queue import QueueScreen


class ComplaintDeskApp(App[None]):
    """One staff member's console on the shared database."""

    CSS_PATH = "desk.tcss"
    TITLE = "客户投诉处理台"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", "退出", priority=True, show=False)]

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__()
        self.desk = desk
        self.actor = actor

    def on_mount(self) -> None:
        self.push_screen(QueueScreen())

    async def action_quit(self) -> None:
        """Quit, but never throw away a half-filled form without asking."""
        has_unsaved = getattr(self.screen, "has_unsaved_input", None)
        if has_unsaved is None or not has_unsaved():
            self.exit()
            return

        def answer(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(ConfirmDialog("退出并放弃未保存的记录单？",
                                       "表单中有尚未保存的内容。退出后无法恢复。"), answer)


def run_console(desk: Desk, actor: Actor) -> int:
    ComplaintDeskApp(desk, actor).run()
    return 0
