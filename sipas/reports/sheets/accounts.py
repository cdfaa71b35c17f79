"""The sample accounting and the comment themes as rows: one shape for the workbook's sheets, the scorecards and
the narrative report (the figures come from sipas/services/accounting.py and sipas/services/comments.py, gathered
once into the report data).
"""
from __future__ import annotations

from sipas import words
from sipas.reports.sheets.agencies import ranked_agencies
from sipas.reports.sheets.base import Labels, Sheet, _page, r2, top_themes


def accounting_header(t: Labels) -> list[str]:
    """The columns of the sample accounting table."""
    return [t("Tầng", "Stratum"), t("Kế hoạch", "Planned"), t("Đã phát", "Issued"), t("Thu về", "Returned"),
            t("Hợp lệ", "Valid"), t("Cần xem xét", "Flagged"), t("Tỷ lệ phản hồi (%)", "Response rate (%)")]


def accounting_rows(accounting, t: Labels) -> list[list]:
    """One row per stratum (its name in words), then the total; the response rate is valid per issued form, in
    percent, None where nothing was issued."""
    def rate(valid: int, issued: int) -> float | None:
        return r2(100 * valid / issued) if issued else None

    rows: list[list] = [[t.word("level", c.stratum) if c.stratum else t("(không ghi tầng)", "(no stratum)"),
                         c.planned, c.issued, c.returned, c.valid, c.flagged, rate(c.valid, c.issued)]
                        for c in accounting]
    total = [sum(getattr(c, f) for c in accounting) for f in ("planned", "issued", "returned", "valid", "flagged")]
    rows.append([t("Tổng cộng", "Total"), *total, rate(total[3], total[1])])
    return rows


def accounting_sheet(data, t: Labels) -> Sheet:
    """Forms planned, issued (invitations, printed serials), returned, valid, flagged and the response rate per
    stratum, as at the workbook's time."""
    notes = [t(f"Số liệu phát, thu phiếu của mẫu điều tra tính đến {words.local_time(data.generated_at)} (giờ Việt "
               "Nam). Phiếu tự nguyện (quầy, đường dẫn công khai) không thuộc mẫu nên không tính ở đây. Tỷ lệ phản "
               "hồi = phiếu hợp lệ / phiếu đã phát.",
               f"Forms of the sample survey as at {words.local_time(data.generated_at)} (Vietnam time). "
               "Self-selected responses (kiosk, open link) are no sample and are not counted here. Response rate = "
               "valid / issued.")]
    rows = accounting_rows(data.accounting, t) if data.accounting else []
    header = [[(h, 1) for h in accounting_header(t)]]
    return Sheet(t("Mẫu khảo sát", "Sample accounting"), t("Kết quả phát, thu phiếu theo tầng",
                                                            "Forms issued and returned, per stratum"),
                 header, rows, [30, 11, 11, 11, 11, 12, 14], {6}, notes=notes, page_label=_page(t))


def theme_name(theme: tuple[str, str], t: Labels) -> str:
    """A theme in the report's language."""
    return t.pair(theme)


def themes_sheet(data, t: Labels) -> Sheet:
    """The recurring themes of citizens' comments: for the whole round (or the agency of an agency workbook)
    every theme, then each agency's top themes, agencies in rank order."""
    rows: list[list] = []
    scope = getattr(data, "scope", None)
    whole = t("Tất cả cơ quan trong báo cáo", "All agencies in this report")
    for theme, n in top_themes(data, "", n=99):
        rows.append([whole, theme_name(theme, t), n])
    labels = data.results.labels.get("agency", {})
    for g in ranked_agencies(data):
        if g.key == scope:
            continue
        name = labels[g.key].name if g.key in labels else g.key
        for theme, n in top_themes(data, g.key):
            rows.append([name, theme_name(theme, t), n])
    notes = [t("Chủ đề theo quy tắc từ khóa nêu trong tài liệu phương pháp: một ý kiến được tính cho một chủ đề "
               "khi có một trong các từ khóa của chủ đề (không phân biệt dấu, hoa thường). Một ý kiến có thể thuộc "
               "nhiều chủ đề.",
               "Themes follow the stated keyword rule (see the method documentation): a comment counts for a theme "
               "when it contains one of the theme's words (accents and case ignored). A comment may touch several "
               "themes.")]
    if not rows:
        notes.append(t("Chưa có ý kiến nào thuộc các chủ đề.", "No comment touches a theme yet."))
    header = [[(t("Cơ quan", "Agency"), 1), (t("Chủ đề", "Theme"), 1), (t("Số ý kiến", "Comments"), 1)]]
    return Sheet(t("Chủ đề ý kiến", "Comment themes"), t("Chủ đề thường gặp trong ý kiến của người dân",
                                                          "Recurring themes in citizens' comments"),
                 header, rows, [46, 36, 12], notes=notes, page_label=_page(t))
