"""The shared box, locked down (issue 11), tried as its staff and its attackers
would: over real SSH, as real OS accounts, against the copy installed in /opt and
set up with ``setup-box``.

The tests run in file order and share one box: the workflow first, then the
attacks, each of which must be refused and change nothing (every table of the
database, read as the service account, the export and the audit chain head are
compared before and after), then the terminal's fate and the start-up figures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ADMIN, Box
from .helpers import (DATA_DIR, DB, GUARD, INOTIFY_INSTANCES, INOTIFY_SYSCTL, INSTALLED,
                      LAUNCHER, NUMBER, QUEUE_READY, SERVICE_USER,
                      STAFF_GROUP, SUDOERS, SYSTEM_CONFIG_DIR, VENV, Pane, Result, cpu_seconds,
                      kill_pids, living, refused, run, sha, wait_until)

pytestmark = pytest.mark.ssh

COUNTER, SUPER, HANDLER, OUTSIDER = "cdt_counter", "cdt_super", "cdt_handler", "cdt_outsider"
TIMINGS_FILE = Path("/tmp/complaintdesk-ssh-timings.txt")
#: Set by the workflow test: the complaint that went through every step.
WALKED: dict[str, str] = {}


def record_status(label: str) -> re.Pattern[str]:
    """The 状态 row of a complaint's full record."""
    return re.compile(rf"状态\s+{label}(?:\s|$)", re.M)


def intake_line(**changes: object) -> str:
    data: dict[str, object] = {
        "customer_name": "杭州西湖茶庄", "address": "杭州市西湖区龙井路1号",
        "contact": "0571-8888 6666", "channel": "web", "event": "网购的龙井茶叶受潮结块。",
        "demand": "换货", "category": "product", "priority": "general", "product": "龙井茶",
        "quantity": 2,
    }
    data.update(changes)
    return json.dumps(data, ensure_ascii=False) + "\n"


def assert_unchanged(before: dict, after: dict, what: str) -> None:
    for key in before:
        assert before[key] == after[key], f"{what} changed the desk: {key} differs"


# ------------------------------------------------------------------ the box as set up

def test_setup_box_made_a_locked_down_box(box: Box):
    """setup-box said in Chinese what it did; the data is the service account's
    alone, the installation and the sudo rule are root's."""
    out = box.setup_output.text + box.setup_output.err
    assert re.search(r"[\u4e00-\u9fff]", out), box.setup_output.describe()
    assert "staff add" in out and STAFF_GROUP in out, \
        "setup-box should name the next two steps\n" + box.setup_output.describe()

    data = DATA_DIR.stat()
    assert (data.st_uid, data.st_mode & 0o7777) == (box.service_uid, 0o700)
    db = DB.stat()
    assert (db.st_uid, db.st_mode & 0o777) == (box.service_uid, 0o600)
    for path in DATA_DIR.iterdir():
        info = path.stat()
        assert info.st_uid == box.service_uid and not info.st_mode & 0o077, \
            f"{path} is {oct(info.st_mode)} owned by uid {info.st_uid}"

    sudoers = SUDOERS.stat()
    assert (sudoers.st_uid, sudoers.st_mode & 0o777) == (0, 0o440)
    check = run(["visudo", "-c", "-f", str(SUDOERS)])
    assert check.rc == 0, check.describe()
    assert f"NOPASSWD: {GUARD}\n" in SUDOERS.read_text(), "sudo must run the guard, nothing else"
    for path in (LAUNCHER, GUARD, GUARD.parent, SYSTEM_CONFIG_DIR,
                 SYSTEM_CONFIG_DIR / "config.toml"):
        info = path.stat()
        assert info.st_uid == 0 and not info.st_mode & 0o022, f"{path}: {oct(info.st_mode)}"
    writable = []
    for root, dirs, files in os.walk(VENV):
        for name in dirs + files:
            info = os.lstat(os.path.join(root, name))
            if info.st_uid != 0 or (info.st_mode & 0o022 and not os.path.islink(
                    os.path.join(root, name))):
                writable.append(os.path.join(root, name))
    assert not writable, f"the installation is writable by others: {writable[:5]}"
    # Every console runs as the service account, each waiting for commits on an
    # inotify instance of its own: the kernel's 128 per account would not do.
    assert int(INOTIFY_INSTANCES.read_text()) >= 1024
    if INOTIFY_SYSCTL.exists():  # absent only where the limit was high already
        info = INOTIFY_SYSCTL.stat()
        assert (info.st_uid, info.st_mode & 0o777) == (0, 0o644)
        assert "fs.inotify.max_user_instances = 1024\n" in INOTIFY_SYSCTL.read_text()


def _files_set_up() -> dict[str, tuple[str, int, int]]:
    return {str(path): (sha(path.read_bytes()), path.stat().st_mode, path.stat().st_uid)
            for path in (LAUNCHER, GUARD, SUDOERS, SYSTEM_CONFIG_DIR / "config.toml")}


def test_setup_box_again_changes_nothing(box: Box, state):
    before = state()
    files = _files_set_up()
    dry = run([str(INSTALLED), "setup-box", "--admin", ADMIN, "--dry-run"])
    assert dry.rc == 0, dry.describe()
    again = run([str(INSTALLED), "setup-box", "--admin", ADMIN])
    assert again.rc == 0, again.describe()
    assert_unchanged(before, state(), "setup-box run again")
    assert _files_set_up() == files
    assert (DB.stat().st_mode & 0o777, DATA_DIR.stat().st_mode & 0o777) == (0o600, 0o700)


def test_staff_as_the_admin_added_them(box: Box):
    listed = box.cd(ADMIN, "staff", "list", "--json")
    assert listed.rc == 0, listed.describe()
    roles = {row["login"]: (row["role"], row["department"], row["active"])
             for row in json.loads(listed.text)}
    assert roles == {ADMIN: ("admin", None, True), COUNTER: ("counter", None, True),
                     SUPER: ("supervisor", None, True), HANDLER: ("handler", "quality", True)}


# ------------------------------------------------------------------ one complaint, three people

def open_record(pane: Pane, number: str) -> None:
    """From the queue: search the number, open its full record."""
    pane.send("/")
    pane.type(number)
    pane.send("Enter")
    pane.wait_for(re.compile(rf"[\d,]+\s*件.*搜索“{number}”"))
    pane.send("Enter")
    pane.wait_for(re.compile(rf"受理编号\s+{number}"))


def form(pane: Pane, title: str, *fields: str) -> None:
    """Fill a step's dialog: each field is typed (or a picker digit), Tab between;
    Ctrl+S confirms. The dialog is there once its key line is (the title's words
    may be on the record screen too: its footer, its 下一步 line)."""
    pane.wait_for(re.compile(re.escape(title) + r"(?s:.*)\[Ctrl\+S\] 确定"))
    for index, value in enumerate(fields):
        if index:
            pane.send("Tab")
            time.sleep(0.1)
        if value:
            pane.type(value)
            time.sleep(0.1)
    pane.send("C-s")


def quit_console(pane: Pane) -> None:
    for _ in range(4):  # back through the screens opened on the way
        if QUEUE_READY.search(pane.capture()):
            break
        pane.send("Escape")
        wait_until(lambda: QUEUE_READY.search(pane.capture()), 3)
    pane.wait_for(QUEUE_READY)
    pane.send("q")
    status = pane.wait_dead(15)
    assert status == 0, pane.dump(f"the console ended with status {status}")


def test_one_complaint_through_registration_handling_approval_and_revisit(box: Box, consoles):
    # 1. The counter clerk registers it on the 《客户投诉记录单》 and keeps its record open.
    counter = consoles(COUNTER)
    counter.wait_for(QUEUE_READY, 60)
    counter.send("n")
    counter.wait_for("部门受理人员")
    for index, value in enumerate([
            # Tab from the address skips 受理日期 (now) and 投诉方式 (电话, the default).
            "上海静安百货", "上海市静安区南京西路1000号", "13912345678",
            "买的三只玻璃杯到货全碎了，外箱完好。", "退货并补发", "2", "3", "玻璃杯", "3"]):
        if index:
            counter.send("Tab")
            time.sleep(0.1)
        if value:
            counter.type(value)
            time.sleep(0.1)
    counter.wait_for("买的三只玻璃杯")
    counter.send("C-s")
    number = counter.wait_for(re.compile(r"受理编号\s+(TS-\d{8}-\d{4})"), 20).group(1)
    WALKED["number"] = number
    counter.wait_for("登记成功")
    counter.send("Enter")
    counter.wait_for(QUEUE_READY)
    open_record(counter, number)
    counter.wait_for(record_status("已登记"))

    # 2. The supervisor judges it ours (quality department, customer told) and dispatches.
    sup = consoles(SUPER)
    sup.wait_for(QUEUE_READY, 60)
    open_record(sup, number)
    sup.wait_for(record_status("已登记"))
    sup.send("j")
    form(sup, "责任判定（分析投诉原因）", "1", "2", "", "1")
    sup.wait_for(record_status("已受理"))
    sup.send("g")
    form(sup, "派单：把《客户投诉处理单》发给责任部门", "1")
    sup.wait_for(record_status("调查中"))

    # The counter's open record follows without a key pressed.
    counter.wait_for(record_status("调查中"), 15)

    # 3. The handler investigates, drafts the 处理单 and submits it.
    handler = consoles(HANDLER)
    handler.wait_for(QUEUE_READY, 60)
    open_record(handler, number)
    handler.wait_for(record_status("调查中"))
    handler.send("i")
    form(handler, "调查（核实事实", "三只杯子破损属实", "内衬缓冲不足",
         "照片|外包装与杯子破损|/srv/photos/1.jpg", "我方责任", "建议退货并改进包装")
    handler.wait_for(record_status("拟定方案"))
    handler.send("e")
    handler.wait_for("新处理单")
    # (The 部门经理意见 is not in the editor: the department manager gives it, key O.)
    for index, value in enumerate(["同意退货，补发新品", "同意", "", "2", "1234.50"]):
        if index:
            handler.send("Tab")
            time.sleep(0.1)
        if value:
            handler.type(value)
            time.sleep(0.1)
    handler.wait_for("1234.50")
    handler.send("C-u")
    handler.wait_for(record_status("待审批"), 20)

    # 4. The supervisor (not the drafter) finds it on 待审批 and approves.
    sup.send("Escape")
    sup.wait_for(QUEUE_READY)
    sup.send("A")
    sup.wait_for(re.compile(rf"待审批 [\d,]+ 件(?s:.*){number}"))
    sup.send("Enter")
    sup.wait_for(re.compile(rf"受理编号\s+{number}"))
    sup.wait_for(record_status("待审批"))
    sup.send("v")
    form(sup, "审批处理方案", "1", "按方案执行，三日内补发")
    sup.wait_for(record_status("已批准"))

    # 5. The counter tells the customer, records the agreement, calls back: closed.
    counter.wait_for(record_status("已批准"), 15)
    counter.send("t")
    form(counter, "告知客户处理结果和方式", "2")
    counter.wait_for(record_status("已告知"))
    counter.send("k")
    form(counter, "记录客户意见", "1", "客户同意退货补发方案", "4")
    counter.wait_for(record_status("待回访"))
    counter.send("h")
    form(counter, "回访：记录这次回访", "1", "1", "1", "1", "客户表示满意")
    counter.wait_for(record_status("已结案"))

    for pane in (counter, sup, handler):
        quit_console(pane)

    # The record as a script sees it, and the audit trail names the three people.
    shown = box.cd(ADMIN, "show", number, "--json")
    assert shown.rc == 0, shown.describe()
    record = json.loads(shown.text)
    assert record["status"] == "closed" and record["received_by"] == COUNTER, record
    actors = {event["actor"] for event in record["timeline"]}
    assert actors == {COUNTER, SUPER, HANDLER}, record["timeline"]
    expected = {
        "complaint.registered": COUNTER, "workflow.judge_ours": SUPER, "workflow.dispatch": SUPER,
        "workflow.record_investigation": HANDLER, "workflow.submit_sheet": HANDLER,
        "workflow.approve": SUPER, "workflow.inform_customer": COUNTER,
        "workflow.customer_agrees": COUNTER, "workflow.revisit_close": COUNTER,
    }
    for action, who in expected.items():
        by = {event["actor"] for event in record["timeline"] if event["action"] == action}
        assert by == {who}, f"{action}: {by or 'missing'} in {record['timeline']}"
    verify = box.cd(ADMIN, "audit", "verify")
    assert verify.rc == 0, verify.describe()


def test_acting_user_is_the_invoker_whatever_the_environment_says(box: Box):
    spoof = {"USER": SUPER, "LOGNAME": SUPER, "SUDO_USER": SUPER,
             "SUDO_UID": str(box.uid(SUPER)), "HOME": f"/home/{SUPER}"}
    done = box.cd(COUNTER, "intake", "-", env=spoof, input=intake_line())
    assert done.rc == 0, done.describe()
    number = json.loads(done.text.splitlines()[0])["number"]
    shown = box.cd(ADMIN, "show", number, "--json")
    assert shown.rc == 0, shown.describe()
    record = json.loads(shown.text)
    assert record["received_by"] == COUNTER
    assert {event["actor"] for event in record["timeline"]} == {COUNTER}


# ------------------------------------------------------------------ attacks

@pytest.mark.parametrize("login", [COUNTER, ADMIN])
def test_staff_cannot_open_the_database_files(box: Box, state, login):
    before = state()
    attempts = [
        f"sqlite3 {DB} \"INSERT INTO staff(login, name, role, active) "
        f"VALUES ('{OUTSIDER}', '冒充', 'admin', 1)\"",
        f"sqlite3 {DB} \"UPDATE staff SET role = 'admin' WHERE login = '{login}'\"",
        f"sqlite3 {DB} \"DROP TRIGGER audit_event_no_update\"",
        f"sqlite3 -readonly {DB} .dump",
        f"cat {DB}",
        f"ls {DATA_DIR}",
        f"cp {DB} /tmp/cdt-stolen.db",
    ]
    for command in attempts:
        result = box.ssh.shell(login, command)
        assert result.rc != 0, f"{login} could: {command}\n" + result.describe()
        assert b"CREATE TABLE" not in result.out and b"SQLite format" not in result.out
    assert not Path("/tmp/cdt-stolen.db").exists()
    assert_unchanged(before, state(), "sqlite3 as staff")


PATCHED_CORE = r"""
import os, sys
from pathlib import Path
target_uid = int(sys.argv[1])
os.getuid = os.geteuid = lambda: target_uid
os.environ.update(SUDO_USER="cdt_admin", SUDO_UID=sys.argv[2], USER="cdt_admin",
                  LOGNAME="cdt_admin")
how = sys.argv[3]
db = "/var/lib/complaintdesk/complaintdesk.db"
if how == "open_desk":
    from complaintdesk.process.desk import open_desk
    from complaintdesk.process import staffing
    desk = open_desk(Path(db))
    staffing.add_staff(desk, "cdt_admin", "cdt_outsider", "冒充", "admin")
    print("ADDED")
elif how == "cli":
    from complaintdesk.cli import main as cli
    raise SystemExit(cli.main(["staff", "add", "cdt_outsider", "--name", "冒充", "--role", "admin"]))
elif how == "cli --db":
    from complaintdesk.cli import main as cli
    raise SystemExit(cli.main(["--db", db, "staff", "add", "cdt_outsider", "--name", "冒充",
                               "--role", "admin"]))
elif how == "sqlite3":
    import sqlite3
    con = sqlite3.connect(db)
    con.execute("INSERT INTO staff(login, name, role, active) VALUES ('cdt_outsider', 'x', 'admin', 1)")
    con.commit()
    print("ADDED")
"""


@pytest.mark.parametrize("as_uid", ["root", "service"])
@pytest.mark.parametrize("how", ["open_desk", "cli", "cli --db", "sqlite3"])
def test_core_from_staff_python_with_a_patched_uid(box: Box, state, how, as_uid):
    """The counter runs the installed core in her own Python with os.getuid (and
    geteuid) patched to root's or the service account's and sudo's variables set
    to the admin's: the kernel still says no."""
    before = state()
    uid = 0 if as_uid == "root" else box.service_uid
    command = shlex.join([str(VENV / "bin" / "python"), "-c", PATCHED_CORE, str(uid),
                          str(box.uid(ADMIN)), how])
    result = box.ssh.shell(COUNTER, command)
    assert result.rc != 0 and b"ADDED" not in result.out, result.describe()
    if how.startswith("cli"):
        assert "Traceback" not in result.err, result.describe()
    assert_unchanged(before, state(), f"the core in staff's Python ({how}, uid {as_uid})")


@pytest.mark.parametrize("login", [COUNTER, ADMIN, OUTSIDER])
def test_installed_program_run_directly_is_refused(box: Box, state, consoles, login):
    """Not through the launcher, the program runs as the caller: the service
    database is not theirs to open, and it says so in one line."""
    before = state()
    for args in (["export"], ["staff", "add", OUTSIDER, "--name", "冒充", "--role", "admin"],
                 ["show", WALKED.get("number", "TS-20260101-0001")]):
        result = box.cd(login, *args, program=str(INSTALLED))
        refused(result)
    pane = consoles(login, command=str(INSTALLED))
    status = pane.wait_dead(30)
    assert status == 1, pane.dump(f"status {status}")
    assert "complaintdesk: " in pane.capture(), pane.dump()
    assert_unchanged(before, state(), f"{INSTALLED} run directly by {login}")


@pytest.mark.parametrize("pretend", [ADMIN, SUPER])
def test_spoofed_user_variables_change_nothing(box: Box, state, pretend):
    before = state()
    spoof = {"USER": pretend, "LOGNAME": pretend, "SUDO_UID": str(box.uid(pretend)),
             "SUDO_USER": pretend, "SUDO_GID": str(box.uid(pretend))}
    for args in (["staff", "add", OUTSIDER, "--name", "冒充", "--role", "admin"],
                 ["staff", "set-role", COUNTER, "admin"],
                 ["staff", "disable", SUPER],
                 ["audit", "head"],
                 ["backup"]):
        result = box.cd(COUNTER, *args, env=spoof)
        refused(result)
    assert_unchanged(before, state(), f"a counter pretending to be {pretend}")


def test_sudo_tricks_are_refused(box: Box, state):
    before = state()
    program = str(INSTALLED)
    attempts = [
        f"sudo -n SUDO_USER={ADMIN} SUDO_UID={box.uid(ADMIN)} -u {SERVICE_USER} {program} "
        f"staff add {OUTSIDER} --name 冒充 --role admin",
        f"sudo -n -E -u {SERVICE_USER} {program} staff add {OUTSIDER} --name 冒充 --role admin",
        f"sudo -n -u {SERVICE_USER} /bin/sh -c id",
        f"sudo -n -u {SERVICE_USER} {VENV}/bin/python -c 'print(1)'",
        f"sudo -n -u {SERVICE_USER} sqlite3 {DB} .dump",
        f"sudo -n -u {SERVICE_USER} cat {DB}",
        f"sudo -n -u root id",
        f"sudo -n -i",
    ]
    for command in attempts:
        result = box.ssh.shell(COUNTER, command)
        assert result.rc != 0, f"allowed: {command}\n" + result.describe()
        assert b"CREATE TABLE" not in result.out and b"uid=" not in result.out, result.describe()
    assert_unchanged(before, state(), "sudo tricks")


def test_environment_cannot_reach_the_service_account(box: Box, state):
    """Variables a staff member sets (PYTHONPATH, PYTHONINSPECT, the database and
    config paths) do not follow the launcher into the service account's process."""
    before = state()
    evil = "/tmp/cdt-evil"
    marker = Path("/tmp/cdt-pwned")
    setup = box.ssh.shell(COUNTER, f"mkdir -p {evil} && chmod 755 {evil} && printf '%s\\n' "
                          f"\"open('{marker}', 'w').write('pwned')\" > {evil}/sitecustomize.py && "
                          f"printf '[deadlines]\\nurgent_first_response_hours = 1\\n' > {evil}/c.toml "
                          f"&& chmod 644 {evil}/*")
    assert setup.rc == 0, setup.describe()
    try:
        for env in ({"PYTHONPATH": evil}, {"PYTHONSTARTUP": f"{evil}/sitecustomize.py",
                                           "PYTHONINSPECT": "1"},
                    {"COMPLAINTDESK_DB": "/tmp/cdt-other.db"},
                    {"COMPLAINTDESK_CONFIG": f"{evil}/c.toml"},
                    {"XDG_CONFIG_HOME": evil, "XDG_DATA_HOME": evil}):
            # A supervisor: her export is the admin's (a counter clerk's is masked).
            result = box.cd(SUPER, "export", env=env,
                            input=f"open('{marker}', 'w').write('inspect')\n")
            assert not marker.exists(), f"code ran as the service account with {env}\n" + \
                result.describe()
            assert not Path("/tmp/cdt-other.db").exists()
            assert result.rc in (0, 1), result.describe()
            if result.rc == 0:
                assert result.out == before["export"][1].encode(), \
                    f"{env} changed what export reads"
            config = box.cd(COUNTER, "config", env=env)
            assert evil not in config.text and "/tmp/cdt-other.db" not in config.text, \
                config.describe()
        sudo_e = box.ssh.shell(COUNTER, f"PYTHONPATH={evil} sudo -n --preserve-env=PYTHONPATH "
                                        f"-u {SERVICE_USER} {INSTALLED} export")
        assert sudo_e.rc != 0 and not marker.exists(), sudo_e.describe()
    finally:
        run(["rm", "-rf", evil, str(marker), "/tmp/cdt-other.db"])
    assert_unchanged(before, state(), "environment variables")


@pytest.mark.parametrize("args, what", [
    (["--db", "/tmp/cdt-x.db", "export"], None),
    (["--db", str(DB), "export"], None),
    (["export", "-o", "/tmp/cdt-x"], "stdout"),
    (["export", "--format", "csv", "--output=/tmp/cdt-x"], "stdout"),
    (["report", "--period", "2026", "-o", "/tmp/cdt-x"], "stdout"),
    (["backup", "-o", "/tmp/cdt-x"], "stdout"),
    (["intake", "/tmp/cdt-intake.jsonl"], "stdin"),
], ids=["--db", "--db-service-db", "export-o", "export--output", "report-o", "backup-o",
        "intake-FILE"])
def test_service_mode_refuses_paths(box: Box, state, args, what):
    before = state()
    Path("/tmp/cdt-intake.jsonl").write_text(intake_line(), encoding="utf-8")
    os.chmod("/tmp/cdt-intake.jsonl", 0o644)
    try:
        login = ADMIN if args[0] == "backup" else SUPER
        result = box.cd(login, *args)
        refused(result)
        if what is not None:
            assert "标准输入" in result.err or "标准输出" in result.err or what in result.err, \
                "the refusal should say to use stdin/stdout\n" + result.describe()
        assert not Path("/tmp/cdt-x").exists() and not Path("/tmp/cdt-x.db").exists()
    finally:
        run(["rm", "-f", "/tmp/cdt-x", "/tmp/cdt-x.db", "/tmp/cdt-x.part", "/tmp/cdt-intake.jsonl"])
    assert_unchanged(before, state(), " ".join(args))


def test_an_account_outside_the_group_cannot_use_the_desk(box: Box, state, consoles):
    before = state()
    for args in (["export"], ["intake", "-"], ["staff", "list"]):
        refused(box.cd(OUTSIDER, *args, input=intake_line()))
    sudo = box.ssh.shell(OUTSIDER, f"sudo -n -u {SERVICE_USER} {INSTALLED} export")
    assert sudo.rc != 0 and sudo.out == b"", sudo.describe()
    pane = consoles(OUTSIDER)
    status = pane.wait_dead(30)
    assert status == 1 and "complaintdesk: " in pane.capture(), pane.dump(f"status {status}")
    assert_unchanged(before, state(), "an account outside the group")


def _site_packages() -> Path:
    return next(VENV.glob("lib/python3*/site-packages"))


@pytest.mark.parametrize("target", ["complaintdesk/cli/main.py", "sqlalchemy/__init__.py",
                                    "site-packages directory"])
def test_an_installation_staff_could_change_is_refused(box: Box, state, target):
    """A sloppy install (a file of the venv owned by a staff member, a directory
    the staff group may write): that member could make the service account run
    her code. The launcher must refuse to start before any of it runs, and
    ``check`` must say why. The counter plants one line that creates a file."""
    site = _site_packages()
    marker = Path("/tmp/cdt-pwned-install")
    before = state()
    path = site if target == "site-packages directory" else site / target
    info = path.stat()
    saved = None if path.is_dir() else path.read_bytes()
    problems = []
    try:
        if path.is_dir():
            os.chown(path, 0, grp_id(STAFF_GROUP))
            path.chmod(info.st_mode | 0o020)
            planted = box.ssh.shell(COUNTER, f"printf '%s\\n' \"import os; open('{marker}', 'w')\" "
                                             f"> {site}/cdt_pwned.pth")
        else:
            os.chown(path, box.uid(COUNTER), info.st_gid)
            planted = box.ssh.shell(COUNTER, f"printf '\\n%s\\n' \"open('{marker}', 'w')\" "
                                             f">> {path}")
        assert planted.rc == 0, planted.describe()
        result = box.cd(COUNTER, "export")
        if marker.exists():
            problems.append(f"the counter's line ran as {marker.owner()} (it made {marker})")
        if result.rc != 1 or result.out:
            problems.append(f"complaintdesk export was not refused:\n{result.describe()}")
        check = box.cd(ADMIN, "check")
        if check.rc != 1:
            problems.append(f"check found nothing:\n{check.describe()}")
    finally:
        if saved is not None:
            path.write_bytes(saved)
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # its .pyc stays valid
        (site / "cdt_pwned.pth").unlink(missing_ok=True)
        os.chown(path, info.st_uid, info.st_gid)
        path.chmod(info.st_mode & 0o7777)
        marker.unlink(missing_ok=True)
    assert not problems, f"{target} writable by {COUNTER}:\n" + "\n".join(problems)
    assert_unchanged(before, state(), f"a writable {target}")


def grp_id(name: str) -> int:
    import grp

    return grp.getgrnam(name).gr_gid


def _sqlite_root(sql: str) -> Result:
    return run(["sqlite3", str(DB), sql], timeout=60)


def _owned_by_service(box: Box) -> None:
    for path in DATA_DIR.iterdir():
        assert path.stat().st_uid == box.service_uid, f"{path} is no longer the service's"


def test_audit_tampering_by_root_is_refused_or_caught(box: Box, state):
    """REPLACE of an existing event is refused; a forged, an edited event and a
    dropped trigger are caught by ``audit verify`` (exit 1, naming the event)
    and by ``check``. Each forgery is undone from a backup afterwards."""
    first = box.cd(ADMIN, "audit", "verify")
    assert first.rc == 0, first.describe()
    head = box.cd(ADMIN, "audit", "head")
    assert head.rc == 0 and re.fullmatch(r"\d+:[0-9a-f]{16,}", head.text.strip()), head.describe()
    before = state()
    saved = box.workdir / "before-tamper.db"
    run(["sqlite3", str(DB), f".backup '{saved}'"], check=True)
    last_id = int(_sqlite_root("SELECT max(id) FROM audit_event").text.strip())
    middle_id = int(_sqlite_root(
        "SELECT min(id) FROM audit_event WHERE action = 'workflow.approve'").text.strip() or 0) \
        or last_id // 2

    def copy_row(event_id: int, changes: str, verb: str) -> str:
        return (f"CREATE TEMP TABLE t AS SELECT * FROM audit_event WHERE id = {event_id}; "
                f"UPDATE t SET {changes}; {verb} INTO audit_event SELECT * FROM t;")

    try:
        # REPLACE / INSERT OR REPLACE of an existing event: refused.
        for verb in ("REPLACE", "INSERT OR REPLACE"):
            result = _sqlite_root(copy_row(middle_id, f"actor = '{COUNTER}'", verb))
            assert result.rc != 0, f"{verb} INTO audit_event was accepted\n" + result.describe()
            assert "append-only" in result.err or "audit" in result.err.lower(), \
                "refused, but not by the audit trail's own guard\n" + result.describe()
            assert_unchanged(before, state(), verb)

        # A forged event appended, its chain columns copied from the last one.
        forged = last_id + 1
        result = _sqlite_root(copy_row(last_id, f"id = {forged}, actor = '{SUPER}', "
                                                 "action = 'workflow.approve'", "INSERT"))
        assert result.rc == 0, result.describe()
        _caught(box, forged, "a forged event")
        _restore(box, saved, before, state)

        # An event edited in the middle, triggers dropped and put back.
        trigger = _sqlite_root("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                               "AND name = 'audit_event_no_update'").text.strip()
        assert trigger.startswith("CREATE TRIGGER"), trigger
        result = _sqlite_root("DROP TRIGGER audit_event_no_update; "
                              f"UPDATE audit_event SET actor = '{COUNTER}' WHERE id = {middle_id}; "
                              + trigger + ";")
        assert result.rc == 0, result.describe()
        _caught(box, middle_id, "an edited event")
        _restore(box, saved, before, state)

        # A trigger dropped: the trail is no longer append-only.
        result = _sqlite_root("DROP TRIGGER audit_event_no_delete")
        assert result.rc == 0, result.describe()
        verify = box.cd(ADMIN, "audit", "verify")
        assert verify.rc == 1 and "audit_event_no_delete" in verify.text + verify.err or \
            verify.rc == 1 and "触发器" in verify.text + verify.err, verify.describe()
    finally:
        _restore(box, saved, before, state)
    again = box.cd(ADMIN, "audit", "verify", "--head", head.text.strip())
    assert again.rc == 0, again.describe()


def _caught(box: Box, event_id: int, what: str) -> None:
    verify = box.cd(ADMIN, "audit", "verify")
    assert verify.rc == 1, f"{what} went unnoticed\n" + verify.describe()
    assert re.search(rf"(?<!\d){event_id}(?!\d)", verify.text + verify.err), \
        f"audit verify should name event {event_id}\n" + verify.describe()
    check = box.cd(ADMIN, "check")
    assert check.rc == 1, f"check missed {what}\n" + check.describe()


def _restore(box: Box, saved: Path, before: dict, state) -> None:
    run(["sqlite3", str(DB), f".restore '{saved}'"], check=True)
    _owned_by_service(box)
    assert_unchanged(before, state(), "the restore after a forgery")


def test_audit_head_proves_the_trail_so_far(box: Box):
    head = box.cd(ADMIN, "audit", "head")
    assert head.rc == 0, head.describe()
    noted = head.text.strip()
    added = box.cd(COUNTER, "intake", "-", input=intake_line(customer_name="宁波海鲜楼"))
    assert added.rc == 0, added.describe()
    later = box.cd(ADMIN, "audit", "head").text.strip()
    assert later != noted and int(later.split(":")[0]) > int(noted.split(":")[0])
    proof = box.cd(ADMIN, "audit", "verify", "--head", noted)
    assert proof.rc == 0, proof.describe()
    count, digest = noted.split(":")
    wrong = f"{count}:{'0' * len(digest)}"
    denied = box.cd(ADMIN, "audit", "verify", "--head", wrong)
    assert denied.rc == 1, denied.describe()
    for login in (COUNTER, HANDLER):
        refused(box.cd(login, "audit", "verify"))


# ------------------------------------------------------------------ staff status, live

def test_a_disabled_account_console_shows_a_notice_and_closes(box: Box, consoles, state):
    box.cd(COUNTER, "intake", "-", input=intake_line(contact="0571-8765 4321"))
    pane = consoles(COUNTER)
    pane.wait_for(QUEUE_READY, 60)
    number = pane.wait_for(NUMBER).group(0)
    open_record(pane, number)
    pane.wait_for(re.compile(r"客户联系方式\s+0571-"))  # the full record, contact unmasked
    pids = box.session_pids(COUNTER)
    try:
        disabled = box.cd(ADMIN, "staff", "disable", COUNTER)
        assert disabled.rc == 0, disabled.describe()
        started = time.monotonic()
        gone = wait_until(lambda: pane.dead() is not None, 15, 0.1)
        seconds = time.monotonic() - started
        pane.capture()
        screens = "\n".join(pane.history)
        assert gone, pane.dump("the disabled account's console was still open after 15 s")
        print(f"\n[ssh suite] disabled account's console closed {seconds:.1f} s after the "
              "admin's command", flush=True)
        assert "停用" in screens, pane.dump("no notice saying the account was disabled")
        assert seconds <= 7, pane.dump(f"the console took {seconds:.1f} s to close")
        assert wait_until(lambda: not living(pids), 5), \
            f"processes left: {list(living(pids).values())}"
        # Reads are refused as writes are.
        after = state()
        refused(box.cd(COUNTER, "export"))
        refused(box.cd(COUNTER, "intake", "-", input=intake_line()))
        again = consoles(COUNTER)
        assert again.wait_dead(30) == 1 and "complaintdesk: " in again.capture(), again.dump()
        assert_unchanged(after, state(), "a disabled account")
    finally:
        enabled = box.cd(ADMIN, "staff", "enable", COUNTER)
        assert enabled.rc == 0, enabled.describe()
    assert box.cd(COUNTER, "export").rc == 0


def test_set_role_is_live_and_audited(box: Box):
    before = box.cd(ADMIN, "audit", "head").text.strip()
    for role in ("supervisor", "counter"):
        done = box.cd(ADMIN, "staff", "set-role", COUNTER, role)
        assert done.rc == 0, done.describe()
        roles = {row["login"]: row["role"]
                 for row in json.loads(box.cd(ADMIN, "staff", "list", "--json").text)}
        assert roles[COUNTER] == role
    after = box.cd(ADMIN, "audit", "head").text.strip()
    assert int(after.split(":")[0]) >= int(before.split(":")[0]) + 2


def test_staff_add_refuses_a_login_that_is_no_os_account(box: Box, state):
    before = state()
    refused(box.cd(ADMIN, "staff", "add", "cdt_nobody", "--name", "无此人", "--role", "counter"))
    refused(box.cd(ADMIN, "staff", "add", OUTSIDER, "--name", "处理", "--role", "handler"))
    assert_unchanged(before, state(), "staff add of a non-account")


# ------------------------------------------------------------------ the terminal

@pytest.mark.parametrize("how", ["stdin /dev/null", "stdin an open pipe", "in a terminal, ssh -T",
                                 "ssh -t, stdout a pipe"])
def test_console_without_a_terminal_is_refused_and_leaves_nothing(box: Box, consoles, state, how):
    before = state()
    started = time.monotonic()
    if how.startswith("in a terminal") or how.startswith("ssh -t"):
        if how.startswith("ssh -t"):
            pane = consoles(COUNTER, command="set -o pipefail; complaintdesk | cat")
        else:
            pane = consoles(COUNTER, tty=False)
        status = pane.wait_dead(30)
        err = pane.capture()
    else:
        proc = subprocess.Popen(box.ssh.argv(COUNTER) + ["--", "complaintdesk"],
                                stdin=subprocess.DEVNULL if how == "stdin /dev/null" else subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
        try:
            status = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"complaintdesk without a terminal ({how}) still ran after 30 s")
        err = proc.stderr.read().decode("utf-8", errors="replace")
        assert proc.stdout.read() == b""
        if proc.stdin:
            proc.stdin.close()
    seconds = time.monotonic() - started
    assert status == 1, f"status {status}: {err}"
    assert "ssh -t" in err, err
    assert seconds < 15, f"took {seconds:.1f} s to refuse"
    assert wait_until(lambda: not box.session_pids(COUNTER), 5), \
        f"processes left: {box.session_pids(COUNTER)}"
    assert_unchanged(before, state(), f"a console without a terminal ({how})")


@pytest.mark.parametrize("how", ["SIGKILL to the ssh client", "SIGHUP to the ssh client",
                                 "terminal window closed"])
def test_a_console_whose_ssh_client_dies_leaves_no_process(box: Box, consoles, how):
    pane = consoles(SUPER)
    pane.wait_for(QUEUE_READY, 60)
    pids = box.session_pids(SUPER)
    console = [pid for pid, proc in living(pids).items() if proc.uid == box.service_uid]
    assert console, f"no process of the service account among {living(pids)}"
    client = pane.pid
    started = time.monotonic()
    if how == "terminal window closed":
        pane.kill()
    else:
        os.kill(client, signal.SIGKILL if how.startswith("SIGKILL") else signal.SIGHUP)
    gone = wait_until(lambda: not living(pids), 10, 0.1)
    seconds = time.monotonic() - started
    if not gone:
        left = living(pids)
        cpu = cpu_seconds(left, 2.0)
        kill_pids(left)
        raise AssertionError(
            f"{how}: after {seconds:.1f} s still running: "
            + "; ".join(f"{pid} uid {p.uid} {p.cmdline[:80]!r} cpu {cpu.get(pid, 0):.2f} s/2 s"
                        for pid, p in left.items()))
    print(f"\n[ssh suite] {how}: every process of the session gone after {seconds:.1f} s",
          flush=True)
    assert seconds <= 5, f"{how}: the session's processes took {seconds:.1f} s to go"
    assert not box.service_pids(), f"service account processes left: {box.service_pids()}"


# ------------------------------------------------------------------ figures

def _start_time(box: Box, argv: list[str], name: str) -> float:
    """Seconds from starting the command in a new tmux window to the queue's
    first screen text."""
    started = time.monotonic()
    pane = box.tmux.new(name, argv)
    try:
        while True:
            if QUEUE_READY.search(pane.capture()):
                seconds = time.monotonic() - started
                break
            if time.monotonic() - started > 60 or pane.dead() is not None:
                raise AssertionError(pane.dump(f"{name}: no queue"))
            time.sleep(0.02)
        pane.send("q")
        pane.wait_dead(15)
    finally:
        pane.kill()
    wait_until(lambda: not box.service_pids(), 10)
    return seconds


def test_console_start_time_launcher_vs_direct(box: Box):
    """For the closing note: the launcher (sudo) against the installed program
    run straight as the service account, and the whole way over ssh -t."""
    counter = box.accounts[COUNTER]
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    common = ["LANG=C.UTF-8", "TERM=screen-256color", f"PATH={path}"]
    ways = {
        "launcher (sudo)": ["setpriv", f"--reuid={COUNTER}", f"--regid={COUNTER}", "--init-groups",
                            "env", "-i", *common, f"HOME=/home/{COUNTER}", f"USER={COUNTER}",
                            f"LOGNAME={COUNTER}", str(LAUNCHER)],
        "direct as service account": [
            "setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--init-groups",
            "env", "-i", *common, f"HOME={DATA_DIR}", f"USER={SERVICE_USER}",
            f"LOGNAME={SERVICE_USER}", f"SUDO_UID={counter.uid}", f"SUDO_GID={counter.uid}",
            f"SUDO_USER={COUNTER}", f"SUDO_COMMAND={INSTALLED}", str(INSTALLED)],
        "ssh -t + launcher": box.ssh.argv(COUNTER, tty=True) + ["--", "complaintdesk"],
    }
    runs = 5
    times: dict[str, list[float]] = {way: [] for way in ways}
    for index in range(runs + 1):
        for way, argv in ways.items():
            seconds = _start_time(box, argv, f"timing-{index}-{len(times[way])}-{way[:6]}")
            if index:  # the first round warms the caches
                times[way].append(seconds)
    lines = [f"console start, command to the queue's first text in tmux (120x40), "
             f"{runs} runs each after one warm-up, {time.strftime('%Y-%m-%d %H:%M')}:"]
    for way, values in times.items():
        lines.append(f"  {way:28} median {statistics.median(values) * 1000:6.0f} ms   "
                     f"min {min(values) * 1000:6.0f} ms   "
                     f"all {' '.join(f'{v * 1000:.0f}' for v in values)}")
    launcher = statistics.median(times["launcher (sudo)"])
    direct = statistics.median(times["direct as service account"])
    lines.append(f"  launcher − direct: {(launcher - direct) * 1000:+.0f} ms (medians), "
                 f"{(min(times['launcher (sudo)']) - min(times['direct as service account'])) * 1000:+.0f} ms (fastest)")
    report = "\n".join(lines)
    TIMINGS_FILE.write_text(report + "\n", encoding="utf-8")
    print("\n" + report, flush=True)


def test_check_and_backup_for_the_admin(box: Box):
    added = box.cd(COUNTER, "intake", "-", input=intake_line(customer_name="苏州丝绸坊"))
    assert added.rc == 0, added.describe()
    check = box.cd(ADMIN, "check")
    assert check.rc == 0, check.describe()
    backup = box.cd(ADMIN, "backup", timeout=300)
    assert backup.rc == 0, backup.describe()
    assert backup.out.startswith(b"SQLite format 3\x00"), backup.describe()
    copy = box.workdir / "backup.db"
    copy.write_bytes(backup.out)
    integrity = run(["sqlite3", str(copy), "PRAGMA integrity_check"])
    assert integrity.text.strip() == "ok", integrity.describe()
    complaints = int(run(["sqlite3", str(copy), "SELECT count(*) FROM complaint"]).text)
    exported = box.cd(ADMIN, "export").text.strip().splitlines()
    assert complaints == len(exported) > 0
    refused(box.cd(COUNTER, "backup"))
    refused(box.cd(COUNTER, "check"))


# ------------------------------------------------------------------ the box moved to a server

PG_SERVER = os.environ.get("COMPLAINTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "cdt_box_app"


def _pg(sql: str, database: str = "postgres") -> list[tuple]:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(PG_SERVER).set(drivername="postgresql", database=database).render_as_string(
        hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _drop_server_desks() -> None:
    for (name,) in _pg("SELECT datname FROM pg_database WHERE datname LIKE 'cdt_box_%'"):
        _pg(f'DROP DATABASE "{name}" WITH (FORCE)')
    _pg(f"DROP ROLE IF EXISTS {APP_ROLE}")


def test_the_box_moved_to_a_postgresql_server(box: Box):
    """Last, since it moves the box: the admin copies the box's desk to a server
    (copy-to, as the owner), grants a role that owns nothing, and runs setup-box
    with the URL and the role's password on stdin. Staff then work on the server
    through the same launcher; the password is in the service account's passfile
    alone. The box is put back on its file afterwards."""
    from sqlalchemy.engine import make_url

    config = SYSTEM_CONFIG_DIR / "config.toml"
    original = config.read_bytes()
    database = f"cdt_box_{os.getpid()}"
    owner_url = make_url(PG_SERVER).set(database=database).render_as_string(hide_password=False)
    server = make_url(PG_SERVER)
    app_url = f"postgresql://{APP_ROLE}@{server.host or '127.0.0.1'}:{server.port or 5432}/{database}"
    password = "柜台:密\\码 9"
    passfile = DATA_DIR / "pgpass"
    _drop_server_desks()
    try:
        _pg(f'CREATE DATABASE "{database}"')
        # The role's password is the one setup-box keeps (the server here trusts
        # 127.0.0.1, so libpq's use of the passfile is proved in tests/box instead).
        _pg(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '" + password.replace("'", "''") + "'")
        copied = run([str(INSTALLED), "--db", str(DB), "copy-to", owner_url], timeout=300)
        assert copied.rc == 0, copied.describe()
        for grant in ("GRANT USAGE ON SCHEMA public TO {r}",
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
                      "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {r}",
                      "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}"):
            _pg(grant.format(r=APP_ROLE), database)

        leaked = run([str(INSTALLED), "setup-box", "--admin", ADMIN, "--database-url",
                      app_url.replace("@", ":secret@", 1)])
        refused(leaked)
        assert "不要写密码" in leaked.err and config.read_bytes() == original

        moved = run([str(INSTALLED), "setup-box", "--admin", ADMIN, "--database-url", app_url,
                     "--password-stdin"], input=password + "\n")
        assert moved.rc == 0, moved.describe()
        assert "pgpass" in moved.text and password not in moved.text + moved.err
        written = config.read_text("utf-8")
        assert f'url = "{app_url}?passfile={passfile}"' in written and password not in written
        info = passfile.stat()
        assert (info.st_uid, info.st_mode & 0o777) == (box.service_uid, 0o600)
        assert passfile.read_text("utf-8").startswith(
            f"{server.host or '127.0.0.1'}:{server.port or 5432}:{database}:{APP_ROLE}:")
        stolen = box.ssh.shell(COUNTER, f"cat {passfile}")
        assert stolen.rc != 0 and password not in stolen.text

        again = run([str(INSTALLED), "setup-box", "--admin", ADMIN])  # keeps the server
        assert again.rc == 0 and config.read_text("utf-8") == written, again.describe()
        assert "已存在，跳过：写入数据库地址" in again.text, again.describe()

        shown = box.cd(ADMIN, "config")
        assert shown.rc == 0 and app_url in shown.text, shown.describe()
        before = int(_pg("SELECT count(*) FROM complaint", database)[0][0])
        added = box.cd(COUNTER, "intake", "-", input=intake_line(customer_name="上海服务器迁移商行"))
        assert added.rc == 0, added.describe()
        rows = _pg("SELECT number, received_by FROM complaint WHERE customer_name = '上海服务器迁移商行'",
                   database)
        assert len(rows) == 1 and rows[0][1] == COUNTER
        assert int(_pg("SELECT count(*) FROM complaint", database)[0][0]) == before + 1
        exported = box.cd(ADMIN, "export")
        assert exported.rc == 0 and rows[0][0] in exported.text, exported.describe()
        verified = box.cd(ADMIN, "audit", "verify")
        assert verified.rc == 0, verified.describe()
    finally:
        config.write_bytes(original)
        passfile.unlink(missing_ok=True)
        _drop_server_desks()
