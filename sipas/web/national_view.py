"""The pages of a national round: the league table of the provinces and a province's page.

Everything shown comes from the national publication service (sipas/services/national.py) over the stored
results: the same figures as the "Theo tỉnh" sheet and the publication JSON. Nothing is computed here beyond
laying the figures out.
"""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import surveys
from sipas import words
from sipas.models import AdminUnit, Level, Round
from sipas.results import GroupResult, RankResult
from sipas.services import national
from sipas.services.national import NationalPublication, ProvinceLine
from sipas.services.results.view import PUBLISHED, Shown
from sipas.services.scope import sees_province_page
from sipas.web.authz import current_scope
from sipas.web.charts import Point, interval_chart, trend_chart

PARTS = ("SIPAS", "PART_A", "PART_B")


def is_national(rnd: Round, seen: Shown) -> bool:
    """A round of the whole country whose stored results are grouped by province: it has a league table."""
    return rnd.jurisdiction_id is None and seen.results is not None and bool(seen.results.groups_by("province"))


def sim_text(rank: RankResult | None) -> str:
    """The simultaneous rank set, "3–12"; "" when there is none."""
    if rank is None or rank.sim_low is None:
        return ""
    return str(rank.sim_low) if rank.sim_low == rank.sim_high else f"{rank.sim_low}–{rank.sim_high}"


def _helpers(lang: str) -> dict:
    return {"dec": lambda x: words.decimal(x, lang), "lang": lang, "sim_text": sim_text,
            "national": national}


def _league_chart(pub: NationalPublication, lang: str):
    points = []
    for p in pub.provinces:
        ix = p.indices.get("SIPAS")
        css = "lowbase" if ix is not None and ix.low_base else "neutral"
        points.append(Point(p.name, ix.estimate if ix else None, ix.ci.low if ix and ix.ci else None,
                            ix.ci.high if ix and ix.ci else None, css,
                            f"{_('rank')} {p.rank_text}" if p.rank_text else _("no data")))
    national_sipas = pub.national.get("SIPAS")
    return interval_chart(
        points, title=_("Provinces ranked on SIPAS, intervals at 95%"),
        description=_("One row per province in rank order; the dot is the province's SIPAS, the bar its interval, "
                      "the vertical line the national value. The table below gives the same figures."),
        reference=national_sipas.estimate if national_sipas else None, reference_label=_("national"),
        label_width=230)


def league_page(session: Session, rnd: Round, seen: Shown, trend: list[dict], lang: str):
    """The league table of a national round, with the national value, its change and the trend across breaks."""
    results = seen.results
    assert results is not None  # is_national() was checked by the caller
    pub = national.of_results(session, rnd, results)
    charts = {"league": _league_chart(pub, lang),
              "trend": trend_chart(trend, title=_("National SIPAS over the years"),
                                   description=_("Lines join comparable rounds only; a dashed line marks a method "
                                                 "or map break, across which no line is drawn."))}
    return render_template("dashboard/national.html", round=rnd, seen=seen, results=results, pub=pub,
                           charts=charts, trend=trend, view=request.args.get("view", PUBLISHED),
                           method=words.word("method", results.method_version, lang),
                           admin_map=words.word("admin_map", results.admin_map, lang), **_helpers(lang))


def province_unit(session: Session, rnd: Round, code: str) -> AdminUnit:
    """The province of a national round's page: 404 when unknown (or not a national round), 403 outside scope.

    A national user opens every province; a province's staff (not tied to an agency) only their own province's
    page, although the national round itself stays national users' only.
    """
    unit = session.scalar(select(AdminUnit).where(AdminUnit.admin_map == rnd.admin_map,
                                                  AdminUnit.level == Level.PROVINCE, AdminUnit.code == code))
    mine = current_scope()
    if mine.sees_round(rnd):
        if rnd.jurisdiction_id is not None or unit is None:
            abort(404)
        return unit
    if unit is None or not sees_province_page(mine, rnd, unit.id):
        abort(403)
    return unit


def _agency_points(results, agencies: list[GroupResult]) -> list[tuple[GroupResult, Point]]:
    labels = results.labels.get("agency", {})
    out = []
    for g in agencies:
        ix = g.indices["SIPAS"]
        vs = g.vs_all.get("SIPAS")
        css = "lowbase" if ix.low_base else (vs.verdict.value if vs is not None else "not_different")
        rank = national.rank_text(g.rank)
        out.append((g, Point(labels[g.key].name if g.key in labels else g.key, ix.estimate,
                             ix.ci.low if ix.ci else None, ix.ci.high if ix.ci else None, css,
                             f"{_('rank')} {rank}" if rank else _("no data"))))
    return out


def province_page(session: Session, rnd: Round, seen: Shown, code: str, lang: str):
    """One province of a national round: its indices with intervals and rank sets, its change since the
    previous round (re-estimated on the new map across the merger), its trend class and its agencies."""
    results = seen.results
    assert results is not None
    pub = national.of_results(session, rnd, results)
    line: ProvinceLine | None = next((p for p in pub.provinces if p.code == code), None)
    group = results.group("province", code)
    if line is None or group is None:
        abort(404)
    agencies = sorted((g for g in results.groups_by("agency") if g.parent == code),
                      key=lambda g: -(g.estimate("SIPAS") or -1))
    forest = _agency_points(results, agencies)
    national_sipas = pub.national.get("SIPAS")
    chart = interval_chart([p for _g, p in forest], title=_("Agencies of the province ranked on SIPAS"),
                           description=_("Green: above the national value; red: below; grey: not different; "
                                         "white: low base."),
                           reference=national_sipas.estimate if national_sipas else None,
                           reference_label=_("national"), label_width=300)
    trend = pub.trends
    return render_template("dashboard/province.html", round=rnd, seen=seen, results=results, pub=pub, line=line,
                           group=group, codes=[c for c in PARTS if c in group.indices], forest=forest,
                           chart=chart, view=request.args.get("view", PUBLISHED),
                           trend_rounds=trend.rounds if trend else (),
                           trend_values=trend.values.get(code, ()) if trend else (),
                           trend_class=trend.classes.get(code) if trend else None,
                           names={c: words.index_name(surveys.load(results.profile), c, lang) for c in PARTS},
                           **_helpers(lang))
