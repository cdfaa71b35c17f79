"""The database's cross-moments of the composite items (read once per unordered pair, mirrored) equal the
numpy path's, which sums every ordered pair over the respondents of a file: both databases."""
from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy import select

import surveys
from sipas.models import Round
from sipas.results import SAMPLED
from sipas.results.model import channel_group
from sipas.services.analysis_plan import plan_for
from sipas.services.interchange import read_table
from sipas.services.interchange_export import write_csv
from sipas.services.results.compute import table_totals
from sipas.services.results.totals import round_totals


def test_pair_moments_from_the_database_equal_the_file_path(session, tmp_path):
    from sipas.services.demo import load_demo
    load_demo(session, scale=0.2)
    session.commit()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2024"))
    profile = surveys.load(rnd.profile_key)
    plan = plan_for(profile)
    db, _ = round_totals(session, rnd, plan, SAMPLED)
    session.rollback()
    path = tmp_path / "r.csv"
    write_csv(session, rnd, profile, path)
    table = read_table(path, profile)
    mask = np.array([channel_group(c) == SAMPLED for c in table.channel.astype(str)])
    table = dataclasses.replace(table, **{f.name: getattr(table, f.name)[mask] for f in dataclasses.fields(table)
                                          if isinstance(getattr(table, f.name), np.ndarray)})
    file, _ = table_totals(plan, table)
    assert db.groups == file.groups and len(db.groups) > 5
    assert len(plan.pair_items) > 2 and db.pair_items == file.pair_items
    for name in ("pair_n", "pair_d", "pair_c"):
        np.testing.assert_allclose(getattr(db, name), getattr(file, name), rtol=0, atol=1e-9)
    assert not np.allclose(db.pair_d, db.pair_d.transpose(0, 2, 1))  # pair_d is not symmetric: both orders count
