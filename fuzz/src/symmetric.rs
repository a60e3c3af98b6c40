//! The symmetric-session targets: one per group of new decoders.
//!
//! - `symmetric_ticket`: `TicketRequest`, `CustomerTicket`, `VendorTicket`;
//!   a decoded request is issued by the fixture broker (and the ticket then
//!   opens for the customer), a decoded ticket part is opened by the
//!   fixture customer / vendor (and opens only if it is the fixture's own);
//! - `symmetric_payment`: `SymmetricPayment`, `VendorConfirmation`; a
//!   payment is offered to the fixture vendor session (accepted only for a
//!   genuine payword under the fixture's MAC key), a confirmation to the
//!   fixture customer session;
//! - `symmetric_claim`: `SymmetricClaim`, `Dispute`; redeemed / arbitrated
//!   by the fixture broker within a budget (accepted only for the fixture's
//!   ticket and a genuine payword).
//!
//! Every decoder must be total and canonical (decode → encode = input,
//! within `MAX_LEN`). Nothing here is signed, so `cfg(fuzzing)` changes
//! nothing: the seeds reach past the AEAD and the MACs in the fuzz build.

use std::fmt::Debug;
use std::sync::LazyLock;

use payword::symmetric::{
    BrokerKeys, CustomerSession, CustomerTicket, Dispute, LongTermKey, ReplayCache, RequestFields,
    RequestId, RequestNonce, SymmetricBroker, SymmetricClaim, SymmetricPayment, SymmetricSession,
    Ticket, TicketRequest, VendorConfirmation, VendorTicket,
};
use payword::{ChainId, ChainParams, ChainSeed, CustomerId, Encode, HashAlg, Payword, VendorId};

use crate::fixture::{BROKER_ID, Chain, VENDOR};

/// The fixture customer.
pub const CUSTOMER: CustomerId = CustomerId::from_bytes([0xc5; 16]);
/// The issue time of the fixture ticket, inside its window.
pub const ISSUED: u64 = 1_000;
/// The fixture ticket's window.
pub const FROM: u64 = 900;
/// …until.
pub const UNTIL: u64 = 2_000;
/// The broker's chain-step budget per claim.
pub const BUDGET: u32 = 1 << 10;

/// The long-term keys of the fixture's one customer and one vendor.
pub struct Keys {
    customer: LongTermKey,
    vendor: LongTermKey,
}

impl BrokerKeys for Keys {
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
        (*id == CUSTOMER).then_some(&self.customer)
    }
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
        (*id == VENDOR).then_some(&self.vendor)
    }
}

/// Everything the targets compare against.
pub struct Fixture {
    /// The long-term keys.
    pub keys: Keys,
    /// The broker.
    pub broker: SymmetricBroker,
    /// The broker's issuing seed.
    pub seed: LongTermKey,
    /// The chain (length 8).
    pub chain: Chain,
    /// The customer's request.
    pub request: TicketRequest,
    /// The ticket answering it.
    pub ticket: Ticket,
    /// The vendor's session on it, before any payment.
    pub vendor: SymmetricSession,
    /// The customer's session on it.
    pub customer: CustomerSession,
}

/// The fixture, built once.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let keys = Keys {
        customer: LongTermKey::from_bytes([0xc1; 32]),
        vendor: LongTermKey::from_bytes([0xd1; 32]),
    };
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x5b; 16]), 8).expect("params");
    let chain = Chain::new(params, &ChainSeed::from_bytes([0x5b; 32]));
    let request = TicketRequest::new(
        RequestFields {
            broker: BROKER_ID,
            customer: CUSTOMER,
            certificate: 1,
            vendor: VENDOR,
            nonce: RequestNonce::from_bytes([0x4e; 16]),
            params,
            anchor: chain.anchor(),
            unit_value: 2,
            valid_from: FROM,
            expires: UNTIL,
        },
        &keys.customer,
    )
    .expect("request");
    let broker = SymmetricBroker::new(BROKER_ID);
    let seed = LongTermKey::from_bytes([0x5e; 32]);
    let ticket = broker
        .issue_seeded(&request, &keys, ISSUED, &seed)
        .expect("ticket");
    let vendor = SymmetricSession::open(
        VENDOR,
        BROKER_ID,
        &keys.vendor,
        &ticket.vendor,
        &mut ReplayCache::<1>::new(),
        ISSUED,
        0,
    )
    .expect("vendor session");
    let customer = CustomerSession::open(&request, &keys.customer, &ticket.customer, ISSUED, 0)
        .expect("customer session");
    Fixture {
        keys,
        broker,
        seed,
        chain,
        request,
        ticket,
        vendor,
        customer,
    }
});

/// Decodes a `T`; if accepted, checks the canonical rule.
fn decode<T: Encode + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    match T::decode(data) {
        Ok(v) => {
            assert!(data.len() <= T::MAX_LEN, "{} > MAX_LEN", data.len());
            assert_eq!(v.to_bytes(), data, "decode → encode changed the bytes");
            assert_eq!(v.encode(&mut []), data.len());
            Some(v)
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

/// `symmetric_ticket`: the request and ticket-part decoders.
pub fn symmetric_ticket(data: &[u8]) {
    let fx = &*FIXTURE;
    if let Some(r) = decode::<TicketRequest>(data) {
        let got = fx.broker.issue_seeded(&r, &fx.keys, ISSUED, &fx.seed);
        crate::trace!("issue: {:?}", got.as_ref().map(|_| ()));
        if let Ok(t) = got {
            // Issued only under the customer's key: it opens for them.
            let c = CustomerSession::open(&r, &fx.keys.customer, &t.customer, ISSUED, 0);
            assert!(c.is_ok(), "an issued ticket does not open: {c:?}");
        }
    }
    if let Some(t) = decode::<CustomerTicket>(data) {
        let got = CustomerSession::open(&fx.request, &fx.keys.customer, &t, ISSUED, 0);
        crate::trace!("customer open: {:?}", got.as_ref().map(|_| ()));
        if got.is_ok() {
            assert_eq!(t, fx.ticket.customer, "a forged customer part opened");
        }
    }
    if let Some(t) = decode::<VendorTicket>(data) {
        let got = SymmetricSession::open(
            VENDOR,
            BROKER_ID,
            &fx.keys.vendor,
            &t,
            &mut ReplayCache::<1>::new(),
            ISSUED,
            0,
        );
        crate::trace!("vendor open: {:?}", got.as_ref().map(|_| ()));
        if got.is_ok() {
            assert_eq!(t, fx.ticket.vendor, "a forged vendor part opened");
        }
    }
}

/// `symmetric_payment`: the payment and confirmation decoders.
pub fn symmetric_payment(data: &[u8]) {
    let fx = &*FIXTURE;
    if let Some(p) = decode::<SymmetricPayment>(data) {
        let mut v = fx.vendor.clone();
        let got = v.pay(&p, p.request(), ISSUED);
        crate::trace!("pay: {got:?}");
        match got {
            Ok(value) => {
                assert!(fx.chain.is_genuine(p.payword()), "a forged payword paid");
                assert_eq!(value, u64::from(p.payword().index()) * 2);
                // The customer's own MAC of the same payword and request.
                assert_eq!(fx.customer.pay(*p.request(), *p.payword()), p);
                // Once: a replay is refused.
                assert!(v.pay(&p, p.request(), ISSUED).is_err());
            }
            Err(_) => assert_eq!(v.units_paid(), 0),
        }
    }
    if let Some(c) = decode::<VendorConfirmation>(data) {
        let mut s = fx.customer.clone();
        if s.confirm(&c).is_ok() {
            assert_eq!(c, fx.vendor.confirmation(), "a forged confirmation passed");
        } else {
            assert!(!s.confirmed());
        }
    }
}

/// `symmetric_claim`: the claim and dispute decoders.
pub fn symmetric_claim(data: &[u8]) {
    let fx = &*FIXTURE;
    if let Some(c) = decode::<SymmetricClaim>(data) {
        let got = fx.broker.redeem(&c, &fx.keys, ISSUED, 0, BUDGET);
        crate::trace!("redeem: {got:?}");
        if let Ok(r) = got {
            assert_eq!(c.ticket, fx.ticket.vendor, "a forged ticket redeemed");
            assert!(fx.chain.is_genuine(c.payment.payword()));
            assert_eq!(r.value, r.units * 2);
        }
    }
    if let Some(d) = decode::<Dispute>(data) {
        let got = fx.broker.arbitrate(&d, &fx.keys, BUDGET);
        crate::trace!("arbitrate: {got:?}");
        if got.is_ok() {
            assert_eq!(d.claim.ticket, fx.ticket.vendor, "a forged ticket ruled on");
        }
    }
}

/// The seeds of the three targets.
#[must_use]
pub fn seeds() -> Vec<crate::corpus::Seed> {
    let fx = &*FIXTURE;
    let pay = |i: u32, r: u8| {
        fx.customer.pay(
            RequestId::from_bytes([r; 16]),
            Payword::new(i, fx.chain.word(i)),
        )
    };
    let claim = SymmetricClaim {
        ticket: fx.ticket.vendor,
        payment: pay(3, 1),
    };
    vec![
        ("symmetric_ticket", "request".into(), fx.request.to_bytes()),
        (
            "symmetric_ticket",
            "customer-part".into(),
            fx.ticket.customer.to_bytes(),
        ),
        (
            "symmetric_ticket",
            "vendor-part".into(),
            fx.ticket.vendor.to_bytes(),
        ),
        ("symmetric_payment", "first".into(), pay(1, 1).to_bytes()),
        ("symmetric_payment", "third".into(), pay(3, 2).to_bytes()),
        (
            "symmetric_payment",
            "confirmation".into(),
            fx.vendor.confirmation().to_bytes(),
        ),
        ("symmetric_claim", "claim".into(), claim.to_bytes()),
        (
            "symmetric_claim",
            "dispute".into(),
            Dispute {
                claim,
                counter: Some(pay(3, 2)),
            }
            .to_bytes(),
        ),
        (
            "symmetric_claim",
            "dispute-alone".into(),
            Dispute {
                claim,
                counter: None,
            }
            .to_bytes(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds reach past the AEAD and the MACs: every ticket part opens,
    /// every payment is accepted, every claim redeems.
    #[test]
    fn symmetric_seeds_are_accepted() {
        let fx = &*FIXTURE;
        for (target, name, bytes) in seeds() {
            match target {
                "symmetric_payment" if name != "confirmation" => {
                    let p = SymmetricPayment::decode(&bytes).expect("payment");
                    assert!(fx.vendor.clone().pay(&p, p.request(), ISSUED).is_ok());
                }
                "symmetric_claim" if name == "claim" => {
                    let c = SymmetricClaim::decode(&bytes).expect("claim");
                    assert!(fx.broker.redeem(&c, &fx.keys, ISSUED, 0, BUDGET).is_ok());
                }
                _ => {}
            }
            let f = crate::targets::by_name(target).expect("target");
            f(&bytes);
        }
    }
}
