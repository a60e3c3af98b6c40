//! The offer in the `PAYMENT-REQUIRED` header form of x402 version 2, so
//! that x402-aware clients discover it.
//!
//! x402 v2 (its core specification and HTTP transport, `specs/` of the
//! x402 repository) has a 402 response carry `PAYMENT-REQUIRED: <base64 of
//! a JSON PaymentRequired>`: `x402Version` (2), an optional `error`, a
//! `resource` (`url`, optional `description` and `mimeType`) and `accepts`,
//! a list of `PaymentRequirements`, each with `scheme`, `network` (CAIP-2,
//! `namespace:reference`), `amount` (a decimal string of atomic units),
//! `asset`, `payTo`, `maxTimeoutSeconds` and a scheme-specific `extra`. A
//! client picks an entry whose scheme it implements. This module writes one
//! entry per broker the offer accepts, with the scheme `payword`:
//!
//! ```json
//! {"x402Version":2,"error":"payment required","resource":{"url":"/article"},
//!  "accepts":[{"scheme":"payword","network":"payword:0303…03",
//!    "amount":"30","asset":"0303…03","payTo":"0606…06","maxTimeoutSeconds":300,
//!    "extra":{"offer":"UgEB…","units":3,"unitValue":"10"}}]}
//! ```
//!
//! - `network`: `payword:` and the first 16 bytes of the broker's id in
//!   hex (CAIP-2 references are at most 32 characters); the broker is the
//!   settlement network.
//! - `asset`: the broker's whole id in hex: what the customer spends is
//!   credit at that broker.
//! - `amount`: the price of the request in value (`units × unitValue`).
//! - `payTo`: the vendor's id in hex.
//! - `extra.offer`: the signed offer's text form, the authoritative terms;
//!   `extra.units` and `extra.unitValue` repeat its price and unit value.
//!
//! Paying is not x402's `PAYMENT-SIGNATURE`: a payword client pays with the
//! `Authorization: PayWord` header (`docs/HTTP.md`); the x402 entry is for
//! discovery. Base64 is the standard alphabet with padding (the
//! specification's examples). The resource URL is the request's path.
//!
//! The parser is strict: the length is checked first, the base64 must be
//! canonical, and the JSON must be byte for byte what
//! [`PaymentRequired::to_header`] writes for the values it holds (field
//! order, no whitespace, the derived fields agreeing with the offer), so a
//! value has one spelling.

use base64ct::{Base64, Encoding as _};
use payword::Encode;
use payword::offer::Offer;
use serde::{Deserialize, Serialize};

use crate::header::HeaderError;

/// The x402 `PaymentRequired` of a payword offer.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
/// # use payword::{BrokerId, MessageSigner, VendorId};
/// use payword_http::x402::PaymentRequired;
///
/// # let key = SigningKey::from_bytes(&[2; 32]);
/// # let offer = Offer::sign(OfferFields {
/// #     vendor: VendorId::from_bytes([6; 32]), vendor_key: key.public_key(),
/// #     brokers: Brokers::new(&[AcceptedBroker { id: BrokerId::from_bytes([3; 32]), key: key.public_key() }])?,
/// #     price: 3, unit_value: 10, kinds: ChainKinds::SINGLE_SHA256, max_chain: 10_000,
/// #     valid_from: 0, expires: 1_000,
/// # }, &key)?;
/// let required = PaymentRequired {
///     resource: "/article".into(),
///     error: Some("payment required".into()),
///     offer,
///     max_timeout_seconds: 300,
/// };
/// let json = required.to_json();
/// assert!(json.starts_with(r#"{"x402Version":2,"error":"payment required","resource":{"url":"/article"},"accepts":[{"scheme":"payword","network":"payword:03030303030303030303030303030303","amount":"30","#));
/// let header = required.to_header();
/// assert_eq!(PaymentRequired::parse(header.as_bytes())?, required);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequired {
    /// The resource's URL (the paywall writes the request's path; at most
    /// [`MAX_RESOURCE_LEN`](Self::MAX_RESOURCE_LEN) bytes).
    pub resource: String,
    /// Why payment is required (at most
    /// [`MAX_ERROR_LEN`](Self::MAX_ERROR_LEN) bytes).
    pub error: Option<String>,
    /// The vendor's signed offer.
    pub offer: Offer,
    /// x402's `maxTimeoutSeconds`: how long the customer has to pay.
    pub max_timeout_seconds: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    #[serde(rename = "x402Version")]
    version: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    resource: Resource,
    accepts: Vec<Accept>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resource {
    url: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Accept {
    scheme: String,
    network: String,
    amount: String,
    asset: String,
    pay_to: String,
    max_timeout_seconds: u64,
    extra: Extra,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Extra {
    offer: String,
    units: u32,
    unit_value: String,
}

impl PaymentRequired {
    /// The longest header value read, in bytes.
    pub const MAX_LEN: usize = 16 * 1024;
    /// The longest resource URL written.
    pub const MAX_RESOURCE_LEN: usize = 2048;
    /// The longest error message written.
    pub const MAX_ERROR_LEN: usize = 256;
    /// The scheme name in the `accepts` list.
    pub const SCHEME: &'static str = "payword";

    fn json(&self) -> Json {
        let f = self.offer.fields();
        let text = self.offer.to_text();
        let amount = u128::from(f.price) * u128::from(f.unit_value);
        Json {
            version: 2,
            error: self.error.clone(),
            resource: Resource {
                url: self.resource.clone(),
            },
            accepts: f
                .brokers
                .iter()
                .map(|b| {
                    let id = b.id.to_string();
                    Accept {
                        scheme: Self::SCHEME.into(),
                        network: format!("payword:{}", id.get(..32).unwrap_or("")),
                        amount: amount.to_string(),
                        asset: id,
                        pay_to: f.vendor.to_string(),
                        max_timeout_seconds: self.max_timeout_seconds,
                        extra: Extra {
                            offer: text.clone(),
                            units: f.price,
                            unit_value: f.unit_value.to_string(),
                        },
                    }
                })
                .collect(),
        }
    }

    /// The JSON `PaymentRequired` (compact, fields in the order above).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.json()).unwrap_or_default()
    }

    /// The header value: the JSON in padded standard base64.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn to_header(&self) -> String {
        let json = self.to_json();
        let mut out = vec![0u8; Base64::encoded_len(json.as_bytes())];
        Base64::encode(json.as_bytes(), &mut out)
            .map(str::to_owned)
            .unwrap_or_default()
    }

    /// Parses a header value.
    ///
    /// # Cost
    ///
    /// Linear in the value, whose length is checked first (at most
    /// [`MAX_LEN`](Self::MAX_LEN) bytes are decoded and allocated).
    ///
    /// # Errors
    ///
    /// [`HeaderError::TooLong`], [`HeaderError::Base64`],
    /// [`HeaderError::Json`], [`HeaderError::Text`] (the offer),
    /// [`HeaderError::NotCanonical`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_http::header::HeaderError;
    /// use payword_http::x402::PaymentRequired;
    ///
    /// assert_eq!(PaymentRequired::parse(b"e30"), Err(HeaderError::Base64)); // "{}" unpadded
    /// assert_eq!(
    ///     PaymentRequired::parse(b"e30="), // "{}"
    ///     Err(HeaderError::Json { line: 1, column: 2 })
    /// );
    /// ```
    pub fn parse(value: &[u8]) -> Result<Self, HeaderError> {
        if value.len() > Self::MAX_LEN {
            return Err(HeaderError::TooLong {
                length: value.len(),
                max: Self::MAX_LEN,
            });
        }
        let mut buf = vec![0u8; value.len() / 4 * 3];
        let bytes = Base64::decode(value, &mut buf).map_err(|_| HeaderError::Base64)?;
        let json: Json = serde_json::from_slice(bytes).map_err(|e| HeaderError::Json {
            line: e.line(),
            column: e.column(),
        })?;
        let first = json.accepts.first().ok_or(HeaderError::NotCanonical)?;
        let offer = Offer::from_text(&first.extra.offer).map_err(|error| HeaderError::Text {
            field: "offer",
            error,
        })?;
        let out = Self {
            resource: json.resource.url,
            error: json.error,
            offer,
            max_timeout_seconds: first.max_timeout_seconds,
        };
        if json.version != 2
            || out.resource.len() > Self::MAX_RESOURCE_LEN
            || out
                .error
                .as_ref()
                .is_some_and(|e| e.len() > Self::MAX_ERROR_LEN)
            || out.to_json().as_bytes() != bytes
        {
            return Err(HeaderError::NotCanonical);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use payword::offer::{AcceptedBroker, Brokers, ChainKinds, OfferFields};
    use payword::{BrokerId, Digest, PublicKey, Signature, SignatureError, VendorId};

    struct Key;

    impl payword::MessageSigner for Key {
        fn public_key(&self) -> PublicKey {
            PublicKey::ed25519([9; 32])
        }
        fn sign_digest(&self, _: &Digest) -> Result<Signature, SignatureError> {
            Ok(Signature::ed25519([7; 64]))
        }
    }

    fn offer(brokers: usize) -> Offer {
        let list: Vec<_> = (0..brokers)
            .map(|i| AcceptedBroker {
                id: BrokerId::from_bytes([u8::try_from(i).unwrap() + 3; 32]),
                key: PublicKey::ed25519([9; 32]),
            })
            .collect();
        Offer::sign(
            OfferFields {
                vendor: VendorId::from_bytes([6; 32]),
                vendor_key: PublicKey::ed25519([9; 32]),
                brokers: Brokers::new(&list).unwrap(),
                price: 3,
                unit_value: u64::MAX,
                kinds: ChainKinds::ALL,
                max_chain: 1000,
                valid_from: 0,
                expires: 100,
            },
            &Key,
        )
        .unwrap()
    }

    fn required(brokers: usize) -> PaymentRequired {
        PaymentRequired {
            resource: "/a?b=\"c\"".into(),
            error: Some("payment required: 3 units".into()),
            offer: offer(brokers),
            max_timeout_seconds: 300,
        }
    }

    fn b64(s: &str) -> String {
        let mut out = vec![0u8; Base64::encoded_len(s.as_bytes())];
        Base64::encode(s.as_bytes(), &mut out).unwrap().to_owned()
    }

    #[test]
    fn round_trips_with_one_entry_per_broker() {
        for n in 1..=4 {
            let r = required(n);
            let header = r.to_header();
            assert!(header.len() <= PaymentRequired::MAX_LEN);
            assert_eq!(PaymentRequired::parse(header.as_bytes()), Ok(r.clone()));
            let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            let accepts = json["accepts"].as_array().unwrap();
            assert_eq!(accepts.len(), n);
            // 3 × (2^64 − 1) does not fit in a u64: the amount is exact.
            assert_eq!(accepts[0]["amount"], "55340232221128654845");
            assert_eq!(
                accepts[0]["network"],
                format!("payword:{}", "03".repeat(16))
            );
            assert_eq!(accepts[0]["asset"], "03".repeat(32));
            assert_eq!(accepts[0]["payTo"], "06".repeat(32));
            assert_eq!(accepts[0]["extra"]["units"], 3);
        }
        let mut r = required(1);
        r.error = None;
        assert!(!r.to_json().contains("error"));
        assert_eq!(PaymentRequired::parse(r.to_header().as_bytes()), Ok(r));
    }

    #[test]
    fn other_spellings_are_refused() {
        let json = required(2).to_json();
        let cases = [
            // Whitespace.
            json.replacen(',', ", ", 1),
            // Another version.
            json.replacen("\"x402Version\":2", "\"x402Version\":1", 1),
            // An amount that disagrees with the offer.
            json.replacen("\"amount\":\"55340232221128654845\"", "\"amount\":\"1\"", 1),
            // A field order other than the one written.
            json.replacen("\"scheme\":\"payword\",\"network\"", "\"network\"", 1)
                .replacen("\"amount\"", "\"scheme\":\"payword\",\"amount\"", 1),
            // The second entry naming the first broker.
            json.replacen(&"04".repeat(32), &"03".repeat(32), 1),
        ];
        for case in cases {
            assert_ne!(case, json);
            assert_eq!(
                PaymentRequired::parse(b64(&case).as_bytes()),
                Err(HeaderError::NotCanonical),
                "{case}"
            );
        }
        // An unknown field.
        let extra = json.replacen("{\"x402Version\":2,", "{\"x402Version\":2,\"x\":1,", 1);
        assert!(matches!(
            PaymentRequired::parse(b64(&extra).as_bytes()),
            Err(HeaderError::Json { .. })
        ));
        // No entry.
        let none = r#"{"x402Version":2,"resource":{"url":"/"},"accepts":[]}"#;
        assert_eq!(
            PaymentRequired::parse(b64(none).as_bytes()),
            Err(HeaderError::NotCanonical)
        );
    }

    #[test]
    fn base64_and_length_are_strict() {
        let header = required(1).to_header();
        // The URL-safe alphabet, missing padding, whitespace.
        let url_safe = header.replace('+', "-").replace('/', "_");
        if url_safe != header {
            assert_eq!(
                PaymentRequired::parse(url_safe.as_bytes()),
                Err(HeaderError::Base64)
            );
        }
        assert_eq!(
            PaymentRequired::parse(format!(" {header}").as_bytes()),
            Err(HeaderError::Base64)
        );
        let unpadded = header.trim_end_matches('=');
        if unpadded != header {
            assert_eq!(
                PaymentRequired::parse(unpadded.as_bytes()),
                Err(HeaderError::Base64)
            );
        }
        let long = vec![b'A'; PaymentRequired::MAX_LEN + 4];
        assert_eq!(
            PaymentRequired::parse(&long),
            Err(HeaderError::TooLong {
                length: PaymentRequired::MAX_LEN + 4,
                max: PaymentRequired::MAX_LEN
            })
        );
        // A payment's text where the offer goes.
        let json = required(1).to_json();
        let start = json.find("\"offer\":\"").unwrap() + 9;
        let end = start + json[start..].find('"').unwrap();
        let swapped = format!("{}EgEB{}", &json[..start], &json[end..]);
        assert!(matches!(
            PaymentRequired::parse(b64(&swapped).as_bytes()),
            Err(HeaderError::Text { field: "offer", .. })
        ));
    }
}
