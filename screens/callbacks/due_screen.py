"""The revisit list (回访, process.md §7): complaints waiting for their call-back,
earliest due first, overdue in red. A revisit is recorded from here with the same
form as on the complaint's record."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header

from complaintdesk.process.watch import Changes
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Priority, Status
from complaintdesk.process.revisits import DueRevisit, due_revisits, overdue_revisits
from complaintdesk.domain.text import mask_contact
from complaintdesk.domain.timing import minutes_left

from screens.desk_app import status_list_touched, DataScreen
from screens.messages import OpenComplaint
from screens.case.steps import STEP_BY_NAME, StepRunner, refusal_for
from screens.worklist.rows import compact_left
from screens.widgets.virtual_table import Column, HiddenColumns, TableHeader, TableRow, VirtualTable
from screens.widgets.footer import Footer
from screens.widgets.status_line import StatusLine
from complaintdesk.process.staffing import Actor

if TYPE_CHECKING:
    from screens.desk_app import DeskApp

REVISIT_COLUMNS = [
    Column("受理编号", 16),
    Column("投诉客户", 0),
    Column("联系方式", 13, hide_below=100),
    Column("紧急", 4),
    Column("责任部门", 10),
    Column("已尝试", 6),
    Column("回访期限", 11),
    Column("剩余时间", 10),
]
LIMIT = 1000  # a day's call list is tens of rows; past this, the status line says so


class RevisitSource:
    """The due revisits (a short list), read in one go; each row's core data kept
    so the footer can dim what the highlighted complaint does not allow."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.rows: list[TableRow] = []
        self.due: dict[str, DueRevisit] = {}
        self.total = self.overdue = 0
        self._lock = threading.Lock()

    def count(self) -> int:
        desk, now = self.desk, self.desk.now()
        found, total = due_revisits(desk, limit=LIMIT)
        overdue = overdue_revisits(desk)
        rows = []
        for r in found:
            left = minutes_left(r.revisit_due, now)
            late = left <= 0  # from the deadline itself on, as deadline_state counts
            responsible = ("非我方责任" if r.responsibility == "not_ours"
                           else desk.config.department_name(r.department) or "-")
            rows.append(TableRow(
                key=r.number,
                cells=(r.number, r.customer_name, mask_contact(r.contact),
                       Priority(r.priority).label, responsible, f"{r.attempts}次",
                       desk.local(r.revisit_due).strftime("%m-%d %H:%M"),
                       compact_left(left, late)),
                tag="overdue" if late else ""))
        with self._lock:
            self.rows, self.total, self.overdue = rows, total, overdue
            self.due = {r.number: r for r in found}
        return len(rows)

    def fetch(self, offset: int, limit: int) -> list[TableRow]:
        with self._lock:
            return self.rows[offset:offset + limit]

    def index_of(self, key: str) -> int | None:
        with self._lock:
            return next((i for i, row in enumerate(self.rows) if row.key == key), None)

    def status_text(self) -> str:
        """``待回访 N 件，其中超期 M 件``, both counted in the database, not from the rows shown."""
        with self._lock:
            shown, total, overdue = len(self.rows), self.total, self.overdue
        if not total:
            return "没有待回访的投诉。"
        text = (f"待回访 {total:,} 件，其中超期 {overdue:,} 件" if overdue
                else f"待回访 {total:,} 件，均未超期")
        if shown < total:
            text += f"（只列出最早到期的 {shown:,} 件）"
        return text + "。Enter 打开，H 记录回访"


class RevisitsScreen(DataScreen):
    """Complaints whose customer is to be called back, earliest due first."""

    HELP_TITLE = "待回访"

    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("q", "back", "返回", show=False),
        Binding("h", "step('revisit')", "回访"),
        Binding("w", "step('close_unreached')", "无法联系结案"),
        Binding("ctrl+r", "reload", "刷新", show=False),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__(desk, actor)
        self.steps = StepRunner(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusLine("正在读取…", id="revisits-status")
        yield TableHeader(REVISIT_COLUMNS, id="revisits-header")
        yield VirtualTable(REVISIT_COLUMNS, RevisitSource(self.desk), id="revisits",
                           counted=self._counted)
        yield HiddenColumns(REVISIT_COLUMNS, id="revisits-hidden")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "待回访"
        self.table.focus()
        # The footer dims 无法联系结案 until the highlighted complaint's failed calls allow it.
        self.watch(self.table, "cursor_row", lambda _row: self.refresh_bindings(), init=False)

    @property
    def table(self) -> VirtualTable:
        return self.query_one(VirtualTable)

    @property
    def source(self) -> RevisitSource:
        return cast(RevisitSource, self.table.source)

    def refresh_data(self) -> None:
        """Another console (or this one) changed something: reload, cursor kept."""
        self.table.reload_in_place()

    def touched_by(self, changes: Changes) -> bool:
        return status_list_touched(changes, Status.REVISIT.value, self.query_one(VirtualTable))

    def action_reload(self) -> None:
        self.refresh_data()

    def _counted(self, _count: int) -> None:
        self.query_one("#revisits-status", StatusLine).show(self.source.status_text())
        self.refresh_bindings()

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.post_message(OpenComplaint(event.key))

    # ------------------------------------------------------------ recording
    def _row_refusal(self, name: str) -> str | None:
        """The core's reason the highlighted complaint does not allow the step, if any."""
        key = self.table.cursor_key
        row = self.source.due.get(key) if key else None
        if row is None:
            return "没有选中的投诉"
        return refusal_for(STEP_BY_NAME[name], row.complaint, None, self.actor,
                           self.desk.config)

    def disabled_reason(self, action: str, parameters: tuple[str, ...]) -> str | None:
        if action == "step" and parameters:
            return self._row_refusal(parameters[0])
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step" and parameters:
            return True if self._row_refusal(str(parameters[0])) is None else None
        return True

    def action_step(self, name: str) -> None:
        reason = self._row_refusal(name)
        key = self.table.cursor_key
        if reason is not None or key is None:
            self.notify(reason or "没有选中的投诉", severity="warning", markup=False)
            return
        self.steps.open_fresh(name, key)

