"""The administrative maps and the 2025 crosswalk load from the PyPI packages with the right counts."""
from __future__ import annotations

import math

import pytest
from sqlalchemy import case, func, select

from sipas.models import AdminMap, AdminUnit, Level, UnitSuccession
from sipas.services.units import import_admin_maps, name_key, successors, unit_counts


def _unit(session, admin_map, level, code):
    return session.scalars(select(AdminUnit).where(AdminUnit.admin_map == admin_map, AdminUnit.level == level,
                                                   AdminUnit.code == code)).one()


def test_name_key_ignores_tone_placement_but_not_letters():
    assert name_key("Xã Hoà An") == name_key("Xã Hòa An")
    assert name_key("Xã Thanh Thuỷ") == name_key("Xã Thanh Thủy")
    assert name_key("Xã Văn Lang") != name_key("Xã Văn Lăng")
    assert name_key("Xã Chân Mây – Lăng Cô") == name_key("Xã Chân Mây - Lăng Cô")


def test_import_loads_both_maps_with_official_counts(session):
    report = import_admin_maps(session)
    session.commit()
    # 2025: 34 provinces, 3,321 commune-level units (docs/methodology.md, "The 2025 reorganisation").
    # Before: 63 provinces; 696 districts and 10,035 communes as listed by vietnamadminunits.
    assert unit_counts(session) == {"historical_63/commune": 10035, "historical_63/district": 696,
                                    "historical_63/province": 63, "new_34/commune": 3321, "new_34/province": 34}
    assert report.unmatched == []
    assert report.successions["provinces"] == 63
    # Every old commune has a successor, and every old province exactly one.
    old_communes_linked = session.scalar(
        select(func.count(func.distinct(UnitSuccession.predecessor_id))).join(
            AdminUnit, AdminUnit.id == UnitSuccession.predecessor_id).where(AdminUnit.level == Level.COMMUNE))
    assert old_communes_linked == 10035


def test_crosswalk_follows_the_2025_mergers(session):
    import_admin_maps(session)
    lai_chau_old = _unit(session, AdminMap.HISTORICAL_63, Level.PROVINCE, "12")
    [(lai_chau_new, share)] = successors(session, lai_chau_old)
    assert (lai_chau_new.admin_map, lai_chau_new.name, share) == (AdminMap.NEW_34, "Tỉnh Lai Châu", 1.0)
    # Bình Dương (74) and Bà Rịa - Vũng Tàu (77) went into TP Hồ Chí Minh (79).
    for old in ("74", "77", "79"):
        [(new, _)] = successors(session, _unit(session, AdminMap.HISTORICAL_63, Level.PROVINCE, old))
        assert new.code == "79"
    # Hải Dương (30) merged into Hải Phòng (31).
    [(new, _)] = successors(session, _unit(session, AdminMap.HISTORICAL_63, Level.PROVINCE, "30"))
    assert new.code == "31"
    # Eleven provinces were unchanged; each is its own only predecessor.
    merged_into = session.execute(select(UnitSuccession.successor_id, func.count()).join(
        AdminUnit, AdminUnit.id == UnitSuccession.predecessor_id).where(AdminUnit.level == Level.PROVINCE)
        .group_by(UnitSuccession.successor_id)).all()
    assert sum(1 for _, n in merged_into if n == 1) == 11


def test_shares_of_a_split_commune_sum_to_one(session):
    import_admin_maps(session)
    rows = session.execute(select(UnitSuccession.predecessor_id, func.sum(UnitSuccession.share), func.count(),
                                  func.sum(case((UnitSuccession.is_primary, 1), else_=0)))
                           .group_by(UnitSuccession.predecessor_id)).all()
    split = [r for r in rows if r[2] > 1]
    assert len(split) > 400  # the source lists 471 communes split between several new ones
    assert all(math.isclose(total, 1.0) for _, total, _, _ in rows)
    assert all(primary == 1 for *_, primary in split)


def test_import_is_idempotent(session):
    import_admin_maps(session)
    first = unit_counts(session), session.scalar(select(func.count()).select_from(UnitSuccession))
    import_admin_maps(session)
    assert (unit_counts(session), session.scalar(select(func.count()).select_from(UnitSuccession))) == first


def test_new_map_has_no_districts(session):
    import_admin_maps(session)
    hanoi = _unit(session, AdminMap.NEW_34, Level.PROVINCE, "01")
    assert hanoi.name == "Thành phố Hà Nội" and hanoi.valid_from.isoformat() == "2025-07-01"
    from sqlalchemy.exc import IntegrityError
    session.add(AdminUnit(code="999", name="Huyện X", admin_map=AdminMap.NEW_34, level=Level.DISTRICT))
    with pytest.raises(IntegrityError):
        session.flush()
