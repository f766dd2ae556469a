"""Being told that a database file was written, by the kernel (Linux inotify).

In WAL mode every commit appends to the ``-wal`` file next to the database, so a
watch on the database's directory, filtered to that file (and to the database
itself, replaced by a restore), fires at each commit by any process on the box.
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
WATCHED = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF

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
    """An inotify descriptor that becomes readable when ``path`` or its WAL is
    written (or created, or moved into place)."""

    def __init__(self, fd: int, names: set[str]) -> None:
        self._fd: int | None = fd
        self._names = {os.fsencode(name) for base in names for name in (base, f"{base}-wal")}
        self.lost = False  # the directory went away or moved: the watch is dead

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
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size:at + _EVENT.size + length].rstrip(b"\0")
                at += _EVENT.size + length
                if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
                    self.lost = written = True
                elif mask & IN_Q_OVERFLOW or name in self._names:
                    written = True
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
    if libc.inotify_add_watch(fd, os.fsencode(real.parent), WATCHED) < 0:
        os.close(fd)  # no read permission on the directory, or the watch limit
        return None
    return CommitSignal(fd, {real.name, path.name})
