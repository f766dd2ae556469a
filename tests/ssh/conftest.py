"""The real-SSH suite: a shared box set up with ``setup-box``, reached over ssh.

It changes the machine (OS accounts, a group, /etc/complaintdesk, /var/lib,
sudoers, a venv under /opt, an sshd on 127.0.0.1), so it runs only when asked:
``pytest tests/ssh --run-ssh`` or ``COMPLAINTDESK_SSH_SUITE=1``. Asked but unable
to run (not root, no sshd/sudo/tmux…) it skips with a loud reason, and with
``CI=true`` that skip is a failure. Whatever happens, its tear-down removes what
it made; a state file names what a run is about to make, so a run killed half
way is cleaned up by the next one. It never touches a complaintdesk installation
it did not make: it refuses to start instead.
"""

from __future__ import annotations

import json
import os
import pwd
import grp
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import (DATA_DIR, GUARD, INOTIFY_INSTANCES, INOTIFY_SYSCTL, INSTALLED, LAUNCHER,
                      PANE_DIR, SERVICE_USER, STAFF_GROUP,
                      SUDOERS, SYSTEM_CONFIG_DIR, VENV, Account, Pane, Result, Ssh, Tmux,
                      db_digest, descendants, kill_pids, living, of_users, processes, run,
                      wait_until)

SUITE_DIR = Path(__file__).resolve().parent
REPO = SUITE_DIR.parent.parent
STATE_FILE = Path("/var/tmp/complaintdesk-ssh-suite.json")
HOW_TO_RUN = ("the real-SSH suite changes this machine (OS accounts, /etc, sudoers, an sshd on "
              "127.0.0.1) and runs only when asked: `.venv/bin/python -m pytest tests/ssh "
              "--run-ssh` or COMPLAINTDESK_SSH_SUITE=1, as root, with the Debian packages "
              "openssh-server sudo tmux sqlite3 python3-venv")

#: login → (staff name, role, department); None = an OS account that is not staff.
STAFF = {
    "cdt_admin": ("管理员甲", "admin", None),
    "cdt_counter": ("柜台小王", "counter", None),
    "cdt_super": ("主管张", "supervisor", None),
    "cdt_handler": ("质检老刘", "handler", "quality"),
    "cdt_outsider": None,
}
ADMIN = "cdt_admin"
#: What the suite creates and removes again; it refuses to start if any exists
#: and was not left by an earlier run of the suite.
PATHS = [SYSTEM_CONFIG_DIR, DATA_DIR, LAUNCHER, GUARD.parent, SUDOERS, INOTIFY_SYSCTL, VENV]
GROUPS = [STAFF_GROUP, SERVICE_USER]
#: Where setup-box or sudo might leave something else behind: entries that
#: appear here during the run and name complaintdesk or an account of the suite
#: are removed, anything else new is reported.
WATCHED_DIRS = [Path("/etc"), Path("/etc/sudoers.d"), Path("/etc/profile.d"), Path("/var/lib"),
                Path("/var/log"), Path("/var/backups"), Path("/usr/local/bin"),
                Path("/usr/local/lib"), Path("/usr/local/sbin"), Path("/opt"), Path("/run"),
                Path("/run/sudo/ts"), Path("/var/lib/sudo/lectured"), Path("/home")]


# ------------------------------------------------------------------ asking for the suite

def pytest_addoption(parser: pytest.Parser) -> None:
    try:
        parser.addoption("--run-ssh", action="store_true", default=False,
                         help="run the real-SSH shared-box suite in tests/ssh (changes the "
                              "machine; needs root, openssh-server, sudo, tmux, sqlite3)")
    except ValueError:
        pass  # already registered by a conftest higher up


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ssh: the real-SSH shared-box suite (runs only with --run-ssh or "
                   "COMPLAINTDESK_SSH_SUITE=1)")


def suite_requested(config: pytest.Config) -> bool:
    try:
        option = bool(config.getoption("run_ssh"))
    except ValueError:
        option = False
    return option or os.environ.get("COMPLAINTDESK_SSH_SUITE", "") == "1"


def _in_suite(item: pytest.Item) -> bool:
    path = Path(str(getattr(item, "path", item.fspath))).resolve()
    return SUITE_DIR in path.parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    requested = suite_requested(config)
    for item in items:
        if _in_suite(item):
            item.add_marker(pytest.mark.ssh)
            if not requested:
                item.add_marker(pytest.mark.skip(reason=HOW_TO_RUN))


_NOT_RUN: list[str] = []


def cannot_run(reason: str) -> None:
    """Asked for, but the suite cannot run here: a loud skip, a failure in CI."""
    _NOT_RUN.append(reason)
    message = f"REAL-SSH SUITE NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: a skip of this suite is a failure)", pytrace=False)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    for reason in dict.fromkeys(_NOT_RUN):
        terminalreporter.write_sep("!", "REAL-SSH SUITE NOT RUN", red=True, bold=True)
        terminalreporter.write_line(reason, red=True, bold=True)


def environment_problems() -> list[str]:
    problems = []
    if sys.platform != "linux":
        return [f"needs Linux, this is {sys.platform}"]
    if os.geteuid() != 0:
        problems.append(f"needs root (running as uid {os.geteuid()})")
    for path, package in (("/usr/sbin/sshd", "openssh-server"), ("/usr/bin/ssh", "openssh-client"),
                          ("/usr/bin/ssh-keygen", "openssh-client"), ("/usr/bin/sudo", "sudo"),
                          ("/usr/sbin/visudo", "sudo"), ("/usr/bin/tmux", "tmux"),
                          ("/usr/bin/sqlite3", "sqlite3"), ("/usr/bin/python3", "python3"),
                          ("/usr/sbin/useradd", "passwd"), ("/usr/bin/setpriv", "util-linux")):
        if not os.access(path, os.X_OK):
            problems.append(f"no {path} (Debian package {package})")
    if os.access("/usr/bin/python3", os.X_OK):
        probe = run(["/usr/bin/python3", "-c", "import ensurepip, venv, sqlite3"])
        if probe.rc != 0:
            problems.append("Debian's /usr/bin/python3 cannot make a venv (package python3-venv)")
    return problems


# ------------------------------------------------------------------ the state file

def _exists_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _exists_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _listing(dirs: list[Path]) -> dict[str, list[str]]:
    out = {}
    for d in dirs:
        try:
            out[str(d)] = sorted(os.listdir(d))
        except OSError:
            out[str(d)] = []
    return out


def _uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _sshd_of(state: dict) -> list[int]:
    """Our sshd (the listener and its sessions): by its pid and its config path."""
    pids = []
    pid = state.get("sshd_pid")
    config = state.get("sshd_config", "\0")
    table = processes()
    if pid in table and config in table[pid].cmdline:
        pids.append(pid)
    return sorted(descendants(pids, table))


def clean_up(state: dict, log: list[str]) -> None:
    """Remove everything a run said it was going to make. Each step on its own:
    one failing does not stop the rest."""

    def step(what: str, action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - keep cleaning
            log.append(f"clean-up: {what}: {exc}")

    socket_path = state.get("tmux_socket")
    if socket_path and Path(socket_path).exists():
        step("tmux server", lambda: run(["tmux", "-S", socket_path, "kill-server"], timeout=20))
    step("sshd", lambda: kill_pids(_sshd_of(state)))
    users = [u for u in state.get("users", []) if _exists_user(u)]
    uids = [_uid(u) for u in users]
    # Processes still running as the suite's accounts (consoles, shells): by pid.
    step("processes of the suite's accounts",
         lambda: kill_pids(of_users([u for u in uids if u is not None])))
    for user in users:
        if user == SERVICE_USER:
            step(f"userdel {user}", lambda user=user: run(["userdel", user], timeout=60))
        else:
            step(f"userdel -r {user}", lambda user=user: run(["userdel", "-r", user], timeout=60))
    for group in state.get("groups", []):
        if _exists_group(group):
            step(f"groupdel {group}", lambda group=group: run(["groupdel", group], timeout=60))
    for path in [*state.get("paths", []), state.get("workdir")]:
        if not path:
            continue
        p = Path(path)
        if p.is_dir() and not p.is_symlink():
            step(f"rm -r {p}", lambda p=p: shutil.rmtree(p))
        elif p.exists() or p.is_symlink():
            step(f"rm {p}", lambda p=p: p.unlink())
    if state.get("made_run_sshd"):
        step("rmdir /run/sshd", lambda: Path("/run/sshd").rmdir())
    if state.get("inotify_instances"):  # setup-box raised it: as it was
        step(f"restore {INOTIFY_INSTANCES}",
             lambda: INOTIFY_INSTANCES.write_text(f"{state['inotify_instances']}\n"))
    # What appeared in the watched directories during the run.
    before = state.get("listing", {})
    names = tuple(["complaintdesk", *state.get("users", [])])
    for directory, entries in _listing([Path(d) for d in before]).items():
        for entry in sorted(set(entries) - set(before.get(directory, []))):
            target = Path(directory) / entry
            if any(n in entry for n in names):
                if target.is_dir() and not target.is_symlink():
                    step(f"rm -r {target}", lambda t=target: shutil.rmtree(t))
                else:
                    step(f"rm {target}", lambda t=target: t.unlink())
                log.append(f"clean-up: removed {target} (made during the run)")
            elif directory not in ("/run", "/var/log", "/etc") or entry.endswith(".lock"):
                log.append(f"clean-up: {target} appeared during the run and was left alone")
    for user in state.get("users", []):
        if _exists_user(user):
            log.append(f"clean-up: account {user} still exists")
    for group in state.get("groups", []):
        if _exists_group(group):
            log.append(f"clean-up: group {group} still exists")


# ------------------------------------------------------------------ the box

@dataclass
class Box:
    """The shared box as the tests see it."""

    ssh: Ssh
    tmux: Tmux
    workdir: Path
    setup_output: Result
    service_uid: int
    timings: dict[str, float] = field(default_factory=dict)
    _count: int = 0

    @property
    def accounts(self) -> dict[str, Account]:
        return self.ssh.accounts

    def uid(self, login: str) -> int:
        return self.ssh.accounts[login].uid

    def cd(self, login: str, *args: str, **kwargs) -> Result:  # type: ignore[no-untyped-def]
        return self.ssh.cd(login, *args, **kwargs)

    def console(self, login: str, *, tty: bool = True, command: str = "complaintdesk",
                width: int = 120, height: int = 40) -> Pane:
        """``ssh -t login@box complaintdesk`` in a new tmux session."""
        self._count += 1
        name = f"{login}-{self._count}"
        return self.tmux.new(name, self.ssh.argv(login, tty=tty) + ["--", command],
                             width=width, height=height)

    def session_pids(self, login: str) -> set[int]:
        """Every process running for ``login``: its own and everything under them
        (the launcher's sudo and the console it runs as the service account)."""
        table = processes()
        own = [p.pid for p in table.values() if p.uid == self.uid(login) and p.state != "Z"]
        return {pid for pid in descendants(own, table) if table[pid].state != "Z"}

    def service_pids(self) -> set[int]:
        return set(of_users([self.service_uid]))


def _free_port(start: int = 2222) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as sshd binds
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for sshd")


def _copy_source(target: Path) -> None:
    """The working tree as it is now (uncommitted work included), without the
    venv, git, caches and databases, so pip builds it outside the repository."""
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.pyc", "*.db", "*.db-wal", "*.db-shm", "build", "dist",
        "*.egg-info", ".pytest_cache", "snapshot_report.html"))


def _write_state(state: dict) -> None:
    STATE_FILE.write_text(json.dumps(state, indent=1))
    STATE_FILE.chmod(0o600)


def _sshd_config(workdir: Path, port: int, logins: list[str]) -> Path:
    d = workdir / "sshd"
    d.mkdir(mode=0o700)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cdt-host",
         "-f", str(d / "host_ed25519")], check=True)
    config = d / "sshd_config"
    config.write_text(f"""\
# The real-SSH suite's own sshd (tests/ssh/conftest.py); removed at tear-down.
Port {port}
ListenAddress 127.0.0.1
AddressFamily inet
HostKey {d / 'host_ed25519'}
PidFile {d / 'sshd.pid'}
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {' '.join(logins)}
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
PermitTTY yes
PrintMotd no
PrintLastLog no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AcceptEnv LANG LC_*
MaxStartups 50:30:100
MaxSessions 50
LogLevel VERBOSE
""")
    return config


def _make_account(workdir: Path, login: str) -> Account:
    run(["useradd", "-m", "-s", "/bin/bash", login], check=True)
    # Unlocked but without a password: sshd (UsePAM no) refuses "!" accounts.
    run(["usermod", "-p", "*", login], check=True)
    info = pwd.getpwnam(login)
    key = workdir / "keys" / login
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{login}@cdt", "-f", str(key)],
        check=True)
    ssh_dir = Path(info.pw_dir) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    authorized.write_text(Path(str(key) + ".pub").read_text())
    authorized.chmod(0o600)
    for path in (ssh_dir, authorized):
        os.chown(path, info.pw_uid, info.pw_gid)
    staff = STAFF[login]
    name, role, dept = staff if staff else (None, None, None)
    return Account(login, info.pw_uid, key, name, role, dept, in_group=staff is not None)


def _start_sshd(config: Path, port: int) -> subprocess.Popen:
    test = run(["/usr/sbin/sshd", "-t", "-f", str(config)])
    assert test.rc == 0, "sshd refuses its config\n" + test.describe()
    log = config.parent / "sshd.log"
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(log)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd="/")

    def listening() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"sshd exited ({proc.returncode}):\n{log.read_text()}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    if not wait_until(listening, 20):
        raise AssertionError(f"sshd is not listening on {port}:\n{log.read_text()}")
    return proc


def _known_hosts(workdir: Path, port: int) -> Path:
    public = (workdir / "sshd" / "host_ed25519.pub").read_text().split()
    path = workdir / "known_hosts"
    path.write_text(f"[127.0.0.1]:{port} {public[0]} {public[1]}\n")
    return path


@pytest.fixture(scope="package")
def box(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The shared box: sshd on 127.0.0.1, the accounts, the venv, ``setup-box``,
    the staff added by the admin. Torn down even when a test failed, and as soon
    as this package's tests are done: the rest of the project's suite must not
    run on a machine set up for service mode."""
    problems = environment_problems()
    if problems:
        cannot_run("; ".join(problems))

    log: list[str] = []
    if STATE_FILE.exists():
        try:
            old = json.loads(STATE_FILE.read_text())
        except ValueError:
            old = None
        if old is None:
            cannot_run(f"{STATE_FILE} is unreadable; remove it by hand after checking "
                       "what it lists")
        owner = processes().get(int(old.get("pid") or 0))
        if owner is not None and "pytest" in owner.cmdline and owner.pid != os.getpid():
            cannot_run(f"another run of the suite (pid {owner.pid}) is using the box "
                       f"({STATE_FILE}); wait for it to finish")
        print(f"\n[ssh suite] cleaning up after an earlier run ({STATE_FILE})", flush=True)
        clean_up(old, log)
        STATE_FILE.unlink()
        for line in log:
            print("[ssh suite]", line, flush=True)

    foreign = [str(p) for p in PATHS if p.exists() or p.is_symlink()]
    foreign += [f"account {u}" for u in [*STAFF, SERVICE_USER] if _exists_user(u)]
    foreign += [f"group {g}" for g in [*GROUPS, *STAFF] if _exists_group(g)]
    if foreign:
        cannot_run("complaintdesk (or an account the suite uses) is already on this machine and "
                   "was not left by this suite: " + ", ".join(foreign)
                   + ". Refusing to touch it; run the suite on a machine without it.")

    shutil.rmtree(PANE_DIR, ignore_errors=True)  # screens kept by the last run's failures
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="cdt-ssh-"))
    state = {
        "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "workdir": str(workdir), "users": [*STAFF, SERVICE_USER],
        "groups": [*GROUPS, *STAFF], "paths": [str(p) for p in PATHS],
        "tmux_socket": str(workdir / "tmux.sock"), "sshd_config": str(workdir / "sshd" / "sshd_config"),
        "made_run_sshd": not Path("/run/sshd").exists(), "listing": _listing(WATCHED_DIRS),
        "inotify_instances": INOTIFY_INSTANCES.read_text().strip(),
    }
    _write_state(state)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(workdir), "TERM": "screen-256color"}
    tmux = Tmux(workdir / "tmux.sock", env)
    sshd: subprocess.Popen | None = None
    timings: dict[str, float] = {}
    try:
        os.umask(0o022)
        (workdir / "keys").mkdir(mode=0o700)

        started = time.monotonic()
        _copy_source(workdir / "src")
        run(["/usr/bin/python3", "-m", "venv", str(VENV)], check=True, timeout=300)
        run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             str(workdir / "src")], check=True, timeout=900)
        timings["install"] = time.monotonic() - started

        accounts = {login: _make_account(workdir, login) for login in STAFF}

        started = time.monotonic()
        setup = run([str(INSTALLED), "setup-box", "--admin", ADMIN], timeout=300)
        timings["setup-box"] = time.monotonic() - started
        assert setup.rc == 0, "setup-box failed\n" + setup.describe()
        for login, staff in STAFF.items():
            if staff is not None:
                run(["usermod", "-aG", STAFF_GROUP, login], check=True)
        service_uid = pwd.getpwnam(SERVICE_USER).pw_uid

        config = _sshd_config(workdir, port, list(STAFF))
        if state["made_run_sshd"]:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        sshd = _start_sshd(config, port)
        state["sshd_pid"] = sshd.pid
        _write_state(state)
        ssh = Ssh(port, _known_hosts(workdir, port), accounts)
        hello = ssh.shell(ADMIN, "id -un")
        assert hello.rc == 0 and hello.text.strip() == ADMIN, "ssh login failed\n" + hello.describe()

        for login, staff in STAFF.items():
            if staff is None or login == ADMIN:
                continue
            name, role, dept = staff
            args = ["staff", "add", login, "--name", name, "--role", role]
            if dept:
                args += ["--dept", dept]
            added = ssh.cd(ADMIN, *args)
            assert added.rc == 0, f"the admin could not add {login}\n" + added.describe()

        tmux.start()
        the_box = Box(ssh, tmux, workdir, setup, service_uid, timings)
        print(f"\n[ssh suite] box ready: sshd on 127.0.0.1:{port}, install "
              f"{timings['install']:.1f} s, setup-box {timings['setup-box']:.1f} s", flush=True)
        yield the_box
    finally:
        log = []
        if sshd is not None and sshd.poll() is None:
            sshd.terminate()
            try:
                sshd.wait(10)
            except subprocess.TimeoutExpired:
                sshd.kill()
        clean_up(state, log)
        STATE_FILE.unlink(missing_ok=True)
        for line in log:
            print("[ssh suite]", line, flush=True)
        print("[ssh suite] box torn down", flush=True)
        left = [line for line in log if "clean-up: removed" not in line
                and "left alone" not in line]
        if left:
            # Loud: the machine is not as it was.
            print("[ssh suite] TEAR-DOWN INCOMPLETE:\n  " + "\n  ".join(left), file=sys.stderr,
                  flush=True)


@pytest.fixture
def consoles(box: Box):  # type: ignore[no-untyped-def]
    """Consoles opened by a test; whatever is left is closed (and waited for) after it."""
    opened: list[Pane] = []

    def open_console(login: str, **kwargs) -> Pane:  # type: ignore[no-untyped-def]
        pane = box.console(login, **kwargs)
        opened.append(pane)
        return pane

    yield open_console
    pids: set[int] = set()
    for pane in opened:
        try:
            pids |= set(pane.processes())
        except AssertionError:
            pass
        pane.kill()
    # The consoles' own processes, as the sessions wind down.
    logins = [a.login for a in box.accounts.values()]
    wait_until(lambda: not any(box.session_pids(login) for login in logins), 10)
    leftovers = set()
    for login in logins:
        leftovers |= box.session_pids(login)
    if leftovers or living(pids):
        kill_pids(leftovers | set(living(pids)))


@pytest.fixture
def state(box: Box):  # type: ignore[no-untyped-def]
    """What the desk holds, to compare before and after an attempt."""

    def snapshot() -> dict:
        head = box.cd(ADMIN, "audit", "head")
        export = box.cd(ADMIN, "export")
        staff = box.cd(ADMIN, "staff", "list", "--json")
        return {
            "tables": db_digest(),
            "audit head": (head.rc, head.text.strip()),
            "export": (export.rc, export.text),
            "staff": (staff.rc, staff.text),
        }

    return snapshot
