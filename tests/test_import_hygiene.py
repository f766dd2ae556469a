"""The core never imports textual: the CLI and intake must start without the TUI.

Checked in a fresh interpreter, since this test process may already have
imported textual for the screen tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import complaintdesk


def _run(code: str, cwd) -> dict:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_every_core_module_does_not_import_textual(tmp_path):
    report = _run("""
        import importlib, json, pkgutil, sys
        import complaintdesk
        imported, failed = [], {}
        for info in pkgutil.walk_packages(complaintdesk.__path__, "complaintdesk."):
            if info.name.rsplit(".", 1)[-1] == "__main__":
                continue  # runs the program; its imports are those of cli
            try:
                importlib.import_module(info.name)
            except Exception as exc:
                failed[info.name] = repr(exc)
            else:
                imported.append(info.name)
        tui = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print(json.dumps({"imported": imported, "failed": failed, "tui": tui}))
    """, tmp_path)
    assert report["failed"] == {}
    assert report["tui"] == []
    # The walk really found the package's modules.
    expected = {"complaintdesk." + m for m in (
        "process.audit", "process.complaints", "domain.config", "process.desk", "domain.enums",
        "domain.errors", "store.models", "store.sqlite.schema", "process.staffing",
        "store.sqlite.engine", "domain.text", "domain.validation")}
    assert expected <= set(report["imported"])


def test_cli_module_does_not_import_textual(tmp_path):
    report = _run("""
        import json, sys
        import complaintdesk.cli
        print(json.dumps({"tui": sorted(m for m in sys.modules
                                        if m == "textual" or m.startswith("textual."))}))
    """, tmp_path)
    assert report["tui"] == []


def test_package_imported_is_this_checkout(tmp_path):
    """Guard against the subprocess testing some other installed copy."""
    report = _run("""
        import json, complaintdesk
        print(json.dumps({"file": complaintdesk.__file__}))
    """, tmp_path)
    assert report["file"] == complaintdesk.__file__
