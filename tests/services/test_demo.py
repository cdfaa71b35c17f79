"""The demo looks like SIPAS: realistic factor indices, a real design with unequal weights, both maps."""
from __future__ import annotations

from sqlalchemy import case, func, select

from sipas.db import session_factory
from sipas.models import Answer, Response, Round


def test_demo_factor_indices_look_like_published_sipas(demo_app):
    session = session_factory(demo_app)()
    for code in ("LCU-2024", "LCU-2026"):
        rnd = session.scalar(select(Round).where(Round.code == code))
        rows = session.execute(
            select(Answer.item_code,
                   func.sum(case((Answer.value >= 4, Response.weight), else_=0.0)) / func.sum(Response.weight))
            .join(Response).where(Response.round_id == rnd.id, Answer.item_code.in_(["S1", "S2", "S3", "S4", "S5"]))
            .group_by(Answer.item_code)).all()
        assert len(rows) == 5
        assert all(0.70 <= share <= 0.95 for _, share in rows), rows
    session.close()


def test_demo_has_a_design_strata_psus_and_unequal_weights(demo_app):
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2024"))
    strata = set(session.scalars(select(Response.stratum).where(Response.round_id == rnd.id).distinct()))
    assert strata == {"province", "district", "commune"}
    n_psu, w_min, w_max = session.execute(select(func.count(func.distinct(Response.psu)), func.min(Response.weight),
                                                 func.max(Response.weight)).where(Response.round_id == rnd.id)).one()
    assert n_psu > 30 and w_max / w_min > 3
    # Some answers are missing, as in real forms.
    per_response = session.execute(select(func.count()).select_from(Answer).join(Response)
                                   .where(Response.round_id == rnd.id, Answer.item_code == "S5")).scalar()
    total = session.scalar(select(func.count()).select_from(Response).where(Response.round_id == rnd.id))
    assert per_response < total
    r2026 = session.scalar(select(Round).where(Round.code == "LCU-2026"))
    assert set(session.scalars(select(Response.stratum).where(Response.round_id == r2026.id).distinct())) == {
        "province", "commune"}
    session.close()
