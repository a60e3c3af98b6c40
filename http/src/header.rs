//! The header values of the exchange (see `docs/HTTP.md`), each written in
//! exactly one spelling and read back by a strict parser.
//!
//! | Header | Direction | Value |
//! |---|---|---|
//! | `WWW-Authenticate` | 402 | [`Challenge`]: `PayWord offer="<offer>"` |
//! | `Authorization` | request | [`Authorization`]: `PayWord payment="<payment>"`, or with `certificate="…", commitment="…"` first to open a session |
//! | `PayWord-Paid` | 2xx | units the request paid (a decimal [`Number`]) |
//! | `PayWord-Last-Index` | 409, some 402 | the last payword index the vendor accepted ([`Number`]) |
//! | `PayWord-Error` | every refusal | an [`ErrorCode`] |
//! | `PAYMENT-REQUIRED` | 402 | the x402 v2 form of the offer ([`crate::x402`]) |
//!
//! Every parser checks the value's length before it looks at anything
//! else, accepts only visible ASCII, one spelling (the scheme `PayWord` in
//! that case, parameters in a fixed order, `, ` between them, values
//! quoted), and then decodes each message with the core's strict text
//! decoder ([`Encode::decode_text`], on the stack). Errors are typed
//! ([`HeaderError`]).

use core::fmt;

use http::HeaderValue;
use http::header::HeaderName;
use payword::offer::Offer;
use payword::{Certificate, Commitment, Encode, Payment, TextError};

/// The authentication scheme, spelled exactly so.
pub const SCHEME: &str = "PayWord";

/// `PayWord-Paid`: on a response whose request a payment paid, the units
/// it paid.
pub const PAID: HeaderName = HeaderName::from_static("payword-paid");

/// `PayWord-Last-Index`: on a 409 (replay) or a 402 `wrong_price`, the last
/// payword index the vendor accepted on the session's chain.
pub const LAST_INDEX: HeaderName = HeaderName::from_static("payword-last-index");

/// `PayWord-Error`: on every refusal of the paywall, its [`ErrorCode`].
pub const ERROR: HeaderName = HeaderName::from_static("payword-error");

/// `PAYMENT-REQUIRED`: the x402 v2 header (see [`crate::x402`]).
pub const PAYMENT_REQUIRED: HeaderName = HeaderName::from_static("payment-required");

/// Why a header value was refused.
///
/// # Examples
///
/// ```
/// use payword_http::header::{Authorization, HeaderError};
///
/// assert_eq!(
///     Authorization::parse(b"payword payment=\"AA\""),
///     Err(HeaderError::Syntax { expected: "PayWord", position: 0 })
/// );
/// assert_eq!(
///     Authorization::parse(&[b'A'; 20_000]).unwrap_err().to_string(),
///     format!("header value of 20000 bytes is over the limit {}", Authorization::MAX_LEN)
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// Longer than the longest value of its kind: refused before anything
    /// else is read.
    TooLong {
        /// Its length in bytes.
        length: usize,
        /// The longest value of its kind.
        max: usize,
    },
    /// The header appears more than once.
    Repeated,
    /// Not the one spelling: `expected` was expected at byte `position`.
    Syntax {
        /// What was expected.
        expected: &'static str,
        /// Byte offset in the value.
        position: usize,
    },
    /// A parameter is not the text form of the message it names.
    Text {
        /// The parameter.
        field: &'static str,
        /// What was wrong.
        error: TextError,
    },
    /// Not a decimal number in its one spelling (digits, no sign, no
    /// leading zero) that fits in 32 bits.
    Number,
    /// Not one of the [`ErrorCode`]s.
    UnknownCode,
    /// Not standard base64 with its padding (x402 form).
    Base64,
    /// The base64 does not decode to the JSON of the x402 form.
    Json {
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },
    /// The x402 form decodes, but is not the one this crate writes for its
    /// values (another spelling, or fields that disagree with the offer).
    NotCanonical,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { length, max } => {
                write!(f, "header value of {length} bytes is over the limit {max}")
            }
            Self::Repeated => f.write_str("header appears more than once"),
            Self::Syntax { expected, position } => {
                write!(f, "expected {expected:?} at byte {position}")
            }
            Self::Text { field, error } => write!(f, "{field}: {error}"),
            Self::Number => f.write_str("not a decimal 32-bit number"),
            Self::UnknownCode => f.write_str("unknown error code"),
            Self::Base64 => f.write_str("not padded standard base64"),
            Self::Json { line, column } => {
                write!(f, "not the x402 JSON (line {line}, column {column})")
            }
            Self::NotCanonical => f.write_str("not the canonical x402 form of a payword offer"),
        }
    }
}

impl std::error::Error for HeaderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Text { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Refuses a value longer than `max`, then anything but visible ASCII
/// (space included); returns it as a string.
pub(crate) fn ascii(value: &[u8], max: usize) -> Result<&str, HeaderError> {
    if value.len() > max {
        return Err(HeaderError::TooLong {
            length: value.len(),
            max,
        });
    }
    if let Some(position) = value.iter().position(|b| !(0x20..=0x7e).contains(b)) {
        return Err(HeaderError::Syntax {
            expected: "visible ASCII",
            position,
        });
    }
    core::str::from_utf8(value).map_err(|e| HeaderError::Syntax {
        expected: "visible ASCII",
        position: e.valid_up_to(),
    })
}

/// A cursor over a header value being parsed.
struct Cursor<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    const fn new(s: &'a str) -> Self {
        Self { s, at: 0 }
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.at..).unwrap_or("")
    }

    fn literal(&mut self, lit: &'static str) -> Result<(), HeaderError> {
        if self.rest().starts_with(lit) {
            self.at += lit.len();
            Ok(())
        } else {
            Err(HeaderError::Syntax {
                expected: lit,
                position: self.at,
            })
        }
    }

    /// `name` (which ends in `="`), a value without quotes, `"`.
    fn quoted(&mut self, name: &'static str) -> Result<&'a str, HeaderError> {
        self.literal(name)?;
        let rest = self.rest();
        let end = rest.find('"').ok_or(HeaderError::Syntax {
            expected: "\"",
            position: self.s.len(),
        })?;
        let value = rest.get(..end).unwrap_or("");
        self.at += end + 1;
        Ok(value)
    }

    fn end(&self) -> Result<(), HeaderError> {
        if self.at == self.s.len() {
            Ok(())
        } else {
            Err(HeaderError::Syntax {
                expected: "end of value",
                position: self.at,
            })
        }
    }
}

/// Decodes the text form of `T` in a stack buffer.
fn decode<T: Encode, const N: usize>(field: &'static str, text: &str) -> Result<T, HeaderError> {
    let mut scratch = [0u8; N];
    T::decode_text(text, &mut scratch).map_err(|error| HeaderError::Text { field, error })
}

/// A header value from ASCII text (every value this module writes is).
pub(crate) fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The certificate and commitment sent with the first payment, to open a
/// session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    /// The broker's certificate of the customer.
    pub certificate: Certificate,
    /// The customer's commitment to the vendor, under that certificate.
    pub commitment: Commitment,
}

/// The `Authorization` value of a paid request:
/// `PayWord payment="<payment>"`, or to open a session
/// `PayWord certificate="<certificate>", commitment="<commitment>", payment="<payment>"`
/// (each message in its base64url text form, [`Encode::to_text`]).
///
/// # Examples
///
/// ```
/// use payword::{Digest, Payment, PaymentBody, Payword, Word};
/// use payword_http::header::Authorization;
///
/// let payment = Payment::new(
///     Digest::from_bytes([1; 32]),
///     PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))),
/// );
/// let auth = Authorization { opening: None, payment };
/// let text = auth.to_string();
/// assert!(text.starts_with("PayWord payment=\"EgEB"));
/// assert_eq!(Authorization::parse(text.as_bytes())?, auth);
/// // One spelling: a space too many is refused.
/// let spaced = text.replace("PayWord ", "PayWord  ");
/// assert!(Authorization::parse(spaced.as_bytes()).is_err());
/// # Ok::<(), payword_http::header::HeaderError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The certificate and commitment, on the request that opens the
    /// session.
    pub opening: Option<Opening>,
    /// The payment.
    pub payment: Payment,
}

const CERTIFICATE_PARAM: &str = "certificate=\"";
const COMMITMENT_PARAM: &str = "commitment=\"";
const PAYMENT_PARAM: &str = "payment=\"";
const OFFER_PARAM: &str = "offer=\"";

impl Authorization {
    /// The longest value, in bytes.
    pub const MAX_LEN: usize = SCHEME.len()
        + 1
        + CERTIFICATE_PARAM.len()
        + Certificate::MAX_TEXT_LEN
        + 3
        + COMMITMENT_PARAM.len()
        + Commitment::MAX_TEXT_LEN
        + 3
        + PAYMENT_PARAM.len()
        + Payment::MAX_TEXT_LEN
        + 1;

    /// Parses a value.
    ///
    /// # Cost
    ///
    /// Linear in the value, whose length is checked first; no allocation.
    ///
    /// # Errors
    ///
    /// [`HeaderError::TooLong`], [`HeaderError::Syntax`],
    /// [`HeaderError::Text`].
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn parse(value: &[u8]) -> Result<Self, HeaderError> {
        let s = ascii(value, Self::MAX_LEN)?;
        let mut c = Cursor::new(s);
        c.literal(SCHEME)?;
        c.literal(" ")?;
        let opening = if c.rest().starts_with(CERTIFICATE_PARAM) {
            let certificate = c.quoted(CERTIFICATE_PARAM)?;
            c.literal(", ")?;
            let commitment = c.quoted(COMMITMENT_PARAM)?;
            c.literal(", ")?;
            Some((certificate, commitment))
        } else {
            None
        };
        let payment = c.quoted(PAYMENT_PARAM)?;
        c.end()?;
        let opening = match opening {
            Some((certificate, commitment)) => Some(Opening {
                certificate: decode::<_, { Certificate::MAX_LEN }>("certificate", certificate)?,
                commitment: decode::<_, { Commitment::MAX_LEN }>("commitment", commitment)?,
            }),
            None => None,
        };
        Ok(Self {
            opening,
            payment: decode::<_, { Payment::MAX_LEN }>("payment", payment)?,
        })
    }

    /// The value as a header value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{Digest, Payment, PaymentBody, Payword, Word};
    /// # use payword_http::header::Authorization;
    /// # let payment = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))));
    /// let auth = Authorization { opening: None, payment };
    /// assert_eq!(auth.to_header_value(), auth.to_string());
    /// ```
    #[must_use]
    pub fn to_header_value(&self) -> HeaderValue {
        // The texts straight into one buffer (this is every paid request).
        let mut out = Vec::with_capacity(Self::MAX_LEN);
        out.extend_from_slice(SCHEME.as_bytes());
        out.push(b' ');
        if let Some(o) = &self.opening {
            push_text(&mut out, CERTIFICATE_PARAM, &o.certificate);
            out.extend_from_slice(b", ");
            push_text(&mut out, COMMITMENT_PARAM, &o.commitment);
            out.extend_from_slice(b", ");
        }
        push_text(&mut out, PAYMENT_PARAM, &self.payment);
        HeaderValue::from_bytes(&out).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Appends `param`, the text form of `message` and a closing quote.
fn push_text<T: Encode>(out: &mut Vec<u8>, param: &str, message: &T) {
    out.extend_from_slice(param.as_bytes());
    let start = out.len();
    out.resize(start + T::MAX_TEXT_LEN, 0);
    let len = message
        .encode_text(out.get_mut(start..).unwrap_or_default())
        .map_or(0, str::len);
    out.truncate(start + len);
    out.push(b'"');
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME} ")?;
        if let Some(o) = &self.opening {
            write!(
                f,
                "{CERTIFICATE_PARAM}{}\", {COMMITMENT_PARAM}{}\", ",
                o.certificate.to_text(),
                o.commitment.to_text()
            )?;
        }
        write!(f, "{PAYMENT_PARAM}{}\"", self.payment.to_text())
    }
}

/// The `WWW-Authenticate` value of a 402: `PayWord offer="<offer>"`.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
/// # use payword::{BrokerId, MessageSigner, VendorId};
/// use payword_http::header::Challenge;
///
/// # let key = SigningKey::from_bytes(&[2; 32]);
/// # let offer = Offer::sign(OfferFields {
/// #     vendor: VendorId::from_bytes([5; 32]), vendor_key: key.public_key(),
/// #     brokers: Brokers::new(&[AcceptedBroker { id: BrokerId::from_bytes([4; 32]), key: key.public_key() }])?,
/// #     price: 2, unit_value: 10, kinds: ChainKinds::SINGLE_SHA256, max_chain: 10_000,
/// #     valid_from: 0, expires: 1_000,
/// # }, &key)?;
/// let challenge = Challenge { offer };
/// let text = challenge.to_string();
/// assert!(text.starts_with("PayWord offer=\"UgE")); // tag 0x52, version 1
/// assert_eq!(Challenge::parse(text.as_bytes())?, challenge);
/// assert!(Challenge::parse(b"PayWord offer=AAAA").is_err()); // unquoted
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The vendor's signed offer for the request.
    pub offer: Offer,
}

impl Challenge {
    /// The longest value, in bytes.
    pub const MAX_LEN: usize = SCHEME.len() + 1 + OFFER_PARAM.len() + Offer::MAX_TEXT_LEN + 1;

    /// Parses a value.
    ///
    /// # Errors
    ///
    /// [`HeaderError::TooLong`], [`HeaderError::Syntax`],
    /// [`HeaderError::Text`].
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn parse(value: &[u8]) -> Result<Self, HeaderError> {
        let s = ascii(value, Self::MAX_LEN)?;
        let mut c = Cursor::new(s);
        c.literal(SCHEME)?;
        c.literal(" ")?;
        let offer = c.quoted(OFFER_PARAM)?;
        c.end()?;
        Ok(Self {
            offer: decode::<_, { Offer::MAX_LEN }>("offer", offer)?,
        })
    }

    /// The value as a header value.
    ///
    /// # Examples
    ///
    /// See [`Authorization::to_header_value`].
    #[must_use]
    pub fn to_header_value(&self) -> HeaderValue {
        value(&self.to_string())
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME} {OFFER_PARAM}{}\"", self.offer.to_text())
    }
}

/// A decimal number header (`PayWord-Paid`, `PayWord-Last-Index`): ASCII
/// digits, no sign, no leading zero (but `0`), at most `u32::MAX`.
///
/// # Examples
///
/// ```
/// use payword_http::header::{HeaderError, Number};
///
/// assert_eq!(Number::parse(b"41"), Ok(41));
/// assert_eq!(Number::parse(b"0"), Ok(0));
/// assert_eq!(Number::parse(b"041"), Err(HeaderError::Number));
/// assert_eq!(Number::parse(b"4294967296"), Err(HeaderError::Number));
/// assert_eq!(Number::to_header_value(7), "7");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Number;

impl Number {
    /// The longest value (`4294967295`).
    pub const MAX_LEN: usize = 10;

    /// Parses a value.
    ///
    /// # Errors
    ///
    /// [`HeaderError::TooLong`], [`HeaderError::Number`].
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn parse(value: &[u8]) -> Result<u32, HeaderError> {
        if value.len() > Self::MAX_LEN {
            return Err(HeaderError::TooLong {
                length: value.len(),
                max: Self::MAX_LEN,
            });
        }
        match value {
            [] => Err(HeaderError::Number),
            [b'0'] => Ok(0),
            [b'0', ..] => Err(HeaderError::Number),
            digits => {
                let mut n: u64 = 0;
                for d in digits {
                    if !d.is_ascii_digit() {
                        return Err(HeaderError::Number);
                    }
                    n = n * 10 + u64::from(d - b'0');
                }
                u32::try_from(n).map_err(|_| HeaderError::Number)
            }
        }
    }

    /// `n` as a header value.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn to_header_value(n: u32) -> HeaderValue {
        HeaderValue::from(n)
    }
}

/// What a refusal of the paywall was, in its `PayWord-Error` header.
///
/// # Examples
///
/// ```
/// use payword_http::header::ErrorCode;
///
/// assert_eq!(ErrorCode::parse(b"replay"), Ok(ErrorCode::Replay));
/// assert_eq!(ErrorCode::Replay.status(), 409);
/// assert!(ErrorCode::parse(b"Replay").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 402: the request is priced and carries no payment.
    PaymentRequired,
    /// 400: a header of the exchange is malformed.
    Malformed,
    /// 402: the payment names a session the vendor does not hold: send the
    /// certificate and commitment with it.
    UnknownSession,
    /// 402: the certificate or commitment was refused.
    CommitmentRefused,
    /// 402: the payment does not advance by exactly the price (the
    /// `PayWord-Last-Index` header says where the vendor is).
    WrongPrice,
    /// 402: the payment was refused (forged, past the chain's end,
    /// expired session, …).
    PaymentRefused,
    /// 409: the payword was already spent (the `PayWord-Last-Index` header
    /// says the last index accepted).
    Replay,
    /// 503: the vendor could not save the session: nothing was accepted,
    /// retry.
    Unavailable,
}

impl ErrorCode {
    const ALL: [Self; 8] = [
        Self::PaymentRequired,
        Self::Malformed,
        Self::UnknownSession,
        Self::CommitmentRefused,
        Self::WrongPrice,
        Self::PaymentRefused,
        Self::Replay,
        Self::Unavailable,
    ];

    /// The code's one spelling.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(payword_http::header::ErrorCode::WrongPrice.as_str(), "wrong_price");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PaymentRequired => "payment_required",
            Self::Malformed => "malformed",
            Self::UnknownSession => "unknown_session",
            Self::CommitmentRefused => "commitment_refused",
            Self::WrongPrice => "wrong_price",
            Self::PaymentRefused => "payment_refused",
            Self::Replay => "replay",
            Self::Unavailable => "unavailable",
        }
    }

    /// The HTTP status the code comes with.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::Malformed => 400,
            Self::Replay => 409,
            Self::Unavailable => 503,
            _ => 402,
        }
    }

    /// Parses a value.
    ///
    /// # Errors
    ///
    /// [`HeaderError::TooLong`], [`HeaderError::UnknownCode`].
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn parse(value: &[u8]) -> Result<Self, HeaderError> {
        const MAX: usize = 18; // "commitment_refused"
        if value.len() > MAX {
            return Err(HeaderError::TooLong {
                length: value.len(),
                max: MAX,
            });
        }
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().as_bytes() == value)
            .ok_or(HeaderError::UnknownCode)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one value of header `name` in `headers`: `None` if absent.
///
/// # Errors
///
/// [`HeaderError::Repeated`] if it appears more than once.
///
/// # Examples
///
/// ```
/// use http::HeaderMap;
/// use payword_http::header::{HeaderError, PAID, single};
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(single(&headers, &PAID), Ok(None));
/// headers.append(PAID, "1".parse()?);
/// assert_eq!(single(&headers, &PAID)?.map(|v| v.as_bytes()), Some(&b"1"[..]));
/// headers.append(PAID, "2".parse()?);
/// assert_eq!(single(&headers, &PAID), Err(HeaderError::Repeated));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn single<'a>(
    headers: &'a http::HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a HeaderValue>, HeaderError> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(HeaderError::Repeated);
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use payword::offer::{AcceptedBroker, Brokers, ChainKinds, OfferFields};
    use payword::{
        BrokerId, CertificateFields, ChainId, ChainParams, CommitmentFields, CommittedChain,
        CustomerId, DecodeError, Digest, HashAlg, PaymentBody, Payword, VendorId, Word,
    };

    struct Key([u8; 32]);

    // A deterministic signer without the ed25519-dalek dependency: the
    // headers never check signatures.
    impl payword::MessageSigner for Key {
        fn public_key(&self) -> payword::PublicKey {
            payword::PublicKey::ed25519(self.0)
        }
        fn sign_digest(&self, _: &Digest) -> Result<payword::Signature, payword::SignatureError> {
            Ok(payword::Signature::ed25519([7; 64]))
        }
    }

    fn payment() -> Payment {
        Payment::new(
            Digest::from_bytes([1; 32]),
            PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))),
        )
    }

    fn opening() -> Opening {
        let k = Key([9; 32]);
        let certificate = Certificate::issue(
            CertificateFields {
                broker: BrokerId::from_bytes([3; 32]),
                serial: 1,
                customer: CustomerId::from_bytes([4; 16]),
                customer_key: k.public_key(),
                credit_limit: 100,
                valid_from: 0,
                expires: 10,
            },
            &k,
        )
        .unwrap();
        let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 10).unwrap();
        let commitment = Commitment::sign(
            CommitmentFields {
                certificate: certificate.digest(),
                vendor: VendorId::from_bytes([6; 32]),
                unit_value: 1,
                valid_from: 0,
                expires: 10,
                chain: CommittedChain::Single {
                    params,
                    anchor: payword::Anchor::from_bytes([8; 32]),
                },
                renewal: None,
            },
            &k,
        )
        .unwrap();
        Opening {
            certificate,
            commitment,
        }
    }

    fn offer() -> Offer {
        let k = Key([9; 32]);
        Offer::sign(
            OfferFields {
                vendor: VendorId::from_bytes([6; 32]),
                vendor_key: k.public_key(),
                brokers: Brokers::new(&[AcceptedBroker {
                    id: BrokerId::from_bytes([3; 32]),
                    key: k.public_key(),
                }])
                .unwrap(),
                price: 3,
                unit_value: 10,
                kinds: ChainKinds::ALL,
                max_chain: 1000,
                valid_from: 0,
                expires: 100,
            },
            &k,
        )
        .unwrap()
    }

    use payword::MessageSigner as _;

    #[test]
    fn authorization_round_trips_in_both_forms() {
        for opening in [None, Some(opening())] {
            let auth = Authorization {
                opening,
                payment: payment(),
            };
            let text = auth.to_string();
            assert!(text.len() <= Authorization::MAX_LEN);
            assert_eq!(Authorization::parse(text.as_bytes()), Ok(auth));
            assert_eq!(auth.to_header_value().as_bytes(), text.as_bytes());
        }
    }

    #[test]
    fn authorization_has_one_spelling() {
        let auth = Authorization {
            opening: Some(opening()),
            payment: payment(),
        };
        let good = auth.to_string();
        let p = payment().to_text();
        let c = opening().certificate.to_text();
        let m = opening().commitment.to_text();
        let cases: Vec<(String, HeaderError)> = vec![
            (
                good.replacen("PayWord", "payword", 1),
                HeaderError::Syntax {
                    expected: "PayWord",
                    position: 0,
                },
            ),
            (
                good.replacen("PayWord ", "PayWord\t", 1),
                HeaderError::Syntax {
                    expected: "visible ASCII",
                    position: 7,
                },
            ),
            (
                good.replacen(", ", ",", 1),
                HeaderError::Syntax {
                    expected: ", ",
                    position: 8 + 13 + c.len() + 1,
                },
            ),
            (
                format!("PayWord payment={p}"),
                HeaderError::Syntax {
                    expected: "payment=\"",
                    position: 8,
                },
            ),
            (
                format!("PayWord payment=\"{p}"),
                HeaderError::Syntax {
                    expected: "\"",
                    position: 17 + p.len(),
                },
            ),
            (
                format!("PayWord payment=\"{p}\" "),
                HeaderError::Syntax {
                    expected: "end of value",
                    position: 18 + p.len(),
                },
            ),
            // Parameters in another order.
            (
                format!("PayWord commitment=\"{m}\", certificate=\"{c}\", payment=\"{p}\""),
                HeaderError::Syntax {
                    expected: "payment=\"",
                    position: 8,
                },
            ),
            (
                format!("PayWord payment=\"{p}\", payment=\"{p}\""),
                HeaderError::Syntax {
                    expected: "end of value",
                    position: 18 + p.len(),
                },
            ),
            (
                "PayWord".into(),
                HeaderError::Syntax {
                    expected: " ",
                    position: 7,
                },
            ),
            (
                String::new(),
                HeaderError::Syntax {
                    expected: "PayWord",
                    position: 0,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Authorization::parse(text.as_bytes()), Err(want), "{text}");
        }
    }

    #[test]
    fn authorization_text_errors_name_the_parameter() {
        let p = payment().to_text();
        let c = opening().certificate.to_text();
        let m = opening().commitment.to_text();
        // A commitment where the payment goes: the wrong message type.
        assert_eq!(
            Authorization::parse(format!("PayWord payment=\"{m}\"").as_bytes()),
            Err(HeaderError::Text {
                field: "payment",
                error: TextError::Decode(DecodeError::UnknownTag { tag: 0x11 })
            })
        );
        assert_eq!(
            Authorization::parse(
                format!("PayWord certificate=\"{p}\", commitment=\"{m}\", payment=\"{p}\"")
                    .as_bytes()
            ),
            Err(HeaderError::Text {
                field: "certificate",
                error: TextError::Decode(DecodeError::UnknownTag { tag: 0x12 })
            })
        );
        assert_eq!(
            Authorization::parse(
                format!("PayWord certificate=\"{c}\", commitment=\"{c}\", payment=\"{p}\"")
                    .as_bytes()
            ),
            Err(HeaderError::Text {
                field: "commitment",
                error: TextError::Decode(DecodeError::UnknownTag { tag: 0x10 })
            })
        );
        assert_eq!(
            Authorization::parse(b"PayWord payment=\"AA=A\""),
            Err(HeaderError::Text {
                field: "payment",
                error: TextError::Padding { position: 2 }
            })
        );
        assert_eq!(
            Authorization::parse("PayWord payment=\"é\"".as_bytes()),
            Err(HeaderError::Syntax {
                expected: "visible ASCII",
                position: 17
            })
        );
    }

    #[test]
    fn lengths_are_checked_before_anything_else() {
        let long = vec![0xffu8; Authorization::MAX_LEN + 1];
        assert_eq!(
            Authorization::parse(&long),
            Err(HeaderError::TooLong {
                length: Authorization::MAX_LEN + 1,
                max: Authorization::MAX_LEN
            })
        );
        let long = vec![b'x'; Challenge::MAX_LEN + 1];
        assert!(matches!(
            Challenge::parse(&long),
            Err(HeaderError::TooLong { .. })
        ));
        assert!(matches!(
            Number::parse(b"00000000000"),
            Err(HeaderError::TooLong { .. })
        ));
        assert!(matches!(
            ErrorCode::parse(&[b'a'; 19]),
            Err(HeaderError::TooLong { .. })
        ));
    }

    #[test]
    fn challenge_round_trips_and_is_strict() {
        let c = Challenge { offer: offer() };
        let text = c.to_string();
        assert!(text.len() <= Challenge::MAX_LEN);
        assert_eq!(Challenge::parse(text.as_bytes()), Ok(c));
        assert!(Challenge::parse(text.replace("offer", "Offer").as_bytes()).is_err());
        assert!(Challenge::parse(format!("{text}, realm=\"x\"").as_bytes()).is_err());
        // A payment's text is not an offer.
        let p = payment().to_text();
        assert_eq!(
            Challenge::parse(format!("PayWord offer=\"{p}\"").as_bytes()),
            Err(HeaderError::Text {
                field: "offer",
                error: TextError::Decode(DecodeError::UnknownTag { tag: 0x12 })
            })
        );
    }

    #[test]
    fn numbers_have_one_spelling() {
        for (text, want) in [
            (&b"0"[..], Ok(0)),
            (b"1", Ok(1)),
            (b"4294967295", Ok(u32::MAX)),
            (b"4294967296", Err(HeaderError::Number)),
            (b"9999999999", Err(HeaderError::Number)),
            (b"", Err(HeaderError::Number)),
            (b"01", Err(HeaderError::Number)),
            (b"+1", Err(HeaderError::Number)),
            (b"-1", Err(HeaderError::Number)),
            (b" 1", Err(HeaderError::Number)),
            (b"1 ", Err(HeaderError::Number)),
            (b"0x1", Err(HeaderError::Number)),
        ] {
            assert_eq!(Number::parse(text), want, "{text:?}");
        }
        for n in [0, 1, 9, 10, 41, u32::MAX] {
            assert_eq!(Number::parse(Number::to_header_value(n).as_bytes()), Ok(n));
        }
    }

    #[test]
    fn error_codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str().as_bytes()), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(ErrorCode::parse(b"REPLAY"), Err(HeaderError::UnknownCode));
        assert_eq!(ErrorCode::parse(b""), Err(HeaderError::UnknownCode));
        assert_eq!(ErrorCode::parse(b"replay "), Err(HeaderError::UnknownCode));
    }
}
