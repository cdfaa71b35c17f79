"""Demo data: Lai Châu (unchanged by the 2025 merger, so it shows both maps) with three SIPAS rounds.

LCU-2021 uses the old five-factor method (SIPAS_2640); LCU-2024 and LCU-2026 use the method in force since the
2022 measurement (SIPAS_1001: a policy part A and a service part B), so the demo shows the method break between
2021 and 2024 as well as the map change between 2024 and 2026.

The responses are synthetic but drawn from a realistic design: strata = administrative level,
PSU = an interviewing day at an office (site x day clusters, as docs/statistics.md §12 recommends; 10 days
per office at province and district level, 6 at commune level), weights = dossiers handled at the
office / forms collected there
(so they differ between offices), office effects on the logit scale (clustering), some missing
answers. Factor indices come out roughly 75-92, as published SIPAS figures do.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import surveys
from sipas.models import (
    AdminMap,
    AdminUnit,
    Agency,
    AgencyKind,
    AgencySuccession,
    Answer,
    Channel,
    Level,
    Response,
    Role,
    Round,
    RoundStatus,
    ServicePoint,
    User,
)
from sipas.services import accounts
from sipas.services.responses import content_hash
from sipas.services.results.freshness import mark_changed
from sipas.services.units import import_admin_maps

PROVINCE_CODE = "12"  # Lai Châu: the same code on both maps
DEMO_PASSWORD = "demo-sipas-2026"
DEPARTMENT_MERGER = date(2025, 3, 1)  # provincial departments were merged from 1 March 2025

#: (code, Vietnamese name, English name, successor code on 1 March 2025 or None if it continues)
DEPARTMENTS_2024 = [
    ("SNV", "Sở Nội vụ", "Department of Home Affairs", None),
    ("STP", "Sở Tư pháp", "Department of Justice", None),
    ("STC", "Sở Tài chính", "Department of Finance", None),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "Department of Planning and Investment", "STC"),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade", None),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development",
     "SNNMT"),
    ("STNMT", "Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment", "SNNMT"),
    ("SGTVT", "Sở Giao thông vận tải", "Department of Transport", "SXD"),
    ("SXD", "Sở Xây dựng", "Department of Construction", None),
    ("STTTT", "Sở Thông tin và Truyền thông", "Department of Information and Communications", "SKHCN"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology", None),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "Department of Labour, Invalids and Social Affairs", "SNV"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training", None),
    ("SYT", "Sở Y tế", "Department of Health", None),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism", None),
    ("BDT", "Ban Dân tộc", "Ethnic Affairs Committee", "SDTTG"),
]
NEW_DEPARTMENTS_2025 = [
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
]
#: Logit of the share satisfied per factor (about 87, 84, 88, 90, 79 %), before office effects.
FACTOR_BASE = {"F1": 1.9, "F2": 1.65, "F3": 2.0, "F4": 2.2, "F5": 1.35}
#: Logit of the share satisfied with a public policy (part A of SIPAS_1001): policy is usually rated below services.
POLICY_BASE = 1.25
#: Shift (logit) of a round's satisfaction: services improve slowly over the years.
YEAR_SHIFT = {2021: -0.1, 2024: 0.0, 2026: 0.15}


@dataclass
class DemoSummary:
    """What the demo loader created."""

    rounds: dict[str, int]
    users: list[tuple[str, str]]


def demo_loaded(session: Session) -> bool:
    """True when the demo rounds exist."""
    return bool(session.scalar(select(func.count()).select_from(Round).where(Round.code.like("LCU-%"))))


def load_demo(session: Session, *, scale: float = 1.0, seed: int = 20261121) -> DemoSummary:
    """Load the map, Lai Châu's agencies, three rounds with synthetic responses, and demo users."""
    if session.scalar(select(func.count()).select_from(AdminUnit)) == 0:
        import_admin_maps(session)
    rng = np.random.default_rng(seed)
    old_prov = _unit(session, AdminMap.HISTORICAL_63, Level.PROVINCE, PROVINCE_CODE)
    new_prov = _unit(session, AdminMap.NEW_34, Level.PROVINCE, PROVINCE_CODE)
    demo = _DemoAgencies(session, rng)
    demo.add_province(old_prov)
    demo.add_local(old_prov, new_prov)
    session.flush()
    surveyor, users = _demo_users(session, new_prov, demo.agencies["STP"])
    rounds = _demo_rounds(demo, old_prov, new_prov)
    session.add_all(rounds)
    session.flush()

    counts = {}
    per_office = {Level.PROVINCE: 60, Level.DISTRICT: 120, Level.COMMUNE: 50}
    *sampled_rounds, kiosk_2026 = rounds
    for rnd in sampled_rounds:
        offices = [(a, a.service_points[0], max(8, int(per_office[a.level] * scale))) for a in rnd.agencies]
        channels = ([Channel.PAPER_POST, Channel.PAPER_DIRECT, Channel.INTERVIEW] if rnd.year < 2026
                    else [Channel.PAPER_POST, Channel.PAPER_DIRECT, Channel.INVITATION])
        counts[rnd.code] = _generate(session, rng, rnd, offices, channels, rnd.year, surveyor.id, sampled=True)
    kiosk_offices = [(a, a.service_points[0], max(3, int(12 * scale))) for a in kiosk_2026.agencies]
    counts[kiosk_2026.code] = _generate(session, rng, kiosk_2026, kiosk_offices, [Channel.KIOSK], 2026, None,
                                        sampled=False)
    session.flush()
    return DemoSummary(counts, users)


class _DemoAgencies:
    """Lai Châu's demo agencies with one service point each, added in a fixed order (the office sizes are drawn
    from the demo's random generator as they are added)."""

    def __init__(self, session: Session, rng: np.random.Generator):
        self.session, self.rng = session, rng
        self.agencies: dict[str, Agency] = {}
        self.districts: list[Agency] = []
        self.old_communes: list[Agency] = []
        self.new_communes: list[Agency] = []

    def add(self, code, name, name_en, kind, level, unit, valid_from=None, valid_to=None, parent=None) -> Agency:
        agency = Agency(code=f"LCU.{code}", name=name, name_en=name_en, kind=kind, level=level, unit=unit,
                        valid_from=valid_from, valid_to=valid_to, parent=parent)
        self.session.add(agency)
        size = int(self.rng.lognormal(np.log(4000 if level is Level.PROVINCE else 1500), 0.8))
        where = "tại Trung tâm Phục vụ hành chính công tỉnh" if kind is AgencyKind.DEPARTMENT else ""
        self.session.add(ServicePoint(code=f"LCU.{code}.MC", name=f"Bộ phận một cửa - {name} {where}".strip(),
                                      agency=agency, annual_dossiers=size))
        self.agencies[code] = agency
        return agency

    def add_province(self, old_prov: AdminUnit) -> None:
        """The service centre and the departments, before and after the 2025 merger (with its successions)."""
        self.centre = self.add("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh Lai Châu",
                               "Lai Châu Public Administration Service Centre", AgencyKind.SERVICE_CENTRE,
                               Level.PROVINCE, old_prov)
        for code, vi, en, successor in DEPARTMENTS_2024:
            self.add(code, vi, en, AgencyKind.DEPARTMENT, Level.PROVINCE, old_prov,
                     valid_to=DEPARTMENT_MERGER - timedelta(days=1) if successor else None)
        for code, vi, en in NEW_DEPARTMENTS_2025:
            self.add(code, vi, en, AgencyKind.DEPARTMENT, Level.PROVINCE, old_prov, valid_from=DEPARTMENT_MERGER)
        self.session.flush()
        for code, _, _, successor in DEPARTMENTS_2024:
            if successor:
                self.session.add(AgencySuccession(predecessor_id=self.agencies[code].id,
                                                  successor_id=self.agencies[successor].id, share=1.0,
                                                  effective_on=DEPARTMENT_MERGER))

    def add_local(self, old_prov: AdminUnit, new_prov: AdminUnit) -> None:
        """People's committees: districts and three communes each on the old map, every commune on the new."""
        session = self.session
        districts = session.scalars(select(AdminUnit).where(AdminUnit.parent_id == old_prov.id)
                                    .order_by(AdminUnit.code)).all()
        old_communes_by_district = {d.id: session.scalars(select(AdminUnit).where(AdminUnit.parent_id == d.id)
                                                          .order_by(AdminUnit.code)).all() for d in districts}
        end_old = date(2025, 6, 30)
        for d in districts:
            self.districts.append(self.add(f"UBH.{d.code}", f"UBND {d.name}", f"People's Committee of {d.name}",
                                           AgencyKind.PEOPLES_COMMITTEE, Level.DISTRICT, d, valid_to=end_old))
            for c in old_communes_by_district[d.id][:3]:  # three communes per district in the 2024 sample
                self.old_communes.append(self.add(f"UBX.{c.code}", f"UBND {c.name} ({d.name})",
                                                  f"People's Committee of {c.name}", AgencyKind.PEOPLES_COMMITTEE,
                                                  Level.COMMUNE, c, valid_to=end_old))
        new_communes = session.scalars(select(AdminUnit).where(AdminUnit.parent_id == new_prov.id)
                                       .order_by(AdminUnit.code)).all()
        self.new_communes = [self.add(f"UBX25.{c.code}", f"UBND {c.name}", f"People's Committee of {c.name}",
                                      AgencyKind.PEOPLES_COMMITTEE, Level.COMMUNE, c, valid_from=date(2025, 7, 1))
                             for c in new_communes]


def _demo_users(session: Session, new_prov: AdminUnit, stp: Agency) -> tuple[User, list[tuple[str, str]]]:
    """The demo accounts (one per role; the manager's agency is the Department of Justice)."""
    surveyor = accounts.create_user(session, "surveyor", DEMO_PASSWORD, [Role.SURVEYOR], full_name="Điều tra viên",
                                    unit_id=new_prov.id)
    users = [("admin", "admin"), ("analyst", "analyst"), ("manager", "agency_manager (Sở Tư pháp)"),
             ("surveyor", "surveyor"), ("verifier", "verifier")]
    accounts.create_user(session, "admin", DEMO_PASSWORD, [Role.ADMIN], full_name="Quản trị Sở Nội vụ",
                         unit_id=new_prov.id)
    accounts.create_user(session, "analyst", DEMO_PASSWORD, [Role.ANALYST], full_name="Chuyên viên phân tích",
                         unit_id=new_prov.id)
    accounts.create_user(session, "manager", DEMO_PASSWORD, [Role.AGENCY_MANAGER], full_name="Lãnh đạo Sở Tư pháp",
                         unit_id=new_prov.id, agency_id=stp.id)
    accounts.create_user(session, "verifier", DEMO_PASSWORD, [Role.VERIFIER], full_name="Kiểm tra viên",
                         unit_id=new_prov.id)
    return surveyor, users


def _demo_rounds(demo: _DemoAgencies, old_prov: AdminUnit, new_prov: AdminUnit) -> list[Round]:
    """LCU-2021, LCU-2024 (old map), LCU-2026 (new map, open) and the 2026 kiosk ratings, in that order."""
    agencies = demo.agencies
    design = {"stratum": "level", "psu": "service point x interviewing day",
              "weights": "dossiers handled at the office / forms collected there"}
    continuing = [agencies[c] for c, *_ in DEPARTMENTS_2024]
    old_map_agencies = [demo.centre, *continuing, *demo.districts, *demo.old_communes]
    round_2021 = Round(code="LCU-2021", name="SIPAS 2021 tỉnh Lai Châu", year=2021, method_version="SIPAS_2640",
                       profile_key="SIPAS_2640", admin_map=AdminMap.HISTORICAL_63, jurisdiction=old_prov,
                       opens_on=date(2021, 9, 1), closes_on=date(2021, 11, 30), status=RoundStatus.CLOSED,
                       channels=[Channel.PAPER_POST.value, Channel.PAPER_DIRECT.value, Channel.INTERVIEW.value],
                       design=design, agencies=old_map_agencies)
    round_2024 = Round(code="LCU-2024", name="SIPAS 2024 tỉnh Lai Châu", year=2024, method_version="SIPAS_1001",
                       profile_key="SIPAS_1001", admin_map=AdminMap.HISTORICAL_63, jurisdiction=old_prov,
                       opens_on=date(2024, 9, 1), closes_on=date(2024, 11, 30), status=RoundStatus.CLOSED,
                       channels=[Channel.PAPER_POST.value, Channel.PAPER_DIRECT.value, Channel.INTERVIEW.value],
                       design=design, agencies=old_map_agencies)
    depts_2026 = [a for c, a in agencies.items() if c in {d[0] for d in DEPARTMENTS_2024 if d[3] is None}
                  or c in {d[0] for d in NEW_DEPARTMENTS_2025}]
    round_2026 = Round(code="LCU-2026", name="SIPAS 2026 tỉnh Lai Châu", year=2026, method_version="SIPAS_1001",
                       profile_key="SIPAS_1001", admin_map=AdminMap.NEW_34, jurisdiction=new_prov,
                       opens_on=date(2026, 9, 1), closes_on=date(2026, 12, 31), status=RoundStatus.OPEN,
                       channels=[Channel.PAPER_POST.value, Channel.PAPER_DIRECT.value, Channel.INVITATION.value,
                                 Channel.ONLINE.value],
                       design=design, agencies=[demo.centre, *depts_2026, *demo.new_communes])
    kiosk_2026 = Round(code="LCU-KIOSK-2026", name="Đánh giá tại quầy 2026 tỉnh Lai Châu", year=2026,
                       method_version="KIOSK_RT", profile_key="KIOSK_RT", admin_map=AdminMap.NEW_34,
                       jurisdiction=new_prov, opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31),
                       status=RoundStatus.OPEN, channels=[Channel.KIOSK.value, Channel.ONLINE.value],
                       design={"stratum": None, "psu": None, "weights": "none (self-selected ratings)"},
                       agencies=[demo.centre, *depts_2026, *demo.new_communes])
    return [round_2021, round_2024, round_2026, kiosk_2026]


def _unit(session: Session, admin_map: AdminMap, level: Level, code: str) -> AdminUnit:
    return session.scalars(select(AdminUnit).where(AdminUnit.admin_map == admin_map, AdminUnit.level == level,
                                                   AdminUnit.code == code)).one()


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _generate(session: Session, rng: np.random.Generator, rnd: Round, offices, channels, year: int,
              surveyor_id: int | None, *, sampled: bool) -> int:
    """Draw responses office by office and bulk-insert them with their answers."""
    profile = surveys.load(rnd.profile_key)
    kinds = ({i.code for i in profile.items}, [i.code for i in profile.items if i.kind == "policy_satisfaction"],
             [i.code for i in profile.items if i.kind == "policy_assessment"])
    level_shift = {Level.PROVINCE: 0.0, Level.DISTRICT: -0.1, Level.COMMUNE: 0.15}
    year_shift = YEAR_SHIFT.get(year, 0.0)
    start = datetime.combine(rnd.opens_on or date(year, 1, 1), time(8), tzinfo=timezone.utc)
    response_rows, answer_rows = [], []
    for agency, point, n in offices:
        office_effect = rng.normal(0, 0.35) + level_shift[agency.level] + year_shift + rng.normal(0, 0.25)
        weight = (point.annual_dossiers or 1000) / n if sampled else 1.0
        n_days = 6 if agency.level is Level.COMMUNE else 10
        day_effects = rng.normal(0, 0.2, n_days)
        for _ in range(n):
            day = int(rng.integers(n_days))
            person = rng.normal(0, 0.9) + day_effects[day]
            answers = _draw_answers(rng, profile, kinds, office_effect, person, agency.level)
            channel = channels[int(rng.integers(len(channels)))]
            rid = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            submitted = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 80)))
            response_rows.append({
                "uuid": rid, "round_id": rnd.id, "agency_id": agency.id, "service_point_id": point.id,
                "channel": channel, "profile_key": rnd.profile_key, "submitted_at": submitted,
                "received_at": submitted + timedelta(days=int(rng.integers(0, 10))),
                "stratum": agency.level.value if sampled else None,
                "psu": f"{point.code}/D{day + 1:02d}" if sampled else None,
                "weight": weight, "entered_by_id": surveyor_id if channel in (Channel.PAPER_POST,
                                                                               Channel.PAPER_DIRECT) else None,
                "content_hash": content_hash({"round": rnd.code, "agency": agency.code, "answers": answers})})
            answer_rows.append(answers)
    return insert_responses(session, rnd, response_rows, answer_rows)


def _draw_answers(rng: np.random.Generator, profile: surveys.Profile, kinds: tuple[set, list, list],
                  office_effect: float, person: float, level: Level) -> dict[str, int]:
    """One respondent's answers, given the office's and the person's effect on satisfaction; `kinds`: the
    profile's item codes, its policy satisfaction and its policy assessment items."""
    codes, policy, policy_assessment = kinds
    answers = _policy_answers(rng, policy, policy_assessment, office_effect + person)
    for f, base in FACTOR_BASE.items():
        sat_code = f"S{f[1]}"
        p_sat = _expit(base + office_effect + person)
        if sat_code in codes and rng.random() > (0.10 if f == "F5" else 0.03):
            if rng.random() < p_sat:
                answers[sat_code] = 5 if rng.random() < 0.35 else 4
            else:
                answers[sat_code] = int(rng.choice([3, 2, 1], p=[0.7, 0.22, 0.08]))
        for item in profile.factor_items(f):
            if rng.random() < 0.05:
                continue  # "Không biết, không trả lời"
            answers[item.code] = int(rng.random() < _expit(base + 0.3 + 0.8 * (office_effect + person)))
    # A required S0 (the kiosk's one question) is never skipped: the kiosk cannot send a rating without it.
    if "S0" in codes and (rng.random() > 0.02 or profile.item("S0").required):
        p0 = _expit(1.8 + office_effect + person)
        answers["S0"] = (5 if rng.random() < 0.35 else 4) if rng.random() < p0 else int(
            rng.choice([3, 2, 1], p=[0.7, 0.22, 0.08]))
    block = profile.block_items("X") if profile.blocks else []
    if block and rng.random() > 0.08:
        k = int(rng.integers(1, 4))
        chosen = set(rng.choice(len(block), size=k, replace=False, p=_expectation_p(len(block))))
        answers.update({item.code: int(j in chosen) for j, item in enumerate(block)})
    if "B1" in codes:
        answers["B1"] = int(rng.choice([1, 2, 3], p=[0.74, 0.19, 0.07]))
        answers["B3"] = int(rng.random() < 0.03)
        answers["B4"] = int(rng.random() < 0.08)
    if "B2" in codes:
        answers["B2"] = int(rng.choice([1, 2, 3], p=[0.92, 0.06, 0.02]))
    if "R1" in codes:
        answers.update(_respondent(rng, level))
    return answers


def insert_responses(session: Session, rnd: Round, response_rows: list[dict], answer_rows: list[dict]) -> int:
    """Bulk-insert synthetic responses and their answers (answer_rows[i] belongs to response_rows[i]);
    returns how many. The results are computed by the job runner after the commit, never by a page."""
    session.execute(insert(Response), response_rows)
    ids = dict(session.execute(select(Response.uuid, Response.id).where(Response.round_id == rnd.id)).all())
    rows = [{"response_id": ids[r["uuid"]], "item_code": c, "value": v}
            for r, answers in zip(response_rows, answer_rows) for c, v in answers.items()]
    for i in range(0, len(rows), 20000):
        session.execute(insert(Answer), rows[i:i + 20000])
    mark_changed(session, rnd.id)
    return len(response_rows)


def _policy_answers(rng: np.random.Generator, policy: list[str], assessment: list[str],
                    effect: float) -> dict[str, int]:
    """Part A of SIPAS_1001 (none for the older profiles): satisfaction with each policy group (1-5, a few
    left unanswered) and the yes/no assessments behind it."""
    answers: dict[str, int] = {}
    for code in policy:
        if rng.random() < 0.06:
            continue
        if rng.random() < _expit(POLICY_BASE + effect):
            answers[code] = 5 if rng.random() < 0.3 else 4
        else:
            answers[code] = int(rng.choice([3, 2, 1], p=[0.7, 0.22, 0.08]))
    for code in assessment:
        if rng.random() > 0.05:
            answers[code] = int(rng.random() < _expit(1.0 + 0.8 * effect))
    return answers


def _expectation_p(n: int) -> np.ndarray:
    weights = np.array([2, 1, 6, 5, 4, 3, 3, 4, 2, 2][:n], dtype=float)
    return weights / weights.sum()


def _respondent(rng: np.random.Generator, level: Level) -> dict[str, int]:
    return {
        "R1": 1 if rng.random() < 0.9 else 2,
        "R2": int(rng.choice([1, 2, 3], p=[0.52, 0.47, 0.01])),
        "R3": int(rng.choice([1, 2, 3, 4, 5], p=[0.12, 0.3, 0.28, 0.22, 0.08])),
        "R4": 1 if rng.random() < 0.35 else 2,  # Lai Châu: most residents are not Kinh
        "R5": int(rng.choice([1, 2, 3, 4, 5], p=[0.25, 0.3, 0.25, 0.17, 0.03])),
        "R6": int(rng.choice(range(1, 8), p=[0.45, 0.08, 0.15, 0.12, 0.03, 0.05, 0.12])),
        "R7": int(rng.choice(range(1, 7), p=[0.3, 0.12, 0.25, 0.1, 0.1, 0.13])),
        "R8": {Level.PROVINCE: 1, Level.DISTRICT: 2, Level.COMMUNE: 3}[level],
        "R9": int(rng.choice([1, 2, 3], p=[0.8, 0.05, 0.15])),
    }
