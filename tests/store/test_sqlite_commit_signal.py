"""SQLite's watcher is told of commits by the kernel (inotify on the database's
directory, store/sqlite/commit_signal.py) and waits for them in a poll() it can be
woken from (store/alarm.py): an idle console costs nothing, a commit is seen at
once, a console quits at once."""

from __future__ import annotations

import os
import resource
import threading
import time

import pytest

from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.process import staffing
from complaintdesk.store.alarm import Alarm
from complaintdesk.store.sqlite import watcher as sqlite_watcher
from tests.helpers import register


@pytest.fixture
def sqlite_desk(tmp_path):
    desk = open_desk(tmp_path / "desk.db", DeskConfig(timezone_name="Asia/Shanghai"))
    admin = staffing.sign_in(desk, "admin1", "管理员")
    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    yield desk
    desk.close()


def test_a_commit_wakes_the_wait_and_nothing_else_does(sqlite_desk, tmp_path):
    watcher = sqlite_desk.store.watcher()
    try:
        assert watcher.waits
        started = time.monotonic()
        assert watcher.wait(0.3) is False  # nothing: the whole timeout
        assert time.monotonic() - started >= 0.25
        # Another file in the same directory (a backup, a log) is not the desk:
        # created, it wakes the wait for nothing; written, not even that.
        (tmp_path / "notes.txt").write_text("x")
        assert watcher.wait(0.3) is False and watcher.changes() is None
        with open(tmp_path / "notes.txt", "a") as log:
            started = time.monotonic()
            log.write("more")
            log.flush()
            assert watcher.wait(0.3) is False
            assert time.monotonic() - started >= 0.25  # not woken at all
        timer = threading.Timer(0.2, register, args=(sqlite_desk, "counter1"))
        timer.start()
        started = time.monotonic()
        assert watcher.wait(10) is True
        assert time.monotonic() - started < 5
        timer.join()
        deadline = time.monotonic() + 5  # caught before its last write: look again
        while (changes := watcher.changes()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert changes is not None and len(changes.new) == 1
    finally:
        watcher.close()


def test_closing_from_another_thread_ends_a_wait_at_once(sqlite_desk):
    watcher = sqlite_desk.store.watcher()
    closer = threading.Timer(0.2, watcher.close)
    closer.start()
    started = time.monotonic()
    assert watcher.wait(30) is False
    closer.join()
    assert time.monotonic() - started < 2
    assert watcher.closed and watcher.changes() is None and watcher.wait(0.1) is False


def test_without_the_kernels_signal_the_watcher_polls(sqlite_desk, monkeypatch):
    """Where inotify is refused (no read permission on the directory, the
    per-user limit of instances reached) the watcher says so, and its wait is a
    pause after which it says to look."""
    monkeypatch.setattr(sqlite_watcher, "open_signal", lambda path: None)
    watcher = sqlite_desk.store.watcher()
    try:
        assert not watcher.waits
        started = time.monotonic()
        assert watcher.wait(0.2) is True
        assert time.monotonic() - started >= 0.15
        register(sqlite_desk, "counter1")
        assert watcher.changes() is not None
    finally:
        watcher.close()


def test_an_alarm_waits_on_descriptors_past_selects_limit():
    """select() refuses descriptors from 1,024 on, and a console's test process
    (or a busy console) may have that many open: the wait uses poll()."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.fail(f"the test needs 2,048 descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    read, write = os.pipe()
    high = os.dup2(read, 1500)
    alarm = Alarm()
    try:
        assert alarm.wait([high], 0.05) == []
        os.write(write, b"x")
        assert alarm.wait([high], 1) == [high]
        alarm.ring()
        assert alarm.wait([high], 1) == []  # rung: the caller is being closed
    finally:
        alarm.close()
        for fd in (read, write, high):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert alarm.wait([], 0) == [] and alarm.ring() is None  # closed: harmless
