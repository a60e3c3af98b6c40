//! Proof that a one-time renewal key signed two different links (tag `0x32`).

use super::*;
use crate::check::check_signed;
use crate::message::Certificate;
use crate::sign::PublicKey;
use crate::wire::read_list;
use alloc::vec::Vec;

/// Proof that a customer's one-time key signed two different renewal
/// links (wire tag `0x32`): the certificate, the commitment, the links
/// from the commitment to the chain whose key signed twice (`path`), and
/// the two links.
///
/// Everything in it is signed by the broker (certificate) or the customer
/// (commitment, links), so it never blames a customer whose wallet
/// followed the rules: the honest [`RenewingWallet`] signs one link per
/// key. Verified offline with the broker's public key.
///
/// # Examples
///
/// Vendors build it with
/// [`Session::ots_reuse_proof`](crate::Session::ots_reuse_proof), brokers
/// get it from [`Broker::redeem_cascade`](crate::Broker::redeem_cascade).
/// Here a dishonest customer, who made its renewal key by hand, signs two
/// links with it:
///
/// ```
/// use payword::renew::{LinkFields, OtsReuseProof, RenewalLink, RENEWAL_LMOTS};
/// use payword::{chain, Anchor, ChainId, ChainParams, ChainSeed, Commitment,
///     CommitmentFields, CommittedChain, HashAlg, Sha256, VendorId};
/// use payword::lmots::LmotsPrivateKey;
/// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
/// # use ed25519_dalek::SigningKey;
/// # use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
/// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1_000, valid_from: 0, expires: 100,
/// # }, &broker)?;
/// # let mut rng = ChaCha20Rng::from_seed([0; 32]);
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
/// let anchor = chain::anchor::<Sha256>(&ChainSeed::from_bytes([6; 32]), &params)?;
/// let key = || LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [5; 16], 0, &[7; 32]);
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: cert.digest(), vendor: VendorId::from_bytes([8; 32]), unit_value: 1,
///     valid_from: 0, expires: 100,
///     chain: CommittedChain::Single { params, anchor },
///     renewal: Some(key().public_key()),
/// }, &customer)?;
/// let fields = LinkFields {
///     previous: commitment.digest(),
///     generation: 1,
///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([9; 16]), 4)?,
///     anchor: Anchor::from_bytes([10; 32]),
///     key: LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [9; 16], 1, &[11; 32]).public_key(),
///     window: None,
/// };
/// let first = RenewalLink::sign(fields, key(), &mut rng)?;
/// let other = LinkFields { anchor: Anchor::from_bytes([12; 32]), ..fields };
/// let second = RenewalLink::sign(other, key(), &mut rng)?; // the same key, again
/// let proof = OtsReuseProof { certificate: cert, commitment, path: vec![], first, second };
/// assert_eq!(proof.verify(&broker.public_key()), Ok(0)); // key 0 signed twice
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtsReuseProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The customer's signed commitment.
    pub commitment: Commitment,
    /// Links from the commitment to the chain whose key signed twice
    /// (empty if it is the commitment's chain).
    pub path: Vec<RenewalLink>,
    /// One link signed by that key.
    pub first: RenewalLink,
    /// Another, different link signed by the same key.
    pub second: RenewalLink,
}

impl OtsReuseProof {
    /// Checks the proof: the certificate and commitment verify, the
    /// `path` links verify one after the other from the commitment, and
    /// `first` and `second` are different links (in content, or only in
    /// their signature: the same link signed again with another
    /// randomizer also reveals more of the key) that both continue the
    /// last chain of the path and both verify under its one-time key.
    /// Returns the generation of the key that signed twice.
    ///
    /// # Cost
    ///
    /// Two Ed25519 verifications and `path.len() + 2` LM-OTS
    /// verifications (the path is at most [`MAX_CASCADE`] links, checked
    /// first).
    ///
    /// # Errors
    ///
    /// [`RenewError`] naming the first check that failed;
    /// [`RenewError::SameLink`] if the two links are the same.
    ///
    /// # Examples
    ///
    /// See [`OtsReuseProof`].
    pub fn verify(&self, broker_key: &PublicKey) -> Result<u32, RenewError> {
        if self.path.len() >= MAX_CASCADE {
            return Err(RenewError::Exhausted);
        }
        check_signed(broker_key, &self.certificate, &self.commitment)?;
        let mut key = commitment_key(&self.commitment)?;
        let mut previous = self.commitment.digest();
        for link in &self.path {
            if link.fields.previous != previous {
                return Err(RenewError::WrongPrevious);
            }
            link.verify(&key)?;
            previous = link.digest();
            key = link.fields.key;
        }
        if self.first == self.second {
            return Err(RenewError::SameLink);
        }
        if self.first.fields.previous != previous || self.second.fields.previous != previous {
            return Err(RenewError::WrongPrevious);
        }
        self.first.verify(&key)?;
        self.second.verify(&key)?;
        Ok(key.q())
    }
}

impl crate::wire::sealed::Sealed for OtsReuseProof {}

impl Encode for OtsReuseProof {
    const TAG: u8 = tag::OTS_REUSE_PROOF;
    /// About 300 KiB.
    const MAX_LEN: usize = 2
        + Certificate::MAX_LEN
        + Commitment::MAX_LEN
        + 2
        + (MAX_CASCADE + 1) * RenewalLink::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.commitment.write(w);
        w.put_u16(u16::try_from(self.path.len()).unwrap_or(u16::MAX));
        for l in &self.path {
            l.write(w);
        }
        self.first.write(w);
        self.second.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Certificate::read(r)?;
        let commitment = Commitment::read(r)?;
        let path = read_list(r, "path", (MAX_CASCADE - 1) as u16, RenewalLink::read)?;
        Ok(Self {
            certificate,
            commitment,
            path,
            first: RenewalLink::read(r)?,
            second: RenewalLink::read(r)?,
        })
    }
}
