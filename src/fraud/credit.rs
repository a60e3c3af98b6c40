//! Credit overspending across variants: the entries of a proof, their values and the caps the customer signed.

use super::*;

/// One debt under a certificate, in any variant: the customer-signed objects
/// and the highest paywords redeemed.
#[allow(clippy::large_enum_variant)] // flat on purpose, like the messages
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spend {
    /// A plain commitment.
    Plain {
        /// The commitment.
        commitment: Commitment,
        /// The highest paywords.
        paid: PaymentBody,
    },
    /// A leaf of a Merkle commitment.
    Leaf {
        /// The signed root, the leaf and its path.
        opening: LeafOpening,
        /// The highest paywords.
        paid: PaymentBody,
    },
    /// A range grant over a shared chain.
    Grant {
        /// The shared commitment.
        commitment: SharedCommitment,
        /// The grant.
        grant: RangeGrant,
        /// The highest payword.
        paid: Payword,
    },
    /// A device commitment of a domain.
    Device {
        /// The customer-signed domain.
        domain: DomainCommitment,
        /// The device-signed commitment.
        commitment: DeviceCommitment,
        /// The highest paywords.
        paid: PaymentBody,
    },
}

/// What one spend is worth, and where its caps apply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Valued {
    pub(crate) key: crate::Digest,
    pub(crate) value: u64,
    /// `(root digest, total cap)` for a leaf.
    pub(crate) root: Option<(crate::Digest, u64)>,
    /// `(domain digest, device index, device limit, domain limit)`.
    pub(crate) device: Option<(crate::Digest, u8, u64, u64)>,
}

/// The total of `items` with every signed cap applied: the leaves of a root
/// at most its total cap, a device at most its limit, a domain at most its
/// limit.
pub(crate) fn capped_total<'a>(items: impl IntoIterator<Item = &'a Valued>) -> u64 {
    use alloc::collections::BTreeMap;
    let mut free: u64 = 0;
    let mut roots: BTreeMap<crate::Digest, (u64, u64)> = BTreeMap::new();
    let mut devices: BTreeMap<(crate::Digest, u8), (u64, u64)> = BTreeMap::new();
    let mut domains: BTreeMap<crate::Digest, (u64, u64)> = BTreeMap::new();
    for v in items {
        match (v.root, v.device) {
            (Some((root, total)), _) => {
                let e = roots.entry(root).or_insert((0, total));
                e.0 = e.0.saturating_add(v.value);
            }
            (None, Some((domain, device, device_limit, domain_limit))) => {
                let e = devices.entry((domain, device)).or_insert((0, device_limit));
                e.0 = e.0.saturating_add(v.value);
                domains.entry(domain).or_insert((0, domain_limit));
            }
            (None, None) => free = free.saturating_add(v.value),
        }
    }
    for ((domain, _), (sum, limit)) in &devices {
        if let Some(d) = domains.get_mut(domain) {
            d.0 = d.0.saturating_add((*sum).min(*limit));
        }
    }
    roots
        .values()
        .chain(domains.values())
        .fold(free, |t, (sum, cap)| t.saturating_add((*sum).min(*cap)))
}

impl Spend {
    /// Checks the signatures behind this spend against `certificate` and its
    /// paywords within `budget` chain steps; returns what it is worth (a
    /// leaf at most its cap).
    fn value(
        &self,
        broker_key: &PublicKey,
        certificate: &Certificate,
        budget: u32,
    ) -> Result<(Valued, u64), FraudError> {
        let bad = |e: SessionError| match e {
            SessionError::Payment(crate::VerifyError::OverBudget { .. }) => FraudError::OverBudget,
            e => FraudError::Invalid(e),
        };
        let multi_bad = |_| FraudError::Invalid(SessionError::BadCommitment);
        match self {
            Self::Plain { commitment, paid } => {
                crate::check::check_signed(broker_key, certificate, commitment)?;
                let f = commitment.fields();
                let units = ChainState::new(&f.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                Ok((
                    Valued {
                        key: commitment.digest(),
                        value: units.saturating_mul(f.unit_value),
                        root: None,
                        device: None,
                    },
                    steps_of(paid),
                ))
            }
            Self::Leaf { opening, paid } => {
                opening.commitment.check_under(broker_key, certificate)?;
                let key = opening.check_path().map_err(multi_bad)?;
                let l = &opening.leaf;
                let units = ChainState::new(&l.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                let rf = opening.commitment.fields();
                Ok((
                    Valued {
                        key,
                        value: units.saturating_mul(l.unit_value).min(l.cap),
                        root: Some((opening.commitment.digest(), rf.total_cap)),
                        device: None,
                    },
                    steps_of(paid),
                ))
            }
            Self::Grant {
                commitment,
                grant,
                paid,
            } => {
                commitment.check_under(broker_key, certificate)?;
                let id = commitment.digest();
                grant
                    .check_against(certificate, commitment, &id)
                    .map_err(multi_bad)?;
                if !grant.covers(paid.index()) {
                    return Err(FraudError::Invalid(SessionError::WrongCommitment));
                }
                let sf = commitment.fields();
                let g = grant.fields();
                let chain = crate::CommittedChain::Single {
                    params: sf.params,
                    anchor: sf.anchor,
                };
                let start = PaymentBody::Single(Payword::new(g.from, g.start));
                let units = ChainState::new(&chain, Some(&start), budget)?
                    .accept(&PaymentBody::Single(*paid))
                    .map_err(bad)?;
                Ok((
                    Valued {
                        key: grant.digest(),
                        value: units.saturating_mul(sf.unit_value),
                        root: None,
                        device: None,
                    },
                    u64::from(paid.index() - g.from),
                ))
            }
            Self::Device {
                domain,
                commitment,
                paid,
            } => {
                domain.check_under(broker_key, certificate)?;
                let id = domain.digest();
                commitment.check_in(domain, &id).map_err(multi_bad)?;
                let f = commitment.fields();
                let units = ChainState::new(&f.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                let df = domain.fields();
                Ok((
                    Valued {
                        key: commitment.digest(),
                        value: units.saturating_mul(f.unit_value),
                        root: None,
                        device: Some((id, f.device, df.device_limit, df.domain_limit)),
                    },
                    steps_of(paid),
                ))
            }
        }
    }

    pub(super) fn write(&self, w: &mut Writer<'_>) {
        match self {
            Self::Plain { commitment, paid } => {
                w.put_u8(1);
                commitment.write(w);
                write_body(paid, w);
            }
            Self::Leaf { opening, paid } => {
                w.put_u8(2);
                opening.write(w);
                write_body(paid, w);
            }
            Self::Grant {
                commitment,
                grant,
                paid,
            } => {
                w.put_u8(3);
                commitment.write(w);
                grant.write(w);
                crate::message::write_payword(paid, w);
            }
            Self::Device {
                domain,
                commitment,
                paid,
            } => {
                w.put_u8(4);
                domain.write(w);
                commitment.write(w);
                write_body(paid, w);
            }
        }
    }

    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("spend kind")? {
            1 => Self::Plain {
                commitment: Commitment::read(r)?,
                paid: read_body(r)?,
            },
            2 => Self::Leaf {
                opening: LeafOpening::read(r)?,
                paid: read_body(r)?,
            },
            3 => Self::Grant {
                commitment: SharedCommitment::read(r)?,
                grant: RangeGrant::read(r)?,
                paid: crate::message::read_payword(r)?,
            },
            4 => Self::Device {
                domain: DomainCommitment::read(r)?,
                commitment: DeviceCommitment::read(r)?,
                paid: read_body(r)?,
            },
            _ => {
                return Err(DecodeError::NonCanonical {
                    field: "spend kind",
                });
            }
        })
    }

    /// Largest encoding of one spend.
    pub(super) const MAX_LEN: usize = 1 + {
        let body = 2 + 36 * crate::MAX_DENOMINATIONS;
        let plain = Commitment::MAX_LEN + body;
        let leaf = LeafOpening::MAX_LEN + body;
        let grant = SharedCommitment::MAX_LEN + RangeGrant::MAX_LEN + 36;
        let device = DomainCommitment::MAX_LEN + DeviceCommitment::MAX_LEN + body;
        let m = if plain > leaf { plain } else { leaf };
        let m = if m > grant { m } else { grant };
        if m > device { m } else { device }
    };
}

fn steps_of(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(p) => p.parts().map(|(_, q)| u64::from(q.index())).sum(),
    }
}

/// Debts under one certificate, in any mix of variants, worth more than its
/// credit limit.
///
/// A leaf counts at most its cap, the leaves of one root at most the root's
/// total cap, a device at most its device limit and a domain at most its
/// domain limit, so the total only counts what the customer's own signed
/// limits allow: spending within every limit never verifies as fraud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditOverspendProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The debts, each at most once.
    pub spent: Vec<Spend>,
}

impl CreditOverspendProof {
    /// Checks the proof; returns the total the debts are worth (above the
    /// credit limit).
    ///
    /// # Cost
    ///
    /// At most [`MAX_PROOF_ENTRIES`] entries (checked first), each 1 to 3
    /// signature verifications (plus the certificate's), at most 17 Merkle
    /// hashes, and at most `max_steps` chain steps in total.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<u64, FraudError> {
        if self.spent.len() > usize::from(MAX_PROOF_ENTRIES) {
            return Err(FraudError::TooLarge);
        }
        // One rule set with the broker: it refuses a second grant that
        // overlaps one it redeemed for the same vendor under the same shared
        // commitment, so such a pair is one debt, never two.
        let grants: Vec<(crate::Digest, &RangeGrant)> = self
            .spent
            .iter()
            .filter_map(|s| match s {
                Spend::Grant {
                    commitment, grant, ..
                } => Some((commitment.digest(), grant)),
                _ => None,
            })
            .collect();
        for (i, (shared, g)) in grants.iter().enumerate() {
            if grants.iter().skip(i + 1).any(|(other_shared, h)| {
                other_shared == shared && h.fields().vendor == g.fields().vendor && h.overlaps(g)
            }) {
                return Err(FraudError::Duplicate);
            }
        }
        let mut budget = max_steps;
        let mut valued: Vec<Valued> = Vec::with_capacity(self.spent.len());
        for s in &self.spent {
            let (v, steps) = s.value(broker_key, &self.certificate, budget)?;
            budget = budget.saturating_sub(u32::try_from(steps).unwrap_or(u32::MAX));
            if valued.iter().any(|w| w.key == v.key) {
                return Err(FraudError::Duplicate);
            }
            valued.push(v);
        }
        let total = capped_total(&valued);
        if total > self.certificate.fields().credit_limit {
            Ok(total)
        } else {
            Err(FraudError::NotFraud)
        }
    }
}
