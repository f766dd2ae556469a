"""The revisit (回访, process.md §7): calling the customer back, closing or reopening.

A complaint reaches status ``revisit`` when the customer accepted the outcome
(or the explanation that it was not our responsibility); the revisit is due
within ``revisit.within_days``. Recording one is a single use-case whose result
depends on what the customer said:

- not reached: the attempt is counted and the next one scheduled
  (``revisit.retry_days`` later); after ``revisit.max_attempts`` failed calls the
  case may be closed as unreachable (``close_unreached``);
- reached, both the attitude and the result 满意 or 基本满意: closed (已结案);
- reached, either rated 不满意: reopened — back to a new handling round with the
  same department when it was our responsibility, back to the responsibility
  judgement when it was not — and the reopen is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaintdesk.process.desk import Desk
from complaintdesk.domain import effects
from complaintdesk.domain.effects import as_row
from complaintdesk.domain.enums import Action, Priority, RevisitMethod, Satisfaction, Status
from complaintdesk.domain.errors import ValidationFailed
from complaintdesk.store.models import Complaint, Revisit, Staff
from complaintdesk.domain.text import clean_text
from complaintdesk.process.workflow import Outcome, act

A = Action
COMMENT_LIMIT = 2000


def _choice(enum: type, value: object, name: str, label: str,
            errors: dict[str, str]):  # type: ignore[no-untyped-def]
    if value in (None, ""):
        errors[name] = f"{label}：请选择（{'/'.join(m.label for m in enum)}）"
        return None
    try:
        return enum.parse(value)
    except ValueError as exc:
        errors[name] = f"{label}{exc}"
        return None


def _comment(comment: object, errors: dict[str, str], *, required: bool = False,
             label: str = "回访意见") -> str:
    text = clean_text(str(comment or "")).strip()
    if len(text) > COMMENT_LIMIT:
        errors["comment"] = f"{label}：过长（{len(text)} 字，最多 {COMMENT_LIMIT} 字）"
    elif required and not text:
        errors["comment"] = f"{label}：必填"
    return text


def satisfied(attitude: Satisfaction, result: Satisfaction) -> bool:
    """The rule that closes a case: neither rating is 不满意."""
    return Satisfaction.DISSATISFIED not in (attitude, result)


def record_revisit(desk: Desk, actor: str, number: str, *, method: object, reached: bool | None,
                   attitude: object = None, result: object = None, comment: object = "",
                   expected_version: int | None = None) -> Outcome:
    """Record one call-back; closes, reschedules or reopens the complaint.
    ``reached`` None (not said) is a validation error like a missing method.

    Raises:
        ValidationFailed: a missing or unknown method or rating (all errors at once);
            a 不满意 rating without a comment saying what the customer is unhappy with.
        PermissionDenied / StaleEdit / NotFound: as every workflow action.
    """
    errors: dict[str, str] = {}
    how = _choice(RevisitMethod, method, "method", "回访方式", errors)
    if reached is None:
        errors["reached"] = "是否联系上：请选择（联系上/无法联系）"
    ratings: tuple[Satisfaction, Satisfaction] | None = None
    if reached:
        a = _choice(Satisfaction, attitude, "attitude", "对处理态度", errors)
        r = _choice(Satisfaction, result, "result", "对处理结果", errors)
        if a is not None and r is not None:
            ratings = (a, r)
    unhappy = ratings is not None and not satisfied(*ratings)
    text = _comment(comment, errors, required=unhappy, label="回访意见（不满意时写明原因）")
    if errors:
        raise ValidationFailed(errors)
    assert how is not None

    def action_for(c: Complaint) -> Action:
        return effects.revisit_step(bool(reached), unhappy, c.responsibility)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        now = desk.now()
        action = action_for(c)
        # Failed calls count toward 无法联系 once per day: the retry is "the next
        # day", and three calls within a quarter of an hour are one attempt.
        last = session.exec(select(Revisit).where(Revisit.complaint_id == c.id)
                            .order_by(col(Revisit.id).desc())).first()
        again_today = (action is A.REVISIT_UNREACHED and last is not None and not last.reached
                       and desk.local(last.recorded_at).date() == now.date())
        row = as_row(c)
        visit = Revisit(**effects.revisit_row(
            row, action, counts_attempt=not again_today, method=how.value, reached=bool(reached),
            attitude=ratings[0].value if ratings else None,
            result=ratings[1].value if ratings else None, comment=text, by=staff.login,
            at=desk.now_utc()))
        session.add(visit)
        session.flush()
        limits = desk.config.limits[Priority(c.priority)]
        return effects.revisited(
            row, action, visit.id, as_row(visit), at=now, counts_attempt=not again_today,
            retry_due=now + desk.config.revisit_retry,
            reopen_due=now + (limits.resolution if action is A.REOPEN else limits.first_response))

    return act(desk, actor, number, None, expected_version, apply, choose=action_for)


def close_unreached(desk: Desk, actor: str, number: str, *, comment: object = "",
                    expected_version: int | None = None) -> Outcome:
    """Close a case whose customer could not be reached after the configured attempts."""
    errors: dict[str, str] = {}
    text = _comment(comment, errors)
    if errors:
        raise ValidationFailed(errors)

    def apply(session: Session, c: Complaint, staff: Staff) -> dict:
        return effects.closed_unreached(as_row(c), comment=text, at=desk.now())

    return act(desk, actor, number, A.CLOSE_UNREACHED, expected_version, apply)


# ----------------------------------------------------------------- reading

@dataclass(frozen=True)
class DueRevisit:
    """One row of the revisit list."""

    number: str
    customer_name: str
    contact: str
    priority: str
    responsibility: str | None
    department: str | None
    resolved_at: datetime | None
    revisit_due: datetime
    attempts: int
    reopen_count: int
    complaint: Complaint  # the row as read, for the workflow's rules (which keys apply)


def due_revisits(desk: Desk, limit: int = 1000) -> tuple[list[DueRevisit], int]:
    """Complaints awaiting their revisit, earliest due first; and how many there are."""
    with desk.store.read() as session:
        where = (Complaint.status == Status.REVISIT.value,)
        total = session.exec(select(func.count()).select_from(Complaint).where(*where)).one()
        rows = session.exec(select(Complaint).where(*where)
                            .order_by(col(Complaint.revisit_due), col(Complaint.id))
                            .limit(limit)).all()
        return [DueRevisit(c.number, c.customer_name, c.contact, c.priority, c.responsibility,
                           c.department, c.resolved_at, c.revisit_due or c.due_at or c.updated_at,
                           c.revisit_attempts, c.reopen_count, c) for c in rows], int(total)


def overdue_revisits(desk: Desk) -> int:
    """How many complaints awaiting their revisit are past its due time."""
    with desk.store.read() as session:
        return int(session.exec(select(func.count()).select_from(Complaint).where(
            Complaint.status == Status.REVISIT.value,
            col(Complaint.revisit_due) < desk.now())).one())


def revisits_of(desk: Desk, complaint_id: int) -> list[Revisit]:
    """Every call-back of a complaint, oldest first."""
    with desk.store.read() as session:
        return read_revisits(session, complaint_id)


def read_revisits(session: Session, complaint_id: int) -> list[Revisit]:
    """Every call-back of a complaint, oldest first, inside the caller's unit of work."""
    return list(session.exec(select(Revisit).where(Revisit.complaint_id == complaint_id)
                             .order_by(col(Revisit.id))))


__all__ = ["DueRevisit", "close_unreached", "due_revisits", "overdue_revisits", "record_revisit",
           "read_revisits", "revisits_of", "satisfied"]
