"""Demo data: realistic Chinese complaints, deterministic, fast for a million rows.

``register_complaint`` costs one transaction per complaint, which is right at
the counter and far too slow for ``demo --count 1000000``. Here complaints are
built in Python in batches and written with ``executemany``, each batch one
``BEGIN IMMEDIATE`` transaction that keeps the same invariants as registration:
受理编号 from ``daily_counter`` (continuing any existing counter, so numbers never
collide), customers shared by contact key, deadlines from the configuration, the
search indexes, and the registration's audit event.

Each complaint is carried through the handling workflow and the revisit as far
as its age allows — responsibility, dispatch, investigation, the 《客户投诉处理单》,
approval or return, telling the customer, second rounds, the revisit closing,
retrying or reopening it — with the rows and audit events workflow.py and
revisits.py would have written, in the same transaction as the complaint.

The parts: demo_text.py (the data pools), demo_generate.py (complaints and
customers), demo_handling.py and demo_revisits.py (the stories), demo_calendar.py
(time limits on the desk's calendar), demo_batch.py (a batch as rows),
demo_writer.py (the transactions, and building in a second process).
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from complaintdesk.process import staffing
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Role
from complaintdesk.domain.errors import DomainError
from complaintdesk.store.models import Staff
from complaintdesk.demo.cases import Cast
from complaintdesk.demo.text import COUNTERS, DEFAULT_SEED, HANDLERS, MANAGERS, SUPERVISORS
from complaintdesk.demo.batch import Plan, Prepared
from complaintdesk.demo.writer import LocalBuilder, RemoteBuilder, bulk_connection, write_load

MAX_COUNT = 10_000_000
PARALLEL_FROM = 50_000  # a second process costs about a second to start


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


# ------------------------------------------------------------------ staff

def ensure_staff(desk: Desk, actor: str) -> tuple[list[str], list[str], "Cast"]:
    """Add the demo staff an admin would have added; return (added, receivers, cast)."""
    departments = desk.config.departments
    roster: list[tuple[str, str, str, str | None]] = [
        (login, name, Role.COUNTER.value, None) for login, name in COUNTERS]
    for i, dept in enumerate(departments):
        login, name = HANDLERS[i % len(HANDLERS)]
        if i >= len(HANDLERS):
            login = f"{login}{i // len(HANDLERS) + 1}"
        roster.append((login, name, Role.HANDLER.value, dept.code))
    managers: dict[str, str] = {}
    for i, dept in enumerate(departments):
        login, name = MANAGERS[i % len(MANAGERS)]
        if i >= len(MANAGERS):
            login = f"{login}{i // len(MANAGERS) + 1}"
        roster.append((login, name, Role.HANDLER.value, dept.code))
        managers[login] = dept.code
    roster += [(login, name, Role.SUPERVISOR.value, None) for login, name in SUPERVISORS]

    logins = [r[0] for r in roster]
    with desk.store.read() as session:
        existing = set(session.exec(select(Staff.login).where(Staff.login.in_(logins))))
    added = []
    for login, name, role, dept in roster:
        if login not in existing:
            staffing.add_staff(desk, actor, login, name, role, dept,
                                account_exists=lambda _login: True)  # fictional staff
            if login in managers:
                staffing.set_manager(desk, actor, login, True)
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
    heads: dict[str, str] = {}
    for s in active:
        if s.manager and s.department:
            heads.setdefault(s.department, s.login)
        elif s.role == Role.HANDLER.value and s.department:
            handlers.setdefault(s.department, []).append(s.login)
    cast = Cast(service=[s.login for s in active
                          if s.role in (Role.COUNTER.value, Role.SUPERVISOR.value)],
                 supervisors=[s.login for s in active if s.role == Role.SUPERVISOR.value],
                 handlers=handlers, managers=heads)
    # Counters take most calls; supervisors register the odd escalated walk-in.
    counters = [login for login, *_ in COUNTERS if login in receivers]
    others = [login for login in receivers if login not in counters]
    receivers = counters * 4 + others or [actor]
    return added, receivers, cast


def fill_demo(desk: Desk, count: int = 200, seed: int = DEFAULT_SEED, *,
              actor: str | None = None, months: int = 6, batch_size: int = 10_000,
              parallel: bool | None = None,
              progress: Callable[[int, int], None] | None = None,
              copy_progress: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill the database with ``count`` realistic complaints of the last ``months`` months.

    The same seed and clock give the same complaints. The acting user (default:
    the OS account, who becomes admin on an empty database) must be an admin:
    demo data has no place in a database someone else runs. From
    ``PARALLEL_FROM`` complaints (or with ``parallel``) each batch is built in a
    second process while the one before is written (demo_writer.py): the same
    data, in about 60 % of the time on two cores. ``progress(done, count)`` is
    called after each batch is written.

    On a PostgreSQL desk the demo is built the same way in a scratch SQLite file,
    then loaded with COPY (``copy_desk``, verified), which ``copy_progress`` is
    told about line by line: only into a desk with no complaint yet and no staff
    but its first user (whose place the demo's staff take beside the caller).

    Raises:
        PermissionDenied: the actor is not an admin.
        DomainError: ``count`` is out of range, or a PostgreSQL desk is in use.
    """
    if not 0 <= count <= MAX_COUNT:
        raise DomainError(f"演示数据条数应在 0 到 {MAX_COUNT} 之间")
    if actor is None:
        actor = staffing.sign_in(desk, staffing.os_login()).login
    with desk.store.read() as session:
        staffing.require(session, actor, {Role.ADMIN}, "生成演示数据")
    if desk.store.backend != "sqlite":
        return _fill_on_server(desk, count, seed, actor, months, batch_size, parallel, progress,
                               copy_progress or (lambda _line: None))
    added, receivers, cast = ensure_staff(desk, actor)

    plan = Plan(desk.store.path, desk.config, desk.now_utc(), seed, months, count, batch_size,
                 receivers, cast)
    summary = DemoSummary(0, 0, added, actor=actor)

    def written(batch: Prepared) -> None:
        summary.complaints += len(batch.numbers)
        summary.new_customers += len(batch.customers)
        summary.first_number = summary.first_number or batch.numbers[0]
        summary.last_number = batch.numbers[-1]
        if progress is not None:
            progress(summary.complaints, count)

    if parallel is None:
        parallel = count >= PARALLEL_FROM
    # Millions of short-lived rows and no reference cycles: the cycle collector would
    # only walk them over and over (about a tenth of the time). Refcounting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with bulk_connection(desk, count) as conn:
            builder = RemoteBuilder(plan) if parallel else LocalBuilder(plan)
            try:
                write_load(conn, builder, written)
            finally:
                builder.close()
    finally:
        if collecting:
            gc.enable()
    return summary


def _fill_on_server(desk: Desk, count: int, seed: int, actor: str, months: int, batch_size: int,
                    parallel: bool | None, progress: Callable[[int, int], None] | None,
                    copy_progress: Callable[[str], None]) -> DemoSummary:
    """The demo on a PostgreSQL desk: built in a scratch SQLite file by the same
    generator, then copied in with COPY, replacing the desk's first user alone
    (copy_desk's ``replace_unused``). Refused before anything is built where the
    desk is in use: a copy never mixes with complaints or staff already there."""
    from complaintdesk.process.complaints import count_complaints
    from complaintdesk.process.desk import open_desk
    from complaintdesk.store.transfer import copy_desk

    if count_complaints(desk) or len(staffing.list_staff(desk)) > 1:
        raise DomainError("PostgreSQL 上的演示数据只能填入新建的数据库（还没有投诉，只有第一位用户）："
                          "请换一个空数据库（SQLite 上可反复填入）")
    with tempfile.TemporaryDirectory(prefix="complaintdesk-demo-") as scratch:
        built = open_desk(Path(scratch) / "demo.db", desk.config, desk.clock)
        try:
            staffing.sign_in(built, actor, bootstrap=True)
            summary = fill_demo(built, count, seed, actor=actor, months=months,
                                batch_size=batch_size, parallel=parallel, progress=progress)
            copy_desk(built.store, desk.store.url,  # type: ignore[attr-defined]
                      replace_unused=True, progress=copy_progress)
        finally:
            built.close()
    return summary


__all__ = ["DEFAULT_SEED", "DemoSummary", "fill_demo"]
