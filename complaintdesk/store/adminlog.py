"""What the admin of the box can read afterwards: starts, stops, refusals and
store errors, sent to the system log (journald or syslog, facility ``auth`` so it
lands beside sudo's own lines).

Never a complaint's text, a customer's name or a contact: only who, which
command, and what kind of outcome. Logging must never stop the desk, so every
failure to log is swallowed (a box without a syslog socket simply has no log).
"""

from __future__ import annotations

import syslog

_opened = False


def _open() -> None:
    global _opened
    if not _opened:
        syslog.openlog("complaintdesk", syslog.LOG_PID, syslog.LOG_AUTH)
        _opened = True


def _clean(value: object) -> str:
    """One token: no spaces or line breaks an attacker could use to forge a line."""
    text = str(value)
    return "".join(ch if ch.isprintable() and not ch.isspace() else "_" for ch in text)[:120]


def log(event: str, priority: int = syslog.LOG_INFO, **fields: object) -> None:
    """``event key=value …`` to the system log."""
    try:
        _open()
        parts = [_clean(event)] + [f"{key}={_clean(value)}" for key, value in fields.items()]
        syslog.syslog(priority, " ".join(parts))
    except Exception:  # noqa: BLE001 - logging never stops the desk
        pass


def started(command: str, login: str, mode: str) -> None:
    log("start", command=command, user=login, mode=mode)


def stopped(command: str, login: str, status: int) -> None:
    log("stop", command=command, user=login, status=status)


def refused(command: str, login: str, kind: str) -> None:
    log("refused", syslog.LOG_NOTICE, command=command, user=login, reason=kind)


def store_error(command: str, login: str, kind: str) -> None:
    log("store-error", syslog.LOG_ERR, command=command, user=login, error=kind)
