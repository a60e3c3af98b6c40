//! The broker on the embedded redb store: the store's version check, the
//! same outcomes as on `MemoryStore`, and a broker reopened on its file
//! resuming exactly where it stopped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use payword::store::{Batch, Commit, Key, Store, Table};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Digest, HashAlg, MemoryStore, MessageSigner,
    Payment, PaymentBody, RedemptionClaim, Sha256, StoreAll, Traversal, VendorId,
};
use payword_broker::RedbStore;

const NOW: u64 = 1_000_000;

/// A fresh directory under the system's temporary directory, removed on
/// drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "payword-broker-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join("broker.redb")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct World {
    broker: SigningKey,
    customer: SigningKey,
    id: BrokerId,
    vendor: VendorId,
    cert: Certificate,
}

fn world(credit_limit: u64) -> World {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let id = BrokerId::from_bytes([3; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: id,
            serial: 1,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit,
            valid_from: NOW - 1000,
            expires: NOW + 100_000,
        },
        &broker,
    )
    .unwrap();
    World {
        broker,
        customer,
        id,
        vendor: VendorId::from_bytes([5; 32]),
        cert,
    }
}

/// A plain commitment (chain `byte`) with `units` paid, as a claim.
fn claim(w: &World, byte: u8, units: u32) -> RedemptionClaim {
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([byte; 16]), 100).unwrap();
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), params).unwrap();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: CommittedChain::Single {
                params,
                anchor: wallet.anchor(),
            },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    let top = wallet.advance(units).unwrap();
    RedemptionClaim {
        certificate: w.cert,
        commitment,
        payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
    }
}

fn broker_on<S: Store>(w: &World, store: S) -> Broker<S> {
    Broker::new(w.id, w.broker.public_key(), store, 60)
}

/// Redeems `claims` in order; returns what each owed.
fn run<S: Store>(b: &mut Broker<S>, w: &World, claims: &[RedemptionClaim]) -> Vec<u64> {
    claims
        .iter()
        .map(|c| b.redeem(c, &w.vendor, NOW).unwrap().owed)
        .collect()
}

#[test]
fn a_stale_commit_conflicts_and_writes_nothing() {
    let dir = TempDir::new("conflict");
    let mut s = RedbStore::open(dir.file()).unwrap();
    let (a, b) = (
        Key::new(Table::Account, Digest::from_bytes([1; 32])),
        Key::new(Table::Debt, Digest::from_bytes([2; 32])),
    );
    let first = Batch::new()
        .expect(a, 0)
        .expect(b, 0)
        .write(a, vec![1])
        .write(b, vec![2]);
    assert_eq!(s.commit(&first).unwrap(), Commit::Done);
    // Based on the old read: refused whole, nothing changes.
    let stale = Batch::new()
        .expect(a, 0)
        .expect(b, 1)
        .write(a, vec![9])
        .write(b, vec![9]);
    assert_eq!(s.commit(&stale).unwrap(), Commit::Conflict);
    let read = s.read(&[a, b]).unwrap();
    assert_eq!((read[0].version(), read[0].value()), (1, Some(&[1u8][..])));
    assert_eq!((read[1].version(), read[1].value()), (1, Some(&[2u8][..])));
    // An unexpected write is refused too.
    assert_eq!(
        s.commit(&Batch::new().write(a, vec![3])).unwrap(),
        Commit::Conflict
    );
    let next = Batch::new().expect(a, 1).write(a, vec![4]);
    assert_eq!(s.commit(&next).unwrap(), Commit::Done);
    assert_eq!(s.read(&[a]).unwrap()[0].version(), 2);
}

#[test]
fn the_broker_owes_the_same_on_redb_as_in_memory() {
    let w = world(250);
    let claims: Vec<RedemptionClaim> = [(10, 30), (11, 50), (10, 40), (12, 90), (11, 50), (13, 80)]
        .iter()
        .map(|&(byte, units)| claim(&w, byte, units))
        .collect();
    let dir = TempDir::new("same");
    let on_disk = run(
        &mut broker_on(&w, RedbStore::open(dir.file()).unwrap()),
        &w,
        &claims,
    );
    let in_memory = run(&mut broker_on(&w, MemoryStore::new()), &w, &claims);
    assert_eq!(on_disk, in_memory);
    assert_eq!(on_disk.iter().sum::<u64>(), 250, "the credit limit binds");
}

#[test]
fn a_reopened_broker_resumes_where_it_stopped() {
    let w = world(1_000);
    let dir = TempDir::new("resume");
    {
        let mut b = broker_on(&w, RedbStore::open(dir.file()).unwrap());
        assert_eq!(
            run(&mut b, &w, &[claim(&w, 20, 30), claim(&w, 21, 40)]),
            [30, 40]
        );
    }
    // A new process on the same file: what was credited is there, the same
    // claims owe nothing, a higher one owes only what is new.
    let mut b = broker_on(&w, RedbStore::open(dir.file()).unwrap());
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 70);
    assert_eq!(
        run(&mut b, &w, &[claim(&w, 20, 30), claim(&w, 21, 40)]),
        [0, 0]
    );
    assert_eq!(run(&mut b, &w, &[claim(&w, 20, 45)]), [15]);
    let debt = b
        .debt(&claim(&w, 20, 1).commitment.digest())
        .unwrap()
        .unwrap();
    assert_eq!((debt.units, debt.credited), (45, 45));
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 85);
}
