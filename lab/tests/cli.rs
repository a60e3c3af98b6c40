//! The lab's own parts: the command line (`--quick` writes a report, CSV
//! files and SVG plots that parse; bad input exits with code 2), the peers'
//! counters (run for real and compared with their definitions; LMS hash
//! counts equal to RFC 8554's analytic count), and the traversal counts
//! equal to the documented figures. No timing is asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use payword::cost::model::Workload;
use payword_lab::LabError;
use payword_lab::app::{self, Options};
use payword_lab::costs::{Subject, Verdict, first_difference};
use payword_lab::peers::{
    self, CHANNEL_OPEN_LEN, CountingLmsHash, Peer, VOUCHER_LEN, Voucher, VoucherChannel,
    VoucherError,
};
use payword_lab::report;
use payword_lab::traversal::{self, Strategy};
use payword_lab::workloads;

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_payword-lab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The command line `line`, split at spaces.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const fn wl(vendors: u32, chain_len: u32, payments: u32, units: u32) -> Workload {
    Workload {
        vendors,
        chain_len,
        payments,
        units,
        devices: 1,
    }
}

/// Runs `f` on a thread with a large stack (hbs-lms).
fn big_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(128 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

// ---------------------------------------------------------------------------
// The command line.

fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().collect::<Result<Vec<_>, _>>().unwrap();
    (header, rows)
}

#[test]
fn quick_all_writes_report_csv_and_svg_that_parse() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = lab(&[
        "all",
        "--quick",
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&o.stdout);
    assert!(
        o.status.success(),
        "stdout: {stdout}\nstderr: {}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));

    // The report, with its sections and a verdict column.
    let md = std::fs::read_to_string(out.join("RESULTS.md")).unwrap();
    for heading in [
        "# Results",
        "## Summary",
        "## Cost model against the counted runs",
        "## Per payment at the base workload",
        "## Peers",
        "## Time per payment",
        "## Traversal against n",
        "## The source documents' comparisons",
        "## Files",
    ] {
        assert!(md.contains(heading), "RESULTS.md lacks {heading:?}");
    }
    assert!(md.contains("| run = model |"));
    for s in Subject::all() {
        assert!(md.contains(&format!("| {} |", s.name())), "no row for {s}");
    }

    // Every output the summary names exists; all are under `out`.
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().split("  (").next())
        .filter(|p| p.starts_with(out.to_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), report::FILES as usize, "{stdout}");
    for p in &listed {
        assert!(Path::new(p).is_file(), "{p} listed but missing");
    }

    let results = out.join("results");
    // costs.csv: every subject on every standard workload; every scheme
    // with a model row and a run row per party.
    let (header, rows) = read_csv(&results.join("costs.csv"));
    assert_eq!(&header[..3], ["sweep", "x", "vendors"]);
    assert!(header.contains(&"run_equals_model".to_owned()));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let points = workloads::standard(true).len();
    for s in Subject::all() {
        let n = rows
            .iter()
            .filter(|r| &r[col("subject")] == s.name())
            .count();
        assert!(n >= points, "{s}: {n} rows for {points} workloads");
    }
    for r in &rows {
        let v = &r[col("run_equals_model")];
        match &r[col("source")] {
            "model" => assert!(["yes", "no", "run failed", "no model"].contains(&v), "{v}"),
            "run" | "peer" => assert_eq!(v, ""),
            other => panic!("source {other}"),
        }
    }
    // Peers' rows are complete numbers.
    for r in rows.iter().filter(|r| &r[col("kind")] == "peer") {
        assert_eq!(&r[col("error")], "", "{r:?}");
        r[col("hashes")].parse::<u64>().unwrap();
        r[col("bytes_sent")].parse::<u64>().unwrap();
    }

    let (header, rows) = read_csv(&results.join("timing.csv"));
    assert_eq!(rows.len() as u64, payword_lab::timing::OPERATIONS);
    let ns = header.iter().position(|h| h == "ns_median").unwrap();
    for r in &rows {
        assert!(r[ns].parse::<f64>().unwrap() > 0.0, "{r:?}");
    }

    let (header, rows) = read_csv(&results.join("traversal.csv"));
    assert_eq!(rows.len(), 3 * workloads::traversal_lengths(true).len());
    let meets = header.iter().position(|h| h == "meets_bounds").unwrap();
    assert!(rows.iter().all(|r| &r[meets] == "yes"), "{rows:?}");

    let (_, rows) = read_csv(&results.join("per_payment.csv"));
    assert_eq!(rows.len(), Subject::all().len());

    // Every SVG is well-formed XML with an <svg> root, and the report links
    // to it.
    let mut svgs = 0;
    for entry in std::fs::read_dir(&results).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let xml = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&xml)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            assert!(doc.descendants().filter(|n| n.has_tag_name("text")).count() > 5);
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(
                md.contains(&format!("results/{name}")),
                "{name} not in the report"
            );
            svgs += 1;
        }
    }
    assert_eq!(svgs, 10);
}

#[test]
fn bad_input_exits_with_code_2_and_a_message() {
    let cases = [
        "",
        "nonsense",
        "all --bogus",
        "scheme",
        "scheme no-such-scheme",
        "workload --vendors 0 --chain-len 10 --payments 1 --units 1",
        "workload --vendors x --chain-len 10 --payments 1 --units 1",
        "workload --vendors -1 --chain-len 10 --payments 1 --units 1",
        "workload --vendors 2 --chain-len 10 --payments 1",
        "workload --vendors 2 --chain-len 10 --payments 1 --units 0",
        "workload --vendors 100000 --chain-len 10 --payments 1 --units 1",
        "workload --vendors 1000 --chain-len 16777216 --payments 1 --units 1",
        "workload --vendors 1 --chain-len 10 --payments 4294967295 --units 2",
    ];
    for line in cases {
        let args = words(line);
        let o = lab(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.trim().is_empty(), "{args:?}: no message");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Help is not an error.
    let o = lab(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("workload"));
}

#[test]
fn workload_prints_every_scheme_and_peer() {
    let o = lab(&words(
        "workload --vendors 2 --chain-len 64 --payments 5 --units 2 --devices 2 --quick \
         --no-progress",
    ));
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", text(&o.stderr));
    assert!(out.contains("k=2 n=64 P=5 U=2 m=2"));
    for s in Subject::all() {
        assert!(
            out.contains(&format!("| {} |", s.name())),
            "{s} missing:\n{out}"
        );
    }
    assert!(out.contains("run = model"));
    assert!(out.contains("no files written"));
}

#[test]
fn scheme_prints_one_subject_over_the_standard_workloads() {
    for name in ["plain", "voucher", "tape-sha256"] {
        let o = lab(&["scheme", name, "--quick", "--no-progress"]);
        let out = text(&o.stdout);
        assert!(o.status.success(), "{name}: {out}\n{}", text(&o.stderr));
        let rows = out
            .lines()
            .filter(|l| l.contains(&format!("| {name} |")))
            .count();
        assert_eq!(rows, workloads::standard(true).len(), "{name}:\n{out}");
    }
}

#[test]
fn library_errors_are_typed() {
    let opts = Options {
        quick: true,
        out: std::env::temp_dir(),
        progress: false,
    };
    let e = app::execute(app::Command::Scheme("nope".into()), opts.clone()).unwrap_err();
    assert!(matches!(e, LabError::Usage(_)), "{e}");
    assert_eq!(e.exit_code(), 2);
    let e = app::execute(app::Command::Workload(wl(1, 0, 1, 1)), opts).unwrap_err();
    assert!(
        matches!(e, LabError::Usage(ref m) if m.contains("--chain-len")),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// The signed-voucher peer.

#[test]
fn voucher_counts_are_one_signature_per_payment() {
    for (k, p, u) in [(1, 1, 1), (3, 7, 2), (5, 20, 10)] {
        let w = wl(k, 1000, p, u);
        let c = peers::run_voucher(&w).unwrap();
        let (k, p) = (u64::from(k), u64::from(p));
        // Customer: one open and one voucher per payment, per vendor.
        assert_eq!(c.customer.signatures_made, k + k * p);
        assert_eq!(c.customer.messages_sent, k + k * p);
        assert_eq!(
            c.customer.bytes_sent,
            k * CHANNEL_OPEN_LEN as u64 + k * p * VOUCHER_LEN as u64
        );
        assert_eq!(c.customer.round_trips, k);
        assert_eq!(c.customer.hashes, 0);
        // Vendors: one verification per payment, one claim each.
        assert_eq!(c.vendor.signatures_verified, k * p);
        assert_eq!(c.vendor.signatures_made, 0);
        assert_eq!(c.vendor.messages_sent, k);
        assert_eq!(c.vendor.bytes_sent, k * VOUCHER_LEN as u64);
        assert_eq!(c.vendor.words_stored, k * 4);
        // Broker: the opens and the claims.
        assert_eq!(c.broker.signatures_verified, 2 * k);
        assert_eq!(c.broker.hashes, 0);
    }
}

#[test]
fn voucher_channel_refuses_what_it_should() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let ch = [1u8; 32];
    let mut vendor = VoucherChannel::new(key.verifying_key(), ch, 100);
    let v1 = Voucher::sign(&key, ch, 10, 1);
    assert_eq!(v1.to_bytes().len(), VOUCHER_LEN);
    assert_eq!(Voucher::from_bytes(&v1.to_bytes()), Some(v1));
    assert_eq!(Voucher::from_bytes(&v1.to_bytes()[1..]), None);
    assert_eq!(vendor.accept(&v1), Ok(10));
    assert_eq!(vendor.accept(&v1), Err(VoucherError::Replay));
    assert_eq!(
        vendor.accept(&Voucher::sign(&key, ch, 5, 2)),
        Err(VoucherError::BadAmount)
    );
    assert_eq!(
        vendor.accept(&Voucher::sign(&key, ch, 101, 2)),
        Err(VoucherError::BadAmount)
    );
    assert_eq!(
        vendor.accept(&Voucher::sign(&key, [2; 32], 20, 2)),
        Err(VoucherError::WrongChannel)
    );
    assert_eq!(
        vendor.accept(&Voucher::sign(&other, ch, 20, 2)),
        Err(VoucherError::BadSignature)
    );
    let mut forged = Voucher::sign(&key, ch, 20, 2);
    forged.amount = 30;
    assert_eq!(vendor.accept(&forged), Err(VoucherError::BadSignature));
    assert_eq!(vendor.accept(&Voucher::sign(&key, ch, 30, 5)), Ok(20));
    assert_eq!(vendor.best().map(|b| b.amount), Some(30));
}

// ---------------------------------------------------------------------------
// The LMS peer.

#[test]
fn lms_counts_equal_rfc8554_analytic_counts() {
    big_stack(|| {
        let (fx, keygen, signs) = peers::lms_fixture::<CountingLmsHash>(12).unwrap();
        // H10 / W4: p = 67 chains of 15 steps; one-level HSS wrapping.
        let sig_len = 4 + 4 + (4 + 32 + 67 * 32) + 4 + 10 * 32;
        assert_eq!(fx.public_key.len(), 4 + 4 + 4 + 16 + 32);
        assert_eq!(signs.len(), 12);
        // Key generation: per leaf, 67 private keys and 67 chains of 15
        // steps, the public key and the leaf; then the 1,023 interior nodes
        // (plus the seed and I derivations).
        let per_leaf = 67 + 67 * 15 + 1 + 1;
        assert!(keygen.calls >= 1024 * per_leaf + 1023, "{keygen:?}");
        for ((m, s), sign) in fx.messages.iter().zip(&fx.signatures).zip(&signs) {
            assert_eq!(s.len(), sig_len);
            assert!(sign.calls > 0);
            let (ok, counted) = CountingLmsHash::measure(|| {
                peers::lms_verify::<CountingLmsHash>(m, s, &fx.public_key)
            });
            assert!(ok);
            let rfc = peers::rfc8554_verify_hashes(&fx.public_key, m, s).unwrap();
            assert_eq!(counted, rfc, "message {m:?}");
            // 1 + Σ(15 − a_i) + 1 + 1 + 10, with Σ(15 − a_i) ≤ 67·15.
            assert!((13..=13 + 67 * 15).contains(&counted.calls));
            // Another message or a changed byte does not verify.
            assert!(!peers::lms_verify::<CountingLmsHash>(
                b"other",
                s,
                &fx.public_key
            ));
            let mut bad = s.clone();
            bad[100] ^= 1;
            assert!(!peers::lms_verify::<CountingLmsHash>(
                m,
                &bad,
                &fx.public_key
            ));
        }
        // Malformed input has no analytic count.
        let (m, s) = (&fx.messages[0], &fx.signatures[0]);
        assert_eq!(
            peers::rfc8554_verify_hashes(&fx.public_key, m, &s[..s.len() - 1]),
            None
        );
        assert_eq!(
            peers::rfc8554_verify_hashes(&fx.public_key[1..], m, s),
            None
        );
    });
}

#[test]
fn lms_profile_scales_to_workloads() {
    let p = big_stack(|| peers::lms_profile(8).unwrap());
    assert_eq!(p.verify_matches_rfc, 8);
    assert_eq!(p.signature_len, 2512);
    assert_eq!(p.leaves, 1024);
    let w = wl(3, 100, 2000, 1);
    let c = peers::lms_costs(&w, &p);
    // 2,000 payments need two keys per vendor: one open, one registration.
    assert_eq!(c.customer.signatures_made, 3 * 2 + 6000);
    assert_eq!(c.vendor.signatures_verified, 6000);
    assert_eq!(c.broker.signatures_verified, 3 * 2 + 3);
    assert_eq!(c.vendor.hashes, (6000.0 * p.verify_calls).round() as u64);
    let voucher = (peers::VOUCHER_BODY_LEN + p.signature_len) as u64;
    assert_eq!(
        c.customer.bytes_sent,
        3 * (CHANNEL_OPEN_LEN as u64 + 60) + 3 * (32 + 64 + 60) + 6000 * voucher
    );
}

// ---------------------------------------------------------------------------
// The raw chain kernel.

#[test]
fn tape_counts_are_the_links_requested() {
    for (k, n, p, u) in [(1, 10, 10, 1), (3, 1000, 20, 7), (2, 64, 8, 8)] {
        let c = peers::run_tape(&wl(k, n, p, u)).unwrap();
        let (k, n, pu) = (u64::from(k), u64::from(n), u64::from(p) * u64::from(u));
        assert_eq!(c.customer.hashes, k * n);
        assert_eq!(c.vendor.hashes, k * pu);
        assert_eq!(c.broker.hashes, k * pu);
        assert_eq!(c.customer.bytes_sent, k * u64::from(p) * 32);
        assert_eq!(c.customer.signatures_made + c.vendor.signatures_verified, 0);
    }
    assert!(peers::run_tape(&wl(1, 10, 11, 1)).is_err());
    assert!(peers::costs(Peer::Lms, &wl(1, 10, 1, 1), None).is_err());
}

// ---------------------------------------------------------------------------
// Traversal.

#[test]
fn traversal_counts_equal_the_documented_figures() {
    // Most hashes before one payword and total walk hashes for Pebbler at
    // n = 2^k, k = 1 ..= 10 (tests/hash_counts.rs), written out.
    let max_per_payword: [u64; 10] = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    let walk_hashes: [u64; 10] = [1, 2, 6, 18, 50, 130, 322, 770, 1794, 4098];
    for ((k, max), total) in (1u32..).zip(max_per_payword).zip(walk_hashes) {
        let n = 1u32 << k;
        let r = traversal::measure(Strategy::Pebbler, n, 1).unwrap();
        assert_eq!((r.max_per_payword, r.walk_hashes), (max, total), "k={k}");
        assert_eq!(r.stored_words, u64::from(k));
        assert_eq!(r.setup_hashes, u64::from(n) + 1);
        assert!(r.meets_bounds);

        let r = traversal::measure(Strategy::StoreAll, n, 1).unwrap();
        assert_eq!(
            (r.max_per_payword, r.walk_hashes, r.stored_words),
            (0, 0, u64::from(n))
        );
        assert_eq!(r.setup_hashes, u64::from(n) + 1);
        assert!(r.meets_bounds);

        let r = traversal::measure(Strategy::Checkpoints, n, 1).unwrap();
        let c = u64::from(traversal::sqrt_interval(n));
        let segments = u64::from(n).div_ceil(c);
        let last = u64::from(n) - (segments - 1) * c;
        assert_eq!(r.max_per_payword, c - 1, "n={n}");
        assert_eq!(r.walk_hashes, (segments - 1) * (c - 1) + last - 1, "n={n}");
        assert_eq!(r.stored_words, segments + c);
        assert!(r.meets_bounds, "{r:?}");
    }
    // A length that is not a power of two: c = 32, 32 segments, the last of 8.
    let r = traversal::measure(Strategy::Checkpoints, 1000, 1).unwrap();
    assert_eq!(
        (r.interval, r.max_per_payword, r.walk_hashes, r.stored_words),
        (Some(32), 31, 968, 64)
    );
    let r = traversal::measure(Strategy::Pebbler, 1000, 1).unwrap();
    assert!(r.max_per_payword <= 5);
    assert_eq!(r.stored_words, 10);
    assert!(r.meets_bounds);
    assert_eq!(traversal::sqrt_interval(1), 1);
    assert_eq!(traversal::sqrt_interval(1 << 20), 1 << 10);
    assert_eq!(traversal::sqrt_interval((1 << 20) + 1), (1 << 10) + 1);
}

// ---------------------------------------------------------------------------
// Smaller pieces.

#[test]
fn standard_workloads_are_valid_and_sweep_what_they_say() {
    for quick in [true, false] {
        let points = workloads::standard(quick);
        for p in &points {
            workloads::check(&p.workload).unwrap();
        }
        let ks: Vec<u32> = points
            .iter()
            .filter(|p| p.sweep == workloads::Sweep::Vendors)
            .map(|p| p.workload.vendors)
            .collect();
        if !quick {
            assert_eq!(ks, [1, 3, 10, 30, 100]);
            let b = workloads::base(false);
            assert_eq!((b.vendors, b.payments), (3, 10_000));
            assert_eq!(
                workloads::traversal_lengths(false),
                (4..=10).map(|e| 1u32 << (2 * e)).collect::<Vec<_>>()
            );
        }
        let units: Vec<u32> = points
            .iter()
            .filter(|p| p.sweep == workloads::Sweep::Units)
            .map(|p| p.workload.units)
            .collect();
        assert_eq!(units, [1, 10, 100]);
    }
    assert!(workloads::check(&wl(0, 1, 1, 1)).is_err());
    assert!(
        workloads::check(&Workload {
            devices: 0,
            ..wl(1, 1, 1, 1)
        })
        .is_err()
    );
    assert!(workloads::check_size(&wl(1 << 16, 1 << 13, 1, 1)).is_err());
}

#[test]
fn verdicts_and_formatting() {
    let point = workloads::Point {
        sweep: workloads::Sweep::Custom,
        workload: wl(1, 10, 1, 1),
    };
    let a = payword::cost::model::Costs::default();
    let mut b = a;
    b.vendor.bytes_sent = 3;
    assert_eq!(first_difference(&a, &a), None);
    assert_eq!(
        first_difference(&a, &b).unwrap(),
        "vendor bytes_sent: model 0, run 3"
    );
    let row = |costs, run| payword_lab::costs::CostRow {
        point,
        subject: Subject::Scheme(payword::cost::model::Scheme::Plain),
        costs,
        run,
    };
    assert_eq!(row(Ok(a), Some(Ok(a))).verdict(), Verdict::Yes);
    assert!(matches!(row(Ok(a), Some(Ok(b))).verdict(), Verdict::No(_)));
    assert!(matches!(
        row(Ok(a), Some(Err("x".into()))).verdict(),
        Verdict::RunFailed(_)
    ));
    assert_eq!(
        row(Err("m".into()), Some(Ok(a))).verdict(),
        Verdict::NoModel
    );
    assert_eq!(row(Ok(a), None).verdict(), Verdict::NotApplicable);

    assert_eq!(report::int(0), "0");
    assert_eq!(report::int(1_234_567), "1,234,567");
    assert_eq!(report::num(2.5), "2.5");
    assert_eq!(report::times(1220.6), "1,221");
    let t = report::table(
        &["a|b", "c"],
        &[false, true],
        &[vec!["x|y".into(), "1".into()]],
    );
    assert_eq!(t, "| a\\|b | c |\n|---|---:|\n| x\\|y | 1 |\n");
    assert_eq!(Subject::from_name("lms"), Some(Subject::Peer(Peer::Lms)));
    assert_eq!(Subject::from_name("tree").map(Subject::name), Some("tree"));
}
