"""Load the administrative maps (2025: 34 provinces; before: 63 provinces) and the old->new crosswalk.

Where the data comes from, and why two packages:
- The 2025 map (34 provinces, 3,321 commune-level units, official codes of QĐ 19/2025/QĐ-TTg) is taken
  from `vietnam-provinces` (data file `nested-divisions.json`), which carries the official new codes.
- The pre-2025 map (63 provinces, 696 districts, 10,035 communes) and the crosswalk from old communes to
  new ones come from `vietnamadminunits` (its `dataset.db` table `admin_units_legacy` and
  `converter_2025.json`). Its own 2025 table uses other codes, so the crosswalk is joined to the official
  codes by name; the import checks that both packages list the same 34 x 3,321 names (a cross-check of
  one source against the other) and refuses to load if they disagree.
Both are read as data files: the packages' address parsers are not needed.
"""
from __future__ import annotations

import functools
import json
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sipas.models import REORGANISATION_DATE, AdminMap, AdminUnit, Level, UnitSuccession

OLD_MAP_END = date(2025, 6, 30)
#: Tone marks only; vowel marks (breve, circumflex, horn) change the letter and are kept.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def name_key(name: str) -> str:
    """A key for a Vietnamese name that ignores where the tone mark sits ('Hoà' == 'Hòa') and case.

    Each syllable becomes its letters without the tone plus the tone itself, so 'Văn Lang' and
    'Văn Lăng' stay different while the two spellings of one tone placement compare equal.
    """
    parts = []
    # The sources differ in typography too: en dash vs hyphen, typographic vs straight apostrophe.
    name = name.replace("\u2013", "-").replace("\u2019", "'")
    for word in name.lower().split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(ch for ch in decomposed if ch in _TONES)
        base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
        parts.append(base + tones)
    return " ".join(parts)


@dataclass
class ImportReport:
    """What an import did, for the CLI to print."""

    counts: dict[str, int] = field(default_factory=dict)
    successions: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        out = [f"{k}: {v}" for k, v in self.counts.items()]
        out += [f"successions {k}: {v}" for k, v in self.successions.items()]
        if self.unmatched:
            out.append(f"old communes without a successor in the source: {len(self.unmatched)} "
                       f"({', '.join(self.unmatched[:5])}{'...' if len(self.unmatched) > 5 else ''})")
        return out


def _new_map_source() -> list[dict]:
    path = resources.files("vietnam_provinces") / "data" / "nested-divisions.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _legacy_source() -> tuple[sqlite3.Connection, dict]:
    base = resources.files("vietnamadminunits") / "data"
    conn = sqlite3.connect(f"file:{base / 'dataset.db'}?mode=ro", uri=True)
    crosswalk = json.loads((base / "converter_2025.json").read_text(encoding="utf-8"))
    return conn, crosswalk


def _existing(session: Session, admin_map: AdminMap, level: Level) -> dict[str, int]:
    rows = session.execute(select(AdminUnit.code, AdminUnit.id)
                           .where(AdminUnit.admin_map == admin_map, AdminUnit.level == level))
    return dict(rows.all())


def _upsert(session: Session, admin_map: AdminMap, level: Level, rows: Iterable[dict]) -> dict[str, int]:
    """Insert units not yet present (by map, level, code); return code -> id for the whole level."""
    existing = _existing(session, admin_map, level)
    new_rows = [dict(r, admin_map=admin_map, level=level) for r in rows if r["code"] not in existing]
    if new_rows:
        session.execute(insert(AdminUnit), new_rows)
    return _existing(session, admin_map, level)


def _division_type(name: str) -> str:
    for prefix in ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Tỉnh", "Huyện", "Quận", "Phường", "Xã"):
        if name.startswith(prefix):
            return prefix
    return ""


def import_new_map(session: Session) -> dict[tuple[int, str], str]:
    """Load the 2025 map; return {(province code, name key): commune code} for the crosswalk."""
    data = _new_map_source()
    # The package writes "Thành phố Hà Nội" but plain "Lai Châu": name provinces in full, as the old map does.
    provinces = _upsert(session, AdminMap.NEW_34, Level.PROVINCE, (
        {"code": f"{p['code']:02d}", "name": p["name"] if _division_type(p["name"]) else f"Tỉnh {p['name']}",
         "division_type": _division_type(p["name"]) or "Tỉnh", "valid_from": REORGANISATION_DATE} for p in data))
    communes, by_name = [], {}
    for p in data:
        for w in p["wards"]:
            code = f"{w['code']:05d}"
            communes.append({"code": code, "name": w["name"], "division_type": _division_type(w["name"]),
                             "parent_id": provinces[f"{p['code']:02d}"], "valid_from": REORGANISATION_DATE})
            by_name[(p["code"], name_key(w["name"]))] = code
    _upsert(session, AdminMap.NEW_34, Level.COMMUNE, communes)
    return by_name


def import_admin_maps(session: Session) -> ImportReport:
    """Load both maps and the crosswalk. Idempotent: units and links already present are kept."""
    report = ImportReport()
    new_by_name = import_new_map(session)
    conn, crosswalk = _legacy_source()
    try:
        new_key_to_code, new_province_code = _new_map_keys(conn, new_by_name)
        old = _import_old_map(session, conn)
    finally:
        conn.close()
    links = _province_links(session, crosswalk, new_province_code, old)
    n_province_links = len(links)
    covered = _commune_links(session, crosswalk, new_province_code, new_key_to_code, old, links)
    report.unmatched = sorted(k for k in old.commune_key_to_code if k not in covered)
    _store_links(session, links)
    report.counts = unit_counts(session)
    report.successions = {"provinces": n_province_links, "communes": len(links) - n_province_links}
    return report


def _new_map_keys(conn, new_by_name: dict[tuple[int, str], str]) -> tuple[dict[tuple[int, str], str], dict[str, int]]:
    """Cross-check the two packages' 2025 lists, and learn the key each package uses per commune and province."""
    new_key_to_code: dict[tuple[int, str], str] = {}
    new_province_code: dict[str, int] = {}
    for pkey, pcode, wkey, wname in conn.execute("SELECT provinceKey, provinceCode, wardKey, ward FROM admin_units"):
        new_province_code[pkey] = int(pcode)
        code = new_by_name.get((int(pcode), name_key(wname)))
        if code is None:
            raise ValueError(f"the two map sources disagree: {wname!r} (province {pcode}) is not in "
                             "vietnam-provinces")
        new_key_to_code[(int(pcode), wkey)] = code
    if len(set(new_key_to_code.values())) != len(new_by_name):
        raise ValueError("the two map sources list different numbers of 2025 communes")
    return new_key_to_code, new_province_code


@dataclass
class _OldMap:
    """The 63-province map as stored: unit ids by code, and the legacy package's keys to codes."""

    provinces: dict[str, int]
    province_key: dict[str, str]
    communes: dict[str, int]
    commune_key_to_code: dict[str, str]


def _import_old_map(session: Session, conn) -> _OldMap:
    rows = conn.execute("SELECT DISTINCT provinceCode, province, provinceKey FROM admin_units_legacy").fetchall()
    old_provinces = _upsert(session, AdminMap.HISTORICAL_63, Level.PROVINCE, (
        {"code": c, "name": n, "division_type": _division_type(n), "valid_to": OLD_MAP_END} for c, n, _ in rows))
    old_province_key = {k: c for c, _, k in rows}
    rows = conn.execute("SELECT DISTINCT provinceCode, districtCode, district FROM admin_units_legacy").fetchall()
    districts = _upsert(session, AdminMap.HISTORICAL_63, Level.DISTRICT, (
        {"code": d, "name": n, "division_type": _division_type(n), "parent_id": old_provinces[p],
         "valid_to": OLD_MAP_END} for p, d, n in rows))
    # Island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) have no commune rows.
    rows = conn.execute("SELECT districtCode, wardCode, ward, provinceKey, districtKey, wardKey "
                        "FROM admin_units_legacy WHERE wardCode IS NOT NULL").fetchall()
    old_communes = _upsert(session, AdminMap.HISTORICAL_63, Level.COMMUNE, (
        {"code": w, "name": n, "division_type": _division_type(n), "parent_id": districts[d],
         "valid_to": OLD_MAP_END} for d, w, n, *_ in rows))
    old_key_to_code = {f"{pk}_{dk}_{wk}": w for _, w, _, pk, dk, wk in rows}
    return _OldMap(old_provinces, old_province_key, old_communes, old_key_to_code)


def _province_links(session: Session, crosswalk: dict, new_province_code: dict[str, int],
                    old: _OldMap) -> dict[tuple[int, int], dict]:
    new_provinces = _existing(session, AdminMap.NEW_34, Level.PROVINCE)
    links: dict[tuple[int, int], dict] = {}
    for new_pkey, old_pkeys in crosswalk["DICT_PROVINCE"].items():
        successor = new_provinces[f"{new_province_code[new_pkey]:02d}"]
        for old_pkey in old_pkeys:
            # Every old province went whole into one new province in 2025.
            links[(old.provinces[old.province_key[old_pkey]], successor)] = {"share": 1.0, "is_primary": True}
    return links


def _commune_links(session: Session, crosswalk: dict, new_province_code: dict[str, int],
                   new_key_to_code: dict[tuple[int, str], str], old: _OldMap,
                   links: dict[tuple[int, int], dict]) -> set[str]:
    """Add the communes' links to `links`; return the old commune keys the crosswalk covers."""
    new_communes = _existing(session, AdminMap.NEW_34, Level.COMMUNE)
    old_code = old.commune_key_to_code
    covered = set()
    for new_pkey, wards in crosswalk["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        pcode = new_province_code[new_pkey]
        for new_wkey, old_keys in wards.items():
            successor = new_communes[new_key_to_code[(pcode, new_wkey)]]
            for old_key in old_keys:
                if old_key in old_code:
                    links[(old.communes[old_code[old_key]], successor)] = {"share": 1.0, "is_primary": True}
                    covered.add(old_key)
    for new_pkey, olds in crosswalk["DICT_PROVINCE_WARD_DIVIDED"].items():
        pcode = new_province_code[new_pkey]
        for old_key, targets in olds.items():
            if old_key not in old_code:
                continue
            covered.add(old_key)
            # The source names the successors of a split commune but not the split itself:
            # equal shares are an assumption, and the source's default successor is marked primary.
            for t in targets:
                successor = new_communes[new_key_to_code[(pcode, t["newWardKey"])]]
                links[(old.communes[old_code[old_key]], successor)] = {
                    "share": 1.0 / len(targets), "is_primary": bool(t["isDefaultNewWard"])}
    return covered


def _store_links(session: Session, links: dict[tuple[int, int], dict]) -> None:
    existing_links = set(session.execute(select(UnitSuccession.predecessor_id, UnitSuccession.successor_id)).all())
    new_links = [{"predecessor_id": p, "successor_id": s, "effective_on": REORGANISATION_DATE, **v}
                 for (p, s), v in links.items() if (p, s) not in existing_links]
    for start in range(0, len(new_links), 5000):
        session.execute(insert(UnitSuccession), new_links[start:start + 5000])
    session.flush()


def unit_counts(session: Session) -> dict[str, int]:
    """Number of units per map and level, e.g. {'new_34/province': 34, ...}."""
    rows = session.execute(select(AdminUnit.admin_map, AdminUnit.level, func.count())
                           .group_by(AdminUnit.admin_map, AdminUnit.level)).all()
    return {f"{m.value}/{lv.value}": n for m, lv, n in sorted(rows, key=lambda r: (r[0].value, r[1].value))}


def successors(session: Session, unit: AdminUnit) -> list[tuple[AdminUnit, float | None]]:
    """The units that took over `unit`, with shares."""
    rows = session.execute(select(AdminUnit, UnitSuccession.share)
                           .join(UnitSuccession, UnitSuccession.successor_id == AdminUnit.id)
                           .where(UnitSuccession.predecessor_id == unit.id).order_by(AdminUnit.code)).all()
    return [(u, s) for u, s in rows]



@functools.lru_cache(maxsize=2)
def map_codes(admin_map: str) -> tuple[dict[str, str], dict[str, str]]:
    """Official codes of one map straight from the source packages (no database): province code -> name,
    and commune code -> its province code. Used to read `unit_code` in a file analysed without a database."""
    if admin_map == AdminMap.NEW_34.value:
        data = _new_map_source()
        provinces = {f"{p['code']:02d}": p["name"] if _division_type(p["name"]) else f"Tỉnh {p['name']}"
                     for p in data}
        communes = {f"{w['code']:05d}": f"{p['code']:02d}" for p in data for w in p["wards"]}
        return provinces, communes
    if admin_map == AdminMap.HISTORICAL_63.value:
        conn, _ = _legacy_source()
        try:
            provinces = dict(conn.execute("SELECT DISTINCT provinceCode, province FROM admin_units_legacy"))
            communes = dict(conn.execute("SELECT wardCode, provinceCode FROM admin_units_legacy "
                                         "WHERE wardCode IS NOT NULL"))
        finally:
            conn.close()
        return provinces, communes
    raise ValueError(f"unknown map {admin_map!r} (new_34 or historical_63)")


def province_of(session: Session, unit_ids: Iterable[int]) -> dict[int, AdminUnit]:
    """The province each unit lies in (a province is its own), by unit id, walking up the parents."""
    out: dict[int, AdminUnit] = {}
    for uid in set(unit_ids):
        unit = session.get(AdminUnit, uid)
        while unit is not None and unit.level is not Level.PROVINCE:
            unit = unit.parent
        if unit is not None:
            out[uid] = unit
    return out


def successor_on_new_map(session: Session, unit: AdminUnit) -> AdminUnit | None:
    """The unit of the 2025 map that took `unit` over: for a split commune, the successor the source names as
    the default one (`is_primary`; then the largest share, then the lowest code). None when there is no link."""
    row = session.execute(select(AdminUnit).join(UnitSuccession, UnitSuccession.successor_id == AdminUnit.id)
                          .where(UnitSuccession.predecessor_id == unit.id, AdminUnit.admin_map == AdminMap.NEW_34)
                          .order_by(UnitSuccession.is_primary.desc(), UnitSuccession.share.desc(), AdminUnit.code)
                          .limit(1)).scalar_one_or_none()
    return row


def new_map_province_of(session: Session, unit_ids: Iterable[int]) -> dict[int, AdminUnit]:
    """The 2025-map province of each unit, by unit id, through the crosswalk.

    A unit already on the new map gives its own province. An old commune goes to its (primary) successor
    commune and that commune's province; an old district or province to the successor of its old province
    (every old province went whole into one new province, so the province of a response never depends on how
    a split commune is divided: the successors of a split commune all lie in the same new province).
    Units without a link are left out.
    """
    out: dict[int, AdminUnit] = {}
    for uid in set(unit_ids):
        unit = session.get(AdminUnit, uid)
        if unit is None:
            continue
        if unit.admin_map is AdminMap.NEW_34:
            found = province_of(session, [uid])
            if uid in found:
                out[uid] = found[uid]
            continue
        if unit.level is Level.COMMUNE:
            new = successor_on_new_map(session, unit)
            if new is not None and new.parent is not None:
                out[uid] = new.parent
                continue
        old_province = province_of(session, [uid]).get(uid)
        new_province = successor_on_new_map(session, old_province) if old_province is not None else None
        if new_province is not None:
            out[uid] = new_province
    return out


#: The levels of administration each map has: districts ended with the 2025 reorganisation.
MAP_LEVELS = {AdminMap.HISTORICAL_63: frozenset(Level), AdminMap.NEW_34: frozenset({Level.PROVINCE, Level.COMMUNE})}

#: Answer options that name a level of administration, as (scale key, value): a questionnaire offers one only
#: on a round whose map has that level (no "Cấp huyện" on a new_34 round).
LEVEL_OPTIONS = {("agency_level", 2): Level.DISTRICT}


def offered_on_map(scale_key: str, value: int, admin_map: AdminMap) -> bool:
    """Whether an option of a scale exists on a round's map (options naming no level always do)."""
    level = LEVEL_OPTIONS.get((scale_key, value))
    return level is None or level in MAP_LEVELS[AdminMap(admin_map)]
