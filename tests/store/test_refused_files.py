"""A file complaintdesk refuses stays untouched: every kind of wrong or damaged
file, every command on it, the message in Chinese and the file's bytes (and its
-wal) exactly as before. A damaged database stops writes and tells the admin."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from complaintdesk.cli import main as cli
from complaintdesk.store.sqlite import schema
from complaintdesk.store.sqlite.dbfile import DamagedDatabase
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.errors import StoreError

from tests.helpers import register, sample

COMMANDS = [
    ["export"], ["export", "--format", "csv"], ["show", "TS-20261123-0001"],
    ["print", "TS-20261123-0001"], ["report", "--period", "2026-11"], ["staff", "list"],
    ["audit", "verify"], ["audit", "head"], ["intake", "-"], ["backup"],
]


def _digest(path: Path) -> dict[str, str | None]:
    """The bytes of the file and its -wal (None where absent)."""
    out: dict[str, str | None] = {}
    for suffix in ("", "-wal"):
        p = path.with_name(path.name + suffix)
        out[suffix or "db"] = hashlib.sha256(p.read_bytes()).hexdigest() \
            if p.is_file() else ("<dir>" if p.is_dir() else None)
    return out


def _other_app(path: Path, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT)")
    conn.execute("INSERT INTO orders(item) VALUES ('别人的数据')")
    conn.commit()
    conn.close()


def _ours(path: Path, count: int = 1) -> None:
    """A real complaintdesk database with ``count`` complaints, checkpointed, closed."""
    from complaintdesk.process import complaints
    from complaintdesk.process import staffing

    from tests.helpers import sample

    desk = open_desk(path)
    me = staffing.os_login()  # the admin, so that every command may run here
    staffing.sign_in(desk, me, "管理员")
    staffing.add_staff(desk, me, "counter1", "柜台小王", "counter")
    register(desk, "counter1")
    drafts = [complaints.validate(desk, sample(customer_name=f"客户{i}", event="经过" * 200))
              for i in range(count - 1)]
    complaints.register_drafts(desk, "counter1", drafts)
    desk.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _newer(path: Path, wal: bool) -> None:
    _ours(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
    conn.commit()
    conn.close()


def _truncated(path: Path, cut: str) -> None:
    _ours(path)
    size = path.stat().st_size
    page = 4096
    length = {"half a page": size - page // 2, "whole pages": size - 2 * page,
              "only the header": 100, "less than a header": 50}[cut]
    with open(path, "r+b") as stream:
        stream.truncate(length)


def _garbage_wal(path: Path) -> None:
    _ours(path)
    path.with_name(path.name + "-wal").write_bytes(os.urandom(5000))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path) -> None:
    path.write_text("这不是数据库\n" * 100, encoding="utf-8")


KINDS = {
    "other app, rollback journal": (lambda p: _other_app(p, False), "不是 complaintdesk 数据库"),
    "other app, WAL": (lambda p: _other_app(p, True), "不是 complaintdesk 数据库"),
    "newer schema, rollback journal": (lambda p: _newer(p, False), "更新的 complaintdesk 版本"),
    "newer schema, WAL": (lambda p: _newer(p, True), "更新的 complaintdesk 版本"),
    "truncated by half a page": (lambda p: _truncated(p, "half a page"), "截断"),
    "truncated by whole pages": (lambda p: _truncated(p, "whole pages"), "截断"),
    "truncated to the header": (lambda p: _truncated(p, "only the header"), "截断"),
    "truncated inside the header": (lambda p: _truncated(p, "less than a header"), "截断"),
    "garbage -wal": (_garbage_wal, "-wal"),
    "empty file": (_empty, "空文件"),
    "a text file": (_text, "不是 SQLite 数据库"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_refused_file_is_left_byte_for_byte_as_it_was(tmp_path, capsys, kind):
    make, message = KINDS[kind]
    path = tmp_path / "wrong.db"
    make(path)
    before = _digest(path)
    for command in COMMANDS:
        status = cli.main(["--db", str(path), *command])
        captured = capsys.readouterr()
        assert status != 0, (command, captured)
        assert message in captured.err, (command, captured.err)
        assert "Traceback" not in captured.err
        assert _digest(path) == before, f"{kind}: {command} changed the file"
    # check refuses too and names the problem (a damaged file: what SQLite finds).
    status = cli.main(["--db", str(path), "check"])
    captured = capsys.readouterr()
    assert status == 1 and _digest(path) == before, captured


@pytest.mark.parametrize("kind", ["a directory", "a FIFO", "a read-only file",
                                  "a read-only directory"])
def test_paths_that_are_no_usable_file_are_refused_untouched(tmp_path, capsys, kind):
    if kind == "a directory":
        path = tmp_path / "dir.db"
        path.mkdir()
        expected = "目录"
    elif kind == "a FIFO":
        path = tmp_path / "fifo.db"
        os.mkfifo(path)
        expected = "不是普通文件"
    elif kind == "a read-only file":
        path = tmp_path / "ro.db"
        _ours(path)
        path.chmod(0o444)
        expected = "只读"
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        path = folder / "x.db"
        _ours(path)
        folder.chmod(0o555)
        expected = "只读"
    before = sorted(os.listdir(path.parent))
    digest = _digest(path) if path.is_file() else None
    try:
        for command in COMMANDS[:3]:
            status = cli.main(["--db", str(path), *command])
            captured = capsys.readouterr()
            assert status != 0 and expected in captured.err, (command, captured.err)
        assert sorted(os.listdir(path.parent)) == before
        if digest is not None:
            assert _digest(path) == digest
    finally:
        path.parent.chmod(0o755)


def _corrupt_a_middle_page(path: Path) -> int:
    """Overwrite a leaf page in the middle of the complaint table with garbage
    (neither its root nor its last page: the start check does not read it);
    the page's number."""
    conn = sqlite3.connect(path)
    leaves = [row[0] for row in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'complaint' AND pagetype = 'leaf' "
        "ORDER BY path")]
    conn.close()
    assert len(leaves) >= 3, leaves
    page = leaves[len(leaves) // 2]
    with open(path, "r+b") as stream:
        stream.seek((page - 1) * 4096)
        stream.write(b"\xde\xad" * 2048)
    return page


def test_a_damaged_page_is_found_by_check_and_reads_stop_with_advice(tmp_path, capsys):
    path = tmp_path / "damaged.db"
    _ours(path, count=60)
    page = _corrupt_a_middle_page(path)
    before = _digest(path)
    status = cli.main(["--db", str(path), "check"])
    out = capsys.readouterr().out
    assert status == 1
    assert f"损坏页 {page}" in out, out
    assert "备份" in out
    # A command that reads the damaged table says so, with what to do; nothing is written.
    status = cli.main(["--db", str(path), "export"])
    captured = capsys.readouterr()
    assert status != 0 and "已损坏" in captured.err and "complaintdesk check" in captured.err, \
        captured.err
    assert _digest(path) == before
    # Intake writes only at the table's end, where no read would meet the damage:
    # the quick check before a bulk write stops it (a small file: see store.py).
    done = subprocess.run([sys.executable, "-m", "complaintdesk", "--db", str(path), "intake", "-"],
                          input=json.dumps(sample()).encode(), capture_output=True, timeout=60)
    assert done.returncode != 0 and "已损坏" in done.stderr.decode(), done.stderr.decode()
    assert _digest(path) == before


def test_once_damage_is_reported_the_store_writes_no_more(tmp_path):
    path = tmp_path / "damaged.db"
    _ours(path, count=60)
    desk = open_desk(path)
    try:
        _corrupt_a_middle_page(path)
        from complaintdesk.process import complaints

        with pytest.raises(DamagedDatabase) as first:
            complaints.list_complaints(desk)
        assert "complaintdesk check" in first.value.message
        with pytest.raises(DamagedDatabase):
            with desk.store.write():
                pass  # refused before any SQL
    finally:
        desk.close()


def test_a_new_path_is_created_and_an_empty_file_is_not(tmp_path):
    desk = open_desk(tmp_path / "new.db")
    desk.close()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="空文件"):
        open_desk(empty)
    assert empty.read_bytes() == b""
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)


def test_a_first_start_cut_short_is_opened_as_new(tmp_path):
    """SQLite wrote its first page (WAL mode, no tables) before the first
    migration committed: nothing in it to lose, so the next start carries on."""
    path = tmp_path / "cut.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    desk = open_desk(path)
    try:
        assert desk.store.path == path
    finally:
        desk.close()
