#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(all(feature = "std", not(test)))]
extern crate std;

#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub mod broker;
mod bytes;
pub mod chain;
#[cfg(feature = "ed25519")]
mod check;
#[cfg(feature = "std")]
mod cost;
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub mod fraud;
mod hash;
pub mod lmots;
#[cfg(feature = "ed25519")]
pub mod message;
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub mod multi;
#[cfg(feature = "ed25519")]
pub mod renew;
#[cfg(all(feature = "serde", feature = "ed25519"))]
mod serde_impl;
#[cfg(feature = "ed25519")]
pub mod session;
#[cfg(feature = "ed25519")]
pub mod sign;
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub mod store;
pub mod verify;
mod wire;

#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub use broker::{
    Broker, BrokerError, DEFAULT_CLAIM_STEP_LIMIT, Debt, OverspendProof, ProofError, RedeemError,
    Redemption, Refusal, StoreFailure,
};
pub use bytes::{HexError, LengthError};
pub use chain::traversal::{self, MAX_PEBBLES, Pebbler, PebblerStateError, Traversal};
#[cfg(feature = "alloc")]
pub use chain::traversal::{Checkpoints, StoreAll};
pub use chain::{
    Anchor, ChainError, ChainId, ChainParams, ChainSeed, MAX_CHAIN_LENGTH, Payword, Word,
};
#[cfg(feature = "ed25519")]
pub use check::SessionError;
#[cfg(feature = "std")]
pub use cost::{Counting, HashCount};
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub use fraud::{DomainOverspendProof, FraudError, FraudProof, MultiRedemption};
pub use hash::{Blake3, HashAlg, Role, Sha256, Tweak, TweakableHash};
pub use lmots::lms::{LmsParams, LmsPublicKey, hss_verify, lms_verify};
pub use lmots::{LmotsError, LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
#[cfg(feature = "ed25519")]
pub use message::{
    AnyMessage, BrokerId, Certificate, CertificateFields, Commitment, CommitmentFields,
    CommittedChain, CustomerId, Encode, Payment, PaymentBody, RedemptionClaim, VendorId,
};
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub use multi::{
    MultiError,
    domain::{
        DeviceClaim, DeviceCommitment, DeviceCommitmentFields, DeviceSession, DomainCommitment,
        DomainCommitmentFields,
    },
    grant::{
        GrantClaim, GrantSession, RangeGrant, RangeGrantFields, SharedCommitment,
        SharedCommitmentFields,
    },
    merkle::{
        AuthPath, Leaf, LeafClaim, LeafOpening, LeafSession, MerkleTree, MultiCommitment,
        MultiCommitmentFields,
    },
    reservation::{Reservation, ReservationFields},
};
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub use renew::{CascadeClaim, CascadeError, CascadeRedemption, OtsReuseProof, RenewedChain};
#[cfg(feature = "ed25519")]
pub use renew::{
    LinkFields, MAX_CASCADE, RENEWAL_LMOTS, RenewError, RenewalLink, RenewingWallet, Window,
};
#[cfg(feature = "ed25519")]
pub use session::Session;
#[cfg(feature = "ed25519")]
pub use sign::{
    Digest, MessageSigner, PublicKey, SigAlg, SignError, Signature, SignatureError, Signed,
    SignedFields,
};
#[cfg(all(feature = "ed25519", feature = "alloc"))]
pub use store::MemoryStore;
pub use verify::{
    DEFAULT_STEP_LIMIT, MAX_DENOMINATIONS, Purse, PurseAnchors, PurseError, PurseParams,
    PursePayment, PurseReceiver, Receiver, VerifyError,
};
pub use wire::DecodeError;
