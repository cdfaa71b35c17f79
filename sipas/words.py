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
#: A change since the previous round, by its verdict.
CHANGE_VERDICTS: Mapping[str, Pair] = {
    "above": ("Tăng", "Up"),
    "below": ("Giảm", "Down"),
    "not_different": ("Không thay đổi có ý nghĩa", "No significant change"),
    "undetermined": ("Không đủ dữ liệu để kết luận", "Not enough data to decide"),
}
#: The three-year trend classes of the national publication.
TREND_CLASSES: Mapping[str, Pair] = {
    "sustainable_increase": ("Tăng bền vững", "Sustainable increase"),
    "unsustainable_increase": ("Tăng không bền vững", "Unsustainable increase"),
    "decreasing": ("Giảm", "Decreasing"),
    "not_classified": ("Chưa đủ ba kỳ so sánh được", "Fewer than three comparable rounds"),
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
JOB_STATUSES: Mapping[str, Pair] = {
    "queued": ("Đang chờ", "Waiting"),
    "running": ("Đang chạy", "Running"),
    "done": ("Đã xong", "Done"),
    "failed": ("Không thành công", "Failed"),
}
PAPER_FORM_STATUSES: Mapping[str, Pair] = {
    "first_keyed": ("Đã nhập lần 1", "Keyed once"),
    "mismatch": ("Hai lần nhập khác nhau, chờ đối chiếu", "Passes differ, awaiting adjudication"),
    "verified": ("Đã xác nhận", "Verified"),
}
BATCH_STATUSES: Mapping[str, Pair] = {
    "open": ("Đang nhập", "Being keyed"),
    "first_done": ("Xong lần nhập 1", "First pass done"),
    "second_done": ("Xong lần nhập 2", "Second pass done"),
    "verified": ("Đã xác nhận", "Verified"),
}
AGENCY_KINDS: Mapping[str, Pair] = {
    "department": ("Sở, ban, ngành", "Department"),
    "peoples_committee": ("Ủy ban nhân dân", "People's Committee"),
    "service_centre": ("Trung tâm Phục vụ hành chính công", "Public administrative service centre"),
    "one_stop_desk": ("Bộ phận một cửa", "One-stop desk"),
    "other": ("Khác", "Other"),
}

#: What the audit log records (sipas/services/audit.py), and what it records it about.
AUDIT_ACTIONS: Mapping[str, Pair] = {
    "login": ("Đăng nhập", "Signed in"), "login_failed": ("Đăng nhập không thành công", "Sign-in failed"),
    "logout": ("Đăng xuất", "Signed out"), "password_changed": ("Đổi mật khẩu", "Password changed"),
    "password_reset": ("Đặt lại mật khẩu", "Password reset"),
    "totp_replaced": ("Thay mã xác thực", "Code app replaced"),
    "totp_reset": ("Đặt lại mã xác thực", "Code app reset"), "user_created": ("Tạo tài khoản", "User created"),
    "roles_changed": ("Đổi vai trò", "Roles changed"),
    "user_deactivated": ("Khóa tài khoản", "User deactivated"),
    "user_activated": ("Mở lại tài khoản", "User activated"),
    "round_draft": ("Đưa kỳ về chuẩn bị", "Round back to draft"), "round_open": ("Mở thu thập", "Collection opened"),
    "round_closed": ("Kết thúc thu thập", "Collection closed"), "round_created": ("Tạo kỳ khảo sát", "Round created"),
    "round_published": ("Công bố kết quả", "Results published"),
    "publication_started": ("Bắt đầu công bố", "Publication started"),
    "agencies_imported": ("Nhập danh sách cơ quan", "Agencies imported"),
    "api_key_created": ("Tạo khóa API", "API key created"), "api_key_revoked": ("Thu hồi khóa API", "API key revoked"),
    "kiosk_enrolled": ("Đăng ký máy đánh giá", "Kiosk enrolled"),
    "kiosk_code_issued": ("Cấp mã kích hoạt máy", "Kiosk code issued"),
    "kiosk_code_redeemed": ("Kích hoạt máy đánh giá", "Kiosk code used"),
    "kiosk_revoked": ("Thu hồi máy đánh giá", "Kiosk revoked"),
    "comments_deleted": ("Xóa ý kiến", "Comments deleted"),
    "export_started": ("Bắt đầu xuất dữ liệu", "Export started"),
    "report_exported": ("Xuất báo cáo", "Report exported"),
    "responses_imported": ("Nhập phiếu từ tệp", "Responses imported"),
    "frame_import_started": ("Bắt đầu nhập khung mẫu", "Frame import started"),
    "frame_imported": ("Nhập khung mẫu", "Frame imported"), "sample_drawn": ("Chọn mẫu", "Sample drawn"),
    "sample_reset": ("Hủy mẫu đã chọn", "Sample reset"), "weights_computed": ("Tính quyền số", "Weights computed"),
    "invitations_created": ("Tạo thư mời", "Invitations created"),
    "invitations_reissued": ("Cấp lại thư mời", "Invitations reissued"),
    "paper_batch_opened": ("Mở hộp phiếu giấy", "Paper batch opened"),
    "paper_form_adjudicated": ("Phân xử phiếu giấy", "Paper form adjudicated"),
}
AUDIT_OBJECTS: Mapping[str, Pair] = {
    "api_key": ("Khóa API", "API key"), "job": ("Tác vụ", "Job"), "kiosk_device": ("Máy đánh giá", "Kiosk"),
    "paper_batch": ("Hộp phiếu", "Paper batch"), "paper_form": ("Phiếu giấy", "Paper form"),
    "round": ("Kỳ khảo sát", "Round"), "user": ("Tài khoản", "User"),
}

KINDS: Mapping[str, Mapping[str, Pair]] = {
    "level": LEVELS, "admin_map": ADMIN_MAPS, "method": METHODS, "channel": CHANNELS,
    "round_status": ROUND_STATUSES, "response_status": RESPONSE_STATUSES, "verdict": VERDICTS,
    "change_reason": CHANGE_REASONS, "role": ROLES, "channel_group": CHANNEL_GROUPS, "job_status": JOB_STATUSES,
    "change_verdict": CHANGE_VERDICTS, "trend_class": TREND_CLASSES,
    "paper_form_status": PAPER_FORM_STATUSES, "agency_kind": AGENCY_KINDS,
    "batch_status": BATCH_STATUSES,
    "audit_action": AUDIT_ACTIONS, "audit_object": AUDIT_OBJECTS,
    "change_basis": CHANGE_BASES,
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
