"""Helpers of the real-SSH suite: processes, commands over ssh, consoles in tmux.

Nothing here imports complaintdesk: the suite tests the copy installed in its own
venv, the way staff reach it (ssh → launcher → sudo → the service account).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

VENV = Path("/opt/complaintdesk-ssh-test")
INSTALLED = VENV / "bin" / "complaintdesk"
LAUNCHER = Path("/usr/local/bin/complaintdesk")
GUARD = Path("/usr/local/lib/complaintdesk/guard")
SYSTEM_CONFIG_DIR = Path("/etc/complaintdesk")
DATA_DIR = Path("/var/lib/complaintdesk")
DB = DATA_DIR / "complaintdesk.db"
SUDOERS = Path("/etc/sudoers.d/complaintdesk")
INOTIFY_SYSCTL = Path("/etc/sysctl.d/60-complaintdesk.conf")
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
SERVICE_USER = "complaintdesk"
STAFF_GROUP = "complaintdesk-staff"

#: The queue's first screen text once its first page is read (screens/queue.py).
QUEUE_READY = re.compile(r"(待处理投诉|全部投诉)\S*\s*[\d,]+\s*件")
NUMBER = re.compile(r"TS-\d{8}-\d{4}")
PANE_DIR = Path("/tmp/complaintdesk-ssh-panes")


# ------------------------------------------------------------------ commands

@dataclass
class Result:
    """One finished command: exit status, stdout (bytes) and stderr (text)."""

    argv: list[str]
    rc: int
    out: bytes
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", errors="replace")

    def describe(self) -> str:
        out = self.text
        if len(out) > 2000:
            out = out[:2000] + f"… ({len(self.out)} bytes)"
        return (f"$ {shlex.join(self.argv)}\n→ exit {self.rc} after {self.seconds:.2f} s\n"
                f"stdout: {out!r}\nstderr: {self.err!r}")


def run(argv: list[str], *, input: bytes | str | None = None, timeout: float = 120,
        check: bool = False, env: dict[str, str] | None = None, cwd: str = "/",
        stdin=None) -> Result:
    """Run a local command; never raises on a non-zero exit unless ``check``."""
    if isinstance(input, str):
        input = input.encode()
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                              env=env, cwd=cwd,
                              stdin=stdin if input is None else None)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"timed out after {timeout} s: {shlex.join(argv)}\n"
                             f"stdout so far: {exc.stdout!r}\nstderr so far: {exc.stderr!r}") from None
    result = Result(list(argv), proc.returncode, proc.stdout,
                    proc.stderr.decode("utf-8", errors="replace"), time.monotonic() - started)
    if check and result.rc != 0:
        raise AssertionError("command failed:\n" + result.describe())
    return result


def refused(result: Result, *, status: int = 1) -> None:
    """A refusal as the README promises it: exit ``status``, one ``complaintdesk: …``
    line on stderr, no traceback, nothing on stdout."""
    assert result.rc == status, "expected a refusal\n" + result.describe()
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert "Traceback" not in result.err, "a traceback instead of a message\n" + result.describe()
    assert len(lines) == 1 and lines[0].startswith("complaintdesk: "), \
        "expected one 'complaintdesk: …' line on stderr\n" + result.describe()
    assert result.out == b"", "a refusal printed data\n" + result.describe()


# ------------------------------------------------------------------ processes

@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    uid: int
    euid: int
    state: str
    ticks: int  # utime + stime
    cmdline: str


def processes() -> dict[int, Proc]:
    """Every process on the box, from /proc."""
    found: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "0 0").split()
        rest = stat[stat.rindex(")") + 2:].split()
        found[pid] = Proc(
            pid=pid, ppid=int(fields.get("PPid", "0").strip()), uid=int(uids[0]),
            euid=int(uids[1]), state=rest[0], ticks=int(rest[11]) + int(rest[12]),
            cmdline=cmdline.replace(b"\0", b" ").decode("utf-8", errors="replace").strip(),
        )
    return found


def descendants(roots: Iterable[int], table: dict[int, Proc] | None = None) -> set[int]:
    """The roots and every process under them."""
    table = processes() if table is None else table
    children: dict[int, list[int]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    seen: set[int] = set()
    todo = [pid for pid in roots if pid in table]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
    return seen


def living(pids: Iterable[int]) -> dict[int, Proc]:
    """Those of ``pids`` still running (zombies count as gone)."""
    table = processes()
    return {pid: table[pid] for pid in pids if pid in table and table[pid].state != "Z"}


def of_users(uids: Iterable[int]) -> dict[int, Proc]:
    """Living processes whose real or effective uid is one of ``uids``."""
    wanted = set(uids)
    return {p.pid: p for p in processes().values()
            if (p.uid in wanted or p.euid in wanted) and p.state != "Z"}


def cpu_seconds(pids: Iterable[int], over: float = 2.0) -> dict[int, float]:
    """CPU seconds each process used during ``over`` seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    before = {pid: p.ticks for pid, p in living(pids).items()}
    time.sleep(over)
    after = living(before)
    return {pid: (after[pid].ticks - ticks) / tick for pid, ticks in before.items() if pid in after}


def kill_pids(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL what is left: only the pids given (the suite's own)."""
    pids = set(pids)
    for sig in (15, 9):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and living(pids):
            time.sleep(0.1)
        if not living(pids):
            return


def wait_until(predicate, timeout: float, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something truthy; that value, or None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# ------------------------------------------------------------------ ssh

@dataclass
class Account:
    login: str
    uid: int
    key: Path
    name: str | None = None          # staff name in complaintdesk, None = not staff
    role: str | None = None
    dept: str | None = None
    in_group: bool = True


@dataclass
class Ssh:
    """ssh to 127.0.0.1 as one of the suite's accounts, with its own key."""

    port: int
    known_hosts: Path
    accounts: dict[str, Account] = field(default_factory=dict)

    def argv(self, login: str, *, tty: bool = False, extra: Iterable[str] = ()) -> list[str]:
        account = self.accounts[login]
        return [
            "ssh", "-F", "/dev/null", "-p", str(self.port), "-i", str(account.key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=15",
            "-o", "SetEnv=LANG=C.UTF-8",
            "-t" if tty else "-T", *extra, f"{login}@127.0.0.1",
        ]

    def shell(self, login: str, command: str, *, input: bytes | str | None = None,
              timeout: float = 120, stdin=subprocess.DEVNULL) -> Result:
        """Run ``command`` with the account's login shell on the box (no terminal)."""
        return run(self.argv(login) + ["--", command], input=input, timeout=timeout, stdin=stdin)

    def cd(self, login: str, *args: str, env: dict[str, str] | None = None,
           input: bytes | str | None = None, timeout: float = 120,
           program: str = "complaintdesk") -> Result:
        """``complaintdesk ARGS`` typed by ``login`` at a shell prompt (the launcher)."""
        prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in (env or {}).items())
        return self.shell(login, prefix + shlex.join([program, *args]), input=input,
                          timeout=timeout)


# ------------------------------------------------------------------ tmux

class PaneTimeout(AssertionError):
    pass


@dataclass
class Tmux:
    """A tmux server of the suite's own (its own socket, no config)."""

    socket: Path
    env: dict[str, str]

    def __call__(self, *args: str, check: bool = True) -> Result:
        return run(["tmux", "-S", str(self.socket), "-f", "/dev/null", *args], env=self.env,
                   check=check, timeout=30)

    def start(self) -> None:
        # A session that keeps the server up, and dead panes kept for reading.
        self("new-session", "-d", "-s", "keeper", "-x", "80", "-y", "24", "-c", "/",
             "tail -f /dev/null")
        self("set-option", "-g", "remain-on-exit", "on")
        self("set-option", "-g", "history-limit", "5000")
        self("set-option", "-g", "default-terminal", "screen-256color")
        self("set-option", "-g", "escape-time", "10")

    def new(self, name: str, argv: list[str], *, width: int = 120, height: int = 40) -> "Pane":
        """Run ``argv`` in a new window under a small shell that writes its exit
        status to a file (tmux's own record of it proved unreliable) and keeps the
        last screen: the pane stays until it is killed."""
        status = self.socket.parent / f"status-{name}"
        status.unlink(missing_ok=True)
        wrapper = '"$@"; echo $? > "$CDT_STATUS.part"; mv "$CDT_STATUS.part" "$CDT_STATUS"; ' \
                  'exec tail -f /dev/null'
        self("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "-c", "/",
             "-e", f"CDT_STATUS={status}", "--", "sh", "-c", wrapper, "sh", *argv)
        return Pane(self, name, status)

    def kill_server(self) -> None:
        self("kill-server", check=False)


@dataclass
class Pane:
    """One console in a tmux window: keys in, screen text out."""

    tmux: Tmux
    name: str
    status_file: Path
    history: list[str] = field(default_factory=list)

    def capture(self) -> str:
        # With its scrollback: when a pane dies, tmux moves its screen there.
        text = self.tmux("capture-pane", "-p", "-S", "-", "-t", self.name).text
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            del self.history[:-50]
        return text

    def info(self) -> dict[str, str]:
        out = self.tmux("display-message", "-p", "-t", self.name,
                        "#{pane_dead}|#{pane_pid}").text.strip()
        dead, pid = out.split("|")
        return {"dead": dead, "pid": pid, "status": str(self.dead())}

    @property
    def pid(self) -> int:
        """The command's process (here the ssh client), under the pane's shell."""
        shell = int(self.info()["pid"])
        table = processes()
        children = [p.pid for p in table.values() if p.ppid == shell and
                    not p.cmdline.startswith("tail ")]
        if not children:
            raise AssertionError(self.dump("the pane's command is not running"))
        return children[0]

    def processes(self) -> dict[int, "Proc"]:
        """The pane's command and everything under it, still running."""
        try:
            shell = int(self.info()["pid"])
        except (AssertionError, ValueError):  # the window is gone
            return {}
        table = processes()
        return {pid: table[pid] for pid in descendants([shell], table)
                if pid != shell and table[pid].state != "Z" and
                not table[pid].cmdline.startswith("tail ")}

    def dead(self) -> int | None:
        """The command's exit status once it has ended (128 + N when signal N
        ended it), else None."""
        try:
            return int(self.status_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def send(self, *keys: str) -> None:
        """Keys by tmux name: ``Tab``, ``Enter``, ``Escape``, ``C-s``, ``n``…

        After Escape a pause: a key right behind it (over ssh and sudo's pty the
        bytes arrive together) reads as Alt+key, as it would for a person."""
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            if key == "Escape":
                time.sleep(0.4)

    def type(self, text: str) -> None:
        """Literal text, as typed (any Unicode)."""
        self.tmux("send-keys", "-t", self.name, "-l", "--", text)

    def dump(self, why: str = "") -> str:
        """The screen now, also kept under /tmp for a post-mortem."""
        screen = self.capture()
        try:
            PANE_DIR.mkdir(mode=0o700, exist_ok=True)
            stamp = time.strftime("%H%M%S")
            (PANE_DIR / f"{self.name}-{stamp}.txt").write_text(
                f"{why}\n{'=' * 120}\n{screen}", encoding="utf-8")
        except OSError:
            pass
        earlier = "\n~~~~~~~~\n".join(self.history[-4:-1])
        try:
            running = "; ".join(f"{p.pid} {p.state} uid {p.uid} {p.cmdline[:100]!r}"
                                for p in self.processes().values())
        except Exception as exc:  # noqa: BLE001 - a dump must not fail
            running = f"? ({exc})"
        why = f"{why}\nstill running in the pane: {running or 'nothing'}"
        return (f"{why}\n--- screen of tmux session {self.name!r} ({self.info()}) ---\n"
                f"{screen}\n--- end of screen; the screens before it: ---\n{earlier}")

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 30,
                 interval: float = 0.15) -> re.Match[str]:
        """Wait until the screen shows ``pattern`` (a literal string or a regex)."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.capture())
            if match:
                return match
            if time.monotonic() >= deadline:
                raise PaneTimeout(self.dump(f"waited {timeout} s for {regex.pattern!r}"))
            if self.dead() is not None:
                # One more look: the last screen may have arrived with the exit.
                match = regex.search(self.capture())
                if match:
                    return match
                raise PaneTimeout(self.dump(f"the console ended while waiting for {regex.pattern!r}"))
            time.sleep(interval)

    def wait_gone(self, pattern: str | re.Pattern[str], timeout: float = 15) -> None:
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        if wait_until(lambda: not regex.search(self.capture()), timeout) is None:
            raise PaneTimeout(self.dump(f"{regex.pattern!r} still on screen after {timeout} s"))

    def wait_dead(self, timeout: float = 15) -> int:
        status = wait_until(lambda: self.dead() is not None and [self.dead()], timeout, 0.1)
        if status is None:
            raise PaneTimeout(self.dump(f"the console was still running after {timeout} s"))
        self.capture()
        return status[0]

    def kill(self) -> None:
        self.tmux("kill-session", "-t", self.name, check=False)


# ------------------------------------------------------------------ the database, read by root

DIGEST_SCRIPT = r"""
import hashlib, json, sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
out = {}
for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    rows = sorted(repr(row) for row in con.execute(f'SELECT * FROM "{name}"'))
    out[name] = [len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()]
out["_schema"] = hashlib.sha256(repr(con.execute(
    "SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()).encode()).hexdigest()
out["_user_version"] = con.execute("PRAGMA user_version").fetchone()[0]
print(json.dumps(out))
"""


def as_service(argv: list[str], **kwargs) -> Result:  # type: ignore[no-untyped-def]
    """Run a command as the service account, without sudo (the suite is root)."""
    return run(["setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}",
                "--init-groups", "--", *argv], **kwargs)


def db_digest(db: Path = DB) -> dict:
    """Every table's row count and content hash, the schema and its version —
    read as the service account by Debian's Python (not by complaintdesk)."""
    result = as_service(["/usr/bin/python3", "-c", DIGEST_SCRIPT, str(db)], timeout=60)
    assert result.rc == 0, "could not read the database as the service account\n" + result.describe()
    return json.loads(result.text)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
