"""Alerts that reach people (process.md §2: an early warning before a time node runs
out). ``complaintdesk alerts`` (cron or a systemd timer) gives each alert once:

- a complaint's deadline turned amber (预警: the configured share of its time used)
  or red (超时) — again when a new deadline of a later step does;
- a revisit falling due (within the next day, or past);
- a new 重大 complaint.

Each goes to the person responsible (the handler once dispatched, else whoever
registered it) and to the supervisors. Finding what is due and remembering it as
given happen in one write transaction, so two runs at once never give the same
alert twice (at most once: a run that dies after its commit and before printing
loses its alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from complaintdesk.domain.enums import Priority, Role, Status
from complaintdesk.domain.clocks import clocks
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.timing import TIME_FORMAT, time_left
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import require
from complaintdesk.store.models import AlertSent, Complaint, Staff

#: A revisit is announced this long before it falls due.
REVISIT_NOTICE = timedelta(days=1)
#: A 重大 complaint is announced if registered within this time (older ones were
#: announced by earlier runs, or predate the alerts).
MAJOR_WINDOW = timedelta(days=7)
KINDS = {"overdue": "超时", "at-risk": "预警", "revisit": "回访到期", "major": "新的重大投诉"}
ALERT_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Alert:
    kind: str  # a KINDS key
    number: str
    complaint_id: int
    key: str   # what makes it this alert, remembered as given
    recipients: tuple[str, ...]
    text: str  # one line, in words


def _recipients(c: Complaint, supervisors: list[str], active: set[str]) -> tuple[str, ...]:
    responsible = c.handler or c.received_by
    out = [responsible] if responsible in active else []
    return tuple(dict.fromkeys(out + supervisors))


def _due_alerts(desk: Desk, session, now: datetime) -> list[Alert]:  # type: ignore[no-untyped-def]
    fraction = desk.config.at_risk_fraction
    staff = session.exec(select(Staff).where(Staff.active == True)).all()  # noqa: E712
    active = {s.login for s in staff}
    supervisors = sorted(s.login for s in staff if s.role == Role.SUPERVISOR.value)
    out: list[Alert] = []
    # Only the rows with a clock at or past its warning share are read (the store
    # finds them; each is checked again below, clock by clock).
    ids = desk.store.warning_candidates(session, now, now + REVISIT_NOTICE, fraction)
    rows: list[Complaint] = []
    for start in range(0, len(ids), 500):
        rows += session.exec(select(Complaint).where(col(Complaint.id).in_(ids[start:start + 500])))
    for c in sorted(rows, key=lambda row: row.id):  # type: ignore[arg-type]
        status = Status(c.status)
        what = f"{c.number} {Priority(c.priority).label} {status.label} {c.customer_name}"
        for clock in clocks(as_row(c)):
            due = desk.local(clock.due)
            if clock.kind == "revisit":
                if due - now <= REVISIT_NOTICE:
                    out.append(Alert("revisit", c.number, c.id, f"revisit:{c.revisit_due.isoformat()}",
                                     _recipients(c, supervisors, active),
                                     f"{what}：回访期限 {due.strftime(TIME_FORMAT)}（{time_left(due, now)}）"))
                continue
            state = clock.state(now, fraction)
            if state not in ("at-risk", "overdue"):
                continue
            # (The key of the first-response and handling clocks is the one alerts
            # had before the investigation clock existed: nothing is given twice.)
            key = f"{state}:{clock.due.astimezone(UTC).isoformat()}" if clock.kind != "investigation" \
                else f"{state}:investigation:{clock.due.astimezone(UTC).isoformat()}"
            out.append(Alert(state, c.number, c.id, key, _recipients(c, supervisors, active),
                             f"{what}：{clock.label} {due.strftime(TIME_FORMAT)}"
                             f"（{time_left(due, now)}）"))
    since = now - MAJOR_WINDOW
    for c in session.exec(select(Complaint).where(
            Complaint.priority == Priority.MAJOR.value,
            col(Complaint.received_at) >= since)).all():
        out.append(Alert("major", c.number, c.id, "major", _recipients(c, supervisors, active),
                         f"{c.number} 重大 {c.customer_name}：{' '.join(c.event.split())[:60]}"))
    return out


def give_alerts(desk: Desk, actor: str | None, *, remember: bool = True) -> list[Alert]:
    """The alerts not given yet, each with the recipients who have not had it, and
    (``remember``) them remembered as given, in one write transaction. ``actor``
    None is the box's root (cron in service mode), else an admin's login.

    Raises:
        PermissionDenied: the actor is not an admin.
    """
    now = desk.now()
    with (desk.store.write() if remember else desk.store.read()) as session:
        if actor is not None:
            require(session, actor, set(ALERT_ROLES), "发送提醒")
        due = _due_alerts(desk, session, now)
        # What was given already, of these complaints only (the table keeps every
        # alert ever given; a run reads the part it needs).
        ids = sorted({alert.complaint_id for alert in due})
        given: set[tuple[int, str, str]] = set()
        for start in range(0, len(ids), 500):
            given.update((a.complaint_id, a.key, a.recipient) for a in session.exec(
                select(AlertSent).where(col(AlertSent.complaint_id).in_(ids[start:start + 500]))))
        fresh: list[Alert] = []
        for alert in due:
            to = tuple(r for r in alert.recipients if (alert.complaint_id, alert.key, r) not in given)
            if to:
                fresh.append(Alert(alert.kind, alert.number, alert.complaint_id, alert.key, to,
                                   alert.text))
        if remember:
            stamp = desk.now_utc()
            for alert in fresh:
                for recipient in alert.recipients:
                    session.add(AlertSent(complaint_id=alert.complaint_id, key=alert.key,
                                          recipient=recipient, sent_at=stamp))
    return fresh


def deadline_states_of(desk: Desk, login: str) -> dict[str, str]:
    """The amber (``"at-risk"``) and red (``"overdue"``) open complaints ``login`` is
    responsible for — the handler once dispatched, else whoever registered it —
    by number, the worst of their clocks: what every console's header counts for
    its person. A paused clock is neither."""
    now = desk.now()
    fraction = desk.config.at_risk_fraction
    out: dict[str, str] = {}
    with desk.store.read() as session:
        rows = session.exec(select(Complaint).where(
            Complaint.closed == False, col(Complaint.due_at).is_not(None),  # noqa: E712
            (Complaint.handler == login)
            | (col(Complaint.handler).is_(None) & (Complaint.received_by == login)))).all()
        for c in rows:
            states = {clock.state(now, fraction) for clock in clocks(as_row(c))}
            state = "overdue" if "overdue" in states else "at-risk" if "at-risk" in states else ""
            if state:
                out[c.number] = state
    return out


def staff_names(desk: Desk) -> dict[str, str]:
    with desk.store.read() as session:
        return {s.login: s.name for s in session.exec(select(Staff))}


def digests(alerts: list[Alert], names: dict[str, str]) -> dict[str, str]:
    """Per recipient, the plain-text digest of their alerts, the worst first."""
    order = list(KINDS)
    by_person: dict[str, list[Alert]] = {}
    for alert in alerts:
        for recipient in alert.recipients:
            by_person.setdefault(recipient, []).append(alert)
    out: dict[str, str] = {}
    for person, mine in sorted(by_person.items()):
        mine.sort(key=lambda a: (order.index(a.kind), a.number))
        lines = [f"{names.get(person, person)}（{person}）：{len(mine)} 条提醒"]
        lines += [f"  [{KINDS[a.kind]}] {a.text}" for a in mine]
        out[person] = "\n".join(lines)
    return out


__all__ = ["Alert", "KINDS", "deadline_states_of", "digests", "give_alerts", "staff_names"]
