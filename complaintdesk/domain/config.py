"""Desk configuration read from a TOML file an admin can edit."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from dateutil.relativedelta import relativedelta

from complaintdesk.domain.enums import Priority, Role
from complaintdesk.domain.money import parse_amount
from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.workdays import (UNITS, OfficeHours, Span, WorkCalendar,
                                           default_calendar, parse_overrides)

# The reference configuration ships inside the package (setup-box copies it to
# /etc/complaintdesk/); nothing else is ever looked for inside the installation.
REFERENCE_CONFIG_PATH = Path(__file__).resolve().with_name("config.toml")


@dataclass(frozen=True)
class TimeLimit:
    """Time limits of one priority: calendar hours or days, or working days or
    hours on the desk's calendar (``moment + limit`` counts either way)."""

    first_response: Span
    resolution: Span
    #: The department's investigation, from dispatch (the default the dispatcher sees).
    investigation: Span = Span(2, "working_days")

    def on(self, calendar: WorkCalendar) -> "TimeLimit":
        """The same limits counted on ``calendar``."""
        return TimeLimit(*(Span(span.amount, span.unit, calendar) for span in
                           (self.first_response, self.resolution, self.investigation)))


@dataclass(frozen=True)
class AlertMail:
    """Local mail for alerts: a login's digest goes to ``login@domain``, through
    ``sendmail`` (a path) or an SMTP server (``smtp_host``:``smtp_port``)."""

    sendmail: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    domain: str = "localhost"
    sender: str = "complaintdesk@localhost"


@dataclass(frozen=True)
class Approval:
    """Who approves a 处理单 (process.md §5). A plan whose 损失金额 is above
    ``second_above_cents`` needs a second approval, by staff of ``second_role``
    (not the first approver, not an author). The 部门经理意见 is given by the
    responsible department's manager: staff flagged as its manager
    (``manager_by = "flag"``) or staff of a role (``manager_by = "supervisor"``…)
    in that department; ``manager_required`` makes it a condition of submitting."""

    second_above_cents: int | None = None
    second_role: str = "leader"
    manager_by: str = "flag"
    manager_required: bool = False


@dataclass(frozen=True)
class Department:
    code: str
    name: str


#: The console picks a department with one digit, and shows every name whole.
MAX_DEPARTMENTS = 9
MAX_DEPARTMENT_NAME = 12


def check_departments(departments: tuple[Department, ...]) -> None:
    """Raises DomainError naming what is wrong with the configured departments."""
    if len(departments) > MAX_DEPARTMENTS:
        raise DomainError(f"配置错误：最多 {MAX_DEPARTMENTS} 个部门（控制台用一个数字键选择部门），"
                          f"现有 {len(departments)} 个")
    codes = [d.code for d in departments]
    for dept in departments:
        if not dept.code.strip() or not dept.name.strip():
            raise DomainError("配置错误：部门的 code 和 name 不能为空")
        if len(dept.name) > MAX_DEPARTMENT_NAME:
            raise DomainError(f"配置错误：部门名称“{dept.name}”过长，最多 {MAX_DEPARTMENT_NAME} 个字")
        if codes.count(dept.code) > 1:
            raise DomainError(f"配置错误：部门代码 {dept.code} 重复")


#: Out of the box: the 重大 and 一般 handling deadlines count working days of
#: mainland China's calendar (holidays and 调休 included); 紧急 counts the clock.
_DEFAULT_LIMITS = {
    Priority.URGENT: TimeLimit(Span(2, "hours"), Span(24, "hours"), Span(12, "hours")),
    Priority.MAJOR: TimeLimit(Span(24, "hours"), Span(3, "working_days"), Span(2, "working_days")),
    Priority.GENERAL: TimeLimit(Span(48, "hours"), Span(7, "working_days"),
                                Span(4, "working_days")),
}

_DEFAULT_DEPARTMENTS = (
    Department("production", "生产部"),
    Department("quality", "质量管理部"),
    Department("rnd", "技术研发部"),
    Department("marketing", "市场营销部"),
    Department("service", "客户服务部"),
)


@dataclass(frozen=True)
class DeskConfig:
    limits: dict[Priority, TimeLimit] = field(default_factory=lambda: dict(_DEFAULT_LIMITS))
    departments: tuple[Department, ...] = _DEFAULT_DEPARTMENTS
    at_risk_fraction: float = 0.75
    timezone_name: str = ""
    # Revisits (process.md §7): due this long after the customer accepted the
    # outcome; a failed call is tried again after ``revisit_retry``; after
    # ``revisit_max_attempts`` failed calls the case may be closed as unreachable.
    revisit_within: relativedelta = relativedelta(days=7)
    revisit_retry: relativedelta = relativedelta(days=1)
    revisit_max_attempts: int = 3
    #: Which days are working days (statutory holidays, 调休, the admin's overrides)
    #: and the office hours, if working time is counted in them.
    calendar: WorkCalendar = field(default_factory=default_calendar)
    #: Registration warns of an open complaint of the same contact and product
    #: received within this many days (0: no warning).
    duplicate_within_days: int = 30
    #: Where ``complaintdesk alerts`` also mails each person's digest (none: stdout only).
    alert_mail: "AlertMail | None" = None
    #: Approval by amount and the department manager's opinion.
    approval: Approval = Approval()

    def __post_init__(self) -> None:
        # Limits given without a calendar count on this desk's.
        if any(span.calendar is None for limit in self.limits.values()
               for span in (limit.first_response, limit.resolution, limit.investigation)):
            object.__setattr__(self, "limits", {p: limit.on(self.calendar)
                                                for p, limit in self.limits.items()})

    @property
    def timezone(self) -> tzinfo:
        """The desk's time zone: the configured one, else the system's."""
        return desk_zone(self.timezone_name)

    def local_now(self) -> datetime:
        return datetime.now(self.timezone)

    def department_name(self, code: str | None) -> str:
        for dept in self.departments:
            if dept.code == code:
                return dept.name
        return code or ""


@cache
def desk_zone(name: str) -> tzinfo:
    """The zone ``name`` names (empty: the system's), as zoneinfo has it where it can.

    Every comparison of a desk-local time with a time from the database (UTC)
    asks both for their offsets: zoneinfo computes them in C (1.1 µs a comparison
    here), dateutil's zones in Python (14 µs), which was most of the work of
    making a page of queue rows. dateutil stays for what zoneinfo does not read:
    a POSIX TZ string such as ``CST-8``, or a system without /etc/localtime."""
    if not name:
        name = os.environ.get("TZ", "").removeprefix(":")
        if not name:
            try:
                with open("/etc/localtime", "rb") as file:
                    return ZoneInfo.from_file(file, key="localtime")
            except (OSError, ValueError):
                return tz.tzlocal()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return tz.gettz(name) or tz.tzlocal()


def _table(raw: dict, key: str, where: str) -> dict:
    """A TOML table, or DomainError naming it (``deadlines = 2`` is not a table)."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError(f"配置错误：{where} 应是一个表（如 [{where}]）")
    return value


def _span(section: dict, prefix: str, where: str, calendar: WorkCalendar) -> Span:
    """``{prefix}_hours``, ``_days``, ``_working_days`` or ``_working_hours``: exactly one."""
    given = [(unit, section[f"{prefix}_{unit}"]) for unit in UNITS if f"{prefix}_{unit}" in section]
    keys = "、".join(f"{prefix}_{unit}" for unit in UNITS)
    if not given:
        raise DomainError(f"配置错误：{where} 缺少时限（{keys} 之一）")
    for unit, value in given:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 10_000:
            raise DomainError(f"配置错误：{where} 的 {prefix}_{unit} 必须是 0 到 10000 之间的正数")
    if {unit for unit, _ in given} == {"hours", "days"}:  # 1 day 12 hours: calendar time
        hours = sum(value * (24 if unit == "days" else 1) for unit, value in given)
        return Span(float(hours), "hours", calendar)
    if len(given) > 1:
        raise DomainError(f"配置错误：{where} 的 {prefix} 只能写一种单位（{keys} 之一；"
                          f"日历的天和小时可以同时写），现有 {len(given)} 种")
    unit, value = given[0]
    if unit == "working_hours" and calendar.hours is None:
        raise DomainError(f"配置错误：{where} 用 {prefix}_working_hours 计时，需要先在 [calendar] "
                          "中写 office_hours = \"09:00-18:00\"")
    return Span(float(value), unit, calendar)  # type: ignore[arg-type]


def _calendar(raw: dict) -> WorkCalendar:
    section = _table(raw, "calendar", "calendar")
    country = section.get("holidays", "CN")
    if not isinstance(country, str) or country not in ("CN", ""):
        raise DomainError("配置错误：calendar.holidays 只能是 \"CN\"（中国大陆法定节假日与调休）"
                          "或 \"\"（只把周六、周日当作休息日）")
    hours = None
    if section.get("office_hours"):
        try:
            hours = OfficeHours.parse(str(section["office_hours"]))
        except ValueError as exc:
            raise DomainError(f"配置错误：calendar.office_hours：{exc}") from None
    rows = section.get("days", [])
    if not isinstance(rows, list):
        raise DomainError("配置错误：calendar.days 应写成 [[calendar.days]] 表的列表")
    try:
        overrides = parse_overrides(rows)
    except ValueError as exc:
        raise DomainError(f"配置错误：{exc}") from None
    return WorkCalendar(country, overrides, hours)


def _delta(section: dict, prefix: str, where: str) -> relativedelta:
    hours = section.get(f"{prefix}_hours")
    days = section.get(f"{prefix}_days")
    if hours is None and days is None:
        raise DomainError(f"配置错误：{where} 缺少 {prefix}_hours 或 {prefix}_days")
    for value in (hours, days):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or value <= 0):
            raise DomainError(f"配置错误：{where} 的 {prefix} 必须是正数")
    # days may be fractional (1.5 days): relativedelta takes it as is, int() would truncate.
    return relativedelta(days=days or 0, hours=float(hours or 0))


def load_config(path: Path | None = None) -> DeskConfig:
    """Read the desk configuration.

    ``path`` None gives the built-in defaults; which file applies to a run is
    found by ``box.locations.located_config``. A broken file raises DomainError
    naming the problem, so the admin can fix it.
    """
    if path is None:
        return DeskConfig()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DomainError(f"找不到配置文件：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"无法读取配置文件 {path}：{exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError(f"配置文件 {path} 格式错误：{exc}") from None

    calendar = _calendar(raw)
    limits = {priority: limit.on(calendar) for priority, limit in _DEFAULT_LIMITS.items()}
    for code in _table(raw, "deadlines", "deadlines"):
        try:
            priority = Priority.parse(code)
        except ValueError:
            raise DomainError(f"配置错误：未知的优先级 deadlines.{code}") from None
        where = f"deadlines.{code}"
        section = _table(raw["deadlines"], code, where)
        investigation = (_span(section, "investigation", where, calendar)
                         if any(key.startswith("investigation_") for key in section)
                         else limits[priority].investigation)
        limits[priority] = TimeLimit(_span(section, "first_response", where, calendar),
                                     _span(section, "resolution", where, calendar), investigation)

    departments = _DEFAULT_DEPARTMENTS
    if "departments" in raw:
        try:
            departments = tuple(Department(str(d["code"]), str(d["name"])) for d in raw["departments"])
        except (KeyError, TypeError):
            raise DomainError("配置错误：每个 [[departments]] 需要 code 和 name") from None
        if not departments:
            raise DomainError("配置错误：至少需要一个部门")
        check_departments(departments)

    fraction = _table(raw, "queue", "queue").get("at_risk_fraction", 0.75)
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DomainError("配置错误：queue.at_risk_fraction 必须在 0 与 1 之间")

    tz_name = str(raw.get("timezone") or "")
    if tz_name and tz.gettz(tz_name) is None:
        raise DomainError(f"配置错误：未知的时区 {tz_name}")

    revisit = _table(raw, "revisit", "revisit")
    within, retry = (
        _delta(revisit, name, "revisit") if f"{name}_hours" in revisit or f"{name}_days" in revisit
        else default for name, default in (("within", relativedelta(days=7)),
                                           ("retry", relativedelta(days=1))))
    attempts = revisit.get("max_attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 20:
        raise DomainError("配置错误：revisit.max_attempts 必须是 1 到 20 的整数")

    duplicates = _table(raw, "duplicates", "duplicates").get("within_days", 30)
    if isinstance(duplicates, bool) or not isinstance(duplicates, int) or not 0 <= duplicates <= 3650:
        raise DomainError("配置错误：duplicates.within_days 必须是 0 到 3650 的整数（0 = 不提示）")

    return DeskConfig(limits, departments, float(fraction), tz_name, within, retry, attempts,
                      calendar, duplicates, _alert_mail(raw), _approval(raw))


def _approval(raw: dict) -> Approval:
    section = _table(raw, "approval", "approval")
    above = section.get("second_above")
    cents = None
    if above is not None and above != 0:
        try:
            if isinstance(above, bool):
                raise ValueError
            cents = parse_amount(str(above))
        except (ValueError, DomainError):
            raise DomainError("配置错误：approval.second_above 应是金额（元），如 5000 或 "
                              "\"5000.00\"；0 表示不需要二级审批") from None
    roles = {r.value for r in Role}
    role = str(section.get("second_role") or "leader")
    second = ("leader", "supervisor", "admin")
    if role not in second:
        raise DomainError(f"配置错误：approval.second_role 应是 {'、'.join(second)} 之一"
                          "（leader 分管领导、supervisor 另一位客服主管、admin 管理员）")
    manager_by = str(section.get("manager_by") or "flag")
    givers = sorted(roles - {Role.ADMIN.value})  # admins take no part in the workflow
    if manager_by != "flag" and manager_by not in givers:
        raise DomainError(f"配置错误：approval.manager_by 应是 flag（员工标记为部门经理）或角色 "
                          f"{'、'.join(givers)} 之一")
    required = section.get("manager_required", False)
    if not isinstance(required, bool):
        raise DomainError("配置错误：approval.manager_required 应是 true 或 false")
    return Approval(cents, role, manager_by, required)


def _alert_mail(raw: dict) -> AlertMail | None:
    section = _table(raw, "alerts", "alerts")
    sendmail, host = str(section.get("sendmail") or ""), str(section.get("smtp_host") or "")
    if not sendmail and not host:
        return None
    if sendmail and host:
        raise DomainError("配置错误：alerts 中 sendmail 与 smtp_host 只能写一个")
    if sendmail and not Path(sendmail).is_absolute():
        raise DomainError("配置错误：alerts.sendmail 应是绝对路径，如 /usr/sbin/sendmail")
    port = section.get("smtp_port", 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise DomainError("配置错误：alerts.smtp_port 必须是 1 到 65535 的整数")
    domain = str(section.get("mail_domain") or "localhost")
    sender = str(section.get("mail_from") or f"complaintdesk@{domain}")
    return AlertMail(sendmail, host, port, domain, sender)


def deadlines_for(priority: Priority, received_at: datetime, config: DeskConfig) -> tuple[datetime, datetime]:
    """First-response and resolution deadlines counted from the receiving time, on
    the desk's wall clock (working days are the desk's local days)."""
    limit = config.limits[priority]
    local = received_at.astimezone(config.timezone) if received_at.tzinfo else received_at
    return local + limit.first_response, local + limit.resolution


__all__ = [
    "REFERENCE_CONFIG_PATH",
    "Approval",
    "DeskConfig",
    "Department",
    "TimeLimit",
    "deadlines_for",
    "load_config",
]
