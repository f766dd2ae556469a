"""The 《客户投诉统计表》 written out: JSON, CSV (UTF-8 with a BOM) or a text table.

Rows are streamed: a year of a million complaints is written without holding
them all in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Category, Channel, HandlingMethod, Priority, Satisfaction
from complaintdesk.reports.exporting import jsonl_line
from complaintdesk.domain.money import format_amount
from complaintdesk.reports.figures import NONE, Report, ReportRow
from complaintdesk.reports.spreadsheet import write_table
from complaintdesk.domain.text import display_width, pad

ROW_LABELS = ("日期", "编号", "投诉客户", "投诉内容", "责任单位", "处理方式", "损失金额", "品名", "数量")


def yuan(cents: int | None) -> float | None:
    """Cents as a JSON number of yuan (exact for two decimals below 2**53 cents)."""
    return None if cents is None else round(cents / 100, 2)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} 小时" if value < 48 else f"{value / 24:.1f} 天"


def method_label(code: str | None) -> str:
    return HandlingMethod(code).label if code and code != NONE else ""


def department_label(desk: Desk, code: str | None) -> str:
    if not code or code == NONE:
        return "未定"
    return desk.config.department_name(code)


# ----------------------------------------------------------------- JSON

def summary_dict(report: Report, desk: Desk) -> dict:
    """Everything but the rows, with English codes as keys."""
    p = report.period
    return {
        "period": p.code,
        "period_label": p.label,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "total": report.total,
        "by_category": report.by_category,
        "by_channel": report.by_channel,
        "by_priority": report.by_priority,
        "by_department": report.by_department,
        "by_method": report.by_method,
        "loss_total": yuan(report.loss_total_cents),
        "loss_total_cents": report.loss_total_cents,
        "loss_by_department": {k: yuan(v) for k, v in report.loss_by_department.items()},
        "loss_by_method": {k: yuan(v) for k, v in report.loss_by_method.items()},
        "on_time_rate": report.resolution.rate,
        "on_time": {"on_time": report.resolution.on_time, "late": report.resolution.late},
        "first_response_on_time_rate": report.first_response.rate,
        "first_response": {"on_time": report.first_response.on_time,
                           "late": report.first_response.late},
        "resolved": report.resolved,
        "handling_hours_average": report.handling_hours_avg,
        "handling_hours_median": report.handling_hours_median,
        "closed": report.closed,
        "reopened": report.reopened,
        "reopen_rate": report.reopen_rate,
        "repeat_complaints": report.repeats,
        "revisits_reached": report.revisits_reached,
        "revisits_unreached": report.revisits_unreached,
        "satisfaction_rate": report.satisfaction_rate,
        "satisfaction_attitude": report.attitude,
        "satisfaction_result": report.result,
        "trend": [{"period": code, "total": count} for code, count in report.trend],
        "paused": {"complaints": report.paused, "hours": round(report.paused_hours, 2),
                   "paused_now": report.paused_now, "note": PAUSE_NOTE},
        "staff": [{"login": s.login, "name": s.name, "registered": s.registered,
                   "handled": s.handled, "handled_on_time": s.handled_on_time,
                   "on_time_rate": s.on_time_rate, "revisits": s.revisits,
                   "satisfied": s.satisfied, "satisfaction_rate": s.satisfaction_rate}
                  for s in report.staff],
    }


def row_dict(row: ReportRow, desk: Desk) -> dict:
    return {
        "date": desk.local(row.received_at).date().isoformat(),
        "number": row.number,
        "customer": row.customer_name,
        "content": row.event,
        "department": row.department,
        "method": row.method,
        "loss_amount": yuan(row.loss_cents),
        "product": row.product,
        "quantity": row.quantity,
    }


def write_json(report: Report, rows: Iterable[ReportRow] | None, desk: Desk,
               stream: TextIO) -> None:
    """One JSON object; ``rows`` (omitted when None) streamed one per line."""
    head = json.dumps(summary_dict(report, desk), ensure_ascii=False, indent=1)
    if rows is None:
        stream.write(head + "\n")
        return
    stream.write(head[:-2] + ',\n "rows": [')
    first = True
    for row in rows:
        stream.write("\n  " if first else ",\n  ")
        stream.write(jsonl_line(row_dict(row, desk)))
        first = False
    stream.write("\n ]\n}\n")


# ----------------------------------------------------------------- CSV

def csv_cells(row: ReportRow, desk: Desk) -> list[object]:
    return [desk.local(row.received_at).date().isoformat(), row.number, row.customer_name,
            row.event, department_label(desk, row.department) if row.department else "",
            method_label(row.method),
            "" if row.loss_cents is None else f"{row.loss_cents / 100:.2f}", row.product,
            "" if row.quantity is None else row.quantity]


def write_csv(rows: Iterable[ReportRow], desk: Desk, stream: TextIO) -> int:
    """The per-complaint table under the form's own column labels, safe to open
    in a spreadsheet (see spreadsheet.py). Returns the row count."""
    return write_table(stream, ROW_LABELS, (csv_cells(row, desk) for row in rows))


# ----------------------------------------------------------------- text table

def summary_sections(report: Report, desk: Desk) -> list[tuple[str, list[tuple[str, str]]]]:
    """The summary as titled (label, value) lists; the console and the text table share it."""
    def counts(enum, data: dict[str, int]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return [(m.label, str(data.get(m.value, 0))) for m in enum]

    depts = [(department_label(desk, code), str(count))
             for code, count in report.by_department.items()]
    return [
        ("总体", [
            ("投诉总数", str(report.total)),
            ("首次响应及时率", percent(report.first_response.rate)),
            ("处理及时率", percent(report.resolution.rate)),
            ("平均处理时长", hours(report.handling_hours_avg)),
            ("处理时长中位数", hours(report.handling_hours_median)),
            ("已结案", str(report.closed)),
            ("回访满意率", percent(report.satisfaction_rate)),
            ("重新处理率", percent(report.reopen_rate)),
            ("重复投诉", str(report.repeats)),
            ("损失金额合计", format_amount(report.loss_total_cents)),
            ("暂停计时", paused_text(report)),
        ]),
        ("按投诉类型", counts(Category, report.by_category)),
        ("按投诉渠道", counts(Channel, report.by_channel)),
        ("按紧急程度", counts(Priority, report.by_priority)),
        ("按责任单位", depts),
        ("损失金额（按责任单位）", [(department_label(desk, code), format_amount(cents))
                          for code, cents in report.loss_by_department.items()]),
        ("损失金额（按处理方式）", [(method_label(code) or "未定", format_amount(cents))
                          for code, cents in report.loss_by_method.items()]),
        ("回访评价（态度 / 结果）", [
            (s.label, f"{report.attitude.get(s.value, 0)} / {report.result.get(s.value, 0)}")
            for s in Satisfaction] + [("未联系上", str(report.revisits_unreached))]),
    ]


#: How the paused time is counted: said wherever the 统计表 is shown.
PAUSE_NOTE = ("处理及时率与平均处理时长不含等待客户的暂停时间：暂停期间处理时限顺延，"
              "暂停中的投诉不计超期。")


def paused_text(report: Report) -> str:
    """``3 件，共 52.5 小时（其中 1 件暂停中）``."""
    if not report.paused:
        return "0 件"
    now = f"（其中 {report.paused_now} 件暂停中）" if report.paused_now else ""
    return f"{report.paused} 件，共 {report.paused_hours:.1f} 小时{now}"


STAFF_LABELS = ("员工", "受理", "处理", "按时", "超期", "按时率", "回访", "满意率")
#: What each share in the 员工考核 table is a share of (its cells show part/whole).
STAFF_NOTE = ("按时率 = 按时 ÷（按时 + 超期），处理中且尚未到期的不计入；满意率 = 满意 ÷ 回访；"
              "括号内为（分子/分母）。")


def share(rate: float | None, part: int, whole: int) -> str:
    """``77%（10/13）``: every share says of what."""
    return f"{percent(rate)}（{part}/{whole}）" if whole else percent(rate)


def staff_cells(report: Report) -> list[tuple[str, ...]]:
    return [(s.name, str(s.registered), str(s.handled), str(s.handled_on_time),
             str(s.handled_late),
             share(s.on_time_rate, s.handled_on_time, s.handled_on_time + s.handled_late),
             str(s.revisits),
             share(s.satisfaction_rate, s.satisfied, s.revisits))
            for s in report.staff]


def align_columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Header, rule and rows padded to shared display widths (CJK counts two cells)."""
    widths = [max([display_width(h)] + [display_width(r[i]) for r in rows])
              for i, h in enumerate(header)]
    line = "  ".join(pad(h, w) for h, w in zip(header, widths)).rstrip()
    return [line, "-" * display_width(line),
            *("  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows)]


def _clip(text: str, width: int) -> str:
    out, used = "", 0
    for char in " ".join(text.split()):
        w = display_width(char)
        if used + w > width - 1:
            return out + "…"
        out, used = out + char, used + w
    return out


def render_table(report: Report, rows: Iterable[ReportRow] | None, desk: Desk) -> Iterator[str]:
    """The report as lines of text aligned by display width (CJK takes two cells);
    without the per-complaint table when ``rows`` is None."""
    yield f"《客户投诉统计表》 {report.period.label}（{report.period.code}）"
    yield f"期间 {report.period.span}，统计时间 {report.generated_at:%Y-%m-%d %H:%M}"
    for title, pairs in summary_sections(report, desk):
        yield ""
        yield f"【{title}】"
        label_width = max(display_width(label) for label, _ in pairs)
        for label, value in pairs:
            yield f"  {pad(label, label_width)}  {value}"
        if title == "总体":
            yield "  " + PAUSE_NOTE
    if report.staff:
        yield ""
        yield "【员工考核】"
        yield from ("  " + line for line in align_columns(STAFF_LABELS, staff_cells(report)))
        yield "  " + STAFF_NOTE
    if rows is None:
        return
    yield ""
    yield "【投诉明细】"
    cells = ((c[0], c[1], _clip(str(c[2]), 20), _clip(str(c[3]), 30), str(c[4]), str(c[5]),
              str(c[6]), _clip(str(c[7]), 16), str(c[8]))
             for c in (csv_cells(row, desk) for row in rows))
    header = ROW_LABELS
    widths = (10, 16, 20, 30, 10, 8, 12, 16, 6)
    line = "  ".join(pad(h, w) for h, w in zip(header, widths)).rstrip()
    yield line
    yield "-" * display_width(line)
    for cell in cells:
        yield "  ".join(pad(c, w) for c, w in zip(cell, widths)).rstrip()


__all__ = ["PAUSE_NOTE", "ROW_LABELS", "align_columns", "STAFF_LABELS", "STAFF_NOTE",
           "paused_text", "csv_cells", "department_label", "hours",
           "method_label", "percent", "render_table", "row_dict", "staff_cells",
           "summary_dict", "summary_sections", "write_csv", "write_json", "yuan"]
