//! `payword-broker demo`: the quickstart as separate processes on loopback.
//!
//! The driver plays the operator: it starts a broker service (embedded
//! database) and a vendor process, issues a certificate for the
//! customer's key through the service, and starts the customer process.
//! The customer commits to the vendor and pays payword by payword over
//! HTTP; the vendor verifies each payment with one hash and, when the
//! customer closes, redeems the highest payword with the broker. The driver
//! then stops the broker (SIGTERM, graceful), starts it again on the same
//! database file and checks that the vendor is still owed the same.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use payword::{
    Certificate, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields, CommittedChain,
    Encode, HashAlg, MessageSigner, Payment, PaymentBody, Pebbler, PublicKey, Session, Sha256,
    Traversal, VendorId,
};
use payword_broker::api::{Hex, IssueRequest};
use payword_broker::client::Client;
use serde::{Deserialize, Serialize};

use crate::{Error, new_key, read_key};

/// Value of one payword in the demo.
const UNIT_VALUE: u64 = 3;
/// The customer's credit limit.
const CREDIT: u64 = 1_000_000;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Waits (at most 20 s) for a child to write its address to `path`.
fn wait_ready(path: &Path, child: &mut Child) -> Result<SocketAddr, Error> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(s) = std::fs::read_to_string(path) {
            return Ok(s.trim().parse()?);
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("process exited before it was ready: {status}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("{} did not appear within 20 s", path.display()).into())
}

/// Sends SIGTERM (graceful shutdown) and waits at most 20 s.
fn terminate(child: &mut Child) -> Result<(), Error> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    if !status.success() {
        return Err("kill -TERM failed".into());
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Some(s) = child.try_wait()? {
            return if s.success() {
                Ok(())
            } else {
                Err(format!("exited with {s}").into())
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()?;
    Err("did not stop within 20 s of SIGTERM".into())
}

/// Kills the children left if the demo fails half-way.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

fn start_broker(exe: &Path, dir: &Path, round: u32) -> Result<(Child, SocketAddr), Error> {
    let ready = dir.join(format!("broker-{round}.addr"));
    let log = std::fs::File::create(dir.join(format!("broker-{round}.log")))?;
    let mut child = Command::new(exe)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--db")
        .arg(dir.join("broker.redb"))
        .arg("--key-file")
        .arg(dir.join("broker.key"))
        .arg("--operator-token-file")
        .arg(dir.join("operator.token"))
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let addr = wait_ready(&ready, &mut child)?;
    Ok((child, addr))
}

/// The driver: see the module docs.
pub(crate) fn run(dir: Option<PathBuf>, payments: u32) -> Result<(), Error> {
    let dir = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("payword-demo-{}-{}", std::process::id(), now())),
    };
    std::fs::create_dir_all(&dir)?;
    if std::fs::read_dir(&dir)?.next().is_some() {
        return Err(format!("{} is not empty", dir.display()).into());
    }
    let exe = std::env::current_exe()?;
    println!("[operator] working in {}", dir.display());
    new_key(&dir.join("broker.key"))?;
    let mut token = [0u8; 24];
    getrandom::fill(&mut token).map_err(|e| format!("no randomness: {e}"))?;
    let token = hex::encode(token);
    crate::write_secret(&dir.join("operator.token"), token.as_bytes())?;

    let mut children = Children(Vec::new());
    let (broker, addr) = start_broker(&exe, &dir, 1)?;
    println!(
        "[operator] started broker (pid {}) on http://{addr}, embedded database broker.redb",
        broker.id()
    );
    children.0.push(broker);
    let broker_url = format!("http://{addr}");

    let vendor_ready = dir.join("vendor.addr");
    let mut vendor = Command::new(&exe)
        .arg("demo-vendor")
        .args(["--broker", &broker_url, "--listen", "127.0.0.1:0"])
        .arg("--ready-file")
        .arg(&vendor_ready)
        .spawn()?;
    let vendor_addr = wait_ready(&vendor_ready, &mut vendor)?;
    children.0.push(vendor);

    // The operator enrols the customer: the customer made a key, the
    // operator has the broker certify it.
    let customer_key_file = dir.join("customer.key");
    let customer_key = new_key(&customer_key_file)?;
    let client = Client::new(&broker_url);
    let t = now();
    let (certificate, issued) = client.issue(
        &token,
        &IssueRequest {
            customer: Hex(vec![0xcc; 16]),
            customer_key: Hex(customer_key.public_key().as_bytes().to_vec()),
            credit_limit: CREDIT,
            valid_from: t.saturating_sub(60),
            expires: t + 30 * 86_400,
        },
    )?;
    let cert_file = dir.join("customer.cert");
    std::fs::write(&cert_file, certificate.to_bytes())?;
    println!(
        "[operator] broker issued certificate {} (serial {}, credit limit {CREDIT}) over HTTP",
        &hex::encode(&issued.digest.0)[..16],
        issued.serial
    );

    let status = Command::new(&exe)
        .arg("demo-customer")
        .args(["--vendor", &format!("http://{vendor_addr}")])
        .arg("--key-file")
        .arg(&customer_key_file)
        .arg("--certificate-file")
        .arg(&cert_file)
        .args(["--payments", &payments.to_string()])
        .status()?;
    if !status.success() {
        return Err(format!("customer failed: {status}").into());
    }
    // The vendor exits once it has redeemed.
    let vendor = children.0.get_mut(1).ok_or("no vendor")?;
    let start = Instant::now();
    let vendor_status = loop {
        if let Some(s) = vendor.try_wait()? {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err("vendor did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !vendor_status.success() {
        return Err(format!("vendor failed: {vendor_status}").into());
    }
    let vendor_id = read_vendor_id(&dir)?;
    let owed = client.owed(&vendor_id)?;
    let balance = client.balance(&certificate.digest())?;
    println!(
        "[operator] broker says: vendor owed {owed}; certificate credited {} in {} debt(s)",
        balance.credited, balance.debts
    );

    let broker = children.0.get_mut(0).ok_or("no broker")?;
    terminate(broker)?;
    println!("[operator] stopped the broker (SIGTERM, graceful shutdown)");
    let (again, addr) = start_broker(&exe, &dir, 2)?;
    children.0.push(again);
    let owed_after = Client::new(&format!("http://{addr}")).owed(&vendor_id)?;
    println!(
        "[operator] restarted the broker on the same database: vendor still owed {owed_after}"
    );
    if owed_after != owed || owed != u64::from(payments) * UNIT_VALUE {
        return Err(format!(
            "expected {} owed before and after the restart, got {owed} and {owed_after}",
            u64::from(payments) * UNIT_VALUE
        )
        .into());
    }
    let last = children.0.len() - 1;
    if let Some(b) = children.0.get_mut(last) {
        terminate(b)?;
    }
    println!("[operator] done: logs and database in {}", dir.display());
    Ok(())
}

fn read_vendor_id(dir: &Path) -> Result<VendorId, Error> {
    let text = std::fs::read_to_string(dir.join("vendor.id"))?;
    let mut id = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut id)?;
    Ok(VendorId::from_bytes(id))
}

/// Arguments of the vendor process.
#[derive(clap::Args, Debug)]
pub(crate) struct VendorArgs {
    /// The broker service.
    #[arg(long)]
    broker: String,
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Where to write the bound address (the vendor id goes beside it).
    #[arg(long)]
    ready_file: PathBuf,
}

/// The vendor's payment terms.
#[derive(Serialize, Deserialize)]
struct Terms {
    vendor: Hex,
    unit_value: u64,
}

/// What the customer sends to open a session.
#[derive(Serialize, Deserialize)]
struct Open {
    certificate: Hex,
    commitment: Hex,
}

struct VendorState {
    vendor: VendorId,
    broker_key: PublicKey,
    session: Mutex<Option<Session>>,
    payments: Mutex<u64>,
    done: tokio::sync::Notify,
}

type Shared = Arc<VendorState>;

fn refuse(status: StatusCode, e: impl std::fmt::Display) -> (StatusCode, String) {
    (status, e.to_string())
}

async fn terms(State(s): State<Shared>) -> axum::Json<Terms> {
    axum::Json(Terms {
        vendor: Hex(s.vendor.as_bytes().to_vec()),
        unit_value: UNIT_VALUE,
    })
}

async fn open(State(s): State<Shared>, body: Bytes) -> Result<String, (StatusCode, String)> {
    let open: Open =
        serde_json::from_slice(&body).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    let certificate =
        Certificate::decode(&open.certificate.0).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    let commitment =
        Commitment::decode(&open.commitment.0).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    let session = Session::open(s.vendor, &s.broker_key, certificate, commitment, now(), 60)
        .map_err(|e| refuse(StatusCode::PAYMENT_REQUIRED, e))?;
    println!("[vendor]   accepted commitment: certificate and customer signatures verified");
    if let Ok(mut slot) = s.session.lock() {
        *slot = Some(session);
    }
    Ok("open".into())
}

async fn pay(State(s): State<Shared>, body: Bytes) -> Result<String, (StatusCode, String)> {
    let payment = Payment::decode(&body).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    let mut slot = s
        .session
        .lock()
        .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "lock"))?;
    let session = slot
        .as_mut()
        .ok_or_else(|| refuse(StatusCode::PAYMENT_REQUIRED, "no session"))?;
    let value = session
        .pay(&payment, now())
        .map_err(|e| refuse(StatusCode::PAYMENT_REQUIRED, e))?;
    if let Ok(mut n) = s.payments.lock() {
        *n += 1;
    }
    Ok(value.to_string())
}

async fn close(State(s): State<Shared>) -> Result<String, (StatusCode, String)> {
    let claim = s
        .session
        .lock()
        .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "lock"))?
        .as_ref()
        .and_then(Session::claim)
        .ok_or_else(|| refuse(StatusCode::CONFLICT, "nothing to claim"))?;
    let n = s.payments.lock().map_or(0, |n| *n);
    println!("[vendor]   verified {n} payments, one hash each; customer closed the session");
    s.done.notify_one();
    Ok(hex::encode(claim.to_bytes()))
}

/// The vendor process.
pub(crate) fn vendor(args: VendorArgs) -> Result<(), Error> {
    let broker = Client::new(&args.broker);
    let info = broker.info()?;
    let key = <[u8; 32]>::try_from(info.key.0.as_slice()).map_err(|_| "broker key length")?;
    let mut id = [0u8; 32];
    getrandom::fill(&mut id).map_err(|e| format!("no randomness: {e}"))?;
    let vendor = VendorId::from_bytes(id);
    let dir = args.ready_file.parent().ok_or("no directory")?;
    std::fs::write(dir.join("vendor.id"), hex::encode(id))?;
    let state = Arc::new(VendorState {
        vendor,
        broker_key: PublicKey::ed25519(key),
        session: Mutex::new(None),
        payments: Mutex::new(0),
        done: tokio::sync::Notify::new(),
    });
    let app = Router::new()
        .route("/terms", get(terms))
        .route("/open", post(open))
        .route("/pay", post(pay))
        .route("/close", post(close))
        .with_state(Arc::clone(&state));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let addr = listener.local_addr()?;
        println!(
            "[vendor]   vendor {} listening on http://{addr}, price {UNIT_VALUE} per payword",
            &hex::encode(id)[..16]
        );
        std::fs::write(&args.ready_file, addr.to_string())?;
        let done = Arc::clone(&state);
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { done.done.notified().await })
            .await?;
        Ok::<(), Error>(())
    })?;
    // Redeem the highest payword with the broker (after the customer's
    // connection is done).
    let claim = state
        .session
        .lock()
        .map_err(|_| "lock")?
        .as_ref()
        .and_then(Session::claim)
        .ok_or("nothing to claim")?;
    let r = broker.redeem(&vendor, &claim)?;
    println!(
        "[vendor]   redeemed claim ({} bytes) with the broker: {} units, owed {} (one claim for all payments)",
        claim.to_bytes().len(),
        r.units,
        r.owed
    );
    let again = broker.redeem(&vendor, &claim)?;
    println!(
        "[vendor]   the same claim again: owed {} more (idempotent)",
        again.owed
    );
    Ok(())
}

/// Arguments of the customer process.
#[derive(clap::Args, Debug)]
pub(crate) struct CustomerArgs {
    /// The vendor.
    #[arg(long)]
    vendor: String,
    /// The customer's key file.
    #[arg(long)]
    key_file: PathBuf,
    /// The certificate the broker issued.
    #[arg(long)]
    certificate_file: PathBuf,
    /// Paywords to pay.
    #[arg(long)]
    payments: u32,
}

/// The customer process.
pub(crate) fn customer(args: CustomerArgs) -> Result<(), Error> {
    let key = read_key(&args.key_file)?;
    let certificate = Certificate::decode(&std::fs::read(&args.certificate_file)?)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = |p: &str| format!("{}{p}", args.vendor);
    let terms: Terms =
        serde_json::from_slice(&agent.get(&url("/terms")).call()?.body_mut().read_to_vec()?)?;
    let vendor = VendorId::from_bytes(
        <[u8; 32]>::try_from(terms.vendor.0.as_slice()).map_err(|_| "vendor id length")?,
    );
    let n = args.payments.max(1);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let mut chain_id = [0u8; 16];
    getrandom::fill(&mut chain_id).map_err(|e| format!("no randomness: {e}"))?;
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(chain_id), n.into())?;
    let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes(seed), params)?;
    let t = now();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: certificate.digest(),
            vendor,
            unit_value: terms.unit_value,
            valid_from: t.saturating_sub(60),
            expires: t + 3600,
            chain: CommittedChain::Single {
                params,
                anchor: wallet.anchor(),
            },
            renewal: None,
        },
        &key,
    )?;
    let open = Open {
        certificate: Hex(certificate.to_bytes()),
        commitment: Hex(commitment.to_bytes()),
    };
    let mut r = agent
        .post(&url("/open"))
        .send(&serde_json::to_vec(&open)?[..])?;
    if r.status() != 200 {
        return Err(format!(
            "vendor refused the commitment: {}",
            r.body_mut().read_to_string()?
        )
        .into());
    }
    println!(
        "[customer] committed to vendor {}: chain of {n}, one signature",
        &hex::encode(vendor.as_bytes())[..16]
    );
    let digest = commitment.digest();
    let mut value = 0u64;
    for _ in 0..n {
        let p = wallet.next_payword().ok_or("wallet exhausted")?;
        let payment = Payment::new(digest, PaymentBody::Single(p));
        let mut r = agent.post(&url("/pay")).send(&payment.to_bytes()[..])?;
        let text = r.body_mut().read_to_string()?;
        if r.status() != 200 {
            return Err(format!("vendor refused payment: {text}").into());
        }
        value += text.trim().parse::<u64>()?;
    }
    println!(
        "[customer] paid {n} paywords (value {value}) in {n} HTTP requests, {} words of chain kept",
        wallet.stored_words()
    );
    let mut r = agent.post(&url("/close")).send(&[][..])?;
    if r.status() != 200 {
        return Err(format!(
            "vendor refused to close: {}",
            r.body_mut().read_to_string()?
        )
        .into());
    }
    println!("[customer] closed the session");
    Ok(())
}
