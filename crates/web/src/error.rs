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
