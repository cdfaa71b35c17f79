"""What the weights step reads from people: control totals, trim bounds, strata to merge."""
from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import numpy as np

from sipas.errors import ValidationFailed
from sipas.services.interchange import read_rows
from sipas.services.sampling.weights import RAKE_COLUMNS


def parse_total(raw: str) -> tuple[float | None, str | None]:
    """A control total as written in a Vietnamese or an English spreadsheet: (value, None) or (None, why not).

    Vietnamese writes 6.800 for six thousand eight hundred and 6,8 for six point eight; English the other way
    round. A single separator followed by exactly three digits ("6.800", "6,800") can be read both ways, so it
    is refused; anything else is read by the only convention it fits ("1.234.567", "1,234,567", "6.800,5",
    "6,800.5", "6,8", "6.8", "6800"). Spaces between digit groups are thousands separators."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None, "is empty"
    if re.fullmatch(r"\d+", text):
        value = float(text)
    elif re.fullmatch(r"\d{1,3}[.,]\d{3}", text):
        return None, (f"is ambiguous: {text.replace(',', '').replace('.', '')} or {float(text.replace(',', '.')):g}? "
                      f"write it without a thousands separator")
    elif (m := re.fullmatch(r"(\d{1,3}([.,])\d{3}(?:\2\d{3})*)(?:([.,])(\d+))?", text)) and (
            m.group(3) is None or m.group(3) != m.group(2)) and (m.group(3) or m.group(1).count(m.group(2)) > 1):
        # Groups of three with one separator, then (optionally) a decimal part with the other one.
        value = float(m.group(1).replace(m.group(2), "") + ("." + m.group(4) if m.group(4) else ""))
    elif re.fullmatch(r"\d+[.,]\d+", text):
        value = float(text.replace(",", "."))  # one separator not followed by exactly three digits: a decimal
    else:
        return None, "is not a number"
    if not value > 0:
        return None, "is not a positive number"
    return value, None


def read_control_totals(path: Path | str) -> dict[str, dict[str, float]]:
    """Known population totals from a CSV/XLSX with columns variable, category, total (e.g. dossiers per agency
    from the one-stop system's yearly statistics). Problems are reported by row; nothing is half-read."""
    header, body = read_rows(Path(path))
    if [h.strip().lower() for h in header[:3]] != ["variable", "category", "total"]:
        raise ValidationFailed(["the control totals need the columns variable, category, total"])
    totals: dict[str, dict[str, float]] = {}
    problems = []
    for r, row in enumerate(body, start=2):
        variable, category, raw = ((row[i].strip() if i < len(row) else "") for i in range(3))
        if variable not in RAKE_COLUMNS:
            problems.append(f"row {r}, column variable: {variable!r} is not one of {', '.join(RAKE_COLUMNS)}")
            continue
        total, why = parse_total(raw)
        if why:
            problems.append(f"row {r}, column total: {raw!r} {why}")
            continue
        if category in totals.get(variable, {}):
            problems.append(f"row {r}: {variable} {category!r} appears twice")
            continue
        totals.setdefault(variable, {})[category] = cast(float, total)  # parse_total gives a number or a reason
    if problems:
        raise ValidationFailed(problems[:200], f"{len(problems)} problems in the control totals")
    if not totals:
        raise ValidationFailed(["the control totals file has no rows"])
    return totals


def parse_trim(text: str) -> tuple[float, float] | None:
    """'0.3,3' -> (0.3, 3.0); empty -> None; anything else is refused with what is expected."""
    if not (text or "").strip():
        return None
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise ValidationFailed({"trim": f"{text!r}: two numbers low,high, e.g. 0.3,3"}) from None
    if not (0 < low <= 1 <= high) or not np.isfinite(high):
        raise ValidationFailed({"trim": f"{text!r}: low must be between 0 and 1 and high at least 1, e.g. 0.3,3"})
    return low, high


def parse_merge(text: str) -> dict[str, str]:
    """'A=B;C=B' -> {'A': 'B', 'C': 'B'}: strata merged into another for the non-response adjustment."""
    out = {}
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        source, sep, target = (x.strip() for x in part.partition("="))
        if not sep or not source or not target or source == target:
            raise ValidationFailed({"merge": f"{part!r}: STRATUM=INTO, several separated by ';'"})
        out[source] = target
    if any(target in out for target in out.values()):
        raise ValidationFailed({"merge": "merge into a stratum that is not itself merged"})
    return out
