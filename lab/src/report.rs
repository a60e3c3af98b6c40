//! The report (`RESULTS.md`), the CSV files and the plots of a run.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::costs::{COUNTERS, CostRow, Subject, Verdict, counters, parties};
use crate::error::LabError;
use crate::peers::{self, LmsProfile, Peer};
use crate::plot::{self, Bar, BarPanel, LinePanel, Series};
use crate::progress::Progress;
use crate::timing::{self, Party, Timing};
use crate::traversal::{Strategy, TraversalRow};
use crate::workloads::{Sweep, describe};

/// Everything one `all` run measured.
#[derive(Debug)]
pub struct Results {
    /// Quick mode.
    pub quick: bool,
    /// Every subject on every standard workload.
    pub rows: Vec<CostRow>,
    /// The LMS peer's measured profile.
    pub lms: LmsProfile,
    /// Time per operation.
    pub timings: Vec<Timing>,
    /// Traversal measurements.
    pub traversal: Vec<TraversalRow>,
    /// Wall time of the measurements.
    pub elapsed: Duration,
}

/// One output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// What it holds.
    pub what: String,
    /// Where it went.
    pub path: PathBuf,
}

/// The number of files [`write()`] writes (progress bars).
pub const FILES: u64 = 15;

// ---------------------------------------------------------------------------
// Formatting.

/// An integer with thousands separators: `1,234,567`.
#[must_use]
pub fn int(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A real number for tables: integers with separators, others with up to
/// two decimals (three below 1).
#[must_use]
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let s = int(v.abs() as u64);
        return if v < 0.0 { format!("-{s}") } else { s };
    }
    if v.abs() >= 1000.0 {
        int(v.round() as u64)
    } else {
        plot::decimals(v)
    }
}

/// Nanoseconds, readable: `41.2 ns`, `26.4 µs`, `1.20 ms`.
#[must_use]
pub fn time(ns: f64) -> String {
    if !ns.is_finite() {
        "—".into()
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e4 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// A markdown table; `right[i]` right-aligns column `i`.
#[must_use]
pub fn table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let esc = |c: &str| c.replace('|', "\\|").replace('\n', " ");
    s.push('|');
    for h in header {
        let _ = write!(s, " {} |", esc(h));
    }
    s.push_str("\n|");
    for i in 0..header.len() {
        s.push_str(if right.get(i).copied().unwrap_or(false) {
            "---:|"
        } else {
            "---|"
        });
    }
    s.push('\n');
    for r in rows {
        s.push('|');
        for c in r {
            let _ = write!(s, " {} |", esc(c));
        }
        s.push('\n');
    }
    s
}

/// The verdict cell: `yes`, `no (first difference)`, `run failed (why)`.
fn verdict_cell(v: &Verdict) -> String {
    match v.detail() {
        Some(d) => format!("{} ({d})", v.short()),
        None => v.short().to_owned(),
    }
}

/// The compact cost table of `rows` (one line per subject and workload):
/// hashes, signatures and bytes of each party, and run = model.
#[must_use]
pub fn cost_table(rows: &[&CostRow]) -> String {
    let header = [
        "workload",
        "scheme / peer",
        "cust. hashes",
        "cust. sigs made",
        "cust. bytes",
        "vendor hashes",
        "vendor sigs verified",
        "vendor bytes",
        "broker hashes",
        "broker sigs verified",
        "run = model",
    ];
    let right = [
        false, false, true, true, true, true, true, true, true, true, false,
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![describe(&r.point.workload), r.subject.name().to_owned()];
            match &r.costs {
                Ok(c) => cells.extend([
                    int(c.customer.hashes),
                    int(c.customer.signatures_made),
                    int(c.customer.bytes_sent),
                    int(c.vendor.hashes),
                    int(c.vendor.signatures_verified),
                    int(c.vendor.bytes_sent),
                    int(c.broker.hashes),
                    int(c.broker.signatures_verified),
                ]),
                Err(e) => {
                    cells.push(format!("— ({e})"));
                    cells.extend(std::iter::repeat_n("—".to_owned(), 7));
                }
            }
            cells.push(match r.subject {
                Subject::Peer(_) => "peer (counted)".to_owned(),
                Subject::Scheme(_) => verdict_cell(&r.verdict()),
            });
            cells
        })
        .collect();
    table(&header, &right, &body)
}

/// Every counter of every party of `rows` (one line per subject and party).
#[must_use]
pub fn full_table(rows: &[&CostRow]) -> String {
    let mut header = vec!["scheme / peer", "party"];
    header.extend(COUNTERS);
    header.push("run = model");
    let mut right = vec![false, false];
    right.extend([true; 8]);
    right.push(false);
    let mut body = Vec::new();
    for r in rows {
        match &r.costs {
            Ok(c) => {
                for (party, pc) in parties(c) {
                    let mut cells = vec![r.subject.name().to_owned(), party.to_owned()];
                    cells.extend(counters(pc).map(int));
                    cells.push(match r.subject {
                        Subject::Peer(_) => "peer".to_owned(),
                        Subject::Scheme(_) => r.verdict().short().to_owned(),
                    });
                    body.push(cells);
                }
            }
            Err(e) => {
                let mut cells = vec![r.subject.name().to_owned(), "—".to_owned()];
                cells.push(format!("no figures: {e}"));
                cells.extend(std::iter::repeat_n(String::new(), 7));
                cells.push(verdict_cell(&r.verdict()));
                body.push(cells);
            }
        }
    }
    table(&header, &right, &body)
}

// ---------------------------------------------------------------------------
// CSV.

/// The output `name` in `dir`, which holds `what`.
fn output(dir: &Path, name: &str, what: &str) -> Written {
    Written {
        what: what.to_owned(),
        path: dir.join(name),
    }
}

/// Creates the CSV file `name` in `dir`.
fn csv_writer(dir: &Path, name: &str) -> Result<(csv::Writer<fs::File>, PathBuf), LabError> {
    let path = dir.join(name);
    let f = fs::File::create(&path).map_err(|e| LabError::io(&path, e))?;
    Ok((csv::Writer::from_writer(f), path))
}

/// Flushes `w`, the writer of the file at `path`, which holds `what`.
fn flushed(mut w: csv::Writer<fs::File>, path: PathBuf, what: &str) -> Result<Written, LabError> {
    w.flush().map_err(|e| LabError::io(&path, e))?;
    Ok(Written {
        what: what.to_owned(),
        path,
    })
}

fn ce(e: impl std::fmt::Display) -> LabError {
    LabError::Csv(e.to_string())
}

fn opt(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v}"))
}

/// `costs.csv`: one line per workload, subject, source (`model`, `run`,
/// `peer`) and party, with every counter.
fn write_costs_csv(dir: &Path, rows: &[CostRow]) -> Result<Written, LabError> {
    let (mut w, path) = csv_writer(dir, "costs.csv")?;
    let mut header = vec![
        "sweep",
        "x",
        "vendors",
        "chain_len",
        "payments",
        "units",
        "devices",
        "subject",
        "kind",
        "source",
        "party",
    ];
    header.extend(COUNTERS);
    header.extend(["run_equals_model", "error"]);
    w.write_record(&header).map_err(ce)?;
    for r in rows {
        let wl = &r.point.workload;
        let base = [
            r.point.sweep.name().to_owned(),
            r.point.sweep.x(wl).to_string(),
            wl.vendors.to_string(),
            wl.chain_len.to_string(),
            wl.payments.to_string(),
            wl.units.to_string(),
            wl.devices.to_string(),
            r.subject.name().to_owned(),
            r.subject.kind().to_owned(),
        ];
        let verdict = r.verdict();
        let sources: Vec<(&str, &Result<_, String>)> = match (&r.subject, &r.run) {
            (Subject::Peer(_), _) => vec![("peer", &r.costs)],
            (Subject::Scheme(_), Some(run)) => vec![("model", &r.costs), ("run", run)],
            (Subject::Scheme(_), None) => vec![("model", &r.costs)],
        };
        for (source, costs) in sources {
            let v = if source == "model" {
                verdict.short()
            } else {
                ""
            };
            match costs {
                Ok(c) => {
                    for (party, pc) in parties(c) {
                        let mut rec: Vec<String> = base.to_vec();
                        rec.extend([source.to_owned(), party.to_owned()]);
                        rec.extend(counters(pc).map(|x| x.to_string()));
                        rec.extend([v.to_owned(), verdict.detail().unwrap_or("").to_owned()]);
                        w.write_record(&rec).map_err(ce)?;
                    }
                }
                Err(e) => {
                    let mut rec: Vec<String> = base.to_vec();
                    rec.extend([source.to_owned(), String::new()]);
                    rec.extend(std::iter::repeat_n(String::new(), 8));
                    rec.extend([v.to_owned(), e.clone()]);
                    w.write_record(&rec).map_err(ce)?;
                }
            }
        }
    }
    flushed(
        w,
        path,
        "every counter of every party, per scheme / peer, workload and source (model, run, peer)",
    )
}

/// Per-payment figures of every subject at the base workload.
fn per_payment_rows(rows: &[CostRow]) -> Vec<(&CostRow, [Option<f64>; 7])> {
    rows.iter()
        .filter(|r| r.point.sweep == Sweep::Base)
        .map(|r| {
            (
                r,
                [
                    r.per_payment(|c| c.customer.hashes),
                    r.per_payment(|c| c.vendor.hashes),
                    r.per_payment(|c| c.broker.hashes),
                    r.per_payment(|c| {
                        c.customer.signatures_made
                            + c.vendor.signatures_made
                            + c.broker.signatures_made
                    }),
                    r.per_payment(|c| {
                        c.customer.signatures_verified
                            + c.vendor.signatures_verified
                            + c.broker.signatures_verified
                    }),
                    r.per_payment(|c| c.customer.bytes_sent),
                    r.per_payment(|c| {
                        c.customer.bytes_sent + c.vendor.bytes_sent + c.broker.bytes_sent
                    }),
                ],
            )
        })
        .collect()
}

const PER_PAYMENT_HEADER: [&str; 7] = [
    "customer_hashes",
    "vendor_hashes",
    "broker_hashes",
    "signatures_made",
    "signatures_verified",
    "customer_bytes",
    "all_bytes",
];

fn write_per_payment_csv(dir: &Path, rows: &[CostRow]) -> Result<Written, LabError> {
    let (mut w, path) = csv_writer(dir, "per_payment.csv")?;
    let mut header = vec!["subject", "kind", "workload"];
    header.extend(PER_PAYMENT_HEADER);
    w.write_record(&header).map_err(ce)?;
    for (r, vals) in per_payment_rows(rows) {
        let mut rec = vec![
            r.subject.name().to_owned(),
            r.subject.kind().to_owned(),
            describe(&r.point.workload),
        ];
        rec.extend(vals.map(opt));
        w.write_record(&rec).map_err(ce)?;
    }
    flushed(w, path, "per-payment figures at the base workload")
}

fn voucher_ns(timings: &[Timing]) -> Option<f64> {
    timing::find(timings, "voucher_verify").map(|t| t.ns)
}

fn write_timing_csv(dir: &Path, timings: &[Timing]) -> Result<Written, LabError> {
    let v = voucher_ns(timings);
    let (mut w, path) = csv_writer(dir, "timing.csv")?;
    w.write_record([
        "id",
        "party",
        "system",
        "operation",
        "ns_median",
        "ns_min",
        "ns_max",
        "batches",
        "iters_per_batch",
        "hashes_per_op",
        "signatures_per_op",
        "macs_per_op",
        "payment_bytes",
        "counted_by",
        "voucher_verify_over_this",
    ])
    .map_err(ce)?;
    for t in timings {
        w.write_record([
            t.id.to_owned(),
            t.party.name().to_owned(),
            t.system.to_owned(),
            t.what.to_owned(),
            format!("{}", t.ns),
            format!("{}", t.ns_min),
            format!("{}", t.ns_max),
            t.batches.to_string(),
            t.iters.to_string(),
            opt(t.hashes),
            opt(t.signatures),
            opt(t.macs),
            t.bytes.map_or_else(String::new, |b| b.to_string()),
            t.counted_by.to_owned(),
            opt(v.map(|v| v / t.ns)),
        ])
        .map_err(ce)?;
    }
    flushed(
        w,
        path,
        "time per operation (median, range, counts, ratio to the voucher)",
    )
}

fn write_traversal_csv(dir: &Path, rows: &[TraversalRow]) -> Result<Written, LabError> {
    let (mut w, path) = csv_writer(dir, "traversal.csv")?;
    w.write_record([
        "strategy",
        "n",
        "k",
        "interval",
        "setup_hashes",
        "walk_hashes",
        "hashes_per_payword_mean",
        "max_hashes_per_payword",
        "bound_max",
        "bound_walk",
        "stored_words",
        "bound_storage",
        "storage_source",
        "meets_bounds",
        "setup_ns",
        "ns_per_payword",
    ])
    .map_err(ce)?;
    for r in rows {
        w.write_record([
            r.strategy.name().to_owned(),
            r.n.to_string(),
            r.k.to_string(),
            r.interval.map_or_else(String::new, |c| c.to_string()),
            r.setup_hashes.to_string(),
            r.walk_hashes.to_string(),
            format!("{}", r.walk_hashes as f64 / f64::from(r.n.max(1))),
            r.max_per_payword.to_string(),
            r.bound_max.to_string(),
            if r.bound_walk == u64::MAX {
                String::new()
            } else {
                r.bound_walk.to_string()
            },
            r.stored_words.to_string(),
            r.bound_storage.to_string(),
            r.storage_source.to_owned(),
            if r.meets_bounds { "yes" } else { "no" }.to_owned(),
            format!("{}", r.setup_ns),
            format!("{}", r.ns_per_payword),
        ])
        .map_err(ce)?;
    }
    flushed(
        w,
        path,
        "traversal hashes, storage and time per strategy and n",
    )
}

// ---------------------------------------------------------------------------
// Plots.

fn subject_bars(rows: &[(&CostRow, [Option<f64>; 7])], i: usize) -> Vec<Bar> {
    rows.iter()
        .map(|(r, v)| Bar {
            label: r.subject.name().to_owned(),
            value: v.get(i).copied().flatten(),
            color: plot::color(r.subject.index()),
        })
        .collect()
}

fn plot_per_payment(
    dir: &Path,
    rows: &[CostRow],
    timings: &[Timing],
    lms: &LmsProfile,
) -> Result<[Written; 2], LabError> {
    let pp = per_payment_rows(rows);
    let base = pp
        .first()
        .map(|(r, _)| describe(&r.point.workload))
        .unwrap_or_default();
    let hashes = output(
        dir,
        "hashes_per_payment.svg",
        "plot: hashes per payment per party, by scheme and peer",
    );
    plot::bars(
        &hashes.path,
        &format!("Hashes per payment, per party ({base}; schemes: model, peers: counted)"),
        &[
            BarPanel::new("customer", "hashes / payment", subject_bars(&pp, 0)),
            BarPanel::new("vendors (all)", "hashes / payment", subject_bars(&pp, 1)),
            BarPanel::new("broker", "hashes / payment", subject_bars(&pp, 2)),
        ],
    )?;
    let bytes = output(
        dir,
        "bytes_per_payment.svg",
        "plot: bytes per payment, by scheme and peer",
    );
    let msg = |label: &str, b: Option<usize>, c: usize| Bar {
        label: label.to_owned(),
        value: b.map(|b| b as f64),
        color: plot::color(c),
    };
    let payment_len = timing::find(timings, "receiver_accept").and_then(|t| t.bytes);
    let sym_len = timing::find(timings, "symmetric_pay").and_then(|t| t.bytes);
    let idx = |s: Subject| s.index();
    plot::bars(
        &bytes.path,
        &format!("Bytes per payment ({base})"),
        &[
            BarPanel::new(
                "one payment message (real encodings)",
                "bytes",
                vec![
                    msg(
                        "payword Payment",
                        payment_len,
                        idx(Subject::Scheme(payword::cost::model::Scheme::Plain)),
                    ),
                    msg(
                        "symmetric payment",
                        sym_len,
                        idx(Subject::Scheme(payword::cost::model::Scheme::Symmetric)),
                    ),
                    msg(
                        "Ed25519 voucher",
                        Some(peers::VOUCHER_LEN),
                        idx(Subject::Peer(Peer::Voucher)),
                    ),
                    msg(
                        "LMS voucher",
                        Some(peers::VOUCHER_BODY_LEN + lms.signature_len),
                        idx(Subject::Peer(Peer::Lms)),
                    ),
                    msg("tape-sha256 word", Some(32), idx(Subject::Peer(Peer::Tape))),
                ],
            ),
            BarPanel::new(
                "everything the customer sends, per payment (setup amortized)",
                "bytes / payment",
                subject_bars(&pp, 5),
            ),
            BarPanel::new(
                "everything all parties send, per payment",
                "bytes / payment",
                subject_bars(&pp, 6),
            ),
        ],
    )?;
    Ok([hashes, bytes])
}

fn sweep_series(
    rows: &[CostRow],
    sweep: Sweep,
    f: impl Fn(&CostRow) -> Option<f64>,
) -> Vec<Series> {
    Subject::all()
        .into_iter()
        .map(|s| Series {
            name: s.name().to_owned(),
            color: plot::color(s.index()),
            points: rows
                .iter()
                .filter(|r| r.point.sweep == sweep && r.subject == s)
                .filter_map(|r| Some((f64::from(sweep.x(&r.point.workload)), f(r)?)))
                .collect(),
        })
        .collect()
}

fn plot_sweeps(dir: &Path, rows: &[CostRow]) -> Result<Vec<Written>, LabError> {
    let mut out = Vec::new();
    let all_hashes =
        |r: &CostRow| r.per_payment(|c| c.customer.hashes + c.vendor.hashes + c.broker.hashes);
    let vendor_hashes = |r: &CostRow| r.per_payment(|c| c.vendor.hashes);
    let all_bytes = |r: &CostRow| {
        r.per_payment(|c| c.customer.bytes_sent + c.vendor.bytes_sent + c.broker.bytes_sent)
    };
    for sweep in [
        Sweep::Vendors,
        Sweep::ChainLen,
        Sweep::Units,
        Sweep::Devices,
    ] {
        let x = sweep.label();
        let file = output(
            dir,
            &format!("cost_vs_{}.svg", sweep.name()),
            &format!("plot: cost per payment against {x}"),
        );
        let x_base2 = matches!(sweep, Sweep::ChainLen | Sweep::Devices);
        let panel = |title: &str, y_label: &str, f: fn(&CostRow) -> Option<f64>| LinePanel {
            title: title.to_owned(),
            x_label: x.to_owned(),
            x_base2,
            y_label: y_label.to_owned(),
            series: sweep_series(rows, sweep, f),
        };
        plot::lines(
            &file.path,
            &format!("Cost per payment against {x} (schemes: model, peers: counted)"),
            &[
                panel("hashes, all parties", "hashes / payment", all_hashes),
                panel("hashes, vendors", "hashes / payment", vendor_hashes),
                panel("bytes sent, all parties", "bytes / payment", all_bytes),
            ],
        )?;
        out.push(file);
    }
    Ok(out)
}

fn plot_times(dir: &Path, timings: &[Timing]) -> Result<[Written; 2], LabError> {
    let bars = |party: Party| -> Vec<Bar> {
        timings
            .iter()
            .filter(|t| t.party == party)
            .map(|t| Bar {
                label: t.id.to_owned(),
                value: Some(t.ns),
                // A peer in its colour of every other plot; payword in blue.
                color: plot::color(Subject::from_name(t.system).map_or(0, Subject::index)),
            })
            .collect()
    };
    let vendor = output(
        dir,
        "vendor_time.svg",
        "plot: vendor time per payment against the signed voucher (log scale)",
    );
    plot::bars(
        &vendor.path,
        "Vendor time per 1-unit payment (median ns, log scale): payword against the signed voucher and the peers",
        &[BarPanel::new("vendor", "ns / payment", bars(Party::Vendor))],
    )?;
    let customer = output(
        dir,
        "customer_time.svg",
        "plot: customer time per payment and chain steps (log scale)",
    );
    plot::bars(
        &customer.path,
        "Customer time per payment and chain steps (median ns, log scale)",
        &[
            BarPanel::new("customer", "ns / payment", bars(Party::Customer)),
            BarPanel::new("one chain step", "ns / step", bars(Party::Chain)),
        ],
    )?;
    Ok([vendor, customer])
}

fn plot_traversal(dir: &Path, rows: &[TraversalRow]) -> Result<[Written; 2], LabError> {
    let panel = |title: &str, y_label: &str, f: &dyn Fn(&TraversalRow) -> f64| LinePanel {
        title: title.to_owned(),
        x_label: "chain length n".to_owned(),
        x_base2: true,
        y_label: y_label.to_owned(),
        series: Strategy::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| Series {
                name: s.name().to_owned(),
                color: plot::color(i),
                points: rows
                    .iter()
                    .filter(|r| r.strategy == *s)
                    .map(|r| (f64::from(r.n), f(r)))
                    .collect(),
            })
            .collect(),
    };
    let time = output(
        dir,
        "traversal_time.svg",
        "plot: traversal time against n per strategy",
    );
    plot::lines(
        &time.path,
        "Traversal time against n (median)",
        &[
            panel("walk, per payword", "ns / payword", &|r| r.ns_per_payword),
            panel("construction (one sweep of the chain)", "ns", &|r| {
                r.setup_ns
            }),
        ],
    )?;
    let storage = output(
        dir,
        "traversal_storage.svg",
        "plot: traversal storage and hashes per payword against n per strategy",
    );
    plot::lines(
        &storage.path,
        "Traversal storage and hashes against n (counted; StoreAll hashes nothing per payword)",
        &[
            panel("words stored", "32-byte words", &|r| r.stored_words as f64),
            panel("most hashes before one payword", "hashes", &|r| {
                r.max_per_payword as f64
            }),
            panel("hashes per payword, mean over the walk", "hashes", &|r| {
                r.walk_hashes as f64 / f64::from(r.n.max(1))
            }),
        ],
    )?;
    Ok([time, storage])
}

// ---------------------------------------------------------------------------
// The markdown report.

fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or("");
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let exts: Vec<&str> = [
        ("sha_ni", "SHA-NI"),
        ("avx2", "AVX2"),
        ("avx512f", "AVX-512F"),
    ]
    .into_iter()
    .filter(|(f, _)| has(f))
    .map(|(_, n)| n)
    .collect();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "{model}, {cores} cores available, {} ({}), {} build",
        if exts.is_empty() {
            "no SHA/AVX extensions".to_owned()
        } else {
            exts.join(", ")
        },
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

/// A ratio: `1,221`, `36.5`, `0.97`.
#[must_use]
pub fn times(v: f64) -> String {
    if !v.is_finite() {
        "—".into()
    } else if v >= 100.0 {
        int(v.round() as u64)
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn ns_of(timings: &[Timing], id: &str) -> Option<f64> {
    timing::find(timings, id).map(|t| t.ns)
}

fn summary(r: &Results) -> String {
    let mut s = String::new();
    let schemes: Vec<&CostRow> = r
        .rows
        .iter()
        .filter(|x| matches!(x.subject, Subject::Scheme(_)))
        .collect();
    let count = |f: fn(&Verdict) -> bool| schemes.iter().filter(|x| f(&x.verdict())).count();
    let _ = writeln!(
        s,
        "- **run = model**: {} of {} scheme × workload pairs (both refuse the workload: {}; differ: {}, run failed: {}, no model: {}).",
        count(|v| matches!(v, Verdict::Yes | Verdict::BothRefuse(_))),
        schemes.len(),
        count(|v| matches!(v, Verdict::BothRefuse(_))),
        count(|v| matches!(v, Verdict::No(_))),
        count(|v| matches!(v, Verdict::RunFailed(_))),
        count(|v| matches!(v, Verdict::NoModel)),
    );
    let t = &r.timings;
    let v = ns_of(t, "voucher_verify");
    let line = |s: &mut String, label: &str, id: &str, goal: &str| {
        if let Some(x) = ns_of(t, id) {
            let _ = writeln!(
                s,
                "- {label}: {} per payment; the Ed25519 voucher takes **{}×** as long{goal}.",
                time(x),
                ratio(v, Some(x)).map_or_else(|| "—".to_owned(), times)
            );
        }
    };
    if let Some(v) = v {
        let _ = writeln!(
            s,
            "- Vendor, Ed25519 signed voucher (verify): {} per payment.",
            time(v)
        );
    }
    line(
        &mut s,
        "Vendor, payword `Receiver::accept` (1 unit)",
        "receiver_accept",
        " (design goal: ≥ 500×)",
    );
    line(
        &mut s,
        "Vendor, payword `Session::pay` (1 unit)",
        "session_pay",
        "",
    );
    line(
        &mut s,
        "Vendor, payword `SymmetricSession::pay` (1 unit)",
        "symmetric_pay",
        "",
    );
    line(
        &mut s,
        "Vendor, payword `Receiver::accept_batch` (64 lanes), per payment",
        "receiver_accept_batch",
        "",
    );
    if let (Some(l), Some(x)) = (ns_of(t, "lms_verify"), ns_of(t, "receiver_accept")) {
        let _ = writeln!(
            s,
            "- Vendor, LMS verify (hbs-lms, H10/W4): {} per payment, {}× payword's receiver, {}× the Ed25519 voucher.",
            time(l),
            times(l / x),
            ratio(Some(l), v).map_or_else(|| "—".to_owned(), times)
        );
    }
    if let (Some(a), Some(b)) = (ns_of(t, "receiver_accept"), ns_of(t, "tape_step_1")) {
        let _ = writeln!(
            s,
            "- payword's 1-unit verification (`Receiver::accept`) against one raw tape-sha256 link, both over independent words: **{}×** (design goal: ≤ 1.25× one SHA-256 compression).",
            times(a / b)
        );
    }
    if let (Some(a), Some(b)) = (ns_of(t, "payword_walk_step"), ns_of(t, "tape_walk_step")) {
        let _ = writeln!(
            s,
            "- payword chain step (walk of 1,000) against tape-sha256's `hash_chain`: **{}×** ({} against {} per step; design goal ≤ 1.00×).",
            times(a / b),
            time(a),
            time(b)
        );
    }
    let met = r.traversal.iter().filter(|x| x.meets_bounds).count();
    let _ = writeln!(
        s,
        "- Traversal: {met} of {} strategy × n measurements equal the documented hash and storage figures exactly.",
        r.traversal.len()
    );
    s
}

fn workloads_section(r: &Results) -> String {
    let mut s = String::new();
    for sweep in Sweep::STANDARD {
        let ws: Vec<String> = {
            let mut seen = Vec::new();
            for row in r.rows.iter().filter(|x| x.point.sweep == sweep) {
                let d = describe(&row.point.workload);
                if !seen.contains(&d) {
                    seen.push(d);
                }
            }
            seen
        };
        if !ws.is_empty() {
            let _ = writeln!(s, "- **{}**: {}", sweep.label(), ws.join("; "));
        }
    }
    s
}

fn peers_section(r: &Results) -> String {
    let mut s = String::new();
    let l = &r.lms;
    let _ = writeln!(
        s,
        "Each peer gets the same workloads and fills the same counters as the schemes, with these \
         conventions (the closest each peer allows):\n"
    );
    for p in Peer::ALL {
        let _ = writeln!(s, "- **{}**: {}.", p.name(), p.describe());
    }
    let _ = writeln!(
        s,
        "\n- **voucher** counters: run for real per workload. Per vendor the customer opens a channel \
         with the broker ({} B, Ed25519-signed, verified by the broker, one round trip), signs one \
         {} B voucher (channel id, cumulative amount, nonce; strict Ed25519) per payment, which the \
         vendor verifies; the vendor redeems its best voucher with the broker (one verification). \
         `hashes` stay 0: Ed25519's SHA-512 goes with its signature, as message digests do in \
         payword's counts. The broker's answers are not counted. Words stored: the vendor's best \
         voucher (4), the broker's channel id and key (2 per channel).",
        peers::CHANNEL_OPEN_LEN,
        peers::VOUCHER_LEN
    );
    let _ = writeln!(
        s,
        "- **lms** counters: the voucher channel with an LMS signature per payment (the open still \
         Ed25519, carrying the LMS public key; one more registration per {} payments, when a key's \
         leaves are used up). hbs-lms has no hash counter, but takes its hash function as a type \
         parameter: the lab passes a counting SHA-256 (`CountingLmsHash`), so key generation, \
         signing and verification are counted as hbs-lms computes them (hash calls, and the SHA-256 \
         compressions they take). The analytic RFC 8554 count of each verification (message hash, \
         `2^w − 1 − a_i` steps per Winternitz digit, public-key candidate, leaf, `h` path nodes) \
         equals the counted one for **{} of {}** sample signatures. Workload totals scale the \
         sample's means (rounded); key generation is charged per leaf used (the H10 key's cost \
         over its 1,024 leaves), so a short workload is not charged a whole tree. Zero values \
         (the voucher's hashes) cannot sit on the plots' log scales and are not drawn.",
        l.leaves, l.verify_matches_rfc, l.sample
    );
    let _ = writeln!(
        s,
        "- **tape-sha256** counters: run for real per workload: the customer builds each chain (`n` \
         links), reveals one raw 32-byte word per payment, the vendor hashes it back to the last \
         word (`U` links), the broker hashes the last word back to the anchor. No certificate, \
         commitment, tweak or message format: a lower bound for the hashing, not a protocol. \
         tape-sha256 has no counter; the links requested are counted (one link = one compression).\n"
    );
    let rows = vec![
        vec![
            "LMS parameters".into(),
            format!(
                "LMS_SHA256_M32_H{} / LMOTS_SHA256_N32_W{}",
                peers::LMS_HEIGHT,
                peers::LMS_WINTERNITZ
            ),
        ],
        vec![
            "signature (hbs-lms, HSS with one level)".into(),
            format!("{} B", int(l.signature_len as u64)),
        ],
        vec![
            "public key (hbs-lms, HSS)".into(),
            format!("{} B", int(l.public_key_len as u64)),
        ],
        vec![
            "aux data kept to sign without rebuilding the tree".into(),
            format!("{} B", int(l.aux_len as u64)),
        ],
        vec![
            "key generation (2^10 leaves)".into(),
            format!(
                "{} hash calls, {} compressions",
                int(l.keygen.calls),
                int(l.keygen.compressions)
            ),
        ],
        vec![
            "sign, mean".into(),
            format!(
                "{} hash calls, {} compressions",
                num(l.sign_calls),
                num(l.sign_compressions)
            ),
        ],
        vec![
            "verify, mean".into(),
            format!(
                "{} hash calls, {} compressions",
                num(l.verify_calls),
                num(l.verify_compressions)
            ),
        ],
        vec![
            "sample".into(),
            format!(
                "{} signatures (leaves 0 to {})",
                l.sample,
                l.sample.saturating_sub(1)
            ),
        ],
        vec![
            "verify count = RFC 8554 analytic count".into(),
            format!("{} of {}", l.verify_matches_rfc, l.sample),
        ],
    ];
    s.push_str(&table(
        &["LMS peer (measured)", "value"],
        &[false, false],
        &rows,
    ));
    s
}

/// The timing table's row of `t`; `voucher` is the voucher verification's
/// time.
fn timing_row(t: &Timing, voucher: Option<f64>) -> Vec<String> {
    vec![
        t.party.name().to_owned(),
        t.system.to_owned(),
        format!("`{}`: {}", t.id, t.what),
        time(t.ns),
        format!("{} – {}", time(t.ns_min), time(t.ns_max)),
        t.hashes.map_or_else(|| "—".into(), num),
        t.signatures.map_or_else(|| "—".into(), num),
        t.macs.map_or_else(|| "—".into(), num),
        t.bytes.map_or_else(|| "—".into(), |b| int(b as u64)),
        ratio(voucher, Some(t.ns)).map_or_else(|| "—".into(), times),
        t.counted_by.to_owned(),
    ]
}

fn timing_section(r: &Results) -> String {
    let v = voucher_ns(&r.timings);
    let rows: Vec<Vec<String>> = r.timings.iter().map(|t| timing_row(t, v)).collect();
    let mut s = String::new();
    let plan = r.timings.first().map(|t| t.batches).unwrap_or_default();
    let _ = writeln!(
        s,
        "Median over {plan} batches of the time per operation (`std::time::Instant`; each batch \
         calibrated to a fixed duration; consumed state rebuilt between batches, untimed). The \
         machine is shared: compare rows of this run with each other (the last column is the \
         Ed25519 voucher verification's time over the row's), not with other runs. payword runs \
         with the lab's `count` feature on, a thread-local increment per hash call, which slightly \
         favours the peers.\n"
    );
    s.push_str(&table(
        &[
            "party",
            "system",
            "operation",
            "median",
            "batch range",
            "hashes / op",
            "signatures / op",
            "MACs / op",
            "message bytes",
            "voucher verify ÷ this",
            "counts from",
        ],
        &[
            false, false, false, true, true, true, true, true, true, true, false,
        ],
        &rows,
    ));
    s
}

/// The traversal table's row of `t`.
fn traversal_row(t: &TraversalRow) -> Vec<String> {
    vec![
        t.strategy.name().to_owned(),
        format!("2^{} = {}", t.k, int(t.n.into())),
        t.interval.map_or_else(|| "—".into(), |c| int(c.into())),
        int(t.setup_hashes),
        num(t.walk_hashes as f64 / f64::from(t.n.max(1))),
        format!("{} (≤ {})", int(t.max_per_payword), int(t.bound_max)),
        format!("{} ({})", int(t.stored_words), t.storage_source),
        if t.meets_bounds { "yes" } else { "**no**" }.to_owned(),
        time(t.setup_ns),
        time(t.ns_per_payword),
    ]
}

fn traversal_section(r: &Results) -> String {
    let rows: Vec<Vec<String>> = r.traversal.iter().map(traversal_row).collect();
    let mut s = String::from(
        "Every strategy at every `n`: one pass counting the hashes of each payword \
         (`payword::cost::measure`), then timed passes (median). The documented figures \
         (`src/chain/traversal.rs`, `tests/hash_counts.rs`): construction `n + 1` hashes for all; \
         `StoreAll` 0 per payword and `n` words; `Checkpoints` (interval `c = ⌈√n⌉`) `c − 1` at \
         worst, `(s − 1)(c − 1) + (l − 1)` in all and `⌈n/c⌉ + c` words; `Pebbler` `⌈k/2⌉` at worst \
         (reached), `k·2^(k−1) − 2^k + 2` in all and `k` words. \"= documented\" says whether every \
         one of these is met exactly.\n\n",
    );
    s.push_str(&table(
        &[
            "strategy",
            "n",
            "c",
            "construction hashes",
            "hashes / payword (mean)",
            "max hashes / payword (bound)",
            "words stored",
            "= documented",
            "construction time",
            "time / payword",
        ],
        &[false, true, true, true, true, true, true, false, true, true],
        &rows,
    ));
    s
}

fn link(report_dir: &Path, file: &Path) -> String {
    file.strip_prefix(report_dir)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

#[allow(clippy::too_many_lines)]
fn markdown(r: &Results, out: &Path, files: &[Written]) -> String {
    let mut s = String::new();
    let f = |name: &str| {
        files
            .iter()
            .find(|w| w.path.file_name().is_some_and(|n| n == name))
            .map(|w| link(out, &w.path))
            .unwrap_or_default()
    };
    let cmd = if r.quick {
        "cargo run --release -p payword-lab -- all --quick"
    } else {
        "cargo run --release -p payword-lab -- all"
    };
    let _ = writeln!(s, "# Results\n");
    let _ = writeln!(
        s,
        "Written by `{cmd}` (the lab member, `lab/`): do not edit by hand; rerun the command. \
         {} mode; measured in {:.1} s on {}.\n",
        if r.quick { "**Quick**" } else { "Full" },
        r.elapsed.as_secs_f64(),
        machine()
    );
    let _ = writeln!(s, "## Summary\n\n{}", summary(r));
    let _ = writeln!(
        s,
        "## Workloads\n\nA workload is `k` vendors (`k=`), each paid `P` payments (`P=`) of `U` \
         units (`U=`) from chains of length `n` (`n=`; for `grants` the one shared chain, for \
         `renewal` each link of the cascade), `m` devices (`m=`, `domain` only). The standard set:\n\n{}",
        workloads_section(r)
    );
    let _ = writeln!(
        s,
        "## Cost model against the counted runs\n\nFor every scheme and workload: the public cost \
         model's figures (`payword::cost::model::model`) and whether the real protocol, run with \
         every hash, signature and MAC counted at its source (`payword_lab::run::run`, feature \
         `count`), produced exactly the same figures for every counter of every party (**run = \
         model**). Vendor figures are summed over all vendors. The peers' rows are their own \
         counted runs (see [Peers](#peers)). Every counter of every party is in `{}`.\n",
        f("costs.csv")
    );
    for sweep in Sweep::STANDARD {
        let rows: Vec<&CostRow> = r.rows.iter().filter(|x| x.point.sweep == sweep).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {}\n\n{}", sweep.label(), cost_table(&rows));
    }
    let base: Vec<&CostRow> = r
        .rows
        .iter()
        .filter(|x| x.point.sweep == Sweep::Base)
        .collect();
    if let Some(b) = base.first() {
        let _ = writeln!(
            s,
            "### Every counter at the base workload ({})\n\n{}",
            describe(&b.point.workload),
            full_table(&base)
        );
    }
    let pp = per_payment_rows(&r.rows);
    let pp_rows: Vec<Vec<String>> = pp
        .iter()
        .map(|(row, v)| {
            let mut cells = vec![row.subject.name().to_owned()];
            cells.extend(v.iter().map(|x| x.map_or_else(|| "—".into(), num)));
            cells
        })
        .collect();
    let _ = writeln!(
        s,
        "## Per payment at the base workload\n\nTotals divided by the `k·P` payments (setup \
         amortized).\n\n{}\n![Hashes per payment per party]({})\n\n![Bytes per payment]({})\n",
        table(
            &[
                "scheme / peer",
                "customer hashes",
                "vendor hashes",
                "broker hashes",
                "signatures made",
                "signatures verified",
                "customer bytes",
                "bytes, all parties",
            ],
            &[false, true, true, true, true, true, true, true],
            &pp_rows
        ),
        f("hashes_per_payment.svg"),
        f("bytes_per_payment.svg")
    );
    let _ = writeln!(
        s,
        "## Costs against k, n, payment size and m\n\nPer payment, log–log; a scheme without a \
         figure for a workload (the model's reason is in the tables above) has no point there.\n"
    );
    for sweep in [
        Sweep::Vendors,
        Sweep::ChainLen,
        Sweep::Units,
        Sweep::Devices,
    ] {
        let name = format!("cost_vs_{}.svg", sweep.name());
        let _ = writeln!(s, "![Cost against {}]({})\n", sweep.label(), f(&name));
    }
    let _ = writeln!(s, "## Peers\n\n{}", peers_section(r));
    let _ = writeln!(
        s,
        "## Time per payment\n\n{}\n![Vendor time per payment]({})\n\n![Customer time per payment]({})\n",
        timing_section(r),
        f("vendor_time.svg"),
        f("customer_time.svg")
    );
    let _ = writeln!(
        s,
        "## Traversal against n\n\n{}\n![Traversal time]({})\n\n![Traversal storage]({})\n",
        traversal_section(r),
        f("traversal_time.svg"),
        f("traversal_storage.svg")
    );
    let reference = crate::reference::markdown();
    let _ = writeln!(
        s,
        "## The source documents' comparisons\n\n{}\n",
        if reference.trim().is_empty() {
            "_Not yet written: filled by `payword_lab::reference::markdown()`._\n".to_owned()
        } else {
            reference
        }
    );
    let _ = writeln!(s, "## Files\n");
    for w in files {
        let _ = writeln!(s, "- `{}`: {}", link(out, &w.path), w.what);
    }
    s
}

// ---------------------------------------------------------------------------

/// Writes the report to `out/RESULTS.md`, the CSV files and plots to
/// `out/results/`, and returns where each output went.
///
/// # Errors
///
/// [`LabError::Io`], [`LabError::Csv`] or [`LabError::Plot`] if a file
/// cannot be written.
pub fn write(r: &Results, out: &Path, progress: &Progress) -> Result<Vec<Written>, LabError> {
    let dir = out.join("results");
    fs::create_dir_all(&dir).map_err(|e| LabError::io(&dir, e))?;
    let mut files = Vec::new();
    let mut add = |file: Written| {
        progress.done();
        files.push(file);
    };

    progress.start("write CSV");
    add(write_costs_csv(&dir, &r.rows)?);
    add(write_per_payment_csv(&dir, &r.rows)?);
    add(write_timing_csv(&dir, &r.timings)?);
    add(write_traversal_csv(&dir, &r.traversal)?);

    progress.start("plot");
    plot_per_payment(&dir, &r.rows, &r.timings, &r.lms)?
        .into_iter()
        .for_each(&mut add);
    plot_sweeps(&dir, &r.rows)?.into_iter().for_each(&mut add);
    plot_times(&dir, &r.timings)?.into_iter().for_each(&mut add);
    plot_traversal(&dir, &r.traversal)?
        .into_iter()
        .for_each(&mut add);

    progress.start("write RESULTS.md");
    let report = out.join("RESULTS.md");
    files.push(Written {
        what: "the report".to_owned(),
        path: report.clone(),
    });
    let text = markdown(r, out, &files);
    fs::write(&report, text).map_err(|e| LabError::io(&report, e))?;
    progress.done();
    Ok(files)
}
