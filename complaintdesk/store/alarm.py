"""Waiting in the kernel for a watcher's signal, and ending that wait from another
thread.

A watcher's follower thread blocks in ``select()`` on its signal's file
descriptor (PostgreSQL: the LISTEN connection's socket; SQLite: an inotify
descriptor on the database's directory) and on an ``Alarm``'s pipe. An idle
console then costs nothing until someone commits, however long its wait, and
``close()`` from the console's own thread rings the alarm, so the wait ends at
once rather than when its timeout runs out.
"""

from __future__ import annotations

import os
import select
import threading


class Alarm:
    """A pipe that ``ring()`` makes readable. ``close()`` is idempotent, and a ring
    after it does nothing (it never writes to a descriptor number reused since)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._open = True

    def ring(self) -> None:
        with self._lock:
            if self._open:
                try:
                    os.write(self._write, b"!")
                except OSError:  # full (rung already) or gone: it is readable or moot
                    pass

    def wait(self, fds: list[int], timeout: float) -> list[int]:
        """Which of ``fds`` became readable (or hung up) within ``timeout`` seconds:
        [] when the time ran out or the alarm rang (the alarm stays rung). poll(),
        not select(): a console's descriptors may number past select's 1,024."""
        if not self._open:
            return []
        poller = select.poll()
        for fd in (*fds, self._read):
            poller.register(fd, select.POLLIN)
        try:
            events = poller.poll(max(timeout, 0.0) * 1000)
        except OSError:  # interrupted: as if it came, the caller asks
            return list(fds)
        ready = {fd for fd, _mask in events}
        if self._read in ready:
            return []
        return [fd for fd in fds if fd in ready]

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._open = False
                os.close(self._read)
                os.close(self._write)
