"""What other consoles changed: the store's watcher (``watch_changes``) says what
anyone committed (``store/changes.py``); a ``Follower`` asks it in a thread of
its own; these read what a console announces."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from sqlmodel import func, select

from complaintdesk.domain.enums import Priority
from complaintdesk.process.desk import Desk
from complaintdesk.store.changes import Changes, ChangedComplaint, merged
from complaintdesk.store.models import AuditEvent, Complaint
from complaintdesk.store.port import Watcher


def watch_changes(desk: Desk) -> Watcher:
    """A watcher of commits by anyone; asking it costs microseconds when nobody
    committed."""
    return desk.store.watcher()


#: An idle console whose watcher is told of commits still looks this often, in
#: case a signal was missed: a look that finds nothing costs microseconds.
LINGER_SECONDS = 30.0


class Follower:
    """Asks a watcher what changed, in a plain thread of its own, and hands each
    answer to ``deliver`` in that thread. An error (the database gone) goes to
    ``failed`` once per spell; the thread goes on asking. ``stop()`` ends it and
    closes the watcher.

    The thread waits in the kernel on the watcher's signal (``wait``), so an idle
    console costs nothing on its event loop nor in this thread. It looks at most
    once every ``every`` seconds: the commits of a busy desk are read together,
    however many are made, and nothing can make it spin. After a signal it waits
    a random moment within ``every`` before looking, as its look fell when
    consoles polled: every console on the desk is woken by the same commit, and
    200 of them reading at that instant held up the colleague's next save
    (fanout_bench, SQLite, a 紧急 complaint a second: its p95 650 ms, against
    289 ms when they polled and 382 ms spread like this). A signal after which
    nothing is visible yet (a commit still being written) is looked at again
    ``every`` seconds later. A watcher that cannot be told (SQLite where inotify
    is refused) is asked every ``every`` seconds, as before there were signals.

    ``hold`` (asked in this thread) says whether changes may wait: a console whose
    screen they leave as it is, but for a count, need not wake its event loop for
    each one. Changes it holds are merged with the next, and delivered with the
    first that may not wait, or else once ``hold_for`` seconds have passed since
    the first was held (a watcher that polls: at its next look after that)."""

    def __init__(self, desk: Desk, deliver: Callable[[Changes], None],
                 failed: Callable[[Exception], None], every: float = 1.0,
                 linger: float = LINGER_SECONDS, *,
                 hold: Callable[[Changes], bool] | None = None, hold_for: float = 0.0) -> None:
        self.desk = desk
        self._deliver = deliver
        self._failed = failed
        self._every = every
        self._linger = linger
        self._hold = hold
        self._hold_for = hold_for
        self._held: Changes | None = None
        self._held_until = 0.0
        self._stop = threading.Event()
        self._spread = random.Random()
        self.watcher: Watcher | None = None
        self.first_complaint_id = 0  # the newest complaint when it began to look
        self._thread = threading.Thread(target=self._run, name="complaintdesk-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            watcher = watch_changes(self.desk)
        except Exception as exc:  # noqa: BLE001 - told, not raised in a bare thread
            self._failed(exc)
            return
        try:
            self.first_complaint_id = last_complaint_id(self.desk)
        except Exception as exc:  # noqa: BLE001
            watcher.close()
            self._failed(exc)
            return
        self.watcher = watcher
        if self._stop.is_set():  # stopped while the watcher was being opened
            watcher.close()
            return
        failing = unsure = False
        looked = time.monotonic()
        while not self._stop.is_set() and not watcher.closed:
            if watcher.waits and not (unsure or failing):
                until = looked + self._linger
                if self._held is not None:
                    until = min(until, self._held_until)
                signalled = watcher.wait(max(0.0, until - time.monotonic()))
                if self._stop.is_set():
                    break
                if not signalled:
                    self._release_due()
                    if time.monotonic() - looked < self._linger:
                        continue  # a write that was no commit to the desk, say
                # No sooner than a pace after the last look, then (after a signal)
                # a moment of its own within a pace: every console is woken by the
                # same commit, and all of them reading at once would hold up the
                # colleague who committed. One sleep for both: a thread's wake-up
                # costs a console about a tenth of a millisecond.
                pause = max(0.0, looked + self._every - time.monotonic())
                if signalled:
                    pause += self._spread.uniform(0, self._every)
            else:
                # A watcher that polls, a look again, a retry: a pace after the last.
                signalled = True
                pause = max(0.0, looked + self._every - time.monotonic())
            if pause and self._paused(pause):
                break
            looked = time.monotonic()
            try:
                changes = watcher.changes()
                failing = False
            except Exception as exc:  # noqa: BLE001 - the next look may do better
                if not failing:
                    self._failed(exc)
                failing, changes = True, None
            # A signal and nothing to see: a commit caught before its last write
            # is visible; look once more, a pace later.
            unsure = changes is None and signalled and not unsure
            if changes is not None:
                self._take(changes)
            self._release_due()
        watcher.close()

    def _paused(self, pause: float) -> bool:
        """Sleep ``pause`` seconds, delivering what is held when its time comes
        meanwhile; True if stopped."""
        end = time.monotonic() + pause
        while True:
            now = time.monotonic()
            if self._held is not None and self._held_until < end:
                if self._stop.wait(max(0.0, self._held_until - now)):
                    return True
                self._release_due()
                continue
            return self._stop.wait(max(0.0, end - now))

    def _hand(self, changes: Changes) -> None:
        """``deliver``; its failure is told (``failed``), and the thread goes on."""
        try:
            self._deliver(changes)
        except Exception as exc:  # noqa: BLE001 - a bare thread must not die of it
            self._failed(exc)

    def _take(self, changes: Changes) -> None:
        """Deliver ``changes`` (with those held), or hold them all if they may wait."""
        if self._held is not None:
            changes = merged([self._held, changes])
        try:
            wait = self._hold is not None and self._hold(changes)
        except Exception:  # noqa: BLE001 - when in doubt, at once
            wait = False
        if wait:
            if self._held is None:
                self._held_until = time.monotonic() + self._hold_for
            self._held = changes
            return
        self._held = None
        self._hand(changes)

    def _release_due(self) -> None:
        """Deliver what has been held ``hold_for`` seconds."""
        if self._held is not None and time.monotonic() >= self._held_until:
            held, self._held = self._held, None
            self._hand(held)

    def stop(self) -> None:
        self._stop.set()
        if self.watcher is not None:
            self.watcher.close()


def last_event_id(desk: Desk) -> int:
    """The newest audit event: a read of the desk made before this is read saw no
    event after it (``Changes.after_event`` says which changes a read may hold)."""
    with desk.store.read() as session:
        return session.exec(select(func.max(AuditEvent.id))).one() or 0  # type: ignore[call-overload]


def last_complaint_id(desk: Desk) -> int:
    with desk.store.read() as session:
        return session.exec(select(Complaint.id).order_by(Complaint.id.desc()).limit(1)).first() \
            or 0  # type: ignore[call-overload]


URGENT_SHOWN = 3  # new urgent complaints announced one by one; beyond that, counted


def new_urgent_since(desk: Desk, after_id: int, limit: int = URGENT_SHOWN, *,
                     not_by: str | None = None) -> tuple[list[tuple[str, str]], int, int]:
    """Urgent complaints registered after ``after_id`` (other than those ``not_by``
    registered: nobody needs to be told of their own): the first ``limit`` as
    (number, customer) pairs, how many there are in all, and the newest id seen, to
    pass next time.

    A console announces each new urgent complaint; after a bulk load (demo, intake
    of a day's web forms) there may be thousands, which would be one notice each
    and one row each read here. So only the first few are read, and the rest counted.
    """
    with desk.store.read() as session:
        newest = session.exec(  # type: ignore[call-overload]
            select(func.max(Complaint.id)).where(Complaint.id > after_id)).one() or after_id
        urgent = (Complaint.id > after_id) & (Complaint.id <= newest) & (
            Complaint.priority == Priority.URGENT.value)
        if not_by is not None:
            urgent = urgent & (Complaint.received_by != not_by)
        rows = session.exec(  # type: ignore[call-overload]
            select(Complaint.number, Complaint.customer_name).where(urgent)
            .order_by(Complaint.id).limit(limit)).all()
        count = len(rows) if len(rows) < limit else session.exec(  # type: ignore[call-overload]
            select(func.count()).select_from(Complaint).where(urgent)).one()
    return [(r[0], r[1]) for r in rows], count, newest


def urgent_news(desk: Desk, changes: Changes, after_id: int, limit: int = URGENT_SHOWN, *,
                not_by: str | None = None) -> tuple[list[tuple[str, str]], int, int]:
    """``new_urgent_since`` for what ``changes`` says: read from it when it names
    the new complaints (no query), from the database when it cannot."""
    if changes.everything:
        return new_urgent_since(desk, after_id, limit, not_by=not_by)
    urgent = [c for c in changes.new if c.id > after_id and c.priority == Priority.URGENT.value
              and c.received_by != not_by]
    newest = max([after_id, *(c.id for c in changes.new)])
    return [(c.number, c.customer_name) for c in urgent[:limit]], len(urgent), newest


def concerns(changes: Changes, login: str, known: set[str] | dict[str, str]) -> bool:
    """Whether ``changes`` may move the person's own amber and red count: a changed
    complaint they registered or handle, or one the count holds (not a note or a
    link: those move no clock)."""
    return changes.everything or any(c.concerns(login) or c.number in known
                                     for c in changes.rows)


def must_show_at_once(desk: Desk, changes: Changes, seen_id: int | None, login: str,
                      known: set[str] | dict[str, str]) -> bool:
    """Whether others' ``changes`` must reach a console's screens at once rather
    than wait with others for a few seconds: everything may have changed (the
    account is checked), a 紧急 complaint is to be announced (those after
    ``seen_id``; None: nothing seen yet), or one of the person's own complaints
    changed (their deadline counts)."""
    if changes.everything or seen_id is None:
        return True
    if urgent_news(desk, changes, seen_id, not_by=login)[1]:
        return True
    return concerns(changes, login, known)


__all__ = ["Changes", "ChangedComplaint", "Follower", "Watcher", "concerns", "last_complaint_id",
           "must_show_at_once",
           "merged", "new_urgent_since", "last_event_id", "urgent_news", "watch_changes", "URGENT_SHOWN", "LINGER_SECONDS"]
