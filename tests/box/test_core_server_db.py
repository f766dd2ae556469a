"""setup-box for a desk on a PostgreSQL server: the URL it accepts, the passfile it
writes (read by libpq, against a server that asks for the password), the
configuration table, and the plan's steps."""

from __future__ import annotations

import os
import pwd
import tomllib
from pathlib import Path

import psycopg
import pytest

from complaintdesk.box import server_db
from complaintdesk.box import setup as box
from complaintdesk.box.locations import service_settings
from complaintdesk.domain.errors import DomainError
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk
from tests import pg_server


@pytest.mark.parametrize("url, words", [
    ("/var/lib/complaintdesk/complaintdesk.db", "postgresql://角色@"),
    ("postgresql://app:secret@db/complaintdesk", "不要写密码"),
    ("postgresql://db/complaintdesk", "须写明角色和数据库名"),
    ("postgresql://app@db", "须写明角色和数据库名"),
    ("postgresql://app@db/cd?passfile=/tmp/x", "不要写 passfile"),
    ("postgresql://app@db/cd?sslmode=require&password=secret", "不要写密码"),
    ("postgresql://app@db/cd?application_name=a\nb", "控制字符"),
])
def test_a_url_setup_box_cannot_write_safely_is_refused_in_words(url, words):
    with pytest.raises(DomainError, match=words):
        server_db.check_url(url)


def test_a_good_url_is_taken_and_names_its_passfile():
    server_db.check_url("postgresql://complaintdesk_app@db.example.com:5433/complaintdesk")
    assert server_db.with_passfile("postgresql://a@h/d", Path("/v/pgpass")) == \
        "postgresql://a@h/d?passfile=/v/pgpass"
    assert server_db.with_passfile("postgresql://a@h/d?sslmode=require", Path("/v/pgpass")) == \
        "postgresql://a@h/d?sslmode=require&passfile=/v/pgpass"


def test_the_passfile_line_escapes_what_libpq_reads_as_separators():
    line = server_db.passfile_line("postgresql://app@db.example.com:5433/cd", "a:b\\c")
    assert line == "db.example.com:5433:cd:app:a\\:b\\\\c\n"
    # No host: the local socket, which libpq matches as localhost; no port: 5432.
    assert server_db.passfile_line("postgresql://app@/cd", "x") == "localhost:5432:cd:app:x\n"


def test_the_database_table_reads_back_as_the_same_url(tmp_path):
    url = 'postgresql://app@db/cd?passfile=/var/lib/complaintdesk/pgpass&application_name=柜台"1"'
    config = tmp_path / "config.toml"
    config.write_text('[desk]\ntimezone = "Asia/Shanghai"\n' + server_db.database_text(url),
                      encoding="utf-8")
    assert tomllib.loads(config.read_text("utf-8"))["database"]["url"] == url
    assert service_settings(config).url == url


def test_the_passfile_is_written_private_to_its_account_and_replaced_whole(tmp_path):
    path = tmp_path / "pgpass"
    line = server_db.passfile_line("postgresql://app@db/cd", "s1")
    assert not server_db.passfile_current(path, line, "root")
    server_db.write_passfile(path, line, "root")
    assert path.read_text() == line and path.stat().st_mode & 0o777 == 0o600
    assert server_db.passfile_current(path, line, "root")
    path.chmod(0o640)  # loosened by hand: libpq would ignore it, so the step is due again
    assert not server_db.passfile_current(path, line, "root")
    server_db.write_passfile(path, server_db.passfile_line("postgresql://app@db/cd", "s2"), "root")
    assert path.read_text().endswith(":s2\n") and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["pgpass"]  # nothing left aside


def _signed_in_as_admin(url: str) -> None:
    """What setup-box's last step does on a server: root the desk's admin."""
    desk = open_desk(url)
    try:
        staffing.ensure_admin(desk, "root")
    finally:
        desk.close()


def test_admin_present_reads_the_server_desk(pg_url):
    assert not server_db.admin_present(pg_url, "root")
    _signed_in_as_admin(pg_url)
    assert server_db.admin_present(pg_url, "root")
    assert not server_db.admin_present(pg_url, "nobody-else")
    assert not server_db.admin_present(pg_url.replace("/cd_", "/no_such_", 1), "root")


@pytest.fixture
def system_config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setattr(box, "SYSTEM_CONFIG", path)
    return path


def test_the_plan_for_a_server_writes_its_url_and_passfile_and_no_sqlite_file(system_config):
    # Port 1 on the loopback: the admin check is refused at once (no DNS, no wait).
    plan = box.BoxPlan(admin="root", url="postgresql://app@127.0.0.1:1/cd", password="pw")
    steps = box.plan_steps(box.with_configured_database(plan))
    said = [s.description for s in steps]
    assert len(steps) == 10
    passfile = next(i for i, d in enumerate(said) if "/var/lib/complaintdesk/pgpass（" in d)
    url = next(i for i, d in enumerate(said) if "[database]" in d)
    assert passfile < url, "the passfile is written before the URL that names it"
    assert said[url].endswith("postgresql://app@127.0.0.1:1/cd?passfile=/var/lib/complaintdesk/pgpass")
    assert steps[url].needed and "complaintdesk 所有，权限 0600" in said[passfile]
    assert not any("complaintdesk.db" in d for d in said) and "登记首位管理员 root" in said[-4]
    assert "pw" not in "\n".join(said).replace("pgpass", "")


URL = "postgresql://app@127.0.0.1:1/cd"
CONFIGURED = f"{URL}?passfile=/var/lib/complaintdesk/pgpass"


def _database_steps(plan):  # type: ignore[no-untyped-def]
    return [s for s in box.plan_steps(box.with_configured_database(plan))
            if "[database]" in s.description]


def test_setup_box_again_keeps_the_configured_server_and_never_writes_it_twice(system_config):
    system_config.write_text(server_db.database_text(CONFIGURED), encoding="utf-8")
    for again in (box.BoxPlan(admin="root"),                              # plain re-run
                  box.BoxPlan(admin="root", password="new"),              # a new password only
                  box.BoxPlan(admin="root", url=URL),                     # the same URL
                  box.BoxPlan(admin="root", url=URL, password="pw")):     # the same, with a password
        kept = box.with_configured_database(again)
        assert kept.location == CONFIGURED
        assert [s.needed for s in _database_steps(again)] == [False]
    with pytest.raises(DomainError, match="已指定数据库 postgresql://app@127.0.0.1:1/cd"):
        box.with_configured_database(box.BoxPlan(admin="root", url="postgresql://app@other/cd"))


def test_a_password_needs_a_url_that_names_the_passfile(system_config):
    with pytest.raises(DomainError, match="请同时用 --database-url"):
        box.with_configured_database(box.BoxPlan(admin="root", password="pw"))
    system_config.write_text(server_db.database_text(URL), encoding="utf-8")  # written by hand
    assert box.with_configured_database(box.BoxPlan(admin="root")).location == URL
    with pytest.raises(DomainError, match="没有指定 passfile"):
        box.with_configured_database(box.BoxPlan(admin="root", password="pw"))


def test_passfile_parameters_are_taken_out_and_compared_apart():
    assert server_db.without_passfile("postgresql://a@h/d?sslmode=require&passfile=/p&x=1") == (
        "postgresql://a@h/d?sslmode=require&x=1", "/p")
    assert server_db.without_passfile("postgresql://a@h/d") == ("postgresql://a@h/d", None)
    assert server_db.same_database("postgresql://a@h:5432/d?passfile=/p", "postgresql://a@h/d")
    assert not server_db.same_database("postgresql://a@h/d", "postgresql://b@h/d")
    assert not server_db.same_database("postgresql://a@h/d", "postgresql://a@h/e")


def test_libpq_signs_in_with_the_passfile_setup_box_writes(tmp_path):
    password = "柜:台\\密码 1"
    cluster = pg_server.Scratch(initdb_args=("--auth=scram-sha-256",), password=password)
    base = cluster.base
    try:
        url = cluster.url()
        passfile = tmp_path / "pgpass"
        line = server_db.passfile_line(url, password)
        assert line.startswith(f"{base}:5432:postgres:postgres:")  # a socket: its directory
        server_db.write_passfile(passfile, line, pwd.getpwuid(os.getuid()).pw_name)
        from complaintdesk.store.postgres.engine import libpq_dsn

        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(libpq_dsn(url), connect_timeout=5).close()
        signed = server_db.with_passfile(url, passfile)
        with psycopg.connect(libpq_dsn(signed), connect_timeout=5) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == "postgres"
        _signed_in_as_admin(signed)  # the desk's own engine passes the passfile to libpq too
        assert server_db.admin_present(signed, "root")
    finally:
        cluster.stop()


# ------------------------------------------------------------------ any URL, any password

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


def _libpq_fields(line: str) -> list[str]:
    """A passfile line read as libpq reads it: ``:`` separates, ``\\`` escapes the next."""
    fields, field, escaped = [], "", False
    for char in line.rstrip("\n"):
        if escaped:
            field, escaped = field + char, False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append(field)
            field = ""
        else:
            field += char
    return [*fields, field]


@settings(max_examples=200, deadline=None)
@given(password=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30),
       role=st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
       database=st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True))
def test_any_password_reads_back_from_the_passfile_line(password, role, database):
    line = server_db.passfile_line(f"postgresql://{role}@db.example.com:5433/{database}", password)
    assert line.count("\n") == 1 and line.endswith("\n")
    assert _libpq_fields(line) == ["db.example.com", "5433", database, role, password]


@settings(max_examples=200, deadline=None)
@given(name=_TEXT, value=_TEXT)
def test_any_url_setup_box_takes_reads_back_from_the_configuration(name, value):
    from urllib.parse import quote

    url = f"postgresql://app@db/cd?application_name={quote(name)}&options={quote(value)}"
    server_db.check_url(url)
    configured = server_db.with_passfile(url, Path("/var/lib/complaintdesk/pgpass"))
    assert tomllib.loads(server_db.database_text(configured))["database"]["url"] == configured
    assert server_db.without_passfile(configured) == (url, "/var/lib/complaintdesk/pgpass")
    assert server_db.same_database(configured, url)
