"""Benchmark (not a test): `sipas analyze FILE` end to end, as an analyst runs it, against the least work any
analysis of the same file does.

    python -m bench.bench_analyze_file --rows 1000000 --agencies 300 --reps 3

The file: synthetic SIPAS_2640 responses (bench_analysis.py's data: 47-item rows with 5 % missing, blocks
within their maximum of choices, unequal weights, 8 PSUs per agency), checked with the app's own validator
before anything is timed, written as the interchange CSV. A: the `sipas analyze FILE --profile SIPAS_2640`
command in a process of its own (read, validate every cell, every index of the whole file, levels and agencies
with intervals, differences and rank sets, the JSON written). B (baseline): a process that parses the same
file with `csv.reader` and does nothing else. A and B alternate A/B/B/A `--reps` times; the table gives
medians (range) of wall time and of each process's peak resident memory, and the ratio A / B per pair.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_analysis import check_valid, synthetic

ROOT = Path(__file__).resolve().parents[1]
#: Each process writes its own peak resident memory (VmHWM) at exit: the rusage figure of a child would carry
#: the parent's (Linux keeps the high-water mark of the memory image a process had before exec).
PEAK = ("import atexit, os\natexit.register(lambda: open(os.environ['PEAK_FILE'], 'w').write(next("
        "l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))\n")
ANALYZE = PEAK + "from sipas.cli import main; main()"
BASELINE = PEAK + "import csv, sys\nfor _ in csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig')): pass"


def write_file(path: Path, n: int, agencies: int, seed: int) -> None:
    """The synthetic responses as an interchange CSV (every row passes the app's validator)."""
    plan, agency, level, psu, weight, values = synthetic(n, agencies, np.random.default_rng(seed))
    check_valid(plan, values, rows=5000)
    levels = np.array(["province", "district", "commune"], dtype=object)[level]
    text = np.where(np.isnan(values), "", np.nan_to_num(values).astype(np.int8).astype(str)).astype(object)
    meta = [np.char.add("r", np.arange(n).astype(str)), np.char.add("B", agency.astype(str)), levels, levels,
            np.char.add("P", psu.astype(str)), np.char.mod("%.6g", weight)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["response_id", "agency_code", "level", "stratum", "psu", "weight", *plan.items])
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            out.writerows(zip(*(m[start:stop] for m in meta), *text[start:stop].T))


def timed(code: str, args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one process running `python -c code args`."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, int(Path(env["PEAK_FILE"]).read_text()) / 1024


def _fmt(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "responses.csv", Path(tmp) / "out.json"
        write_file(path, args.rows, args.agencies, args.seed)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SIPAS_DATABASE_URL": f"sqlite:///{tmp}/unused.sqlite",
               "SIPAS_SECRET_KEY": "bench", "SIPAS_DEMO_ON_FIRST_START": "false", "PEAK_FILE": f"{tmp}/peak_kib"}
        cases = {"A": (ANALYZE, ["analyze", str(path), "--profile", "SIPAS_2640", "--output", str(out)]),
                 "B": (BASELINE, [str(path)])}
        runs: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
        for _ in range(args.reps):
            for name in "ABBA":
                runs[name].append(timed(*cases[name], env))
        groups = len(json.loads(out.read_text())["groups"])
        size_mib = path.stat().st_size / 2 ** 20
    seconds = {k: [t for t, _ in v] for k, v in runs.items()}
    memory = {k: [m for _, m in v] for k, v in runs.items()}
    # Each A is paired with the B next to it (A B | B A): the ratio of neighbours, so load drifts cancel.
    ratios = [a / b for a, b in zip(seconds["A"], seconds["B"])]
    print(f"{args.rows:,} rows × 47 items, {args.agencies:,} agencies, {size_mib:.0f} MiB "
          f"CSV, {groups:,} result groups; A/B/B/A × {args.reps}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("| process | wall time (s) | peak RSS (MiB) | time / baseline |\n|---|---|---|---|")
    print(f"| csv.reader over the file (baseline) | {_fmt(seconds['B'])} | {_fmt(memory['B'], 0)} | 1 |")
    print(f"| sipas analyze FILE | {_fmt(seconds['A'])} | {_fmt(memory['A'], 0)} | {_fmt(ratios, 2)} |")


if __name__ == "__main__":
    main()
