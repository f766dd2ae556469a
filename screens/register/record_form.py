"""The 《客户投诉记录单》: registering a complaint, laid out like the paper form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import DescendantBlur
from textual.widget import Widget
from textual.widgets import Header, Input, Label, Static, TextArea

from complaintdesk.process.complaints import (customer_history, last_channel, register_complaint,
                                              validate)
from complaintdesk.process.duplicates import likely_duplicates
from complaintdesk.domain.enums import Category, Channel, Priority, Status
from complaintdesk.domain.errors import DomainError, ValidationFailed
from complaintdesk.domain.validation import cleaned_fields, validate_complaint
from complaintdesk.reports.labels import FIELD_LABELS, TIME_FORMAT

from screens.widgets.fields import Field, TextBox
from screens.workers import deliver
from screens.widgets.choice_bar import ChoiceBar
from screens.widgets.dialogs import ConfirmDialog, SavedChoice, SavedDialog
from screens.widgets.footer import Footer
from screens.widgets.typeahead import after_typed_keys
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor
from screens.desk_app import DeskScreen

if TYPE_CHECKING:
    from screens.desk_app import DeskApp

TEXT_FIELDS = ("customer_name", "address", "received_at", "contact", "product", "quantity")
AREA_FIELDS = ("event", "demand")
CHOICE_FIELDS = {"channel": Channel, "category": Category, "priority": Priority}


def field_row(name: str, *widgets: Widget, label: str | None = None) -> Horizontal:
    """A labelled row of the paper form, with its error line under it."""
    return Horizontal(
        Label(Content(label or FIELD_LABELS[name]), classes="form-label"),
        *widgets,
        classes="form-row",
        id=f"row-{name}",
    )


class RecordFormScreen(DeskScreen):
    """Register one complaint. Dismisses with the new number, or None if left."""

    HELP_TITLE = "登记投诉（《客户投诉记录单》）"

    BINDINGS = [
        Binding("ctrl+s", "save", "保存", priority=True),
        Binding("escape", "leave", "返回"),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor) -> None:
        super().__init__(desk, actor)
        self._initial: dict[str, object] = {}
        self._touched: set[str] = set()
        #: What the form filled in from a known customer's last complaint, by field:
        #: replaced (or cleared) when the contact turns out to be someone else's.
        self._filled: dict[str, str] = {}
        self._saving = False
        self._last_number: str | None = None

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="record-form"):
            yield Label(Content("《客户投诉记录单》"), id="form-title")
            yield field_row("customer_name", Field(id="customer_name", placeholder="个人或单位名称"))
            yield self._error("customer_name")
            yield field_row("address", Field(id="address", placeholder="可不填"))
            yield self._error("address")
            yield field_row(
                "received_at",
                Field(id="received_at", classes="short"),
                Label(Content("受理编号"), classes="form-label inline"),
                Label(Content("保存后由系统生成"), id="number-preview"),
            )
            yield self._error("received_at")
            yield field_row("channel", ChoiceBar(Channel.choices(), id="channel"))
            yield self._error("channel")
            yield field_row("contact", Field(id="contact", placeholder="电话或邮箱"))
            yield self._error("contact")
            yield Static(id="customer-history")
            yield field_row("event", TextBox(id="event", soft_wrap=True, show_line_numbers=False))
            yield self._error("event")
            yield field_row("demand", TextBox(id="demand", soft_wrap=True, show_line_numbers=False))
            yield self._error("demand")
            yield field_row("category", ChoiceBar(Category.choices(), id="category"))
            yield self._error("category")
            yield field_row("priority", ChoiceBar(Priority.choices(), Priority.GENERAL.value,
                                                  id="priority"))
            yield self._error("priority")
            yield field_row(
                "product",
                Field(id="product", placeholder="可不填"),
                Label(Content("数量"), classes="form-label inline"),
                Field(id="quantity", classes="short", placeholder="可不填"),
            )
            yield self._error("product")
            yield self._error("quantity")
            yield Horizontal(
                Label(Content("部门受理人员"), classes="form-label"),
                Label(Content(self.actor.label), id="receiver"),
                classes="form-row",
            )
        yield Footer()

    @staticmethod
    def _error(name: str) -> Label:
        return Label(id=f"error-{name}", classes="form-error")

    def on_mount(self) -> None:
        self.sub_title = "登记投诉"
        self._reset()
        self._load_default_channel()

    def _reset(self) -> None:
        """A blank form for the next complaint; the channel chosen last is kept."""
        for name in TEXT_FIELDS:
            self.query_one(f"#{name}", Input).value = ""
        for name in AREA_FIELDS:
            self.query_one(f"#{name}", TextArea).text = ""
        self.query_one("#category", ChoiceBar).value = None
        self.query_one("#priority", ChoiceBar).value = Priority.GENERAL.value
        self.query_one("#received_at", Input).value = self.desk.now().strftime(TIME_FORMAT)
        self.query_one("#number-preview", Label).update(Content("保存后由系统生成"))
        self.query_one("#customer-history", Static).display = False
        self._touched.clear()
        self._filled.clear()
        self._show_errors({})
        self._initial = self.values()
        # At once, not after the keys already waiting (focus() would queue it behind them).
        self.set_focus(self.query_one("#customer_name", Input))
        self.query_one("#record-form").scroll_home(animate=False)

    @work(thread=True, exit_on_error=False)
    def _load_default_channel(self) -> None:
        deliver(self, lambda: last_channel(self.desk, self.actor.login) or Channel.PHONE.value,
                self._set_default_channel)

    def _set_default_channel(self, channel: str) -> None:
        bar = self.query_one("#channel", ChoiceBar)
        untouched = bar.value == self._initial.get("channel")
        if untouched:
            bar.value = channel
            self._initial["channel"] = channel

    # ------------------------------------------------------------ values
    def values(self) -> dict[str, object]:
        """The form's current input, keyed by the intake field names."""
        data: dict[str, object] = {}
        for name in TEXT_FIELDS:
            data[name] = self.query_one(f"#{name}", Input).value
        for name in AREA_FIELDS:
            data[name] = self.query_one(f"#{name}", TextArea).text
        for name in CHOICE_FIELDS:
            data[name] = self.query_one(f"#{name}", ChoiceBar).value
        return data

    def has_unsaved_input(self) -> bool:
        current = self.values()
        return any(current[k] != self._initial.get(k) for k in current)

    def _show_errors(self, errors: dict[str, str], only: set[str] | None = None) -> None:
        for name in FIELD_LABELS:
            label = self.query_one(f"#error-{name}", Label)
            message = errors.get(name) if only is None or name in only else None
            if message:
                label.update(Content.from_markup("  ↑ $label：$message",
                                                 label=FIELD_LABELS[name], message=message))
                label.display = True
            else:
                label.update("")
                label.display = False

    def _validate_touched(self) -> None:
        _draft, errors = validate_complaint(self.values(), now=self.desk.now(),
                                            zone=self.desk.config.timezone)
        self._show_errors(errors, only=self._touched)

    # ------------------------------------------------------------ events
    @on(DescendantBlur)
    def _field_left(self, event: DescendantBlur) -> None:
        widget_id = event.widget.id
        if widget_id in FIELD_LABELS:
            self._touched.add(widget_id)
            self._validate_touched()
        if widget_id == "contact":
            self._lookup_customer(self.query_one("#contact", Input).value)

    @on(Input.Changed, "#contact")
    def _contact_changed(self, event: Input.Changed) -> None:
        self._lookup_customer(event.value)

    @work(thread=True, exclusive=True, group="customer-lookup", exit_on_error=False)
    def _lookup_customer(self, contact: str) -> None:
        deliver(self, lambda: customer_history(self.desk, contact, limit=3),
                lambda found: self._show_history(contact, *found))

    def _show_history(self, contact: str, total: int, rows: list) -> None:
        if contact != self.query_one("#contact", Input).value:
            return  # the person typed on; a newer lookup is coming
        panel = self.query_one("#customer-history", Static)
        if not total:
            panel.update("")
            panel.display = False
            self._forget_customer()
            return
        desk = self.desk
        lines = [Content.from_markup("[b]老客户[/b]：该联系方式已有 $total 件投诉", total=total)]
        for complaint in rows:
            lines.append(Content.from_markup(
                "  $number  $date  $category  $status  $event",
                number=complaint.number,
                date=desk.local(complaint.received_at).strftime("%Y-%m-%d"),
                category=Category(complaint.category).label,
                status=Status(complaint.status).label,
                event=complaint.event.replace("\n", " ")[:40],
            ))
        panel.update(Content("\n").join(lines))
        panel.display = True
        self._prefill_customer(rows[0])

    def _prefill_customer(self, latest) -> None:  # type: ignore[no-untyped-def]
        """A known customer: fill name and address. What the form filled in for an
        earlier contact is replaced (never two customers in one form); what the
        person typed is replaced only if she says so."""
        wanted = {"customer_name": latest.customer_name or "", "address": latest.address or ""}
        typed: dict[str, str] = {}
        for name, value in wanted.items():
            field = self.query_one(f"#{name}", Input)
            if field.value == value:
                self._filled[name] = value
            elif not field.value.strip() or self._filled.get(name) == field.value:
                field.value = value
                self._filled[name] = value
            else:
                typed[name] = value
        if not typed:
            return

        def answer(replace: bool | None) -> None:
            if replace:
                for name, value in typed.items():
                    self.query_one(f"#{name}", Input).value = value
                    self._filled[name] = value

        shown = "、".join(f"{FIELD_LABELS[n]}“{v or '（空）'}”" for n, v in typed.items())
        self.app.push_screen(ConfirmDialog(
            "该联系方式属于已有客户",
            f"此联系方式上次登记为：{shown}。用它替换你输入的内容吗？（N 保留你输入的）"), answer)

    def _forget_customer(self) -> None:
        """The contact is nobody known (any more): take back what was filled in
        for the earlier one, unless the person has changed it since."""
        for name, value in self._filled.items():
            field = self.query_one(f"#{name}", Input)
            if field.value == value:
                field.value = ""
        self._filled.clear()

    # ------------------------------------------------------------ focus order
    def focus_next(self, selector="*"):  # type: ignore[no-untyped-def]
        """Tab from 营业地址 goes straight to 客户联系方式: 受理日期 (now) and 投诉方式
        (the clerk's last channel) are filled in and a call rarely changes them;
        Shift+Tab from 客户联系方式 reaches them."""
        if selector == "*" and self.focused is self.query_one("#address", Input):
            contact = self.query_one("#contact", Input)
            self.set_focus(contact)
            return contact
        return super().focus_next(selector)

    # ------------------------------------------------------------ actions
    def action_save(self) -> None:
        after_typed_keys(self, self._save)

    def _save(self) -> None:
        if self._saving:
            return
        data = self.values()
        _draft, errors = validate_complaint(data, now=self.desk.now(),
                                            zone=self.desk.config.timezone)
        self._touched.update(FIELD_LABELS)
        self._show_errors(errors)
        if errors:
            first = next(name for name in FIELD_LABELS if name in errors)
            self.query_one(f"#{first}").focus()
            self.notify(f"有 {len(errors)} 处需要修改，见各栏下方的提示", severity="warning",
                        markup=False)
            return
        self._saving = True
        self._register(data)

    @work(thread=True, exit_on_error=False)
    def _register(self, data: dict[str, object], confirmed: bool = False) -> None:
        def save():  # type: ignore[no-untyped-def]
            if not confirmed:  # the same matter already open: ask before a second one
                earlier = likely_duplicates(self.desk, validate(self.desk, data))
                if earlier:
                    return earlier
            return register_complaint(self.desk, self.actor.login, data)

        deliver(self, save, lambda result: self._saved_or_ask(data, result), self._save_failed,
                waiting="正在保存记录单…（数据库忙时会稍等）")

    def _saved_or_ask(self, data: dict[str, object], result) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(result, list):
            self._saved(result)
            return
        days = self.desk.config.duplicate_within_days
        question = Content(
            f"同一联系方式在 {days} 天内已有同一品名的未结案投诉：\n"
            + "\n".join("  " + earlier.describe(self.desk) for earlier in result)
            + "\n\n仍要登记为一件新的投诉吗？选“否”回到表单：若是同一件事，请打开原投诉补充备注。")

        def answer(register: bool | None) -> None:
            if register:
                self._register(data, confirmed=True)
            else:
                self._saving = False

        self.app.push_screen(ConfirmDialog("可能重复登记", question), answer)

    def _save_failed(self, refusal: DomainError) -> None:
        self._saving = False
        if isinstance(refusal, ValidationFailed):
            self._show_errors(refusal.errors)
        self.notify(refusal.message + "（已填写的内容仍在表单中）", severity="error",
                    markup=False, timeout=8)

    def _saved(self, complaint) -> None:  # type: ignore[no-untyped-def]
        self._saving = False
        self._initial = self.values()
        self.query_one("#number-preview", Label).update(Content(complaint.number))
        summary = Content.from_markup(
            "$customer · $priority · $category\n首次响应期限 $first\n处理期限 $due",
            customer=complaint.customer_name,
            priority=Priority(complaint.priority).label,
            category=Category(complaint.category).label,
            first=self.desk.local(complaint.first_response_due).strftime(TIME_FORMAT),
            due=self.desk.local(complaint.resolution_due).strftime(TIME_FORMAT),
        )
        cleaned = cleaned_fields(self.values(), complaint)
        if cleaned:
            names = "、".join(FIELD_LABELS[name] for name in cleaned)
            summary += Content(f"\n已清理：{names}（删去了控制字符，或把单行栏目中的换行换成了空格）")

        self._last_number = complaint.number

        def after(choice: SavedChoice | None) -> None:
            if choice is SavedChoice.AGAIN:
                self._reset()
            else:
                self.dismiss(complaint.number)

        self.app.push_screen(SavedDialog(complaint.number, summary), after)

    def action_leave(self) -> None:
        if not self.has_unsaved_input():
            self.dismiss(self._last_number)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(self._last_number)

        self.app.push_screen(
            ConfirmDialog("放弃未保存的记录单？", "表单中有尚未保存的内容。放弃后无法恢复。"), answer)
