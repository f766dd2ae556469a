"""The paper forms, for ``complaintdesk print``: 《客户投诉记录单》 and 《客户投诉处理单》.

Two renderings of the same fields (process.md §1 and §5):

- ``render_text`` — boxed plain text at a fixed total width, for a terminal or a
  line printer. Every line of a form has exactly that display width (CJK = two
  cells, measured with ``text.display_width`` like the rest of the product);
  long texts wrap inside their cell, newlines start a new line inside the box,
  tabs become spaces.
- ``render_html`` — a complete printable page (A4 print stylesheet, bordered
  tables like the paper forms). Every value is escaped with
  ``html.escape(quote=True)``.

Values are printed as the core stored them: nothing is removed. Only
characters that would break the layout are made visible instead (a stray
control character becomes its Control Pictures sign, e.g. ␛); the core has
already removed those, so for stored data this changes nothing.

The forms: the record form, then one handling sheet per round (oldest first,
the current round last). When the current round has no sheet yet, a blank
sheet (identifying fields only) is printed to be filled in by hand. Signature
lines for 受理人员, 部门经理, 主管 and 客户 close every sheet.
"""

from __future__ import annotations

import html
from datetime import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from complaintdesk.process.complaints import ComplaintRecord
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Category, Channel, HandlingMethod, Priority, Status
from complaintdesk.store.models import Complaint, HandlingSheet
from complaintdesk.domain.money import format_amount
from complaintdesk.reports.labels import SheetState, label, time_text
from complaintdesk.domain.text import display_width, wrap_text
from complaintdesk.process.workflow import Handling, sheet_number

DEFAULT_WIDTH = 78
MIN_WIDTH = 60
MAX_WIDTH = 200
TAB = "    "  # a tab inside a cell: four spaces (tab stops mean nothing in a box)

RECORD_TITLE = "客户投诉记录单"
SHEET_TITLE = "客户投诉处理单"
CHECKED, UNCHECKED = "[√]", "[ ]"

SIGNATURES = ("受理人员(签字)", "部门经理(签字)", "主管(签字)", "客户(签字)")

# Characters that would break a line or reorder it; shown, never dropped.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# ------------------------------------------------------------------ the fields

@dataclass(frozen=True)
class Field:
    """One printed field: its label and the value as it is shown."""

    label: str
    value: str


@dataclass(frozen=True)
class Pair:
    """Two short fields that share a row of the paper form."""

    left: Field
    right: Field


@dataclass(frozen=True)
class Long:
    """A field that takes the whole row; ``room`` lines are left when it is empty."""

    field: Field
    room: int = 1


@dataclass(frozen=True)
class Choices:
    """Tick boxes on a row of their own: ``[√] 退货``. An item never breaks."""

    label: str
    items: tuple[str, ...]


Row = Pair | Long | Field | Choices  # Field: a one-line field on a row of its own


@dataclass(frozen=True)
class Form:
    title: str
    rows: list[Row]
    signatures: bool = False


def _person(record: ComplaintRecord, login: str | None) -> str:
    if not login:
        return ""
    name = record.staff_names.get(login, login)
    return name if name == login else f"{name}（{login}）"


def record_form(record: ComplaintRecord, desk: Desk) -> Form:
    """《客户投诉记录单》: the process.md §1 fields in form order, plus type,
    priority, product and quantity."""
    c = record.complaint
    return Form(RECORD_TITLE, [
        Pair(Field("投诉客户名称", c.customer_name), Field("营业地址", c.address)),
        Pair(Field("受理日期", time_text(desk, c.received_at)), Field("受理编号", c.number)),
        Pair(Field("投诉方式", label(Channel, c.channel)), Field("客户联系方式", c.contact)),
        Pair(Field("投诉类型", label(Category, c.category)),
             Field("紧急程度", label(Priority, c.priority))),
        Pair(Field("品名", c.product), Field("数量", "" if c.quantity is None else str(c.quantity))),
        Long(Field("投诉理由(事件经过)", c.event), room=3),
        Long(Field("投诉要求", c.demand), room=2),
        Field("部门受理人员(签字)", _person(record, c.received_by)),
        Pair(Field("当前状态", label(Status, c.status)),
             Field("打印时间", time_text(desk, desk.now()))),
    ])


def methods(code: str | None) -> Choices:
    """处理方式 ``[ ] 赔偿  [√] 退货  [ ] 折价  [ ] 其他``: all four, the chosen one ticked."""
    return Choices("处理方式", tuple(f"{CHECKED if m.value == code else UNCHECKED} {m.label}"
                                     for m in HandlingMethod))


def _signed(record: ComplaintRecord, desk: Desk, text: str | None, login: str | None,
            at: datetime | None) -> str:
    """An opinion as the form prints it: the text, then ——who and when."""
    if not text:
        return ""
    when = time_text(desk, at) if at is not None else ""
    return f"{text}\n——{_person(record, login)} {when}".rstrip()


def _decision(record: ComplaintRecord, desk: Desk, sheet: HandlingSheet, text: str | None) -> str:
    """实施意见 (or 退回原因), signed; a plan approved twice shows both approvals."""
    first = ""
    if sheet.first_decided_by:
        first = "一级审批：" + _signed(record, desk, sheet.first_opinion, sheet.first_decided_by,
                                      sheet.first_decided_at)
        if not text:
            return first
        return f"{first}\n二级审批：{_signed(record, desk, text, sheet.decided_by, sheet.decided_at)}"
    return _signed(record, desk, text, sheet.decided_by, sheet.decided_at)


def sheet_form(record: ComplaintRecord, desk: Desk, sheet: HandlingSheet | None,
               rounds: int = 1) -> Form:
    """《客户投诉处理单》 of one round; ``sheet=None`` gives the blank form of the
    current round (identifying fields filled, the rest left to write by hand)."""
    c: Complaint = record.complaint
    round_ = sheet.round if sheet is not None else c.round
    title = SHEET_TITLE if rounds <= 1 else f"{SHEET_TITLE}（第 {round_} 轮）"
    if sheet is None:
        department = desk.config.department_name(c.department) if c.department else ""
        rows: list[Row] = [
            Pair(Field("客户名称", c.customer_name), Field("处理单编号", sheet_number(c))),
            Pair(Field("受理编号", c.number), Field("处理日期", "")),
            Pair(Field("处理部门", department), Field("处理单状态", "未拟定")),
            Pair(Field("品名", ""), Field("数量", "")),
            methods(None),
            Pair(Field("损失金额", ""), Field("拟定人", "")),
        ]
        texts = dict.fromkeys(("投诉处理结果", "受理人员意见", "部门经理意见", "客户意见",
                               "实施意见"), "")
    else:
        rows = [
            Pair(Field("客户名称", c.customer_name), Field("处理单编号", sheet.sheet_number)),
            Pair(Field("受理编号", c.number),
                 Field("处理日期", time_text(desk, sheet.handling_date, "%Y-%m-%d"))),
            Pair(Field("处理部门", desk.config.department_name(sheet.department)),
                 Field("处理单状态", label(SheetState, sheet.state))),
            Pair(Field("品名", sheet.product),
                 Field("数量", "" if sheet.quantity is None else str(sheet.quantity))),
            methods(sheet.method),
            Pair(Field("损失金额", format_amount(sheet.loss_cents)),
                 Field("拟定人", record.staff_names.get(sheet.drafted_by, sheet.drafted_by))),
        ]
        approved = sheet.state == SheetState.APPROVED
        texts = {
            "投诉处理结果": sheet.result,
            "受理人员意见": sheet.receiver_opinion,
            "部门经理意见": (_signed(record, desk, sheet.manager_opinion, sheet.manager_opinion_by,
                                     sheet.manager_opinion_at)
                             if sheet.manager_opinion_by else sheet.manager_opinion),
            "客户意见": sheet.customer_opinion,
            "实施意见": _decision(record, desk, sheet,
                                  sheet.implementation_opinion if approved else None),
        }
        if sheet.state == SheetState.RETURNED and sheet.return_reason:
            texts["退回原因"] = _decision(record, desk, sheet, sheet.return_reason)
    rows += [Long(Field(label, value), room=3) for label, value in texts.items()]
    return Form(title, rows, signatures=True)


def forms(record: ComplaintRecord, handling: Handling, desk: Desk) -> list[Form]:
    """The record form, then every round's sheet (newest last); a blank sheet
    for the current round when it has none yet."""
    sheets: list[HandlingSheet | None] = sorted(handling.sheets, key=lambda s: s.round)
    if handling.sheet is None:
        sheets.append(None)
    return [record_form(record, desk)] + [sheet_form(record, desk, s, len(sheets))
                                          for s in sheets]


# ------------------------------------------------------------------ untrusted text

def visible(value: str) -> str:
    """Make characters that would break a line or reorder it visible; drop nothing.

    Line breaks and tabs are kept (the renderers deal with them). The core has
    already removed control characters and bidi overrides from stored texts.
    """
    out = []
    for char in value:
        code = ord(char)
        if char in "\n\t":
            out.append(char)
        elif code < 0x20:
            out.append(chr(0x2400 + code))  # ␀ … ␟
        elif code == 0x7F:
            out.append("\u2421")  # ␡
        elif 0x80 <= code <= 0x9F or char in _BIDI:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


# ------------------------------------------------------------------ plain text

def wrap(value: str, width: int) -> list[str]:
    """Lines of at most ``width`` display cells, with the characters that would
    break or reorder a line made visible and tabs as spaces (``text.wrap_text``:
    Chinese line-breaking rules, Latin words kept whole)."""
    return wrap_text(visible(value).replace("\t", TAB), width)


def _fit(value: str, width: int) -> str:
    """Pad to exactly ``width`` cells (CJK-aware)."""
    return value + " " * (width - display_width(value))


@dataclass(frozen=True)
class _Cell:
    text: str
    width: int  # cells between the separators, one space of padding each side
    room: int = 1
    center: bool = False


def _boundaries(cells: list[_Cell]) -> set[int]:
    """Positions (inside the outer border) of the vertical lines between cells."""
    points, at = set(), 0
    for cell in cells[:-1]:
        at += cell.width
        points.add(at)
        at += 1
    return points


def _rule(inner: int, above: set[int], below: set[int], left: str, right: str,
          up: str = "┴", down: str = "┬", cross: str = "┼") -> str:
    chars = []
    for i in range(inner):
        if i in above and i in below:
            chars.append(cross)
        elif i in above:
            chars.append(up)
        elif i in below:
            chars.append(down)
        else:
            chars.append("─")
    return left + "".join(chars) + right


def _row_lines(cells: list[_Cell]) -> list[str]:
    wrapped = []
    for cell in cells:
        lines = wrap(cell.text, cell.width - 2) if cell.text else [""] * cell.room
        wrapped.append(lines)
    height = max(len(lines) for lines in wrapped)
    out = []
    for i in range(height):
        parts = []
        for cell, lines in zip(cells, wrapped):
            line = lines[i] if i < len(lines) else ""
            if cell.center:
                left = (cell.width - 2 - display_width(line)) // 2
                line = " " * left + line
            parts.append(" " + _fit(line, cell.width - 2) + " ")
        out.append("│" + "│".join(parts) + "│")
    return out


class _Grid:
    """Column widths for one total width: a label column, and for two fields
    on a row (from 72 cells wide) a second, narrower label column."""

    LABEL = 20  # 投诉理由(事件经过) is 18 cells
    LABEL2 = 14  # 客户联系方式 is 12 cells

    def __init__(self, width: int):
        self.inner = width - 2
        self.paired = width >= 72
        values = self.inner - self.LABEL - self.LABEL2 - 3
        self.value1 = values // 2
        self.value2 = values - self.value1

    def rows(self, row: Row) -> list[list[_Cell]]:
        if isinstance(row, Pair):
            if not self.paired:
                return self.rows(row.left) + self.rows(row.right)
            return [[_Cell(row.left.label, self.LABEL), _Cell(row.left.value, self.value1),
                     _Cell(row.right.label, self.LABEL2), _Cell(row.right.value, self.value2)]]
        if isinstance(row, Choices):
            room = self.inner - self.LABEL - 3
            value = next((sep.join(row.items) for sep in ("  ", " ")
                          if display_width(sep.join(row.items)) <= room), "\n".join(row.items))
            return [[_Cell(row.label, self.LABEL), _Cell(value, self.inner - self.LABEL - 1)]]
        field, room = (row.field, row.room) if isinstance(row, Long) else (row, 1)
        return [[_Cell(field.label, self.LABEL),
                 _Cell(field.value, self.inner - self.LABEL - 1, room=room)]]


def signature_lines(content_width: int) -> list[str]:
    """``受理人员(签字)：______  日期：______`` for each signer, filling the width."""
    date = "日期：" + "_" * 14
    lines = []
    for signer in SIGNATURES:
        label = f"{signer}："
        blank = content_width - display_width(label) - 2 - display_width(date)
        lines += ["", label + "_" * blank + "  " + date]
    return lines


def _render_form(form: Form, width: int) -> list[str]:
    grid = _Grid(width)
    inner = grid.inner
    rows: list[list[_Cell]] = [[_Cell(form.title, inner, center=True)]]
    for row in form.rows:
        rows += grid.rows(row)
    if form.signatures:
        rows.append([_Cell("\n".join(signature_lines(inner - 2)), inner)])
    lines = [_rule(inner, set(), _boundaries(rows[0]), "┌", "┐")]
    for index, cells in enumerate(rows):
        if index:
            lines.append(_rule(inner, _boundaries(rows[index - 1]), _boundaries(cells),
                               "├", "┤"))
        lines += _row_lines(cells)
    lines.append(_rule(inner, _boundaries(rows[-1]), set(), "└", "┘"))
    return lines


def render_text(record: ComplaintRecord, handling: Handling, desk: Desk,
                width: int = DEFAULT_WIDTH) -> str:
    """The forms as boxed plain text, ``width`` display cells wide.

    Args:
        record: from ``complaints.get_complaint`` (names of the staff involved).
        handling: from ``workflow.get_handling`` (the sheets of every round).
        desk: for the time zone, department names and the print time.
        width: total width in cells, MIN_WIDTH–MAX_WIDTH; every line of a form
            has exactly this display width. Forms are separated by a blank line.

    Raises:
        ValueError: the width is out of range.
    """
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"宽度应在 {MIN_WIDTH} 到 {MAX_WIDTH} 之间")
    blocks = ["\n".join(_render_form(form, width)) for form in forms(record, handling, desk)]
    return "\n\n".join(blocks) + "\n"


# ------------------------------------------------------------------ HTML

_STYLE = """
@page { size: A4; margin: 15mm 15mm 18mm; }
* { box-sizing: border-box; }
body { margin: 0; color: #000; background: #fff;
       font: 11pt/1.5 "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif; }
section.form { padding: 0; }
section.form + section.form { break-before: page; page-break-before: always; }
h1 { text-align: center; font-size: 18pt; letter-spacing: 0.4em; margin: 0 0 5mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 1px solid #000; padding: 1.5mm 2.5mm; vertical-align: top; text-align: left; }
col.label { width: 27mm; }
th { font-weight: normal; background: #f2f2f2; }
td { white-space: pre-wrap; overflow-wrap: anywhere; tab-size: 4; }
td.room { height: 22mm; }
td.choices { white-space: normal; }
.choice { display: inline-block; white-space: pre; margin-right: 2em; }
td.signatures { padding: 4mm 2.5mm 2mm; white-space: normal; }
.signature { display: flex; align-items: flex-end; gap: 2mm; margin: 0 0 5mm; white-space: nowrap; }
.signature .line { flex: 1; border-bottom: 1px solid #000; height: 1.2em; }
.signature .date { flex: 0 0 32mm; border-bottom: 1px solid #000; height: 1.2em; }
.signature .who { flex: 0 0 30mm; }
@media screen { body { max-width: 210mm; margin: 10mm auto; padding: 0 10mm; }
                section.form { margin-bottom: 15mm; } }
@media print { th { background: #f2f2f2; -webkit-print-color-adjust: exact;
                    print-color-adjust: exact; } }
"""


def _e(value: str) -> str:
    return html.escape(visible(value), quote=True)


def _html_rows(form: Form) -> Iterable[str]:
    for row in form.rows:
        if isinstance(row, Pair):
            yield (f"<tr><th>{_e(row.left.label)}</th><td>{_e(row.left.value)}</td>"
                   f"<th>{_e(row.right.label)}</th><td>{_e(row.right.value)}</td></tr>")
            continue
        if isinstance(row, Choices):
            items = "".join(f'<span class="choice">{_e(item)}</span>' for item in row.items)
            yield f'<tr><th>{_e(row.label)}</th><td colspan="3" class="choices">{items}</td></tr>'
            continue
        field, room = (row.field, row.room) if isinstance(row, Long) else (row, 1)
        attr = ' class="room"' if room > 1 and not field.value else ""
        yield f'<tr><th>{_e(field.label)}</th><td colspan="3"{attr}>{_e(field.value)}</td></tr>'
    if form.signatures:
        signs = "".join(
            f'<div class="signature"><span class="who">{_e(s)}：</span>'
            f'<span class="line"></span><span>日期：</span><span class="date"></span></div>'
            for s in SIGNATURES)
        yield f'<tr><td colspan="4" class="signatures">{signs}</td></tr>'


def render_html(record: ComplaintRecord, handling: Handling, desk: Desk) -> str:
    """The forms as one printable HTML page (UTF-8, A4), every value escaped.

    Each form is a bordered table like the paper; each sheet starts a new page.
    """
    number = record.complaint.number
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(RECORD_TITLE)} {_e(number)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
    ]
    for form in forms(record, handling, desk):
        parts.append('<section class="form">')
        parts.append(f"<h1>{_e(form.title)}</h1>")
        parts.append('<table><colgroup><col class="label"><col><col class="label"><col>'
                     "</colgroup><tbody>")
        parts.extend(_html_rows(form))
        parts.append("</tbody></table></section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


__all__ = ["DEFAULT_WIDTH", "MAX_WIDTH", "MIN_WIDTH", "Choices", "forms", "methods",
           "record_form", "render_html", "render_text", "sheet_form", "signature_lines",
           "visible", "wrap"]
