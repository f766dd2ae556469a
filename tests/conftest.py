"""Shared fixtures: a throwaway desk in tmp_path with a frozen clock, its staff,
and a complaint text full of things a terminal or a markup parser would misread."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaintdesk.process import staffing
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from tests import pg_server
from tests.backends import BACKENDS, drop_store_location, new_store_location

DESK_ZONE = "Asia/Shanghai"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options must be registered by the root conftest to be known on the command
    line; the suite itself lives in tests/ssh/ (its conftest reads the option)."""
    parser.addoption("--run-ssh", action="store_true", default=False,
                     help="run the real-SSH shared-box suite in tests/ssh (changes the "
                          "machine: accounts, /etc, sudoers; needs root, openssh-server, "
                          "sudo, tmux, sqlite3; its tear-down restores the machine)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of the SQLite file itself (its schema "
                            "history, WAL, FTS5 tables): not run on the other backends")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A ``sqlite_only`` test runs once, on SQLite: its other backends' instances are
    deselected (pytest reports how many), never skipped quietly."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on = callspec.params.get("backend") if callspec is not None else None
        if on is None and "backend" in getattr(item, "fixturenames", ()):
            on = BACKENDS[0] if len(BACKENDS) == 1 else None
        if item.get_closest_marker("sqlite_only") and on not in (None, "sqlite"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def frozen_now() -> datetime:
    """"Now" for every test that uses the desk: a Monday morning at the counter."""
    return datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo(DESK_ZONE))


@pytest.fixture(scope="module", params=BACKENDS if len(BACKENDS) > 1 else None)
def backend(request) -> str:
    """The store backend this test runs on: one axis for every fixture of a module
    (module-scoped databases included)."""
    return getattr(request, "param", BACKENDS[0])


@pytest.fixture
def store_location(backend, tmp_path):
    """Where this test's new database lives, on each backend under test."""
    location = new_store_location(backend, tmp_path)
    yield location
    drop_store_location(location)


@pytest.fixture
def pg_url():
    """A new PostgreSQL database with the schema in place (tests/pg_server.py)."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def desk(store_location, frozen_now):
    """A new database, the desk's zone fixed, the clock frozen."""
    opened = open_desk(store_location, config=DeskConfig(timezone_name=DESK_ZONE),
                       clock=lambda: frozen_now)
    yield opened
    opened.close()


@pytest.fixture
def admin(desk) -> staffing.Actor:
    """The first user on the new database, who therefore becomes admin."""
    return staffing.sign_in(desk, "admin1", "管理员")


@pytest.fixture
def counter(desk, admin) -> str:
    """The login of a counter clerk (客服专员) the admin added."""
    staffing.add_staff(desk, admin.login, "counter1", "柜台小王", "counter")
    return "counter1"


@pytest.fixture
def hostile_text() -> str:
    """Exactly 2,000 characters of text that markup parsers and terminals misread.

    Contains no control characters other than newline and tab, so it must be
    stored and shown exactly as it is.
    """
    head = (
        "[urgent] 客户说：[/b] 这是 [@click=app.quit]x[/] 点我退出；"
        "路径 C:\\temp\\new 与字面的 \\n 不是换行；"
        "引号 \"双\" '单' `反` 「直角」；表情 😡👍🏻；繁體：這個產品壞了。\n"
        "\t缩进的第二行 [bold red]不要变红[/bold red] $name ${x} %s {0} <b>html</b>"
    )
    filler = "投诉内容[重复]\\"
    text = head + filler * ((2000 - len(head)) // len(filler) + 1)
    text = text[:2000]
    assert len(text) == 2000 and text == text.strip()
    return text


@pytest.fixture(autouse=True, scope="session")
def _fictional_staff_accounts():
    """Tests add staff with made-up logins (counter1, 柜台小王…) that are no OS
    accounts of this machine; the product refuses those. Session-scoped so that
    module-scoped fixtures that build a staffed database see it too; tests of the
    rule itself run the CLI in a child process or pass ``account_exists``."""
    patch = pytest.MonkeyPatch()
    patch.setattr(staffing, "os_account_exists", lambda login: True)
    yield
    patch.undo()
