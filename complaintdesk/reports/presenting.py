"""How the CLI shows a complaint, its timeline and the staff list.

Customer texts are printed literally: every value goes into ``rich.text.Text``
(never into a markup string), so ``[b]`` or ``[@click=...]`` in a complaint is
shown as typed. Control characters were removed when the text was stored.
"""

from __future__ import annotations

import json
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from complaintdesk.reports.labels import RevisitOutcome, action_label, label, time_text
from complaintdesk.process.complaints import ComplaintRecord
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Category, Channel, Priority, RevisitMethod, Role, Satisfaction, Status
from complaintdesk.domain.timing import span
from complaintdesk.reports.exporting import complaint_row
from complaintdesk.store.models import AuditEvent, Complaint, Revisit, Staff
from complaintdesk.domain.timing import describe_due
from complaintdesk.domain.validation import FIELD_LABELS

ENUM_FIELDS = {"channel": Channel, "category": Category, "priority": Priority}


def complaint_fields(desk: Desk, record: ComplaintRecord) -> list[tuple[str, str]]:
    """(printed label, display value) for every field of the record form, in form order."""
    c = record.complaint
    values = {
        "customer_name": c.customer_name, "address": c.address,
        "received_at": time_text(desk, c.received_at), "contact": c.contact,
        "event": c.event, "demand": c.demand, "product": c.product,
        "quantity": "" if c.quantity is None else str(c.quantity),
    }
    for name, enum in ENUM_FIELDS.items():
        values[name] = label(enum, getattr(c, name))
    fields = [("受理编号", c.number), ("状态", label(Status, c.status))]
    fields += [(label, values[name]) for name, label in FIELD_LABELS.items()]
    fields += [
        ("部门受理人员", f"{record.receiver_name}（{c.received_by}）"),
        ("首次响应期限", time_text(desk, c.first_response_due)),
    ]
    if c.investigation_due is not None:
        fields.append(("调查期限", time_text(desk, c.investigation_due)))
    fields.append(("处理期限", time_text(desk, c.handling_due or c.resolution_due)))
    if c.paused_at is not None:
        fields.append(("暂停计时", f"暂停中：{c.pause_reason}（自 {time_text(desk, c.paused_at)}）"))
    elif c.paused_minutes:
        fields.append(("暂停计时", f"累计暂停 {span(c.paused_minutes)}（处理期限已顺延）"))
    fields.append(("已上报管理层", "是" if c.escalated else "否"))
    return fields


def _detail(event: AuditEvent) -> object:
    if event.detail is None:
        return None
    try:
        return json.loads(event.detail)
    except ValueError:
        return event.detail


def timeline_entry(desk: Desk, event: AuditEvent) -> dict:
    return {
        "at": desk.local(event.at).isoformat(),
        "actor": event.actor,
        "action": event.action,
        "action_label": action_label(event.action),
        "field": event.field,
        "before": event.before,
        "after": event.after,
        "detail": _detail(event),
    }


def complaint_json(desk: Desk, record: ComplaintRecord) -> dict:
    """The export row of the complaint plus its audit timeline."""
    c = record.complaint
    row = complaint_row(desk, c)
    row["received_by_name"] = record.receiver_name
    # The clocks as they stand (clocks.py): the deadline told the customer, the
    # department's, and the pause.
    row["handling_due"] = desk.local(c.handling_due).isoformat() if c.handling_due else None
    row["investigation_due"] = (desk.local(c.investigation_due).isoformat()
                                if c.investigation_due else None)
    row["paused"] = None if c.paused_at is None else {
        "since": desk.local(c.paused_at).isoformat(), "reason": c.pause_reason}
    row["paused_minutes"] = c.paused_minutes or 0
    row["timeline"] = [timeline_entry(desk, event) for event in record.timeline]
    return row


def _change(event: AuditEvent) -> Text:
    if event.before is None and event.after is None:
        return Text("")
    if event.before is None:
        return Text(event.after or "")
    return Text.assemble(event.before, " → ", event.after or "")


def print_complaint(console: Console, desk: Desk, record: ComplaintRecord) -> None:
    form = Table(box=box.SIMPLE, show_header=False, title=Text("客户投诉记录单"), expand=False)
    form.add_column("字段", style="bold", no_wrap=True)
    form.add_column("内容", overflow="fold")
    for name, value in complaint_fields(desk, record):
        form.add_row(Text(name), Text(value))
    console.print(form)

    history = Table(box=box.SIMPLE, title=Text("处理记录"), expand=False)
    for heading in ("时间", "人员", "操作", "字段", "变更"):
        history.add_column(heading, overflow="fold")
    for event in record.timeline:
        history.add_row(Text(time_text(desk, event.at)), Text(event.actor),
                        Text(action_label(event.action)), Text(event.field or ""), _change(event))
    console.print(history)


def print_staff(console: Console, desk: Desk, staff: list[Staff]) -> None:
    table = Table(box=box.SIMPLE)
    for heading in ("登录名", "姓名", "角色", "部门", "状态"):
        table.add_column(heading)
    for person in staff:
        dept = desk.config.department_name(person.department)
        table.add_row(Text(person.login), Text(person.name), Text(label(Role, person.role)),
                      Text(f"{dept}（部门经理）" if person.manager else dept),
                      Text("在职" if person.active else "已停用"))
    console.print(table)


def revisit_line(desk: Desk, visit: Revisit, names: dict[str, str]) -> str:
    """One call-back as plain text (never markup): when, which call, how, what was
    said, who, and what it did. The comment, if any, follows on its own line."""
    parts = [time_text(desk, visit.recorded_at), f"第{visit.round}轮第{visit.attempt}次",
             label(RevisitMethod, visit.method), "联系上" if visit.reached else "无法联系"]
    if visit.reached:
        parts.append(f"态度{label(Satisfaction, visit.attitude)}"
                     f"·结果{label(Satisfaction, visit.result)}")
    parts += [names.get(visit.recorded_by, visit.recorded_by),
              "→ " + label(RevisitOutcome, visit.outcome)]
    line = "  ".join(parts)
    if visit.comment:
        line += "\n    回访意见：" + visit.comment
    return line


def revisit_summary(desk: Desk, complaint: Complaint, now: datetime) -> str:
    """The revisit state of a complaint in a line, or "" when there is nothing to say."""
    parts = []
    if complaint.status == Status.REVISIT.value and complaint.revisit_due:
        parts.append("回访期限 " + describe_due(desk.local(complaint.revisit_due), now))
        parts.append(f"已尝试 {complaint.revisit_attempts} 次")
    if complaint.closed_at and complaint.status == Status.CLOSED.value:
        parts.append("结案时间 " + time_text(desk, complaint.closed_at))
    if complaint.reopen_count:
        parts.append(f"回访不满意重新处理 {complaint.reopen_count} 次")
    return " · ".join(parts)


__all__ = ["complaint_fields", "complaint_json", "print_complaint", "print_staff",
           "revisit_line", "revisit_summary", "timeline_entry"]
