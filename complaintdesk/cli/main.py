"""The ``complaintdesk`` command: the console, and scriptable subcommands.

Every subcommand calls the same core use-cases as the console. The acting user
is the OS account of the real uid, or in service mode the person sudo ran the
program for (``locations.detect_mode``); there is no option to act as somebody
else.
Any refusal or unusable database ends with a short ``complaintdesk: ...``
message on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from complaintdesk import __version__
from complaintdesk.store import adminlog, has_desk, is_url, shown_location
from complaintdesk.process import staffing
from complaintdesk.cli.alerts import add_alerts_command
from complaintdesk.cli.identity import ROOT
from complaintdesk.cli.calendar import add_calendar_command
from complaintdesk.cli.admin import add_admin_commands
from complaintdesk.cli.errors import CliError, os_error_text
from complaintdesk.cli.progress import counted, progress
from complaintdesk.cli.parsing import EXIT_USAGE, DeskParser, UsageError, database_location
from complaintdesk.domain.config import load_config
from complaintdesk.domain.contacts import exports_full_contacts
from complaintdesk.store.sqlite.dbfile import DamagedDatabase
from complaintdesk.demo.text import DEFAULT_SEED
from complaintdesk.process.desk import Desk, open_desk
from complaintdesk.domain.enums import Role
from complaintdesk.domain.errors import DomainError, StoreError
from complaintdesk.box.locations import (access_warning, detect_mode, ensure_personal_dir, locate_config,
                        locate_database, refuse_path_in_service_mode)
from complaintdesk.process.staffing import Actor

PROG = "complaintdesk"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def _fail(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _utf8(stream: TextIO) -> TextIO:
    """Machine-readable output is UTF-8 whatever the locale says."""
    if (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8":
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError, OSError):
            pass
    return stream


def _console():
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False)


# ------------------------------------------------------------------ subcommands

def _require_terminal() -> None:
    """The console draws on a terminal and reads keys from it. Without one (``ssh
    host complaintdesk`` without ``-t``, a pipe) it could neither show anything nor
    notice the caller leaving."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("控制台需要一个终端：通过 SSH 请用 ssh -t 主机 complaintdesk；"
                       "在脚本中请使用子命令（如 complaintdesk export）")


def cmd_console(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    try:
        from screens.app import run_console
    except ImportError as exc:
        raise CliError(f"无法启动控制台：{exc}") from None
    return run_console(desk, actor) or 0


def cmd_demo(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.demo.load import fill_demo

    with progress("生成演示数据", args.count) as bar:
        summary = fill_demo(desk, args.count, args.seed, actor=actor.login,
                            progress=lambda done, _total: bar.to(done),
                            copy_progress=bar.say)
    how = "" if desk.store.backend == "sqlite" else "，用 COPY 载入"
    print(f"{summary.line()}（数据库：{desk.store.path}{how}）")
    return 0


def cmd_init(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    print(f"数据库已就绪：{desk.store.path}（{actor.login}：{actor.role.label}）")
    return 0


def _input_lines(source: str):
    """The input's lines as bytes; ``-`` is stdin."""
    if source == "-":
        return sys.stdin.buffer
    refuse_path_in_service_mode(detect_mode(), "输入文件")
    try:
        return open(source, "rb")
    except FileNotFoundError:
        raise CliError(f"找不到输入文件：{source}") from None
    except IsADirectoryError:
        raise CliError(f"输入路径是一个目录，不是文件：{source}") from None
    except OSError as exc:
        raise CliError(os_error_text(exc, "无法读取输入文件")) from None


class _PipeLines:
    """Lines of a pipe or terminal, and whether the next one is already there:
    intake registers what has arrived together but never waits for more while
    it holds the database."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""
        self.eof = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            cut = self.buffer.find(b"\n")
            if cut >= 0:
                line, self.buffer = self.buffer[:cut + 1], self.buffer[cut + 1:]
                yield line
                continue
            if self.eof:
                if self.buffer:
                    line, self.buffer = self.buffer, b""
                    yield line
                return
            chunk = os.read(self.fd, 1 << 16)
            if chunk:
                self.buffer += chunk
            else:
                self.eof = True

    def ready(self) -> bool:
        if b"\n" in self.buffer or self.eof:
            return True
        return bool(select.select([self.fd], [], [], 0)[0])


def cmd_intake(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.process.intake import intake_lines

    lines = _input_lines(args.file)
    desk.store.check_before_bulk_write()
    ready = None
    if lines is sys.stdin.buffer and not stat.S_ISREG(os.fstat(lines.fileno()).st_mode):
        pipe = _PipeLines(lines.fileno())
        lines, ready = pipe, pipe.ready
    out = _utf8(sys.stdout)
    good = bad = 0
    size = os.fstat(lines.fileno()).st_size if ready is None and lines is not sys.stdin.buffer \
        else None
    try:
        with progress("导入", size, "字节", writes_stdout=True) as bar:
            feed = _measured(lines, bar) if size is not None else lines
            for result in intake_lines(desk, actor.login, feed, ready=ready):
                if "error" in result:
                    bad += 1
                else:
                    good += 1
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                out.flush()
    finally:
        if ready is None and lines is not sys.stdin.buffer:
            lines.close()
    if sys.stderr.isatty():
        _fail(f"已登记 {good} 条，失败 {bad} 条")
    return EXIT_FAILED if bad else 0


def _measured(lines, bar):  # type: ignore[no-untyped-def]
    """The lines of a file, moving the bar by their bytes."""
    for line in lines:
        bar.advance(len(line))
        yield line


def _write_file(target: Path, write: Callable[[TextIO], int]) -> int:
    """Write aside and rename, so a failed or interrupted write never leaves half a file."""
    refuse_path_in_service_mode(detect_mode(), "输出文件（-o）")
    partial = target.with_name(target.name + ".part")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as stream:
            count = write(stream)
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise CliError(os_error_text(exc, "无法写入", target)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
    return count


def cmd_export(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.reports.exporting import export_rows, write_csv, write_jsonl

    write = write_csv if args.format == "csv" else write_jsonl
    full = exports_full_contacts(actor.role)
    if not full:
        _fail("提示：客户联系方式已遮蔽（完整联系方式仅客服主管和管理员可以导出）")
    from complaintdesk.process.complaints import count_complaints

    with progress("导出", count_complaints(desk), writes_stdout=args.output is None) as bar:
        rows = counted(export_rows(desk, full_contacts=full), bar)
        if args.output is None:
            write(rows, _utf8(sys.stdout))
            sys.stdout.flush()
            return 0
        target = Path(args.output)
        count = _write_file(target, lambda stream: write(rows, stream))
    print(f"已导出 {count} 条投诉到 {target}", file=sys.stderr)
    return 0


def cmd_report(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.reports import output as out
    from complaintdesk.reports.figures import build_report, check_reader, iter_report_rows, parse_period

    check_reader(desk, actor.login)
    try:
        period = parse_period(args.period, desk.config.timezone)
    except DomainError as exc:
        raise UsageError(f"--period：{exc.message}") from None
    report = build_report(desk, period)

    def write(stream: TextIO) -> int:
        rows = None if args.summary else counted(iter_report_rows(desk, period), bar)
        if args.format == "json":
            out.write_json(report, rows, desk, stream)
        elif args.format == "csv":
            out.write_csv(rows or [], desk, stream)
        else:
            for line in out.render_table(report, rows, desk):
                stream.write(line + "\n")
        return report.total

    with progress("统计明细", None if args.summary else report.total,
                  writes_stdout=args.output is None) as bar:
        if args.output is None:
            write(_utf8(sys.stdout))
            sys.stdout.flush()
            return 0
        target = Path(args.output)
        _write_file(target, write)
    print(f"已写入 {period.label} 统计表（{report.total} 条投诉）到 {target}", file=sys.stderr)
    return 0


def cmd_show(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.process.complaints import get_complaint, resolve_number
    from complaintdesk.reports.presenting import complaint_json, print_complaint

    record = get_complaint(desk, resolve_number(desk, args.number))
    if args.json:
        out = _utf8(sys.stdout)
        out.write(json.dumps(complaint_json(desk, record), ensure_ascii=False, indent=2) + "\n")
    else:
        print_complaint(_console(), desk, record)
    return 0


def cmd_print(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    """The 《客户投诉记录单》 and 《客户投诉处理单》 as paper forms (any active staff)."""
    from complaintdesk.process.complaints import get_complaint, resolve_number
    from complaintdesk.reports.printing import render_html, render_text
    from complaintdesk.process.workflow import get_handling

    number = resolve_number(desk, args.number)
    record = get_complaint(desk, number)
    handling = get_handling(desk, number)
    page = (render_html(record, handling, desk) if args.html
            else render_text(record, handling, desk, args.width))
    out = _utf8(sys.stdout)
    out.write(page)
    out.flush()
    return 0


def cmd_staff_add(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    staff = staffing.add_staff(desk, actor.login, args.login, args.name, args.role, args.dept)
    dept = f"，{desk.config.department_name(staff.department)}" if staff.department else ""
    print(f"已添加员工 {staff.login}（{staff.name}，{Role(staff.role).label}{dept}）")
    warning = access_warning(args.mode, desk.store.path, staff.login)
    if warning:
        _fail(f"提醒：{warning}")
    return 0


def cmd_staff_list(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    from complaintdesk.reports.presenting import print_staff

    staff = staffing.list_staff(desk)
    if args.json:
        rows = [{"login": s.login, "name": s.name, "role": s.role, "department": s.department,
                 "manager": bool(s.manager), "active": bool(s.active)} for s in staff]
        _utf8(sys.stdout).write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        print_staff(_console(), desk, staff)
    return 0


def cmd_staff_disable(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    staff = staffing.disable_staff(desk, actor.login, args.login)
    print(f"已停用员工 {staff.login}（{staff.name}）：其打开的控制台将在几秒内关闭")
    return 0


def cmd_staff_enable(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    staff = staffing.enable_staff(desk, actor.login, args.login)
    print(f"已启用员工 {staff.login}（{staff.name}）")
    return 0


def cmd_staff_set_role(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    staff = staffing.set_role(desk, actor.login, args.login, args.role, args.dept)
    dept = f"，{desk.config.department_name(staff.department)}" if staff.department else ""
    print(f"员工 {staff.login}（{staff.name}）现为{Role(staff.role).label}{dept}")
    return 0


def cmd_staff_set_manager(desk: Desk, actor: Actor, args: argparse.Namespace) -> int:
    staff = staffing.set_manager(desk, actor.login, args.login, not args.off)
    dept = desk.config.department_name(staff.department)
    print(f"员工 {staff.login}（{staff.name}）{'现为' if staff.manager else '不再是'}{dept}部门经理")
    return 0


# ------------------------------------------------------------------ parser

def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数：{value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("不能是负数")
    return number


def _print_width(value: str) -> int:
    from complaintdesk.reports.printing import MAX_WIDTH, MIN_WIDTH

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数：{value!r}") from None
    if not MIN_WIDTH <= number <= MAX_WIDTH:
        raise argparse.ArgumentTypeError(f"应在 {MIN_WIDTH} 到 {MAX_WIDTH} 之间")
    return number


EXIT_CODES = ("退出状态：0 成功；1 被拒绝或失败（原因见标准错误）；2 命令行用法错误；"
              "130 被中断（Ctrl+C，未完成的写入已回滚）。读取输出的管道提前关闭（如 | head）时"
              "安静地结束，状态为 0。")


def build_parser() -> argparse.ArgumentParser:
    parser = DeskParser(
        prog=PROG, description="客户投诉受理台：不带子命令时打开控制台。",
        epilog="数据库路径：--db，否则 $COMPLAINTDESK_DB，否则服务模式的数据目录或个人数据目录"
               "（~/.local/share/complaintdesk/）；complaintdesk config 显示生效的设置。"
               "操作人是运行本命令的系统账号（服务模式下是通过启动器调用的人）。\n" + EXIT_CODES)
    parser.add_argument("--db", metavar="PATH", type=database_location,
                        help="数据库文件路径（也可写在子命令之后）")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="显示版本号并退出")
    parser.set_defaults(func=cmd_console)
    sub = parser.add_subparsers(title="子命令", metavar="COMMAND", dest="command")

    demo = sub.add_parser(
        "demo", help="填入演示数据（SQLite 上可重复，编号接续；PostgreSQL 上只填入新建的数据库）")
    demo.add_argument("--count", type=_count, default=200, help="投诉条数（默认 200）")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help=f"随机种子（默认 {DEFAULT_SEED}：同一种子、同一天结果相同）")
    demo.set_defaults(func=cmd_demo, creates=True)

    init = sub.add_parser("init", help="新建一个空的数据库（运行者成为其管理员）",
                          description="在 --db 指定的位置（或默认位置）新建数据库；已存在时不做改动。"
                                      "其他子命令不会自动新建数据库，以免写错的路径变成一个新的空库。")
    init.set_defaults(func=cmd_init, creates=True)

    from complaintdesk.process.intake import field_help

    intake = sub.add_parser("intake", help="从其他渠道导入投诉：每行一个 JSON 对象",
                            epilog=field_help())
    intake.add_argument("file", metavar="FILE|-", help="JSON Lines 文件，- 表示标准输入")
    intake.set_defaults(func=cmd_intake)

    export = sub.add_parser("export", help="导出全部投诉")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl",
                        help="jsonl：每行一个 JSON 对象（默认）；csv：表格（UTF-8 带 BOM，Excel 可直接打开）")
    export.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认标准输出）")
    export.set_defaults(func=cmd_export)

    report = sub.add_parser("report", help="《客户投诉统计表》：月、季度或年度统计")
    report.add_argument("--period", required=True, metavar="P",
                        help="期间：月 2026-11、季度 2026-Q4 或年 2026（按本台时区的日历）")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table：文字表格（默认）；csv：明细表（UTF-8 带 BOM）；json：汇总与明细")
    report.add_argument("--summary", action="store_true", help="只输出汇总，不列明细")
    report.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认标准输出）")
    report.set_defaults(func=cmd_report)

    show = sub.add_parser("show", help="显示一条投诉及其处理记录")
    show.add_argument("number", metavar="NUMBER",
                      help="受理编号，如 TS-20261123-0007；大小写均可，唯一时可只写一部分（0007）")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    show.set_defaults(func=cmd_show)

    printing = sub.add_parser("print", help="打印投诉记录单和处理单（纸质表格样式）")
    printing.add_argument("number", metavar="NUMBER",
                          help="受理编号，如 TS-20261123-0007；大小写均可，唯一时可只写一部分（0007）")
    printing.add_argument("--html", action="store_true", help="输出可打印的 HTML 页面（A4）")
    printing.add_argument("--width", type=_print_width, default=78, metavar="N",
                          help="纯文本的总宽度（字符格，60–200，默认 78）")
    printing.set_defaults(func=cmd_print)

    staff = sub.add_parser("staff", help="员工账号（添加、停用仅限管理员）")
    staff_sub = staff.add_subparsers(title="操作", metavar="ACTION", required=True)
    add = staff_sub.add_parser("add", help="添加员工")
    add.add_argument("login", metavar="LOGIN", help="系统账号名")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--role", required=True, choices=[r.value for r in Role],
                     help="角色：" + "、".join(f"{r.value} {r.label}" for r in Role))
    add.add_argument("--dept", default=None, help="部门代码或名称（投诉处理专员必填）")
    add.set_defaults(func=cmd_staff_add, creates=True)
    listing = staff_sub.add_parser("list", help="列出员工")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    listing.set_defaults(func=cmd_staff_list)
    disable = staff_sub.add_parser("disable", help="停用员工")
    disable.add_argument("login", metavar="LOGIN")
    disable.set_defaults(func=cmd_staff_disable)
    enable = staff_sub.add_parser("enable", help="重新启用已停用的员工")
    enable.add_argument("login", metavar="LOGIN")
    enable.set_defaults(func=cmd_staff_enable)
    set_role = staff_sub.add_parser("set-role", help="更改员工角色（及部门）")
    set_role.add_argument("login", metavar="LOGIN")
    set_role.add_argument("role", metavar="ROLE", choices=[r.value for r in Role],
                          help="counter|handler|supervisor|leader|admin")
    set_role.add_argument("--dept", default=None, help="部门代码或名称（投诉处理专员必填）")
    set_role.set_defaults(func=cmd_staff_set_role)
    manager = staff_sub.add_parser("set-manager",
                                   help="设为（或 --off 取消）所在部门的部门经理：填写处理单的部门经理意见")
    manager.add_argument("login", metavar="LOGIN")
    manager.add_argument("--off", action="store_true", help="取消部门经理标记")
    manager.set_defaults(func=cmd_staff_set_manager)

    add_admin_commands(sub)
    add_calendar_command(sub)
    add_alerts_command(sub)
    return parser


# ------------------------------------------------------------------ entry point



def _run(args: argparse.Namespace) -> int:
    func: Callable[[Desk, Actor, argparse.Namespace], int] = args.func
    mode = args.mode = detect_mode()
    if func is cmd_console:
        _require_terminal()
    if not getattr(args, "needs_desk", True):
        return func(None, None, args)  # type: ignore[arg-type]
    located = locate_database(mode, args.db)
    config = load_config(locate_config(mode).path) if locate_config(mode).path else None
    assert located.path is not None
    if not getattr(args, "creates", False) and not has_desk(located.path):
        # A mistyped path must not become a new, empty desk with its caller as admin.
        if is_url(located.path):
            raise CliError(f"数据库 {shown_location(located.path)} 中还没有 complaintdesk 的数据"
                           f"（{located.source}）。请检查地址；要在此新建请运行 {PROG} init"
                           f"（或 {PROG} demo 填入演示数据）")
        raise CliError(f"数据库不存在：{located.path}（{located.source}）。请检查路径；"
                       f"要新建请运行 {PROG} init（或 {PROG} demo 填入演示数据）")
    ensure_personal_dir(located)
    try:
        desk = open_desk(located.path, config)
    except DamagedDatabase as exc:
        if func.__name__ != "cmd_check":
            raise
        from complaintdesk.box.check import admin_of_damaged_file, check_damaged_file
        from complaintdesk.cli.admin import print_check

        if mode.uid != 0 and not admin_of_damaged_file(located.path, mode.login):
            raise CliError(f"{exc.message}（检查损坏的数据库需要管理员或 root）") from None
        return print_check(check_damaged_file(located.path, exc.message))
    except StoreError as exc:
        if not mode.service and located.source.startswith("系统配置"):
            raise CliError(f"{exc.message}。本机为服务模式：请运行启动器 complaintdesk"
                           "（/usr/local/bin/complaintdesk），不要直接运行安装目录中的程序") from None
        raise
    try:
        if getattr(args, "root_ok", False) and mode.uid == 0:
            actor = ROOT
        else:
            actor = staffing.sign_in(desk, mode.login, bootstrap=not mode.service)
        return func(desk, actor, args)
    finally:
        desk.close()


def _printable_output() -> None:
    """Whatever a result echoes (a lone surrogate from an input line or an
    argument, a character the locale cannot encode) is printed escaped
    (``\\ud800``), never a UnicodeEncodeError that ends the run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    _printable_output()
    args = build_parser().parse_args(argv)
    command = getattr(args, "command", None) or "console"
    login = staffing.os_login()
    try:
        mode = detect_mode()
        login = mode.login
        adminlog.started(command, login, "service" if mode.service else "local")
    except DomainError:
        pass
    status = _main(args, command, login)
    adminlog.stopped(command, login, status)
    return status


def _main(args: argparse.Namespace, command: str, login: str) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:
        _fail("已中断（未完成的写入已回滚）")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): it has what it wanted. Stop quietly,
        # and keep Python from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except UsageError as exc:
        adminlog.refused(command, login, "UsageError")
        _fail(f"{exc}（{PROG} {command} --help 查看说明）")
        return EXIT_USAGE
    except (DomainError, CliError) as exc:
        if isinstance(exc, StoreError):
            adminlog.store_error(command, login, type(exc).__name__)
        else:
            adminlog.refused(command, login, type(exc).__name__)
        _fail(exc.message if isinstance(exc, DomainError) else str(exc))
        return EXIT_FAILED
    except (SQLAlchemyError, sqlite3.Error) as exc:
        return _database_error(exc, command, login)
    except OSError as exc:
        _fail(os_error_text(exc))
        return EXIT_FAILED
    except Exception as exc:
        # psycopg's own errors (a PostgreSQL store's raw connections: COPY, LISTEN,
        # the audit checks), without importing psycopg into every command's start.
        if not type(exc).__module__.startswith("psycopg"):
            raise
        return _database_error(exc, command, login)


def _database_error(exc: Exception, command: str, login: str) -> int:
    """What the database said, in one line; a missing privilege says what to do."""
    orig = getattr(exc, "orig", None) or exc
    adminlog.store_error(command, login, type(orig).__name__)
    if type(orig).__name__ == "InsufficientPrivilege":
        _fail(f"数据库拒绝了这项操作（权限不足：{str(orig).strip().splitlines()[0]}）："
              "升级结构、copy-to 和演示数据须用表的所有者角色连接（见 README）")
    else:
        _fail(f"数据库错误：{str(orig).strip()}")
    return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
