"""A complaint's record: every field of the form and its audit timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from complaintdesk.audit import action_label
from complaintdesk.complaints import ComplaintRecord, get_complaint
from complaintdesk.enums import Category, Channel, Priority, Status
from complaintdesk.errors import DomainError
from complaintdesk.timing import TIME_FORMAT as TIME, describe_due
from complaintdesk.validation import FIELD_LABELS

if TYPE_CHECKING:
    from .app import ComplaintDeskApp


class ComplaintRecordScreen(Screen[None]):
    """Read-only view of one complaint."""

    BINDINGS = [Binding("escape", "app.pop_screen", "返回")]

    app: "ComplaintDeskApp"

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="record-view"):
            yield Label(Content("《客户投诉记录单》"), id="record-title")
            with Vertical(id="record-fields"):
                yield Static(Content("正在读取…"))
            yield Label(Content("处理记录"), classes="section-title")
            yield Static(id="record-timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.number
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            record = get_complaint(self.app.desk, self.number)
        except DomainError as exc:
            self.app.call_from_thread(self._failed, exc.message)
        else:
            self.app.call_from_thread(self._show, record)

    def _failed(self, message: str) -> None:
        self.query_one("#record-fields", Vertical).remove_children()
        self.query_one("#record-fields", Vertical).mount(Static(Content(message)))

    def _show(self, record: ComplaintRecord) -> None:
        desk = self.app.desk
        c = record.complaint
        now = desk.now()
        rows: list[tuple[str, str]] = [
            (FIELD_LABELS["customer_name"], c.customer_name),
            (FIELD_LABELS["address"], c.address or "—"),
            (FIELD_LABELS["received_at"], desk.local(c.received_at).strftime(TIME)),
            ("受理编号", c.number),
            (FIELD_LABELS["channel"], Channel(c.channel).label),
            (FIELD_LABELS["contact"], c.contact),
            (FIELD_LABELS["event"], c.event),
            (FIELD_LABELS["demand"], c.demand),
            (FIELD_LABELS["category"], Category(c.category).label),
            (FIELD_LABELS["priority"], Priority(c.priority).label
             + ("（已上报管理层）" if c.escalated else "")),
            (FIELD_LABELS["product"], c.product or "—"),
            (FIELD_LABELS["quantity"], "—" if c.quantity is None else str(c.quantity)),
            ("状态", Status(c.status).label),
            ("部门受理人员", f"{record.receiver_name}（{c.received_by}）"),
            ("首次响应期限", describe_due(desk.local(c.first_response_due), now)),
            ("处理期限", describe_due(desk.local(c.resolution_due), now)),
        ]
        fields = self.query_one("#record-fields", Vertical)
        fields.remove_children()
        fields.mount_all(
            Horizontal(Label(Content(label), classes="rv-label"),
                       Static(Content(value), classes="rv-value"), classes="rv-row")
            for label, value in rows
        )
        events = [
            Content.from_markup("$at  $actor  $action$change",
                                at=desk.local(e.at).strftime(TIME), actor=e.actor,
                                action=action_label(e.action),
                                change=_change(e.field, e.before, e.after))
            for e in record.timeline
        ]
        self.query_one("#record-timeline", Static).update(
            Content("\n").join(events) if events else Content("（无）"))


def _change(field: str | None, before: str | None, after: str | None) -> str:
    if field:
        return f"  {field}: {before or '—'} → {after or '—'}"
    return f"  {after}" if after else ""
