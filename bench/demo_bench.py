"""How long ``complaintdesk demo --count N`` takes, and what it made.

    .venv/bin/python bench/demo_bench.py --count 100000
    .venv/bin/python bench/demo_bench.py --count 1000000 --db /tmp/big.db --keep

Runs the real command in a child process into a new database file (removed
afterwards unless --keep), then prints the wall time, the peak resident memory
of the command and of its builder process, the file's size, and the counts the
demo produced: complaints per status, revisits per outcome, satisfaction.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(db: Path, count: int, seed: int | None) -> float:
    command = [sys.executable, "-m", "complaintdesk", "--db", str(db), "demo", "--count", str(count)]
    if seed is not None:
        command += ["--seed", str(seed)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def _figures(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    q = conn.execute
    total = q("SELECT count(*) FROM complaint").fetchone()[0]
    lines = [f"complaints: {total}"]
    lines.append("by status: " + ", ".join(
        f"{s} {n}" for s, n in q("SELECT status, count(*) FROM complaint GROUP BY 1 ORDER BY 2 DESC")))
    lines.append("revisits by outcome: " + ", ".join(
        f"{o} {n}" for o, n in q("SELECT outcome, count(*) FROM revisit GROUP BY 1 ORDER BY 2 DESC")))
    unreached = q("SELECT count(*) FROM audit_event WHERE action = 'workflow.close_unreached'").fetchone()[0]
    lines.append(f"closed as unreachable: {unreached}")
    for rating in ("attitude", "result"):
        rows = dict(q(f"SELECT {rating}, count(*) FROM revisit WHERE reached GROUP BY 1").fetchall())
        reached = sum(rows.values()) or 1
        lines.append(f"{rating}: " + ", ".join(
            f"{k} {100 * rows.get(k, 0) / reached:.1f}%" for k in ("satisfied", "basic", "dissatisfied")))
    waiting, overdue = q("SELECT count(*), coalesce(sum(revisit_due < strftime('%Y-%m-%d %H:%M:%f', 'now')), 0) "
                         "FROM complaint WHERE status = 'revisit'").fetchone()
    lines.append(f"waiting for the revisit: {waiting} (overdue {overdue})")
    reopened = q("SELECT count(*) FROM complaint WHERE reopen_count > 0").fetchone()[0]
    lines.append(f"reopened at least once: {reopened}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--db", type=Path, help="a new file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "demo.db"
    if db.exists():
        raise SystemExit(f"{db} exists: the benchmark wants a new file")
    try:
        seconds = _run(db, args.count, args.seed)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = db.stat().st_size / 1e9
        print(f"demo --count {args.count}: {seconds:.1f} s wall, peak RSS {peak:.0f} MB "
              f"(largest process), file {size:.2f} GB, {os.cpu_count()} CPUs")
        for line in _figures(db):
            print("  " + line)
    finally:
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
