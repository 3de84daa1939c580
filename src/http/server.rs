//! The accept loop: HTTP/1.1 (with WebSocket upgrades) on hyper, with the connection hygiene axum's
//! own `serve` leaves out. A connection must send its request head within `header_read_timeout`
//! (that also bounds how long an idle keep-alive connection is held); an address may hold at most
//! `max_connections_per_ip` connections (trusted proxies excepted) and the gateway
//! `max_open_connections`; over a cap the connection is closed at once, before any byte is read.
//! Accept errors (out of file descriptors) pause accepting briefly instead of spinning.
//! On shutdown, accepting stops, open connections finish their request and close, and the loop
//! waits for them up to `drain`.

use super::client_ip::TrustedProxies;
use super::conn_limits::PerIpCounts;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub max_connections_per_ip: usize,
    pub max_open_connections: usize,
    pub trusted_proxies: TrustedProxies,
    /// How long shutdown waits for open connections.
    pub drain: Duration,
}

/// Counters the loop keeps, for metrics and tests.
#[derive(Debug, Default)]
pub struct ServeStats {
    pub refused_per_ip: AtomicUsize,
    pub refused_total: AtomicUsize,
    pub accept_errors: AtomicUsize,
}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    stats: Arc<ServeStats>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let counts = PerIpCounts::new();
    let open = Arc::new(AtomicUsize::new(0));
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(64 * 1024);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    let mut last_error_log = None::<std::time::Instant>;
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    stats.accept_errors.fetch_add(1, Ordering::Relaxed);
                    // EMFILE and friends: the condition persists for a while; say so once a second.
                    if last_error_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        tracing::warn!(error = %e, "accept failed; pausing (raise the file-descriptor limit or lower the connection caps)");
                        last_error_log = Some(std::time::Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let slot = if options.trusted_proxies.contains(peer.ip()) {
            None
        } else {
            match counts.try_acquire(peer.ip(), options.max_connections_per_ip) {
                Some(slot) => Some(slot),
                None => {
                    stats.refused_per_ip.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
        };
        if open.load(Ordering::Relaxed) >= options.max_open_connections {
            stats.refused_total.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let _ = tcp.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |req: axum::http::Request<Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let service = TowerToHyperService::new(service);
        let builder = builder.clone();
        let mut closing = closing_rx.clone();
        let open = open.clone();
        open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            let mut asked = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::trace!(error = %e, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    _ = closing.wait_for(|c| *c), if !asked => {
                        asked = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(slot);
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    closing.send_replace(true);
    let deadline = tokio::time::Instant::now() + options.drain;
    while open.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
