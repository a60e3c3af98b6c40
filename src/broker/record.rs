//! The records a broker keeps in its [`Store`](crate::store::Store), and
//! their byte encodings.
//!
//! - [`Account`] (per certificate): the certificate, the value credited
//!   under it by every variant, the keys of its debts and its reservations;
//! - [`DebtRecord`] (per commitment, leaf, grant, device commitment or
//!   renewed chain): the highest paywords, units, value credited and the
//!   signed objects that prove the debt (for fraud proofs);
//! - [`GroupRecord`] (per Merkle root, shared chain or domain): the signed
//!   group object, what its members were credited in total and per slot,
//!   and its members;
//! - a redeemed renewal link is stored as the link's own canonical bytes.
//!
//! Encodings are fixed-width big-endian with `u32` length prefixes; every
//! list has a maximum checked on write (a refusal) and on read (corruption).

use alloc::vec::Vec;

use crate::message::{Certificate, PaymentBody, VendorId, read_body, write_body};
use crate::sign::Digest;
use crate::wire::{DecodeError, Encode, Reader, Writer};

/// The most debts one certificate's account lists.
pub const MAX_DEBTS: usize = 4096;
/// The most reservations one certificate's account holds at once.
pub const MAX_HOLDS: usize = 64;
/// The most members (leaves, grants, device commitments) one group lists.
pub const MAX_MEMBERS: usize = 1024;
/// Per-slot counters of a group (devices of a domain).
pub(crate) const SLOTS: usize = 16;

/// Writes with `write` into a vector of exactly the written length.
pub(crate) fn to_vec(write: impl Fn(&mut Writer<'_>)) -> Vec<u8> {
    let mut sizer = Writer::new(&mut []);
    write(&mut sizer);
    let mut out = alloc::vec![0u8; sizer.position()];
    write(&mut Writer::new(&mut out));
    out
}

fn put_bytes(w: &mut Writer<'_>, bytes: &[u8]) {
    w.put_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    w.put(bytes);
}

fn read_bytes(r: &mut Reader<'_>, field: &'static str) -> Result<Vec<u8>, DecodeError> {
    let len = r.u32(field)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::NonCanonical { field })?;
    Ok(r.take(field, len)?.to_vec())
}

fn read_count(r: &mut Reader<'_>, field: &'static str, max: usize) -> Result<usize, DecodeError> {
    let n = r.u32(field)?;
    let n = usize::try_from(n).map_err(|_| DecodeError::NonCanonical { field })?;
    if n > max {
        return Err(DecodeError::LengthOverLimit {
            field,
            length: n as u64,
            max: max as u64,
        });
    }
    Ok(n)
}

fn put_count(w: &mut Writer<'_>, n: usize) {
    w.put_u32(u32::try_from(n).unwrap_or(u32::MAX));
}

/// Credit reserved for one key by a broker-signed reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hold {
    /// What the credit is reserved for (a commitment digest, leaf id, …).
    pub(crate) key: Digest,
    /// The vendor it is reserved for.
    pub(crate) vendor: VendorId,
    /// The amount reserved.
    pub(crate) amount: u64,
    /// What is left of it.
    pub(crate) left: u64,
    /// Last second it locks credit.
    pub(crate) expires: u64,
}

impl Hold {
    /// What it still locks at `now` (nothing once expired).
    pub(crate) const fn live(&self, now: u64) -> u64 {
        if now <= self.expires { self.left } else { 0 }
    }
}

/// A certificate's credit account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Account {
    /// The certificate (kept for proofs), once anything was recorded.
    pub(crate) certificate: Option<Certificate>,
    /// Value credited under the certificate, every variant together.
    pub(crate) credited: u64,
    /// Keys of its debts, in the order first recorded.
    pub(crate) debts: Vec<Digest>,
    /// Its reservations.
    pub(crate) holds: Vec<Hold>,
}

impl Account {
    /// Reserved value locked at `now` by holds other than `key`'s.
    pub(crate) fn locked_by_others(&self, key: &Digest, now: u64) -> u64 {
        self.holds
            .iter()
            .filter(|h| h.key != *key)
            .fold(0u64, |t, h| t.saturating_add(h.live(now)))
    }

    /// Credit a claim on `key` may use at `now` under `limit`: what was not
    /// credited and is not locked by another key's live reservation (`key`'s
    /// own reservation is part of it).
    pub(crate) fn available(&self, limit: u64, key: &Digest, now: u64) -> u64 {
        limit
            .saturating_sub(self.credited)
            .saturating_sub(self.locked_by_others(key, now))
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        to_vec(|w| {
            match &self.certificate {
                None => w.put_u8(0),
                Some(c) => {
                    w.put_u8(1);
                    c.write(w);
                }
            }
            w.put_u64(self.credited);
            put_count(w, self.debts.len());
            for d in &self.debts {
                w.put(d.as_bytes());
            }
            put_count(w, self.holds.len());
            for h in &self.holds {
                w.put(h.key.as_bytes());
                w.put(h.vendor.as_bytes());
                w.put_u64(h.amount);
                w.put_u64(h.left);
                w.put_u64(h.expires);
            }
        })
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let certificate = if r.bool("account certificate")? {
            Some(Certificate::read(&mut r)?)
        } else {
            None
        };
        let credited = r.u64("account credited")?;
        let n = read_count(&mut r, "account debts", MAX_DEBTS)?;
        let mut debts = Vec::new();
        for _ in 0..n {
            debts.push(Digest::from_bytes(r.array("account debt")?));
        }
        let n = read_count(&mut r, "account holds", MAX_HOLDS)?;
        let mut holds = Vec::new();
        for _ in 0..n {
            holds.push(Hold {
                key: Digest::from_bytes(r.array("hold key")?),
                vendor: VendorId::from_bytes(r.array("hold vendor")?),
                amount: r.u64("hold amount")?,
                left: r.u64("hold left")?,
                expires: r.u64("hold expires")?,
            });
        }
        r.finish()?;
        Ok(Self {
            certificate,
            credited,
            debts,
            holds,
        })
    }
}

/// One debt: a chain's highest paywords and what was credited for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DebtRecord {
    /// The certificate's digest.
    pub(crate) certificate: Digest,
    /// The highest paywords recorded (`None`: none yet).
    pub(crate) paid: Option<PaymentBody>,
    /// Units they pay.
    pub(crate) units: u64,
    /// Value credited for them.
    pub(crate) credited: u64,
    /// The signed objects behind the debt, encoded by its variant.
    pub(crate) evidence: Vec<u8>,
}

impl DebtRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        to_vec(|w| {
            w.put(self.certificate.as_bytes());
            match &self.paid {
                None => w.put_u8(0),
                Some(b) => {
                    w.put_u8(1);
                    write_body(b, w);
                }
            }
            w.put_u64(self.units);
            w.put_u64(self.credited);
            put_bytes(w, &self.evidence);
        })
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let certificate = Digest::from_bytes(r.array("debt certificate")?);
        let paid = if r.bool("debt paid")? {
            Some(read_body(&mut r)?)
        } else {
            None
        };
        let out = Self {
            certificate,
            paid,
            units: r.u64("debt units")?,
            credited: r.u64("debt credited")?,
            evidence: read_bytes(&mut r, "debt evidence")?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// A member of a group: a leaf of a root, a grant of a shared chain, a
/// device commitment of a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    /// Its identity (leaf id, grant digest, device commitment digest).
    pub(crate) id: Digest,
    /// Leaf index or device index.
    pub(crate) slot: u32,
    /// The vendor it pays.
    pub(crate) vendor: VendorId,
    /// A granted range `(from, to]` (grants), else `(0, 0]`.
    pub(crate) from: u32,
    /// See `from`.
    pub(crate) to: u32,
    /// Its signed object (leaf and path, grant, device commitment).
    pub(crate) bytes: Vec<u8>,
}

impl Member {
    /// Whether two granted ranges share an index.
    pub(crate) const fn overlaps(&self, other: &Self) -> bool {
        self.from < other.to && other.from < self.to
    }
}

/// The shared state of a group of debts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupRecord {
    /// The signed group object (root, shared commitment, domain).
    pub(crate) header: Vec<u8>,
    /// Value credited to all members together.
    pub(crate) credited: u64,
    /// Value credited per slot (devices).
    pub(crate) slots: [u64; SLOTS],
    /// Members, in the order first redeemed.
    pub(crate) members: Vec<Member>,
}

impl GroupRecord {
    pub(crate) fn new(header: Vec<u8>) -> Self {
        Self {
            header,
            credited: 0,
            slots: [0; SLOTS],
            members: Vec::new(),
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        to_vec(|w| {
            put_bytes(w, &self.header);
            w.put_u64(self.credited);
            for s in &self.slots {
                w.put_u64(*s);
            }
            put_count(w, self.members.len());
            for m in &self.members {
                w.put(m.id.as_bytes());
                w.put_u32(m.slot);
                w.put(m.vendor.as_bytes());
                w.put_u32(m.from);
                w.put_u32(m.to);
                put_bytes(w, &m.bytes);
            }
        })
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let header = read_bytes(&mut r, "group header")?;
        let credited = r.u64("group credited")?;
        let mut slots = [0u64; SLOTS];
        for s in &mut slots {
            *s = r.u64("group slot")?;
        }
        let n = read_count(&mut r, "group members", MAX_MEMBERS)?;
        let mut members = Vec::new();
        for _ in 0..n {
            members.push(Member {
                id: Digest::from_bytes(r.array("member id")?),
                slot: r.u32("member slot")?,
                vendor: VendorId::from_bytes(r.array("member vendor")?),
                from: r.u32("member from")?,
                to: r.u32("member to")?,
                bytes: read_bytes(&mut r, "member bytes")?,
            });
        }
        r.finish()?;
        Ok(Self {
            header,
            credited,
            slots,
            members,
        })
    }
}
