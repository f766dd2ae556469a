"""The 《客户投诉处理单》 editor, laid out like the paper form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Input, Label, TextArea

from complaintdesk.process import workflow as wf
from complaintdesk.domain.enums import HandlingMethod
from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.money import format_amount
from complaintdesk.domain.timing import TIME_FORMAT

from screens.widgets.fields import Field, TextBox
from screens.widgets.choice_bar import ChoiceBar
from screens.case.conflict import ConflictChoice, ConflictDialog, Difference
from screens.widgets.dialogs import ConfirmDialog
from screens.widgets.footer import Footer
from screens.widgets.typeahead import after_typed_keys
from screens.workers import deliver, refusal_text
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor
from screens.desk_app import DeskScreen

if TYPE_CHECKING:
    from screens.desk_app import DeskApp

#: What the editor writes: result, receiver_opinion, customer_opinion. The
#: 部门经理意见 is the department manager's own (given on the record, key O): shown here.
AREAS = list(wf.EDITABLE_TEXTS.items())
MANAGER_NONE = "（尚未填写：由责任部门的部门经理在投诉记录上按 O 填写）"
LINES = ("handling_date", "loss_amount", "product", "quantity")
LABELS = {**dict(AREAS), "handling_date": "处理日期", "loss_amount": "损失金额", "product": "品名",
          "quantity": "数量", "method": "处理方式"}


def sheet_values(handling: wf.Handling, desk) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The editor's fields as they show a stored sheet (or a new one)."""
    c, sheet = handling.complaint, handling.sheet
    date = desk.local(sheet.handling_date) if sheet else desk.now()
    loss = sheet.loss_cents if sheet else None
    quantity = sheet.quantity if sheet else c.quantity
    values: dict[str, object] = {name: getattr(sheet, name) if sheet else "" for name, _ in AREAS}
    values.update(handling_date=date.strftime(TIME_FORMAT),
                  loss_amount="" if loss is None else format_amount(loss).lstrip("¥").replace(",", ""),
                  product=sheet.product if sheet else c.product,
                  quantity="" if quantity is None else str(quantity),
                  method=sheet.method if sheet else None)
    return values


def differences(mine: dict[str, object], theirs: dict[str, object]) -> list[Difference]:
    """The fields whose text differs, in the form's order, as the user reads them."""
    def shown(name: str, value: object) -> str:
        if name == "method":
            return HandlingMethod(value).label if value else ""
        return str(value or "")

    return [(LABELS[name], shown(name, mine.get(name)), shown(name, theirs.get(name)))
            for name in LABELS if shown(name, mine.get(name)) != shown(name, theirs.get(name))]


class SheetEditorScreen(DeskScreen):
    """Draft the current round's sheet; save (Ctrl+S) or submit for approval (Ctrl+U)."""

    HELP_TITLE = "《客户投诉处理单》"

    BINDINGS = [
        Binding("ctrl+s", "save", "保存草稿", priority=True),
        Binding("ctrl+u", "submit", "提交审批", priority=True),
        Binding("escape", "leave", "返回"),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor, number: str) -> None:
        super().__init__(desk, actor)
        self.number = number
        self.sheet_version: int | None = None
        self._initial: dict[str, object] = {}
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="sheet-form"):
            yield Label(Content("《客户投诉处理单》"), id="sheet-title")
            yield Horizontal(Label(Content("客户名称"), classes="form-label"),
                             Label(id="sheet-customer"),
                             Label(Content("处理单编号"), classes="form-label inline"),
                             Label(id="sheet-number"), classes="form-row")
            yield Horizontal(Label(Content("处理部门"), classes="form-label"),
                             Label(id="sheet-department"),
                             Label(Content("处理日期"), classes="form-label inline"),
                             Field(id="handling_date", classes="short"), classes="form-row")
            for name, label in wf.SHEET_TEXTS.items():
                if name == "manager_opinion":
                    yield Horizontal(Label(Content(label), classes="form-label"),
                                     Label(Content(MANAGER_NONE), id="sheet-manager"),
                                     classes="form-row")
                    continue
                yield Horizontal(Label(Content(label), classes="form-label"),
                                 TextBox(id=name, soft_wrap=True), classes="form-row")
            yield Horizontal(Label(Content("处理方式"), classes="form-label"),
                             ChoiceBar(HandlingMethod.choices(), id="method"), classes="form-row")
            yield Horizontal(Label(Content("损失金额"), classes="form-label"),
                             Field(id="loss_amount", classes="short", placeholder="¥0.00"),
                             Label(Content("品名"), classes="form-label inline"),
                             Field(id="product"),
                             Label(Content("数量"), classes="form-label inline"),
                             Field(id="quantity", classes="tiny"), classes="form-row")
            yield Label(id="sheet-status", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.number} 处理单"
        self._load()

    @work(thread=True, exclusive=True, group="sheet", exit_on_error=False)
    def _load(self) -> None:
        deliver(self, lambda: wf.get_handling(self.desk, self.number), self._fill)

    def _fill(self, handling: wf.Handling) -> None:
        c, sheet = handling.complaint, handling.sheet
        desk = self.desk
        self.query_one("#sheet-customer", Label).update(Content(c.customer_name))
        self.query_one("#sheet-number", Label).update(
            Content(sheet.sheet_number if sheet else wf.sheet_number(c) + "（保存后生效）"))
        self.query_one("#sheet-department", Label).update(
            Content(desk.config.department_name(c.department) or "—"))
        self._show(sheet_values(handling, desk))
        manager = MANAGER_NONE
        if sheet is not None and sheet.manager_opinion_by:
            when = desk.local(sheet.manager_opinion_at).strftime(TIME_FORMAT) \
                if sheet.manager_opinion_at else ""
            manager = f"{sheet.manager_opinion}\n——{sheet.manager_opinion_by} {when}".rstrip()
        elif sheet is not None and sheet.manager_opinion:  # typed before v12: kept, unsigned
            manager = f"{sheet.manager_opinion}\n（未签名：升级前录入）"
        self.query_one("#sheet-manager", Label).update(Content(manager))
        self.sheet_version = sheet.version if sheet else None
        status = "新处理单" if sheet is None else f"第 {sheet.version} 版"
        if sheet is not None and sheet.return_reason and sheet.state in ("returned", "draft"):
            status += f" · 主管退回原因：{sheet.return_reason}"
        self._status(status)
        self._initial = self.values()
        self.query_one("#result", TextArea).focus()

    def _show(self, values: dict[str, object]) -> None:
        for name, _label in AREAS:
            self.query_one(f"#{name}", TextArea).text = str(values[name])
        for name in LINES:
            self.query_one(f"#{name}", Input).value = str(values[name])
        self.query_one("#method", ChoiceBar).value = values["method"]  # type: ignore[assignment]

    def _status(self, text: str) -> None:
        label = self.query_one("#sheet-status", Label)
        label.update(Content(text))
        label.display = True

    def values(self) -> dict[str, object]:
        data: dict[str, object] = {name: self.query_one(f"#{name}", TextArea).text
                                   for name, _ in AREAS}
        for name in LINES:
            data[name] = self.query_one(f"#{name}", Input).value
        data["method"] = self.query_one("#method", ChoiceBar).value
        return data

    def has_unsaved_input(self) -> bool:
        return bool(self._initial) and self.values() != self._initial

    # ------------------------------------------------------------ actions
    def action_save(self) -> None:
        after_typed_keys(self, lambda: self._write(submit=False))

    def action_submit(self) -> None:
        after_typed_keys(self, lambda: self._write(submit=True))

    def _write(self, submit: bool) -> None:
        if self._busy:
            return
        self._busy = True
        self._run(self.values(), submit, self.sheet_version)

    @work(thread=True, exit_on_error=False)
    def _run(self, data: dict[str, object], submit: bool, version: int | None) -> None:
        call = wf.submit_sheet if submit else wf.save_sheet

        def write() -> tuple[wf.StaleSheet | None, wf.Handling]:
            try:
                call(self.desk, self.actor.login, self.number, data, sheet_version=version)
            except wf.StaleSheet as stale:  # the other version, to choose between
                return stale, wf.get_handling(self.desk, self.number)
            return None, wf.get_handling(self.desk, self.number)

        def written(outcome: tuple[wf.StaleSheet | None, wf.Handling]) -> None:
            stale, handling = outcome
            if stale is None:
                self._written(submit, handling)
            else:
                self._conflict(data, submit, handling, stale)

        deliver(self, write, written, self._failed, waiting="正在保存处理单…（数据库忙时会稍等）")

    def _failed(self, refusal: DomainError) -> None:
        message = refusal_text(refusal)
        self._busy = False
        self._status(message + "（输入仍在表单中）")
        self.notify(message, severity="error", markup=False, timeout=10)

    def _conflict(self, mine: dict[str, object], submit: bool, fresh: wf.Handling,
                  stale: wf.StaleSheet) -> None:
        """Someone saved a version meanwhile: show both, let the user choose."""
        self._busy = False
        self._status(stale.message)
        theirs = sheet_values(fresh, self.desk)
        sheet = fresh.sheet
        title = f"对方的版本（第 {sheet.version} 版）" if sheet else "对方的版本"

        def chosen(choice: ConflictChoice | None) -> None:
            if choice is ConflictChoice.MINE:
                self.sheet_version = stale.version
                self._write(submit)
            elif choice is ConflictChoice.THEIRS:
                self._fill(fresh)
                self._status(f"已载入对方的版本（第 {self.sheet_version} 版），你的输入已放弃")
            else:
                self._status(stale.message + "（按 Ctrl+S 会再次对照）")

        self.app.push_screen(ConflictDialog(stale.message, title, differences(mine, theirs)),
                             chosen)

    def _written(self, submit: bool, handling: wf.Handling) -> None:
        self._busy = False
        sheet = handling.sheet
        self.sheet_version = sheet.version if sheet else None
        self._initial = self.values()
        if submit:
            self.notify(f"处理单 {sheet.sheet_number if sheet else ''} 已提交审批", markup=False)
            self.dismiss(None)
        else:
            self._status(f"已保存：第 {self.sheet_version} 版")
            self.query_one("#sheet-number", Label).update(Content(sheet.sheet_number if sheet else ""))

    def action_leave(self) -> None:
        if not self.has_unsaved_input():
            self.dismiss(None)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("放弃未保存的处理单修改？",
                                           "处理单中有尚未保存的修改。放弃后无法恢复。"), answer)
