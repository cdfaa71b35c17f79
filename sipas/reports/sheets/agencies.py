"""The agencies' sheets: the ranking tier by tier (with its charts) and one scorecard page per agency."""
from __future__ import annotations

from sipas.reports.sheets.base import (
    Chart,
    Labels,
    Sheet,
    _change,
    _criteria_items,
    _groups,
    _headline_codes,
    _high,
    _index_name,
    _low,
    _page,
    _unit_name,
    _verdict,
    r2,
    top_themes,
)
from sipas.results import GroupResult

#: Agencies are ranked within their tier; the ranking lists tier by tier, each with its own chart.
TIER_ORDER = ("province", "department", "district", "commune")



TIER_NAMES = {"province": ("Sở, ban, ngành cấp tỉnh", "Provincial departments"),
              "department": ("Sở, ban, ngành", "Departments"), "district": ("Cấp huyện", "District level"),
              "commune": ("Ủy ban nhân dân cấp xã", "Commune people's committees")}



CHART_BARS = 25  # bars per agency chart: every label stays readable on a printed page



def rank_text(g: GroupResult, t: Labels) -> str:
    """"7/34 (5–10)": the rank among N, and the 95% rank set, in one cell."""
    rank = g.rank
    if rank is None or rank.rank is None:
        return t("không có số liệu", "no data")
    if rank.rank_low is None or rank.rank_high is None:
        return f"{rank.rank}/{rank.of}"
    return f"{rank.rank}/{rank.of} ({rank.rank_low}–{rank.rank_high})"



def _tier(g: GroupResult) -> str:
    among = g.rank.among if g.rank is not None and g.rank.among else (g.tier or "")
    return among



def ranked_agencies(data) -> list[GroupResult]:
    """The agencies' groups, tier by tier, best rank first."""
    def order(g: GroupResult) -> tuple:
        rank = g.rank.rank if g.rank is not None else None
        tier = _tier(g)
        return (TIER_ORDER.index(tier) if tier in TIER_ORDER else 9, tier, rank is None, rank or 0, g.key)

    return sorted(_groups(data.results, "agency"), key=order)



def by_agency(data, t: Labels) -> Sheet:
    codes = _headline_codes(data)
    factors = [c for c in codes if c != "SIPAS"]
    groups = ranked_agencies(data)
    rows, charts = [], []
    tier_start, current = 0, None
    for i, g in enumerate(groups + [None]):
        tier = _tier(g) if g is not None else None
        if i and tier != current:
            for start in range(tier_start, i, CHART_BARS):
                end = min(i, start + CHART_BARS)
                part = f" ({start - tier_start + 1}–{end - tier_start})" if i - tier_start > CHART_BARS else ""
                charts.append(Chart(t("SIPAS và khoảng tin cậy 95%: ", "SIPAS with 95% intervals: ")
                                    + t.pair(TIER_NAMES.get(current or "", (current or "", current or ""))) + part,
                                    2, 5, 6, 7, (start, end)))
            tier_start = i
        current = tier
        if g is None:
            break
        ix = g.indices["SIPAS"]
        level = data.agencies.get(g.key, ("", g.tier or ""))[1]
        rows.append([rank_text(g, t), g.key, _unit_name(data, g, t), t.word("level", level), g.n,
                     r2(ix.estimate), r2(_low(ix)), r2(_high(ix))]
                    + [r2(g.estimate(c)) for c in factors]
                    + [t("Có", "Yes") if ix.low_base else "", _verdict(g, t)])
    header = [[(t("Hạng (tập hạng 95%)", "Rank (95% rank set)"), 1), (t("Mã", "Code"), 1),
               (t("Cơ quan", "Agency"), 1), (t("Cấp", "Level"), 1), ("n", 1), ("SIPAS", 3)]
              + ([(t("Yếu tố", "Factors"), len(factors))] if factors else [])
              + [(t("Cỡ mẫu nhỏ", "Low base"), 1), (t("So với toàn tỉnh", "vs province"), 1)],
              [("", 1)] * 5 + [(t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]
              + [(_index_name(data, c, t), 1) for c in factors] + [("", 1), ("", 1)]]
    numbers = set(range(5, 8 + len(factors)))
    return Sheet(t("Theo cơ quan", "By agency"),
                 t("Xếp hạng cơ quan theo SIPAS trong từng cấp (tập hạng cho biết mức bất định)",
                   "Agencies ranked on SIPAS within each level (the rank set shows the uncertainty)"),
                 header, rows, [13, 11, 32, 10, 6, 7, 7, 7] + [9] * len(factors) + [8, 16], numbers, charts,
                 notes=[t("Hạng x/N (a–b): thứ x trong N cơ quan cùng cấp; a–b là tập hạng 95% (các hạng có thể có "
                          "của cơ quan, tập tin cậy cho hạng Mogstad-Romano-Shaikh-Wilhelm). Cơ quan cỡ mẫu nhỏ vẫn "
                          "được xếp hạng, tập hạng rộng hơn. Cao hơn/thấp hơn: kiểm định có hiệu chỉnh Holm, mức 5%.",
                          "Rank x/N (a–b): x-th of the N agencies of the same level; a–b is the 95% rank set (the "
                          "ranks the agency may hold, confidence sets for ranks, Mogstad-Romano-Shaikh-Wilhelm). "
                          "Low-base agencies are ranked too, with wider sets. Above/below: Holm-adjusted tests at "
                          "5%.")], title_cols=3, page_label=_page(t))



def scorecards(data, t: Labels) -> Sheet:
    """One printed page per agency: SIPAS with interval and rank set, the factors (or parts), its three weakest
    criteria, what its citizens most expect, and the change since the last comparable round."""
    codes = _headline_codes(data)
    items = _criteria_items(data.profile)
    block_items = [i for b in data.profile.blocks for i in data.profile.block_items(b.code)]
    whole = _groups(data.results, "all")
    rows: list[list] = []
    breaks: list[int] = []
    for g in ranked_agencies(data):
        if rows:
            breaks.append(len(rows))
        level = data.agencies.get(g.key, ("", g.tier or ""))[1]
        rows.append([_unit_name(data, g, t), None, None, None, f"{t.word('level', level)}, n = {t.count(g.n)}"])
        for code in codes:
            ix = g.indices.get(code)
            if ix is None:
                continue
            note = rank_text(g, t) if code == "SIPAS" else ""
            if code == "SIPAS" and whole:
                note += t(f"; toàn tỉnh {t.dec(whole[0].estimate('SIPAS'))}",
                          f"; province {t.dec(whole[0].estimate('SIPAS'))}")
            rows.append([_index_name(data, code, t), r2(ix.estimate), r2(_low(ix)), r2(_high(ix)),
                         note + (t(" (cỡ mẫu nhỏ)", " (low base)") if ix.low_base else "")])
        change, note = _change(g, "SIPAS", g.indices["SIPAS"], t) if "SIPAS" in g.indices else (None, "")
        rows.append([t("Thay đổi SIPAS so với kỳ trước (điểm %)", "SIPAS change since the last round (points)"),
                     change, None, None, note])
        weakest = sorted((i for i in items if g.estimate(i.code) is not None),
                         key=lambda i: g.estimate(i.code) or 0.0)[:3]
        rows.append([t("Ba tiêu chí thấp nhất", "Three weakest criteria"), None, None, None, ""])
        for item in weakest:
            ix = g.indices[item.code]
            rows.append([f"  {item.text.en if t.en else item.text.vi}", r2(ix.estimate), r2(_low(ix)), r2(_high(ix)),
                         item.code])
        expected = sorted((i for i in block_items if g.estimate(i.code) is not None),
                          key=lambda i: -(g.estimate(i.code) or 0.0))[:3]
        if expected:
            rows.append([t("Người dân mong đợi nhiều nhất", "What citizens most expect"), None, None, None, ""])
            for item in expected:
                ix = g.indices[item.code]
                rows.append([f"  {item.text.en if t.en else item.text.vi}", r2(ix.estimate), r2(_low(ix)),
                             r2(_high(ix)), ""])
        rows += _scorecard_themes(data, g, t)
    header = [[(t("Nội dung", "Item"), 1), (t("Giá trị (%)", "Value (%)"), 1), (t("Cận dưới", "Lower"), 1),
               (t("Cận trên", "Upper"), 1), (t("Ghi chú", "Note"), 1)]]
    return Sheet(t("Thẻ điểm", "Scorecards"), t("Thẻ điểm từng cơ quan (mỗi cơ quan một trang)",
                                                 "One scorecard per agency (one page each)"),
                 header, rows, [60, 8, 8, 8, 42], {1, 2, 3}, page_label=_page(t), page_breaks=breaks)



def _scorecard_themes(data, g: GroupResult, t: Labels) -> list[list]:
    themes = top_themes(data, g.key)
    if not themes:
        return []
    return [[t("Chủ đề ý kiến thường gặp", "Recurring comment themes"), None, None, None, ""],
            *[[f"  {t.pair(theme)}", None, None, None, t(f"{n} ý kiến", f"{n} comments")] for theme, n in themes]]
