"""The demo looks like SIPAS: realistic factor indices, a real design with unequal weights, both maps."""
from __future__ import annotations

from sqlalchemy import case, func, select

import surveys
from sipas.db import session_factory
from sipas.models import Answer, Response, Round
from surveys.answers import check_answers


def test_demo_factor_indices_look_like_published_sipas(demo_app):
    session = session_factory(demo_app)()
    for code in ("LCU-2021", "LCU-2024", "LCU-2026"):
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


def test_demo_rounds_from_2022_use_the_method_in_force_and_keep_one_five_factor_round(demo_app):
    """LCU-2021 shows the method break: SIPAS_2640 there, SIPAS_1001 (parts A and B) from 2024 on."""
    session = session_factory(demo_app)()
    methods = dict(session.execute(select(Round.code, Round.profile_key).where(Round.code.like("LCU-20%"))).all())
    assert methods == {"LCU-2021": "SIPAS_2640", "LCU-2024": "SIPAS_1001", "LCU-2026": "SIPAS_1001"}
    for code in ("LCU-2024", "LCU-2026"):
        rnd = session.scalar(select(Round).where(Round.code == code))
        policy = session.scalar(select(func.count()).select_from(Answer).join(Response)
                                .where(Response.round_id == rnd.id, Answer.item_code.in_(["P1", "P9", "PA1.1"])))
        assert policy > 0
    session.close()


def test_every_demo_response_passes_the_apps_validator(demo_app):
    session = session_factory(demo_app)()
    answers: dict[int, dict[str, int]] = {}
    rows = session.execute(select(Response.id, Response.profile_key, Answer.item_code, Answer.value)
                           .join(Answer, Answer.response_id == Response.id)).all()
    profiles = {}
    for rid, key, code, value in rows:
        answers.setdefault(rid, {})[code] = value
        profiles[rid] = key
    loaded = {key: surveys.load(key) for key in set(profiles.values())}
    assert {"SIPAS_2640", "SIPAS_1001", "KIOSK_RT"} <= set(loaded)
    bad = {rid: check_answers(loaded[profiles[rid]], a)[1] for rid, a in answers.items()}
    assert not {rid: p for rid, p in bad.items() if p}
    session.close()
