"""Benchmark of the queue on a big database: start-up, paging, search, memory.

Make the database first, then run this script on it:

    .venv/bin/complaintdesk --db /tmp/big.db demo --count 1000000
    .venv/bin/python bench/queue_bench.py --db /tmp/big.db

It prints figures; it asserts nothing (tests never assert on time).

* start-up: a fresh process from exec to the queue's first page painted,
  against a bare Textual app with the same imports painting a Static; median
  of ``--runs`` runs each, both measured in this run, and their ratio.
* paging: page down / page up in a 120x40 headless console, from key press to
  the new page's rows fetched and painted; median and worst. The console reads
  the next screen's rows ahead; the script lets those reads finish between
  presses (untimed), as they do while a person reads the screen. A key held
  down (auto-repeat faster than a read, ~30 ms) can outrun the read-ahead.
* search: what the console does for a search (count + first page), per term, in
  the open queue and with closed complaints too.
* memory: resident set size of the console process once the queue is painted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAINT = ROOT / "bench" / "_paint_once.py"
# Frequent words of the demo texts; rarer terms (a customer's name and phone, a number)
# are taken from the database itself in search().
SEARCH_TERMS = ["退款", "快递", "破损", "质量问题", "未到账", "退款 快递", "要求退货 退款"]


def startup(db: Path, runs: int) -> None:
    def measure(kind: str) -> tuple[float, int]:
        start = time.time()
        out = subprocess.run([sys.executable, str(PAINT), kind, str(db)], capture_output=True,
                             text=True, env={**os.environ, "BENCH_START": repr(start)})
        if out.returncode != 0:
            raise SystemExit(f"{kind} failed: {out.stderr[-2000:]}")
        seconds, rss = out.stdout.split()
        return float(seconds), int(rss)

    measure("bare")  # warm the file cache for both
    measure("console")
    bare, console, rss = [], [], []
    for _ in range(runs):
        bare.append(measure("bare")[0])
        seconds, kb = measure("console")
        console.append(seconds)
        rss.append(kb)
    b, c = statistics.median(bare), statistics.median(console)
    # Each console run follows its bare run at once: the median of the pairs' ratios
    # is the least disturbed by the machine's drifts (the bare app alone varies
    # 800-1,300 ms between runs here).
    paired = statistics.median(x / y for x, y in zip(console, bare))
    print(f"start-up, exec to first paint (median of {runs}; fastest in brackets):")
    print(f"  bare Textual app, same imports   {b * 1000:7.0f} ms   ({min(bare) * 1000:5.0f} ms)")
    print(f"  console, queue painted           {c * 1000:7.0f} ms   ({min(console) * 1000:5.0f} ms)")
    print(f"  ratio {c / b:.2f}x of the medians, {min(console) / min(bare):.2f}x of the fastest, "
          f"{paired:.2f}x median of the {runs} back-to-back pairs")
    print(f"memory: console RSS with the queue painted   {statistics.median(rss) / 1024:.0f} MB")


async def paging(db: Path, presses: int) -> None:
    """Key press to painted, measured inside the app: the key's action, the page
    fetch in its worker when the rows are not cached yet, and rendering every
    visible line. (Pilot.press adds ~60 ms of its own waiting even for a key that
    does nothing, so it is not used as the clock.)"""
    from complaintdesk.process.desk import open_desk
    from complaintdesk.process.staffing import os_login, sign_in
    from screens.app import ComplaintDeskApp
    from screens.widgets.virtual_table import PAGE_SIZE, VirtualTable

    desk = open_desk(db)
    app = ComplaintDeskApp(desk, sign_in(desk, os_login()), watch=False)

    def visible_pages_fresh(table: VirtualTable) -> bool:
        top = round(table.scroll_offset.y)
        last = min(top + table.size.height, table.row_count) - 1
        pages = [table._pages.get(p) for p in range(top // PAGE_SIZE, last // PAGE_SIZE + 1)]
        return all(p is not None and p[0] == table._generation for p in pages)

    async def paint(table: VirtualTable) -> None:
        while True:
            fresh = visible_pages_fresh(table)
            for y in range(table.size.height):  # render_line requests missing pages
                table.render_line(y)
            if fresh:
                return
            await asyncio.sleep(0.001)  # let the page's worker deliver

    async def timed(table: VirtualTable, action, pause: bool = True) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        action()
        await paint(table)
        elapsed = time.perf_counter() - start
        if pause:
            # Between presses (not timed): the pages read ahead arrive, as they do
            # while a person reads the screen.
            await app.workers.wait_for_complete()
            await asyncio.sleep(0)
        return elapsed

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(VirtualTable)
        await paint(table)
        print(f"paging ({table.row_count:,} open complaints, 120x40 console, "
              f"{table.size.height} rows a page, key to painted):")
        for label, step in (("page down", 1), ("page up", -1)):
            times = [await timed(table, lambda: table.action_page(step)) for _ in range(presses)]
            print(f"  {label:9s} median {statistics.median(times) * 1000:6.1f} ms   "
                  f"worst {max(times) * 1000:6.1f} ms   ({presses} presses)")
        jump = await timed(table, lambda: table.action_jump(-1))
        print(f"  end       {jump * 1000:6.1f} ms (jump to the last row)")
        times = [await timed(table, lambda: table.action_page(-1)) for _ in range(presses)]
        print(f"  page up from the end: median {statistics.median(times) * 1000:6.1f} ms   "
              f"worst {max(times) * 1000:6.1f} ms")
        table.action_jump(0)
        await paint(table)
        await app.workers.wait_for_complete()
        times = [await timed(table, lambda: table.action_page(1), pause=False)
                 for _ in range(presses)]
        print(f"  page down held (no pause between presses): median "
              f"{statistics.median(times) * 1000:6.1f} ms   worst {max(times) * 1000:6.1f} ms")
    desk.close()


def search(db: Path, runs: int) -> None:
    from complaintdesk.process.desk import open_desk
    from complaintdesk.process.queue import open_queue, QueueFilter

    desk = open_desk(db)
    from sqlalchemy import text

    with desk.store.engine.connect() as conn:
        total = conn.execute(text("SELECT max(id) FROM complaint")).scalar()
        name, contact, number = conn.execute(text(
            "SELECT customer_name, contact, number FROM complaint WHERE id >= :id ORDER BY id LIMIT 1"),
            {"id": total // 2}).one()
    # A customer's name, phone as saved, its last four digits (what a caller often
    # gives), a number and a day's numbers.
    terms = SEARCH_TERMS + [name, contact, contact[-4:], number, number[:11]]
    for closed_too, label in ((False, "the open queue (the default)"),
                              (True, "with 'closed too' (key c): every complaint")):
        print(f"search of {label}: count + first page of 50, median and worst of {runs}; "
              f"a count stops at 10,000:")
        for term in terms:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                queue = open_queue(desk, QueueFilter(search=term, include_closed=closed_too))
                count = queue.count()
                queue.page(0, 50)
                times.append(time.perf_counter() - start)
            print(f"  {term:14s} {count:9,} matches   median {statistics.median(times) * 1000:7.1f} ms"
                  f"   worst {max(times) * 1000:7.1f} ms")
    desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True,
                        help="a database made with demo: a file or a postgresql:// URL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--search-only", action="store_true", help="only the search figures")
    args = parser.parse_args()
    if "://" not in args.db:
        if not Path(args.db).exists():
            raise SystemExit(f"no database at {args.db}: make one with complaintdesk demo --count N")
        print(f"database: {args.db} ({Path(args.db).stat().st_size / 1e6:,.0f} MB)")
    else:
        print(f"database: {args.db}")
    if not args.search_only:
        startup(args.db, args.runs)
        asyncio.run(paging(args.db, args.presses))
    search(args.db, args.runs)


if __name__ == "__main__":
    main()
