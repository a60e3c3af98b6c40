//! `payword:` URIs: an [`Offer`] a merchant shows, or a one-shot payment a
//! customer shows, as text short enough for a QR code.
//!
//! - `payword:offer:<text>`: the merchant-presented flow. The customer's
//!   wallet scans the offer, checks it and commits
//!   ([`Offer::commitment_fields`]).
//! - `payword:pay:<text>`: the customer-presented flow. The customer's
//!   device shows a certificate, a commitment to the merchant and the
//!   payment in one [`RedemptionClaim`]-shaped token; the merchant opens a
//!   session on it, accepts the payment and later redeems the same token
//!   with the broker.
//!
//! `<text>` is the message's base64url text form
//! ([`Encode::to_text`]). The decoder is as strict
//! as the binary one: the scheme and kind in lower case exactly, no query,
//! fragment, percent-encoding or whitespace, the length checked before
//! anything is decoded, then the canonical decoder.

use core::fmt;

use crate::message::RedemptionClaim;
use crate::offer::Offer;
use crate::wire::{Encode, TextError};

const OFFER_PREFIX: &str = "payword:offer:";
const PAY_PREFIX: &str = "payword:pay:";

/// What a `payword:` URI carries.
#[allow(clippy::large_enum_variant)] // plain values, as the messages are
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaywordUri {
    /// A vendor's offer (merchant-presented).
    Offer(Offer),
    /// A one-shot payment: certificate, commitment and payment
    /// (customer-presented).
    Pay(RedemptionClaim),
}

/// The longest `payword:` URI (a one-shot payment), in bytes: 1,347 with
/// Ed25519 only (it fits a QR code), 9,176 with the `lms` feature (LMS
/// signatures are up to 2,988 bytes).
pub const MAX_URI_LEN: usize = PAY_PREFIX.len() + RedemptionClaim::MAX_TEXT_LEN;

/// Why a `payword:` URI was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// Longer than [`MAX_URI_LEN`]: refused before decoding.
    TooLong {
        /// Its length.
        length: usize,
    },
    /// Not `payword:offer:` or `payword:pay:` (the scheme and kind are
    /// lower case exactly).
    UnknownKind,
    /// The text after the kind is not the message's text form.
    Text(TextError),
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { length } => {
                write!(f, "URI of {length} bytes is longer than {MAX_URI_LEN}")
            }
            Self::UnknownKind => f.write_str("not a payword:offer: or payword:pay: URI"),
            Self::Text(e) => write!(f, "URI payload: {e}"),
        }
    }
}

impl core::error::Error for UriError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Text(e) => Some(e),
            _ => None,
        }
    }
}

impl PaywordUri {
    /// Parses a `payword:` URI.
    ///
    /// # Errors
    ///
    /// [`UriError`] saying what was wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::uri::{PaywordUri, UriError};
    ///
    /// assert_eq!(PaywordUri::parse("PAYWORD:offer:AAAA"), Err(UriError::UnknownKind));
    /// assert!(PaywordUri::parse("payword:pay:AAAA").is_err());
    /// ```
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        if uri.len() > MAX_URI_LEN {
            return Err(UriError::TooLong { length: uri.len() });
        }
        if let Some(text) = uri.strip_prefix(OFFER_PREFIX) {
            Offer::from_text(text)
                .map(Self::Offer)
                .map_err(UriError::Text)
        } else if let Some(text) = uri.strip_prefix(PAY_PREFIX) {
            RedemptionClaim::from_text(text)
                .map(Self::Pay)
                .map_err(UriError::Text)
        } else {
            Err(UriError::UnknownKind)
        }
    }
}

impl fmt::Display for PaywordUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Offer(o) => write!(f, "{OFFER_PREFIX}{}", o.to_text()),
            Self::Pay(c) => write!(f, "{PAY_PREFIX}{}", c.to_text()),
        }
    }
}

impl core::str::FromStr for PaywordUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, UriError> {
        Self::parse(s)
    }
}
