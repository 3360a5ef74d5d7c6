//! Serving connections, with the bounds a public server needs: a client
//! must send its request head in time, an idle keep-alive connection is
//! closed, open connections are capped, and shutdown finishes in-flight
//! requests but stops waiting after a deadline. Built from hyper's HTTP/1
//! connection and a small accept loop; `axum::serve` offers none of these
//! knobs (and leaves hyper's header timeout inert, having no timer).
//!
//! A request stuck mid-body is bounded by the request timeout of the
//! envelope, which covers reading the body.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The bounds on connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a client gets to send a complete request head. hyper runs this
    /// clock again while a keep-alive connection waits for its next
    /// request, so it also caps idleness.
    pub header_read_timeout: Duration,
    /// A keep-alive connection with no request in flight this long is closed.
    pub idle_timeout: Duration,
    /// Most connections open at once; past it, new ones wait in the
    /// kernel's backlog instead of taking file handles.
    pub max_connections: usize,
    /// After the shutdown signal, how long in-flight requests get to finish
    /// before their connections are dropped.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    // hyper's timeouts need a timer; without one the header timeout is inert.
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    // Held by connection tasks: the semaphore counts open connections.
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    // A JoinSet, so the drain can be awaited and what is left aborted.
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        // Wait for a free slot before accepting: while full, connections
        // queue in the backlog rather than being accepted and left waiting.
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = serve_connection(
            http.clone(),
            stream,
            remote,
            router.clone(),
            stopping.clone(),
            limits.idle_timeout,
            permit,
        );
        connections.spawn(connection);
    }
    // Stop accepting, ask every connection to finish its current request,
    // and wait for that, but not past the grace period.
    drop(listener);
    let _ = stop.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain).await.is_err() {
        tracing::warn!(remaining = connections.len(), "shutdown grace period over; dropping the remaining connections");
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(
    http: http1::Builder,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    mut stopping: watch::Receiver<bool>,
    idle_timeout: Duration,
    permit: OwnedSemaphorePermit,
) {
    // Released when this task ends, aborted or not.
    let _permit = permit;
    let activity = Arc::new(Activity::new());
    let app = TowerToHyperService::new(router);
    let service = {
        let activity = activity.clone();
        service_fn(move |mut request: hyper::Request<Incoming>| {
            // What `into_make_service_with_connect_info` would insert, and
            // what the `ConnectInfo<SocketAddr>` extractor reads.
            request.extensions_mut().insert(ConnectInfo(remote));
            let busy = Activity::begin(&activity);
            let response = hyper::service::Service::call(&app, request);
            async move {
                let response = response.await;
                drop(busy);
                response
            }
        })
    };
    let mut connection = pin!(http.serve_connection(TokioIo::new(stream), service));
    let mut draining = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    // Header timeouts, resets, malformed requests: routine.
                    tracing::debug!(%remote, %error, "connection ended");
                }
                break;
            }
            stopped = stopping.wait_for(|stop| *stop), if !draining => {
                drop(stopped);
                draining = true;
                // No more keep-alive: an idle connection closes at once, a
                // busy one after its current response.
                connection.as_mut().graceful_shutdown();
            }
            () = activity.idle(idle_timeout), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Requests in flight on one connection, for the idle timeout.
struct Activity {
    state: Mutex<ActivityState>,
}

struct ActivityState {
    in_flight: usize,
    last: Instant,
}

/// One request in flight; dropped when its response is ready (or abandoned).
struct Busy(Arc<Activity>);

impl Activity {
    fn new() -> Self {
        Self { state: Mutex::new(ActivityState { in_flight: 0, last: Instant::now() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn begin(this: &Arc<Self>) -> Busy {
        let mut state = this.lock();
        state.in_flight += 1;
        state.last = Instant::now();
        Busy(this.clone())
    }

    /// Resolves once no request has been in flight for `timeout`.
    async fn idle(&self, timeout: Duration) {
        loop {
            let deadline = {
                let state = self.lock();
                (state.in_flight == 0).then_some(state.last + timeout)
            };
            match deadline {
                None => tokio::time::sleep(timeout).await,
                Some(deadline) => {
                    tokio::time::sleep_until(deadline).await;
                    let state = self.lock();
                    if state.in_flight == 0 && state.last + timeout <= Instant::now() {
                        return;
                    }
                }
            }
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.last = Instant::now();
    }
}

/// Resets are routine; anything else (out of file handles) backs off
/// instead of spinning.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
