//! Bounded cost, counted: a claim that fails a field check costs the broker
//! no signature verification and no hash (feature `count`, run by CI's
//! all-features tests); an honest one costs exactly its two verifications
//! and its chain steps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(all(feature = "count", feature = "ed25519"))]
mod common;

#[cfg(all(feature = "count", feature = "ed25519"))]
mod counted {
    use super::common::{self, NOW, broker, plain, world};
    use payword::Broker;
    use payword::cost::measure;
    use payword::redeem::{Claim, Redeemed as _};
    use payword::{Payment, PaymentBody, RedeemError, RedemptionClaim, SessionError, VendorId};

    #[test]
    fn field_checks_come_before_the_signatures() {
        let w = world(1 << 40);
        let claim = plain(&w, 9, 1, 40);
        let other = VendorId::from_bytes([0xee; 32]);
        let mut b = broker(&w);
        let (r, cost) = measure(|| b.redeem(&claim, &other, NOW));
        assert_eq!(
            r.unwrap_err(),
            RedeemError::Invalid(SessionError::WrongVendor)
        );
        assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));

        // Expired past the grace period.
        let (r, cost) = measure(|| b.redeem(&claim, &w.vendor, NOW + 1_000_000));
        assert!(r.is_err());
        assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));

        // A payment naming another commitment.
        let other_claim = plain(&w, 10, 1, 1);
        let mixed = RedemptionClaim {
            payment: Payment::new(
                other_claim.commitment.digest(),
                PaymentBody::Single(match claim.payment.body() {
                    PaymentBody::Single(p) => *p,
                    PaymentBody::Purse(_) => unreachable!(),
                }),
            ),
            ..claim
        };
        let (r, cost) = measure(|| b.redeem(&mixed, &w.vendor, NOW));
        assert_eq!(r.unwrap_err(), RedeemError::PaymentMismatch);
        assert_eq!(cost.signatures_verified, 0);

        // The honest claim: two verifications, 40 chain steps.
        let (r, cost) = measure(|| b.redeem(&claim, &w.vendor, NOW));
        assert_eq!(r.unwrap().units, 40);
        assert_eq!(cost.signatures_verified, 2);
        assert_eq!(cost.hashes.chain_steps, 40);
    }

    #[test]
    fn every_variant_checks_its_fields_before_its_signatures() {
        let w = world(1 << 40);
        let other = VendorId::from_bytes([0xee; 32]);
        let mut b = broker(&w);
        let leaf = common::leaf(&w, 11, 50, 20);
        let grant = common::grant(&w, 12, 20);
        let device = common::device(&w, 13, 1000, 1000, 20);
        let cascade = common::cascade(&w, 14, 1, 25);

        // Through the generic `Claim`: (units, verifications, chain steps,
        // all hashes).
        fn counted<C: Claim>(b: &mut Broker, c: &C, v: &VendorId) -> (Option<u64>, u64, u64, u64) {
            let (r, cost) = measure(|| c.redeem_with(b, v, NOW));
            let h = cost.hashes;
            (
                r.ok().map(|r| r.units()),
                cost.signatures_verified,
                h.chain_steps,
                h.total(),
            )
        }
        let refused = (None, 0, 0, 0);
        assert_eq!(counted(&mut b, &leaf, &other), refused);
        assert_eq!(counted(&mut b, &grant, &other), refused);
        assert_eq!(counted(&mut b, &device, &other), refused);
        assert_eq!(counted(&mut b, &cascade, &other), refused);

        // Honest: a leaf costs its path (1 leaf hash for a one-leaf tree)
        // and 2 verifications; a grant and a device claim 3; a cascade of 3
        // chains (length 10) 2 and one LM-OTS verification per link.
        assert_eq!(counted(&mut b, &leaf, &w.vendor), (Some(20), 2, 20, 21));
        assert_eq!(counted(&mut b, &grant, &w.vendor), (Some(20), 3, 20, 20));
        assert_eq!(counted(&mut b, &device, &w.vendor), (Some(20), 3, 20, 20));
        assert_eq!(counted(&mut b, &cascade, &w.vendor), (Some(25), 4, 25, 27));
    }

    /// Every hash layer counts at its source: BLAKE3 chains, SHA-256 lanes.
    #[test]
    fn both_hashes_and_the_lanes_are_counted() {
        use payword::{
            Blake3, ChainId, ChainParams, ChainSeed, HashAlg, Receiver, Sha256, StoreAll,
            Traversal, TweakableHash, WalkLane, Word,
        };
        let params = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([1; 16]), 64).unwrap();
        let (wallet, setup) =
            measure(|| StoreAll::<Blake3>::new(&ChainSeed::from_bytes([2; 32]), params));
        let mut wallet = wallet.unwrap();
        // n chain steps and one seed expansion.
        assert_eq!((setup.hashes.chain_steps, setup.hashes.words), (64, 1));
        let mut vendor = Receiver::<Blake3>::new(params, wallet.anchor()).unwrap();
        let p = wallet.advance(9).unwrap();
        let (paid, cost) = measure(|| vendor.accept(&p));
        assert_eq!(paid, Ok(9));
        assert_eq!(cost.hashes.chain_steps, 9);

        let mut lanes: Vec<WalkLane> = (0..70u32)
            .map(|i| {
                WalkLane::new(
                    ChainId::from_bytes([3; 16]),
                    i % 5 + 1,
                    Word::from_bytes([4; 32]),
                    0,
                )
            })
            .collect();
        let ((), cost) = measure(|| Sha256::chain_walk_many(&mut lanes));
        assert_eq!(
            cost.hashes.chain_steps,
            (0..70u64).map(|i| i % 5 + 1).sum::<u64>()
        );
    }
}
