"""From report data to sheets of rows, in the shape Home Affairs publishes. Display rounding happens here only.

Rounding is half-up to 2 decimals (docs/methodology.md, index rule 7), done with Decimal because float rounding
(round(2.675, 2) == 2.67) is banker's-and-binary; ranks and verdicts were decided on unrounded values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from analysis import IndexResult
from sipas import words
from sipas.results import SAMPLED, SELF_SELECTED_GROUP, GroupResult, RoundResults, channel_group
from sipas.services.national import NOT_CLASSIFIED, TREND_CLASSES, publication

VERDICT = {"above": ("Cao hơn toàn tỉnh", "Above the province"), "below": ("Thấp hơn toàn tỉnh", "Below the province"),
           "not_different": ("Không khác biệt", "Not different"),
           "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide")}
#: A change since the previous round, in words.
CHANGE_VERDICT = {"above": ("Tăng", "Up"), "below": ("Giảm", "Down"),
                  "not_different": ("Không thay đổi có ý nghĩa", "No significant change"),
                  "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide")}

def r2(value) -> float | None:
    """Half-up rounding to 2 decimals for display; None stays None."""
    if value is None:
        return None
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Chart:
    """A bar chart of one column of a sheet's body rows, with its interval as error bars (low/high columns)."""

    title: str
    category_col: int
    value_col: int
    low_col: int | None = None
    high_col: int | None = None
    #: Body rows [first, last) the chart shows; None: all of them.
    rows: tuple[int, int] | None = None
    y_title: str = "%"


@dataclass
class Sheet:
    """One worksheet: a title line, a multi-level header (text, column span), rows, formats."""

    name: str
    title: str
    header: list[list[tuple[str, int]]]
    rows: Iterable[list]
    widths: list[int]
    number_cols: set[int] = field(default_factory=set)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Leading columns repeated on every page when the sheet runs onto more pages across.
    title_cols: int = 1
    #: The page number in the footer ("&P"/"&N": this page, the number of pages).
    page_label: str = "Trang &P/&N"
    #: Body rows (0-based) a new printed page starts at.
    page_breaks: list[int] = field(default_factory=list)


class Labels:
    """Vietnamese or English texts for the workbook, and the words, numbers and dates a person reads."""

    def __init__(self, lang: str):
        self.en = lang == "en"
        self.lang = "en" if self.en else "vi"

    def __call__(self, vi: str, en: str) -> str:
        return en if self.en else vi

    def pair(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.en else pair[0]

    def word(self, kind: str, code) -> str:
        """The words for a code (sipas/words.py)."""
        return words.word(kind, code, self.lang)

    def count(self, n: int) -> str:
        """A whole number with the language's thousands separator."""
        return words.thousands(n, self.lang)

    def dec(self, x: float | None) -> str:
        """A figure in running text, 2 decimals with the language's decimal mark (85,23 in Vietnamese)."""
        if x is None:
            return "–"
        text = f"{r2(x):.2f}"
        return text if self.en else text.replace(".", ",")

    def date(self, iso: str | None) -> str:
        """An ISO date as dd/mm/yyyy ("" when not set)."""
        if not iso:
            return ""
        y, m, d = iso[:10].split("-")
        return f"{d}/{m}/{y}"


def _groups(results: RoundResults, by: str, group: str | None = None) -> list[GroupResult]:
    """Groups of one kind; by default the sampled ones, or the self-selected ones of a round without a sample."""
    if group is None:
        present = results.channel_groups()
        group = SAMPLED if SAMPLED in present or not present else SELF_SELECTED_GROUP
    return results.groups_by(by, group)


def _self_selected_only(results: RoundResults) -> bool:
    return results.channel_groups() == [SELF_SELECTED_GROUP]


def _scope(data) -> str | None:
    """The agency an agency workbook is about (None: the whole round)."""
    return getattr(data, "scope", None)


def _scope_group(data) -> GroupResult | None:
    code = _scope(data)
    return next((g for g in _groups(data.results, "agency") if g.key == code), None) if code else None


def _low(ix: IndexResult | None) -> float | None:
    return ix.ci.low if ix is not None and ix.ci is not None else None


def _high(ix: IndexResult | None) -> float | None:
    return ix.ci.high if ix is not None and ix.ci is not None else None


def _verdict(g: GroupResult, t: "Labels") -> str:
    vs = g.vs_all.get("SIPAS")
    return t.pair(VERDICT[vs.verdict.value]) if vs is not None else ""


def _headline_codes(data) -> list[str]:
    groups = _groups(data.results, "all")
    if not groups:
        return []
    codes = list(groups[0].indices)
    return ["SIPAS"] + [c for c in codes if c.startswith("PART_")] + sorted(
        c for c in codes if c.startswith("F") and len(c) == 2)


def _index_name(data, code: str, t: Labels) -> str:
    """The name of a headline index, a factor or a criterion, from the profile (never its code alone)."""
    return words.index_name(data.profile, code, t.lang, _self_selected_only(data.results))


def _unit_name(data, g: GroupResult, t: Labels) -> str:
    if g.by == "all":
        return _whole_name(data, t)
    if g.by == "level":
        return t.word("level", g.key)
    label = data.results.label(g.by, g.key)
    if label is None:
        return g.key
    return (label.name_en or label.name) if t.en else label.name


def _whole_name(data, t: Labels, reference: bool = False) -> str:
    name = t("Toàn tỉnh", "Whole province") if data.results.info and data.results.info.jurisdiction_name else \
        t("Toàn quốc", "Whole country")
    return name + (t(" (tham chiếu)", " (reference)") if reference else "")


def report_title(data, t: Labels) -> str:
    """The report's title: the official index, or the self-selected ratings' own title (never the official one)."""
    if _self_selected_only(data.results):
        return t(f"ĐÁNH GIÁ TẠI QUẦY – KHÔNG PHẢI CHỈ SỐ SIPAS CHÍNH THỨC ({data.year})",
                 f"DESK RATINGS – NOT THE OFFICIAL SIPAS INDEX ({data.year})")
    return t(f"CHỈ SỐ HÀI LÒNG VỀ SỰ PHỤC VỤ HÀNH CHÍNH NĂM {data.year}",
             f"SATISFACTION INDEX OF PUBLIC ADMINISTRATIVE SERVICES {data.year}")


def footer(data, t: Labels) -> str:
    """The footer every printed page carries: the report and the round (the page number is on the right)."""
    scope = _scope_group(data)
    who = f" – {_unit_name(data, scope, t)}" if scope is not None else ""
    return f"{report_title(data, t).capitalize()} – {data.round_name}{who}"


def cover(data, t: Labels) -> Sheet:
    self_selected = _self_selected_only(data.results)
    scope = _scope_group(data)
    rows = [
        [t("Cơ quan ban hành", "Issued by"), data.issuer],
        [t("Báo cáo", "Report"),
         t("Đánh giá tại quầy – không phải Chỉ số SIPAS chính thức",
           "Desk ratings – not the official SIPAS index") if self_selected else
         t(f"Báo cáo Chỉ số hài lòng về sự phục vụ hành chính năm {data.year}",
           f"Report on the Satisfaction Index of Public Administrative Services {data.year}")],
        [t("Đợt khảo sát", "Round"), data.round_name],
        [t("Phạm vi", "Coverage"), data.province],
    ]
    if scope is not None:
        rows.append([t("Cơ quan", "Agency"), _unit_name(data, scope, t)])
    rows += [
        [t("Phương pháp đo", "Method"), t.word("method", data.method_version)],
        [t("Bản đồ hành chính", "Administrative map"), t.word("admin_map", data.admin_map)],
        [t("Thời gian khảo sát", "Period"), f"{t.date(data.period[0])} – {t.date(data.period[1])}"],
    ]
    if scope is not None:
        rows.append([t("Số phiếu hợp lệ của cơ quan", "Valid responses, this agency"), scope.n])
    else:
        for channel, n in sorted(data.channel_counts.items()):
            kind = t("tự nguyện, không tính vào SIPAS chọn mẫu", "self-selected, not pooled") \
                if channel_group(channel) == SELF_SELECTED_GROUP else t("chọn mẫu", "sampled")
            rows.append([t("Phiếu hợp lệ", "Valid responses") + f": {t.word('channel', channel)} ({kind})", n])
        rows.append([t("Tổng số phiếu hợp lệ", "Valid responses, total"), sum(data.channel_counts.values())])
    status = t("Kết quả CHƯA công bố (tạm tính)", "PROVISIONAL, not published") if data.provisional else \
        t(f"Đã công bố (phiên bản {data.version}, {words.local_time(data.published_at, False)})",
          f"Published (version {data.version}, {words.local_time(data.published_at, False)})")
    rows.append([t("Trạng thái", "Status"), status])
    revision = data.results.revision
    if revision is not None:
        moved = "; ".join(f"{_index_name(data, code, t)} {t.dec(old)} → {t.dec(new)}"
                          for code, (old, new) in revision.changes.items()
                          if code == "SIPAS" or code.startswith("PART_"))
        rows.append([t(f"Thay đổi so với phiên bản {revision.previous_version}",
                       f"Changes from version {revision.previous_version}"),
                     t(f"{t.count(revision.previous_responses)} → {t.count(revision.responses)} phiếu hợp lệ; ",
                       f"{t.count(revision.previous_responses)} → {t.count(revision.responses)} valid responses; ")
                     + moved + (f" ({revision.note})" if revision.note else "")])
    rows.append([t("Thời điểm lập", "Generated at"), words.local_time(data.generated_at) + t(" (giờ Việt Nam)",
                                                                                          " (Vietnam time)")])
    if data.data_rows is not None:
        rows.append([t("Số dòng dữ liệu (sheet Dữ liệu)", "Data rows (Data sheet)"), data.data_count])
    return Sheet(t("Bìa", "Cover"), report_title(data, t),
                 [[(t("Mục", "Item"), 1), (t("Nội dung", "Content"), 1)]], rows, [48, 60], page_label=_page(t))


def _page(t: Labels) -> str:
    return t("Trang &P/&N", "Page &P/&N")


def _change(g: GroupResult, code: str, ix: IndexResult, t: Labels) -> tuple[float | None, str]:
    moved = g.change.get(code)
    if moved is not None and moved.reason:
        return None, t.word("change_reason", moved.reason)
    if moved is not None and moved.previous_estimate is not None and ix.estimate is not None:
        year = moved.previous_year
        return r2(ix.estimate - moved.previous_estimate), _basis_note(moved.basis, year, t)
    return None, ""


def _basis_note(basis: str, year: int | None, t: Labels) -> str:
    """What a change is against: "so với 2024", "so với các cơ quan tiền thân gộp lại (2024)"."""
    if basis == "predecessors_pooled":
        return f"{t.word('change_basis', basis)} ({year})"
    note = t(f"so với {year}", f"vs {year}")
    return note if basis == "direct" else f"{note} – {t.word('change_basis', basis)}"


def summary(data, t: Labels) -> Sheet:
    scope = _scope_group(data)
    whole = _groups(data.results, "all")
    g = scope if scope is not None else whole[0]
    rows = []
    for code in _headline_codes(data):
        ix = g.indices.get(code)
        if ix is None:
            continue
        change, note = _change(g, code, ix, t)
        if ix.low_base:
            note = (note + "; " if note else "") + t("cỡ mẫu nhỏ", "low base")
        row = [_index_name(data, code, t), r2(ix.estimate), r2(_low(ix)), r2(_high(ix)), ix.n, r2(ix.deff), change,
               note]
        if scope is not None:
            row.append(r2(whole[0].estimate(code)))
        rows.append(row)
    header = [[(t("Chỉ số", "Index"), 1), (t("Giá trị (%)", "Value (%)"), 1),
               (t("Khoảng tin cậy 95%", "95% interval"), 2), ("n", 1), (t("Hệ số thiết kế", "Design effect"), 1),
               (t("Thay đổi (điểm %)", "Change (points)"), 1),
               (t("Ghi chú", "Note"), 1)],
              [("", 1), ("", 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1), ("", 1), ("", 1), ("", 1),
               ("", 1)]]
    widths = [44, 10, 10, 10, 7, 10, 11, 34]
    numbers = {1, 2, 3, 5, 6}
    if scope is not None:
        header[0].append((_whole_name(data, t, reference=True), 1))
        header[1].append(("", 1))
        widths.append(14)
        numbers.add(8)
    chart = Chart(t("Chỉ số hài lòng và khoảng tin cậy 95% (%)", "Satisfaction with 95% intervals (%)"), 0, 1, 2, 3)
    notes = [t("Khoảng tin cậy tính theo thiết kế mẫu (phân tầng, đơn vị mẫu, quyền số).",
               "Intervals respect the sample design (strata, PSUs, weights).")]
    if _self_selected_only(data.results):
        notes.insert(0, t("Đánh giá tự nguyện (quầy, đường dẫn công khai): không phải mẫu điều tra, không phải "
                          "Chỉ số SIPAS chính thức, không dùng để xếp hạng.",
                          "Self-selected ratings (kiosk, open link): not a sample, not the official SIPAS index, "
                          "not for ranking."))
    if scope is not None:
        title = t(f"Kết quả chung: {_unit_name(data, scope, t)}", f"Overall results: {_unit_name(data, scope, t)}")
    else:
        title = t(f"Kết quả chung: {data.province}", f"Overall results: {data.province}")
    return Sheet(t("Tổng hợp", "Summary"), title, header, rows, widths, numbers, [chart], notes=notes,
                 page_label=_page(t))


def _short_name(data, code: str, t: Labels) -> str:
    return "SIPAS" if code == "SIPAS" and not _self_selected_only(data.results) else _index_name(data, code, t)


def _index_columns(data, codes: list[str], t: Labels):
    header_top = []
    header_sub = []
    for code in codes:
        header_top.append((_short_name(data, code, t), 3))
        header_sub += [(t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]
    return header_top, header_sub


def by_level(data, t: Labels) -> Sheet:
    codes = _headline_codes(data)
    top, sub = _index_columns(data, codes, t)
    rows = []
    for g in _groups(data.results, "all") + _groups(data.results, "level"):
        row: list = [_unit_name(data, g, t), g.n]
        for code in codes:
            ix = g.indices[code]
            row += [r2(ix.estimate), r2(_low(ix)), r2(_high(ix))]
        rows.append(row + [_verdict(g, t)])
    header = [[(t("Cấp", "Level"), 1), ("n", 1)] + top + [(t("So với toàn tỉnh (SIPAS)", "vs province (SIPAS)"), 1)],
              [("", 1), ("", 1)] + sub + [("", 1)]]
    numbers = set(range(2, 2 + 3 * len(codes)))
    return Sheet(t("Theo cấp", "By level"), t("Chỉ số theo cấp hành chính", "Indices by administrative level"), header,
                 rows, [16, 6] + [7] * (3 * len(codes)) + [18], numbers, page_label=_page(t))


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


#: Themes shown per agency (scorecards, the themes sheet, the narrative report).
TOP_THEMES = 3


def top_themes(data, key: str, n: int = TOP_THEMES) -> list[tuple[tuple[str, str], int]]:
    """The most frequent comment themes of an agency (its code) or of the whole report (""), from the report
    data (sipas/services/comments.py counts them)."""
    return list(getattr(data, "themes", {}).get(key, []))[:n]


def _scorecard_themes(data, g: GroupResult, t: Labels) -> list[list]:
    themes = top_themes(data, g.key)
    if not themes:
        return []
    return [[t("Chủ đề ý kiến thường gặp", "Recurring comment themes"), None, None, None, ""],
            *[[f"  {t.pair(theme)}", None, None, None, t(f"{n} ý kiến", f"{n} comments")] for theme, n in themes]]


def _criteria_items(profile):
    return [i for i in profile.items if i.kind in ("assessment", "satisfaction", "overall", "policy_assessment",
                                                   "policy_satisfaction")]


def by_province(data, t: Labels) -> Sheet:
    """The league table of a national round: provinces in rank order with their rank sets and change."""
    pub = publication(data.results)
    trends = data.trends
    codes: list[str] = [c for c in ("SIPAS", "PART_A", "PART_B") if c in pub.national]
    rows = []
    for p in pub.provinces:
        r = p.rank
        sim = f"{r.sim_low}–{r.sim_high}" if r is not None and r.sim_low is not None else ""
        row: list = [p.rank_text or t("không có số liệu", "no data"), sim, p.code, p.name, p.n]
        for code in codes:
            ix = p.indices.get(code)
            row += [r2(ix.estimate if ix else None), r2(_low(ix)), r2(_high(ix))]
        c = p.change
        diff = c.contrast if c is not None else None
        row += [r2(diff.estimate) if diff else None, t.pair(CHANGE_VERDICT[diff.verdict.value]) if diff else "",
                c.rank_movement if c is not None else None, _trend_word(trends, p.code, t)]
        rows.append(row)
    top, sub = _index_columns(data, codes, t)
    header = [[(t("Hạng (tập hạng 95%)", "Rank (95% rank set)"), 1),
               (t("Tập hạng đồng thời", "Simultaneous set"), 1), (t("Mã", "Code"), 1), (t("Tỉnh", "Province"), 1),
               ("n", 1)] + top + [(t("Thay đổi so với kỳ trước", "Change since the previous round"), 3),
                                  (t("Xu hướng 3 kỳ", "Three-year trend"), 1)],
              [("", 1)] * 5 + sub + [(t("Điểm %", "Points"), 1), (t("Kết luận", "Verdict"), 1),
                                     (t("Tăng/giảm bậc", "Places moved"), 1), ("", 1)]]
    numbers = set(range(5, 6 + 3 * len(codes)))
    return Sheet(t("Theo tỉnh", "By province"),
                 t("Xếp hạng các tỉnh theo SIPAS", "Provinces ranked on SIPAS"), header, rows,
                 [16, 14, 7, 30, 7] + [9] * (3 * len(codes)) + [9, 22, 10, 22], numbers,
                 notes=[t("Hạng x/N (a–b): thứ x trong N tỉnh, tập hạng 95% của tỉnh từ a đến b; tập hạng đồng thời "
                          "phủ hạng thật của mọi tỉnh cùng lúc. Thay đổi: so với kỳ trước (kỳ trước sắp xếp năm 2025 "
                          "được ước lượng lại theo bản đồ mới); tăng/giảm bậc: số bậc tăng (dương) hoặc giảm (âm).",
                          "Rank x/N (a–b): x-th of N provinces, the province's 95% rank set from a to b; the "
                          "simultaneous set covers every province's true rank at once. Change: since the previous "
                          "round (a round before the 2025 merger is re-estimated on the new map); places moved: up "
                          "(positive) or down (negative).") + " " + _trend_note(trends, t)])


def _trend_word(trends, code: str, t: Labels) -> str:
    """A province's three-year trend class in words ("" when the round has no classification)."""
    if trends is None:
        return ""
    return t.word("trend_class", trends.classes.get(code) or NOT_CLASSIFIED)


def _trend_note(trends, t: Labels) -> str:
    if trends is None:
        return ""
    counts = trends.counts
    tally = "; ".join(f"{t.word('trend_class', k)}: {counts[k]}" for k in (*TREND_CLASSES, NOT_CLASSIFIED))
    return t("Xu hướng 3 kỳ ({rounds}): tăng bền vững khi SIPAS tăng ở mỗi kỳ; giảm khi kỳ cuối thấp hơn kỳ "
             "đầu; còn lại là tăng không bền vững. {tally}.",
             "Three-year trend ({rounds}): a sustainable increase when the SIPAS rose at each round; decreasing "
             "when the last is below the first; otherwise an unsustainable increase. {tally}."
             ).format(rounds=", ".join(trends.rounds) or "—", tally=tally)


def _col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def criteria(data, t: Labels) -> Sheet:
    """One row per criterion, with its wording and factor: the whole round and its levels (or the agency and the
    whole round as a reference)."""
    profile = data.profile
    factor_names = {f.code: (f.text.en if t.en else f.text.vi) for f in profile.factors}
    scope = _scope_group(data)
    whole = _groups(data.results, "all")
    columns = ([scope] if scope is not None else whole) + ([] if scope is not None else _groups(data.results, "level"))
    rows = []
    for item in _criteria_items(profile):
        row = [factor_names.get(item.factor, t("Khác", "Other")), item.code, item.text.en if t.en else item.text.vi]
        main = columns[0]
        ix = main.indices.get(item.code)
        row += [r2(main.estimate(item.code)), r2(_low(ix)), r2(_high(ix)), ix.n if ix is not None else None]
        row += [r2(g.estimate(item.code)) for g in columns[1:]]
        if scope is not None and whole:
            row.append(r2(whole[0].estimate(item.code)))
        rows.append(row)
    extra = [_unit_name(data, g, t) for g in columns[1:]]
    if scope is not None:
        extra.append(_whole_name(data, t, reference=True))
    header = [[(t("Yếu tố", "Factor"), 1), (t("Mã", "Code"), 1), (t("Tiêu chí", "Criterion"), 1),
               (_unit_name(data, columns[0], t), 4)] + [(name, 1) for name in extra],
              [("", 1), ("", 1), ("", 1), (t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1),
               (t("Cận trên", "Upper"), 1), ("n", 1)] + [("", 1)] * len(extra)]
    return Sheet(t("Tiêu chí", "Criteria"), t("Chỉ số theo từng tiêu chí (%)", "Index of every criterion (%)"),
                 header, rows, [22, 7, 52, 8, 8, 8, 6] + [11] * len(extra), set(range(3, 7 + len(extra))),
                 title_cols=3, page_label=_page(t))


def criteria_by_agency(data, t: Labels) -> Sheet:
    """Criteria (columns, by code: the wording is on the Criteria sheet) of every agency (rows)."""
    codes = [i.code for i in _criteria_items(data.profile)]
    rows = [[g.key, _unit_name(data, g, t), g.n] + [r2(g.estimate(c)) for c in codes]
            for g in ranked_agencies(data)]
    header = [[(t("Mã", "Code"), 1), (t("Cơ quan", "Agency"), 1), ("n", 1)] + [(c, 1) for c in codes]]
    return Sheet(t("Tiêu chí theo cơ quan", "Criteria by agency"),
                 t("Chỉ số từng tiêu chí theo cơ quan (%)", "Every criterion by agency (%)"), header, rows,
                 [11, 32, 6] + [7] * len(codes), set(range(3, 3 + len(codes))),
                 notes=[t("Nội dung của từng mã tiêu chí: xem sheet Tiêu chí.",
                          "The wording of each criterion code: see the Criteria sheet.")],
                 title_cols=3, page_label=_page(t))


def expectations(data, t: Labels) -> Sheet:
    block_items = [i for b in data.profile.blocks for i in data.profile.block_items(b.code)]
    scope = _scope_group(data)
    whole = _groups(data.results, "all")
    units = [(scope, _unit_name(data, scope, t))] + [(g, _whole_name(data, t, True)) for g in whole] \
        if scope is not None else [(g, _unit_name(data, g, t)) for g in whole + _groups(data.results, "level")]
    rows = []
    for g, name in units:
        for item in block_items:
            ix = g.indices.get(item.code)
            rows.append([name, item.code, item.text.en if t.en else item.text.vi, r2(g.estimate(item.code)),
                         r2(_low(ix)), r2(_high(ix)), ix.n if ix is not None else None])
    header = [[(t("Đơn vị", "Unit"), 1), (t("Mã", "Code"), 1), (t("Mong đợi", "Expectation"), 1),
               (t("Tỷ lệ chọn (%)", "Share choosing (%)"), 1), (t("Khoảng tin cậy 95%", "95% interval"), 2),
               (t("Số người trả lời khối", "Answered the block"), 1)],
              [("", 1)] * 4 + [(t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1), ("", 1)]]
    return Sheet(t("Mong đợi", "Expectations"), t("Mong đợi của người dân, tổ chức (chọn tối đa 3; tổng có thể "
                                                   "vượt 100%)", "Expectations (up to 3 choices; shares may sum past "
                                                   "100%)"), header, rows, [20, 6, 54, 10, 9, 9, 11], {3, 4, 5},
                 page_label=_page(t))


def _distribution_sheet(data, t: Labels, kind: str, name: tuple[str, str], title: tuple[str, str]) -> Sheet:
    rows = []
    for item in data.profile.items_of(kind):
        dist = data.distributions.get(item.code, {})
        total_n = sum(n for n, _ in dist.values())
        total_w = sum(w for _, w in dist.values())
        for option in item.scale.options:
            n, w = dist.get(option.value, (0, 0.0))
            rows.append([item.code, item.text.en if t.en else item.text.vi,
                         option.label.en if t.en else option.label.vi, n, r2(100 * w / total_w) if total_w else None])
        rows.append([item.code, "", t("Số người trả lời", "Answered"), total_n, None])
    header = [[(t("Mã", "Code"), 1), (t("Câu hỏi", "Question"), 1), (t("Phương án", "Option"), 1),
               (t("Số phiếu", "Responses"), 1), (t("Tỷ lệ có trọng số (%)", "Weighted share (%)"), 1)]]
    return Sheet(t.pair(name), t.pair(title), header, rows, [6, 50, 28, 9, 12], {4}, page_label=_page(t))


def channels(data, t: Labels) -> Sheet:
    rows = []
    for group in (SAMPLED, SELF_SELECTED_GROUP):
        for g in _groups(data.results, "all", group):
            ix = g.indices["SIPAS"]
            rows.append([t.word("channel_group", group), g.n, r2(ix.estimate), r2(_low(ix)), r2(_high(ix))])
    for channel, n in sorted(data.channel_counts.items()):
        rows.append([t.word("channel", channel), n, None, None, None])
    header = [[(t("Kênh", "Channel"), 1), (t("Số phiếu", "Responses"), 1), (t("Chỉ số", "Index"), 3)],
              [("", 1), ("", 1), (t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]]
    return Sheet(t("Kênh", "Channels"), t("Kênh thu thập — đánh giá tự nguyện không gộp với mẫu điều tra",
                                         "Channels — self-selected ratings are never pooled with the sample"),
                 header, rows, [52, 12, 10, 10, 10], {2, 3, 4}, page_label=_page(t))


def method(data, t: Labels) -> Sheet:
    rules = data.profile.rules
    lines = [
        (t("Phương pháp", "Method"), f"{t.word('method', data.method_version)} [{data.method_version}]"),
        (t("Bản đồ hành chính", "Administrative map"), f"{t.word('admin_map', data.admin_map)} [{data.admin_map}]"),
        (t("Chỉ số tiêu chí", "Item index"), t("Tỷ lệ hài lòng (mức 4, 5) trên số trả lời hợp lệ; mức 3 là hợp lệ, "
                                               "không hài lòng", "Share answering 4 or 5 among valid answers")
         if rules.item_index == "TOP2_BOX" else t("100·(điểm trung bình − 1)/4", "100·(mean − 1)/4")),
        (t("Chỉ số yếu tố", "Factor index"), t("Câu hỏi hài lòng chung của yếu tố", "The factor's general question")
         if rules.factor_index == "GENERAL_QUESTION" else t("Trung bình các tiêu chí", "Mean of the criteria")),
        ("SIPAS", {"MEAN_OF_FACTORS": t("Trung bình 5 yếu tố", "Mean of the five factors"),
                   "OVERALL_QUESTION": t("Câu hỏi hài lòng chung", "The overall question"),
                   "MEAN_OF_PARTS": t("Trung bình hai phần (chính sách, dịch vụ)", "Mean of the two parts"),
                   }[rules.sipas]),
        (t("Ước lượng", "Estimation"), t("Tỷ số có trọng số (Hájek): Σ quyền số × hài lòng / Σ quyền số × trả lời",
                                         "Weighted ratio (Hájek): Σ w × satisfied / Σ w × answered")),
        (t("Khoảng tin cậy tiêu chí, yếu tố", "Interval, items and factors"),
         t("Korn–Graubard trên cỡ mẫu hiệu dụng, hệ số thiết kế tối thiểu 1", "Korn–Graubard on the effective sample "
           "size, design effect floored at 1")),
        (t("Khoảng tin cậy SIPAS", "Interval, SIPAS"),
         t("Tuyến tính hóa Taylor cho trung bình các tỷ lệ tương quan, biến đổi logit, phương sai tối thiểu bằng mẫu "
           "ngẫu nhiên đơn giản", "Taylor linearisation of the mean of correlated proportions, logit interval, "
           "variance floored at the simple-random-sample one")),
        (t("Thiết kế mẫu", "Design"), t("Tầng = cấp hành chính; đơn vị mẫu = điểm giao dịch × ngày khảo sát; "
                                        "quyền số = nghịch đảo xác suất chọn. Tầng chỉ có một đơn vị: người trả lời "
                                        "là đơn vị mẫu.",
                                        "Strata = level; PSU = office × interviewing day; weight = inverse inclusion "
                                        "probability. One-PSU strata: respondents are the units.")),
        (t("Câu bỏ trống", "Missing answers"),
         t("Không tính vào mẫu số của tiêu chí đó", "Left out of that item's base")),
        (t("Cỡ mẫu nhỏ", "Low base"), t(f"Ít hơn {rules.min_base} câu trả lời, bậc tự do < 8 hoặc cỡ mẫu hiệu "
                                        "dụng < 30: vẫn hiển thị và xếp hạng, kèm cảnh báo",
                                        f"Fewer than {rules.min_base} "
                                        "answers, df < 8 or effective n < 30: shown and ranked, with a warning")),
        (t("Xếp hạng", "Ranks"), t("Trong từng cấp; tập tin cậy 95% cho hạng từ các so sánh từng cặp (bootstrap tham "
                                   "số 1.000 lần, có hạt giống), dùng cùng sai số chuẩn với khoảng tin cậy",
                                   "Within each level; 95% confidence sets for ranks from all pairwise comparisons "
                                   "(seeded parametric bootstrap, 1,000 draws), with the standard errors of the "
                                   "published intervals")),
        (t("Làm tròn", "Rounding"), t("Lưu đủ độ chính xác; hiển thị 2 chữ số thập phân (làm tròn nửa lên); xếp hạng "
                                      "trên giá trị chưa làm tròn", "Full precision stored; 2 decimals shown (half "
                                      "up); ranks use unrounded values")),
        (t("So sánh với kỳ trước", "Year-on-year"), t("Chỉ khi cùng phương pháp và cùng bản đồ hành chính",
                                                     "Only with the same method and the same administrative map")),
        (t("Kênh tự nguyện", "Self-selected channels"), t("Máy tại quầy, đường dẫn công khai: báo cáo riêng, không gộp",
                                                          "Kiosk and open link: reported apart, never pooled")),
    ]
    # Technical identifiers live here, not on the cover: what an auditor needs to find the exact computation.
    lines += [
        (t("Mã ảnh chụp dữ liệu", "Data snapshot"), data.results.snapshot),
        (t("Mã kiểm tra kết quả (SHA-256)", "Results checksum (SHA-256)"), data.checksum),
        (t("Hạt giống ngẫu nhiên (tập hạng)", "Random seed (rank sets)"), str(data.results.seed)),
        (t("Mã đợt khảo sát", "Round code"), data.round_code),
    ]
    return Sheet(t("Phương pháp", "Method"), t("Phương pháp tính", "How the figures are computed"),
                 [[(t("Nội dung", "Topic"), 1), (t("Mô tả", "Description"), 1)]], [list(x) for x in lines], [30, 90],
                 page_label=_page(t))


DATA_HEADERS = {"response_id": ("Mã phiếu", "Response"), "agency_code": ("Mã cơ quan", "Agency code"),
                "level": ("Cấp", "Level"), "channel": ("Kênh", "Channel"), "stratum": ("Tầng", "Stratum"),
                "psu": ("Đơn vị mẫu", "Sampling unit"), "weight": ("Quyền số", "Weight")}


def _number(text: str):
    """An answer or a weight as a number (the data sheet stores numbers as numbers); "" stays empty."""
    if text == "" or text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def data_rows_as_read(rows: Iterable[list], header: list[str], t: Labels) -> Iterable[list]:
    """Interchange rows as a person reads them: levels and channels in words, weights and answers as numbers."""
    level, channel, stratum, weight = (header.index(c) for c in ("level", "channel", "stratum", "weight"))
    for row in rows:
        out = list(row)
        out[level] = t.word("level", row[level])
        out[channel] = t.word("channel", row[channel])
        out[stratum] = t.word("level", row[stratum])
        out[weight] = _number(row[weight])
        for k in range(weight + 1, len(out)):
            out[k] = _number(out[k])
        yield out


def data_sheet(data, t: Labels) -> Sheet:
    rows = data.data_rows()
    header_row = next(rows)
    shown = [t.pair(DATA_HEADERS[h]) if h in DATA_HEADERS else h for h in header_row]
    return Sheet(t("Dữ liệu", "Data"), t("Dữ liệu phiếu đã ẩn danh (không có thông tin cá nhân, không có ý kiến "
                                         "tự do)", "Anonymised responses (no personal data, no free text)"),
                 [[(h, 1) for h in shown]], data_rows_as_read(rows, header_row, t),
                 [36, 13, 10, 18, 10, 20, 9] + [5] * (len(header_row) - 7),
                 title_cols=1, page_label=_page(t))


def workbook_sheets(data, lang: str = "vi") -> list[Sheet]:
    """All sheets of the SIPAS workbook, in order. An agency workbook has only what is about that agency (the
    whole round only as labelled reference figures): no level, channel, behaviour or respondent sheets, whose
    figures are the whole round's."""
    # accounts builds on this module's sheets and helpers: imported here, where both are loaded (a cycle).
    from sipas.reports.accounts import accounting_sheet, themes_sheet

    t = Labels(lang)
    if _scope(data):
        sheets = [cover(data, t), accounting_sheet(data, t), summary(data, t), by_agency(data, t),
                  scorecards(data, t), themes_sheet(data, t), criteria(data, t), criteria_by_agency(data, t),
                  expectations(data, t), method(data, t)]
    else:
        provinces = [by_province(data, t)] if _groups(data.results, "province") else []
        sheets = [cover(data, t), accounting_sheet(data, t), summary(data, t), *provinces, by_level(data, t),
                  by_agency(data, t), scorecards(data, t), themes_sheet(data, t),
                  criteria(data, t), criteria_by_agency(data, t), expectations(data, t),
                  _distribution_sheet(data, t, "behaviour", ("Hành vi", "Behaviour"),
                                      ("Trải nghiệm: số lần đi lại, phiền hà, chi phí ngoài quy định, trễ hẹn",
                                       "Experience: visits, harassment, unofficial fees, late results")),
                  channels(data, t),
                  _distribution_sheet(data, t, "respondent", ("Người trả lời", "Respondents"),
                                      ("Thông tin người trả lời", "Respondents")),
                  method(data, t)]
    if data.data_rows is not None:
        sheets.append(data_sheet(data, t))
    return sheets
