//! Control characters stop at the edge. Nothing a person types contains
//! them, PostgreSQL refuses NUL in text outright, and logs and terminals
//! misread the rest; so a path, query or body that carries one is refused
//! with `validation_failed` before any route sees it. Tab, line feed and
//! carriage return stay allowed in bodies, for text such as a EULA.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::reason::{Code, Invalid, Rule};

/// Whether percent-encoded text (a path or a query) decodes to a control character.
pub fn percent_decodes_to_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let decoded = match (byte, bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match std::str::from_utf8(hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(value) => {
                    i += 2;
                    value
                }
                None => byte,
            },
            _ => byte,
        };
        if decoded < 0x20 || decoded == 0x7f {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether a JSON text's strings hold a control character other than tab,
/// line feed or carriage return. JSON forbids raw control characters in
/// strings, so only escapes need looking at: `\u0000`-`\u001f`, `\u007f`,
/// `\b` and `\f`.
pub fn json_has_control(json: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&byte) = json.get(i) {
        if byte != b'\\' {
            i += 1;
            continue;
        }
        match json.get(i + 1) {
            Some(b'b' | b'f') => return true,
            Some(b'u') => {
                let code = json
                    .get(i + 2..i + 6)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                if code.is_some_and(|c| (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d)) || c == 0x7f) {
                    return true;
                }
                i += 6;
            }
            // Any other escape (`\\`, `\"`, `\n`…) is two bytes.
            _ => i += 2,
        }
    }
    false
}

fn refused(field: &'static str) -> ApiError {
    Invalid::new(field, Rule::NoControlCharacters).into()
}

/// The layer: refuses a path or query with a control character in it.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if percent_decodes_to_control(uri.path()) {
        return refused("path").into_response();
    }
    if uri.query().is_some_and(percent_decodes_to_control) {
        return refused("query").into_response();
    }
    next.run(request).await
}

/// `axum::Json`, but rejections are problem+json with our codes, and a body
/// whose strings hold control characters is refused before it is parsed.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase())
            .and_then(|essence| essence.strip_prefix("application/").map(str::to_owned))
            .is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"));
        if !is_json {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(Code::PayloadTooLarge, "The request body is larger than 64 KiB.")
            } else {
                ApiError::new(Code::MalformedBody, rejection.body_text())
            }
        })?;
        if json_has_control(&bytes) {
            return Err(refused("body"));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_however_encoded() {
        assert!(percent_decodes_to_control("/v1/eulas/%00/current"));
        assert!(percent_decodes_to_control("locale=en%0A"));
        assert!(percent_decodes_to_control("a=%7f"));
        assert!(!percent_decodes_to_control("/v1/eulas/studio/current"));
        assert!(!percent_decodes_to_control("q=%41%20b&x=%"));
        assert!(json_has_control(br#"{"email":"a\u0000@example.com"}"#));
        assert!(json_has_control(br#"{"name":"\u001b[31m"}"#));
        assert!(json_has_control(br#"{"name":"\b"}"#));
        assert!(!json_has_control(br#"{"body":"line one\nline two\ttab\r\n"}"#));
        assert!(!json_has_control(br#"{"a":"\\u0000 is just text","b":"\u00e9"}"#));
    }
}
