//! The standard workloads: a base workload and sweeps of `k` (vendors), `n`
//! (chain length), the payment size and `m` (devices), plus the chain
//! lengths of the traversal measurements.

use std::fmt;

use payword::cost::model::{MAX_VENDORS, Workload};

use crate::error::LabError;

/// Which parameter a workload varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sweep {
    /// The base workload.
    Base,
    /// The number of vendors `k`.
    Vendors,
    /// The chain length `n`.
    ChainLen,
    /// Units per payment.
    Units,
    /// Devices `m` of a domain account.
    Devices,
    /// A workload given on the command line.
    Custom,
}

impl Sweep {
    /// Every sweep of the standard set, in report order.
    pub const STANDARD: [Self; 5] = [
        Self::Base,
        Self::Vendors,
        Self::ChainLen,
        Self::Units,
        Self::Devices,
    ];

    /// A short name (CSV column, file names).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Vendors => "k",
            Self::ChainLen => "n",
            Self::Units => "units",
            Self::Devices => "m",
            Self::Custom => "custom",
        }
    }

    /// What the sweep varies, for axis labels and headings.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Base => "base workload",
            Self::Vendors => "vendors k",
            Self::ChainLen => "chain length n",
            Self::Units => "units per payment",
            Self::Devices => "devices m (domain)",
            Self::Custom => "custom workload",
        }
    }

    /// The value of the varied parameter in `w`.
    #[must_use]
    pub const fn x(self, w: &Workload) -> u32 {
        match self {
            Self::Base | Self::Custom | Self::Vendors => w.vendors,
            Self::ChainLen => w.chain_len,
            Self::Units => w.units,
            Self::Devices => w.devices,
        }
    }
}

impl fmt::Display for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workload and the sweep it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    /// The sweep.
    pub sweep: Sweep,
    /// The workload.
    pub workload: Workload,
}

impl Point {
    /// `k=3 n=32768 P=10000 U=1 m=1`.
    #[must_use]
    pub fn describe(&self) -> String {
        describe(&self.workload)
    }
}

/// `k=3 n=32768 P=10000 U=1 m=1`.
#[must_use]
pub fn describe(w: &Workload) -> String {
    format!(
        "k={} n={} P={} U={} m={}",
        w.vendors, w.chain_len, w.payments, w.units, w.devices
    )
}

const fn wl(vendors: u32, chain_len: u32, payments: u32, units: u32, devices: u32) -> Workload {
    Workload {
        vendors,
        chain_len,
        payments,
        units,
        devices,
    }
}

/// The base workload: 3 vendors × 10,000 one-unit payments from chains of
/// 2^15 (the shared chain of [`Grants`](payword::cost::model::Scheme::Grants)
/// holds all 30,000 units). Quick: 2 vendors × 100 payments, `n` = 2^8.
#[must_use]
pub const fn base(quick: bool) -> Workload {
    if quick {
        wl(2, 1 << 8, 100, 1, 1)
    } else {
        wl(3, 1 << 15, 10_000, 1, 1)
    }
}

/// The standard workload set: the base workload, then sweeps of
///
/// - `k` ∈ {1, 3, 10, 30, 100} (1,000 payments each, `n` = 2^17 so the
///   shared chain holds 100,000 units);
/// - `n` ∈ {2^12, 2^14, 2^16, 2^18, 2^20} (3 vendors × 1,000 payments);
/// - units per payment ∈ {1, 10, 100} (3 vendors × 1,000 payments, `n` =
///   2^19);
/// - `m` ∈ {1, 4, 16} devices (3 vendors × 1,000 payments, `n` = 2^14).
///
/// Quick mode: the same sweeps, much smaller (at most 10 vendors, 20
/// payments, `n` ≤ 2^12).
#[must_use]
pub fn standard(quick: bool) -> Vec<Point> {
    let mut out = vec![Point {
        sweep: Sweep::Base,
        workload: base(quick),
    }];
    let push = |out: &mut Vec<Point>, sweep, w| out.push(Point { sweep, workload: w });
    if quick {
        for k in [1, 3, 10] {
            push(&mut out, Sweep::Vendors, wl(k, 1 << 10, 20, 1, 1));
        }
        for e in [6, 8, 10] {
            push(&mut out, Sweep::ChainLen, wl(3, 1 << e, 20, 1, 1));
        }
        for u in [1, 10, 100] {
            push(&mut out, Sweep::Units, wl(3, 1 << 12, 10, u, 1));
        }
        for m in [1, 4] {
            push(&mut out, Sweep::Devices, wl(3, 1 << 8, 20, 1, m));
        }
    } else {
        for k in [1, 3, 10, 30, 100] {
            push(&mut out, Sweep::Vendors, wl(k, 1 << 17, 1_000, 1, 1));
        }
        for e in [12, 14, 16, 18, 20] {
            push(&mut out, Sweep::ChainLen, wl(3, 1 << e, 1_000, 1, 1));
        }
        for u in [1, 10, 100] {
            push(&mut out, Sweep::Units, wl(3, 1 << 19, 1_000, u, 1));
        }
        for m in [1, 4, 16] {
            push(&mut out, Sweep::Devices, wl(3, 1 << 14, 1_000, 1, m));
        }
    }
    out
}

/// The chain lengths of the traversal measurements: 2^8, 2^10, …, 2^20
/// (quick: 2^6, 2^8, 2^10).
#[must_use]
pub fn traversal_lengths(quick: bool) -> Vec<u32> {
    let exps: &[u32] = if quick {
        &[6, 8, 10]
    } else {
        &[8, 10, 12, 14, 16, 18, 20]
    };
    exps.iter().map(|e| 1u32 << e).collect()
}

/// Refuses a workload no scheme can run: a zero anywhere, or more vendors
/// than [`MAX_VENDORS`].
///
/// # Errors
///
/// [`LabError::Usage`] naming the field.
pub fn check(w: &Workload) -> Result<(), LabError> {
    let fields = [
        ("--vendors", w.vendors),
        ("--chain-len", w.chain_len),
        ("--payments", w.payments),
        ("--units", w.units),
        ("--devices", w.devices),
    ];
    for (name, v) in fields {
        if v == 0 {
            return Err(LabError::Usage(format!("{name} must be at least 1")));
        }
    }
    if w.vendors > MAX_VENDORS {
        return Err(LabError::Usage(format!(
            "--vendors must be at most {MAX_VENDORS}"
        )));
    }
    if w.units_per_vendor().is_none() {
        return Err(LabError::Usage(
            "--payments × --units overflows 32 bits".into(),
        ));
    }
    Ok(())
}

/// The lab's own limits on a workload given on the command line, which
/// bound its run time and memory: `k·P ≤ 2^24` payments, `P·U ≤ 2^22`
/// units per vendor, `n ≤ 2^24` and `k·n ≤ 2^28` chain words.
///
/// # Errors
///
/// [`LabError::Usage`] naming the limit.
pub fn check_size(w: &Workload) -> Result<(), LabError> {
    let k = u64::from(w.vendors);
    let n = u64::from(w.chain_len);
    let limits = [
        (
            k * u64::from(w.payments),
            1u64 << 24,
            "--vendors × --payments",
        ),
        (
            u64::from(w.payments) * u64::from(w.units),
            1 << 22,
            "--payments × --units",
        ),
        (n, 1 << 24, "--chain-len"),
        (k * n, 1 << 28, "--vendors × --chain-len"),
    ];
    for (v, max, what) in limits {
        if v > max {
            return Err(LabError::Usage(format!(
                "{what} = {v} is above the lab's limit of {max}"
            )));
        }
    }
    Ok(())
}
