"""The statistics screen: the period's 《客户投诉统计表》 with bars, the per-complaint
table and the staff figures. Periods switch on keys; the figures are the core's
(complaintdesk.reports.figures), drawn here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Header, Label, Static, TabbedContent, TabPane

from complaintdesk.process.desk import Desk
from complaintdesk.domain.money import format_amount
from complaintdesk.reports.output import (PAUSE_NOTE, STAFF_LABELS, STAFF_NOTE, align_columns, csv_cells, percent,
                                         staff_cells, summary_sections)
from complaintdesk.reports.figures import Period, Report, build_report, period_of, report_rows
from complaintdesk.domain.text import display_width, pad

from screens.desk_app import DataScreen
from screens.messages import Area, OpenComplaint, ShowArea
from screens.widgets.virtual_table import Column, HiddenColumns, TableHeader, TableRow, VirtualTable
from screens.widgets.footer import Footer
from screens.workers import deliver
from complaintdesk.process.staffing import Actor

if TYPE_CHECKING:
    from screens.desk_app import DeskApp


def open_statistics(app: "DeskApp") -> None:
    """Open the statistics area; the app says who may (they carry every staff
    member's figures)."""
    app.post_message(ShowArea(Area.STATISTICS))


ROW_COLUMNS = [
    Column("日期", 10),
    Column("编号", 16),
    Column("投诉客户", 16),
    Column("投诉内容", 0),
    Column("责任单位", 10, hide_below=96),
    Column("处理方式", 8, hide_below=96),
    Column("损失金额", 10),
    Column("品名", 14, hide_below=120),
    Column("数量", 6, hide_below=120),
]

EIGHTHS = " ▏▎▍▌▋▊▉█"
#: Sections drawn as bars (the others are plain figures).
BAR_SECTIONS = {"按投诉类型", "按投诉渠道", "按紧急程度", "按责任单位"}


def bar(value: float, largest: float, width: int) -> str:
    """A horizontal bar of ``width`` cells at most, in eighths of a cell."""
    if largest <= 0 or width <= 0:
        return ""
    eighths = round(value / largest * width * 8)
    return ("█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")).ljust(width)


def summary_content(report: Report, desk: Desk, width: int) -> Content:
    """The summary as text: key figures, then a bar chart per breakdown."""
    lines: list[tuple[str, str]] = []  # (text, style)
    for title, pairs in summary_sections(report, desk):
        lines.append(("", ""))
        lines.append((f"【{title}】", "bold"))
        label_width = max(display_width(label) for label, _ in pairs)
        if title in BAR_SECTIONS:
            counts = [int(value) for _, value in pairs]
            total = sum(counts) or 1
            bar_width = min(max(width - label_width - 22, 8), 50)
            for (label, value), count in zip(pairs, counts):
                lines.append((f"  {pad(label, label_width)}  {bar(count, max(counts), bar_width)}"
                              f" {value:>7} {count / total * 100:5.1f}%", ""))
        else:
            for label, value in pairs:
                lines.append((f"  {pad(label, label_width)}  {value}", ""))
        if title == "总体":
            lines.append((f"  {PAUSE_NOTE}", "dim"))
    if report.trend:
        lines.append(("", ""))
        lines.append(("【投诉数量走势】", "bold"))
        largest = max(count for _, count in report.trend)
        for code, count in report.trend:
            lines.append((f"  {code:<8} {bar(count, largest, min(max(width - 22, 8), 50))}"
                          f" {count:>7}", ""))
    return Content("\n").join(Content.styled(text, style) if style else Content(text)
                              for text, style in lines[1:])


def staff_content(report: Report) -> Content:
    rows = staff_cells(report)
    if not rows:
        return Content("本期没有员工数据。")
    head, _rule, *body = align_columns(STAFF_LABELS, rows)
    return Content("\n").join([Content.styled(head, "bold"), *map(Content, body), Content(""),
                               Content.styled(STAFF_NOTE, "dim")])


class ReportRowSource:
    """The period's complaints in received order, one page at a time (keyset paging
    from the page before when it is known)."""

    def __init__(self, desk: Desk, period: Period, total: int) -> None:
        self.desk, self.period, self.total = desk, period, total
        self._last_of: dict[int, tuple] = {}  # offset after the page → (received_at, id)

    def count(self) -> int:
        return self.total

    def fetch(self, offset: int, limit: int) -> list[TableRow]:
        after = self._last_of.get(offset)
        rows = report_rows(self.desk, self.period, after=after, limit=limit,
                           skip=0 if after or offset == 0 else offset)
        if rows:
            self._last_of[offset + len(rows)] = (rows[-1].received_at, rows[-1].id)
        out = []
        for row in rows:
            cells = csv_cells(row, self.desk)
            cells[6] = format_amount(row.loss_cents) if row.loss_cents is not None else "-"
            out.append(TableRow(key=row.number, cells=tuple(str(c) for c in cells)))
        return out

    def index_of(self, key: str) -> int | None:
        return None


class StatisticsScreen(DataScreen):
    """The 《客户投诉统计表》 of a month, quarter or year."""

    HELP_TITLE = "《客户投诉统计表》"
    FOLLOWS_CLOCK = False  # figures of a past period; a change reloads them

    DEFAULT_CSS = """
    StatisticsScreen { layout: vertical; }
    #stats-title { height: 1; width: 1fr; padding: 0 1; background: $boost; text-style: bold; }
    StatisticsScreen TabbedContent { height: 1fr; }
    StatisticsScreen ContentSwitcher { height: 1fr; }
    StatisticsScreen TabPane { height: 1fr; padding: 0; }
    StatisticsScreen VerticalScroll { height: 1fr; }
    #stats-summary, #stats-staff { padding: 0 1; width: 1fr; height: auto; }
    #stats-rows-header { height: 1; }
    #stats-rows { height: 1fr; }
    """

    BINDINGS = [
        Binding("m", "kind('month')", "月"),
        Binding("s", "kind('quarter')", "季"),
        Binding("y", "kind('year')", "年"),
        # priority: the tab bar would take ← → for itself; tabs switch on 1 2 3.
        Binding("left,comma", "shift(-1)", "上一期", priority=True),
        Binding("right,full_stop", "shift(1)", "下一期", priority=True),
        Binding("1", "tab('summary')", "汇总", show=False),
        Binding("2", "tab('rows')", "明细", show=False),
        Binding("3", "tab('staff')", "员工", show=False),
        Binding("escape,q", "back", "返回"),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor, period: Period | None = None) -> None:
        super().__init__(desk, actor)
        self._period = period
        self._report: Report | None = None

    @property
    def period(self) -> Period:
        if self._period is None:
            self._period = period_of("month", self.desk.now())
        return self._period

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Content("正在统计…"), id="stats-title")
        with TabbedContent(initial="summary"):
            with TabPane("1 汇总", id="summary"):
                with VerticalScroll(id="stats-summary-scroll"):
                    yield Static(Content("正在统计…"), id="stats-summary")
            with TabPane("2 明细", id="rows"):
                yield TableHeader(ROW_COLUMNS, id="stats-rows-header")
                yield VirtualTable(ROW_COLUMNS, ReportRowSource(self.desk, self.period, 0),
                                   id="stats-rows")
                yield HiddenColumns(ROW_COLUMNS, id="stats-rows-hidden")
            with TabPane("3 员工考核", id="staff"):
                with VerticalScroll(id="stats-staff-scroll"):
                    yield Static(Content(""), id="stats-staff")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "客户投诉统计表"
        self.query_one("#stats-summary-scroll").focus()
        self._compute()

    def refresh_data(self) -> None:
        self._compute()

    # ------------------------------------------------------------ keys
    def action_kind(self, kind: str) -> None:
        self._period = self.period.as_kind(kind)
        self._compute()

    def action_shift(self, step: int) -> None:
        self._period = self.period.shift(step)
        self._compute()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {"summary": "#stats-summary-scroll", "rows": "#stats-rows",
                  "staff": "#stats-staff-scroll"}[tab]
        self.query_one(target).focus()  # ↑ ↓ PgUp PgDn scroll what is shown

    # ------------------------------------------------------------ data
    def _compute(self) -> None:
        period = self.period
        self.query_one("#stats-title", Label).update(
            Content(f"《客户投诉统计表》 {period.label}　{period.span}　正在统计…"))
        self._build(period)

    @work(thread=True, exclusive=True, group="statistics", exit_on_error=False)
    def _build(self, period: Period) -> None:
        deliver(self, lambda: build_report(self.desk, period), self._show,
                waiting=f"正在统计 {period.label}…")

    def _show(self, report: Report) -> None:
        if report.period != self.period:  # the user moved on meanwhile
            return
        self._report = report
        p = report.period
        self.query_one("#stats-title", Label).update(Content(
            f"《客户投诉统计表》 {p.label}　{p.span}　共 {report.total} 件　"
            f"处理及时率 {percent(report.resolution.rate)}　满意率 {percent(report.satisfaction_rate)}"))
        self._draw_summary()
        self.query_one("#stats-staff", Static).update(staff_content(report))
        table = self.query_one(VirtualTable)
        table.reload(ReportRowSource(self.desk, p, report.total))

    def _draw_summary(self) -> None:
        if self._report is None:
            return
        summary = self.query_one("#stats-summary", Static)
        width = max(self.size.width - 6, 40)
        summary.update(summary_content(self._report, self.desk, width))

    def on_resize(self) -> None:
        self._draw_summary()

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.post_message(OpenComplaint(event.key))
