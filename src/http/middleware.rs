//! The request envelope: request id, one span per request, the time limit,
//! and the HTTP metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::{Instrument, field};

use super::AppState;
use super::error::{ApiError, REQUEST_ID};
use crate::domain::reason::Code;
use crate::metrics::{RequestLabels, RouteLabels};

/// The header that carries the request id both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A caller-supplied id is echoed only if it is short and plain, so it cannot
/// smuggle anything into logs or headers.
fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= 128
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    plain.then(|| text.to_owned())
}

/// Every request passes here: it gets an id (echoed as `x-request-id`),
/// a span, a time limit, and a line in the metrics.
pub async fn envelope(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    // Only standard methods become label values; anything else is one bucket.
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "OTHER",
    }
    .to_owned();
    // An API route is matched by now; a page is matched further in, and
    // says which on its response.
    let matched = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = field::Empty,
        request_id = %request_id,
        status = field::Empty,
        latency_ms = field::Empty,
    );
    if let Some(route) = &matched {
        span.record("route", route.as_str());
    }
    let started = Instant::now();
    let limit = state.edge.request_timeout;
    let mut response = REQUEST_ID
        .scope(request_id.clone(), async move {
            match tokio::time::timeout(limit, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError::new(Code::Timeout, "").into_response(),
            }
        })
        .instrument(span.clone())
        .await;
    let elapsed = started.elapsed();
    let route = match matched {
        Some(route) => route,
        None => {
            let route = response.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
            span.record("route", route.as_str());
            route
        }
    };
    let status = response.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!("request finished"));

    state
        .edge
        .metrics
        .http_requests
        .get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status })
        .inc();
    state.edge.metrics.http_latency.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    // Answers carry tokens, keys, PINs and codes: none may sit in a cache
    // unless its route says otherwise (the JWKS, discovery).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if state.edge.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000"));
    }
    response
}
