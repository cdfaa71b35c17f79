"""Migrations: one head, and upgrading an empty database gives exactly the models' schema (both backends)."""
from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from sipas import migrate
from sipas.models import Base


def test_single_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_revision_files_carry_a_date_prefix():
    names = [p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py")]
    assert names and all(n[:4].isdigit() and n[4] == "_" for n in names)


def test_upgrade_matches_models_and_downgrade_empties(db_url):
    migrate.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        migrate.downgrade(db_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_0008_gives_existing_rounds_the_province_of_their_agencies_and_keys_the_api_channel(db_url):
    """Rounds stored without a jurisdiction get the province their agencies lie in (an agency filed under an
    old-map province counts for the province it went into); agencies of two provinces leave a round national.
    Existing API keys may submit as `api` only."""
    from sqlalchemy import text
    migrate.upgrade(db_url, "0006")
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            units = [(1, "12", "Lai Châu (cũ)", "historical_63", "province", None),
                     (2, "12", "Lai Châu", "new_34", "province", None),
                     (3, "105", "Huyện Tam Đường", "historical_63", "district", 1),
                     (4, "03388", "Xã Bình Lư", "new_34", "commune", 2),
                     (5, "01", "Hà Nội", "new_34", "province", None)]
            for row in units:
                conn.execute(text("INSERT INTO admin_units (id, code, name, admin_map, level, parent_id) "
                                  "VALUES (:i, :c, :n, :m, :l, :p)"),
                             dict(zip(("i", "c", "n", "m", "l", "p"), row)))
            conn.execute(text("INSERT INTO unit_successions (predecessor_id, successor_id, share, is_primary, "
                              "effective_on) VALUES (1, 2, 1.0, :t, '2025-07-01')"), {"t": True})
            for i, code, unit in ((1, "A.DEPT", 1), (2, "A.HUYEN", 3), (3, "A.XA", 4), (4, "B.HN", 5)):
                conn.execute(text("INSERT INTO agencies (id, code, name, kind, level, unit_id) "
                                  "VALUES (:i, :c, :c, 'department', 'province', :u)"), {"i": i, "c": code, "u": unit})
            for i, code, amap, agencies in ((1, "OLD", "historical_63", (1, 2)), (2, "NEW", "new_34", (1, 3)),
                                            (3, "MIXED", "new_34", (3, 4))):
                conn.execute(text("INSERT INTO rounds (id, code, name, year, method_version, profile_key, admin_map, "
                                  "status, channels, design, created_at) VALUES (:i, :c, :c, 2026, 'SIPAS_2640', "
                                  "'SIPAS_2640', :m, 'open', '[]', '{}', '2026-01-01')"),
                             {"i": i, "c": code, "m": amap})
                for a in agencies:
                    conn.execute(text("INSERT INTO round_agencies (round_id, agency_id) VALUES (:r, :a)"),
                                 {"r": i, "a": a})
            conn.execute(text("INSERT INTO api_keys (id, name, key_hash, created_at) "
                              "VALUES (1, 'k', 'h', '2026-01-01')"))
        migrate.upgrade(db_url, "0008")
        with engine.connect() as conn:
            found = dict(conn.execute(text("SELECT code, jurisdiction_id FROM rounds")).all())
            channels = conn.execute(text("SELECT channels FROM api_keys")).scalar()
        assert found == {"OLD": 1, "NEW": 2, "MIXED": None}
        assert (json.loads(channels) if isinstance(channels, str) else channels) == ["api"]
    finally:
        engine.dispose()
