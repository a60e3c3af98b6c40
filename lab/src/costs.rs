//! Costs per scheme and peer per workload: the model's prediction, the
//! counted run of the real protocol, and whether they agree.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use payword::cost::model::{Costs, PartyCost, Scheme, Workload, model};

use crate::peers::{self, LmsProfile, Peer};
use crate::workloads::Point;

/// A scheme of payword or a peer baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A payword scheme.
    Scheme(Scheme),
    /// A peer baseline.
    Peer(Peer),
}

impl Subject {
    /// Every scheme, then every peer.
    #[must_use]
    pub fn all() -> Vec<Self> {
        Scheme::ALL
            .into_iter()
            .map(Self::Scheme)
            .chain(Peer::ALL.into_iter().map(Self::Peer))
            .collect()
    }

    /// The subject's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Scheme(s) => s.name(),
            Self::Peer(p) => p.name(),
        }
    }

    /// The subject called `name`: a scheme ([`Scheme::from_name`]) or a
    /// peer ([`Peer::from_name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Scheme::from_name(name)
            .map(Self::Scheme)
            .or_else(|| Peer::from_name(name).map(Self::Peer))
    }

    /// Its position in [`Subject::all`] (for colours).
    #[must_use]
    pub fn index(self) -> usize {
        Self::all().iter().position(|s| *s == self).unwrap_or(0)
    }

    /// `"scheme"` or `"peer"`.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Scheme(_) => "scheme",
            Self::Peer(_) => "peer",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the counted run equals the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every counter of every party is equal.
    Yes,
    /// Some counter differs: the first difference.
    No(String),
    /// The run failed: why.
    RunFailed(String),
    /// The model refuses the workload and the protocol refuses it too
    /// (chains too short, a broker limit): they agree; why.
    BothRefuse(String),
    /// The model has no figure for the workload (the run was still made).
    NoModel,
    /// A peer: no model to compare with.
    NotApplicable,
}

impl Verdict {
    /// `yes`, `no`, `run failed`, `no model`, `n/a`.
    #[must_use]
    pub const fn short(&self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No(_) => "no",
            Self::RunFailed(_) => "run failed",
            Self::BothRefuse(_) => "both refuse",
            Self::NoModel => "no model",
            Self::NotApplicable => "n/a",
        }
    }

    /// The detail (first difference, or why the run failed), if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::No(d) | Self::RunFailed(d) | Self::BothRefuse(d) => Some(d),
            _ => None,
        }
    }
}

/// One subject on one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct CostRow {
    /// The workload.
    pub point: Point,
    /// The scheme or peer.
    pub subject: Subject,
    /// A scheme's model, or a peer's counted costs; the error says why not.
    pub costs: Result<Costs, String>,
    /// A scheme's counted run (`None` for a peer).
    pub run: Option<Result<Costs, String>>,
}

/// The names of [`PartyCost`]'s counters, in order.
pub const COUNTERS: [&str; 8] = [
    "hashes",
    "signatures_made",
    "signatures_verified",
    "macs",
    "messages_sent",
    "bytes_sent",
    "round_trips",
    "words_stored",
];

/// [`PartyCost`]'s counters, in the order of [`COUNTERS`].
#[must_use]
pub const fn counters(c: &PartyCost) -> [u64; 8] {
    [
        c.hashes,
        c.signatures_made,
        c.signatures_verified,
        c.macs,
        c.messages_sent,
        c.bytes_sent,
        c.round_trips,
        c.words_stored,
    ]
}

/// The three parties of [`Costs`], named.
#[must_use]
pub const fn parties(c: &Costs) -> [(&'static str, &PartyCost); 3] {
    [
        ("customer", &c.customer),
        ("vendor", &c.vendor),
        ("broker", &c.broker),
    ]
}

/// The first counter in which `run` differs from `model`, as text.
#[must_use]
pub fn first_difference(model: &Costs, run: &Costs) -> Option<String> {
    for ((party, m), (_, r)) in parties(model).into_iter().zip(parties(run)) {
        for ((name, a), b) in COUNTERS.iter().zip(counters(m)).zip(counters(r)) {
            if a != b {
                return Some(format!("{party} {name}: model {a}, run {b}"));
            }
        }
    }
    None
}

impl CostRow {
    /// Whether the run equals the model.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        match (&self.costs, &self.run) {
            (_, None) => Verdict::NotApplicable,
            (Err(m), Some(Err(e))) => Verdict::BothRefuse(format!("model: {m}; run: {e}")),
            (Ok(_), Some(Err(e))) => Verdict::RunFailed(e.clone()),
            (Err(_), Some(Ok(_))) => Verdict::NoModel,
            (Ok(m), Some(Ok(r))) => first_difference(m, r).map_or(Verdict::Yes, Verdict::No),
        }
    }

    /// Total payments of the workload (`k · P`).
    #[must_use]
    pub fn payments(&self) -> f64 {
        f64::from(self.point.workload.vendors) * f64::from(self.point.workload.payments)
    }

    /// `f` of a party's costs per payment, if there are costs.
    #[must_use]
    pub fn per_payment(&self, f: impl Fn(&Costs) -> u64) -> Option<f64> {
        let c = self.costs.as_ref().ok()?;
        let p = self.payments();
        (p > 0.0).then(|| f(c) as f64 / p)
    }
}

/// Runs the real protocol, turning a panic into an error.
fn counted_run(scheme: Scheme, w: &Workload) -> Result<Costs, String> {
    match catch_unwind(AssertUnwindSafe(|| crate::run::run(scheme, w))) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        )),
    }
}

/// The model and the counted run of `scheme` on `point`.
#[must_use]
pub fn scheme_row(point: Point, scheme: Scheme) -> CostRow {
    CostRow {
        point,
        subject: Subject::Scheme(scheme),
        costs: model(scheme, &point.workload).map_err(|e| e.to_string()),
        run: Some(counted_run(scheme, &point.workload)),
    }
}

/// The counted costs of `peer` on `point`.
#[must_use]
pub fn peer_row(point: Point, peer: Peer, lms: Option<&LmsProfile>) -> CostRow {
    CostRow {
        point,
        subject: Subject::Peer(peer),
        costs: peers::costs(peer, &point.workload, lms).map_err(|e| e.to_string()),
        run: None,
    }
}

/// The row of `subject` on `point`.
#[must_use]
pub fn row(point: Point, subject: Subject, lms: Option<&LmsProfile>) -> CostRow {
    match subject {
        Subject::Scheme(s) => scheme_row(point, s),
        Subject::Peer(p) => peer_row(point, p, lms),
    }
}
