"""Benchmark of the audit chain on a big database: verify, quick check, head, registration.

Make the database first, then run this script on it (it registers ``--register``
complaints into it):

    .venv/bin/complaintdesk --db /tmp/big.db demo --count 1000000
    .venv/bin/python bench/audit_bench.py --db /tmp/big.db

It prints figures; it asserts nothing (tests never assert on time).

* verify: ``audit_chain.verify_chain`` over the whole chain (``--workers`` processes,
  default: one per core), once cold-ish (the first run) and the best of ``--runs``.
* quick_check: the console's start-up check (triggers and the last 64 links);
  median and worst of 50 runs.
* chain_head: median of 50 runs.
* registration: ``complaints.register_complaint`` of ``--register`` complaints one
  after another through the real use-case, p50 and p95 of each call's wall time.
  Works on a release without the chain too (run from a checkout of it with
  ``PYTHONPATH=that/checkout``), for a before/after of registration.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a checkout named there wins


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def chain_figures(db: Path, runs: int, workers: int | None) -> None:
    try:
        from complaintdesk.store.sqlite import audit_chain
    except ImportError:
        print("audit chain: not in this release")
        return
    from complaintdesk.store.sqlite.engine import open_store

    store = open_store(db)
    try:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            report = audit_chain.verify_chain(store, workers=workers)
            times.append(time.perf_counter() - start)
        print(f"verify_chain: {report.checked:,} events, ok={report.ok}, "
              f"first run {times[0]:.2f} s, best of {runs} {min(times):.2f} s"
              + ("" if report.ok else f"; problems: {report.problems[:3]}"))
        quick = []
        for _ in range(50):
            start = time.perf_counter()
            report = audit_chain.quick_check(store)
            quick.append(time.perf_counter() - start)
        print(f"quick_check: median {_ms(statistics.median(quick))}, worst {_ms(max(quick))}, "
              f"ok={report.ok}")
        heads = []
        for _ in range(50):
            start = time.perf_counter()
            head = audit_chain.chain_head(store)
            heads.append(time.perf_counter() - start)
        print(f"chain_head: median {_ms(statistics.median(heads))}, worst {_ms(max(heads))}, "
              f"{head.text}")
    finally:
        store.dispose()


def registration(db: Path, count: int) -> None:
    from complaintdesk.process.complaints import register_complaint
    from complaintdesk.process.desk import open_desk

    conn = sqlite3.connect(db)
    try:
        actor = conn.execute(
            "SELECT login FROM staff WHERE active AND role IN ('counter', 'supervisor', 'admin') "
            "ORDER BY role = 'counter' DESC, login LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    desk = open_desk(db)
    try:
        data = {"customer_name": "北京华联超市", "address": "北京市朝阳区建国路88号",
                "channel": "phone", "event": "收到的玻璃杯有三只破损，外包装完好。",
                "demand": "退货并补发", "category": "product", "priority": "general",
                "product": "玻璃杯", "quantity": 3}
        for i in range(5):  # warm the pool, the caches and the code paths
            register_complaint(desk, actor, {**data, "contact": f"1390000{i:04d}"})
        times = []
        for i in range(count):
            one = {**data, "contact": f"1370000{i:04d}"}
            start = time.perf_counter()
            register_complaint(desk, actor, one)
            times.append(time.perf_counter() - start)
    finally:
        desk.close()
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"registration ({count} by {actor}): p50 {_ms(p50)}, p95 {_ms(p95)}, "
          f"mean {_ms(statistics.mean(times))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3, help="whole-chain verifications")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for verify (default: one per core)")
    parser.add_argument("--register", type=int, default=300,
                        help="complaints to register for the registration figures (0: none)")
    parser.add_argument("--skip-chain", action="store_true", help="registration only")
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}: make one with complaintdesk demo first")
    import complaintdesk

    print(f"complaintdesk from {Path(complaintdesk.__file__).parent}")
    if not args.skip_chain:
        chain_figures(args.db, args.runs, args.workers)
    if args.register:
        registration(args.db, args.register)


if __name__ == "__main__":
    main()
