"""From report data to sheets of rows, in the shape Home Affairs publishes; display rounding happens in
sheets/base.py only. One module per group of sheets; workbook_sheets() lists them in the order of the workbook.
"""
from __future__ import annotations

from sipas.reports.sheets.accounts import accounting_sheet, themes_sheet
from sipas.reports.sheets.agencies import by_agency, ranked_agencies, scorecards
from sipas.reports.sheets.base import Chart, Labels, Sheet, _groups, _scope, footer, r2, report_title, top_themes
from sipas.reports.sheets.criteria import criteria, criteria_by_agency, expectations
from sipas.reports.sheets.data import data_sheet
from sipas.reports.sheets.distributions import _distribution_sheet, channels
from sipas.reports.sheets.method import method
from sipas.reports.sheets.overview import by_level, cover, summary
from sipas.reports.sheets.provinces import by_province

# What the rest of the application uses (the xlsx writer, the Word report, the workbook service).
__all__ = ["Chart", "Labels", "Sheet", "by_agency", "footer", "r2", "ranked_agencies", "report_title", "scorecards",
           "summary", "top_themes", "workbook_sheets"]


def workbook_sheets(data, lang: str = "vi") -> list[Sheet]:
    """All sheets of the SIPAS workbook, in order. An agency workbook has only what is about that agency (the
    whole round only as labelled reference figures): no level, channel, behaviour or respondent sheets, whose
    figures are the whole round's."""
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
