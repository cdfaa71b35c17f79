"""A round records the fingerprint of its questionnaire profile file and refuses analysis once the file differs
(a profile with responses is never edited in place), on both databases."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

import surveys
from sipas.errors import ProfileInUse
from sipas.models import AdminMap, ResultSet, Round
from sipas.services.results.compute import compute_round

PROFILE_FILE = Path(surveys.__file__).parent / "profiles" / "SIPAS_2640.toml"


def _round(session, code: str, profile_key: str = "SIPAS_2640") -> Round:
    rnd = Round(code=code, name=code, year=2026, method_version="SIPAS_2640", profile_key=profile_key,
                admin_map=AdminMap.NEW_34)
    session.add(rnd)
    session.commit()
    return rnd


def test_a_new_round_records_the_sha256_of_its_profile_file(session):
    rnd = _round(session, "FP-1")
    session.expire_all()
    stored = session.scalar(select(Round.profile_fingerprint).where(Round.code == "FP-1"))
    # Computed here from the file's bytes, independently of the loader.
    assert stored == hashlib.sha256(PROFILE_FILE.read_bytes()).hexdigest()
    assert surveys.fingerprint(rnd.profile_key) == stored


def test_analysis_is_refused_when_the_profile_file_changed_since_the_round_was_created(session):
    rnd = _round(session, "FP-2")
    # As if SIPAS_2640.toml had been edited after the round began: the recorded fingerprint no longer matches.
    rnd.profile_fingerprint = hashlib.sha256(b"the profile as it was when the round began").hexdigest()
    session.commit()
    with pytest.raises(ProfileInUse, match="SIPAS_2640"):
        compute_round(session, rnd)
    assert session.scalar(select(func.count()).select_from(ResultSet).where(ResultSet.round_id == rnd.id)) == 0


def test_a_round_without_a_recorded_fingerprint_is_not_checked(session):
    rnd = _round(session, "FP-3")
    rnd.profile_fingerprint = None  # created before fingerprints were recorded (migration 0014 leaves NULL)
    session.commit()
    results = compute_round(session, rnd)
    assert results.round_code == "FP-3"
