"""Small builders for test data (through the models, committed by the test)."""
from __future__ import annotations

from datetime import date, timedelta

from sipas.models import AdminMap, AdminUnit, Agency, AgencyKind, Level, Round, RoundStatus, ServicePoint


def make_round(session, *, profile: str = "SIPAS_2640", channels=("online", "kiosk", "paper_post", "import"),
               status: RoundStatus = RoundStatus.OPEN, code: str = "T-2026", agencies: int = 2) -> Round:
    """A province, `agencies` agencies with one service point each, and an open round."""
    province = AdminUnit(code="99", name="Tỉnh Thử", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
    session.add(province)
    made = []
    for i in range(agencies):
        agency = Agency(code=f"T.A{i}", name=f"Sở Thử {i}", kind=AgencyKind.DEPARTMENT, level=Level.PROVINCE,
                        unit=province)
        agency.service_points.append(ServicePoint(code=f"T.A{i}.MC", name=f"Một cửa {i}"))
        made.append(agency)
    rnd = Round(code=code, name="Thử", year=2026, method_version=profile, profile_key=profile,
                admin_map=AdminMap.NEW_34, jurisdiction=province, opens_on=min(date(2026, 1, 1), date.today()),
                closes_on=max(date(2026, 12, 31), date.today() + timedelta(days=30)), status=status, channels=list(channels), agencies=made)
    session.add(rnd)
    session.commit()
    return rnd
