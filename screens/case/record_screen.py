"""A complaint's full record: the form's fields, deadlines, related complaints,
and the timeline. Staff link repeats/duplicates and add notes here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Label, Static

from complaintdesk.domain.errors import DomainError
from complaintdesk.reports.labels import Responsibility, SheetState, action_label, label
from complaintdesk.process.case_file import read_case
from complaintdesk.process.complaints import ComplaintRecord, add_note, link_complaints, resolve_number
from complaintdesk.process.corrections import correct_complaint, correction_refusal
from complaintdesk.process.duplicates import merge_into, merge_refusal
from complaintdesk.process.watch import Changes
from complaintdesk.domain.enums import (AgreementMethod, Category, Channel, HandlingMethod, Priority,
                                 Status)
from complaintdesk.process import workflow as wf
from complaintdesk.process.records import Revisit
from complaintdesk.domain.money import format_amount
from complaintdesk.reports.presenting import revisit_line, revisit_summary
from complaintdesk.domain.clocks import clocks
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.timing import TIME_FORMAT, describe_due, minutes_left, span
from complaintdesk.domain.validation import FIELD_LABELS

from screens.desk_app import DataScreen
from screens.case.timeline import change_text
from screens.widgets.wrapped import Wrapped
from screens.widgets.dialogs import ConfirmDialog, LinkDialog, LinkRequest, NoteDialog, NoteResult
from screens.case.correction_form import changed_fields, correction_fields, correction_values
from screens.widgets.form_dialog import FormDialog, FormField, FormResult
from screens.case.steps import STEP_BY_NAME, STEPS, StepRunner, relevant, step_refusal
from screens.widgets.footer import Footer
from screens.workers import deliver, refusal_text
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import Actor

if TYPE_CHECKING:
    from screens.desk_app import DeskApp


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
    ] + clock_rows(c, desk, now)


def clock_rows(c, desk, now) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The four clocks (clocks.py): each deadline, what is left or when it was met, and
    its warning (预警 once the configured share is used, 超时, 暂停 while the desk
    waits on the customer)."""
    limits = desk.config.limits[Priority(c.priority)]
    states = {clock.kind: clock.state(now, desk.config.at_risk_fraction)
              for clock in clocks(as_row(c))}

    def row(label: str, kind: str, due, done, done_label: str,  # type: ignore[no-untyped-def]
            working: bool = False) -> tuple[str, str]:
        return label, _deadline(desk, due, done, now, done_label, working, states.get(kind))

    rows = [row("首次响应期限", "first_response", c.first_response_due, c.first_response_at, "已响应")]
    if c.investigation_due is not None:
        if c.status == Status.INVESTIGATING.value:
            rows.append(row("调查期限", "investigation", c.investigation_due, None, "",
                            limits.investigation.working))
        else:
            rows.append(("调查期限", f"{desk.local(c.investigation_due).strftime(TIME_FORMAT)}"
                                     "（已记录调查）"))
    rows.append(row("处理期限", "handling", c.handling_due or c.resolution_due,
                    c.resolved_at or c.closed_at, "已处理完毕", limits.resolution.working))
    if c.revisit_due is not None and not c.closed:
        rows.append(row("回访期限", "revisit", c.revisit_due, None, ""))
    if c.paused_at is not None:
        since = desk.local(c.paused_at)
        rows.append(("暂停计时", f"暂停中：{c.pause_reason}（自 {since.strftime(TIME_FORMAT)}，"
                                 f"已 {span(minutes_left(now, since))}；恢复后处理期限顺延，按 P 恢复）"))
    elif c.paused_minutes:
        rows.append(("暂停计时", f"累计暂停 {span(c.paused_minutes)}（处理期限已顺延）"))
    return rows


STATE_MARKS = {"at-risk": "（预警）", "overdue": "", "paused": "（暂停中）"}


def _deadline(desk, due, done, now, done_label: str, working: bool = False,  # type: ignore[no-untyped-def]
              state: str | None = None) -> str:
    """Time left while it runs (in working days too where the desk counts them) and its
    warning; once met, when it was met (not "超时 177天" forever)."""
    if done is None:
        if state == "paused":
            return f"{desk.local(due).strftime(TIME_FORMAT)}（暂停中，恢复后顺延）"
        days = desk.config.calendar.working_days_between(now, desk.local(due)) if working else None
        return describe_due(desk.local(due), now, days) + STATE_MARKS.get(state or "", "")
    when = desk.local(done).strftime(TIME_FORMAT)
    return f"{desk.local(due).strftime(TIME_FORMAT)}（{done_label} {when}）"


def handling_summary(h: wf.Handling, desk, names: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The handling so far, one plain line per fact (wrapped as Chinese is set)."""
    c = h.complaint
    lines: list[str] = []
    if c.responsibility == Responsibility.NOT_OURS:
        how = AgreementMethod(c.agreement_method).label if c.agreement_method else ""
        lines.append(_fill("责任判定：非我方责任（客户同意方式：$how）\n向客户的解释：$text",
                           how=how, text=c.explanation or ""))
    elif c.responsibility == Responsibility.OURS:
        lines.append(_fill(
            "责任判定：我方责任 · 责任部门 $dept · 处理人 $handler · 处理期限 $due · 第 $round 轮",
            dept=desk.config.department_name(c.department), handler=names.get(c.handler or "", "未派单"),
            due=desk.local(c.handling_due).strftime(TIME_FORMAT) if c.handling_due else "—",
            round=str(c.round)))
    for inv in h.investigations:
        lines.append(_fill("调查（第 $round 轮，$who）：$facts；原因：$cause；认定：$finding",
                           round=str(inv.round), who=names.get(inv.recorded_by, inv.recorded_by),
                           facts=_clause(inv.facts), cause=_clause(inv.root_cause), finding=inv.finding))
    for sheet in h.sheets:
        method = HandlingMethod(sheet.method).label if sheet.method else "未定"
        lines.append(_fill(
            "《客户投诉处理单》$no（$state）：$result · 处理方式 $method · 损失金额 $loss",
            no=sheet.sheet_number, state=label(SheetState, sheet.state),
            result=sheet.result or "（未填）", method=method, loss=format_amount(sheet.loss_cents)))
        if sheet.implementation_opinion:
            lines.append(_fill("  实施意见（$who）：$text", who=names.get(
                sheet.decided_by or "", ""), text=sheet.implementation_opinion))
        if sheet.return_reason and sheet.state == SheetState.RETURNED:
            lines.append(_fill("  退回原因（$who）：$text", who=names.get(
                sheet.decided_by or "", ""), text=sheet.return_reason))
    return lines or ["（尚未处理）"]


def _fill(template: str, **values: str) -> str:
    """``$name`` in ``template`` replaced by the plain value (texts are shown as typed)."""
    return re.sub(r"\$(\w+)", lambda m: values[m.group(1)], template)


def _clause(text: str) -> str:
    """A sentence used as a clause before ``；``: without its closing 。."""
    return text.rstrip().rstrip("。.")


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


class ComplaintRecordScreen(DataScreen):
    """Everything about one complaint; refreshed live when anyone changes it."""

    HELP_TITLE = "投诉记录"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回"),
        # Keys shown only in their own status go first: at 80 columns the footer is cut.
        *[Binding(step.key, f"step('{step.name}')", step.label)
          for step in sorted(STEPS, key=lambda step: not step.only_when_relevant)],
        Binding("l", "link", "关联"),
        Binding("m", "merge", "合并重复"),
        Binding("x", "correct", "更正"),
        Binding("a", "note", "备注"),
        Binding("ctrl+r", "reload", "刷新", show=False),
    ]

    app: "DeskApp"

    def __init__(self, desk: Desk, actor: Actor, number: str) -> None:
        super().__init__(desk, actor)
        self.number = number
        self._note_draft = ""
        self._link_draft = ""
        self._merge_draft: dict[str, object] = {}
        self._correct_draft: dict[str, object] = {}
        self.handling: wf.Handling | None = None
        self.steps = StepRunner(self)
        self._shown_numbers: set[str] = {number}  # the complaints this record lists
        self._customer = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="record-view"):
            yield Label(Content("《客户投诉记录单》"), id="record-title")
            with Vertical(id="record-fields"):
                yield Static(Content("正在读取…"))
            yield Label(Content("处理"), classes="section-title")
            yield Vertical(id="record-handling", classes="record-list")
            yield Static(id="record-steps", classes="record-list")
            yield Label(Content("回访"), id="record-revisits-title", classes="section-title hidden")
            yield Static(id="record-revisits", classes="record-list hidden")
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

    def touched_by(self, changes: Changes) -> bool:
        """This complaint, one it lists (links, the customer's others), or a new
        complaint of the same customer name."""
        return (changes.everything or not changes.numbers.isdisjoint(self._shown_numbers)
                or any(c.customer_name == self._customer for c in changes.new))

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def _load(self) -> None:
        deliver(self, lambda: read_case(self.desk, self.number),
                lambda case: self._show(case.record, case.handling, case.revisits), self._failed,
                waiting="正在读取投诉记录…")

    def _failed(self, refusal: DomainError) -> None:
        fields = self.query_one("#record-fields", Vertical)
        fields.remove_children()
        fields.mount(Static(Content(refusal_text(refusal))))

    def _show(self, record: ComplaintRecord, handling: wf.Handling, visits: list[Revisit]) -> None:
        desk = self.desk
        now = desk.now()
        self.handling = handling
        self.refresh_bindings()
        summary = self.query_one("#record-handling", Vertical)
        with self.app.batch_update():
            summary.remove_children()
            summary.mount_all(Wrapped(line) for line in handling_summary(handling, desk,
                                                                         record.staff_names))
        self.query_one("#record-steps", Static).update(self._steps_text())
        self._show_revisits(handling, visits, record.staff_names, now)
        fields = self.query_one("#record-fields", Vertical)
        with self.app.batch_update():
            fields.remove_children()
            fields.mount_all(
                Horizontal(Label(Content(label), classes="rv-label"),
                           Wrapped(value, classes="rv-value"), classes="rv-row")
                for label, value in field_rows(record, desk, now)
            )
            self._customer = record.complaint.customer_name
            self._shown_numbers = {self.number, *(link.complaint.number for link in record.links),
                                   *(c.number for c in record.customer_others)}
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
                    change=change_text(e.action, e.field, e.before, e.after, e.detail),
                )
                for e in record.timeline
            ]
            self.query_one("#record-timeline", Static).update(
                Content("\n").join(events) if events else Content("（无）"))

    def _show_revisits(self, handling: wf.Handling, visits: list[Revisit],
                       names: dict[str, str], now) -> None:  # type: ignore[no-untyped-def]
        """The call-backs, oldest first; the section only appears once there is one
        or the complaint is waiting for it."""
        desk = self.desk
        summary = revisit_summary(desk, handling.complaint, now)
        lines = ([summary] if summary else []) + [revisit_line(desk, v, names) for v in visits]
        for selector in ("#record-revisits-title", "#record-revisits"):
            self.query_one(selector).set_class(not lines, "hidden")
        # Plain text into Content: a customer's words are never parsed as markup.
        self.query_one("#record-revisits", Static).update(Content("\n".join(lines)))

    # ------------------------------------------------------------ handling steps
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Steps the actor may not take now show dimmed (the reason is listed on screen);
        the revisit keys are hidden outside the revisit."""
        if action == "step" and parameters:
            step = STEP_BY_NAME[str(parameters[0])]
            if step.only_when_relevant and (self.handling is None
                                            or not relevant(step, self.handling)):
                return False
            return True if self._refusal(step) is None else None
        if action == "merge":
            return True if self._merge_refusal() is None else None
        if action == "correct":
            return True if self._correct_refusal() is None else None
        return True

    def _steps_text(self) -> Content:
        handling = self.handling
        if handling is None:
            return Content("")
        lines = []
        for step in STEPS:
            if not relevant(step, handling):
                continue
            reason = self._refusal(step)
            lines.append(Content.from_markup("$key $label：$state", key=f"[{step.key.upper()}]",
                                             label=step.label, state=reason or "可以办理"))
        if not lines:
            return Content("（当前状态没有待办的处理步骤）")
        return Content("下一步  ") + Content("    ").join(lines)

    def disabled_reason(self, action: str, parameters: tuple[str, ...]) -> str | None:
        if action == "step" and parameters and parameters[0] in STEP_BY_NAME:
            return self._refusal(STEP_BY_NAME[parameters[0]]) if self.handling else "正在读取…"
        if action == "merge":
            return self._merge_refusal()
        if action == "correct":
            return self._correct_refusal()
        return None

    def _correct_refusal(self) -> str | None:
        if self.handling is None:
            return "正在读取…"
        return correction_refusal(self.actor.role, self.handling.complaint)

    def _merge_refusal(self) -> str | None:
        """Why this person may not merge this complaint now (the core's rule)."""
        if self.handling is None:
            return "正在读取…"
        return merge_refusal(self.actor.role, self.handling.complaint)

    def _refusal(self, step) -> str | None:  # type: ignore[no-untyped-def]
        return step_refusal(step, self.handling, self.actor,
                            self.desk.config)

    def action_step(self, name: str) -> None:
        handling = self.handling
        step = STEP_BY_NAME[name]
        reason = self._refusal(step)
        if reason is not None or handling is None:
            self.notify(reason or "正在读取…", severity="warning", markup=False)
            return
        if name == "sheet":
            from screens.case.sheet_editor import SheetEditorScreen

            self.app.push_screen(SheetEditorScreen(self.desk, self.actor, self.number))
            return
        self.steps.open(name, handling)

    # ------------------------------------------------------------ actions
    def action_note(self) -> None:
        def done(result: NoteResult | None) -> None:
            save, text = (result.save, result.text) if result else (False, self._note_draft)
            self._note_draft = text
            if save:
                self._save_note(text)

        self.app.push_screen(NoteDialog(self.number, self._note_draft), done)

    @work(thread=True, exit_on_error=False)
    def _save_note(self, text: str) -> None:
        deliver(self, lambda: add_note(self.desk, self.actor.login, self.number, text),
                lambda _: self._note_saved(), self._action_failed, waiting="正在保存备注…")

    def _note_saved(self) -> None:
        self._note_draft = ""
        self.notify("备注已保存", markup=False)
        self._load()

    def action_link(self) -> None:
        def done(result: LinkRequest | None) -> None:
            if result is not None:
                self._link_draft = result.number
                self._save_link(result.number, result.kind)

        self.app.push_screen(LinkDialog(self.number, self._link_draft), done)

    @work(thread=True, exit_on_error=False)
    def _save_link(self, other: str, kind: str) -> None:
        deliver(self, lambda: link_complaints(self.desk, self.actor.login, self.number,
                                              other, kind),
                lambda _: self._link_saved(), self._action_failed, waiting="正在保存关联…")

    def action_merge(self) -> None:
        reason = self._merge_refusal()
        if reason is not None or self.handling is None:
            self.notify(reason or "正在读取…", severity="warning", markup=False)
            return
        version = self.handling.complaint.version
        fields = [FormField("original", "原投诉编号",
                            placeholder="如 TS-20261123-0001，或编号末尾几位"),
                  FormField("reason", "合并原因", kind="area", height=3,
                            placeholder="如：同一客户就同一事项重复来电")]
        intro = (f"{self.number} 将作为重复投诉结案，并关联到原投诉；它的备注和证据转到原投诉，"
                 "两边的处理记录都会写明。统计表只计原投诉一次。")

        def closed(result: FormResult | None) -> None:
            if result is None:
                return
            self._merge_draft = dict(result.values)
            if result.submitted:
                self._merge(dict(result.values), version)

        self.app.push_screen(FormDialog(f"合并重复投诉 {self.number}", fields, self._merge_draft,
                                        intro=intro), closed)

    @work(thread=True, exit_on_error=False)
    def _merge(self, values: dict[str, object], version: int) -> None:
        def merge():  # type: ignore[no-untyped-def]
            original = resolve_number(self.desk, str(values.get("original") or ""))
            return merge_into(self.desk, self.actor.login, self.number, original,
                              values.get("reason"), expected_version=version)

        deliver(self, merge, self._merged, self._action_failed, waiting="正在合并…")

    def _merged(self, complaint) -> None:  # type: ignore[no-untyped-def]
        self._merge_draft = {}
        self.notify(f"{complaint.number} 已合并并结案", markup=False)
        self._load()

    def action_correct(self) -> None:
        reason = self._correct_refusal()
        if reason is not None or self.handling is None:
            self.notify(reason or "正在读取…", severity="warning", markup=False)
            return
        complaint = self.handling.complaint
        before = correction_values(complaint, self.actor.role)
        version = complaint.version

        def closed(result: FormResult | None) -> None:
            if result is None:
                return
            self._correct_draft = dict(result.values)
            if not result.submitted:
                return
            changes = changed_fields(before, result.values)
            if "priority" not in changes:
                self._correct(changes, result.values.get("reason"), False, version)
                return

            def answer(recompute: bool | None) -> None:
                self._correct(changes, result.values.get("reason"), bool(recompute), version)

            self.app.push_screen(ConfirmDialog(
                "按新的紧急程度重新计算时限？",
                "选“是”：首次响应期限和处理期限按新的紧急程度从受理时间重新计算（请告知客户）。"
                "选“否”：保持登记时的期限。"), answer)

        self.app.push_screen(FormDialog(f"更正 {self.number}（受理编号和受理日期不变）",
                                        correction_fields(self.actor.role),
                                        self._correct_draft or before), closed)

    @work(thread=True, exit_on_error=False)
    def _correct(self, changes: dict[str, object], reason: object, recompute: bool,
                 version: int) -> None:
        deliver(self, lambda: correct_complaint(self.desk, self.actor.login, self.number, changes,
                                                reason, recompute_deadlines=recompute,
                                                expected_version=version),
                self._corrected, self._action_failed, waiting="正在保存更正…")

    def _corrected(self, done) -> None:  # type: ignore[no-untyped-def]
        self._correct_draft = {}
        names = "、".join(FIELD_LABELS.get(name, name) for name in done.changed)
        extra = "，时限已重新计算" if done.deadlines_recomputed else ""
        self.notify(f"已更正：{names}{extra}", markup=False)
        self._load()

    def _link_saved(self) -> None:
        self._link_draft = ""
        self.notify("已关联", markup=False)
        self._load()

    def _action_failed(self, refusal: DomainError) -> None:
        self.notify(refusal_text(refusal) + "（输入已保留，可重试）", severity="error",
                    markup=False, timeout=8)
