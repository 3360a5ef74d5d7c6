//! The one error type of the HTTP edge, rendered as RFC 9457
//! `application/problem+json` with a stable `code` clients branch on.
//! 5xx bodies never say why; the cause is logged once, inside the request span.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::domain::factors::{Acr, Factor, Shortfall};
use crate::store::StoreError;

tokio::task_local! {
    /// The current request's id, set by the request middleware so that every
    /// error body can carry it without threading it through handlers.
    pub static REQUEST_ID: String;
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON of the expected shape (syntax, types, unknown fields).
    #[error("{0}")]
    MalformedBody(String),
    /// Well-formed input that breaks a rule.
    #[error("{detail}")]
    Validation { detail: String, errors: Vec<FieldError> },
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A code or passkey answer was refused; the text says how to go on.
    #[error("{0}")]
    CredentialRefused(String),
    /// The session is not strong enough for this; sign in (or step up) with `factor`.
    #[error("This needs a session that used {}: confirm it at POST /v1/me/reauthenticate, or sign in again with it.", .factor.describe())]
    MfaRequired { factor: Factor },
    /// The user must first set up `factor`.
    #[error("This needs {} on your account: set one up first.", .factor.describe())]
    FactorEnrollmentRequired { factor: Factor },
    #[error("Confirm it is you at POST /v1/me/reauthenticate, then try again within five minutes.")]
    ReauthenticationRequired,
    /// The product's current EULA must be accepted first.
    #[error("Accept version {version} of the {product} EULA first (POST /v1/me/eula-acceptances).")]
    EulaAcceptanceRequired { product: String, version: String },
    /// The user must verify their email address first (`POST /v1/me/email-verification`).
    #[error(
        "Verify your email address first: follow the link we sent, or ask for a new one at POST /v1/me/email-verification."
    )]
    EmailVerificationRequired,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("every seat of this license is taken")]
    SeatLimitReached,
    #[error("account locked")]
    AccountLocked { retry_after_secs: u64 },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request timed out")]
    Timeout,
    #[error("service unavailable")]
    Unavailable,
    /// Anything unexpected; the message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The problem document; `errors` only for validation failures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case word that clients branch on.
    pub code: &'static str,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For `mfa_required` and `factor_enrollment_required`: `second_factor` or `passkey`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<&'static str>,
    /// For `eula_acceptance_required`: the product and the version to accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eula_version: Option<String>,
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field: field.to_owned(), message }],
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::MalformedBody(_) => (StatusCode::BAD_REQUEST, "validation_failed", "Malformed request body"),
            Self::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed"),
            Self::InvalidCredentials | Self::CredentialRefused(_) => {
                (StatusCode::UNAUTHORIZED, "invalid_credentials", "Invalid credentials")
            }
            Self::MfaRequired { .. } => (StatusCode::UNAUTHORIZED, "mfa_required", "Stronger sign-in required"),
            Self::FactorEnrollmentRequired { .. } => {
                (StatusCode::FORBIDDEN, "factor_enrollment_required", "Sign-in factor required")
            }
            Self::ReauthenticationRequired => {
                (StatusCode::UNAUTHORIZED, "reauthentication_required", "Recent authentication required")
            }
            Self::EulaAcceptanceRequired { .. } => {
                (StatusCode::FORBIDDEN, "eula_acceptance_required", "EULA acceptance required")
            }
            Self::EmailVerificationRequired => {
                (StatusCode::FORBIDDEN, "email_verification_required", "Email verification required")
            }
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::SeatLimitReached => (StatusCode::CONFLICT, "seat_limit_reached", "Seat limit reached"),
            Self::AccountLocked { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "account_locked", "Account temporarily locked")
            }
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type")
            }
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", "Request timed out"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::InvalidCredentials => "The email or password is incorrect.".into(),
            Self::NotFound => "No such resource.".into(),
            Self::AccountLocked { retry_after_secs } => {
                format!("Too many failed sign-in attempts for this account. Try again in {retry_after_secs} seconds.")
            }
            Self::RateLimited { retry_after_secs } => {
                format!("Too many attempts from this address. Try again in {retry_after_secs} seconds.")
            }
            Self::PayloadTooLarge => "The request body is larger than 64 KiB.".into(),
            Self::UnsupportedMediaType => "Send the body as JSON with `Content-Type: application/json`.".into(),
            Self::Timeout => "The request took too long and was abandoned; it is safe to retry.".into(),
            Self::Unavailable => "A dependency is unavailable; retry later.".into(),
            Self::Internal(_) => "Something went wrong on our side. Quote the request id when asking for help.".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        if let Self::Internal(cause) = &self {
            tracing::error!(cause = %cause, "request failed");
        }
        let problem = Problem {
            kind: format!("urn:latchkey:problem:{code}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            code,
            request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
            errors: match self {
                Self::Validation { ref errors, .. } => Some(errors.clone()),
                _ => None,
            },
            factor: match self {
                Self::MfaRequired { factor } | Self::FactorEnrollmentRequired { factor } => Some(factor.as_str()),
                _ => None,
            },
            product: match &self {
                Self::EulaAcceptanceRequired { product, .. } => Some(product.clone()),
                _ => None,
            },
            eula_version: match &self {
                Self::EulaAcceptanceRequired { version, .. } => Some(version.clone()),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match self {
            Self::AccountLocked { retry_after_secs } | Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Self::Unauthorized(_) | Self::InvalidCredentials | Self::CredentialRefused(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="latchkey""#));
            }
            // RFC 9470's step-up challenge, so generic clients know what to do.
            Self::MfaRequired { factor } => {
                let acr = match factor {
                    Factor::SecondFactor => Acr::MultiFactor,
                    Factor::Passkey => Acr::PhishingResistant,
                };
                let challenge = format!(
                    r#"Bearer realm="latchkey", error="insufficient_user_authentication", acr_values="{}""#,
                    acr.as_str()
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::ReauthenticationRequired => {
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

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => Self::InvalidCredentials,
            AuthError::AccountLocked { retry_after_secs } => Self::AccountLocked { retry_after_secs },
            AuthError::EmailTaken => Self::Conflict("An account with this email already exists.".into()),
            AuthError::Invalid { field, problem } => Self::validation(field, problem),
            AuthError::WeakPassword { field, source } => Self::validation(field, source.to_string()),
            AuthError::Unauthenticated => Self::Unauthorized("A valid session token is required."),
            AuthError::NotFound => Self::NotFound,
            AuthError::PendingSignInGone => {
                Self::Unauthorized("This sign-in has expired or ended; start again with your email and password.")
            }
            AuthError::CredentialRefused(detail) => Self::CredentialRefused(detail),
            AuthError::Shortfall(Shortfall::EnrollmentRequired(factor)) => Self::FactorEnrollmentRequired { factor },
            AuthError::Shortfall(Shortfall::StrongerSignInRequired(factor)) => Self::MfaRequired { factor },
            AuthError::ReauthenticationRequired => Self::ReauthenticationRequired,
            AuthError::Conflict(detail) => Self::Conflict(detail),
            AuthError::RateLimited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            AuthError::Store(e) => e.into(),
            AuthError::Hashing(e) => Self::Internal(format!("password hashing: {e}")),
        }
    }
}

impl From<crate::eula::EulaError> for ApiError {
    fn from(error: crate::eula::EulaError) -> Self {
        use crate::eula::EulaError;
        match error {
            EulaError::Invalid { field, problem } => Self::validation(field, problem),
            EulaError::NotFound => Self::NotFound,
            EulaError::Conflict(detail) => Self::Conflict(detail),
            EulaError::AcceptanceRequired { product, version } => Self::EulaAcceptanceRequired { product, version },
            EulaError::Store(e) => e.into(),
        }
    }
}

impl From<crate::tokens::keys::KeyError> for ApiError {
    fn from(error: crate::tokens::keys::KeyError) -> Self {
        match error {
            crate::tokens::keys::KeyError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match &error {
            // The connection to the database failed or broke: a retryable
            // outage, not a bug.
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed,
            ) => {
                tracing::error!(%error, "database unavailable");
                Self::Unavailable
            }
            _ => Self::Internal(error.to_string()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::Validation { detail: rejection.body_text(), errors: Vec::new() }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::JsonDataError(e) => Self::MalformedBody(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::MalformedBody(e.body_text()),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::MalformedBody(other.body_text()),
        }
    }
}
