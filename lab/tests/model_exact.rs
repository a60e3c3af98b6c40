//! The public cost model is exact: for a grid of workloads, every scheme
//! run for real (keys, signatures, payments, redemption) with every hash,
//! signature and MAC counted at its source costs exactly what
//! `payword::cost::model::model` says, party by party and column by column.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payword::cost::model::{ModelError, Scheme, Workload, model};
use payword_lab::run::run;

/// Compares model and run for every scheme; returns the schemes that ran.
fn check(w: &Workload) -> Vec<Scheme> {
    let mut ran = Vec::new();
    for s in Scheme::ALL {
        match (model(s, w), run(s, w)) {
            (Ok(m), Ok(r)) => {
                assert_eq!(m.customer, r.customer, "{s} {w:?}: customer");
                assert_eq!(m.vendor, r.vendor, "{s} {w:?}: vendor");
                assert_eq!(m.broker, r.broker, "{s} {w:?}: broker");
                ran.push(s);
            }
            // The model refuses exactly what the protocol cannot do.
            (Err(ModelError::ChainTooShort { .. } | ModelError::TooManyVendors { .. }), Err(_)) => {
            }
            (m, r) => panic!("{s} {w:?}: model {m:?}, run {r:?}"),
        }
    }
    ran
}

#[test]
fn model_equals_the_counted_protocol_on_a_grid() {
    let mut ran = std::collections::BTreeMap::<Scheme, usize>::new();
    let mut workloads = 0;
    for vendors in [1, 2, 5] {
        for chain_len in [1, 7, 16, 100] {
            for payments in [1, 3, 10] {
                for units in [1, 2, 12] {
                    let w = Workload {
                        vendors,
                        chain_len,
                        payments,
                        units,
                        devices: 1 + vendors % 3,
                    };
                    for s in check(&w) {
                        *ran.entry(s).or_default() += 1;
                    }
                    workloads += 1;
                }
            }
        }
    }
    assert_eq!(workloads, 108);
    // Every scheme was compared on a good part of the grid (the rest does
    // not fit its chains, and both sides refuse it).
    for s in Scheme::ALL {
        let r = ran.get(&s).copied().unwrap_or(0);
        assert!(r >= 40, "{s}: {r} workloads");
    }
}

#[test]
fn model_is_exact_on_larger_workloads() {
    // (workload, schemes that fit it)
    for (w, fit) in [
        (
            Workload {
                vendors: 16,
                chain_len: 1 << 13,
                payments: 100,
                units: 5,
                devices: 16,
            },
            8,
        ),
        (
            Workload {
                vendors: 3,
                chain_len: 40_000,
                payments: 100,
                units: 100,
                devices: 1,
            },
            8,
        ),
        (
            Workload {
                vendors: 30,
                chain_len: 5000,
                payments: 10,
                units: 10,
                devices: 1,
            },
            8,
        ),
        // 350 units on chains of 64: only renewal pays it (5 links per
        // vendor); the purse of one denomination (7 = 7 ones) runs out.
        (
            Workload {
                vendors: 2,
                chain_len: 64,
                payments: 50,
                units: 7,
                devices: 3,
            },
            1,
        ),
    ] {
        assert_eq!(check(&w).len(), fit, "{w:?}");
    }
}

#[test]
fn the_broker_limits_are_the_model_limits() {
    // 64 live reservations per certificate: the 65th vendor is refused by
    // the broker and by the model.
    let w = Workload {
        vendors: 65,
        chain_len: 4,
        payments: 1,
        units: 1,
        devices: 1,
    };
    assert_eq!(
        model(Scheme::Reservation, &w),
        Err(ModelError::TooManyVendors { max: 64 })
    );
    let err = run(Scheme::Reservation, &w).unwrap_err();
    assert!(err.0.contains("reserve"), "{err}");
    let w = Workload { vendors: 64, ..w };
    assert_eq!(
        model(Scheme::Reservation, &w).ok(),
        run(Scheme::Reservation, &w).ok()
    );
}

#[test]
fn oversized_runs_are_refused_before_any_work() {
    let huge = Workload {
        vendors: 2,
        chain_len: u32::MAX,
        payments: 1,
        units: 1,
        devices: 1,
    };
    for s in Scheme::ALL {
        assert!(run(s, &huge).unwrap_err().0.contains("too large"), "{s}");
    }
    let devices = Workload {
        vendors: 1,
        chain_len: 8,
        payments: 1,
        units: 1,
        devices: u32::MAX,
    };
    assert!(
        run(Scheme::Domain, &devices)
            .unwrap_err()
            .0
            .contains("devices")
    );
    assert_eq!(
        model(Scheme::Domain, &devices),
        Err(ModelError::TooManyDevices { max: 16 })
    );
}
