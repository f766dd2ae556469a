"""Demo data: realistic Chinese complaints, deterministic, fast for a million rows.

``register_complaint`` costs one transaction per complaint, which is right at
the counter and far too slow for ``demo --count 1000000``. Here rows are built
in Python and written with SQLAlchemy Core ``executemany`` in batches, each
batch one ``BEGIN IMMEDIATE`` transaction that keeps the same invariants as
registration: 受理编号 from ``daily_counter`` (continuing any existing counter,
so numbers never collide), customers shared by contact key, deadlines from the
configuration, the search indexes, and the registration's audit event.

Then each complaint is carried through the handling workflow as far as its age
allows (see "handling" below): responsibility, dispatch, investigation, the
《客户投诉处理单》, approval or return, telling the customer, second rounds, with
the rows and audit events workflow.py would have written, in the same
transaction as the complaint.
"""

from __future__ import annotations

import gc
import json
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert
from sqlalchemy import text as sql
from sqlmodel import select
from sqlmodel.sql.sqltypes import UTCDateTime

from . import search, staffing
from .complaints import format_number
from .config import deadlines_for
from .desk import Desk
from .enums import (Action, AgreementMethod, Category, Channel, HandlingMethod, Priority, Role,
                    Status)
from .errors import DomainError
from .models import AuditEvent, Complaint, Customer, HandlingSheet, Investigation, Staff
from .money import format_amount
from .text import normalize_contact
from .workflow import REVISIT_AFTER, TRANSITIONS
from .demo_text import *  # noqa: F403 - the data pools, split out to keep this file readable

S, A = Status, Action
# A week in days is a timedelta (cheaper than relativedelta a hundred thousand times).
_WEEK = (timedelta(days=REVISIT_AFTER.days)
         if REVISIT_AFTER == relativedelta(days=REVISIT_AFTER.days) else REVISIT_AFTER)

DEFAULT_SEED = 20261123
MAX_COUNT = 10_000_000



@dataclass
class DemoSummary:
    complaints: int
    new_customers: int
    staff_added: list[str] = field(default_factory=list)
    first_number: str | None = None
    last_number: str | None = None
    actor: str = ""

    def line(self) -> str:
        numbers = f"，受理编号 {self.first_number} … {self.last_number}" if self.complaints else ""
        staff = f"，新增员工 {len(self.staff_added)} 名" if self.staff_added else ""
        return f"已生成演示投诉 {self.complaints} 条，新客户 {self.new_customers} 位{staff}{numbers}"


class _Customer:
    __slots__ = ("name", "address", "contact", "key", "last_channel", "id", "company")

    def __init__(self, name: str, address: str, contact: str, last_channel: Channel,
                 company: bool):
        self.name, self.address, self.contact = name, address, contact
        self.company = company
        self.key = normalize_contact(contact)
        self.last_channel = last_channel
        self.id: int | None = None


@dataclass
class _Row:
    day: str  # local day of received_at, YYYYMMDD: the number's date
    received_at: datetime  # in the desk's zone
    customer: _Customer
    contact: str
    channel: Channel
    category: Category
    priority: Priority
    event: str
    demand: str
    product: str
    quantity: int | None
    receiver: str


# ------------------------------------------------------------------ generation

class _Generator:
    """Builds complaint rows. Uses ``random()`` with index arithmetic instead of
    ``choice``/``randrange``: three times faster, which matters at a million rows."""

    def __init__(self, rng: random.Random, receivers: list[str]):
        self.random = rng.random
        self.receivers = receivers
        self.recent: list[_Customer] = []
        self.recent_pos = 0
        self._channels = list(CHANNEL_WEIGHTS)
        self._channel_cum = _cumulative(CHANNEL_WEIGHTS.values())
        self._categories = list(CATEGORY_WEIGHTS)
        self._category_cum = _cumulative(CATEGORY_WEIGHTS.values())
        self._priorities = list(PRIORITY_WEIGHTS)
        self._priority_cum = _cumulative(PRIORITY_WEIGHTS.values())

    def pick(self, seq):  # type: ignore[no-untyped-def]
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """A whole number with low <= n < high."""
        return low + int(self.random() * (high - low))

    def weighted(self, seq, cum):  # type: ignore[no-untyped-def]
        return seq[bisect_right(cum, self.random() * cum[-1])]

    def person(self) -> str:
        return self.pick(SURNAMES) + self.pick(GIVEN)

    def mobile(self) -> str:
        return self.format_mobile(self.pick(MOBILE_PREFIXES) + f"{self.between(0, 10**8):08d}")

    def format_mobile(self, digits: str) -> str:
        style = self.random()
        if style < 0.6:
            return digits
        sep = " " if style < 0.8 else "-"
        return f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"

    def contact(self, channel: Channel) -> str:
        roll = self.random()
        if channel is Channel.EMAIL and roll < 0.85 or roll < 0.1:
            user = self.pick(PINYIN) + self.pick(PINYIN) + str(self.between(1, 9999))
            return f"{user}@{self.pick(MAIL_DOMAINS)}"
        if roll < 0.25:
            return f"{self.pick(AREA_CODES)}-{self.between(2, 9)}{self.between(0, 10**7):07d}"
        return self.mobile()

    def address(self, city: str) -> str:
        text = f"{city}{self.pick(CITIES[city])}{self.pick(ROADS)}{self.between(1, 999)}号"
        if self.random() < 0.5:
            text += f"{self.between(1, 30)}栋{self.between(1, 28)}0{self.between(1, 9)}室"
        return text

    def new_customer(self, channel: Channel) -> _Customer:
        city = self.pick(CITY_NAMES)
        if self.random() < 0.55:
            short_city = city[-3:-1] if city.endswith("市") and len(city) > 3 else city[:2]
            name = f"{short_city}{self.pick(BRANDS)}{self.pick(TRADES)}"
            return _Customer(name, self.address(city), self.contact(channel), channel, True)
        address = self.address(city) if self.random() < 0.7 else ""
        return _Customer(self.person(), address, self.contact(channel), channel, False)

    def customer(self, channel: Channel) -> tuple[_Customer, str, Channel]:
        """A new customer, or one who complained recently, now on another channel."""
        if self.recent and self.random() < REPEAT_SHARE:
            customer = self.pick(self.recent)
            if channel is customer.last_channel:
                channel = self.pick([c for c in self._channels if c is not channel])
            contact = customer.contact
            digits = normalize_contact(contact)
            if digits.isdigit() and len(digits) == 11:
                contact = self.format_mobile(digits)  # same number, typed differently
            customer.last_channel = channel
            return customer, contact, channel
        customer = self.new_customer(channel)
        if len(self.recent) < RECENT_CUSTOMERS:
            self.recent.append(customer)
        else:
            self.recent[self.recent_pos] = customer
            self.recent_pos = (self.recent_pos + 1) % RECENT_CUSTOMERS
        return customer, customer.contact, channel

    def content(self, category: Category, priority: Priority, day: date,
                company: bool) -> tuple[str, str, str, int | None]:
        events, demands = CONTENT[category]
        product, unit = self.pick(PRODUCTS)
        qty = self.between(5, 200) if company else self.pick((1, 1, 1, 2, 2, 3, 5))
        n = self.between(2, 15)
        earlier = day - timedelta(days=n + self.between(0, 10))
        p1 = self.between(50, 5000)
        values = {
            "date": f"{earlier.month}月{earlier.day}日", "product": product, "unit": unit,
            "qty": qty, "k": self.between(1, qty + 1), "n": n,
            "h": self.between(1, 5), "m": self.between(2, 6), "defect": self.pick(DEFECTS),
            "p1": p1, "p2": p1 + self.between(10, 800), "d": self.between(20, 600),
            "month": earlier.month, "amount": self.between(100, 20000),
            "order": f"{self.between(10**15, 10**16)}",
        }
        template = self.pick(events)
        event = template.format_map(values)
        if priority is Priority.URGENT:
            event += self.pick(URGENT_NOTES_COMPANY if company else URGENT_NOTES_PERSON)
        elif priority is Priority.MAJOR:
            event += self.pick(MAJOR_NOTES)
        if self.random() < 0.2:
            event += "\n补充：" + self.pick(EXTRA_NOTES)
        demand = self.pick(demands).format_map(values)
        if category is Category.PRODUCT or "{qty}" in template:
            return event, demand, product, qty
        if "{product}" in template:
            return event, demand, product, None
        return event, demand, "", None

    def rows(self, days: list[date], counts: list[int], now: datetime) -> Iterator[_Row]:
        zone = now.tzinfo
        hours = list(range(24))
        hour_cum = _cumulative(HOUR_WEIGHTS)
        index = 0
        for day, count in zip(days, counts):
            if not count:
                continue
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            day_text = day.strftime("%Y%m%d")
            limit = int((now - midnight).total_seconds()) if day == now.date() else 86_399
            seconds = []
            for _ in range(count):
                second = self.weighted(hours, hour_cum) * 3600 + self.between(0, 3600)
                seconds.append(second if second <= limit else self.between(0, limit + 1))
            seconds.sort()
            for second in seconds:
                # The first rows cycle through every value, so even a small demo shows them all.
                if index < len(self._channels):
                    channel = self._channels[index]
                    category = self._categories[index % len(self._categories)]
                    priority = self._priorities[index % len(self._priorities)]
                else:
                    channel = self.weighted(self._channels, self._channel_cum)
                    category = self.weighted(self._categories, self._category_cum)
                    priority = self.weighted(self._priorities, self._priority_cum)
                customer, contact, channel = self.customer(channel)
                event, demand, product, quantity = self.content(category, priority, day,
                                                                customer.company)
                receiver = (self.receivers[index] if index < len(self.receivers)
                            else self.pick(self.receivers))
                yield _Row(day_text, midnight + timedelta(seconds=second), customer, contact, channel,
                           category, priority, event, demand, product, quantity, receiver)
                index += 1


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _spread_over_days(rng: random.Random, now: datetime, months: int,
                      count: int) -> tuple[list[date], list[int]]:
    """How many complaints fall on each day of the last ``months`` months."""
    first = (now - relativedelta(months=months)).date()
    days = [first + timedelta(days=i) for i in range((now.date() - first).days + 1)]
    weights = []
    for i, day in enumerate(days):
        weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.5)[day.weekday()]
        weights.append(weekday * (0.8 + 0.4 * i / max(1, len(days) - 1)))
    # Today only as far as the clock has gone.
    elapsed = sum(HOUR_WEIGHTS[:now.hour]) + HOUR_WEIGHTS[now.hour] * now.minute / 60
    weights[-1] *= elapsed / sum(HOUR_WEIGHTS)
    counts = [0] * len(days)
    for i in rng.choices(range(len(days)), cum_weights=_cumulative(weights), k=count):
        counts[i] += 1
    return days, counts


# ------------------------------------------------------------------ staff

def _ensure_staff(desk: Desk, actor: str) -> tuple[list[str], list[str], "_Cast"]:
    """Add the demo staff an admin would have added; return (added, receivers, cast)."""
    departments = desk.config.departments
    roster: list[tuple[str, str, str, str | None]] = [
        (login, name, Role.COUNTER.value, None) for login, name in COUNTERS]
    for i, dept in enumerate(departments):
        login, name = HANDLERS[i % len(HANDLERS)]
        if i >= len(HANDLERS):
            login = f"{login}{i // len(HANDLERS) + 1}"
        roster.append((login, name, Role.HANDLER.value, dept.code))
    roster += [(login, name, Role.SUPERVISOR.value, None) for login, name in SUPERVISORS]

    logins = [r[0] for r in roster]
    with desk.store.read() as session:
        existing = set(session.exec(select(Staff.login).where(Staff.login.in_(logins))))
    added = []
    for login, name, role, dept in roster:
        if login not in existing:
            staffing.add_staff(desk, actor, login, name, role, dept)
            added.append(login)
    with desk.store.read() as session:
        active = list(session.exec(select(Staff).where(
            Staff.login.in_(logins), Staff.active == True)))  # noqa: E712
        receivers = list(session.exec(select(Staff.login).where(
            Staff.login.in_(logins), Staff.active == True,  # noqa: E712
            Staff.role.in_([Role.COUNTER.value, Role.SUPERVISOR.value]))))
    order = {login: i for i, login in enumerate(logins)}
    active.sort(key=lambda s: order[s.login])
    handlers: dict[str, list[str]] = {}
    for s in active:
        if s.role == Role.HANDLER.value and s.department:
            handlers.setdefault(s.department, []).append(s.login)
    cast = _Cast(service=[s.login for s in active
                          if s.role in (Role.COUNTER.value, Role.SUPERVISOR.value)],
                 supervisors=[s.login for s in active if s.role == Role.SUPERVISOR.value],
                 handlers=handlers)
    # Counters take most calls; supervisors register the odd escalated walk-in.
    counters = [login for login, *_ in COUNTERS if login in receivers]
    others = [login for login in receivers if login not in counters]
    receivers = counters * 4 + others or [actor]
    return added, receivers, cast


# ------------------------------------------------------------------ handling (process.md §3-§6)
#
# Each complaint gets a story: the steps it will go through (judged ours or not,
# dispatched, investigated, a sheet drafted, returned or approved, the customer
# told, agreeing or opening a second round) with how long each takes. The story is
# cut at "now", so complaints received long ago are far along (待回访) and recent
# ones earlier in the flow. The steps are played as the core functions in
# workflow.py play them: the same columns, sheet versions and one audit event per
# step, its next status taken from workflow.TRANSITIONS.



_CODE = {m: m.value for enum in (Status, Action, AgreementMethod, HandlingMethod) for m in enum}
_EVENT = {a: f"workflow.{a.value}" for a in Action}
_JSON = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per dumps()
_QUOTED: dict[str, str] = {}


def _q(text: str) -> str:
    """``text`` as a JSON string. The audit details are written as text, the way
    json.dumps(..., ensure_ascii=False) writes them; a million dumps() would cost seconds."""
    quoted = _QUOTED.get(text)
    if quoted is None:
        quoted = json.dumps(text, ensure_ascii=False)
        if len(_QUOTED) < 10_000:
            _QUOTED[text] = quoted
    return quoted


@dataclass
class _Cast:
    """Who plays which part: the active demo staff by role."""

    service: list[str]        # counter clerks and supervisors: judge, tell the customer
    supervisors: list[str]    # dispatch, approve, return, escalate
    handlers: dict[str, list[str]]  # department code → its handlers


class _Values(dict):
    """Values for a story's text templates, each made on first use (format_map asks
    ``__missing__``): most stories need only a few of them."""

    make: Callable[[str], object]

    def __missing__(self, key: str) -> object:
        value = self[key] = self.make(key)
        return value


VALUE_RANGES = {"n": (3, 40), "k": (2, 6), "h": (2, 5), "hh": (0, 24), "d": (20, 600),
                "month": (1, 13)}
FINDINGS_POOL = 48  # investigation texts kept per (category, department)
_NUMBER_MARK = "@NUMBER@"  # the complaint number in a pooled evidence path
_UNEVEN = timedelta(-1)  # marks a day with a clock change in reach (never a real shift)


class _Case:
    """One complaint while its story is played."""

    __slots__ = ("c", "status", "values", "category", "service", "handler", "drafter",
                 "sheet", "plan", "number")


class _Handling:
    """Plays the handling workflow over freshly built complaint rows.

    Times inside are naive UTC datetimes (the stored form; an aware isoformat costs
    four times as much, at eight events a complaint); the complaint row gets aware ones.
    """

    def __init__(self, rng: random.Random, cast: _Cast, desk: Desk, now: datetime, total: int):
        self.random = rng.random
        self.cast = cast
        self.zone = now.tzinfo
        self.now_utc = now.astimezone(UTC).replace(tzinfo=None)
        self.total = total
        self.index = 0
        self.missing = sorted(SHOWCASE_DAYS, key=SHOWCASE_DAYS.get, reverse=True)
        self.service_set = set(cast.service)
        self.departments = {cat: [d for d in codes if d in cast.handlers] or list(cast.handlers)
                            for cat, codes in DEPARTMENTS_FOR.items()}
        self.all_departments = [d.code for d in desk.config.departments]
        self.all_handlers = [h for hs in cast.handlers.values() for h in hs]
        self.dept_names = {d.code: d.name for d in desk.config.departments}
        self._methods = {cat: (list(w), _cumulative(w.values())) for cat, w in METHOD_WEIGHTS.items()}
        self._agreement = (list(AGREEMENT_WEIGHTS), _cumulative(AGREEMENT_WEIGHTS.values()))
        self._opinion = (list(OPINION_WEIGHTS), _cumulative(OPINION_WEIGHTS.values()))
        self._week_shift: dict[date, timedelta] = {}
        self._approvers: dict[tuple, list[str]] = {}
        self._findings: dict[tuple, list[tuple]] = {}
        self.investigations: list[tuple] = []  # rows in _INVESTIGATION_COLUMNS order
        self.sheets: list[dict] = []  # changed step by step; rows once the batch is played
        self.events: list[tuple] = []  # rows in _EVENT_COLUMNS order

    # dice (as in _Generator: random() and index arithmetic, for speed)
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

        def add(action: Action, scale: float = pace) -> None:
            low, high = STEP_HOURS[action]
            steps.append([action, max(60, int((low + r() * (high - low)) * scale))])

        add(A.DISPATCH)
        add(A.RECORD_INVESTIGATION)
        rounds = 2 if forced is S.SECOND_ROUND or (
            forced is None and r() < SECOND_ROUND_SHARE) else 1
        for rnd in range(1, rounds + 1):
            if rnd == 2:
                add(A.SAVE_SHEET, pace * 2)  # always a draft: the second sheet exists
            elif r() < DRAFT_FIRST_SHARE:
                add(A.SAVE_SHEET)
            add(A.SUBMIT_SHEET)
            if (forced is S.RETURNED and rnd == 1) or (forced is None and r() < RETURN_SHARE):
                add(A.RETURN)
                add(A.SUBMIT_SHEET, pace * 1.5)
            add(A.APPROVE)
            add(A.INFORM_CUSTOMER)
            add(A.CUSTOMER_DISAGREES if rnd < rounds else A.CUSTOMER_AGREES,
                1800 if priority is Priority.URGENT else 3600)
        return steps

    def _cut(self, steps: list[list], created: datetime) -> list[tuple[Action, datetime]]:
        """The steps done by now, with their times."""
        done = []
        seconds = 0
        limit = int((self.now_utc - created).total_seconds())
        for action, delay in steps:
            seconds += delay
            if seconds > limit:
                # A second round always has its new draft: pull that save in before now.
                if done and done[-1][0] is A.CUSTOMER_DISAGREES and action is A.SAVE_SHEET:
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

    def play(self, c: dict, row: _Row, number: str) -> None:
        """Play this complaint's story up to now onto its row, adding sheets and events."""
        self.index += 1
        if not self.cast.service:
            return  # nobody at the counter: everything stays 已登记
        created = c["created_at"].replace(tzinfo=None)  # UTC
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
        done = self._cut(steps, created)
        if self.missing:
            status = S.REGISTERED
            for action, _at in done:
                status = TRANSITIONS[(status, action)][0]
            if status in self.missing:
                self.missing.remove(status)
            else:
                done = self._showcase(row, first_hours, created, done)
        if not done:
            return
        k = _Case()
        k.c, k.status, k.number, k.category = c, S.REGISTERED, number, row.category
        k.service = row.receiver if row.receiver in self.service_set else self.pick(self.cast.service)
        k.handler = k.drafter = None
        k.sheet = k.plan = None
        k.values = self._values(row)
        apply = self._apply
        for action, at in done:
            apply(k, action, at)
        c["status"] = _CODE[k.status]
        c["version"] += len(done)  # one per step, as workflow._act counts
        c["updated_at"] = done[-1][1].replace(tzinfo=UTC)

    def _showcase(self, row: _Row, first_hours: float, created: datetime,
                  done: list[tuple[Action, datetime]]) -> list[tuple[Action, datetime]]:
        age = (self.now_utc - created).total_seconds() / 86400
        last_chance = self.total - self.index < len(self.missing)
        for target in self.missing:  # oldest-looking status first
            if age > SHOWCASE_DAYS[target] and not last_chance:
                continue
            steps = self._script(row.priority, first_hours, target, target is not S.REVISIT
                                 or self.random() >= NOT_OURS_SHARE)
            squeezed = self._squeeze(steps, target, created)
            if squeezed is not None:
                self.missing.remove(target)
                return squeezed
        return done

    def _values(self, row: _Row) -> _Values:
        values = _Values(dept="", amount="")
        values.make = self._value
        if row.product:
            values["product"] = row.product
        return values

    def _value(self, key: str) -> object:
        """A template value, made the first time a story's text needs it."""
        between = self.between
        if key == "product":
            return self.pick(PRODUCTS)[0]
        if key == "defect":
            return self.pick(DEFECTS)
        if key == "person":
            return self.pick(SURNAMES) + self.pick(GIVEN)
        if key == "date":
            return f"{between(1, 13)}月{between(1, 29)}日"
        if key == "batch":
            return f"{between(2024, 2027)}{between(1, 13):02d}-{between(1, 99):02d}"
        if key == "city":
            return self.pick(CITY_NAMES)[-3:]
        low, high = VALUE_RANGES[key]
        return between(low, high)

    def _plus_week(self, at: datetime) -> datetime:
        """workflow.REVISIT_AFTER from a moment, counted on the desk's calendar (an aware
        datetime plus a timedelta keeps the wall clock, as relativedelta does).

        The zone's conversions are slow and the shift is the same all day unless a
        clock change falls within that day or a week after it: kept per UTC day,
        worked out exactly only on such days."""
        day = at.date()
        shift = self._week_shift.get(day)
        if shift is None:
            start = datetime(day.year, day.month, day.day)
            first, last = self._exact_week(start), self._exact_week(start + timedelta(days=1))
            shift = self._week_shift[day] = first if first == last else _UNEVEN
        return at + (self._exact_week(at) if shift is _UNEVEN else shift)

    def _exact_week(self, at: datetime) -> timedelta:
        local = at.replace(tzinfo=UTC).astimezone(self.zone)
        return (local + _WEEK).astimezone(UTC).replace(tzinfo=None) - at

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

    def _plan(self, k: _Case, rnd: int) -> dict:
        """What the sheet of round ``rnd`` will say when it is submitted."""
        first = k.plan
        if rnd == 1 or first is None:
            method = self.weighted(self._methods[k.category])
            cents = self._cents(method)
        elif first["method"] != "return" and self.random() < 0.4:  # wants a return after all
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

    def _result(self, k: _Case, method: HandlingMethod, cents: int, rnd: int) -> str:
        k.values["amount"] = format_amount(cents)
        template = OTHER_WITH_COST if method is HandlingMethod.OTHER and cents else \
            self.pick(RESULTS[method])
        text = template.format_map(k.values)
        return SECOND_ROUND_LEAD + text if rnd > 1 else text

    def _new_sheet(self, k: _Case, at: datetime, actor: str) -> dict:
        c = k.c
        sheet = {"complaint_id": c["id"], "round": c["round"],
                 "sheet_number": f"CL-{k.number.removeprefix('TS-')}-{c['round']}",
                 "department": c["department"] or "", "handling_date": at, "result": "",
                 "receiver_opinion": "", "manager_opinion": "", "customer_opinion": "",
                 "method": None, "loss_cents": None, "product": c["product"],
                 "quantity": c["quantity"], "state": "draft", "drafted_by": actor,
                 "submitted_at": None, "submitted_by": None, "decided_by": None,
                 "decided_at": None, "implementation_opinion": None, "return_reason": None,
                 "updated_by": actor, "updated_at": at, "version": 1}
        self.sheets.append(sheet)
        k.sheet = sheet
        k.plan = self._plan(k, c["round"])
        return sheet

    def _investigation(self, k: _Case, at: datetime) -> int:
        """Record the department's findings; returns how many pieces of evidence.

        A department writes much the same findings for the same kind of case: each
        (category, department) keeps a pool of a few dozen, which also keeps a
        million-complaint demo from formatting a million reports."""
        key = (k.category, k.c["department"])
        pool = self._findings.setdefault(key, [])
        if len(pool) < FINDINGS_POOL:
            pool.append(self._findings_text(k))
        facts, cause, finding, report, evidence, count = self.pick(pool)
        self.investigations.append((
            k.c["id"], k.c["round"], facts, cause, evidence.replace(_NUMBER_MARK, k.number),
            finding, report, k.handler, at.isoformat(" ", "microseconds")))
        return count

    def _findings_text(self, k: _Case) -> tuple[str, str, str, str, str, int]:
        facts, cause, measure = self.pick(CASES[k.category])
        v = k.values
        facts, cause = facts.format_map(v), cause.format_map(v)
        finding = self.pick(FINDINGS).format_map(v)
        report = f"{v['dept']}调查结论：{finding}\n整改措施：{measure}"
        evidence = []
        for i in range(1, self.pick((0, 1, 1, 2, 2, 2, 3, 3)) + 1):
            kind = self.pick(EVIDENCE_KINDS)
            description, ext = self.pick(EVIDENCE[kind])
            path = f"{EVIDENCE_DIR}/{_NUMBER_MARK}/{i}-{kind}.{ext}" if ext and self.random() < 0.6 \
                else ""
            evidence.append({"kind": kind, "description": description.format_map(v), "path": path})
        return facts, cause, finding, report, _JSON(evidence), len(evidence)

    def _apply(self, k: _Case, action: Action, at: datetime) -> None:
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
            if sheet["state"] == "returned":
                sheet["state"] = "draft"
                # Reworked as the supervisor asked: a compensation comes down, the note says why.
                if plan["method"] == "compensation" and plan["loss_cents"]:
                    plan["loss_cents"] = plan["loss_cents"] * self.between(70, 91) // 100
                    plan["result"] = self._result(k, HandlingMethod.COMPENSATION,
                                                  plan["loss_cents"], c["round"])
                plan["receiver_opinion"] += RESUBMIT_NOTE
            if action is A.SAVE_SHEET:
                sheet["result"], sheet["receiver_opinion"] = plan["result"], plan["receiver_opinion"]
                if self.random() < 0.5:  # the draft is already complete
                    sheet["method"], sheet["loss_cents"] = plan["method"], plan["loss_cents"]
                detail = f'{{"sheet": "{sheet["sheet_number"]}", "version": {sheet["version"]}}}'
            else:
                sheet.update(plan)
                sheet["state"], sheet["submitted_at"], sheet["submitted_by"] = "submitted", at, actor
                detail = (f'{{"sheet": "{sheet["sheet_number"]}", "method": "{sheet["method"]}", '
                          f'"loss_cents": {sheet["loss_cents"]}}}')
            sheet["updated_by"], sheet["updated_at"] = actor, at
        elif action is A.JUDGE_OURS:
            actor = k.service
            dept = self.pick(self.departments[k.category] or self.all_departments)
            k.values["dept"] = self.dept_names.get(dept, dept)
            due = c["resolution_due"]
            if self.random() < 0.2:  # the counter agreed a later date with the customer
                due = (max(due, at.replace(tzinfo=UTC)) + timedelta(days=self.between(1, 8))
                       ).replace(minute=0, second=0, microsecond=0)
            c["responsibility"], c["department"] = "ours", dept
            c["handling_due"] = c["due_at"] = due
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            detail = (f'{{"responsibility": "ours", "department": {_q(dept)}, '
                      f'"handling_due": "{due.isoformat()}"}}')
        elif action is A.DISPATCH:
            actor = self.pick(self.cast.supervisors)
            k.handler = self.pick(self.cast.handlers.get(c["department"]) or self.all_handlers)
            c["handler"] = k.handler
            detail = f'{{"handler": {_q(k.handler)}, "department": {_q(c["department"])}}}'
        elif action is A.RECORD_INVESTIGATION:
            actor = k.handler
            detail = f'{{"round": {c["round"]}, "evidence": {self._investigation(k, at)}}}'
        elif action is A.APPROVE:
            sheet = k.sheet
            actor = self._supervisor(sheet["drafted_by"], sheet["submitted_by"])
            text = self.pick(IMPLEMENTATION_OPINIONS).format_map(k.values)
            sheet["state"], sheet["decided_by"], sheet["decided_at"] = "approved", actor, at
            sheet["implementation_opinion"] = text
            sheet["version"] += 1
            detail = f'{{"sheet": "{sheet["sheet_number"]}", "opinion": {_q(text)}}}'
        elif action is A.INFORM_CUSTOMER:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            detail = f'{{"how": "{_CODE[self.weighted(self._agreement)]}"}}'
        elif action is A.CUSTOMER_AGREES or action is A.CUSTOMER_DISAGREES:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            agreed = action is A.CUSTOMER_AGREES
            text = self.pick(AGREED_OPINIONS if agreed else DISAGREED_OPINIONS)
            sheet = k.sheet
            sheet["customer_opinion"] = text
            sheet["version"] += 1
            if agreed:
                c["revisit_due"] = c["due_at"] = self._plus_week(at).replace(tzinfo=UTC)
            else:
                c["round"] += 1
            detail = (f'{{"agreed": {"true" if agreed else "false"}, "opinion": {_q(text)}, '
                      f'"how": "{_CODE[self.weighted(self._opinion)]}", "round": {c["round"]}}}')
        elif action is A.JUDGE_NOT_OURS:
            actor = k.service
            text = self.pick(NOT_OURS).format_map(k.values)
            method = _CODE[self.weighted(self._agreement)]
            c["responsibility"], c["explanation"], c["agreement_method"] = "not_ours", text, method
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            c["revisit_due"] = c["due_at"] = self._plus_week(at).replace(tzinfo=UTC)
            detail = (f'{{"responsibility": "not_ours", "agreement_method": "{method}", '
                      f'"explanation": {_q(text)}}}')
        elif action is A.RETURN:
            sheet = k.sheet
            actor = self._supervisor(sheet["drafted_by"], sheet["submitted_by"])
            text = self.pick(RETURN_REASONS)
            sheet["state"], sheet["decided_by"], sheet["decided_at"] = "returned", actor, at
            sheet["return_reason"] = text
            sheet["version"] += 1
            detail = f'{{"sheet": "{sheet["sheet_number"]}", "reason": {_q(text)}}}'
        elif action is A.ESCALATE:
            actor = self.pick(self.cast.supervisors)
            c["escalated"] = True
            detail = f'{{"reason": {_q(self.pick(ESCALATE_REASONS))}}}'
        else:  # pragma: no cover - every action of the stories is above
            raise AssertionError(action)
        if after is before:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], None, None, _CODE[after], detail))
        else:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], "status", _CODE[before], _CODE[after], detail))
            k.status = after

    def take(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """The batch's investigations, sheets and events as rows, handing them over."""
        out = (self.investigations, [_row_of(s, _SHEET_COLUMNS) for s in self.sheets],
               self.events)
        self.investigations, self.sheets, self.events = [], [], []
        return out


# ------------------------------------------------------------------ writing

class _Columns(NamedTuple):
    """A table's columns but the id, for rows bound as plain sequences."""

    table: str
    names: tuple[str, ...]
    get: Callable[[dict], tuple]
    times: tuple[int, ...]  # positions of the UTCDateTime columns


def _columns(table) -> _Columns:  # type: ignore[no-untyped-def]
    columns = [c for c in table.columns if c.name != "id"]
    names = tuple(c.name for c in columns)
    return _Columns(table.name, names, itemgetter(*names),
                    tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)))


_INVESTIGATION_COLUMNS = _columns(Investigation.__table__)
_SHEET_COLUMNS = _columns(HandlingSheet.__table__)
_EVENT_COLUMNS = _columns(AuditEvent.__table__)


def _utc_text(moment: datetime | None) -> str | None:
    """A time as UTCDateTime stores it in SQLite (UTC, ``2026-11-23 02:00:00.000000``).
    A naive time is taken as UTC already (the handling's own times)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def _row_of(values: dict, columns: _Columns) -> tuple:
    row = list(columns.get(values))
    for i in columns.times:
        row[i] = _utc_text(row[i])
    return tuple(row)


def _insert_sql(columns: _Columns) -> str:
    return (f"INSERT INTO {columns.table} ({', '.join(columns.names)}) "
            f"VALUES ({', '.join('?' for _c in columns.names)})")


def _assign_customers(conn, rows: list[_Row], now_utc: datetime) -> int:
    """Give every row's customer an id, inserting the new ones. Returns how many were new."""
    pending: dict[str, _Customer] = {}
    for row in rows:
        if row.customer.id is None and row.customer.key not in pending:
            pending[row.customer.key] = row.customer
    keys = list(pending)
    known: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ",".join(f":k{i}" for i in range(len(chunk)))
        result = conn.execute(sql(f"SELECT contact_key, id FROM customer WHERE contact_key IN ({marks})"),
                              {f"k{i}": key for i, key in enumerate(chunk)})
        known.update(dict(result.all()))
    next_id = conn.execute(sql("SELECT coalesce(max(id), 0) FROM customer")).scalar() + 1
    new_rows = []
    for key, customer in pending.items():
        if key in known:
            customer.id = known[key]
            continue
        customer.id = next_id
        next_id += 1
        new_rows.append({"id": customer.id, "name": customer.name, "address": customer.address,
                         "contact": customer.contact, "contact_key": key, "created_at": now_utc})
    for row in rows:  # another object of this batch with the same key
        if row.customer.id is None:
            row.customer.id = known.get(row.customer.key) or pending[row.customer.key].id
    if new_rows:
        conn.execute(insert(Customer.__table__), new_rows)
    return len(new_rows)


def _issue_numbers(conn, rows: list[_Row]) -> list[str]:
    """Continue each local day's counter, exactly as registration does."""
    numbers: list[str] = []
    day_of = [row.day for row in rows]
    i = 0
    while i < len(rows):
        day = day_of[i]
        j = i
        while j < len(rows) and day_of[j] == day:
            j += 1
        last = conn.execute(sql("SELECT last FROM daily_counter WHERE day = :day"),
                            {"day": day}).scalar() or 0
        numbers.extend(format_number(day, last + n) for n in range(1, j - i + 1))
        conn.execute(sql("INSERT INTO daily_counter(day, last) VALUES (:day, :last) "
                         "ON CONFLICT(day) DO UPDATE SET last = excluded.last"),
                     {"day": day, "last": last + (j - i)})
        i = j
    return numbers


def _write_batch(desk: Desk, rows: list[_Row], now: datetime,
                 handling: _Handling) -> tuple[int, list[str]]:
    """One IMMEDIATE transaction: the batch's customers, complaints as far along as
    their stories have got by now, their investigations, sheets and audit events."""
    now_utc = now.astimezone(UTC)
    details: dict[tuple, str] = {}
    with desk.store.write() as session:
        conn = session.connection()
        new_customers = _assign_customers(conn, rows, now_utc)
        numbers = _issue_numbers(conn, rows)
        next_id = conn.execute(sql("SELECT coalesce(max(id), 0) FROM complaint")).scalar() + 1
        complaints, events = [], []
        for offset, (row, number) in enumerate(zip(rows, numbers)):
            # Deadlines count in local time (as registration does); stored as UTC, and
            # converting here once is cheaper than in every bind.
            first_due, resolution_due = deadlines_for(row.priority, row.received_at, desk.config)
            received_utc = row.received_at.astimezone(UTC)
            # Registered a few minutes after it came in (never after now).
            created = min(received_utc + timedelta(minutes=1 + (offset * 7) % 15), now_utc)
            escalated = row.priority is Priority.MAJOR
            complaints.append({
                "id": next_id + offset, "number": number, "customer_id": row.customer.id,
                "customer_name": row.customer.name, "address": row.customer.address,
                "contact": row.contact, "channel": row.channel.value,
                "received_at": received_utc, "event": row.event, "demand": row.demand,
                "category": row.category.value, "priority": row.priority.value,
                "priority_rank": row.priority.rank, "product": row.product,
                "quantity": row.quantity, "status": Status.REGISTERED.value,
                "received_by": row.receiver, "first_response_due": first_due.astimezone(UTC),
                "resolution_due": resolution_due.astimezone(UTC), "escalated": escalated,
                "department": None, "handler": None,
                "created_at": created, "updated_at": created, "version": 1,
                "due_at": first_due.astimezone(UTC), "closed": False,
                "responsibility": None, "explanation": None, "agreement_method": None,
                "handling_due": None, "customer_told_at": None, "round": 1, "revisit_due": None,
            })
            key = (row.priority, row.channel)
            detail = details.get(key)
            if detail is None:
                detail = details[key] = json.dumps(
                    {"priority": row.priority.value, "channel": row.channel.value,
                     "escalated": escalated, "source": "demo"}, ensure_ascii=False)
            events.append((_utc_text(created), row.receiver, next_id + offset,
                           "complaint.registered", None, None, number, detail))
            handling.play(complaints[-1], row, number)
        investigations, sheets, steps = handling.take()
        events += steps
        # Ids follow each complaint's story (not the clock across complaints): appending
        # to the audit index in order is cheaper than inserting all over it.
        conn.execute(insert(Complaint.__table__), complaints)
        # Eight rows or so per complaint: bound as plain tuples, times already in the
        # stored form, which halves the cost of Core's per-row parameter processing.
        for columns, rows_ in ((_INVESTIGATION_COLUMNS, investigations),
                               (_SHEET_COLUMNS, sheets), (_EVENT_COLUMNS, events)):
            if rows_:
                conn.exec_driver_sql(_insert_sql(columns), rows_)
        search.index_complaints(conn.connection.driver_connection, [
            (c["id"], c["number"], c["customer_name"], c["contact"], c["event"], c["demand"],
             c["product"]) for c in complaints])
    return new_customers, numbers


def fill_demo(desk: Desk, count: int = 200, seed: int = DEFAULT_SEED, *,
              actor: str | None = None, months: int = 6, batch_size: int = 10_000) -> DemoSummary:
    """Fill the database with ``count`` realistic complaints of the last ``months`` months.

    The same seed and clock give the same complaints. The acting user (default:
    the OS account, who becomes admin on an empty database) must be an admin:
    demo data has no place in a database someone else runs.

    Raises:
        PermissionDenied: the actor is not an admin.
        DomainError: ``count`` is out of range.
    """
    if not 0 <= count <= MAX_COUNT:
        raise DomainError(f"演示数据条数应在 0 到 {MAX_COUNT} 之间")
    if actor is None:
        actor = staffing.sign_in(desk, staffing.os_login()).login
    with desk.store.read() as session:
        staffing.require(session, actor, {Role.ADMIN}, "生成演示数据")
    added, receivers, cast = _ensure_staff(desk, actor)

    rng = random.Random(seed)
    now = desk.now()
    days, counts = _spread_over_days(rng, now, months, count)
    generator = _Generator(rng, receivers)
    # Its own dice, so a seed's complaints read the same as before handling was played.
    handling = _Handling(random.Random(f"{seed}/handling"), cast, desk, now, count)
    summary = DemoSummary(0, 0, added, actor=actor)
    batch: list[_Row] = []
    # Millions of short-lived rows and no reference cycles: the cycle collector would
    # only walk them over and over (about a tenth of the time). Refcounting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in generator.rows(days, counts, now):
            batch.append(row)
            if len(batch) >= batch_size:
                _flush(desk, batch, now, summary, handling)
                batch = []
        if batch:
            _flush(desk, batch, now, summary, handling)
    finally:
        if collecting:
            gc.enable()
    return summary


def _flush(desk: Desk, batch: list[_Row], now: datetime, summary: DemoSummary,
           handling: _Handling) -> None:
    new_customers, numbers = _write_batch(desk, batch, now, handling)
    summary.complaints += len(numbers)
    summary.new_customers += new_customers
    summary.first_number = summary.first_number or numbers[0]
    summary.last_number = numbers[-1]


__all__ = ["DEFAULT_SEED", "DemoSummary", "fill_demo"]
