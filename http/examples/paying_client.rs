//! Pay-per-request end to end, on loopback, in one command:
//!
//! ```sh
//! cargo run -p payword-http --example paying_client
//! ```
//!
//! 1. A broker service (`payword-broker`'s HTTP service on its embedded
//!    database, run in this process) issues the customer a certificate
//!    over HTTP (the operator's call).
//! 2. The vendor, `paywall_server`, runs as a child process (`cargo run
//!    --example paywall_server`): `GET /article` costs 2 units of 5.
//! 3. The customer pays 1,000 requests with a [`PayingClient`]: the first
//!    402 brings the offer, the client commits once and pays every request
//!    with the payword 2 steps further; its wallet is saved ahead in a file.
//! 4. Halfway, the vendor is killed (SIGKILL) and started again on the same
//!    session files: the customer goes on paying the same session.
//! 5. The vendor is stopped (SIGTERM) and redeems its claims with the
//!    broker, which then owes it 1,000 × 2 × 5 = 10,000.
//!
//! Each side prints what it did. Pass `--dir DIR` to keep the files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use payword::{BrokerId, MessageSigner};
use payword_broker::RedbStore;
use payword_broker::api::{Hex, IssueRequest};
use payword_broker::client::Client as Broker;
use payword_broker::server::{ServerConfig, serve};
use payword_broker::service::{Service, ServiceConfig};
use payword_http::{FileWallet, PayingClient};

type Error = Box<dyn std::error::Error + Send + Sync>;

const REQUESTS: u32 = 1_000;
const OWED: u64 = REQUESTS as u64 * 2 * 5;

fn main() -> Result<(), Error> {
    let (dir, keep) = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [flag, d] if flag == "--dir" => (PathBuf::from(d), true),
        [] => (
            std::env::temp_dir().join(format!("payword-http-demo-{}", std::process::id())),
            false,
        ),
        _ => return Err("usage: paying_client [--dir DIR]".into()),
    };
    std::fs::create_dir_all(&dir)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();

    // 1. The broker service, and the customer's certificate from it.
    let broker_key = random_key()?;
    let broker_id = BrokerId::from_bytes(broker_key.verifying_key().to_bytes());
    let token = hex(&random_key()?.to_bytes());
    let stores = vec![RedbStore::open(dir.join("broker.redb"))?];
    let service = Service::new(
        ServiceConfig::new(broker_id, broker_key, token.clone().into_bytes()),
        stores,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let broker_url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let broker_task = runtime.spawn(serve(
        listener,
        service.router(),
        ServerConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    println!("[broker]   payword-broker service (embedded database) on {broker_url}");
    let broker = Broker::new(&broker_url);
    let customer = random_key()?;
    let (certificate, issued) = broker.issue(
        &token,
        &IssueRequest {
            customer: Hex(random_key()?.to_bytes()[..16].to_vec()),
            customer_key: Hex(customer.public_key().as_bytes().to_vec()),
            credit_limit: 1_000_000,
            valid_from: now - 60,
            expires: now + 86_400,
        },
    )?;
    println!(
        "[broker]   issued the customer certificate {}… (serial {}, credit 1000000)",
        &hex(&issued.digest.0)[..12],
        issued.serial
    );

    // 2. The vendor, a child process.
    let vendor_dir = dir.join("vendor");
    let mut vendor = Vendor::start(&vendor_dir, &broker_url)?;

    // 3. The customer: a save-ahead wallet in a file, at most 10 per request.
    let wallet = FileWallet::new(dir.join("wallet.state"));
    let mut client = PayingClient::new(certificate, customer, wallet, 10);
    let started = Instant::now();
    for i in 1..=REQUESTS {
        if i == REQUESTS / 2 + 1 {
            // 4. The vendor crashes and comes back on its session files.
            vendor.kill();
            println!(
                "[driver]   vendor killed (SIGKILL) after {} requests",
                i - 1
            );
            vendor = Vendor::start(&vendor_dir, &broker_url)?;
        }
        let mut response = client.get(&format!("{}/article", vendor.url))?;
        let body = response.body_mut().read_to_string()?;
        if i == 1 || i % 250 == 0 {
            let s = client.stats();
            println!(
                "[customer] request {i}: {:?} ({} units paid, {} commitment)",
                body.trim(),
                s.units,
                s.commitments
            );
        }
    }
    let elapsed = started.elapsed();
    let s = client.stats();
    let w = client.wallet().ok_or("no wallet")?;
    println!(
        "[customer] {} requests paid ({} units) in {:.2} s: {} HTTP exchanges, {} offer(s) answered, \
         {} resynchronisation(s), {} commitment(s); wallet at payword {} of {}, saved {} times (64 ahead)",
        s.paid,
        s.units,
        elapsed.as_secs_f64(),
        s.exchanges,
        s.challenges,
        s.resyncs,
        s.commitments,
        w.emitted(),
        w.params().length(),
        client.store().saves()
    );
    let vendor_id = w.commitment().fields().vendor;

    // 5. The vendor stops and claims; the broker says what it owes.
    vendor.terminate()?;
    let owed = broker.owed(&vendor_id)?;
    println!("[broker]   owes the vendor {owed} (expected {REQUESTS} × 2 units × 5 = {OWED})");
    let _ = stop.send(());
    runtime.block_on(broker_task)?;
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if owed != OWED || s.paid != u64::from(REQUESTS) {
        return Err(format!("expected {OWED} owed for {REQUESTS} paid requests").into());
    }
    println!("[driver]   done: every request paid once, every payment claimed once");
    Ok(())
}

/// The vendor process.
struct Vendor {
    child: Child,
    url: String,
}

impl Vendor {
    /// Starts `paywall_server` (through cargo, built with this profile) and
    /// waits until it listens.
    fn start(dir: &Path, broker: &str) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)?;
        let ready = dir.join("ready");
        let _ = std::fs::remove_file(&ready);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "run",
            "-q",
            "-p",
            "payword-http",
            "--example",
            "paywall_server",
        ]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        cmd.arg("--")
            .arg("--dir")
            .arg(dir)
            .args(["--broker", broker])
            .arg("--ready-file")
            .arg(&ready);
        let mut child = cmd.spawn()?;
        let start = Instant::now();
        // The first start may build the example.
        while start.elapsed() < Duration::from_secs(600) {
            if let Ok(addr) = std::fs::read_to_string(&ready)
                && !addr.is_empty()
            {
                return Ok(Self {
                    child,
                    url: format!("http://{}", addr.trim()),
                });
            }
            if let Some(status) = child.try_wait()? {
                return Err(format!("the vendor exited before it was ready: {status}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        Err("the vendor was not ready within 600 s".into())
    }

    /// SIGKILL.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and waits (at most 60 s) for a clean exit.
    fn terminate(&mut self) -> Result<(), Error> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the vendor exited with {status}").into())
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err("the vendor did not stop within 60 s".into())
    }
}

impl Drop for Vendor {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

fn random_key() -> Result<SigningKey, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    Ok(SigningKey::from_bytes(&seed))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
