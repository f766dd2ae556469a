"""Who a command acts as when root runs it on the box (backup, check, alerts)."""

from __future__ import annotations

from complaintdesk.domain.enums import Role
from complaintdesk.process.staffing import Actor

#: Root on the box, for the commands that allow it (``root_ok``): not a member of
#: staff, acting as the machine's administrator.
ROOT = Actor("root", "系统管理员 root", Role.ADMIN, None)

__all__ = ["ROOT"]
