"""The command line behaves like the tools people know: options before or after
the subcommand, help and errors in Chinese, usage errors exit 2, numbers as the
palette takes them, no database made by a typo, OS errors told with a fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from complaintdesk.cli.main import build_parser
from complaintdesk.domain.validation import FIELD_LABELS

from tests.cli.test_cli import env, db, good, jsonl, run  # noqa: F401 - fixtures

ENGLISH = ("usage:", "options:", "show this help", "invalid choice", "unrecognized",
           "the following arguments", "expected one argument", "error:")


def bare(env, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command without the --db every other test puts first."""
    done = subprocess.run([sys.executable, "-m", "complaintdesk", *args], input=stdin,
                          capture_output=True, env=env, timeout=120)
    done.out = done.stdout.decode("utf-8")  # type: ignore[attr-defined]
    done.err = done.stderr.decode("utf-8")  # type: ignore[attr-defined]
    return done


def subcommand_paths() -> list[list[str]]:
    """Every subcommand at every depth (staff add, audit verify…)."""
    import argparse

    paths: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    paths.append(prefix + [name])
                    walk(child, prefix + [name])

    walk(build_parser(), [])
    return paths


@pytest.mark.parametrize("path", subcommand_paths(), ids=" ".join)
def test_every_subcommand_help_is_chinese_and_lists_the_global_options(path, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args([*path, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("用法：")
    assert "--db PATH" in text and "全局选项" in text
    for word in ENGLISH:
        assert word not in text, (word, text)


def test_the_global_option_works_after_the_subcommand_too(env, db):
    before = bare(env, "--db", str(db), "staff", "list", "--json")
    after = bare(env, "staff", "list", "--json", "--db", str(db))
    middle = bare(env, "staff", "--db", str(db), "list", "--json")
    assert before.returncode == after.returncode == middle.returncode == 0, after.err
    assert before.out == after.out == middle.out


@pytest.mark.parametrize("args, words", [
    (["bogus"], ["无效的选择", "'bogus'"]),
    (["export", "--format", "xml"], ["无效的选择", "'xml'"]),
    (["export", "--no-such-option"], ["无法识别的参数", "--no-such-option"]),
    (["show"], ["缺少必需的参数", "NUMBER"]),
    (["demo", "--count", "many"], ["应为整数"]),
    (["export", "--db", ""], ["不能为空"]),
    (["--db", "", "export"], ["不能为空"]),
])
def test_usage_errors_exit_2_in_chinese_with_a_hint(env, db, args, words):
    done = bare(env, *args) if "--db" in args else run(env, db, *args)
    assert done.returncode == 2, done.err
    assert "Traceback" not in done.err
    for word in ENGLISH:
        assert word not in done.err, (word, done.err)
    for word in words:
        assert word in done.err
    assert "--help" in done.err


@pytest.mark.parametrize("period", ["2026-13", "26-Q5", "去年", "2026-Q0"])
def test_a_wrong_report_period_is_a_usage_error(env, db, period):
    done = run(env, db, "report", "--period", period)
    assert done.returncode == 2
    assert "--period" in done.err and "2026-Q4" in done.err and "Traceback" not in done.err


def test_numbers_are_accepted_as_the_palette_accepts_them(env, db):
    number = json.loads(run(env, db, "intake", "-", stdin=jsonl(good())).out)["number"]
    tail = number.rsplit("-", 1)[1]
    for typed in (number, number.lower(), f" {number} ", tail, number[3:], number[3:].lower()):
        done = run(env, db, "show", typed, "--json")
        assert done.returncode == 0, (typed, done.err)
        assert f'"number": "{number}"' in done.out
    printed = run(env, db, "print", number.lower())
    assert printed.returncode == 0 and number in printed.out


def test_a_short_number_that_fits_several_is_refused_naming_them(env, db):
    lines = jsonl(good(), good(customer_name="李四"))
    numbers = [json.loads(line)["number"]
               for line in run(env, db, "intake", "-", stdin=lines).out.splitlines()]
    done = run(env, db, "show", "TS-")
    assert done.returncode == 1
    assert "多件投诉" in done.err and all(n in done.err for n in numbers)
    assert run(env, db, "show", "9999").returncode == 1


@pytest.mark.parametrize("args", [
    ["show", "0001"], ["export"], ["report", "--period", "2026-11"], ["staff", "list"],
    ["print", "0001"], ["intake", "-"], ["backup"], ["check"], ["audit", "head"],
])
def test_a_mistyped_path_never_creates_a_database(env, tmp_path, args):
    path = tmp_path / "desk.db"
    typo = tmp_path / "dsek.db"
    done = bare(env, "--db", str(typo), *args, stdin=b"")
    assert done.returncode == 1
    assert "数据库不存在" in done.err and "complaintdesk init" in done.err
    assert not typo.exists() and not path.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "config.toml"]


def test_init_creates_the_database_once_and_its_maker_is_admin(env, tmp_path):
    path = tmp_path / "new.db"
    first = bare(env, "init", "--db", str(path))
    assert first.returncode == 0, first.err
    assert path.exists() and "管理员" in first.out
    again = bare(env, "--db", str(path), "init")
    assert again.returncode == 0 and "管理员" in again.out
    listed = bare(env, "--db", str(path), "staff", "list", "--json")
    assert len(json.loads(listed.out)) == 1


def test_demo_and_staff_add_may_create_the_database(env, tmp_path):
    demo = tmp_path / "demo.db"
    assert bare(env, "--db", str(demo), "demo", "--count", "5").returncode == 0
    staffed = tmp_path / "staff.db"
    done = bare(env, "--db", str(staffed), "staff", "add", "root", "--name", "根",
                "--role", "counter")
    assert staffed.exists(), done.err


def test_an_os_error_is_told_in_chinese_with_the_fix(env, db, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    done = run(env, db, "export", "-o", str(blocker / "out.jsonl"))
    assert done.returncode == 1
    line = done.err.strip()
    assert line.startswith("complaintdesk: ") and "\n" not in line
    assert "不是目录" in line and "请检查路径" in line
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", line.split("：", 1)[1]), line


def test_intake_help_describes_every_field(env):
    done = bare(env, "intake", "--help")
    assert done.returncode == 0
    for name, label in FIELD_LABELS.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(label)}（", done.out, re.M), name
    assert "必填" in done.out and "urgent/紧急" in done.out


def test_export_format_has_help(env):
    done = bare(env, "export", "--help")
    assert re.search(r"--format \{jsonl,csv\}\s+jsonl：", done.out), done.out


def test_exports_mask_contacts_except_for_supervisors_and_admins(env, db):
    """The queue masks contacts; so does a counter clerk's or a handler's export.
    A supervisor's or an admin's carries them in full."""
    from complaintdesk.domain.config import DeskConfig
    from complaintdesk.process import staffing
    from complaintdesk.process.desk import open_desk

    assert run(env, db, "intake", "-", stdin=jsonl(good(contact="13912345678"))).returncode == 0
    full = run(env, db, "export")  # the caller made the database: its admin
    assert full.returncode == 0 and "13912345678" in full.out and full.err == ""
    desk = open_desk(db, DeskConfig())
    try:
        with desk.store.write() as session:  # demote the caller to a counter clerk
            from complaintdesk.store.models import Staff
            session.get(Staff, staffing.os_login()).role = "counter"
    finally:
        desk.close()
    masked = run(env, db, "export", "--format", "csv")
    assert masked.returncode == 0
    assert "13912345678" not in masked.out and "139****5678" in masked.out
    assert "已遮蔽" in masked.err
