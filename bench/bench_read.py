"""Reading a response file for `sipas analyze FILE`: the app's reader against the least work any reader does.

    python bench/bench_read.py --rows 200000 --reps 3

A synthetic SIPAS_2640 file (the rows bench_analysis.py analyses, which pass the app's own validator) written
as CSV. A: `read_table` (read, validate every cell, report problems by row and column, build the arrays).
B (baseline): `csv.reader` over the same file into lists, nothing else. Beside them, the answer-cell step
alone on the same parsed columns: the per-cell rule (`float()`, integer check, scale check) every cell took
before, against the dict lookup it takes now. Blocks alternate A/B/B/A `--reps` times; medians (range) in
seconds and the ratios A / B. Not a timed test.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import surveys  # noqa: E402
from bench.bench_analysis import check_valid, synthetic  # noqa: E402
from sipas.services.interchange import read_table  # noqa: E402


def write_file(path: Path, n: int, seed: int) -> list[str]:
    plan, agency, level, psu, weight, values = synthetic(n, max(3, n // 300), np.random.default_rng(seed))
    check_valid(plan, values)
    levels = ("province", "district", "commune")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["response_id", "agency_code", "level", "stratum", "psu", "weight", *plan.items])
        for r in range(n):
            out.writerow([f"r{r}", f"B{agency[r]:05d}", levels[level[r]], levels[level[r]], f"P{psu[r]}",
                          f"{weight[r]:.6g}", *("" if np.isnan(v) else str(int(v)) for v in values[r])])
    return list(plan.items)


def per_cell_rule(columns: dict[str, list[str]], profile) -> np.ndarray:
    """The answer-cell step as it was: float(), integer and scale checks on every cell."""
    n = len(next(iter(columns.values())))
    values = np.full((n, len(columns)), np.nan)
    problems = []
    for k, (code, raws) in enumerate(columns.items()):
        allowed = profile.item(code).scale.values
        for r, raw in enumerate(raws, start=2):
            if raw == "":
                continue
            try:
                v = float(raw)
                if not v.is_integer() or int(v) not in allowed:
                    raise ValueError
            except ValueError:
                problems.append((r, code))
                continue
            values[r - 2, k] = v
    return values


def lookup_rule(columns: dict[str, list[str]], profile) -> np.ndarray:
    """The answer-cell step as read_table does it now (the common spellings only: this file has no others)."""
    n = len(next(iter(columns.values())))
    values = np.full((n, len(columns)), np.nan)
    for k, (code, raws) in enumerate(columns.items()):
        common = {"": np.nan, **{str(a): float(a) for a in profile.item(code).scale.values}}
        values[:, k] = [common.get(raw) for raw in raws]
    return values


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    profile = surveys.load("SIPAS_2640")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "responses.csv"
        items = write_file(path, args.rows, args.seed)

        def baseline():
            with open(path, newline="", encoding="utf-8") as fh:
                return list(csv.reader(fh))

        rows = baseline()
        header = rows[0]
        columns = {code: [r[header.index(code)] for r in rows[1:]] for code in items}
        np.testing.assert_array_equal(per_cell_rule(columns, profile), lookup_rule(columns, profile))
        cases = {"read_table": lambda: read_table(path, profile), "csv.reader": baseline,
                 "cells, per-cell rule": lambda: per_cell_rule(columns, profile),
                 "cells, lookup": lambda: lookup_rule(columns, profile)}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.reps):
            for pair in ((("read_table", "csv.reader"), ("csv.reader", "read_table")),
                         (("cells, per-cell rule", "cells, lookup"), ("cells, lookup", "cells, per-cell rule"))):
                for order in pair:
                    for name in order:
                        times[name].append(_timed(cases[name]))
        print(f"{args.rows:,} rows × {len(items)} items, {path.stat().st_size / 2 ** 20:.0f} MiB; "
              f"A/B/B/A × {args.reps}")
        print("| step | seconds | ratio |")
        print("|---|---|---|")
        ratio = [a / b for a, b in zip(times["read_table"], times["csv.reader"])]
        print(f"| csv.reader into lists (baseline) | {_fmt(times['csv.reader'])} | 1 |")
        print(f"| read_table | {_fmt(times['read_table'])} | {_fmt(ratio)} |")
        cells = [a / b for a, b in zip(times["cells, per-cell rule"], times["cells, lookup"])]
        print(f"| answer cells, lookup (now) | {_fmt(times['cells, lookup'])} | 1 |")
        print(f"| answer cells, per-cell rule (before) | {_fmt(times['cells, per-cell rule'])} | {_fmt(cells)} |")


if __name__ == "__main__":
    main()
