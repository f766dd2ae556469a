"""The ``complaintdesk`` command, run as a separate process the way staff and
scripts run it: exit statuses, stdout contracts, and one-line errors instead of
tracebacks."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import re
import subprocess
import sys
from pathlib import Path

import pytest

from complaintdesk.process import staffing
from complaintdesk.domain.config import DeskConfig
from complaintdesk.process.desk import open_desk
from complaintdesk.store.sqlite.schema import SCHEMA_VERSION
from tests.backends import drop_store_location, new_store_location

ME = staffing.os_login()


@pytest.fixture
def env(tmp_path) -> dict:
    """The environment of a process: desk zone fixed, no inherited database path,
    and $USER/$LOGNAME set to somebody else (identity comes from the uid)."""
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    values = {k: v for k, v in os.environ.items() if k != "COMPLAINTDESK_DB"}
    values.update(COMPLAINTDESK_CONFIG=str(config), USER="admin1", LOGNAME="admin1",
                  COLUMNS="300", PYTHONIOENCODING="")
    return values


@pytest.fixture
def db(backend, tmp_path):  # type: ignore[no-untyped-def]
    """A database made as ``complaintdesk init`` makes it (nothing else creates one):
    a file, or a database on the test server (the commands take either)."""
    location = tmp_path / "cli.db" if backend == "sqlite" else new_store_location(backend, tmp_path)
    open_desk(location, DeskConfig()).close()
    yield location
    if backend != "sqlite":
        drop_store_location(location)


def run(env, db, *args, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run([sys.executable, "-m", "complaintdesk", "--db", str(db), *args],
                          input=data, capture_output=True, env=env, timeout=120)
    done.out = done.stdout.decode("utf-8")  # type: ignore[attr-defined]
    done.err = done.stderr.decode("utf-8")  # type: ignore[attr-defined]
    return done


def assert_one_line_error(done, *fragments: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.err
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("complaintdesk: "), done.err
    for fragment in fragments:
        assert fragment in lines[0]


def good(**overrides) -> dict:
    data = {
        "customer_name": "苏州瑞丰贸易有限公司", "address": "江苏省苏州市姑苏区人民路 1 号",
        "contact": "0512-6512 3456", "channel": "phone", "received_at": "2026-01-05T09:30:00+08:00",
        "event": "价格调整未通知，账单多收 300 元。", "demand": "要求退还差价",
        "category": "price", "priority": "urgent", "product": "", "quantity": None,
    }
    data.update(overrides)
    return data


def jsonl(*items: object) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def exported(env, db) -> list[dict]:
    done = run(env, db, "export")
    assert done.returncode == 0, done.err
    return [json.loads(x) for x in done.out.splitlines()]


# ------------------------------------------------------------------ intake

def test_intake_registers_good_lines_and_names_bad_ones(env, db, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(
        good(customer_name="第一家"),
        good(quantity=-3),
        good(priority="最高"),
    ) + "\n" + jsonl(
        good(customer_name="第五家", channel="微信", category="服务质量", priority="一般"),
        good(colour="red"),
    ), encoding="utf-8")

    done = run(env, db, "intake", str(source))
    assert done.returncode == 1
    assert "Traceback" not in done.err
    results = [json.loads(x) for x in done.out.splitlines()]
    assert [r["line"] for r in results] == [1, 2, 3, 5, 6]
    assert results[0]["number"].startswith("TS-20260105-")
    assert "quantity（数量）" in results[1]["error"]
    assert "priority（紧急程度）" in results[2]["error"]
    assert "colour" in results[4]["error"]
    assert "number" in results[3]

    rows = exported(env, db)
    assert [r["customer_name"] for r in rows] == ["第一家", "第五家"]
    assert rows[1]["channel"] == "wechat" and rows[1]["received_by"] == ME


def test_intake_of_only_good_lines_exits_zero(env, db, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(good(), good(contact="13912345678")), encoding="utf-8")
    done = run(env, db, "intake", str(source))
    assert done.returncode == 0, done.err
    assert [("number" in json.loads(x)) for x in done.out.splitlines()] == [True, True]


def test_intake_from_stdin_with_a_byte_order_mark(env, db):
    done = run(env, db, "intake", "-", stdin="\ufeff" + jsonl(good(customer_name="来自标准输入")))
    assert done.returncode == 0, done.err
    (result,) = [json.loads(x) for x in done.out.splitlines()]
    assert result["line"] == 1 and "number" in result
    assert exported(env, db)[0]["customer_name"] == "来自标准输入"


def test_intake_of_a_missing_file_is_a_one_line_error(env, db, tmp_path):
    done = run(env, db, "intake", str(tmp_path / "nope.jsonl"))
    assert_one_line_error(done, "nope.jsonl")
    assert done.out == ""


# ------------------------------------------------------------------ export

def test_export_jsonl_gives_back_hostile_text_exactly(env, db, hostile_text):
    sent = good(event=hostile_text, demand=hostile_text[:2000],
                customer_name="[b]客户[/b] [@click=app.quit]退出[/] \\ \"引号\" 😡 這個")
    done = run(env, db, "intake", "-", stdin=jsonl(sent))
    assert done.returncode == 0, done.out + done.err
    (row,) = exported(env, db)
    for name in ("customer_name", "event", "demand", "address", "contact"):
        assert row[name] == sent[name], name
    assert row["received_at"] == "2026-01-05T09:30:00+08:00"


def test_export_csv_has_a_bom_and_parses_back(env, db, hostile_text):
    run(env, db, "intake", "-", stdin=jsonl(good(event=hostile_text), good(quantity=4)))
    done = run(env, db, "export", "--format", "csv")
    assert done.returncode == 0, done.err
    assert done.stdout.startswith(b"\xef\xbb\xbfnumber,")
    parsed = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8-sig"), newline="")))
    assert [r["event"] for r in parsed] == [hostile_text, good()["event"]]
    assert [r["quantity"] for r in parsed] == ["", "4"]


def test_export_to_a_file(env, db, tmp_path):
    run(env, db, "intake", "-", stdin=jsonl(good()))
    target = tmp_path / "out.jsonl"
    done = run(env, db, "export", "-o", str(target))
    assert done.returncode == 0, done.err
    assert done.out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["demand"] == "要求退还差价"
    assert not (tmp_path / "out.jsonl.part").exists()


def test_export_into_a_missing_directory_is_a_one_line_error(env, db, tmp_path):
    run(env, db, "intake", "-", stdin=jsonl(good()))
    done = run(env, db, "export", "-o", str(tmp_path / "nodir" / "out.csv"))
    assert_one_line_error(done)


def test_a_reader_that_goes_away_ends_the_export_quietly(env, db):
    assert run(env, db, "demo", "--count", "3000").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "complaintdesk", "--db", str(db), "export"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout.read(100)
    proc.stdout.close()  # the export is far bigger than a pipe buffer: its next write fails
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0  # the reader had what it wanted (``| head``)
    assert err == ""


# ------------------------------------------------------------------ show

def test_show_json_has_every_field_and_the_timeline(env, db):
    number = json.loads(run(env, db, "intake", "-", stdin=jsonl(good(quantity=2))).out)["number"]
    done = run(env, db, "show", number, "--json")
    assert done.returncode == 0, done.err
    shown = json.loads(done.out)
    assert shown["number"] == number and shown["status"] == "registered"
    assert (shown["priority"], shown["quantity"], shown["escalated"]) == ("urgent", 2, False)
    assert shown["first_response_due"] == "2026-01-05T11:30:00+08:00"
    (event,) = shown["timeline"]
    assert (event["action"], event["action_label"], event["actor"], event["after"]) == (
        "complaint.registered", "登记投诉", ME, number)


def test_show_prints_customer_text_literally(env, db):
    name = "[bold red]客户[/] [@click=app.quit]退出[/] \\[b]"
    number = json.loads(run(env, db, "intake", "-", stdin=jsonl(good(customer_name=name))).out)["number"]
    done = run(env, db, "show", number)
    assert done.returncode == 0, done.err
    assert name in done.out
    for label in ("受理编号", "投诉客户名称", "部门受理人员", "首次响应期限", "已上报管理层", "登记投诉"):
        assert label in done.out
    assert "\x1b" not in done.out


def test_show_of_an_unknown_number_is_an_error(env, db):
    done = run(env, db, "show", "TS-20000101-0001")
    assert_one_line_error(done, "TS-20000101-0001")


# ------------------------------------------------------------------ identity and staff

def _database_with_me_as(db: Path, role: str | None) -> None:
    desk = open_desk(db, DeskConfig(timezone_name="Asia/Shanghai"))
    try:
        staffing.sign_in(desk, "admin1")
        if role is not None:
            staffing.add_staff(desk, "admin1", ME, "我自己", role)
    finally:
        desk.close()


needs_valid_login = pytest.mark.skipif(not staffing.LOGIN_RE.match(ME),
                                       reason=f"OS login {ME!r} is not a valid staff login")


# Staff must be OS accounts of the box: these exist on every Debian system.
OS_ACCOUNT, OTHER_OS_ACCOUNT = "daemon", "games"


def test_first_user_of_a_new_database_becomes_admin_and_adds_staff(env, db):
    done = run(env, db, "staff", "add", OS_ACCOUNT, "--name", "王红", "--role", "handler",
               "--dept", "质量管理部")
    assert done.returncode == 0, done.err
    listed = json.loads(run(env, db, "staff", "list", "--json").out)
    assert {(s["login"], s["role"], s["department"]) for s in listed} == {
        (ME, "admin", None), (OS_ACCOUNT, "handler", "quality")}
    done = run(env, db, "staff", "disable", OS_ACCOUNT)
    assert done.returncode == 0, done.err
    listed = json.loads(run(env, db, "staff", "list", "--json").out)
    assert [s["active"] for s in listed if s["login"] == OS_ACCOUNT] == [False]
    done = run(env, db, "staff", "enable", OS_ACCOUNT)
    assert done.returncode == 0, done.err
    done = run(env, db, "staff", "set-role", OS_ACCOUNT, "supervisor")
    assert done.returncode == 0, done.err
    listed = json.loads(run(env, db, "staff", "list", "--json").out)
    assert [(s["role"], s["department"], s["active"]) for s in listed
            if s["login"] == OS_ACCOUNT] == [("supervisor", None, True)]
    timeline = run(env, db, "audit", "verify")
    assert timeline.returncode == 0, timeline.out + timeline.err


def test_staff_add_of_a_login_that_is_no_os_account_is_refused(env, db):
    done = run(env, db, "staff", "add", "nosuchuser-x1", "--name", "王红", "--role", "counter")
    assert_one_line_error(done, "本机没有系统账号 nosuchuser-x1")


def test_staff_add_of_a_handler_without_department_is_refused(env, db):
    done = run(env, db, "staff", "add", OS_ACCOUNT, "--name", "王红", "--role", "handler")
    assert_one_line_error(done, "部门")


def test_set_role_keeps_the_last_admin(env, db):
    run(env, db, "staff", "list")
    done = run(env, db, "staff", "set-role", ME, "counter")
    assert_one_line_error(done, "最后一位管理员")


@needs_valid_login
def test_staff_add_by_a_non_admin_is_refused(env, db):
    _database_with_me_as(db, "counter")
    done = run(env, db, "staff", "add", OTHER_OS_ACCOUNT, "--name", "张三", "--role", "admin")
    assert_one_line_error(done, "管理员")
    assert all(s["login"] != OTHER_OS_ACCOUNT for s in json.loads(run(env, db, "staff", "list", "--json").out))


def test_an_account_that_is_not_staff_is_told_the_admin_command(env, db):
    _database_with_me_as(db, None)  # admin1 exists; $USER=admin1 must not help
    done = run(env, db, "export")
    assert done.returncode == 1 and "Traceback" not in done.err
    assert done.err.startswith(f"complaintdesk: 账号 {ME} ")
    assert f"complaintdesk staff add {ME}" in done.err
    assert done.out == ""


# ------------------------------------------------------------------ demo

def test_demo_fills_and_can_run_again(env, db, backend):
    """On SQLite the demo adds to a desk; on a server it loads a new desk with COPY
    and refuses, in one line and changing nothing, a desk that has complaints."""
    done = run(env, db, "demo", "--count", "40")
    assert done.returncode == 0, done.err
    assert "40" in done.out
    done = run(env, db, "demo", "--count", "40")
    if backend == "sqlite":
        assert done.returncode == 0, done.err
        expected = 80
    else:
        assert_one_line_error(done, "只能填入新建的数据库")
        expected = 40
    numbers = [r["number"] for r in exported(env, db)]
    assert len(numbers) == len(set(numbers)) == expected


# ------------------------------------------------------------------ databases that cannot be used

def test_a_missing_directory_is_a_one_line_error(env, tmp_path):
    done = run(env, tmp_path / "missing" / "x.db", "export")
    assert_one_line_error(done, "数据库不存在", "complaintdesk init")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("url", ["mysql://root@db/desk", "sqlite:///desk.db"])
def test_another_databases_url_is_a_one_line_error_never_a_file(env, db, tmp_path, url):
    """Neither --db nor copy-to's target takes mysql://… for a file name."""
    assert_one_line_error(run(env, url, "export"), "不支持的数据库地址", "postgresql://")
    assert_one_line_error(run(env, db, "copy-to", url), "不支持的数据库地址", "postgresql://")
    assert not any(tmp_path.glob("*:*")) and not Path(url.split(":")[0] + ":").exists()


def test_a_directory_is_a_one_line_error(env, tmp_path):
    assert_one_line_error(run(env, tmp_path, "export"), "目录")


def test_a_file_that_is_not_a_database_is_a_one_line_error(env, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库\n" * 200, encoding="utf-8")
    assert_one_line_error(run(env, path, "export"), "不是 SQLite 数据库")
    assert path.read_text(encoding="utf-8") == "这不是数据库\n" * 200


def test_a_sqlite_file_of_another_program_is_refused(env, tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert_one_line_error(run(env, path, "export"), "不是 complaintdesk 数据库")


@pytest.mark.sqlite_only  # a file's mode, SQLite's user_version (the server's: tests/store)
def test_a_database_without_permission_is_a_one_line_error(env, db, tmp_path):
    run(env, db, "demo", "--count", "1")
    db.chmod(0o000)
    try:
        assert_one_line_error(run(env, db, "export"), "权限")
    finally:
        db.chmod(0o600)


@pytest.mark.sqlite_only  # a file's mode, SQLite's user_version (the server's: tests/store)
def test_a_database_from_a_newer_release_is_refused(env, db):
    assert run(env, db, "staff", "list").returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    done = run(env, db, "export")
    assert_one_line_error(done, "更新的 complaintdesk 版本", "升级")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_the_database_comes_from_the_environment_when_no_db_option(env, tmp_path):
    env = dict(env, COMPLAINTDESK_DB=str(tmp_path / "from_env.db"))
    done = subprocess.run([sys.executable, "-m", "complaintdesk", "init"],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "from_env.db").exists()
    done = subprocess.run([sys.executable, "-m", "complaintdesk", "staff", "list", "--json"],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert [row["login"] for row in json.loads(done.stdout)] == [ME]


@pytest.mark.parametrize("args", [
    [b"show", b"TS-2026\xff"], [b"staff", b"add", b"zz\xfe", b"--name", b"\xff", b"--role", b"counter"],
    [b"report", b"--period", b"2026-\xff"],
])
def test_arguments_that_are_not_utf8_get_a_chinese_answer_never_a_traceback(env, db, args):
    """Python turns undecodable argument bytes into lone surrogates; they must not
    reach SQLite or the output raw."""
    run(env, db, "staff", "list")  # the database exists, the caller is its admin
    done = subprocess.run([sys.executable.encode(), b"-m", b"complaintdesk", b"--db",
                           str(db).encode(), *args], env=env, capture_output=True, timeout=60)
    err = done.stderr.decode("utf-8")  # printable: strict UTF-8 decodes
    assert done.returncode != 0
    assert "Traceback" not in err and re.search(r"[\u4e00-\u9fff]", err), err
