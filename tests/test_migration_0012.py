"""Migration 0012 (unique paper serials): a database keyed before it may already hold a serial in two batches.
The upgrade then stops and names the serial (a person settles which batch is right) instead of failing on the
index with a bare integrity error; without duplicates it adds the indexes. Both backends."""
from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from sipas import migrate


def _before_0012(db_url) -> str:
    return ScriptDirectory.from_config(migrate.alembic_config(db_url)).get_revision("0012").down_revision


def _keyed_twice(conn, second_batch_serial: str) -> None:
    """One round and agency, two users, two batches; serial LCU-2026-000001 keyed in batch 1."""
    conn.execute(text("INSERT INTO admin_units (id, code, name, admin_map, level) "
                      "VALUES (1, '12', 'Lai Châu', 'new_34', 'province')"))
    conn.execute(text("INSERT INTO agencies (id, code, name, kind, level, unit_id) "
                      "VALUES (1, 'A', 'Sở A', 'department', 'province', 1)"))
    conn.execute(text("INSERT INTO rounds (id, code, name, year, method_version, profile_key, admin_map, status, "
                      "channels, design, created_at) VALUES (1, 'LCU-2026', 'x', 2026, 'SIPAS_2640', 'SIPAS_2640', "
                      "'new_34', 'open', '[]', '{}', '2026-01-01')"))
    for uid in (1, 2):
        conn.execute(text("INSERT INTO users (id, username, full_name, password_hash, active, created_at) "
                          "VALUES (:i, :u, '', 'h', :t, '2026-01-01')"), {"i": uid, "u": f"u{uid}", "t": True})
    for bid in (1, 2):
        conn.execute(text("INSERT INTO paper_batches (id, round_id, agency_id, box_number, expected_count, channel, "
                          "status, created_at) VALUES (:b, 1, 1, :n, 5, 'paper_post', 'open', '2026-01-01')"),
                     {"b": bid, "n": f"H{bid}"})
    for fid, bid, serial in ((1, 1, "LCU-2026-000001"), (2, 2, second_batch_serial)):
        conn.execute(text("INSERT INTO paper_forms (id, batch_id, serial, status, updated_at) "
                          "VALUES (:f, :b, :s, 'first_keyed', '2026-01-01')"), {"f": fid, "b": bid, "s": serial})
        conn.execute(text("INSERT INTO paper_entries (form_id, pass_no, user_id, answers, created_at) "
                          "VALUES (:f, 1, 1, '{}', '2026-01-01')"), {"f": fid})


@pytest.mark.parametrize("second, refused", [("LCU-2026-000001", True), ("LCU-2026-000002", False)])
def test_0012_names_serials_in_two_batches_and_otherwise_adds_the_indexes(db_url, second, refused):
    migrate.upgrade(db_url, _before_0012(db_url))
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            _keyed_twice(conn, second)
        if refused:
            with pytest.raises(RuntimeError, match=r"serials in more than one batch \['LCU-2026-000001'\]"):
                migrate.upgrade(db_url, "0012")
            return
        migrate.upgrade(db_url, "0012")
        indexes = {i["name"]: i["unique"] for i in inspect(engine).get_indexes("paper_forms")}
        assert bool(indexes["ix_paper_forms_serial"]) is True
    finally:
        engine.dispose()
