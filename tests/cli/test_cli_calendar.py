"""``complaintdesk calendar``: a month as the desk counts working days, as a grid or
as one JSON object per day, with the admin's overrides from the configuration."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import env, run  # noqa: F401 - a fixture

CONFIG = '''timezone = "Asia/Shanghai"
[[calendar.days]]
date = 2026-10-09
working = false
name = "门店盘点停业"
[[calendar.days]]
date = 2027-02-20
working = true
name = "春节调休上班"
'''


@pytest.fixture
def configured(env, tmp_path):  # noqa: F811
    path = tmp_path / "calendar.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return dict(env, COMPLAINTDESK_CONFIG=str(path))


def test_json_gives_every_day_with_whether_it_is_a_working_day(configured, tmp_path):
    done = run(configured, tmp_path / "none.db", "calendar", "2026-10", "--format", "json")
    assert done.returncode == 0, done.err
    days = json.loads(done.out)
    assert [d["date"] for d in days] == [f"2026-10-{n:02d}" for n in range(1, 32)]
    by_day = {int(d["date"][-2:]): d for d in days}
    assert by_day[1] == {"date": "2026-10-01", "weekday": 4, "working": False, "name": "国庆节"}
    assert by_day[10]["working"] is True and by_day[10]["name"] == "调休上班"  # a Saturday
    assert by_day[9]["working"] is False and by_day[9]["name"] == "门店盘点停业"  # the override
    assert by_day[8]["working"] is True and by_day[8]["name"] is None
    assert sum(d["working"] for d in days) == 17
    assert not (tmp_path / "none.db").exists()  # no database needed, none made


def test_the_grid_marks_days_off_and_make_up_days_and_counts_them(configured, tmp_path):
    done = run(configured, tmp_path / "none.db", "calendar", "2026年10月")
    assert done.returncode == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].startswith("2026年10月") and "配置中的调整" in lines[0]
    assert any(" 1休" in line and " 4休" in line for line in lines)
    assert any("10班" in line for line in lines)
    assert "10-10 六  上班  调休上班" in done.out and "10-09 五  休息  门店盘点停业" in done.out
    assert "本月工作日 17 天" in done.out


def test_a_year_the_library_does_not_know_yet_is_said(configured, tmp_path):
    done = run(configured, tmp_path / "none.db", "calendar", "2031-05")
    assert done.returncode == 0
    assert "还没有 2031 年的调休安排" in done.out and "[[calendar.days]]" in done.out
    known = run(configured, tmp_path / "none.db", "calendar", "2027-02")
    assert "调休安排" not in known.out  # the override gives 2027 a 调休 day: known


@pytest.mark.parametrize("month", ["2026-13", "10", "下个月"])
def test_a_malformed_month_is_a_usage_error(configured, tmp_path, month):
    done = run(configured, tmp_path / "none.db", "calendar", month)
    assert done.returncode == 2 and "Traceback" not in done.err
    assert "2026-10" in done.err


def test_a_broken_calendar_config_is_named(env, tmp_path):  # noqa: F811
    path = tmp_path / "bad.toml"
    path.write_text('[[calendar.days]]\ndate = "明天"\nworking = false\n', encoding="utf-8")
    done = run(dict(env, COMPLAINTDESK_CONFIG=str(path)), tmp_path / "none.db", "calendar", "2026-10")
    assert done.returncode == 1 and "Traceback" not in done.err
    assert "calendar.days 第 1 项的 date 应是日期" in done.err
