"""Fan-out: N headless consoles on one database, one change a second.

Each console is its own process, as on the shared box (one per person over SSH):
the real console app (screens/app.py) run headless at 80×24 by a counter clerk
(``--pty``: each in a pseudo-terminal of 80×24, with Textual's terminal driver),
watching for commits with the store's watcher (SQLite: PRAGMA data_version;
PostgreSQL: LISTEN/NOTIFY) and reloading what it shows. After they have all
painted their queue, the CPU time of all of them together is read from /proc
over an idle window, then over a window in which this process registers one
complaint a second.

    .venv/bin/python bench/fanout_bench.py --db /tmp/fan.db --consoles 200
    .venv/bin/python bench/fanout_bench.py --db postgresql://postgres@127.0.0.1/fan --consoles 200

Each window is a whole minute by default (``--seconds``): the consoles restyle
their rows on the minute, all at once.

On PostgreSQL each console holds up to three connections (its pool of two and
its watcher's LISTEN): the server needs ``max_connections`` of at least three
per console (PostgreSQL's default of 100 serves about 30).

The database must exist with a demo in it (``complaintdesk demo``). The consoles
sign in as the demo's active staff in turn, as an office would (``--same-person``:
all as the first counter clerk, the worst case: every change is then "theirs"),
and the first counter clerk makes the changes (``--change``): ``register`` a
general complaint, which sorts past the first page of the queue (every console's
count changes); ``urgent``, a 紧急 one, which sorts first and so moves every
console's page; ``note``, a note on a random open complaint (its timeline only);
``correct``, a correction of a random open complaint's customer name (its row). Prints the figures: total
CPU as a share of one core, idle and changing, and the CPU each console spends
per change.
"""

from __future__ import annotations

import argparse
import random
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHILD = r"""
import sys
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk
from screens.app import ComplaintDeskApp

desk = open_desk(sys.argv[1], DeskConfig(timezone_name="Asia/Shanghai"))
actor = staffing.sign_in(desk, sys.argv[2])
if sys.argv[3] == "pty":  # a real terminal: Textual's Linux driver (ours), the terminal check
    app = ComplaintDeskApp(desk, actor, guard_terminal=True)
    app.run()
else:
    app = ComplaintDeskApp(desk, actor)
    app.run(headless=True, size=(80, 24))
"""


def open_pty() -> tuple[int, int]:
    """A pseudo-terminal of 80×24: (master, slave)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return master, slave


def drain_forever(masters: list[int]) -> None:
    """Read and drop what the consoles write (a terminal nobody looks at), in a
    thread of this process: its CPU is not the consoles'."""
    import selectors

    selector = selectors.DefaultSelector()
    for fd in masters:
        selector.register(fd, selectors.EVENT_READ)
    while True:
        for key, _mask in selector.select():
            try:
                os.read(key.fd, 65536)
            except OSError:
                selector.unregister(key.fd)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_split(pids))


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of ``pids`` (all threads)."""
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11])
        system += int(fields[12])
    return user / TICKS, system / TICKS


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--consoles", type=int, default=20)
    # A whole minute by default: every console restyles its rows on the minute, and
    # a 20 s window that missed it read 2.4 % idle where a minute's average was 16 %.
    parser.add_argument("--seconds", type=float, default=60.0, help="each window")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds to wait after start-up before the idle window")
    parser.add_argument("--pty", action="store_true",
                        help="each console in a pseudo-terminal of its own, as over SSH "
                             "(Textual's terminal driver, not the headless one)")
    parser.add_argument("--same-person", action="store_true",
                        help="every console signed in as the clerk who makes the changes")
    parser.add_argument("--change", default="register,note,correct,urgent",
                        help="what each change is, one window each, comma separated: "
                             "register, urgent, note, correct (see above)")
    args = parser.parse_args()
    unknown = set(args.change.split(",")) - {"register", "urgent", "note", "correct"}
    if unknown:
        parser.error(f"--change: unknown {', '.join(sorted(unknown))}")

    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process import complaints
    from complaintdesk.process.desk import open_desk
    from complaintdesk.domain.errors import DomainError
    from complaintdesk.process.corrections import correct_complaint
    from complaintdesk.store.models import Complaint, Staff
    from sqlmodel import select

    desk = open_desk(args.db, DeskConfig(timezone_name="Asia/Shanghai"))
    with desk.store.read() as session:  # a counter clerk of the demo, and everyone
        staff = session.exec(select(Staff.login, Staff.role).where(Staff.active)
                             .order_by(Staff.login)).all()
    login = next(name for name, role in staff if role == "counter")
    people = [login] if args.same_person else [name for name, _role in staff]

    env = {**os.environ, "TERM": "xterm-256color"}
    procs = []
    masters: list[int] = []
    for i in range(args.consoles):
        argv = [sys.executable, "-c", CHILD, args.db, people[i % len(people)],
                "pty" if args.pty else "headless"]
        if args.pty:
            master, slave = open_pty()
            procs.append(subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave,
                                          start_new_session=True))
            os.close(slave)
            masters.append(master)
        else:
            procs.append(subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    if masters:
        import threading
        threading.Thread(target=drain_forever, args=(masters,), daemon=True).start()
    pids = [p.pid for p in procs]
    started = time.monotonic()
    # Wait until they have all started and painted: their CPU stops growing fast.
    last = cpu_seconds(pids)
    while True:
        time.sleep(3)
        now = cpu_seconds(pids)
        if now - last < 0.05 * 3 * max(1, args.consoles // 10) and time.monotonic() - started > 10:
            break
        last = now
    alive = sum(p.poll() is None for p in procs)
    print(f"backend: {desk.store.backend}  consoles: {args.consoles} as {len(people)} people "
          f"(running: {alive})  "
          f"start-up: {time.monotonic() - started:.0f} s  memory: {rss_mib(pids):,.0f} MiB "
          f"({rss_mib(pids) / max(1, alive):.0f} MiB each)")

    time.sleep(args.settle)  # the last starters' first counts and pages
    before = cpu_seconds(pids)
    time.sleep(args.seconds)
    idle = cpu_seconds(pids) - before
    print(f"idle:   {idle / args.seconds * 100:6.1f} % of one core for all "
          f"({idle / args.seconds / max(1, alive) * 1000:.2f} ms CPU per console per second)")

    with desk.store.read() as session:
        open_numbers = list(session.exec(select(Complaint.number).where(
            Complaint.closed == False)))  # noqa: E712 - SQL
    pick = random.Random(1203)

    def make_change(kind: str) -> None:
        if kind in ("register", "urgent"):
            complaints.register_complaint(desk, login, {
                "customer_name": "压测客户", "contact": "13800001111", "channel": "phone",
                "event": "压测：每秒一条新投诉", "demand": "无", "category": "service",
                "priority": "urgent" if kind == "urgent" else "general"})
        elif kind == "note":
            complaints.add_note(desk, login, pick.choice(open_numbers), "压测：一条备注")
        else:
            try:
                correct_complaint(desk, login, pick.choice(open_numbers),
                                  {"customer_name": f"压测客户{pick.randrange(10**6)}"},
                                  "压测：更正客户姓名")
            except DomainError:  # this one may not be corrected now: another
                make_change(kind)

    for kind in args.change.split(","):
        before = cpu_seconds(pids)
        split_before = cpu_split(pids)
        changes = 0
        took: list[float] = []  # the change's own time, 200 consoles woken by it
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            tick = time.monotonic()
            make_change(kind)
            took.append(time.monotonic() - tick)
            changes += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        time.sleep(1.5)  # the last change's reloads
        busy = cpu_seconds(pids) - before
        user, system = (after - was for after, was in zip(cpu_split(pids), split_before))
        print(f"{kind:>8}, 1 change/s: {busy / (args.seconds + 1.5) * 100:6.1f} % of one core for all "
              f"({busy / max(1, changes) / max(1, alive) * 1000:.1f} ms CPU per console per change, "
              f"{(busy - idle / args.seconds * (args.seconds + 1.5)) / max(1, changes) / max(1, alive) * 1000:.1f}"
              f" above idle, "
              f"of it {system / max(busy, 1e-9) * 100:.0f} % in the kernel; {changes} changes)",
              flush=True)
        took.sort()
        print(f"{'':>8}  the change itself: p50 {took[len(took) // 2] * 1000:.1f} ms, "
              f"p95 {took[int(len(took) * 0.95)] * 1000:.1f} ms", flush=True)
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    desk.close()


if __name__ == "__main__":
    main()
