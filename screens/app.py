"""The complaintdesk console."""

from __future__ import annotations

import gc
import os
import signal
import time
from datetime import datetime, timedelta
import sys
import threading
from weakref import WeakSet
from pathlib import Path

from collections.abc import Iterable

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.drivers.linux_driver import LinuxDriver
from textual.events import Load
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from complaintdesk.domain.errors import DomainError
from complaintdesk.process.desk import Desk
from complaintdesk.reports.figures import check_reader
from complaintdesk.process.queue import QueueFilter
from complaintdesk.domain.enums import Role
from complaintdesk.process.staffing import Actor, standing
from complaintdesk.process.alerts import deadline_watch_of
from complaintdesk.process.watch import (Changes, Follower, concerns, merged, must_show_at_once,
                                        urgent_news)

from screens.commands import DeskCommandPalette, GoToComplaint, system_commands
from screens.widgets.help_panel import KeysHelpScreen, keys_of
from screens.desk_app import DataScreen, DeskApp
from screens.messages import Area, DataChanged, OpenComplaint, ShowArea, WatchFailed
from screens.approvals.pending_screen import ApprovalsScreen
from screens.callbacks.due_screen import RevisitsScreen
from screens.statistics.statistics_screen import StatisticsScreen
from screens.case.record_screen import ComplaintRecordScreen
from screens.widgets.dialogs import ConfirmDialog, NoticeScreen
from screens.worklist.queue_screen import QueueScreen
from screens.worklist.rows import QueueSource
from screens.widgets.virtual_table import VirtualTable
from screens.urgent_notices import Notice, UrgentNotices
from screens.terminal_driver import QuietLinuxDriver

POLL_SECONDS = 1.0
#: Others' changes that alter only a count on this console's screen (a new
#: complaint sorting past the rows read, a note) reach its event loop together,
#: at most this long after the first: with a change a second across a big office,
#: waking each of 200 consoles for every one was most of their CPU.
COUNT_LAG_SECONDS = 3.0
#: The header recounts the person's amber and red complaints when the next of their
#: clocks turns (read with each count, up to MINE_SECONDS ahead), at least every
#: MINE_SECONDS, and after a change to one of their complaints, at most once in
#: MINE_AFTER_CHANGE_SECONDS (with one change a second across the office, every
#: console recounting every second was most of its CPU).
MINE_SECONDS = 900.0
MINE_AFTER_CHANGE_SECONDS = 5.0
MINE_TURN_MARGIN_SECONDS = 0.5  # look just after the clock has turned
MINE_RETRY_SECONDS = 60.0  # a look that failed (the database away): the next one
APP_TITLE = "客户投诉处理台"
TERMINAL_CHECK_SECONDS = 1.0
LEAVE_AFTER_SECONDS = 3.0  # how long the notice of a disabled account stays up
LEFT_MODE = "left"  # the mode of the notice a console shows as it leaves
EXIT_TERMINAL_GONE = 129   # 128 + SIGHUP, as a shell reports a hung-up job
FREEZE_AFTER_SECONDS = 0.25  # after the first paint has reached the terminal
COLLECTION_PAUSE_LIMIT_SECONDS = 10.0


class ComplaintDeskApp(DeskApp):
    """One staff member's console on the shared database."""

    CSS_PATH = Path(__file__).parent / "desk.tcss"  # absolute: subclasses live elsewhere
    TITLE = APP_TITLE
    COMMANDS = App.COMMANDS | {GoToComplaint}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS = [
        Binding("ctrl+q", "quit", "退出", priority=True, show=False),
        # The footer shows this one's words at its right end ("^p 命令").
        Binding("ctrl+p", "command_palette", "命令", priority=True, show=False,
                tooltip="命令面板：按名称查找操作、转到投诉"),
        Binding("f1", "help", "帮助", show=False),
        # Priority, so the focus moves when the key is read rather than after it has
        # travelled through the focused field: keys typed ahead of the screen (a burst
        # over a slow SSH link, a scanner) then land in the next field, not this one.
        Binding("tab", "focus_next", "下一项", priority=True, show=False),
        Binding("shift+tab", "focus_previous", "上一项", priority=True, show=False),
    ]

    def __init__(self, desk: Desk, actor: Actor, *, watch: bool = True,
                 guard_terminal: bool = False) -> None:
        super().__init__()
        self._guard_terminal = guard_terminal
        self._parent_pid = os.getppid()
        self._leaving = False
        self._collecting = False  # collections were on, and are off until the first paint
        self.desk = desk
        self.actor = actor
        self._watch = watch
        self._follower: Follower | None = None
        self._arrivals: list[Changes] = []  # from the follower, not yet shown
        self._arrivals_lock = threading.Lock()
        self._mine: dict[str, str] | None = None  # my amber and red complaints, last look
        self._closing = False
        self._frozen = False
        self._last_seen_id: int | None = None  # the newest complaint announced or not
        self._urgent = UrgentNotices()
        self._urgent_timer: Timer | None = None
        self._initial_queue: QueueSource | None = QueueSource(desk, QueueFilter())
        self._initial_queue.prefetch()
        self.data_screens = WeakSet()
        # The areas, each a mode with its own stack; made when first shown.
        self.add_mode(Area.QUEUE.value, lambda: QueueScreen(self.desk, self.actor))
        self.add_mode(Area.APPROVALS.value, lambda: ApprovalsScreen(self.desk, self.actor))
        self.add_mode(Area.REVISITS.value, lambda: RevisitsScreen(self.desk, self.actor))
        self.add_mode(Area.STATISTICS.value, lambda: StatisticsScreen(self.desk, self.actor))

    def take_initial_queue(self) -> QueueSource:
        """The home queue, already being read since the app was created."""
        source, self._initial_queue = self._initial_queue, None
        return source or QueueSource(self.desk, QueueFilter())

    @on(Load)
    def _pause_collection(self) -> None:
        """Until the queue is painted, no collections: start-up makes a great many
        objects that live as long as the console, and each full collection walking
        them took 60-70 ms. They are collected once, and frozen, after the first
        paint (_freeze_startup_objects)."""
        self._collecting = gc.isenabled()
        gc.disable()

    def get_driver_class(self):  # type: ignore[no-untyped-def]
        """Textual's driver, but on a Linux terminal one whose input thread sleeps
        while nothing is typed (screens/terminal_driver.py)."""
        driver = super().get_driver_class()
        return QuietLinuxDriver if driver is LinuxDriver else driver

    def on_mount(self) -> None:
        # Should the queue never load (an unreadable file), collect again anyway.
        self.set_timer(COLLECTION_PAUSE_LIMIT_SECONDS, self._restore_collection)
        self.switch_mode(Area.QUEUE.value)
        if self._watch:
            self._start_watching()
        if self._guard_terminal:
            self._watch_terminal()
        if self.actor.role is Role.ADMIN:
            self._check_audit_trail()
        self._check_mine()

    @on(VirtualTable.Loaded)
    def _first_table_loaded(self, _event: VirtualTable.Loaded) -> None:
        # Once the queue's first page is on the terminal: a collection before that
        # would hold up the first paint by 50-100 ms.
        if not self._frozen:
            self._frozen = True
            self.set_timer(FREEZE_AFTER_SECONDS, self._freeze_startup_objects)

    def _freeze_startup_objects(self) -> None:
        """Python's oldest-generation collection walks every object there is, and the
        console's start-up (Textual, SQLAlchemy) leaves a great many, all living as
        long as the console: measured on the 1M demo, each such collection stalled a
        page-down to 120-135 ms. Frozen, they are left out of collections (after one
        collection of the start-up's garbage, once the queue has been painted)."""
        if not self._closing:  # else on_unmount has unfrozen already, for good
            gc.collect()
            gc.freeze()
            self._restore_collection()

    def _restore_collection(self) -> None:
        if self._collecting:
            self._collecting = False
            gc.enable()

    # ------------------------------------------------------------ live updates
    def _start_watching(self) -> None:
        """Follow others' commits in a thread of the core's (process/watch.Follower):
        what they changed arrives here, is judged in that thread (the account, new
        紧急 complaints), and reaches the screens as one DataChanged."""
        self._follower = Follower(self.desk, self._arrived, self._watch_failed, POLL_SECONDS,
                                  hold=self._can_wait, hold_for=COUNT_LAG_SECONDS)
        self._follower.start()

    def _arrived(self, changes: Changes) -> None:
        """In the follower's thread: someone committed ``changes``."""
        if self._closing:
            return
        if changes.everything:
            # The account first: a disabled colleague's console must not show one more
            # record (nor the contacts in it) after the admin's commit.
            reason = standing(self.desk, self.actor)
            if reason is not None:
                self.call_from_thread(self.leave, reason)
                return
        if self._last_seen_id is None and self._follower is not None:
            self._last_seen_id = self._follower.first_complaint_id
        urgent, count, self._last_seen_id = urgent_news(
            self.desk, changes, self._last_seen_id, not_by=self.actor.login)
        with self._arrivals_lock:
            self._arrivals.append(changes)
        self.post_message(DataChanged(urgent, count, watched=True))

    def _can_wait(self, changes: Changes) -> bool:
        """In the follower's thread: whether ``changes`` may reach the event loop a
        few seconds later (COUNT_LAG_SECONDS), with others: nothing to check or
        announce (the account, a 紧急 complaint, the person's own clocks), and the
        screen on top (no dialog over it) says they leave it as it is but for a
        count. It reads only what the event loop replaces whole."""
        if self._closing or self._leaving or must_show_at_once(
                self.desk, changes, self._last_seen_id, self.actor.login, self._mine or {}):
            return False
        try:
            screen = self.screen
        except Exception:  # noqa: BLE001 - a screen coming or going: deliver at once
            return False
        return isinstance(screen, DataScreen) and screen.changes_can_wait(changes)

    def _stop_watching(self) -> None:
        if self._follower is not None:
            self._follower.stop()

    def _watch_failed(self, error: Exception) -> None:
        if not self._closing:
            self.post_message(WatchFailed(error))

    def on_watch_failed(self, message: WatchFailed) -> None:
        self.notify(f"无法得知其他人的修改（列表可按 Ctrl+R 刷新）：{message.error}",
                    severity="error", timeout=10, markup=False)

    def _take_arrivals(self, message: DataChanged) -> Changes | None:
        """The changes a DataChanged stands for, those of messages it replaced too:
        from the follower, what has arrived since the last one (None: taken
        already); posted by a screen of this console, everything."""
        if not message.watched:
            return Changes(everything=True)
        with self._arrivals_lock:
            batches, self._arrivals = self._arrivals, []
        return merged(batches) if batches else None

    def leave(self, reason: str) -> None:
        """Hide every record at once behind a notice saying why, then quit."""
        if self._leaving:
            return
        self._leaving = True
        self._stop_watching()
        # A mode of its own with nothing but the notice; every area (and each screen
        # with a record in it) is removed.
        self.add_mode(LEFT_MODE, lambda: NoticeScreen("控制台已关闭", reason))
        self.switch_mode(LEFT_MODE)
        for area in Area:
            self.remove_mode(area.value)
        self.set_timer(LEAVE_AFTER_SECONDS,
                       lambda: self.exit(return_code=1, message=f"complaintdesk: {reason}"))

    # ------------------------------------------------------------ the terminal
    def _watch_terminal(self) -> None:
        """Quit within about a second once the terminal is gone.

        A hung-up terminal reads as end-of-file for ever, and Textual's input
        thread would spin on it; SIGHUP (the kernel's, or sudo's relay of it) is
        the usual word, but a console whose parent died or that ignores SIGHUP
        (nohup) learns it here: the terminal stops being a terminal, or the
        process that started it is gone.
        """
        loop = self._loop

        def on_signal(signum: int, _frame: object) -> None:
            if loop is not None:
                loop.call_soon_threadsafe(self._terminal_gone, 128 + signum)

        for signum in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(signum, on_signal)
        # In a plain thread, not a Textual timer: a timer's tick a second was
        # 0.3 ms of CPU a second on the event loop of every idle console.
        threading.Thread(target=self._check_terminal, args=(loop,), daemon=True,
                         name="complaintdesk-terminal").start()

    def _check_terminal(self, loop) -> None:  # type: ignore[no-untyped-def]
        """Every TERMINAL_CHECK_SECONDS, in its own thread, until the console closes."""
        while not self._closing:
            time.sleep(TERMINAL_CHECK_SECONDS)
            try:
                alive = os.isatty(sys.__stdin__.fileno()) and os.isatty(sys.__stdout__.fileno())
            except (AttributeError, ValueError, OSError):
                alive = False
            if not alive or os.getppid() != self._parent_pid:
                if loop is not None and not self._closing:
                    try:
                        loop.call_soon_threadsafe(self._terminal_gone, EXIT_TERMINAL_GONE)
                    except RuntimeError:  # the loop closed meanwhile: nothing to end
                        pass
                return

    def _terminal_gone(self, code: int) -> None:
        """Quit; and since Textual's orderly shutdown can wait for ever on a terminal
        that is gone, end the process outright a second later if it is still here.
        Nothing is lost: every save is one SQLite transaction, committed or not."""
        if self._closing:
            return
        self._closing = True
        self._stop_watching()
        threading.Timer(1.0, os._exit, args=(code,)).start()
        self.exit(return_code=code)

    # ------------------------------------------------------------ audit trail
    @work(thread=True, exit_on_error=False)
    def _check_audit_trail(self) -> None:
        """An admin is told at start when the audit trail's append-only triggers or
        its last links are broken (the whole chain: complaintdesk audit verify)."""
        from complaintdesk.process.audit import check_trail

        report = check_trail(self.desk)
        if not report.ok:
            problems = "；".join(report.problems[:3])
            self.call_from_thread(
                self.notify, f"审计记录可能被篡改：{problems}。请运行 complaintdesk audit verify",
                title="审计链", severity="error", timeout=60, markup=False)

    _mine_counted = 0.0
    _mine_pending = False

    def _recount_mine_soon(self) -> None:
        """After a change: recount now if the last count is old enough, else once at
        the end of the window (the window's later changes are then counted too)."""
        wait = self._mine_counted + MINE_AFTER_CHANGE_SECONDS - time.monotonic()
        if wait <= 0:
            self._check_mine()
        elif not self._mine_pending:
            self._mine_pending = True
            self.set_timer(wait, self._check_mine)

    _mine_timer: Timer | None = None
    _mine_turn: float | None = None  # monotonic time of the next look set

    @work(thread=True, exclusive=True, group="mine", exit_on_error=False)
    def _check_mine(self) -> None:
        self._mine_counted, self._mine_pending = time.monotonic(), False
        try:
            states, turn = deadline_watch_of(self.desk, self.actor.login,
                                             timedelta(seconds=MINE_SECONDS))
        except DomainError:
            # The header keeps what it showed (the screens say what is wrong) and
            # looks again: the clocks must not stop for a database that was away.
            self.call_from_thread(self._look_again_later)
            return
        self.call_from_thread(self._show_mine, states, self._wait_for(turn))

    def _look_again_later(self) -> None:
        if self._mine_timer is not None:
            self._mine_timer.stop()
        self._mine_timer = self.set_timer(MINE_RETRY_SECONDS, self._check_mine)
        self._mine_turn = time.monotonic() + MINE_RETRY_SECONDS

    @work(thread=True, group="mine-among", exit_on_error=False)
    def _check_mine_among(self, numbers: list[str]) -> None:
        """Others changed ``numbers``, some of the person's: their states again only."""
        try:
            states, turn = deadline_watch_of(self.desk, self.actor.login,
                                             timedelta(seconds=MINE_SECONDS), numbers)
        except DomainError:
            return
        self.call_from_thread(self._merge_mine, numbers, states, self._wait_for(turn))

    def _wait_for(self, turn: datetime | None) -> float:
        if turn is None:
            return MINE_SECONDS
        return max((turn - self.desk.now()).total_seconds(), 0.0) + MINE_TURN_MARGIN_SECONDS

    def _merge_mine(self, numbers: list[str], states: dict[str, str], next_look: float) -> None:
        if self._mine is None:  # the first count is still under way; it will see them
            return
        merged = {n: s for n, s in self._mine.items() if n not in numbers} | states
        due = time.monotonic() + next_look
        if self._mine_turn is not None and self._mine_turn < due:
            next_look = max(self._mine_turn - time.monotonic(), 0.0)
        self._show_mine(merged, next_look)

    def _show_mine(self, states: dict[str, str], next_look: float = MINE_SECONDS) -> None:
        """The header counts the person's own amber and red complaints; one that turns
        amber or red since the last look is announced (not those already so at start).
        The next look is when the next of their clocks turns (at most MINE_SECONDS)."""
        if self._mine_timer is not None:
            self._mine_timer.stop()
        self._mine_timer = self.set_timer(next_look, self._check_mine)
        self._mine_turn = time.monotonic() + next_look
        amber = sum(state == "at-risk" for state in states.values())
        red = len(states) - amber
        self.title = APP_TITLE + (f" · 我的：预警 {amber} 超时 {red}" if states else "")
        before, self._mine = self._mine, states
        if before is None:
            return
        for number, state in states.items():
            if before.get(number) != state:
                self.notify(f"{number} {'已超过期限' if state == 'overdue' else '进入预警（期限将到）'}",
                            title="我的投诉", severity="error" if state == "overdue" else "warning",
                            timeout=10, markup=False)

    def on_data_changed(self, message: DataChanged) -> None:
        """Bring what is on the terminal up to date: the top screen and, under
        dialogs, the screen they cover, each judging what the changes touch of what
        it shows (the queue reads again only when its rows moved); screens further
        down reload when shown again. Announce new 紧急 complaints: one notice at a
        time, what comes while it is up in the next (screens/urgent_notices.py)."""
        changes = self._take_arrivals(message)
        if changes is not None:
            self._show_changes(changes)
        self._announce(self._urgent.arrived(message.urgent, message.urgent_count,
                                            time.monotonic()))

    def _announce(self, notice: Notice | None) -> None:
        """Show a 紧急 notice; what comes while it is up waits for it to go
        (screens/urgent_notices.py)."""
        if notice is not None:
            self.notify(notice.text, title="紧急", severity="warning",
                        timeout=self._urgent.shown_seconds, markup=False)
        if self._urgent.waiting and self._urgent_timer is None:
            self._urgent_timer = self.set_timer(
                max(self._urgent.wait_until - time.monotonic(), 0.0), self._announce_waiting)

    def _announce_waiting(self) -> None:
        self._urgent_timer = None
        self._announce(self._urgent.due(time.monotonic()))

    def _show_changes(self, changes: Changes) -> None:
        if changes.everything:
            self._recount_mine_soon()
        elif concerns(changes, self.actor.login, self._mine or {}):
            # Only the changed complaints' clocks, the person's or counted before.
            self._check_mine_among(sorted(c.number for c in changes.rows))
        shown: list[DataScreen] = []
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DataScreen):
                shown.append(screen)
            if not isinstance(screen, ModalScreen):
                break
        for screen in list(self.data_screens):
            if screen in shown:
                screen.changes_arrived(changes)
            elif screen.touched_by(changes):
                screen.stale = True  # another area's, or covered: reloads when shown

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for failures of background database work: say so, never crash."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.log.error(event.worker.error)
            self.notify(f"后台操作失败：{event.worker.error}", severity="error", markup=False,
                        timeout=10)

    def on_unmount(self) -> None:
        self._closing = True
        gc.unfreeze()  # collectable again (tests run many consoles in one process)
        self._restore_collection()  # a console that quit before its first paint
        self._stop_watching()

    # ------------------------------------------------------------ help and palette
    def action_help(self) -> None:
        """The keys of the screen on the terminal (a dialog's own when one is up)."""
        screen = self.screen
        if isinstance(screen, KeysHelpScreen):
            return
        title = getattr(screen, "HELP_TITLE", "") or screen.sub_title or self.title or ""
        self.push_screen(KeysHelpScreen(str(title), keys_of(screen)))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not DeskCommandPalette.is_open(self):
            self.push_screen(DeskCommandPalette())

    def get_system_commands(self, screen) -> Iterable[SystemCommand]:  # type: ignore[no-untyped-def]
        return system_commands(self, screen)

    def action_help_quit(self) -> None:
        """Ctrl+C (a copy key in fields): say how to quit, in Chinese."""
        self.notify("按 Ctrl+Q 退出控制台（列表中也可按 q）", title="要退出吗？", markup=False)

    # ------------------------------------------------------------ navigation
    def on_show_area(self, message: ShowArea) -> None:
        """Go to an area; the statistics only for those who may read them."""
        if message.area is Area.STATISTICS:
            try:
                check_reader(self.desk, self.actor.login)
            except DomainError as exc:
                self.notify(exc.message, severity="warning", markup=False)
                return
        self.switch_mode(message.area.value)

    def on_open_complaint(self, message: OpenComplaint) -> None:
        self.open_complaint(message.number)

    def open_complaint(self, number: str) -> None:
        """Show complaint ``number``'s record over the current screen."""
        self.push_screen(ComplaintRecordScreen(self.desk, self.actor, number))

    async def action_quit(self) -> None:
        """Quit, but never throw away a half-filled form without asking."""
        has_unsaved = getattr(self.screen, "has_unsaved_input", None)
        if has_unsaved is None or not has_unsaved():
            self.exit()
            return

        def answer(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(ConfirmDialog("退出并放弃未保存的记录单？",
                                       "表单中有尚未保存的内容。退出后无法恢复。"), answer)


def run_console(desk: Desk, actor: Actor) -> int:
    app = ComplaintDeskApp(desk, actor, guard_terminal=True)
    app.run()
    return app.return_code or 0
