"""One complaint as the record screen shows it: the 记录单 with its timeline and
links, the handling (sheets, investigations) and the call-backs, read in one
unit of work so the three parts agree with each other."""

from __future__ import annotations

from dataclasses import dataclass

from complaintdesk.process.complaints import ComplaintRecord, read_record
from complaintdesk.process.desk import Desk
from complaintdesk.process.revisits import read_revisits
from complaintdesk.process.workflow import Handling, read_handling
from complaintdesk.store.models import Revisit


@dataclass(frozen=True)
class CaseFile:
    record: ComplaintRecord
    handling: Handling
    revisits: list[Revisit]


def read_case(desk: Desk, number: str) -> CaseFile:
    """Everything about complaint ``number`` in one read transaction.

    Raises:
        NotFound: there is no complaint ``number``.
    """
    with desk.store.read() as session:
        record = read_record(session, number)
        return CaseFile(record, read_handling(session, record.complaint),
                        read_revisits(session, record.complaint.id))
