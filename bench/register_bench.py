"""Registration latency with 1 and with 8 writers at once, on either backend.

    .venv/bin/python bench/register_bench.py --db /tmp/b100k.db
    .venv/bin/python bench/register_bench.py --db postgresql://postgres@127.0.0.1/b100k

Each writer is its own process (as consoles are) registering ``--each`` complaints
through the use-case (validation, numbering, customer, search index, audit event,
one transaction), as fast as it can. Prints p50, p95 and worst of every call, and
registrations a second. Then 8 writers again, each starting one registration
every ``--pace`` seconds (0.2: 40 a second in all, far more than a desk's counters
make, yet not a queue of writers behind each other): the latency a clerk sees
when colleagues register at the same time. Adds complaints to the database: use
a copy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORM = {"customer_name": "压测客户", "contact": "13800001111", "channel": "phone",
        "event": "压测：登记延迟", "demand": "无", "category": "service", "priority": "general"}


def writer(db: str, login: str, each: int, barrier, out, pace: float = 0.0) -> None:  # type: ignore[no-untyped-def]
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process import complaints
    from complaintdesk.process.desk import open_desk

    desk = open_desk(db, DeskConfig(timezone_name="Asia/Shanghai"))
    complaints.register_complaint(desk, login, FORM)  # warm: connections, caches
    barrier.wait()
    times = []
    # Paced writers start at random points of the first interval, not all at once.
    due = time.perf_counter() + random.uniform(0, pace)
    for i in range(each):
        if pace:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += pace
        start = time.perf_counter()
        complaints.register_complaint(desk, login, dict(FORM, contact=f"1380000{i % 10000:04d}"))
        times.append(time.perf_counter() - start)
    out.put(times)
    desk.close()


def run(db: str, login: str, writers: int, each: int, pace: float = 0.0) -> None:
    how = f", each one every {pace:g} s" if pace else ""
    measure(writer, [(db, login, each) for _ in range(writers)], f"{writers} writer(s) × {each}{how}",
            pace)


def measure(target, args: list[tuple], label: str, *rest) -> None:  # type: ignore[no-untyped-def]
    """Start one process per ``args`` running ``target(*args, barrier, out, *rest)``,
    which puts its list of timings on ``out`` after waiting at ``barrier`` (so all
    start together); print p50, p95, worst and registrations a second."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(args) + 1), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, out, *rest)) for a in args]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    times = sorted(t for _ in procs for t in out.get(timeout=600))
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label}: p50 {statistics.median(times) * 1000:6.1f} ms   "
          f"p95 {p95 * 1000:6.1f} ms   worst {times[-1] * 1000:6.1f} ms   "
          f"{len(times) / wall:6.0f} registrations/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--each", type=int, default=200)
    parser.add_argument("--pace", type=float, default=0.2,
                        help="seconds between one paced writer's registrations (0: no paced run)")
    args = parser.parse_args()
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk
    from complaintdesk.store.models import Staff
    from sqlmodel import select

    desk = open_desk(args.db, DeskConfig(timezone_name="Asia/Shanghai"))
    with desk.store.read() as session:  # a counter clerk of the demo
        login = session.exec(select(Staff.login).where(Staff.role == "counter", Staff.active)
                             .order_by(Staff.login)).first()
    print(f"database: {args.db} ({desk.store.backend})")
    desk.close()
    for writers in (1, 8):
        run(args.db, login, writers, args.each)
    if args.pace:
        run(args.db, login, 8, args.each, args.pace)


if __name__ == "__main__":
    main()
