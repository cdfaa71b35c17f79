"""The hot path's per-worker cache (sipas.services.lookups): a revoked kiosk, a closed round or an agency removed
from a round is refused within LOOKUP_TTL_SECONDS when the change comes from another worker, and at once when it
comes from this one. Real databases, real requests; the other worker is a separate engine writing plain SQL."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, delete, update

from sipas import create_app
from sipas.db import session_factory
from sipas.models import Base, KioskDevice, Round, RoundStatus, round_agencies
from sipas.services import credentials
from tests.conftest import private_dirs
from tests.factories import make_round

TTL = 0.4


@pytest.fixture
def hot(db_url, tmp_path):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url, "SECRET_KEY": "t",
                      "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False, "LOOKUP_TTL_SECONDS": TTL,
                      **private_dirs(tmp_path)})
    Base.metadata.create_all(session_factory(app).kw["bind"])
    s = session_factory(app)()
    rnd = make_round(s, profile="KIOSK_RT", channels=("kiosk", "online"))
    _, token = credentials.enrol_kiosk(s, "T.A0.MC")
    s.commit()
    ids = {"round": rnd.id, "agency": rnd.agencies[0].id}
    s.close()
    other = create_engine(db_url)  # another worker: its own connections, no session of this app
    yield {"app": app, "client": app.test_client(), "token": token, "other": other, **ids}
    other.dispose()
    session_factory(app).kw["bind"].dispose()


def _rate(h):
    body = {"id": str(uuid.uuid4()), "round": "T-2026", "agency": "T.A0", "channel": "kiosk", "profile": "KIOSK_RT",
            "answers": {"S0": 5}}
    return h["client"].post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {h['token']}"})


def _elsewhere(h, statement) -> float:
    """Run a change as another worker would; returns when it was committed (time.monotonic)."""
    with h["other"].begin() as conn:
        conn.execute(statement)
    return time.monotonic()


def _after_ttl(since: float) -> None:
    time.sleep(max(0.0, since + TTL + 0.05 - time.monotonic()))


def test_a_kiosk_revoked_by_another_worker_is_refused_within_the_ttl(hot):
    assert _rate(hot).status_code == 201  # the device is now cached
    revoked = _elsewhere(hot, update(KioskDevice).values(revoked_at=datetime.now(timezone.utc)))
    early = _rate(hot).status_code
    if time.monotonic() - revoked < TTL / 2:  # still within the TTL: the copy answered, not the database
        assert early == 201
    _after_ttl(revoked)
    assert _rate(hot).status_code == 401


def test_a_round_closed_by_another_worker_refuses_within_the_ttl(hot):
    assert _rate(hot).status_code == 201
    assert hot["client"].get("/r/T-2026/T.A0").status_code == 200
    closed = _elsewhere(hot, update(Round).values(status=RoundStatus.CLOSED))
    _after_ttl(closed)
    refused = _rate(hot)
    assert refused.status_code == 422 and "round" in refused.json["errors"]
    assert hot["client"].post("/r/T-2026/T.A0", data={"S0": "5", "response_id": str(uuid.uuid4())}).status_code == 410


def test_an_agency_removed_from_the_round_by_another_worker_is_refused_within_the_ttl(hot):
    assert _rate(hot).status_code == 201
    assert hot["client"].get("/r/T-2026/T.A0").status_code == 200
    removed = _elsewhere(hot, delete(round_agencies).where(round_agencies.c.agency_id == hot["agency"]))
    _after_ttl(removed)
    refused = _rate(hot)
    assert refused.status_code == 422 and "agency" in refused.json["errors"]
    assert hot["client"].get("/r/T-2026/T.A0").status_code == 404


def test_a_change_committed_by_this_worker_takes_effect_at_once(hot):
    assert _rate(hot).status_code == 201
    s = session_factory(hot["app"])()
    credentials.revoke(s.query(KioskDevice).one())
    s.commit()
    s.close()
    assert _rate(hot).status_code == 401  # no wait: this process's own commit cleared its copies


def test_kiosk_last_seen_is_written_once_a_minute_not_per_rating(hot):
    s = session_factory(hot["app"])()
    assert _rate(hot).status_code == 201
    first = s.query(KioskDevice).one().last_seen_at
    s.close()
    assert first is not None
    assert _rate(hot).status_code == 201
    s = session_factory(hot["app"])()
    assert s.query(KioskDevice).one().last_seen_at == first
    s.close()
