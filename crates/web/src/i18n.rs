//! User-facing text in Vietnamese (default) and English. Templates read `tr.KEY`; the table
//! below is the only place a UI string lives, and a test checks that every key has both.

use std::collections::BTreeMap;

pub use baocao_domain::language::{Lang, combo_label};

/// (key, Vietnamese, English)
pub const STRINGS: &[(&str, &str, &str)] = &[
    (
        "app_name",
        "Hệ thống thông tin báo cáo",
        "Reporting information system",
    ),
    (
        "skip_to_content",
        "Chuyển đến nội dung chính",
        "Skip to main content",
    ),
    ("home", "Trang chủ", "Home"),
    ("regimes", "Chế độ báo cáo", "Reporting regimes"),
    ("agencies", "Cơ quan, đơn vị", "Agencies"),
    ("indicators", "Chỉ tiêu", "Indicators"),
    ("login", "Đăng nhập", "Log in"),
    ("logout", "Đăng xuất", "Log out"),
    ("menu", "Danh mục", "Menu"),
    (
        "offline_waiting",
        "Đang ngoại tuyến — {n} thay đổi đang chờ, được giữ trên máy này và sẽ lưu khi có mạng.",
        "Offline — {n} changes waiting, kept on this device and saved when the network is back.",
    ),
    (
        "sync_conflict",
        "Trong lúc ngoại tuyến, báo cáo đã được người khác sửa. So sánh rồi chọn:",
        "While you were offline someone else changed the report. Compare, then choose:",
    ),
    ("cell", "Ô", "Cell"),
    ("on_server", "Trên máy chủ", "On the server"),
    ("mine", "Của tôi", "Mine"),
    ("keep_mine", "Giữ số của tôi", "Keep mine"),
    ("take_theirs", "Dùng số trên máy chủ", "Take the server's"),
    ("design_steps", "Các bước thiết kế", "Design steps"),
    ("preview", "Xem trước", "Preview"),
    (
        "preview_note",
        "Biểu mẫu như đơn vị báo cáo sẽ thấy, theo bản đã lưu (lưu nháp để cập nhật).",
        "The forms as reporting agencies will see them, as last saved (save the draft to refresh).",
    ),
    (
        "find_indicator_to_add",
        "Tìm chỉ tiêu để thêm vào biểu (gõ không dấu cũng được)",
        "Find an indicator to add to the form",
    ),
    (
        "find_indicator",
        "Tìm chỉ tiêu (gõ không dấu cũng được)",
        "Find an indicator",
    ),
    (
        "find_agency",
        "Tìm cơ quan, địa phương (gõ không dấu cũng được)",
        "Find an agency",
    ),
    ("agency_code", "Mã cơ quan", "Agency code"),
    ("months_from", "Từ tháng", "From month"),
    ("months_to", "Đến tháng", "To month"),
    ("deadline_kind", "Cách tính hạn", "Kind of deadline"),
    ("periods_pages", "Các trang kỳ báo cáo", "Pages of periods"),
    (
        "periods_shown",
        "Hiển thị 12 kỳ gần nhất trong {n} kỳ đã chọn.",
        "Showing the last 12 of the {n} periods asked for.",
    ),
    ("earlier_periods", "12 kỳ trước", "12 earlier periods"),
    ("later_periods", "12 kỳ sau", "12 later periods"),
    (
        "email_choice",
        "Gửi cả thông báo qua thư điện tử",
        "Also send notifications by e-mail",
    ),
    ("email_choice_saved", "Đã lưu lựa chọn.", "Choice saved."),
    ("username", "Tên đăng nhập", "Username"),
    ("password", "Mật khẩu", "Password"),
    ("sessions", "Phiên đăng nhập", "Sessions"),
    (
        "sessions_intro",
        "Các phiên giao diện và mã truy cập API còn hiệu lực; thu hồi một phiên là đăng xuất nó ngay.",
        "Live UI sessions and API tokens; revoking one logs it out at once.",
    ),
    ("audit", "Nhật ký kiểm toán", "Audit trail"),
    (
        "audit_intro",
        "Mọi thay đổi: khi nào, ai, qua kênh nào, đối tượng và nội dung thay đổi — mỗi sự kiện nối vào chuỗi băm có chữ ký.",
        "Every change: when, who, through which channel, the object and what changed — each event linked into a signed hash chain.",
    ),
    ("audit_object", "Đối tượng", "Object"),
    ("audit_history", "Lịch sử thay đổi", "Change history"),
    (
        "audit_activity",
        "Nhật ký hoạt động của cơ quan",
        "The agency's activity log",
    ),
    (
        "audit_actions",
        "Các thao tác của người dùng này",
        "This user's actions",
    ),
    ("audit_actor", "Người thực hiện", "Actor"),
    ("audit_agency", "Cơ quan", "Agency"),
    ("audit_kind", "Loại thay đổi", "Kind"),
    ("audit_from", "Từ ngày", "From"),
    ("audit_to", "Đến ngày", "To"),
    ("audit_filter", "Lọc", "Filter"),
    ("audit_at", "Thời điểm", "When"),
    ("audit_channel", "Kênh", "Channel"),
    ("audit_change", "Thay đổi", "Change"),
    ("audit_request", "Mã yêu cầu", "Request id"),
    ("audit_user", "người dùng", "user"),
    ("audit_client", "hệ thống", "client"),
    ("audit_older", "Cũ hơn", "Older"),
    ("audit_none", "Không có sự kiện nào.", "No event."),
    ("session_kind", "Loại", "Kind"),
    ("session_kind_session", "Phiên giao diện", "UI session"),
    ("session_kind_api", "Mã truy cập API", "API token"),
    ("session_created", "Bắt đầu", "Started"),
    ("session_last_used", "Dùng lần cuối", "Last used"),
    ("session_expires", "Hết hạn", "Expires"),
    ("session_revoke", "Thu hồi", "Revoke"),
    ("session_revoke_all", "Thu hồi tất cả", "Revoke all"),
    (
        "no_sessions",
        "Không có phiên nào còn hiệu lực.",
        "No live session.",
    ),
    (
        "otp",
        "Mã xác thực (OTP, nếu tài khoản có)",
        "Authentication code (OTP, if the account has one)",
    ),
    (
        "login_failed",
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    ),
    ("sign_in_with", "Đăng nhập qua", "Sign in with"),
    ("error_code", "Mã lỗi", "Error code"),
    (
        "or_with_password",
        "hoặc bằng tài khoản và mật khẩu baocao",
        "or with a baocao username and password",
    ),
    ("switch_language", "English", "Tiếng Việt"),
    ("welcome", "Xin chào", "Welcome"),
    ("your_agency", "Đơn vị của bạn", "Your agency"),
    ("your_roles", "Vai trò", "Your roles"),
    ("search", "Tìm kiếm", "Search"),
    (
        "search_hint",
        "Tìm theo mã hoặc tên (có thể gõ không dấu)",
        "Search by code or name (diacritics optional)",
    ),
    ("code", "Mã", "Code"),
    ("name", "Tên", "Name"),
    ("kind", "Loại", "Kind"),
    ("status", "Trạng thái", "Status"),
    ("version", "Phiên bản", "Version"),
    ("frequency", "Tần suất", "Frequency"),
    ("receiver", "Cơ quan nhận", "Receiving agency"),
    ("unit", "Đơn vị tính", "Unit"),
    ("value_type", "Kiểu giá trị", "Value type"),
    ("aggregation", "Cách tổng hợp", "Aggregation"),
    ("disaggregation", "Phân tổ", "Disaggregation"),
    ("group", "Nhóm", "Group"),
    ("as_of", "Tại ngày", "As of"),
    ("formed_from", "Hình thành từ", "Formed from"),
    ("went_into", "Đã sáp nhập vào", "Went into"),
    ("count", "Số lượng", "Count"),
    ("no_results", "Không có kết quả.", "Nothing found."),
    (
        "no_agencies_then",
        "Danh mục không ghi nhận đơn vị trực thuộc nào của đơn vị này tại ngày đã chọn (các đơn vị cấp huyện, xã trước ngày 01/07/2025 không có trong danh mục).",
        "The directory records no agency under this one on the chosen day (districts and communes before 1 July 2025 are not in the directory).",
    ),
    ("legal_basis", "Căn cứ pháp lý", "Legal basis"),
    (
        "ten_elements",
        "Mười thành phần của chế độ báo cáo",
        "The ten elements of the regime",
    ),
    ("missing", "Còn thiếu", "Missing"),
    ("complete", "Đủ 10 thành phần", "All ten elements present"),
    ("element_name", "Tên báo cáo", "Report name"),
    (
        "element_content_requirements",
        "Nội dung yêu cầu báo cáo",
        "Content requirements",
    ),
    (
        "element_reporting_agencies",
        "Đối tượng thực hiện báo cáo",
        "Reporting agencies",
    ),
    (
        "element_receiving_agency",
        "Cơ quan nhận báo cáo",
        "Receiving agency",
    ),
    (
        "element_methods",
        "Phương thức gửi, nhận báo cáo",
        "Methods of sending and receiving",
    ),
    (
        "element_deadline",
        "Thời hạn gửi báo cáo",
        "Submission deadline",
    ),
    (
        "element_frequency",
        "Tần suất thực hiện báo cáo",
        "Reporting frequency",
    ),
    (
        "element_cutoff",
        "Thời gian chốt số liệu báo cáo",
        "Data cut-off period",
    ),
    (
        "element_outline",
        "Mẫu đề cương báo cáo",
        "Outline template",
    ),
    (
        "element_forms",
        "Biểu mẫu số liệu báo cáo",
        "Data form templates",
    ),
    ("form_rows", "Chỉ tiêu", "Indicator"),
    ("guidance", "Hướng dẫn", "Guidance"),
    ("rules", "Quy tắc kiểm tra", "Validation rules"),
    ("derived", "Chỉ tiêu tính toán", "Derived indicators"),
    (
        "assignments",
        "Số đơn vị được giao báo cáo (hôm nay)",
        "Agencies assigned today",
    ),
    ("subordinates", "Đơn vị trực thuộc", "Subordinate agencies"),
    ("parent", "Trực thuộc", "Parent"),
    ("valid", "Hiệu lực", "Valid"),
    ("from", "từ", "from"),
    ("to", "đến", "to"),
    ("until", "đến", "until"),
    ("open_ended", "nay", "now"),
    ("level_national", "Trung ương", "National"),
    ("indicator_tables", "Bảng chỉ tiêu", "Indicator tables"),
    ("tables_count", "bảng", "tables"),
    (
        "pivot_explorer",
        "Khai thác số liệu (bảng xoay)",
        "Pivot explorer",
    ),
    (
        "no_tables",
        "Chưa có bảng chỉ tiêu nào.",
        "No indicator tables yet.",
    ),
    (
        "hierarchy_as_of",
        "Cơ cấu hành chính tại ngày",
        "Hierarchy as of",
    ),
    ("export", "Tải về", "Export"),
    ("export_long", "Tải dữ liệu dạng dòng", "Export as rows"),
    (
        "open_in_explorer",
        "Mở trong bảng xoay",
        "Open in the pivot explorer",
    ),
    (
        "totals_note",
        "Dòng và cột tổng được tính từ các ô hiển thị theo quy tắc tổng hợp của chỉ tiêu; chỉ tiêu không cộng được thì để trống.",
        "Totals combine the cells shown by each indicator's aggregation rule; indicators that do not add up have none.",
    ),
    (
        "sources_of_number",
        "Nguồn của số liệu",
        "Sources of the number",
    ),
    (
        "values_behind",
        "giá trị tạo nên số liệu",
        "values behind the number",
    ),
    ("sum", "Tổng cộng", "Sum"),
    ("value", "Giá trị", "Value"),
    ("source", "Nguồn", "Source"),
    ("level", "Cấp", "Level"),
    ("agency_itself", "Chính cơ quan đó", "The agency itself"),
    ("periods", "Các kỳ", "Periods"),
    ("disaggregate_by", "Phân tổ", "Breakdown"),
    ("layout", "Bố cục", "Layout"),
    ("on_rows", "Theo dòng", "On rows"),
    ("on_columns", "Theo cột", "On columns"),
    ("chart_line", "biểu đồ đường", "line chart"),
    ("chart_bar", "biểu đồ thanh", "bar chart"),
    ("chart_stacked", "biểu đồ cột chồng", "stacked chart"),
    ("chart_map", "bản đồ", "map"),
    ("level_ministry", "Bộ, cơ quan ngang bộ", "Ministries"),
    ("level_province", "Tỉnh, thành phố", "Provinces and cities"),
    ("level_department", "Sở, ban, ngành", "Departments"),
    ("level_commune", "Xã, phường, đặc khu", "Communes and wards"),
    (
        "forbidden",
        "Bạn không có quyền xem trang này.",
        "You are not allowed to see this page.",
    ),
    ("not_found", "Không tìm thấy trang.", "Page not found."),
    ("bad_request", "Yêu cầu không hợp lệ.", "Invalid request."),
    (
        "demo_notice",
        "Dữ liệu mẫu dùng để trình diễn.",
        "Demonstration data.",
    ),
    ("catalogue_summary", "Danh mục", "Catalogue"),
    ("reports", "Báo cáo", "Reports"),
    ("my_reports", "Báo cáo của đơn vị", "My agency's reports"),
    ("to_do", "Việc cần làm", "To do"),
    (
        "to_review",
        "Báo cáo chờ tiếp nhận",
        "Reports awaiting review",
    ),
    ("no_reports", "Không có báo cáo nào.", "No reports."),
    ("period", "Kỳ báo cáo", "Period"),
    ("deadline", "Hạn gửi", "Deadline"),
    ("cutoff_window", "Số liệu tính từ", "Data covers"),
    ("reporting_agency", "Đơn vị báo cáo", "Reporting agency"),
    ("receiving_agency", "Cơ quan nhận", "Receiving agency"),
    ("status_not_started", "Chưa lập", "Not started"),
    ("status_draft", "Đang soạn", "Draft"),
    (
        "status_submitted",
        "Đã gửi, chờ tiếp nhận",
        "Submitted, awaiting review",
    ),
    ("status_accepted", "Đã tiếp nhận", "Accepted"),
    ("status_returned", "Bị trả lại", "Returned"),
    ("open", "Mở", "Open"),
    ("save_draft", "Lưu nháp", "Save draft"),
    ("submit_report", "Ký số và gửi báo cáo", "Sign and submit"),
    ("accept_report", "Tiếp nhận", "Accept"),
    ("return_report", "Trả lại", "Return"),
    ("reopen_report", "Mở lại", "Reopen"),
    ("reason", "Lý do", "Reason"),
    ("explanation", "Giải trình", "Explanation"),
    (
        "violations",
        "Kết quả kiểm tra số liệu",
        "Validation results",
    ),
    (
        "severity_error",
        "Lỗi — phải sửa trước khi gửi",
        "Error — fix before submitting",
    ),
    (
        "severity_warning",
        "Cảnh báo — cần giải trình",
        "Warning — needs an explanation",
    ),
    (
        "no_violations",
        "Số liệu thỏa mãn mọi quy tắc kiểm tra.",
        "The data passes every validation rule.",
    ),
    (
        "number_hint",
        "Nhập số dạng 1234.5 (dấu chấm thập phân, không phân cách hàng nghìn).",
        "Enter numbers as 1234.5 (decimal point, no thousands separator).",
    ),
    ("saved", "Đã lưu bản nháp.", "Draft saved."),
    (
        "done_submit",
        "Đã ký số và gửi báo cáo.",
        "Report signed and submitted.",
    ),
    ("done_accept", "Đã tiếp nhận báo cáo.", "Report accepted."),
    ("done_return", "Đã trả lại báo cáo.", "Report returned."),
    ("done_reopen", "Đã mở lại báo cáo.", "Report reopened."),
    ("versions", "Các phiên bản đã gửi", "Submitted versions"),
    ("late", "gửi muộn", "late"),
    ("signed_by", "Người ký", "Signed by"),
    ("total", "Tổng số", "Total"),
    (
        "outline_text",
        "Nội dung báo cáo (đề cương)",
        "Report text (outline)",
    ),
    (
        "last_returned",
        "Lý do trả lại gần nhất",
        "Latest reason for return",
    ),
    (
        "outliers",
        "Số liệu bất thường cần kiểm tra lại",
        "Unusual numbers to check",
    ),
    ("quality", "Chất lượng số liệu", "Data quality"),
    ("notifications", "Thông báo", "Notifications"),
    ("connectors", "Kết nối hệ thống", "Connectors"),
    (
        "upload_workbook",
        "Nộp tệp Excel đã điền",
        "Upload the filled workbook",
    ),
    ("upload", "Tải lên", "Upload"),
    (
        "workbook_failed",
        "Tệp Excel chưa được nhận:",
        "The workbook was not taken:",
    ),
    (
        "workbook_saved",
        "Đã lưu số liệu từ tệp Excel vào bản nháp.",
        "The workbook's numbers are saved in the draft.",
    ),
    (
        "connectors_intro",
        "Hệ thống của cơ quan khác mà hệ thống này lấy số liệu theo lịch; mỗi lần chạy được ghi lại.",
        "Other agencies' systems pulled on a schedule; every run is logged.",
    ),
    (
        "no_connectors",
        "Chưa có kết nối nào.",
        "No connectors yet.",
    ),
    ("connector_disabled", "đang tắt", "disabled"),
    ("connector_peer", "Nguồn", "Peer"),
    ("connector_every", "Chu kỳ", "Every"),
    ("minutes", "phút", "minutes"),
    ("connector_next_run", "Lần chạy tới", "Next run"),
    (
        "connector_failures",
        "lần lỗi liên tiếp",
        "failures in a row",
    ),
    (
        "connector_source",
        "Nguồn ghi cho số liệu",
        "Source of its values",
    ),
    ("connector_run_now", "Chạy ngay", "Run now"),
    ("connector_started", "Bắt đầu", "Started"),
    ("connector_outcome", "Kết quả", "Outcome"),
    ("connector_attempt", "Lần thử", "Attempt"),
    ("connector_fetched", "Bản ghi đọc", "Records read"),
    ("connector_stored", "Giá trị lưu", "Values stored"),
    ("connector_rejected", "Bị từ chối", "Refused"),
    ("connector_message", "Ghi chú", "Message"),
    ("connector_succeeded", "Thành công", "Succeeded"),
    ("connector_failed", "Lỗi", "Failed"),
    ("connector_no_runs", "Chưa chạy lần nào.", "Not run yet."),
    (
        "no_notifications",
        "Không có thông báo nào.",
        "No notifications.",
    ),
    ("notice_overdue", "Quá hạn gửi báo cáo", "Report overdue"),
    (
        "notice_report_submitted",
        "Có báo cáo gửi đến, chờ tiếp nhận",
        "A report was sent to you for review",
    ),
    (
        "notice_report_ready",
        "Bản nháp đã sẵn sàng, chờ lãnh đạo ký gửi",
        "A draft is ready for your signature",
    ),
    (
        "ask_for_approval",
        "Trình lãnh đạo ký gửi",
        "Ready for approval",
    ),
    (
        "approval_asked",
        "Đã lưu và báo lãnh đạo đơn vị: bản nháp sẵn sàng để ký gửi.",
        "Saved, and the agency's approvers were told the draft is ready to sign.",
    ),
    (
        "notice_report_returned",
        "Báo cáo bị trả lại",
        "Report returned",
    ),
    (
        "notice_report_accepted",
        "Báo cáo đã được tiếp nhận",
        "Report accepted",
    ),
    (
        "notice_report_reopened",
        "Báo cáo được mở lại",
        "Report reopened",
    ),
    (
        "notice_due_soon",
        "Sắp đến hạn gửi báo cáo",
        "Report due soon",
    ),
    ("dashboard", "Bảng điều hành", "Dashboard"),
    (
        "latest_month",
        "Tháng có số liệu gần nhất",
        "Latest month with data",
    ),
    (
        "change_note",
        "thay đổi so với cùng kỳ năm trước",
        "change from the same month a year before",
    ),
    ("whole_country", "cả nước", "whole country"),
    ("months", "tháng", "months"),
    ("by_province", "Theo tỉnh, thành phố", "By province"),
    (
        "source_accepted_reports",
        "số liệu các báo cáo đã được tiếp nhận",
        "figures of the accepted reports",
    ),
    (
        "map_classes",
        "năm lớp theo thứ hạng, màu đậm là cao nhất",
        "five classes by rank, the darkest highest",
    ),
    ("by_commune", "Theo xã, phường", "By commune"),
    ("map", "Bản đồ", "Map"),
    ("compliance", "Tình hình gửi báo cáo", "Compliance"),
    ("schedule", "Lịch báo cáo", "Reporting schedule"),
    ("api_docs", "Tài liệu API", "API documentation"),
    (
        "download_workbook",
        "Tải biểu mẫu Excel (điền rồi gửi lại qua API)",
        "Download the Excel workbook (fill it, send it back through the API)",
    ),
    (
        "official_document",
        "Văn bản báo cáo (PDF)",
        "The report as a document (PDF)",
    ),
    ("parameter", "Tham số", "Parameter"),
    ("where", "Vị trí", "In"),
    ("request_body", "Nội dung gửi", "Request body"),
    ("answers", "Mã trả lời", "Responses"),
    ("schemas", "Cấu trúc dữ liệu", "Schemas"),
    ("schema_type", "Kiểu", "Type"),
    ("field", "Trường", "Field"),
    (
        "design_regime",
        "Thiết kế chế độ báo cáo",
        "Regime designer",
    ),
    (
        "amend_note",
        "Chế độ báo cáo đã công bố: lưu sẽ tạo bản sửa đổi (phiên bản mới), có hiệu lực khi công bố.",
        "This regime is published: saving creates an amendment (a new version) that takes effect when published.",
    ),
    ("regime_code", "Mã chế độ báo cáo", "Regime code"),
    ("name_en", "Tên tiếng Anh", "English name"),
    ("regime_kind", "Loại báo cáo", "Kind"),
    ("legal_document", "Văn bản ban hành", "Legal document"),
    ("description", "Mô tả", "Description"),
    (
        "or_agencies",
        "hoặc các cơ quan (mã)",
        "or agencies (codes)",
    ),
    (
        "calendar_period",
        "Theo kỳ dương lịch",
        "The calendar period",
    ),
    (
        "deadline_day_of_month",
        "Ngày cố định trong tháng",
        "A day of the month",
    ),
    (
        "deadline_days_after",
        "Số ngày sau ngày chốt số liệu",
        "Days after the cut-off end",
    ),
    (
        "deadline_fixed",
        "Ngày cố định trong năm",
        "A fixed day of the year",
    ),
    ("months_after", "tháng sau kỳ", "months after the period"),
    ("days_after", "số ngày", "days"),
    ("working_days", "ngày làm việc", "working days"),
    ("month", "Tháng", "Month"),
    ("years_after", "năm sau kỳ", "years after the period"),
    ("time_of_day", "Giờ", "Time of day"),
    ("heading", "Đề mục", "Heading"),
    ("new_form", "biểu mới", "new form"),
    ("form_code", "Số hiệu biểu", "Form code"),
    ("form_title", "Tên biểu", "Form title"),
    ("row_values", "Số liệu dòng", "Row values"),
    ("required", "Bắt buộc", "Required"),
    ("minimum", "Tối thiểu", "Minimum"),
    ("maximum", "Tối đa", "Maximum"),
    ("lifecycle", "Công bố và áp dụng", "Publication"),
    ("effective_from", "Có hiệu lực từ", "Effective from"),
    ("publish", "Công bố", "Publish"),
    ("retire", "Dừng áp dụng", "Retire"),
    ("assign", "Giao báo cáo", "Assign"),
    ("new_regime", "Tạo chế độ báo cáo", "New regime"),
    ("edit_regime", "Sửa chế độ báo cáo", "Edit the regime"),
    (
        "registry_review",
        "Rà soát chế độ báo cáo",
        "Registry review",
    ),
    ("by_issuer", "Theo cơ quan ban hành", "By issuing agency"),
    ("issuer", "Cơ quan ban hành", "Issuer"),
    ("with_errors", "Chưa đạt chuẩn", "Not up to standard"),
    ("duplicate_pairs", "Cặp trùng lặp", "Duplicate pairs"),
    (
        "standardisation",
        "Chuẩn hóa theo Nghị định 09/2019",
        "Standardisation (Decree 09/2019)",
    ),
    ("problems", "Vấn đề", "Problems"),
    ("no_problems", "Đạt chuẩn", "Up to standard"),
    (
        "duplicates",
        "Chế độ báo cáo trùng lặp",
        "Duplicate regimes",
    ),
    ("similarity", "Mức trùng", "Similarity"),
    ("shared_indicators", "Chỉ tiêu trùng", "Shared indicators"),
    ("agency", "Cơ quan, đơn vị", "Agency"),
    ("opens", "Bắt đầu lập", "Opens"),
    ("after_deadline", "Sau hạn", "After the deadline"),
    (
        "late_accepted",
        "vẫn nhận (ghi muộn)",
        "still accepted (marked late)",
    ),
    ("late_refused", "không nhận", "not accepted"),
    ("locks_after", "khóa sau ngày", "locks after"),
    ("holidays", "Ngày nghỉ lễ, Tết năm", "Public holidays of"),
    ("date", "Ngày", "Date"),
    ("configured", "do đơn vị cấu hình", "configured here"),
    ("remove", "Bỏ", "Remove"),
    (
        "working_weekend_day",
        "Ngày làm bù (làm việc vào cuối tuần)",
        "Weekend day worked",
    ),
    ("day_kind", "Loại ngày", "Kind of day"),
    ("day_holiday", "Ngày nghỉ", "Day off"),
    ("day_working", "Ngày làm việc", "Working day"),
    ("save", "Lưu", "Save"),
    ("expected", "Phải gửi", "Expected"),
    ("submitted", "Đã gửi", "Submitted"),
    ("missing_reports", "Chưa gửi", "Missing"),
    ("pending_reports", "Chưa đến hạn", "Not yet due"),
    ("complete_reports", "Đủ nội dung", "Content-complete"),
    ("completeness_rate", "Tỷ lệ gửi", "Completeness"),
    ("timeliness_rate", "Tỷ lệ đúng hạn", "Timeliness"),
    ("slot_accepted", "Đã tiếp nhận", "Accepted"),
    ("slot_submitted_on_time", "Gửi đúng hạn", "On time"),
    ("slot_submitted_late", "Gửi muộn", "Late"),
    ("slot_returned", "Bị trả lại", "Returned"),
    ("slot_overdue", "Quá hạn", "Overdue"),
    ("slot_due_soon", "Sắp đến hạn", "Due soon"),
    ("slot_open", "Đang mở", "Open"),
    ("slot_upcoming", "Chưa đến kỳ", "Upcoming"),
    ("cell_note", "Ghi chú kèm số liệu", "Note on the value"),
    ("confirm_submit", "Xác nhận ký số và gửi", "Sign and send?"),
    (
        "confirm_submit_what",
        "Báo cáo sẽ được ký số và gửi",
        "The report to sign and send",
    ),
    (
        "confirm_filled_cells",
        "Số ô đã điền: {n}.",
        "Cells filled: {n}.",
    ),
    (
        "confirm_empty_sections",
        "Các mục đề cương sau còn trống:",
        "These outline sections are empty:",
    ),
    ("confirm_sign_and_send", "Ký số và gửi", "Sign and send"),
    ("cancel", "Huỷ", "Cancel"),
    (
        "derived_cell",
        "Tính từ số liệu đã tiếp nhận; không cần nhập.",
        "Computed from accepted data; not typed.",
    ),
    (
        "all_saved",
        "Mọi thay đổi đã được lưu.",
        "Every change is saved.",
    ),
    (
        "unsaved_changes",
        "{n} thay đổi chưa lưu.",
        "{n} changes not yet saved.",
    ),
    (
        "offline",
        "(mất kết nối — sẽ lưu khi có mạng trở lại)",
        "(offline — will save when the network is back)",
    ),
    (
        "restore_unsaved",
        "Khôi phục các thay đổi chưa lưu từ lần trước",
        "Restore the unsaved changes from last time",
    ),
    (
        "prefill",
        "Điền sẵn từ số liệu đã có",
        "Pre-fill from data already held",
    ),
    (
        "certificate_signed",
        "Đã ký số bằng chứng thư số",
        "Signed with a certificate",
    ),
    (
        "sign_with_agency_certificate",
        "Ký số bằng chứng thư số của đơn vị",
        "Sign with the agency's certificate",
    ),
    (
        "document_signed",
        "Đã ký số văn bản báo cáo bằng chứng thư số của đơn vị.",
        "The report's document is signed with the agency's certificate.",
    ),
    (
        "compile",
        "Tổng hợp từ báo cáo cấp dưới",
        "Compile from the reports below",
    ),
    ("changes", "Thay đổi", "Changes"),
    ("column", "Cột", "Column"),
    ("before", "Trước", "Before"),
    ("after", "Sau", "After"),
    (
        "no_cell_changes",
        "Không có ô số liệu nào thay đổi.",
        "No cell changed.",
    ),
    (
        "accept_selected",
        "Tiếp nhận các báo cáo đã chọn",
        "Accept the selected reports",
    ),
    ("select", "Chọn", "Select"),
    (
        "accepted_count",
        "Số báo cáo vừa tiếp nhận",
        "Reports just accepted",
    ),
    ("show_changes", "Xem thay đổi", "Show changes"),
    ("rule_editor", "Soạn quy tắc kiểm tra", "Rule editor"),
    (
        "rule_help",
        "Viết điều kiện như [HC03] + [HC04] <= [HC02]; hàm: sum, min, max, abs, if, is_blank, prev, same_period_last_year, children_sum.",
        "Write conditions such as [HC03] + [HC04] <= [HC02]; functions: sum, min, max, abs, if, is_blank, prev, same_period_last_year, children_sum.",
    ),
    ("expression", "Biểu thức", "Expression"),
    (
        "kind_condition",
        "Quy tắc kiểm tra (đúng/sai)",
        "Validation rule (true/false)",
    ),
    (
        "kind_formula",
        "Công thức (chỉ tiêu dẫn xuất)",
        "Formula (derived indicator)",
    ),
    (
        "sample_values",
        "Số liệu mẫu (MÃ=giá trị; …)",
        "Sample values (CODE=value; …)",
    ),
    ("check_rule", "Kiểm tra", "Check"),
    ("rule_ok", "Biểu thức hợp lệ.", "The expression is valid."),
    ("on_sample", "Trên số liệu mẫu", "On the sample"),
    ("holds", "thỏa mãn", "holds"),
    ("broken", "vi phạm", "broken"),
    (
        "not_applicable",
        "không áp dụng (thiếu số liệu)",
        "does not apply (no data)",
    ),
    ("reads", "Đọc các ô", "Reads"),
    (
        "edit_rules",
        "Soạn, kiểm tra quy tắc",
        "Write and check rules",
    ),
    ("show", "Xem", "Show"),
    ("completeness", "Ô đã điền", "Cells filled"),
    ("rule_errors", "Lỗi", "Errors"),
    ("rule_warnings", "Cảnh báo", "Warnings"),
    ("explained", "đã giải trình", "explained"),
    ("outliers_short", "Bất thường", "Outliers"),
    (
        "discrepancies",
        "Chênh lệch giữa nguồn",
        "Source discrepancies",
    ),
    ("timeliness", "Đúng hạn", "On time"),
    ("on_time", "đúng hạn", "on time"),
];

/// Every string for `lang`, keyed for templates.
pub fn strings(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    STRINGS
        .iter()
        .map(|(key, vi, en)| (*key, if lang == Lang::Vi { *vi } else { *en }))
        .collect()
}

/// A deadline: its day, and its time of day when it has one ("17:00 18/11/2026").
pub fn due(due: baocao_domain::calendar::Due, lang: Lang) -> String {
    match due.time {
        Some(time) => format!("{} {}", time.strftime("%H:%M"), date(due.day, lang)),
        None => date(due.day, lang),
    }
}

/// A stored moment (`2026-11-26T08:00:00Z`) as people read it, in the legal time of Vietnam
/// (UTC+7): "15:00 26/11/2026" in Vietnamese, "2026-11-26 15:00" in English. Text that is not
/// a moment is answered as it is.
pub fn moment(stamp: &str, lang: Lang) -> String {
    let Ok(at) = stamp.parse::<jiff::Timestamp>() else {
        return stamp.to_string();
    };
    let local = at.to_zoned(baocao_domain::calendar::legal_time_zone());
    match lang {
        Lang::Vi => local.strftime("%H:%M %d/%m/%Y").to_string(),
        Lang::En => local.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

/// `dd/mm/yyyy` in Vietnamese, ISO in English.
pub fn date(date: baocao_domain::Date, lang: Lang) -> String {
    match lang {
        Lang::Vi => date.strftime("%d/%m/%Y").to_string(),
        Lang::En => date.to_string(),
    }
}

#[cfg(test)]
mod moment_tests {
    use super::*;

    #[test]
    fn moments_are_read_in_vietnam_s_time() {
        assert_eq!(moment("2026-11-26T08:00:00Z", Lang::Vi), "15:00 26/11/2026");
        assert_eq!(moment("2026-11-26T20:30:00Z", Lang::En), "2026-11-27 03:30");
        assert_eq!(moment("—", Lang::Vi), "—");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages_and_a_unique_key() {
        let mut keys = std::collections::HashSet::new();
        for (key, vi, en) in STRINGS {
            assert!(keys.insert(key), "duplicate key {key}");
            assert!(
                !vi.trim().is_empty() && !en.trim().is_empty(),
                "{key} lacks a translation"
            );
        }
    }

    #[test]
    fn every_key_a_template_reads_exists() {
        let known: std::collections::HashSet<&str> = STRINGS.iter().map(|(k, _, _)| *k).collect();
        for name in crate::ui::templates().templates().map(|(name, _)| name) {
            let source = crate::ui::templates()
                .get_template(name)
                .unwrap()
                .source()
                .to_string();
            for piece in source.split("tr.").skip(1) {
                let key: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    known.contains(key.as_str()),
                    "{name} reads tr.{key}, which has no translation"
                );
            }
        }
        for dynamic in [
            "status_not_started",
            "status_draft",
            "status_submitted",
            "status_accepted",
            "status_returned",
            "severity_error",
            "severity_warning",
        ] {
            assert!(known.contains(dynamic), "{dynamic}");
        }
    }
}
