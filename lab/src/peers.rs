//! The peer baselines, run on the same workloads as the schemes and counted
//! with the same counters ([`PartyCost`]) as far as each peer allows:
//!
//! - **Signed voucher** ([`Peer::Voucher`]): a payment channel in which every
//!   payment is a voucher (channel id, cumulative amount, nonce) signed with
//!   Ed25519, as in Filecoin payment channels and x402's `exact` scheme. Run
//!   for real with `ed25519-dalek` (strict verification, as payword's);
//!   signatures are counted as they are made and verified, and Ed25519's
//!   internal SHA-512 goes with its signature (as message digests do in
//!   payword's counts).
//! - **LMS per payment** ([`Peer::Lms`]): the same channel with a hash-based
//!   signature per payment (RFC 8554 LMS, `LMS_SHA256_M32_H10` /
//!   `LMOTS_SHA256_N32_W4`) from `hbs-lms`. hbs-lms has no hash counter,
//!   but it takes its hash function as a type parameter: [`CountingLmsHash`]
//!   counts every hash call (and the SHA-256 compressions they take) that
//!   hbs-lms makes, and [`rfc8554_verify_hashes`] gives the RFC 8554
//!   analytic count for a signature, which the tests assert equal. Workload
//!   totals scale the mean of a measured sample of signatures.
//! - **Raw hash-chain kernel** ([`Peer::Tape`]): `tape_sha256::hash_chain`,
//!   a chain of plain SHA-256 links with no protocol around it (no
//!   certificate, commitment, tweak or message format): the customer builds
//!   the chain, the vendor hashes each revealed word back to the last one,
//!   the broker hashes the last word back to the anchor. Steps are counted
//!   as they are requested (tape-sha256 has no counter; one link is one
//!   compression).

use std::cell::Cell;
use std::fmt;

use digest::{FixedOutput, Output, OutputSizeUser, Update, consts::U32};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hbs_lms::{
    HashChain, HssParameter, LmotsAlgorithm, LmsAlgorithm, MAX_HASH_SIZE, Seed, Sha256_256,
};
use payword::cost::model::{Costs, PartyCost, Workload};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng as _};
use tinyvec::ArrayVec;

use crate::error::LabError;

/// A peer baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    /// A signed-voucher channel: one Ed25519 signature per payment.
    Voucher,
    /// LMS (RFC 8554) per payment, with `hbs-lms`.
    Lms,
    /// The raw SHA-256 hash-chain kernel of `tape-sha256`.
    Tape,
}

impl Peer {
    /// Every peer, in report order.
    pub const ALL: [Self; 3] = [Self::Voucher, Self::Lms, Self::Tape];

    /// A short name for command lines, tables and files.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Voucher => "voucher",
            Self::Lms => "lms",
            Self::Tape => "tape-sha256",
        }
    }

    /// The peer called `name` (see [`Peer::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What the peer is, in one line.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Voucher => {
                "signed-voucher channel (Filecoin payment channels, x402 exact): one Ed25519 signature per payment, ed25519-dalek"
            }
            Self::Lms => {
                "the same channel with one LMS signature per payment (RFC 8554, H10/W4), hbs-lms"
            }
            Self::Tape => {
                "raw SHA-256 hash chain, tape-sha256::hash_chain: chain steps only, no protocol"
            }
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------
// Signed vouchers.

/// Bytes of a voucher's signed body: channel id (32), cumulative amount
/// (u64), nonce (u64), big-endian.
pub const VOUCHER_BODY_LEN: usize = 48;
/// Bytes of an encoded voucher: body and Ed25519 signature (64).
pub const VOUCHER_LEN: usize = VOUCHER_BODY_LEN + 64;
/// Bytes of a channel-open message: channel id (32), customer key (32),
/// vendor id (32), deposit (u64), expiry (u64), Ed25519 signature (64).
pub const CHANNEL_OPEN_LEN: usize = 32 + 32 + 32 + 8 + 8 + 64;
/// Bytes of an LMS key registration after the first (carried by the open):
/// channel id (32), LMS public key, Ed25519 signature (64).
pub const LMS_KEY_MESSAGE_FIXED: usize = 32 + 64;

/// The domain tag signed before a voucher body (not sent).
const VOUCHER_DOMAIN: &[u8] = b"payword-lab voucher v1";

/// A signed voucher: "the channel `channel` owes the vendor `amount` in
/// total", with a strictly increasing nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voucher {
    /// The channel.
    pub channel: [u8; 32],
    /// Cumulative amount owed.
    pub amount: u64,
    /// Strictly increasing per channel.
    pub nonce: u64,
    /// Ed25519 signature over the domain tag and the body.
    pub signature: [u8; 64],
}

impl Voucher {
    /// The signed body.
    #[must_use]
    pub fn body(&self) -> [u8; VOUCHER_BODY_LEN] {
        body(&self.channel, self.amount, self.nonce)
    }

    /// Signs a voucher.
    #[must_use]
    pub fn sign(key: &SigningKey, channel: [u8; 32], amount: u64, nonce: u64) -> Self {
        let sig = key.sign(&signed_message(&body(&channel, amount, nonce)));
        Self {
            channel,
            amount,
            nonce,
            signature: sig.to_bytes(),
        }
    }

    /// The encoding sent to the vendor ([`VOUCHER_LEN`] bytes).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; VOUCHER_LEN] {
        let mut out = [0u8; VOUCHER_LEN];
        let (b, s) = out.split_at_mut(VOUCHER_BODY_LEN);
        b.copy_from_slice(&self.body());
        s.copy_from_slice(&self.signature);
        out
    }

    /// Decodes exactly one voucher.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != VOUCHER_LEN {
            return None;
        }
        let channel: [u8; 32] = bytes.get(..32)?.try_into().ok()?;
        let amount = u64::from_be_bytes(bytes.get(32..40)?.try_into().ok()?);
        let nonce = u64::from_be_bytes(bytes.get(40..48)?.try_into().ok()?);
        let signature: [u8; 64] = bytes.get(48..)?.try_into().ok()?;
        Some(Self {
            channel,
            amount,
            nonce,
            signature,
        })
    }

    /// Whether the signature is valid under `key` (strict Ed25519
    /// verification, as payword's).
    #[must_use]
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&signed_message(&self.body()), &sig)
            .is_ok()
    }
}

fn body(channel: &[u8; 32], amount: u64, nonce: u64) -> [u8; VOUCHER_BODY_LEN] {
    let mut b = [0u8; VOUCHER_BODY_LEN];
    let (c, rest) = b.split_at_mut(32);
    c.copy_from_slice(channel);
    let (a, n) = rest.split_at_mut(8);
    a.copy_from_slice(&amount.to_be_bytes());
    n.copy_from_slice(&nonce.to_be_bytes());
    b
}

fn signed_message(body: &[u8; VOUCHER_BODY_LEN]) -> [u8; VOUCHER_DOMAIN.len() + VOUCHER_BODY_LEN] {
    let mut m = [0u8; VOUCHER_DOMAIN.len() + VOUCHER_BODY_LEN];
    let (d, b) = m.split_at_mut(VOUCHER_DOMAIN.len());
    d.copy_from_slice(VOUCHER_DOMAIN);
    b.copy_from_slice(body);
    m
}

/// Why a vendor refused a voucher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoucherError {
    /// Another channel's voucher.
    WrongChannel,
    /// The nonce does not increase.
    Replay,
    /// The amount does not increase, or exceeds the deposit.
    BadAmount,
    /// The signature is not valid.
    BadSignature,
}

impl fmt::Display for VoucherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WrongChannel => "voucher for another channel",
            Self::Replay => "voucher nonce does not increase",
            Self::BadAmount => "voucher amount does not increase or exceeds the deposit",
            Self::BadSignature => "voucher signature invalid",
        })
    }
}

impl std::error::Error for VoucherError {}

/// The vendor's side of a voucher channel: keeps the best voucher.
#[derive(Clone, Debug)]
pub struct VoucherChannel {
    key: VerifyingKey,
    channel: [u8; 32],
    deposit: u64,
    best: Option<Voucher>,
}

impl VoucherChannel {
    /// A channel of `deposit` from the customer key `key`.
    #[must_use]
    pub const fn new(key: VerifyingKey, channel: [u8; 32], deposit: u64) -> Self {
        Self {
            key,
            channel,
            deposit,
            best: None,
        }
    }

    /// Accepts a voucher: checks channel, nonce and amount (no work), then
    /// the signature (one Ed25519 verification); returns the amount newly
    /// paid.
    ///
    /// # Errors
    ///
    /// [`VoucherError`]; nothing changes on error.
    pub fn accept(&mut self, v: &Voucher) -> Result<u64, VoucherError> {
        if v.channel != self.channel {
            return Err(VoucherError::WrongChannel);
        }
        let (last_amount, last_nonce) = self.best.map_or((0, None), |b| (b.amount, Some(b.nonce)));
        if last_nonce.is_some_and(|n| v.nonce <= n) {
            return Err(VoucherError::Replay);
        }
        if v.amount <= last_amount || v.amount > self.deposit {
            return Err(VoucherError::BadAmount);
        }
        if !v.verify(&self.key) {
            return Err(VoucherError::BadSignature);
        }
        self.best = Some(*v);
        Ok(v.amount - last_amount)
    }

    /// The best voucher so far (what the vendor redeems).
    #[must_use]
    pub const fn best(&self) -> Option<&Voucher> {
        self.best.as_ref()
    }
}

/// A deterministic RNG for the peer runs (`tag` separates the uses).
pub(crate) fn rng(tag: u8) -> ChaCha20Rng {
    let mut seed = [0x1a; 32];
    seed[0] = tag;
    ChaCha20Rng::from_seed(seed)
}

fn signing_key(rng: &mut ChaCha20Rng) -> SigningKey {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    SigningKey::from_bytes(&b)
}

fn add(a: &mut u64, b: u64) {
    *a = a.saturating_add(b);
}

/// Runs the signed-voucher channel on `w` for real: per vendor, the
/// customer opens a channel with the broker (one signed message, verified
/// by the broker), pays `payments` vouchers of `units` more each (each one
/// signed and verified), and the vendor redeems the best voucher (verified
/// by the broker).
///
/// Counters: signatures as made and verified; `hashes` is 0 (Ed25519's
/// SHA-512 goes with its signature); bytes are the encodings
/// ([`CHANNEL_OPEN_LEN`], [`VOUCHER_LEN`]); the broker's answers are not
/// counted; words stored: the vendor keeps its best voucher (4 words), the
/// broker the channel id and customer key (2 words per channel).
///
/// # Errors
///
/// [`LabError::Peer`] if a voucher is refused (a bug).
pub fn run_voucher(w: &Workload) -> Result<Costs, LabError> {
    let mut rng = rng(1);
    let customer = signing_key(&mut rng);
    let public = customer.verifying_key();
    let mut c = Costs::default();
    for _ in 0..w.vendors {
        let mut channel = [0u8; 32];
        rng.fill_bytes(&mut channel);
        let deposit = u64::from(w.payments) * u64::from(w.units);
        // Open: signed by the customer, verified by the broker.
        let open = customer.sign(&channel);
        add(&mut c.customer.signatures_made, 1);
        add(&mut c.customer.messages_sent, 1);
        add(&mut c.customer.bytes_sent, CHANNEL_OPEN_LEN as u64);
        add(&mut c.customer.round_trips, 1);
        public
            .verify_strict(&channel, &open)
            .map_err(|e| LabError::peer("channel open", e))?;
        add(&mut c.broker.signatures_verified, 1);
        add(&mut c.broker.words_stored, 2);

        let mut vendor = VoucherChannel::new(public, channel, deposit);
        let mut amount = 0u64;
        for nonce in 1..=u64::from(w.payments) {
            amount += u64::from(w.units);
            let v = Voucher::sign(&customer, channel, amount, nonce);
            add(&mut c.customer.signatures_made, 1);
            add(&mut c.customer.messages_sent, 1);
            add(&mut c.customer.bytes_sent, v.to_bytes().len() as u64);
            vendor
                .accept(&v)
                .map_err(|e| LabError::peer("voucher", e))?;
            add(&mut c.vendor.signatures_verified, 1);
        }
        // Redeem: the best voucher, verified by the broker.
        let best = vendor
            .best()
            .copied()
            .ok_or_else(|| LabError::Peer("no voucher to redeem".into()))?;
        add(&mut c.vendor.messages_sent, 1);
        add(&mut c.vendor.bytes_sent, VOUCHER_LEN as u64);
        add(&mut c.vendor.round_trips, 1);
        add(&mut c.vendor.words_stored, VOUCHER_LEN.div_ceil(32) as u64);
        if !best.verify(&public) || best.amount > deposit {
            return Err(LabError::Peer("the broker refused the best voucher".into()));
        }
        add(&mut c.broker.signatures_verified, 1);
    }
    Ok(c)
}

// ---------------------------------------------------------------------------
// LMS per payment.

/// Hash calls and SHA-256 compressions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashTotals {
    /// Hash calls (finalizations).
    pub calls: u64,
    /// SHA-256 compressions (64-byte blocks, padding included).
    pub compressions: u64,
}

std::thread_local! {
    static LMS_HASHES: Cell<HashTotals> = const { Cell::new(HashTotals { calls: 0, compressions: 0 }) };
}

/// SHA-256 compressions for a message of `len` bytes (padding included).
#[must_use]
pub const fn sha256_blocks(len: u64) -> u64 {
    (len + 9).div_ceil(64)
}

/// `hbs-lms`'s SHA-256 (`Sha256_256`), counting every hash call it makes
/// and the compressions they take, on the current thread.
///
/// Passed as hbs-lms's hash type parameter, it sees every hash of key
/// generation, signing and verification (hbs-lms hashes only through that
/// parameter).
#[derive(Debug, Default, Clone)]
pub struct CountingLmsHash {
    inner: Sha256_256,
    pending: u64,
}

impl CountingLmsHash {
    /// Runs `f` and returns its result with the hashes counted on this
    /// thread.
    pub fn measure<R>(f: impl FnOnce() -> R) -> (R, HashTotals) {
        let before = LMS_HASHES.with(Cell::get);
        let r = f();
        let after = LMS_HASHES.with(Cell::get);
        (
            r,
            HashTotals {
                calls: after.calls.wrapping_sub(before.calls),
                compressions: after.compressions.wrapping_sub(before.compressions),
            },
        )
    }

    fn bump(&mut self) {
        let blocks = sha256_blocks(self.pending);
        self.pending = 0;
        LMS_HASHES.with(|c| {
            let mut v = c.get();
            v.calls = v.calls.wrapping_add(1);
            v.compressions = v.compressions.wrapping_add(blocks);
            c.set(v);
        });
    }
}

impl PartialEq for CountingLmsHash {
    // As hbs-lms's own hashers: never equal (only needed by its tests).
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

impl Update for CountingLmsHash {
    fn update(&mut self, data: &[u8]) {
        self.pending = self.pending.wrapping_add(data.len() as u64);
        Update::update(&mut self.inner, data);
    }
}

impl OutputSizeUser for CountingLmsHash {
    type OutputSize = U32;
}

impl FixedOutput for CountingLmsHash {
    fn finalize_into(mut self, out: &mut Output<Self>) {
        self.bump();
        FixedOutput::finalize_into(self.inner, out);
    }
}

impl HashChain for CountingLmsHash {
    const OUTPUT_SIZE: u16 = <Sha256_256 as HashChain>::OUTPUT_SIZE;
    const BLOCK_SIZE: u16 = <Sha256_256 as HashChain>::BLOCK_SIZE;

    fn finalize(mut self) -> ArrayVec<[u8; MAX_HASH_SIZE]> {
        self.bump();
        HashChain::finalize(self.inner)
    }

    fn finalize_reset(&mut self) -> ArrayVec<[u8; MAX_HASH_SIZE]> {
        self.bump();
        HashChain::finalize_reset(&mut self.inner)
    }
}

/// The LMS tree height of the peer.
pub const LMS_HEIGHT: u32 = 10;
/// The LM-OTS Winternitz parameter of the peer.
pub const LMS_WINTERNITZ: u32 = 4;
/// The size of hbs-lms's auxiliary data buffer (cached tree nodes).
const LMS_AUX_LEN: usize = 1 << 17;

/// An LMS key of the peer's parameters with the signatures of a sample of
/// messages, made with hash `H`.
pub struct LmsFixture<H: HashChain> {
    /// The signing key, at the first leaf not in the sample.
    pub signing_key: hbs_lms::SigningKey<H>,
    /// The signing key before the sample was signed (leaf 0).
    pub fresh_key: hbs_lms::SigningKey<H>,
    /// The HSS (one level) public key.
    pub public_key: Vec<u8>,
    /// hbs-lms's auxiliary data (cached tree nodes), trimmed to what it used.
    pub aux: Vec<u8>,
    /// The messages signed (voucher bodies).
    pub messages: Vec<Vec<u8>>,
    /// Their HSS (one level) signatures.
    pub signatures: Vec<Vec<u8>>,
}

impl<H: HashChain> fmt::Debug for LmsFixture<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmsFixture")
            .field("public_key_len", &self.public_key.len())
            .field("aux_len", &self.aux.len())
            .field("signatures", &self.signatures.len())
            .finish_non_exhaustive()
    }
}

/// The bodies of the vouchers of one channel, as the LMS peer signs them.
fn lms_messages(count: usize) -> Vec<Vec<u8>> {
    let mut rng = rng(2);
    let mut channel = [0u8; 32];
    rng.fill_bytes(&mut channel);
    (1..=count as u64)
        .map(|i| body(&channel, i, i).to_vec())
        .collect()
}

/// Generates the peer's LMS key (deterministic seed) and signs `sample`
/// voucher bodies with it, hashing with `H`; returns the fixture and the
/// hashes of key generation and of each signature (as counted by
/// [`CountingLmsHash`] when `H` is it; zero otherwise).
///
/// Runs on the calling thread; hbs-lms keeps its keys and signatures on the
/// stack, so call it on a thread with a large stack (the binary's worker
/// has one).
///
/// # Errors
///
/// [`LabError::Peer`] if hbs-lms refuses (a sample larger than 2^10).
pub fn lms_fixture<H: HashChain>(
    sample: usize,
) -> Result<(LmsFixture<H>, HashTotals, Vec<HashTotals>), LabError> {
    if sample == 0 || sample > 1 << LMS_HEIGHT {
        return Err(LabError::Peer(format!(
            "an LMS sample of {sample} signatures (1 ..= {})",
            1u32 << LMS_HEIGHT
        )));
    }
    let mut seed = [0u8; 32];
    rng(3).fill_bytes(&mut seed);
    let mut aux = vec![0u8; LMS_AUX_LEN];
    let params = [HssParameter::<H>::new(
        LmotsAlgorithm::LmotsW4,
        LmsAlgorithm::LmsH10,
    )];
    let (keys, keygen) = CountingLmsHash::measure(|| {
        let mut slice: &mut [u8] = &mut aux[..];
        let keys = hbs_lms::keygen::<H>(&params, &Seed::from(seed), Some(&mut slice));
        (keys, slice.len())
    });
    let ((mut sk, vk), aux_len) = match keys {
        (Ok(k), len) => (k, len),
        (Err(e), _) => return Err(LabError::peer("hbs-lms keygen", e)),
    };
    aux.truncate(aux_len);
    let fresh_key = sk.clone();
    let messages = lms_messages(sample);
    let mut signatures = Vec::with_capacity(sample);
    let mut sign_counts = Vec::with_capacity(sample);
    for m in &messages {
        let (sig, count) = CountingLmsHash::measure(|| {
            let mut slice: &mut [u8] = &mut aux[..];
            sk.try_sign_with_aux(m, Some(&mut slice))
        });
        let sig = sig.map_err(|e| LabError::peer("hbs-lms sign", e))?;
        signatures.push(sig.as_ref().to_vec());
        sign_counts.push(count);
    }
    Ok((
        LmsFixture {
            signing_key: sk,
            fresh_key,
            public_key: vk.as_slice().to_vec(),
            aux,
            messages,
            signatures,
        },
        keygen,
        sign_counts,
    ))
}

/// Verifies an HSS signature with hbs-lms, hashing with `H`.
#[must_use]
pub fn lms_verify<H: HashChain>(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    hbs_lms::verify::<H>(message, signature, public_key).is_ok()
}

/// What the LMS peer costs, measured on a sample of signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct LmsProfile {
    /// Signatures in the sample.
    pub sample: usize,
    /// Leaves of one key (`2^h`).
    pub leaves: u64,
    /// Bytes of an hbs-lms signature (HSS with one level: `u32str(0) ‖` the
    /// LMS signature).
    pub signature_len: usize,
    /// Bytes of an hbs-lms public key (HSS: `u32str(1) ‖` the LMS key).
    pub public_key_len: usize,
    /// Bytes of auxiliary data hbs-lms keeps to sign without rebuilding its
    /// tree.
    pub aux_len: usize,
    /// Hashes of one key generation.
    pub keygen: HashTotals,
    /// Mean hash calls of one signature.
    pub sign_calls: f64,
    /// Mean compressions of one signature.
    pub sign_compressions: f64,
    /// Mean hash calls of one verification.
    pub verify_calls: f64,
    /// Mean compressions of one verification.
    pub verify_compressions: f64,
    /// Sample signatures whose counted verification hash calls equal the RFC
    /// 8554 analytic count ([`rfc8554_verify_hashes`]).
    pub verify_matches_rfc: usize,
}

/// Measures the LMS peer: key generation, `sample` signatures and their
/// verifications, all counted with [`CountingLmsHash`], and each
/// verification's count compared with [`rfc8554_verify_hashes`].
///
/// Needs a large stack (see [`lms_fixture`]).
///
/// # Errors
///
/// [`LabError::Peer`] if hbs-lms refuses a step or a signature does not
/// verify.
pub fn lms_profile(sample: usize) -> Result<LmsProfile, LabError> {
    let (fx, keygen, signs) = lms_fixture::<CountingLmsHash>(sample)?;
    let mut verify = HashTotals::default();
    let mut matches = 0;
    for (m, s) in fx.messages.iter().zip(&fx.signatures) {
        let (ok, count) =
            CountingLmsHash::measure(|| lms_verify::<CountingLmsHash>(m, s, &fx.public_key));
        if !ok {
            return Err(LabError::Peer(
                "an LMS sample signature does not verify".into(),
            ));
        }
        if rfc8554_verify_hashes(&fx.public_key, m, s).map(|r| r.calls) == Some(count.calls) {
            matches += 1;
        }
        verify.calls += count.calls;
        verify.compressions += count.compressions;
    }
    let n = sample as f64;
    let sum = |f: fn(&HashTotals) -> u64| signs.iter().map(f).sum::<u64>() as f64 / n;
    Ok(LmsProfile {
        sample,
        leaves: 1 << LMS_HEIGHT,
        signature_len: fx.signatures.first().map_or(0, Vec::len),
        public_key_len: fx.public_key.len(),
        aux_len: fx.aux.len(),
        keygen,
        sign_calls: sum(|t| t.calls),
        sign_compressions: sum(|t| t.compressions),
        verify_calls: verify.calls as f64 / n,
        verify_compressions: verify.compressions as f64 / n,
        verify_matches_rfc: matches,
    })
}

/// `(w, p, ls)` of an LM-OTS typecode (RFC 8554 Table 1).
const fn lmots_params(typecode: u32) -> Option<(u32, u32, u32)> {
    match typecode {
        1 => Some((1, 265, 7)),
        2 => Some((2, 133, 6)),
        3 => Some((4, 67, 4)),
        4 => Some((8, 34, 0)),
        _ => None,
    }
}

/// `h` of an LMS typecode (RFC 8554 Table 2, SHA-256 M32).
const fn lms_height(typecode: u32) -> Option<u32> {
    match typecode {
        5 => Some(5),
        6 => Some(10),
        7 => Some(15),
        8 => Some(20),
        9 => Some(25),
        _ => None,
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// `coef(S, i, w)` of RFC 8554 §3.1.3.
fn coef(s: &[u8], i: u32, w: u32) -> Option<u32> {
    let per_byte = 8 / w;
    let byte = *s.get((i / per_byte) as usize)?;
    let shift = 8 - w * (i % per_byte + 1);
    Some((u32::from(byte) >> shift) & ((1 << w) - 1))
}

/// The hash calls and compressions RFC 8554 prescribes to verify the
/// one-level HSS signature `signature` of `message` under `public_key`
/// (algorithm 6a and 4b): the message hash `Q`, `2^w − 1 − a_i` chain
/// steps for each of the `p` Winternitz digits `a_i` of `Q ‖ Cksm(Q)`, the
/// public-key candidate `Kc`, the leaf and the `h` interior nodes of the
/// path.
///
/// `None` for a malformed or non-SHA-256 signature.
#[must_use]
pub fn rfc8554_verify_hashes(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Option<HashTotals> {
    // HSS public key: u32 L ‖ LMS type ‖ OTS type ‖ I (16) ‖ T[1] (32).
    if be32(public_key, 0)? != 1 || be32(signature, 0)? != 0 {
        return None;
    }
    let id = public_key.get(12..28)?;
    let lms = signature.get(4..)?;
    let q = lms.get(0..4)?;
    let (w, p, ls) = lmots_params(be32(lms, 4)?)?;
    let c = lms.get(8..40)?;
    let ots_end = 8 + 32 + 32 * p as usize;
    let h = lms_height(be32(lms, ots_end)?)?;
    if lms.len() != ots_end + 4 + 32 * h as usize {
        return None;
    }
    // Q = H(I ‖ u32str(q) ‖ u16str(D_MESG) ‖ C ‖ message).
    let mut hasher = Sha256_256::default();
    for part in [id, q, &[0x81, 0x81][..], c, message] {
        Update::update(&mut hasher, part);
    }
    let digest = HashChain::finalize(hasher);
    let mut qc = digest.as_slice().to_vec();
    let max = (1u32 << w) - 1;
    let mut sum = 0u32;
    for i in 0..(256 / w) {
        sum += max - coef(&qc, i, w)?;
    }
    qc.extend_from_slice(&((sum << ls) as u16).to_be_bytes());
    let mut steps = 0u64;
    for i in 0..p {
        steps += u64::from(max - coef(&qc, i, w)?);
    }
    let header = 16 + 4 + 2;
    let calls = 1 + steps + 1 + 1 + u64::from(h);
    let compressions = sha256_blocks(header + 32 + message.len() as u64)
        + steps * sha256_blocks(header + 1 + 32)
        + sha256_blocks(header + 32 * u64::from(p))
        + sha256_blocks(header + 32)
        + u64::from(h) * sha256_blocks(header + 64);
    Some(HashTotals {
        calls,
        compressions,
    })
}

/// The LMS-per-payment channel on `w`, from a measured profile: per vendor
/// the customer opens a channel with the broker (an Ed25519-signed message
/// carrying the first LMS public key), registers one more key (signed the
/// same way) each time `2^h` payments have used up a key, and signs every
/// voucher body with LMS; the vendor verifies each with LMS and redeems the
/// best voucher, which the broker verifies.
///
/// Hashes are hbs-lms's hash calls: key generation is charged per leaf
/// used (the measured cost of an H10 key over its 2^10 leaves, times the
/// payments: what a key sized to the payments would cost, so a short
/// workload is not charged a whole tree), each signature and verification
/// the sample's mean (totals rounded).
/// `words_stored`: the customer keeps hbs-lms's auxiliary data
/// (`aux_len / 32` words per channel); the vendor its best voucher; the
/// broker the channel id, the customer key and the LMS public key.
#[must_use]
pub fn lms_costs(w: &Workload, p: &LmsProfile) -> Costs {
    let k = u64::from(w.vendors);
    let pay = u64::from(w.payments);
    let payments = k * pay;
    let keys = pay.div_ceil(p.leaves.max(1));
    let pk = p.public_key_len as u64;
    let sig = p.signature_len as u64;
    let voucher = VOUCHER_BODY_LEN as u64 + sig;
    let round = |x: f64| x.round() as u64;
    let mut c = Costs::default();
    let keygen_per_leaf = p.keygen.calls as f64 / p.leaves.max(1) as f64;
    c.customer.hashes = round(payments as f64 * (keygen_per_leaf + p.sign_calls));
    c.customer.signatures_made = k * keys + payments;
    c.customer.messages_sent = k * keys + payments;
    c.customer.bytes_sent = k * (CHANNEL_OPEN_LEN as u64 + pk)
        + k * (keys - 1) * (LMS_KEY_MESSAGE_FIXED as u64 + pk)
        + payments * voucher;
    c.customer.round_trips = k * keys;
    c.customer.words_stored = k * (p.aux_len as u64).div_ceil(32);
    c.vendor.hashes = round(payments as f64 * p.verify_calls);
    c.vendor.signatures_verified = payments;
    c.vendor.messages_sent = k;
    c.vendor.bytes_sent = k * voucher;
    c.vendor.round_trips = k;
    c.vendor.words_stored = k * voucher.div_ceil(32);
    c.broker.hashes = round(k as f64 * p.verify_calls);
    c.broker.signatures_verified = k * keys + k;
    c.broker.words_stored = k * (2 + pk.div_ceil(32));
    c
}

// ---------------------------------------------------------------------------
// The raw chain kernel.

/// Runs the raw tape-sha256 chain on `w` for real: per vendor the customer
/// builds a chain of `n` links from a seed (`n` steps; it keeps the `P·U`
/// words it will spend), reveals one word per payment (32 bytes), the
/// vendor hashes each back to the last word it holds (`U` steps), and the
/// broker hashes the last word back to the anchor (`P·U` steps).
///
/// # Errors
///
/// [`LabError::Peer`] if the chain is too short for the workload, or a
/// revealed word does not hash to the last one (a bug).
pub fn run_tape(w: &Workload) -> Result<Costs, LabError> {
    let spend = u64::from(w.payments) * u64::from(w.units);
    let n = u64::from(w.chain_len);
    if spend > n {
        return Err(LabError::Peer(format!(
            "a chain of {n} links cannot pay {spend} units"
        )));
    }
    let spend_len = usize::try_from(spend).map_err(|e| LabError::peer("tape", e))?;
    let mut rng = rng(4);
    let mut c = Costs::default();
    for _ in 0..w.vendors {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        // words[j] = w_{spend - j}; w_i = H^{n-i}(seed).
        let mut words = Vec::with_capacity(spend_len);
        let mut x = tape_sha256::hash_chain(&seed, n - spend);
        words.push(x);
        for _ in 1..spend {
            x = tape_sha256::hash_chain(&x, 1);
            words.push(x);
        }
        let anchor = tape_sha256::hash_chain(&x, 1);
        add(&mut c.customer.hashes, n);
        add(&mut c.customer.words_stored, spend);
        // Payments: w_U, w_2U, …
        let mut last = anchor;
        for i in 1..=u64::from(w.payments) {
            let index = i * u64::from(w.units);
            let word = usize::try_from(spend - index)
                .ok()
                .and_then(|j| words.get(j))
                .copied()
                .ok_or_else(|| LabError::Peer("tape word out of range".into()))?;
            add(&mut c.customer.messages_sent, 1);
            add(&mut c.customer.bytes_sent, 32);
            if tape_sha256::hash_chain(&word, u64::from(w.units)) != last {
                return Err(LabError::Peer(
                    "a tape word does not hash to the last".into(),
                ));
            }
            add(&mut c.vendor.hashes, u64::from(w.units));
            last = word;
        }
        add(&mut c.vendor.words_stored, 1);
        add(&mut c.vendor.messages_sent, 1);
        add(&mut c.vendor.bytes_sent, 32);
        add(&mut c.vendor.round_trips, 1);
        if tape_sha256::hash_chain(&last, spend) != anchor {
            return Err(LabError::Peer(
                "the broker refused the last tape word".into(),
            ));
        }
        add(&mut c.broker.hashes, spend);
    }
    Ok(c)
}

/// The costs of `peer` on `w` (`lms` is needed for [`Peer::Lms`]).
///
/// # Errors
///
/// As [`run_voucher`] and [`run_tape`]; [`LabError::Peer`] for
/// [`Peer::Lms`] without a profile.
pub fn costs(peer: Peer, w: &Workload, lms: Option<&LmsProfile>) -> Result<Costs, LabError> {
    // The same bounds as the schemes' runs, and for the voucher (an Ed25519
    // signature and verification per payment) at most MAX_SIGNED_PAYMENTS.
    crate::run::check_size(w).map_err(|e| LabError::Peer(e.0))?;
    let payments = u64::from(w.vendors) * u64::from(w.payments);
    if peer == Peer::Voucher && payments > MAX_SIGNED_PAYMENTS {
        return Err(LabError::Peer(format!(
            "more than {MAX_SIGNED_PAYMENTS} signed payments to run"
        )));
    }
    match peer {
        Peer::Voucher => run_voucher(w),
        Peer::Tape => run_tape(w),
        Peer::Lms => lms
            .map(|p| lms_costs(w, p))
            .ok_or_else(|| LabError::Peer("no LMS profile measured".into())),
    }
}

/// The most voucher payments a run signs and verifies (about a minute).
pub const MAX_SIGNED_PAYMENTS: u64 = 1 << 20;

/// `PartyCost` scaled per payment (`k·P` payments): a helper for tables.
#[must_use]
pub fn per_payment(c: &PartyCost, w: &Workload, f: fn(&PartyCost) -> u64) -> f64 {
    let payments = f64::from(w.vendors) * f64::from(w.payments);
    if payments == 0.0 {
        0.0
    } else {
        f(c) as f64 / payments
    }
}
