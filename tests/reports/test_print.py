"""``complaintdesk print``: the 《客户投诉记录单》 and 《客户投诉处理单》 as paper forms.

The text forms must line up in display width (CJK = two cells) whatever the
customer typed, keep every character of it, and the HTML page must show
hostile text literally (escaped), never as markup.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from complaintdesk.process import staffing
from complaintdesk.process import workflow
from complaintdesk.process.complaints import get_complaint
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.reports.printing import render_html, render_text, wrap
from complaintdesk.domain.text import display_width
from tests.helpers import register

RECORD_LABELS = ("客户投诉记录单", "投诉客户名称", "营业地址", "受理日期", "受理编号", "投诉方式",
                 "客户联系方式", "投诉理由(事件经过)", "投诉要求", "部门受理人员(签字)",
                 "投诉类型", "紧急程度", "品名", "数量")
SHEET_LABELS = ("客户投诉处理单", "客户名称", "处理单编号", "处理部门", "处理日期", "投诉处理结果",
                "受理人员意见", "部门经理意见", "客户意见", "处理方式", "赔偿", "退货", "折价",
                "其他", "损失金额", "品名", "数量", "实施意见")
SIGNATURES = ("受理人员(签字)：", "部门经理(签字)：", "主管(签字)：", "客户(签字)：", "日期：")
HOSTILE_NAME = "<script>alert(\"x\")</script> &amp; \"双\" 'single' [b]粗[/b]"


# ------------------------------------------------------------------ helpers

def staff_for_handling(desk, admin) -> None:
    staffing.add_staff(desk, admin.login, "handler1", "质量小李", "handler", "quality")
    staffing.add_staff(desk, admin.login, "sup1", "张主管", "supervisor")
    staffing.add_staff(desk, admin.login, "sup2", "刘主管", "supervisor")


def handle_to_approval(desk, counter: str, number: str, result: str = "同意退货，补发新品三只。"):
    """counter judges ours → sup1 dispatches → handler1 investigates and submits → sup2 approves."""
    workflow.judge_ours(desk, counter, number, department="quality", customer_told=True)
    workflow.dispatch(desk, "sup1", number, handler="handler1")
    workflow.record_investigation(desk, "handler1", number, {
        "facts": "三只玻璃杯破损属实", "root_cause": "包装缓冲不足", "finding": "我方责任",
        "report": "更换包装材料"})
    workflow.submit_sheet(desk, "handler1", number, {
        "result": result, "receiver_opinion": "客户情绪平稳，同意方案。", "method": "return",
        "loss_amount": "1234.5", "product": "玻璃杯", "quantity": 3})
    workflow.approve_plan(desk, "sup2", number, opinion="同意，三日内完成退货并补发。")


def printed(desk, number: str, width: int = 78) -> str:
    return render_text(get_complaint(desk, number), workflow.get_handling(desk, number), desk,
                       width)


def page(desk, number: str) -> str:
    return render_html(get_complaint(desk, number), workflow.get_handling(desk, number), desk)


def forms_of(text: str) -> list[list[str]]:
    """The boxed forms of a printout: blocks of lines separated by a blank line."""
    assert text.endswith("\n")
    return [block.split("\n") for block in text[:-1].split("\n\n")]


def assert_boxes_line_up(text: str, width: int) -> None:
    for lines in forms_of(text):
        assert lines[0].startswith("┌") and lines[-1].startswith("└")
        for line in lines:
            assert display_width(line) == width, line
            assert line[0] in "┌│├└" and line[-1] in "┐│┤┘", line


def cell_text(text: str, label: str) -> list[str]:
    """The value lines of the full-width row that ``label`` heads (padding kept)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"│ {label} "))
    values = []
    for line in lines[start:]:
        if not line.startswith("│"):
            break
        values.append(line[line.index("│", 1) + 1:-1])
    return values


def no_space(value: str) -> str:
    return re.sub(r"\s", "", value)


# ------------------------------------------------------------------ text

def test_a_new_complaint_prints_its_record_and_a_blank_sheet(desk, admin, counter):
    number = register(desk, counter).number
    text = printed(desk, number)
    for label in RECORD_LABELS + SHEET_LABELS + SIGNATURES:
        assert label in text, label
    assert_boxes_line_up(text, 78)
    record, sheet = forms_of(text)
    assert "客户投诉记录单" in record[1] and "客户投诉处理单" in sheet[1]
    assert number in "\n".join(record) and "柜台小王（counter1）" in "\n".join(record)
    assert "CL-" + number.removeprefix("TS-") + "-1" in "\n".join(sheet)
    assert "[ ] 赔偿  [ ] 退货  [ ] 折价  [ ] 其他" in text and "[√]" not in text
    assert "未拟定" in text


def test_an_approved_sheet_prints_method_amount_and_opinion(desk, admin, counter):
    staff_for_handling(desk, admin)
    number = register(desk, counter).number
    handle_to_approval(desk, counter, number)
    text = printed(desk, number)
    assert_boxes_line_up(text, 78)
    assert len(forms_of(text)) == 2  # no blank sheet: the round has its sheet
    assert "¥1,234.50" in text
    assert "[ ] 赔偿  [√] 退货  [ ] 折价  [ ] 其他" in text
    assert no_space("".join(cell_text(text, "实施意见"))).startswith("同意，三日内完成退货并补发。")
    assert "刘主管（sup2）" in text and "已批准" in text and "质量管理部" in text
    for label in SHEET_LABELS + SIGNATURES:
        assert label in text, label


def test_every_round_is_printed_newest_last_with_a_blank_sheet_for_the_new_round(
        desk, admin, counter):
    staff_for_handling(desk, admin)
    number = register(desk, counter).number
    handle_to_approval(desk, counter, number)
    workflow.inform_customer(desk, counter, number, how="phone")
    workflow.record_customer_opinion(desk, counter, number, agreed=False, opinion="赔偿太少")
    text = printed(desk, number)
    assert_boxes_line_up(text, 78)
    titles = [line for block in forms_of(text) for line in block[1:2]]
    assert [t.strip("│ ") for t in titles] == [
        "客户投诉记录单", "客户投诉处理单（第 1 轮）", "客户投诉处理单（第 2 轮）"]
    first, second = forms_of(text)[1:]
    assert "¥1,234.50" in "\n".join(first) and "赔偿太少" in "\n".join(first)
    assert "未拟定" in "\n".join(second) and f"CL-{number[3:]}-2" in "\n".join(second)


@pytest.mark.parametrize("width", [60, 71, 72, 78, 120, 200])
def test_hostile_text_wraps_inside_the_box_and_survives(desk, admin, counter, hostile_text,
                                                        width):
    staff_for_handling(desk, admin)
    number = register(desk, counter, event=hostile_text, demand=hostile_text,
                      customer_name="繁體客戶[b]有限公司😡", address="\t地址\n第二行").number
    handle_to_approval(desk, counter, number, result=hostile_text)
    text = printed(desk, number, width)
    assert_boxes_line_up(text, width)
    assert "\t" not in text
    for label in ("投诉理由(事件经过)", "投诉要求", "投诉处理结果"):
        lines = cell_text(text, label)
        content = width - 25  # the box, the label column, the padding
        assert len(lines) >= display_width(hostile_text) // content  # wrapped, not cut
        assert no_space("".join(lines)) == no_space(hostile_text)
        # The newline in the text starts a new line; its tab became spaces.
        assert any(line.startswith("     缩进的第二行") for line in lines)


def test_wrap_measures_display_width_not_characters():
    lines = wrap("投诉" * 30, 20)
    assert lines[0] == "投诉" * 5 and all(display_width(x) <= 20 for x in lines)
    assert wrap("a\tb\nc", 10) == ["a    b", "c"]
    assert wrap("退货退货退货退货，补发", 16) == ["退货退货退货退", "货，补发"]  # no line starts with ，
    assert wrap("hello wonderful world", 12) == ["hello", "wonderful", "world"]


def test_width_out_of_range_is_refused(desk, admin, counter):
    number = register(desk, counter).number
    with pytest.raises(ValueError):
        printed(desk, number, 59)


# ------------------------------------------------------------------ HTML

def test_html_is_a_complete_printable_page(desk, admin, counter):
    staff_for_handling(desk, admin)
    number = register(desk, counter).number
    handle_to_approval(desk, counter, number)
    out = page(desk, number)
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in out and "size: A4" in out and "@page" in out
    for label in RECORD_LABELS + SHEET_LABELS + SIGNATURES:
        assert html.escape(label) in out, label
    assert "¥1,234.50" in out and "[√] 退货" in out and "同意，三日内完成退货并补发。" in out


def test_html_escapes_every_value(desk, admin, counter, hostile_text):
    number = register(desk, counter, customer_name=HOSTILE_NAME, event=hostile_text,
                      demand=hostile_text, product="<i>杯</i>").number
    out = page(desk, number)
    assert "<script" not in out and "<b>html" not in out and "<i>杯" not in out
    assert html.escape(HOSTILE_NAME, quote=True) in out
    assert "&amp;amp;" in out and "&quot;双&quot;" in out and "&#x27;single&#x27;" in out
    assert "[b]粗[/b]" in out
    assert html.escape(hostile_text, quote=True) in out  # whole, with its newline and tab
    # The page's own tags only: every "<" starts a tag name or doctype / closing tag.
    assert not re.search(r"<(?![a-z/!])", out)


# ------------------------------------------------------------------ the command

ME = staffing.os_login()
needs_valid_login = pytest.mark.skipif(not staffing.LOGIN_RE.match(ME),
                                       reason=f"OS login {ME!r} is not a valid staff login")


@pytest.fixture
def env(tmp_path) -> dict:
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    values = {k: v for k, v in os.environ.items() if k != "COMPLAINTDESK_DB"}
    values.update(COMPLAINTDESK_CONFIG=str(config), USER="admin1", LOGNAME="admin1",
                  PYTHONIOENCODING="")
    return values


@pytest.fixture
def db(tmp_path) -> Path:
    """A database as ``complaintdesk init`` makes it (no other command creates one)."""
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process.desk import open_desk

    path = tmp_path / "cli.db"
    open_desk(path, DeskConfig()).close()
    return path


def run(env, db, *args) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "complaintdesk", "--db", str(db), *args],
                          capture_output=True, env=env, timeout=120)
    done.out = done.stdout.decode("utf-8")  # type: ignore[attr-defined]
    done.err = done.stderr.decode("utf-8")  # type: ignore[attr-defined]
    return done


def handled_complaint(db: Path, me_as: str | None = None) -> str:
    """A database whose first user is admin1; the OS user is ``me_as`` staff (or
    the admin when None); one complaint taken to approval."""
    desk = open_desk(db, DeskConfig(timezone_name="Asia/Shanghai"))
    try:
        admin = staffing.sign_in(desk, "admin1")
        if me_as is not None:
            staffing.add_staff(desk, "admin1", ME, "我自己", me_as,
                               "quality" if me_as == "handler" else None)
        staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")
        staff_for_handling(desk, admin)
        number = register(desk, "counter1", customer_name=HOSTILE_NAME).number
        handle_to_approval(desk, "counter1", number)
        return number
    finally:
        desk.close()


@needs_valid_login
def test_print_command_writes_the_forms(env, db):
    number = handled_complaint(db, me_as="handler")
    done = run(env, db, "print", number)
    assert done.returncode == 0, done.err
    assert done.err == ""
    assert_boxes_line_up(done.out, 78)
    for label in RECORD_LABELS + SHEET_LABELS + SIGNATURES:
        assert label in done.out, label
    assert number in done.out and "¥1,234.50" in done.out and "[√] 退货" in done.out
    assert "<script>alert(" in done.out and "\x1b" not in done.out  # literal, wrapped

    wide = run(env, db, "print", number, "--width", "120")
    assert wide.returncode == 0, wide.err
    assert_boxes_line_up(wide.out, 120)


@needs_valid_login
def test_print_command_html(env, db):
    number = handled_complaint(db, me_as="counter")
    done = run(env, db, "print", number, "--html")
    assert done.returncode == 0, done.err
    assert done.out.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in done.out
    assert "<script" not in done.out and html.escape(HOSTILE_NAME, quote=True) in done.out


def test_print_of_an_unknown_number_is_a_one_line_error(env, db):
    done = run(env, db, "print", "TS-19990101-0001")
    assert done.returncode == 1 and done.out == ""
    assert "Traceback" not in done.err
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("complaintdesk: ")
    assert "TS-19990101-0001" in lines[0]


def test_print_width_out_of_range_is_a_usage_error(env, db):
    done = run(env, db, "print", "TS-19990101-0001", "--width", "59")
    assert done.returncode == 2 and "Traceback" not in done.err and done.out == ""


def test_print_needs_an_active_staff_account(env, db):
    handled_complaint(db)  # the OS user is not staff
    done = run(env, db, "print", "TS-19990101-0001")
    assert done.returncode == 1 and done.out == "" and "Traceback" not in done.err
    assert f"complaintdesk staff add {ME}" in done.err
