"""The 《客户投诉统计表》 (process.md §8): a month's, quarter's or year's figures.

Periods are calendar periods in the desk's time zone: on a desk in China a
complaint received at 2026-10-01 00:30 +08:00 (2026-09-30 16:30 UTC) belongs
to October. A complaint belongs to the period it was *received* in; its later
handling, revisits and reopening count towards that period.

Every figure is an SQL aggregation over ``ix_complaint_report`` (a narrow
covering index in grouping order, of codes and of the lateness and handling
minutes each complaint keeps, see ``models.timing_facts``), so a year of a
million complaints is one index scan plus a few small ones: the complaints not
judged or resolved yet (``ix_complaint_pending``), the middle handling time
(``ix_complaint_handling_minutes``) and the revisits. Definitions (also in the
README):

- first-response on time: responsibility judged (``first_response_at``) no
  later than ``first_response_due``; a complaint still unjudged after its
  deadline counts as late, one still inside it is not counted yet;
- resolution on time (``on_time_rate``): the customer accepted the outcome
  (``resolved_at``) no later than the handling deadline told to the customer
  (``handling_due``, else ``resolution_due``); unresolved past it = late;
- handling time: received → resolved, in hours (counted in whole minutes), over
  resolved complaints;
- paused time: while the desk waits on the customer (暂停计时) the handling clock
  stops; resumed, the deadline moves on by the pause, so the on-time figures and
  the handling time leave it out; the table reports the paused complaints and
  hours, and a complaint paused now is not late;
- satisfaction: share of revisits that reached the customer in which neither
  the attitude nor the result was rated 不满意;
- reopen rate: share of the period's complaints reopened at least once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import UTC, datetime, tzinfo

from dateutil.relativedelta import relativedelta

from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Category, Channel, HandlingMethod, Priority, Role
from complaintdesk.domain.errors import DomainError
from complaintdesk.process.staffing import require

NONE = "none"  # the key for "no department / no method yet"
_QUARTER_NAMES = "一二三四"


def db_time(moment: datetime) -> str:
    """A moment as UTCDateTime stores it: UTC text that sorts like the time."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


READERS = {Role.SUPERVISOR, Role.LEADER, Role.ADMIN}


def check_reader(desk: Desk, login: str) -> None:
    """Statistics carry every staff member's evaluation: supervisors and admins only.

    Raises:
        PermissionDenied: for anyone else, naming who may.
    """
    with desk.store.read() as session:
        require(session, login, READERS, "查看统计表")


# ----------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year in one time zone; ``end`` is exclusive."""

    kind: str  # month / quarter / year
    start: datetime
    end: datetime

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}年"
        if self.kind == "quarter":
            return f"{self.start.year}年第{_QUARTER_NAMES[(self.start.month - 1) // 3]}季度"
        return f"{self.start.year}年{self.start.month}月"

    @property
    def step(self) -> relativedelta:
        return relativedelta(months={"month": 1, "quarter": 3, "year": 12}[self.kind])

    @property
    def span(self) -> str:
        """``2026-11-01 至 2026-11-30（UTC+08:00）``: the dates it covers, inclusive."""
        last = (self.end.replace(tzinfo=None) - relativedelta(days=1)).date()
        offset = self.start.strftime("%z")
        return (f"{self.start.date().isoformat()} 至 {last.isoformat()}"
                f"（UTC{offset[:3]}:{offset[3:]}）")

    def shift(self, count: int) -> Period:
        """The period ``count`` steps later (earlier when negative)."""
        start = (self.start.replace(tzinfo=None) + self.step * count).replace(
            tzinfo=self.start.tzinfo)
        return _make(self.kind, start.year, start.month, self.start.tzinfo)  # type: ignore[arg-type]

    def as_kind(self, kind: str) -> Period:
        """The month, quarter or year that contains this period's start."""
        return period_of(kind, self.start)

    def parts(self) -> list[Period]:
        """Sub-periods for the trend: the months of a quarter or year; a month is itself."""
        if self.kind == "month":
            return [self]
        return [self.as_kind("month").shift(i) for i in range(3 if self.kind == "quarter" else 12)]


def _make(kind: str, year: int, month: int, zone: tzinfo) -> Period:
    if kind == "quarter":
        month = (month - 1) // 3 * 3 + 1
    elif kind == "year":
        month = 1
    start_naive = datetime(year, month, 1)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    end_naive = start_naive + relativedelta(months=months)
    return Period(kind, start_naive.replace(tzinfo=zone), end_naive.replace(tzinfo=zone))


def period_of(kind: str, moment: datetime) -> Period:
    """The ``kind`` period containing ``moment`` (an aware time in the desk's zone)."""
    assert moment.tzinfo is not None
    return _make(kind, moment.year, moment.month, moment.tzinfo)


_PERIOD = re.compile(r"^\s*(\d{4})(?:-(?:(0?[1-9]|1[0-2])|[Qq]([1-4])))?\s*$")


def parse_period(text: str, zone: tzinfo) -> Period:
    """``2026-11`` (month), ``2026-Q4`` (quarter) or ``2026`` (year), in ``zone``.

    Raises:
        DomainError: saying which forms are accepted.
    """
    match = _PERIOD.match(text or "")
    if not match or not 1900 <= int(match.group(1)) <= 2999:
        raise DomainError(f"统计期间“{text}”无效：请写月份 2026-11、季度 2026-Q4 或年份 2026")
    year = int(match.group(1))
    if match.group(2):
        return _make("month", year, int(match.group(2)), zone)
    if match.group(3):
        return _make("quarter", year, (int(match.group(3)) - 1) * 3 + 1, zone)
    return _make("year", year, 1, zone)


# ----------------------------------------------------------------- the figures

@dataclass(frozen=True)
class Rate:
    """Done on time, done late (or overdue and not done); rate = on time / both."""

    on_time: int = 0
    late: int = 0

    @property
    def rate(self) -> float | None:
        total = self.on_time + self.late
        return self.on_time / total if total else None


@dataclass
class StaffFigures:
    login: str
    name: str
    registered: int = 0
    handled: int = 0
    handled_on_time: int = 0
    handled_late: int = 0
    revisits: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> float | None:
        total = self.handled_on_time + self.handled_late
        return self.handled_on_time / total if total else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.revisits if self.revisits else None


@dataclass
class Report:
    """One period's 《客户投诉统计表》 summary (the rows are read separately)."""

    period: Period
    generated_at: datetime
    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    by_department: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    loss_total_cents: int = 0
    loss_by_department: dict[str, int] = field(default_factory=dict)
    loss_by_method: dict[str, int] = field(default_factory=dict)
    first_response: Rate = Rate()
    resolution: Rate = Rate()
    resolved: int = 0
    handling_hours_avg: float | None = None
    handling_hours_median: float | None = None
    closed: int = 0
    reopened: int = 0
    repeats: int = 0
    revisits_reached: int = 0
    revisits_unreached: int = 0
    satisfied: int = 0
    attitude: dict[str, int] = field(default_factory=dict)
    result: dict[str, int] = field(default_factory=dict)
    trend: list[tuple[str, int]] = field(default_factory=list)
    staff: list[StaffFigures] = field(default_factory=list)
    #: Complaints whose handling clock was paused waiting on the customer, the hours
    #: paused (a running pause up to now), and how many are paused now. The on-time
    #: and handling-time figures leave the paused time out (PAUSE_NOTE).
    paused: int = 0
    paused_hours: float = 0.0
    paused_now: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.revisits_reached if self.revisits_reached else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.total if self.total else None


class _Group(NamedTuple):
    """One row of the "main" report query, in its column order."""

    category: str
    channel: str
    priority: str
    department: str | None
    method: str | None
    received_by: str
    handler: str | None
    count: int
    loss: int
    first_response_ok: int
    first_response_late: int
    resolution_ok: int
    resolution_late: int
    resolved: int
    minutes: int
    closed: int
    reopened: int


def _zeros(codes: list[str]) -> dict[str, int]:
    return {code: 0 for code in codes}


def build_report(desk: Desk, period: Period) -> Report:
    """Every figure of the period, in one short read transaction."""
    params = {"start": db_time(period.start), "end": db_time(period.end),
              "now": db_time(desk.now())}
    depts = [d.code for d in desk.config.departments]
    report = Report(period, desk.now(),
                    by_category=_zeros([m.value for m in Category]),
                    by_channel=_zeros([m.value for m in Channel]),
                    by_priority=_zeros([m.value for m in Priority]),
                    by_department=_zeros([*depts, NONE]),
                    by_method=_zeros([*[m.value for m in HandlingMethod], NONE]),
                    loss_by_department=_zeros([*depts, NONE]),
                    loss_by_method=_zeros([*[m.value for m in HandlingMethod], NONE]),
                    attitude=_zeros(["satisfied", "basic", "dissatisfied"]),
                    result=_zeros(["satisfied", "basic", "dissatisfied"]))
    with desk.store.report_read() as session:
        connection = session.connection()

        def run(name: str, params: dict | None = None):  # type: ignore[no-untyped-def]
            """One of the store's named report queries (``Store.report_sql``)."""
            return connection.exec_driver_sql(desk.store.report_sql(name), params or {})

        groups = [_Group(*row) for row in run("main", params)]
        # A duplicate merged into its original counts once, as the original: its own
        # sums come back out (negated groups add up to the difference).
        groups += [_Group(*row[:7], *(-(value or 0) for value in row[7:]))
                   for row in run("merged", params)]
        pending = run("pending", params).all()
        pending += [(handler, -(late_first or 0), -(late or 0))
                    for name in ("merged_pending", "paused_pending")
                    for handler, late_first, late in run(name, params)]
        report.paused, paused_minutes, report.paused_now = run("paused", params).one()
        report.paused_hours = (paused_minutes or 0) / 60
        report.paused_now = report.paused_now or 0
        fr = [0, sum(row[1] for row in pending)]
        res = [0, sum(row[2] for row in pending)]
        minutes = 0
        for g in groups:
            count, loss = g.count, g.loss
            dept, method = g.department or NONE, g.method or NONE
            report.total += count
            for target, key in ((report.by_category, g.category), (report.by_channel, g.channel),
                                (report.by_priority, g.priority), (report.by_department, dept),
                                (report.by_method, method)):
                target[key] = target.get(key, 0) + count
            report.loss_total_cents += loss
            report.loss_by_department[dept] = report.loss_by_department.get(dept, 0) + loss
            report.loss_by_method[method] = report.loss_by_method.get(method, 0) + loss
            fr[0] += g.first_response_ok
            fr[1] += g.first_response_late
            res[0] += g.resolution_ok
            res[1] += g.resolution_late
            report.resolved += g.resolved
            minutes += g.minutes
            report.closed += g.closed
            report.reopened += g.reopened
        report.first_response, report.resolution = Rate(*fr), Rate(*res)
        if report.resolved:
            report.handling_hours_avg = minutes / report.resolved / 60
            report.handling_hours_median = _median(run, params, report.resolved) / 60
        revisit_groups = run("revisits", params).all()
        for reached, attitude, result, _by, _handler, count in revisit_groups:
            if not reached:
                report.revisits_unreached += count
                continue
            report.revisits_reached += count
            report.attitude[attitude] = report.attitude.get(attitude, 0) + count
            report.result[result] = report.result.get(result, 0) + count
            if "dissatisfied" not in (attitude, result):
                report.satisfied += count
        report.repeats = run("repeats", params).scalar() or 0
        report.trend = [(part.code, run("count", {"start": db_time(part.start),
                                                 "end": db_time(part.end)}).scalar() or 0)
                        for part in period.parts()] if period.kind != "month" else \
            _days(run, period)
        report.staff = _staff(run, groups, pending, revisit_groups)
    return report


def _median(run, params: dict, count: int) -> float:  # type: ignore[no-untyped-def]
    """The median of the period's ``count`` handling minutes."""
    middle = [row[0] for row in run("middle", {**params, "skip": (count - 1) // 2,
                                              "take": 1 if count % 2 else 2})]
    return sum(middle) / len(middle)


def _days(run, period: Period) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Complaints per day of a month (local days)."""
    out = []
    day = period.start
    while day < period.end:
        nxt = (day.replace(tzinfo=None) + relativedelta(days=1)).replace(tzinfo=day.tzinfo)
        count = run("count", {"start": db_time(day), "end": db_time(nxt)}).scalar() or 0
        out.append((day.strftime("%m-%d"), count))
        day = nxt
    return out


def _staff(run, groups: list[_Group], pending: list, revisit_groups: list  # type: ignore[no-untyped-def]
           ) -> list[StaffFigures]:
    """Per person: complaints registered and handled (on time or late), and the revisits
    of those complaints (counted once for a person who did both)."""
    names = dict(run("staff_names").all())
    figures: dict[str, StaffFigures] = {}

    def get(login: str) -> StaffFigures:
        if login not in figures:
            figures[login] = StaffFigures(login, names.get(login, login))
        return figures[login]

    for g in groups:
        get(g.received_by).registered += g.count
        if g.handler is not None:
            person = get(g.handler)
            person.handled += g.count
            person.handled_on_time += g.resolution_ok
            person.handled_late += g.resolution_late
    for handler, _fr_late, late in pending:
        if handler is not None:
            get(handler).handled_late += late
    for reached, attitude, result, received_by, handler, count in revisit_groups:
        if not reached:
            continue
        ok = count if "dissatisfied" not in (attitude, result) else 0
        for login in {received_by, handler} - {None}:
            person = get(login)
            person.revisits += count
            person.satisfied += ok
    return sorted(figures.values(), key=lambda f: (-f.registered - f.handled, f.login))


# ----------------------------------------------------------------- the rows

@dataclass(frozen=True)
class ReportRow:
    """One line of the 《客户投诉统计表》."""

    id: int
    received_at: datetime
    number: str
    customer_name: str
    event: str
    department: str | None
    method: str | None
    loss_cents: int | None
    product: str
    quantity: int | None


def report_rows(desk: Desk, period: Period, after: tuple[datetime, int] | None = None,
                limit: int = 200, skip: int = 0) -> list[ReportRow]:
    """The period's complaints in received order, ``limit`` at a time after ``after``
    (the (received_at, id) of the last row of the previous page), skipping ``skip``
    more (for a jump; paging onwards from a known row should pass ``after``)."""
    after_at, after_id = (db_time(after[0]), after[1]) if after else ("", 0)
    with desk.store.read() as session:
        rows = session.connection().exec_driver_sql(desk.store.report_sql("rows"), {
            "start": db_time(period.start), "end": db_time(period.end), "after_at": after_at,
            "after_id": after_id, "limit": limit, "skip": skip}).all()
    return [ReportRow(r[0], _utc(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
            for r in rows]


def iter_report_rows(desk: Desk, period: Period, page: int = 5000) -> Iterator[ReportRow]:
    """Every row of the period, read in short transactions of ``page`` rows."""
    after = None
    while True:
        rows = report_rows(desk, period, after, page)
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].received_at, rows[-1].id)


def _utc(value: str | datetime) -> datetime:
    """A time as the backend returns it: naive UTC text (SQLite) or aware (PostgreSQL)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


__all__ = ["NONE", "READERS", "check_reader", "Period", "Rate", "Report", "ReportRow", "StaffFigures", "build_report",
           "db_time", "iter_report_rows", "parse_period", "period_of", "report_rows"]
