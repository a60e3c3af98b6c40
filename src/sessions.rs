//! A vendor's sessions, many customers at once (`std`): thread-safe, keyed
//! by the digest payments name, saved through a [`SessionPersistence`]
//! before a payment is acknowledged, and exported as claims for the broker.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::vec::Vec;

use crate::message::{Certificate, Commitment, Payment, RedemptionClaim, VendorId};
use crate::renew::{CascadeClaim, RenewError, RenewalLink};
use crate::session::{ResumeError, Session, SessionError};
use crate::sign::{Digest, PublicKey};

/// Where a [`SessionStore`] keeps its sessions: one record per session,
/// keyed by its commitment's digest, holding [`Session::to_bytes`].
pub trait SessionPersistence: Send {
    /// The store's failure.
    type Error: core::error::Error + Send + Sync + 'static;

    /// Replaces the record of session `key` (atomically: a crash leaves the
    /// old record or the new one).
    ///
    /// # Errors
    ///
    /// The store's failure; the session store then refuses the change.
    fn save(&mut self, key: &Digest, session: &[u8]) -> Result<(), Self::Error>;

    /// Removes the record of session `key` (absent is not an error).
    ///
    /// # Errors
    ///
    /// The store's failure.
    fn remove(&mut self, key: &Digest) -> Result<(), Self::Error>;

    /// Every record, to resume the sessions at start.
    ///
    /// # Errors
    ///
    /// The store's failure.
    fn load_all(&mut self) -> Result<Vec<Vec<u8>>, Self::Error>;
}

/// No persistence: sessions live in memory only.
#[derive(Clone, Copy, Debug, Default)]
pub struct InMemory;

impl SessionPersistence for InMemory {
    type Error = core::convert::Infallible;

    fn save(&mut self, _: &Digest, _: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }

    fn remove(&mut self, _: &Digest) -> Result<(), Self::Error> {
        Ok(())
    }

    fn load_all(&mut self) -> Result<Vec<Vec<u8>>, Self::Error> {
        Ok(Vec::new())
    }
}

/// One file per session in a directory (`<digest hex>.session`), replaced
/// atomically (written beside, then renamed).
///
/// [`FileSessions::new`] survives a crash of the process; with
/// [`durable`](Self::durable) every save is also synced to disk (survives
/// a power loss, at the cost of an `fsync` per payment).
#[derive(Clone, Debug)]
pub struct FileSessions {
    dir: PathBuf,
    sync: bool,
}

impl FileSessions {
    /// Sessions in `dir` (created if absent).
    ///
    /// # Errors
    ///
    /// The directory cannot be created.
    pub fn new(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(Self {
            dir: dir.as_ref().to_path_buf(),
            sync: false,
        })
    }

    /// Syncs every save to disk before it returns.
    #[must_use]
    pub const fn durable(mut self) -> Self {
        self.sync = true;
        self
    }

    fn path(&self, key: &Digest, ext: &str) -> PathBuf {
        self.dir.join(std::format!("{key}.{ext}"))
    }
}

/// The largest session file read back (a session with the most renewal
/// links is far below it).
const MAX_SESSION_FILE: u64 = 1 << 20;

impl SessionPersistence for FileSessions {
    type Error = std::io::Error;

    fn save(&mut self, key: &Digest, session: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = self.path(key, "tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(session)?;
        if self.sync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, self.path(key, "session"))?;
        if self.sync {
            std::fs::File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }

    fn remove(&mut self, key: &Digest) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(key, "session")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn load_all(&mut self) -> std::io::Result<Vec<Vec<u8>>> {
        use std::io::Read;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "session") {
                let mut bytes = Vec::new();
                std::fs::File::open(&path)?
                    .take(MAX_SESSION_FILE)
                    .read_to_end(&mut bytes)?;
                out.push(bytes);
            }
        }
        Ok(out)
    }
}

/// Why a [`SessionStore`] refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionStoreError<E> {
    /// The session refused the commitment or the payment.
    Session(SessionError),
    /// A renewal link was refused.
    Renew(RenewError),
    /// No open session for the digest the payment or link names.
    UnknownSession,
    /// The store already holds its maximum of sessions.
    Full {
        /// The maximum.
        max: usize,
    },
    /// Saving failed; the change was not made.
    Persist(E),
}

impl<E: fmt::Display> fmt::Display for SessionStoreError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(e) => write!(f, "{e}"),
            Self::Renew(e) => write!(f, "renewal refused: {e}"),
            Self::UnknownSession => f.write_str("no session for that commitment"),
            Self::Full { max } => write!(f, "session store full ({max} sessions)"),
            Self::Persist(e) => write!(f, "saving the session failed: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for SessionStoreError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::Renew(e) => Some(e),
            Self::Persist(e) => Some(e),
            _ => None,
        }
    }
}

impl<E> From<SessionError> for SessionStoreError<E> {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

/// A session and the key of its record (its commitment's digest).
struct Slot {
    key: Digest,
    session: Session,
}

/// A vendor's sessions, shared by the threads of a server.
///
/// Payments are looked up by the digest they name (the commitment's, or
/// after a renewal the last link's); each session has its own lock, so
/// payments of different customers never wait for each other, and the map
/// is locked only to find or add a session. A change (open, payment,
/// renewal) is made on a copy, saved through the [`SessionPersistence`],
/// and only then applied and acknowledged: a payment the store could not
/// save is refused, and a restarted vendor [`load`](Self::load)s exactly
/// the payments it acknowledged.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::*;
/// use payword::sessions::{InMemory, SessionStore};
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let customer = SigningKey::from_bytes(&[2; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([3; 32]), serial: 1, customer: CustomerId::from_bytes([4; 16]),
/// #     customer_key: customer.public_key(), credit_limit: 1000, valid_from: 0, expires: 100,
/// # }, &broker)?;
/// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
/// # let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
/// # let vendor = VendorId::from_bytes([7; 32]);
/// # let commitment = Commitment::sign(CommitmentFields {
/// #     certificate: cert.digest(), vendor, unit_value: 1, valid_from: 0, expires: 100,
/// #     chain: CommittedChain::Single { params, anchor: wallet.anchor() }, renewal: None,
/// # }, &customer)?;
/// let sessions = SessionStore::new(vendor, broker.public_key(), 30, InMemory);
/// sessions.open(cert, commitment, 10)?;
/// let p = Payment::new(commitment.digest(), PaymentBody::Single(wallet.advance(2).unwrap()));
/// assert_eq!(sessions.pay_exact(&p, 2, 10)?, 2);
/// assert_eq!(sessions.claims().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionStore<P: SessionPersistence = InMemory> {
    vendor: VendorId,
    broker_key: PublicKey,
    skew: u64,
    max: usize,
    sessions: RwLock<HashMap<Digest, Arc<Mutex<Slot>>>>,
    persist: Mutex<P>,
}

impl<P: SessionPersistence> fmt::Debug for SessionStore<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStore")
            .field("vendor", &self.vendor)
            .field("sessions", &self.len())
            .finish_non_exhaustive()
    }
}

/// The default maximum of sessions held at once.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

/// A result of the store with persistence `P`.
type StoreResult<T, P> =
    core::result::Result<T, SessionStoreError<<P as SessionPersistence>::Error>>;

impl<P: SessionPersistence> SessionStore<P> {
    /// An empty store for `vendor`, accepting certificates of the broker
    /// with `broker_key`, validity checked with `skew` seconds.
    #[must_use]
    pub fn new(vendor: VendorId, broker_key: PublicKey, skew: u64, persist: P) -> Self {
        Self {
            vendor,
            broker_key,
            skew,
            max: DEFAULT_MAX_SESSIONS,
            sessions: RwLock::new(HashMap::new()),
            persist: Mutex::new(persist),
        }
    }

    /// Sets the most sessions held at once (new commitments past it are
    /// refused with [`SessionStoreError::Full`]).
    #[must_use]
    pub const fn with_max_sessions(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// A store with every session `persist` holds resumed
    /// ([`Session::resume`]: expired ones too, so that they can be claimed).
    /// Records that do not resume are returned with their error and left
    /// in place.
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::Persist`] if the records cannot be read.
    pub fn load(
        vendor: VendorId,
        broker_key: PublicKey,
        skew: u64,
        mut persist: P,
    ) -> StoreResult<(Self, Vec<ResumeError>), P> {
        let records = persist.load_all().map_err(SessionStoreError::Persist)?;
        let store = Self::new(vendor, broker_key, skew, persist);
        let mut failed = Vec::new();
        {
            let mut map = store.write();
            for bytes in records {
                match Session::resume(&bytes, &broker_key) {
                    Ok(s) if *s.vendor() == vendor => {
                        let key = s.commitment().digest();
                        let current = *s.commitment_digest();
                        let slot = Arc::new(Mutex::new(Slot { key, session: s }));
                        map.insert(current, Arc::clone(&slot));
                        map.insert(key, slot);
                    }
                    Ok(_) => failed.push(ResumeError::Session(SessionError::WrongVendor)),
                    Err(e) => failed.push(e),
                }
            }
        }
        Ok((store, failed))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Digest, Arc<Mutex<Slot>>>> {
        self.sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Digest, Arc<Mutex<Slot>>>> {
        self.sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, key: &Digest, session: &Session) -> StoreResult<(), P> {
        self.persist
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .save(key, &session.to_bytes())
            .map_err(SessionStoreError::Persist)
    }

    fn slot(&self, digest: &Digest) -> StoreResult<Arc<Mutex<Slot>>, P> {
        self.read()
            .get(digest)
            .cloned()
            .ok_or(SessionStoreError::UnknownSession)
    }

    /// Sessions held (each counted once).
    #[must_use]
    pub fn len(&self) -> usize {
        let map = self.read();
        map.iter().filter(|(d, s)| lock(s).key == **d).count()
    }

    /// Whether no session is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Opens (and saves) a session on `commitment`; returns its digest.
    /// Opening a commitment already open is a no-op.
    ///
    /// # Cost
    ///
    /// Two signature verifications (none if already open).
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::Session`] (the checks of [`Session::open`]),
    /// [`SessionStoreError::Full`], [`SessionStoreError::Persist`].
    pub fn open(
        &self,
        certificate: Certificate,
        commitment: Commitment,
        now: u64,
    ) -> StoreResult<Digest, P> {
        let digest = commitment.digest();
        if self.read().contains_key(&digest) {
            return Ok(digest);
        }
        let session = Session::open(
            self.vendor,
            &self.broker_key,
            certificate,
            commitment,
            now,
            self.skew,
        )?;
        let mut map = self.write();
        if map.contains_key(&digest) {
            return Ok(digest);
        }
        if map.len() >= self.max {
            return Err(SessionStoreError::Full { max: self.max });
        }
        self.save(&digest, &session)?;
        map.insert(
            digest,
            Arc::new(Mutex::new(Slot {
                key: digest,
                session,
            })),
        );
        Ok(digest)
    }

    /// Applies `f` to a copy of the session `digest` names, saves the copy,
    /// then keeps it.
    fn change<T>(
        &self,
        digest: &Digest,
        f: impl FnOnce(&mut Session) -> core::result::Result<T, SessionStoreError<P::Error>>,
    ) -> StoreResult<T, P> {
        let slot = self.slot(digest)?;
        let mut slot = lock(&slot);
        let mut next = slot.session.clone();
        let out = f(&mut next)?;
        self.save(&slot.key, &next)?;
        slot.session = next;
        Ok(out)
    }

    /// Accepts a payment ([`Session::pay`]) in the session it names, saved
    /// before it returns.
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::UnknownSession`], [`SessionStoreError::Session`],
    /// [`SessionStoreError::Persist`]; on error nothing changes.
    pub fn pay(&self, payment: &Payment, now: u64) -> StoreResult<u64, P> {
        self.change(payment.commitment(), |s| Ok(s.pay(payment, now)?))
    }

    /// Accepts a payment of exactly `price` units
    /// ([`Session::pay_exact`]: at most `price` chain steps), saved before
    /// it returns.
    ///
    /// # Errors
    ///
    /// As [`pay`](Self::pay), and `Session(WrongPrice)`.
    pub fn pay_exact(&self, payment: &Payment, price: u32, now: u64) -> StoreResult<u64, P> {
        self.change(payment.commitment(), |s| {
            Ok(s.pay_exact(payment, price, now)?)
        })
    }

    /// What [`pay_exact`](Self::pay_exact) would accept, changing nothing.
    ///
    /// # Errors
    ///
    /// As [`pay_exact`](Self::pay_exact), without `Persist`.
    pub fn check_exact(&self, payment: &Payment, price: u32, now: u64) -> StoreResult<u64, P> {
        let slot = self.slot(payment.commitment())?;
        let slot = lock(&slot);
        Ok(slot.session.check_exact(payment, price, now)?)
    }

    /// Accepts a renewal link ([`Session::renew`]) for the session whose
    /// chain it continues; later payments name the link's digest.
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::UnknownSession`], [`SessionStoreError::Renew`],
    /// [`SessionStoreError::Persist`].
    pub fn renew(&self, link: &RenewalLink, now: u64) -> StoreResult<(), P> {
        let previous = link.fields().previous;
        let slot = self.slot(&previous)?;
        {
            let mut s = lock(&slot);
            let mut next = s.session.clone();
            next.renew(link, now).map_err(SessionStoreError::Renew)?;
            self.save(&s.key, &next)?;
            s.session = next;
        }
        self.write().insert(link.digest(), slot);
        Ok(())
    }

    /// The claim of every session with a payment, for the broker (plain
    /// claims; sessions that renewed give [`cascades`](Self::cascades)).
    #[must_use]
    pub fn claims(&self) -> Vec<RedemptionClaim> {
        self.each(|s| (s.generation() == 0).then(|| s.claim()).flatten())
    }

    /// The cascade claim of every session that renewed its chain.
    #[must_use]
    pub fn cascades(&self) -> Vec<CascadeClaim> {
        self.each(|s| (s.generation() > 0).then(|| s.cascade()).flatten())
    }

    fn each<T>(&self, f: impl Fn(&Session) -> Option<T>) -> Vec<T> {
        let map = self.read();
        map.iter()
            .filter_map(|(d, slot)| {
                let slot = lock(slot);
                (slot.key == *d).then(|| f(&slot.session)).flatten()
            })
            .collect()
    }

    /// Drops a session (once its claim is redeemed) and its record.
    ///
    /// # Errors
    ///
    /// [`SessionStoreError::UnknownSession`], [`SessionStoreError::Persist`]
    /// (then the session is kept).
    pub fn remove(&self, commitment: &Digest) -> StoreResult<(), P> {
        let mut map = self.write();
        let slot = map
            .get(commitment)
            .cloned()
            .ok_or(SessionStoreError::UnknownSession)?;
        let key = lock(&slot).key;
        self.persist
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key)
            .map_err(SessionStoreError::Persist)?;
        map.retain(|_, s| !Arc::ptr_eq(s, &slot));
        Ok(())
    }

    /// A copy of the session a digest names.
    #[must_use]
    pub fn session(&self, digest: &Digest) -> Option<Session> {
        let slot = self.read().get(digest).cloned()?;
        let s = lock(&slot).session.clone();
        Some(s)
    }
}

fn lock(slot: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
