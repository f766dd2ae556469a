"""The home screen: the priority queue, its filters and search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Header, Input

from complaintdesk.domain.enums import Priority, Status
from complaintdesk.domain.errors import DomainError
from complaintdesk.process.queue import QueueFilter
from complaintdesk.process.watch import Changes

from screens.desk_app import DataScreen
from screens.messages import Area, OpenComplaint, ShowArea
from screens.register.record_form import RecordFormScreen
from screens.worklist.rows import QUEUE_COLUMNS, QueueSource
from screens.widgets.fields import SearchBox
from screens.widgets.virtual_table import HiddenColumns, TableHeader, VirtualTable
from screens.widgets.footer import Footer
from screens.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from screens.desk_app import DeskApp


def cycle(options: list[str], current: str | None) -> str | None:
    """The next option after ``current``; after the last one, None (= all)."""
    if current is None:
        return options[0] if options else None
    index = options.index(current) + 1 if current in options else 0
    return options[index] if index < len(options) else None


class QueueScreen(DataScreen):
    """Open complaints, most urgent and nearest deadline first."""

    HELP_TITLE = "投诉列表"

    BINDINGS = [
        # Priority: the form opens as the key is read, so a name typed straight
        # after it (a burst over a slow SSH link) lands in the form's first field.
        Binding("n", "register", "登记", priority=True, tooltip="登记：填写新的《客户投诉记录单》"),
        Binding("slash", "search", "搜索", priority=True, tooltip="搜索：编号、客户、联系方式或投诉内容"),  # as "n": words typed after it
        # The other lists first: at 80 columns the footer ends after about eight keys.
        Binding("r", "revisits", "回访", tooltip="回访：待回访的投诉，最早到期的在前"),
        Binding("A", "approvals", "待审批", tooltip="待审批：等待主管审批的处理单"),
        Binding("t", "statistics", "统计", tooltip="统计：《客户投诉统计表》（主管和管理员）"),
        Binding("p", "cycle_priority", "紧急度", tooltip="按紧急程度筛选，再按换下一个"),
        Binding("s", "cycle_status", "状态", tooltip="按状态筛选，再按换下一个"),
        Binding("d", "cycle_department", "部门", tooltip="按责任部门筛选，再按换下一个"),
        Binding("m", "toggle('mine')", "我的", tooltip="只看我的：我受理的、派给我或我部门的"),
        Binding("o", "toggle('overdue_only')", "超时", tooltip="只看已超时的"),
        Binding("c", "toggle('include_closed')", "含结案", tooltip="包括已结案的投诉"),
        Binding("x", "clear_filters", "清除筛选", tooltip="清除所有筛选和搜索"),
        Binding("ctrl+r", "reload", "刷新", show=False, tooltip="重新读取列表"),
        Binding("q", "app.quit", "退出", tooltip="退出控制台（也可按 Ctrl+Q）"),
    ]

    app: "DeskApp"
    queue_filter: reactive[QueueFilter] = reactive(QueueFilter, init=False)

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchBox(id="search", leave_to="#queue", placeholder="搜索：编号、客户、联系方式或投诉内容，多个词用空格分开；Enter 确定，Esc 取消")
        self._status = StatusLine("正在读取…", id="queue-status")
        yield self._status
        with Vertical(id="queue-body"):
            yield TableHeader(QUEUE_COLUMNS, id="queue-header")
            self._table = VirtualTable(QUEUE_COLUMNS, self.app.take_initial_queue(), id="queue",
                                       counted=self._counted)
            yield self._table
            yield HiddenColumns(QUEUE_COLUMNS, id="queue-hidden")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.actor.label
        self.query_one("#search", Input).display = False
        self.query_one(VirtualTable).focus()

    @property
    def table(self) -> VirtualTable:
        # Kept from compose: a query walks the screen (a tenth of each console's
        # work at a colleague's change).
        return self._table

    # ------------------------------------------------------------ data
    def watch_queue_filter(self, queue_filter: QueueFilter) -> None:
        if queue_filter == self.table.source.queue.filter:
            return  # already showing it (the initial load happens on mount)
        try:
            source = QueueSource(self.desk, queue_filter)
        except DomainError as exc:
            self.notify(exc.message, severity="warning", markup=False)
            return
        self.table.cursor_row = 0
        self.table.reload(source)

    def refresh_data(self) -> None:
        """Another console (or this one) changed something: reload, cursor kept."""
        self.table.reload_in_place()

    def changes_arrived(self, changes: Changes) -> None:
        """Read again only when the changed complaints move the rows read; a new
        complaint past them only adds to the count (the table and its source judge)."""
        if changes.everything:
            self.refresh_data()
        else:
            self.table.follow_changes(changes)

    def changes_can_wait(self, changes: Changes) -> bool:
        """A new complaint that sorts past the rows read only adds to the count
        (not when changes passed it by while it was covered: it reads again)."""
        return not self.stale and self.table.can_wait(changes)

    def clock_moved(self) -> None:
        """Countdowns and colours from the rows already read; only the 超时 filter's
        rows change with the clock alone."""
        if self.queue_filter.overdue_only:
            self.refresh_data()
        else:
            self.table.restyle()

    def _counted(self, count: int) -> None:
        # The line's size is fixed: a new count needs no layout pass, which was
        # most of a console's work when another console saved.
        self._status.show(self._status_text(count))

    def _status_text(self, count: int) -> str:
        f = self.queue_filter
        parts = []
        if f.priority:
            parts.append(Priority(f.priority).label)
        if f.status:
            parts.append(Status(f.status).label)
        if f.department:
            parts.append(self.desk.config.department_name(f.department))
        if f.mine:
            parts.append("我的")
        if f.overdue_only:
            parts.append("仅超时")
        if f.include_closed:
            parts.append("含已结案")
        if f.search.strip():
            parts.append(f"搜索“{f.search.strip()}”")
        scope = "全部投诉" if f.include_closed else "待处理投诉"
        if self.table.source.queue.capped:
            text = f"{scope}超过 {count:,} 件，只列出最前面的 {count:,} 件（加词可缩小范围）"
        else:
            text = f"{scope} {count:,} 件"
        if parts:
            text += "  ·  筛选：" + " · ".join(parts) + "（X 清除）"
        elif count == 0:
            text += "。按 N 登记投诉。"
        return text

    # ------------------------------------------------------------ filters
    def action_cycle_priority(self) -> None:
        options = [p.value for p in Priority]
        self.queue_filter = self.queue_filter.with_(priority=cycle(options, self.queue_filter.priority))

    def action_cycle_status(self) -> None:
        options = [s.value for s in Status]
        self.queue_filter = self.queue_filter.with_(status=cycle(options, self.queue_filter.status))

    def action_cycle_department(self) -> None:
        options = [d.code for d in self.desk.config.departments]
        self.queue_filter = self.queue_filter.with_(
            department=cycle(options, self.queue_filter.department))

    def action_toggle(self, name: str) -> None:
        f = self.queue_filter
        if name == "mine":
            actor = self.actor
            self.queue_filter = f.with_(mine=None if f.mine else actor.login,
                                        mine_department=None if f.mine else actor.department)
        else:
            self.queue_filter = f.with_(**{name: not getattr(f, name)})

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.queue_filter = QueueFilter()

    # ------------------------------------------------------------ search
    def action_search(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # a "/" typed into the search box
        search = self.query_one("#search", Input)
        search.display = True
        self.set_focus(search)  # at once: the words typed after "/" go into the box

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        # The box has handed the focus back to the list already (SearchBox).
        self.queue_filter = self.queue_filter.with_(search=event.value)

    # ------------------------------------------------------------ actions
    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.post_message(OpenComplaint(event.key))

    async def action_register(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # an "n" typed into the search box

        def after(number: str | None) -> None:
            if number:
                self.table.reload(keep_key=number)
            # The queue keeps the focus it had; a "/" typed while the form was
            # closing has already moved it to the search box, and Widget.focus()
            # runs later still, so moving it back here would swallow the search.
            if self.focused is None:
                self.table.focus()

        # Awaited: no key is read until the form is mounted with its first field focused.
        await self.app.push_screen(RecordFormScreen(self.desk, self.actor), after)

    def action_approvals(self) -> None:
        self.post_message(ShowArea(Area.APPROVALS))

    def action_statistics(self) -> None:
        self.post_message(ShowArea(Area.STATISTICS))

    def action_revisits(self) -> None:
        self.post_message(ShowArea(Area.REVISITS))

    def action_reload(self) -> None:
        self.refresh_data()

