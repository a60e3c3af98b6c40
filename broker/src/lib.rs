//! The [`payword`] broker as a service: durable stores, an HTTP API, a
//! client.
//!
//! - [`RedbStore`]: the default store, an embedded crash-safe database in
//!   one file ([redb]).
//! - [`PgStore`]: PostgreSQL, for several broker processes on several
//!   machines sharing one database.
//! - [`service`]: the broker's HTTP routes over a pool of brokers;
//!   [`server`]: serving them with body, time and connection limits and a
//!   graceful shutdown; [`api`]: the JSON bodies; [`client`]: a blocking
//!   client.
//! - The `payword-broker` binary runs it all (`payword-broker --help`).
//!
//! Both stores implement [`payword::store::Store`], so every claim kind
//! goes through the core's one redemption pipeline: one consistent read,
//! the decision without I/O, one all-or-nothing versioned commit.
//!
//! [redb]: https://docs.rs/redb

pub mod api;
pub mod client;
pub mod pg_store;
pub mod redb_store;
pub mod server;
pub mod service;

pub use pg_store::{PgStore, PgStoreError, SCHEMA_VERSION};
pub use redb_store::{RedbStore, RedbStoreError};
