"""Benchmark of intake on a generated file with bad lines: lines answered / lines
given, and the throughput of good lines.

    .venv/bin/python bench/intake_bench.py --lines 10000 --bad 0.3

It writes a JSON Lines file (``--bad`` of the lines broken in one of many ways:
invalid UTF-8, lone surrogates in values and keys, NUL and control characters,
deep nesting, 5,000-digit numbers, NaN, huge strings, BOMs, trailing garbage,
unknown fields, bad contacts, wrong types), runs ``complaintdesk intake -`` on a
new database in a temporary directory as a real process, and prints what came
back. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def good(rng: random.Random, i: int) -> dict:
    return {"customer_name": f"客户{i}", "contact": f"13{rng.randint(3, 9)}{rng.randint(0, 10**8 - 1):08d}",
            "channel": rng.choice(["phone", "wechat", "电话"]), "event": f"第 {i} 件：收到的货破损。",
            "demand": "退货", "category": rng.choice(["product", "service", "价格争议"]),
            "priority": rng.choice(["general", "major", "urgent"]), "product": "玻璃杯",
            "quantity": rng.randint(0, 9), "received_at": "2026-11-20 09:00"}


def bad(rng: random.Random, i: int) -> bytes:
    data = good(rng, i)
    kind = rng.randrange(14)
    if kind == 0:
        return b"\xff\xfe" + json.dumps(data).encode()[2:]
    if kind == 1:
        data["customer_name"] = "\ud800坏"
    elif kind == 2:
        data["\udfff"] = 1
    elif kind == 3:
        data["event"] = "a\x00b\x1b[31mc"  # cleaned, then registered: counted as good below
    elif kind == 4:
        return ("[" * 100_000).encode()
    elif kind == 5:
        return (json.dumps(data)[:-1] + ', "quantity": ' + "9" * 5000 + "}").encode()
    elif kind == 6:
        return json.dumps({**data, "quantity": float("nan")}).encode()
    elif kind == 7:
        data["event"] = "长" * 6000
    elif kind == 8:
        return ("\ufeff" + json.dumps(data) + " trailing").encode()
    elif kind == 9:
        data["qty"] = 3
    elif kind == 10:
        data["contact"] = "x"
    elif kind == 11:
        data["quantity"] = "三"
    elif kind == 12:
        return json.dumps([data]).encode()
    else:
        return b'{"customer_name": "\xe4\xb8'  # cut in the middle of a character
    return json.dumps(data).encode("utf-8", "surrogatepass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--bad", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines = [bad(rng, i) if rng.random() < args.bad else json.dumps(good(rng, i)).encode()
             for i in range(args.lines)]
    program = Path(sys.prefix) / "bin" / "complaintdesk"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "intake.db"
        subprocess.run([str(program), "--db", str(db), "staff", "list"], check=True,
                       capture_output=True)  # create it (the caller becomes admin)
        started = time.perf_counter()
        done = subprocess.run([str(program), "--db", str(db), "intake", "-"],
                              input=b"\n".join(lines) + b"\n", capture_output=True)
        seconds = time.perf_counter() - started
    results = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    registered = sum("number" in r for r in results)
    numbered = sorted(r["line"] for r in results)
    print(f"intake bench: {args.lines:,} lines, {args.bad:.0%} made bad (seed {args.seed})")
    print(f"  lines answered / given:  {len(results):,} / {len(lines):,} "
          f"({len(results) / len(lines):.1%}); every line number once: "
          f"{numbered == list(range(1, len(lines) + 1))}")
    print(f"  registered {registered:,}, refused {len(results) - registered:,}; exit {done.returncode}; "
          f"tracebacks on stderr: {done.stderr.count(b'Traceback')}")
    print(f"  wall {seconds:.2f} s (process start included): {len(lines) / seconds:,.0f} lines/s, "
          f"{registered / seconds:,.0f} registered/s")


if __name__ == "__main__":
    main()
