"""What each workflow step does to a complaint, and the audit detail it records:
one source of truth for the use-cases (``process/workflow.py``) and the demo
(``demo/handling.py``), which plays the same steps over plain rows.

A step's effect is written against a *row*: anything indexable by column name
(``row["department"] = …``). The demo passes its dict rows as they are; a
use-case passes an ORM object through ``as_row``. Times are whatever the caller
keeps (aware for the use-cases, naive UTC for the demo); ``moment_text`` writes
either the same way in an audit detail. Every effect returns the detail, a
dict; ``detail_text`` is the one way it becomes the stored JSON.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from complaintdesk.domain.numbers import sheet_number
from complaintdesk.domain.enums import (Action, Category, Channel, Priority, Responsibility,
                                        RevisitOutcome, SheetState, Status)

Row = MutableMapping[str, Any]

_DETAIL = json.JSONEncoder(ensure_ascii=False, default=str).encode


def detail_text(detail: dict[str, Any]) -> str:
    """An audit detail as stored: JSON, Chinese as it is (``json.dumps(detail,
    ensure_ascii=False, default=str)``, one encoder)."""
    return _DETAIL(detail)


def moment_text(moment: datetime) -> str:
    """A time in an audit detail: ISO 8601 with its offset (a naive time is the
    demo's UTC)."""
    text = moment.isoformat()
    return text if moment.tzinfo is not None else text + "+00:00"


class _ObjectRow(MutableMapping[str, Any]):
    """An object's attributes as a row (column name → value)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: object) -> None:
        self._obj = obj

    def __getitem__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self._obj, name, value)

    def __delitem__(self, name: str) -> None:  # pragma: no cover - effects never delete
        raise TypeError("a step never removes a column")

    def __iter__(self):  # pragma: no cover - effects never iterate
        raise TypeError("a row of an object is not iterable")

    def __len__(self) -> int:  # pragma: no cover
        raise TypeError("a row of an object has no length")


def as_row(obj: object) -> Row:
    """An ORM object (a complaint, a 处理单) as a row the effects can change."""
    return _ObjectRow(obj)


# ----------------------------------------------------------------- the effects

def start_revisit(c: Row, at: datetime, revisit_due: datetime) -> None:
    """The outcome is accepted at ``at``: resolved, the revisit falls due."""
    c["resolved_at"] = at
    c["revisit_due"] = c["due_at"] = revisit_due
    c["revisit_attempts"] = 0


def _told(c: Row, at: datetime) -> None:
    c["customer_told_at"] = at
    if c["first_response_at"] is None:  # the first response is the first time told
        c["first_response_at"] = at


def judged_not_ours(c: Row, *, explanation: str, agreement_method: str, at: datetime,
                    revisit_due: datetime) -> dict[str, Any]:
    """Not the company's fault, the customer agreed: on to the revisit."""
    c["responsibility"] = Responsibility.NOT_OURS.value
    c["explanation"], c["agreement_method"] = explanation, agreement_method
    _told(c, at)
    start_revisit(c, at, revisit_due)
    return {"responsibility": Responsibility.NOT_OURS.value, "agreement_method": agreement_method,
            "explanation": explanation}


def judged_ours(c: Row, *, department: str, handling_due: datetime, at: datetime
                ) -> dict[str, Any]:
    """The company's fault: the department and the handling deadline told the customer."""
    c["responsibility"], c["department"] = Responsibility.OURS.value, department
    c["handling_due"] = c["due_at"] = handling_due
    _told(c, at)
    return {"responsibility": Responsibility.OURS.value, "department": department,
            "handling_due": moment_text(handling_due)}


def dispatched(c: Row, *, handler: str, at: datetime, investigation_due: datetime
               ) -> dict[str, Any]:
    """The 处理单 goes to the department's handler, with the date its investigation
    is due (the department's clock); the queue counts down to the nearer deadline."""
    c["handler"] = handler
    c["dispatched_at"], c["investigation_due"] = at, investigation_due
    c["due_at"] = min(investigation_due, c["handling_due"] or c["resolution_due"])
    return {"handler": handler, "department": c["department"],
            "investigation_due": moment_text(investigation_due)}


def decided(c: Row, sheet: Row, *, state: SheetState, by: str, at: datetime, text: str
            ) -> dict[str, Any]:
    """A supervisor approves (实施意见) or returns (退回原因) the submitted 处理单.
    Approved, the plan's method and amount become the complaint's figures."""
    approved = state is SheetState.APPROVED
    sheet["state"], sheet["decided_by"], sheet["decided_at"] = state.value, by, at
    sheet["implementation_opinion" if approved else "return_reason"] = text
    sheet["version"] += 1
    detail: dict[str, Any] = {"sheet": sheet["sheet_number"],
                              "opinion" if approved else "reason": text}
    if _first(sheet):  # the second of two approvals, or a return at either level
        detail["first_decided_by"] = sheet["first_decided_by"]
        if approved:
            detail["level"] = "second"
        if not approved:  # a returned plan needs both approvals again
            sheet["first_decided_by"] = sheet["first_decided_at"] = sheet["first_opinion"] = None
    if approved:
        c["handling_method"], c["loss_cents"] = sheet["method"], sheet["loss_cents"]
    return detail


def _first(sheet: Row) -> Any:
    return _get(sheet, "first_decided_by")


def _get(row: Row, name: str) -> Any:
    """A column rows made before it existed (the demo's dicts) may lack."""
    try:
        return row[name]
    except (KeyError, AttributeError):
        return None


def first_approved(sheet: Row, *, by: str, at: datetime, text: str) -> dict[str, Any]:
    """The first of two approvals (a plan above the configured amount): the sheet
    waits for the second."""
    sheet["first_decided_by"], sheet["first_decided_at"], sheet["first_opinion"] = by, at, text
    sheet["version"] += 1
    return {"sheet": sheet["sheet_number"], "opinion": text, "level": "first"}


def manager_opinion_given(sheet: Row, *, by: str, at: datetime, text: str) -> dict[str, Any]:
    """The department's manager gives the 部门经理意见 (signed: who and when)."""
    before = sheet["manager_opinion"]
    # (The sheet's version stays: the drafter's fields are untouched, and an editor
    # open meanwhile saves without a false conflict.)
    sheet["manager_opinion"], sheet["manager_opinion_by"], sheet["manager_opinion_at"] = \
        text, by, at
    return {"sheet": sheet["sheet_number"], "opinion": text, "before": before or None}


def customer_informed(c: Row, *, how: str, at: datetime) -> dict[str, Any]:
    """The customer was told the result, and how."""
    c["customer_told_at"] = at
    return {"how": how}


def customer_answered(c: Row, sheet: Row | None, *, agreed: bool, opinion: str, how: str,
                      at: datetime, revisit_due: datetime) -> dict[str, Any]:
    """The customer's opinion of the plan: agreed, on to the revisit; else a new round."""
    if sheet is not None:
        sheet["customer_opinion"] = opinion
        sheet["version"] += 1
    if agreed:
        start_revisit(c, at, revisit_due)
    else:
        c["round"] += 1
    return {"agreed": agreed, "opinion": opinion, "how": how, "round": c["round"]}


def escalated(c: Row, *, reason: str) -> dict[str, Any]:
    """Reported to management (上报)."""
    c["escalated"] = True
    return {"reason": reason}


# ----------------------------------------------------------------- the revisit (回访)

#: What each revisit step records as the call's outcome.
REVISIT_OUTCOMES = {
    Action.REVISIT_UNREACHED: RevisitOutcome.RETRY,
    Action.REVISIT_CLOSE: RevisitOutcome.CLOSED,
    Action.REOPEN: RevisitOutcome.REOPENED,
    Action.REOPEN_JUDGEMENT: RevisitOutcome.REOPENED,
}


def revisit_step(reached: bool, unhappy: bool, responsibility: str | None) -> Action:
    """Which step a call-back is: not reached, closed, or reopened — for handling
    again when it was ours, for judging the responsibility again when it was not."""
    if not reached:
        return Action.REVISIT_UNREACHED
    if not unhappy:
        return Action.REVISIT_CLOSE
    return Action.REOPEN_JUDGEMENT if responsibility == Responsibility.NOT_OURS else Action.REOPEN


def revisit_row(c: Row, action: Action, *, method: str, reached: bool, attitude: str | None,
                result: str | None, comment: str, by: str, at: datetime,
                counts_attempt: bool = True) -> dict[str, Any]:
    """The 回访记录 of one call-back (its columns, without the id). ``attempt`` is
    the day's attempt number: a second failed call on the same day shares it."""
    attempt = c["revisit_attempts"] + (1 if counts_attempt else 0)
    return {"complaint_id": c["id"], "round": c["round"], "attempt": max(attempt, 1),
            "method": method, "reached": reached, "attitude": attitude, "result": result,
            "comment": comment, "outcome": REVISIT_OUTCOMES[action].value, "recorded_by": by,
            "recorded_at": at, "received_at": c["received_at"], "received_by": c["received_by"],
            "handler": c["handler"]}


def closed(c: Row, at: datetime) -> None:
    """The case is closed (结案): no deadline any more."""
    c["closed"], c["closed_at"], c["due_at"] = True, at, None


def revisited(c: Row, action: Action, visit_id: int, visit: Row, *, at: datetime,
              retry_due: datetime, reopen_due: datetime,
              counts_attempt: bool = True) -> dict[str, Any]:
    """A call-back's effect on the complaint: not reached, the next call falls due at
    ``retry_due``; closed; or reopened (``reopen_due``: the new handling deadline,
    or the first-response one when the responsibility is judged again). A failed
    call counts as an attempt toward 无法联系 only on a day without one already
    (``counts_attempt``)."""
    if action is Action.REVISIT_UNREACHED:
        if counts_attempt:
            c["revisit_attempts"] += 1
        c["due_at"] = c["revisit_due"] = retry_due
    elif action is Action.REVISIT_CLOSE:
        closed(c, at)
    else:
        c["reopen_count"] += 1
        # Not resolved any more: resolved_at is set again when the customer next accepts.
        c["revisit_due"], c["revisit_attempts"], c["resolved_at"] = None, 0, None
        if action is Action.REOPEN:
            c["round"] += 1
            c["handling_due"] = c["due_at"] = reopen_due
        else:
            c["responsibility"] = None
            c["due_at"] = reopen_due
    return {"revisit": visit_id, "method": visit["method"], "reached": bool(visit["reached"]),
            "attitude": visit["attitude"], "result": visit["result"], "comment": visit["comment"],
            "attempt": visit["attempt"], "round": c["round"]}


def closed_unreached(c: Row, *, comment: str, at: datetime) -> dict[str, Any]:
    """Closed after the configured attempts without reaching the customer."""
    closed(c, at)
    return {"attempts": c["revisit_attempts"], "comment": comment}


# ----------------------------------------------------------------- registration (登记)

def registered(*, number: str, customer_id: int, customer_name: str, address: str, contact: str,
               channel: Channel, received_at: datetime, event: str, demand: str,
               category: Category, priority: Priority, product: str, quantity: int, by: str,
               first_response_due: datetime, resolution_due: datetime, at: datetime
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new complaint's columns (the rest take their defaults) and the detail of
    its ``complaint.registered`` event. A 重大 complaint is reported (上报) at once;
    the first deadline to watch is the first response."""
    escalated = priority is Priority.MAJOR
    row = {
        "number": number, "customer_id": customer_id, "customer_name": customer_name,
        "address": address, "contact": contact, "channel": channel.value,
        "received_at": received_at, "event": event, "demand": demand,
        "category": category.value, "priority": priority.value, "priority_rank": priority.rank,
        "product": product, "quantity": quantity, "status": Status.REGISTERED.value,
        "received_by": by, "first_response_due": first_response_due,
        "resolution_due": resolution_due, "escalated": escalated, "created_at": at,
        "updated_at": at, "due_at": first_response_due,
    }
    return row, {"priority": priority.value, "channel": channel.value, "escalated": escalated}


# ----------------------------------------------------------------- the 处理单

def new_sheet(c: Row, *, number: str, by: str, at: datetime, handling_date: datetime
              ) -> dict[str, Any]:
    """The columns of the current round's first 处理单 (the rest take their defaults)."""
    return {"complaint_id": c["id"], "round": c["round"],
            "sheet_number": sheet_number(number, c["round"]),
            "department": c["department"] or "", "handling_date": handling_date,
            "state": SheetState.DRAFT.value, "drafted_by": by, "updated_by": by,
            "updated_at": at}


#: What the 部门经理意见 signs: a change to any of these withdraws it.
SIGNED_FIELDS = ("result", "method", "loss_cents")


def sheet_edited(sheet: Row, fields: dict[str, Any], *, by: str, at: datetime) -> str | None:
    """A save of the 处理单: its fields, a returned sheet a draft again, who wrote it.
    A change of the plan the department's manager signed withdraws the signed
    opinion (the manager signs the new plan again); its text is returned for the
    audit, else None."""
    withdrawn = None
    signed = _get(sheet, "manager_opinion_by")
    if signed and any(name in fields and fields[name] != sheet[name] for name in SIGNED_FIELDS):
        withdrawn = sheet["manager_opinion"]
        sheet["manager_opinion"], sheet["manager_opinion_by"], sheet["manager_opinion_at"] = \
            "", None, None
    for name, value in fields.items():
        sheet[name] = value
    if sheet["state"] == SheetState.RETURNED:
        sheet["state"] = SheetState.DRAFT.value
    sheet["updated_by"], sheet["updated_at"] = by, at
    authors = sheet["authors"].split()
    if by not in authors:
        sheet["authors"] = " ".join(sorted(authors + [by]))
    return withdrawn


def sheet_saved(sheet: Row) -> dict[str, Any]:
    """The detail of a saved draft."""
    return {"sheet": sheet["sheet_number"], "version": sheet["version"]}


def sheet_submitted(sheet: Row, *, by: str, at: datetime) -> dict[str, Any]:
    """The 处理单 goes to the supervisor for approval."""
    sheet["state"], sheet["submitted_at"], sheet["submitted_by"] = \
        SheetState.SUBMITTED.value, at, by
    return {"sheet": sheet["sheet_number"], "method": sheet["method"],
            "loss_cents": sheet["loss_cents"]}


# ----------------------------------------------------------------- the investigation (调查)

def investigated(c: Row, *, evidence: int) -> dict[str, Any]:
    """The department recorded its findings of this round, with ``evidence`` pieces;
    the queue counts down to the handling deadline again."""
    c["due_at"] = c["handling_due"] or c["resolution_due"]
    return {"round": c["round"], "evidence": evidence}
