"""Benchmark (not a test): a data sheet of N rows with openpyxl write-only (what the report uses), against
xlsxwriter's constant-memory mode on the same rows, each in its own process so peak memory is its own.

    pip install xlsxwriter   # the baseline only
    python -m bench.bench_xlsx --rows 1000000 --reps 2
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COLUMNS = 55  # the interchange format of SIPAS_2640: 7 design columns + 47 items + 1


def rows(n: int):
    """Rows like an exported round: a UUID-like id, codes, a weight, and small integers."""
    for i in range(n):
        yield ([f"{i:032x}", f"LCU.A{i % 3000:04d}", ("province", "district", "commune")[i % 3], "paper_post",
                "province", f"P{i % 24000}", 12.5 + (i % 7)] + [(i + k) % 5 + 1 if (i + k) % 17 else None
                                                                  for k in range(COLUMNS - 7)])


def run_one(kind: str, n: int, path: str) -> None:
    t0 = time.perf_counter()
    if kind == "openpyxl":
        from sipas.reports.sheets import Sheet
        from sipas.reports.xlsx import write_workbook
        header = [(f"c{i}", 1) for i in range(COLUMNS)]
        counts = write_workbook([Sheet("Data", "data", [header], rows(n), [10] * COLUMNS)], path)  # as exports do
        assert counts["Data"] == n
    else:
        import xlsxwriter
        wb = xlsxwriter.Workbook(path, {"constant_memory": True})
        ws = wb.add_worksheet("Data")
        ws.write_row(0, 0, [f"c{i}" for i in range(COLUMNS)])
        for r, row in enumerate(rows(n), start=1):
            ws.write_row(r, 0, row)
        wb.close()
    elapsed = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind}\t{elapsed:.1f}\t{peak_mib:.0f}\t{os.path.getsize(path) / 2 ** 20:.1f}", flush=True)


def _one(kind: str, n: int) -> tuple[float, float, float]:
    """(seconds, peak MiB, file MiB) of one writer in a process of its own."""
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([sys.executable, __file__, "--one", kind, "--rows", str(n), "--path",
                              os.path.join(folder, "x.xlsx")], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": os.getcwd()})
        if out.returncode:
            raise SystemExit(f"{kind} failed: {out.stderr.strip()[-2000:]}")
        _, t, mem, size = out.stdout.strip().split("\t")
        return float(t), float(mem), float(size)


def _fmt(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--one", choices=["openpyxl", "xlsxwriter"])
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.rows, args.path)
        return
    runs: dict[str, list[tuple[float, float, float]]] = {"openpyxl": [], "xlsxwriter": []}
    for _ in range(args.reps):  # A/B/B/A: a drift of the machine's load falls on both writers alike
        for kind in ("openpyxl", "xlsxwriter", "xlsxwriter", "openpyxl"):
            runs[kind].append(_one(kind, args.rows))
    print(f"{args.rows:,} rows x {COLUMNS} columns; each writer in its own process; A/B/B/A x {args.reps}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| writer | time (s) | peak RSS (MiB) | file (MiB) | time / xlsxwriter |\n|---|---|---|---|---|")
    ratios = [a[0] / b[0] for a, b in zip(runs["openpyxl"], runs["xlsxwriter"])]
    for kind in ("xlsxwriter", "openpyxl"):
        t, mem, size = ([r[i] for r in runs[kind]] for i in range(3))
        ratio = "1" if kind == "xlsxwriter" else _fmt(ratios, 2)
        print(f"| {kind} | {_fmt(t)} | {_fmt(mem, 0)} | {_fmt(size)} | {ratio} |")


if __name__ == "__main__":
    main()
