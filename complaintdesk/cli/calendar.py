"""``complaintdesk calendar 2026-10``: a month as the desk counts it — which days
are working days (statutory holidays, 调休 make-up working days, the admin's
overrides in the configuration) — as a month grid, or one JSON object per day."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date

from complaintdesk.box.locations import locate_config
from complaintdesk.domain.config import load_config
from complaintdesk.domain.workdays import Day, WorkCalendar

WEEKDAYS = "一二三四五六日"


def month_argument(value: str) -> tuple[int, int]:
    """``2026-10``, ``2026-1``, ``202610`` or ``2026年10月``."""
    match = re.fullmatch(r"\s*(\d{4})(?:-|年|/)?(\d{1,2})月?\s*", value)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
        raise argparse.ArgumentTypeError(f"月份应写成 2026-10 这样的年-月，而不是 {value!r}")
    return int(match.group(1)), int(match.group(2))


def month_grid(calendar: WorkCalendar, year: int, month: int) -> list[str]:
    """The month as lines: a week a row, 休 after a day off, 班 after a 调休 working
    weekend day, then the named days and the count of working days."""
    days = calendar.month(year, month)
    source = "中国大陆法定节假日与调休" if calendar.country == "CN" else "只以周六、周日为休息日"
    if calendar.overrides:
        source += "，加上配置中的调整"
    hours = f"；办公时间 {calendar.hours.label()}" if calendar.hours else ""
    lines = [f"{year}年{month}月（{source}{hours}）", "".join(f" {w}   " for w in WEEKDAYS).rstrip()]
    cells = ["      "] * days[0].date.weekday()
    for day in days:
        cells.append(f"{day.date.day:>2}{_mark(day)}  ")
        if len(cells) == 7:
            lines.append("".join(cells).rstrip())
            cells = []
    if cells:
        lines.append("".join(cells).rstrip())
    lines.append("休 = 不上班（节假日、周末、调休）  班 = 周末调休上班")
    named = [d for d in days if d.name and d.name != "周末"]
    for day in named:
        state = "上班" if day.working else "休息"
        lines.append(f"{day.date.strftime('%m-%d')} {WEEKDAYS[day.date.weekday()]}  {state}  {day.name}")
    working = sum(d.working for d in days)
    lines.append(f"本月工作日 {working} 天，休息日 {len(days) - working} 天。")
    if not calendar.knows(year):
        lines.append(f"注意：节假日库还没有 {year} 年的调休安排（国务院每年 11 月前后公布）："
                     "本月的节日按法定规则推算，调休上班日未知。公布后请在配置文件的 "
                     "[[calendar.days]] 中写入（date、working、name），或升级 holidays 库。")
    return lines


def _mark(day: Day) -> str:
    weekend = day.date.weekday() >= 5
    if not day.working:
        return "休"
    return "班" if weekend else "  "  # two cells, as wide as 休


def day_object(day: Day) -> dict[str, object]:
    return {"date": day.date.isoformat(), "weekday": day.date.isoweekday(),
            "working": day.working, "name": day.name or None}


def cmd_calendar(desk, actor, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    located = locate_config(args.mode)
    config = load_config(located.path) if located.path else load_config(None)
    year, month = args.month or (date.today().year, date.today().month)
    calendar = config.calendar
    if args.format == "json":
        json.dump([day_object(d) for d in calendar.month(year, month)], sys.stdout,
                  ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(month_grid(calendar, year, month)) + "\n")
    return 0


def add_calendar_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    calendar = sub.add_parser(
        "calendar", help="按本台的工作日历显示一个月（节假日、调休、配置中的调整）",
        description="按本台计算时限所用的工作日历显示一个月：中国大陆法定节假日及调休上班日"
                    "（来自 holidays 库），加上配置文件 [calendar] 中管理员的调整。")
    calendar.add_argument("month", nargs="?", type=month_argument, metavar="YYYY-MM",
                          help="月份，如 2026-10（默认本月）")
    calendar.add_argument("--format", choices=("table", "json"), default="table",
                          help="table：月历（默认）；json：每天一个对象（date、weekday、working、name）")
    calendar.set_defaults(func=cmd_calendar, needs_desk=False)


__all__ = ["add_calendar_command", "cmd_calendar", "day_object", "month_argument", "month_grid"]
