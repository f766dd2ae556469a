"""Who plays the demo's stories and the complaint a story is played on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cast:
    """Who plays which part: the active demo staff by role."""

    service: list[str]        # counter clerks and supervisors: judge, tell the customer
    supervisors: list[str]    # dispatch, approve, return, escalate
    handlers: dict[str, list[str]]  # department code → its handlers
    managers: dict[str, str] = field(default_factory=dict)  # department code → its manager


class Case:
    """One complaint while its story is played."""

    __slots__ = ("c", "status", "values", "category", "priority", "service", "handler",
                 "drafter", "sheet", "plan", "number", "revisitor", "matter", "wanted")
