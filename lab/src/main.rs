//! `payword-lab`: the research harness's command line.
//!
//! ```text
//! payword-lab all [--quick] [--out DIR]
//! payword-lab scheme NAME [--quick]
//! payword-lab workload --vendors K --chain-len N --payments P --units U [--devices M]
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use payword::cost::model::Workload;
use payword_lab::app::{self, Command, Options};

/// The payword research harness: every scheme and peer baseline on
/// standard workloads; the cost model against counted runs; time per
/// payment against the peers; traversal against n. `all` writes
/// RESULTS.md, CSV files and SVG plots.
#[derive(Debug, Parser)]
#[command(name = "payword-lab")]
struct Cli {
    /// Small workloads and few timing iterations (well under a minute).
    #[arg(long, global = true)]
    quick: bool,
    /// Where `all` writes RESULTS.md and results/ (default: the workspace's docs/).
    #[arg(long, global = true, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Never show the progress bar.
    #[arg(long, global = true)]
    no_progress: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Everything: every scheme and peer on the standard workloads, the
    /// timings and the traversal runs; writes the report, CSV and plots.
    All,
    /// One scheme or peer over the standard workloads: prints a table.
    Scheme {
        /// plain, purse, tree, grants, domain, reservation, renewal,
        /// symmetric, or a peer: voucher, lms, tape-sha256.
        name: String,
    },
    /// Every scheme and peer on one workload: prints a table.
    Workload {
        /// Vendors k.
        #[arg(long)]
        vendors: u32,
        /// Chain length n.
        #[arg(long)]
        chain_len: u32,
        /// Payments to each vendor.
        #[arg(long)]
        payments: u32,
        /// Units per payment.
        #[arg(long)]
        units: u32,
        /// Devices m of a domain account.
        #[arg(long, default_value_t = 1)]
        devices: u32,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let command = match cli.command {
        Cmd::All => Command::All,
        Cmd::Scheme { name } => Command::Scheme(name),
        Cmd::Workload {
            vendors,
            chain_len,
            payments,
            units,
            devices,
        } => Command::Workload(Workload {
            vendors,
            chain_len,
            payments,
            units,
            devices,
        }),
    };
    let options = Options {
        quick: cli.quick,
        out: cli.out.unwrap_or_else(app::default_out),
        progress: !cli.no_progress,
    };
    match app::execute(command, options) {
        Ok(outcome) => {
            print!("{}", outcome.text);
            if !outcome.files.is_empty() {
                println!("\nOutputs ({:.1} s):", outcome.elapsed.as_secs_f64());
                for w in &outcome.files {
                    println!("  {}  ({})", w.path.display(), w.what);
                }
            } else {
                println!(
                    "\n(printed to stdout in {:.1} s; no files written)",
                    outcome.elapsed.as_secs_f64()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("payword-lab: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
