//! The broker side: a leaf claim authenticates itself into the one
//! redemption pipeline; the root's leaves are a group capped by its total.

use super::*;
use crate::broker::{GroupPlan, Member, Plan, PlannedDebt};

/// Evidence kind of a leaf's debt (the opening follows).
pub(crate) const EVIDENCE_LEAF: u8 = 2;

/// A leaf as a member of its root's group: `index ‖ leaf ‖ path length ‖
/// path`.
pub(crate) fn member_bytes(index: u32, leaf: &Leaf, path: &AuthPath) -> Vec<u8> {
    crate::broker::record::to_vec(|w| {
        w.put_u32(index);
        leaf.write(w);
        w.put_u8(u8::try_from(path.len()).unwrap_or(u8::MAX));
        for n in path.as_slice() {
            w.put(n);
        }
    })
}

/// Reads what [`member_bytes`] wrote.
pub(crate) fn read_member(bytes: &[u8]) -> Option<(u32, Leaf, AuthPath)> {
    let mut r = Reader::new(bytes);
    let index = r.u32("leaf index").ok()?;
    let leaf = Leaf::read(&mut r).ok()?;
    let len = r.u8("path length").ok()?;
    let mut nodes = [[0u8; 32]; MAX_DEPTH];
    let used = nodes.get_mut(..usize::from(len))?;
    for n in used.iter_mut() {
        *n = r.array("path node").ok()?;
    }
    let path = AuthPath::from_slice(used)?;
    r.finish().ok()?;
    Some((index, leaf, path))
}

impl LeafClaim {
    /// Authenticates the claim for `vendor` at `now` into a plan: this
    /// broker's certificate, the customer's signature over the root, the
    /// leaf's path, vendor, validity with the broker's `grace`, and that the
    /// payment names the leaf. No chain hashing, no I/O.
    pub(crate) fn plan(
        &self,
        broker: (&crate::BrokerId, &PublicKey),
        vendor: &VendorId,
        time: (u64, u64),
    ) -> Result<Plan, MultiError> {
        let (now, grace) = time;
        let LeafClaim {
            certificate,
            opening,
            payment,
        } = self;
        if certificate.fields().broker != *broker.0 {
            return Err(MultiError::WrongBroker);
        }
        // The field checks and the path (1 + d hashes) first, then the two
        // signatures.
        let root = &opening.commitment;
        let rf = root.fields();
        let leaf = &opening.leaf;
        if leaf.vendor != *vendor {
            return Err(MultiError::WrongVendor);
        }
        crate::check::check_redeemable(now, rf.valid_from, rf.expires, grace)?;
        if leaf.cap > rf.total_cap {
            return Err(MultiError::CapOverTotal);
        }
        let id = opening.check_path()?;
        if *payment.commitment() != id {
            return Err(MultiError::WrongCommitment);
        }
        leaf.chain
            .capacity()
            .checked_mul(leaf.unit_value)
            .ok_or(MultiError::Overflow)?;
        root.check_under(broker.1, certificate)?;
        let mut evidence = alloc::vec![EVIDENCE_LEAF];
        evidence.extend_from_slice(&opening.to_bytes());
        Ok(Plan {
            certificate: *certificate,
            debts: alloc::vec![PlannedDebt {
                preverified: false,
                key: id,
                chain: leaf.chain,
                start: None,
                base: 0,
                claimed: Some(*payment.body()),
                unit_value: leaf.unit_value,
                cap: leaf.cap,
                evidence,
            }],
            group: Some(GroupPlan::Root {
                id: root.digest(),
                total: rf.total_cap,
                member: Member {
                    id,
                    slot: opening.index,
                    vendor: *vendor,
                    from: 0,
                    to: 0,
                    bytes: member_bytes(opening.index, leaf, &opening.path),
                },
                header: root.to_bytes(),
            }),
            links: Vec::new(),
        })
    }
}
