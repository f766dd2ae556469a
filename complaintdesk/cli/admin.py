"""The box admin's subcommands: config, setup-box, backup, check, audit.

Each is a thin wording of a core function (locations, box, admin, audit_chain).
``setup-box`` and ``config`` need no database; ``backup``, ``check`` and
``audit`` may be run by root, who is not staff, as well as by admins.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from complaintdesk.cli.progress import Bar, progress
from complaintdesk.domain.config import load_config
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Role
from complaintdesk.domain.money import format_amount
from complaintdesk.domain.errors import DomainError, PermissionDenied
from complaintdesk.box.locations import (SERVICE_USER, STAFF_GROUP, database_at, locate_config,
                                        locate_database, refuse_path_in_service_mode)
from complaintdesk.process.staffing import Actor

if TYPE_CHECKING:
    from complaintdesk.box.check import CheckReport


def _admin_or_root(actor: Actor, what: str) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(f"只有管理员（或 root）可以{what}（你的角色：{actor.role.label}）")


# ------------------------------------------------------------------ config

def cmd_config(desk: Desk | None, actor: Actor | None, args: argparse.Namespace) -> int:
    """The effective settings and where each came from."""
    mode = args.mode
    located = locate_config(mode)
    config = load_config(located.path) if located.path else load_config_defaults()
    try:
        db = locate_database(mode, args.db)
        db_line = f"{db.path}    ← {db.source}"
    except Exception as exc:  # noqa: BLE001 - shown, not raised: config must always print
        db_line = f"（不可用：{getattr(exc, 'message', exc)}）"
    keys: set[str] = set()
    if located.path is not None:
        import tomllib

        try:
            keys = set(tomllib.loads(located.path.read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError):
            keys = set()
    source = f"{located.path}" if located.path else "内置默认值"

    def origin(key: str) -> str:
        return source if key in keys else "内置默认值"

    lines = [
        f"运行模式      {mode.label}",
        f"操作人        {mode.login}",
        f"配置文件      {located.path or '（无）'}    ← {located.source}",
        f"数据库        {db_line}",
        f"时区          {config.timezone_name or '系统时区'}    ← {origin('timezone')}",
    ]
    for priority, limit in config.limits.items():
        lines.append(f"时限 {priority.label}     首次响应 {_delta(limit.first_response)}，"
                     f"解决 {_delta(limit.resolution)}，部门调查 {_delta(limit.investigation)}"
                     f"    ← {origin('deadlines')}")
    lines.append(f"预警阈值      {config.at_risk_fraction:.0%}    ← {origin('queue')}")
    lines.append(f"回访          {_delta(config.revisit_within)} 内，未接通 {_delta(config.revisit_retry)} "
                 f"后重拨，最多 {config.revisit_max_attempts} 次    ← {origin('revisit')}")
    cal = config.calendar
    calendar_line = ("中国大陆法定节假日与调休（holidays 库）" if cal.country == "CN" else "只以周六、周日为休息日")
    if cal.overrides:
        calendar_line += f"，另有 {len(cal.overrides)} 天调整"
    if cal.hours:
        calendar_line += f"，办公时间 {cal.hours.label()}"
    lines.append(f"工作日历      {calendar_line}    ← {origin('calendar')}")
    lines.append(f"重复提示      {config.duplicate_within_days} 天内同一联系方式、同一品名的未结案投诉"
                 f"{'（已关闭）' if not config.duplicate_within_days else ''}    ← {origin('duplicates')}")
    mail = config.alert_mail
    mail_line = ("只输出到标准输出" if mail is None else
                 f"{'sendmail ' + mail.sendmail if mail.sendmail else f'SMTP {mail.smtp_host}:{mail.smtp_port}'}"
                 f"，收件人 登录名@{mail.domain}")
    lines.append(f"提醒          {mail_line}    ← {origin('alerts')}")
    approval = config.approval
    second = ("一级审批（客服主管）" if approval.second_above_cents is None else
              f"损失金额超过 {format_amount(approval.second_above_cents)} 须两级审批，"
              f"二级由{Role(approval.second_role).label}")
    manager = ("部门经理标记（staff set-manager）" if approval.manager_by == "flag"
               else f"责任部门的{Role(approval.manager_by).label}")
    lines.append(f"审批          {second}；部门经理意见由{manager}填写"
                 f"{'，提交前必填' if approval.manager_required else ''}    ← {origin('approval')}")
    depts = "、".join(f"{d.code} {d.name}" for d in config.departments)
    lines.append(f"部门          {depts}    ← {origin('departments')}")
    if mode.settings.configured:
        s = mode.settings
        lines.append(f"服务账号      {s.user}，员工组 {s.group}，数据目录 {s.data_dir}    ← {source}")
    for line in lines:
        print(line)
    return 0


def load_config_defaults():  # type: ignore[no-untyped-def]
    from complaintdesk.domain.config import DeskConfig

    return DeskConfig()


def _delta(delta) -> str:  # type: ignore[no-untyped-def]
    if hasattr(delta, "label"):  # a Span: 7个工作日, 48 小时
        return delta.label()
    parts = []
    if delta.days:
        parts.append(f"{delta.days} 天")
    if delta.hours:
        parts.append(f"{delta.hours:g} 小时")
    return "".join(parts) or "0"


# ------------------------------------------------------------------ setup-box

def cmd_setup_box(desk: Desk | None, actor: Actor | None, args: argparse.Namespace) -> int:
    from complaintdesk.box.setup import BoxPlan, setup_box

    password = _password_from_stdin() if args.password_stdin else None
    plan = BoxPlan(admin=args.admin, user=args.user, group=args.group, url=args.database_url,
                   password=password)
    steps = setup_box(plan, dry_run=args.dry_run)
    header = "将执行（--dry-run，未做任何改动）：" if args.dry_run else "已完成："
    print(header)
    for step in steps:
        mark = ("将" if args.dry_run else "✓ ") if step.needed else "· 已存在，跳过："
        print(f"  {mark}{step.description}")
    print("下一步：")
    print(f"  1. 把每位员工的系统账号加入组：sudo usermod -aG {plan.group} 登录名（加入后需重新登录）")
    print(f"  2. 由管理员 {plan.admin} 添加员工：complaintdesk staff add 登录名 --name 姓名 --role counter")
    return 0


# ------------------------------------------------------------------ backup / check

def _sqlite_only(desk: Desk, what: str, instead: str) -> None:
    if desk.store.backend != "sqlite":
        from complaintdesk.cli.errors import CliError

        raise CliError(f"{what}只用于 SQLite 数据库文件；本台在 PostgreSQL 服务器上：{instead}")


def cmd_backup(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.box.check import backup, backup_stream, scratch_dir_for

    _admin_or_root(actor, "备份数据库")
    _sqlite_only(desk, "backup ", "请用 pg_dump 或服务器的备份（见 README），"
                 "或 complaintdesk copy-to 新文件.db 复制出一份 SQLite 备份")
    mode = args.mode
    if args.output is not None:
        refuse_path_in_service_mode(mode, "备份文件路径")
        target = Path(args.output)
    elif not sys.stdout.isatty():
        with progress("备份", None, "页") as bar:
            for chunk in backup_stream(desk.store, scratch_dir_for(desk.store, mode),
                                       _pages(bar)):
                sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return 0
    elif mode.service:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = mode.settings.backup_dir / f"complaintdesk-{stamp}.db"
    else:
        from complaintdesk.cli.errors import CliError

        raise CliError("请指定备份去向：complaintdesk backup -o 文件，或 complaintdesk backup > 文件")
    with progress("备份", None, "页") as bar:
        size = backup(desk.store, target, _pages(bar))
    print(f"已备份到 {target}（{size / 1e6:.1f} MB）", file=sys.stderr)
    return 0


def _pages(bar: Bar):  # type: ignore[no-untyped-def]
    def copied(done: int, total: int) -> None:
        bar.of(total)
        bar.to(done)
    return copied


def cmd_check(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.box.check import check

    _sqlite_only(desk, "check ", "服务器自己保证数据页完好；审计链请用 complaintdesk audit verify 校验")

    _admin_or_root(actor, "检查数据库")
    return print_check(check(desk.store, args.mode, quick=args.quick))


def print_check(report: "CheckReport") -> int:
    for finding in report.findings:
        print(f"{'✓' if finding.ok else '✗'} {finding.what}：{finding.detail}")
    print("检查通过" if report.ok else "检查发现问题（见上方 ✗ 项）")
    return 0 if report.ok else 1


# ------------------------------------------------------------------ audit

def cmd_audit_verify(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    _admin_or_root(actor, "校验审计记录")
    result = desk.store.verify_audit_trail(args.head)
    if result.ok:
        proof = f"；链头 {args.head} 之前的记录未被改动" if args.head else ""
        print(f"审计链完整：{result.checked} 条事件，链头 {result.head.text}{proof}")
        return 0
    for problem in result.problems:
        print(f"✗ {problem}")
    if result.first_broken_id is not None:
        print(f"审计链在事件 #{result.first_broken_id} 处断开")
    return 1


def cmd_audit_head(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    _admin_or_root(actor, "查看审计链头")
    head = desk.store.verify_audit_trail(quick=True).head
    print(head.text)
    if sys.stderr.isatty():
        print(f"（共 {head.count} 条事件。请把这一行记下或发往别处，日后用 "
              f"complaintdesk audit verify --head {head.text} 证明此前的记录未被改动）",
              file=sys.stderr)
    return 0


def _password_from_stdin() -> str:
    """The server role's password: one line of standard input (typed unseen at a terminal)."""
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("数据库角色的密码：")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise DomainError("--password-stdin 没有读到密码：请在标准输入给出一行密码，"
                          "例如 sudo complaintdesk setup-box … --password-stdin < 密码文件")
    return password


# ------------------------------------------------------------------ parser

def add_admin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    config = sub.add_parser("config", help="显示生效的设置及其来源")
    config.set_defaults(func=cmd_config, needs_desk=False)

    box = sub.add_parser("setup-box", help="以 root 运行：把本机设为服务模式（可重复运行）")
    box.add_argument("--admin", required=True, metavar="LOGIN", help="首位管理员的系统账号")
    box.add_argument("--group", default=STAFF_GROUP, help=f"员工组（默认 {STAFF_GROUP}）")
    box.add_argument("--user", default=SERVICE_USER, help=f"服务账号（默认 {SERVICE_USER}）")
    box.add_argument("--database-url", metavar="URL",
                     help="数据放在 PostgreSQL 服务器上：postgresql://角色@主机:端口/数据库名（不含密码）")
    box.add_argument("--password-stdin", action="store_true",
                     help="从标准输入读数据库角色的密码，存入服务账号的 pgpass 文件（0600）")
    box.add_argument("--dry-run", action="store_true", help="只列出将要做的事，不做改动")
    box.set_defaults(func=cmd_setup_box, needs_desk=False)

    backup = sub.add_parser("backup", help="在线备份数据库（他人可同时工作）：输出到标准输出或备份目录")
    backup.add_argument("-o", "--output", metavar="FILE", help="写入文件（服务模式下不可用）")
    backup.set_defaults(func=cmd_backup, root_ok=True)

    check = sub.add_parser("check", help="检查数据库完整性、外键、审计链、文件与安装权限")
    check.add_argument("--quick", action="store_true", help="快速完整性检查（quick_check）")
    check.set_defaults(func=cmd_check, root_ok=True)

    audit = sub.add_parser("audit", help="审计记录的防篡改链")
    audit_sub = audit.add_subparsers(title="操作", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="校验整条审计链与只追加触发器")
    verify.add_argument("--head", metavar="N:HASH", help="另证明到第 N 条为止的记录未被改动")
    verify.set_defaults(func=cmd_audit_verify, root_ok=True)
    head = audit_sub.add_parser("head", help="输出链头（事件号:哈希），供记录或发往别处")
    head.set_defaults(func=cmd_audit_head, root_ok=True)

    copy = sub.add_parser("copy-to", help="把整个受理台复制到另一个数据库并校验"
                          "（如 postgresql://…；或新的 .db 文件作备份），可重复运行")
    copy.add_argument("target", metavar="TARGET",
                      help="目标：postgresql://用户@主机:端口/数据库名，或一个新的 SQLite 文件路径")
    copy.set_defaults(func=cmd_copy_to, root_ok=True)

    migrate = sub.add_parser("migrate", help="把数据库结构升级到本版本（SQLite 或 PostgreSQL）")
    migrate.set_defaults(func=cmd_migrate, root_ok=True, creates=True)


# ------------------------------------------------------------------ copy-to / migrate

def cmd_copy_to(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.store.transfer import copy_desk

    _admin_or_root(actor, "复制受理台")
    target = database_at(args.target)
    report = copy_desk(desk.store, target, progress=lambda line: print(line, file=sys.stderr))
    again = "（替换了此前的副本）" if report.replaced else ""
    print(f"已复制到 {report.target}{again}：{report.counts.get('complaint', 0):,} 条投诉，"
          f"{report.counts.get('audit_event', 0):,} 条审计记录，行数与审计链均已校验；"
          f"链头 {report.head}")
    return 0


def cmd_migrate(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    """Opening the desk already upgraded it (in one transaction, refusing a newer
    schema): say where it stands."""
    done = desk.store.upgraded
    if done:
        print(f"数据库 {desk.store.path} 已升级（{'、'.join(done)}），现为本版本的结构"
              f"（{desk.store.schema_version()}）")
    else:
        print(f"数据库 {desk.store.path} 的结构已是本版本（{desk.store.schema_version()}），无需升级")
    return 0
