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
    // A request that needs the database fails cleanly, not with a hang.
    let response = app.try_sign_in("ada@example.com", "whatever password").await;
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;

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
