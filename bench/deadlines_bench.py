"""Deadlines as the desk counts them: worked examples and the cost per registration.

    .venv/bin/python bench/deadlines_bench.py [--config FILE] [--count N]

Prints (asserts nothing; tests never assert on time):

* the worked examples: for registration moments around 国庆 2026 and 春节 2026, each
  priority's first-response, department-investigation (as if dispatched at once) and
  handling deadlines, on the default configuration (or ``--config``);
* the cost of computing a registration's deadlines (``config.deadlines_for``, what
  registration calls) over ``--count`` receiving times spread over two years: the
  first pass (each day's working-day count computed once) and a second pass (cached),
  per registration.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from complaintdesk.domain.config import DeskConfig, deadlines_for, load_config  # noqa: E402
from complaintdesk.domain.enums import Priority  # noqa: E402

WEEKDAYS = "一二三四五六日"
EXAMPLES = [
    ("国庆 2026", ["2026-09-29 16:00", "2026-09-30 10:00", "2026-10-01 09:30",
                   "2026-10-07 18:00", "2026-10-09 11:00"]),
    ("春节 2026", ["2026-02-12 15:00", "2026-02-13 10:00", "2026-02-14 10:00",
                   "2026-02-17 08:00", "2026-02-24 09:00"]),
]


def _at(config: DeskConfig, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=config.timezone)


def _show(moment: datetime) -> str:
    return f"{moment:%m-%d %H:%M}（周{WEEKDAYS[moment.weekday()]}）"


def worked_examples(config: DeskConfig) -> None:
    calendar = config.calendar
    for title, moments in EXAMPLES:
        print(f"\n【{title}】 registration → first response / investigation / handling")
        for text in moments:
            received = _at(config, text)
            day = calendar.day(received.date())
            kind = "working day" if day.working else f"day off {day.name}".rstrip()
            print(f"  {_show(received)} [{kind}]")
            for priority in Priority:
                limit = config.limits[priority]
                first, resolution = deadlines_for(priority, received, config)
                investigation = received + limit.investigation
                print(f"    {priority.label}  {_show(first)} / {_show(investigation)} / "
                      f"{_show(resolution)}   ({limit.first_response.label()}, "
                      f"{limit.investigation.label()}, {limit.resolution.label()})")


def cost(config: DeskConfig, count: int) -> None:
    rng = random.Random(7)
    start = _at(config, "2025-06-01 00:00")
    moments = [start + timedelta(seconds=rng.randrange(0, 730 * 86400)) for _ in range(count)]
    priorities = [rng.choice(list(Priority)) for _ in range(count)]
    for name in ("first pass (cold)", "second pass (cached)"):
        began = time.perf_counter()
        for moment, priority in zip(moments, priorities):
            deadlines_for(priority, moment, config)
        took = time.perf_counter() - began
        print(f"  {name}: {took:.3f} s for {count:,} registrations = "
              f"{took / count * 1e6:.2f} µs per registration")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="a config.toml (default: the built-in one)")
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    config = load_config(args.config) if args.config else DeskConfig(timezone_name="Asia/Shanghai")
    worked_examples(config)
    print(f"\n【cost】 config.deadlines_for, {args.count:,} receiving times over two years")
    cost(config, args.count)


if __name__ == "__main__":
    main()
