"""What a person reads instead of a code: names of levels, maps, methods, channels, statuses and verdicts.

One table for every place that shows them (workbook, DOCX, dashboard, admin pages, CLI tables meant for people).
Each entry is a (Vietnamese, English) pair; `word(kind, code, lang)` picks one. Pages choose the language of the
request, reports the language they were asked for, so these are pairs rather than gettext messages.
No Flask and no database here.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

Pair = tuple[str, str]

LEVELS: Mapping[str, Pair] = {
    "province": ("Cấp tỉnh", "Province level"),
    "district": ("Cấp huyện", "District level"),
    "commune": ("Cấp xã", "Commune level"),
}
ADMIN_MAPS: Mapping[str, Pair] = {
    "new_34": ("34 tỉnh, thành phố (từ 01/7/2025)", "34 provinces (from 1 July 2025)"),
    "historical_63": ("63 tỉnh, thành phố (đến 30/6/2025)", "63 provinces (until 30 June 2025)"),
}
#: Method versions as the decision that set them.
METHODS: Mapping[str, Pair] = {
    "SIPAS_2640": ("QĐ 2640/QĐ-BNV (phương pháp 2017–2021)", "Decision 2640/QĐ-BNV (2017–2021 method)"),
    "SIPAS_1001": ("QĐ 1001/QĐ-BNV (phương pháp từ 2022)", "Decision 1001/QĐ-BNV (method from 2022)"),
    "KIOSK_RT": ("Đánh giá tại quầy (không phải Chỉ số SIPAS chính thức)",
                 "Ratings at the desk (not the official SIPAS index)"),
}
CHANNELS: Mapping[str, Pair] = {
    "kiosk": ("Máy đánh giá tại quầy", "Kiosk at the desk"),
    "online": ("Đường dẫn/mã QR công khai", "Open link / QR code"),
    "invitation": ("Thư mời trực tuyến", "Online invitation"),
    "paper_post": ("Phiếu giấy qua bưu điện", "Paper form by post"),
    "paper_direct": ("Phiếu giấy phát trực tiếp", "Paper form handed out"),
    "interview": ("Phỏng vấn", "Interview"),
    "import": ("Nhập từ tệp", "Imported from a file"),
    "api": ("Hệ thống khác (API)", "Other system (API)"),
}
ROUND_STATUSES: Mapping[str, Pair] = {
    "draft": ("Đang chuẩn bị", "Draft"),
    "open": ("Đang thu thập", "Collecting"),
    "closed": ("Đã kết thúc thu thập", "Collection closed"),
    "published": ("Đã công bố", "Published"),
}
RESPONSE_STATUSES: Mapping[str, Pair] = {
    "valid": ("Hợp lệ", "Valid"),
    "flagged": ("Cần xem xét", "Flagged for review"),
    "void": ("Không hợp lệ", "Void"),
}
VERDICTS: Mapping[str, Pair] = {
    "above": ("Cao hơn", "Above"),
    "below": ("Thấp hơn", "Below"),
    "not_different": ("Không khác biệt có ý nghĩa", "No significant difference"),
    "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide"),
}
#: Why a change since an earlier round is not given.
CHANGE_REASONS: Mapping[str, Pair] = {
    "METHOD_BREAK": ("Không so sánh: thay đổi phương pháp đo", "Not comparable: the method changed"),
    "GEO_BREAK": ("Không so sánh: thay đổi địa giới hành chính (sắp xếp năm 2025)",
                  "Not comparable: the administrative map changed (2025 reorganisation)"),
    "NO_PREVIOUS": ("Chưa có kỳ trước", "No earlier round"),
    "NOT_IN_PREVIOUS": ("Không có trong kỳ trước", "Not in the earlier round"),
    "SPLIT_PREDECESSOR": ("Không so sánh: cơ quan tiền thân bị chia tách", "Not compared: a predecessor was split"),
}
#: How the earlier figure of a change was obtained (a direct comparison needs no words).
CHANGE_BASES: Mapping[str, Pair] = {
    "direct": ("so sánh trực tiếp", "direct comparison"),
    "re_estimated": ("tính lại theo địa giới mới", "re-estimated on the new map"),
    "predecessors_pooled": ("so với các cơ quan tiền thân gộp lại", "against its predecessors pooled"),
}
ROLES: Mapping[str, Pair] = {
    "admin": ("Quản trị", "Administrator"),
    "analyst": ("Phân tích", "Analyst"),
    "agency_manager": ("Lãnh đạo cơ quan", "Agency manager"),
    "surveyor": ("Nhập phiếu", "Surveyor"),
    "verifier": ("Kiểm tra phiếu", "Verifier"),
}
CHANNEL_GROUPS: Mapping[str, Pair] = {
    "sampled": ("Khảo sát chọn mẫu", "Sample survey"),
    "self_selected": ("Đánh giá tự nguyện – không phải Chỉ số SIPAS chính thức",
                      "Self-selected ratings – not the official SIPAS index"),
}

KINDS: Mapping[str, Mapping[str, Pair]] = {
    "level": LEVELS, "admin_map": ADMIN_MAPS, "method": METHODS, "channel": CHANNELS,
    "round_status": ROUND_STATUSES, "response_status": RESPONSE_STATUSES, "verdict": VERDICTS,
    "change_reason": CHANGE_REASONS, "change_basis": CHANGE_BASES, "role": ROLES, "channel_group": CHANNEL_GROUPS,
}


def word(kind: str, code: object, lang: str = "vi") -> str:
    """The words for `code` (a string or a str-valued enum) of one kind, in `lang` ("vi" or "en").

    An unknown code comes back as itself, so a new value shows up (and a test of the page can catch it)
    instead of failing the page.
    """
    key = str(getattr(code, "value", code))
    pair = KINDS[kind].get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


#: Vietnam time (UTC+7, no daylight saving): every date and time a person reads is given in it.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


def local_time(moment: datetime | None, with_time: bool = True) -> str:
    """A moment as a person in Vietnam reads it: dd/mm/yyyy HH:MM (or the date alone); "" for None.
    A naive datetime is taken as UTC (what the database stores)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def thousands(n: int, lang: str = "vi") -> str:
    """An integer with the language's thousands separator: 2.620 in Vietnamese, 2,620 in English."""
    return f"{n:,}".replace(",", "," if lang == "en" else ".")


def decimal(x: float | None, lang: str = "vi", places: int = 2) -> str:
    """A figure with the language's decimal mark: 85,23 in Vietnamese, 85.23 in English; "—" for None."""
    if x is None:
        return "—"
    text = f"{x:.{places}f}"
    return text if lang == "en" else text.replace(".", ",")


def index_name(profile, code: str, lang: str = "vi", self_selected: bool = False) -> str:
    """The name of an index as a person reads it, from the survey profile (a surveys.Profile): "Chỉ số SIPAS",
    a part's or a factor's name, a criterion's wording. Self-selected ratings never carry the official name."""
    en = lang == "en"
    if code == "SIPAS":
        if self_selected:
            return ("Desk rating index (not the official SIPAS index)" if en
                    else "Chỉ số đánh giá tại quầy (không phải Chỉ số SIPAS chính thức)")
        return "SIPAS index" if en else "Chỉ số SIPAS"
    for part in getattr(profile, "parts", ()) or ():
        if f"PART_{part.code}" == code:
            return part.text.en if en else part.text.vi
    for factor in profile.factors:
        if factor.code == code:
            return factor.text.en if en else factor.text.vi
    if not profile.has_item(code):
        return code
    item = profile.item(code)
    return item.text.en if en else item.text.vi
