//! The broker's durable stores against one contract: `MemoryStore` (the
//! reference), `RedbStore` and `PgStore` (when `PAYWORD_TEST_POSTGRES` is
//! set) give the same answers to the same batches and the same outcomes to
//! the same claims; a store reopened resumes exactly where it stopped; the
//! PostgreSQL schema is created and migrated once, however many processes
//! start at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::{Arc, Barrier};

use common::*;
use payword::store::{Batch, Commit, Key, MemoryStore, Store, Table};
use payword::{Digest, RedemptionClaim};
use payword_broker::{PgStore, PgStoreError, RedbStore, SCHEMA_VERSION};

fn keys() -> (Key, Key, Key) {
    (
        Key::new(Table::Account, Digest::from_bytes([1; 32])),
        Key::new(Table::Debt, Digest::from_bytes([2; 32])),
        Key::new(Table::Vendor, Digest::from_bytes([3; 32])),
    )
}

/// The version-check contract every store keeps.
fn contract<S: Store>(s: &mut S)
where
    S::Error: std::fmt::Debug,
{
    let (a, b, c) = keys();
    let read = s.read(&[a, b]).unwrap();
    assert!(read.iter().all(|e| e.version() == 0 && e.value().is_none()));
    let first = Batch::new()
        .expect(a, 0)
        .expect(b, 0)
        .write(a, vec![1])
        .write(b, vec![2]);
    assert_eq!(s.commit(&first).unwrap(), Commit::Done);
    // The same batch again is stale: refused whole.
    assert_eq!(s.commit(&first).unwrap(), Commit::Conflict);
    // One stale key of two: nothing is written.
    let stale = Batch::new()
        .expect(a, 1)
        .expect(b, 0)
        .write(a, vec![9])
        .write(b, vec![9]);
    assert_eq!(s.commit(&stale).unwrap(), Commit::Conflict);
    let read = s.read(&[a, b]).unwrap();
    assert_eq!((read[0].version(), read[0].value()), (1, Some(&[1u8][..])));
    assert_eq!((read[1].version(), read[1].value()), (1, Some(&[2u8][..])));
    // A record only read (expected, not written) is checked too, absent
    // or present.
    let read_only = Batch::new().expect(a, 0).expect(c, 0).write(c, vec![5]);
    assert_eq!(s.commit(&read_only).unwrap(), Commit::Conflict);
    assert_eq!(s.read(&[c]).unwrap()[0].version(), 0);
    let read_only = Batch::new().expect(a, 1).expect(c, 0).write(c, vec![5]);
    assert_eq!(s.commit(&read_only).unwrap(), Commit::Done);
    let absent_read = Batch::new()
        .expect(Key::new(Table::Link, Digest::from_bytes([4; 32])), 0)
        .expect(c, 1)
        .write(c, vec![6]);
    assert_eq!(s.commit(&absent_read).unwrap(), Commit::Done);
    // Unexpected writes and repeated keys are malformed: refused.
    assert_eq!(
        s.commit(&Batch::new().write(a, vec![3])).unwrap(),
        Commit::Conflict
    );
    assert_eq!(
        s.commit(&Batch::new().expect(a, 1).expect(a, 1).write(a, vec![3]))
            .unwrap(),
        Commit::Conflict
    );
    // Versions count commits.
    assert_eq!(
        s.commit(&Batch::new().expect(a, 1).write(a, vec![4]))
            .unwrap(),
        Commit::Done
    );
    let read = s.read(&[a, c, b]).unwrap();
    assert_eq!(
        read.iter()
            .map(|e| (e.version(), e.value().map(<[u8]>::to_vec)))
            .collect::<Vec<_>>(),
        [(2, Some(vec![4])), (2, Some(vec![6])), (1, Some(vec![2]))]
    );
}

fn redb_store(tag: &str) -> (RedbStore, std::path::PathBuf) {
    let dir = support::temp_dir(tag);
    (RedbStore::open(dir.join("broker.redb")).unwrap(), dir)
}

fn pg_store(tag: &str) -> Option<(PgStore, String)> {
    let base = support::pg_base()?;
    let conn = support::pg_schema(&base, tag);
    Some((PgStore::connect(&conn).unwrap(), conn))
}

#[test]
fn every_store_keeps_the_version_contract() {
    contract(&mut MemoryStore::new());
    let (mut redb, dir) = redb_store("contract");
    contract(&mut redb);
    support::cleanup(&dir);
    match pg_store("contract") {
        Some((mut pg, _)) => contract(&mut pg),
        None => eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL not tested"),
    }
}

/// Every claim kind, duplicates and lower claims, past the credit limit.
fn ops(w: &World) -> Vec<Op> {
    let mut ops = vec![
        Op::Plain(plain(w, 10, 1, 30)),
        Op::Cascade(cascade(w, 11, 1, 25)),
        Op::Leaf(leaf(w, 12, 1000, 30)),
        Op::Grant(grant(w, 13, 20)),
        Op::Device(device(w, 14, 1000, 1000, 15)),
        Op::Plain(plain(w, 15, 2, 50)),
    ];
    ops.push(Op::Plain(plain(w, 10, 1, 20)));
    ops.push(Op::Plain(plain(w, 10, 1, 45)));
    ops.push(Op::Plain(plain(w, 15, 2, 50)));
    ops.push(Op::Plain(plain(w, 16, 1, 90)));
    ops
}

fn outcomes<S: Store>(w: &World, store: S) -> (Vec<u64>, u64, u64) {
    let mut b = broker_on(w, store);
    let owed = ops(w).iter().map(|op| op.run(&mut b, w).unwrap()).collect();
    (
        owed,
        b.credited(&w.cert.digest()).unwrap(),
        b.owed(&w.vendor).unwrap(),
    )
}

#[test]
fn every_store_gives_the_same_outcomes() {
    let w = world(250);
    let reference = outcomes(&w, MemoryStore::new());
    assert_eq!(reference.1, 250, "the credit limit binds");
    assert_eq!(reference.0.iter().sum::<u64>(), 250);
    assert_eq!(reference.2, 250);
    let (redb, dir) = redb_store("same");
    assert_eq!(outcomes(&w, redb), reference);
    support::cleanup(&dir);
    if let Some((pg, _)) = pg_store("same") {
        assert_eq!(outcomes(&w, pg), reference);
    }
}

/// Redeems two claims, drops the store, reopens it with `open`: what was
/// credited is there, the same claims owe nothing, a higher one only what
/// is new.
fn resumes<S: Store>(w: &World, first: S, open: impl Fn() -> S) {
    let claim = |byte, units| -> RedemptionClaim { plain(w, byte, 1, units) };
    {
        let mut b = broker_on(w, first);
        assert_eq!(b.redeem(&claim(20, 30), &w.vendor, NOW).unwrap().owed, 30);
        assert_eq!(b.redeem(&claim(21, 40), &w.vendor, NOW).unwrap().owed, 40);
    }
    let mut b = broker_on(w, open());
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 70);
    assert_eq!(b.redeem(&claim(20, 30), &w.vendor, NOW).unwrap().owed, 0);
    assert_eq!(b.redeem(&claim(21, 40), &w.vendor, NOW).unwrap().owed, 0);
    assert_eq!(b.redeem(&claim(20, 45), &w.vendor, NOW).unwrap().owed, 15);
    let debt = b.debt(&claim(20, 1).commitment.digest()).unwrap().unwrap();
    assert_eq!((debt.units, debt.credited), (45, 45));
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 85);
    assert_eq!(b.owed(&w.vendor).unwrap(), 85);
}

#[test]
fn a_reopened_store_resumes_where_it_stopped() {
    let w = world(1_000);
    let (redb, dir) = redb_store("resume");
    let file = dir.join("broker.redb");
    resumes(&w, redb, || RedbStore::open(&file).unwrap());
    support::cleanup(&dir);
    if let Some((pg, conn)) = pg_store("resume") {
        resumes(&w, pg, || PgStore::connect(&conn).unwrap());
    }
}

#[test]
fn postgres_schema_is_migrated_once_by_racing_processes() {
    let Some(base) = support::pg_base() else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL not tested");
        return;
    };
    let conn = Arc::new(support::pg_schema(&base, "migrate"));
    // Eight connections set up the same fresh schema at once.
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (conn, barrier) = (Arc::clone(&conn), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                PgStore::connect(&conn).map(|mut s| s.schema_version().unwrap())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
    }
    let mut admin = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
    let rows = admin
        .query("SELECT version FROM payword_schema ORDER BY version", &[])
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    // A database migrated by a newer build is refused, not written to.
    admin
        .execute("INSERT INTO payword_schema (version) VALUES (99)", &[])
        .unwrap();
    match PgStore::connect(&conn) {
        Err(PgStoreError::SchemaTooNew { found: 99, known }) => {
            assert_eq!(known, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn racing_postgres_commits_apply_once() {
    let Some(base) = support::pg_base() else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL not tested");
        return;
    };
    let conn = Arc::new(support::pg_schema(&base, "race"));
    let (a, _, _) = keys();
    // Eight stores read version 0 and commit at once: exactly one wins.
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8u8)
        .map(|i| {
            let (conn, barrier) = (Arc::clone(&conn), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut s = PgStore::connect(&conn).unwrap();
                let v = s.read(&[a]).unwrap()[0].version();
                barrier.wait();
                s.commit(&Batch::new().expect(a, v).write(a, vec![i]))
                    .unwrap()
            })
        })
        .collect();
    let done = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|c| *c == Commit::Done)
        .count();
    assert_eq!(done, 1);
    let mut s = PgStore::connect(&conn).unwrap();
    assert_eq!(s.read(&[a]).unwrap()[0].version(), 1);
}
