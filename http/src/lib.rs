//! Pay per HTTP request with [`payword`]: the vendor answers a priced
//! request with `402 Payment Required` and a signed offer; the customer
//! commits once and pays every request with the payword that advances its
//! chain by exactly the price, in an `Authorization: PayWord` header. The
//! exchange is specified in `docs/HTTP.md`.
//!
//! - [`header`]: the header values (`WWW-Authenticate`, `Authorization`,
//!   `PayWord-Paid`, `PayWord-Last-Index`, `PayWord-Error`) and their strict
//!   parsers; [`x402`]: the offer in x402 v2's `PAYMENT-REQUIRED` form.
//! - Vendors: a [`Paywall`] (terms, signed offers, sessions through any
//!   [`SessionPersistence`](payword::sessions::SessionPersistence)) and its
//!   tower [`PaywallLayer`], priced by a closure or a [`PriceTable`];
//!   [`LogSessions`], session persistence that appends (for file systems
//!   where a file replaced per payment is slow).
//! - Customers: a blocking [`PayingClient`] (ureq) with a save-ahead
//!   [`Wallet`](payword::Wallet), kept in a [`FileWallet`] or any
//!   [`WalletStore`](payword::WalletStore).
//!
//! # Examples
//!
//! A paywalled server and a client paying it, over loopback:
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use ed25519_dalek::SigningKey;
//! use payword::offer::AcceptedBroker;
//! use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner, VendorId};
//! use payword_http::{PayingClient, Paywall, PaywallLayer, PriceTable, Terms};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
//! let (broker, vendor, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]), SigningKey::from_bytes(&[3; 32]));
//! let broker_id = BrokerId::from_bytes([4; 32]);
//! let certificate = Certificate::issue(CertificateFields {
//!     broker: broker_id, serial: 1, customer: CustomerId::from_bytes([5; 16]),
//!     customer_key: customer.public_key(), credit_limit: 1_000, valid_from: now - 60, expires: now + 3_600,
//! }, &broker)?;
//!
//! // The vendor: terms, a paywall, a priced route.
//! let terms = Terms::new(VendorId::from_bytes([6; 32]), AcceptedBroker { id: broker_id, key: broker.public_key() });
//! let paywall = Arc::new(Paywall::new(vendor, terms));
//! let app = Router::new()
//!     .route("/article", get(|| async { "the article" }))
//!     .layer(PaywallLayer::new(Arc::clone(&paywall), PriceTable::new().route("/article", 2)));
//! let runtime = tokio::runtime::Runtime::new()?;
//! let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
//! let url = format!("http://{}/article", listener.local_addr()?);
//! runtime.spawn(async move { axum::serve(listener, app).await });
//!
//! // The customer: at most 10 value units per request, wallet in memory.
//! let store = |_: &[u8], _: u64| Ok::<(), std::io::Error>(());
//! let mut client = PayingClient::new(certificate, customer, store, 10).with_chain_length(1_000);
//! for _ in 0..3 {
//!     let mut response = client.get(&url)?;
//!     assert_eq!(response.body_mut().read_to_string()?, "the article");
//! }
//! assert_eq!(client.stats().units, 6);
//! // The vendor's claim for the broker: 6 units paid.
//! assert_eq!(paywall.sessions().claims().len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod customer;
pub mod header;
mod log_sessions;
pub mod vendor;
pub mod x402;

pub use customer::{ClientError, FileWallet, PayingClient, Stats};
pub use log_sessions::LogSessions;
pub use vendor::{
    Paid, Paywall, PaywallLayer, PaywallService, PriceTable, Pricing, Refusal, Terms,
};
