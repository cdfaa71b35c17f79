"""Edge checks for what people type: whole numbers and text lengths, with the limits the database has.

One place for the rule, used by the web views and the services: `str.isdigit()` is not enough (it accepts
"²", which `int()` refuses, and 5,000-digit numbers, which `int()` refuses or PostgreSQL's integer column
overflows on), and text longer than its column is stored by SQLite but refused by PostgreSQL.
"""
from __future__ import annotations

#: The largest value of a PostgreSQL `integer` column (ids, counts, device sequence numbers).
INT_MAX = 2**31 - 1


def whole_number(raw: object, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """The whole number written in ASCII digits in `raw`, when it lies in low..high; otherwise None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip() if raw is not None else ""
        if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
            return None
        value = int(text)
    return value if low <= value <= high else None


def column_limit(model, column: str) -> int | None:
    """The length of a String column of a model (None for unbounded text)."""
    return getattr(model.__table__.columns[column].type, "length", None)


def too_long(model, values: dict[str, str | None]) -> dict[str, str]:
    """Problems for the values longer than their model column, worded for people (Vietnamese first)."""
    problems = {}
    for name, value in values.items():
        limit = column_limit(model, name)
        if value is not None and limit is not None and len(value) > limit:
            problems[name] = f"tối đa {limit} ký tự / at most {limit} characters"
    return problems
