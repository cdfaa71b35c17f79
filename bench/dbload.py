"""Load a synthetic round straight into a database for benchmarks (COPY on PostgreSQL, executemany on SQLite)."""
from __future__ import annotations

import io
import time
import uuid
from datetime import date

import numpy as np

from bench.bench_analysis import check_valid, synthetic
from sipas import create_app
from sipas.db import session_factory, session_scope
from sipas.models import AdminMap, AdminUnit, Agency, AgencyKind, Base, Level, Round, RoundStatus

LEVELS = [Level.PROVINCE, Level.DISTRICT, Level.COMMUNE]


def _write(cur, url: str, columns: str, resp: list[tuple], answers) -> None:
    """One block of responses (the given columns; received on a fixed past day, so the counts' settle rule never
    holds them back) and their answers: COPY on PostgreSQL, executemany on SQLite."""
    if url.startswith("postgresql"):
        _copy(cur, "responses", columns + ", received_at", (r + ("2026-11-01",) for r in resp))
        _copy(cur, "answers", "response_id, item_code, value", answers)
    else:
        marks = ",".join("?" * len(columns.split(",")))
        cur.executemany(f"INSERT INTO responses ({columns}, received_at) "
                        f"VALUES ({marks}, '2026-11-01 00:00:00.000000')", resp)
        cur.executemany("INSERT INTO answers (response_id, item_code, value) VALUES (?,?,?)", answers)


def load_synthetic_round(url: str, n: int, agencies: int, seed: int):
    """Create schema, agencies and one round, then bulk-load n responses; returns (seconds, app, round code)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    engine = session_factory(app).kw["bind"]
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(seed)
    plan, agency, level, psu, weight, values = synthetic(n, agencies, rng)
    check_valid(plan, values)
    with session_scope(app) as session:
        province = AdminUnit(code="99", name="Bench", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
        session.add(province)
        made = [Agency(code=f"B{a:05d}", name=f"Agency {a}", kind=AgencyKind.DEPARTMENT, level=LEVELS[a % 3],
                       unit=province) for a in range(agencies)]
        session.add_all(made)
        rnd = Round(code="BENCH", name="bench", year=2026, method_version="SIPAS_2640", profile_key="SIPAS_2640",
                    admin_map=AdminMap.NEW_34, opens_on=date(2026, 1, 1), status=RoundStatus.CLOSED,
                    channels=["paper_direct"], agencies=made)
        session.add(rnd)
        session.flush()
        agency_ids = np.array([a.id for a in made])
        round_id = rnd.id
    t0 = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        chunk = 200_000
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            ids = np.arange(start + 1, stop + 1)
            resp = [(int(i), str(uuid.UUID(int=int(i))), round_id, int(agency_ids[agency[i - 1]]), "interview",
                     "SIPAS_2640", LEVELS[level[i - 1]].value, f"P{psu[i - 1]}", float(weight[i - 1]), "valid", "x")
                    for i in ids.tolist()]
            block = values[start:stop]
            rows, cols = np.nonzero(~np.isnan(block))
            answers = zip((rows + start + 1).tolist(), [plan.items[c] for c in cols.tolist()],
                          block[rows, cols].astype(int).tolist())
            _write(cur, url, "id, uuid, round_id, agency_id, channel, profile_key, stratum, psu, weight, status, "
                             "content_hash", resp, answers)
        if url.startswith("postgresql"):
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - t0, app, "BENCH"


def _copy(cur, table: str, columns: str, rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(str(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while data := buf.read(1 << 20):
            copy.write(data)


def load_kiosk_round(url: str, n: int, offices: int, seed: int):
    """A kiosk round of n KIOSK_RT ratings (1-5, skewed) over `offices` agencies, no stratum, PSU or weight
    (each rating its own PSU), bulk-loaded like `load_synthetic_round`; returns (seconds, app, round code)."""
    import surveys
    from surveys.answers import check_answers
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    engine = session_factory(app).kw["bind"]
    Base.metadata.create_all(engine)
    codes = [item.code for item in surveys.load("KIOSK_RT").items]
    rng = np.random.default_rng(seed)
    p = [0.02, 0.03, 0.10, 0.40, 0.45]
    for pattern in {tuple(rng.choice(5, len(codes), p=p) + 1) for _ in range(200)}:
        assert not check_answers(surveys.load("KIOSK_RT"), dict(zip(codes, map(int, pattern))))[1]
    with session_scope(app) as session:
        unit = AdminUnit(code="98", name="Bench", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
        made = [Agency(code=f"K{a:04d}", name=f"Office {a}", kind=AgencyKind.DEPARTMENT, level=LEVELS[a % 3],
                       unit=unit) for a in range(offices)]
        session.add_all([unit, *made])
        rnd = Round(code="KBENCH", name="kiosk bench", year=2026, method_version="KIOSK_RT", profile_key="KIOSK_RT",
                    admin_map=AdminMap.NEW_34, opens_on=date(2026, 1, 1), status=RoundStatus.OPEN,
                    channels=["kiosk"], agencies=made)
        session.add(rnd)
        session.flush()
        agency_ids = np.array([a.id for a in made])
        round_id = rnd.id
    t0 = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        chunk = 500_000
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            office = agency_ids[rng.integers(offices, size=stop - start)].tolist()
            values = (rng.choice(5, size=(stop - start, len(codes)), p=p) + 1).tolist()
            resp = [(i, str(uuid.UUID(int=i)), round_id, office[i - start - 1], "kiosk", "KIOSK_RT", 1.0, "valid",
                     "x") for i in range(start + 1, stop + 1)]
            answers = ((start + 1 + r, code, row[k]) for r, row in enumerate(values) for k, code in enumerate(codes))
            _write(cur, url, "id, uuid, round_id, agency_id, channel, profile_key, weight, status, content_hash",
                   resp, answers)
        if url.startswith("postgresql"):
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - t0, app, "KBENCH"
