"""The dashboard of a round: indices with intervals, a forest plot of agencies, levels and the trend.

It shows stored results only (a published version, or the provisional set with its time and count) and never
computes: a round with nothing stored yet says so and asks the job runner to compute.
"""
from __future__ import annotations

from io import BytesIO
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import surveys
from analysis import IndexResult
from sipas import recompute, words
from sipas.db import get_session
from sipas.errors import NotFound
from sipas.models import Role, Round
from sipas.reports.xlsx import XLSX_MIMETYPE, table_bytes
from sipas.results import SAMPLED, SELF_SELECTED_GROUP, GroupResult, RoundResults
from sipas.services import catalog, comments
from sipas.services.results import comparability, store
from sipas.services.results.view import PROVISIONAL, PUBLISHED, Shown, shown
from sipas.services.scope import codes_of
from sipas.web import national_view
from sipas.web.admin.common import CsrfOnly
from sipas.web.authz import current_scope, require_round, roles_required
from sipas.web.charts import Point, interval_chart, trend_chart
from sipas.words import LEVELS as LEVEL_NAMES

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
VIEWERS = (Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
HEADLINE = ("SIPAS", "PART_A", "PART_B", "F1", "F2", "F3", "F4", "F5")


def _allowed_codes(session) -> set[str] | None:
    """None: the whole round; for an agency scope (whatever the roles), the agency codes it may see."""
    mine = current_scope()
    return codes_of(session, set(mine.agencies or ())) if mine.agency_scoped else None


def _point(label: str, g: GroupResult, css: str, note: str = "") -> Point:
    ix = g.indices["SIPAS"]
    return Point(label, ix.estimate, ix.ci.low if ix.ci else None, ix.ci.high if ix.ci else None, css, note)


def _index_point(name: str, ix: IndexResult) -> Point:
    return Point(name, ix.estimate, ix.ci.low if ix.ci else None, ix.ci.high if ix.ci else None,
                 "lowbase" if ix.low_base else "neutral")


def _verdict(g: GroupResult) -> str:
    vs = g.vs_all.get("SIPAS")
    return vs.verdict.value if vs is not None else "not_different"


def _trend(session, rnd: Round) -> list[dict]:
    """The whole round's SIPAS in every earlier round of the same place, from their stored results only."""
    points, previous = [], None
    for r in comparability.measurements(session, rnd):
        info = store.published_info(session, r) or store.provisional_info(session, r)
        whole = store.load(session, info.id).group("all", "all", SAMPLED) if info is not None else None
        ix = whole.indices.get("SIPAS") if whole is not None else None
        reason: str | None = comparability.break_between(previous, r) if previous is not None else None
        brk = {"METHOD_BREAK": _("method changed"), "GEO_BREAK": _("map changed (2025)")}.get(reason or "")
        points.append({"year": r.year, "code": r.code, "estimate": ix.estimate if ix else None,
                       "low": ix.ci.low if ix and ix.ci else None, "high": ix.ci.high if ix and ix.ci else None,
                       "break": brk, "published": info is not None and info.published_at is not None})
        previous = r
    return points


def _agencies(results: RoundResults, group: str, allowed: set[str] | None, level: str, agency: str
              ) -> list[GroupResult]:
    rows = [g for g in results.groups_by("agency", group) if allowed is None or g.key in allowed]
    if level:
        rows = [g for g in rows if g.tier == level]
    if agency:
        rows = [g for g in rows if g.key == agency]
    return sorted(rows, key=lambda g: -(g.estimate("SIPAS") or -1))


def _charts(results: RoundResults, focus: GroupResult | None, codes: list[str], forest: list, levels, trend,
            reference: float | None, lang: str, names: dict[str, str]) -> dict:
    factor_points = [_index_point(names[c], focus.indices[c]) for c in codes] if focus else []
    level_points = [_point(LEVEL_NAMES.get(g.key, (g.key, g.key))[1 if lang == "en" else 0], g, _verdict(g))
                    for g in levels]
    province = _("province") if reference is not None else ""
    return {
        "factors": interval_chart(factor_points, title=_("SIPAS and factor indices, intervals at 95%"),
                                  description=_("One row per index; the dot is the estimate, the bar its interval.")),
        "forest": interval_chart([p for _g, p in forest], title=_("Agencies ranked on SIPAS"),
                                 description=_("Green: above the province; red: below; grey: not different; white: "
                                               "low base."), reference=reference, reference_label=province,
                                 label_width=320),
        "levels": interval_chart(level_points, title=_("SIPAS by level"), description=_("One row per level."),
                                 reference=reference, reference_label=province),
        "trend": trend_chart(trend, title=_("SIPAS over the years"),
                             description=_("Lines join comparable rounds only; a dashed line marks a break.")),
    }


def _not_computed(rnd: Round, seen: Shown):
    """Nothing stored yet: say so, ask the job runner to compute, and refresh the page until it has."""
    recompute.request_recompute(rnd.id)
    return render_template("dashboard/computing.html", round=rnd, seen=seen), 202


@bp.route("/<code>")
@roles_required(*VIEWERS)
def round_dashboard(code: str):
    """Filters: level, agency, channel group (sampled / self-selected, never pooled), published or provisional."""
    session = get_session()
    try:
        rnd = require_round(catalog.get_round(session, code))
        seen = shown(session, rnd, prefer=PROVISIONAL if request.args.get("view") == PROVISIONAL else PUBLISHED,
                     version=request.args.get("version", type=int))
    except NotFound:
        abort(404)
    if seen.results is None:
        return _not_computed(rnd, seen)
    results = seen.results
    lang = str(get_locale() or "vi")
    if national_view.is_national(rnd, seen):
        return national_view.league_page(session, rnd, seen, _trend(session, rnd), lang)
    allowed = _allowed_codes(session)
    group = request.args.get("channel", SAMPLED)
    group = group if group in (SAMPLED, SELF_SELECTED_GROUP) else SAMPLED
    level, agency_filter = request.args.get("level", ""), request.args.get("agency", "")
    whole = results.group("all", "all", group)
    agencies = _agencies(results, group, allowed, level, agency_filter)
    focus = whole if allowed is None and not agency_filter else (agencies[0] if agencies else None)
    codes = [c for c in HEADLINE if focus is not None and c in focus.indices]
    profile = surveys.load(results.profile)
    names = {c: words.index_name(profile, c, lang, group == SELF_SELECTED_GROUP) for c in codes}
    labels = results.labels.get("agency", {})
    forest = []
    rank_word, no_data = _("rank"), _("no data")  # once, not once per agency
    for g in agencies:
        ix = g.indices["SIPAS"]
        rank = g.rank
        note = (f"{rank_word} {rank.rank}/{rank.of} ({rank.rank_low}–{rank.rank_high})"
                if rank is not None and rank.rank else no_data)
        name = labels[g.key].name if g.key in labels else g.key
        forest.append((g, _point(name, g, "lowbase" if ix.low_base else _verdict(g), note)))
    reference = whole.estimate("SIPAS") if whole is not None and allowed is None else None
    levels = results.groups_by("level", group) if allowed is None else []
    trend = _trend(session, rnd) if allowed is None else []
    return render_template("dashboard/round.html", round=rnd, results=results, seen=seen,
                           charts=_charts(results, focus, codes, forest, levels, trend, reference, lang, names),
                           focus=focus, names=names, method=words.word("method", results.method_version, lang),
                           admin_map=words.word("admin_map", results.admin_map, lang),
                           codes=codes, forest=forest, levels=levels, trend=trend, channel_group=group, level=level,
                           agency_filter=agency_filter, labels=labels,
                           all_agencies=sorted((c, lab.name) for c, lab in labels.items()
                                               if allowed is None or c in allowed),
                           restricted=allowed is not None, can_export=True, lang=lang, level_names=LEVEL_NAMES,
                           view=request.args.get("view", PUBLISHED))


@bp.route("/<code>/province/<province_code>")
@roles_required(*VIEWERS)
def province_page(code: str, province_code: str):
    """A province of a national round: national users open every one, a province's staff only their own."""
    session = get_session()
    try:
        rnd = catalog.get_round(session, code)
    except NotFound:
        abort(404)
    national_view.province_unit(session, rnd, province_code)
    seen = shown(session, rnd, prefer=PROVISIONAL if request.args.get("view") == PROVISIONAL else PUBLISHED)
    if seen.results is None:
        return _not_computed(rnd, seen)
    if not national_view.is_national(rnd, seen):
        abort(404)
    return national_view.province_page(session, rnd, seen, province_code, str(get_locale() or "vi"))


def _comments_filters(allowed: set[str] | None) -> tuple[str, str, str]:
    """(agency, search, handled) from the query string; another agency's code for an agency scope selects
    nothing, as for an unknown agency."""
    agency_filter, search = request.args.get("agency", ""), request.args.get("q", "")[:200]
    handled = request.args.get("handled", "")
    if allowed is not None and agency_filter and agency_filter not in allowed:
        agency_filter = "__none__"
    return agency_filter, search, handled if handled in (comments.HANDLED, comments.NOT_HANDLED) else ""


def _comments_xlsx(rnd: Round, rows: list[comments.CommentRow], lang: str):
    header = [_("Date"), _("Agency"), _("Channel"), _("Comment"), _("Themes"), _("Handled")]
    table = [[words.local_time(r.submitted_at), r.agency_name, words.word("channel", r.channel, lang), r.text,
              "; ".join(t[1] if lang == "en" else t[0] for t in comments.themes_of(r.text)),
              f"{words.local_time(r.handled_at)} {r.handled_by} {r.handled_note}".strip() if r.handled_at else ""]
             for r in rows]
    content = table_bytes(header, table, sheet_name=_("Comments"), widths=[17, 30, 22, 90, 40, 40])
    return send_file(BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{rnd.code}-comments.xlsx")


@bp.route("/<code>/comments")
@roles_required(*VIEWERS)
def round_comments(code: str):
    """Citizens' comments of a round, masked and scoped like the figures; ?agency=, ?q= (search),
    ?handled=yes|no, ?format=xlsx."""
    session = get_session()
    try:
        rnd = require_round(catalog.get_round(session, code))
    except NotFound:
        abort(404)
    lang = str(get_locale() or "vi")
    allowed = _allowed_codes(session)
    agency_filter, search, handled = _comments_filters(allowed)
    rows = comments.round_comments(session, rnd, allowed=allowed, agency=agency_filter, search=search,
                                   handled=handled)
    themes = comments.theme_counts(r.text for r in rows)
    if request.args.get("format") == "xlsx":
        return _comments_xlsx(rnd, rows, lang)
    agencies = sorted((a.code, a.name) for a in rnd.agencies if allowed is None or a.code in allowed)
    return render_template("dashboard/comments.html", round=rnd, rows=rows, themes=themes, lang=lang,
                           agencies=agencies, agency_filter=agency_filter, search=search, handled=handled,
                           words=words, form=CsrfOnly())


@bp.route("/<code>/comments/<int:comment_id>/handled", methods=["POST"])
@roles_required(*VIEWERS)
def comment_handled(code: str, comment_id: int):
    """Mark a comment as handled (with an optional note), or undo the mark (action=undo); back to the page
    with its filters. Another agency's comment is answered as an unknown one (404)."""
    session = get_session()
    try:
        rnd = require_round(catalog.get_round(session, code))
    except NotFound:
        abort(404)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    allowed = _allowed_codes(session)
    try:
        if request.form.get("action") == "undo":
            comments.undo_handled(session, rnd, comment_id, current_user, allowed=allowed, ip=request.remote_addr)
            flash(_("The comment is marked as not handled again."), "info")
        else:
            comments.mark_handled(session, rnd, comment_id, current_user, note=request.form.get("note", ""),
                                  allowed=allowed, ip=request.remote_addr)
            flash(_("The comment is marked as handled."), "info")
    except NotFound:
        abort(404)
    back = {k: request.form[k] for k in ("agency", "q", "handled") if request.form.get(k)}
    return redirect(url_for(".round_comments", code=rnd.code) + (f"?{urlencode(back)}" if back else ""))
