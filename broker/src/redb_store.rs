//! [`RedbStore`]: the broker's records in an embedded database.
//!
//! It keeps the broker's records in [redb], an embedded,
//! crash-safe, pure-Rust database: one file, copy-on-write B-trees, a commit
//! is durable when it returns. It implements [`payword::store::Store`]: a
//! read is one read transaction (a consistent snapshot); a commit is one
//! write transaction that checks every expected version first and writes
//! all records or none. A broker opened on an existing file resumes exactly
//! where it stopped.
//!
//! Each record is stored under its 33-byte key (`table tag ‖ digest`) as
//! `version (u64, big-endian) ‖ record bytes`.
//!
//! # Examples
//!
//! ```
//! use payword::store::{Batch, Commit, Key, Store, Table};
//! use payword::Digest;
//! use payword_broker::RedbStore;
//!
//! let dir = std::env::temp_dir().join(format!("payword-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("broker.redb");
//! let key = Key::new(Table::Account, Digest::from_bytes([1; 32]));
//! {
//!     let mut store = RedbStore::open(&path)?;
//!     let batch = Batch::new().expect(key, 0).write(key, b"credited: 5".to_vec());
//!     assert_eq!(store.commit(&batch)?, Commit::Done);
//! }
//! // Reopened: the record is there, at version 1.
//! let mut store = RedbStore::open(&path)?;
//! let read = store.read(&[key])?;
//! assert_eq!((read[0].version(), read[0].value()), (1, Some(&b"credited: 5"[..])));
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [redb]: https://docs.rs/redb

use std::fmt;
use std::path::Path;

use payword::store::{Batch, Commit, Entry, Key, Store};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

/// The one table: key bytes to `version ‖ record`.
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payword_records");

/// A [`Store`] in a redb database file.
///
/// Clones share one open database (redb lets one process open a file
/// once): each clone is a broker worker's handle. Write transactions are
/// serialized by redb; a commit between another worker's read and commit
/// is a [`Commit::Conflict`], and that worker's broker reads again.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
}

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

/// A failure of the database (I/O, a corrupt file, a file held by another
/// process).
#[derive(Debug)]
pub struct RedbStoreError(redb::Error);

impl fmt::Display for RedbStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redb store: {}", self.0)
    }
}

impl std::error::Error for RedbStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl<E: Into<redb::Error>> From<E> for RedbStoreError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

/// `version ‖ record` of a stored value, or `None` for fewer than 8 bytes
/// (a value this store never writes).
fn split(value: &[u8]) -> Option<(u64, &[u8])> {
    let (v, rest) = value.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*v), rest))
}

impl RedbStore {
    /// Opens the database at `path`, creating it (and its table) if needed.
    ///
    /// # Errors
    ///
    /// [`RedbStoreError`] if the file cannot be opened or created, is not a
    /// redb database, or is held by another process.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RedbStoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(RECORDS)?;
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }
}

impl Store for RedbStore {
    type Error = RedbStoreError;

    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, RedbStoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECORDS)?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let entry = match table.get(&k.to_bytes()[..])? {
                Some(v) => match split(v.value()) {
                    Some((version, record)) => Entry::present(version, record.to_vec()),
                    None => Entry::present(0, Vec::new()),
                },
                None => Entry::absent(),
            };
            out.push(entry);
        }
        Ok(out)
    }

    fn commit(&mut self, batch: &Batch) -> Result<Commit, RedbStoreError> {
        if !batch.is_well_formed() {
            return Ok(Commit::Conflict);
        }
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(RECORDS)?;
            for (key, expected) in batch.expected() {
                let current = table
                    .get(&key.to_bytes()[..])?
                    .and_then(|v| split(v.value()).map(|(version, _)| version))
                    .unwrap_or(0);
                if current != *expected {
                    drop(table);
                    txn.abort()?;
                    return Ok(Commit::Conflict);
                }
            }
            for (key, value) in batch.writes() {
                let version = batch.expected_version(key).unwrap_or(0).saturating_add(1);
                let mut stored = Vec::with_capacity(8 + value.len());
                stored.extend_from_slice(&version.to_be_bytes());
                stored.extend_from_slice(value);
                table.insert(&key.to_bytes()[..], &stored[..])?;
            }
        }
        txn.commit()?;
        Ok(Commit::Done)
    }
}
