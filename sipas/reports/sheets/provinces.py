"""The league table of a national round: provinces in rank order, their change and three-year trend."""
from __future__ import annotations

from sipas.reports.sheets.base import (
    CHANGE_VERDICT,
    Labels,
    Sheet,
    _high,
    _index_columns,
    _low,
    r2,
)
from sipas.services.national import NOT_CLASSIFIED, TREND_CLASSES, publication


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
