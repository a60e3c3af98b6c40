//! Property tests of chains, traversals and the receiver, against a naive
//! reference implementation written here from the definition (the oracle):
//!
//! ```text
//! w_n     = H(0x02 ‖ id ‖ n ‖ seed)          (SeedExpand)
//! w_{i-1} = H(0x01 ‖ id ‖ i ‖ w_i)           (ChainStep)
//! ```
//!
//! with `H` the plain SHA-256 or BLAKE3 of the concatenation and positions as
//! 32-bit big-endian integers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payword::{
    Anchor, Blake3, ChainError, ChainId, ChainParams, ChainSeed, Checkpoints, Counting, HashAlg,
    MAX_DENOMINATIONS, Payword, Pebbler, PebblerStateError, Purse, PurseError, PurseParams,
    PursePayment, PurseReceiver, Receiver, Role, Sha256, StoreAll, Traversal, Tweak, TweakableHash,
    VerifyError, Word, chain,
};
use proptest::prelude::*;
use sha2::Digest as _;

/// The plain hash of `role ‖ id ‖ position ‖ data`.
fn reference_hash(
    alg: HashAlg,
    role: u8,
    id: &[u8; 16],
    position: u32,
    data: &[u8; 32],
) -> [u8; 32] {
    let mut msg = Vec::with_capacity(53);
    msg.push(role);
    msg.extend_from_slice(id);
    msg.extend_from_slice(&position.to_be_bytes());
    msg.extend_from_slice(data);
    match alg {
        HashAlg::Sha256 => sha2::Sha256::digest(&msg).into(),
        HashAlg::Blake3 => *blake3::hash(&msg).as_bytes(),
        _ => unreachable!("only two algorithms"),
    }
}

/// All words `w_0..=w_n` of a chain, computed naively.
fn reference_chain(alg: HashAlg, seed: &[u8; 32], id: &[u8; 16], n: u32) -> Vec<[u8; 32]> {
    let mut words = vec![[0u8; 32]; n as usize + 1];
    words[n as usize] = reference_hash(alg, 0x02, id, n, seed);
    for i in (1..=n).rev() {
        words[i as usize - 1] = reference_hash(alg, 0x01, id, i, &words[i as usize]);
    }
    words
}

fn alg() -> impl Strategy<Value = HashAlg> {
    prop_oneof![Just(HashAlg::Sha256), Just(HashAlg::Blake3)]
}

fn collect<T: Traversal + Iterator<Item = Payword>>(t: T) -> (Anchor, Vec<Payword>) {
    let a = t.anchor();
    (a, t.collect())
}

/// The three strategies for `H`, as (anchor, paywords).
fn three_traversals<H: TweakableHash>(
    seed: &ChainSeed,
    p: ChainParams,
    interval: u32,
) -> [(Anchor, Vec<Payword>); 3] {
    [
        collect(Pebbler::<H>::new(seed, p).unwrap()),
        collect(StoreAll::<H>::new(seed, p).unwrap()),
        collect(Checkpoints::<H>::new(seed, p, interval).unwrap()),
    ]
}

fn receiver_at(alg: HashAlg, p: ChainParams, last: Payword) -> ReceiverAny {
    match alg {
        HashAlg::Sha256 => ReceiverAny::Sha(Receiver::<Sha256>::resume(p, last).unwrap()),
        _ => ReceiverAny::Blake(Receiver::<Blake3>::resume(p, last).unwrap()),
    }
}

/// A receiver of either hash, so properties run over both.
#[derive(Clone, Debug)]
enum ReceiverAny {
    Sha(Receiver<Sha256>),
    Blake(Receiver<Blake3>),
}

impl ReceiverAny {
    fn check(&self, p: &Payword) -> Result<u32, VerifyError> {
        match self {
            Self::Sha(r) => r.check(p),
            Self::Blake(r) => r.check(p),
        }
    }
    fn accept(&mut self, p: &Payword) -> Result<u32, VerifyError> {
        match self {
            Self::Sha(r) => r.accept(p),
            Self::Blake(r) => r.accept(p),
        }
    }
    fn last(&self) -> Payword {
        match self {
            Self::Sha(r) => *r.last(),
            Self::Blake(r) => *r.last(),
        }
    }
}

fn pw(words: &[[u8; 32]], i: u32) -> Payword {
    Payword::new(i, Word::from_bytes(words[i as usize]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The library's chain equals the reference chain, word for word, and
    /// the three traversals produce it identically.
    #[test]
    fn traversals_agree_with_the_reference(
        alg in alg(),
        seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        n in 1u32..=300,
        interval in 1u32..=320,
    ) {
        let p = ChainParams::new(alg, ChainId::from_bytes(id), n.into()).unwrap();
        let s = ChainSeed::from_bytes(seed);
        let words = reference_chain(alg, &seed, &id, n);
        let runs = match alg {
            HashAlg::Sha256 => three_traversals::<Sha256>(&s, p, interval),
            _ => three_traversals::<Blake3>(&s, p, interval),
        };
        for (anchor, paywords) in &runs {
            prop_assert_eq!(anchor.to_bytes(), words[0]);
            prop_assert_eq!(paywords.len(), n as usize);
            for (k, got) in paywords.iter().enumerate() {
                prop_assert_eq!(*got, pw(&words, k as u32 + 1));
            }
        }
        let a = match alg {
            HashAlg::Sha256 => chain::anchor::<Sha256>(&s, &p).unwrap(),
            _ => chain::anchor::<Blake3>(&s, &p).unwrap(),
        };
        prop_assert_eq!(a.to_bytes(), words[0]);
    }

    /// From every state `(j, w_j)`, every later payword `(i, w_i)` verifies
    /// with `i − j` units, and every wrong word `(i, w_m)`, `m ≠ i`, is a
    /// forgery.
    #[test]
    fn verify_from_every_earlier_state(
        alg in alg(),
        seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        n in 1u32..=24,
    ) {
        let p = ChainParams::new(alg, ChainId::from_bytes(id), n.into()).unwrap();
        let words = reference_chain(alg, &seed, &id, n);
        for j in 0..n {
            let r = receiver_at(alg, p, pw(&words, j));
            for i in j + 1..=n {
                prop_assert_eq!(r.check(&pw(&words, i)), Ok(i - j));
                for m in 0..=n {
                    if m != i {
                        let wrong = Payword::new(i, Word::from_bytes(words[m as usize]));
                        prop_assert_eq!(r.check(&wrong), Err(VerifyError::Forged), "i={} m={}", i, m);
                    }
                }
            }
            // Everything at or below j is a replay, whatever the word.
            for i in 0..=j {
                prop_assert_eq!(
                    r.check(&pw(&words, i)),
                    Err(VerifyError::Replay { index: i, last: j })
                );
            }
        }
    }

    /// Accepting a random increasing sequence one at a time ends in the same
    /// state, with the same units in total, as accepting its last payword
    /// from the anchor.
    #[test]
    fn incremental_equals_from_anchor(
        alg in alg(),
        seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        n in 1u32..=200,
        cuts in proptest::collection::btree_set(1u32..=200, 1..20),
    ) {
        let p = ChainParams::new(alg, ChainId::from_bytes(id), n.into()).unwrap();
        let words = reference_chain(alg, &seed, &id, n);
        let mut inc = receiver_at(alg, p, pw(&words, 0));
        let mut total = 0;
        let mut last = 0;
        for &i in cuts.iter().filter(|&&i| i <= n) {
            prop_assert_eq!(inc.accept(&pw(&words, i)), Ok(i - last));
            total += i - last;
            last = i;
        }
        let mut once = receiver_at(alg, p, pw(&words, 0));
        if last > 0 {
            prop_assert_eq!(once.accept(&pw(&words, last)), Ok(total));
        }
        prop_assert_eq!(inc.last(), once.last());
        prop_assert_eq!(inc.last(), pw(&words, last));
    }

    /// Changing the chain id, the position or the role changes the step
    /// output; two chains from one seed with different ids, or different
    /// lengths, share no word.
    #[test]
    fn tweaks_change_every_output(
        alg in alg(),
        seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        other_id in any::<[u8; 16]>(),
        n in 1u32..=64,
        extra in 1u32..=64,
        word in any::<[u8; 32]>(),
        pos in any::<u32>(),
        other_pos in any::<u32>(),
    ) {
        prop_assume!(id != other_id && pos != other_pos);
        let (a, b) = (ChainId::from_bytes(id), ChainId::from_bytes(other_id));
        let w = Word::from_bytes(word);
        let step = |alg: HashAlg, id: &ChainId, pos: u32| match alg {
            HashAlg::Sha256 => Sha256::chain_step(id, pos, &w),
            _ => Blake3::chain_step(id, pos, &w),
        };
        let base = step(alg, &a, pos);
        prop_assert_eq!(base.to_bytes(), reference_hash(alg, 0x01, &id, pos, &word));
        prop_assert_ne!(base, step(alg, &b, pos));
        prop_assert_ne!(base, step(alg, &a, other_pos));
        let other_alg = if alg == HashAlg::Sha256 { HashAlg::Blake3 } else { HashAlg::Sha256 };
        prop_assert_ne!(base, step(other_alg, &a, pos));
        for role in [Role::SeedExpand, Role::MerkleLeaf, Role::MerkleNode, Role::OtsChain, Role::MessageDigest, Role::DeriveId] {
            let t = Tweak::new(role, a, pos);
            let h = match alg {
                HashAlg::Sha256 => Sha256::hash_word(&t, &word),
                _ => Blake3::hash_word(&t, &word),
            };
            prop_assert_ne!(h, base.to_bytes(), "{:?}", role);
        }

        let chain_a = reference_chain(alg, &seed, &id, n);
        let chain_b = reference_chain(alg, &seed, &other_id, n);
        let chain_c = reference_chain(alg, &seed, &id, n + extra);
        for (i, wa) in chain_a.iter().enumerate() {
            prop_assert!(chain_b.iter().all(|wb| wb != wa), "id change kept w_{}", i);
            prop_assert!(chain_c.iter().all(|wc| wc != wa), "length change kept w_{}", i);
        }
    }

    /// Any payword from outside, against any receiver state and budget: the
    /// outcome is the one the rules give, rejections cost zero hashes and an
    /// accepted or forged payword costs exactly its steps.
    #[test]
    fn receiver_is_total_on_any_input(
        seed in any::<[u8; 32]>(),
        n in 1u32..=2000,
        last in any::<u32>(),
        limit in prop_oneof![0u32..=64, any::<u32>()],
        index in prop_oneof![any::<u32>(), 0u32..=2100],
        word in any::<[u8; 32]>(),
        honest in any::<bool>(),
    ) {
        let last = last % (n + 1);
        let id = ChainId::from_bytes([9; 16]);
        let p = ChainParams::new(HashAlg::Sha256, id, n.into()).unwrap();
        let s = ChainSeed::from_bytes(seed);
        let last_word = chain::word_at::<Sha256>(&s, &p, last).unwrap();
        let mut r = Receiver::<Counting<Sha256>>::resume(p, Payword::new(last, last_word))
            .unwrap()
            .with_limit(limit);
        let word = if honest && index <= n && index > last && index - last <= 4096 {
            chain::word_at::<Sha256>(&s, &p, index).unwrap()
        } else {
            Word::from_bytes(word)
        };
        let candidate = Payword::new(index, word);
        let honest_word = index <= n && chain::word_at::<Sha256>(&s, &p, index).is_ok_and(|w| w == word);
        let (res, cost) = Counting::<Sha256>::measure(|| r.accept(&candidate));
        let expected = if index <= last {
            Err(VerifyError::Replay { index, last })
        } else if index > n {
            Err(VerifyError::PastEnd { index, length: n })
        } else if index - last > limit {
            Err(VerifyError::OverBudget { steps: (index - last).into(), limit })
        } else if honest_word {
            Ok(index - last)
        } else {
            Err(VerifyError::Forged)
        };
        prop_assert_eq!(res, expected);
        let expected_cost = match expected {
            Ok(steps) => u64::from(steps),
            Err(VerifyError::Forged) => u64::from(index - last),
            Err(_) => 0,
        };
        prop_assert_eq!(cost.total(), expected_cost);
        let new_last = if res.is_ok() { candidate } else { Payword::new(last, last_word) };
        prop_assert_eq!(*r.last(), new_last);
    }

    /// Lengths: 1..=2^32−1 accepted, 0 and anything above refused with a
    /// typed error.
    #[test]
    fn chain_lengths_are_checked(len in prop_oneof![any::<u64>(), 0u64..=4, (1u64 << 32) - 2..=(1u64 << 32) + 2]) {
        let r = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), len);
        match len {
            0 => prop_assert_eq!(r, Err(ChainError::ZeroLength)),
            1..=0xffff_ffff => prop_assert_eq!(r.map(|p| u64::from(p.length())), Ok(len)),
            _ => prop_assert_eq!(r, Err(ChainError::TooLong { length: len })),
        }
    }

    /// The pebbling bound per payword for random n, by counting.
    #[test]
    fn pebbler_per_payword_bound(n in 1u32..=5000) {
        let p = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), n.into()).unwrap();
        let mut peb = Pebbler::<Counting<Sha256>>::new(&ChainSeed::from_bytes([2; 32]), p).unwrap();
        let k = if n == 1 { 0 } else { 32 - (n - 1).leading_zeros() };
        loop {
            let (next, cost) = Counting::<Sha256>::measure(|| peb.next_payword());
            prop_assert!(cost.total() <= u64::from(k.div_ceil(2)));
            if next.is_none() {
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Purse parameters from outside: accepted exactly when the base, the
    /// number of denominations, the length and the capacity are in range.
    #[test]
    fn purse_params_are_checked(
        base in prop_oneof![0u32..=3, any::<u32>()],
        m in prop_oneof![0u8..=9, any::<u8>()],
        len in prop_oneof![0u64..=3, any::<u64>(), 1u64..=1 << 32],
    ) {
        let r = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), base, m, len);
        let capacity = (0..u32::from(m)).try_fold(0u128, |acc, j| {
            let v = u128::from(base).checked_pow(j)?.checked_mul(u128::from(len))?;
            acc.checked_add(v)
        });
        let expected = if base < 2 {
            Err(PurseError::BadBase)
        } else if m == 0 || usize::from(m) > MAX_DENOMINATIONS {
            Err(PurseError::BadDenominations)
        } else if len == 0 {
            Err(PurseError::Chain(ChainError::ZeroLength))
        } else if len > u64::from(u32::MAX) {
            Err(PurseError::Chain(ChainError::TooLong { length: len }))
        } else {
            match capacity.and_then(|c| u64::try_from(c).ok()) {
                Some(c) => Ok(c),
                None => Err(PurseError::CapacityOverflow),
            }
        };
        prop_assert_eq!(r.map(|p| p.capacity()), expected);
    }

    /// Purse payments from outside: never a panic, nothing hashed unless
    /// every part passes the replay, range and budget checks, never more
    /// hashes than the budget, and the state changes only on success.
    #[test]
    fn purse_receiver_is_total_on_any_input(
        parts in proptest::collection::vec(
            (0u8..10, prop_oneof![0u32..=70, any::<u32>()], any::<[u8; 32]>(), any::<bool>()),
            0..6,
        ),
        limit in 0u32..=100,
        paid_first in 0u64..=200,
    ) {
        let pp = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([8; 16]), 4, 3, 64).unwrap();
        let seed = ChainSeed::from_bytes([3; 32]);
        let mut purse = Purse::<Sha256>::new(&seed, pp).unwrap();
        let mut v = PurseReceiver::<Counting<Sha256>>::new(pp, purse.anchors()).unwrap().with_limit(limit);
        if paid_first > 0 {
            let first = purse.pay(paid_first).unwrap();
            let _ = v.accept(&first);
        }
        let words: Vec<Vec<Word>> = (0..3)
            .map(|j| {
                let p = pp.chain(j).unwrap();
                let all = StoreAll::<Sha256>::new(&seed, p).unwrap();
                let mut w = vec![all.anchor().as_word()];
                w.extend(all.map(|x| *x.word()));
                w
            })
            .collect();
        let mut pay = PursePayment::new();
        for (j, index, word, honest) in parts {
            let w = match words.get(usize::from(j)).and_then(|c| c.get(index as usize)) {
                Some(real) if honest => *real,
                _ => Word::from_bytes(word),
            };
            pay = pay.with(j, Payword::new(index, w));
        }
        let before = v.paid();
        let lasts: Vec<Option<Payword>> = (0..3).map(|j| v.chain(j).map(|c| *c.last())).collect();
        let (res, cost) = Counting::<Sha256>::measure(|| v.accept(&pay));
        prop_assert!(cost.total() <= u64::from(limit), "{} hashes over the limit {}", cost.total(), limit);
        match res {
            Ok(units) => {
                prop_assert_eq!(v.paid(), before + units);
                prop_assert!(units > 0);
            }
            Err(e) => {
                if e != VerifyError::Forged {
                    prop_assert_eq!(cost.total(), 0, "{:?} after hashing", e);
                }
                prop_assert_eq!(v.paid(), before);
                let now: Vec<Option<Payword>> = (0..3).map(|j| v.chain(j).map(|c| *c.last())).collect();
                prop_assert_eq!(now, lasts);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Pebbler persistence.

fn encode(p: &Pebbler<Sha256>) -> Vec<u8> {
    let mut buf = vec![0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
    let len = p.encode(&mut buf);
    buf.truncate(len);
    buf
}

/// Resuming from the state saved after every payword continues exactly where
/// the original left off: never re-emits a payword, never skips one, and the
/// continuation costs the same hashes as going on without the round trip.
#[test]
fn pebbler_resumes_at_every_position() {
    for n in [1u32, 2, 3, 7, 8, 31, 64, 65, 100, 256] {
        let p = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), n.into()).unwrap();
        let seed = ChainSeed::from_bytes([7; 32]);
        let all: Vec<Payword> = StoreAll::<Sha256>::new(&seed, p).unwrap().collect();
        let mut live = Pebbler::<Counting<Sha256>>::new(&seed, p).unwrap();
        for pos in 0..=n {
            let bytes = {
                let mut buf = vec![0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
                let len = live.encode(&mut buf);
                buf.truncate(len);
                buf
            };
            let mut restored = Pebbler::<Counting<Sha256>>::decode(&bytes).unwrap();
            assert_eq!(restored.emitted(), pos);
            assert_eq!(restored.anchor(), live.anchor());
            assert_eq!(restored.params(), live.params());
            // Decode then encode gives back the bytes.
            let mut again = vec![0u8; bytes.len()];
            assert_eq!(restored.encode(&mut again), bytes.len());
            assert_eq!(again, bytes);
            // The rest of the chain, from the restored and from a clone of
            // the live state: same paywords, same cost.
            let mut twin = live.clone();
            let (rest, cost_restored) =
                Counting::<Sha256>::measure(|| restored.by_ref().collect::<Vec<_>>());
            let (rest_twin, cost_twin) =
                Counting::<Sha256>::measure(|| twin.by_ref().collect::<Vec<_>>());
            assert_eq!(rest, all[pos as usize..], "n={n} pos={pos}");
            assert_eq!(rest, rest_twin);
            assert_eq!(cost_restored, cost_twin, "n={n} pos={pos}");
            if pos < n {
                assert_eq!(live.next_payword(), Some(all[pos as usize]));
            }
        }
        assert_eq!(live.next_payword(), None);
    }
}

#[test]
fn pebbler_decode_refuses_the_other_hash_and_bad_fields() {
    let p = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 100).unwrap();
    let peb = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), p).unwrap();
    let bytes = encode(&peb);
    assert_eq!(
        Pebbler::<Blake3>::decode(&bytes).err(),
        Some(PebblerStateError::WrongHash)
    );
    assert_eq!(
        Pebbler::<Sha256>::decode(&[]).err(),
        Some(PebblerStateError::Truncated)
    );
    let mut v = bytes.clone();
    v[0] = 2;
    assert_eq!(
        Pebbler::<Sha256>::decode(&v).err(),
        Some(PebblerStateError::UnknownVersion)
    );
    let mut v = bytes.clone();
    v.push(0);
    assert_eq!(
        Pebbler::<Sha256>::decode(&v).err(),
        Some(PebblerStateError::TrailingData)
    );
    // Length 0.
    let mut v = bytes.clone();
    v[18..22].copy_from_slice(&0u32.to_be_bytes());
    assert!(matches!(
        Pebbler::<Sha256>::decode(&v),
        Err(PebblerStateError::BadField(_))
    ));
    // Emitted past n.
    let mut v = bytes.clone();
    v[22..26].copy_from_slice(&101u32.to_be_bytes());
    assert!(matches!(
        Pebbler::<Sha256>::decode(&v),
        Err(PebblerStateError::BadField(_))
    ));
    // Every strict prefix is truncated.
    for len in 0..bytes.len() {
        assert_eq!(
            Pebbler::<Sha256>::decode(&bytes[..len]).err(),
            Some(PebblerStateError::Truncated),
            "prefix {len}"
        );
    }
}

/// Drains at most `max` paywords from a decoded state, checking the work per
/// payword stays within the pebbling bound of its `n`.
fn drain_bounded(mut peb: Pebbler<Counting<Sha256>>, max: usize) -> Result<(), TestCaseError> {
    let n = peb.params().length();
    let k = if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    };
    let bound = u64::from(k.div_ceil(2));
    let mut last = peb.emitted();
    for _ in 0..max {
        let (next, cost) = Counting::<Sha256>::measure(|| peb.next_payword());
        prop_assert!(
            cost.total() <= bound,
            "{} hashes, bound {}",
            cost.total(),
            bound
        );
        match next {
            Some(p) => {
                prop_assert!(p.index() == last + 1 && p.index() <= n);
                last = p.index();
            }
            None => break,
        }
    }
    Ok(())
}

fn valid_state() -> impl Strategy<Value = Vec<u8>> {
    (
        1u32..=3000,
        any::<[u8; 16]>(),
        any::<[u8; 32]>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(n, id, seed, at)| {
            let p = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(id), n.into()).unwrap();
            let mut peb = Pebbler::<Sha256>::new(&ChainSeed::from_bytes(seed), p).unwrap();
            let _ = peb.advance(at.index(n as usize + 1) as u32);
            encode(&peb)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random bytes never panic the decoder; what decodes re-encodes to the
    /// same bytes and produces paywords within the bound.
    #[test]
    fn pebbler_decode_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
        if let Ok(p) = Pebbler::<Counting<Sha256>>::decode(&bytes) {
            let mut out = vec![0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
            let len = p.encode(&mut out);
            prop_assert_eq!(&out[..len], &bytes[..]);
            drain_bounded(p, 64)?;
        }
    }

    /// Valid states, truncated or with bytes changed: never a panic, never
    /// more work per payword than the bound; a truncated state is refused.
    #[test]
    fn pebbler_decode_mutated(
        state in valid_state(),
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let len = cut.index(state.len());
        prop_assert_eq!(
            Pebbler::<Sha256>::decode(&state[..len]).err(),
            Some(PebblerStateError::Truncated)
        );
        let mut mutated = state.clone();
        for (at, x) in &flips {
            let i = at.index(mutated.len());
            mutated[i] ^= x;
        }
        if let Ok(p) = Pebbler::<Counting<Sha256>>::decode(&mutated) {
            let mut out = vec![0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
            let l = p.encode(&mut out);
            prop_assert_eq!(&out[..l], &mutated[..]);
            drain_bounded(p, 256)?;
        }
    }
}
