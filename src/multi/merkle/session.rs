//! The vendor side: a session on one leaf.

use super::*;

/// A vendor's session for one leaf of a signed root.
///
/// Opening checks the broker's certificate, the customer's signature over
/// the root, the leaf's path to it, that the leaf is for this vendor, its
/// cap within the total, and the validity at `now`; then every payment is
/// verified exactly as in [`Session`](crate::Session), and refused if it
/// would pay past the leaf's cap.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::*;
/// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let customer = SigningKey::from_bytes(&[2; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([1; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
/// let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
/// let vendor = VendorId::from_bytes([7; 32]);
/// let leaf = Leaf {
///     vendor,
///     unit_value: 2,
///     cap: 50,
///     chain: CommittedChain::Single { params, anchor: wallet.anchor() },
/// };
/// let tree = MerkleTree::build(cert.digest(), ChainId::from_bytes([6; 16]), vec![leaf])?;
/// let root = MultiCommitment::sign(tree.fields(0, 100), &customer)?;
/// let opening = tree.opening(&root, 0).ok_or("no leaf")?;
/// let mut s = LeafSession::open(vendor, &broker.public_key(), cert, opening, 50, 0)?;
/// let p = wallet.next().ok_or("empty")?;
/// assert_eq!(s.pay(&Payment::new(*s.leaf_id(), PaymentBody::Single(p)), 50)?, 2);
/// assert!(s.claim().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The whole protocol with three vendors is in `examples/multi_merchant.rs`.
#[derive(Clone, Debug)]
pub struct LeafSession {
    certificate: Certificate,
    opening: LeafOpening,
    id: Digest,
    skew: u64,
    state: ChainState,
}

impl LeafSession {
    /// Opens a session on `opening` for `vendor`.
    ///
    /// # Cost
    ///
    /// Two signature verifications, one leaf hash and `depth` node hashes.
    ///
    /// # Errors
    ///
    /// [`MultiError`] naming the check that failed.
    pub fn open(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        opening: LeafOpening,
        now: u64,
        skew: u64,
    ) -> Result<Self, MultiError> {
        opening.commitment.check_under(broker_key, &certificate)?;
        let rf = opening.commitment.fields();
        let leaf = &opening.leaf;
        if leaf.vendor != vendor {
            return Err(MultiError::WrongVendor);
        }
        let cf = certificate.fields();
        check_window(now, cf.valid_from, cf.expires, skew)?;
        check_window(now, rf.valid_from, rf.expires, skew)?;
        if leaf.cap > rf.total_cap {
            return Err(MultiError::CapOverTotal);
        }
        leaf.chain
            .capacity()
            .checked_mul(leaf.unit_value)
            .ok_or(MultiError::Overflow)?;
        let id = opening.check_path()?;
        let state = ChainState::new(&leaf.chain, None, crate::DEFAULT_STEP_LIMIT)?;
        Ok(Self {
            certificate,
            opening,
            id,
            skew,
            state,
        })
    }

    /// The leaf id payments must name.
    #[must_use]
    pub const fn leaf_id(&self) -> &Digest {
        &self.id
    }

    /// Accepts a payment at `now`; returns the value newly paid.
    ///
    /// # Cost
    ///
    /// The chain steps of the payment (at most the default budget), none if a
    /// check fails first.
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongCommitment`], [`MultiError::OverCap`],
    /// [`MultiError::Invalid`] (expired, refused payword). On error nothing
    /// changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, MultiError> {
        if *payment.commitment() != self.id {
            return Err(MultiError::WrongCommitment);
        }
        let rf = self.opening.commitment.fields();
        check_window(now, rf.valid_from, rf.expires, self.skew)?;
        let unit = self.opening.leaf.unit_value;
        let mut next = self.state.clone();
        let units = next.accept(payment.body())?;
        // Cannot overflow: capacity × unit value was checked at `open`.
        if next.paid().saturating_mul(unit) > self.opening.leaf.cap {
            return Err(MultiError::OverCap);
        }
        self.state = next;
        Ok(units.saturating_mul(unit))
    }

    /// Units paid so far.
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        self.state.paid()
    }

    /// Value paid so far.
    #[must_use]
    pub fn value_paid(&self) -> u64 {
        self.units_paid()
            .saturating_mul(self.opening.leaf.unit_value)
    }

    /// The claim to send to the broker, or `None` before any payment.
    #[must_use]
    pub fn claim(&self) -> Option<LeafClaim> {
        Some(LeafClaim {
            certificate: self.certificate,
            opening: self.opening,
            payment: Payment::new(self.id, self.state.last()?),
        })
    }
}
