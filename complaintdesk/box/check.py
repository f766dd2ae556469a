"""The admin's tools: an online backup, a health check of the database and the
installation, and the check that staff cannot change the program they run.

None of these print: they return what they found, and the CLI words it.
"""

from __future__ import annotations

import importlib.util

import os
import pwd
import re
import sqlite3
import stat
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from complaintdesk.box import guard
from complaintdesk.store.sqlite.dbfile import damaged_btree_pages, readonly
from complaintdesk.box.locations import GUARD, LAUNCHER, SUDOERS, RunMode
from complaintdesk.store.sqlite.engine import BUSY_TIMEOUT_MS, Store

# ------------------------------------------------------------------ installation


def _package_dirs() -> list[Path]:
    import complaintdesk

    # The console package ships beside the core; found, not imported (the
    # installation check must not load the UI).
    spec = importlib.util.find_spec("screens")
    dirs = [Path(complaintdesk.__file__).resolve().parent]
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).resolve().parent)
    return dirs


def installation_roots() -> list[Path]:
    """What the running program reads (guard.py's survey: the environment, the
    interpreter and its standard library), our packages when they live outside
    the environment (an editable install), and what setup-box put in place."""
    roots = [Path(p) for p in guard.default_roots(sys.prefix, sys.executable)]
    roots += _package_dirs()
    roots += [p for p in (GUARD, LAUNCHER, SUDOERS) if p.exists()]
    return roots


def writable_installation(login: str, roots: list[Path] | None = None) -> list[Path]:
    """The installation's files or directories ``login`` could change (root may
    change anything: an empty list for root)."""
    try:
        uid = pwd.getpwnam(login).pw_uid
    except KeyError:
        return []
    who = guard.account(uid)
    if who is None:
        return []
    entries = guard.survey([str(p) for p in (roots or installation_roots())])
    return [Path(p) for p in guard.writable_by(entries, uid, who[1])]


# ------------------------------------------------------------------ backup


def backup(store: Store, target: Path,
           pages_copied: Callable[[int, int], None] | None = None) -> int:
    """Copy the database, consistently while others keep working, into ``target``
    (written aside and renamed, mode 0600). Returns its size in bytes.

    SQLite's online backup copies the pages of one read transaction: in WAL mode
    writers carry on meanwhile and the copy is the database as of its start.
    ``pages_copied(done, total)`` is told as it goes (a progress bar).
    """
    target = Path(target)
    partial = target.with_name(target.name + ".part")
    source = sqlite3.connect(store.path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.close(fd)
        copy = sqlite3.connect(partial)
        try:
            if pages_copied is None:
                source.backup(copy)
            else:
                source.backup(copy, pages=1024, progress=lambda _status, remaining, total:
                              pages_copied(total - remaining, total))
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target.stat().st_size


def backup_stream(store: Store, scratch_dir: Path,
                  pages_copied: Callable[[int, int], None] | None = None) -> Iterator[bytes]:
    """The backup's bytes, for stdout: made in ``scratch_dir`` and removed after."""
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".backup-") as tmp:
        path = Path(tmp) / "backup.db"
        backup(store, path, pages_copied)
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                yield chunk


# ------------------------------------------------------------------ check


@dataclass
class Finding:
    ok: bool
    what: str       # 检查项
    detail: str     # what was found, and what to do when not ok


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, ok: bool, what: str, detail: str) -> None:
        self.findings.append(Finding(ok, what, detail))


def _walked_damage(path: Path) -> list[int]:
    try:
        conn = readonly(path)
        try:
            roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master")]
        finally:
            conn.close()
        return damaged_btree_pages(path, roots)
    except (sqlite3.Error, OSError, struct.error):
        return []


def integrity_rows(conn: sqlite3.Connection, pragma: str = "integrity_check") -> list[str]:
    """SQLite's integrity-check lines. On badly damaged files SQLite gives some
    lines and then fails the statement ("malformed"): the lines so far are kept
    and the failure becomes the last line."""
    rows: list[str] = []
    cursor = conn.execute(f"PRAGMA {pragma}(100)")
    while True:
        try:
            row = cursor.fetchone()
        except sqlite3.DatabaseError as exc:
            rows.append(f"SQLite：{exc}")
            return rows
        if row is None:
            return rows
        rows.append(str(row[0]))


def damaged_pages(problems: list[str], path: Path | None = None) -> str:
    """``损坏页 12–15（4 页有问题）：`` from SQLite's integrity-check lines, which
    name the pages they found wrong, and from a walk of the file's B-trees
    (``path``) when SQLite stopped before naming any; empty when none is known."""
    pages = sorted({int(n) for line in problems
                    for n in re.findall(r"\bpage (\d+)", line, re.IGNORECASE)})
    if not pages and path is not None:
        pages = _walked_damage(path)
    if not pages:
        return ""
    span = f"{pages[0]}" if len(pages) == 1 else f"{pages[0]}–{pages[-1]}"
    return f"损坏页 {span}（{len(pages)} 页有问题）："


def _integrity(store: Store, report: CheckReport, quick: bool) -> None:
    conn = store.raw_connection()
    try:
        pragma = "quick_check" if quick else "integrity_check"
        rows = integrity_rows(conn, pragma)
        report.add(rows == ["ok"], "数据库完整性" + ("（快速）" if quick else ""),
                   "正常" if rows == ["ok"] else damaged_pages(rows, store.path) + "；".join(rows[:3]) +
                   "。请从最近的备份恢复（complaintdesk backup 生成的文件）")
        try:
            problems = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
        except sqlite3.DatabaseError as exc:
            report.add(False, "外键引用", f"无法检查（SQLite：{exc}）")
            return
        report.add(not problems, "外键引用",
                   "正常" if not problems else
                   f"发现断开的引用，如表 {problems[0][0]} 第 {problems[0][1]} 行")
    except sqlite3.DatabaseError as exc:
        report.add(False, "数据库完整性", f"SQLite 报告：{exc}。请从最近的备份恢复")
    finally:
        conn.close()


def admin_of_damaged_file(path: Path, login: str) -> bool:
    """Whether ``login`` is an active admin of a database the desk refused as
    damaged, read through a read-only connection; False when that cannot be read
    (then only root may look)."""
    try:
        conn = readonly(path)
        try:
            row = conn.execute("SELECT role, active FROM staff WHERE login = ?", (login,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == "admin" and bool(row[1])


def check_damaged_file(path: Path, why: str) -> CheckReport:
    """For a database the desk refused to open as damaged: what SQLite's integrity
    check finds, through a read-only connection (nothing is written)."""
    report = CheckReport()
    report.add(False, "打开数据库", why)
    try:
        conn = readonly(path)
        try:
            rows = integrity_rows(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        report.add(False, "数据库完整性", f"SQLite 无法检查此文件：{exc}。请从最近的备份恢复")
        return report
    report.add(rows == ["ok"], "数据库完整性", "正常" if rows == ["ok"] else
               damaged_pages(rows, path) + "；".join(rows[:3]) + "。请从最近的备份恢复")
    return report


def _audit_chain(store: Store, report: CheckReport) -> None:
    from complaintdesk.store.sqlite.audit_chain import verify_chain

    result = verify_chain(store)
    report.add(result.ok, "审计链",
               f"{result.checked} 条事件完整，链头 {result.head.text}" if result.ok
               else "；".join(result.problems[:3]))


def _mode_text(info: os.stat_result) -> str:
    return stat.filemode(info.st_mode)


def _owner(info: os.stat_result) -> str:
    try:
        return pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        return str(info.st_uid)


def _files(store: Store, mode: RunMode, report: CheckReport) -> None:
    db = store.path
    files = [db.parent, db] + [db.with_name(db.name + s) for s in ("-wal", "-shm")]
    if mode.service:
        owner = mode.settings.user
        for path in files:
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            private = not info.st_mode & 0o077
            report.add(_owner(info) == owner and private, f"文件权限 {path}",
                       f"{_owner(info)} {_mode_text(info)}" + (
                           "" if _owner(info) == owner and private else
                           f"：应为 {owner} 所有、他人不可访问（chown {owner} 并 chmod go-rwx）"))
        return
    try:
        info = db.stat()
    except OSError as exc:
        report.add(False, f"文件权限 {db}", str(exc))
        return
    shared = bool(info.st_mode & 0o060)
    report.add(True, f"文件权限 {db}", f"{_owner(info)} {_mode_text(info)}" + (
        "（共享组文件模式：组内每个成员都能修改任何数据；建议改用服务模式 setup-box）"
        if shared else "（仅本人）"))


def _installation(report: CheckReport, mode: RunMode) -> None:
    """Whether any account with a login (uid ≥ 1000) or the service account could
    change what runs; the guard refuses those at start, this names them all."""
    risky: list[tuple[str, str]] = []
    staff = [p.pw_uid for p in pwd.getpwall() if p.pw_uid >= 1000 and p.pw_name != "nobody"]
    if mode.service:
        staff.append(pwd.getpwnam(mode.settings.user).pw_uid)
    entries = guard.survey([str(p) for p in installation_roots()])
    for uid in staff:
        who = guard.account(uid)
        found = guard.writable_by(entries, uid, who[1]) if who else []
        if found:
            risky.append((who[0] if who else str(uid), found[0] + (f" 等 {len(found)} 处" if len(found) > 1 else "")))
    report.add(not risky, "程序安装权限",
               "只有 root 能修改" if not risky else
               "；".join(f"{login} 可修改 {path}" for login, path in risky[:3]) +
               "。请 chown -R root: 并 chmod -R go-w 安装目录")


def check(store: Store, mode: RunMode, *, quick: bool = False) -> CheckReport:
    """Integrity, foreign keys, the audit chain, file and installation permissions."""
    report = CheckReport()
    _integrity(store, report, quick)
    _audit_chain(store, report)
    _files(store, mode, report)
    _installation(report, mode)
    return report


def scratch_dir_for(store: Store, mode: RunMode) -> Path:
    """Where a backup for stdout is made: the service data directory, else the
    system's temporary directory."""
    if mode.service:
        return mode.settings.data_dir
    return Path(tempfile.gettempdir())


__all__ = ["CheckReport", "Finding", "backup", "backup_stream", "check",
           "installation_roots", "scratch_dir_for",
           "writable_installation"]
