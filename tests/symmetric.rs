//! Symmetric-key sessions: the honest run, and for every goal of
//! `docs/SYMMETRIC.md` the attack that would break it, refused with a typed
//! error; then claims credited through the `Broker`'s pipeline (module
//! `pipeline`, feature `ed25519` for the certificates).
#![cfg(all(feature = "symmetric", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use payword::symmetric::*;
use payword::{
    Anchor, BrokerId, ChainId, ChainParams, ChainSeed, CustomerId, DecodeError, Encode, HashAlg,
    Payword, Pebbler, Sha256, Traversal, VendorId, VerifyError, Word,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const BROKER: BrokerId = BrokerId::from_bytes([0xb0; 32]);
const CUSTOMER: CustomerId = CustomerId::from_bytes([0xc0; 16]);
const VENDOR: VendorId = VendorId::from_bytes([0xd0; 32]);
const OTHER_VENDOR: VendorId = VendorId::from_bytes([0xd1; 32]);
const EXPIRES: u64 = 3_600;
const SKEW: u64 = 30;
const NOW: u64 = 100;

#[derive(Default)]
struct Keys {
    customers: HashMap<[u8; 16], LongTermKey>,
    vendors: HashMap<[u8; 32], LongTermKey>,
}

impl BrokerKeys for Keys {
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
        self.customers.get(id.as_bytes())
    }
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
        self.vendors.get(id.as_bytes())
    }
}

struct World {
    rng: ChaCha20Rng,
    keys: Keys,
    broker: SymmetricBroker,
    chain: Pebbler<Sha256>,
    params: ChainParams,
}

impl World {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::from_seed([0x5a; 32]);
        let mut keys = Keys::default();
        keys.customers
            .insert(CUSTOMER.to_bytes(), LongTermKey::random(&mut rng));
        keys.vendors
            .insert(VENDOR.to_bytes(), LongTermKey::random(&mut rng));
        keys.vendors
            .insert(OTHER_VENDOR.to_bytes(), LongTermKey::random(&mut rng));
        let params =
            ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x11; 16]), 100).unwrap();
        let chain = Pebbler::<Sha256>::new(&ChainSeed::random(&mut rng), params).unwrap();
        Self {
            rng,
            keys,
            broker: SymmetricBroker::new(BROKER),
            chain,
            params,
        }
    }

    fn ck(&self) -> &LongTermKey {
        &self.keys.customers[CUSTOMER.as_bytes()]
    }

    fn vk(&self, v: VendorId) -> &LongTermKey {
        &self.keys.vendors[v.as_bytes()]
    }

    fn fields(&mut self, vendor: VendorId) -> RequestFields {
        RequestFields {
            broker: BROKER,
            customer: CUSTOMER,
            certificate: 9,
            vendor,
            nonce: RequestNonce::random(&mut self.rng),
            params: self.params,
            anchor: self.chain.anchor(),
            unit_value: 3,
            valid_from: 0,
            expires: EXPIRES,
        }
    }

    /// A request on `f`, MAC'd under the customer's key.
    fn request_with(&self, f: RequestFields) -> TicketRequest {
        TicketRequest::new(f, self.ck()).unwrap()
    }

    fn request(&mut self, vendor: VendorId) -> TicketRequest {
        let f = self.fields(vendor);
        self.request_with(f)
    }

    fn issue(&mut self, request: &TicketRequest) -> Result<Ticket, SymmetricError> {
        self.broker.issue(request, &self.keys, NOW, &mut self.rng)
    }

    /// A request to `VENDOR` and its ticket.
    fn ticket(&mut self) -> (TicketRequest, Ticket) {
        let request = self.request(VENDOR);
        let ticket = self.issue(&request).unwrap();
        (request, ticket)
    }

    fn vendor_open(
        &self,
        part: &VendorTicket,
        cache: &mut ReplayCache<8>,
        now: u64,
    ) -> Result<SymmetricSession, SymmetricError> {
        vendor_open_as(VENDOR, BROKER, self.vk(VENDOR), part, cache, now)
    }

    /// `VENDOR`'s session on `part`, with a fresh replay cache, at `NOW`.
    fn vendor_session(&self, part: &VendorTicket) -> SymmetricSession {
        self.vendor_open(part, &mut ReplayCache::new(), NOW)
            .unwrap()
    }

    /// The customer's session on the reply `part` to `request`.
    fn customer_open(
        &self,
        request: &TicketRequest,
        part: &CustomerTicket,
        now: u64,
    ) -> Result<CustomerSession, SymmetricError> {
        CustomerSession::open(request, self.ck(), part, now, SKEW)
    }

    /// A request, its ticket, both sessions opened.
    fn run(&mut self) -> (TicketRequest, Ticket, SymmetricSession, CustomerSession) {
        let (request, ticket) = self.ticket();
        let mut cache = ReplayCache::new();
        let v = self.vendor_open(&ticket.vendor, &mut cache, NOW).unwrap();
        let c = self.customer_open(&request, &ticket.customer, NOW).unwrap();
        (request, ticket, v, c)
    }

    /// A run in which the vendor accepted the customer's payment of one
    /// unit (the next payword) for request 1.
    fn paid_once(&mut self) -> (Ticket, SymmetricSession, CustomerSession, SymmetricPayment) {
        let (_, ticket, mut v, c) = self.run();
        let p = c.pay(req(1), self.chain.next_payword().unwrap());
        v.pay(&p, &req(1), NOW).unwrap();
        (ticket, v, c, p)
    }

    /// The broker's ruling on `claim` against the customer's `counter`.
    fn arbitrate(
        &self,
        claim: SymmetricClaim,
        counter: Option<SymmetricPayment>,
    ) -> Result<Ruling, SymmetricError> {
        self.broker
            .arbitrate(&Dispute { claim, counter }, &self.keys, 1 << 16)
    }
}

/// A vendor's session on `part` at `now` (skew `SKEW`), as `vendor` of
/// `broker` with long-term key `key`.
fn vendor_open_as(
    vendor: VendorId,
    broker: BrokerId,
    key: &LongTermKey,
    part: &VendorTicket,
    cache: &mut ReplayCache<8>,
    now: u64,
) -> Result<SymmetricSession, SymmetricError> {
    SymmetricSession::open(vendor, broker, key, part, cache, now, SKEW)
}

fn req(n: u8) -> RequestId {
    RequestId::from_bytes([n; 16])
}

/// Flips bit `bit` of byte `i` of an encoding.
fn flipped(bytes: &[u8], i: usize, bit: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[i] ^= 1 << bit;
    b
}

// ---------------------------------------------------------------------------
// The honest run
// ---------------------------------------------------------------------------

#[test]
fn honest_run_pays_confirms_and_redeems() {
    let mut w = World::new();
    let (_, ticket, mut v, mut c) = w.run();
    assert_eq!(v.terms(), c.terms());
    assert_eq!(v.terms().anchor, w.chain.anchor());
    assert_eq!(v.terms().vendor, VENDOR);
    assert_eq!(v.terms().customer, CUSTOMER);
    assert_eq!(v.terms().issued_at, NOW);
    c.confirm(&v.confirmation()).unwrap();
    assert!(c.confirmed());
    for i in 1..=5u8 {
        let p = c.pay(req(i), w.chain.next_payword().unwrap());
        // Every message goes through its canonical encoding.
        let p = SymmetricPayment::decode(&p.to_bytes()).unwrap();
        assert_eq!(v.pay_exact(&p, &req(i), 1, NOW + 10), Ok(3));
    }
    let p = c.pay(req(6), w.chain.advance(3).unwrap());
    assert_eq!(
        v.pay_exact(&p, &req(6), 2, NOW + 10),
        Err(SymmetricError::WrongPrice { price: 2, paid: 3 })
    );
    assert_eq!(v.pay(&p, &req(6), NOW + 10), Ok(9));
    assert_eq!(v.units_paid(), 8);
    let claim = SymmetricClaim::decode(&v.claim().unwrap().to_bytes()).unwrap();
    assert_eq!(claim.ticket, ticket.vendor);
    let r = w
        .broker
        .redeem(&claim, &w.keys, EXPIRES + 10, 60, 1 << 16)
        .unwrap();
    assert_eq!((r.units, r.value, r.receipt), (8, 24, true));
    assert_eq!((r.customer, r.vendor, r.certificate), (CUSTOMER, VENDOR, 9));
    assert_eq!(r.request, req(6));
    assert_eq!(
        w.broker.redeem(&claim, &w.keys, EXPIRES + 61, 60, 1 << 16),
        Err(SymmetricError::Expired)
    );
}

#[test]
fn encodings_round_trip_and_are_strict() {
    let mut w = World::new();
    let (request, ticket, v, c) = w.run();
    let pay = c.pay(req(1), Payword::new(1, Word::from_bytes([1; 32])));
    let claim = SymmetricClaim {
        ticket: ticket.vendor,
        payment: pay,
    };
    let dispute = Dispute {
        claim,
        counter: Some(pay),
    };
    fn check<T: Encode + PartialEq + std::fmt::Debug>(v: &T, len: usize) {
        let b = v.to_bytes();
        assert_eq!(b.len(), len);
        assert!(b.len() <= T::MAX_LEN);
        assert_eq!(&T::decode(&b).unwrap(), v);
        for cut in 0..b.len() {
            assert!(matches!(
                T::decode(&b[..cut]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            T::decode(&long),
            Err(DecodeError::TrailingData { extra: 1 })
        );
        let mut wrong = b.clone();
        wrong[1] = 2;
        assert_eq!(
            T::decode(&wrong),
            Err(DecodeError::UnknownVersion { version: 2 })
        );
    }
    check(&request, 215);
    check(&ticket.vendor, 343);
    check(&ticket.customer, 343);
    check(&pay, 134);
    check(&v.confirmation(), 82);
    check(&claim, 2 + 343 + 134);
    check(&dispute, 2 + 479 + 1 + 134);
    check(
        &Dispute {
            claim,
            counter: None,
        },
        2 + 479 + 1,
    );
    // Tags.
    assert_eq!(request.to_bytes()[0], 0x70);
    assert_eq!(ticket.customer.to_bytes()[0], 0x71);
    assert_eq!(ticket.vendor.to_bytes()[0], 0x72);
    assert_eq!(pay.to_bytes()[0], 0x73);
    assert_eq!(v.confirmation().to_bytes()[0], 0x74);
    assert_eq!(claim.to_bytes()[0], 0x75);
    assert_eq!(dispute.to_bytes()[0], 0x76);
    // Reserved values.
    let mut b = dispute.to_bytes();
    b[2 + 479] = 2;
    assert_eq!(
        Dispute::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "counter flag"
        })
    );
    let mut b = pay.to_bytes();
    b[34..38].copy_from_slice(&[0; 4]);
    assert_eq!(
        SymmetricPayment::decode(&b),
        Err(DecodeError::NonCanonical { field: "index" })
    );
}

#[test]
fn secrets_are_redacted_and_compared_in_constant_time() {
    let mut w = World::new();
    let (_, _, v, c) = w.run();
    let k = LongTermKey::from_bytes([0xab; 32]);
    assert_eq!(format!("{k:?}"), "LongTermKey(..)");
    assert_eq!(
        format!("{:?}", SessionKey::from_bytes([0xab; 32])),
        "SessionKey(..)"
    );
    // The sessions print their terms, never a key byte.
    for s in [format!("{v:?}"), format!("{c:?}")] {
        assert!(!s.contains("ab, ab") && !s.contains("key"), "{s}");
    }
    assert_ne!(k, LongTermKey::from_bytes([0xac; 32]));
}

// ---------------------------------------------------------------------------
// Goal 1: the session key is fresh
// ---------------------------------------------------------------------------

#[test]
fn goal_fresh_replayed_ticket_is_refused() {
    let mut w = World::new();
    let (request, ticket) = w.ticket();
    let mut cache = ReplayCache::new();
    w.vendor_open(&ticket.vendor, &mut cache, NOW).unwrap();
    assert_eq!(
        w.vendor_open(&ticket.vendor, &mut cache, NOW + 5)
            .map(|_| ()),
        Err(SymmetricError::ReplayedTicket)
    );
    // Still refused at the last second it could be accepted.
    assert_eq!(
        w.vendor_open(&ticket.vendor, &mut cache, EXPIRES + SKEW)
            .map(|_| ()),
        Err(SymmetricError::ReplayedTicket)
    );
    // After that it is refused as expired (and forgotten).
    assert_eq!(
        w.vendor_open(&ticket.vendor, &mut cache, EXPIRES + SKEW + 1)
            .map(|_| ()),
        Err(SymmetricError::Expired)
    );
    // Two tickets for the same request: fresh ids, fresh keys.
    let again = w.issue(&request).unwrap();
    assert_ne!(again.vendor.ticket(), ticket.vendor.ticket());
    assert_ne!(again.vendor, ticket.vendor);
}

#[test]
fn goal_fresh_replay_cache_fails_closed() {
    let mut w = World::new();
    let mut cache = ReplayCache::<8>::new();
    for _ in 0..8 {
        let (_, t) = w.ticket();
        w.vendor_open(&t.vendor, &mut cache, NOW).unwrap();
    }
    let (_, t) = w.ticket();
    assert_eq!(
        w.vendor_open(&t.vendor, &mut cache, NOW).map(|_| ()),
        Err(SymmetricError::ReplayCacheFull)
    );
    assert_eq!(cache.len(), 8);
}

#[test]
fn goal_fresh_stale_or_expired_ticket_is_refused() {
    let mut w = World::new();
    let mut f = w.fields(VENDOR);
    f.valid_from = 1_000;
    f.expires = 2_000;
    let request = w.request_with(f);
    let ticket = w.issue(&request).unwrap();
    let mut cache = ReplayCache::new();
    assert_eq!(
        w.vendor_open(&ticket.vendor, &mut cache, 2_000 + SKEW + 1)
            .map(|_| ()),
        Err(SymmetricError::Expired)
    );
    assert_eq!(
        w.vendor_open(&ticket.vendor, &mut cache, 1_000 - SKEW - 1)
            .map(|_| ()),
        Err(SymmetricError::NotYetValid)
    );
    assert!(cache.is_empty());
    assert_eq!(
        w.customer_open(&request, &ticket.customer, 2_000 + SKEW + 1)
            .map(|_| ()),
        Err(SymmetricError::Expired)
    );
    // The broker issues nothing already expired, nor longer than it allows.
    assert_eq!(
        w.broker
            .issue(&request, &w.keys, 2_001, &mut w.rng)
            .map(|_| ()),
        Err(SymmetricError::Expired)
    );
    let mut f = w.fields(VENDOR);
    f.expires = DEFAULT_MAX_LIFETIME + 1;
    let long = w.request_with(f);
    assert_eq!(
        w.issue(&long).map(|_| ()),
        Err(SymmetricError::InvalidTerms)
    );
    // A payment after expiry is refused too.
    let (_, _, mut v, c) = w.run();
    let p = c.pay(req(1), w.chain.next_payword().unwrap());
    assert_eq!(
        v.pay(&p, &req(1), EXPIRES + SKEW + 1),
        Err(SymmetricError::Expired)
    );
}

#[test]
fn goal_fresh_old_reply_replayed_to_customer_is_refused() {
    let mut w = World::new();
    let (_, old) = w.ticket();
    let new_request = w.request(VENDOR);
    // An attacker answers the new request with the old reply.
    assert_eq!(
        w.customer_open(&new_request, &old.customer, NOW)
            .map(|_| ()),
        Err(SymmetricError::NonceMismatch)
    );
}

// ---------------------------------------------------------------------------
// Goal 2: the session key is shared by customer, vendor and broker only
// ---------------------------------------------------------------------------

#[test]
fn goal_shared_ticket_moved_to_another_vendor_is_refused() {
    let mut w = World::new();
    let (_, ticket) = w.ticket();
    let mut cache = ReplayCache::<8>::new();
    let mut open_as = |vendor, broker, key: &LongTermKey, part: &VendorTicket| {
        vendor_open_as(vendor, broker, key, part, &mut cache, NOW).map(|_| ())
    };
    // Presented as is to another vendor: its header names VENDOR.
    assert_eq!(
        open_as(OTHER_VENDOR, BROKER, w.vk(OTHER_VENDOR), &ticket.vendor),
        Err(SymmetricError::WrongVendor)
    );
    // With the header rewritten to name the other vendor: it does not open
    // (the header is associated data, and the key is VENDOR's).
    let mut b = ticket.vendor.to_bytes();
    b[34..66].copy_from_slice(OTHER_VENDOR.as_bytes());
    let moved = VendorTicket::decode(&b).unwrap();
    assert_eq!(
        open_as(OTHER_VENDOR, BROKER, w.vk(OTHER_VENDOR), &moved),
        Err(SymmetricError::Sealed)
    );
    // Another broker id.
    assert_eq!(
        open_as(
            VENDOR,
            BrokerId::from_bytes([1; 32]),
            w.vk(VENDOR),
            &ticket.vendor
        ),
        Err(SymmetricError::WrongBroker)
    );
    // The other vendor's long-term key does not open it either.
    assert_eq!(
        open_as(VENDOR, BROKER, w.vk(OTHER_VENDOR), &ticket.vendor),
        Err(SymmetricError::Sealed)
    );
    assert!(cache.is_empty());
}

#[test]
fn goal_shared_every_flipped_byte_of_a_ticket_is_refused() {
    let mut w = World::new();
    let (request, ticket) = w.ticket();
    let vb = ticket.vendor.to_bytes();
    for i in 0..vb.len() {
        let b = flipped(&vb, i, (i % 8) as u8);
        let got = VendorTicket::decode(&b)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                let mut cache = ReplayCache::<8>::new();
                w.vendor_open(&t, &mut cache, NOW)
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            });
        assert!(got.is_err(), "vendor part byte {i} flipped was accepted");
    }
    let cb = ticket.customer.to_bytes();
    for i in 0..cb.len() {
        let b = flipped(&cb, i, (i % 8) as u8);
        let got = CustomerTicket::decode(&b)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                w.customer_open(&request, &t, NOW)
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            });
        assert!(got.is_err(), "customer part byte {i} flipped was accepted");
    }
    // Past the header, a flip is always the AEAD's refusal.
    let b = flipped(&vb, 200, 0);
    let t = VendorTicket::decode(&b).unwrap();
    assert_eq!(
        w.vendor_open(&t, &mut ReplayCache::new(), NOW).map(|_| ()),
        Err(SymmetricError::Sealed)
    );
}

#[test]
fn goal_shared_customer_part_does_not_open_as_a_vendor_part() {
    let mut w = World::new();
    let (request, ticket) = w.ticket();
    // The customer's part under the customer's key is useless to the vendor
    // (and vice versa): they do not even decode as each other.
    assert_eq!(
        VendorTicket::decode(&ticket.customer.to_bytes()),
        Err(DecodeError::UnknownTag { tag: 0x71 })
    );
    assert_eq!(
        CustomerTicket::decode(&ticket.vendor.to_bytes()),
        Err(DecodeError::UnknownTag { tag: 0x72 })
    );
    // The vendor part retagged as a customer part (the lengths agree) and
    // opened by the customer with its own key: refused.
    let mut b = ticket.vendor.to_bytes();
    b[0] = 0x71;
    b[34..50].copy_from_slice(CUSTOMER.as_bytes());
    b.drain(50..66);
    b.splice(50..50, [0u8; 16]);
    let as_customer = CustomerTicket::decode(&b).unwrap();
    assert_eq!(
        w.customer_open(&request, &as_customer, NOW).map(|_| ()),
        Err(SymmetricError::Sealed)
    );
}

// ---------------------------------------------------------------------------
// Goal 3: the vendor believes the customer said the terms
// ---------------------------------------------------------------------------

#[test]
fn goal_terms_modified_request_is_refused_by_the_broker() {
    let mut w = World::new();
    let request = w.request(VENDOR);
    let b = request.to_bytes();
    for i in 2..b.len() {
        let m = flipped(&b, i, (i % 8) as u8);
        if let Ok(r) = TicketRequest::decode(&m) {
            let got = w.issue(&r).map(|_| ());
            assert!(
                matches!(
                    got,
                    Err(SymmetricError::BadRequest
                        | SymmetricError::WrongBroker
                        | SymmetricError::UnknownParty)
                ),
                "byte {i}: {got:?}"
            );
        }
    }
    // Another vendor named, the anchor swapped: the MAC no longer verifies.
    let mut m = b.clone();
    m[2 + 32 + 16 + 8..2 + 32 + 16 + 8 + 32].copy_from_slice(OTHER_VENDOR.as_bytes());
    let r = TicketRequest::decode(&m).unwrap();
    assert_eq!(w.issue(&r).map(|_| ()), Err(SymmetricError::BadRequest));
    // A request made under another key (someone posing as the customer).
    let f = w.fields(VENDOR);
    let forged = TicketRequest::new(f, &LongTermKey::from_bytes([9; 32])).unwrap();
    assert_eq!(
        w.issue(&forged).map(|_| ()),
        Err(SymmetricError::BadRequest)
    );
    // An unknown vendor.
    let f = w.fields(VendorId::from_bytes([7; 32]));
    let r = w.request_with(f);
    assert_eq!(w.issue(&r).map(|_| ()), Err(SymmetricError::UnknownParty));
}

#[test]
fn goal_terms_customer_refuses_other_terms_than_asked() {
    let mut w = World::new();
    let (request, ticket) = w.ticket();
    // The reply opened by the customer as the answer to a request on `f`.
    let answers = |f: RequestFields| {
        w.customer_open(&w.request_with(f), &ticket.customer, NOW)
            .map(|_| ())
    };
    // The same nonce, other terms (a lower anchor, another vendor): the
    // reply does not answer this request.
    let mut f = *request.fields();
    f.anchor = Anchor::from_bytes([0; 32]);
    assert_eq!(answers(f), Err(SymmetricError::TermsMismatch));
    let mut f = *request.fields();
    f.customer = CustomerId::from_bytes([1; 16]);
    assert_eq!(answers(f), Err(SymmetricError::WrongCustomer));
}

// ---------------------------------------------------------------------------
// Goal 4: the customer believes the vendor is the one named; key confirmation
// ---------------------------------------------------------------------------

#[test]
fn goal_vendor_confirmation_from_another_session_is_refused() {
    let mut w = World::new();
    let (_, _, v1, _) = w.run();
    let (_, _, v2, mut c2) = w.run();
    // A confirmation from another session (another ticket).
    assert_eq!(
        c2.confirm(&v1.confirmation()),
        Err(SymmetricError::WrongTicket)
    );
    // Its ticket id rewritten: the MAC is under the other session's key.
    let mut b = v1.confirmation().to_bytes();
    b[2..18].copy_from_slice(v2.terms().ticket.as_bytes());
    let c = VendorConfirmation::decode(&b).unwrap();
    assert_eq!(c2.confirm(&c), Err(SymmetricError::BadConfirmation));
    // Naming another vendor.
    let mut b = v2.confirmation().to_bytes();
    b[18..50].copy_from_slice(OTHER_VENDOR.as_bytes());
    let c = VendorConfirmation::decode(&b).unwrap();
    assert_eq!(c2.confirm(&c), Err(SymmetricError::WrongVendor));
    assert!(!c2.confirmed());
    assert_eq!(c2.confirm(&v2.confirmation()), Ok(()));
}

#[test]
fn goal_vendor_reflected_messages_are_refused() {
    let mut w = World::new();
    let (_, _, mut v, mut c) = w.run();
    let pay = c.pay(req(1), w.chain.next_payword().unwrap());
    let pb = pay.to_bytes();
    // The customer's payment sent back to it as the vendor's confirmation:
    // another type tag.
    assert_eq!(
        VendorConfirmation::decode(&pb),
        Err(DecodeError::UnknownTag { tag: 0x73 })
    );
    // Retagged and cut to a confirmation's length, its MAC field taken from
    // the payment's MAC: refused (tag under the MAC, and another key).
    let mut b = vec![0x74, 1];
    b.extend_from_slice(&pb[2..18]);
    b.extend_from_slice(VENDOR.as_bytes());
    b.extend_from_slice(&pb[102..134]);
    let reflected = VendorConfirmation::decode(&b).unwrap();
    assert_eq!(c.confirm(&reflected), Err(SymmetricError::BadConfirmation));
    // The vendor's confirmation re-used as a payment: another tag; retagged
    // with its MAC placed as the payment MAC: refused.
    let conf = v.confirmation().to_bytes();
    assert_eq!(
        SymmetricPayment::decode(&conf),
        Err(DecodeError::UnknownTag { tag: 0x74 })
    );
    let mut b = pb.clone();
    b[102..134].copy_from_slice(&conf[50..82]);
    let p = SymmetricPayment::decode(&b).unwrap();
    assert_eq!(v.pay(&p, &req(1), NOW), Err(SymmetricError::BadMac));
    assert_eq!(v.pay(&pay, &req(1), NOW), Ok(3));
}

// ---------------------------------------------------------------------------
// Payments bound to the session and the request
// ---------------------------------------------------------------------------

#[test]
fn payment_from_another_session_is_refused() {
    let mut w = World::new();
    let (_, _, mut v1, _) = w.run();
    let (_, _, _, c2) = w.run();
    // Both sessions are on the same chain (the worst case): the payword is
    // genuine, but the payment belongs to the other ticket.
    let p = c2.pay(req(1), w.chain.next_payword().unwrap());
    assert_eq!(v1.pay(&p, &req(1), NOW), Err(SymmetricError::WrongTicket));
    // Its ticket id rewritten to this session's: the MAC is under the other
    // session's key ("a MAC under an old key").
    let mut b = p.to_bytes();
    b[2..18].copy_from_slice(v1.terms().ticket.as_bytes());
    let moved = SymmetricPayment::decode(&b).unwrap();
    assert_eq!(v1.pay(&moved, &req(1), NOW), Err(SymmetricError::BadMac));
    assert_eq!(v1.units_paid(), 0);
}

#[test]
fn payment_mac_under_an_old_key_is_refused() {
    let mut w = World::new();
    // The same request answered twice: the customer's first session key is
    // the old one.
    let request = w.request(VENDOR);
    let old = w.issue(&request).unwrap();
    let new = w.issue(&request).unwrap();
    let c_old = w.customer_open(&request, &old.customer, NOW).unwrap();
    let mut v = w.vendor_session(&new.vendor);
    let p = c_old.pay(req(1), w.chain.next_payword().unwrap());
    let mut b = p.to_bytes();
    b[2..18].copy_from_slice(new.vendor.ticket().as_bytes());
    let p = SymmetricPayment::decode(&b).unwrap();
    assert_eq!(v.pay(&p, &req(1), NOW), Err(SymmetricError::BadMac));
}

#[test]
fn payment_for_another_request_is_refused() {
    let mut w = World::new();
    let (_, _, mut v, c) = w.run();
    let p = c.pay(req(1), w.chain.next_payword().unwrap());
    assert_eq!(v.pay(&p, &req(2), NOW), Err(SymmetricError::WrongRequest));
    // The request id rewritten: the MAC covers it.
    let mut b = p.to_bytes();
    b[18..34].copy_from_slice(req(2).as_bytes());
    let p2 = SymmetricPayment::decode(&b).unwrap();
    assert_eq!(v.pay(&p2, &req(2), NOW), Err(SymmetricError::BadMac));
    // Every flipped byte of a payment is refused.
    for i in 0..b.len() {
        let m = flipped(&p.to_bytes(), i, (i % 8) as u8);
        if let Ok(q) = SymmetricPayment::decode(&m) {
            assert!(v.clone().pay(&q, &req(1), NOW).is_err(), "byte {i}");
        }
    }
    assert_eq!(v.pay(&p, &req(1), NOW), Ok(3));
}

#[test]
fn forged_payword_is_refused_by_the_hash_chain() {
    let mut w = World::new();
    let (_, _, mut v, c) = w.run();
    // A correct MAC (made by the key holder) on a word off the chain.
    let p = c.pay(req(1), Payword::new(1, Word::from_bytes([0x66; 32])));
    assert_eq!(
        v.pay(&p, &req(1), NOW),
        Err(SymmetricError::Chain(VerifyError::Forged))
    );
    // Far ahead: refused before hashing by the budget.
    let p = c.pay(req(1), Payword::new(100, Word::from_bytes([0x66; 32])));
    assert!(matches!(
        v.pay_exact(&p, &req(1), 1, NOW),
        Err(SymmetricError::WrongPrice { .. })
    ));
    let mut v = v.with_limit(10);
    assert!(matches!(
        v.pay(&p, &req(1), NOW),
        Err(SymmetricError::Chain(VerifyError::OverBudget { .. }))
    ));
    assert_eq!(v.units_paid(), 0);
    assert!(v.claim().is_none());
}

#[test]
fn replayed_payment_is_refused() {
    let mut w = World::new();
    let (_, _, mut v, c) = w.run();
    let p = c.pay(req(1), w.chain.next_payword().unwrap());
    assert_eq!(v.pay(&p, &req(1), NOW), Ok(3));
    assert!(matches!(
        v.pay(&p, &req(1), NOW),
        Err(SymmetricError::Chain(VerifyError::Replay { .. }))
    ));
    assert_eq!(v.units_paid(), 1);
}

// ---------------------------------------------------------------------------
// The broker: redemption and disputes
// ---------------------------------------------------------------------------

#[test]
fn broker_refuses_tampered_claims() {
    let mut w = World::new();
    let (_, _, mut v, c) = w.run();
    let p = c.pay(req(1), w.chain.advance(4).unwrap());
    v.pay(&p, &req(1), NOW).unwrap();
    let claim = v.claim().unwrap();
    let b = claim.to_bytes();
    for i in 0..b.len() {
        let m = flipped(&b, i, (i % 8) as u8);
        if let Ok(cl) = SymmetricClaim::decode(&m) {
            assert!(
                w.broker.redeem(&cl, &w.keys, NOW, 0, 1 << 16).is_err(),
                "claim byte {i} flipped was accepted"
            );
        }
    }
    // Over the broker's budget: refused before hashing.
    assert!(matches!(
        w.broker.redeem(&claim, &w.keys, NOW, 0, 3),
        Err(SymmetricError::Chain(VerifyError::OverBudget { .. }))
    ));
    // Another broker.
    assert_eq!(
        SymmetricBroker::new(BrokerId::from_bytes([1; 32]))
            .redeem(&claim, &w.keys, NOW, 0, 1 << 16)
            .map(|_| ()),
        Err(SymmetricError::WrongBroker)
    );
    assert_eq!(
        w.broker
            .redeem(&claim, &w.keys, NOW, 0, 1 << 16)
            .map(|r| r.units),
        Ok(4)
    );
}

/// What a dishonest vendor can do with its own long-term key: open its
/// ticket part, derive the payment key (the KDF of `docs/SYMMETRIC.md`) and
/// MAC any payword for any request. Also a known-answer check of the
/// documented derivations.
fn vendor_remac(
    vendor_key: &LongTermKey,
    part: &VendorTicket,
    p: &SymmetricPayment,
    r: RequestId,
) -> SymmetricPayment {
    use chacha20poly1305::{AeadInOut, KeyInit, XChaCha20Poly1305};
    use hmac::{Hmac, Mac};
    let kdf = |key: &[u8], label: &[u8], ticket: &[u8]| -> [u8; 32] {
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        m.update(label);
        m.update(ticket);
        m.finalize().into_bytes().into()
    };
    let b = part.to_bytes();
    let (header, rest) = b.split_at(2 + 32 + 32 + 16 + 24);
    let nonce: [u8; 24] = header[header.len() - 24..].try_into().unwrap();
    let (ct, tag) = rest.split_at(rest.len() - 16);
    let seal = kdf(
        vendor_key.expose_secret(),
        b"payword/symmetric/v1/seal",
        b"",
    );
    let aead = XChaCha20Poly1305::new(&seal.into());
    let mut plain = ct.to_vec();
    let tag: [u8; 16] = tag.try_into().unwrap();
    aead.decrypt_inout_detached(
        &nonce.into(),
        header,
        plain.as_mut_slice().into(),
        &tag.into(),
    )
    .unwrap();
    let ticket = &header[66..82];
    let pay_key = kdf(&plain[..32], b"payword/symmetric/v1/pay", ticket);
    let mut bytes = p.to_bytes();
    bytes[18..34].copy_from_slice(r.as_bytes());
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&pay_key).unwrap();
    m.update(&bytes[..102]);
    let mac: [u8; 32] = m.finalize().into_bytes().into();
    bytes[102..].copy_from_slice(&mac);
    SymmetricPayment::decode(&bytes).unwrap()
}

#[test]
fn dispute_vendor_claim_with_the_customers_receipt_stands() {
    let mut w = World::new();
    let (ticket, v, c, p) = w.paid_once();
    let claim = v.claim().unwrap();
    assert_eq!(w.arbitrate(claim, None), Ok(Ruling::Vendor));
    // The customer's counter-claim repeats the same request: the vendor.
    assert_eq!(w.arbitrate(claim, Some(p)), Ok(Ruling::Vendor));
    // A dishonest customer equivocates: the same payword for another
    // request, with a valid receipt of its own.
    let other = c.pay(req(2), *p.payword());
    assert_eq!(
        w.arbitrate(claim, Some(other)),
        Ok(Ruling::CustomerEquivocated)
    );
    // A counter-claim about another payword or ticket is no counter-claim.
    assert_eq!(
        w.arbitrate(
            claim,
            Some(c.pay(req(1), Payword::new(2, Word::from_bytes([0; 32]))))
        ),
        Err(SymmetricError::CounterMismatch)
    );
    let (_, _, _, c2) = w.run();
    assert_eq!(
        w.arbitrate(claim, Some(c2.pay(req(1), *p.payword()))),
        Err(SymmetricError::WrongTicket)
    );
    let _ = ticket;
}

#[test]
fn dispute_vendor_rebinding_a_payword_loses() {
    let mut w = World::new();
    let (ticket, _, _, p) = w.paid_once();
    // The vendor claims the payword paid for request 2, with a session MAC
    // it made itself: the MAC verifies (the vendor holds the key), the
    // customer's receipt does not.
    let forged = vendor_remac(w.vk(VENDOR), &ticket.vendor, &p, req(2));
    let claim = SymmetricClaim {
        ticket: ticket.vendor,
        payment: forged,
    };
    let r = w.broker.redeem(&claim, &w.keys, NOW, 0, 1 << 16).unwrap();
    assert_eq!((r.units, r.request, r.receipt), (1, req(2), false));
    assert_eq!(w.arbitrate(claim, None), Ok(Ruling::Unproven));
    // The customer's counter-claim (its own payment, request 1) wins.
    assert_eq!(w.arbitrate(claim, Some(p)), Ok(Ruling::Customer));
    // A counter-claim with a broken MAC is refused.
    let mut b = p.to_bytes();
    b[133] ^= 1;
    assert_eq!(
        w.arbitrate(claim, Some(SymmetricPayment::decode(&b).unwrap())),
        Err(SymmetricError::BadMac)
    );
}

#[test]
fn errors_are_send_sync_and_displayed_in_lower_case() {
    fn assert_send_sync<T: Send + Sync + std::error::Error>() {}
    assert_send_sync::<SymmetricError>();
    for e in [
        SymmetricError::Sealed,
        SymmetricError::BadMac,
        SymmetricError::Chain(VerifyError::Forged),
        SymmetricError::WrongPrice { price: 1, paid: 2 },
    ] {
        let s = e.to_string();
        assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
    }
}

#[test]
fn seeded_issue_is_deterministic_and_opens() {
    let mut w = World::new();
    let seed = LongTermKey::from_bytes([0x77; 32]);
    let request = w.request(VENDOR);
    let a = w
        .broker
        .issue_seeded(&request, &w.keys, NOW, &seed)
        .unwrap();
    let b = w
        .broker
        .issue_seeded(&request, &w.keys, NOW, &seed)
        .unwrap();
    assert_eq!(a, b);
    // Another time, another request, another seed: other ids and nonces.
    let c = w
        .broker
        .issue_seeded(&request, &w.keys, NOW + 1, &seed)
        .unwrap();
    assert_ne!(a.vendor.ticket(), c.vendor.ticket());
    assert_ne!(a.vendor.to_bytes()[82..106], c.vendor.to_bytes()[82..106]);
    let other = w.request(VENDOR);
    let d = w.broker.issue_seeded(&other, &w.keys, NOW, &seed).unwrap();
    assert_ne!(a.vendor.ticket(), d.vendor.ticket());
    let e = w
        .broker
        .issue_seeded(&request, &w.keys, NOW, &LongTermKey::from_bytes([0x78; 32]))
        .unwrap();
    assert_ne!(a.vendor.ticket(), e.vendor.ticket());
    let mut v = w.vendor_session(&a.vendor);
    let c = w.customer_open(&request, &a.customer, NOW).unwrap();
    let p = c.pay(req(1), w.chain.next_payword().unwrap());
    assert_eq!(v.pay(&p, &req(1), NOW), Ok(3));
}

// ---------------------------------------------------------------------------
// The broker's pipeline: symmetric claims recorded once, on the certificate's
// credit account (fixtures of certificates and plain claims: tests/common)
// ---------------------------------------------------------------------------

#[cfg(feature = "ed25519")]
mod common;

#[cfg(feature = "ed25519")]
mod pipeline {
    use ed25519_dalek::SigningKey;
    use payword::symmetric::*;
    use payword::{
        Broker, BrokerId, Certificate, CertificateFields, ChainSeed, CustomerId, Encode, Payword,
        Sha256, StoreAll, Traversal, VendorId, VerifyError, Word,
    };
    use payword::{SymmetricCredit, SymmetricRedeemError};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::{Keys, req};
    use crate::common::{self, NOW};

    /// The certificate of [`common::world`] and symmetric sessions under
    /// it: the customer and the vendor of the world share long-term keys
    /// with the broker of the world.
    struct Sym {
        w: common::World,
        keys: Keys,
        sym: SymmetricBroker,
        rng: ChaCha20Rng,
        broker: Broker,
    }

    /// One ticket with both ends open, on the chain of `wallet`.
    struct Open {
        wallet: StoreAll<Sha256>,
        vendor: SymmetricSession,
        customer: CustomerSession,
        ticket: Ticket,
        paid: u8,
    }

    impl Open {
        /// `units` more units in one payment; the vendor's claim after it.
        fn pay(&mut self, units: u32) -> SymmetricClaim {
            self.paid += 1;
            let p = self
                .customer
                .pay(req(self.paid), self.wallet.advance(units).unwrap());
            self.vendor.pay(&p, &req(self.paid), NOW).unwrap();
            self.vendor.claim().unwrap()
        }

        /// A claim whose payment (correctly MAC'd, with the customer's
        /// receipt) carries the word `word` at `index`.
        fn forged(&self, index: u32, word: [u8; 32]) -> SymmetricClaim {
            SymmetricClaim {
                ticket: self.ticket.vendor,
                payment: self
                    .customer
                    .pay(req(0xee), Payword::new(index, Word::from_bytes(word))),
            }
        }
    }

    impl Sym {
        fn new(credit_limit: u64) -> Self {
            let w = common::world(credit_limit);
            let mut rng = ChaCha20Rng::from_seed([0x3c; 32]);
            let mut keys = Keys::default();
            keys.customers.insert(
                w.cert.fields().customer.to_bytes(),
                LongTermKey::random(&mut rng),
            );
            keys.vendors
                .insert(w.vendor.to_bytes(), LongTermKey::random(&mut rng));
            let sym = SymmetricBroker::new(w.broker_id);
            let broker = common::broker(&w);
            Self {
                w,
                keys,
                sym,
                rng,
                broker,
            }
        }

        /// A ticket on chain `byte` (length 100) at `unit_value`, issued to
        /// the world's customer (certificate serial `serial`), both ends open.
        fn open_as(&mut self, byte: u8, unit_value: u64, serial: u64) -> Open {
            let params = common::params(byte, 100);
            let wallet =
                StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), params).unwrap();
            let customer = self.w.cert.fields().customer;
            let ck = self.keys.customers[customer.as_bytes()].clone();
            let request = TicketRequest::new(
                RequestFields {
                    broker: self.w.broker_id,
                    customer,
                    certificate: serial,
                    vendor: self.w.vendor,
                    nonce: RequestNonce::random(&mut self.rng),
                    params,
                    anchor: wallet.anchor(),
                    unit_value,
                    valid_from: NOW - 10,
                    expires: NOW + 3_600,
                },
                &ck,
            )
            .unwrap();
            let ticket = self
                .sym
                .issue(&request, &self.keys, NOW - 5, &mut self.rng)
                .unwrap();
            let vendor = SymmetricSession::open(
                self.w.vendor,
                self.w.broker_id,
                &self.keys.vendors[self.w.vendor.as_bytes()],
                &ticket.vendor,
                &mut ReplayCache::<4>::new(),
                NOW,
                5,
            )
            .unwrap();
            let customer = CustomerSession::open(&request, &ck, &ticket.customer, NOW, 5).unwrap();
            Open {
                wallet,
                vendor,
                customer,
                ticket,
                paid: 0,
            }
        }

        fn open(&mut self, byte: u8, unit_value: u64) -> Open {
            self.open_as(byte, unit_value, self.w.cert.fields().serial)
        }

        fn redeem(
            &mut self,
            claim: &SymmetricClaim,
        ) -> Result<SymmetricCredit, SymmetricRedeemError> {
            self.redeem_under(claim, &self.w.cert.clone())
        }

        fn redeem_under(
            &mut self,
            claim: &SymmetricClaim,
            cert: &Certificate,
        ) -> Result<SymmetricCredit, SymmetricRedeemError> {
            self.broker
                .redeem_symmetric(&self.sym, claim, &self.keys, cert, &self.w.vendor, NOW)
        }

        /// Value owed to the vendor and credited under the certificate.
        fn totals(&mut self) -> (u64, u64) {
            (
                self.broker.owed(&self.w.vendor).unwrap(),
                self.broker.credited(&self.w.cert.digest()).unwrap(),
            )
        }
    }

    #[test]
    fn broker_credits_a_symmetric_claim_once_and_then_only_the_increase() {
        let mut s = Sym::new(1_000);
        let mut t = s.open(0x41, 3);
        let first = t.pay(4);
        let r = s.redeem(&first).unwrap();
        assert_eq!((r.owed, r.units, r.limited), (12, 4, false));
        assert_eq!((r.redemption.units, r.redemption.value), (4, 12));
        assert!(r.redemption.receipt);
        assert_eq!(r.redemption.certificate, s.w.cert.fields().serial);
        assert_eq!(r.debt, s.sym.debt_key(&r.redemption.ticket));
        assert_eq!(s.totals(), (12, 12));
        // The same claim again (also through its encoding): nothing more.
        let again = SymmetricClaim::decode(&first.to_bytes()).unwrap();
        let d = s.redeem(&again).unwrap();
        assert_eq!((d.owed, d.units), (0, 4));
        assert_eq!(s.totals(), (12, 12));
        // A higher payword: the difference.
        let second = t.pay(3);
        let r = s.redeem(&second).unwrap();
        assert_eq!((r.owed, r.units, r.redemption.value), (9, 7, 21));
        // The older claim afterwards: nothing, and the record keeps the
        // highest payword.
        let old = s.redeem(&first).unwrap();
        assert_eq!((old.owed, old.units, old.redemption.units), (0, 7, 4));
        assert_eq!(s.redeem(&second).unwrap().owed, 0);
        let debt = s.broker.debt(&r.debt).unwrap().unwrap();
        assert_eq!(
            (debt.certificate, debt.units, debt.credited),
            (s.w.cert.digest(), 7, 21)
        );
        assert_eq!(
            debt.paid,
            Some(payword::PaymentBody::Single(*second.payment.payword()))
        );
        assert_eq!(s.broker.debts(&s.w.cert.digest()).unwrap(), vec![r.debt]);
        assert_eq!(s.totals(), (21, 21));
        // The stateless check still values the claim in full.
        let v = s
            .sym
            .redeem(&second, &s.keys, NOW, 60, 1 << 16)
            .unwrap()
            .value;
        assert_eq!(v, 21);
        // Another ticket is another debt, on the same account.
        let mut u = s.open(0x42, 1);
        let c = u.pay(5);
        let r2 = s.redeem(&c).unwrap();
        assert_eq!(r2.owed, 5);
        assert_ne!(r2.debt, r.debt);
        assert_eq!(s.totals(), (26, 26));
    }

    #[test]
    fn broker_refuses_forged_paywords_and_changes_nothing() {
        let mut s = Sym::new(1_000);
        // Nothing recorded yet: hashed to the anchor.
        let t = s.open(0x43, 2);
        assert_eq!(
            s.redeem(&t.forged(3, [0x66; 32])).map(|_| ()),
            Err(SymmetricRedeemError::Claim(SymmetricError::Chain(
                VerifyError::Forged
            )))
        );
        assert!(s.broker.debts(&s.w.cert.digest()).unwrap().is_empty());
        let mut t = s.open(0x44, 2);
        let good = t.pay(5);
        assert_eq!(s.redeem(&good).unwrap().owed, 10);
        let store = s.broker.store().clone();
        // A wrong word at the recorded index, below it and above it.
        for index in [5, 3, 8] {
            assert_eq!(
                s.redeem(&t.forged(index, [0x66; 32])).map(|_| ()),
                Err(SymmetricRedeemError::Claim(SymmetricError::Chain(
                    VerifyError::Forged
                ))),
                "index {index}"
            );
        }
        // Far ahead: over the broker's budget, refused before hashing.
        let mut tight = s.broker.clone().with_limit(10);
        assert!(matches!(
            tight.redeem_symmetric(
                &s.sym,
                &t.forged(90, [0x66; 32]),
                &s.keys,
                &s.w.cert,
                &s.w.vendor,
                NOW
            ),
            Err(SymmetricRedeemError::Claim(SymmetricError::Chain(
                VerifyError::OverBudget { .. }
            )))
        ));
        assert_eq!(s.broker.store(), &store);
        assert_eq!(s.totals(), (10, 10));
    }

    #[test]
    fn broker_refuses_claims_under_the_wrong_certificate_and_changes_nothing() {
        let mut s = Sym::new(1_000);
        let mut t = s.open(0x45, 1);
        let claim = t.pay(6);
        let fields = *s.w.cert.fields();
        let store = s.broker.store().clone();
        let issue = |f: CertificateFields, key: &SigningKey| Certificate::issue(f, key).unwrap();
        // Another customer's certificate, by this broker.
        let other_customer = issue(
            CertificateFields {
                customer: CustomerId::from_bytes([0x99; 16]),
                ..fields
            },
            &s.w.broker,
        );
        assert_eq!(
            s.redeem_under(&claim, &other_customer).map(|_| ()),
            Err(SymmetricRedeemError::WrongCertificate)
        );
        // The customer's other certificate (another serial).
        let other_serial = issue(
            CertificateFields {
                serial: fields.serial + 1,
                ..fields
            },
            &s.w.broker,
        );
        assert_eq!(
            s.redeem_under(&claim, &other_serial).map(|_| ()),
            Err(SymmetricRedeemError::WrongCertificate)
        );
        // Another broker's certificate.
        let other_key = SigningKey::from_bytes(&[0x77; 32]);
        let other_broker = issue(
            CertificateFields {
                broker: BrokerId::from_bytes([0x77; 32]),
                ..fields
            },
            &other_key,
        );
        assert_eq!(
            s.redeem_under(&claim, &other_broker).map(|_| ()),
            Err(SymmetricRedeemError::WrongBroker)
        );
        // This broker's fields, signed by someone else.
        let forged = issue(fields, &other_key);
        assert_eq!(
            s.redeem_under(&claim, &forged).map(|_| ()),
            Err(SymmetricRedeemError::BadCertificate)
        );
        // Another symmetric broker, another vendor, too late.
        let other_sym = SymmetricBroker::new(BrokerId::from_bytes([0x77; 32]));
        assert_eq!(
            s.broker
                .redeem_symmetric(&other_sym, &claim, &s.keys, &s.w.cert, &s.w.vendor, NOW)
                .map(|_| ()),
            Err(SymmetricRedeemError::WrongBroker)
        );
        let stranger = VendorId::from_bytes([0x55; 32]);
        assert_eq!(
            s.broker
                .redeem_symmetric(&s.sym, &claim, &s.keys, &s.w.cert, &stranger, NOW)
                .map(|_| ()),
            Err(SymmetricRedeemError::Claim(SymmetricError::WrongVendor))
        );
        assert_eq!(
            s.broker
                .redeem_symmetric(&s.sym, &claim, &s.keys, &s.w.cert, &s.w.vendor, NOW + 3_661)
                .map(|_| ()),
            Err(SymmetricRedeemError::Claim(SymmetricError::Expired))
        );
        // A tampered payment MAC.
        let mut bytes = claim.to_bytes();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = SymmetricClaim::decode(&bytes).unwrap();
        assert_eq!(
            s.redeem(&tampered).map(|_| ()),
            Err(SymmetricRedeemError::Claim(SymmetricError::BadMac))
        );
        assert_eq!(s.broker.store(), &store);
        assert_eq!(s.totals(), (0, 0));
        // Within the grace period, under the right certificate: paid.
        let ok = s
            .broker
            .redeem_symmetric(&s.sym, &claim, &s.keys, &s.w.cert, &s.w.vendor, NOW + 3_650)
            .unwrap();
        assert_eq!(ok.owed, 6);
        assert_eq!(s.totals(), (6, 6));
    }

    #[test]
    fn broker_ticket_for_another_serial_is_refused_under_this_certificate() {
        let mut s = Sym::new(1_000);
        let serial = s.w.cert.fields().serial + 1;
        let mut t = s.open_as(0x46, 1, serial);
        let claim = t.pay(2);
        assert_eq!(
            s.redeem(&claim).map(|_| ()),
            Err(SymmetricRedeemError::WrongCertificate)
        );
        assert_eq!(s.totals(), (0, 0));
    }

    #[test]
    fn broker_counts_symmetric_and_plain_claims_in_one_credit_account() {
        let mut s = Sym::new(50);
        let mut a = s.open(0x47, 3);
        let r = s.redeem(&a.pay(8)).unwrap();
        assert_eq!((r.owed, r.limited), (24, false));
        let plain = common::plain(&s.w, 0x48, 1, 20);
        assert_eq!(s.broker.redeem(&plain, &s.w.vendor, NOW).unwrap().owed, 20);
        assert_eq!(s.totals(), (44, 44));
        // A second ticket: only what the credit limit leaves.
        let mut b = s.open(0x49, 2);
        let claim = b.pay(5);
        let r = s.redeem(&claim).unwrap();
        assert_eq!((r.owed, r.units, r.limited), (6, 5, true));
        assert_eq!(s.totals(), (50, 50));
        // Nothing more on either kind of claim, however often.
        let more_plain = common::plain(&s.w, 0x48, 1, 30);
        assert_eq!(
            s.broker.redeem(&more_plain, &s.w.vendor, NOW).unwrap().owed,
            0
        );
        assert_eq!(s.redeem(&a.pay(2)).unwrap().owed, 0);
        assert_eq!(s.redeem(&claim).unwrap().owed, 0);
        assert_eq!(s.totals(), (50, 50));
        assert_eq!(s.broker.debts(&s.w.cert.digest()).unwrap().len(), 3);
    }

    #[test]
    fn broker_errors_are_send_sync_and_displayed_in_lower_case() {
        fn assert_send_sync<T: Send + Sync + std::error::Error>() {}
        assert_send_sync::<SymmetricRedeemError>();
        for e in [
            SymmetricRedeemError::Claim(SymmetricError::BadMac),
            SymmetricRedeemError::WrongBroker,
            SymmetricRedeemError::BadCertificate,
            SymmetricRedeemError::WrongCertificate,
            SymmetricRedeemError::TooManyRecords,
        ] {
            let s = e.to_string();
            assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
        }
    }
}
