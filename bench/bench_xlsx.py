"""Benchmark (not a test): a data sheet of N rows with openpyxl write-only (what the report uses), against
xlsxwriter's constant-memory mode on the same rows, each in its own process so peak memory is its own.

    pip install xlsxwriter   # the baseline only
    python bench/bench_xlsx.py --rows 1000000
"""
from __future__ import annotations

import argparse
import os
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--one", choices=["openpyxl", "xlsxwriter"])
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.rows, args.path)
        return
    print(f"{args.rows:,} rows x {COLUMNS} columns; each writer in its own process\n")
    print("| writer | time (s) | peak RSS (MiB) | file (MiB) |\n|---|---|---|---|")
    results = {}
    for kind in ("xlsxwriter", "openpyxl"):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, __file__, "--one", kind, "--rows", str(args.rows), "--path",
                                  os.path.join(folder, "x.xlsx")], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": os.getcwd()})
            if out.returncode:
                print(f"| {kind} | failed: {out.stderr.strip().splitlines()[-1]} | | |")
                continue
            name, t, mem, size = out.stdout.strip().split("\t")
            results[kind] = float(t)
            print(f"| {name} | {t} | {mem} | {size} |")
    if len(results) == 2:
        print(f"\nopenpyxl write-only / xlsxwriter constant-memory time ratio: "
              f"{results['openpyxl'] / results['xlsxwriter']:.2f}")


if __name__ == "__main__":
    main()
