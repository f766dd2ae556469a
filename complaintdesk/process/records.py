"""The records the use-cases hand out, for the layers above that show them
(screens, reports): read-only copies detached from their unit of work. The
screens name them from here, never from the store."""

from __future__ import annotations

from complaintdesk.store.models import AuditEvent, Complaint, HandlingSheet, Revisit, Staff

__all__ = ["AuditEvent", "Complaint", "HandlingSheet", "Revisit", "Staff"]
