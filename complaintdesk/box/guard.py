"""The gate between sudo and the program: in service mode staff run complaintdesk
as the service account, so if one of them could change any file the interpreter
reads — our modules, a dependency, a ``.pth`` file in site-packages, the entry
script, the standard library, or a directory above them — she could make the
service account run her code and change the data at will.

The check must run before Python reads any of those files: ``site`` executes
``.pth`` files at interpreter start, long before complaintdesk's own code could
look. So ``setup-box`` writes this module, with the installation's paths filled
in, as a root-owned script run by ``python -I -S`` (no site, no environment, no
user directories: only the standard library). sudo runs that script; it surveys
the installation's rights against the invoking account (``SUDO_UID``) and only
then ``exec``s the real program. ``complaintdesk check`` uses the same survey for
every account on the box.

Standard library only, and no imports from the package: this file also runs on
its own, outside the package.
"""

from __future__ import annotations

import os
import pwd
import stat
import sys
from typing import NamedTuple


class Entry(NamedTuple):
    path: str
    uid: int
    gid: int
    mode: int
    above: bool  # a directory above the installation, not part of it
    acl: bool = False  # a directory with an extended POSIX ACL (may grant anyone write)


def default_roots(prefix: str, interpreter: str) -> list[str]:
    """What the program's interpreter reads: the environment (``prefix``, whole),
    the real interpreter binary, and the standard library of that interpreter
    (the running one's: the guard runs on the same base Python as the program)
    without the base's site-packages, which a venv does not read — unless it
    was made with ``include-system-site-packages``."""
    roots = [prefix, os.path.realpath(interpreter), os.path.dirname(os.__file__)]
    cfg = os.path.join(prefix, "pyvenv.cfg")
    try:
        with open(cfg, encoding="utf-8") as stream:
            text = stream.read()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "include-system-site-packages" and value.strip().lower() == "true":
            import site

            roots.extend(site.getsitepackages([sys.base_prefix]))
    return roots


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


#: Directories of the base Python that a virtual environment does not read.
BASE_SITE_DIRS = ("site-packages", "dist-packages")


def survey(roots: list[str]) -> list[Entry]:
    """Every file and directory under ``roots`` (symbolic links not followed but
    their targets outside the roots surveyed too), and every directory above
    them, with owner and mode: read once, judged per account by ``writable``.
    A standard library's own site-packages is left out unless it is a root."""
    # Popped from the end: outer directories first, so inner roots are skipped.
    pending = sorted({os.path.abspath(r) for r in roots}, key=len, reverse=True)
    skip = {os.path.join(os.path.dirname(os.__file__), name) for name in BASE_SITE_DIRS}
    skip -= set(pending)
    walked: list[str] = []
    seen: set[str] = set()
    entries: list[Entry] = []

    def add(path: str, info: os.stat_result, above: bool = False) -> None:
        if path not in seen:
            seen.add(path)
            entries.append(Entry(path, info.st_uid, info.st_gid, info.st_mode, above))

    while pending:
        root = pending.pop()
        if _inside(root, walked):
            continue
        walked.append(root)
        try:
            info = os.lstat(root)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            pending.append(os.path.realpath(root))
            continue
        add(root, info)
        if not stat.S_ISDIR(info.st_mode):
            continue
        stack = [root]
        append, is_dir = entries.append, stat.S_ISDIR
        while stack:
            try:
                scanner = os.scandir(stack.pop())
            except OSError:
                continue
            with scanner:
                for item in scanner:
                    path = item.path
                    if item.is_symlink():
                        # A link cannot be changed, only replaced through its
                        # directory; what it points at is read, so that counts.
                        target = os.path.realpath(path)
                        if not _inside(target, walked + pending):
                            pending.append(target)
                        continue
                    if path in skip:
                        continue
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    mode = info.st_mode
                    if is_dir(mode):
                        append(Entry(path, info.st_uid, info.st_gid, mode, False, _acl(path)))
                        stack.append(path)
                    else:
                        append(Entry(path, info.st_uid, info.st_gid, mode, False))
    for root in walked:
        parent = os.path.dirname(root)
        while True:
            if not _inside(parent, walked):  # else it is in the survey already
                try:
                    add(parent, os.stat(parent), above=True)
                except OSError:
                    pass
            if parent == os.path.dirname(parent):
                break
            parent = os.path.dirname(parent)
    return entries


def _acl(path: str) -> bool:
    """Whether a directory carries an extended POSIX ACL. Its entries are not
    judged (they may name any account): the installation must have none. Only
    directories are asked (one call each, a few ms in all): on files it would
    double the survey's time."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return False
    return any(name in ("system.posix_acl_access", "system.posix_acl_default") for name in names)


def writable(entry: Entry, uid: int, gids: set[int]) -> bool:
    """Whether an account (``uid``, in groups ``gids``) could change the entry or,
    for a directory, what is in it. Its owner always can (chmod); a directory
    with an extended ACL counts as writable by every account."""
    if entry.uid == uid or entry.acl:
        return True
    if entry.gid in gids and entry.mode & stat.S_IWGRP:
        return True
    if entry.mode & stat.S_IWOTH:
        # A sticky world-writable directory above the installation (/tmp) lets
        # nobody replace what another account owns in it; inside the installation
        # even a sticky one lets anyone add a file (a .pth, a module) to it.
        return not (entry.above and stat.S_ISDIR(entry.mode) and entry.mode & stat.S_ISVTX)
    return False


def account(uid: int) -> tuple[str, set[int]] | None:
    """The login and groups of ``uid``; None when it has no passwd entry."""
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return None
    return entry.pw_name, set(os.getgrouplist(entry.pw_name, entry.pw_gid))


def writable_by(entries: list[Entry], uid: int, gids: set[int]) -> list[str]:
    """The paths among ``entries`` the account could change (none for root)."""
    if uid == 0:
        return []
    return [e.path for e in entries if writable(e, uid, gids)]


def refusal(login: str, paths: list[str], program: str) -> str:
    more = f"等 {len(paths)} 处" if len(paths) > 1 else ""
    return (f"complaintdesk: 拒绝运行：本程序的安装可被 {login} 修改（{paths[0]}{more}）。"
            f"请管理员把安装目录改为 root 所有、他人不可写（chown -R root: 并 chmod -R go-w），"
            f"用 sudo {program} check 查看全部")


def main(prefix: str, program: str, argv: list[str]) -> None:
    """Survey the installation against the account that invoked sudo; refuse
    (exit 1, a line on stderr and in the system log) or become the program."""
    raw = os.environ.get("SUDO_UID", "")
    uid = int(raw) if raw.isdigit() else os.getuid()
    who = account(uid)
    if who is None:
        print(f"complaintdesk: 拒绝运行：调用者 uid {uid} 没有账号", file=sys.stderr)
        sys.exit(1)
    login, gids = who
    python = os.path.join(prefix, "bin", "python")
    # This script itself too: if it could be replaced, the check means nothing.
    roots = default_roots(prefix, python) + [os.path.abspath(__file__)]
    found = writable_by(survey(roots), uid, gids)
    if found:
        message = refusal(login, found, program)
        print(message, file=sys.stderr)
        try:
            import syslog

            syslog.openlog("complaintdesk", syslog.LOG_PID, syslog.LOG_AUTH)
            syslog.syslog(syslog.LOG_WARNING, f"refused user={login}: installation writable "
                                              f"({len(found)} paths, first {found[0]})")
        except OSError:
            pass
        sys.exit(1)
    os.execv(python, [python, "-I", program, *argv])


def script_text(prefix: str, program: str, interpreter: str) -> str:
    """This module as the root-owned script ``setup-box`` installs."""
    with open(__file__, encoding="utf-8") as stream:
        source = stream.read()
    return (f"#!{interpreter} -IS\n"
            f"# complaintdesk guard (written by complaintdesk setup-box from\n"
            f"# complaintdesk/guard.py): sudo runs this, it runs {program}.\n"
            f"{source}\n\n"
            f"if __name__ == \"__main__\":\n"
            f"    main({prefix!r}, {program!r}, sys.argv[1:])\n")
