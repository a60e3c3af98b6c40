//! `payword-broker`: runs a payword broker over HTTP.
//!
//! Run `payword-broker --help` for the commands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use ed25519_dalek::SigningKey;
use payword::{BrokerId, MessageSigner};
use payword_broker::server::{ServerConfig, serve};
use payword_broker::service::{Service, ServiceConfig, default_max_body};
use payword_broker::{PgStore, RedbStore};
use zeroize::Zeroizing;

mod demo;

/// Runs a payword broker: the party that issues certificates to customers
/// and pays vendors for the paywords they redeem.
///
/// The broker keeps its state in an embedded database file (the default)
/// or in PostgreSQL (`--postgres`), shared by any number of broker
/// processes. Every claim is one atomic transaction: a broker killed at any
/// moment loses nothing and pays nothing twice when it restarts.
#[derive(Parser, Debug)]
#[command(name = "payword-broker", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves the broker's HTTP API until SIGINT or SIGTERM.
    ///
    /// Routes (JSON answers; claims are sent as their canonical bytes):
    /// GET /v1/health, GET /v1/broker, POST /v1/certificates (operator
    /// token), POST /v1/vendors/{vendor}/claims, GET /v1/vendors/{vendor},
    /// POST /v1/reservations, GET /v1/certificates/{digest},
    /// GET /v1/debts/{key}, POST /v1/fraud-proofs.
    Serve(Box<ServeArgs>),
    /// Creates a broker key file (0600) and prints the broker's id and public
    /// key.
    Keygen {
        /// Where to write the key (refuses to overwrite).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Runs the quickstart as separate processes on loopback: an operator
    /// issues a certificate through a broker service (embedded database), a
    /// customer pays a vendor payword by payword over HTTP, the vendor
    /// redeems with the broker. Each process prints what it did.
    Demo {
        /// Working directory for the database, keys and logs (a fresh
        /// temporary one by default).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Paywords the customer pays, one HTTP request each.
        #[arg(long, default_value_t = 100)]
        payments: u32,
    },
    /// The vendor process of `demo` (run by it).
    #[command(hide = true)]
    DemoVendor(demo::VendorArgs),
    /// The customer process of `demo` (run by it).
    #[command(hide = true)]
    DemoCustomer(demo::CustomerArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; see --ready-file).
    #[arg(long, default_value = "127.0.0.1:8402")]
    listen: SocketAddr,
    /// The broker's key file (see `keygen`).
    #[arg(long)]
    key_file: PathBuf,
    /// File holding the operator's bearer token for issuing certificates, at
    /// least 16 bytes (or set PAYWORD_OPERATOR_TOKEN to the token itself).
    #[arg(long, env = "PAYWORD_OPERATOR_TOKEN_FILE")]
    operator_token_file: Option<PathBuf>,
    /// The broker id (64 hex digits) [default: the broker's public key].
    #[arg(long)]
    broker_id: Option<String>,
    /// Embedded database file (created if absent). The default store.
    #[arg(
        long,
        default_value = "payword-broker.redb",
        conflicts_with = "postgres"
    )]
    db: PathBuf,
    /// PostgreSQL connection string (`host=… user=… dbname=…` or a
    /// `postgres://` URL) instead of the embedded database.
    #[arg(long, env = "PAYWORD_BROKER_POSTGRES")]
    postgres: Option<String>,
    /// Brokers working at once (one store connection each).
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Seconds after a commitment expires during which it is still redeemed.
    #[arg(long, default_value_t = 86_400)]
    grace: u64,
    /// The most chain steps (hashes) one claim may cost [default: the core's
    /// DEFAULT_CLAIM_STEP_LIMIT].
    #[arg(long)]
    claim_step_limit: Option<u32>,
    /// Largest request body in bytes [default: the largest claim, rounded up
    /// to 4 KiB].
    #[arg(long)]
    max_body: Option<usize>,
    /// Seconds a client has to send its request headers.
    #[arg(long, default_value_t = 5)]
    header_timeout: u64,
    /// Seconds a whole request may take.
    #[arg(long, default_value_t = 10)]
    request_timeout: u64,
    /// Connections open at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds requests in flight get to finish at shutdown.
    #[arg(long, default_value_t = 10)]
    drain_timeout: u64,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// Once listening, write the bound address to this file.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Seconds added to the system clock (tests and replays only).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, hide = true)]
    clock_offset: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => run_serve(*args),
        Command::Keygen { key_file } => keygen(&key_file),
        Command::Demo { dir, payments } => demo::run(dir, payments),
        Command::DemoVendor(a) => demo::vendor(a),
        Command::DemoCustomer(a) => demo::customer(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("payword-broker: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Writes `contents` to a new file readable by its owner only.
pub(crate) fn write_secret(path: &Path, contents: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

/// Reads a key file: 64 hex digits (a 32-byte Ed25519 seed).
pub(crate) fn read_key(path: &Path) -> Result<SigningKey, Error> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), &mut seed[..])
        .map_err(|_| format!("{}: expected 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A fresh key written to `path`.
pub(crate) fn new_key(path: &Path) -> Result<SigningKey, Error> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|e| format!("no randomness: {e}"))?;
    let text = Zeroizing::new(hex::encode(&seed[..]));
    write_secret(path, text.as_bytes())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The broker id of a key: its public key bytes.
pub(crate) fn broker_id(key: &SigningKey) -> BrokerId {
    BrokerId::from_bytes(key.verifying_key().to_bytes())
}

fn keygen(path: &Path) -> Result<(), Error> {
    let key = new_key(path)?;
    println!("key file:   {}", path.display());
    println!("broker id:  {}", hex::encode(broker_id(&key).as_bytes()));
    println!("public key: {}", hex::encode(key.public_key().as_bytes()));
    Ok(())
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn run_serve(args: ServeArgs) -> Result<(), Error> {
    init_logs(args.log_format);
    let key = read_key(&args.key_file)?;
    let token = match (
        std::env::var("PAYWORD_OPERATOR_TOKEN"),
        &args.operator_token_file,
    ) {
        (Ok(t), _) => Zeroizing::new(t.into_bytes()),
        (Err(_), Some(path)) => {
            Zeroizing::new(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        (Err(_), None) => {
            return Err("give --operator-token-file or set PAYWORD_OPERATOR_TOKEN".into());
        }
    };
    let token = Zeroizing::new(token.trim_ascii().to_vec());
    if token.len() < 16 {
        return Err("the operator token must be at least 16 bytes".into());
    }
    let workers = args.workers.clamp(1, 256);
    let id = match &args.broker_id {
        Some(h) => {
            let mut id = [0u8; 32];
            hex::decode_to_slice(h, &mut id).map_err(|_| "--broker-id: expected 64 hex digits")?;
            BrokerId::from_bytes(id)
        }
        None => broker_id(&key),
    };
    let mut config = ServiceConfig::new(id, key, token.to_vec());
    config.grace = args.grace;
    config.clock_offset = args.clock_offset;
    config.request_timeout = Duration::from_secs(args.request_timeout);
    if let Some(limit) = args.claim_step_limit {
        config.claim_step_limit = limit;
    }
    config.max_body = args.max_body.unwrap_or_else(default_max_body);
    let server = ServerConfig {
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: args.max_connections.max(1),
        drain_timeout: Duration::from_secs(args.drain_timeout),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(conn) = &args.postgres {
        let mut stores = Vec::with_capacity(workers);
        for _ in 0..workers {
            stores.push(PgStore::connect(conn)?);
        }
        tracing::info!(store = "postgres", workers, "store open");
        runtime.block_on(listen(&args, Service::new(config, stores).router(), server))
    } else {
        let store = RedbStore::open(&args.db)?;
        tracing::info!(store = "redb", db = %args.db.display(), workers, "store open");
        let stores = vec![store; workers];
        runtime.block_on(listen(&args, Service::new(config, stores).router(), server))
    }
}

async fn listen(args: &ServeArgs, router: axum::Router, server: ServerConfig) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    if let Some(path) = &args.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, addr.to_string())?;
        std::fs::rename(&tmp, path)?;
    }
    serve(listener, router, server, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
