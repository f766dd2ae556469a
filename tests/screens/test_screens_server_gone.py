"""Pilot tests of a console whose database server stops answering while it is
open: its lists keep what they showed, say once what failed, read again by
themselves, and the console never ends. Against the real PostgreSQL server of
the suite: the database is closed to connections and the desk's own are ended,
as a restart or an admin's pg_terminate_backend would."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.engine import make_url

from complaintdesk.domain.config import DeskConfig
from complaintdesk.domain.errors import DomainError
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk
from screens import app as console
from screens.widgets import virtual_table
from screens.widgets.virtual_table import VirtualTable

from tests.conftest import DESK_ZONE
from tests.helpers import register
from tests.screens.screen_helpers import make_app, settle

FAILED = "列表每"  # the failure notice's words ("…。列表每 5 秒重试一次…")
BACK = "数据库已恢复"


@contextmanager
def server_refusing(url: str):  # type: ignore[no-untyped-def]
    """The desk's database takes no new connection and its open ones are ended."""
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def notices(app, words: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications if words in str(n.message)]


def shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(VirtualTable)
    return [row.key for row in (table.row_at(i) for i in range(table.row_count)) if row]


@pytest.fixture
def pg_desk_now(pg_url, frozen_now):  # type: ignore[no-untyped-def]
    desk = open_desk(pg_url, config=DeskConfig(timezone_name=DESK_ZONE), clock=lambda: frozen_now)
    staffing.sign_in(desk, "admin1", "管理员")
    staffing.add_staff(desk, "admin1", "counter1", "柜台小王", "counter")
    yield desk
    desk.close()


async def test_the_queue_outlives_its_server_and_reads_again_when_it_is_back(
        pg_desk_now, pg_url, monkeypatch) -> None:
    monkeypatch.setattr(virtual_table, "RETRY_SECONDS", 0.3)
    desk = pg_desk_now
    first = register(desk, "counter1")
    app = make_app(desk, "counter1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert shown(app) == [first.number]
        with server_refusing(pg_url):
            await pilot.press("ctrl+r")
            await settle(pilot)
            for _ in range(4):  # several tries, all refused: said once
                await pilot.pause(0.35)
                await settle(pilot)
            assert app.is_running
            said = notices(app, FAILED)
            assert len(said) == 1 and "读取数据库失败：数据库暂不接受连接" in said[0], said
            assert shown(app) == [first.number]  # what it read before stays
            assert not notices(app, BACK)
        second = register(desk, "counter1", priority="urgent")
        for _ in range(40):
            await pilot.pause(0.1)
            await settle(pilot)
            if shown(app) == [second.number, first.number]:
                break
        assert shown(app) == [second.number, first.number]
        assert len(notices(app, BACK)) == 1 and len(notices(app, FAILED)) == 1


async def test_the_persons_deadline_clocks_look_again_after_a_look_that_failed(
        pg_desk_now, pg_url, monkeypatch) -> None:
    """The header's count of the person's amber and red complaints is looked at
    again after a look the server did not answer, not left until a change (the
    console does not follow others' changes here: nothing else makes it look)."""
    monkeypatch.setattr(console, "MINE_RETRY_SECONDS", 0.3)
    app = console.ComplaintDeskApp(pg_desk_now, staffing.sign_in(pg_desk_now, "counter1"),
                                   watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        looks: list[str] = []
        real = console.deadline_watch_of

        def look(*args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                found = real(*args, **kwargs)
            except DomainError:
                looks.append("failed")
                raise
            looks.append("read")
            return found

        monkeypatch.setattr(console, "deadline_watch_of", look)
        with server_refusing(pg_url):
            app._check_mine()  # its timer's turn, the server away
            await settle(pilot)
            assert looks and set(looks) == {"failed"} and app.is_running
        for _ in range(30):
            await pilot.pause(0.1)
            if "read" in looks:
                break
        await settle(pilot)
        assert looks[-1] == "read" and app._mine is not None  # looked again, and counted
