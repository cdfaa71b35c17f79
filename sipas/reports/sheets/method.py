"""The method sheet: how the figures are computed, with the identifiers an auditor needs."""
from __future__ import annotations

from sipas.reports.sheets.base import (
    Labels,
    Sheet,
    _page,
)


def method(data, t: Labels) -> Sheet:
    rules = data.profile.rules
    lines = [
        (t("Phương pháp", "Method"), f"{t.word('method', data.method_version)} [{data.method_version}]"),
        (t("Bản đồ hành chính", "Administrative map"), f"{t.word('admin_map', data.admin_map)} [{data.admin_map}]"),
        (t("Chỉ số tiêu chí", "Item index"), t("Tỷ lệ hài lòng (mức 4, 5) trên số trả lời hợp lệ; mức 3 là hợp lệ, "
                                               "không hài lòng", "Share answering 4 or 5 among valid answers")
         if rules.item_index == "TOP2_BOX" else t("100·(điểm trung bình − 1)/4", "100·(mean − 1)/4")),
        (t("Chỉ số yếu tố", "Factor index"), t("Câu hỏi hài lòng chung của yếu tố", "The factor's general question")
         if rules.factor_index == "GENERAL_QUESTION" else t("Trung bình các tiêu chí", "Mean of the criteria")),
        ("SIPAS", {"MEAN_OF_FACTORS": t("Trung bình 5 yếu tố", "Mean of the five factors"),
                   "OVERALL_QUESTION": t("Câu hỏi hài lòng chung", "The overall question"),
                   "MEAN_OF_PARTS": t("Trung bình hai phần (chính sách, dịch vụ)", "Mean of the two parts"),
                   }[rules.sipas]),
        (t("Ước lượng", "Estimation"), t("Tỷ số có trọng số (Hájek): Σ quyền số × hài lòng / Σ quyền số × trả lời",
                                         "Weighted ratio (Hájek): Σ w × satisfied / Σ w × answered")),
        (t("Khoảng tin cậy tiêu chí, yếu tố", "Interval, items and factors"),
         t("Korn–Graubard trên cỡ mẫu hiệu dụng, hệ số thiết kế tối thiểu 1", "Korn–Graubard on the effective sample "
           "size, design effect floored at 1")),
        (t("Khoảng tin cậy SIPAS", "Interval, SIPAS"),
         t("Tuyến tính hóa Taylor cho trung bình các tỷ lệ tương quan, biến đổi logit, phương sai tối thiểu bằng mẫu "
           "ngẫu nhiên đơn giản", "Taylor linearisation of the mean of correlated proportions, logit interval, "
           "variance floored at the simple-random-sample one")),
        (t("Thiết kế mẫu", "Design"), t("Tầng = cấp hành chính; đơn vị mẫu = điểm giao dịch × ngày khảo sát; "
                                        "quyền số = nghịch đảo xác suất chọn. Tầng chỉ có một đơn vị: người trả lời "
                                        "là đơn vị mẫu.",
                                        "Strata = level; PSU = office × interviewing day; weight = inverse inclusion "
                                        "probability. One-PSU strata: respondents are the units.")),
        (t("Câu bỏ trống", "Missing answers"),
         t("Không tính vào mẫu số của tiêu chí đó", "Left out of that item's base")),
        (t("Cỡ mẫu nhỏ", "Low base"), t(f"Ít hơn {rules.min_base} câu trả lời, bậc tự do < 8 hoặc cỡ mẫu hiệu "
                                        "dụng < 30: vẫn hiển thị và xếp hạng, kèm cảnh báo",
                                        f"Fewer than {rules.min_base} "
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
    # Technical identifiers live here, not on the cover: what an auditor needs to find the exact computation.
    lines += [
        (t("Mã ảnh chụp dữ liệu", "Data snapshot"), data.results.snapshot),
        (t("Mã kiểm tra kết quả (SHA-256)", "Results checksum (SHA-256)"), data.checksum),
        (t("Hạt giống ngẫu nhiên (tập hạng)", "Random seed (rank sets)"), str(data.results.seed)),
        (t("Mã đợt khảo sát", "Round code"), data.round_code),
    ]
    return Sheet(t("Phương pháp", "Method"), t("Phương pháp tính", "How the figures are computed"),
                 [[(t("Nội dung", "Topic"), 1), (t("Mô tả", "Description"), 1)]], [list(x) for x in lines], [30, 90],
                 page_label=_page(t))
