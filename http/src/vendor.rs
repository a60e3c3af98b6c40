//! The vendor's side: a [`Paywall`] (offers, sessions, one exact payment
//! per request) and its tower [`PaywallLayer`].
//!
//! The paywall prices each request ([`Pricing`]: a closure or a
//! [`PriceTable`]); a free request passes untouched. A priced one must
//! carry `Authorization: PayWord …` ([`Authorization`]) whose payment
//! advances the customer's session by exactly the price
//! ([`SessionStore::pay_exact`]): the work a request can cost is bounded by
//! its price (at most `price` chain steps; none for a payment that names
//! another amount, a replay or a malformed header). The first paid request
//! also carries the certificate and commitment, which open the session
//! (two signature verifications, after checks against the terms that cost
//! nothing). Every refusal is a status, a `PayWord-Error` code and a short
//! message:
//!
//! | Status | `PayWord-Error` | When |
//! |---|---|---|
//! | 402 | `payment_required` | priced request without a PayWord authorization |
//! | 400 | `malformed` | a PayWord header that is not the one spelling, a message that does not decode, two `Authorization` headers, a payment not naming the commitment sent with it |
//! | 402 | `unknown_session` | the payment names no open session |
//! | 402 | `commitment_refused` | the certificate or commitment does not meet the terms or does not verify |
//! | 402 | `wrong_price` | the payment advances by another amount (`PayWord-Last-Index` says where the session is) |
//! | 402 | `payment_refused` | forged payword, past the chain's end, expired session, … |
//! | 409 | `replay` | a payword at or below the last index accepted (`PayWord-Last-Index`, and the body, say which) |
//! | 503 | `unavailable` | the session could not be saved (nothing accepted; retry), the store is full, the offer could not be signed |
//!
//! A 402 carries `WWW-Authenticate: PayWord offer="…"` ([`Challenge`]) with
//! the vendor's offer for the request's price, and the same offer in x402
//! form ([`PaymentRequired`]). A paid request's response carries
//! `PayWord-Paid: <units>`. Bad input never panics and never gets a 5xx.
//!
//! The checks and the session's save run inside the service's `call`, on
//! the runtime's thread, before the inner service is called: with
//! [`InMemory`] that is a few microseconds; with a file persistence, one
//! write per payment ([`LogSessions`](crate::LogSessions)) or a file
//! replaced per payment (`FileSessions`); with `durable()`, an `fsync` per
//! payment holds that thread for its duration (give the runtime enough
//! worker threads).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
use payword::sessions::{InMemory, SessionPersistence, SessionStore, SessionStoreError};
use payword::{
    CommittedChain, MessageSigner, Payment, PaymentBody, PublicKey, ResumeError, SessionError,
    VendorId, VerifyError,
};

use crate::header::{
    self, Authorization, Challenge, ERROR, ErrorCode, LAST_INDEX, Number, Opening, PAID,
    PAYMENT_REQUIRED,
};
use crate::x402::PaymentRequired;

/// The vendor's terms: who is paid, through which broker, what a unit is
/// worth and which chains are accepted. The price is per request (the
/// [`Pricing`]); each 402 carries an offer signed for it.
///
/// # Examples
///
/// ```
/// use payword::offer::AcceptedBroker;
/// use payword::{BrokerId, PublicKey, VendorId};
/// use payword_http::Terms;
///
/// let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: PublicKey::ed25519([4; 32]) };
/// let terms = Terms { unit_value: 10, ..Terms::new(VendorId::from_bytes([6; 32]), broker) };
/// assert_eq!((terms.unit_value, terms.offer_lifetime, terms.skew), (10, 3_600, 30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// The vendor's id (commitments must name it).
    pub vendor: VendorId,
    /// The broker whose certificates are accepted, and its key.
    pub broker: AcceptedBroker,
    /// Value of one unit (commitments must carry exactly this).
    pub unit_value: u64,
    /// Chain kinds and hashes accepted.
    pub kinds: ChainKinds,
    /// The longest chain accepted.
    pub max_chain: u32,
    /// Seconds an offer is valid (it is signed again halfway).
    pub offer_lifetime: u64,
    /// Clock skew allowed on validity windows, in seconds.
    pub skew: u64,
    /// x402's `maxTimeoutSeconds` in the `PAYMENT-REQUIRED` form.
    pub max_timeout_seconds: u64,
}

impl Terms {
    /// Terms for `vendor` paid through `broker`: a unit worth 1, single
    /// chains over SHA-256 or BLAKE3 of at most 2^20 paywords, offers valid
    /// for an hour, 30 seconds of skew, a 60-second x402 timeout.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn new(vendor: VendorId, broker: AcceptedBroker) -> Self {
        Self {
            vendor,
            broker,
            unit_value: 1,
            kinds: ChainKinds::SINGLE_SHA256.or(ChainKinds::SINGLE_BLAKE3),
            max_chain: 1 << 20,
            offer_lifetime: 3_600,
            skew: 30,
            max_timeout_seconds: 60,
        }
    }
}

/// A request the paywall let through: what it paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paid {
    /// Units paid (the price; 0 for a free request).
    pub units: u32,
}

/// Why the paywall refused a request: an [`ErrorCode`] (and its status), a
/// short message, and what the response carries.
///
/// # Examples
///
/// See [`Paywall::admit`].
#[derive(Clone, Debug)]
pub struct Refusal {
    code: ErrorCode,
    message: String,
    last_index: Option<u32>,
    challenge: Option<(HeaderValue, HeaderValue)>,
}

impl Refusal {
    fn new(code: ErrorCode, message: String) -> Self {
        Self {
            code,
            message,
            last_index: None,
            challenge: None,
        }
    }

    /// The code.
    ///
    /// # Examples
    ///
    /// See [`into_response`](Self::into_response).
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    ///
    /// # Examples
    ///
    /// See [`into_response`](Self::into_response).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::PAYMENT_REQUIRED)
    }

    /// The message (also the response body).
    ///
    /// # Examples
    ///
    /// See [`into_response`](Self::into_response).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The last index the session accepted (`replay`, `wrong_price`).
    ///
    /// # Examples
    ///
    /// See [`into_response`](Self::into_response), and `tests/hostile.rs`
    /// for replays.
    #[must_use]
    pub const fn last_index(&self) -> Option<u32> {
        self.last_index
    }

    /// The response: the status, `PayWord-Error`, the challenge headers on
    /// a 402, `PayWord-Last-Index` when known, `Retry-After: 1` on a 503,
    /// and the message as a `text/plain` body.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// # use payword_http::{Paywall, Terms};
    /// use http::HeaderMap;
    /// use payword_http::header::ErrorCode;
    ///
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// # let paywall = Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker));
    /// let refusal = paywall.admit(&HeaderMap::new(), 2, "/article").unwrap_err();
    /// assert_eq!((refusal.code(), refusal.status().as_u16()), (ErrorCode::PaymentRequired, 402));
    /// assert_eq!((refusal.message(), refusal.last_index()), ("payment required: 2 units", None));
    /// let response = refusal.into_response();
    /// assert_eq!(response.headers()["payword-error"], "payment_required");
    /// assert!(response.headers()["www-authenticate"].to_str()?.starts_with("PayWord offer=\""));
    /// assert!(response.headers().contains_key("payment-required"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let status = self.status();
        let mut body = self.message;
        body.push('\n');
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        let h = response.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(ERROR, HeaderValue::from_static(self.code.as_str()));
        if let Some((challenge, x402)) = self.challenge {
            h.insert(WWW_AUTHENTICATE, challenge);
            h.insert(PAYMENT_REQUIRED, x402);
        }
        if let Some(last) = self.last_index {
            h.insert(LAST_INDEX, Number::to_header_value(last));
        }
        if self.code == ErrorCode::Unavailable {
            h.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code.status(), self.code, self.message)
    }
}

impl std::error::Error for Refusal {}

/// An offer signed for one price, with its challenge header.
struct SignedOffer {
    offer: Offer,
    challenge: HeaderValue,
    refresh_at: u64,
}

/// The most prices whose offers are kept signed.
const MAX_CACHED_OFFERS: usize = 64;

/// The clock: seconds since the Unix epoch.
type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A vendor's paywall: its terms and signer (for offers) and its sessions.
/// Thread-safe; share it in an [`Arc`] (the [`PaywallLayer`] does).
///
/// Frameworks other than tower call [`admit`](Self::admit) with the
/// request's headers and price.
///
/// # Examples
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use http::HeaderMap;
/// use payword::offer::AcceptedBroker;
/// use payword::{BrokerId, MessageSigner, VendorId};
/// use payword_http::header::{Challenge, ErrorCode};
/// use payword_http::{Paywall, Terms};
///
/// let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
/// let paywall = Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker));
/// // A request priced at 3 units without a payment: a 402 with the offer.
/// let refusal = paywall.admit(&HeaderMap::new(), 3, "/article").unwrap_err();
/// assert_eq!((refusal.code(), refusal.status().as_u16()), (ErrorCode::PaymentRequired, 402));
/// let response = refusal.into_response();
/// let challenge = Challenge::parse(response.headers()["www-authenticate"].as_bytes())?;
/// assert_eq!(challenge.offer.fields().price, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Paywall<P: SessionPersistence = InMemory> {
    sessions: SessionStore<P>,
    terms: Terms,
    signer: Box<dyn MessageSigner + Send + Sync>,
    vendor_key: PublicKey,
    offers: Mutex<HashMap<u32, Arc<SignedOffer>>>,
    clock: Clock,
}

impl<P: SessionPersistence> std::fmt::Debug for Paywall<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paywall")
            .field("terms", &self.terms)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl Paywall<InMemory> {
    /// A paywall with sessions in memory only, signing offers with
    /// `signer` (the vendor's key).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn new(signer: impl MessageSigner + Send + Sync + 'static, terms: Terms) -> Self {
        let sessions = SessionStore::new(terms.vendor, terms.broker.key, terms.skew, InMemory);
        Self::assemble(Box::new(signer), terms, sessions)
    }
}

impl<P: SessionPersistence> Paywall<P> {
    fn assemble(
        signer: Box<dyn MessageSigner + Send + Sync>,
        terms: Terms,
        sessions: SessionStore<P>,
    ) -> Self {
        Self {
            vendor_key: signer.public_key(),
            sessions,
            terms,
            signer,
            offers: Mutex::new(HashMap::new()),
            clock: Arc::new(system_now),
        }
    }

    /// A paywall whose sessions are saved through `persist` (before each
    /// payment is acknowledged), resuming every session it holds
    /// ([`SessionStore::load`]); records that do not resume are returned
    /// with their error.
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::Persist`] if the records cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// use payword::sessions::FileSessions;
    /// use payword_http::{Paywall, Terms};
    ///
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// let dir = std::env::temp_dir().join(format!("paywall-doc-{}", std::process::id()));
    /// let terms = Terms::new(VendorId::from_bytes([6; 32]), broker);
    /// let (paywall, failed) =
    ///     Paywall::with_persistence(SigningKey::from_bytes(&[2; 32]), terms, FileSessions::new(&dir)?)?;
    /// assert!(paywall.sessions().is_empty() && failed.is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_persistence(
        signer: impl MessageSigner + Send + Sync + 'static,
        terms: Terms,
        persist: P,
    ) -> Result<(Self, Vec<ResumeError>), SessionStoreError<P::Error>> {
        let (sessions, failed) =
            SessionStore::load(terms.vendor, terms.broker.key, terms.skew, persist)?;
        Ok((Self::assemble(Box::new(signer), terms, sessions), failed))
    }

    /// Uses `clock` (seconds since the Unix epoch) instead of the system
    /// clock.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// # use payword_http::{Paywall, Terms};
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// let paywall = Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker))
    ///     .with_clock(|| 1_000);
    /// assert_eq!(paywall.offer(2)?.fields().expires, 1_000 + 3_600);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        lock(&self.offers).clear();
        self
    }

    /// Holds at most `max` sessions (new commitments past it get a 503).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// # use payword_http::{Paywall, Terms};
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// let paywall = Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker))
    ///     .with_max_sessions(10_000);
    /// # let _ = paywall;
    /// ```
    #[must_use]
    pub fn with_max_sessions(mut self, max: usize) -> Self {
        self.sessions = self.sessions.with_max_sessions(max);
        self
    }

    /// The sessions: their claims for the broker
    /// ([`SessionStore::claims`]), removal once redeemed.
    ///
    /// # Examples
    ///
    /// See [`with_persistence`](Self::with_persistence).
    #[must_use]
    pub const fn sessions(&self) -> &SessionStore<P> {
        &self.sessions
    }

    /// The terms.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// # use payword_http::{Paywall, Terms};
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// let terms = Terms::new(VendorId::from_bytes([6; 32]), broker);
    /// assert_eq!(Paywall::new(SigningKey::from_bytes(&[2; 32]), terms).terms(), &terms);
    /// ```
    #[must_use]
    pub const fn terms(&self) -> &Terms {
        &self.terms
    }

    /// The current time on the paywall's clock.
    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The offer for a request priced `price` units (signed, valid from now
    /// less the skew for the terms' offer lifetime; kept and signed again
    /// halfway through).
    ///
    /// # Errors
    ///
    /// The signer's failure (a message), or price 0.
    ///
    /// # Examples
    ///
    /// See [`with_clock`](Self::with_clock).
    pub fn offer(&self, price: u32) -> Result<Offer, String> {
        self.signed_offer(price, self.now()).map(|s| s.offer)
    }

    fn signed_offer(&self, price: u32, now: u64) -> Result<Arc<SignedOffer>, String> {
        let mut cache = lock(&self.offers);
        if let Some(s) = cache.get(&price)
            && now < s.refresh_at
            && now >= s.offer.fields().valid_from
        {
            return Ok(Arc::clone(s));
        }
        if price == 0 {
            return Err("a free request has no offer".into());
        }
        let t = &self.terms;
        let fields = OfferFields {
            vendor: t.vendor,
            vendor_key: self.vendor_key,
            brokers: Brokers::new(&[t.broker]).map_err(|e| e.to_string())?,
            price,
            unit_value: t.unit_value,
            kinds: t.kinds,
            max_chain: t.max_chain,
            valid_from: now.saturating_sub(t.skew),
            expires: now.saturating_add(t.offer_lifetime),
        };
        let offer = Offer::sign(fields, &*self.signer).map_err(|e| e.to_string())?;
        let signed = Arc::new(SignedOffer {
            challenge: Challenge { offer }.to_header_value(),
            offer,
            refresh_at: now.saturating_add(t.offer_lifetime / 2),
        });
        if cache.len() >= MAX_CACHED_OFFERS {
            cache.clear();
        }
        cache.insert(price, Arc::clone(&signed));
        Ok(signed)
    }

    /// A 402 asking for `price` units, with the offer.
    fn pay(&self, code: ErrorCode, message: String, price: u32, resource: &str) -> Refusal {
        let signed = match self.signed_offer(price, self.now()) {
            Ok(s) => s,
            Err(e) => return unavailable(format!("the offer could not be signed: {e}")),
        };
        let resource = if resource.len() <= PaymentRequired::MAX_RESOURCE_LEN {
            resource
        } else {
            "/"
        };
        let mut error = message.clone();
        if error.len() > PaymentRequired::MAX_ERROR_LEN {
            let mut end = PaymentRequired::MAX_ERROR_LEN;
            while !error.is_char_boundary(end) {
                end -= 1;
            }
            error.truncate(end);
        }
        let x402 = PaymentRequired {
            resource: resource.into(),
            error: Some(error),
            offer: signed.offer,
            max_timeout_seconds: self.terms.max_timeout_seconds,
        };
        let mut refusal = Refusal::new(code, message);
        refusal.challenge = Some((signed.challenge.clone(), header::value(&x402.to_header())));
        refusal
    }

    /// Admits a request priced `price` units whose headers are `headers`
    /// (`resource` is its path, for the x402 form): checks and accepts
    /// exactly one payment of `price` units, opening the session first if
    /// the request carries the certificate and commitment. A price of 0 is
    /// a free request: admitted without looking at the headers.
    ///
    /// # Cost
    ///
    /// Parsing the header (linear in its length, checked first); opening a
    /// session: two signature verifications (none if already open); the
    /// payment: at most `price` chain steps (none if it names another
    /// amount or is a replay); one save through the persistence.
    ///
    /// # Errors
    ///
    /// A [`Refusal`] (see the [module docs](self) for the table).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::offer::AcceptedBroker;
    /// # use payword::{BrokerId, MessageSigner, VendorId};
    /// # use payword_http::{Paywall, Terms};
    /// use http::HeaderMap;
    /// use payword_http::header::ErrorCode;
    ///
    /// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
    /// # let paywall = Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker));
    /// let mut headers = HeaderMap::new();
    /// headers.insert("authorization", "PayWord payment=\"AAAA\"".parse()?);
    /// let refusal = paywall.admit(&headers, 1, "/").unwrap_err();
    /// assert_eq!((refusal.code(), refusal.status().as_u16()), (ErrorCode::Malformed, 400));
    /// assert_eq!(
    ///     refusal.message(),
    ///     "malformed Authorization: payment: text decodes to a bad encoding: unknown type tag 0x00"
    /// );
    /// assert_eq!(paywall.admit(&headers, 0, "/").unwrap().units, 0); // free
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn admit(&self, headers: &HeaderMap, price: u32, resource: &str) -> Result<Paid, Refusal> {
        if price == 0 {
            return Ok(Paid { units: 0 });
        }
        let value = match header::single(headers, &AUTHORIZATION) {
            Err(e) => return Err(malformed(&e)),
            Ok(None) => return Err(self.payment_required(price, resource)),
            Ok(Some(v)) => v.as_bytes(),
        };
        // Another scheme is no payment; this one, in any case, is ours and
        // must be spelled exactly.
        let scheme = value.get(..header::SCHEME.len());
        let ours = scheme.is_some_and(|s| s.eq_ignore_ascii_case(header::SCHEME.as_bytes()))
            && value
                .get(header::SCHEME.len())
                .is_none_or(|b| b.is_ascii_whitespace());
        if !ours {
            return Err(self.payment_required(price, resource));
        }
        let auth = Authorization::parse(value).map_err(|e| malformed(&e))?;
        let now = self.now();
        if let Some(opening) = auth.opening {
            self.open(opening, &auth.payment, price, resource, now)?;
        }
        match self.sessions.pay_exact(&auth.payment, price, now) {
            Ok(_) => Ok(Paid { units: price }),
            Err(e) => Err(self.refused(e, &auth.payment, price, resource)),
        }
    }

    fn payment_required(&self, price: u32, resource: &str) -> Refusal {
        self.pay(
            ErrorCode::PaymentRequired,
            format!("payment required: {price} units"),
            price,
            resource,
        )
    }

    /// Opens the session of `opening`: the terms first (no cost), then the
    /// signatures.
    fn open(
        &self,
        opening: Opening,
        payment: &Payment,
        price: u32,
        resource: &str,
        now: u64,
    ) -> Result<(), Refusal> {
        let Opening {
            certificate,
            commitment,
        } = opening;
        if *payment.commitment() != commitment.digest() {
            return Err(Refusal::new(
                ErrorCode::Malformed,
                "malformed Authorization: the payment does not name the commitment".into(),
            ));
        }
        let f = commitment.fields();
        let t = &self.terms;
        let length = match &f.chain {
            CommittedChain::Single { params, .. } => params.length(),
            CommittedChain::Purse { params, .. } => params.length(),
        };
        let refused = if f.vendor != t.vendor {
            Some("the commitment is for another vendor".to_owned())
        } else if certificate.fields().broker != t.broker.id {
            Some("the certificate's broker is not accepted".to_owned())
        } else if f.unit_value != t.unit_value {
            Some(format!(
                "the commitment's unit value {} is not the offer's {}",
                f.unit_value, t.unit_value
            ))
        } else if !t.kinds.accepts(&f.chain) {
            Some("the chain's kind or hash is not accepted".to_owned())
        } else if length > t.max_chain {
            Some(format!(
                "the chain of {length} is longer than the offer's {}",
                t.max_chain
            ))
        } else {
            None
        };
        let refused = refused.or_else(|| {
            // Already open: nothing to verify, but what was sent must be
            // the session's (a commitment's digest does not cover its
            // signature).
            self.sessions
                .session(payment.commitment())
                .filter(|s| *s.certificate() != certificate || *s.commitment() != commitment)
                .map(|_| "the certificate or commitment is not the session's".to_owned())
        });
        if let Some(why) = refused {
            return Err(self.pay(
                ErrorCode::CommitmentRefused,
                format!("commitment refused: {why}"),
                price,
                resource,
            ));
        }
        match self.sessions.open(certificate, commitment, now) {
            Ok(_) => Ok(()),
            Err(SessionStoreError::Full { max }) => Err(unavailable(format!(
                "the vendor holds its maximum of {max} sessions"
            ))),
            Err(SessionStoreError::Persist(_)) => {
                Err(unavailable("the session could not be saved".into()))
            }
            Err(e) => Err(self.pay(
                ErrorCode::CommitmentRefused,
                format!("commitment refused: {e}"),
                price,
                resource,
            )),
        }
    }

    /// The refusal of a payment the store did not accept.
    fn refused(
        &self,
        e: SessionStoreError<P::Error>,
        payment: &Payment,
        price: u32,
        resource: &str,
    ) -> Refusal {
        let index = match payment.body() {
            PaymentBody::Single(p) => Some(u64::from(p.index())),
            PaymentBody::Purse(_) => None,
        };
        match e {
            SessionStoreError::UnknownSession => self.pay(
                ErrorCode::UnknownSession,
                "no session for this commitment: send the certificate and commitment".into(),
                price,
                resource,
            ),
            SessionStoreError::Session(SessionError::Payment(VerifyError::Replay {
                index,
                last,
            })) => {
                let mut r = Refusal::new(
                    ErrorCode::Replay,
                    format!("replay: payword {index} is not above the last index {last}"),
                );
                r.last_index = Some(last);
                r
            }
            SessionStoreError::Session(SessionError::WrongPrice { price: p, paid }) => {
                let mut r = self.pay(
                    ErrorCode::WrongPrice,
                    format!("the payment advances {paid} units, the price is {p}"),
                    price,
                    resource,
                );
                r.last_index = index
                    .and_then(|i| i.checked_sub(paid))
                    .and_then(|l| u32::try_from(l).ok());
                r
            }
            SessionStoreError::Session(SessionError::Payment(v)) => self.pay(
                ErrorCode::PaymentRefused,
                format!("payment refused: {v}"),
                price,
                resource,
            ),
            SessionStoreError::Session(s) => self.pay(
                ErrorCode::PaymentRefused,
                format!("payment refused: {s}"),
                price,
                resource,
            ),
            SessionStoreError::Persist(_) => unavailable("the payment could not be saved".into()),
            other => unavailable(other.to_string()),
        }
    }
}

fn malformed(e: &header::HeaderError) -> Refusal {
    Refusal::new(
        ErrorCode::Malformed,
        format!("malformed Authorization: {e}"),
    )
}

fn unavailable(message: String) -> Refusal {
    Refusal::new(ErrorCode::Unavailable, message)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a request costs, in units: `None` (or `Some(0)`) for a free
/// request. Implemented by closures `Fn(&Request<B>) -> Option<u32>` and by
/// [`PriceTable`].
///
/// # Examples
///
/// ```
/// use http::Request;
/// use payword_http::Pricing;
///
/// let pricing = |r: &Request<()>| r.uri().path().starts_with("/paid/").then_some(2);
/// assert_eq!(pricing.price(&Request::get("/paid/a").body(())?), Some(2));
/// assert_eq!(pricing.price(&Request::get("/free").body(())?), None);
/// # Ok::<(), http::Error>(())
/// ```
pub trait Pricing<B> {
    /// The price of `request`.
    fn price(&self, request: &Request<B>) -> Option<u32>;
}

impl<B, F> Pricing<B> for F
where
    F: Fn(&Request<B>) -> Option<u32>,
{
    fn price(&self, request: &Request<B>) -> Option<u32> {
        self(request)
    }
}

/// Prices by path: exact paths first, then the longest matching prefix;
/// any method.
///
/// # Examples
///
/// ```
/// use http::Request;
/// use payword_http::{PriceTable, Pricing};
///
/// let table = PriceTable::new().route("/article", 3).prefix("/api/", 1).prefix("/api/big/", 5);
/// assert_eq!(table.get("/article"), Some(3));
/// assert_eq!(table.get("/article/2"), None);
/// assert_eq!(table.get("/api/x"), Some(1));
/// assert_eq!(table.get("/api/big/x"), Some(5));
/// assert_eq!(table.price(&Request::get("/api/x?q=1").body(())?), Some(1));
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PriceTable {
    exact: HashMap<String, u32>,
    prefixes: Vec<(String, u32)>,
}

impl PriceTable {
    /// An empty table (everything free).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Prices the path `path` exactly.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn route(mut self, path: &str, price: u32) -> Self {
        self.exact.insert(path.to_owned(), price);
        self
    }

    /// Prices every path starting with `prefix`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn prefix(mut self, prefix: &str, price: u32) -> Self {
        self.prefixes.push((prefix.to_owned(), price));
        self.prefixes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        self
    }

    /// The price of `path`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn get(&self, path: &str) -> Option<u32> {
        self.exact.get(path).copied().or_else(|| {
            self.prefixes
                .iter()
                .find(|(p, _)| path.starts_with(p.as_str()))
                .map(|(_, price)| *price)
        })
    }
}

impl<B> Pricing<B> for PriceTable {
    fn price(&self, request: &Request<B>) -> Option<u32> {
        self.get(request.uri().path())
    }
}

/// The tower [`Layer`](tower_layer::Layer) of a [`Paywall`] with a
/// [`Pricing`]: usable with axum's `Router::layer`, hyper or any tower
/// stack.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// # use ed25519_dalek::SigningKey;
/// # use payword::offer::AcceptedBroker;
/// # use payword::{BrokerId, MessageSigner, VendorId};
/// use axum::{Router, routing::get};
/// use payword_http::{Paywall, PaywallLayer, PriceTable, Terms};
///
/// # let broker = AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: SigningKey::from_bytes(&[1; 32]).public_key() };
/// let paywall = Arc::new(Paywall::new(SigningKey::from_bytes(&[2; 32]), Terms::new(VendorId::from_bytes([6; 32]), broker)));
/// let app: Router = Router::new()
///     .route("/article", get(|| async { "paid for" }))
///     .route("/", get(|| async { "free" }))
///     .layer(PaywallLayer::new(Arc::clone(&paywall), PriceTable::new().route("/article", 3)));
/// ```
pub struct PaywallLayer<P: SessionPersistence, R> {
    paywall: Arc<Paywall<P>>,
    pricing: Arc<R>,
}

impl<P: SessionPersistence, R> Clone for PaywallLayer<P, R> {
    fn clone(&self) -> Self {
        Self {
            paywall: Arc::clone(&self.paywall),
            pricing: Arc::clone(&self.pricing),
        }
    }
}

impl<P: SessionPersistence, R> std::fmt::Debug for PaywallLayer<P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaywallLayer")
            .field("paywall", &self.paywall)
            .finish_non_exhaustive()
    }
}

impl<P: SessionPersistence, R> PaywallLayer<P, R> {
    /// The layer of `paywall`, pricing requests with `pricing`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(paywall: Arc<Paywall<P>>, pricing: R) -> Self {
        Self {
            paywall,
            pricing: Arc::new(pricing),
        }
    }
}

impl<S, P: SessionPersistence, R> tower_layer::Layer<S> for PaywallLayer<P, R> {
    type Service = PaywallService<S, P, R>;

    fn layer(&self, inner: S) -> Self::Service {
        PaywallService {
            inner,
            paywall: Arc::clone(&self.paywall),
            pricing: Arc::clone(&self.pricing),
        }
    }
}

/// The service [`PaywallLayer`] wraps around an inner service: refusals
/// answer without calling it; a paid response gets `PayWord-Paid`.
///
/// # Examples
///
/// See [`PaywallLayer`].
pub struct PaywallService<S, P: SessionPersistence, R> {
    inner: S,
    paywall: Arc<Paywall<P>>,
    pricing: Arc<R>,
}

impl<S: Clone, P: SessionPersistence, R> Clone for PaywallService<S, P, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            paywall: Arc::clone(&self.paywall),
            pricing: Arc::clone(&self.pricing),
        }
    }
}

impl<S, P: SessionPersistence, R> std::fmt::Debug for PaywallService<S, P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaywallService")
            .field("paywall", &self.paywall)
            .finish_non_exhaustive()
    }
}

impl<S, P, R, ReqB, ResB> tower_service::Service<Request<ReqB>> for PaywallService<S, P, R>
where
    S: tower_service::Service<Request<ReqB>, Response = Response<ResB>>,
    P: SessionPersistence,
    R: Pricing<ReqB>,
{
    type Response = Response<Either<ResB, Full<Bytes>>>;
    type Error = S::Error;
    type Future = PaywallFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        let price = self.pricing.price(&request).unwrap_or(0);
        if price == 0 {
            return PaywallFuture::inner(self.inner.call(request), None);
        }
        match self
            .paywall
            .admit(request.headers(), price, request.uri().path())
        {
            Ok(paid) => PaywallFuture::inner(
                self.inner.call(request),
                Some(Number::to_header_value(paid.units)),
            ),
            Err(refusal) => PaywallFuture::refused(refusal.into_response()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`PaywallService`].
    pub struct PaywallFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = Projected]
    enum State<F> {
        // The inner service answers (the request was free or paid).
        Inner {
            #[pin]
            future: F,
            paid: Option<HeaderValue>,
        },
        // The paywall answered.
        Refused {
            response: Option<Response<Full<Bytes>>>,
        },
    }
}

impl<F> PaywallFuture<F> {
    const fn inner(future: F, paid: Option<HeaderValue>) -> Self {
        Self {
            state: State::Inner { future, paid },
        }
    }

    const fn refused(response: Response<Full<Bytes>>) -> Self {
        Self {
            state: State::Refused {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for PaywallFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<Either<B, Full<Bytes>>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            Projected::Inner { future, paid } => match future.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Ready(Ok(response)) => {
                    let mut response = response.map(Either::Left);
                    if let Some(units) = paid.take() {
                        response.headers_mut().insert(PAID, units);
                    }
                    Poll::Ready(Ok(response))
                }
            },
            Projected::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default().map(Either::Right)))
            }
        }
    }
}
