//! [`PgStore`]: the broker's records in PostgreSQL, shared by many broker
//! processes.
//!
//! One table holds every record: `payword_records (key BYTEA PRIMARY KEY,
//! version BIGINT, value BYTEA)`, the key being the 33-byte
//! `table tag ‖ digest` of [`Key::to_bytes`]. The schema is created and
//! migrated by [`PgStore::connect`] (versioned migrations recorded in
//! `payword_schema`; several processes may start at once).
//!
//! # What concurrency safety rests on
//!
//! - A read is one `SELECT … WHERE key = ANY($1)`: one statement, so one
//!   consistent snapshot.
//! - A commit is one transaction at `SERIALIZABLE` isolation. Every record
//!   the broker read is checked against the version it read: a written
//!   record by a conditional `UPDATE … WHERE version = $expected` (or an
//!   `INSERT … ON CONFLICT DO NOTHING` when it was absent), whose row count
//!   says whether it still matched; a record only read by
//!   `SELECT … FOR SHARE`. Any mismatch rolls the transaction back and is a
//!   [`Commit::Conflict`]; so is a serialization failure (SQLSTATE 40001) or
//!   a deadlock (40P01), which the database raises instead of letting two
//!   interleaved transactions both commit.
//! - Versions are per record and chosen by the broker (`expected + 1`); no
//!   sequence, clock or server-local ordering is used. The SQL is plain
//!   PostgreSQL that distributed PostgreSQL-compatible engines also run
//!   (CockroachDB and YugabyteDB run `SERIALIZABLE` and `FOR SHARE`); the
//!   conditional writes alone already prevent lost updates of written
//!   records, and serializable isolation covers records a redemption only
//!   read.
//! - A lost connection fails the call with [`PgStoreError`]; the next call
//!   reconnects. A commit whose answer was lost may or may not have
//!   applied: the broker's redemptions are idempotent, so the client
//!   retries.
//!
//! # Examples
//!
//! ```no_run
//! use payword::store::{Batch, Commit, Key, Store, Table};
//! use payword::Digest;
//! use payword_broker::PgStore;
//!
//! let mut store = PgStore::connect("host=127.0.0.1 user=payword password=payword dbname=payword")?;
//! let key = Key::new(Table::Account, Digest::from_bytes([1; 32]));
//! let version = store.read(&[key])?[0].version();
//! let batch = Batch::new().expect(key, version).write(key, b"credited: 5".to_vec());
//! assert_eq!(store.commit(&batch)?, Commit::Done);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use payword::store::{Batch, Commit, Entry, Key, Store};
use postgres::error::SqlState;
use postgres::{Client, Config, IsolationLevel, NoTls, Statement};

/// The schema, one migration per version, applied in order.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE payword_records (
        key BYTEA PRIMARY KEY CHECK (octet_length(key) = 33),
        version BIGINT NOT NULL CHECK (version > 0),
        value BYTEA NOT NULL
    )",
)];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = 1;

/// How often schema setup retries when other processes set it up at once.
const SETUP_ATTEMPTS: usize = 16;

/// A [`Store`] on PostgreSQL (see the [module docs](self)).
pub struct PgStore {
    config: Config,
    conn: Option<Conn>,
}

/// A connection and its prepared statements.
struct Conn {
    client: Client,
    read: Statement,
    insert: Statement,
    update: Statement,
    check: Statement,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration holds the password: never printed.
        f.debug_struct("PgStore")
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

/// A failure of PostgreSQL (connection, I/O, an unexpected SQL error), or a
/// connection string or schema this build cannot use.
#[derive(Debug)]
pub enum PgStoreError {
    /// The database or the connection failed.
    Db(postgres::Error),
    /// The database's schema is newer than this build.
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The newest version this build knows.
        known: i32,
    },
    /// The schema could not be set up: other processes kept changing it.
    SetupContention,
}

impl fmt::Display for PgStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Db(e) => write!(f, "postgres store: {e}"),
            Self::SchemaTooNew { found, known } => write!(
                f,
                "postgres store: schema version {found} is newer than this build's {known}"
            ),
            Self::SetupContention => f.write_str("postgres store: schema setup kept conflicting"),
        }
    }
}

impl std::error::Error for PgStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<postgres::Error> for PgStoreError {
    fn from(e: postgres::Error) -> Self {
        Self::Db(e)
    }
}

/// Whether the error is the database refusing one of two racing
/// transactions (a conflict to retry), not a failure.
fn is_race(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    })
}

/// Whether a schema setup failed because another process set up the same
/// objects at the same time (`CREATE TABLE IF NOT EXISTS` races on the
/// table's catalog rows and its row type).
fn is_setup_race(e: &postgres::Error) -> bool {
    is_race(e)
        || e.code()
            .is_some_and(|c| *c == SqlState::DUPLICATE_TABLE || *c == SqlState::DUPLICATE_OBJECT)
}

impl PgStore {
    /// Connects with a libpq-style connection string (`host=… user=…` or a
    /// `postgres://` URL), creating or migrating the schema if needed.
    ///
    /// # Errors
    ///
    /// [`PgStoreError`] if the string does not parse, the server cannot be
    /// reached, or the schema cannot be set up.
    pub fn connect(params: &str) -> Result<Self, PgStoreError> {
        let mut config = Config::from_str(params)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let mut store = Self { config, conn: None };
        store.conn()?;
        Ok(store)
    }

    /// The schema version of the database (0 before any migration).
    ///
    /// # Errors
    ///
    /// [`PgStoreError::Db`].
    pub fn schema_version(&mut self) -> Result<i32, PgStoreError> {
        let conn = self.conn()?;
        let row = conn
            .client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM payword_schema", &[])?;
        Ok(row.get(0))
    }

    /// The open connection, reconnecting if there is none or it closed.
    fn conn(&mut self) -> Result<&mut Conn, PgStoreError> {
        if self.conn.as_ref().is_some_and(|c| c.client.is_closed()) {
            self.conn = None;
        }
        match &mut self.conn {
            Some(c) => Ok(c),
            slot @ None => {
                let mut client = self.config.connect(NoTls)?;
                migrate(&mut client)?;
                let read = client.prepare(
                    "SELECT key, version, value FROM payword_records WHERE key = ANY($1)",
                )?;
                let insert = client.prepare(
                    "INSERT INTO payword_records (key, version, value) VALUES ($1, 1, $2)
                     ON CONFLICT (key) DO NOTHING",
                )?;
                let update = client.prepare(
                    "UPDATE payword_records SET version = version + 1, value = $2
                     WHERE key = $1 AND version = $3",
                )?;
                let check = client
                    .prepare("SELECT version FROM payword_records WHERE key = $1 FOR SHARE")?;
                Ok(slot.insert(Conn {
                    client,
                    read,
                    insert,
                    update,
                    check,
                }))
            }
        }
    }
}

/// Applies the migrations the database lacks, each in a serializable
/// transaction with its version row; retries when another process does
/// the same at the same time.
fn migrate(client: &mut Client) -> Result<(), PgStoreError> {
    for _ in 0..SETUP_ATTEMPTS {
        match try_migrate(client) {
            Ok(()) => return Ok(()),
            Err(PgStoreError::Db(e)) if is_setup_race(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Err(PgStoreError::SetupContention)
}

fn try_migrate(client: &mut Client) -> Result<(), PgStoreError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS payword_schema (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::Serializable)
        .start()?;
    let found: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM payword_schema", &[])?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(PgStoreError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO payword_schema (version) VALUES ($1)",
            &[version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A stored version as the store's `u64` (a negative one is never written:
/// the column's check refuses it).
fn version_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The store's `u64` version as a column value, or `None` past `i64::MAX`
/// (a version no commit can have reached).
fn column_of(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

impl Store for PgStore {
    type Error = PgStoreError;

    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, PgStoreError> {
        let conn = self.conn()?;
        let wanted: Vec<[u8; Key::LEN]> = keys.iter().map(Key::to_bytes).collect();
        let params: Vec<&[u8]> = wanted.iter().map(|k| &k[..]).collect();
        let rows = conn.client.query(&conn.read, &[&params])?;
        let mut found: Vec<(Vec<u8>, u64, Vec<u8>)> = Vec::with_capacity(rows.len());
        for row in rows {
            found.push((row.get(0), version_of(row.get(1)), row.get(2)));
        }
        Ok(wanted
            .iter()
            .map(|k| {
                found
                    .iter()
                    .find(|(key, _, _)| key.as_slice() == k.as_slice())
                    .map_or_else(Entry::absent, |(_, v, value)| {
                        Entry::present(*v, value.clone())
                    })
            })
            .collect())
    }

    fn commit(&mut self, batch: &Batch) -> Result<Commit, PgStoreError> {
        if !batch.is_well_formed() {
            return Ok(Commit::Conflict);
        }
        let conn = self.conn()?;
        match try_commit(conn, batch) {
            Ok(true) => Ok(Commit::Done),
            Ok(false) => Ok(Commit::Conflict),
            Err(e) if is_race(&e) => Ok(Commit::Conflict),
            Err(e) => Err(e.into()),
        }
    }
}

/// One commit as one serializable transaction: `Ok(false)` (rolled back)
/// if a record changed since it was read.
fn try_commit(conn: &mut Conn, batch: &Batch) -> Result<bool, postgres::Error> {
    let Conn {
        client,
        insert,
        update,
        check,
        ..
    } = conn;
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::Serializable)
        .start()?;
    for (key, expected) in batch.expected() {
        let k = key.to_bytes();
        let k = &k[..];
        let Some(expected_col) = column_of(*expected) else {
            return Ok(false);
        };
        let still = match batch.writes().iter().find(|(w, _)| w == key) {
            Some((_, value)) if *expected == 0 => tx.execute(&*insert, &[&k, &value])? == 1,
            Some((_, value)) => tx.execute(&*update, &[&k, &value, &expected_col])? == 1,
            None => {
                let current = tx
                    .query_opt(&*check, &[&k])?
                    .map_or(0, |row| version_of(row.get(0)));
                current == *expected
            }
        };
        if !still {
            tx.rollback()?;
            return Ok(false);
        }
    }
    tx.commit()?;
    Ok(true)
}
