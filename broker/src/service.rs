//! The broker as an HTTP service (the routes of [`api`](crate::api)).
//!
//! [`Service`] holds a pool of [`Broker`]s, one per store handle (clones of
//! one [`RedbStore`](crate::RedbStore), or one
//! [`PgStore`](crate::PgStore) connection each). A request decodes and
//! checks its body on the async side, then runs its redemption on a
//! blocking thread with a broker taken from the pool, so that signature
//! checks and hashing never stall the event loop; at most `workers`
//! redemptions run at once.
//!
//! Every answer is JSON; every error an [`ErrorBody`] with a status that
//! says whose fault it is:
//!
//! - 400 `decode` / `bad_request`: the body or path does not parse;
//! - 401 `unauthorized`: a missing or wrong operator token;
//! - 404 `not_found`: no such record, route or fraud;
//! - 409 `fraud`: a claim that reveals fraud (the proof is in the body);
//! - 413 `too_large`: a body over the limit;
//! - 408 `timeout`: a client too slow to send its request;
//! - 422 `refused`: a well-formed claim or request the broker refuses
//!   (signature, vendor, validity, paywords, credit, …);
//! - 503 `unavailable`: the store failed (the client may retry: every
//!   operation is idempotent), and 500 `corrupt` for a record that does not
//!   decode.
//!
//! A refused or failed request changes nothing.
//!
//! # Examples
//!
//! ```
//! use payword::BrokerId;
//! use payword_broker::service::{Service, ServiceConfig};
//! use payword_broker::RedbStore;
//!
//! let dir = std::env::temp_dir().join(format!("payword-svc-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let store = RedbStore::open(dir.join("broker.redb"))?;
//! let config = ServiceConfig::new(
//!     BrokerId::from_bytes([1; 32]),
//!     ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
//!     b"operator secret".to_vec(),
//! );
//! let service = Service::new(config, vec![store.clone(), store]);
//! let _router = service.router(); // serve it with `payword_broker::server::serve`
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ed25519_dalek::SigningKey;
use payword::domain::{DeviceClaim, DeviceCommitment, DomainCommitment};
use payword::fraud::{FraudProof, MultiRedemption};
use payword::grant::{GrantClaim, RangeGrant, SharedCommitment};
use payword::renew::{CascadeClaim, CascadeError};
use payword::reservation::ReservationTarget;
use payword::store::Store;
use payword::tree::{LeafClaim, LeafOpening};
use payword::{
    Broker, BrokerError, BrokerId, Certificate, CertificateFields, Commitment, CustomerId,
    DecodeError, Digest, Encode, MessageSigner, MultiError, PublicKey, RedeemError,
    RedemptionClaim, StoreFailure, VendorId,
};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use zeroize::Zeroizing;

use crate::api::{
    BrokerInfo, CertificateBalance, DebtView, ErrorBody, FraudProofBody, Health, Hex, IssueRequest,
    Issued, Redeemed, ReserveRequest, ReserveTarget, Reserved, VendorBalance,
};

/// The largest claim of any kind, in bytes (a cascade with the most links).
pub const MAX_CLAIM_LEN: usize = max_of(&[
    RedemptionClaim::MAX_LEN,
    CascadeClaim::MAX_LEN,
    LeafClaim::MAX_LEN,
    GrantClaim::MAX_LEN,
    DeviceClaim::MAX_LEN,
]);

const fn max_of(xs: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < xs.len() {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m
}

/// How the service runs its broker.
pub struct ServiceConfig {
    /// The broker's id.
    pub broker_id: BrokerId,
    /// The broker's signing key (certificates, reservations).
    pub signing_key: SigningKey,
    /// The operator's bearer token for issuing certificates.
    pub operator_token: Zeroizing<Vec<u8>>,
    /// Seconds after a commitment expires during which it is still redeemed.
    pub grace: u64,
    /// The most chain steps one claim may cost.
    pub claim_step_limit: u32,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// Seconds added to the system clock (0 in production; tests and
    /// replays run the broker at another time).
    pub clock_offset: i64,
    /// Time for a whole request, body and work included (408 past it).
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the key nor the token is printed.
        f.debug_struct("ServiceConfig")
            .field("broker_id", &self.broker_id)
            .field("grace", &self.grace)
            .field("claim_step_limit", &self.claim_step_limit)
            .field("max_body", &self.max_body)
            .field("clock_offset", &self.clock_offset)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// A configuration with the defaults: one day of grace, the core's
    /// default claim budget, and a body limit that fits the largest claim.
    #[must_use]
    pub fn new(broker_id: BrokerId, signing_key: SigningKey, operator_token: Vec<u8>) -> Self {
        Self {
            broker_id,
            signing_key,
            operator_token: Zeroizing::new(operator_token),
            grace: 86_400,
            claim_step_limit: payword::DEFAULT_CLAIM_STEP_LIMIT,
            max_body: default_max_body(),
            clock_offset: 0,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// The default body limit: the largest claim, rounded up to 4 KiB.
#[must_use]
pub const fn default_max_body() -> usize {
    MAX_CLAIM_LEN.div_ceil(4096) * 4096
}

/// The broker service: a pool of brokers over one store, and its routes.
pub struct Service<S: Store> {
    inner: Arc<Inner<S>>,
}

impl<S: Store> Clone for Service<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<S: Store> {
    pool: Mutex<Vec<Broker<S>>>,
    permits: Semaphore,
    signer: Arc<SigningKey>,
    token: Zeroizing<Vec<u8>>,
    info: BrokerInfo,
    id: BrokerId,
    clock_offset: i64,
    request_timeout: Duration,
}

/// A broker taken from the pool, with its slot: both go back on drop.
struct Lease<S: Store> {
    broker: Option<Broker<S>>,
    inner: Arc<Inner<S>>,
}

impl<S: Store> Drop for Lease<S> {
    fn drop(&mut self) {
        if let (Some(b), Ok(mut pool)) = (self.broker.take(), self.inner.pool.lock()) {
            pool.push(b);
        }
        self.inner.permits.add_permits(1);
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    proof: Option<Vec<u8>>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            proof: None,
        }
    }

    fn decode(what: &str, e: &DecodeError) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "decode",
            format!("{what} does not decode: {e}"),
        )
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn refused(message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            message.to_string(),
        )
    }

    fn store(f: StoreFailure) -> Self {
        match f {
            StoreFailure::Corrupt => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "corrupt",
                "a stored record does not decode",
            ),
            f => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("{f}; nothing was changed, retry"),
            ),
        }
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// The status.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
            fraud_proof: self.proof.map(Hex),
        };
        (self.status, axum::Json(body)).into_response()
    }
}

impl<E> From<BrokerError<E>> for ApiError {
    fn from(e: BrokerError<E>) -> Self {
        match e {
            BrokerError::Refused(r) => Self::refused(format!("refused: {r:?}")),
            BrokerError::Corrupt(_) => Self::store(StoreFailure::Corrupt),
            BrokerError::Contention => Self::store(StoreFailure::Contention),
            _ => Self::store(StoreFailure::Io),
        }
    }
}

impl From<RedeemError> for ApiError {
    fn from(e: RedeemError) -> Self {
        match e {
            RedeemError::Store(f) => Self::store(f),
            e => Self::refused(e),
        }
    }
}

impl From<MultiError> for ApiError {
    fn from(e: MultiError) -> Self {
        match e {
            MultiError::Store(f) => Self::store(f),
            e => Self::refused(e),
        }
    }
}

impl From<CascadeError> for ApiError {
    fn from(e: CascadeError) -> Self {
        match e {
            CascadeError::Redeem(e) => e.into(),
            CascadeError::OtsReuse(p) => Self {
                status: StatusCode::CONFLICT,
                code: "fraud",
                message: "a one-time renewal key signed two different links".into(),
                proof: Some(FraudProof::OtsReuse(p).to_bytes()),
            },
            e => Self::refused(e),
        }
    }
}

/// Seconds since the Unix epoch, plus `offset`.
fn clock(offset: i64) -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_add_signed(offset)
}

fn parse_id<const N: usize>(what: &str, s: &str) -> Result<[u8; N], ApiError> {
    let bytes = hex::decode(s).map_err(|e| ApiError::bad(format!("{what}: not hex: {e}")))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| ApiError::bad(format!("{what}: {} bytes, expected {N}", bytes.len())))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("JSON body: {e}")))
}

fn decode<T: Encode>(what: &str, bytes: &[u8]) -> Result<T, ApiError> {
    T::decode(bytes).map_err(|e| ApiError::decode(what, &e))
}

/// A decoded claim of any kind.
enum AnyClaim {
    Plain(Box<RedemptionClaim>),
    Cascade(Box<CascadeClaim>),
    Leaf(Box<LeafClaim>),
    Grant(Box<GrantClaim>),
    Device(Box<DeviceClaim>),
}

impl AnyClaim {
    fn decode(body: &[u8]) -> Result<Self, ApiError> {
        match body.first() {
            None => Err(ApiError::bad("empty body: expected a claim")),
            Some(&t) if t == RedemptionClaim::TAG => {
                decode("claim", body).map(|c| Self::Plain(Box::new(c)))
            }
            Some(&t) if t == CascadeClaim::TAG => {
                decode("cascade claim", body).map(|c| Self::Cascade(Box::new(c)))
            }
            Some(&t) if t == LeafClaim::TAG => {
                decode("leaf claim", body).map(|c| Self::Leaf(Box::new(c)))
            }
            Some(&t) if t == GrantClaim::TAG => {
                decode("grant claim", body).map(|c| Self::Grant(Box::new(c)))
            }
            Some(&t) if t == DeviceClaim::TAG => {
                decode("device claim", body).map(|c| Self::Device(Box::new(c)))
            }
            Some(&t) => Err(ApiError::bad(format!(
                "message type 0x{t:02x} is not a claim (expected 0x{:02x}, 0x{:02x}, 0x{:02x}, 0x{:02x} or 0x{:02x})",
                RedemptionClaim::TAG,
                CascadeClaim::TAG,
                LeafClaim::TAG,
                GrantClaim::TAG,
                DeviceClaim::TAG
            ))),
        }
    }

    fn redeem<S: Store>(
        &self,
        b: &mut Broker<S>,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Redeemed, ApiError> {
        let multi = |kind: &str, r: MultiRedemption| Redeemed {
            kind: kind.into(),
            key: Hex(r.key.as_bytes().to_vec()),
            owed: r.owed,
            units: r.units,
            over_limit: matches!(
                r.fraud,
                Some(FraudProof::CreditOverspent(_) | FraudProof::Overspent(_))
            ),
            fraud_proof: r.fraud.map(|p| Hex(p.to_bytes())),
        };
        Ok(match self {
            Self::Plain(c) => {
                let r = b.redeem(c, vendor, now)?;
                Redeemed {
                    kind: "plain".into(),
                    key: Hex(r.commitment.as_bytes().to_vec()),
                    owed: r.owed,
                    units: r.units,
                    over_limit: r.overspent.is_some(),
                    fraud_proof: r
                        .overspent
                        .map(|p| Hex(FraudProof::Overspent(p).to_bytes())),
                }
            }
            Self::Cascade(c) => {
                let r = b.redeem_cascade(c, vendor, now)?;
                Redeemed {
                    kind: "cascade".into(),
                    key: Hex(r.commitment.as_bytes().to_vec()),
                    owed: r.owed,
                    units: r.units,
                    over_limit: r.over_limit,
                    fraud_proof: None,
                }
            }
            Self::Leaf(c) => multi("leaf", b.redeem_leaf(c, vendor, now)?),
            Self::Grant(c) => multi("grant", b.redeem_grant(c, vendor, now)?),
            Self::Device(c) => multi("device", b.redeem_device(c, vendor, now)?),
        })
    }
}

/// A decoded reservation target, owned.
enum Target {
    Commitment(Box<Commitment>),
    Leaf(Box<LeafOpening>),
    Grant(Box<(SharedCommitment, RangeGrant)>),
    Device(Box<(DomainCommitment, DeviceCommitment)>),
}

impl Target {
    fn decode(t: &ReserveTarget) -> Result<Self, ApiError> {
        Ok(match t {
            ReserveTarget::Commitment { commitment } => {
                Self::Commitment(Box::new(decode("commitment", &commitment.0)?))
            }
            ReserveTarget::Leaf { opening } => {
                Self::Leaf(Box::new(decode("leaf opening", &opening.0)?))
            }
            ReserveTarget::Grant { commitment, grant } => Self::Grant(Box::new((
                decode("shared commitment", &commitment.0)?,
                decode("grant", &grant.0)?,
            ))),
            ReserveTarget::Device { domain, commitment } => Self::Device(Box::new((
                decode("domain commitment", &domain.0)?,
                decode("device commitment", &commitment.0)?,
            ))),
        })
    }

    fn as_target(&self) -> ReservationTarget<'_> {
        match self {
            Self::Commitment(c) => ReservationTarget::Commitment(c),
            Self::Leaf(o) => ReservationTarget::Leaf(o),
            Self::Grant(g) => ReservationTarget::Grant(&g.0, &g.1),
            Self::Device(d) => ReservationTarget::Device(&d.0, &d.1),
        }
    }
}

impl<S> Service<S>
where
    S: Store + Send + 'static,
{
    /// A service running one broker per store handle in `stores` (at least
    /// one; that many redemptions run at once).
    #[must_use]
    pub fn new(config: ServiceConfig, stores: Vec<S>) -> Self {
        let key = config.signing_key.public_key();
        let brokers: Vec<Broker<S>> = stores
            .into_iter()
            .map(|s| {
                Broker::new(config.broker_id, key, s, config.grace)
                    .with_limit(config.claim_step_limit)
            })
            .collect();
        let info = BrokerInfo {
            id: Hex(config.broker_id.as_bytes().to_vec()),
            key: Hex(key.as_bytes().to_vec()),
            grace: config.grace,
            claim_step_limit: config.claim_step_limit,
            max_body: config.max_body,
        };
        Self {
            inner: Arc::new(Inner {
                permits: Semaphore::new(brokers.len()),
                pool: Mutex::new(brokers),
                signer: Arc::new(config.signing_key),
                token: config.operator_token,
                info,
                id: config.broker_id,
                clock_offset: config.clock_offset,
                request_timeout: config.request_timeout,
            }),
        }
    }

    /// The routes, with the body limit, the request timeout, JSON error
    /// bodies for the framework's own errors, and the request log.
    pub fn router(&self) -> Router {
        let max_body = self.inner.info.max_body;
        let timeout = self.inner.request_timeout;
        Router::new()
            .route("/v1/health", get(health))
            .route("/v1/broker", get(broker_info::<S>))
            .route("/v1/certificates", post(issue::<S>))
            .route("/v1/certificates/{digest}", get(balance::<S>))
            .route("/v1/vendors/{vendor}/claims", post(redeem::<S>))
            .route("/v1/vendors/{vendor}", get(vendor_balance::<S>))
            .route("/v1/reservations", post(reserve::<S>))
            .route("/v1/debts/{key}", get(debt::<S>))
            .route("/v1/fraud-proofs", post(fraud_proof::<S>))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(max_body))
            // A declared length over the limit is refused before any read.
            .layer(RequestBodyLimitLayer::new(max_body))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                timeout,
            ))
            .layer(middleware::from_fn(json_errors))
            .layer(middleware::from_fn(log_request))
            .with_state(self.clone())
    }

    /// Runs `f` with a broker from the pool on a blocking thread.
    ///
    /// The blocking task owns the broker and its slot until it ends, and
    /// gives both back itself (even if `f` panics): a request dropped while
    /// its work runs (a timeout, a client gone) never loses a broker.
    async fn with_broker<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Broker<S>) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let unavailable = || {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "no broker free",
            )
        };
        let permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| unavailable())?;
        let Some(broker) = self.inner.pool.lock().ok().and_then(|mut p| p.pop()) else {
            return Err(unavailable());
        };
        // From here the lease gives the slot back.
        permit.forget();
        let mut lease = Lease {
            broker: Some(broker),
            inner: Arc::clone(&self.inner),
        };
        let joined = tokio::task::spawn_blocking(move || lease.broker.as_mut().map(f)).await;
        match joined {
            Ok(Some(out)) => Ok(out),
            Ok(None) | Err(_) => {
                tracing::error!("broker task failed");
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the broker task failed",
                ))
            }
        }
    }

    fn check_operator(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "operator token missing or wrong (Authorization: Bearer <token>)",
            )
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .ok_or_else(unauthorized)?;
        if bool::from(given.ct_eq(self.inner.token.as_slice())) {
            Ok(())
        } else {
            Err(unauthorized())
        }
    }
}

async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    if status >= 500 {
        tracing::warn!(%method, %path, status, micros, "request");
    } else {
        tracing::info!(%method, %path, status, micros, "request");
    }
    response
}

/// Gives every error answer an [`ErrorBody`]: the framework's own (405,
/// 413, 408, a path or body that does not parse) come as plain text or
/// empty, and are rewritten here, keeping their status and text.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let (code, default) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "request body over the limit"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "request not received in time"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed here"),
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        s if s.is_client_error() => ("bad_request", "bad request"),
        _ => ("internal", "internal error"),
    };
    let message = if text.is_empty() {
        default.to_owned()
    } else {
        format!("{default}: {text}")
    };
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route (see GET /v1/broker and the API docs)")
}

async fn health() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
    })
}

async fn broker_info<S: Store>(State(s): State<Service<S>>) -> axum::Json<BrokerInfo> {
    axum::Json(s.inner.info.clone())
}

async fn issue<S>(
    State(s): State<Service<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError>
where
    S: Store + Send + 'static,
{
    s.check_operator(&headers)?;
    let req: IssueRequest = parse_json(&body)?;
    let customer = CustomerId::from_bytes(
        <[u8; 16]>::try_from(req.customer.0.as_slice())
            .map_err(|_| ApiError::bad("customer: expected 16 bytes"))?,
    );
    // 32 raw bytes are an Ed25519 key; otherwise the canonical encoding
    // (algorithm tag ‖ key), which is how an LMS customer key comes.
    let key_bytes = req.customer_key.0.as_slice();
    let customer_key = match <[u8; 32]>::try_from(key_bytes) {
        Ok(raw) => PublicKey::ed25519(raw),
        Err(_) => PublicKey::from_encoded(key_bytes).map_err(|e| {
            ApiError::bad(format!(
                "customer_key: expected 32 bytes (Ed25519) or an encoded key (algorithm tag ‖ key): {e}"
            ))
        })?,
    };
    if req.valid_from >= req.expires {
        return Err(ApiError::bad("valid_from must be before expires"));
    }
    if req.credit_limit == 0 {
        return Err(ApiError::bad("credit_limit must be positive"));
    }
    let mut serial = [0u8; 8];
    getrandom::fill(&mut serial).map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no randomness",
        )
    })?;
    let serial = u64::from_be_bytes(serial);
    let fields = CertificateFields {
        broker: s.inner.id,
        serial,
        customer,
        customer_key,
        credit_limit: req.credit_limit,
        valid_from: req.valid_from,
        expires: req.expires,
    };
    let certificate = Certificate::issue(fields, &*s.inner.signer)
        .map_err(|e| ApiError::refused(format!("signing failed: {e}")))?;
    tracing::info!(
        certificate = %certificate.digest(),
        credit_limit = req.credit_limit,
        "issued certificate"
    );
    Ok((
        StatusCode::CREATED,
        axum::Json(Issued {
            certificate: Hex(certificate.to_bytes()),
            digest: Hex(certificate.digest().as_bytes().to_vec()),
            serial,
        }),
    )
        .into_response())
}

async fn redeem<S>(
    State(s): State<Service<S>>,
    Path(vendor): Path<String>,
    body: Bytes,
) -> Result<axum::Json<Redeemed>, ApiError>
where
    S: Store + Send + 'static,
{
    let vendor = VendorId::from_bytes(parse_id("vendor", &vendor)?);
    let claim = AnyClaim::decode(&body)?;
    let offset = s.inner.clock_offset;
    let r = s
        .with_broker(move |b| claim.redeem(b, &vendor, clock(offset)))
        .await??;
    tracing::info!(
        kind = %r.kind,
        key = %hex::encode(&r.key.0),
        owed = r.owed,
        units = r.units,
        over_limit = r.over_limit,
        "redeemed"
    );
    Ok(axum::Json(r))
}

async fn vendor_balance<S>(
    State(s): State<Service<S>>,
    Path(vendor): Path<String>,
) -> Result<axum::Json<VendorBalance>, ApiError>
where
    S: Store + Send + 'static,
{
    let vendor = VendorId::from_bytes(parse_id("vendor", &vendor)?);
    let owed = s.with_broker(move |b| b.owed(&vendor)).await??;
    Ok(axum::Json(VendorBalance {
        vendor: Hex(vendor.as_bytes().to_vec()),
        owed,
    }))
}

async fn balance<S>(
    State(s): State<Service<S>>,
    Path(digest): Path<String>,
) -> Result<axum::Json<CertificateBalance>, ApiError>
where
    S: Store + Send + 'static,
{
    let digest = Digest::from_bytes(parse_id("certificate digest", &digest)?);
    let offset = s.inner.clock_offset;
    let (credited, reserved, debts) = s
        .with_broker(move |b| {
            let t = clock(offset);
            Ok::<_, ApiError>((
                b.credited(&digest)?,
                b.reserved(&digest, t)?,
                b.debts(&digest)?.len(),
            ))
        })
        .await??;
    Ok(axum::Json(CertificateBalance {
        certificate: Hex(digest.as_bytes().to_vec()),
        credited,
        reserved,
        debts,
    }))
}

async fn debt<S>(
    State(s): State<Service<S>>,
    Path(key): Path<String>,
) -> Result<axum::Json<DebtView>, ApiError>
where
    S: Store + Send + 'static,
{
    let key = Digest::from_bytes(parse_id("debt key", &key)?);
    let d = s
        .with_broker(move |b| b.debt(&key))
        .await??
        .ok_or_else(|| ApiError::not_found("no debt under that key"))?;
    Ok(axum::Json(DebtView {
        key: Hex(key.as_bytes().to_vec()),
        certificate: Hex(d.certificate.as_bytes().to_vec()),
        units: d.units,
        credited: d.credited,
    }))
}

async fn reserve<S>(
    State(s): State<Service<S>>,
    body: Bytes,
) -> Result<axum::Json<Reserved>, ApiError>
where
    S: Store + Send + 'static,
{
    let req: ReserveRequest = parse_json(&body)?;
    let certificate: Certificate = decode("certificate", &req.certificate.0)?;
    let target = Target::decode(&req.target)?;
    let signer = Arc::clone(&s.inner.signer);
    let (amount, expires) = (req.amount, req.expires);
    let offset = s.inner.clock_offset;
    let r = s
        .with_broker(move |b| {
            b.reserve(
                &certificate,
                target.as_target(),
                amount,
                clock(offset),
                expires,
                &*signer,
            )
        })
        .await??;
    tracing::info!(amount, expires, "reserved");
    Ok(axum::Json(Reserved {
        reservation: Hex(r.to_bytes()),
    }))
}

async fn fraud_proof<S>(
    State(s): State<Service<S>>,
    body: Bytes,
) -> Result<axum::Json<FraudProofBody>, ApiError>
where
    S: Store + Send + 'static,
{
    let certificate: Certificate = decode("certificate", &body)?;
    let proof = s
        .with_broker(move |b| b.credit_overspend_proof(&certificate))
        .await??
        .ok_or_else(|| ApiError::not_found("no overspend under that certificate"))?;
    Ok(axum::Json(FraudProofBody {
        proof: Hex(proof.to_bytes()),
    }))
}

/// The default time for a whole request ([`ServiceConfig::request_timeout`]).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
