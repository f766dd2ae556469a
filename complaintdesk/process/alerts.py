"""Alerts that reach people (process.md §2: an early warning before a time node runs
out). ``complaintdesk alerts`` (cron or a systemd timer) gives each alert once:

- a complaint's deadline turned amber (预警: the configured share of its time used)
  or red (超时) — again when a new deadline of a later step does;
- a revisit falling due (within the next day, or past);
- a new 重大 complaint (once, to those responsible and the supervisors then).

Each goes to the person responsible (the handler once dispatched, else whoever
registered it) and to the supervisors. Finding what is due and remembering it as
given happen in one write transaction, so two runs at once never give the same
alert twice (at most once: a run that dies after its commit and before printing
loses its alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select

from complaintdesk.domain.enums import Priority, Role, Status
from complaintdesk.domain.clocks import clocks
from complaintdesk.domain.timing import TIME_FORMAT, at_risk_from, time_left
from complaintdesk.process.desk import Desk
from complaintdesk.process.staffing import require
from complaintdesk.store.models import AlertSent, Complaint, Staff

#: A revisit is announced this long before it falls due.
REVISIT_NOTICE = timedelta(days=1)
FAR = timedelta(days=36500)  # every revisit, however far off
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


def _recipients(c, supervisors: list[str], active: set[str]) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    responsible = c["handler"] or c["received_by"]
    out = [responsible] if responsible in active else []
    return tuple(dict.fromkeys(out + supervisors))


#: An alert found due, its words still to write (only those not given yet are
#: written: on a big desk most found are given already).
_Due = tuple  # (kind, number, complaint_id, key, recipients, words: Callable[[], str])


def _due_alerts(desk: Desk, session, now: datetime) -> list[_Due]:  # type: ignore[no-untyped-def]
    fraction = desk.config.at_risk_fraction
    staff = session.exec(select(Staff).where(Staff.active == True)).all()  # noqa: E712
    active = {s.login for s in staff}
    supervisors = sorted(s.login for s in staff if s.role == Role.SUPERVISOR.value)
    out: list[_Due] = []
    # Only the rows with a clock at or past its warning share are read (the store
    # finds them; each is checked again below, clock by clock).
    for c in desk.store.warning_candidates(session, now, now + REVISIT_NOTICE, fraction):
        for clock in clocks(c):
            if clock.kind == "revisit":
                if clock.due - now <= REVISIT_NOTICE:
                    out.append(("revisit", c["number"], c["id"],
                                f"revisit:{c['revisit_due'].isoformat()}",
                                _recipients(c, supervisors, active),
                                partial(_words, desk, c, "回访期限", clock.due, now)))
                continue
            state = clock.state(now, fraction)
            if state not in ("at-risk", "overdue"):
                continue
            # (The key of the first-response and handling clocks is the one alerts
            # had before the investigation clock existed: nothing is given twice.)
            stamp = clock.due.astimezone(UTC).isoformat()
            key = f"{state}:{stamp}" if clock.kind != "investigation" \
                else f"{state}:investigation:{stamp}"
            out.append((state, c["number"], c["id"], key, _recipients(c, supervisors, active),
                        partial(_words, desk, c, clock.label, clock.due, now)))
    since = now - MAJOR_WINDOW
    # A new 重大 complaint is announced once, to those responsible then (one not yet
    # announced is found by the alert table's key).
    announced = select(AlertSent.complaint_id).where(AlertSent.complaint_id == Complaint.id,
                                                      AlertSent.key == "major")
    for c in session.exec(select(Complaint.id, Complaint.number, Complaint.customer_name,
                                 Complaint.event, Complaint.handler, Complaint.received_by).where(
            Complaint.priority == Priority.MAJOR.value,
            col(Complaint.received_at) >= since, ~announced.exists())).all():
        row = dict(c._mapping)
        out.append(("major", row["number"], row["id"], "major",
                    _recipients(row, supervisors, active),
                    partial(lambda r: f"{r['number']} 重大 {r['customer_name']}："
                                      f"{' '.join(r['event'].split())[:60]}", row)))
    return out


def _words(desk: Desk, c, label: str, due: datetime, now: datetime) -> str:  # type: ignore[no-untyped-def]
    local = desk.local(due)
    return f"{_what(c)}：{label} {local.strftime(TIME_FORMAT)}（{time_left(local, now)}）"


def _what(c) -> str:  # type: ignore[no-untyped-def]
    return (f"{c['number']} {Priority(c['priority']).label} {Status(c['status']).label} "
            f"{c['customer_name']}")


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
        ids = sorted({alert[2] for alert in due})
        given: set[tuple[int, str, str]] = set()
        for start in range(0, len(ids), 500):
            given.update(tuple(row) for row in session.exec(  # plain tuples: tens of thousands
                select(AlertSent.complaint_id, AlertSent.key, AlertSent.recipient)
                .where(col(AlertSent.complaint_id).in_(ids[start:start + 500]))))
        fresh: list[Alert] = []
        for kind, number, complaint_id, key, recipients, words in due:
            to = tuple(r for r in recipients if (complaint_id, key, r) not in given)
            if to:
                fresh.append(Alert(kind, number, complaint_id, key, to, words()))
        if remember:
            stamp = desk.now_utc()
            rows = [{"complaint_id": alert.complaint_id, "key": alert.key, "recipient": recipient,
                     "sent_at": stamp} for alert in fresh for recipient in alert.recipients]
            if rows:  # one executemany: a first run on a big desk gives tens of thousands
                session.connection().execute(insert(AlertSent), rows)
    return fresh


def deadline_states_of(desk: Desk, login: str) -> dict[str, str]:
    """The amber (``"at-risk"``) and red (``"overdue"``) open complaints ``login`` is
    responsible for — the handler once dispatched, else whoever registered it —
    by number, the worst of their clocks: what every console's header counts for
    its person. A paused clock is neither."""
    return deadline_watch_of(desk, login, timedelta(0))[0]


def deadline_watch_of(desk: Desk, login: str, ahead: timedelta, numbers: list[str] | None = None
                      ) -> tuple[dict[str, str], datetime | None]:
    """``deadline_states_of`` now, and the first moment within ``ahead`` at which one
    of the person's clocks turns amber or red (None: none does): a console counts
    again then, not every minute. With ``numbers``, only among those complaints
    (a console after others changed them)."""
    now = desk.now()
    fraction = desk.config.at_risk_fraction
    out: dict[str, str] = {}
    turns: list[datetime] = []
    # The store reads only the person's complaints with a clock at or past its share
    # by ``now + ahead``; a revisit at any distance, since its clock's share is not
    # the alerts' notice.
    with desk.store.read() as session:
        rows = desk.store.warning_candidates(session, now + ahead, now + FAR, fraction,
                                             login=login, numbers=numbers)
    for c in rows:
        if c["due_at"] is None:
            continue
        running = clocks(c)
        states = {clock.state(now, fraction) for clock in running}
        state = "overdue" if "overdue" in states else "at-risk" if "at-risk" in states else ""
        if state:
            out[c["number"]] = state
        for clock in running:
            if not clock.paused:
                amber = at_risk_from(clock.start, clock.due, fraction)
                turns += [t for t in (amber, clock.due) if now < t <= now + ahead]
    return out, min(turns, default=None)


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
