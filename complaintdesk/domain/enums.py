"""Enumerations of the complaint process with their printed Chinese labels.

Codes are English and stable (they appear in intake, export and the database);
labels are what the forms in process.md print.
"""

from __future__ import annotations

from enum import Enum


class LabelledEnum(str, Enum):
    """A string enum whose members carry the Chinese label of the paper form."""

    label: str

    def __new__(cls, code: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def parse(cls, value: object) -> "LabelledEnum":
        """Accept the English code (any case) or the Chinese label.

        Raises:
            ValueError: naming the accepted values.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip()
            for member in cls:
                if text.lower() == member.value or text == member.label:
                    return member
        accepted = ", ".join(f"{m.value}/{m.label}" for m in cls)
        raise ValueError(f"取值无效（可用：{accepted}）")

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class Channel(LabelledEnum):
    PHONE = ("phone", "电话")
    EMAIL = ("email", "电邮")
    ONSITE = ("onsite", "现场")
    WEB = ("web", "网站")
    WECHAT = ("wechat", "微信")
    APP = ("app", "APP")
    OTHER = ("other", "其他")


class Category(LabelledEnum):
    SERVICE = ("service", "服务质量")
    PRODUCT = ("product", "产品问题")
    PRICE = ("price", "价格争议")
    OTHER = ("other", "其他")


class Priority(LabelledEnum):
    URGENT = ("urgent", "紧急")
    MAJOR = ("major", "重大")
    GENERAL = ("general", "一般")

    @property
    def rank(self) -> int:
        """Sort key: urgent first."""
        return {"urgent": 0, "major": 1, "general": 2}[self.value]


class Role(LabelledEnum):
    COUNTER = ("counter", "客服专员")
    HANDLER = ("handler", "投诉处理专员")
    SUPERVISOR = ("supervisor", "客服主管")
    LEADER = ("leader", "分管领导")    # the second approval of large plans; reads the 统计表
    ADMIN = ("admin", "管理员")


class Status(LabelledEnum):
    """Complaint status codes (process.md §1-§7); workflow.TRANSITIONS moves between them."""

    REGISTERED = ("registered", "已登记")               # nothing done yet
    ACCEPTED = ("accepted", "已受理")                   # company's responsibility; to dispatch
    INVESTIGATING = ("investigating", "调查中")          # dispatched to the department
    DRAFTING = ("drafting", "拟定方案")                  # investigated; the sheet is drafted
    PENDING_APPROVAL = ("pending_approval", "待审批")    # sheet submitted to the supervisor
    RETURNED = ("returned", "已退回")                    # sent back with a reason
    APPROVED = ("approved", "已批准")                    # to carry out and tell the customer
    INFORMED = ("informed", "已告知")                    # told; waiting for the customer's opinion
    SECOND_ROUND = ("second_round", "二次处理")          # the customer disagreed: a new plan
    REVISIT = ("revisit", "待回访")                      # accepted; the revisit is due
    CLOSED = ("closed", "已结案")


class Action(LabelledEnum):
    """What staff do to a complaint; each is one use-case in workflow.py."""

    JUDGE_NOT_OURS = ("judge_not_ours", "判定非我方责任")
    JUDGE_OURS = ("judge_ours", "判定我方责任")
    DISPATCH = ("dispatch", "派单")
    RECORD_INVESTIGATION = ("record_investigation", "记录调查")
    SAVE_SHEET = ("save_sheet", "保存处理单")
    SUBMIT_SHEET = ("submit_sheet", "提交审批")
    APPROVE = ("approve", "审批通过")
    APPROVE_FIRST = ("approve_first", "一级审批通过")     # above the amount: on to the second
    APPROVE_SECOND = ("approve_second", "二级审批通过")
    MANAGER_OPINION = ("manager_opinion", "填写部门经理意见")
    PAUSE = ("pause", "暂停计时")                        # waiting on the customer
    RESUME = ("resume", "恢复计时")
    RETURN = ("return", "退回")
    INFORM_CUSTOMER = ("inform_customer", "告知客户")
    CUSTOMER_AGREES = ("customer_agrees", "客户同意")
    CUSTOMER_DISAGREES = ("customer_disagrees", "客户不同意")
    ESCALATE = ("escalate", "上报管理层")
    REVISIT_CLOSE = ("revisit_close", "回访结案")
    REVISIT_UNREACHED = ("revisit_unreached", "回访未联系上")
    CLOSE_UNREACHED = ("close_unreached", "无法联系结案")
    REOPEN = ("reopen", "回访不满意，重新处理")
    REOPEN_JUDGEMENT = ("reopen_judgement", "回访不满意，重新判定责任")


class HandlingMethod(LabelledEnum):
    COMPENSATION = ("compensation", "赔偿")
    RETURN = ("return", "退货")
    DISCOUNT = ("discount", "折价")
    OTHER = ("other", "其他")


class AgreementMethod(LabelledEnum):
    """How the customer's agreement was obtained."""

    COUNTER = ("counter", "柜台")
    PHONE = ("phone", "电话")
    WECHAT = ("wechat", "微信")
    SIGNATURE = ("signature", "签字")


class LinkKind(LabelledEnum):
    """How two complaints about the same matter relate (process.md §1, §7)."""

    REPEAT = ("repeat", "重复投诉")        # the customer complained again about it
    DUPLICATE = ("duplicate", "重复登记")  # the same complaint registered twice


class RevisitMethod(LabelledEnum):
    """How the customer was called back (process.md §7)."""

    PHONE = ("phone", "电话")
    ONSITE = ("onsite", "上门")
    WECHAT = ("wechat", "微信")
    OTHER = ("other", "其他")


class Satisfaction(LabelledEnum):
    """The customer's rating of the attitude or the result, at the revisit."""

    SATISFIED = ("satisfied", "满意")
    BASIC = ("basic", "基本满意")
    DISSATISFIED = ("dissatisfied", "不满意")


class Responsibility(LabelledEnum):
    """Whose responsibility the complaint is, as judged (process.md §3)."""

    OURS = ("ours", "我方责任")
    NOT_OURS = ("not_ours", "非我方责任")


class SheetState(LabelledEnum):
    """Where a 《客户投诉处理单》 stands."""

    DRAFT = ("draft", "草稿")
    SUBMITTED = ("submitted", "待审批")
    APPROVED = ("approved", "已批准")
    RETURNED = ("returned", "已退回")


class RevisitOutcome(LabelledEnum):
    """What a call-back did to the complaint (process.md §7)."""

    CLOSED = ("closed", "已结案")
    REOPENED = ("reopened", "不满意，重新处理")
    RETRY = ("retry", "未联系上，已约下次回访")
    CLOSED_UNREACHED = ("closed_unreached", "无法联系结案")


#: Audit actions outside the workflow's steps (those are ``Action`` labels).
AUDIT_ACTION_LABELS = {
    "complaint.registered": "登记投诉",
    "staff.bootstrap": "首位用户成为管理员",
    "staff.added": "添加员工",
    "staff.disabled": "停用员工",
    "staff.enabled": "启用员工",
    "staff.role_changed": "更改员工角色",
    "staff.manager_changed": "更改部门经理标记",
    "customer.updated": "更新客户资料",
    "complaint.linked": "关联到",
    "complaint.linked_from": "被关联自",
    "complaint.corrected": "更正",
    "complaint.deadlines_recomputed": "按更正后的紧急程度重新计算时限",
    "complaint.merged": "合并到",
    "complaint.merged_from": "合并了重复投诉",
    "complaint.note": "备注",
}


def audit_action_label(action: str) -> str:
    """An audit event's action (``workflow.<step>`` or one of the above) in Chinese."""
    if action.startswith("workflow."):
        try:
            return Action(action.removeprefix("workflow.")).label
        except ValueError:
            pass
    return AUDIT_ACTION_LABELS.get(action, action)
