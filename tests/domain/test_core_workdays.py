"""Working days as the business counts them: statutory holidays, 调休 make-up
working days, the admin's overrides, office hours; deadlines counted on them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.domain.config import DeskConfig, deadlines_for, load_config
from complaintdesk.domain.enums import Priority
from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.workdays import OfficeHours, Span, WorkCalendar, parse_overrides

Z = ZoneInfo("Asia/Shanghai")
CN = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=Z)


def test_the_national_day_week_and_its_make_up_saturday():
    october = {d.date.day: d for d in CN.month(2026, 10)}
    assert [day for day, d in october.items() if not d.working and day <= 11] == \
        [1, 2, 3, 4, 5, 6, 7, 11]
    assert october[1].name == "国庆节"
    assert october[10].working and october[10].name == "调休上班"  # a Saturday
    assert october[17].name == "周末" and not october[17].working
    assert CN.day(date(2026, 9, 20)).working  # the Sunday before, made up for 10-06
    assert CN.knows(2026)


def test_a_general_complaint_before_the_national_day_is_due_after_it():
    config = DeskConfig(timezone_name="Asia/Shanghai")
    first, due = deadlines_for(Priority.GENERAL, at("2026-09-30 10:00"), config)
    assert first == at("2026-10-02 10:00")  # the first response counts the clock
    # 10-08, 10-09, 10-10 (调休 Saturday), 10-12 … 10-15: the seventh working day.
    assert due == at("2026-10-15 10:00")
    assert deadlines_for(Priority.MAJOR, at("2026-09-30 10:00"), config)[1] == at("2026-10-10 10:00")
    assert deadlines_for(Priority.URGENT, at("2026-09-30 10:00"), config)[1] == at("2026-10-01 10:00")


def test_received_on_a_day_off_the_clock_starts_on_the_next_working_day():
    due = CN.add(at("2026-10-03 15:00"), 3, "working_days")
    assert due.date() == date(2026, 10, 10) and due.time() >= time(23, 59)  # 8, 9, 10 whole
    assert CN.add(at("2026-11-28 09:00"), 1, "working_days").date() == date(2026, 11, 30)


def test_office_hours_count_only_inside_them():
    cal = WorkCalendar(hours=OfficeHours.parse("09:00-18:00"))
    # Friday 16:00 + 4 working hours: 2 h on Friday, 2 h on Monday.
    assert cal.add(at("2026-11-27 16:00"), 4, "working_hours") == at("2026-11-30 11:00")
    # In the evening the clock waits for the morning; a day is 9 working hours.
    assert cal.add(at("2026-11-23 20:00"), 1, "working_days") == at("2026-11-24 18:00")
    assert cal.add(at("2026-11-23 10:00"), 2, "working_days") == at("2026-11-25 10:00")
    with pytest.raises(ValueError):
        OfficeHours.parse("18:00-09:00")
    with pytest.raises(ValueError):
        OfficeHours.parse("9点到6点")


def test_overrides_win_over_the_library():
    overrides = parse_overrides([
        {"date": date(2027, 2, 20), "working": True, "name": "春节调休上班"},
        {"date": "2026-11-24", "working": False, "name": "门店盘点停业"},
    ])
    cal = WorkCalendar(overrides=overrides)
    assert cal.day(date(2026, 11, 24)) == cal.day(date(2026, 11, 24))
    assert not cal.day(date(2026, 11, 24)).working
    assert cal.day(date(2026, 11, 24)).name == "门店盘点停业"
    assert cal.day(date(2027, 2, 20)).working and cal.knows(2027)
    assert cal.add(at("2026-11-23 10:00"), 1, "working_days") == at("2026-11-25 10:00")
    for bad in ([{"date": "2027-13-01", "working": False}], [{"date": "2027-01-01"}],
                [{"date": "2027-01-01", "working": "yes"}],
                [{"date": "2027-01-01", "working": False}] * 2, ["2027-01-01"]):
        with pytest.raises(ValueError):
            parse_overrides(bad)


def test_the_library_does_not_know_next_years_make_up_days_yet():
    assert not WorkCalendar().knows(2030)
    assert WorkCalendar(country="").knows(2030)
    assert WorkCalendar(country="").day(date(2026, 10, 1)).working  # no holidays at all


def test_a_config_counts_in_the_unit_it_names(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("""
timezone = "Asia/Shanghai"
[calendar]
office_hours = "09:00-18:00"
[[calendar.days]]
date = 2026-11-24
working = false
name = "停电停业"
[deadlines.general]
first_response_working_hours = 4
resolution_working_days = 5
[deadlines.major]
first_response_hours = 24
resolution_days = 3
""", encoding="utf-8")
    config = load_config(path)
    general, major = config.limits[Priority.GENERAL], config.limits[Priority.MAJOR]
    assert general.resolution == Span(5, "working_days") and general.resolution.working
    assert major.resolution == Span(3, "days") and not major.resolution.working
    first, due = deadlines_for(Priority.GENERAL, at("2026-11-23 16:00"), config)
    assert first == at("2026-11-25 11:00")  # 2 h on Monday, the 24th closed, 2 h on the 25th
    assert due == at("2026-12-01 16:00")  # 45 working hours: 2+9+9+9+9, then 7
    assert config.limits[Priority.URGENT].resolution == Span(24, "hours")  # the default


@pytest.mark.parametrize(("text", "words"), [
    ("[deadlines.general]\nfirst_response_hours = 4\nresolution_days = 3\nresolution_working_days = 2",
     "只能写一种单位"),
    ("[deadlines.general]\nfirst_response_hours = 4\nresolution_working_hours = 20", "office_hours"),
    ("[deadlines.general]\nfirst_response_hours = 4\nresolution_working_days = -1", "正数"),
    ("[calendar]\noffice_hours = \"25:00-26:00\"", "办公时间"),
    ("[calendar]\nholidays = \"US\"", "calendar.holidays"),
    ("[[calendar.days]]\ndate = 2027-01-01\nworking = 1", "working 应是 true 或 false"),
])
def test_a_bad_calendar_config_is_named(tmp_path, text, words):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DomainError) as raised:
        load_config(path)
    assert words in raised.value.message


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20)),
       days=st.integers(min_value=1, max_value=15),
       hours=st.sampled_from([None, "09:00-18:00", "08:30-12:00"]))
def test_n_working_days_are_n_days_of_working_time(start, days, hours):
    """Whatever the start: the deadline is later, lies in working time, and exactly
    ``days`` days' worth of working time separates it from the start."""
    cal = WorkCalendar(hours=OfficeHours.parse(hours) if hours else None)
    begin = start.replace(tzinfo=Z)
    due = cal.add(begin, days, "working_days")
    assert due > begin
    assert cal.day(due.date()).working
    assert cal.working_days_between(begin, due) == pytest.approx(days, abs=1e-6)
    assert cal.add(begin, days + 1, "working_days") > due
    if hours is None:
        assert due - begin >= timedelta(days=days, microseconds=-1)  # a day ends at 23:59:59.999999
        # The by-dates shortcut gives what counting working time gives.
        assert due == cal.add_working_time(begin, timedelta(days=days))


# ----------------------------------------------------------------- a pause moves the deadline

from complaintdesk.domain.clocks import moved_on  # noqa: E402
from complaintdesk.domain.workdays import default_calendar  # noqa: E402

_SH = ZoneInfo("Asia/Shanghai")
_MOMENTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=_SH))


@settings(max_examples=150, deadline=None)
@given(due=_MOMENTS, start=_MOMENTS, minutes=st.integers(min_value=0, max_value=40 * 24 * 60))
def test_a_pause_moves_a_working_day_deadline_by_exactly_the_working_time_lost(due, start,
                                                                             minutes):
    calendar = default_calendar()
    end = start + timedelta(minutes=minutes)
    lost = calendar.working_days_between(start, end)
    moved = moved_on(due, start, end, Span(7, "working_days", calendar), calendar)
    assert moved >= due
    # The working time between the old and the new deadline is the working time the
    # pause took (to the microsecond the day's last moment stands for).
    assert abs(calendar.working_days_between(due, moved) - lost) * 86400 < 1e-3


@settings(max_examples=150, deadline=None)
@given(due=_MOMENTS, start=_MOMENTS, minutes=st.integers(min_value=0, max_value=40 * 24 * 60))
def test_a_pause_moves_a_clock_time_deadline_by_its_length(due, start, minutes):
    end = start + timedelta(minutes=minutes)
    assert moved_on(due, start, end, Span(24, "hours"), default_calendar()) == due + (end - start)
