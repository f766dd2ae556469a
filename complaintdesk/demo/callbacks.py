"""Demo data: the revisit (回访, process.md §7) at the end of each story.

Once the customer has accepted the outcome (or the explanation that it was not
our responsibility) the case waits for its call-back. Most customers are reached
within the window and are 满意 or 基本满意: the case is closed. Some calls fail and
are tried again ``revisit_retry`` later; a few customers are never reached and the
case is closed as unreachable after ``revisit_max_attempts`` calls. A few are
不满意: the case is reopened — a new handling round when it was our
responsibility, the responsibility judged again when it was not — and its story
goes on to another revisit.

Steps are played as revisits.record_revisit and revisits.close_unreached play
them: the same complaint columns, revisit rows and audit details.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from typing import Protocol

from complaintdesk.domain.enums import Action, HandlingMethod, Priority, Status
from complaintdesk.demo.matters import DISSATISFIED, PAID_COMMENT
from complaintdesk.demo.cases import Case
from complaintdesk.demo.generate import weight_table
from complaintdesk.domain import effects
from complaintdesk.domain.effects import detail_text
from complaintdesk.domain.config import DeskConfig
from complaintdesk.demo.text import (CLOSE_UNREACHED_COMMENT, DISSATISFIED_NOT_OURS,
                        DISSATISFIED_SHARE, HAPPY_RATINGS, LATE_REVISIT_CALL, LATE_REVISIT_SHARE,
                        MAX_REOPENS, REACHED_METHODS, REJUDGED_OURS_SHARE, REVISIT_CALL,
                        BASIC_COMMENTS, SATISFIED_COMMENTS, UNHAPPY_RATINGS, UNREACHABLE_SHARE,
                        UNREACHED_COMMENTS, UNREACHED_METHODS, UNREACHED_SHARE)



class Player(Protocol):
    """What the revisit steps need of the story player (``handling.CaseHandling``)."""

    config: DeskConfig
    random: Callable[[], float]


A = Action
#: The steps that put a case at the revisit.
RESOLVING = frozenset({A.CUSTOMER_AGREES, A.JUDGE_NOT_OURS})
ACTIONS = frozenset({A.REVISIT_CLOSE, A.REVISIT_UNREACHED, A.CLOSE_UNREACHED, A.REOPEN,
                     A.REOPEN_JUDGEMENT})
def _seconds(delta) -> float:  # type: ignore[no-untyped-def]
    """A time limit's nominal length in seconds (for pacing the calls, not for due dates)."""
    start = datetime(2001, 1, 1)
    return ((start + delta) - start).total_seconds()


class RevisitPlan:
    """Writes the revisit steps of the stories :class:`CaseHandling` plays."""

    def __init__(self, handling: Player):
        self.h = handling
        config = handling.config
        self.within, self.retry = config.revisit_within, config.revisit_retry
        self.within_s, self.retry_s = _seconds(self.within), _seconds(self.retry)
        self.max_attempts = config.revisit_max_attempts
        self.limits = config.limits
        self._happy = weight_table(HAPPY_RATINGS)
        self._unhappy = weight_table(UNHAPPY_RATINGS)
        self._reached = weight_table(REACHED_METHODS)
        self._unreached = weight_table(UNREACHED_METHODS)
        self.next_id = 1
        self.rows: list[dict] = []  # revisit rows

    # ------------------------------------------------------------ the story

    def script(self, steps: list[list], priority: Priority, first_hours: float, ours: bool,
               forced: Status | None, reopens: int = 0) -> None:
        """Append the revisit to ``steps`` (which end at the revisit), and when the
        customer is unhappy what follows the reopening, up to the next revisit."""
        r = self.h.random
        if forced is not None:  # a showcase: reached at once, and content
            steps.append([A.REVISIT_CLOSE, max(60, int(self.within_s * (0.05 + 0.5 * r())))])
            return
        low, high = LATE_REVISIT_CALL if r() < LATE_REVISIT_SHARE else REVISIT_CALL
        delay = self.within_s * (low + (high - low) * r())
        if r() < UNREACHABLE_SHARE:
            for _attempt in range(self.max_attempts):
                steps.append([A.REVISIT_UNREACHED, max(60, int(delay))])
                delay = self.retry_s * (1 + 0.3 * r())
            # Closed as unreachable at once or the next working day.
            steps.append([A.CLOSE_UNREACHED, max(60, int(3600 * (0.1 + 24 * r())))])
            return
        failed = 0
        while failed < self.max_attempts - 1 and r() < UNREACHED_SHARE:
            steps.append([A.REVISIT_UNREACHED, max(60, int(delay))])
            failed += 1
            delay = self.retry_s * (1 + 0.3 * r())
        if reopens >= MAX_REOPENS or r() >= DISSATISFIED_SHARE:
            steps.append([A.REVISIT_CLOSE, max(60, int(delay))])
            return
        steps.append([A.REOPEN if ours else A.REOPEN_JUDGEMENT, max(60, int(delay))])
        h = self.h
        if ours:  # a new round: the plan drafted again, approved, the customer told
            h._round(steps, priority, 2, True, None)
        else:  # the responsibility judged again, within the first-response window
            ours = r() < REJUDGED_OURS_SHARE
            more = h._script(priority, first_hours, None, ours)
            steps += more
            if more[-1][0] not in RESOLVING:
                return
        self.script(steps, priority, first_hours, ours, None, reopens + 1)

    # ------------------------------------------------------------ playing a step

    def apply(self, k: Case, action: Action, at: datetime) -> tuple[str, str]:
        """One revisit step onto the complaint; returns the actor and the audit detail."""
        c, h = k.c, self.h
        if action is A.CLOSE_UNREACHED:
            comment = CLOSE_UNREACHED_COMMENT.format(n=c["revisit_attempts"])
            return k.revisitor, detail_text(effects.closed_unreached(c, comment=comment, at=at))
        actor = k.revisitor = k.service if h.random() < 0.6 else h.pick(h.cast.service)
        reached = action is not A.REVISIT_UNREACHED
        if reached:
            method = h.weighted(self._reached)
            attitude, result = h.weighted(self._happy if action is A.REVISIT_CLOSE
                                          else self._unhappy)
            attitude, result = attitude.value, result.value
            if action is A.REOPEN:
                comment = h.pick(DISSATISFIED[HandlingMethod(k.plan["method"])]
                                 if k.plan else DISSATISFIED[HandlingMethod.OTHER])
            elif action is A.REOPEN_JUDGEMENT:
                comment = h.pick(DISSATISFIED_NOT_OURS)
            else:
                paid = k.plan is not None and bool(k.plan["loss_cents"])
                comment = h.pick((SATISFIED_COMMENTS + (PAID_COMMENT,) if paid
                                  else SATISFIED_COMMENTS) if result == "satisfied" == attitude
                                 else BASIC_COMMENTS)
        else:
            method = h.weighted(self._unreached)
            attitude = result = None
            comment = h.pick(UNREACHED_COMMENTS[method])
        visit = effects.revisit_row(c, action, method=method.value, reached=reached,
                                    attitude=attitude, result=result, comment=comment,
                                    by=actor, at=at)
        visit["id"] = visit_id = self.next_id
        self.next_id += 1
        self.rows.append(visit)
        if action is A.REVISIT_UNREACHED:
            retry_due = reopen_due = h.calendar.plus(at, self.retry)
        else:
            limits = self.limits[k.priority]
            retry_due = reopen_due = h.calendar.plus(
                at, limits.resolution if action is A.REOPEN else limits.first_response)
        return actor, detail_text(effects.revisited(c, action, visit_id, visit, at=at,
                                                    retry_due=retry_due, reopen_due=reopen_due))

    def take(self) -> list[dict]:
        rows, self.rows = self.rows, []
        return rows


__all__ = ["ACTIONS", "RESOLVING"]
