//! The one error type of the HTTP edge, rendered as RFC 9457
//! `application/problem+json` with a stable `code` clients branch on.
//! Services refuse with typed reasons; `words` turns each into an
//! `ApiError` in English, and the table here gives each code its status.
//! 5xx bodies never say why; the cause is logged once, inside the request span.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::factors::{Acr, Factor};
use crate::domain::reason::Code;

tokio::task_local! {
    /// The current request's id, set by the request middleware so that every
    /// error body can carry it without threading it through handlers.
    pub static REQUEST_ID: String;
}

/// One field that broke a rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field as the request named it.
    pub field: String,
    /// What is wrong with it, in English.
    pub message: String,
}

/// A refusal on its way to the client. Boxed: handlers return it by value
/// on every path, and a small `Err` keeps their results small.
#[derive(Debug)]
pub struct ApiError(Box<Details>);

#[derive(Debug)]
struct Details {
    code: Code,
    detail: String,
    errors: Vec<FieldError>,
    /// For `mfa_required`, `factor_enrollment_required` and `reauthentication_required`.
    factor: Option<Factor>,
    /// For `eula_acceptance_required`: the product and the version to accept.
    eula: Option<(String, String)>,
    retry_after_secs: Option<u64>,
    /// For 5xx: what really happened, logged and never sent.
    cause: Option<String>,
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// The problem document; `errors` only for validation failures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:latchkey:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the code.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, in English.
    pub detail: String,
    /// Stable snake_case word that clients branch on.
    pub code: &'static str,
    /// The request's id, also in the logs and the `x-request-id` header.
    pub request_id: String,
    /// Each field that broke a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For `mfa_required`, `factor_enrollment_required` and `reauthentication_required`: `second_factor` or `passkey`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<&'static str>,
    /// For `eula_acceptance_required`: the product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// For `eula_acceptance_required`: the version to accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eula_version: Option<String>,
}

/// How soon a client may retry after an outage answer: soon, since another
/// instance (or this one, reconnected) may already serve it.
pub const RETRY_UNAVAILABLE_SECS: u64 = 1;

/// The one table from code to HTTP status and title.
pub fn status_of(code: Code) -> (StatusCode, &'static str) {
    match code {
        Code::ValidationFailed => (StatusCode::UNPROCESSABLE_ENTITY, "Validation failed"),
        Code::MalformedBody => (StatusCode::BAD_REQUEST, "Malformed request body"),
        Code::InvalidCredentials => (StatusCode::UNAUTHORIZED, "Invalid credentials"),
        // Not 401: the session is fine, and a 401 makes apps sign the user out.
        Code::StepUpFailed => (StatusCode::FORBIDDEN, "Proof refused"),
        Code::MfaRequired => (StatusCode::UNAUTHORIZED, "Stronger sign-in required"),
        Code::FactorEnrollmentRequired => (StatusCode::FORBIDDEN, "Sign-in factor required"),
        Code::ReauthenticationRequired => (StatusCode::UNAUTHORIZED, "Recent authentication required"),
        Code::EulaAcceptanceRequired => (StatusCode::FORBIDDEN, "EULA acceptance required"),
        Code::EmailVerificationRequired => (StatusCode::FORBIDDEN, "Email verification required"),
        Code::Unauthorized => (StatusCode::UNAUTHORIZED, "Authentication required"),
        Code::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
        Code::NotFound => (StatusCode::NOT_FOUND, "Not found"),
        Code::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
        Code::Conflict => (StatusCode::CONFLICT, "Conflict"),
        Code::SeatLimitReached => (StatusCode::CONFLICT, "Seat limit reached"),
        Code::LicenseSuspended => (StatusCode::CONFLICT, "License suspended"),
        Code::LicenseRevoked => (StatusCode::CONFLICT, "License revoked"),
        Code::LicenseExpired => (StatusCode::CONFLICT, "License expired"),
        Code::ActivationCodeUsed => (StatusCode::CONFLICT, "Activation code already used"),
        Code::LeaseLapsed => (StatusCode::CONFLICT, "Lease lapsed"),
        Code::TransferLimitReached => (StatusCode::TOO_MANY_REQUESTS, "Seat transfer limit reached"),
        Code::FactorRequiredByLicense => (StatusCode::CONFLICT, "Factor required by a license"),
        Code::PasskeysUnavailable => (StatusCode::CONFLICT, "Passkeys unavailable"),
        Code::AccountLocked => (StatusCode::TOO_MANY_REQUESTS, "Account temporarily locked"),
        Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
        Code::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
        Code::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
        Code::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "Request timed out"),
        Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
        Code::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
    }
}

impl ApiError {
    /// A refusal with this code and English detail.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self(Box::new(Details {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            factor: None,
            eula: None,
            retry_after_secs: None,
            cause: None,
        }))
    }

    /// A field that broke a rule, worded in English.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = Self::new(Code::ValidationFailed, format!("{field}: {message}"));
        error.0.errors.push(FieldError { field: field.to_owned(), message });
        error
    }

    /// Our failure: logged with `cause`, answered opaquely.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(Code::Internal, String::new()).caused_by(cause)
    }

    /// A dependency is down: logged with `cause`, answered as retryable.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self::new(Code::Unavailable, String::new()).caused_by(cause).retry_after(RETRY_UNAVAILABLE_SECS)
    }

    /// The route does not exist.
    pub fn not_found() -> Self {
        Self::new(Code::NotFound, "No such resource.")
    }

    /// No valid credential came with the request.
    pub fn unauthorized(detail: &str) -> Self {
        Self::new(Code::Unauthorized, detail)
    }

    /// The credential does not allow this.
    pub fn forbidden(detail: &str) -> Self {
        Self::new(Code::Forbidden, detail)
    }

    /// Too many attempts from this client.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            Code::RateLimited,
            format!("Too many attempts from this address. Try again in {retry_after_secs} seconds."),
        )
        .retry_after(retry_after_secs)
    }

    /// Names the factor a sign-in needs (`factor` in the body).
    pub fn with_factor(mut self, factor: Factor) -> Self {
        self.0.factor = Some(factor);
        self
    }

    /// Names the EULA to accept (`product` and `eula_version` in the body).
    pub fn with_eula(mut self, product: String, version: String) -> Self {
        self.0.eula = Some((product, version));
        self
    }

    /// Says when to try again (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after_secs = Some(seconds);
        self
    }

    /// What really happened, for the log only.
    pub fn caused_by(mut self, cause: impl std::fmt::Display) -> Self {
        self.0.cause = Some(cause.to_string());
        self
    }

    /// The stable code this answers with.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// What the problem's `detail` says: the refusal in English.
    pub fn message(&self) -> String {
        self.generic_detail()
    }

    fn generic_detail(&self) -> String {
        match self.0.code {
            Code::Timeout => "The request took too long and was abandoned; it is safe to retry.".into(),
            // Causes stay in the log; a detail written for the caller (what to wait for) is shown.
            Code::Unavailable if self.0.detail.is_empty() => "A dependency is unavailable; retry later.".into(),
            Code::Internal => "Something went wrong on our side. Quote the request id when asking for help.".into(),
            _ => self.0.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = self.generic_detail();
        let details = *self.0;
        let (status, title) = status_of(details.code);
        if let Some(cause) = &details.cause {
            match details.code {
                Code::Unavailable => tracing::error!(%cause, "dependency unavailable"),
                _ => tracing::error!(%cause, "request failed"),
            }
        }
        let code = details.code.as_str();
        let (product, eula_version) = details.eula.unzip();
        let problem = Problem {
            kind: format!("urn:latchkey:problem:{code}"),
            title,
            status: status.as_u16(),
            detail,
            code,
            request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
            errors: (details.code == Code::ValidationFailed).then_some(details.errors),
            factor: details.factor.map(Factor::as_str),
            product,
            eula_version,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = details.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        match details.code {
            Code::Unauthorized | Code::InvalidCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="latchkey""#));
            }
            // RFC 9470's step-up challenge, so generic clients know what to do.
            Code::MfaRequired => {
                let acr = match details.factor {
                    Some(Factor::Passkey) => Acr::PhishingResistant,
                    _ => Acr::MultiFactor,
                };
                let challenge = format!(
                    r#"Bearer realm="latchkey", error="insufficient_user_authentication", acr_values="{}""#,
                    acr.as_str()
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Code::ReauthenticationRequired => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        r#"Bearer realm="latchkey", error="insufficient_user_authentication", max_age="300""#,
                    ),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::new(Code::ValidationFailed, rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::new(Code::UnsupportedMediaType, "Send the body as JSON with `Content-Type: application/json`.")
            }
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(Code::PayloadTooLarge, "The request body is larger than 64 KiB.")
            }
            other => Self::new(Code::MalformedBody, other.body_text()),
        }
    }
}
