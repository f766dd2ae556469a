"""Textual's Linux terminal driver, its input thread asleep while nothing is typed.

Textual's input thread (``LinuxDriver.run_input_thread``, textual 8.2.8) waits
for the terminal in ``select()`` with a timeout of 0.1 s, to see whether it
should stop: ten wake-ups a second, 1.8 ms of CPU a second for every console
doing nothing. Two hundred consoles in tmux on one box were a third of a core at
rest, where the rest of the console (its follower waits in the kernel for a
commit) costs about 0.05 ms a second.

``QuietLinuxDriver`` waits in ``poll()`` on the terminal and on a pipe that its
``exit_event`` rings when set, with no timeout, except while the parser holds a
lone Esc: then only until the parser's own deadline, when ``tick()`` delivers
the Esc as Textual's thread would. Everything else (reading, parsing, the final
flush) is Textual's, copied from that method.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


_UNKNOWN = object()


class _RingingEvent(threading.Event):
    """An Event whose ``set()`` also makes a pipe readable (wakes a poll())."""

    def __init__(self, ring: Any) -> None:
        super().__init__()
        self._ring = ring

    def set(self) -> None:
        super().set()
        self._ring()


class QuietLinuxDriver(LinuxDriver):
    """A ``LinuxDriver`` whose input thread sleeps until a key, a stop, or the
    deadline of a lone Esc (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self.exit_event = _RingingEvent(self._ring)

    def _ring(self) -> None:
        if self._wake_write < 0:
            return  # closed
        try:
            os.write(self._wake_write, b"!")
        except OSError:  # full: it is readable already
            pass

    def _drain(self) -> None:
        try:
            while os.read(self._wake_read, 4096):
                pass
        except OSError:  # BlockingIOError: empty
            pass

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's method, its wait changed)."""
        self._drain()  # rings of an earlier thread (the input is enabled again)
        selector = selectors.PollSelector()  # not select(): descriptors past 1,024
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def timeout() -> float | None:
            """None (for ever) unless the parser waits to tell a lone Esc (a
            Textual that no longer says: Textual's own 0.1 s)."""
            due = getattr(parser, "_timeout_time", _UNKNOWN)
            if due is _UNKNOWN:
                return 0.1
            return None if due is None else max(0.0, due - get_time())

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            keys = [key for key, mask in ready
                    if key.fd == fileno and mask & selectors.EVENT_READ]
            for index, _key in enumerate(keys):
                data = decode(os.read(fileno, 1024 * 4), final=final and index == len(keys) - 1)
                if not data:
                    break  # stdin piped and ended
                for event in parser.feed(data):
                    self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(timeout()))
            selector.unregister(self.fileno)
            process([], final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def close(self) -> None:
        super().close()
        if self._wake_read >= 0:
            os.close(self._wake_read)
            os.close(self._wake_write)
            self._wake_read = self._wake_write = -1
