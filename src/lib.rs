#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(all(feature = "std", not(test)))]
extern crate std;

#[cfg(all(feature = "protocol", feature = "alloc"))]
mod broker;
mod bytes;
pub mod chain;
#[cfg(feature = "protocol")]
mod check;
pub mod cost;
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod fraud;
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod goods;
mod hash;
pub mod lmots;
#[cfg(feature = "protocol")]
mod message;
#[cfg(all(feature = "protocol", feature = "alloc"))]
mod multi;
#[cfg(feature = "protocol")]
pub mod offer;
mod payment;
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod redeem;
#[cfg(feature = "protocol")]
pub mod renew;
#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "protocol")]
mod session;
#[cfg(all(feature = "protocol", feature = "std"))]
pub mod sessions;
#[cfg(feature = "protocol")]
mod sign;
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod store;
#[cfg(feature = "symmetric")]
pub mod symmetric;
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod uri;
mod verify;
#[cfg(feature = "protocol")]
mod wallet;
mod wire;

/// PayTree-style Merkle commitments: one customer signature over per-vendor
/// leaves (vendor, chain, unit value, cap), the vendor's [`LeafSession`](tree::LeafSession)
/// and the broker's [`Broker::redeem_leaf`]. Wire tags `0x20`–`0x22`.
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod tree {
    pub use crate::multi::merkle::*;
    pub use crate::multi::{MAX_DEPTH, MAX_LEAVES};
}

/// One committed chain shared by several vendors through customer-signed
/// range grants; overlapping grants of different vendors are an
/// equivocation proof. Wire tags `0x23`–`0x25`.
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod grant {
    pub use crate::multi::grant::*;
}

/// Domain accounts (domainPay): one customer-signed domain of up to
/// [`MAX_DEVICES`](domain::MAX_DEVICES) device keys with per-device and
/// domain-wide limits. Wire tags `0x27`–`0x29`.
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod domain {
    pub use crate::multi::domain::*;
}

/// Broker-signed credit reservations (NPAY-style pre-debit) for an
/// authenticated target. Wire tag `0x26`.
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub mod reservation {
    pub use crate::multi::reservation::*;
}

/// Wire type tags of the plain PayWord messages.
#[cfg(feature = "protocol")]
pub use message::tag;

#[cfg(all(feature = "symmetric", feature = "alloc"))]
pub use broker::symmetric::{SymmetricCredit, SymmetricRedeemError};
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub use broker::{
    Broker, BrokerError, DEFAULT_CLAIM_STEP_LIMIT, Debt, MAX_ATTEMPTS, MAX_DEBTS, MAX_HOLDS,
    MAX_MEMBERS, OverspendProof, ProofError, RedeemError, Redemption, Refusal, StoreFailure,
};
pub use bytes::{HexError, LengthError};
#[cfg(feature = "alloc")]
pub use chain::traversal::{Checkpoints, StoreAll};
pub use chain::traversal::{MAX_PEBBLES, Pebbler, PebblerStateError, Traversal};
pub use chain::{
    Anchor, ChainError, ChainId, ChainParams, ChainSeed, MAX_CHAIN_LENGTH, Payword, Word,
};
#[cfg(feature = "protocol")]
pub use check::SessionError;
#[cfg(feature = "std")]
pub use cost::{Counting, HashCount, Tally};
pub use hash::{Blake3, Digest, HashAlg, Role, Sha256, Tweak, TweakableHash, WalkLane};
#[cfg(feature = "protocol")]
pub use message::{
    AnyMessage, BrokerId, Certificate, CertificateFields, Commitment, CommitmentFields,
    CommittedChain, CustomerId, RedemptionClaim, VendorId,
};
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub use multi::MultiError;
pub use payment::{Payment, PaymentBody};
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub use session::ResumeError;
#[cfg(feature = "protocol")]
pub use session::Session;
#[cfg(all(feature = "lms", feature = "alloc"))]
pub use sign::LmsSigner;
#[cfg(all(feature = "lms", feature = "std"))]
pub use sign::SharedLmsSigner;
#[cfg(feature = "protocol")]
pub use sign::{
    MessageSigner, PublicKey, SigAlg, SignError, Signature, SignatureError, Signed, SignedFields,
};
#[cfg(all(feature = "protocol", feature = "alloc"))]
pub use store::MemoryStore;
pub use verify::{
    BATCH_LANES, DEFAULT_STEP_LIMIT, MAX_DENOMINATIONS, Purse, PurseAnchors, PurseError,
    PurseParams, PursePayment, PurseReceiver, Receiver, ReceiverStateError, VerifyError,
};
#[cfg(feature = "protocol")]
pub use wallet::{PayError, Wallet, WalletError, WalletStore};
pub use wire::{DecodeError, Encode, TextError};
