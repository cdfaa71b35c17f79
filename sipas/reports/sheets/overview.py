"""The first sheets a reader opens: the cover, the overall results (summary) and the results by level."""
from __future__ import annotations

from sipas import words
from sipas.reports.sheets.base import (
    Chart,
    Labels,
    Sheet,
    _change,
    _groups,
    _headline_codes,
    _high,
    _index_columns,
    _index_name,
    _low,
    _page,
    _scope_group,
    _self_selected_only,
    _unit_name,
    _verdict,
    _whole_name,
    r2,
    report_title,
)
from sipas.results import SELF_SELECTED_GROUP, channel_group


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
