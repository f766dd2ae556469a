"""``setup-box --database-url``: a shared box whose desk lives on a PostgreSQL
server instead of the data directory's SQLite file.

The URL goes into ``[database] url`` of /etc/complaintdesk/config.toml, which
every staff account can read, so it never holds the password: the password goes
into a libpq passfile in the service account's 0700 data directory (0600, owned
by that account), and the URL names it (``?passfile=…``). Staff reach the server
only through the launcher, as the service account; their own accounts cannot read
the passfile.
"""

from __future__ import annotations

import json
import os
import pwd
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from complaintdesk.domain.errors import DomainError
from complaintdesk.store import is_url

PASSFILE_NAME = "pgpass"


def _parts(url: str):  # type: ignore[no-untyped-def]
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise DomainError(f"数据库地址写得不对：{url}（应为 postgresql://角色@主机:端口/数据库名）") from None


def check_url(url: str) -> None:
    """Refuse a URL setup-box cannot write safely.

    Raises:
        DomainError: not a PostgreSQL URL; it holds a password (the configuration
            is readable by every staff account, and a command line by ``ps``); it
            names no role or no database.
    """
    if not is_url(url):
        raise DomainError(f"--database-url 应为 postgresql://角色@主机:端口/数据库名，而不是 {url}"
                          "（SQLite 文件无需此项）")
    if any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in url):
        raise DomainError("数据库地址里有控制字符或无法解码的字节：请重新输入")
    parts = _parts(url)
    if parts.password is not None or {"password", "sslpassword"} & set(parts.query):
        raise DomainError("数据库地址里不要写密码（配置文件人人可读，命令行 ps 可见）：去掉 :密码，"
                          "用 --password-stdin 从标准输入给出，setup-box 会把它存入服务账号的 pgpass 文件")
    if not parts.username or not parts.database:
        raise DomainError(f"数据库地址须写明角色和数据库名：postgresql://角色@主机:端口/数据库名（现为 {url}）")
    if "passfile" in parts.query:
        raise DomainError("数据库地址里不要写 passfile：setup-box 会写入服务账号数据目录中的 pgpass")


def without_passfile(url: str) -> tuple[str, str | None]:
    """``url`` without its ``passfile`` parameter (the rest of its text as it was),
    and the passfile it named, if any."""
    head, _, query = url.partition("?")
    kept, named = [], None
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        if key == "passfile":
            named = value
        else:
            kept.append(pair)
    return (f"{head}?{'&'.join(kept)}" if kept else head), named


def same_database(a: str, b: str) -> bool:
    """Whether two URLs (passfiles aside) name the same role on the same database."""
    def key(url: str) -> tuple:
        parts = _parts(without_passfile(url)[0])
        return (parts.username, parts.host, parts.port or 5432, parts.database,
                tuple(sorted((k, str(v)) for k, v in parts.query.items())))
    return key(a) == key(b)


def with_passfile(url: str, passfile: Path) -> str:
    """``url`` naming ``passfile`` for libpq."""
    return f"{url}{'&' if '?' in url else '?'}passfile={passfile}"


def _escaped(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def passfile_line(url: str, password: str) -> str:
    """The passfile's one line for ``url``'s server, database and role
    (``host:port:database:role:password``, ``:`` and ``\\`` escaped as libpq reads
    them). A socket directory given as ``?host=/dir`` is matched as that path; a
    URL with no host at all connects over the default socket, which libpq matches
    as ``localhost``."""
    parts = _parts(url)
    socket_dir = parts.query.get("host")
    host = parts.host or (socket_dir if isinstance(socket_dir, str) else None) or "localhost"
    fields = (host, str(parts.port or 5432), parts.database or "*", parts.username or "*", password)
    return ":".join(_escaped(f) for f in fields) + "\n"


def database_text(url: str) -> str:
    """The ``[database]`` table for the configuration."""
    return ("\n# The desk on a PostgreSQL server (written by complaintdesk setup-box); the\n"
            "# password is in the service account's passfile, never here.\n"
            f"[database]\nurl = {json.dumps(url, ensure_ascii=False)}\n")


def write_passfile(path: Path, line: str, user: str) -> None:
    """Write the passfile 0600, owned by ``user``, aside and renamed (never half a file)."""
    entry = pwd.getpwnam(user)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pgpass-")
    try:
        os.fchmod(fd, 0o600)
        os.fchown(fd, entry.pw_uid, entry.pw_gid)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(line)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def passfile_current(path: Path, line: str, user: str) -> bool:
    """Whether ``path`` already holds ``line``, 0600 and owned by ``user``."""
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return (text == line and info.st_mode & 0o077 == 0
            and info.st_uid == pwd.getpwnam(user).pw_uid)


def admin_present(url: str, admin: str) -> bool:
    """Whether the server's desk already has ``admin`` as an active admin (False when
    it cannot tell: the step then runs and says why it fails)."""
    import psycopg

    from complaintdesk.store.postgres.engine import CONNECT_TIMEOUT_S, libpq_dsn

    try:
        with psycopg.connect(libpq_dsn(url), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            row = conn.execute("SELECT role, active FROM staff WHERE login = %s", (admin,)).fetchone()
    except (psycopg.Error, ArgumentError, ValueError):
        return False
    return row is not None and row[0] == "admin" and bool(row[1])


__all__ = ["PASSFILE_NAME", "admin_present", "check_url", "database_text", "passfile_current",
           "passfile_line", "same_database", "with_passfile", "without_passfile", "write_passfile"]
