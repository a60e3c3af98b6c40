//! Shared support of the HTTP tests: fixed keys and a certificate, a
//! paywalled axum server on loopback (its own runtime), a store whose saves
//! can be made to fail, and temporary directories.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::serve::ListenerExt as _;
use axum::{Router, routing::get};
use ed25519_dalek::SigningKey;
use payword::offer::AcceptedBroker;
use payword::sessions::{InMemory, SessionPersistence};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, CustomerId, Digest, MemoryStore,
    MessageSigner, VendorId, WalletStore,
};
use payword_http::{PayingClient, Paywall, PaywallLayer, PriceTable, Terms};

/// Value of a unit in the tests.
pub const UNIT_VALUE: u64 = 5;
/// Prices: `/article` 2, `/quote` 3, `/slow` 1, `/` free.
pub const ARTICLE: u32 = 2;
pub const QUOTE: u32 = 3;

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The parties: a broker, a vendor, a customer with a certificate.
pub struct World {
    pub broker: SigningKey,
    pub broker_id: BrokerId,
    pub vendor_key: SigningKey,
    pub vendor: VendorId,
    pub customer: SigningKey,
    pub certificate: Certificate,
    pub now: u64,
}

pub fn world() -> World {
    let now = now();
    let broker = SigningKey::from_bytes(&[1; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let certificate = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit: 100_000_000,
            valid_from: now - 3_600,
            expires: now + 86_400,
        },
        &broker,
    )
    .unwrap();
    World {
        broker,
        broker_id,
        vendor_key: SigningKey::from_bytes(&[5; 32]),
        vendor: VendorId::from_bytes([6; 32]),
        customer,
        certificate,
        now,
    }
}

impl World {
    pub fn terms(&self) -> Terms {
        Terms {
            unit_value: UNIT_VALUE,
            max_chain: 100_000,
            ..Terms::new(
                self.vendor,
                AcceptedBroker {
                    id: self.broker_id,
                    key: self.broker.public_key(),
                },
            )
        }
    }

    pub fn paywall(&self) -> Paywall<InMemory> {
        Paywall::new(self.vendor_key.clone(), self.terms())
    }

    /// A client paying at most 100 per request, chains of 5,000.
    pub fn client<S: WalletStore>(&self, store: S) -> PayingClient<S> {
        PayingClient::new(self.certificate, self.customer.clone(), store, 100)
            .with_chain_length(5_000)
            .with_save_ahead(16)
    }

    /// The broker, in process, on a memory store.
    pub fn broker(&self) -> Broker<MemoryStore> {
        Broker::new(
            self.broker_id,
            self.broker.public_key(),
            MemoryStore::default(),
            3_600,
        )
    }
}

/// A wallet store that keeps nothing (the wallet in memory only).
pub fn no_store() -> impl FnMut(&[u8], u64) -> Result<(), std::io::Error> {
    |_: &[u8], _: u64| Ok(())
}

/// The application behind the paywall.
pub fn app<P: SessionPersistence + 'static>(paywall: Arc<Paywall<P>>) -> Router {
    Router::new()
        .route("/", get(|| async { "free" }))
        .route("/article", get(|| async { "article" }))
        .route("/quote", get(|| async { "quote" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "slow"
            }),
        )
        .layer(PaywallLayer::new(
            paywall,
            PriceTable::new()
                .route("/article", ARTICLE)
                .route("/quote", QUOTE)
                .route("/slow", 1),
        ))
}

/// A paywalled server on loopback, with its own runtime.
pub struct Server {
    pub url: String,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn start<P: SessionPersistence + 'static>(paywall: Arc<Paywall<P>>) -> Self {
        Self::serve(app(paywall))
    }

    pub fn serve(app: Router) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            url,
            runtime: Some(runtime),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Graceful shutdown: requests in flight finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let (Some(rt), Some(task)) = (self.runtime.as_ref(), self.task.take()) {
            let _ =
                rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Session persistence in memory whose saves fail while `failing` is set;
/// counts saves.
#[derive(Clone, Default)]
pub struct Flaky {
    pub failing: Arc<AtomicBool>,
    pub saves: Arc<AtomicU64>,
}

#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}

impl std::error::Error for Refused {}

impl SessionPersistence for Flaky {
    type Error = Refused;

    fn save(&mut self, _: &Digest, _: &[u8]) -> Result<(), Refused> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Refused);
        }
        self.saves.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn remove(&mut self, _: &Digest) -> Result<(), Refused> {
        Ok(())
    }

    fn load_all(&mut self) -> Result<Vec<Vec<u8>>, Refused> {
        Ok(Vec::new())
    }
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "payword-http-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A raw agent: statuses are answers, 10-second timeout.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// An HTTP response read by [`raw_get`].
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Raw {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// `GET path` over a bare TCP connection, with `headers` written byte for
/// byte (no client library refuses them), `Connection: close`; reads at
/// most 1 MiB of answer. A write cut short by the server still reads its
/// answer.
pub fn raw_get(base: &str, path: &str, headers: &[(&str, &[u8])]) -> std::io::Result<Raw> {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let written = stream.write_all(&request);
    let mut answer = Vec::new();
    let read = stream.take(1 << 20).read_to_end(&mut answer);
    if answer.is_empty() {
        written?;
        read?;
    }
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of head"))?;
    let head = std::str::from_utf8(&answer[..end]).map_err(std::io::Error::other)?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
        .collect();
    Ok(Raw {
        status,
        headers,
        body: answer[end + 4..].to_vec(),
    })
}
