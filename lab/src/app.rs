//! The lab's commands, independent of the command-line parser: `all`,
//! `scheme NAME` and `workload …`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use payword::cost::model::{Scheme, Workload};

use crate::costs::{self, CostRow, Subject, Verdict};
use crate::error::LabError;
use crate::peers::{self, LmsProfile, Peer};
use crate::progress::Progress;
use crate::report::{self, Results, Written};
use crate::timing::{self, Plan};
use crate::traversal::{self, Strategy};
use crate::workloads::{self, Point, Sweep};

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Everything: every scheme and peer on the standard workloads, timing,
    /// traversal; writes the report, CSV files and plots.
    All,
    /// One scheme or peer (by name) over the standard workloads; prints a
    /// table.
    Scheme(String),
    /// Every scheme and peer on one workload; prints a table.
    Workload(Workload),
}

/// How to do it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Small workloads and few timing iterations.
    pub quick: bool,
    /// Where `all` writes (`RESULTS.md` and `results/`).
    pub out: PathBuf,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// The workspace's `docs/` directory, the default output of `all`.
#[must_use]
pub fn default_out() -> PathBuf {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR"));
    lab.parent().unwrap_or(lab).join("docs")
}

/// What a command produced.
#[derive(Debug)]
pub struct Outcome {
    /// Text for stdout (tables, summary).
    pub text: String,
    /// Files written, with what each holds.
    pub files: Vec<Written>,
    /// Wall time.
    pub elapsed: Duration,
}

/// The stack of the worker thread: hbs-lms keeps its keys and signatures
/// in large arrays on the stack.
const STACK: usize = 128 << 20;

/// LMS signatures measured for the peer's profile.
const fn lms_sample(quick: bool) -> usize {
    if quick { 16 } else { 256 }
}

/// Runs `command` on a worker thread with a large stack.
///
/// # Errors
///
/// [`LabError::Usage`] for bad input (an unknown scheme, a workload with a
/// zero); other [`LabError`]s if a measurement or a file fails.
pub fn execute(command: Command, options: Options) -> Result<Outcome, LabError> {
    let worker = std::thread::Builder::new()
        .name("payword-lab".into())
        .stack_size(STACK)
        .spawn(move || execute_here(&command, &options))
        .map_err(|e| LabError::Measure(format!("cannot start the worker thread: {e}")))?;
    worker
        .join()
        .map_err(|_| LabError::Measure("the worker thread panicked".into()))?
}

/// Runs `command` on the calling thread (which needs a large stack when an
/// LMS profile is measured: use [`execute`]).
///
/// # Errors
///
/// As [`execute`].
pub fn execute_here(command: &Command, options: &Options) -> Result<Outcome, LabError> {
    let start = Instant::now();
    match command {
        Command::All => all(options, start),
        Command::Scheme(name) => {
            let subject = Subject::from_name(name).ok_or_else(|| {
                LabError::Usage(format!(
                    "unknown scheme or peer {name:?}; one of: {}",
                    Subject::all()
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let points = workloads::standard(options.quick);
            let progress = Progress::new(points.len() as u64 + 1, options.progress);
            let lms = lms_if(
                matches!(subject, Subject::Peer(Peer::Lms)),
                options.quick,
                &progress,
            )?;
            let rows = rows(&points, &[subject], lms.as_ref(), &progress);
            progress.finish();
            let mut text = format!(
                "{} over the standard workloads{}:\n\n",
                subject.name(),
                if options.quick { " (quick)" } else { "" }
            );
            text.push_str(&report::cost_table(&rows.iter().collect::<Vec<_>>()));
            text.push_str(&details(&rows));
            Ok(Outcome {
                text,
                files: Vec::new(),
                elapsed: start.elapsed(),
            })
        }
        Command::Workload(w) => {
            workloads::check(w)?;
            workloads::check_size(w)?;
            let point = Point {
                sweep: Sweep::Custom,
                workload: *w,
            };
            let subjects = Subject::all();
            let progress = Progress::new(subjects.len() as u64 + 1, options.progress);
            let lms = lms_if(true, options.quick, &progress)?;
            let rows = rows(&[point], &subjects, lms.as_ref(), &progress);
            progress.finish();
            let mut text = format!("every scheme and peer on {}:\n\n", workloads::describe(w));
            text.push_str(&report::cost_table(&rows.iter().collect::<Vec<_>>()));
            text.push('\n');
            text.push_str(&report::full_table(&rows.iter().collect::<Vec<_>>()));
            text.push_str(&details(&rows));
            Ok(Outcome {
                text,
                files: Vec::new(),
                elapsed: start.elapsed(),
            })
        }
    }
}

fn lms_if(needed: bool, quick: bool, progress: &Progress) -> Result<Option<LmsProfile>, LabError> {
    if !needed {
        progress.done();
        return Ok(None);
    }
    progress.start("LMS peer: key generation and sample signatures (hbs-lms)");
    let p = peers::lms_profile(lms_sample(quick))?;
    progress.done();
    Ok(Some(p))
}

fn rows(
    points: &[Point],
    subjects: &[Subject],
    lms: Option<&LmsProfile>,
    progress: &Progress,
) -> Vec<CostRow> {
    let mut out = Vec::with_capacity(points.len() * subjects.len());
    for p in points {
        for s in subjects {
            progress.start(&format!("{s} on {}", p.describe()));
            out.push(costs::row(*p, *s, lms));
            progress.done();
        }
    }
    out
}

/// The differences and failures of `rows`, one line each.
fn details(rows: &[CostRow]) -> String {
    let mut s = String::new();
    for r in rows {
        let v = r.verdict();
        if matches!(v, Verdict::No(_) | Verdict::RunFailed(_)) {
            let _ = writeln!(
                s,
                "- {} on {}: {}",
                r.subject,
                r.point.describe(),
                v.detail().unwrap_or(v.short())
            );
        }
    }
    if s.is_empty() {
        s
    } else {
        format!("\nDifferences and failures:\n\n{s}")
    }
}

fn all(options: &Options, start: Instant) -> Result<Outcome, LabError> {
    let quick = options.quick;
    let points = workloads::standard(quick);
    let subjects = Subject::all();
    let lengths = workloads::traversal_lengths(quick);
    let total = (points.len() * subjects.len()) as u64
        + 1
        + timing::OPERATIONS
        + (lengths.len() * Strategy::ALL.len()) as u64
        + report::FILES;
    let progress = Progress::new(total, options.progress);

    let lms =
        lms_if(true, quick, &progress)?.ok_or_else(|| LabError::Peer("no LMS profile".into()))?;
    let rows = rows(&points, &subjects, Some(&lms), &progress);
    let timings = timing::run(&Plan::new(quick), &lms, &progress)?;
    let mut trav = Vec::new();
    for &n in &lengths {
        for s in Strategy::ALL {
            progress.start(&format!("traversal: {} at n = {n}", s.name()));
            let reps = if quick { 2 } else { traversal::reps_for(n) };
            trav.push(traversal::measure(s, n, reps)?);
            progress.done();
        }
    }
    let results = Results {
        quick,
        rows,
        lms,
        timings,
        traversal: trav,
        elapsed: start.elapsed(),
    };
    let files = report::write(&results, &options.out, &progress)?;
    progress.finish();

    let mut text = String::new();
    let schemes: Vec<&CostRow> = results
        .rows
        .iter()
        .filter(|r| matches!(r.subject, Subject::Scheme(_)))
        .collect();
    let equal = schemes
        .iter()
        .filter(|r| matches!(r.verdict(), Verdict::Yes | Verdict::BothRefuse(_)))
        .count();
    let _ = writeln!(
        text,
        "payword-lab all{}: {} workloads × {} schemes and {} peers, {} timed operations, {} traversal runs.",
        if quick { " --quick" } else { "" },
        points.len(),
        Scheme::ALL.len(),
        Peer::ALL.len(),
        results.timings.len(),
        results.traversal.len()
    );
    let _ = writeln!(
        text,
        "run = model: {equal} of {} scheme × workload pairs.",
        schemes.len()
    );
    text.push_str(&details(&results.rows));
    Ok(Outcome {
        text,
        files,
        elapsed: start.elapsed(),
    })
}
