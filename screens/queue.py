"""The home screen: the list of complaints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Label

from .complaint_record import ComplaintRecordScreen
from .record_form import RecordFormScreen
from .rows import LIST_COLUMNS, NewestFirst
from .virtual_table import TableHeader, VirtualTable

if TYPE_CHECKING:
    from .app import ComplaintDeskApp


class QueueScreen(Screen[None]):
    """Complaints, newest first; register a new one with N."""

    BINDINGS = [
        Binding("n", "register", "登记投诉"),
        Binding("enter", "open", "查看", show=True),
        Binding("ctrl+r", "reload", "刷新"),
        Binding("q", "app.quit", "退出"),
    ]

    app: "ComplaintDeskApp"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Content("正在读取…"), id="queue-status")
        yield TableHeader(LIST_COLUMNS, id="queue-header")
        yield VirtualTable(LIST_COLUMNS, NewestFirst(self.app.desk), id="queue")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.app.actor.label
        self.query_one(VirtualTable).focus()

    @on(VirtualTable.Loaded)
    def _loaded(self, event: VirtualTable.Loaded) -> None:
        text = f"投诉列表（最新在前）  共 {event.count} 件" if event.count else \
            "还没有投诉。按 N 登记第一件。"
        self.query_one("#queue-status", Label).update(Content(text))

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.app.push_screen(ComplaintRecordScreen(event.key))

    def action_open(self) -> None:
        self.query_one(VirtualTable).action_select()

    def action_register(self) -> None:
        def after(number: str | None) -> None:
            table = self.query_one(VirtualTable)
            table.reload(keep_key=number)
            table.focus()

        self.app.push_screen(RecordFormScreen(), after)

    def action_reload(self) -> None:
        table = self.query_one(VirtualTable)
        table.reload(keep_key=table.cursor_key)
