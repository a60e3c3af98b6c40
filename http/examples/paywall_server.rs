//! A paywalled HTTP server: `GET /article` costs 2 units of 5, `GET /`
//! is free. Sessions are saved in files before each payment is
//! acknowledged, so a vendor killed at any moment resumes them all; when
//! stopped (SIGTERM or Ctrl-C) it redeems every session's claim with the
//! broker service and says what it is owed.
//!
//! Run by `paying_client` (which runs everything end to end):
//! `cargo run -p payword-http --example paying_client`. Alone:
//!
//! ```sh
//! cargo run -p payword-http --example paywall_server -- \
//!     --dir /tmp/vendor --broker http://127.0.0.1:8402 [--ready-file FILE]
//! ```
//!
//! The vendor's key is `<dir>/vendor.key` (created at the first start), its
//! id the key's public half; the sessions are in `<dir>/sessions/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::serve::ListenerExt as _;
use axum::{Router, routing::get};
use ed25519_dalek::SigningKey;
use payword::offer::AcceptedBroker;
use payword::sessions::FileSessions;
use payword::{BrokerId, PaymentBody, PublicKey, RedemptionClaim, VendorId};
use payword_broker::client::Client as Broker;
use payword_http::{Paywall, PaywallLayer, PriceTable, Terms};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let (dir, broker_url, ready) = args()?;
    let key = vendor_key(&dir.join("vendor.key"))?;
    let vendor = VendorId::from_bytes(key.verifying_key().to_bytes());
    let broker = Broker::new(&broker_url);
    let info = broker.info()?;
    let broker_key = PublicKey::ed25519(info.key.0.as_slice().try_into()?);
    let broker_id = BrokerId::from_bytes(info.id.0.as_slice().try_into()?);

    // --- The paywall: terms, sessions in files (resumed), a price table. ---
    let terms = Terms {
        unit_value: 5,
        ..Terms::new(
            vendor,
            AcceptedBroker {
                id: broker_id,
                key: broker_key,
            },
        )
    };
    let sessions = FileSessions::new(dir.join("sessions"))?;
    let (paywall, failed) = Paywall::with_persistence(key, terms, sessions)?;
    let paywall = Arc::new(paywall);
    let served = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&served);
    let app = Router::new()
        .route("/", get(|| async { "free: GET /article costs 2 units\n" }))
        .route(
            "/article",
            get(move || async move {
                let n = count.fetch_add(1, Ordering::Relaxed) + 1;
                format!("article #{n}: paid for\n")
            }),
        )
        .layer(PaywallLayer::new(
            Arc::clone(&paywall),
            PriceTable::new().route("/article", 2),
        ));
    // --- end of the paywall ---

    let resumed = paywall.sessions().len();
    let before: u64 = paywall.sessions().claims().iter().map(units).sum();
    println!(
        "[vendor]   {vendor}: resumed {resumed} sessions ({before} units paid before){}",
        if failed.is_empty() {
            String::new()
        } else {
            format!(", {} records did not resume", failed.len())
        }
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        println!("[vendor]   serving on http://{addr}");
        if let Some(ready) = &ready {
            std::fs::write(ready, addr.to_string())?;
        }
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(stopped())
            .await?;
        Ok::<_, Error>(())
    })?;
    println!(
        "[vendor]   stopping: served {} paid articles in this run",
        served.load(Ordering::Relaxed)
    );

    // Claims to the broker: the highest payword of each session.
    for claim in paywall.sessions().claims() {
        let digest = claim.commitment.digest();
        let redeemed = broker.redeem(&vendor, &claim)?;
        println!(
            "[vendor]   claimed {} units of commitment {}…: owed {} more",
            units(&claim),
            &digest.to_string()[..12],
            redeemed.owed
        );
    }
    println!(
        "[vendor]   the broker owes {} in all",
        broker.owed(&vendor)?
    );
    Ok(())
}

/// The units a claim pays (the index of its payword).
fn units(claim: &RedemptionClaim) -> u64 {
    match claim.payment.body() {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(_) => 0,
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// `--dir`, `--broker`, `--ready-file`.
fn args() -> Result<(PathBuf, String, Option<PathBuf>), Error> {
    let (mut dir, mut broker, mut ready) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--dir" => dir = Some(PathBuf::from(value)),
            "--broker" => broker = Some(value),
            "--ready-file" => ready = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    Ok((
        dir.ok_or("--dir is required")?,
        broker.ok_or("--broker is required")?,
        ready,
    ))
}

/// The vendor's key: read, or created (32 random bytes, owner-only).
fn vendor_key(path: &Path) -> Result<SigningKey, Error> {
    if let Ok(bytes) = std::fs::read(path) {
        return Ok(SigningKey::from_bytes(&bytes.as_slice().try_into()?));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, seed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(SigningKey::from_bytes(&seed))
}
