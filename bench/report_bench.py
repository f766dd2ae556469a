"""Benchmark of the 《客户投诉统计表》 on a big database.

Make the database first, then run this script on it:

    .venv/bin/complaintdesk --db /tmp/big.db demo --count 1000000
    .venv/bin/python bench/report_bench.py --db /tmp/big.db

It prints figures; it asserts nothing (tests never assert on time).

* summary: ``build_report`` (every figure of the report, all SQL aggregation) for
  the year, the quarter and the month of the desk's "now"; median and worst of
  ``--runs`` runs after one warm-up run;
* rows: reading every row of the year in pages, as ``report --format csv`` does,
  and writing the CSV to /dev/null;
* first page: the first 100 rows, as the statistics screen's 明细 tab shows them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaintdesk.process.desk import open_desk  # noqa: E402
from complaintdesk.reports.output import write_csv  # noqa: E402
from complaintdesk.reports.figures import (build_report, iter_report_rows, period_of,  # noqa: E402
                                     report_rows)


def timed(func, runs: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    result = func()  # warm-up: the file cache, SQLite's statement cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a file or a postgresql:// URL")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    desk = open_desk(args.db)
    try:
        from sqlalchemy import text

        with desk.store.engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM complaint")).scalar()
        size = f"{Path(args.db).stat().st_size / 2**30:.2f} GiB, " if "://" not in args.db else ""
        print(f"database: {args.db} ({size}{total:,} complaints)")
        now = desk.now()
        for kind in ("year", "quarter", "month"):
            period = period_of(kind, now)
            median, worst, report = timed(lambda p=period: build_report(desk, p), args.runs)
            print(f"summary {kind:<7} {period.code:<8} {report.total:>9,} complaints: "
                  f"median {median * 1000:7.1f} ms, worst {worst * 1000:7.1f} ms")
        year = period_of("year", now)
        median, worst, _ = timed(lambda: report_rows(desk, year, limit=100), args.runs)
        print(f"first page of rows (100):            median {median * 1000:7.1f} ms, "
              f"worst {worst * 1000:7.1f} ms")
        start = time.perf_counter()
        with open("/dev/null", "w", encoding="utf-8", newline="") as sink:
            count = write_csv(iter_report_rows(desk, year), desk, sink)
        seconds = time.perf_counter() - start
        print(f"every row of {year.code} as CSV:         {count:,} rows in {seconds:.1f} s "
              f"({count / seconds:,.0f} rows/s)")
    finally:
        desk.close()


if __name__ == "__main__":
    main()
