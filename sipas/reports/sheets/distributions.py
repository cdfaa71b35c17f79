"""Answer distributions (behaviour, respondents) and the channels sheet (self-selected never pooled)."""
from __future__ import annotations

from sipas.reports.sheets.base import (
    Labels,
    Sheet,
    _groups,
    _high,
    _low,
    _page,
    r2,
)
from sipas.results import SAMPLED, SELF_SELECTED_GROUP


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
