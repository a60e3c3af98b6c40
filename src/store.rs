//! Storage for broker state: one fallible, atomic, versioned record store.
//!
//! A broker keeps everything it must not forget (what it credited under
//! each certificate, the highest paywords of every debt, live reservations,
//! the state of Merkle roots, shared chains and domains, redeemed renewal
//! links) as records in a [`Store`]. The interface is deliberately small,
//! so that an in-memory map, an embedded database (one write transaction)
//! and a networked SQL database (one transaction with row locks or a
//! version check) can all implement it:
//!
//! 1. [`Store::read`] returns the records a redemption needs, with their
//!    versions, from one consistent snapshot;
//! 2. the broker decides without I/O (checks, hashing, credit);
//! 3. [`Store::commit`] applies all of the redemption's writes at once, but
//!    only if none of the records it read has changed since
//!    ([`Commit::Conflict`] otherwise, and nothing is written). The broker
//!    then reads again and retries a bounded number of times.
//!
//! Records are opaque bytes to the store: the broker encodes and decodes
//! them, so a store never needs to know the protocol's types. A store error
//! (I/O, a lost connection) is the store's own [`Store::Error`], distinct
//! from any refusal of a claim.
//!
//! # Examples
//!
//! ```
//! use payword::store::{Batch, Commit, Key, MemoryStore, Store, Table};
//! use payword::Digest;
//!
//! let mut store = MemoryStore::new();
//! let key = Key::new(Table::Account, Digest::from_bytes([1; 32]));
//! let read = store.read(&[key])?;
//! assert_eq!(read[0].version(), 0); // absent
//! let batch = Batch::new().expect(key, 0).write(key, b"credited: 5".to_vec());
//! assert_eq!(store.commit(&batch)?, Commit::Done);
//! // A second commit based on the same (now stale) read is refused whole.
//! assert_eq!(store.commit(&batch)?, Commit::Conflict);
//! assert_eq!(store.read(&[key])?[0].value(), Some(&b"credited: 5"[..]));
//! # Ok::<(), core::convert::Infallible>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
#[cfg(feature = "std")]
use core::fmt;

use crate::sign::Digest;

/// Which kind of record a key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Table {
    /// A certificate's credit account: value credited, its debts, its live
    /// reservations (keyed by the certificate's digest).
    Account,
    /// One debt: the highest paywords of one chain and what was credited for
    /// them (keyed by the commitment digest, leaf id, grant digest, device
    /// commitment digest or renewal link digest).
    Debt,
    /// The shared state of a group of debts: a Merkle root, a shared chain,
    /// a domain (keyed by the signed object's digest).
    Group,
    /// A redeemed renewal link (keyed by the digest of the chain it
    /// continues).
    Link,
    /// What a vendor is owed in total, by every claim kind (keyed by the
    /// vendor id's bytes).
    Vendor,
}

impl Table {
    /// The one-byte tag of the table (1 to 5), for stores that keep keys as
    /// bytes.
    #[must_use]
    pub const fn tag(self) -> u8 {
        match self {
            Self::Account => 1,
            Self::Debt => 2,
            Self::Group => 3,
            Self::Link => 4,
            Self::Vendor => 5,
        }
    }

    /// The table of a tag.
    #[must_use]
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::Account),
            2 => Some(Self::Debt),
            3 => Some(Self::Group),
            4 => Some(Self::Link),
            5 => Some(Self::Vendor),
            _ => None,
        }
    }
}

/// The key of a record: its table and a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    table: Table,
    id: Digest,
}

impl Key {
    /// Length of [`to_bytes`](Self::to_bytes).
    pub const LEN: usize = 33;

    /// The key of record `id` in `table`.
    #[must_use]
    pub const fn new(table: Table, id: Digest) -> Self {
        Self { table, id }
    }

    /// The table.
    #[must_use]
    pub const fn table(&self) -> Table {
        self.table
    }

    /// The digest.
    #[must_use]
    pub const fn id(&self) -> &Digest {
        &self.id
    }

    /// `table tag ‖ digest`: 33 bytes, ordered as the keys are.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        let (tag, id) = out.split_at_mut(1);
        tag[0] = self.table.tag();
        id.copy_from_slice(self.id.as_bytes());
        out
    }

    /// The key of 33 bytes written by [`to_bytes`](Self::to_bytes), or
    /// `None` for an unknown table tag.
    #[must_use]
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Option<Self> {
        let (tag, id) = bytes.split_first()?;
        let mut d = [0u8; 32];
        d.copy_from_slice(id);
        Some(Self::new(Table::from_tag(*tag)?, Digest::from_bytes(d)))
    }
}

/// A record as read: its version (0 if absent) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    version: u64,
    value: Option<Vec<u8>>,
}

impl Entry {
    /// An absent record (version 0).
    #[must_use]
    pub const fn absent() -> Self {
        Self {
            version: 0,
            value: None,
        }
    }

    /// A present record at `version` (at least 1) holding `value`.
    #[must_use]
    pub const fn present(version: u64, value: Vec<u8>) -> Self {
        Self {
            version,
            value: Some(value),
        }
    }

    /// The version: 0 for an absent record, then 1, 2, … per commit that
    /// wrote it.
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The bytes, if present.
    #[must_use]
    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
}

/// The writes of one redemption and the versions they rest on.
///
/// Every written key must also be expected (at the version read, 0 if it
/// was absent): a commit checks all expected versions, then writes every
/// record with its version plus one, all or nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    expect: Vec<(Key, u64)>,
    writes: Vec<(Key, Vec<u8>)>,
}

impl Batch {
    /// An empty batch (committing it changes nothing).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            expect: Vec::new(),
            writes: Vec::new(),
        }
    }

    /// Requires `key` to still be at `version` when the batch commits.
    #[must_use]
    pub fn expect(mut self, key: Key, version: u64) -> Self {
        self.expect.push((key, version));
        self
    }

    /// Writes `value` as the new content of `key`.
    #[must_use]
    pub fn write(mut self, key: Key, value: Vec<u8>) -> Self {
        self.writes.push((key, value));
        self
    }

    /// The expected versions.
    #[must_use]
    pub fn expected(&self) -> &[(Key, u64)] {
        &self.expect
    }

    /// The writes.
    #[must_use]
    pub fn writes(&self) -> &[(Key, Vec<u8>)] {
        &self.writes
    }

    /// The version `key` is expected at, if it is.
    #[must_use]
    pub fn expected_version(&self, key: &Key) -> Option<u64> {
        self.expect.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Whether every written key is expected exactly once and written at
    /// most once: a store refuses (as a conflict) any other batch.
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        let expect_unique = self
            .expect
            .iter()
            .enumerate()
            .all(|(i, (k, _))| !self.expect.iter().skip(i + 1).any(|(o, _)| o == k));
        let writes_unique = self
            .writes
            .iter()
            .enumerate()
            .all(|(i, (k, _))| !self.writes.iter().skip(i + 1).any(|(o, _)| o == k));
        expect_unique
            && writes_unique
            && self
                .writes
                .iter()
                .all(|(k, _)| self.expected_version(k).is_some())
    }
}

/// The outcome of [`Store::commit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// Every write was applied.
    Done,
    /// A record changed since it was read (or the batch is not well formed):
    /// nothing was written.
    Conflict,
}

/// Where a broker keeps its state. See the [module docs](self).
///
/// # Errors
///
/// Both methods fail only with the store's own error (I/O); a version
/// mismatch is [`Commit::Conflict`], not an error.
pub trait Store {
    /// A failure of the storage itself.
    type Error: core::error::Error + Send + Sync + 'static;

    /// Reads `keys` (one [`Entry`] per key, in order) from one consistent
    /// snapshot.
    ///
    /// # Errors
    ///
    /// The store's error; nothing was changed.
    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, Self::Error>;

    /// Applies `batch` atomically if every expected version still holds and
    /// the batch is [well formed](Batch::is_well_formed).
    ///
    /// # Errors
    ///
    /// The store's error: the batch was applied whole or not at all. A
    /// store that cannot tell which (a connection lost during the commit)
    /// still keeps a retry safe: the same batch then conflicts if the first
    /// attempt was applied, since every version it expects has moved.
    fn commit(&mut self, batch: &Batch) -> Result<Commit, Self::Error>;
}

/// A [`Store`] in memory: a sorted map of versioned records.
///
/// # Examples
///
/// See the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStore {
    records: BTreeMap<Key, (u64, Vec<u8>)>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            records: BTreeMap::new(),
        }
    }

    /// Number of records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the store holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every record of `table`, in key order, with its version.
    pub fn records(&self, table: Table) -> impl Iterator<Item = (&Key, u64, &[u8])> {
        self.records
            .iter()
            .filter(move |(k, _)| k.table == table)
            .map(|(k, (v, b))| (k, *v, b.as_slice()))
    }

    fn version(&self, key: &Key) -> u64 {
        self.records.get(key).map_or(0, |(v, _)| *v)
    }
}

impl Store for MemoryStore {
    type Error = core::convert::Infallible;

    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, Self::Error> {
        Ok(keys
            .iter()
            .map(|k| {
                self.records
                    .get(k)
                    .map_or_else(Entry::absent, |(v, b)| Entry::present(*v, b.clone()))
            })
            .collect())
    }

    fn commit(&mut self, batch: &Batch) -> Result<Commit, Self::Error> {
        if !batch.is_well_formed()
            || batch
                .expect
                .iter()
                .any(|(k, version)| self.version(k) != *version)
        {
            return Ok(Commit::Conflict);
        }
        for (key, value) in &batch.writes {
            let next = self.version(key).saturating_add(1);
            self.records.insert(*key, (next, value.clone()));
        }
        Ok(Commit::Done)
    }
}

/// One store shared by several brokers (threads) behind a lock: each call
/// locks once, so a read and the commit that follows it may interleave with
/// another broker's, and the version check catches what changed in between.
#[cfg(feature = "std")]
impl<S: Store> Store for std::sync::Arc<std::sync::Mutex<S>> {
    type Error = SharedStoreError<S::Error>;

    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, Self::Error> {
        self.lock()
            .map_err(|_| SharedStoreError::Poisoned)?
            .read(keys)
            .map_err(SharedStoreError::Store)
    }

    fn commit(&mut self, batch: &Batch) -> Result<Commit, Self::Error> {
        self.lock()
            .map_err(|_| SharedStoreError::Poisoned)?
            .commit(batch)
            .map_err(SharedStoreError::Store)
    }
}

/// The error of a store shared behind a lock.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SharedStoreError<E> {
    /// Another user of the lock panicked while holding it.
    Poisoned,
    /// The store's own error.
    Store(E),
}

#[cfg(feature = "std")]
impl<E: fmt::Display> fmt::Display for SharedStoreError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Poisoned => f.write_str("store lock poisoned"),
            Self::Store(e) => write!(f, "store error: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl<E: core::error::Error + 'static> core::error::Error for SharedStoreError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Poisoned => None,
            Self::Store(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(table: Table, b: u8) -> Key {
        Key::new(table, Digest::from_bytes([b; 32]))
    }

    #[test]
    fn commit_is_all_or_nothing_on_a_stale_version() {
        let mut s = MemoryStore::new();
        let (a, b) = (key(Table::Account, 1), key(Table::Debt, 2));
        let first = Batch::new()
            .expect(a, 0)
            .expect(b, 0)
            .write(a, alloc::vec![1])
            .write(b, alloc::vec![2]);
        assert_eq!(s.commit(&first), Ok(Commit::Done));
        let read = s.read(&[a, b]).unwrap_or_default();
        assert_eq!(read[0], Entry::present(1, alloc::vec![1]));
        assert_eq!(read[1], Entry::present(1, alloc::vec![2]));
        // b is current, a is stale: nothing of the batch is written.
        let stale = Batch::new()
            .expect(a, 0)
            .expect(b, 1)
            .write(a, alloc::vec![9])
            .write(b, alloc::vec![9]);
        let before = s.clone();
        assert_eq!(s.commit(&stale), Ok(Commit::Conflict));
        assert_eq!(s, before);
        // A batch on the current versions goes through and bumps them.
        let next = Batch::new().expect(a, 1).write(a, alloc::vec![3]);
        assert_eq!(s.commit(&next), Ok(Commit::Done));
        assert_eq!(s.read(&[a]).unwrap_or_default()[0].version(), 2);
        // An expected but unwritten key is checked too.
        let guard = Batch::new().expect(b, 0).write(a, alloc::vec![4]);
        assert_eq!(s.commit(&guard), Ok(Commit::Conflict));
    }

    #[test]
    fn ill_formed_batches_conflict() {
        let mut s = MemoryStore::new();
        let a = key(Table::Group, 1);
        let unexpected = Batch::new().write(a, alloc::vec![1]);
        assert!(!unexpected.is_well_formed());
        assert_eq!(s.commit(&unexpected), Ok(Commit::Conflict));
        let twice = Batch::new()
            .expect(a, 0)
            .write(a, alloc::vec![1])
            .write(a, alloc::vec![2]);
        assert_eq!(s.commit(&twice), Ok(Commit::Conflict));
        let expected_twice = Batch::new().expect(a, 0).expect(a, 0);
        assert_eq!(s.commit(&expected_twice), Ok(Commit::Conflict));
        assert!(s.is_empty());
        assert_eq!(s.commit(&Batch::new()), Ok(Commit::Done));
    }

    #[test]
    fn keys_round_trip_as_bytes_in_order() {
        let keys = [
            key(Table::Account, 9),
            key(Table::Debt, 1),
            key(Table::Group, 5),
            key(Table::Link, 0),
        ];
        for w in keys.windows(2) {
            assert!(w[0] < w[1]);
            assert!(w[0].to_bytes() < w[1].to_bytes());
        }
        for k in keys {
            assert_eq!(Key::from_bytes(&k.to_bytes()), Some(k));
        }
        let mut bad = keys[0].to_bytes();
        bad[0] = 0;
        assert_eq!(Key::from_bytes(&bad), None);
    }
}
