"""The supervisors' approvals list: submitted 处理单, oldest first, overdue marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header

from complaintdesk.process.watch import Changes
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import HandlingMethod, Status
from complaintdesk.domain.money import format_amount
from complaintdesk.process.staffing import Actor, list_staff
from complaintdesk.domain.timing import TIME_FORMAT, deadline_state, minutes_left
from complaintdesk.domain.approvals import LEVEL_LABELS, SINGLE, approver_of_any
from complaintdesk.process.approvals import pending_approvals

from screens.case.steps import StepRunner
from screens.desk_app import status_list_touched, DataScreen
from screens.messages import OpenComplaint
from screens.worklist.rows import compact_left
from screens.widgets.virtual_table import Column, HiddenColumns, TableHeader, TableRow, VirtualTable
from screens.widgets.footer import Footer
from screens.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from screens.desk_app import DeskApp

APPROVAL_COLUMNS = [
    Column("受理编号", 16),
    Column("投诉客户", 0),
    Column("处理部门", 10),
    Column("拟定人", 8),
    Column("提交时间", 11),
    Column("审批", 8, hide_below=100),
    Column("处理方式", 8, hide_below=100),
    Column("损失金额", 12, hide_below=100),
    Column("剩余时间", 10),
]


class PendingSource:
    """All submitted sheets (a short list), read in one go."""

    def __init__(self, desk: Desk, actor: Actor) -> None:
        self.desk = desk
        self.actor = actor
        self.rows: list[TableRow] = []

    def count(self) -> int:
        desk, now = self.desk, self.desk.now()
        names = {s.login: s.name for s in list_staff(desk)}
        self.rows = []
        for p in pending_approvals(desk, role=self.actor.role):
            state = deadline_state(p.submitted_at, p.due_at, now, 1.0) if p.due_at else ""
            self.rows.append(TableRow(
                key=p.number,
                cells=(p.number, p.customer_name, desk.config.department_name(p.department),
                       names.get(p.drafted_by, p.drafted_by),
                       desk.local(p.submitted_at).strftime(TIME_FORMAT)[5:],
                       "单级" if p.level == SINGLE else LEVEL_LABELS[p.level],
                       HandlingMethod(p.method).label if p.method else "-",
                       format_amount(p.loss_cents),
                       compact_left(minutes_left(p.due_at, now), state == "overdue")
                       if p.due_at else "-"),
                tag="overdue" if state == "overdue" else ""))
        return len(self.rows)

    def fetch(self, offset: int, limit: int) -> list[TableRow]:
        return self.rows[offset:offset + limit]

    def index_of(self, key: str) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row.key == key), None)


class ApprovalsScreen(DataScreen):
    """Sheets waiting for a supervisor's decision."""

    HELP_TITLE = "待审批"

    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("v", "decide", "审批", tooltip="审批：对选中的处理单审批通过（写实施意见）或退回"),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__(desk, actor)
        self.steps = StepRunner(self)

    def disabled_reason(self, action: str, parameters: tuple[str, ...]) -> str | None:
        if action == "decide":
            return approver_of_any(self.actor.role, self.desk.config.approval)
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide" and self.disabled_reason(action, ()) is not None:
            return None  # dimmed: only supervisors decide (the reason on pressing it)
        return True

    def action_decide(self) -> None:
        """The decision form for the highlighted sheet, straight from the list."""
        key = self.query_one(VirtualTable).cursor_key
        if key is None:
            self.notify("没有待审批的处理单", severity="warning", markup=False)
            return
        self.steps.open_fresh("decide", key)

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusLine("正在读取…", id="approvals-status")
        yield TableHeader(APPROVAL_COLUMNS, id="approvals-header")
        yield VirtualTable(APPROVAL_COLUMNS, PendingSource(self.desk, self.actor), id="approvals",
                           counted=self._counted)
        yield HiddenColumns(APPROVAL_COLUMNS, id="approvals-hidden")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "待审批的处理单"
        self.query_one(VirtualTable).focus()

    def refresh_data(self) -> None:
        self.query_one(VirtualTable).reload_in_place()

    def touched_by(self, changes: Changes) -> bool:
        return status_list_touched(changes, Status.PENDING_APPROVAL.value, self.query_one(VirtualTable))

    def _counted(self, count: int) -> None:
        text = (f"待审批 {count} 件（最早提交的在前，红色为已超过处理期限）。Enter 打开，V 直接审批"
                if count else "没有待审批的处理单。")
        self.query_one("#approvals-status", StatusLine).show(text)

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.post_message(OpenComplaint(event.key))
