"""Where an installed complaintdesk finds its configuration and database, and who
is acting.

Three ways to run (README, "A shared box"):

- **Service mode** (recommended on a shared box): the data belongs to a system
  account (default ``complaintdesk``); staff run the program as that account
  through the sudo launcher that ``setup-box`` installs. The acting person is the
  invoking user as sudo reports it — trusted only because the process really runs
  as the service account, which only sudo (or root) can make it do. The caller
  cannot point the program at any file.
- **Group-file mode**: one database file shared by an OS group (``--db`` or
  ``$COMPLAINTDESK_DB``). Every member can change any data; the acting person is
  the real uid.
- **Personal trial**: the database in the user's XDG data directory.

Nothing is ever looked for inside the installed package except the reference
configuration it ships.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from complaintdesk.domain.config import DeskConfig, load_config
from complaintdesk.domain.errors import DomainError
from complaintdesk.store import is_url

SYSTEM_CONFIG = Path("/etc/complaintdesk/config.toml")
SERVICE_USER = "complaintdesk"
STAFF_GROUP = "complaintdesk-staff"
SERVICE_DATA_DIR = Path("/var/lib/complaintdesk")
DB_NAME = "complaintdesk.db"
#: What setup-box installs outside the data: the command staff type, the
#: root-owned guard sudo runs (see guard.py), and the sudo rule.
LAUNCHER = Path("/usr/local/bin/complaintdesk")
GUARD = Path("/usr/local/lib/complaintdesk/guard")
SUDOERS = Path("/etc/sudoers.d/complaintdesk")
#: Every console of the box runs as the service account and waits for commits
#: on an inotify instance of its own (store/sqlite/commit_signal.py); Linux
#: allows an account 128, and a console past them asks every second instead.
INOTIFY_SYSCTL = Path("/etc/sysctl.d/60-complaintdesk.conf")
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
WANTED_INOTIFY_INSTANCES = 1024


class ServiceModeRefusal(DomainError):
    """Something a caller may not do when the program runs as the service account."""


def reference_config_text() -> str:
    """The reference configuration shipped inside the package."""
    return resources.files("complaintdesk.domain").joinpath("config.toml").read_text(encoding="utf-8")


def _home() -> Path:
    home = os.environ.get("HOME") or ""
    if home.startswith("/"):
        return Path(home)
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return Path("/")


def xdg_config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base.startswith("/") else _home() / ".config"
    return root / "complaintdesk" / "config.toml"


def xdg_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if base.startswith("/") else _home() / ".local" / "share"
    return root / "complaintdesk"


@dataclass(frozen=True)
class ServiceSettings:
    """The ``[service]`` table of the system configuration (written by setup-box)."""

    configured: bool            # the box was set up for service mode
    user: str = SERVICE_USER
    group: str = STAFF_GROUP
    data_dir: Path = SERVICE_DATA_DIR
    #: ``[database] url`` of the system configuration: the desk on a PostgreSQL
    #: server instead of the data directory's SQLite file.
    url: str | None = None

    @property
    def database(self) -> Path | str:
        return self.url or self.data_dir / DB_NAME

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"


def service_settings(system_config: Path = SYSTEM_CONFIG) -> ServiceSettings:
    """Read ``[service]`` from the system configuration; absent means not set up."""
    try:
        raw = tomllib.loads(system_config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ServiceSettings(configured=False)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DomainError(f"无法读取系统配置 {system_config}：{exc}（请管理员修正该文件）") from None
    url = _database_url(raw, system_config)
    table = raw.get("service")
    if not isinstance(table, dict):
        return ServiceSettings(configured=False, url=url)
    data_dir = Path(str(table.get("data_dir") or SERVICE_DATA_DIR))
    if not data_dir.is_absolute():
        raise DomainError(f"配置错误：{system_config} 中 service.data_dir 必须是绝对路径")
    return ServiceSettings(True, str(table.get("user") or SERVICE_USER),
                           str(table.get("group") or STAFF_GROUP), data_dir, url)


def _database_url(raw: dict, system_config: Path) -> str | None:
    """``[database] url``: a PostgreSQL URL, or nothing (the SQLite file)."""
    table = raw.get("database")
    if table is None:
        return None
    url = table.get("url") if isinstance(table, dict) else None
    if url is None:
        return None
    if not isinstance(url, str) or not is_url(url):
        raise DomainError(f"配置错误：{system_config} 中 database.url 应为 "
                          "postgresql://用户@主机:端口/数据库名（SQLite 文件无需设置此项）")
    return url


@dataclass(frozen=True)
class RunMode:
    """How this process runs and who is acting."""

    service: bool               # running as the service account on behalf of ``login``
    login: str                  # the acting OS account
    uid: int                    # its uid
    settings: ServiceSettings

    @property
    def label(self) -> str:
        if self.service:
            return f"服务模式（以服务账号 {self.settings.user} 运行）"
        return "个人/共享组文件模式（以本人系统账号运行）"


def _login_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


def detect_mode(settings: ServiceSettings | None = None,
                environ: dict[str, str] | None = None) -> RunMode:
    """Who is acting, from what the kernel and sudo say — never from ``$USER``.

    The process is in service mode only when both its real and effective uid are
    the service account's; then (and only then) sudo's ``SUDO_UID``/``SUDO_USER``
    name the person, checked against the passwd database. sudo sets them itself
    and resets the caller's environment, so a staff member cannot choose them;
    set by hand in any other process they are ignored.

    Raises:
        DomainError: the process runs as the service account but not through sudo.
    """
    settings = settings if settings is not None else service_settings()
    env = os.environ if environ is None else environ
    uid, euid = os.getuid(), os.geteuid()
    try:
        service_uid = pwd.getpwnam(settings.user).pw_uid
    except KeyError:
        service_uid = None
    if service_uid is None or service_uid == 0 or uid != service_uid or euid != service_uid:
        return RunMode(False, _login_of(uid), uid, settings)
    sudo_uid, sudo_user = env.get("SUDO_UID", ""), env.get("SUDO_USER", "")
    try:
        invoker = pwd.getpwuid(int(sudo_uid))
    except (ValueError, KeyError):
        invoker = None
    if invoker is None or invoker.pw_name != sudo_user:
        raise DomainError(f"服务账号 {settings.user} 只能通过启动器 complaintdesk（sudo）运行，"
                          "无法确定操作人")
    return RunMode(True, invoker.pw_name, invoker.pw_uid, settings)


# ------------------------------------------------------------------ configuration

@dataclass(frozen=True)
class Located:
    """A path and where it came from (for ``complaintdesk config``)."""

    path: Path | str | None  # a str: a PostgreSQL URL
    source: str


def locate_config(mode: RunMode, environ: dict[str, str] | None = None) -> Located:
    """``$COMPLAINTDESK_CONFIG``, then /etc/complaintdesk/config.toml, then the user's
    XDG config, then built-in defaults. In service mode only the system file counts."""
    env = os.environ if environ is None else environ
    if not mode.service:
        named = env.get("COMPLAINTDESK_CONFIG")
        if named:
            return Located(Path(named).expanduser(), "环境变量 $COMPLAINTDESK_CONFIG")
    if SYSTEM_CONFIG.exists():
        return Located(SYSTEM_CONFIG, "系统配置")
    if not mode.service:
        personal = xdg_config_file()
        if personal.exists():
            return Located(personal, "个人配置（XDG）")
    return Located(None, "内置默认值")


def locate_database(mode: RunMode, cli_value: str | None,
                    environ: dict[str, str] | None = None) -> Located:
    """The database: in service mode always the service data directory; else
    ``--db``, ``$COMPLAINTDESK_DB``, the service database on a box set up for it
    (so running the program directly, not through the launcher, is refused by the
    file's permissions with a message saying so), else the XDG data directory.

    Raises:
        ServiceModeRefusal: ``--db`` or ``$COMPLAINTDESK_DB`` in service mode.
    """
    env = os.environ if environ is None else environ
    if mode.service:
        if cli_value is not None or env.get("COMPLAINTDESK_DB"):
            raise ServiceModeRefusal(
                "服务模式下不能指定数据库路径（--db / $COMPLAINTDESK_DB）：数据只在服务目录中，"
                "请直接运行 complaintdesk")
        return Located(mode.settings.database, "服务模式数据目录")
    if cli_value is not None:
        if not cli_value.strip():
            raise DomainError("--db 的路径为空：请给出数据库文件路径，如 --db /srv/complaintdesk/desk.db")
        return Located(database_at(cli_value), "命令行 --db")
    named = env.get("COMPLAINTDESK_DB")
    if named:
        return Located(database_at(named), "环境变量 $COMPLAINTDESK_DB")
    if mode.settings.url:
        return Located(mode.settings.url, "系统配置 database.url")
    if mode.settings.configured:
        return Located(mode.settings.database, "系统配置的服务数据目录")
    return Located(xdg_data_dir() / DB_NAME, "个人数据目录（XDG）")


def database_at(value: str) -> Path | str:
    """A PostgreSQL URL as it is, a file path with ``~`` expanded; another
    database's URL (``mysql://…``) refused rather than taken for a file name."""
    scheme = _URL_SCHEME.match(value)
    if scheme:  # the scheme as SQLAlchemy names it: lower case (POSTGRESQL:// is postgresql://)
        value = scheme.group(1).lower() + value[len(scheme.group(1)):]
    if is_url(value):
        return value
    if scheme:
        raise DomainError(f"不支持的数据库地址 {scheme.group(1)}://…：complaintdesk 只用 SQLite 文件"
                          "（给出文件路径）或 PostgreSQL（postgresql://用户@主机:端口/数据库名）")
    return Path(value).expanduser()


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def ensure_personal_dir(located: Located) -> None:
    """Create the XDG data directory (0700) for a personal trial database."""
    if located.source.startswith("个人") and located.path is not None:
        located.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def group_members(group: str) -> set[str]:
    """Logins in ``group``: its listed members and those whose primary group it is."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return set()
    members = set(entry.gr_mem)
    members.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid)
    return members


def access_warning(mode: RunMode, database: Path | str, login: str) -> str | None:
    """Why a newly added staff member could not reach the desk yet, if so: not in
    the staff group (service mode: the launcher refuses her), or not in the
    database file's group (group-file mode: the file refuses her)."""
    if not isinstance(database, Path):  # a database server: its roles decide
        return None
    if mode.service:
        group = mode.settings.group
    else:
        try:
            info = database.stat()
        except OSError:
            return None
        if not info.st_mode & 0o060:
            return None  # a personal database: nobody else is meant to reach it
        try:
            group = grp.getgrgid(info.st_gid).gr_name
        except KeyError:
            return None
    if login in group_members(group):
        return None
    return (f"系统账号 {login} 不在 {group} 组中，还无法使用本系统："
            f"sudo usermod -aG {group} {login}（之后需重新登录）")


def refuse_path_in_service_mode(mode: RunMode, what: str) -> None:
    """In service mode no input or output path is accepted: stdin/stdout only."""
    if mode.service:
        raise ServiceModeRefusal(
            f"服务模式下不能指定{what}：请使用标准输入/输出，"
            "如 complaintdesk export > mine.csv、complaintdesk intake - < file.jsonl")


__all__ = [
    "DB_NAME", "Located", "access_warning", "RunMode", "SERVICE_DATA_DIR", "SERVICE_USER", "STAFF_GROUP",
    "SYSTEM_CONFIG", "ServiceModeRefusal", "ServiceSettings", "detect_mode",
    "ensure_personal_dir", "group_members", "locate_config", "locate_database",
    "reference_config_text", "refuse_path_in_service_mode", "service_settings",
    "xdg_config_file", "xdg_data_dir",
]


def located_config(environ: dict[str, str] | None = None) -> DeskConfig:
    """The configuration this run uses: the first of ``$COMPLAINTDESK_CONFIG``,
    /etc/complaintdesk/config.toml and the user's XDG config, else the built-in
    defaults (``locate_config``)."""
    path = locate_config(detect_mode(), environ).path
    return load_config(path) if path is not None else DeskConfig()
