"""The 《客户投诉统计表》 (issue 5): figures against a hand count, period edges, time zones,
and the ``report`` command.

The fixture (desk in Asia/Shanghai, "now" 2026-11-23 10:00 +08:00), every figure
below worked out by hand from it:

    X1 2025-12-31 23:30 一般 服务质量 电话   registered only            → 2025
    X2 2026-01-01 00:10 紧急 产品问题 电邮   registered only            → 2026-01 (2025 in UTC)
    X3 2026-09-30 23:59 一般 价格争议 微信   registered only            → 2026-09
    X4 2026-10-01 00:30 重大 产品问题 电话   registered only            → 2026-10 (09 in UTC)
    N1 2026-11-20 09:00 一般 产品问题 电话   ours, 质量管理部, 退货 ¥1,234.50, judged 1 h later,
                                             accepted 11-21 09:00, revisit 满意/基本满意 → closed
    N2 2026-11-21 08:00 紧急 服务质量 微信   not ours, judged 12:00 (2 h limit: late), accepted
                                             then, revisit 基本满意/不满意 → reopened, unresolved
                                             past its 24 h deadline (late)
    N3 2026-11-01 10:00 一般 其他     现场   registered only, both deadlines passed (late)
    N4 2026-11-23 09:00 一般 服务质量 电话   registered only, inside its deadlines (not counted)
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.backends import drop_store_location, new_store_location
from complaintdesk.process import revisits
from complaintdesk.store.sqlite import schema_history
from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.errors import DomainError, PermissionDenied
from complaintdesk.store.models import TIMING_INPUTS, timing_facts
from complaintdesk.reports.output import render_table, summary_dict, write_csv, write_json
from complaintdesk.reports.figures import (build_report, check_reader, iter_report_rows,
                                     parse_period, period_of, report_rows)

from tests.helpers import register
from tests.process.test_core_workflow import INVESTIGATION, SHEET, Clock, add_people, sheet_version

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
ME = staffing.os_login()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def _complaint(desk, when: str, priority: str, category: str, channel: str) -> str:  # type: ignore[no-untyped-def]
    return register(desk, "counter1", received_at=when, priority=priority, category=category,
                    channel=channel).number


@pytest.fixture(scope="module")
def built(tmp_path_factory, backend):  # type: ignore[no-untyped-def]
    path = new_store_location(backend, tmp_path_factory.mktemp("report"))
    clock = Clock(NOW)
    desk = open_desk(path, config=DeskConfig(timezone_name="Asia/Shanghai"), clock=clock)
    try:
        add_people(desk)
        staffing.add_staff(desk, "admin1", ME, "运行测试的人", "supervisor")
        n: dict[str, str] = {}
        n["X1"] = _complaint(desk, "2025-12-31 23:30", "general", "service", "phone")
        n["X2"] = _complaint(desk, "2026-01-01 00:10", "urgent", "product", "email")
        n["X3"] = _complaint(desk, "2026-09-30 23:59", "general", "price", "wechat")
        n["X4"] = _complaint(desk, "2026-10-01 00:30", "major", "product", "phone")
        n["N1"] = _complaint(desk, "2026-11-20 09:00", "general", "product", "phone")
        n["N2"] = _complaint(desk, "2026-11-21 08:00", "urgent", "service", "wechat")
        n["N3"] = _complaint(desk, "2026-11-01 10:00", "general", "other", "onsite")
        n["N4"] = _complaint(desk, "2026-11-23 09:00", "general", "service", "phone")

        clock.now = at("2026-11-20 10:00")
        wf.judge_ours(desk, "counter1", n["N1"], department="quality", customer_told=True)
        wf.dispatch(desk, "sup1", n["N1"], handler="hq")
        wf.record_investigation(desk, "hq", n["N1"], INVESTIGATION)
        wf.save_sheet(desk, "hq", n["N1"], SHEET, sheet_version=None)
        wf.submit_sheet(desk, "hq", n["N1"], SHEET, sheet_version=sheet_version(desk, n["N1"]))
        wf.approve_plan(desk, "sup1", n["N1"], opinion="同意")
        wf.inform_customer(desk, "counter1", n["N1"], how="phone")
        clock.now = at("2026-11-21 09:00")
        wf.record_customer_opinion(desk, "counter1", n["N1"], agreed=True, opinion="同意")
        clock.now = at("2026-11-21 12:00")
        wf.judge_not_ours(desk, "counter1", n["N2"], explanation="快递原因", agreement_method="电话")
        clock.now = at("2026-11-22 09:00")
        revisits.record_revisit(desk, "counter1", n["N1"], method="phone", reached=True,
                                attitude="满意", result="基本满意")
        revisits.record_revisit(desk, "counter1", n["N2"], method="phone", reached=False)
        revisits.record_revisit(desk, "counter1", n["N2"], method="wechat", reached=True,
                                attitude="基本满意", result="不满意", comment="不接受解释")
    finally:
        desk.close()
    yield path, n
    drop_store_location(path)


def desk_on(path: Path, zone: str = "Asia/Shanghai"):  # type: ignore[no-untyped-def]
    return open_desk(path, config=DeskConfig(timezone_name=zone), clock=lambda: NOW)


@pytest.fixture
def desk_sh(built):  # type: ignore[no-untyped-def]
    desk = desk_on(built[0])
    yield desk
    desk.close()


def report_for(desk, code: str):  # type: ignore[no-untyped-def]
    return build_report(desk, parse_period(code, desk.config.timezone))


# ----------------------------------------------------------------- periods

@pytest.mark.parametrize(("text", "kind", "start", "end", "label"), [
    ("2026-11", "month", "2026-11-01", "2026-12-01", "2026年11月"),
    ("2026-1", "month", "2026-01-01", "2026-02-01", "2026年1月"),
    ("2026-12", "month", "2026-12-01", "2027-01-01", "2026年12月"),
    ("2026-Q4", "quarter", "2026-10-01", "2027-01-01", "2026年第四季度"),
    ("2026-q1", "quarter", "2026-01-01", "2026-04-01", "2026年第一季度"),
    (" 2026 ", "year", "2026-01-01", "2027-01-01", "2026年"),
])
def test_periods_parse_in_the_desk_zone(text, kind, start, end, label) -> None:
    period = parse_period(text, SH)
    assert (period.kind, period.start, period.end, period.label) == (
        kind, at(start + " 00:00"), at(end + " 00:00"), label)
    assert parse_period(period.code, SH) == period


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-Q5", "26-11", "2026/11",
                                  "2026-11-01", "abcd", "2026-Q", "[red]2026"])
def test_bad_periods_say_what_is_accepted(text) -> None:
    with pytest.raises(DomainError, match="请写月份 2026-11、季度 2026-Q4 或年份 2026"):
        parse_period(text, SH)


def test_periods_step_and_contain() -> None:
    nov = parse_period("2026-11", SH)
    assert nov.shift(1).code == "2026-12" and nov.shift(2).code == "2027-01"
    assert nov.shift(-11).code == "2025-12"
    assert parse_period("2026-Q1", SH).shift(-1).code == "2025-Q4"
    assert nov.as_kind("quarter").code == "2026-Q4" and nov.as_kind("year").code == "2026"
    assert period_of("month", NOW).code == "2026-11"
    assert [p.code for p in parse_period("2026-Q4", SH).parts()] == [
        "2026-10", "2026-11", "2026-12"]
    assert nov.span == "2026-11-01 至 2026-11-30（UTC+08:00）"


# ----------------------------------------------------------------- figures

def test_month_figures_match_the_hand_count(desk_sh, built) -> None:
    r = report_for(desk_sh, "2026-11")
    assert r.total == 4
    assert r.by_category == {"service": 2, "product": 1, "price": 0, "other": 1}
    assert r.by_channel == {"phone": 2, "email": 0, "onsite": 1, "web": 0, "wechat": 1,
                            "app": 0, "other": 0}
    assert r.by_priority == {"urgent": 1, "major": 0, "general": 3}
    assert r.by_department == {"production": 0, "quality": 1, "rnd": 0, "marketing": 0,
                               "service": 0, "none": 3}
    assert r.by_method["return"] == 1 and r.by_method["none"] == 3
    assert r.loss_total_cents == 123450
    assert r.loss_by_department["quality"] == 123450 and r.loss_by_method["return"] == 123450
    assert (r.first_response.on_time, r.first_response.late) == (1, 2)
    assert (r.resolution.on_time, r.resolution.late) == (1, 2)
    assert r.resolution.rate == pytest.approx(1 / 3)
    assert r.resolved == 1
    assert r.handling_hours_avg == pytest.approx(24.0)
    assert r.handling_hours_median == pytest.approx(24.0)
    assert (r.closed, r.reopened, r.reopen_rate) == (1, 1, 0.25)
    assert (r.revisits_reached, r.revisits_unreached, r.satisfied) == (2, 1, 1)
    assert r.satisfaction_rate == 0.5
    assert r.attitude == {"satisfied": 1, "basic": 1, "dissatisfied": 0}
    assert r.result == {"satisfied": 0, "basic": 1, "dissatisfied": 1}
    assert len(r.trend) == 30 and dict(r.trend)["11-20"] == 1 and sum(c for _, c in r.trend) == 4
    staff = {s.login: s for s in r.staff}
    assert (staff["counter1"].registered, staff["counter1"].revisits,
            staff["counter1"].satisfied) == (4, 2, 1)
    assert (staff["hq"].handled, staff["hq"].handled_on_time, staff["hq"].revisits,
            staff["hq"].satisfaction_rate) == (1, 1, 1, 1.0)


def test_quarter_and_year_edges_in_the_desk_zone(desk_sh) -> None:
    q4 = report_for(desk_sh, "2026-Q4")
    assert q4.total == 5 and q4.by_priority["major"] == 1
    assert (q4.first_response.on_time, q4.first_response.late) == (1, 3)  # X4 unjudged too
    assert q4.trend == [("2026-10", 1), ("2026-11", 4), ("2026-12", 0)]
    assert report_for(desk_sh, "2026-10").total == 1          # X4 at 00:30 on 1 October
    assert report_for(desk_sh, "2026-09").total == 1          # X3 at 23:59 on 30 September
    assert report_for(desk_sh, "2026-Q3").total == 1
    assert report_for(desk_sh, "2026").total == 7
    assert report_for(desk_sh, "2025").total == 1             # X1 at 23:30 on 31 December
    assert report_for(desk_sh, "2026-01").total == 1          # X2 at 00:10 on 1 January
    assert report_for(desk_sh, "2027").total == 0


def test_the_same_file_on_a_desk_in_utc_puts_the_edges_elsewhere(built) -> None:
    desk = desk_on(built[0], "UTC")
    try:
        assert report_for(desk, "2026-10").total == 0   # X4 is 30 September 16:30 UTC
        assert report_for(desk, "2026-09").total == 2
        assert report_for(desk, "2025").total == 2      # X2 is 31 December 16:10 UTC
        assert report_for(desk, "2026").total == 6
    finally:
        desk.close()


def test_an_empty_period_has_zero_counts_and_no_rates(desk_sh) -> None:
    r = report_for(desk_sh, "2024-02")
    assert r.total == 0 and set(r.by_category.values()) == {0}
    assert r.resolution.rate is None and r.satisfaction_rate is None and r.reopen_rate is None
    assert r.handling_hours_avg is None and r.handling_hours_median is None
    assert summary_dict(r, desk_sh)["on_time_rate"] is None


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(store_location) -> None:
    clock = Clock(NOW)
    desk = open_desk(store_location, config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=clock)
    try:
        add_people(desk)
        for hours in (1, 2, 10, 30):
            number = _complaint(desk, "2026-11-02 08:00", "general", "service", "phone")
            clock.now = at("2026-11-02 08:00") + timedelta(hours=hours)
            wf.judge_not_ours(desk, "counter1", number, explanation="x", agreement_method="phone")
        r = report_for(desk, "2026-11")
        assert r.handling_hours_median == pytest.approx(6.0)
        assert r.handling_hours_avg == pytest.approx(43 / 4)
    finally:
        desk.close()


def test_median_of_an_odd_count_counts_only_the_period(store_location) -> None:
    """The median walks every resolved complaint in order of minutes; the shorter ones
    of another month must not count."""
    clock = Clock(NOW)
    desk = open_desk(store_location, config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=clock)
    try:
        add_people(desk)
        for day, minutes in (("2026-11-02", 60), ("2026-11-03", 3000), ("2026-11-04", 181),
                             ("2026-10-30", 5), ("2026-10-31", 7)):
            clock.now = NOW
            number = _complaint(desk, f"{day} 08:00", "general", "service", "phone")
            clock.now = at(f"{day} 08:00") + timedelta(minutes=minutes, seconds=59)
            wf.judge_not_ours(desk, "counter1", number, explanation="x", agreement_method="phone")
        r = report_for(desk, "2026-11")
        assert r.resolved == 3
        assert r.handling_hours_median == pytest.approx(181 / 60)  # seconds dropped
        assert r.handling_hours_avg == pytest.approx((60 + 3000 + 181) / 3 / 60)
        assert report_for(desk, "2026-10").handling_hours_median == pytest.approx(6 / 60)
    finally:
        desk.close()


@pytest.mark.sqlite_only
def test_kept_timing_facts_match_the_rule_and_the_upgrade(built, tmp_path) -> None:
    """Lateness and handling minutes kept by every write equal models.timing_facts of the
    row's times, and the v5 upgrade's SQL computes the same for older files."""
    path = tmp_path / "copy.db"
    path.write_bytes(built[0].read_bytes())
    facts = "first_response_late, resolution_late, handling_minutes"
    times = ", ".join(TIMING_INPUTS)
    conn = sqlite3.connect(path)
    try:
        kept = conn.execute(f"SELECT number, {facts} FROM complaint ORDER BY id").fetchall()
        by_number = {number: rest for number, *rest in kept}
        n = built[1]
        assert by_number[n["N1"]] == [0, 0, 24 * 60]    # judged in 1 h, accepted in 24 h
        assert by_number[n["N2"]] == [1, None, None]    # judged late, reopened: unresolved
        assert by_number[n["N3"]] == [None, None, None]
        for number, *values in conn.execute(f"SELECT number, {times} FROM complaint"):
            parsed = [v if v is None or isinstance(v, int) else datetime.fromisoformat(v)
                      for v in values]  # (paused_minutes is a number)
            assert list(timing_facts(*parsed).values()) == by_number[number], number
        conn.execute(f"UPDATE complaint SET {facts.replace(',', ' = NULL,')} = NULL")
        conn.execute(schema_history.V5_BACKFILL)
        assert conn.execute(f"SELECT number, {facts} FROM complaint ORDER BY id").fetchall() \
            == kept
    finally:
        conn.close()


@pytest.mark.parametrize(("received", "resolved"), [
    ("2026-11-02 08:00:00.999600", "2026-11-02 09:00:00.500000"),  # fractions: 60, not 59
    ("2026-11-02 08:00:59.000000", "2026-11-02 08:01:58.999999"),  # 59 s: 0 minutes
    ("2026-11-02 08:00:00.000000", "2026-11-02 07:58:30.000000"),  # ahead of the clock: 0
    ("2026-11-02 23:59:59.999999", "2026-11-05 00:00:00.000001"),
])
def test_the_upgrade_counts_minutes_as_the_rule_does(received, resolved) -> None:
    """V5_BACKFILL (SQL) and timing_facts (Python) on the awkward cases: fractions of
    a second (SQLite reads times to the millisecond and rounds), and a complaint
    resolved before its receiving time (received up to minutes ahead of the clock)."""
    conn = sqlite3.connect(":memory:")
    columns = ", ".join(TIMING_INPUTS)
    conn.execute(f"CREATE TABLE complaint ({columns}, first_response_late, resolution_late, "
                 "handling_minutes)")
    due = "2026-11-03 08:00:00.000000"
    conn.execute(f"INSERT INTO complaint ({columns}) VALUES (?, ?, ?, ?, NULL, ?, 0)",
                 (received, resolved, due, resolved, due))
    conn.execute(schema_history.V5_BACKFILL)
    [row] = conn.execute("SELECT first_response_late, resolution_late, handling_minutes "
                         "FROM complaint").fetchall()
    times = [datetime.fromisoformat(t) for t in (received, resolved, due, resolved)]
    assert list(timing_facts(times[0], times[1], times[2], times[3], None, times[2]).values()) \
        == list(row)


def test_timing_facts_compare_to_the_microsecond_and_drop_seconds() -> None:
    due = datetime(2026, 11, 2, 8, 0)
    facts = timing_facts(received_at=due - timedelta(hours=2, seconds=30),
                         first_response_at=due + timedelta(microseconds=1),
                         first_response_due=due, resolved_at=due.replace(tzinfo=UTC),
                         handling_due=None, resolution_due=due)
    assert facts == {"first_response_late": 1, "resolution_late": 0, "handling_minutes": 120}


# ----------------------------------------------------------------- rows

def test_rows_in_received_order_with_the_sheet_figures(desk_sh, built) -> None:
    n = built[1]
    period = parse_period("2026-11", SH)
    rows = report_rows(desk_sh, period)
    assert [r.number for r in rows] == [n["N3"], n["N1"], n["N2"], n["N4"]]
    n1 = rows[1]
    assert (n1.department, n1.method, n1.loss_cents, n1.product, n1.quantity) == (
        "quality", "return", 123450, "玻璃杯", 3)
    page1 = report_rows(desk_sh, period, limit=3)
    page2 = report_rows(desk_sh, period, after=(page1[-1].received_at, page1[-1].id), limit=3)
    assert [r.number for r in page1 + page2] == [r.number for r in rows]
    assert [r.number for r in iter_report_rows(desk_sh, period, page=1)] == [r.number for r in rows]


def test_json_csv_and_table_output(desk_sh, built) -> None:
    period = parse_period("2026-11", SH)
    report = build_report(desk_sh, period)
    stream = io.StringIO()
    write_json(report, iter_report_rows(desk_sh, period), desk_sh, stream)
    data = json.loads(stream.getvalue())
    for key in ("period", "total", "by_category", "by_channel", "by_priority", "by_department",
                "loss_total", "on_time_rate", "satisfaction_rate", "reopen_rate", "rows"):
        assert key in data, key
    assert (data["period"], data["total"], data["loss_total"], data["satisfaction_rate"],
            data["reopen_rate"]) == ("2026-11", 4, 1234.5, 0.5, 0.25)
    assert data["rows"][1] == {"date": "2026-11-20", "number": built[1]["N1"],
                               "customer": "北京华联超市", "content": "收到的玻璃杯有三只破损。",
                               "department": "quality", "method": "return",
                               "loss_amount": 1234.5, "product": "玻璃杯", "quantity": 3}
    stream = io.StringIO(newline="")
    assert write_csv(iter_report_rows(desk_sh, period), desk_sh, stream) == 4
    text = stream.getvalue()
    assert text.startswith("\ufeff日期,编号,投诉客户,投诉内容,责任单位,处理方式,损失金额,品名,数量")
    lines = list(csv.reader(io.StringIO(text[1:])))
    assert lines[2] == ["2026-11-20", built[1]["N1"], "北京华联超市", "收到的玻璃杯有三只破损。",
                        "质量管理部", "退货", "1234.50", "玻璃杯", "3"]
    table = list(render_table(report, iter_report_rows(desk_sh, period), desk_sh))
    assert table[0] == "《客户投诉统计表》 2026年11月（2026-11）"
    assert any(line.strip().startswith("回访满意率") and line.endswith("50.0%") for line in table)
    assert any(built[1]["N1"] in line and "¥1,234.50" not in line and "1234.50" in line
               for line in table)


def test_hostile_text_is_written_exactly(tmp_path, store_location, hostile_text) -> None:
    desk = open_desk(store_location, config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=lambda: NOW)
    try:
        staffing.sign_in(desk, "admin1")
        staffing.add_staff(desk, "admin1", "counter1", "柜台", "counter")
        register(desk, "counter1", event=hostile_text, customer_name="[b]客户[/b]😡")
        period = parse_period("2026-11", SH)
        stream = io.StringIO()
        write_json(build_report(desk, period), iter_report_rows(desk, period), desk, stream)
        assert json.loads(stream.getvalue())["rows"][0]["content"] == hostile_text
        stream = io.StringIO(newline="")
        write_csv(iter_report_rows(desk, period), desk, stream)
        assert list(csv.reader(io.StringIO(stream.getvalue()[1:])))[1][3] == hostile_text
    finally:
        desk.close()


def test_only_supervisors_and_admins_read_statistics(desk_sh) -> None:
    check_reader(desk_sh, "sup1")
    check_reader(desk_sh, "admin1")
    for login in ("counter1", "hq"):
        with pytest.raises(PermissionDenied, match="只有客服主管、分管领导、管理员可以查看统计表"):
            check_reader(desk_sh, login)


# ----------------------------------------------------------------- the command

def run(db: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "complaintdesk", "--db", str(db), "report", *args],
                          capture_output=True, env={**__import__("os").environ,
                                                    "COMPLAINTDESK_CONFIG": str(config)},
                          timeout=120)


@pytest.mark.parametrize(("period", "total"), [("2026-11", 4), ("2026-Q4", 5), ("2026", 7)])
def test_report_command_json_matches_the_hand_count(built, tmp_path, period, total) -> None:
    done = run(built[0], tmp_path, "--period", period, "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout.decode("utf-8"))
    assert data["period"] == period and data["total"] == total == len(data["rows"])
    assert data["loss_total"] == 1234.5 and data["reopen_rate"] == pytest.approx(1 / total)
    assert sum(data["by_category"].values()) == total


def test_report_command_csv_to_a_file_and_errors(built, tmp_path) -> None:
    target = tmp_path / "nov.csv"
    done = run(built[0], tmp_path, "--period", "2026-11", "--format", "csv", "-o", str(target))
    assert done.returncode == 0 and "4 条投诉" in done.stderr.decode()
    assert target.read_bytes().startswith("\ufeff日期,编号".encode())
    bad = run(built[0], tmp_path, "--period", "2026-13")
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr  # a usage error
    assert bad.stderr.decode().strip() == (
        "complaintdesk: --period：统计期间“2026-13”无效：请写月份 2026-11、季度 2026-Q4 或年份 2026"
        "（complaintdesk report --help 查看说明）")
    table = run(built[0], tmp_path, "--period", "2026-11", "--summary")
    assert table.returncode == 0 and "投诉明细" not in table.stdout.decode()


def test_every_share_says_of_what(tmp_path) -> None:
    """员工考核: 按时率 and 满意率 name their part and whole, and are that share: a
    case still open and not yet due counts in 处理 but not in the 按时率."""
    from complaintdesk.reports.output import STAFF_LABELS, STAFF_NOTE, percent, staff_cells
    from complaintdesk.reports.figures import build_report, parse_period

    from complaintdesk.demo.load import fill_demo

    desk = open_desk(tmp_path / "demo.db", config=DeskConfig(timezone_name="Asia/Shanghai"),
                     clock=lambda: NOW)
    try:
        staffing.sign_in(desk, "admin1")
        fill_demo(desk, 600, actor="admin1")  # handlers with cases on time, late and not yet due
        report = build_report(desk, parse_period("2026-11", desk.config.timezone))
        rate, late = STAFF_LABELS.index("按时率"), STAFF_LABELS.index("超期")
        satisfaction = STAFF_LABELS.index("满意率")
        assert "按时 ÷（按时 + 超期）" in STAFF_NOTE and "满意 ÷ 回访" in STAFF_NOTE
        assert any(s.handled_late for s in report.staff)
        assert any(s.handled > s.handled_on_time + s.handled_late for s in report.staff)
        for staff, cells in zip(report.staff, staff_cells(report)):
            decided = staff.handled_on_time + staff.handled_late
            assert cells[late] == str(staff.handled_late)
            if decided:  # the share names its part and whole, and is that share
                assert cells[rate] == f"{percent(staff.handled_on_time / decided)}（{staff.handled_on_time}/{decided}）"
            else:
                assert "（" not in cells[rate]
            if staff.revisits:
                assert cells[satisfaction].endswith(f"（{staff.satisfied}/{staff.revisits}）")
    finally:
        desk.close()
