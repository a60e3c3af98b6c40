//! Keys, certificates and commitments over genuine chains.
//!
//! Everything is deterministic: keys from fixed bytes, chains from seeds the
//! fuzz input picks. Signing goes through payword's own `MessageSigner`, so a
//! fuzz build gets `cfg(fuzzing)` signatures and a test build real Ed25519 ones.
//! [`Signing::Fuzzing`] builds what a fuzz build would, whatever the build:
//! that is how the seed generator writes messages whose signatures the
//! fuzz build accepts.

use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use payword::tag;
use payword::{
    Anchor, Blake3, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    Commitment, CommitmentFields, CommittedChain, CustomerId, Digest, Encode, HashAlg,
    MessageSigner, PaymentBody, Payword, PublicKey, PurseAnchors, PurseParams, PursePayment,
    Sha256, TweakableHash, VendorId, Word,
};

/// The broker of every fixture.
pub const BROKER_ID: BrokerId = BrokerId::from_bytes([0xb0; 32]);
/// The vendor sessions are opened for.
pub const VENDOR: VendorId = VendorId::from_bytes([0x7e; 32]);
/// Another vendor.
pub const OTHER_VENDOR: VendorId = VendorId::from_bytes([0x7f; 32]);
/// Certificates are valid from…
pub const CERT_FROM: u64 = 500;
/// …until.
pub const CERT_UNTIL: u64 = 2500;
/// Commitments are valid from…
pub const COMMIT_FROM: u64 = 1000;
/// …until.
pub const COMMIT_UNTIL: u64 = 2000;
/// A time inside every validity window.
pub const NOW: u64 = 1500;
/// The broker's grace period after a commitment expires.
pub const GRACE: u64 = 100;
/// Number of customer keys.
pub const CUSTOMERS: usize = 3;

/// Key 0 is the broker's, keys 1..=3 the customers'.
static SIGNERS: LazyLock<[SigningKey; 1 + CUSTOMERS]> = LazyLock::new(|| {
    #[cfg(fuzzing)]
    check_fuzz_digest();
    core::array::from_fn(|i| SigningKey::from_bytes(&[u8::try_from(i).unwrap_or(0) + 1; 32]))
});

/// The broker's signing key.
#[must_use]
pub fn broker_signer() -> &'static SigningKey {
    &SIGNERS[0]
}

/// The broker's public key.
#[must_use]
pub fn broker_key() -> PublicKey {
    broker_signer().public_key()
}

/// Customer `i`'s signing key (taken modulo [`CUSTOMERS`]).
#[must_use]
pub fn customer_signer(i: usize) -> &'static SigningKey {
    &SIGNERS[1 + i % CUSTOMERS]
}

/// The digest `src/sign.rs` computes under `cfg(fuzzing)`: a fold of the
/// unsigned encoding, seeded with the type tag. Keep in sync with
/// `payword::message_digest`; every fuzz build checks the two agree
/// before its first input.
#[must_use]
pub fn fuzz_digest(type_tag: u8, body: &[u8]) -> Digest {
    let mut d = [type_tag; 32];
    for (i, b) in body.iter().enumerate() {
        d[i % 32] ^= b.rotate_left(u32::try_from((i / 32) % 8).unwrap_or(0));
    }
    Digest::from_bytes(d)
}

/// The encoding of an Ed25519-signed message without its signature (the last
/// 65 bytes).
fn unsigned<T: Encode>(msg: &T) -> Vec<u8> {
    let mut bytes = msg.to_bytes();
    bytes.truncate(
        bytes
            .len()
            .saturating_sub(payword::Signature::ED25519_ENCODED_LEN),
    );
    bytes
}

/// `msg` with the signature a `cfg(fuzzing)` signer would have made.
fn with_fuzz_signature<T: Encode + core::fmt::Debug>(msg: &T) -> T {
    let mut bytes = msg.to_bytes();
    let d = fuzz_digest(T::TAG, &unsigned(msg));
    let sig_at = bytes.len() - 64;
    bytes[sig_at..sig_at + 32].copy_from_slice(d.as_bytes());
    bytes[sig_at + 32..].fill(0);
    T::decode(&bytes).expect("re-signed message decodes")
}

/// Panics if [`fuzz_digest`] and [`Signing::Fuzzing`] no longer match what
/// payword does under `cfg(fuzzing)`.
#[cfg(fuzzing)]
fn check_fuzz_digest() {
    // Not through `SIGNERS`: this runs while it is being initialised.
    let key = SigningKey::from_bytes(&[0x55; 32]);
    let fields = CertificateFields {
        broker: BROKER_ID,
        serial: 7,
        customer: CustomerId::from_bytes([1; 16]),
        customer_key: key.public_key(),
        credit_limit: 1000,
        valid_from: CERT_FROM,
        expires: CERT_UNTIL,
    };
    let native = Certificate::issue(fields, &key).expect("issue");
    assert_eq!(
        native.digest(),
        fuzz_digest(tag::CERTIFICATE, &unsigned(&native)),
        "fuzz/src/fixture.rs: fuzz_digest is out of sync with payword's cfg(fuzzing) digest"
    );
    assert_eq!(
        native,
        with_fuzz_signature(&native),
        "cfg(fuzzing) signatures changed shape"
    );
}

/// How fixtures are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// As this build signs (real Ed25519, or the `cfg(fuzzing)` stand-in).
    Native,
    /// As a `cfg(fuzzing)` build signs, in any build (for seed files).
    Fuzzing,
}

impl Signing {
    /// A certificate issued by the broker.
    #[must_use]
    pub fn certificate(self, fields: CertificateFields) -> Certificate {
        let c = Certificate::issue(fields, broker_signer()).expect("fixture certificate");
        match self {
            Self::Native => c,
            Self::Fuzzing => with_fuzz_signature(&c),
        }
    }

    /// A certificate's identity.
    #[must_use]
    pub fn certificate_digest(self, c: &Certificate) -> Digest {
        match self {
            Self::Native => c.digest(),
            Self::Fuzzing => fuzz_digest(tag::CERTIFICATE, &unsigned(c)),
        }
    }

    /// A commitment signed by `customer`, naming `certificate`.
    #[must_use]
    pub fn commitment(
        self,
        certificate: &Certificate,
        customer: usize,
        vendor: VendorId,
        unit_value: u64,
        chain: CommittedChain,
    ) -> Commitment {
        let fields = CommitmentFields {
            certificate: self.certificate_digest(certificate),
            vendor,
            unit_value,
            valid_from: COMMIT_FROM,
            expires: COMMIT_UNTIL,
            chain,
            renewal: None,
        };
        let c = Commitment::sign(fields, customer_signer(customer)).expect("fixture commitment");
        match self {
            Self::Native => c,
            Self::Fuzzing => with_fuzz_signature(&c),
        }
    }

    /// A commitment's identity.
    #[must_use]
    pub fn commitment_digest(self, c: &Commitment) -> Digest {
        match self {
            Self::Native => c.digest(),
            Self::Fuzzing => fuzz_digest(tag::COMMITMENT, &unsigned(c)),
        }
    }
}

/// The fields of customer `customer`'s certificate.
#[must_use]
pub fn certificate_fields(customer: usize, serial: u64, credit_limit: u64) -> CertificateFields {
    CertificateFields {
        broker: BROKER_ID,
        serial,
        customer: CustomerId::from_bytes([u8::try_from(customer % 256).unwrap_or(0); 16]),
        customer_key: customer_signer(customer).public_key(),
        credit_limit,
        valid_from: CERT_FROM,
        expires: CERT_UNTIL,
    }
}

/// Every word of one chain: `words[i] = w_i`, `i = 0..=n`.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The chain's parameters.
    pub params: ChainParams,
    /// `w_0` (the anchor) to `w_n`.
    pub words: Vec<Word>,
}

impl Chain {
    /// The genuine chain of `params` from `seed` (`n + 1` hashes).
    #[must_use]
    pub fn new(params: ChainParams, seed: &ChainSeed) -> Self {
        match params.alg() {
            HashAlg::Blake3 => Self::build::<Blake3>(params, seed),
            _ => Self::build::<Sha256>(params, seed),
        }
    }

    fn build<H: TweakableHash>(params: ChainParams, seed: &ChainSeed) -> Self {
        let n = params.length();
        let mut words = vec![Word::from_bytes([0; 32]); n as usize + 1];
        let mut w = payword::chain::top_word::<H>(seed, &params).expect("matching hash");
        words[n as usize] = w;
        for i in (1..=n).rev() {
            w = H::chain_step(params.id(), i, &w);
            words[i as usize - 1] = w;
        }
        Self { params, words }
    }

    /// The anchor `w_0`.
    #[must_use]
    pub fn anchor(&self) -> Anchor {
        Anchor::from_bytes(self.words[0].to_bytes())
    }

    /// The length `n`.
    #[must_use]
    pub fn length(&self) -> u32 {
        self.params.length()
    }

    /// The word presented with `index`: the genuine `w_index` for
    /// `index ≤ n`, the top word past the end.
    #[must_use]
    pub fn word(&self, index: u32) -> Word {
        let i = usize::try_from(index)
            .unwrap_or(usize::MAX)
            .min(self.words.len() - 1);
        self.words[i]
    }

    /// Whether `(index, word)` is a genuine payword of this chain.
    #[must_use]
    pub fn is_genuine(&self, p: &Payword) -> bool {
        p.index() <= self.length() && *p.word() == self.word(p.index())
    }
}

/// What a commitment binds: one chain, or the chains of a purse.
#[derive(Clone, Debug)]
pub enum Funds {
    /// A single chain.
    Single(Chain),
    /// A purse: chain `j` pays `base^j` units per payword.
    Purse {
        /// The purse parameters.
        params: PurseParams,
        /// The chains, denomination 0 first.
        chains: Vec<Chain>,
    },
}

impl Funds {
    /// A single chain of length `n` (at least 1).
    #[must_use]
    pub fn single(alg: HashAlg, id: ChainId, seed: &ChainSeed, n: u32) -> Self {
        let params = ChainParams::new(alg, id, n.max(1).into()).expect("length ≥ 1");
        Self::Single(Chain::new(params, seed))
    }

    /// A purse of `m` chains (1 to 8) of length `n`, base `b ≥ 2`.
    #[must_use]
    pub fn purse(alg: HashAlg, id: ChainId, seed: &ChainSeed, base: u32, m: u8, n: u32) -> Self {
        let params = PurseParams::new(alg, id, base, m, n.max(1).into()).expect("purse parameters");
        let chains = (0..m)
            .map(|j| Chain::new(params.chain(j).expect("j < m"), seed))
            .collect();
        Self::Purse { params, chains }
    }

    /// What a commitment to these funds says.
    #[must_use]
    pub fn committed(&self) -> CommittedChain {
        match self {
            Self::Single(c) => CommittedChain::Single {
                params: c.params,
                anchor: c.anchor(),
            },
            Self::Purse { params, chains } => {
                let anchors: Vec<Anchor> = chains.iter().map(Chain::anchor).collect();
                CommittedChain::Purse {
                    params: *params,
                    anchors: PurseAnchors::from_slice(&anchors).expect("1 to 8 anchors"),
                }
            }
        }
    }

    /// Whether this is a purse.
    #[must_use]
    pub fn is_purse(&self) -> bool {
        matches!(self, Self::Purse { .. })
    }

    /// Number of chains.
    #[must_use]
    pub fn denominations(&self) -> u8 {
        match self {
            Self::Single(_) => 1,
            Self::Purse { params, .. } => params.denominations(),
        }
    }

    /// Chain `j` (the only chain for `j = 0` of a single chain).
    #[must_use]
    pub fn chain(&self, j: u8) -> Option<&Chain> {
        match self {
            Self::Single(c) => (j == 0).then_some(c),
            Self::Purse { chains, .. } => chains.get(usize::from(j)),
        }
    }

    /// The common length `n` of the chains.
    #[must_use]
    pub fn length(&self) -> u32 {
        self.chain(0).map_or(0, Chain::length)
    }

    /// Units one payword of chain `j` is worth.
    #[must_use]
    pub fn value(&self, j: u8) -> u64 {
        match self {
            Self::Single(_) => u64::from(j == 0),
            Self::Purse { params, .. } => params.value(j),
        }
    }

    /// The payment body revealing the genuine paywords at `last[j]` for every
    /// chain with `last[j] > 0` (`None` if there is none).
    #[must_use]
    pub fn genuine_body(&self, last: &[u32]) -> Option<PaymentBody> {
        match self {
            Self::Single(c) => {
                let i = *last.first()?;
                (i > 0).then(|| PaymentBody::Single(Payword::new(i, c.word(i))))
            }
            Self::Purse { chains, .. } => {
                let mut pay = PursePayment::new();
                let mut any = false;
                for (j, (c, &i)) in chains.iter().zip(last).enumerate() {
                    if i > 0 {
                        pay = pay.with(u8::try_from(j).unwrap_or(0), Payword::new(i, c.word(i)));
                        any = true;
                    }
                }
                any.then_some(PaymentBody::Purse(pay))
            }
        }
    }

    /// Units the paywords at `last[j]` pay in total.
    #[must_use]
    pub fn units(&self, last: &[u32]) -> u64 {
        last.iter()
            .zip(0u8..)
            .map(|(&i, j)| u64::from(i) * self.value(j))
            .sum()
    }
}

/// A chain id and a seed expanded from a few fuzz-chosen bytes.
#[must_use]
pub fn id_and_seed(tag: u8, bytes: &[u8]) -> (ChainId, ChainSeed) {
    let mut id = [tag; 16];
    let mut seed = [!tag; 32];
    for (i, b) in bytes.iter().enumerate() {
        id[i % 16] ^= b.wrapping_mul(31);
        seed[i % 32] ^= *b;
    }
    (ChainId::from_bytes(id), ChainSeed::from_bytes(seed))
}

/// `alg` from one bit.
#[must_use]
pub const fn alg_from_bit(bit: bool) -> HashAlg {
    if bit {
        HashAlg::Blake3
    } else {
        HashAlg::Sha256
    }
}
