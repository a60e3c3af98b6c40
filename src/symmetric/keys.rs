//! Secrets and identifiers of the symmetric scheme, and the key derivation.
//!
//! Every key used on the wire is derived from a 32-byte secret (a long-term
//! key or a session key) with HMAC-SHA256 under a label that names its one
//! use, and the ticket id where the key belongs to one ticket:
//!
//! ```text
//! K_x = HMAC-SHA256(secret, "payword/symmetric/v1/" ‖ label ‖ ticket id?)
//! ```
//!
//! The secrets are uniformly random, so HMAC as a PRF is the whole KDF (it is
//! HKDF-Expand with one block, without the counter byte). Derived keys live
//! in [`Zeroizing`] buffers and never leave the module.

use core::fmt;

use hmac::{Hmac, KeyInit as _, Mac as _};
use rand_core::CryptoRng;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::bytes::byte_newtype;
use crate::message::{CustomerId, VendorId};

byte_newtype!(
    /// A ticket's identifier: 16 random bytes chosen by the broker. Every
    /// session key and every payment MAC is bound to it; a vendor's replay
    /// cache holds it until the ticket expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::TicketId;
    ///
    /// let id = TicketId::from_bytes([7; 16]);
    /// assert_eq!(id.to_string(), "07".repeat(16));
    /// ```
    TicketId,
    16
);

byte_newtype!(
    /// The vendor's identifier of one request (an HTTP request, an article,
    /// a stream chunk): the payment paying for it carries it under the MAC,
    /// so a payword paid for one request cannot be shown as paying another.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::RequestId;
    ///
    /// let r = RequestId::from_bytes([1; 16]);
    /// assert_ne!(r, RequestId::from_bytes([2; 16]));
    /// ```
    RequestId,
    16
);

byte_newtype!(
    /// The customer's fresh nonce of one ticket request: the broker's reply
    /// to the customer seals it back, so the customer knows the reply answers
    /// this request (not an old one replayed).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::RequestNonce;
    ///
    /// let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
    /// # use rand_chacha::rand_core::SeedableRng as _;
    /// let a = RequestNonce::random(&mut rng);
    /// assert_ne!(a, RequestNonce::random(&mut rng));
    /// ```
    RequestNonce,
    16
);

impl TicketId {
    /// A fresh random ticket id.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::TicketId;
    /// use rand_chacha::rand_core::SeedableRng as _;
    ///
    /// let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
    /// assert_ne!(TicketId::random(&mut rng), TicketId::random(&mut rng));
    /// ```
    #[must_use]
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Self::from_bytes(b)
    }
}

impl RequestNonce {
    /// A fresh random request nonce.
    ///
    /// # Examples
    ///
    /// See [`RequestNonce`].
    #[must_use]
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Self::from_bytes(b)
    }
}

/// Defines a 32-byte secret key type: zeroized on drop, redacted `Debug`,
/// `Clone` but never `Copy`, equality in constant time.
macro_rules! secret_key {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps secret bytes (which the caller should then zeroize).
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// A fresh key from the caller's cryptographic RNG.
            #[must_use]
            pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
                let mut k = Self([0u8; 32]);
                rng.fill_bytes(&mut k.0);
                k
            }

            /// Borrows the secret bytes (to persist the key).
            #[must_use]
            pub const fn expose_secret(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }

        impl subtle::ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> subtle::Choice {
                crate::bytes::ct_eq_bytes(&self.0, &other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                subtle::ConstantTimeEq::ct_eq(self, other).into()
            }
        }

        impl Eq for $name {}
    };
}

secret_key!(
    /// A long-term key one party (a customer or a vendor) shares with the
    /// broker, set up once out of band (at registration). The broker seals
    /// the party's ticket parts under a key derived from it; a customer also
    /// authenticates its ticket requests and payment receipts with keys
    /// derived from it.
    ///
    /// Zeroized on drop, `Debug` prints no secret byte, `Clone` but never
    /// `Copy`, equality in constant time.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::LongTermKey;
    ///
    /// let k = LongTermKey::from_bytes([0x42; 32]);
    /// assert_eq!(format!("{k:?}"), "LongTermKey(..)");
    /// assert_eq!(k, LongTermKey::from_bytes([0x42; 32]));
    /// ```
    LongTermKey
);

secret_key!(
    /// The fresh key of one ticket, chosen by the broker and known to the
    /// customer, the vendor and the broker only. The payment MAC key and the
    /// vendor's confirmation key are derived from it (and the ticket id).
    ///
    /// Zeroized on drop, `Debug` prints no secret byte, `Clone` but never
    /// `Copy`, equality in constant time.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::symmetric::SessionKey;
    ///
    /// let k = SessionKey::from_bytes([1; 32]);
    /// assert_eq!(format!("{k:?}"), "SessionKey(..)");
    /// ```
    SessionKey
);

/// The labels of the derived keys (one per use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    /// AEAD key sealing a party's ticket parts (from its long-term key).
    Seal,
    /// MAC key of the customer's ticket requests (from its long-term key).
    Request,
    /// MAC key of the customer's receipts for the broker (from its
    /// long-term key and the ticket id).
    Receipt,
    /// MAC key of payments, customer → vendor (from the session key and the
    /// ticket id).
    Pay,
    /// MAC key of the vendor's key confirmation, vendor → customer (from the
    /// session key and the ticket id).
    Confirm,
}

impl Label {
    const fn text(self) -> &'static [u8] {
        match self {
            Self::Seal => b"payword/symmetric/v1/seal",
            Self::Request => b"payword/symmetric/v1/request",
            Self::Receipt => b"payword/symmetric/v1/receipt",
            Self::Pay => b"payword/symmetric/v1/pay",
            Self::Confirm => b"payword/symmetric/v1/confirm",
        }
    }
}

/// HMAC-SHA256 keyed with a 32-byte key. Keys shorter than SHA-256's
/// 64-byte block are zero-padded by HMAC's definition, so keying with the
/// padded block is HMAC with the 32-byte key, and infallible.
pub(crate) fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = Zeroizing::new([0u8; 64]);
    if let Some(head) = block.get_mut(..32) {
        head.copy_from_slice(key);
    }
    Hmac::<Sha256>::new(&(*block).into())
}

/// Finishes an HMAC into 32 bytes.
pub(crate) fn finish(mac: Hmac<Sha256>) -> [u8; 32] {
    crate::cost::on_mac();
    mac.finalize().into_bytes().into()
}

/// Derives the key for `label` from `secret` (and `ticket`, if the key
/// belongs to one ticket).
pub(crate) fn derive(
    secret: &[u8; 32],
    label: Label,
    ticket: Option<&TicketId>,
) -> Zeroizing<[u8; 32]> {
    let mut mac = hmac(secret);
    mac.update(label.text());
    if let Some(t) = ticket {
        mac.update(t.as_bytes());
    }
    Zeroizing::new(finish(mac))
}

impl LongTermKey {
    pub(crate) fn derive(&self, label: Label, ticket: Option<&TicketId>) -> Zeroizing<[u8; 32]> {
        derive(&self.0, label, ticket)
    }
}

impl SessionKey {
    pub(crate) fn derive(&self, label: Label, ticket: &TicketId) -> Zeroizing<[u8; 32]> {
        derive(&self.0, label, Some(ticket))
    }
}

/// A MAC over `bytes` under a derived key.
pub(crate) fn mac_over(key: &[u8; 32], bytes: &[u8]) -> [u8; 32] {
    let mut mac = hmac(key);
    mac.update(bytes);
    finish(mac)
}

/// Whether `tag` is the MAC of `bytes` under `key`, in constant time.
pub(crate) fn mac_ok(key: &[u8; 32], bytes: &[u8], tag: &[u8; 32]) -> bool {
    let want = Zeroizing::new(mac_over(key, bytes));
    crate::bytes::ct_eq_bytes(&want, tag).into()
}

/// A derived MAC key, kept as its keyed HMAC state: the two compressions
/// of the padded key (inner and outer) are done once, not per message.
/// Zeroized on drop: the state is two SHA-256 cores, which zeroize
/// themselves with `sha2`'s `zeroize` feature (enabled by `symmetric`).
#[derive(Clone)]
pub(crate) struct MacKey(Hmac<Sha256>);

impl MacKey {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self(hmac(key))
    }

    /// The MAC of `bytes`.
    pub(crate) fn tag(&self, bytes: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(bytes);
        finish(mac)
    }

    /// Whether `tag` is the MAC of `bytes`, in constant time.
    pub(crate) fn verify(&self, bytes: &[u8], tag: &[u8; 32]) -> bool {
        let want = Zeroizing::new(self.tag(bytes));
        crate::bytes::ct_eq_bytes(&want, tag).into()
    }
}

/// The broker's long-term keys of its customers and vendors: what it needs
/// to issue tickets, redeem claims and arbitrate disputes. The broker keeps
/// no per-ticket state: every key of a ticket is re-derived from these.
///
/// # Examples
///
/// ```
/// use payword::symmetric::{BrokerKeys, LongTermKey};
/// use payword::{CustomerId, VendorId};
///
/// struct One(CustomerId, LongTermKey, VendorId, LongTermKey);
/// impl BrokerKeys for One {
///     fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
///         (*id == self.0).then_some(&self.1)
///     }
///     fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
///         (*id == self.2).then_some(&self.3)
///     }
/// }
/// let keys = One(CustomerId::from_bytes([1; 16]), LongTermKey::from_bytes([2; 32]),
///                VendorId::from_bytes([3; 32]), LongTermKey::from_bytes([4; 32]));
/// assert!(keys.customer_key(&CustomerId::from_bytes([1; 16])).is_some());
/// assert!(keys.vendor_key(&VendorId::from_bytes([9; 32])).is_none());
/// ```
pub trait BrokerKeys {
    /// The long-term key shared with customer `id`, if it is registered.
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey>;
    /// The long-term key shared with vendor `id`, if it is registered.
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_block_key_is_hmac_of_the_short_key() {
        let key = [0x0bu8; 32];
        let mut a = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        a.update(b"Hi There");
        let mut b = hmac(&key);
        b.update(b"Hi There");
        assert_eq!(finish(a), finish(b));
    }

    #[test]
    fn rfc4231_case_2() {
        // Key "Jefe" (4 bytes), zero-padded like any short key.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let got = mac_over(&key, b"what do ya want for nothing?");
        let want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, want);
        assert!(mac_ok(&key, b"what do ya want for nothing?", &got));
        assert!(!mac_ok(&key, b"what do ya want for nothing!", &got));
    }

    #[test]
    fn labels_separate_keys() {
        let k = SessionKey::from_bytes([5; 32]);
        let t = TicketId::from_bytes([6; 16]);
        let t2 = TicketId::from_bytes([7; 16]);
        assert_ne!(*k.derive(Label::Pay, &t), *k.derive(Label::Confirm, &t));
        assert_ne!(*k.derive(Label::Pay, &t), *k.derive(Label::Pay, &t2));
        let l = LongTermKey::from_bytes([5; 32]);
        assert_ne!(
            *l.derive(Label::Seal, None),
            *l.derive(Label::Request, None)
        );
        assert_ne!(
            *l.derive(Label::Receipt, Some(&t)),
            *k.derive(Label::Pay, &t)
        );
    }

    #[test]
    fn keyed_mac_state_is_zeroized_on_drop() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        // A keyed HMAC state is two SHA-256 cores (inner and outer), each
        // zeroized on drop.
        zeroize_on_drop::<sha2::block_api::Sha256VarCore>();
        zeroize_on_drop::<LongTermKey>();
        zeroize_on_drop::<SessionKey>();
        let k = MacKey::new(&[3; 32]);
        assert_eq!(k.tag(b"x"), mac_over(&[3; 32], b"x"));
        assert!(k.verify(b"x", &mac_over(&[3; 32], b"x")));
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            format!("{:?}", LongTermKey::from_bytes([0xab; 32])),
            "LongTermKey(..)"
        );
        assert_eq!(
            format!("{:?}", SessionKey::from_bytes([0xab; 32])),
            "SessionKey(..)"
        );
    }
}
