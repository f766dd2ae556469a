"""A complaint's full record: the form's fields, deadlines, related complaints,
and the timeline. Staff link repeats/duplicates and add notes here."""

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
from complaintdesk.complaints import ComplaintRecord, add_note, get_complaint, link_complaints
from complaintdesk.enums import Category, Channel, Priority, Status
from complaintdesk.errors import DomainError
from complaintdesk.timing import TIME_FORMAT, describe_due
from complaintdesk.validation import FIELD_LABELS

from .dialogs import LinkDialog, NoteDialog

if TYPE_CHECKING:
    from .app import ComplaintDeskApp


def field_rows(record: ComplaintRecord, desk, now) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Label/value pairs of the record form, in the paper form's order."""
    c = record.complaint
    return [
        (FIELD_LABELS["customer_name"], c.customer_name),
        (FIELD_LABELS["address"], c.address or "—"),
        (FIELD_LABELS["received_at"], desk.local(c.received_at).strftime(TIME_FORMAT)),
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
        ("部门受理人员", f"{record.receiver_name}（{c.received_by}）"),
        ("状态", Status(c.status).label),
        ("首次响应期限", describe_due(desk.local(c.first_response_due), now)),
        ("处理期限", describe_due(desk.local(c.resolution_due), now)),
    ]


def summary_line(complaint, desk, prefix: str = "") -> Content:  # type: ignore[no-untyped-def]
    return Content.from_markup(
        "$prefix$number  $date  $priority  $status  $event",
        prefix=prefix,
        number=complaint.number,
        date=desk.local(complaint.received_at).strftime("%Y-%m-%d"),
        priority=Priority(complaint.priority).label,
        status=Status(complaint.status).label,
        event=complaint.event.replace("\n", " ")[:60],
    )


class ComplaintRecordScreen(Screen[None]):
    """Everything about one complaint; refreshed live when anyone changes it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回"),
        Binding("l", "link", "关联投诉"),
        Binding("a", "note", "添加备注"),
        Binding("ctrl+r", "reload", "刷新", show=False),
    ]

    app: "ComplaintDeskApp"

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self._note_draft = ""
        self._link_draft = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="record-view"):
            yield Label(Content("《客户投诉记录单》"), id="record-title")
            with Vertical(id="record-fields"):
                yield Static(Content("正在读取…"))
            yield Label(Content("关联投诉"), classes="section-title")
            yield Static(id="record-links", classes="record-list")
            yield Label(Content("该客户的其他投诉"), classes="section-title")
            yield Static(id="record-others", classes="record-list")
            yield Label(Content("处理记录"), classes="section-title")
            yield Static(id="record-timeline", classes="record-list")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.number
        self.refresh_data()

    def refresh_data(self) -> None:
        self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def _load(self) -> None:
        try:
            record = get_complaint(self.app.desk, self.number)
        except DomainError as exc:
            self.app.call_from_thread(self._failed, exc.message)
        else:
            self.app.call_from_thread(self._show, record)

    def _failed(self, message: str) -> None:
        fields = self.query_one("#record-fields", Vertical)
        fields.remove_children()
        fields.mount(Static(Content(message)))

    def _show(self, record: ComplaintRecord) -> None:
        desk = self.app.desk
        now = desk.now()
        fields = self.query_one("#record-fields", Vertical)
        with self.app.batch_update():
            fields.remove_children()
            fields.mount_all(
                Horizontal(Label(Content(label), classes="rv-label"),
                           Static(Content(value), classes="rv-value"), classes="rv-row")
                for label, value in field_rows(record, desk, now)
            )
            links = [summary_line(link.complaint, desk,
                                  f"{link.kind.label}{'→' if link.outgoing else '←'} ")
                     for link in record.links]
            self.query_one("#record-links", Static).update(
                Content("\n").join(links) if links else Content("（无）按 L 关联同一事项的投诉"))
            others = [summary_line(c, desk) for c in record.customer_others]
            self.query_one("#record-others", Static).update(
                Content("\n").join(others) if others else Content("（无）"))
            names = record.staff_names
            events = [
                Content.from_markup(
                    "$at  $actor  $action  $change",
                    at=desk.local(e.at).strftime(TIME_FORMAT),
                    actor=names.get(e.actor, e.actor),
                    action=action_label(e.action),
                    change=_change(e.field, e.before, e.after),
                )
                for e in record.timeline
            ]
            self.query_one("#record-timeline", Static).update(
                Content("\n").join(events) if events else Content("（无）"))

    # ------------------------------------------------------------ actions
    def action_note(self) -> None:
        def done(result: tuple[bool, str] | None) -> None:
            save, text = result or (False, self._note_draft)
            self._note_draft = text
            if save:
                self._save_note(text)

        self.app.push_screen(NoteDialog(self.number, self._note_draft), done)

    @work(thread=True, exit_on_error=False)
    def _save_note(self, text: str) -> None:
        try:
            add_note(self.app.desk, self.app.actor.login, self.number, text)
        except DomainError as exc:
            self.app.call_from_thread(self._action_failed, exc.message)
        else:
            self.app.call_from_thread(self._note_saved)

    def _note_saved(self) -> None:
        self._note_draft = ""
        self.notify("备注已保存", markup=False)
        self._load()

    def action_link(self) -> None:
        def done(result: tuple[str, str] | None) -> None:
            if result is not None:
                self._link_draft = result[0]
                self._save_link(*result)

        self.app.push_screen(LinkDialog(self.number, self._link_draft), done)

    @work(thread=True, exit_on_error=False)
    def _save_link(self, other: str, kind: str) -> None:
        try:
            link_complaints(self.app.desk, self.app.actor.login, self.number, other, kind)
        except DomainError as exc:
            self.app.call_from_thread(self._action_failed, exc.message)
        else:
            self.app.call_from_thread(self._link_saved)

    def _link_saved(self) -> None:
        self._link_draft = ""
        self.notify("已关联", markup=False)
        self._load()

    def _action_failed(self, message: str) -> None:
        self.notify(message + "（输入已保留，可重试）", severity="error", markup=False, timeout=8)


def _change(field: str | None, before: str | None, after: str | None) -> str:
    if field:
        return f"{field}: {before or '—'} → {after or '—'}"
    return after or ""
