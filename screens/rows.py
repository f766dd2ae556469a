"""Row sources: how complaints from the core become table rows."""

from __future__ import annotations

from complaintdesk.complaints import count_complaints, list_complaints, position_of
from complaintdesk.desk import Desk
from complaintdesk.enums import Category, Channel, Priority, Status
from complaintdesk.models import Complaint
from complaintdesk.text import mask_contact

from .virtual_table import Column, TableRow

LIST_COLUMNS = [
    Column("受理编号", 16),
    Column("受理日期", 11),
    Column("紧急", 4),
    Column("投诉类型", 8),
    Column("方式", 4),
    Column("投诉客户", 0),
    Column("联系方式", 13),
    Column("状态", 6),
]


class NewestFirst:
    """Every complaint, newest first."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def count(self) -> int:
        return count_complaints(self.desk)

    def fetch(self, offset: int, limit: int) -> list[TableRow]:
        return [self.row(c) for c in list_complaints(self.desk, offset, limit)]

    def index_of(self, key: str) -> int | None:
        return position_of(self.desk, key)

    def row(self, complaint: Complaint) -> TableRow:
        return TableRow(
            key=complaint.number,
            cells=(
                complaint.number,
                self.desk.local(complaint.received_at).strftime("%m-%d %H:%M"),
                Priority(complaint.priority).label,
                Category(complaint.category).label,
                Channel(complaint.channel).label,
                complaint.customer_name,
                mask_contact(complaint.contact),
                Status(complaint.status).label,
            ),
            tag="urgent" if complaint.priority == Priority.URGENT.value else "",
        )
