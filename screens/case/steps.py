"""The handling steps offered on a complaint's record: which key, which form, which
core use-case. The rules themselves are the core's (workflow.refusal/TRANSITIONS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.content import Content

from complaintdesk.domain.approvals import FIRST, SECOND, level, manager_refusal
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process import approvals, pauses, revisits
from complaintdesk.process import workflow as wf
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import (Action, AgreementMethod, HandlingMethod, Priority, RevisitMethod,
                                        Satisfaction, Status)
from complaintdesk.domain.money import format_amount
from complaintdesk.domain.errors import DomainError, ValidationFailed
from complaintdesk.process.records import Complaint, HandlingSheet
from complaintdesk.process.staffing import Actor
from complaintdesk.domain.timing import TIME_FORMAT

from screens.messages import DataChanged
from screens.widgets.dialogs import KeptInputDialog
from screens.widgets.form_dialog import FormDialog, FormField, FormResult
from screens.desk_app import DeskScreen
from screens.workers import deliver, refusal_text

YES_NO_TOLD = [("yes", "已告知客户处理期限"), ("no", "尚未告知")]
FINDINGS = [("ours", "我方责任"), ("not_ours", "非我方责任")]
DECISIONS = [("approve", "审批通过"), ("return", "退回")]
AGREED = [("yes", "同意（签字）"), ("no", "不同意：二次处理")]
REACHED = [("yes", "联系上"), ("no", "无法联系")]


@dataclass(frozen=True)
class Step:
    """One key on the record screen."""

    key: str
    name: str  # the screen action name
    label: str
    actions: tuple[Action, ...]  # allowed if any of these is allowed
    # Keep the footer short: a key that only one status offers is hidden elsewhere
    # (the others show dimmed, so people learn where the process goes).
    only_when_relevant: bool = False


STEPS = [
    Step("j", "judge", "责任判定", (Action.JUDGE_OURS, Action.JUDGE_NOT_OURS)),
    Step("g", "dispatch", "派单", (Action.DISPATCH,)),
    Step("i", "investigate", "调查", (Action.RECORD_INVESTIGATION,)),
    Step("e", "sheet", "处理单", (Action.SAVE_SHEET,)),
    Step("v", "decide", "审批", (Action.APPROVE, Action.RETURN)),
    Step("t", "inform", "告知客户", (Action.INFORM_CUSTOMER,)),
    Step("k", "opinion", "客户意见", (Action.CUSTOMER_AGREES, Action.CUSTOMER_DISAGREES)),
    Step("h", "revisit", "回访", (Action.REVISIT_CLOSE, Action.REVISIT_UNREACHED, Action.REOPEN,
                                  Action.REOPEN_JUDGEMENT), only_when_relevant=True),
    Step("w", "close_unreached", "无法联系结案", (Action.CLOSE_UNREACHED,),
         only_when_relevant=True),
    Step("o", "manager", "部门经理意见", (Action.MANAGER_OPINION,), only_when_relevant=True),
    Step("p", "pause", "暂停/恢复计时", (Action.PAUSE, Action.RESUME)),
    Step("u", "escalate", "上报", (Action.ESCALATE,)),
]
STEP_BY_NAME = {step.name: step for step in STEPS}


def step_refusal(step: Step, handling: wf.Handling | None, actor: Actor,
                 config: DeskConfig) -> str | None:
    """None if the actor may take this step now, else the core's reason (the desk's
    configuration says when 无法联系结案 opens and who approves which amount)."""
    if handling is None:
        return "正在读取…"
    return refusal_for(step, handling.complaint, handling.sheet, actor, config)


def refusal_for(step: Step, complaint: Complaint, sheet: HandlingSheet | None, actor: Actor,
                config: DeskConfig) -> str | None:
    """As ``step_refusal``, from a complaint (or a row standing for one) and its sheet."""
    status = Status(complaint.status)
    reasons = [wf.refusal(status, action, actor.role, actor.login, complaint, sheet,
                          config.revisit_max_attempts, config.approval)
               for action in step.actions]
    if any(reason is None for reason in reasons):
        if step.name == "manager":  # the department's own manager, as the core checks
            return manager_refusal(actor, complaint.department, config.approval,
                                   config.department_name(complaint.department))
        return None
    return reasons[0]


def relevant(step: Step, handling: wf.Handling) -> bool:
    """A step the complaint's current status offers (to someone)."""
    status = Status(handling.complaint.status)
    return any((status, action) in wf.TRANSITIONS for action in step.actions) \
        and step.name != "escalate"


# ----------------------------------------------------------------- forms

def judge_fields(desk: Desk) -> list[FormField]:
    return [
        FormField("finding", "责任判定", "choice", FINDINGS),
        FormField("department", "责任部门", "choice",
                  [(d.code, d.name) for d in desk.config.departments][:9]),
        FormField("handling_due", "处理期限", placeholder="默认按紧急程度；或 2026-11-30 17:00"),
        FormField("customer_told", "告知客户", "choice", YES_NO_TOLD),
        FormField("explanation", "向客户的解释（非我方责任时必填）", "area"),
        FormField("agreement_method", "客户同意方式", "choice", AgreementMethod.choices()),
    ]


def submit_judge(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    if values.get("finding") == "not_ours":
        return wf.judge_not_ours(desk, actor.login, number,
                                 explanation=str(values.get("explanation") or ""),
                                 agreement_method=str(values.get("agreement_method") or ""),
                                 expected_version=version)
    if values.get("finding") != "ours":
        raise ValidationFailed({"finding": "请选择我方责任或非我方责任"})
    return wf.judge_ours(desk, actor.login, number, department=str(values.get("department") or ""),
                         handling_due=values.get("handling_due"),
                         customer_told=values.get("customer_told") == "yes",
                         expected_version=version)


def dispatch_fields(desk: Desk, handling: wf.Handling) -> list[FormField]:
    c = handling.complaint
    handlers = wf.handlers_of(desk, c.department)[:9]
    default = wf.investigation_default(desk, c, desk.now())
    working = desk.config.limits[Priority(c.priority)].investigation.working
    return [FormField("handler", f"处理人（{desk.config.department_name(c.department)}）",
                      "choice", [(h.login, h.name) for h in handlers]),
            FormField("investigation_due", "调查期限",
                      placeholder=f"默认 {default.strftime(TIME_FORMAT)}"
                                  f"{_working_left(desk, default) if working else ''}")]


def _working_left(desk: Desk, due) -> str:  # type: ignore[no-untyped-def]
    """``（剩 4 个工作日）`` when the desk counts working days, else nothing."""
    left = desk.config.calendar.working_days_between(desk.now(), due)
    return f"（剩 {left:.1f} 个工作日）".replace(".0 ", " ") if left > 0 else ""


def submit_dispatch(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    return wf.dispatch(desk, actor.login, number, handler=str(values.get("handler") or ""),
                       investigation_due=values.get("investigation_due"),
                       expected_version=version)


PAUSE_FIELDS = [FormField("reason", "暂停原因（必填，如：等待客户补交购货凭证）", "area", height=3)]
RESUME_FIELDS = [FormField("resume", "恢复计时", "choice", [("yes", "恢复计时，期限顺延")])]


def submit_pause(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    if "resume" in values:
        if values.get("resume") != "yes":
            raise ValidationFailed({"resume": "请选择“恢复计时”，或按 Esc 取消"})
        return pauses.resume(desk, actor.login, number, expected_version=version)
    return pauses.pause(desk, actor.login, number, reason=str(values.get("reason") or ""),
                        expected_version=version)


MANAGER_FIELDS = [FormField("opinion", "部门经理意见（以你的名义签署）", "area", height=4)]


def submit_manager(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    return approvals.give_manager_opinion(desk, actor.login, number,
                                          opinion=str(values.get("opinion") or ""),
                                          expected_version=version)


INVESTIGATION_FIELDS = [
    FormField("facts", "核实的事实", "area"),
    FormField("root_cause", "根本原因", "area"),
    FormField("evidence", "证据（每行一项：类型|说明|文件路径，类型为 文件/照片/视频/证人证言/其他）",
              "area"),
    FormField("finding", "责任认定", "area", height=2),
    FormField("report", "调查报告", "area", height=4),
]


def parse_evidence(text: str) -> list[dict[str, str]]:
    """``照片|外包装破损|/srv/photos/1.jpg`` per line."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 1:
            parts = ["其他", parts[0]]
        items.append({"kind": parts[0], "description": parts[1] if len(parts) > 1 else "",
                      "path": parts[2] if len(parts) > 2 else ""})
    return items


def submit_investigation(desk: Desk, actor: Actor, number: str, values: dict,
                         version: int) -> wf.Outcome:
    data = dict(values)
    data["evidence"] = parse_evidence(str(values.get("evidence") or ""))
    return wf.record_investigation(desk, actor.login, number, data, expected_version=version)


DECIDE_FIELDS = [
    FormField("decision", "审批", "choice", DECISIONS),
    FormField("text", "实施意见（通过时）或退回原因（退回时），必填", "area", height=4),
]


def submit_decision(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    text = str(values.get("text") or "")
    if values.get("decision") == "return":
        return wf.return_plan(desk, actor.login, number, reason=text, expected_version=version)
    if values.get("decision") != "approve":
        raise ValidationFailed({"decision": "请选择审批通过或退回"})
    return wf.approve_plan(desk, actor.login, number, opinion=text, expected_version=version)


INFORM_FIELDS = [FormField("how", "告知方式", "choice", AgreementMethod.choices())]


def submit_inform(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    return wf.inform_customer(desk, actor.login, number, how=str(values.get("how") or ""),
                              expected_version=version)


OPINION_FIELDS = [
    FormField("agreed", "客户意见", "choice", AGREED),
    FormField("opinion", "客户的原话或意见", "area"),
    FormField("how", "方式", "choice", AgreementMethod.choices()),
]


def submit_opinion(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    if values.get("agreed") not in ("yes", "no"):
        raise ValidationFailed({"agreed": "请选择客户同意或不同意"})
    return wf.record_customer_opinion(desk, actor.login, number, agreed=values["agreed"] == "yes",
                                      opinion=str(values.get("opinion") or ""),
                                      how=str(values.get("how") or "signature"),
                                      expected_version=version)


ESCALATE_FIELDS = [FormField("reason", "上报原因")]


def submit_escalate(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    return wf.escalate(desk, actor.login, number, reason=str(values.get("reason") or ""),
                       expected_version=version)


REVISIT_FIELDS = [
    FormField("method", "回访方式", "choice", RevisitMethod.choices()),
    FormField("reached", "是否联系上", "choice", REACHED),
    FormField("attitude", "对处理态度", "choice", Satisfaction.choices()),
    FormField("result", "对处理结果", "choice", Satisfaction.choices()),
    FormField("comment", "回访意见（不满意时必填，写明原因；无法联系时可写情况）", "area"),
]


def submit_revisit(desk: Desk, actor: Actor, number: str, values: dict, version: int) -> wf.Outcome:
    reached = {"yes": True, "no": False}.get(str(values.get("reached")))
    return revisits.record_revisit(
        desk, actor.login, number, method=values.get("method"), reached=reached,
        attitude=values.get("attitude"), result=values.get("result"),
        comment=str(values.get("comment") or ""), expected_version=version)


CLOSE_UNREACHED_FIELDS = [FormField("comment", "结案说明（如：三次电话均无人接听，号码已停机）",
                                    "area")]


def submit_close_unreached(desk: Desk, actor: Actor, number: str, values: dict,
                           version: int) -> wf.Outcome:
    return revisits.close_unreached(desk, actor.login, number,
                                    comment=str(values.get("comment") or ""),
                                    expected_version=version)


Submit = Callable[[Desk, Actor, str, dict, int], wf.Outcome]


def form_for(name: str, desk: Desk, handling: wf.Handling) -> tuple[str, list[FormField], Submit]:
    """Title, fields and the core call of a step's form."""
    c = handling.complaint
    if name == "judge":
        default_due = desk.local(c.resolution_due).strftime(TIME_FORMAT)
        if desk.config.limits[Priority(c.priority)].resolution.working:  # say it as counted
            default_due += _working_left(desk, desk.local(c.resolution_due))
        fields = judge_fields(desk)
        fields[2] = FormField("handling_due", "处理期限", placeholder=f"默认 {default_due}")
        return "责任判定（分析投诉原因）", fields, submit_judge
    if name == "dispatch":
        return "派单：把《客户投诉处理单》发给责任部门", dispatch_fields(desk, handling), submit_dispatch
    if name == "investigate":
        return "调查（核实事实、查找原因、收集证据）", INVESTIGATION_FIELDS, submit_investigation
    if name == "decide":
        which = level(handling.sheet, desk.config.approval) if handling.sheet else None
        title = {FIRST: "审批处理方案（一级审批）", SECOND: "审批处理方案（二级审批）"}.get(
            which or "", "审批处理方案")
        return title, DECIDE_FIELDS, submit_decision
    if name == "inform":
        return "告知客户处理结果和方式", INFORM_FIELDS, submit_inform
    if name == "opinion":
        return "记录客户意见", OPINION_FIELDS, submit_opinion
    if name == "escalate":
        return "上报管理层", ESCALATE_FIELDS, submit_escalate
    if name == "pause":
        if c.paused_at is not None:
            return "恢复计时（客户已回复或材料已到）", RESUME_FIELDS, submit_pause
        return "暂停计时：等待客户", PAUSE_FIELDS, submit_pause
    if name == "manager":
        return "部门经理意见", MANAGER_FIELDS, submit_manager
    if name == "revisit":
        return "回访：记录这次回访", REVISIT_FIELDS, submit_revisit
    if name == "close_unreached":
        return "无法联系结案", CLOSE_UNREACHED_FIELDS, submit_close_unreached
    raise KeyError(name)




#: Characters of the 处理结果 the approval dialog shows: enough to recognise the
#: plan, short enough that the method, the amount and the decision stay on an
#: 80×24 screen (the full text is on the record and the printed sheet).
PLAN_EXCERPT = 60
NAME_EXCERPT = 24


def _excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def form_intro(name: str, desk: Desk, handling: wf.Handling) -> Content:
    """What the person filling a form needs in front of them: for a revisit whom to
    call; for a decision, telling the customer and the customer's answer the plan
    itself (the dialog covers the sheet, and at 80×24 nothing else of it would be on
    screen when the key is pressed)."""
    if name == "pause":
        c = handling.complaint
        if c.paused_at is not None:
            return Content(f"暂停中：{c.pause_reason}（自 {desk.local(c.paused_at).strftime(TIME_FORMAT)}）。"
                           "恢复后处理期限按暂停的时长顺延。")
        return Content("暂停后处理期限停止计时，不计超时；客户答复方案或再次来电登记时自动恢复，"
                       "也可再按 P 恢复。恢复后期限按暂停的时长顺延，统计表单列暂停时间。")
    if name in ("decide", "inform", "opinion", "manager") and handling.sheet is not None:
        # Deciding, telling the customer and taking down the answer are about the plan:
        # the same plan on the same screen as the key that acts on it.
        sheet = handling.sheet
        method = HandlingMethod(sheet.method).label if sheet.method else "（未填）"
        amount = format_amount(sheet.loss_cents) if sheet.loss_cents is not None else "（未填）"
        if name == "decide" and level(sheet, desk.config.approval) != "single":
            amount += f"（超过 {format_amount(desk.config.approval.second_above_cents)}，须两级审批）"
        if name == "opinion":  # the customer was told the plan: its gist fits one line
            layout = "处理方式 $method · 损失金额 $amount（客户已被告知的方案）"
        elif name == "inform":
            layout = "$number  $customer  联系方式 $contact\n处理方式 $method · 损失金额 $amount\n" \
                "投诉处理结果：$plan"
        else:
            layout = "$number  $customer\n处理方式 $method · 损失金额 $amount\n投诉处理结果：$plan"
            if name == "decide" and sheet.first_decided_by:  # the second level sees the first
                layout += "\n一级审批（$first）：$first_opinion"
        return Content.from_markup(
            layout, first=sheet.first_decided_by or "",
            first_opinion=_excerpt(sheet.first_opinion or "", PLAN_EXCERPT),
            number=handling.complaint.number,
            customer=_excerpt(handling.complaint.customer_name, NAME_EXCERPT),
            contact=handling.complaint.contact,
            method=method, amount=amount, plan=_excerpt(sheet.result, PLAN_EXCERPT) or "（未填）")
    # (the whole 处理结果 is on the record screen and the printed sheet)
    if name not in ("revisit", "close_unreached"):
        return Content("")
    c = handling.complaint
    due = desk.local(c.revisit_due).strftime(TIME_FORMAT) if c.revisit_due else "—"
    return Content.from_markup(
        "$number  $customer\n联系方式 $contact · 回访期限 $due · 已尝试 $attempts 次",
        number=c.number, customer=c.customer_name, contact=c.contact, due=due,
        attempts=str(c.revisit_attempts))


#: Choices a step's form starts with, the focus on the first field left: a
#: supervisor opening 审批 means to approve (the 实施意见 is required, so nothing
#: is approved by Ctrl+S alone; 退回 is Shift+Tab, 2); a revisit is a phone call
#: that reached the customer (无法联系: Shift+Tab, 2).
STEP_DEFAULTS: dict[str, dict[str, object]] = {
    "decide": {"decision": "approve"},
    "revisit": {"method": RevisitMethod.PHONE.value, "reached": "yes"},
}


# ----------------------------------------------------------------- running a step

class StepRunner:
    """A step's form → the core call in a thread → the result, for any screen.

    Input survives everything: Esc keeps it as a draft (per complaint and step), and
    a refusal reopens the form with the core's message above the fields and the input
    as typed, on a freshly read complaint (so a stale edit can be checked and retried).
    Afterwards every open screen is refreshed at once (the queue under a list, too),
    not a poll later.
    """

    def __init__(self, host: DeskScreen) -> None:
        self.host = host
        self.drafts: dict[tuple[str, str], dict[str, object]] = {}

    @property
    def app(self):  # type: ignore[no-untyped-def]
        return self.host.app

    def open(self, name: str, handling: wf.Handling, error: str = "") -> None:
        desk = self.host.desk
        title, fields, submit = form_for(name, desk, handling)
        number, version = handling.complaint.number, handling.complaint.version
        key = (number, name)

        def closed(result: FormResult | None) -> None:
            submitted, values = ((result.submitted, result.values) if result is not None
                                 else (False, self.drafts.get(key, {})))
            self.drafts[key] = values
            if submitted:
                self.host.run_worker(partial(self._run, name, number, submit, values, version),
                                     thread=True, exit_on_error=False, group="step")

        self.app.push_screen(FormDialog(title, fields, self.drafts.get(key) or STEP_DEFAULTS.get(name),
                                        intro=form_intro(name, desk, handling), error=error),
                             closed)

    def open_fresh(self, name: str, number: str) -> None:
        """From a list: read the complaint fresh (its version guards the save), check
        the step is still allowed (someone may have moved it on), open its form."""
        host = self.host

        def read() -> None:
            deliver(host, lambda: wf.get_handling(host.desk, number),
                    lambda handling: self._open_checked(name, handling))

        host.run_worker(read, thread=True, exclusive=True, group="step-open", exit_on_error=False)

    def _open_checked(self, name: str, handling: wf.Handling) -> None:
        reason = step_refusal(STEP_BY_NAME[name], handling, self.host.actor,
                              self.host.desk.config)
        if reason is not None:
            self.host.notify(reason, severity="warning", markup=False)
            self.app.post_message(DataChanged())
            return
        self.open(name, handling)

    def _run(self, name: str, number: str, submit: Submit, values: dict, version: int) -> None:
        host = self.host
        deliver(host, lambda: submit(host.desk, host.actor, number, values, version),
                lambda outcome: self._done(name, number, outcome),
                lambda refusal: self._refused(name, number, refusal, values),
                waiting=f"正在保存：{STEP_BY_NAME[name].label}…（数据库忙时会稍等）")

    def _refused(self, name: str, number: str, refusal: DomainError, values: dict) -> None:
        """Read the complaint again (someone may have moved it on), then say why."""
        message = refusal_text(refusal)

        def read_again() -> None:
            deliver(self.host, lambda: wf.get_handling(self.host.desk, number),
                    lambda fresh: self._failed(name, fresh, message, values),
                    lambda _gone: self._failed(name, None, message, values))

        self.host.run_worker(read_again, thread=True, exit_on_error=False, group="step")

    def _failed(self, name: str, handling: wf.Handling | None, message: str,
                values: dict | None = None) -> None:
        gone = handling is None or step_refusal(STEP_BY_NAME[name], handling, self.host.actor,
                                                self.host.desk.config)
        values = values or {}
        typed = [(label, values[key]) for key, label in self._labels(name, handling, values)
                 if isinstance(values.get(key), str) and values[key].strip()]
        if gone and typed:
            # A form to retry would only fail (someone else did the step meanwhile),
            # but what she typed is shown, to copy or compare, not dropped.
            self.app.push_screen(KeptInputDialog(f"{STEP_BY_NAME[name].label}未保存", message, typed))
        elif gone:
            self.host.notify(message, severity="error", markup=False, timeout=8)
        elif handling is not None and not isinstance(self.app.screen, FormDialog):
            self.open(name, handling, error=message)
        self.app.post_message(DataChanged())

    def _labels(self, name: str, handling: wf.Handling | None,
                values: dict) -> list[tuple[str, str]]:
        """The step form's field names and labels (the names alone when the
        complaint could not be read again)."""
        if handling is None:
            return [(key, key) for key in values]
        _title, fields, _submit = form_for(name, self.host.desk, handling)
        return [(spec.name, spec.label) for spec in fields]

    def _done(self, name: str, number: str, outcome: wf.Outcome) -> None:
        self.drafts.pop((number, name), None)
        self.host.notify(f"{number} {STEP_BY_NAME[name].label}：已完成，状态为“{outcome.status.label}”",
                         markup=False)
        self.app.post_message(DataChanged())
