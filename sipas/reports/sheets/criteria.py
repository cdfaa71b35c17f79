"""The criteria sheets (every criterion for the round and its levels, every criterion by agency) and the
citizens' expectations."""
from __future__ import annotations

from sipas.reports.sheets.agencies import ranked_agencies
from sipas.reports.sheets.base import (
    Labels,
    Sheet,
    _criteria_items,
    _groups,
    _high,
    _low,
    _page,
    _scope_group,
    _unit_name,
    _whole_name,
    r2,
)


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
