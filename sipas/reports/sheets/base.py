"""What every sheet is made of: the Sheet and Chart shapes, the Labels (language, words, numbers, dates), display
rounding, and the small lookups the sheets share (groups of a round, names of units and indices, verdicts).

Rounding is half-up to 2 decimals (docs/methodology.md, index rule 7), done with Decimal because float rounding
(round(2.675, 2) == 2.67) is banker's-and-binary; ranks and verdicts were decided on unrounded values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from analysis import IndexResult
from sipas import words
from sipas.results import SAMPLED, SELF_SELECTED_GROUP, GroupResult, RoundResults

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



def _short_name(data, code: str, t: Labels) -> str:
    return "SIPAS" if code == "SIPAS" and not _self_selected_only(data.results) else _index_name(data, code, t)



def _index_columns(data, codes: list[str], t: Labels):
    header_top = []
    header_sub = []
    for code in codes:
        header_top.append((_short_name(data, code, t), 3))
        header_sub += [(t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]
    return header_top, header_sub



def _criteria_items(profile):
    return [i for i in profile.items if i.kind in ("assessment", "satisfaction", "overall", "policy_assessment",
                                                   "policy_satisfaction")]



#: Themes shown per agency (scorecards, the themes sheet, the narrative report).
TOP_THEMES = 3



def top_themes(data, key: str, n: int = TOP_THEMES) -> list[tuple[tuple[str, str], int]]:
    """The most frequent comment themes of an agency (its code) or of the whole report (""), from the report
    data (sipas/services/comments.py counts them)."""
    return list(getattr(data, "themes", {}).get(key, []))[:n]
