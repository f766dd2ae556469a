"""The guard sudo runs: it judges the installation's rights against the account
that invoked sudo before Python reads any file of the installation, then becomes
the program. Run here as the script setup-box writes, on a real virtual
environment, with SUDO_UID naming another account (daemon)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from complaintdesk.box import setup as box
from complaintdesk.box import guard

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root to give files to another account")

DAEMON = 1  # uid of Debian's daemon account, in no group of ours


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A real virtual environment (no pip) with a stand-in program that says who
    it runs as, and a .pth file that leaves a mark when site reads it."""
    prefix = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    program = prefix / "bin" / "complaintdesk"
    program.write_text("import os, sys\nprint('ran', os.getuid(), sys.flags.isolated, "
                       "*sys.argv[1:])\n", encoding="utf-8")
    return prefix


def _site(prefix: Path) -> Path:
    return next(prefix.glob("lib/python3*/site-packages"))


def _script(tmp_path: Path, prefix: Path) -> Path:
    plan = box.BoxPlan(admin="root", program=prefix / "bin" / "complaintdesk",
                       interpreter=Path(os.path.realpath(sys.executable)))
    script = tmp_path / "guard"
    script.write_text(box.guard_text(plan), encoding="utf-8")
    script.chmod(0o755)
    return script


def _run(script: Path, *args: str, uid: int = DAEMON) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SUDO_UID": str(uid), "LANG": "C.UTF-8"}
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_a_locked_installation_runs_the_program_isolated_with_its_arguments(tmp_path, venv):
    done = _run(_script(tmp_path, venv), "export", "--format", "csv 含空格")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran 0 1 export --format csv 含空格\n"


@pytest.mark.parametrize("how", ["owns a module", "owns a .pth", "group may write site-packages",
                                 "anyone may write bin", "owns a link's target",
                                 "sticky world-writable site-packages"])
def test_an_installation_the_invoker_could_change_is_refused_before_site_runs(tmp_path, venv, how):
    site = _site(venv)
    marker = tmp_path / "pwned"
    pth = site / "zz_pwned.pth"
    pth.write_text(f"import os; open({str(marker)!r}, 'w')\n", encoding="utf-8")
    if how == "owns a module":
        module = site / "somedep.py"
        module.write_text("")
        os.chown(module, DAEMON, -1)
    elif how == "owns a .pth":
        os.chown(pth, DAEMON, -1)
    elif how == "group may write site-packages":
        os.chown(site, 0, DAEMON)  # daemon's primary group
        site.chmod(0o775)
    elif how == "anyone may write bin":
        (venv / "bin").chmod(0o777)
    elif how == "owns a link's target":
        target = tmp_path / "elsewhere.py"
        target.write_text("")
        os.chown(target, DAEMON, -1)
        (site / "linked.py").symlink_to(target)
    else:
        site.chmod(0o1777)
    done = _run(_script(tmp_path, venv), "export")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "拒绝运行：本程序的安装可被 daemon 修改" in done.stderr
    assert "chmod -R go-w" in done.stderr
    assert not marker.exists(), "the .pth ran before the check"


def test_root_and_an_unchanged_tree_are_not_refused_and_the_pth_runs_only_after(tmp_path, venv):
    """The same .pth, root's and unwritable by daemon, runs in the program
    (site is read then, after the check): the guard gates, it does not cut."""
    marker = tmp_path / "ran-site"
    (_site(venv) / "zz_mark.pth").write_text(f"import os; open({str(marker)!r}, 'w')\n")
    done = _run(_script(tmp_path, venv), "x", uid=0)
    assert done.returncode == 0, done.stderr
    assert marker.exists()


def test_an_invoker_without_an_account_is_refused(tmp_path, venv):
    done = _run(_script(tmp_path, venv), uid=59999)
    assert done.returncode == 1 and "没有账号" in done.stderr


def test_the_base_site_packages_is_left_out_unless_the_venv_reads_it(venv):
    roots = guard.default_roots(str(venv), str(venv / "bin" / "python"))
    stdlib = os.path.dirname(os.__file__)
    assert roots[0] == str(venv) and stdlib in roots
    entries = {e.path for e in guard.survey(roots)}
    assert not any(p.startswith(os.path.join(stdlib, "site-packages") + "/") for p in entries)
    assert os.path.join(stdlib, "os.py") in entries
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("include-system-site-packages = false",
                                           "include-system-site-packages = true"))
    assert len(guard.default_roots(str(venv), str(venv / "bin" / "python"))) > len(roots)


def test_a_directory_with_an_extended_acl_counts_as_writable_by_everyone():
    """The guard does not read ACL entries (they may name anyone): a directory of
    the installation that has any is refused for every account but root."""
    entry = guard.Entry("/opt/x/lib", 0, 0, 0o40755, above=False, acl=True)
    assert guard.writable_by([entry], 1000, {1000}) == ["/opt/x/lib"]
    assert guard.writable_by([entry], 0, {0}) == []
    plain = entry._replace(acl=False)
    assert guard.writable_by([plain], 1000, {1000}) == []
