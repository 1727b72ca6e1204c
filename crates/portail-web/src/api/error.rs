//! Explore API error bodies: `{"error_code": "...", "message": "..."}` with the code's status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portail_core::error::Kind;
use portail_core::Code;

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::NotFound, message)
    }

    pub fn dataset_not_found(dataset_id: &str) -> ApiError {
        ApiError::not_found(format!("The requested dataset {dataset_id} does not exist."))
    }

    pub fn parameter(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::InvalidParameter, message)
    }

    /// A clause that does not parse, with the clause named as Opendatasoft does.
    pub fn syntax(e: &portail_odsql::ParseError, clause: &str) -> ApiError {
        ApiError::new(Code::OdsqlSyntax, format!("{e}. Clause(s) containing the error(s): {clause}."))
    }

    pub fn odsql(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Odsql, message)
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error in the API");
        ApiError::new(Code::Internal, "An internal error occurred.")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message =
            if self.code.kind() == Kind::Internal { "An internal error occurred.".to_owned() } else { self.message };
        let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, axum::Json(serde_json::json!({"error_code": self.code.wire(), "message": message})))
            .into_response();
        super::api_headers(&mut r);
        r
    }
}
