"""The console's terminal driver (screens/terminal_driver.py), in a real pseudo
terminal: its input thread sleeps while nothing is typed (Textual's wakes ten
times a second), and still delivers keys, a lone Esc included (the parser's
timeout, which Textual's 0.1 s wake-ups used to serve)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
from textual.app import App
from textual.binding import Binding
from textual.widgets import Static
from screens.terminal_driver import QuietLinuxDriver

class Probe(App):
    BINDINGS = [Binding("escape", "leave(7)"), Binding("x", "leave(5)")]

    def compose(self):
        yield Static("ready")

    def action_leave(self, code: int) -> None:
        self.exit(return_code=code)

app = Probe(driver_class=QuietLinuxDriver)
app.run()
raise SystemExit(app.return_code)
"""


def _start() -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=slave, stdout=slave,
                            stderr=slave, cwd=ROOT, close_fds=True,
                            env={**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)})
    os.close(slave)
    return proc, master


def _read_until(master: int, text: bytes, seconds: float = 30) -> None:
    seen = b""
    deadline = time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    assert text in seen, seen[-500:]


def _drain(master: int, proc: subprocess.Popen) -> int:  # type: ignore[type-arg]
    """Read what the app writes until it exits; its exit code."""
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                break
    return proc.wait(10)


def _switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                total += int(line.split()[1])
    return total


def test_an_idle_console_sleeps_and_a_lone_esc_still_arrives() -> None:
    proc, master = _start()
    try:
        _read_until(master, b"ready")
        time.sleep(1.0)  # the first paint's work done
        before = _switches(proc.pid)
        time.sleep(2.0)
        woke = _switches(proc.pid) - before
        # Textual's input thread alone wakes 20 times in 2 s.
        assert woke < 8, f"{woke} wake-ups in 2 s of nothing"
        os.write(master, b"\x1b")  # a lone Esc: told after the parser's timeout
        assert _drain(master, proc) == 7
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_a_key_reaches_the_app() -> None:
    proc, master = _start()
    try:
        _read_until(master, b"ready")
        os.write(master, b"x")
        assert _drain(master, proc) == 5
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
