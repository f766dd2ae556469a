"""Demo data, part two: each complaint's handling played as workflow.py plays it."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from complaintdesk.domain import effects
from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.enums import (Action, AgreementMethod, HandlingMethod, Priority, RevisitMethod,
                                        SheetState, Status)
from complaintdesk.domain.money import format_amount
from complaintdesk.store.models import HandlingSheet
from complaintdesk.process.workflow import TRANSITIONS
from complaintdesk.demo.calendar import Calendar
from complaintdesk.demo.generate import DemoRow, weight_table
from complaintdesk.demo.callbacks import ACTIONS as REVISIT_ACTIONS
from complaintdesk.demo.callbacks import RESOLVING, RevisitPlan
from complaintdesk.demo.cases import Case, Cast
from complaintdesk.demo.matters import (AGREED, DISAGREED, DISCOUNTS, IMPLEMENTATION_OPINIONS,
                                         PAYING_OPINIONS, PAYING_RETURN_REASONS, REMEDY_COST, RESULTS,
                                         RETURN_REASONS)
from complaintdesk.demo.text import (AGREEMENT_WEIGHTS, CITY_NAMES,
                        DEPARTMENTS_FOR, DRAFT_FIRST_SHARE,
                        ESCALATE_REASONS, ESCALATE_SHARE, EVIDENCE_DIR,
                        FINDINGS, GIVEN, LOSS_YUAN,
                        MANAGER_OPINIONS, METHOD_WEIGHTS, NOT_OURS_SHARE,
                        OPINION_WEIGHTS, PACE, RECEIVER_OPINIONS,
                        RESUBMIT_NOTE, RETURN_SHARE, SECOND_ROUND_LEAD,
                        SECOND_ROUND_SHARE, SHOWCASE_DAYS, STALL_SHARE, STEP_HOURS,
                        SUPERVISOR_DRAFTS, SURNAMES)

S, A = Status, Action

# ------------------------------------------------------------------ handling (process.md §3-§6)
#
# Each complaint gets a story: the steps it will go through (judged ours or not,
# dispatched, investigated, a sheet drafted, returned or approved, the customer
# told, agreeing or opening a second round, then the revisit: demo_revisits.py)
# with how long each takes. The story is cut at "now", so complaints received
# long ago are closed and recent ones earlier in the flow. The steps are played
# as the core functions in workflow.py and revisits.py play them: the same
# columns, sheet versions and one audit event per step, its next status taken
# from workflow.TRANSITIONS.

_CODE = {m: m.value for enum in (Status, Action, AgreementMethod, HandlingMethod, RevisitMethod)
         for m in enum}
_EVENT = {a: f"workflow.{a.value}" for a in Action}
_JSON = effects.detail_text  # the use-cases' own encoder of audit details
#: A 处理单 row as the table's defaults make it (NULL where none).
NEW_SHEET = {column.name: None if column.default is None else column.default.arg
             for column in HandlingSheet.__table__.columns  # type: ignore[attr-defined]
             if column.name != "id"}


class _Values(dict):
    """Values for a story's text templates, each made on first use (format_map asks
    ``__missing__``): most stories need only a few of them."""

    make: Callable[[str], object]

    def __missing__(self, key: str) -> object:
        value = self[key] = self.make(key)
        return value


#: Values only the later story needs, made when a text first asks for them.
VALUE_RANGES = {"hh": (0, 24), "times": (2, 6), "sample": (20, 60), "bad": (2, 8),
                "photos": (2, 7), "clause": (5, 30)}
EVIDENCE_COUNTS = (0, 1, 1, 2, 2, 2, 3, 3)


_NEW_ROUND = (A.CUSTOMER_DISAGREES, A.REOPEN)


class CaseHandling:
    """Plays the handling workflow over freshly built complaint rows.

    Times are naive UTC datetimes, the complaint row's too (the stored form; an aware
    isoformat costs four times as much, at a dozen times a complaint).
    """

    def __init__(self, rng: random.Random, cast: Cast, config: DeskConfig, now: datetime,
                 total: int):
        self.rng = rng
        self.random = rng.random
        self.cast = cast
        self.config = config
        self.calendar = Calendar(now.tzinfo)
        self.now_utc = now.astimezone(UTC).replace(tzinfo=None)
        self.total = total
        self.index = 0
        self.missing = sorted(SHOWCASE_DAYS, key=SHOWCASE_DAYS.get, reverse=True)
        self.service_set = set(cast.service)
        self.departments = {cat: [d for d in codes if d in cast.handlers] or list(cast.handlers)
                            for cat, codes in DEPARTMENTS_FOR.items()}
        self.all_departments = [d.code for d in config.departments]
        self.all_handlers = [h for hs in cast.handlers.values() for h in hs]
        self.dept_names = {d.code: d.name for d in config.departments}
        self._methods = {cat: weight_table(w) for cat, w in METHOD_WEIGHTS.items()}
        self._agreement = weight_table(AGREEMENT_WEIGHTS)
        self._opinion = weight_table(OPINION_WEIGHTS)
        self.revisits = RevisitPlan(self)
        self._approvers: dict[tuple, list[str]] = {}
        self.investigations: list[tuple] = []  # rows in _INVESTIGATION_COLUMNS order
        self.sheets: list[dict] = []  # changed step by step; rows once the batch is played
        self.events: list[tuple] = []  # rows in _EVENT_COLUMNS order

    def snapshot(self) -> tuple:
        """The dice and what the stories remember, to play a batch again (restore)."""
        return (self.rng.getstate(), self.index, list(self.missing))

    def restore(self, snapshot: tuple) -> None:
        state, self.index, missing = snapshot
        self.rng.setstate(state)
        self.missing = list(missing)
        self.investigations, self.sheets, self.events = [], [], []
        self.revisits.rows = []

    # dice (as in Generator: random() and index arithmetic, for speed)
    def pick(self, seq):  # type: ignore[no-untyped-def]
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low))

    def weighted(self, pair):  # type: ignore[no-untyped-def]
        seq, cum = pair
        return seq[bisect_right(cum, self.random() * cum[-1])]

    # ------------------------------------------------------------ the story

    def _script(self, priority: Priority, first_hours: float, forced: Status | None,
                ours: bool) -> list[list]:
        """The steps ahead as [action, whole seconds after the previous step (≥ 60)]."""
        r = self.random
        pace = PACE[priority] * 3600
        # Judged within the first-response window, mostly well inside it.
        judged = max(60, int(first_hours * (0.05 + 0.7 * r()) * 3600))
        if not ours:
            return [[A.JUDGE_NOT_OURS, judged]]
        steps: list[list] = [[A.JUDGE_OURS, judged]]
        if not self.cast.supervisors or not self.cast.handlers:
            return steps  # nobody to dispatch to: the story stops at 已受理
        self._add(steps, A.DISPATCH, pace)
        self._add(steps, A.RECORD_INVESTIGATION, pace)
        rounds = 2 if forced is S.SECOND_ROUND or (
            forced is None and r() < SECOND_ROUND_SHARE) else 1
        for rnd in range(1, rounds + 1):
            self._round(steps, priority, rnd, rnd == rounds, forced)
        return steps

    def _add(self, steps: list[list], action: Action, scale: float) -> None:
        """A step taking STEP_HOURS of ``scale`` seconds each."""
        low, high = STEP_HOURS[action]
        steps.append([action, max(60, int((low + self.random() * (high - low)) * scale))])

    def _round(self, steps: list[list], priority: Priority, rnd: int, last: bool,
               forced: Status | None) -> None:
        """One round of the 处理单: drafted, submitted (perhaps returned and resubmitted),
        approved, the customer told; agreeing if it is the ``last``."""
        pace = PACE[priority] * 3600
        if rnd >= 2:
            self._add(steps, A.SAVE_SHEET, pace * 2)  # always a draft: the new sheet exists
        elif self.random() < DRAFT_FIRST_SHARE:
            self._add(steps, A.SAVE_SHEET, pace)
        self._add(steps, A.SUBMIT_SHEET, pace)
        if (forced is S.RETURNED and rnd == 1) or (forced is None
                                                    and self.random() < RETURN_SHARE):
            self._add(steps, A.RETURN, pace)
            self._add(steps, A.SUBMIT_SHEET, pace * 1.5)
        self._add(steps, A.APPROVE, pace)
        self._add(steps, A.INFORM_CUSTOMER, pace)
        self._add(steps, A.CUSTOMER_AGREES if last else A.CUSTOMER_DISAGREES,
                  1800 if priority is Priority.URGENT else 3600)

    def _cut(self, steps: list[list], created: datetime) -> list[tuple[Action, datetime]]:
        """The steps done by now, with their times."""
        done = []
        seconds = 0
        limit = int((self.now_utc - created).total_seconds())
        for action, delay in steps:
            seconds += delay
            if seconds > limit:
                # A second round always has its new draft: pull that save in before now.
                if done and action is A.SAVE_SHEET and done[-1][0] in _NEW_ROUND:
                    last = done[-1][1]
                    if self.now_utc - last > timedelta(seconds=2):
                        done.append((action, last + (self.now_utc - last) / 2))
                break
            done.append((action, created + timedelta(seconds=seconds)))
        return done

    def _squeeze(self, steps: list[list], target: Status,
                 created: datetime) -> list[tuple[Action, datetime]] | None:
        """The steps up to ``target`` fitted between registration and now, or None."""
        status, upto = S.REGISTERED, 0
        if target is not S.REGISTERED:
            for upto, (action, _s) in enumerate(steps, start=1):
                status = TRANSITIONS[(status, action)][0]
                if status is target:
                    break
            else:
                return None
            if target is S.SECOND_ROUND:
                upto += 1  # and the second sheet's first draft
        prefix = steps[:upto]
        room = (self.now_utc - created).total_seconds()
        if room < 120 * (len(prefix) + 1):
            return None
        need = sum(s for _a, s in prefix)
        scale = min(1.0, room * 0.9 / need) if need else 1.0
        done, at = [], created
        for action, seconds in prefix:
            at = at + timedelta(seconds=max(1, int(seconds * scale)))
            done.append((action, at))
        return done

    def play(self, c: dict, row: DemoRow, number: str) -> None:
        """Play this complaint's story up to now onto its row, adding sheets and events."""
        self.index += 1
        if not self.cast.service:
            return  # nobody at the counter: everything stays 已登记
        created = c["created_at"]
        first_hours = (c["first_response_due"] - c["received_at"]).total_seconds() / 3600
        ours = self.random() >= NOT_OURS_SHARE
        steps = self._script(row.priority, first_hours, None, ours)
        if self.random() < STALL_SHARE:
            steps[int(self.random() * len(steps))][1] += int((5 + 40 * self.random()) * 86400)
        if (ours and row.priority is not Priority.MAJOR and len(steps) > 2
                and self.random() < ESCALATE_SHARE):
            at = 1 + int(self.random() * (len(steps) - 1))
            if steps[at - 1][0] is not A.CUSTOMER_DISAGREES:
                steps.insert(at, [A.ESCALATE, max(60, int(STEP_HOURS[A.ESCALATE][1] * 3600
                                                          * self.random()))])
        if steps[-1][0] in RESOLVING:
            self.revisits.script(steps, row.priority, first_hours, ours, None)
        done = self._cut(steps, created)
        if self.missing:
            status = S.REGISTERED
            for action, _at in done:
                status = TRANSITIONS[(status, action)][0]
            # Shown only by a complaint of the age that status is usually seen at: a
            # stalled old 已登记 complaint does not stand for a fresh one.
            if status in self.missing and (self.now_utc - created).total_seconds() <= \
                    SHOWCASE_DAYS[status] * 86400:
                self.missing.remove(status)
            else:
                done = self._showcase(row, first_hours, created, done)
        if not done:
            return
        k = Case()
        k.c, k.status, k.number, k.category = c, S.REGISTERED, number, row.category
        k.priority = row.priority
        k.service = row.receiver if row.receiver in self.service_set else self.pick(self.cast.service)
        k.handler = k.drafter = k.revisitor = None
        k.sheet = k.plan = None
        k.values = self._values(row)
        k.matter, k.wanted = row.matter, row.wanted
        apply = self._apply
        for action, at in done:
            apply(k, action, at)
        c["status"] = _CODE[k.status]
        c["version"] += len(done)  # one per step, as workflow.act counts
        c["updated_at"] = done[-1][1]

    def _showcase(self, row: DemoRow, first_hours: float, created: datetime,
                  done: list[tuple[Action, datetime]]) -> list[tuple[Action, datetime]]:
        age = (self.now_utc - created).total_seconds() / 86400
        last_chance = self.total - self.index < len(self.missing)
        for target in self.missing:  # oldest-looking status first
            if age > SHOWCASE_DAYS[target] and not last_chance:
                continue
            ours = target not in (S.REVISIT, S.CLOSED) or self.random() >= NOT_OURS_SHARE
            steps = self._script(row.priority, first_hours, target, ours)
            if target is S.CLOSED and steps[-1][0] in RESOLVING:
                self.revisits.script(steps, row.priority, first_hours, ours, target)
            squeezed = self._squeeze(steps, target, created)
            if squeezed is not None:
                self.missing.remove(target)
                return squeezed
        return done

    def _values(self, row: DemoRow) -> _Values:
        values = _Values(row.values)
        values["dept"] = values["amount"] = ""
        values.make = self._value
        return values

    def _value(self, key: str) -> object:
        """A template value, made the first time a story's text needs it."""
        between = self.between
        if key == "person":
            return self.pick(SURNAMES) + self.pick(GIVEN)
        if key == "batch":
            return f"{between(2024, 2027)}{between(1, 13):02d}-{between(1, 99):02d}"
        if key == "city":
            return self.pick(CITY_NAMES)[-3:]
        low, high = VALUE_RANGES[key]
        return between(low, high)

    def _revisit_due(self, at: datetime) -> datetime:
        """When the revisit of an outcome accepted at ``at`` falls due (the desk's window)."""
        return self.calendar.plus(at, self.config.revisit_within)

    def _supervisor(self, *not_these: str | None) -> str:
        choices = self._approvers.get(not_these)
        if choices is None:
            choices = self._approvers[not_these] = [
                s for s in self.cast.supervisors if s not in not_these]
        return self.pick(choices)

    def _cents(self, method: HandlingMethod) -> int:
        low, high = LOSS_YUAN[method]
        if method is HandlingMethod.OTHER and self.random() < 0.7:
            return 0
        yuan = self.between(low, high + 1)
        roll = self.random()
        if roll < 0.45:
            return yuan * 100
        if roll < 0.7:
            return yuan * 100 + 50
        return yuan * 100 + self.between(1, 100)

    def _plan(self, k: Case, rnd: int) -> dict:
        """What the sheet of round ``rnd`` will say when it is submitted."""
        first = k.plan
        goods = bool(k.c["product"])  # only goods are returned
        if rnd == 1 or first is None:
            # Mostly what the customer asked for; otherwise what the category usually gets.
            method = k.wanted if self.random() < 0.6 else self.weighted(self._methods[k.category])
            if method is HandlingMethod.RETURN and not goods:
                method = HandlingMethod.COMPENSATION
            cents = self._cents(method)
        elif goods and first["method"] != "return" and self.random() < 0.4:  # a return after all
            method = HandlingMethod.RETURN
            cents = self._cents(method)
        else:  # wants more: a compensation above the first plan (or on top of the return)
            method = HandlingMethod.COMPENSATION
            base = 0 if first["method"] == "return" else first["loss_cents"] or 0
            cents = max(self._cents(method), int(base * (1.2 + 0.6 * self.random())))
        return {"method": _CODE[method], "loss_cents": cents,
                "receiver_opinion": self.pick(RECEIVER_OPINIONS),
                "manager_opinion": self.pick(MANAGER_OPINIONS).format_map(k.values),
                "result": self._result(k, method, cents, rnd)}

    def _result(self, k: Case, method: HandlingMethod, cents: int, rnd: int) -> str:
        k.values["amount"] = format_amount(cents)
        if method is HandlingMethod.OTHER:  # the matter's own remedy
            template = k.matter.remedy + (REMEDY_COST if cents else "。")
        elif method is HandlingMethod.DISCOUNT:
            template = DISCOUNTS[k.category]
        else:
            template = self.pick(RESULTS[method])
        text = template.format_map(k.values)
        return SECOND_ROUND_LEAD + text if rnd > 1 else text

    def _manager_event(self, k: Case, sheet: dict, manager: str, opinion: str,
                       at: datetime) -> tuple:
        """The manager's 部门经理意见, given between the step before and the submission
        (its audit event; the complaint's version counts it, as workflow.act does)."""
        last = self.events[-1] if self.events and self.events[-1][2] == k.c["id"] else None
        before = datetime.fromisoformat(last[0]) if last else at - timedelta(minutes=2)
        when = before + (at - before) / 2
        detail = _JSON(effects.manager_opinion_given(sheet, by=manager, at=when, text=opinion))
        k.c["version"] += 1
        return (when.isoformat(" ", "microseconds"), manager, k.c["id"],
                _EVENT[A.MANAGER_OPINION], None, None, _CODE[k.status], detail)

    def _new_sheet(self, k: Case, at: datetime, actor: str) -> dict:
        c = k.c
        sheet = dict(NEW_SHEET, product=c["product"], quantity=c["quantity"],
                     **effects.new_sheet(c, number=k.number, by=actor, at=at, handling_date=at))
        self.sheets.append(sheet)
        k.sheet = sheet
        k.plan = self._plan(k, c["round"])
        return sheet

    def _investigation(self, k: Case, at: datetime) -> int:
        """Record the department's findings on the complaint's own matter; returns
        how many pieces of evidence."""
        v, matter = k.values, k.matter
        finding = self.pick(FINDINGS).format_map(v)
        report = f"{v['dept']}调查结论：{finding}\n整改措施：{matter.measure.format_map(v)}"
        evidence = []
        items = matter.evidence
        count = min(self.pick(EVIDENCE_COUNTS), len(items))
        first = int(self.random() * len(items))
        for i in range(1, count + 1):
            kind, description, ext = items[(first + i) % len(items)]
            path = f"{EVIDENCE_DIR}/{k.number}/{i}-{kind}.{ext}" if ext and self.random() < 0.6 \
                else ""
            evidence.append({"kind": kind, "description": description.format_map(v), "path": path})
        self.investigations.append((
            k.c["id"], k.c["round"], matter.facts.format_map(v), matter.cause.format_map(v),
            _JSON(evidence), finding, report, k.handler, at.isoformat(" ", "microseconds")))
        return count

    def _apply(self, k: Case, action: Action, at: datetime) -> None:
        """One step, as the workflow function of the same name does it."""
        c = k.c
        before = k.status
        after = TRANSITIONS[(before, action)][0]
        if action is A.SUBMIT_SHEET or action is A.SAVE_SHEET:
            if k.drafter is None:
                k.drafter = (self.pick(self.cast.supervisors) if len(self.cast.supervisors) > 1
                             and self.random() < SUPERVISOR_DRAFTS else k.handler)
            actor = k.drafter
            sheet = k.sheet if k.sheet is not None and k.sheet["round"] == c["round"] else None
            if sheet is None:
                sheet = self._new_sheet(k, at, actor)
            else:
                sheet["version"] += 1
            plan = k.plan
            if sheet["state"] == SheetState.RETURNED:
                # Reworked as the supervisor asked: a compensation comes down, the note says why.
                if plan["method"] == "compensation" and plan["loss_cents"]:
                    plan["loss_cents"] = plan["loss_cents"] * self.between(70, 91) // 100
                    plan["result"] = self._result(k, HandlingMethod.COMPENSATION,
                                                  plan["loss_cents"], c["round"])
                plan["receiver_opinion"] += RESUBMIT_NOTE
            if action is A.SAVE_SHEET:
                fields = {"result": plan["result"], "receiver_opinion": plan["receiver_opinion"]}
                if self.random() < 0.5:  # the draft is already complete
                    fields["method"], fields["loss_cents"] = plan["method"], plan["loss_cents"]
                effects.sheet_edited(sheet, fields, by=actor, at=at)
                detail = _JSON(effects.sheet_saved(sheet))
            else:
                opinion = plan.get("manager_opinion")
                effects.sheet_edited(sheet, {k: v for k, v in plan.items()
                                             if k != "manager_opinion"}, by=actor, at=at)
                manager = self.cast.managers.get(c["department"])
                if opinion and manager and sheet["manager_opinion_by"] is None:
                    # The department's manager signed the plan before it went up.
                    self.events.append(self._manager_event(k, sheet, manager, opinion, at))
                detail = _JSON(effects.sheet_submitted(sheet, by=actor, at=at))
        elif action is A.JUDGE_OURS:
            actor = k.service
            dept = self.pick(self.departments[k.category] or self.all_departments)
            k.values["dept"] = self.dept_names.get(dept, dept)
            due = c["resolution_due"]
            if self.random() < 0.2:  # the counter agreed a later date with the customer
                due = max(due, at) + timedelta(days=self.between(1, 8))
            detail = _JSON(effects.judged_ours(c, department=dept, handling_due=due, at=at))
        elif action is A.DISPATCH:
            actor = self.pick(self.cast.supervisors)
            k.handler = self.pick(self.cast.handlers.get(c["department"]) or self.all_handlers)
            due = self.calendar.plus(at, self.config.limits[k.priority].investigation)
            handling = c["handling_due"] or c["resolution_due"]
            if at < handling < due:  # never after the handling deadline (investigation_default)
                due = handling
            detail = _JSON(effects.dispatched(c, handler=k.handler, at=at, investigation_due=due))
        elif action is A.RECORD_INVESTIGATION:
            actor = k.handler
            detail = _JSON(effects.investigated(c, evidence=self._investigation(k, at)))
        elif action is A.APPROVE:
            sheet = k.sheet
            actor = self._supervisor(*sheet["authors"].split())
            opinions = PAYING_OPINIONS + IMPLEMENTATION_OPINIONS if sheet["loss_cents"] \
                else IMPLEMENTATION_OPINIONS
            text = self.pick(opinions).format_map(k.values)
            detail = _JSON(effects.decided(c, sheet, state=SheetState.APPROVED, by=actor, at=at,
                                           text=text))
        elif action is A.INFORM_CUSTOMER:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            detail = _JSON(effects.customer_informed(
                c, how=_CODE[self.weighted(self._agreement)], at=at))
        elif action is A.CUSTOMER_AGREES or action is A.CUSTOMER_DISAGREES:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            agreed = action is A.CUSTOMER_AGREES
            text = self.pick(AGREED if agreed else DISAGREED[HandlingMethod(k.plan["method"])])
            detail = _JSON(effects.customer_answered(
                c, k.sheet, agreed=agreed, opinion=text, how=_CODE[self.weighted(self._opinion)],
                at=at, revisit_due=self._revisit_due(at)))
        elif action is A.JUDGE_NOT_OURS:
            actor = k.service
            text = k.matter.not_ours.format_map(k.values)
            method = _CODE[self.weighted(self._agreement)]
            detail = _JSON(effects.judged_not_ours(c, explanation=text, agreement_method=method,
                                                   at=at, revisit_due=self._revisit_due(at)))
        elif action is A.RETURN:
            sheet = k.sheet
            actor = self._supervisor(*sheet["authors"].split())
            text = self.pick(PAYING_RETURN_REASONS + RETURN_REASONS if sheet["loss_cents"]
                             else RETURN_REASONS)
            detail = _JSON(effects.decided(c, sheet, state=SheetState.RETURNED, by=actor, at=at,
                                           text=text))
        elif action in REVISIT_ACTIONS:
            actor, detail = self.revisits.apply(k, action, at)
        elif action is A.ESCALATE:
            actor = self.pick(self.cast.supervisors)
            detail = _JSON(effects.escalated(c, reason=self.pick(ESCALATE_REASONS)))
        else:  # pragma: no cover - every action of the stories is above
            raise AssertionError(action)
        if after is before:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], None, None, _CODE[after], detail))
        else:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], "status", _CODE[before], _CODE[after], detail))
            k.status = after

    def take(self) -> tuple[list[tuple], list[dict], list[tuple], list[dict]]:
        """The batch's investigations and events as rows, its sheets and revisits as
        dicts, handing them over."""
        out = (self.investigations, self.sheets, self.events, self.revisits.take())
        self.investigations, self.sheets, self.events = [], [], []
        return out
