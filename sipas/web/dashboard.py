"""The dashboard of a round: indices with intervals, a forest plot of agencies, levels and the trend."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from sipas.db import get_session
from sipas.errors import NotFound
from sipas.models import Role, Round
from sipas.reports.tables import LEVEL_NAMES
from sipas.services import catalog, publishing, reporting
from sipas.services.report import gather, headline
from sipas.services.scope import agency_scope, codes_of
from sipas.web.authz import roles_required
from sipas.web.charts import Point, interval_chart, trend_chart

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
VIEWERS = (Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)


def _allowed_codes(session) -> set[str] | None:
    """None: everything; otherwise the agency codes an agency manager may see."""
    allowed = agency_scope(session, current_user)
    return None if allowed is None else codes_of(session, allowed)


def _label(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def _trend(session, rnd: Round, lang: str) -> list[dict]:
    rounds = [r for r in session.scalars(select(Round).where(Round.profile_key.not_like("KIOSK%"))
                                         .order_by(Round.year))
              if r.jurisdiction is not None and rnd.jurisdiction is not None
              and r.jurisdiction.code == rnd.jurisdiction.code and r.year <= rnd.year]
    points, previous = [], None
    for r in rounds:
        stored = publishing.published(session, r)
        result = stored.payload if stored is not None and stored.payload else reporting.analyse_round(session, r)
        group = next((g for g in result["groups"] if g["by"] == "all" and g.get("channel_group") == "sampled"), None)
        ix = group["indices"]["SIPAS"] if group else {"estimate": None, "ci_low": None, "ci_high": None}
        brk = None
        if previous is not None and previous.method_version != r.method_version:
            brk = _("method changed")
        elif previous is not None and previous.admin_map != r.admin_map:
            brk = _("map changed (2025)")
        points.append({"year": r.year, "code": r.code, "estimate": ix["estimate"], "low": ix["ci_low"],
                       "high": ix["ci_high"], "break": brk, "published": stored is not None})
        previous = r
    return points


@bp.route("/<code>")
@roles_required(*VIEWERS)
def round_dashboard(code: str):
    """Filters: level, agency, channel group (sampled / self-selected, never pooled)."""
    session = get_session()
    try:
        rnd = catalog.get_round(session, code)
    except NotFound:
        abort(404)
    from flask_babel import get_locale
    lang = str(get_locale() or "vi")
    allowed = _allowed_codes(session)
    data = gather(session, rnd)
    channel_group = request.args.get("channel", "sampled")
    if channel_group not in ("sampled", "self_selected"):
        channel_group = "sampled"
    level = request.args.get("level", "")
    agency_filter = request.args.get("agency", "")
    groups = [g for g in data.result["groups"] if g.get("channel_group", "sampled") == channel_group]
    whole = next((g for g in groups if g["by"] == "all"), None)
    agencies = [g for g in groups if g["by"] == "agency" and (allowed is None or g["key"] in allowed)]
    if level:
        agencies = [g for g in agencies if data.agencies.get(g["key"], ("", ""))[1] == level]
    if agency_filter:
        agencies = [g for g in agencies if g["key"] == agency_filter]
    agencies.sort(key=lambda g: -(g["indices"]["SIPAS"]["estimate"] or -1))
    focus = whole if allowed is None and not agency_filter else (agencies[0] if agencies else None)
    codes = [c for c in ("SIPAS", "PART_A", "PART_B", "F1", "F2", "F3", "F4", "F5")
             if focus is not None and c in focus["indices"]]
    factor_points = [Point(c if c == "SIPAS" else c, focus["indices"][c]["estimate"], focus["indices"][c]["ci_low"],
                           focus["indices"][c]["ci_high"], "lowbase" if focus["indices"][c]["low_base"] else "neutral")
                     for c in codes] if focus else []
    forest = []
    for g in agencies:
        ix = g["indices"]["SIPAS"]
        verdict = g.get("vs_all", {}).get("SIPAS", {}).get("verdict", "not_different")
        css = "lowbase" if ix["low_base"] else verdict
        rank = g.get("rank", {})
        note = (f"{_('rank')} {rank['rank']}/{rank['of']} ({rank['rank_low']}–{rank['rank_high']})"
                if rank.get("rank") else _("no data"))
        forest.append((g, Point(data.agencies.get(g["key"], (g["key"],))[0], ix["estimate"], ix["ci_low"],
                                ix["ci_high"], css, note)))
    reference = whole["indices"]["SIPAS"]["estimate"] if whole and allowed is None else None
    levels = [g for g in groups if g["by"] == "level"] if allowed is None else []
    level_points = [Point(_label(lang, LEVEL_NAMES.get(g["key"], (g["key"], g["key"]))),
                          g["indices"]["SIPAS"]["estimate"], g["indices"]["SIPAS"]["ci_low"],
                          g["indices"]["SIPAS"]["ci_high"],
                          g.get("vs_all", {}).get("SIPAS", {}).get("verdict", "not_different")) for g in levels]
    trend = _trend(session, rnd, lang) if allowed is None else []
    charts = {
        "factors": interval_chart(factor_points, title=_("SIPAS and factor indices, intervals at 95%"),
                                  description=_("One row per index; the dot is the estimate, the bar its interval.")),
        "forest": interval_chart([p for _, p in forest], title=_("Agencies ranked on SIPAS"),
                                 description=_("Green: above the province; red: below; grey: not different; white: "
                                               "low base."), reference=reference,
                                 reference_label=_("province") if reference is not None else "",
                                 label_width=320),
        "levels": interval_chart(level_points, title=_("SIPAS by level"), description=_("One row per level."),
                                 reference=reference, reference_label=_("province") if reference is not None else ""),
        "trend": trend_chart(trend, title=_("SIPAS over the years"),
                             description=_("Lines join comparable rounds only; a dashed line marks a break.")),
    }
    can_export = current_user.has_role(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
    return render_template("dashboard/round.html", round=rnd, data=data, charts=charts, focus=focus, codes=codes,
                           forest=forest, levels=levels, trend=trend, channel_group=channel_group, level=level,
                           agency_filter=agency_filter, all_agencies=sorted(
                               (c, n) for c, (n, _) in data.agencies.items() if allowed is None or c in allowed),
                           restricted=allowed is not None, can_export=can_export, lang=lang,
                           level_names=LEVEL_NAMES, headline=headline)
