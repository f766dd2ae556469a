"""Is this file ours? Decided before anything is written to it.

Opening a database for use writes to it (WAL mode, the schema, pragmas,
migrations); a file that is not a complaintdesk database of a version this
release can open must stay byte-for-byte as it was. So the path is judged here
first, by reading only: the file's type, its SQLite header, its size against the
header's page count, the ``-wal`` file's header, and — through a read-only
connection — the schema version and tables. Only a file that passes (or a path
with nothing at it, to be created) is handed to the store.

The same reading is the cheap check at every start: it does not grow with the
database (the header, the ``-wal`` header, the schema, the last page of the
complaint and audit tables). It does not read the pages in between:
``complaintdesk check`` does (``PRAGMA integrity_check``).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from complaintdesk.domain.errors import StoreError

MAGIC = b"SQLite format 3\x00"
WAL_MAGIC = (0x377F0682, 0x377F0683)
#: Tables every complaintdesk database has, from schema version 1 on.
OUR_TABLES = {"complaint", "customer", "staff", "audit_event"}

ADVICE = ("请管理员运行 complaintdesk check 查看损坏范围，并用 complaintdesk backup "
          "生成的最近备份恢复（先停止所有控制台）")


class DamagedDatabase(StoreError):
    """SQLite reports the file damaged: nothing more is written to it."""


@dataclass(frozen=True)
class Verdict:
    """What the path holds: ``new`` (nothing there: create it) or an existing
    complaintdesk database of ``version`` (≤ this release's)."""

    new: bool
    version: int = 0


def _header(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return os.read(fd, 100)
    finally:
        os.close(fd)


def _wal_problem(path: Path, page_size: int) -> str | None:
    """Why the ``-wal`` beside the database cannot be used, or None (none there,
    empty, or a valid header)."""
    wal = path.with_name(path.name + "-wal")
    try:
        info = wal.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"{wal} 不是普通文件"
    if info.st_size == 0:
        return None
    with open(wal, "rb") as stream:
        head = stream.read(32)
    if len(head) < 32:
        return f"日志文件 {wal} 不完整（{info.st_size} 字节）"
    magic, _version, wal_page_size = struct.unpack(">III", head[:12])
    if magic not in WAL_MAGIC:
        return f"日志文件 {wal} 不是 SQLite 的 WAL 文件（文件头不对）"
    if wal_page_size != page_size:
        return f"日志文件 {wal} 的页大小 {wal_page_size} 与数据库的 {page_size} 不符"
    if _wal_checksum(head[:24], big_endian=magic & 1 == 1) != struct.unpack(">II", head[24:32]):
        return f"日志文件 {wal} 的文件头校验和不对（文件已损坏）"
    return None


def _wal_checksum(data: bytes, *, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum over ``data`` (a multiple of 8 bytes)."""
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    s0 = s1 = 0
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def inspect(path: Path, newest: int) -> Verdict:
    """Judge ``path`` without writing to it.

    Raises:
        StoreError: a directory, FIFO or device; an empty file; not SQLite;
            truncated; another application's database; a newer schema; a
            ``-wal`` SQLite cannot use; a damaged schema.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return Verdict(new=True)
    except OSError as exc:
        raise StoreError(f"无法访问数据库路径 {path}：{exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"数据库路径是一个目录，不是文件：{path}")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"数据库路径不是普通文件（是管道、设备或套接字）：{path}")
    if not info.st_mode & 0o222:
        # Made read-only on purpose (root could write anyway): honour it.
        raise StoreError(f"数据库文件 {path} 是只读的（{stat.filemode(info.st_mode)}）：未作任何改动。"
                         "complaintdesk 打开数据库时需要写入；如确需使用，请管理员恢复写权限")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.stat().st_mode & 0o222:
        raise StoreError(f"数据库所在目录 {parent} 是只读的：未作任何改动。WAL 模式需要在此目录"
                         "创建 -wal/-shm 文件；请管理员恢复目录的写权限")
    if info.st_size == 0:
        raise StoreError(f"{path} 是一个空文件（0 字节），不是 complaintdesk 数据库：未作任何改动。"
                         "如要在此新建数据库，请先删除这个空文件")
    try:
        head = _header(path)
    except OSError as exc:
        raise StoreError(f"无法读取数据库文件 {path}：{exc.strerror}") from None
    if not head.startswith(MAGIC):
        raise StoreError(f"{path} 不是 SQLite 数据库文件：未作任何改动")
    if len(head) < 100:
        raise DamagedDatabase(f"{path} 不完整（只有 {info.st_size} 字节，被截断）：{ADVICE}")
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", head[28:32])[0]
    valid_for, changes = struct.unpack(">I", head[92:96])[0], struct.unpack(">I", head[24:28])[0]
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedDatabase(f"{path} 的文件头已损坏（页大小 {page_size}）：{ADVICE}")
    if info.st_size % page_size or (valid_for == changes and pages and
                                    info.st_size < pages * page_size):
        raise DamagedDatabase(f"{path} 不完整（{info.st_size} 字节，文件头记录 {pages} 页 × {page_size} "
                         f"字节），文件可能被截断：{ADVICE}")
    problem = _wal_problem(path, page_size)
    if problem is not None:
        raise DamagedDatabase(f"{problem}：未作任何改动。{ADVICE}；或确认没有控制台在运行后把它移走")
    return Verdict(new=False, version=_schema(path, newest))


def readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` that writes nothing beside it either.
    Without a -wal the file alone is the database: it is read as immutable, so
    SQLite does not even create an empty -wal and -shm for a file that may be
    refused (with a -wal, SQLite may create a missing -shm)."""
    wal = path.with_name(path.name + "-wal")
    uri = f"file:{path}?mode=ro" + ("" if wal.exists() else "&immutable=1")
    return sqlite3.connect(uri, uri=True, timeout=10)


def _schema(path: Path, newest: int) -> int:
    """The schema version, read through a read-only connection."""
    try:
        conn = readonly(path)
    except sqlite3.Error as exc:
        raise StoreError(f"无法以只读方式打开 {path}：{exc}") from None
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > newest:
            raise StoreError(f"数据库 {path} 来自更新的 complaintdesk 版本（结构版本 {version}，"
                             f"本程序支持到 {newest}）：请升级 complaintdesk 后再打开。未作任何改动")
        if version == 0 and not tables:
            return 0  # an SQLite file with nothing in it: a first start cut short
        if version == 0 or not OUR_TABLES <= tables:
            what = "其中已有其他表" if tables else "其中没有任何表"
            raise StoreError(f"{path} 不是 complaintdesk 数据库（{what}）：未作任何改动")
        # The last pages of the two tables that grow: a damaged end is found at start.
        conn.execute("SELECT max(id) FROM complaint").fetchone()
        conn.execute("SELECT * FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
        return version
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise StoreError(f"数据库 {path} 正忙，请稍后重试") from None
        raise DamagedDatabase(f"数据库 {path} 已损坏（SQLite：{exc}）：{ADVICE}") from None
    finally:
        conn.close()


def is_corruption(exc: BaseException) -> bool:
    """Whether an error from SQLite says the file is damaged."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    text = str(exc)
    return "malformed" in text or "not a database" in text


__all__ = ["ADVICE", "DamagedDatabase", "Verdict", "inspect", "is_corruption", "readonly"]


def damaged_btree_pages(path: Path, roots: list[int]) -> list[int]:
    """Pages of the B-trees rooted at ``roots`` that are not B-tree pages any
    more (garbage written over them, a page of another file), found by walking
    the trees in the file itself: SQLite's own integrity check stops at the first
    such page without saying which through Python's driver. Reads only."""
    bad: set[int] = set()
    with open(path, "rb") as stream:
        head = stream.read(100)
        page_size = struct.unpack(">H", head[16:18])[0]
        page_size = 65536 if page_size == 1 else page_size
        count = os.fstat(stream.fileno()).st_size // page_size
        seen: set[int] = set()
        pending = [r for r in roots if r]
        while pending:
            page = pending.pop()
            if page in seen:
                continue
            seen.add(page)
            if not 1 <= page <= count:
                bad.add(page)
                continue
            stream.seek((page - 1) * page_size)
            data = stream.read(page_size)
            offset = 100 if page == 1 else 0
            kind = data[offset]
            if kind in (0x0A, 0x0D):  # leaf pages
                continue
            if kind not in (0x02, 0x05):
                bad.add(page)
                continue
            cells = struct.unpack(">H", data[offset + 3:offset + 5])[0]
            pending.append(struct.unpack(">I", data[offset + 8:offset + 12])[0])
            for i in range(cells):
                at = offset + 12 + 2 * i
                pointer = struct.unpack(">H", data[at:at + 2])[0]
                if pointer + 4 > page_size:
                    bad.add(page)
                    break
                pending.append(struct.unpack(">I", data[pointer:pointer + 4])[0])
    return sorted(bad)
