//! CORS for the JSON API: open to the origins listed in
//! `LATCHKEY_CORS_ORIGINS`, closed to every other and by default, and never
//! with credentials (the API takes bearer tokens, not cookies). The layer
//! is the same on both backends, so SQLite alone is enough.

use reqwest::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use reqwest::{Method, Response};

use crate::helpers::{Backend, TestApp, TestDb};

const LISTED: &str = "https://www.vendor.test";

async fn vendor_app() -> TestApp {
    TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| s.cors_origins = vec![LISTED.into()]).await
}

/// The browser's question before a cross-origin JSON POST with a bearer token.
async fn preflight(app: &TestApp, origin: &str, path: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header(ORIGIN, origin)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a Response, name: &reqwest::header::HeaderName) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_origin_may_call_the_api_without_credentials() {
    let app = vendor_app().await;

    let answer = preflight(&app, LISTED, "/v1/tokens").await;
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_ORIGIN), Some(LISTED));
    let methods = header(&answer, &ACCESS_CONTROL_ALLOW_METHODS).unwrap().to_ascii_lowercase();
    assert!(methods.contains("post"), "{methods}");
    let headers = header(&answer, &ACCESS_CONTROL_ALLOW_HEADERS).unwrap().to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_CREDENTIALS), None);

    // The actual request is answered for that origin too, still without credentials.
    let simple = app.client.get(app.url("/v1/eulas/notes/current")).header(ORIGIN, LISTED).send().await.unwrap();
    assert_eq!(header(&simple, &ACCESS_CONTROL_ALLOW_ORIGIN), Some(LISTED));
    assert_eq!(header(&simple, &ACCESS_CONTROL_ALLOW_CREDENTIALS), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_origin_is_not_allowed() {
    let app = vendor_app().await;
    for origin in ["https://evil.test", "https://vendor.test", "http://www.vendor.test", "null"] {
        let answer = preflight(&app, origin, "/v1/tokens").await;
        assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_ORIGIN), None, "{origin}");
        assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_CREDENTIALS), None, "{origin}");
        let simple = app.client.get(app.url("/v1/eulas/notes/current")).header(ORIGIN, origin).send().await.unwrap();
        assert_eq!(header(&simple, &ACCESS_CONTROL_ALLOW_ORIGIN), None, "{origin}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_by_default() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let answer = preflight(&app, LISTED, "/v1/tokens").await;
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_ORIGIN), None);
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_METHODS), None);
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_CREDENTIALS), None);
    let simple = app.client.get(app.url("/v1/eulas/notes/current")).header(ORIGIN, LISTED).send().await.unwrap();
    assert_eq!(header(&simple, &ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_are_never_cross_origin() {
    let app = vendor_app().await;
    let answer = preflight(&app, LISTED, "/sign-in").await;
    assert_eq!(header(&answer, &ACCESS_CONTROL_ALLOW_ORIGIN), None);
}
