"""The three-year trend classification over stored rounds, on SQLite and PostgreSQL: the national demo's two
rounds (nothing classified) and a third round stored with values set by hand (each class checkable by eye)."""
from __future__ import annotations

from sqlalchemy import select

from sipas.models import Round
from sipas.recompute import refresh_now
from sipas.services import national
from sipas.services.results import store
from tests.web.test_national_pages import HAND, _add_2025


def test_trend_classes_over_stored_national_rounds(app, session):
    assert app.test_cli_runner().invoke(args=["demo", "load", "--national", "--scale", "0.02"]).exit_code == 0
    for code in ("VN-2024", "VN-2026"):
        refresh_now(app, session.scalar(select(Round.id).where(Round.code == code)))
    vn26 = session.scalar(select(Round).where(Round.code == "VN-2026"))
    two = national.to_dict(national.for_round(session, vn26))
    # Two comparable rounds only: every province is "not classified", none is guessed.
    assert two["trend"]["rounds"] == ["VN-2024", "VN-2026"]
    assert two["trend"]["counts"] == {"sustainable_increase": 0, "unsustainable_increase": 0, "decreasing": 0,
                                      "not_classified": 34}
    vn26 = _add_2025(session)
    session.commit()
    pub = national.to_dict(national.for_round(session, vn26))
    assert pub["trend"]["rounds"] == ["VN-2024", "VN-2025", "VN-2026"]
    for code, (values, expected) in HAND.items():
        assert pub["trend"]["provinces"][code] == {"class": expected, "values": list(values)}, code
    lines = {p["code"]: p for p in pub["provinces"]}
    assert [lines[c]["trend_class"] for c in ("01", "12", "79", "08")] == \
        ["sustainable_increase", "unsustainable_increase", "decreasing", None]
    counts = pub["trend"]["counts"]
    assert sum(counts.values()) == 34 and counts["not_classified"] >= 1
    # Every classified province follows the rule on its own three values.
    for code, entry in pub["trend"]["provinces"].items():
        assert entry["class"] == national.trend_class(entry["values"]), code
    assert store.provisional_info(session, session.scalar(select(Round).where(Round.code == "VN-2025")))
