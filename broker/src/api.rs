//! The broker service's HTTP API: routes and the JSON bodies both the
//! [service](crate::service) and the [client](crate::client) use.
//!
//! Claims travel as their canonical binary encoding
//! (`application/octet-stream`); everything else is JSON, with byte
//! strings (messages, ids, keys) as lowercase hex. Every error is a JSON
//! [`ErrorBody`] with a machine-readable code and a message saying what was
//! wrong.
//!
//! | Method and path | Body | Answer |
//! |---|---|---|
//! | `GET /v1/health` | | [`Health`] |
//! | `GET /v1/broker` | | [`BrokerInfo`] |
//! | `POST /v1/certificates` (operator token) | [`IssueRequest`] | [`Issued`] |
//! | `POST /v1/vendors/{vendor}/claims` | a claim's bytes | [`Redeemed`] |
//! | `GET /v1/vendors/{vendor}` | | [`VendorBalance`] |
//! | `POST /v1/reservations` | [`ReserveRequest`] | [`Reserved`] |
//! | `GET /v1/certificates/{digest}` | | [`CertificateBalance`] |
//! | `GET /v1/debts/{key}` | | [`DebtView`] |
//! | `POST /v1/fraud-proofs` | a certificate's bytes | [`FraudProofBody`] (404 if none) |
//!
//! # Examples
//!
//! ```
//! use payword_broker::api::{ErrorBody, Hex};
//!
//! let e: ErrorBody = serde_json::from_str(r#"{"error":"decode","message":"truncated"}"#)?;
//! assert_eq!(e.error, "decode");
//! assert_eq!(serde_json::to_string(&Hex(vec![0xab, 1]))?, r#""ab01""#);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes written as lowercase hex in JSON.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Hex(pub Vec<u8>);

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({})", hex::encode(&self.0))
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.as_bytes())
            .map(Hex)
            .map_err(serde::de::Error::custom)
    }
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"`.
    pub status: String,
}

/// `GET /v1/broker`: the broker's public identity and rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerInfo {
    /// The broker id (32 bytes).
    pub id: Hex,
    /// The broker's public key, canonical encoding.
    pub key: Hex,
    /// Seconds after a commitment's expiry during which it is still redeemed.
    pub grace: u64,
    /// The most chain steps one claim may cost.
    pub claim_step_limit: u32,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
}

/// `POST /v1/certificates` (operator only): what the certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// The customer's pseudonymous id (16 bytes).
    pub customer: Hex,
    /// The customer's public key, canonical encoding.
    pub customer_key: Hex,
    /// The most the customer may spend under it.
    pub credit_limit: u64,
    /// Start of validity (seconds since the Unix epoch).
    pub valid_from: u64,
    /// End of validity.
    pub expires: u64,
}

/// The issued certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    /// Its canonical bytes.
    pub certificate: Hex,
    /// Its digest (the key of its balance).
    pub digest: Hex,
    /// The serial the broker gave it.
    pub serial: u64,
}

/// The answer to an accepted claim of any kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redeemed {
    /// `plain`, `cascade`, `leaf`, `grant` or `device`.
    pub kind: String,
    /// The debt's key (commitment digest, leaf id, grant digest, device
    /// commitment digest).
    pub key: Hex,
    /// Value newly owed to the vendor by this claim (0 for a duplicate).
    pub owed: u64,
    /// Units recorded for the debt after this claim.
    pub units: u64,
    /// Whether the certificate's credit limit cut what was owed.
    pub over_limit: bool,
    /// A fraud proof this claim revealed, canonical bytes.
    pub fraud_proof: Option<Hex>,
}

/// `GET /v1/vendors/{vendor}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorBalance {
    /// The vendor id.
    pub vendor: Hex,
    /// Value owed to it by every claim kind.
    pub owed: u64,
}

/// What a reservation holds credit for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReserveTarget {
    /// A plain commitment.
    Commitment {
        /// Its canonical bytes.
        commitment: Hex,
    },
    /// A leaf of a signed Merkle root.
    Leaf {
        /// The leaf opening's canonical bytes.
        opening: Hex,
    },
    /// A range grant of a shared commitment.
    Grant {
        /// The shared commitment.
        commitment: Hex,
        /// The grant.
        grant: Hex,
    },
    /// A device commitment of a domain.
    Device {
        /// The domain commitment.
        domain: Hex,
        /// The device commitment.
        commitment: Hex,
    },
}

/// `POST /v1/reservations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    /// The certificate's canonical bytes.
    pub certificate: Hex,
    /// What the credit is held for.
    pub target: ReserveTarget,
    /// Value held.
    pub amount: u64,
    /// When the hold lapses (seconds since the Unix epoch).
    pub expires: u64,
}

/// The broker-signed reservation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved {
    /// Its canonical bytes.
    pub reservation: Hex,
}

/// `GET /v1/certificates/{digest}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateBalance {
    /// The certificate's digest.
    pub certificate: Hex,
    /// Value credited under it by every claim kind.
    pub credited: u64,
    /// Value still held by live reservations.
    pub reserved: u64,
    /// Debts recorded under it.
    pub debts: usize,
}

/// `GET /v1/debts/{key}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtView {
    /// The debt's key.
    pub key: Hex,
    /// The certificate it is under.
    pub certificate: Hex,
    /// Units recorded.
    pub units: u64,
    /// Value credited for it.
    pub credited: u64,
}

/// `POST /v1/fraud-proofs`: a proof that the certificate's customer spent
/// past the credit limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FraudProofBody {
    /// The proof's canonical bytes.
    pub proof: Hex,
}

/// Every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short machine-readable code (`decode`, `refused`, `unauthorized`,
    /// `not_found`, `too_large`, `timeout`, `unavailable`, …).
    pub error: String,
    /// What was wrong, for people.
    pub message: String,
    /// A fraud proof the refusal revealed (a one-time key used twice),
    /// canonical bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_proof: Option<Hex>,
}
