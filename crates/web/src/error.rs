//! The one error type of the web layer. Every failure becomes a JSON body
//! `{"error": {"code", "message", "message_en"}}` with a stable snake_case `code`, a
//! Vietnamese message first and an English one beside it. Internal errors are logged and
//! never leaked. Use the named constructors (`ApiError::not_found(..)`) in handlers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baocao_store::StoreError;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
    /// Extra fields merged into the error object (e.g. a parse position).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Fields beside the error object, for clients that read a listing at the top level
    /// (the `violations` of a refused submission).
    pub beside: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            message_en: message_en.into(),
            details: serde_json::Map::new(),
            beside: serde_json::Map::new(),
        }
    }

    pub fn not_found(what_vi: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Không tìm thấy {what_vi}."),
            format!("{what_en} not found."),
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Cần đăng nhập: gửi mã truy cập (Authorization: Bearer …).",
            "Authentication required: send a bearer token (Authorization: Bearer …).",
        )
    }

    pub fn bad_login() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Tên đăng nhập hoặc mật khẩu không đúng.",
            "Wrong username or password.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Bạn không có quyền thực hiện thao tác này.",
            "You are not allowed to do this.",
        )
    }

    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message, message_en)
    }

    /// A query parameter the route does not read.
    pub fn unknown_parameter(name: &str) -> Self {
        Self::bad_request(
            "unknown_parameter",
            format!("Tham số {name:?} không được hỗ trợ."),
            format!("Parameter {name:?} is not offered."),
        )
    }

    /// A query parameter whose value is not one it takes (`expected` says which).
    pub fn invalid_parameter(name: &str, value: &str, expected: &str) -> Self {
        Self::bad_request(
            "invalid_parameter",
            format!("Tham số {name}={value:?} không hợp lệ ({expected})."),
            format!("Invalid {name}={value:?} ({expected})."),
        )
    }

    pub fn invalid_json(reason: &str) -> Self {
        Self::bad_request(
            "invalid_json",
            format!("Nội dung JSON không hợp lệ: {reason}"),
            format!("Malformed JSON body: {reason}"),
        )
    }

    pub fn conflict(what: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("Đã tồn tại: {what}."),
            format!("Already exists: {what}."),
        )
    }

    /// A request body over `limit` bytes, the value of the setting `setting`.
    pub fn payload_too_large(setting: &'static str, limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "Dữ liệu gửi vượt giới hạn {limit} byte ({setting}); hãy chia nhỏ rồi gửi lại."
            ),
            format!("The payload is over the {limit}-byte limit ({setting}); send it in parts."),
        )
        .with_detail("limit", json!(setting))
    }

    /// A one-time code (TOTP) that is wrong or was used already.
    pub fn otp_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "otp_invalid",
            "Mã xác thực (OTP) không đúng hoặc đã dùng.",
            "The code (OTP) is wrong or was used already.",
        )
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "Phiên làm việc không hợp lệ hoặc đã hết hạn; hãy tải lại trang.",
            "Invalid or expired form token; reload the page.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Lỗi hệ thống; vui lòng thử lại sau.",
            "Internal error; please try again later.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Hệ thống tạm thời không phục vụ được (cơ sở dữ liệu không trả lời).",
            "Temporarily unavailable (the database does not answer).",
        )
    }

    /// Asks the client to wait `seconds` before trying again (the detail `retry_after`, also
    /// sent as the `Retry-After` header).
    pub fn retry_after(self, seconds: u64) -> Self {
        self.with_detail("retry_after", json!(seconds))
    }

    pub fn with_detail(mut self, key: &str, value: serde_json::Value) -> Self {
        self.details.insert(key.to_string(), value);
        self
    }

    /// A detail given both in the error object and beside it.
    pub fn with_listing(mut self, key: &str, value: serde_json::Value) -> Self {
        self.beside.insert(key.to_string(), value.clone());
        self.with_detail(key, value)
    }
}

impl From<baocao_formats::LimitExceeded> for ApiError {
    /// 413 naming the setting, so the sender knows what to split or shorten.
    fn from(limit: baocao_formats::LimitExceeded) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit_exceeded",
            format!(
                "Dữ liệu gửi vượt giới hạn {} = {}; hãy chia nhỏ hoặc rút ngắn rồi gửi lại ({}).",
                limit.setting, limit.limit, limit.what
            ),
            format!(
                "The input goes past the limit {} = {}; split or shorten it and send it again ({}).",
                limit.setting, limit.limit, limit.what
            ),
        )
        .with_detail("limit", json!(limit.setting))
        .with_detail("limit_value", json!(limit.limit))
    }
}

impl From<baocao_formats::xlsx::WorkbookError> for ApiError {
    fn from(error: baocao_formats::xlsx::WorkbookError) -> Self {
        match error {
            baocao_formats::xlsx::WorkbookError::Limit(limit) => limit.into(),
            baocao_formats::xlsx::WorkbookError::Unreadable(detail) => {
                let detail = crate::error::shortened(&detail, 300);
                ApiError::bad_request(
                    "invalid_workbook",
                    format!("Không đọc được tệp Excel: {detail}."),
                    format!("The workbook cannot be read: {detail}."),
                )
            }
        }
    }
}

impl From<baocao_formats::datavalues::ReadError> for ApiError {
    fn from(error: baocao_formats::datavalues::ReadError) -> Self {
        use baocao_formats::datavalues::ReadError;
        match error {
            ReadError::Limit(limit) => limit.into(),
            ReadError::InvalidJson(detail) => ApiError::bad_request(
                "invalid_json",
                format!("JSON không hợp lệ: {detail}."),
                format!("Invalid JSON: {detail}."),
            ),
            ReadError::Malformed { format, detail } => ApiError::bad_request(
                "malformed_payload",
                format!("Dữ liệu {format} không đọc được: {detail}."),
                format!("The {format} payload cannot be read: {detail}."),
            ),
        }
    }
}

impl From<baocao_formats::table::WriteError> for ApiError {
    fn from(error: baocao_formats::table::WriteError) -> Self {
        tracing::error!(%error, "export");
        ApiError::internal()
    }
}

impl From<baocao_formats::datavalues::WriteError> for ApiError {
    fn from(error: baocao_formats::datavalues::WriteError) -> Self {
        tracing::error!(%error, "data value set");
        ApiError::internal()
    }
}

impl From<baocao_service::catalogue::CatalogueError> for ApiError {
    fn from(error: baocao_service::catalogue::CatalogueError) -> Self {
        use baocao_service::catalogue::CatalogueError as E;
        match error {
            E::InvalidPeriod { text, reason } => ApiError::bad_request(
                "invalid_period",
                format!(
                    "Kỳ báo cáo không hợp lệ {text:?}: {reason} (ví dụ 20261126, 2026W48, 202611, 2026Q4, 2026S2, 2026N9, 2026, hoặc một đợt 20261101_20261115)."
                ),
                format!(
                    "Invalid period {text:?}: {reason} (e.g. 20261126, 2026W48, 202611, 2026Q4, 2026S2, 2026N9, 2026, or a round 20261101_20261115)."
                ),
            ),
            E::InvalidDate(text) => ApiError::bad_request(
                "invalid_date",
                format!("Ngày không hợp lệ: {text:?} (định dạng YYYY-MM-DD)."),
                format!("Invalid date {text:?} (expected YYYY-MM-DD)."),
            ),
            E::UnknownAgency(text) => {
                ApiError::not_found(&format!("cơ quan {text}"), &format!("agency {text}"))
            }
            E::UnknownRegime(text) => {
                ApiError::not_found(&format!("chế độ báo cáo {text}"), &format!("regime {text}"))
            }
            E::Store(error) => error.into(),
        }
    }
}

fn action_vi(action: baocao_domain::submission::SubmissionAction) -> &'static str {
    use baocao_domain::submission::SubmissionAction as A;
    match action {
        A::Save => "lưu",
        A::Submit => "gửi",
        A::Accept => "tiếp nhận",
        A::Return => "trả lại",
        A::Reopen => "mở lại",
    }
}

impl From<baocao_service::reporting::ReportingError> for ApiError {
    fn from(error: baocao_service::reporting::ReportingError) -> Self {
        use baocao_service::reporting::{ConflictDuring, ReportingError as E};
        let code = error.code();
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::PeriodNotOfRegime {
                period,
                frequency: Some(frequency),
            } => ApiError::new(
                StatusCode::NOT_FOUND,
                code,
                format!("Kỳ {period} không thuộc tần suất {frequency} của chế độ báo cáo."),
                format!("Period {period} is not of the regime's frequency ({frequency})."),
            ),
            E::PeriodNotOfRegime {
                period,
                frequency: None,
            } => ApiError::new(
                StatusCode::NOT_FOUND,
                code,
                format!(
                    "Báo cáo chuyên đề, đột xuất lập theo ngày của từng đợt (YYYYMMDD_YYYYMMDD), không theo kỳ {period}."
                ),
                format!(
                    "Thematic and ad hoc reports are made for dates of their own (YYYYMMDD_YYYYMMDD), not for {period}."
                ),
            ),
            E::NotAssigned(report) => ApiError::not_found(
                &format!(
                    "báo cáo {} của {} kỳ {} (đơn vị không được giao báo cáo này)",
                    report.regime, report.agency, report.period
                ),
                &format!(
                    "report {} of {} for {} (the agency is not assigned this regime)",
                    report.regime, report.agency, report.period
                ),
            ),
            E::NotPublished(regime) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Chế độ báo cáo {regime} chưa ban hành hoặc đã hết hiệu lực: không nhận báo cáo."
                ),
                format!(
                    "Regime {regime} is not published (draft or retired): it takes no reports."
                ),
            ),
            E::Locked {
                period,
                last_open_day,
            } => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Báo cáo kỳ {period} đã khóa sau ngày {}: không sửa, không gửi được nữa.",
                    last_open_day.strftime("%d/%m/%Y")
                ),
                format!(
                    "The report for {period} locked after {last_open_day}: it can no longer be edited or sent."
                ),
            ),
            E::DeadlinePassed(due) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "Đã quá hạn gửi báo cáo ({}); chế độ báo cáo này không nhận báo cáo muộn.",
                    crate::i18n::due(due, crate::i18n::Lang::Vi)
                ),
                format!("The deadline ({due}) has passed; this regime takes no late reports."),
            ),
            E::Forbidden => ApiError::forbidden(),
            E::NotEditable { from, report: None } => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!("Báo cáo đang ở trạng thái {from}: không sửa được."),
                format!("The report is {from}: it cannot be edited."),
            ),
            E::NotEditable {
                from,
                report: Some(report),
            } => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Báo cáo {} của {} kỳ {} đang ở trạng thái {from}: không sửa được.",
                    report.regime, report.agency, report.period
                ),
                format!(
                    "Report {} of {} for {} is {from}: it cannot be edited.",
                    report.regime, report.agency, report.period
                ),
            ),
            E::InvalidTransition(error) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Không thể {} báo cáo đang ở trạng thái {}.",
                    action_vi(error.action),
                    error.from
                ),
                format!("Cannot {} a report that is {}.", error.action, error.from),
            ),
            E::NotAwaitingReview(report) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Báo cáo {} của {} kỳ {} không ở trạng thái chờ tiếp nhận; không báo cáo nào được tiếp nhận.",
                    report.regime, report.agency, report.period
                ),
                format!(
                    "Report {} of {} for {} is not awaiting review; none was accepted.",
                    report.regime, report.agency, report.period
                ),
            ),
            E::VersionConflict(ConflictDuring::Save { current }) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                "Báo cáo đã được người khác sửa; hãy tải lại rồi lưu lại thay đổi.",
                "Someone else changed the report; reload it and save your changes again.",
            )
            .with_detail("current_version", json!(current)),
            E::VersionConflict(ConflictDuring::Import) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                "Báo cáo đã được người khác sửa trong lúc nhập; hãy gửi lại.",
                "Someone else changed the report during the import; send it again.",
            ),
            E::VersionConflict(ConflictDuring::Action) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                "Báo cáo vừa được người khác thay đổi; hãy tải lại.",
                "Someone else changed the report just now; reload it.",
            ),
            E::InvalidValues(problems) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "{} ô số liệu hoặc mục đề cương không hợp lệ; không có gì được lưu.",
                    problems.len()
                ),
                format!(
                    "{} cells or sections are invalid; nothing was saved.",
                    problems.len()
                ),
            )
            .with_detail("problems", json!(problems)),
            E::ValidationFailed(violations) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "Báo cáo vi phạm quy tắc kiểm tra (lỗi): hãy sửa số liệu trước khi gửi.",
                "The report breaks validation rules (errors): correct the data before submitting.",
            )
            .with_listing("violations", json!(violations)),
            E::ExplanationRequired(violations) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "Báo cáo có cảnh báo chưa được giải trình: hãy ghi giải trình cho từng cảnh báo.",
                "The report has warnings without an explanation: explain each warning.",
            )
            .with_listing("violations", json!(violations)),
            E::ReasonRequired => {
                ApiError::bad_request(code, "Cần ghi rõ lý do.", "A reason is required.")
            }
            E::NothingSelected => {
                ApiError::bad_request(code, "Chưa chọn báo cáo nào.", "No report was selected.")
            }
            E::NoDraft => ApiError::new(
                StatusCode::CONFLICT,
                code,
                "Chưa có bản nháp nào được lưu để trình lãnh đạo.",
                "No draft has been saved to put before the approver.",
            ),
            E::VersionNotFound(number) => {
                ApiError::not_found(&format!("phiên bản {number}"), &format!("version {number}"))
            }
            E::UnsupportedDocumentFormat(format) => ApiError::bad_request(
                code,
                format!(
                    "Văn bản không xuất được dạng {format:?}; dùng format=pdf hoặc format=docx."
                ),
                format!("Documents are not written as {format:?}; use format=pdf or format=docx."),
            ),
            E::NoTrustAnchors => ApiError::new(
                StatusCode::CONFLICT,
                code,
                "Hệ thống chưa được cấu hình tổ chức chứng thực tin cậy (trust_anchors): chưa ký số bằng chứng thư được.",
                "No trusted certification authority is configured (trust_anchors): certificates cannot sign yet.",
            ),
            E::CertificateRefused(refusal) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!("{}; văn bản chưa được ký.", refusal.vietnamese()),
                format!("{refusal}; the document was not signed."),
            ),
            E::SignatureRefused(refusal) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!("{}; văn bản chưa được ký.", refusal.vietnamese()),
                format!("{refusal}; the document was not signed."),
            ),
            E::AlreadySigned(number) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Văn bản của phiên bản {number} đã được ký số; mỗi văn bản chỉ ban hành một lần."
                ),
                format!(
                    "The document of version {number} is already signed; a document is issued once."
                ),
            ),
            E::NoAgencyCertificate(agency) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!(
                    "Hệ thống chưa giữ chứng thư số nào của đơn vị {agency}; quản trị đơn vị cần tải lên tệp PKCS #12."
                ),
                format!(
                    "No certificate is held for agency {agency}; its administrator uploads a PKCS #12 file first."
                ),
            ),
            E::SigningNotFound(id) => ApiError::not_found(
                &format!("phiên ký {id} (đã hết hạn, đã hoàn tất hoặc không phải của bạn)"),
                &format!("signing {id} (expired, completed, or not yours)"),
            ),
            error @ (E::CorruptVersion { .. } | E::Signing | E::Document(_)) => {
                tracing::error!(%error, "reporting");
                ApiError::internal()
            }
        }
    }
}

impl From<baocao_service::compliance::ComplianceError> for ApiError {
    fn from(error: baocao_service::compliance::ComplianceError) -> Self {
        use baocao_service::compliance::ComplianceError as E;
        let code = error.code();
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::NotPeriodic => ApiError::bad_request(
                code,
                "Chế độ báo cáo này không có tần suất, thời hạn và thời gian chốt số liệu: không tính được.",
                "This regime lacks a frequency, deadline or cut-off: compliance cannot be computed.",
            ),
            E::PeriodNotOfRegime(frequency) => ApiError::bad_request(
                code,
                format!("Kỳ phải theo tần suất {frequency} của chế độ báo cáo."),
                format!("Periods must be of the regime's frequency ({frequency})."),
            ),
            E::RangeTooLong(max) => ApiError::bad_request(
                code,
                format!("Khoảng kỳ quá dài (tối đa {max} kỳ)."),
                format!("The range is too long (at most {max} periods)."),
            ),
        }
    }
}

impl From<baocao_service::analytics::AnalyticsError> for ApiError {
    fn from(error: baocao_service::analytics::AnalyticsError) -> Self {
        use baocao_service::analytics::AnalyticsError as E;
        let code = error.code();
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::UnknownParameter(name) => ApiError::bad_request(
                code,
                format!("Tham số {name:?} không được hỗ trợ."),
                format!("Unknown parameter {name:?}."),
            ),
            E::Required(name) => ApiError::bad_request(
                code,
                format!("Cần ít nhất một tham số {name}."),
                format!("At least one {name} is required."),
            ),
            E::NotOneOfEach => ApiError::bad_request(
                code,
                "Cần một chỉ tiêu, một cơ quan và một kỳ.",
                "One indicator, one agency and one period are needed.",
            ),
            E::UnknownIndicator(code) => {
                ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"))
            }
            E::UnknownAgency(code) => {
                ApiError::not_found(&format!("cơ quan {code}"), &format!("agency {code}"))
            }
            E::AgencyNotOn { agency, date } => ApiError::not_found(
                &format!("cơ quan {agency} vào ngày {date}"),
                &format!("agency {agency} on {date}"),
            ),
            E::UnknownTable(code) => ApiError::not_found(
                &format!("bảng chỉ tiêu {code}"),
                &format!("indicator table {code}"),
            ),
            E::InvalidLevel(text) => ApiError::bad_request(
                code,
                format!(
                    "Cấp {text:?} không hợp lệ (national, ministry, province, department, commune)."
                ),
                format!(
                    "Unknown level {text:?} (national, ministry, province, department, commune)."
                ),
            ),
            E::InvalidDimension(text) => ApiError::bad_request(
                code,
                format!("Chiều {text:?} không hợp lệ (indicator, agency, period hoặc mã phân tổ)."),
                format!(
                    "Unknown dimension {text:?} (indicator, agency, period or a category code)."
                ),
            ),
            E::InvalidOptions(text) => ApiError::bad_request(
                code,
                format!("Phân tổ {text:?} không hợp lệ (category=option;…)."),
                format!("Invalid options {text:?} (category=option;…)."),
            ),
            E::TooLarge { cells, max } => ApiError::bad_request(
                code,
                format!(
                    "Truy vấn quá lớn ({cells} ô, tối đa {max}); hãy dùng chức năng xuất dữ liệu."
                ),
                format!("The query is too large ({cells} cells, at most {max}); use an export."),
            ),
            E::TooManyRowsForXlsx(rows) => ApiError::bad_request(
                code,
                format!(
                    "Xuất {rows} dòng vượt quá giới hạn của một trang tính Excel; hãy xuất CSV."
                ),
                format!("{rows} rows exceed what an Excel sheet holds; export CSV instead."),
            ),
            E::InvalidKey { key, positions } => ApiError::bad_request(
                code,
                format!("Khóa {key:?} cần {positions} vị trí cách nhau bởi dấu chấm."),
                format!("The key {key:?} needs {positions} positions separated by dots."),
            ),
            E::InvalidTable(error) => ApiError::bad_request(
                code,
                format!("Bảng chỉ tiêu không hợp lệ: {error}."),
                format!("Invalid indicator table: {error}."),
            ),
            E::TableIndicatorUnknown(indicator) => ApiError::bad_request(
                code,
                format!("Chỉ tiêu {indicator} không có trong danh mục."),
                format!("Indicator {indicator} is not in the catalogue."),
            ),
        }
    }
}

impl From<baocao_service::push::PushError> for ApiError {
    fn from(error: baocao_service::push::PushError) -> Self {
        use baocao_service::push::PushError as E;
        match error {
            E::DataSetRequired => ApiError::bad_request(
                "data_set_required",
                "Cần dataSet (mã chế độ báo cáo).",
                "dataSet (the regime's code) is required.",
            ),
            E::OutOfScope { client, regime } => out_of_scope(&client, true, &regime),
            E::Catalogue(error) => error.into(),
            E::Reporting(error) => error.into(),
            E::Store(error) => error.into(),
        }
    }
}

impl From<baocao_service::pull::PullError> for ApiError {
    fn from(error: baocao_service::pull::PullError) -> Self {
        use baocao_service::pull::PullError as E;
        match error {
            E::OutOfScope { client, regime } => out_of_scope(&client, false, &regime),
            E::Catalogue(error) => error.into(),
            E::Reporting(error) => error.into(),
            E::Store(error) => error.into(),
            E::TooMany(limit) => ApiError::bad_request(
                "selection_too_large",
                format!("Lựa chọn gồm hơn {limit} báo cáo; hãy thu hẹp chế độ, kỳ hoặc đơn vị."),
                format!(
                    "The selection names more than {limit} reports; narrow the regimes, periods or agencies."
                ),
            ),
        }
    }
}

impl From<baocao_service::imports::ImportError> for ApiError {
    fn from(error: baocao_service::imports::ImportError) -> Self {
        use baocao_service::imports::ImportError as E;
        match error {
            E::Forbidden => ApiError::forbidden(),
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
        }
    }
}

impl From<baocao_service::directory::DirectoryError> for ApiError {
    fn from(error: baocao_service::directory::DirectoryError) -> Self {
        use baocao_service::directory::DirectoryError as E;
        let code = error.code();
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::InvalidLevel(level) => ApiError::bad_request(
                code,
                format!(
                    "Cấp không hợp lệ: {level:?} (national, ministry, province, department, commune)."
                ),
                format!(
                    "Unknown level {level:?} (national, ministry, province, department, commune)."
                ),
            ),
            E::AgencyNotOn { agency, date } => ApiError::not_found(
                &format!("cơ quan {agency} vào ngày {date}"),
                &format!("agency {agency} on {date}"),
            ),
            E::UnknownIndicator(indicator) => ApiError::not_found(
                &format!("chỉ tiêu {indicator}"),
                &format!("indicator {indicator}"),
            ),
            E::UnknownForm(form) => {
                ApiError::not_found(&format!("biểu mẫu {form}"), &format!("form {form}"))
            }
            E::InvalidOutlierSettings => ApiError::bad_request(
                code,
                "Ngưỡng phải dương và cần ít nhất 3 điểm so sánh.",
                "Thresholds must be positive and at least 3 points are needed.",
            ),
            E::UnknownUser(user) => {
                ApiError::not_found(&format!("người dùng {user}"), &format!("user {user}"))
            }
            E::InvalidPosition => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "Chức vụ phải là một dòng, tối đa 500 ký tự, không có ký tự ẩn.",
                "A position is one line of at most 500 characters, nothing invisible.",
            ),
            E::InvalidCategory(category) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "Phân tổ {category:?} không hợp lệ: cần mã (chữ, số, dấu gạch), tên tiếng Việt và ít nhất hai lựa chọn có mã khác nhau."
                ),
                format!(
                    "Category {category:?} is not valid: it needs a code (letters, digits, dashes), a Vietnamese name and at least two options with distinct codes."
                ),
            ),
        }
    }
}

impl From<baocao_service::sources::SourcesError> for ApiError {
    fn from(error: baocao_service::sources::SourcesError) -> Self {
        use baocao_service::sources::SourcesError as E;
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::UnknownIndicator(code) => {
                ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"))
            }
        }
    }
}

/// A client system asking for data of a regime outside its scope.
pub fn out_of_scope(client: &str, push: bool, regime: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "out_of_scope",
        format!(
            "Hệ thống {client} không được {} dữ liệu của chế độ báo cáo {regime}.",
            if push { "gửi" } else { "lấy" }
        ),
        format!(
            "Client {client} may not {} data of regime {regime}.",
            if push { "push" } else { "pull" }
        ),
    )
}

impl From<baocao_service::reorganisation::ReorganiseError> for ApiError {
    fn from(error: baocao_service::reorganisation::ReorganiseError) -> Self {
        use baocao_service::reorganisation::ReorganiseError as E;
        match error {
            E::Forbidden => ApiError::forbidden(),
            E::Refused(error) => refused(&error),
            E::Store(error) => error.into(),
        }
    }
}

/// The event's error in Vietnamese and English.
fn refused(error: &baocao_domain::reorganisation::ReorganisationError) -> ApiError {
    use baocao_domain::reorganisation::ReorganisationError::*;
    let vi = match error {
        Unknown(code) => format!("Cơ quan {code} không tồn tại vào ngày trước sự kiện."),
        ChangesLater(code) => format!(
            "Cơ quan {code} đã có thay đổi từ ngày này trở về sau; hãy ghi các sự kiện theo đúng thứ tự thời gian."
        ),
        CodeInUse(code) => format!("Mã {code} đang được một cơ quan khác tiếp tục sử dụng."),
        DuplicateCode(code) => format!("Mã {code} được đặt cho hai cơ quan mới."),
        MergeTooSmall => "Hợp nhất cần ít nhất hai cơ quan, mỗi cơ quan một lần.".to_string(),
        SplitTooSmall => "Chia tách cần ít nhất hai cơ quan kế thừa.".to_string(),
        UnknownParent(code) => format!("Cơ quan cấp trên {code} không tồn tại vào ngày sự kiện."),
        Cycle(code) => {
            format!("Không thể đặt cơ quan {code} dưới chính nó hoặc đơn vị trực thuộc của nó.")
        }
        Orphans(code) => {
            format!("Cơ quan {code} còn đơn vị trực thuộc; hãy chỉ rõ cơ quan tiếp nhận (into).")
        }
        BadChildMapping {
            child,
            predecessor,
            successor,
        } => format!(
            "{child} không trực thuộc {predecessor}, hoặc {successor} không phải cơ quan kế thừa."
        ),
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_event",
        vi,
        error.to_string(),
    )
}

impl From<baocao_service::clients::ClientsError> for ApiError {
    fn from(error: baocao_service::clients::ClientsError) -> Self {
        use baocao_service::clients::ClientsError as E;
        let code = error.code();
        let refused =
            |vi: String, en: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en);
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::InvalidName(name) => refused(
                format!("Tên hệ thống {name:?} chỉ gồm chữ thường, số, '.', '_', '-'."),
                format!("Client name {name:?} must be lowercase letters, digits, '.', '_' or '-'."),
            ),
            E::NoScope => refused(
                "Hệ thống phải được gửi (push) hoặc lấy (pull) dữ liệu.".into(),
                "A client must be allowed to push or to pull.".into(),
            ),
            E::InvalidRate => refused(
                "Giới hạn yêu cầu mỗi phút phải từ 1 đến 100000.".into(),
                "rate_per_minute must be 1 to 100000.".into(),
            ),
            E::Exists(name) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!("Đã có tài khoản hoặc hệ thống tên {name}."),
                format!("An account or client named {name} already exists."),
            ),
            E::UnknownClient(id) => {
                ApiError::not_found(&format!("hệ thống kết nối {id}"), &format!("client {id}"))
            }
        }
    }
}

impl From<baocao_service::sessions::SessionsError> for ApiError {
    fn from(error: baocao_service::sessions::SessionsError) -> Self {
        use baocao_service::sessions::SessionsError as E;
        match error {
            E::UnknownUser(username) => ApiError::not_found(
                &format!("người dùng {username}"),
                &format!("user {username}"),
            ),
            E::UnknownToken(id) => {
                ApiError::not_found(&format!("phiên {id}"), &format!("token {id}"))
            }
            E::UnknownAgency(code) => {
                ApiError::not_found(&format!("cơ quan {code}"), &format!("agency {code}"))
            }
            E::Forbidden => ApiError::forbidden(),
            E::Store(error) => error.into(),
        }
    }
}

impl From<baocao_service::sso::SsoError> for ApiError {
    fn from(error: baocao_service::sso::SsoError) -> Self {
        use axum::http::StatusCode;
        use baocao_service::sso::SsoError as E;
        match error {
            E::UnknownProvider(name) => ApiError::not_found(
                &format!("cổng xác thực {name}"),
                &format!("identity provider {name}"),
            ),
            E::UnknownUser(username) => ApiError::not_found(
                &format!("người dùng {username}"),
                &format!("user {username}"),
            ),
            E::Forbidden => ApiError::forbidden(),
            E::InvalidSubject => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_subject",
                "Định danh tại cổng xác thực phải có từ 1 đến 255 ký tự.",
                "The subject must be 1 to 255 characters.",
            ),
            E::Provider(why) => {
                tracing::warn!(%why, "identity provider unusable");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "sso_unavailable",
                    "Không liên lạc được với cổng xác thực; hãy thử lại sau.",
                    "The identity provider cannot be reached or answered wrongly; try again later.",
                )
            }
            E::State => ApiError::new(
                StatusCode::BAD_REQUEST,
                "sso_state",
                "Lượt đăng nhập này không bắt đầu từ trình duyệt này hoặc đã hết hạn; hãy đăng nhập lại.",
                "This sign-in did not start in this browser or has expired; sign in again.",
            ),
            E::Refused(why) => {
                tracing::warn!(%why, "identity provider refused the code");
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "sso_refused",
                    "Cổng xác thực không chấp nhận lượt đăng nhập này; hãy đăng nhập lại.",
                    "The identity provider refused this sign-in; sign in again.",
                )
            }
            E::Token(why) => {
                tracing::warn!(%why, "ID token refused");
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "sso_token_invalid",
                    format!("Thẻ định danh từ cổng xác thực không hợp lệ: {why}."),
                    format!("The identity provider's ID token is not acceptable: {why}."),
                )
            }
            E::NoAccount { provider, subject } => ApiError::new(
                StatusCode::FORBIDDEN,
                "sso_no_account",
                format!(
                    "Tài khoản {subject} tại {provider} chưa được gắn với tài khoản baocao nào; hãy nhờ quản trị viên cơ quan gắn."
                ),
                format!(
                    "{subject} at {provider} is linked to no baocao account; ask your agency's administrator to link it."
                ),
            ),
            E::Store(error) => error.into(),
        }
    }
}

impl From<baocao_service::rules::RulesError> for ApiError {
    fn from(error: baocao_service::rules::RulesError) -> Self {
        use baocao_service::rules::RulesError as E;
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::InvalidKind(other) => ApiError::bad_request(
                "invalid_kind",
                format!("Loại biểu thức {other:?} không hợp lệ (condition hoặc formula)."),
                format!("Unknown expression kind {other:?} (condition or formula)."),
            ),
            E::Rule(error) => crate::api::rules::rule_error(&error),
            E::InvalidSample(problems) => ApiError::bad_request(
                "invalid_values",
                "Số liệu mẫu không hợp lệ.",
                "The sample values are invalid.",
            )
            .with_detail("problems", json!(problems)),
        }
    }
}

impl From<baocao_service::calendar::CalendarError> for ApiError {
    fn from(error: baocao_service::calendar::CalendarError) -> Self {
        use baocao_service::calendar::CalendarError as E;
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::InvalidBound { name, text } => ApiError::bad_request(
                "invalid_date",
                format!("Tham số {name} phải là một ngày dạng YYYY-MM-DD, không phải {text:?}."),
                format!("Parameter {name} must be a date YYYY-MM-DD, not {text:?}."),
            ),
            E::InvalidRange(max) => ApiError::bad_request(
                "invalid_range",
                format!("Khoảng ngày phải từ from đến to, dài tối đa {max} ngày."),
                format!("The range must run from `from` to `to`, at most {max} days."),
            ),
            E::InvalidYear(year) => ApiError::bad_request(
                "invalid_year",
                format!("Năm {year} nằm ngoài khoảng 1900–2100."),
                format!("Year {year} is outside 1900–2100."),
            ),
            E::InvalidDay(text) => ApiError::bad_request(
                "invalid_date",
                format!("Ngày phải có dạng YYYY-MM-DD, không phải {text:?}."),
                format!("The day must be YYYY-MM-DD, not {text:?}."),
            ),
            E::NoChange(day) => ApiError::not_found(
                &format!("thay đổi lịch ngày {day}"),
                &format!("calendar change on {day}"),
            ),
        }
    }
}

impl From<baocao_service::connectors::ConnectorsError> for ApiError {
    fn from(error: baocao_service::connectors::ConnectorsError) -> Self {
        use baocao_service::connectors::ConnectorsError as E;
        match error {
            E::UnknownConnector(code) => {
                ApiError::not_found(&format!("kết nối {code}"), &format!("connector {code}"))
            }
            E::Forbidden => ApiError::forbidden(),
            E::Store(error) => error.into(),
        }
    }
}

impl From<baocao_service::registry::RegistryError> for ApiError {
    fn from(error: baocao_service::registry::RegistryError) -> Self {
        use baocao_service::registry::{AssignmentProblem, ExpressionAt, RegistryError as E};
        let code = error.code();
        match error {
            E::Catalogue(error) => error.into(),
            E::Store(error) => error.into(),
            E::Forbidden => ApiError::forbidden(),
            E::Invalid(error) => crate::api::registry::invalid(&error),
            E::Exists(regime) => ApiError::new(
                StatusCode::CONFLICT,
                code,
                format!("Đã có chế độ báo cáo mã {regime}."),
                format!("A regime with code {regime} already exists."),
            ),
            E::UnknownIndicator { form, indicator } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!("Biểu {form}: chỉ tiêu {indicator} không có trong danh mục."),
                format!("Form {form}: indicator {indicator} is not in the catalogue."),
            ),
            E::UnknownAttributeCategory(category) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "Chiều thuộc tính {category} không có trong danh mục phân tổ, hoặc được nêu hai lần."
                ),
                format!(
                    "Attribute category {category} is not in the catalogue of categories, or is named twice."
                ),
            ),
            E::AttributeCategoryClash {
                category,
                indicator,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "{category} đã là phân tổ của chỉ tiêu {indicator} nên không thể là chiều thuộc tính của cả báo cáo."
                ),
                format!(
                    "{category} already disaggregates indicator {indicator}, so it cannot split the whole report."
                ),
            ),
            E::FormTooLarge {
                form,
                cells,
                limit,
                widest_row,
            } => {
                let row = widest_row.as_deref().unwrap_or("?");
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    format!(
                        "Biểu {form} có {cells} ô (số dòng × số cột × các tổ hợp phân tổ), vượt giới hạn {limit} ô. Dòng {row} nhiều ô nhất: hãy bớt phân tổ của chỉ tiêu này hoặc tách thành nhiều biểu."
                    ),
                    format!(
                        "Form {form} has {cells} cells (rows × columns × disaggregation combinations), over the limit of {limit}. Row {row} has the most: drop some of its disaggregations or split the form."
                    ),
                )
                .with_detail("form", json!(form))
                .with_detail("cells", json!(cells))
            }
            E::BrokenExpression { at, error } => {
                let answer = crate::api::rules::rule_error(&error);
                match at {
                    ExpressionAt::Rule(name) => answer.with_detail("rule", json!(name)),
                    ExpressionAt::Derived(code) => answer.with_detail("derived", json!(code)),
                }
            }
            E::InvalidAssignment { index, problem } => {
                let n = index + 1;
                let (vi, en) = match problem {
                    AssignmentProblem::Validity(reason) => (
                        format!("Giao báo cáo thứ {n}: khoảng hiệu lực không hợp lệ."),
                        format!("Assignment {n}: {reason}."),
                    ),
                    AssignmentProblem::NoAgency { agency, on } => (
                        format!(
                            "Giao báo cáo thứ {n}: cơ quan {agency} không tồn tại vào ngày {on}."
                        ),
                        format!("Assignment {n}: agency {agency} does not exist on {on}."),
                    ),
                    AssignmentProblem::ToItself(reason) => (
                        format!("Giao báo cáo thứ {n}: cơ quan không tự báo cáo cho chính mình."),
                        format!("Assignment {n}: {reason}."),
                    ),
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en)
                    .with_detail("index", json!(index))
            }
        }
    }
}

/// `text` cut to at most `max` characters (an ellipsis marking the cut): what an error echoes
/// of the sender's input, so a 100 MB value is not sent back.
pub fn shortened(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..end])),
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(&what, &what),
            StoreError::Conflict(what) => ApiError::conflict(&what),
            busy if busy.is_busy() => {
                tracing::warn!(error = %busy, "the database is busy; answered 503");
                crate::overload::overloaded()
            }
            gone if gone.is_unreachable() => {
                tracing::warn!(error = %gone, "the database is out of reach; answered 503");
                ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "Tạm thời không liên lạc được cơ sở dữ liệu; vui lòng gửi lại sau giây lát.",
                    "The database is out of reach for a moment; please retry shortly.",
                )
                .retry_after(2)
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.details.get("retry_after").and_then(|v| v.as_u64());
        let mut error = serde_json::Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        error.insert("message_en".into(), json!(self.message_en));
        error.extend(self.details);
        let mut body = self.beside;
        body.insert("error".into(), serde_json::Value::Object(error));
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
