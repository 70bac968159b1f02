"""Time and memory of `liuyou demo --customers N`: the demo county generated and imported.

    .venv/bin/python bench/demo.py --customers 20000 [--seed 2026] [--json]

Runs `liuyou demo --no-serve --customers N --seed S` in a fresh directory (a new SQLite
database: migrate, build the bank, generate every extract, import every file through the
import path) and measures its wall-clock time and peak memory. Reference, same run: reading
and splitting every generated extract with Python's csv module, the least any import of
these files has to do. Issue 3's goals: N = 20,000 in under 2 minutes; N = 1,000,000 in
under 60 minutes and 4 GiB.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {20_000: 120.0, 1_000_000: 3600.0}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    return p.parse_args()


def read_all(extracts: Path) -> tuple[float, int]:
    """Seconds to read and split every extract (the reference), and the rows read."""
    rows = 0
    t0 = time.perf_counter()
    for path in sorted(extracts.glob("*.csv")):
        if path.name.endswith(".rejects.csv"):
            continue
        encoding = "gbk" if path.name.startswith(("core_customer", "core_deposit")) else "utf-8-sig"
        with path.open(encoding=encoding, newline="") as f:
            rows += sum(1 for _ in csv.reader(f)) - 1
    return time.perf_counter() - t0, rows


def main() -> None:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="liuyou-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    liuyou = Path(sys.executable).with_name("liuyou")
    command = [
        str(liuyou),
        "demo",
        "--no-serve",
        "--customers",
        str(args.customers),
        "--seed",
        str(args.seed),
    ]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = next((line for line in done.stdout.splitlines() if line.startswith("导入完成")), "")
    surprises = [line for line in done.stdout.splitlines() if "与预期不符" in line]
    ref_seconds, rows = read_all(workdir / "var" / "extracts")
    goal = GOALS.get(args.customers)
    result = {
        "customers": args.customers,
        "seed": args.seed,
        "exit_code": done.returncode,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024),
        "rows_in_extracts": rows,
        "import_summary": summary,
        "unexpected_files": len(surprises),
        "reference": "csv.reader over every extract",
        "reference_seconds": round(ref_seconds, 2),
        "ratio_to_reference": round(seconds / ref_seconds, 1) if ref_seconds else None,
        "goal_seconds": goal,
        "goal_met": (seconds < goal) if goal else None,
    }
    if done.returncode != 0:
        result["stderr_tail"] = done.stderr[-2000:]
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
