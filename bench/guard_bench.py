"""Benchmark of the service-mode guard: what it adds to a start of the program.

Needs an installed (not editable) copy in its own virtual environment, e.g.

    python3 -m venv /tmp/cdvenv && /tmp/cdvenv/bin/pip install .
    .venv/bin/python bench/guard_bench.py --prefix /tmp/cdvenv

It writes the guard as setup-box would (to a temporary file), then times, as the
account running it with ``SUDO_UID`` set to ``--as-uid``, ``complaintdesk
--version`` started through the guard against the same command started
directly, and the guard's survey alone in a fresh ``python -I -S``. Medians of
``--runs``, after one warm-up. sudo's own cost is not in these figures (the SSH
suite's timing test measures the launcher as a whole). It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaintdesk.box import setup as box


def _time(ways: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Round-robin over the ways (drift on a busy machine hits all alike); the
    first round warms the caches and is not counted."""
    values: dict[str, list[float]] = {what: [] for what in ways}
    for round_ in range(runs + 1):
        for what, argv in ways.items():
            started = time.perf_counter()
            subprocess.run(argv, env=env, capture_output=True, check=True)
            if round_:
                values[what].append(time.perf_counter() - started)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--as-uid", type=int, default=1)
    args = parser.parse_args()
    program = args.prefix / "bin" / "complaintdesk"
    interpreter = Path(os.path.realpath(args.prefix / "bin" / "python"))
    plan = box.BoxPlan(admin="root", program=program, interpreter=interpreter)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SUDO_UID": str(args.as_uid)}
    with tempfile.TemporaryDirectory() as tmp:
        guard = Path(tmp) / "guard"
        guard.write_text(box.guard_text(plan), encoding="utf-8")
        guard.chmod(0o755)
        survey = (f"import sys; sys.path.insert(0, {str(Path(box.__file__).parent)!r}); "
                  f"import guard; guard.survey(guard.default_roots({str(args.prefix)!r}, "
                  f"{str(args.prefix / 'bin' / 'python')!r}))")
        count = subprocess.run([str(interpreter), "-I", "-S", "-c", survey.replace(
            "guard.survey(", "print(len(guard.survey(") + "))"], capture_output=True,
            text=True, check=True).stdout.strip()
        rows = _time({
            "direct: complaintdesk --version": [str(program), "--version"],
            "guard + complaintdesk --version": [str(guard), "--version"],
            "python -I -S, nothing": [str(interpreter), "-I", "-S", "-c", "pass"],
            "python -I -S, the survey": [str(interpreter), "-I", "-S", "-c", survey],
        }, env, args.runs)
    print(f"guard bench: {args.prefix} ({count} files and directories surveyed), "
          f"{args.runs} runs each, medians:")
    for what, values in rows.items():
        print(f"  {what:34} {statistics.median(values) * 1000:7.1f} ms "
              f"(min {min(values) * 1000:.1f})")
    added = (statistics.median(rows["guard + complaintdesk --version"])
             - statistics.median(rows["direct: complaintdesk --version"]))
    print(f"  the guard adds {added * 1000:+.1f} ms to a start")


if __name__ == "__main__":
    main()
