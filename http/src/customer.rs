//! The customer's side: a blocking [`PayingClient`] (on `ureq`) that pays
//! each request with its exact price, and [`FileWallet`], two files that
//! keep its wallet's save-ahead states.
//!
//! On a 402 the client checks the offer (signature, validity, vendor, the
//! most it agreed to pay per request), makes a commitment from its
//! certificate and a fresh chain ([`Offer::commitment_fields`]) and a
//! [`Wallet`] around it, and sends the request again with the payment,
//! the certificate and the commitment. Later requests carry the payment
//! only. The wallet persists itself through a [`WalletStore`] *before* it
//! releases a payword past its saved horizon (save-ahead: one save per `N`
//! units), so a crashed client never repeats a payword.
//!
//! It learns each request's price from the vendor's answers (kept per
//! method and URL). A request to a URL whose price it does not know yet is
//! paid 1 unit, the least a priced request costs: if the price is higher,
//! the vendor's `wrong_price` answer (no hashing on its side) brings the
//! price, and the client pays the rest of the step at the next exchange;
//! if the URL is free, the payword is not taken and pays the next request.
//! A guess never overshoots, so it never costs the session. It
//! resynchronises with the vendor on the `PayWord-Last-Index` it answers:
//!
//! - a response lost after the vendor accepted the payment (a transport
//!   error) leaves the payment *unsure*: the next request sends it again;
//!   a 409 then says the vendor has it, and the client pays the next step;
//! - a `wrong_price` says where the vendor is, and the client pays from
//!   there (further along its chain if it can; with a fresh commitment if
//!   its chain is already past that point, e.g. after its own crash);
//! - `unknown_session` (a vendor that lost its sessions) sends the
//!   certificate and commitment again; `payment_refused` and
//!   `commitment_refused` (expired, exhausted) make a fresh commitment.
//!
//! Each call makes at most [`MAX_ATTEMPTS`] exchanges and
//! [`MAX_RENEWALS`] commitments, and whatever the vendor answers, releases
//! at most the request's price on each chain it uses
//! ([`ClientError::Overcharged`] otherwise); a `PayWord-Last-Index` past
//! every payword the wallet released (a wallet restored from an old state,
//! or a lying vendor) is never paid from: the client commits afresh. One
//! client pays one vendor at a time: use one per vendor (a different
//! vendor's offer replaces the wallet).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, Request, Response};
use payword::offer::{ChainKinds, Offer, OfferError};
use payword::{
    Blake3, Certificate, ChainError, ChainId, ChainParams, ChainSeed, Commitment, CommittedChain,
    MessageSigner, PayError, Payment, PaymentBody, Pebbler, Sha256, SignError, Traversal,
    TweakableHash, VendorId, Wallet, WalletError, WalletStore,
};
use zeroize::Zeroizing;

use crate::header::{
    self, Authorization, Challenge, ERROR, ErrorCode, HeaderError, LAST_INDEX, Number, Opening,
    PAID,
};

/// The most HTTP exchanges one [`PayingClient::send`] makes.
pub const MAX_ATTEMPTS: usize = 8;
/// The most commitments one [`PayingClient::send`] makes.
pub const MAX_RENEWALS: usize = 2;
/// The most request prices the client remembers (then it forgets them
/// all).
const MAX_PRICES: usize = 1024;
/// The largest refusal body read.
const MAX_REFUSAL_BODY: u64 = 4096;

/// Why a paid request failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E> {
    /// The vendor could not be reached, or the response was lost. A payment
    /// in flight is sent again by the next request (the vendor answers 409
    /// if it had it).
    Transport(ureq::Error),
    /// The vendor refused and the client could not recover (a malformed
    /// request, a vendor that cannot save, a refusal a fresh commitment did
    /// not cure).
    Refused {
        /// The HTTP status.
        status: u16,
        /// The vendor's `PayWord-Error`.
        code: ErrorCode,
        /// The vendor's message.
        message: String,
    },
    /// A header of the vendor's answer is malformed.
    Header {
        /// The header.
        name: &'static str,
        /// What was wrong.
        error: HeaderError,
    },
    /// The offer does not check (signature, validity, broker, chain).
    Offer(OfferError),
    /// The offer asks more per request than the client agreed to pay.
    TooExpensive {
        /// Value one request costs (`price × unit value`).
        value: u128,
        /// The most the client pays per request.
        max: u64,
    },
    /// The offer is from another vendor than the one the client is pinned
    /// to.
    WrongVendor,
    /// The offer accepts no single chain the client can make.
    NoChainKind,
    /// Making the commitment failed.
    Commit(String),
    /// The wallet (resumed state, chain) is unusable.
    Wallet(WalletError),
    /// Saving the wallet failed: nothing was paid.
    Store(E),
    /// The vendor's answers would have the client release more than the
    /// request's price on one chain for one request: refused, nothing more
    /// released. An honest vendor never asks it.
    Overcharged {
        /// Units the client would have released for this request.
        units: u64,
        /// The request's price.
        price: u32,
    },
    /// No answer after [`MAX_ATTEMPTS`] exchanges.
    TooManyAttempts,
}

impl<E: fmt::Display> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "vendor unreachable: {e}"),
            Self::Refused {
                status,
                code,
                message,
            } => write!(f, "vendor refused ({status} {code}): {message}"),
            Self::Header { name, error } => write!(f, "vendor's {name} header: {error}"),
            Self::Offer(e) => write!(f, "offer refused: {e}"),
            Self::TooExpensive { value, max } => {
                write!(f, "a request costs {value}, more than the {max} agreed")
            }
            Self::WrongVendor => f.write_str("offer from another vendor"),
            Self::NoChainKind => f.write_str("the offer accepts no single chain"),
            Self::Commit(e) => write!(f, "commitment: {e}"),
            Self::Wallet(e) => write!(f, "wallet: {e}"),
            Self::Store(e) => write!(f, "saving the wallet failed: {e}"),
            Self::Overcharged { units, price } => write!(
                f,
                "the vendor would have {units} units paid for a request priced {price}"
            ),
            Self::TooManyAttempts => {
                write!(f, "no answer in {MAX_ATTEMPTS} exchanges")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ClientError<E> {}

impl<E> ClientError<E> {
    /// The vendor's code, for a refusal.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_http::ClientError;
    /// use payword_http::header::ErrorCode;
    ///
    /// let e: ClientError<std::io::Error> = ClientError::Refused {
    ///     status: 503, code: ErrorCode::Unavailable, message: "retry".into(),
    /// };
    /// assert_eq!(e.code(), Some(ErrorCode::Unavailable));
    /// ```
    #[must_use]
    pub const fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// What a [`PayingClient`] did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP exchanges.
    pub exchanges: u64,
    /// Requests a payment paid (`PayWord-Paid` answered).
    pub paid: u64,
    /// Units paid.
    pub units: u64,
    /// Commitments made.
    pub commitments: u64,
    /// 402s answered with a payment (an offer learnt, a session reopened).
    pub challenges: u64,
    /// Resynchronisations: 409s and `wrong_price` answers followed.
    pub resyncs: u64,
}

/// What a price is remembered for: a request's method and URL.
type Route = (http::Method, http::Uri);

/// The clock: seconds since the Unix epoch.
type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A blocking HTTP client that pays for requests with paywords.
///
/// # Examples
///
/// ```no_run
/// use ed25519_dalek::SigningKey;
/// use payword::Certificate;
/// use payword_http::{FileWallet, PayingClient};
///
/// # fn run(certificate: Certificate, key: SigningKey) -> Result<(), Box<dyn std::error::Error>> {
/// // At most 50 value units per request; the wallet saved 64 paywords ahead.
/// let mut client = PayingClient::new(certificate, key, FileWallet::new("wallet.state"), 50);
/// let mut response = client.get("http://127.0.0.1:8080/article")?;
/// println!("{}", response.body_mut().read_to_string()?);
/// # Ok(())
/// # }
/// ```
pub struct PayingClient<S: WalletStore> {
    agent: ureq::Agent,
    certificate: Certificate,
    signer: Box<dyn MessageSigner + Send + Sync>,
    store: S,
    max_value: u64,
    vendor: Option<VendorId>,
    chain_length: u32,
    save_ahead: u32,
    lifetime: u64,
    skew: u64,
    clock: Clock,
    wallet: Option<Wallet>,
    offer: Option<Offer>,
    /// The last index the vendor is known to hold.
    acked: u32,
    /// The last payment released (the wallet's `emitted` index).
    last: Option<Payment>,
    /// Whether `last` may have reached the vendor unacknowledged.
    unsure: bool,
    /// Whether the vendor holds the session (else the next payment carries
    /// the certificate and commitment).
    opened: bool,
    prices: HashMap<Route, u32>,
    /// Units released on the current chain by the call in progress.
    spent: u64,
    stats: Stats,
}

impl<S: WalletStore> fmt::Debug for PayingClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayingClient")
            .field("wallet", &self.wallet)
            .field("acked", &self.acked)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// The index of a single-chain payment.
fn index(p: &Payment) -> Option<u32> {
    match p.body() {
        PaymentBody::Single(w) => Some(w.index()),
        PaymentBody::Purse(_) => None,
    }
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, String> {
    let mut b = Zeroizing::new([0u8; N]);
    getrandom::fill(&mut b[..]).map_err(|e| e.to_string())?;
    Ok(b)
}

impl<S> PayingClient<S>
where
    S: WalletStore,
{
    /// A client paying with `certificate` and the customer's key `signer`,
    /// persisting its wallet through `store`, paying at most `max_value`
    /// (price × unit value) per request. Defaults: chains of 100,000
    /// paywords (or the offer's maximum), saved 64 ahead, commitments of a
    /// day, 30 seconds of skew, 30 seconds per exchange.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(
        certificate: Certificate,
        signer: impl MessageSigner + Send + Sync + 'static,
        store: S,
        max_value: u64,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self {
            agent,
            certificate,
            signer: Box::new(signer),
            store,
            max_value,
            vendor: None,
            chain_length: 100_000,
            save_ahead: 64,
            lifetime: 86_400,
            skew: 30,
            clock: Arc::new(system_now),
            wallet: None,
            offer: None,
            acked: 0,
            last: None,
            unsure: false,
            opened: false,
            prices: HashMap::new(),
            spent: 0,
            stats: Stats::default(),
        }
    }

    /// Uses `agent` (for TLS, proxies, timeouts). It must be configured
    /// with `http_status_as_error(false)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner, VendorId};
    /// use payword_http::{PayingClient, Stats};
    ///
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1, customer: CustomerId::from_bytes([4; 16]),
    /// #     customer_key: customer.public_key(), credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// let agent = ureq::Agent::config_builder()
    ///     .http_status_as_error(false)
    ///     .timeout_global(Some(std::time::Duration::from_secs(5)))
    ///     .build();
    /// let store = |_: &[u8], _: u64| Ok::<(), std::io::Error>(());
    /// let client = PayingClient::new(certificate, customer, store, 10)
    ///     .with_agent(agent.into())
    ///     .with_vendor(VendorId::from_bytes([6; 32]))
    ///     .with_chain_length(10_000)
    ///     .with_save_ahead(128)
    ///     .with_commitment_lifetime(3_600)
    ///     .with_clock(|| 1_700_000_000);
    /// assert!(client.wallet().is_none());
    /// assert_eq!(client.stats(), Stats::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_agent(mut self, agent: ureq::Agent) -> Self {
        self.agent = agent;
        self
    }

    /// Accepts offers from `vendor` only.
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub const fn with_vendor(mut self, vendor: VendorId) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Chain length of new commitments (capped by the offer's maximum).
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub const fn with_chain_length(mut self, n: u32) -> Self {
        self.chain_length = n;
        self
    }

    /// Save-ahead distance of new wallets (at least 1).
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub const fn with_save_ahead(mut self, n: u32) -> Self {
        self.save_ahead = n;
        self
    }

    /// Lifetime of new commitments, in seconds (capped by the offer and the
    /// certificate).
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub const fn with_commitment_lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = seconds;
        self
    }

    /// Uses `clock` (seconds since the Unix epoch) instead of the system
    /// clock.
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Continues with the wallet a [`WalletStore`] saved (refused if older
    /// than `counter`, the caller's monotonic counter, or 0). The wallet
    /// resumes past every payword it may have released; the vendor may be
    /// behind it, which costs a fresh commitment at the next payment.
    ///
    /// # Errors
    ///
    /// [`ClientError::Wallet`] if the state does not resume or is for
    /// another certificate.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::Certificate;
    /// use payword_http::{FileWallet, PayingClient};
    ///
    /// # fn run(certificate: Certificate, key: SigningKey) -> Result<(), Box<dyn std::error::Error>> {
    /// let store = FileWallet::new("wallet.state");
    /// let saved = store.load()?;
    /// let mut client = PayingClient::new(certificate, key, store, 50);
    /// if let Some(state) = saved {
    ///     client = client.resume_wallet(&state, 0)?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// `tests/e2e.rs` (`crashed_client_resumes_past_its_horizon`) runs it.
    pub fn resume_wallet(
        mut self,
        state: &[u8],
        counter: u64,
    ) -> Result<Self, ClientError<S::Error>> {
        let wallet = Wallet::resume(state, counter).map_err(ClientError::Wallet)?;
        if wallet.certificate() != &self.certificate {
            return Err(ClientError::Wallet(WalletError::CertificateMismatch));
        }
        self.acked = wallet.emitted();
        self.wallet = Some(wallet);
        self.last = None;
        self.unsure = false;
        self.opened = false;
        Ok(self)
    }

    /// The wallet, once a commitment is made.
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent).
    #[must_use]
    pub const fn wallet(&self) -> Option<&Wallet> {
        self.wallet.as_ref()
    }

    /// What the client did so far.
    ///
    /// # Examples
    ///
    /// See [`with_agent`](Self::with_agent), and the crate's example.
    #[must_use]
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// The store.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
    /// use payword_http::{FileWallet, PayingClient};
    ///
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1, customer: CustomerId::from_bytes([4; 16]),
    /// #     customer_key: customer.public_key(), credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// let client = PayingClient::new(certificate, customer, FileWallet::new("wallet.state"), 10);
    /// assert_eq!(client.store().saves(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// `GET url`, paid if priced.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self) and the crate's example.
    pub fn get(&mut self, url: &str) -> Result<Response<ureq::Body>, ClientError<S::Error>> {
        let request = Request::get(url)
            .body(Vec::new())
            .map_err(|e| ClientError::Commit(format!("bad request: {e}")))?;
        self.send(&request)
    }

    /// Sends `request`, paying its price: the answer of the vendor's
    /// application (any status), once the paywall admitted it.
    ///
    /// # Errors
    ///
    /// [`ClientError`]: transport, an unrecoverable refusal, an offer the
    /// client does not accept, a failed save (nothing released).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use payword_http::PayingClient;
    /// # fn run(client: &mut PayingClient<payword_http::FileWallet>) -> Result<(), Box<dyn std::error::Error>> {
    /// let request = http::Request::post("http://127.0.0.1:8080/translate")
    ///     .header("content-type", "text/plain")
    ///     .body(b"bonjour".to_vec())?;
    /// let mut response = client.send(&request)?;
    /// println!("{}", response.body_mut().read_to_string()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn send<B: AsRef<[u8]>>(
        &mut self,
        request: &Request<B>,
    ) -> Result<Response<ureq::Body>, ClientError<S::Error>> {
        let key: Route = (request.method().clone(), request.uri().clone());
        let mut renewals = 0;
        self.spent = 0;
        for _ in 0..MAX_ATTEMPTS {
            // An unknown price is guessed at 1 unit: never above it.
            let price = self.prices.get(&key).copied().unwrap_or(1);
            let mut sent = None;
            let mut req = Request::builder()
                .method(request.method().clone())
                .uri(request.uri().clone())
                .version(request.version());
            for (name, value) in request.headers() {
                if name != AUTHORIZATION {
                    req = req.header(name, value);
                }
            }
            if price > 0 && self.wallet.is_some() {
                let Some(payment) = self.payment(price)? else {
                    self.renew(&mut renewals, None)?;
                    continue;
                };
                let opening = (!self.opened).then(|| self.opening()).flatten();
                let auth = Authorization { opening, payment };
                req = req.header(AUTHORIZATION, auth.to_header_value());
                sent = Some(payment);
            }
            let req = req
                .body(request.body().as_ref())
                .map_err(|e| ClientError::Commit(format!("bad request: {e}")))?;
            self.stats.exchanges += 1;
            let mut response = match self.agent.run(req) {
                Ok(r) => r,
                Err(e) => {
                    if sent.is_some() {
                        self.unsure = true;
                    }
                    return Err(ClientError::Transport(e));
                }
            };
            let code = header_of(response.headers(), &ERROR, "PayWord-Error")?
                .map(ErrorCode::parse)
                .transpose()
                .map_err(|error| ClientError::Header {
                    name: "PayWord-Error",
                    error,
                })?;
            let Some(code) = code else {
                self.admitted(&key, sent, response.headers())?;
                return Ok(response);
            };
            let message = response
                .body_mut()
                .with_config()
                .limit(MAX_REFUSAL_BODY)
                .read_to_string()
                .unwrap_or_default()
                .trim_end()
                .to_owned();
            let refused = |status: u16| ClientError::Refused {
                status,
                code,
                message: message.clone(),
            };
            let status = response.status().as_u16();
            let headers = response.headers();
            if sent.is_some() {
                // The vendor answered: the payment's fate is known.
                self.unsure = false;
            }
            match code {
                ErrorCode::PaymentRequired | ErrorCode::UnknownSession => {
                    self.stats.challenges += 1;
                    let offer = self.learn(headers, &key)?;
                    if code == ErrorCode::UnknownSession {
                        // A vendor that lost the session opens it again,
                        // at index 0.
                        self.opened = false;
                        self.acked = 0;
                    }
                    if !self.fits(&offer) {
                        self.renew(&mut renewals, Some(refused(status)))?;
                    }
                }
                ErrorCode::WrongPrice | ErrorCode::Replay => {
                    self.stats.resyncs += 1;
                    if code == ErrorCode::WrongPrice {
                        self.learn(headers, &key)?;
                    }
                    let last = header_of(headers, &LAST_INDEX, "PayWord-Last-Index")?
                        .map(Number::parse)
                        .transpose()
                        .map_err(|error| ClientError::Header {
                            name: "PayWord-Last-Index",
                            error,
                        })?
                        .ok_or_else(|| refused(status))?;
                    let released = self.wallet.as_ref().map_or(0, Wallet::emitted);
                    if last > released {
                        // Past every payword this wallet released: a wallet
                        // restored from an old state (or a vendor that
                        // lies). Never pay from there: a fresh chain.
                        self.renew(&mut renewals, Some(refused(status)))?;
                    } else {
                        self.acked = last;
                        self.opened = true;
                    }
                }
                ErrorCode::CommitmentRefused | ErrorCode::PaymentRefused => {
                    self.learn(headers, &key)?;
                    self.renew(&mut renewals, Some(refused(status)))?;
                }
                _ => return Err(refused(status)),
            }
        }
        Err(ClientError::TooManyAttempts)
    }

    /// Records what an admitted request tells: paid (`PayWord-Paid`) or
    /// free.
    fn admitted(
        &mut self,
        key: &Route,
        sent: Option<Payment>,
        headers: &HeaderMap,
    ) -> Result<(), ClientError<S::Error>> {
        let paid = header_of(headers, &PAID, "PayWord-Paid")?
            .map(Number::parse)
            .transpose()
            .map_err(|error| ClientError::Header {
                name: "PayWord-Paid",
                error,
            })?;
        match (sent, paid) {
            (Some(p), Some(units)) => {
                self.acked = index(&p).unwrap_or(self.acked);
                self.unsure = false;
                self.opened = true;
                self.stats.paid += 1;
                self.stats.units += u64::from(units);
                self.remember(key, units);
            }
            // Not priced (any more): the payment was not taken, and stays
            // the next one to send.
            (Some(_), None) => {
                self.unsure = false;
                self.remember(key, 0);
            }
            // Sent without a payment (no wallet yet) and admitted: free.
            (None, _) => self.remember(key, 0),
        }
        Ok(())
    }

    fn remember(&mut self, key: &Route, price: u32) {
        if self.prices.get(key) == Some(&price) {
            return;
        }
        if self.prices.len() >= MAX_PRICES {
            self.prices.clear();
        }
        self.prices.insert(key.clone(), price);
    }

    /// The offer of a 402: checked, remembered with its price.
    fn learn(&mut self, headers: &HeaderMap, key: &Route) -> Result<Offer, ClientError<S::Error>> {
        let mut challenge = None;
        for v in headers.get_all(WWW_AUTHENTICATE) {
            let b = v.as_bytes();
            if b.starts_with(header::SCHEME.as_bytes())
                && b.get(header::SCHEME.len()) == Some(&b' ')
            {
                if challenge.is_some() {
                    return Err(ClientError::Header {
                        name: "WWW-Authenticate",
                        error: HeaderError::Repeated,
                    });
                }
                challenge = Some(Challenge::parse(b).map_err(|error| ClientError::Header {
                    name: "WWW-Authenticate",
                    error,
                })?);
            }
        }
        let offer = challenge
            .ok_or(ClientError::Header {
                name: "WWW-Authenticate",
                error: HeaderError::Syntax {
                    expected: "PayWord offer=\"",
                    position: 0,
                },
            })?
            .offer;
        offer
            .check((self.clock)(), self.skew)
            .map_err(ClientError::Offer)?;
        let f = offer.fields();
        if self.vendor.is_some_and(|v| v != f.vendor) {
            return Err(ClientError::WrongVendor);
        }
        let value = u128::from(f.price) * u128::from(f.unit_value);
        if value > u128::from(self.max_value) {
            return Err(ClientError::TooExpensive {
                value,
                max: self.max_value,
            });
        }
        self.remember(key, f.price);
        self.offer = Some(offer);
        Ok(offer)
    }

    /// Whether the wallet pays the vendor of `offer` on its terms, now.
    fn fits(&self, offer: &Offer) -> bool {
        let f = offer.fields();
        self.wallet.as_ref().is_some_and(|w| {
            let c = w.commitment().fields();
            c.vendor == f.vendor
                && c.unit_value == f.unit_value
                && c.expires > (self.clock)().saturating_add(self.skew)
                && w.remaining() > 0
        })
    }

    /// The payment of `price` units at the vendor's position, or `None`
    /// if the chain is past it (or exhausted): a fresh commitment is
    /// needed. Refuses to release more than `price` units on the chain in
    /// one call.
    fn payment(&mut self, price: u32) -> Result<Option<Payment>, ClientError<S::Error>> {
        let Some(wallet) = self.wallet.as_mut() else {
            return Ok(None);
        };
        let emitted = wallet.emitted();
        let last = self.last.filter(|l| index(l) == Some(emitted));
        if self.unsure
            && let Some(last) = last
        {
            return Ok(Some(last));
        }
        let Some(target) = self.acked.checked_add(price) else {
            return Ok(None);
        };
        if target == emitted {
            return Ok(last);
        }
        if target < emitted {
            return Ok(None);
        }
        let units = target - emitted;
        let spent = self.spent.saturating_add(units.into());
        if spent > u64::from(price) {
            return Err(ClientError::Overcharged {
                units: spent,
                price,
            });
        }
        match wallet.pay(units, &mut self.store) {
            Ok(p) => {
                self.spent = spent;
                self.last = Some(p);
                Ok(Some(p))
            }
            Err(PayError::Store(e)) => Err(ClientError::Store(e)),
            Err(PayError::Insufficient { .. }) => Ok(None),
            Err(e) => Err(ClientError::Commit(match e {
                PayError::ZeroUnits => "a payment of 0 units".into(),
                _ => "the wallet's traversal is inconsistent".into(),
            })),
        }
    }

    fn opening(&self) -> Option<Opening> {
        self.wallet.as_ref().map(|w| Opening {
            certificate: *w.certificate(),
            commitment: *w.commitment(),
        })
    }

    /// A fresh commitment to the last offer, at most [`MAX_RENEWALS`] per
    /// call (else `error`).
    fn renew(
        &mut self,
        renewals: &mut usize,
        error: Option<ClientError<S::Error>>,
    ) -> Result<(), ClientError<S::Error>> {
        if *renewals >= MAX_RENEWALS {
            return Err(error.unwrap_or(ClientError::TooManyAttempts));
        }
        *renewals += 1;
        let Some(offer) = self.offer else {
            // No offer yet: drop the wallet; the next request learns one.
            self.wallet = None;
            return Ok(());
        };
        let kinds = offer.fields().kinds.bits();
        let wallet = if kinds & ChainKinds::SINGLE_SHA256.bits() != 0 {
            self.commit::<Sha256>(&offer)?
        } else if kinds & ChainKinds::SINGLE_BLAKE3.bits() != 0 {
            self.commit::<Blake3>(&offer)?
        } else {
            return Err(ClientError::NoChainKind);
        };
        self.wallet = Some(wallet);
        self.acked = 0;
        self.last = None;
        self.unsure = false;
        self.opened = false;
        self.spent = 0;
        self.stats.commitments += 1;
        Ok(())
    }

    fn commit<H: TweakableHash>(&self, offer: &Offer) -> Result<Wallet, ClientError<S::Error>> {
        let now = (self.clock)();
        let f = offer.fields();
        let seed = random::<32>().map_err(ClientError::Commit)?;
        let id = random::<16>().map_err(ClientError::Commit)?;
        let n = self.chain_length.min(f.max_chain).max(1);
        let chain_error = |e: ChainError| ClientError::Commit(e.to_string());
        let params =
            ChainParams::new(H::ALG, ChainId::from_bytes(*id), n.into()).map_err(chain_error)?;
        let pebbler =
            Pebbler::<H>::new(&ChainSeed::from_bytes(*seed), params).map_err(chain_error)?;
        let chain = CommittedChain::Single {
            params,
            anchor: pebbler.anchor(),
        };
        let fields = offer
            .commitment_fields(&self.certificate, chain, now, self.lifetime)
            .map_err(ClientError::Offer)?;
        let commitment = Commitment::sign(fields, &*self.signer)
            .map_err(|e: SignError| ClientError::Commit(e.to_string()))?;
        Wallet::from_pebbler(self.certificate, commitment, pebbler, self.save_ahead)
            .map_err(ClientError::Wallet)
    }
}

/// The one value of `name`, if any.
fn header_of<'a, E>(
    headers: &'a HeaderMap,
    name: &http::HeaderName,
    label: &'static str,
) -> Result<Option<&'a [u8]>, ClientError<E>> {
    header::single(headers, name)
        .map(|v| v.map(http::HeaderValue::as_bytes))
        .map_err(|error| ClientError::Header { name: label, error })
}

/// A [`WalletStore`] in two files written in turn, in place: save `k` of
/// the store goes to `<path>.<k mod 2>` (the store's count `k`, a length,
/// the state, and a SHA-256 over them), so a save never touches the last
/// state saved, and a crash during a save leaves that one whole. [`load`](Self::load) returns
/// the most recent state that resumes (its checksum verifies). No file is
/// created, renamed or removed after the first two saves: on file systems
/// where replacing a file is slow, a save costs a write. With
/// [`durable`](Self::durable), each save is synced (`fdatasync`) before it
/// returns. The files are readable by their owner only (on Unix): the state
/// is a secret.
///
/// # Examples
///
/// ```
/// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
/// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
/// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
/// # use ed25519_dalek::SigningKey;
/// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// # let certificate = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1_000, valid_from: 0, expires: 100,
/// # }, &broker)?;
/// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
/// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
/// # let commitment = Commitment::sign(CommitmentFields {
/// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
/// #     unit_value: 1, valid_from: 0, expires: 100,
/// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
/// # }, &customer)?;
/// use payword_http::FileWallet;
///
/// let path = std::env::temp_dir().join(format!("wallet-doc-{}", std::process::id()));
/// let mut store = FileWallet::new(&path);
/// assert!(store.load()?.is_none());
/// let mut wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 10)?;
/// for _ in 0..25 {
///     wallet.pay(1, &mut store)?; // saves at 1, 11 and 21 (10 ahead)
/// }
/// assert_eq!(store.saves(), 3);
/// let resumed = Wallet::resume(&store.load()?.unwrap(), 0)?;
/// assert_eq!((resumed.sequence(), resumed.emitted()), (3, 30));
/// # store.remove()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileWallet {
    path: PathBuf,
    sync: bool,
    saves: u64,
    /// The store's count of the next save, once known.
    next: Option<u64>,
}

/// Bytes before the state in a file: the store's count and the length.
const SLOT_HEAD: usize = 8 + 4;
/// Domain of the checksum closing a file.
const SLOT_DOMAIN: &[u8] = b"payword wallet file v1\0";

/// The checksum closing a file: SHA-256 of the domain and every byte
/// before it (the count, the length and the state: a count is never
/// read with another save's state).
fn slot_checksum(head_and_state: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(SLOT_DOMAIN);
    h.update(head_and_state);
    h.finalize().into()
}

impl FileWallet {
    /// The wallet files `<path>.0` and `<path>.1`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            sync: false,
            saves: 0,
            next: None,
        }
    }

    /// Syncs each save to disk before it returns (survives a power loss).
    ///
    /// # Examples
    ///
    /// ```
    /// let store = payword_http::FileWallet::new("wallet.state").durable();
    /// # let _ = store;
    /// ```
    #[must_use]
    pub const fn durable(mut self) -> Self {
        self.sync = true;
        self
    }

    /// Saves made by this value.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn saves(&self) -> u64 {
        self.saves
    }

    fn slot(&self, k: u64) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(if k.is_multiple_of(2) { ".0" } else { ".1" });
        PathBuf::from(p)
    }

    /// The most recent state that resumes, with its count.
    fn latest(&self) -> std::io::Result<Option<(u64, Zeroizing<Vec<u8>>)>> {
        use std::io::Read;
        let mut best: Option<(u64, Zeroizing<Vec<u8>>)> = None;
        for k in 0..2 {
            let file = match std::fs::File::open(self.slot(k)) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut bytes = Zeroizing::new(Vec::new());
            let limit = u64::try_from(Wallet::MAX_ENCODED_LEN + SLOT_HEAD + 32).unwrap_or(u64::MAX);
            file.take(limit).read_to_end(&mut bytes)?;
            let Some((count, state)) = bytes.get(..SLOT_HEAD).and_then(|h| {
                let count = u64::from_be_bytes(<[u8; 8]>::try_from(h.get(..8)?).ok()?);
                let len = u32::from_be_bytes(<[u8; 4]>::try_from(h.get(8..)?).ok()?) as usize;
                let end = SLOT_HEAD.checked_add(len)?;
                let sum = bytes.get(end..end.checked_add(32)?)?;
                let body = bytes.get(..end)?;
                (slot_checksum(body)[..] == *sum).then(|| (count, bytes.get(SLOT_HEAD..end)))
            }) else {
                continue;
            };
            let Some(state) = state else {
                continue;
            };
            if count % 2 != k
                || best.as_ref().is_some_and(|(b, _)| *b >= count)
                || Wallet::resume(state, 0).is_err()
            {
                continue;
            }
            best = Some((count, Zeroizing::new(state.to_vec())));
        }
        Ok(best)
    }

    /// The most recent state saved that resumes, if any (at most
    /// [`Wallet::MAX_ENCODED_LEN`] bytes are read from each file).
    ///
    /// # Cost
    ///
    /// A [`Wallet::resume`] of each file's state (to check it).
    ///
    /// # Errors
    ///
    /// A file cannot be read.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn load(&self) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self.latest()?.map(|(_, state)| state))
    }

    /// Removes both files.
    ///
    /// # Errors
    ///
    /// A file cannot be removed.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn remove(&self) -> std::io::Result<()> {
        for k in 0..2 {
            match std::fs::remove_file(self.slot(k)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

impl WalletStore for FileWallet {
    type Error = std::io::Error;

    fn save(&mut self, state: &[u8], _sequence: u64) -> std::io::Result<()> {
        use std::io::{Seek, Write};
        let count = match self.next {
            Some(n) => n,
            None => self.latest()?.map_or(1, |(k, _)| k.saturating_add(1)),
        };
        let path = self.slot(count);
        let created = !path.exists();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&path)?;
        let len = u32::try_from(state.len()).unwrap_or(u32::MAX);
        let mut bytes = Zeroizing::new(Vec::with_capacity(SLOT_HEAD + state.len() + 32));
        bytes.extend_from_slice(&count.to_be_bytes());
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(state);
        let sum = slot_checksum(&bytes);
        bytes.extend_from_slice(&sum);
        // A failed write may have torn this file: the next save goes to
        // the other one only after a count is known again.
        self.next = None;
        f.seek(std::io::SeekFrom::Start(0))?;
        f.write_all(&bytes)?;
        if self.sync {
            f.sync_data()?;
            if created && let Some(dir) = path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                std::fs::File::open(dir)?.sync_all()?;
            }
        }
        self.next = Some(count.saturating_add(1));
        self.saves += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use ed25519_dalek::SigningKey;
    use payword::{BrokerId, CertificateFields, CommitmentFields, CustomerId, HashAlg, VendorId};

    fn wallet(seed: u8) -> Wallet {
        let (broker, customer) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        );
        let certificate = Certificate::issue(
            CertificateFields {
                broker: BrokerId::from_bytes([3; 32]),
                serial: 1,
                customer: CustomerId::from_bytes([4; 16]),
                customer_key: customer.public_key(),
                credit_limit: 1_000,
                valid_from: 0,
                expires: 100,
            },
            &broker,
        )
        .unwrap();
        let params =
            ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([seed; 16]), 1_000).unwrap();
        let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([seed; 32]), params).unwrap();
        let commitment = Commitment::sign(
            CommitmentFields {
                certificate: certificate.digest(),
                vendor: VendorId::from_bytes([7; 32]),
                unit_value: 1,
                valid_from: 0,
                expires: 100,
                chain: CommittedChain::Single {
                    params,
                    anchor: pebbler.anchor(),
                },
                renewal: None,
            },
            &customer,
        )
        .unwrap();
        Wallet::from_pebbler(certificate, commitment, pebbler, 4).unwrap()
    }

    fn path(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("file-wallet-{tag}-{}", std::process::id()))
    }

    /// The state `load` gives, as (sequence, horizon).
    fn loaded(store: &FileWallet) -> Option<(u64, u32)> {
        let state = store.load().unwrap()?;
        let w = Wallet::resume(&state, 0).unwrap();
        Some((w.sequence(), w.horizon()))
    }

    #[test]
    fn a_crash_at_any_byte_of_a_save_leaves_the_last_state_whole() {
        let base = path("torn");
        let mut store = FileWallet::new(&base);
        let mut w = wallet(5);
        w.pay(1, &mut store).unwrap(); // save 1, in .1
        w.pay(4, &mut store).unwrap(); // save 2, in .0
        let second = (w.sequence(), w.horizon());
        assert_eq!(loaded(&store), Some(second));
        let slot = store.slot(3);
        let old = std::fs::read(&slot).unwrap();
        w.pay(4, &mut store).unwrap(); // save 3, in .1 again
        let third = (w.sequence(), w.horizon());
        assert_eq!(third.0, 3);
        assert_eq!(loaded(&store), Some(third));
        let (new, other) = (
            std::fs::read(&slot).unwrap(),
            std::fs::read(store.slot(2)).unwrap(),
        );
        for cut in 0..=new.len() {
            // The write of save 3 cut at `cut` bytes, over save 1's bytes.
            let mut torn = new[..cut].to_vec();
            torn.extend_from_slice(old.get(cut..).unwrap_or_default());
            std::fs::write(&slot, &torn).unwrap();
            let mut again = FileWallet::new(&base);
            let want = if cut == new.len() { third } else { second };
            assert_eq!(loaded(&again), Some(want), "cut {cut}");
            // A new value goes on after what it loaded, never over it.
            let mut resumed = Wallet::resume(&again.load().unwrap().unwrap(), 0).unwrap();
            let before = resumed.horizon();
            resumed.pay(1, &mut again).unwrap();
            assert_eq!(loaded(&again).unwrap().1, before + 4, "cut {cut}");
            std::fs::write(&slot, &new).unwrap();
            std::fs::write(store.slot(2), &other).unwrap();
        }
        store.remove().unwrap();
    }

    #[test]
    fn the_most_recent_wallet_wins_over_an_older_one_with_a_higher_sequence() {
        let base = path("renew");
        let mut store = FileWallet::new(&base);
        let mut old = wallet(5);
        for _ in 0..10 {
            old.pay(4, &mut store).unwrap();
        }
        assert_eq!(loaded(&store).unwrap().0, 10);
        // A fresh commitment: its wallet starts again at sequence 1.
        let mut fresh = wallet(6);
        fresh.pay(1, &mut store).unwrap();
        let state = store.load().unwrap().unwrap();
        let w = Wallet::resume(&state, 0).unwrap();
        assert_eq!(
            (w.commitment_digest(), w.sequence()),
            (fresh.commitment_digest(), 1)
        );
        // And so for a new value of the store.
        let again = FileWallet::new(&base);
        let w = Wallet::resume(&again.load().unwrap().unwrap(), 0).unwrap();
        assert_eq!(w.commitment_digest(), fresh.commitment_digest());
        store.remove().unwrap();
        assert!(store.load().unwrap().is_none());
    }
}
