//! The HTTP/1.1 server loop: one task per connection, with the defences `axum::serve`
//! does not offer. A client must send its headers within a time limit, at most
//! `max_connections` connections are served at once (more wait in the listen queue),
//! and each request carries the peer address for rate limiting.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use palaute_core::settings::HttpSettings;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;
use tracing::debug;

/// The address of the TCP peer, put into every request's extensions (core's type, so
/// that every door can read it).
pub use palaute_core::rate_limit::PeerAddress;

/// Put into every request's extensions for a connection that may outlive its HTTP
/// part (a WebSocket): holding it keeps the connection's place under
/// `max_connections`, and `closing` turns true when the server shuts down.
#[derive(Debug, Clone)]
pub struct ConnectionHold {
    _permit: Arc<OwnedSemaphorePermit>,
    pub closing: watch::Receiver<bool>,
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish.
pub async fn serve_http(
    listener: TcpListener,
    app: Router,
    settings: &HttpSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_connections = settings.max_connections.max(1);
    let connections = Arc::new(Semaphore::new(max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout());
    // hyper-util's GracefulShutdown cannot watch a connection that may be upgraded, so
    // shutdown is told through this channel and waited for through the permits.
    let (closing, closing_seen) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Running out of file descriptors and the like pass; do not spin.
                    debug!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let hold = ConnectionHold {
            _permit: Arc::new(permit),
            closing: closing_seen.clone(),
        };
        let mut shutting_down = closing_seen.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(PeerAddress(peer));
            request.extensions_mut().insert(hold.clone());
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let shutdown = async move {
                // The borrowed value is dropped here, before the connection is awaited.
                let _ = shutting_down.wait_for(|closing| *closing).await;
            };
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = shutdown => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection, upgraded ones included, gives its permit back when it ends.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = connections.acquire_many(all).await;
    Ok(())
}
