"""Moving a whole desk from one database to another (``complaintdesk copy-to``):
SQLite to PostgreSQL when a company outgrows one box, and back to a SQLite file
as a backup of a server's desk.

Everything is copied with its ids — staff, customers, complaints, investigations,
sheets, revisits, links, alerts given, the day counters of the 受理编号 and the
audit events in order with their hashes — from one snapshot of the source, in one
transaction on the target, and then checked: the row count of every table, and
the target's audit chain verified from its first event to a head equal to the
source's. Nothing is half-copied: a failure rolls the target back.

Safe to re-run: a target that already holds an earlier copy of this desk (its
audit chain a beginning of the source's) is replaced by a fresh copy; a target
holding anything else — another desk, or work done on the target since the copy
— is refused, untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from complaintdesk.domain.errors import DomainError
from complaintdesk.domain.search import INDEXED_FIELDS
from complaintdesk.store import open_store, shown_location
from complaintdesk.store.models import (AlertSent, AuditEvent, Complaint, ComplaintLink, Customer,
                                        DailyCounter, HandlingSheet, Investigation, Revisit, Staff)
from complaintdesk.store.port import Store
from complaintdesk.store.sqlite.audit_chain import GENESIS

#: In the order their foreign keys allow.
TABLES = (Staff, Customer, Complaint, Investigation, HandlingSheet, Revisit, ComplaintLink,
          AlertSent, DailyCounter, AuditEvent)
LABELS = {"staff": "员工", "customer": "客户", "complaint": "投诉", "investigation": "调查记录",
          "handling_sheet": "处理单", "revisit": "回访", "complaint_link": "关联",
          "alert_sent": "已发提醒", "daily_counter": "编号计数", "audit_event": "审计记录"}


@dataclass
class CopyReport:
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    replaced: bool = False
    head: str = ""


def _rows(session, table) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    query = select(table).order_by(*table.primary_key.columns)
    yield from session.connection().execution_options(yield_per=5000).execute(query)


def copy_desk(source: Store, target_location: Path | str,
              progress: Callable[[str], None] = lambda line: None,
              replace_unused: bool = False) -> CopyReport:
    """Copy the desk in ``source`` to ``target_location`` and verify the copy.

    ``replace_unused``: a target with no complaint and at most one member of staff
    (a desk just opened, whose first user became its admin) may be replaced too.

    Raises:
        DomainError: the target is the source, holds other data, or the copy did
            not verify (then it was rolled back, or — for a verification failing
            after the commit — the target says so and must not be used).
    """
    if str(target_location) == str(getattr(source, "url", source.path)):
        raise DomainError("目标就是当前数据库：请给出另一个数据库")
    where = shown_location(target_location)
    if not isinstance(target_location, str) and Path(target_location).exists():
        raise DomainError(f"目标文件 {where} 已存在：复制到文件只新建文件，请给出一个新的文件名")
    target = open_store(target_location)
    report = CopyReport(where)
    try:
        load = target.bulk_load()  # type: ignore[attr-defined]
        try:
            if load.is_being_filled(source):
                raise DomainError(f"目标 {where} 就是当前数据库（同一个数据库，换了用户或地址）："
                                  "未作任何改动，请给出另一个数据库")
            with source.read() as session:
                report.replaced = _earlier_copy(session, load, where, replace_unused)
                last = session.connection().execute(
                    select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
                    .limit(1)).first()
                copied_head = (0, None) if last is None else (last[0], bytes(last[1]))
                merged: list[tuple[int, int]] = []
                for model in TABLES:
                    table = model.__table__  # type: ignore[attr-defined]
                    columns = tuple(c.name for c in table.columns)
                    rows: Iterator[tuple] = _rows(session, table)
                    if model is Complaint:
                        rows = _without_merges(rows, columns, merged)
                    report.counts[table.name] = load.copy(table.name, columns, rows)
                    progress(f"{LABELS[table.name]}：{report.counts[table.name]:,} 行")
                load.set_column("complaint", "merged_into_id", merged)
                indexed = select(*(Complaint.__table__.c[name] for name in INDEXED_FIELDS),  # type: ignore[attr-defined]
                                 Complaint.closed).order_by(Complaint.id)
                load.index((tuple(row[:-1]), not row[-1]) for row in
                           session.connection().execution_options(yield_per=5000).execute(indexed))
                progress("搜索索引：已建立")
                for name, expected in report.counts.items():
                    if load.count(name) != expected:
                        raise DomainError(f"复制后 {LABELS[name]} 的行数不符（应为 {expected}，"
                                          f"实为 {load.count(name)}）：已撤销，目标未改动")
            load.finish()
        except BaseException:
            load.abort()
            raise
        # The target's whole chain, and its head against the snapshot's (the source
        # may have moved on since: that is not a fault of the copy).
        check = target.verify_audit_trail()  # type: ignore[attr-defined]
        problems = list(check.problems)
        if (check.head.last_id, check.head.hash_hex) != (
                copied_head[0], (copied_head[1] or GENESIS).hex()):
            problems.append(f"目标的链头 {check.head.text[:24]}… 与复制时源的链头不同")
        if problems:
            raise DomainError(f"复制已提交，但目标的审计链校验不通过（{'；'.join(problems[:3])}）："
                              "请勿使用该目标；复制到数据库可重新运行 copy-to，复制到文件请删除该文件后重试")
        report.head = check.head.text
        progress(f"审计链：{check.checked:,} 条全部校验通过，链头 {report.head[:24]}…")
    finally:
        target.dispose()
    return report


def _earlier_copy(session, load, where: str, replace_unused: bool) -> bool:  # type: ignore[no-untyped-def]
    """Whether the target holds data; refused unless it is an earlier copy of this desk."""
    if not any(load.count(name) for name in ("staff", "complaint", "audit_event")):
        return False
    if replace_unused and not load.count("complaint") and load.count("staff") <= 1:
        load.clear()  # a desk just opened: nothing but its first user
        return True
    last = load.last_audit_id()
    ours = None
    if last:
        ours = session.connection().execute(
            select(AuditEvent.hash).where(AuditEvent.id == last)).scalar()
    if not last or ours is None or bytes(ours) != load.audit_hash(last):
        raise DomainError(f"目标 {where} 中已有数据，且不是本数据库早先的副本（审计链不同，"
                          "或复制后在目标上又有人工作过）：未作任何改动。请换一个空的目标数据库")
    load.clear()
    return True


def _without_merges(rows: Iterator[tuple], columns: tuple[str, ...],
                    merged: list[tuple[int, int]]) -> Iterator[tuple]:
    """Complaints with their link to the one they were merged into held back (set
    after every complaint is in: it may point to a later id)."""
    at, ident = columns.index("merged_into_id"), columns.index("id")
    for row in rows:
        if row[at] is not None:
            merged.append((row[ident], row[at]))
            row = (*row[:at], None, *row[at + 1:])
        yield row
