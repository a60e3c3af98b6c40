//! A blocking client of the broker service, for vendors, customers and
//! operators.
//!
//! # Examples
//!
//! ```no_run
//! use payword_broker::client::Client;
//!
//! let broker = Client::new("http://127.0.0.1:8402");
//! let info = broker.info()?;
//! println!("broker {} with key {}", hex::encode(&info.id.0), hex::encode(&info.key.0));
//! # Ok::<(), payword_broker::client::ClientError>(())
//! ```

use std::fmt;
use std::time::Duration;

use payword::{Certificate, Digest, Encode, VendorId};
use serde::de::DeserializeOwned;

use crate::api::{
    BrokerInfo, CertificateBalance, DebtView, ErrorBody, FraudProofBody, Health, IssueRequest,
    Issued, Redeemed, ReserveRequest, Reserved, VendorBalance,
};

/// The largest answer read, in bytes.
const MAX_ANSWER: u64 = 1 << 20;

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The service could not be reached or the connection failed.
    Transport(String),
    /// The service answered with an error.
    Status {
        /// The HTTP status.
        status: u16,
        /// The service's error body.
        body: ErrorBody,
    },
    /// The answer did not parse.
    BadAnswer(String),
}

impl ClientError {
    /// The HTTP status, for an error answer.
    #[must_use]
    pub const fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether retrying may help: the service was unreachable or its store
    /// failed (every broker operation is idempotent, so a retry is safe).
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status { status, .. } => *status == 503 || *status == 408,
            Self::BadAnswer(_) => false,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "broker unreachable: {e}"),
            Self::Status { status, body } => {
                write!(
                    f,
                    "broker answered {status} {}: {}",
                    body.error, body.message
                )
            }
            Self::BadAnswer(e) => write!(f, "broker answer does not parse: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A client of one broker service.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the service at `base` (`http://host:port`), with a
    /// 30-second timeout per call.
    #[must_use]
    pub fn new(base: &str) -> Self {
        Self::with_timeout(base, Duration::from_secs(30))
    }

    /// A client with a timeout per call.
    #[must_use]
    pub fn with_timeout(base: &str, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn answer<T: DeserializeOwned>(
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let mut response = result.map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer(e.to_string()))
        } else {
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
                error: "http".into(),
                message: String::from_utf8_lossy(&bytes).into_owned(),
                fraud_proof: None,
            });
            Err(ClientError::Status { status, body })
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Self::answer(self.agent.get(&self.url(path)).call())
    }

    fn post_bytes<T: DeserializeOwned>(&self, path: &str, body: &[u8]) -> Result<T, ClientError> {
        Self::answer(
            self.agent
                .post(&self.url(path))
                .header("content-type", "application/octet-stream")
                .send(body),
        )
    }

    fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
        token: Option<&str>,
    ) -> Result<T, ClientError> {
        let json = serde_json::to_vec(body).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        let mut req = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        Self::answer(req.send(&json[..]))
    }

    /// `GET /v1/health`.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn health(&self) -> Result<Health, ClientError> {
        self.get("/v1/health")
    }

    /// `GET /v1/broker`: the broker's id, key and rules.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn info(&self) -> Result<BrokerInfo, ClientError> {
        self.get("/v1/broker")
    }

    /// `POST /v1/certificates` with the operator's token: issues a
    /// certificate; returns it decoded with the raw answer.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; [`ClientError::BadAnswer`] if the certificate does
    /// not decode.
    pub fn issue(
        &self,
        operator_token: &str,
        request: &IssueRequest,
    ) -> Result<(Certificate, Issued), ClientError> {
        let issued: Issued = self.post_json("/v1/certificates", request, Some(operator_token))?;
        let cert = Certificate::decode(&issued.certificate.0)
            .map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        Ok((cert, issued))
    }

    /// `POST /v1/vendors/{vendor}/claims`: redeems a claim of any kind.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; a refused claim is [`ClientError::Status`] 422.
    pub fn redeem<C: Encode>(&self, vendor: &VendorId, claim: &C) -> Result<Redeemed, ClientError> {
        self.redeem_bytes(vendor, &claim.to_bytes())
    }

    /// Redeems a claim already encoded (or any bytes, for tests of the
    /// service's input handling).
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn redeem_bytes(&self, vendor: &VendorId, claim: &[u8]) -> Result<Redeemed, ClientError> {
        let path = format!("/v1/vendors/{}/claims", hex::encode(vendor.as_bytes()));
        self.post_bytes(&path, claim)
    }

    /// `GET /v1/vendors/{vendor}`: what the vendor is owed.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn owed(&self, vendor: &VendorId) -> Result<u64, ClientError> {
        let b: VendorBalance =
            self.get(&format!("/v1/vendors/{}", hex::encode(vendor.as_bytes())))?;
        Ok(b.owed)
    }

    /// `GET /v1/certificates/{digest}`.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn balance(&self, certificate: &Digest) -> Result<CertificateBalance, ClientError> {
        self.get(&format!(
            "/v1/certificates/{}",
            hex::encode(certificate.as_bytes())
        ))
    }

    /// `GET /v1/debts/{key}`.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; 404 if there is no such debt.
    pub fn debt(&self, key: &Digest) -> Result<DebtView, ClientError> {
        self.get(&format!("/v1/debts/{}", hex::encode(key.as_bytes())))
    }

    /// `POST /v1/reservations`.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub fn reserve(&self, request: &ReserveRequest) -> Result<Reserved, ClientError> {
        self.post_json("/v1/reservations", request, None)
    }

    /// `POST /v1/fraud-proofs`: a proof that the certificate's customer
    /// spent past its limit, if the broker has one.
    ///
    /// # Errors
    ///
    /// [`ClientError`] (other than 404, which is `Ok(None)`).
    pub fn fraud_proof(&self, certificate: &Certificate) -> Result<Option<Vec<u8>>, ClientError> {
        match self.post_bytes::<FraudProofBody>("/v1/fraud-proofs", &certificate.to_bytes()) {
            Ok(p) => Ok(Some(p.proof.0)),
            Err(ClientError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
