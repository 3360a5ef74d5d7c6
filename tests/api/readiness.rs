use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Backend, TcpProxy, TestApp, TestDb, assert_problem};

/// The database goes away behind a proxy while PostgreSQL itself keeps running
/// for the other tests; Latchkey reports it and recovers on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_without_a_restart() {
    let db = TestDb::new(Backend::Postgres).await;
    let url = url::Url::parse(&db.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = TcpProxy::start(target).await;
    let mut proxied = url.clone();
    proxied.set_port(Some(proxy.port)).unwrap();
    let proxied = proxied.to_string();
    let app = TestApp::spawn_on(db, |s| s.database_url = latchkey::config::DatabaseUrl::new(proxied)).await;

    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);

    proxy.cut().await;
    assert_problem(app.get("/readyz", None).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK, "the process itself is fine");
    // A request that needs the database fails cleanly and fast, so the
    // client can retry elsewhere: the wait for a connection is bounded
    // (one second), not five to ten.
    let started = std::time::Instant::now();
    let response = app.try_sign_in("ada@example.com", "whatever password").await;
    let waited = started.elapsed();
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(waited < Duration::from_secs(4), "waited {waited:?} for a 503");

    proxy.restore();
    let mut ready = false;
    for _ in 0..50 {
        if app.get("/readyz", None).await.status() == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz recovers once the database is reachable again");
    app.sign_up("ada@example.com", "correct horse battery").await;
}

/// `/metrics` can live on its own listener, away from the API, and is
/// served as what it is: OpenMetrics text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_listener() {
    use std::sync::Arc;
    let db = TestDb::new(Backend::Sqlite).await;
    let mut settings = crate::helpers::test_settings(&db);
    settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let app = latchkey::startup::Application::build(settings, Arc::new(latchkey::clock::ManualClock::starting_now()))
        .await
        .unwrap();
    let (api, metrics) = (
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    );
    let (api_address, metrics_address) = (api.local_addr().unwrap(), metrics.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.with_metrics_listener(metrics).serve(api, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let on_api = client.get(format!("http://{api_address}/metrics")).send().await.unwrap();
    assert_problem(on_api, StatusCode::NOT_FOUND, "not_found").await;
    let scraped = client.get(format!("http://{metrics_address}/metrics")).send().await.unwrap();
    assert_eq!(scraped.headers()["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(scraped.text().await.unwrap().trim_end().ends_with("# EOF"));
    let _ = stop.send(());
    served.await.unwrap().unwrap();
}
