"""The admin's tools: installation permissions, online backup, check, setup-box's plan."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from complaintdesk.box import check as admin
from complaintdesk.box import setup as box
from complaintdesk.process import complaints
from complaintdesk.box.locations import RunMode, ServiceSettings

from tests.helpers import sample


def test_an_installation_a_staff_account_owns_or_may_write_is_found(tmp_path):
    tree = tmp_path / "venv"
    (tree / "lib").mkdir(parents=True)
    script = tree / "lib" / "code.py"
    script.write_text("")
    paths = [tree, tree / "lib", script]
    os.chown(tree, 0, 0) if os.geteuid() == 0 else None
    for p in paths:
        p.chmod(0o755 if p.is_dir() else 0o644)
    if os.geteuid() != 0:
        pytest.skip("needs root to give files to other accounts")
    for p in paths:
        os.chown(p, 0, 0)
    assert admin.writable_installation("daemon", paths) == []
    script.chmod(0o666)
    assert admin.writable_installation("daemon", paths) == [script]
    script.chmod(0o644)
    os.chown(tree / "lib", 1, -1)  # daemon (uid 1) owns a directory: it can chmod it
    assert admin.writable_installation("daemon", paths) == [tree / "lib"]
    assert admin.writable_installation("root", paths) == []


def test_a_sticky_world_writable_directory_above_is_no_risk_but_one_inside_is(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give files to other accounts")
    top = tmp_path / "tmpish"
    top.mkdir()
    top.chmod(0o1777)
    inner = top / "venv"
    inner.mkdir()
    inner.chmod(0o755)
    assert admin.writable_installation("daemon", [inner]) == []
    top.chmod(0o777)  # without the sticky bit anyone may rename the venv away
    assert admin.writable_installation("daemon", [inner]) == [top]
    top.chmod(0o1777)
    # Inside the installation a sticky world-writable directory still lets anyone
    # add a file (a .pth, a module) to it.
    assert admin.writable_installation("daemon", [top]) == [top]


def test_backup_is_a_consistent_self_contained_copy(desk, counter, tmp_path):
    for i in range(5):
        complaints.register_complaint(desk, counter, sample(customer_name=f"客户{i}"))
    target = tmp_path / "copy.db"
    size = admin.backup(desk.store, target)
    assert size == target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not Path(str(target) + "-wal").exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM complaint").fetchone()[0] == 5
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    streamed = b"".join(admin.backup_stream(desk.store, tmp_path))
    assert streamed[:16] == b"SQLite format 3\x00"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []


def test_check_passes_on_a_healthy_database_and_fails_on_a_damaged_one(desk, counter, tmp_path):
    complaints.register_complaint(desk, counter, sample())
    mode = RunMode(False, "root", 0, ServiceSettings(False))
    report = admin.check(desk.store, mode)
    names = [f.what for f in report.findings]
    assert any("完整性" in n for n in names) and any("审计链" in n for n in names)
    assert all(f.ok for f in report.findings if "程序安装" not in f.what), report.findings
    conn = sqlite3.connect(desk.store.path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE complaint SET customer_id = 999999")
    conn.commit()
    conn.close()
    report = admin.check(desk.store, mode)
    assert not report.ok
    assert any(f.what == "外键引用" and not f.ok for f in report.findings)


def test_setup_box_texts_name_the_program_group_and_account():
    plan = box.BoxPlan(admin="root", user="cdsvc", group="cdstaff",
                       program=Path("/opt/complaintdesk/bin/complaintdesk"))
    rule = box.sudoers_text(plan)
    assert f"%cdstaff ALL=(cdsvc) NOPASSWD: {box.GUARD}\n" in rule
    launcher = box.launcher_text(plan)
    assert f"sudo -n -u cdsvc -- {box.GUARD} \"$@\"" in launcher
    assert "grep -qx 'cdstaff'" in launcher
    script = box.guard_text(plan)
    assert script.startswith(f"#!{plan.interpreter} -IS\n")
    assert "main('/opt/complaintdesk', '/opt/complaintdesk/bin/complaintdesk', sys.argv[1:])" in script


def test_the_sudoers_rule_passes_visudo(tmp_path):
    visudo = "/usr/sbin/visudo"
    if not os.path.exists(visudo):
        pytest.skip("sudo is not installed here (the SSH suite installs it)")
    plan = box.BoxPlan(admin="root", program=Path(sys.prefix) / "bin" / "complaintdesk")
    rule = tmp_path / "rule"
    rule.write_text(box.sudoers_text(plan), encoding="utf-8")
    rule.chmod(0o440)
    done = subprocess.run([visudo, "-c", "-f", str(rule)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_setup_box_refuses_an_unknown_admin_and_an_editable_install(tmp_path):
    from complaintdesk.domain.errors import DomainError

    with pytest.raises(DomainError, match="没有系统账号"):
        box.setup_box(box.BoxPlan(admin="nosuchadmin-x1"), dry_run=True)
    program = tmp_path / "venv" / "bin" / "complaintdesk"
    program.parent.mkdir(parents=True)
    program.write_text("")
    # The package this test imports is not inside that environment: sudo would
    # run code from a tree the admin did not lock down.
    with pytest.raises(DomainError, match="可编辑安装"):
        box.setup_box(box.BoxPlan(admin="root", program=program), dry_run=True)


def test_the_plan_lists_every_step_and_changes_nothing():
    watched = (box.LAUNCHER, box.GUARD, box.SUDOERS, box.SYSTEM_CONFIG, box.INOTIFY_SYSCTL)
    before = {p: p.exists() for p in watched}
    limit = box.inotify_instances()
    steps = box.plan_steps(box.BoxPlan(admin="root"))
    assert {p: p.exists() for p in watched} == before
    assert box.inotify_instances() == limit
    assert len(steps) == 9 and all(s.description for s in steps)
    assert any(str(box.GUARD) in s.description for s in steps)
    assert any(str(box.INOTIFY_SYSCTL) in s.description for s in steps)


@pytest.mark.parametrize("now, writable", [(128, True), (128, False), (4096, True)])
def test_setup_box_raises_the_inotify_limit_for_the_consoles(tmp_path, monkeypatch, capsys,
                                                            now, writable):
    """Every console of a SQLite box waits on an inotify instance of the service
    account's: below 1024 the limit is raised for good (sysctl.d) and now; where
    /proc/sys is read-only (a container) the admin is told, and setup goes on; a
    higher limit set by the admin is left alone."""
    conf, proc = tmp_path / "sysctl.d" / "60-complaintdesk.conf", tmp_path / "max_user_instances"
    proc.write_text(f"{now}\n")
    if not writable:
        proc.chmod(0o444)
        if os.access(proc, os.W_OK):  # root writes anything: stand in a directory instead
            proc.unlink()
            proc.mkdir()
            (proc / "x").touch()
            monkeypatch.setattr(box, "inotify_instances", lambda: now)
    monkeypatch.setattr(box, "INOTIFY_SYSCTL", conf)
    monkeypatch.setattr(box, "INOTIFY_INSTANCES", proc)
    step = next(s for s in box.plan_steps(box.BoxPlan(admin="root")) if "inotify" in s.description)
    assert step.needed == (now < 1024)
    assert f"现在是 {now}" in step.description
    if not step.needed:
        return
    step.apply()
    assert "fs.inotify.max_user_instances = 1024\n" in conf.read_text("utf-8")
    if writable:
        assert proc.read_text().strip() == "1024"
        assert capsys.readouterr().err == ""
    else:
        assert "重启后" in capsys.readouterr().err
    step.apply()  # again: the same file, nothing else
    assert conf.read_text("utf-8") == box.inotify_sysctl_text()


def test_a_postgresql_box_has_no_inotify_step():
    plan = box.BoxPlan(admin="root", url="postgresql://cd@127.0.0.1:1/desk")
    assert not any("inotify" in s.description for s in box.plan_steps(plan))
