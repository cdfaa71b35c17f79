"""From report data to sheets of rows, in the shape Home Affairs publishes. Display rounding happens here only.

Rounding is half-up to 2 decimals (sipas-methodology.md §7), done with Decimal because float rounding
(round(2.675, 2) == 2.67) is banker's-and-binary; ranks and verdicts were decided on unrounded values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from analysis import IndexResult
from sipas.results import SAMPLED, SELF_SELECTED_GROUP, GroupResult, RoundResults, channel_group

LEVEL_NAMES = {"province": ("Cấp tỉnh", "Province"), "district": ("Cấp huyện", "District"),
               "commune": ("Cấp xã", "Commune")}
VERDICT = {"above": ("Cao hơn toàn tỉnh", "Above the province"), "below": ("Thấp hơn toàn tỉnh", "Below the province"),
           "not_different": ("Không khác biệt", "Not different"),
           "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide")}
#: A change since the previous round, in words.
CHANGE_VERDICT = {"above": ("Tăng", "Up"), "below": ("Giảm", "Down"),
                  "not_different": ("Không thay đổi có ý nghĩa", "No significant change"),
                  "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide")}
REASONS = {"METHOD_BREAK": ("Không so sánh: thay đổi phương pháp đo", "Not comparable: method changed"),
           "GEO_BREAK": ("Không so sánh: thay đổi địa giới hành chính (sắp xếp 2025)",
                         "Not comparable: administrative map changed (2025 reorganisation)"),
           "NO_PREVIOUS": ("Chưa có kỳ trước", "No previous round")}
CHANNELS = {"kiosk": ("Máy đánh giá tại quầy", "Kiosk"), "online": ("Đường dẫn/QR công khai", "Open link / QR"),
            "invitation": ("Thư mời trực tuyến", "Online invitation"), "paper_post": ("Phiếu giấy qua bưu điện", "Paper by post"),
            "paper_direct": ("Phiếu giấy phát trực tiếp", "Paper handed out"), "interview": ("Phỏng vấn", "Interview"),
            "import": ("Nhập từ tệp", "Imported"), "api": ("Hệ thống khác (API)", "Other system (API)")}


def r2(value) -> float | None:
    """Half-up rounding to 2 decimals for display; None stays None."""
    if value is None:
        return None
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Chart:
    """A bar chart of some columns of a sheet's body rows."""

    title: str
    category_col: int
    value_cols: list[int]
    anchor: str
    y_title: str = ""


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


class Labels:
    """Vietnamese or English texts for the workbook."""

    def __init__(self, lang: str):
        self.en = lang == "en"

    def __call__(self, vi: str, en: str) -> str:
        return en if self.en else vi

    def pair(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.en else pair[0]


def _groups(results: RoundResults, by: str, group: str | None = None) -> list[GroupResult]:
    """Groups of one kind; by default the sampled ones, or the self-selected ones of a round without a sample."""
    if group is None:
        present = results.channel_groups()
        group = SAMPLED if SAMPLED in present or not present else SELF_SELECTED_GROUP
    return results.groups_by(by, group)


def _self_selected_only(results: RoundResults) -> bool:
    return results.channel_groups() == [SELF_SELECTED_GROUP]


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
    if code == "SIPAS":
        return t("Chỉ số SIPAS", "SIPAS index")
    if code.startswith("PART_"):
        part = next(p for p in data.profile.parts if f"PART_{p.code}" == code)
        return part.text.en if t.en else part.text.vi
    factor = next((f for f in data.profile.factors if f.code == code), None)
    if factor is not None:
        return f"{code}. " + (factor.text.en if t.en else factor.text.vi)
    item = data.profile.item(code)
    return f"{code}. " + (item.text.en if t.en else item.text.vi)


def cover(data, t: Labels) -> Sheet:
    rows = [
        [t("Cơ quan ban hành", "Issued by"), data.issuer],
        [t("Báo cáo", "Report"), t(f"Báo cáo Chỉ số hài lòng về sự phục vụ hành chính năm {data.year}",
                                   f"Report on the Satisfaction Index of Public Administrative Services {data.year}")],
        [t("Đợt khảo sát", "Round"), f"{data.round_name} ({data.round_code})"],
        [t("Phạm vi", "Coverage"), data.province],
        [t("Phương pháp đo", "Method version"), data.method_version],
        [t("Bản đồ hành chính", "Administrative map"), data.admin_map],
        [t("Thời gian khảo sát", "Period"), f"{data.period[0]} – {data.period[1]}"],
    ]
    for channel, n in sorted(data.channel_counts.items()):
        kind = t("tự nguyện, không tính vào SIPAS chọn mẫu", "self-selected, not pooled") \
            if channel_group(channel) == SELF_SELECTED_GROUP else t("chọn mẫu", "sampled")
        rows.append([t("Phiếu hợp lệ", "Valid responses") + f": {t.pair(CHANNELS.get(channel, (channel, channel)))}",
                     f"{n:,}".replace(",", "." if not t.en else ",") + f" ({kind})"])
    rows.append([t("Tổng số phiếu hợp lệ", "Valid responses, total"),
                 f"{sum(data.channel_counts.values()):,}".replace(",", "." if not t.en else ",")])
    status = t("Kết quả CHƯA công bố (tạm tính)", "PROVISIONAL, not published") if data.provisional else \
        t(f"Đã công bố (phiên bản {data.version}, {data.published_at:%d/%m/%Y})",
          f"Published (version {data.version}, {data.published_at:%Y-%m-%d})")
    rows.append([t("Trạng thái", "Status"), status])
    revision = data.results.revision
    if revision is not None:
        moved = "; ".join(f"{code} {r2(old)} → {r2(new)}" for code, (old, new) in revision.changes.items()
                          if code == "SIPAS" or code.startswith("PART_"))
        rows.append([t(f"Thay đổi so với phiên bản {revision.previous_version}",
                       f"Changes from version {revision.previous_version}"),
                     t(f"{revision.previous_responses} → {revision.responses} phiếu hợp lệ; ",
                       f"{revision.previous_responses} → {revision.responses} valid responses; ") + moved
                     + (f" ({revision.note})" if revision.note else "")])
    rows += [
        [t("Mã ảnh chụp dữ liệu", "Data snapshot"), data.results.snapshot],
        [t("Mã kiểm tra kết quả (SHA-256)", "Results checksum (SHA-256)"), data.checksum],
        [t("Hạt giống ngẫu nhiên (tập hạng)", "Random seed (rank sets)"), str(data.results.seed)],
        [t("Thời điểm lập", "Generated at"), f"{data.generated_at:%Y-%m-%d %H:%M} UTC"],
    ]
    if data.data_rows is not None:
        rows.append([t("Số dòng dữ liệu (sheet Dữ liệu)", "Data rows (Data sheet)"),
                     f"{data.data_count:,}".replace(",", "." if not t.en else ",")])
    return Sheet(t("Bìa", "Cover"), t(f"CHỈ SỐ HÀI LÒNG VỀ SỰ PHỤC VỤ HÀNH CHÍNH NĂM {data.year}",
                                      f"SATISFACTION INDEX OF PUBLIC ADMINISTRATIVE SERVICES {data.year}"),
                 [[(t("Mục", "Item"), 1), (t("Nội dung", "Content"), 1)]], rows, [38, 90])


def summary(data, t: Labels) -> Sheet:
    whole = _groups(data.results, "all")
    rows = []
    for code in _headline_codes(data):
        ix = whole[0].indices[code]
        moved = whole[0].change.get(code)
        if moved is not None and moved.reason and moved.reason in REASONS:
            change, note = None, t.pair(REASONS[moved.reason])
        elif moved is not None and moved.previous_estimate is not None and ix.estimate is not None:
            year = moved.previous_year
            change, note = r2(ix.estimate - moved.previous_estimate), t(f"so với {year}", f"vs {year}")
        else:
            change, note = None, ""
        if ix.low_base:
            note = (note + "; " if note else "") + t("cỡ mẫu nhỏ", "low base")
        rows.append([_index_name(data, code, t), r2(ix.estimate), r2(_low(ix)), r2(_high(ix)), ix.n,
                     r2(ix.deff), change, note])
    header = [[(t("Chỉ số", "Index"), 1), (t("Giá trị (%)", "Value (%)"), 1), (t("Khoảng tin cậy 95%", "95% interval"), 2),
               ("n", 1), (t("Hệ số thiết kế", "Design effect"), 1), (t("Thay đổi (điểm %)", "Change (points)"), 1),
               (t("Ghi chú", "Note"), 1)],
              [("", 1), ("", 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1), ("", 1), ("", 1), ("", 1),
               ("", 1)]]
    chart = Chart(t("Chỉ số hài lòng theo yếu tố (%)", "Satisfaction by factor (%)"), 0, [1], "J3", "%")
    notes = [t("Khoảng tin cậy tính theo thiết kế mẫu (phân tầng, đơn vị mẫu, quyền số).",
               "Intervals respect the sample design (strata, PSUs, weights).")]
    if _self_selected_only(data.results):
        notes.insert(0, t("Đánh giá tự nguyện (quầy, đường dẫn công khai): không phải mẫu điều tra, không dùng để "
                          "xếp hạng SIPAS chính thức.", "Self-selected ratings (kiosk, open link): not a sample, not "
                          "an official SIPAS figure."))
    return Sheet(t("Tổng hợp", "Summary"), t(f"Kết quả chung: {data.province}", f"Overall results: {data.province}"),
                 header, rows, [52, 12, 11, 11, 8, 12, 14, 46], {1, 2, 3, 5, 6}, [chart], notes=notes)


def _index_columns(codes: list[str], t: Labels):
    header_top = []
    header_sub = []
    for code in codes:
        header_top.append((code, 3))
        header_sub += [(t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]
    return header_top, header_sub


def by_level(data, t: Labels) -> Sheet:
    codes = _headline_codes(data)
    top, sub = _index_columns(codes, t)
    rows = []
    for g in _groups(data.results, "all") + _groups(data.results, "level"):
        name = t("Toàn tỉnh", "Whole province") if g.by == "all" else t.pair(LEVEL_NAMES.get(g.key, (g.key,) * 2))
        row: list = [name, g.n]
        for code in codes:
            ix = g.indices[code]
            row += [r2(ix.estimate), r2(_low(ix)), r2(_high(ix))]
        rows.append(row + [_verdict(g, t)])
    header = [[(t("Cấp", "Level"), 1), ("n", 1)] + top + [(t("So với toàn tỉnh (SIPAS)", "vs province (SIPAS)"), 1)],
              [("", 1), ("", 1)] + sub + [("", 1)]]
    numbers = set(range(2, 2 + 3 * len(codes)))
    return Sheet(t("Theo cấp", "By level"), t("Chỉ số theo cấp hành chính", "Indices by administrative level"), header,
                 rows, [22, 8] + [9] * (3 * len(codes)) + [24], numbers)


def by_agency(data, t: Labels) -> Sheet:
    codes = _headline_codes(data)
    factors = [c for c in codes if c != "SIPAS"]
    groups = _groups(data.results, "agency")
    # Agencies are ranked among their tier (their level): the table lists tier by tier.
    tier_order = ("province", "district", "commune")

    def order(g: GroupResult) -> tuple:
        rank = g.rank.rank if g.rank is not None else None
        among = g.rank.among if g.rank is not None else ""
        return (tier_order.index(among) if among in tier_order else 9, rank is None, rank or 0, g.key)

    groups.sort(key=order)
    rows = []
    for g in groups:
        name, level = data.agencies.get(g.key, (g.key, ""))
        ix = g.indices["SIPAS"]
        rank = g.rank
        ranked = rank is not None and rank.rank is not None
        rank_text = f"{rank.rank}/{rank.of}" if ranked else t("không có số liệu", "no data")
        interval = f"{rank.rank_low}–{rank.rank_high}" if ranked else ""
        rows.append([rank_text, interval, g.key, name, t.pair(LEVEL_NAMES.get(level, (level, level))), g.n,
                     r2(ix.estimate), r2(_low(ix)), r2(_high(ix))]
                    + [r2(g.estimate(c)) for c in factors]
                    + [t("Có", "Yes") if ix.low_base else "", _verdict(g, t)])
    header = [[(t("Hạng", "Rank"), 1), (t("Tập hạng 95%", "95% rank set"), 1), (t("Mã", "Code"), 1),
               (t("Cơ quan", "Agency"), 1), (t("Cấp", "Level"), 1), ("n", 1), ("SIPAS", 3),
               (t("Yếu tố", "Factors"), len(factors)), (t("Cỡ mẫu nhỏ", "Low base"), 1),
               (t("So với toàn tỉnh", "vs province"), 1)],
              [("", 1)] * 6 + [(t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]
              + [(c, 1) for c in factors] + [("", 1), ("", 1)]]
    numbers = set(range(6, 9 + len(factors)))
    chart = Chart(t("SIPAS theo cơ quan (%)", "SIPAS by agency (%)"), 3, [6], f"{_col(len(header[1]) + 2)}3", "%")
    return Sheet(t("Theo cơ quan", "By agency"),
                 t("Xếp hạng cơ quan theo SIPAS trong từng cấp (tập hạng cho biết mức bất định)",
                   "Agencies ranked on SIPAS within each level (the rank set shows the uncertainty)"),
                 header, rows, [10, 12, 20, 46, 12, 7, 9, 9, 9] + [8] * len(factors) + [12, 22], numbers, [chart],
                 notes=[t("Hạng x/N: thứ x trong N cơ quan cùng cấp. Tập hạng 95%: các hạng có thể có của cơ quan "
                          "(tập tin cậy cho hạng, Mogstad-Romano-Shaikh-Wilhelm). Cơ quan cỡ mẫu nhỏ vẫn được xếp hạng, "
                          "tập hạng rộng hơn. Cao hơn/thấp hơn: kiểm định có hiệu chỉnh Holm, mức 5%.",
                          "Rank x/N: x-th of the N agencies of the same level. 95% rank set: the ranks the agency may "
                          "hold (confidence sets for ranks, Mogstad-Romano-Shaikh-Wilhelm). Low-base agencies are "
                          "ranked too, with wider sets. Above/below: Holm-adjusted tests at 5%.")])


def by_province(data, t: Labels) -> Sheet:
    """The league table of a national round: provinces in rank order with their rank sets and change."""
    from sipas.services.national import publication

    pub = publication(data.results)
    codes = [c for c in ("SIPAS", "PART_A", "PART_B") if c in pub.national]
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
                c.rank_movement if c is not None else None]
        rows.append(row)
    top, sub = _index_columns(codes, t)
    header = [[(t("Hạng (tập hạng 95%)", "Rank (95% rank set)"), 1),
               (t("Tập hạng đồng thời", "Simultaneous set"), 1), (t("Mã", "Code"), 1), (t("Tỉnh", "Province"), 1),
               ("n", 1)] + top + [(t("Thay đổi so với kỳ trước", "Change since the previous round"), 3)],
              [("", 1)] * 5 + sub + [(t("Điểm %", "Points"), 1), (t("Kết luận", "Verdict"), 1),
                                     (t("Tăng/giảm bậc", "Places moved"), 1)]]
    numbers = set(range(5, 6 + 3 * len(codes)))
    return Sheet(t("Theo tỉnh", "By province"),
                 t("Xếp hạng các tỉnh theo SIPAS", "Provinces ranked on SIPAS"), header, rows,
                 [16, 14, 7, 30, 7] + [9] * (3 * len(codes)) + [9, 22, 10], numbers,
                 notes=[t("Hạng x/N (a–b): thứ x trong N tỉnh, tập hạng 95% của tỉnh từ a đến b; tập hạng đồng thời "
                          "phủ hạng thật của mọi tỉnh cùng lúc. Thay đổi: so với kỳ trước (kỳ trước sắp xếp năm 2025 "
                          "được ước lượng lại theo bản đồ mới); tăng/giảm bậc: số bậc tăng (dương) hoặc giảm (âm).",
                          "Rank x/N (a–b): x-th of N provinces, the province's 95% rank set from a to b; the "
                          "simultaneous set covers every province's true rank at once. Change: since the previous "
                          "round (a round before the 2025 merger is re-estimated on the new map); places moved: up "
                          "(positive) or down (negative).")])


def _col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def criteria(data, t: Labels) -> Sheet:
    profile = data.profile
    items = [i for i in profile.items if i.kind in ("assessment", "satisfaction", "overall", "policy_assessment",
                                                    "policy_satisfaction")]
    top, codes = [], []
    for factor in profile.factors:
        members = [i.code for i in items if i.factor == factor.code]
        if members:
            top.append((f"{factor.code}. " + (factor.text.en if t.en else factor.text.vi), len(members)))
            codes += members
    rest = [i.code for i in items if i.factor is None]
    if rest:
        top.append((t("Khác", "Other"), len(rest)))
        codes += rest
    rows = []
    for g in _groups(data.results, "all") + _groups(data.results, "level") + _groups(data.results, "agency"):
        name = t("Toàn tỉnh", "Whole province") if g.by == "all" else (
            t.pair(LEVEL_NAMES.get(g.key, (g.key,) * 2)) if g.by == "level" else data.agencies.get(
                g.key, (g.key,))[0])
        rows.append([g.key, name, g.n] + [r2(g.estimate(c)) for c in codes])
    header = [[(t("Mã", "Code"), 1), (t("Đơn vị", "Unit"), 1), ("n", 1)] + top,
              [("", 1), ("", 1), ("", 1)] + [(c, 1) for c in codes]]
    return Sheet(t("Tiêu chí", "Criteria"), t("Chỉ số theo từng tiêu chí (%)", "Index of every criterion (%)"),
                 header, rows, [18, 40, 7] + [7] * len(codes), set(range(3, 3 + len(codes))))


def expectations(data, t: Labels) -> Sheet:
    block_items = [i for b in data.profile.blocks for i in data.profile.block_items(b.code)]
    rows = []
    for g in _groups(data.results, "all") + _groups(data.results, "level"):
        name = t("Toàn tỉnh", "Whole province") if g.by == "all" else t.pair(LEVEL_NAMES.get(g.key, (g.key,) * 2))
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
                                                   "100%)"), header, rows, [22, 8, 60, 14, 10, 10, 14], {3, 4, 5})


def _distribution_sheet(data, t: Labels, kind: str, name: tuple[str, str], title: tuple[str, str]) -> Sheet:
    rows = []
    for item in data.profile.items_of(kind):
        dist = data.distributions.get(item.code, {})
        total_n = sum(n for n, _ in dist.values())
        total_w = sum(w for _, w in dist.values())
        for option in item.scale.options:
            n, w = dist.get(option.value, (0, 0.0))
            rows.append([item.code, item.text.en if t.en else item.text.vi, option.label.en if t.en else option.label.vi,
                         n, r2(100 * w / total_w) if total_w else None])
        rows.append([item.code, "", t("Số người trả lời", "Answered"), total_n, None])
    header = [[(t("Mã", "Code"), 1), (t("Câu hỏi", "Question"), 1), (t("Phương án", "Option"), 1),
               (t("Số phiếu", "Responses"), 1), (t("Tỷ lệ có trọng số (%)", "Weighted share (%)"), 1)]]
    return Sheet(t.pair(name), t.pair(title), header, rows, [8, 55, 30, 12, 18], {4})


def channels(data, t: Labels) -> Sheet:
    rows = []
    for group in (SAMPLED, SELF_SELECTED_GROUP):
        for g in _groups(data.results, "all", group):
            ix = g.indices["SIPAS"]
            label = t("Mẫu điều tra (chọn mẫu)", "Sampled survey") if group == SAMPLED else \
                t("Đánh giá tự nguyện (quầy, đường dẫn công khai)", "Self-selected ratings (kiosk, open link)")
            rows.append([label, g.n, r2(ix.estimate), r2(_low(ix)), r2(_high(ix))])
    for channel, n in sorted(data.channel_counts.items()):
        rows.append([t.pair(CHANNELS.get(channel, (channel, channel))), n, None, None, None])
    header = [[(t("Kênh", "Channel"), 1), (t("Số phiếu", "Responses"), 1), ("SIPAS", 3)],
              [("", 1), ("", 1), (t("Giá trị", "Value"), 1), (t("Cận dưới", "Lower"), 1), (t("Cận trên", "Upper"), 1)]]
    return Sheet(t("Kênh", "Channels"), t("Kênh thu thập — đánh giá tự nguyện không gộp với mẫu điều tra",
                                         "Channels — self-selected ratings are never pooled with the sample"),
                 header, rows, [52, 12, 10, 10, 10], {2, 3, 4})


def method(data, t: Labels) -> Sheet:
    rules = data.profile.rules
    lines = [
        (t("Phương pháp", "Method"), data.method_version),
        (t("Chỉ số tiêu chí", "Item index"), t("Tỷ lệ hài lòng (mức 4, 5) trên số trả lời hợp lệ; mức 3 là hợp lệ, "
                                               "không hài lòng", "Share answering 4 or 5 among valid answers")
         if rules.item_index == "TOP2_BOX" else t("100·(điểm trung bình − 1)/4", "100·(mean − 1)/4")),
        (t("Chỉ số yếu tố", "Factor index"), t("Câu hỏi hài lòng chung của yếu tố", "The factor's general question")
         if rules.factor_index == "GENERAL_QUESTION" else t("Trung bình các tiêu chí", "Mean of the criteria")),
        ("SIPAS", {"MEAN_OF_FACTORS": t("Trung bình 5 yếu tố", "Mean of the five factors"),
                   "OVERALL_QUESTION": t("Câu hỏi hài lòng chung", "The overall question"),
                   "MEAN_OF_PARTS": t("Trung bình hai phần (chính sách, dịch vụ)", "Mean of the two parts")}[rules.sipas]),
        (t("Ước lượng", "Estimation"), t("Tỷ số có trọng số (Hájek): Σ quyền số × hài lòng / Σ quyền số × trả lời",
                                         "Weighted ratio (Hájek): Σ w × satisfied / Σ w × answered")),
        (t("Khoảng tin cậy tiêu chí, yếu tố", "Interval, items and factors"),
         t("Korn–Graubard trên cỡ mẫu hiệu dụng, hệ số thiết kế tối thiểu 1", "Korn–Graubard on the effective sample "
           "size, design effect floored at 1")),
        (t("Khoảng tin cậy SIPAS", "Interval, SIPAS"),
         t("Tuyến tính hóa Taylor cho trung bình các tỷ lệ tương quan, biến đổi logit, phương sai tối thiểu bằng mẫu "
           "ngẫu nhiên đơn giản", "Taylor linearisation of the mean of correlated proportions, logit interval, "
           "variance floored at the simple-random-sample one")),
        (t("Thiết kế mẫu", "Design"), t("Tầng = cấp hành chính; đơn vị mẫu = điểm giao dịch × ngày khảo sát; quyền số = "
                                        "nghịch đảo xác suất chọn. Tầng chỉ có một đơn vị: người trả lời là đơn vị mẫu.",
                                        "Strata = level; PSU = office × interviewing day; weight = inverse inclusion "
                                        "probability. One-PSU strata: respondents are the units.")),
        (t("Câu bỏ trống", "Missing answers"), t("Không tính vào mẫu số của tiêu chí đó", "Left out of that item's base")),
        (t("Cỡ mẫu nhỏ", "Low base"), t(f"Ít hơn {rules.min_base} câu trả lời, bậc tự do < 8 hoặc cỡ mẫu hiệu dụng < 30: "
                                        "vẫn hiển thị và xếp hạng, kèm cảnh báo", f"Fewer than {rules.min_base} "
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
    return Sheet(t("Phương pháp", "Method"), t("Phương pháp tính", "How the figures are computed"),
                 [[(t("Nội dung", "Topic"), 1), (t("Mô tả", "Description"), 1)]], [list(x) for x in lines], [34, 120])


def data_sheet(data, t: Labels) -> Sheet:
    rows = data.data_rows()
    header_row = next(rows)
    return Sheet(t("Dữ liệu", "Data"), t("Dữ liệu phiếu đã ẩn danh (không có thông tin cá nhân, không có ý kiến "
                                         "tự do)", "Anonymised responses (no personal data, no free text)"),
                 [[(h, 1) for h in header_row]], rows, [38, 16, 10, 12, 12, 22, 10] + [5] * (len(header_row) - 7))


def workbook_sheets(data, lang: str = "vi") -> list[Sheet]:
    """All sheets of the SIPAS workbook, in order."""
    t = Labels(lang)
    provinces = [by_province(data, t)] if _groups(data.results, "province") else []
    sheets = [cover(data, t), summary(data, t), *provinces, by_level(data, t), by_agency(data, t), criteria(data, t),
              expectations(data, t),
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
