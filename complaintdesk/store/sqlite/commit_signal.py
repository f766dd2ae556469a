"""Being told that a database file was written, by the kernel (Linux inotify).

In WAL mode every commit appends to the ``-wal`` file next to the database, so a
watch on that file fires at each commit by any process on the box; a watch on
its directory says when the WAL is created anew, or the database replaced by a
restore.
A console's watcher waits on it instead of asking ``PRAGMA data_version`` every
second: 200 idle consoles asking once a second were 5 % of a core, all of it
this polling.

What a write means is still ``data_version``'s to say: a checkpoint writes too,
and a commit is visible only after its last write, so a signal is a reason to
look, not a change. Where inotify is missing (not Linux) or refused (no read
permission on the directory), ``open_signal`` returns None and the watcher polls.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
from pathlib import Path

IN_MODIFY = 0x00000002
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
DIRECTORY_EVENTS = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF

_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6", use_errno=True)
        libc.inotify_init1, libc.inotify_add_watch  # noqa: B018 - present?
    except (OSError, AttributeError):
        return None
    return libc


class CommitSignal:
    """An inotify descriptor that becomes readable when the database's WAL is
    written, or the WAL or the database is created or moved into place.

    The WAL itself is watched for writes, its directory only for files created or
    moved in: a directory watched for writes would wake every console at each
    write of any file beside the database (a log, a backup, /tmp)."""

    def __init__(self, libc: ctypes.CDLL, fd: int, real: Path, names: set[str]) -> None:
        self._libc = libc
        self._fd: int | None = fd
        self._names = {os.fsencode(name) for base in names for name in (base, f"{base}-wal")}
        self._wal_names = {os.fsencode(f"{base}-wal") for base in names}
        self._wal = real.parent / f"{real.name}-wal"
        self._dir_wd = -1
        self._wal_wd: int | None = None
        self.lost = False  # the directory went away or moved: the watch is dead

    def watch(self) -> bool:
        assert self._fd is not None
        self._dir_wd = self._libc.inotify_add_watch(
            self._fd, os.fsencode(self._wal.parent), DIRECTORY_EVENTS)
        if self._dir_wd < 0:
            return False  # no read permission on the directory, or the watch limit
        self._watch_wal()
        return True

    def _watch_wal(self) -> None:
        """Watch the WAL's writes; not there yet, the directory says when it is."""
        assert self._fd is not None
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(self._wal), IN_MODIFY)
        self._wal_wd = wd if wd >= 0 else None

    def fileno(self) -> int:
        assert self._fd is not None
        return self._fd

    def drain(self) -> bool:
        """Read every event queued; whether any concerns the database (an overflowed
        queue may have lost one: it counts as one)."""
        written = False
        while self._fd is not None:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                self.lost = written = True
                break
            if not data:
                break
            at = 0
            while at + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size:at + _EVENT.size + length].rstrip(b"\0")
                at += _EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    written = True
                elif wd == self._dir_wd:
                    if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
                        self.lost = written = True
                    elif name in self._names:
                        written = True
                        if name in self._wal_names:  # a new WAL: watch its writes
                            self._watch_wal()
                elif wd == self._wal_wd:
                    if mask & IN_MODIFY:
                        written = True
                    if mask & IN_IGNORED:  # deleted: watched again when created
                        self._wal_wd = None
        return written

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def open_signal(path: Path) -> CommitSignal | None:
    """A signal for the database at ``path``; None where the kernel cannot give one."""
    libc = _libc()
    if libc is None:
        return None
    fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None  # not Linux, or the per-user limit of inotify instances reached
    real = path.resolve()  # SQLite writes the WAL beside the file a symlink names
    signal = CommitSignal(libc, fd, real, {real.name, path.name})
    if not signal.watch():
        signal.close()
        return None
    return signal
