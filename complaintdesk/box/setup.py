"""``setup-box``: lock a shared box down for service mode.

Creates, each only when missing (so running it again changes nothing): the
system account that owns the data, the staff group, the private data directory
with the database and its first admin, /etc/complaintdesk/config.toml from the
packaged reference, a sudoers drop-in letting the group run exactly the installed
program as the service account (checked with ``visudo -c`` before it is put in
place), the guard sudo runs (guard.py: it refuses an installation the invoking
account could change, before Python reads any of it), the launcher staff
type as ``complaintdesk``, and (a SQLite desk) the kernel's limit of inotify
instances per account raised to 1024, one for each console of the service account.

With ``--database-url`` the desk lives on a PostgreSQL server instead: no SQLite
file; the URL in ``[database]`` of the configuration and the password in the
service account's passfile (server_db.py), and the first admin added on the
server, connecting as the service account.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from complaintdesk.box import guard, server_db
from complaintdesk.domain.errors import DomainError
from complaintdesk.box.locations import (DB_NAME, GUARD, INOTIFY_INSTANCES, INOTIFY_SYSCTL, LAUNCHER,
                        SERVICE_DATA_DIR, SERVICE_USER, STAFF_GROUP, SUDOERS, SYSTEM_CONFIG,
                        WANTED_INOTIFY_INSTANCES, reference_config_text, service_settings)
from complaintdesk.process.staffing import os_account_exists
from complaintdesk.store import shown_location

NOLOGIN = "/usr/sbin/nologin"


@dataclass(frozen=True)
class BoxPlan:
    admin: str
    user: str = SERVICE_USER
    group: str = STAFF_GROUP
    data_dir: Path = SERVICE_DATA_DIR
    program: Path = Path(sys.prefix) / "bin" / "complaintdesk"
    #: The base interpreter the guard runs on (the program's own, resolved).
    interpreter: Path = Path(os.path.realpath(sys.executable))
    #: The desk on a PostgreSQL server (``--database-url``), instead of the file.
    url: str | None = None
    #: The server role's password, kept in the passfile, never in the configuration.
    password: str | None = field(default=None, repr=False)
    #: The configuration already names the passfile (a password given before).
    keep_passfile: bool = False

    @property
    def database(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def passfile(self) -> Path:
        return self.data_dir / server_db.PASSFILE_NAME

    @property
    def configured_url(self) -> str | None:
        """The URL the configuration names: with the passfile when there is a password."""
        if self.url is None or (self.password is None and not self.keep_passfile):
            return self.url
        return server_db.with_passfile(self.url, self.passfile)

    @property
    def location(self) -> Path | str:
        return self.configured_url or self.database

    @property
    def prefix(self) -> Path:
        return self.program.parent.parent


@dataclass
class Step:
    description: str            # in Chinese, for the admin
    needed: bool                # False: already in place
    apply: Callable[[], None]


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise DomainError(f"{' '.join(argv)} 失败：{(done.stderr or done.stdout).strip()}")


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def service_config_text(plan: BoxPlan) -> str:
    return (f"\n# Service mode (written by complaintdesk setup-box): the data belongs to\n"
            f"# the system account below; staff run complaintdesk through sudo.\n"
            f"[service]\nuser = \"{plan.user}\"\ngroup = \"{plan.group}\"\n"
            f"data_dir = \"{plan.data_dir}\"\n")


def sudoers_text(plan: BoxPlan) -> str:
    return (f"# complaintdesk (written by complaintdesk setup-box): members of {plan.group}\n"
            f"# run exactly the guard of the installed program as {plan.user}, without a\n"
            f"# password; the guard checks the installation, then runs {plan.program}.\n"
            f"Defaults!{GUARD} env_keep += \"COLORTERM NO_COLOR\"\n"
            f"%{plan.group} ALL=({plan.user}) NOPASSWD: {GUARD}\n")


def guard_text(plan: BoxPlan) -> str:
    return guard.script_text(str(plan.prefix), str(plan.program), str(plan.interpreter))


def launcher_text(plan: BoxPlan) -> str:
    return f"""#!/bin/sh
# complaintdesk launcher (written by complaintdesk setup-box): runs the installed
# program as the service account {plan.user}, so staff never touch the data files.
if [ "$(id -u)" != 0 ] && ! id -Gn | tr ' ' '\\n' | grep -qx '{plan.group}'; then
    echo "complaintdesk: 你的账号 $(id -un) 不在 {plan.group} 组中：请管理员运行 usermod -aG {plan.group} $(id -un)，然后重新登录" >&2
    exit 1
fi
exec /usr/bin/sudo -n -u {plan.user} -- {GUARD} "$@"
"""


def inotify_sysctl_text() -> str:
    return ("# complaintdesk (written by complaintdesk setup-box): every console on this box\n"
            "# runs as the service account and waits for the desk's commits on an inotify\n"
            "# instance of its own; past the kernel's default of 128 per account a console\n"
            "# asks the database every second instead.\n"
            f"fs.inotify.max_user_instances = {WANTED_INOTIFY_INSTANCES}\n")


def inotify_instances() -> int | None:
    """The kernel's limit of inotify instances per account now (None: unreadable)."""
    try:
        return int(INOTIFY_INSTANCES.read_text().strip())
    except (OSError, ValueError):
        return None


def _raise_inotify_instances() -> None:
    """At the next boot (sysctl.d) and now. Where /proc/sys cannot be written (a
    container's) the box still works, its consoles past 128 asking every second:
    said, not fatal."""
    if not (INOTIFY_SYSCTL.exists() and INOTIFY_SYSCTL.read_text("utf-8") == inotify_sysctl_text()):
        _write(INOTIFY_SYSCTL, inotify_sysctl_text(), 0o644)
    try:
        INOTIFY_INSTANCES.write_text(f"{WANTED_INOTIFY_INSTANCES}\n")
    except OSError as exc:
        print(f"提示：{INOTIFY_INSTANCES} 无法写入（{exc.strerror}；容器中常见），上限要到重启后"
              f"才生效，或请在宿主机上设置 fs.inotify.max_user_instances = "
              f"{WANTED_INOTIFY_INSTANCES}。在此之前，第 128 个以后的控制台每秒查询一次数据库。",
              file=sys.stderr)


def _write(path: Path, text: str, mode: int) -> None:
    """Write aside and rename: never half a file in /etc."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".complaintdesk-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _install_sudoers(plan: BoxPlan) -> None:
    visudo = shutil.which("visudo") or "/usr/sbin/visudo"
    fd, tmp = tempfile.mkstemp(prefix="complaintdesk-sudoers-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(sudoers_text(plan))
        os.chmod(tmp, 0o440)
        _run(visudo, "-c", "-q", "-f", tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _write(SUDOERS, sudoers_text(plan), 0o440)


def _init_database(plan: BoxPlan) -> None:
    """Create the database as the service account (a child process that drops to
    it), with ``admin`` as its first admin."""
    entry = pwd.getpwnam(plan.user)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.setgid(entry.pw_gid)
            os.setgroups([])
            os.setuid(entry.pw_uid)
            os.umask(0o077)
            from complaintdesk.domain.config import load_config
            from complaintdesk.process.desk import open_desk
            from complaintdesk.process.staffing import ensure_admin

            desk = open_desk(plan.location, load_config(SYSTEM_CONFIG))
            try:
                ensure_admin(desk, plan.admin)
            finally:
                desk.close()
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            print(f"complaintdesk: 初始化数据库失败：{exc}", file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        if plan.url is not None:
            raise DomainError(f"无法以 {plan.user} 身份在 {plan.url} 上登记首位管理员（原因见上一行）。"
                              "若该库还没有表而此角色无权建表，请先以库的属主角色运行："
                              "complaintdesk --db postgresql://属主@主机/库名 migrate，再授权（见 README）")
        raise DomainError(f"无法以 {plan.user} 身份创建数据库 {plan.database}")


def configured_url() -> str | None:
    """``[database] url`` of the system configuration as it stands."""
    return service_settings(SYSTEM_CONFIG).url if SYSTEM_CONFIG.exists() else None


def with_configured_database(plan: BoxPlan) -> BoxPlan:
    """``plan`` for the database the box already names: run again without
    ``--database-url`` (or with the same one, or only to change the password),
    setup-box keeps the box on its server and never writes ``[database]`` twice.

    Raises:
        DomainError: the URL given is unsafe to write (server_db.check_url); the
            configuration names another database; a password with no database
            URL, or for a configured URL that names no passfile.
    """
    existing = configured_url()
    if plan.url is not None:
        server_db.check_url(plan.url)
    if existing is None:
        if plan.url is None and plan.password is not None:
            raise DomainError("--password-stdin 是数据库角色的密码：请同时用 --database-url 给出数据库地址")
        return plan
    base, named = server_db.without_passfile(existing)
    if plan.url is not None and not server_db.same_database(plan.url, base):
        raise DomainError(f"{SYSTEM_CONFIG} 已指定数据库 {shown_location(existing)}：要换成 {plan.url}，"
                          "请先删除该文件中的 [database] 一节再运行 setup-box")
    if named is not None and named != str(plan.passfile):
        raise DomainError(f"{SYSTEM_CONFIG} 的 database.url 指定的密码文件是 {named}，不是 {plan.passfile}："
                          "请手工维护该文件，或删除 [database] 一节后重跑 setup-box")
    if plan.password is not None and named is None:
        raise DomainError(f"{SYSTEM_CONFIG} 的 database.url 没有指定 passfile：要由 setup-box 保存密码，"
                          "请先删除 [database] 一节再运行")
    return replace(plan, url=base, keep_passfile=named is not None)


def plan_steps(plan: BoxPlan) -> list[Step]:
    """What setup-box would do, each step marked needed or already in place."""
    config_has_service = SYSTEM_CONFIG.exists() and "[service]" in SYSTEM_CONFIG.read_text("utf-8")

    def make_data_dir() -> None:
        entry = pwd.getpwnam(plan.user)
        for path in (plan.data_dir, plan.data_dir / "backups"):
            path.mkdir(mode=0o700, exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(path, 0o700)

    def write_config() -> None:
        SYSTEM_CONFIG.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        base = (SYSTEM_CONFIG.read_text("utf-8") if SYSTEM_CONFIG.exists()
                else reference_config_text())
        _write(SYSTEM_CONFIG, base.rstrip("\n") + "\n" + service_config_text(plan), 0o644)

    def database_ready() -> bool:
        if plan.url is not None:
            return server_db.admin_present(plan.location, plan.admin)  # type: ignore[arg-type]
        return plan.database.exists() and _admin_present(plan)

    def write_database() -> None:
        text = SYSTEM_CONFIG.read_text("utf-8")
        _write(SYSTEM_CONFIG, text.rstrip("\n") + "\n" + server_db.database_text(plan.configured_url), 0o644)

    server_steps = []
    if plan.url is not None and plan.password is not None:  # the file before the URL naming it
        line = server_db.passfile_line(plan.url, plan.password)
        server_steps.append(Step(
            f"写入数据库密码到 {plan.passfile}（{plan.user} 所有，权限 0600；员工账号读不到）",
            not server_db.passfile_current(plan.passfile, line, plan.user),
            lambda: server_db.write_passfile(plan.passfile, line, plan.user)))
    if plan.url is not None:
        server_steps.append(Step(f"写入数据库地址到 {SYSTEM_CONFIG} 的 [database]：{plan.configured_url}",
                                 configured_url() is None, write_database))
    if plan.url is None:  # a PostgreSQL desk's consoles listen on the server instead
        limit = inotify_instances()
        server_steps.append(Step(
            f"把每个账号可用的 inotify 实例数提高到 {WANTED_INOTIFY_INSTANCES}（{INOTIFY_SYSCTL}，"
            f"并立即生效；现在是 {limit if limit is not None else '未知'}）：每个控制台用一个来即时得知"
            "别人的保存，超过上限的控制台改为每秒查询数据库",
            limit is not None and limit < WANTED_INOTIFY_INSTANCES, _raise_inotify_instances))
    database_step = (f"在 {plan.url} 上登记首位管理员 {plan.admin}（以 {plan.user} 身份连接；空库则建表）"
                     if plan.url is not None else f"创建数据库 {plan.database}（0600），首位管理员 {plan.admin}")

    return [
        Step(f"创建员工组 {plan.group}", not _group_exists(plan.group),
             lambda: _run("groupadd", "--system", plan.group)),
        Step(f"创建系统账号 {plan.user}（不能登录，家目录 {plan.data_dir}）",
             not os_account_exists(plan.user),
             lambda: _run("useradd", "--system", "--user-group", "--no-create-home",
                          "--home-dir", str(plan.data_dir), "--shell", NOLOGIN, plan.user)),
        Step(f"创建数据目录 {plan.data_dir}（{plan.user} 所有，权限 0700）及 backups/",
             not (plan.data_dir / "backups").is_dir(), make_data_dir),
        Step(f"写入配置 {SYSTEM_CONFIG}（参考配置 + [service]；已有的设置保留）",
             not config_has_service, write_config),
        *server_steps,
        Step(database_step, not database_ready(), lambda: _init_database(plan)),
        Step(f"安装守卫 {GUARD}（root 所有；先确认安装无人能改，再运行 {plan.program}）",
             not (GUARD.exists() and GUARD.read_text("utf-8") == guard_text(plan)),
             lambda: _write(GUARD, guard_text(plan), 0o755)),
        Step(f"写入 sudo 规则 {SUDOERS}（{plan.group} 组成员以 {plan.user} 身份运行守卫，"
             "先经 visudo -c 检查）",
             not (SUDOERS.exists() and SUDOERS.read_text("utf-8") == sudoers_text(plan)),
             lambda: _install_sudoers(plan)),
        Step(f"安装启动器 {LAUNCHER}",
             not (LAUNCHER.exists() and LAUNCHER.read_text("utf-8") == launcher_text(plan)),
             lambda: _write(LAUNCHER, launcher_text(plan), 0o755)),
    ]


def _admin_present(plan: BoxPlan) -> bool:
    """Whether the database already has ``admin`` as an active admin (read as root)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{plan.database}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT role, active FROM staff WHERE login = ?",
                               (plan.admin,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == "admin" and bool(row[1])


def preflight(plan: BoxPlan, *, dry_run: bool) -> None:
    """Refuse what would make an unsafe or broken box.

    Raises:
        DomainError: not root; the admin is no OS account; the program is not a
            separate installation owned by root and unwritable by others.
    """
    if not dry_run and os.geteuid() != 0:
        raise DomainError(f"setup-box 需要 root 权限：sudo {plan.program} setup-box --admin {plan.admin}")
    if not os_account_exists(plan.admin):
        raise DomainError(f"本机没有系统账号 {plan.admin}：请先创建（sudo adduser {plan.admin}）")
    if not plan.program.exists():
        raise DomainError(f"找不到已安装的程序 {plan.program}：请从安装目录运行 setup-box")
    if plan.program.resolve() == LAUNCHER.resolve() or plan.program == LAUNCHER:
        raise DomainError(f"程序安装在 {LAUNCHER}，与启动器同名：请把 complaintdesk 安装到独立的"
                          "虚拟环境（如 /opt/complaintdesk），再从那里运行 setup-box")
    if not _inside(Path(guard.__file__).resolve(), plan.prefix.resolve()):
        raise DomainError(f"complaintdesk 不是安装在 {plan.prefix} 中（可编辑安装？）：sudo 运行的"
                          "代码须全部在一个 root 所有的虚拟环境里。请 pip install（不加 -e）到"
                          "独立的虚拟环境（如 /opt/complaintdesk），再从那里运行 setup-box")
    roots = guard.default_roots(str(plan.prefix), str(plan.prefix / "bin" / "python"))
    roots += [str(GUARD.parent.parent), str(LAUNCHER.parent), str(SUDOERS.parent)]
    unsafe = [e.path for e in guard.survey(roots)
              if e.uid != 0 or e.mode & 0o022 and not (e.above and e.mode & 0o1000)]
    if unsafe:
        raise DomainError(f"安装目录必须为 root 所有且他人不可写，{unsafe[0]} 不是（共 {len(unsafe)} 处）："
                          f"sudo 会以服务账号运行这里的程序。请 chown -R root: 并 chmod -R go-w "
                          f"{plan.prefix}")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def setup_box(plan: BoxPlan, *, dry_run: bool) -> list[Step]:
    """Run (or with ``dry_run`` only list) the steps; returns them."""
    plan = with_configured_database(plan)
    preflight(plan, dry_run=dry_run)
    steps = plan_steps(plan)
    if not dry_run:
        for step in steps:
            if step.needed:
                step.apply()
    return steps


__all__ = ["BoxPlan", "GUARD", "INOTIFY_SYSCTL", "LAUNCHER", "SUDOERS", "Step", "guard_text",
           "inotify_instances", "inotify_sysctl_text", "launcher_text",
           "plan_steps", "setup_box", "sudoers_text", "with_configured_database"]
