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


def test_admin_present_reads_the_server_desk(pg_url):
    assert not server_db.admin_present(pg_url, "root")
    desk = open_desk(pg_url)
    try:
        staffing.ensure_admin(desk, "root")
    finally:
        desk.close()
    assert server_db.admin_present(pg_url, "root")
    assert not server_db.admin_present(pg_url, "nobody-else")
    assert not server_db.admin_present(pg_url.replace("/cd_", "/no_such_", 1), "root")


@pytest.fixture
def system_config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setattr(box, "SYSTEM_CONFIG", path)
    return path


def test_the_plan_for_a_server_writes_its_url_and_passfile_and_no_sqlite_file(system_config):
    plan = box.BoxPlan(admin="root", url="postgresql://app@db/cd", password="pw")
    steps = box.plan_steps(box.with_configured_database(plan))
    said = "\n".join(s.description for s in steps)
    assert len(steps) == 10 and all(s.needed for s in steps[:4] if "组" not in s.description)
    assert "postgresql://app@db/cd?passfile=/var/lib/complaintdesk/pgpass" in said
    assert "/var/lib/complaintdesk/pgpass（complaintdesk 所有，权限 0600" in said
    assert "complaintdesk.db" not in said and "登记首位管理员 root" in said
    assert "pw" not in said.replace("pgpass", "")


def test_setup_box_again_keeps_the_configured_server_and_refuses_another(system_config):
    url = "postgresql://app@db/cd?passfile=/var/lib/complaintdesk/pgpass"
    system_config.write_text(server_db.database_text(url), encoding="utf-8")
    kept = box.with_configured_database(box.BoxPlan(admin="root"))
    assert kept.location == url
    same = box.with_configured_database(box.BoxPlan(admin="root", url="postgresql://app@db/cd",
                                                    password="pw"))
    assert same.configured_url == url
    step = next(s for s in box.plan_steps(same) if "[database]" in s.description)
    assert not step.needed
    with pytest.raises(DomainError, match="已指定数据库 postgresql://app@db/cd"):
        box.with_configured_database(box.BoxPlan(admin="root", url="postgresql://app@other/cd"))


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
        # The desk's own engine passes the URL's passfile to libpq too.
        desk = open_desk(signed)
        try:
            staffing.ensure_admin(desk, "root")
        finally:
            desk.close()
        assert server_db.admin_present(signed, "root")
    finally:
        cluster.stop()
