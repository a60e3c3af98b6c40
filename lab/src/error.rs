//! The lab's one error type.

use std::fmt;
use std::path::PathBuf;

/// Why a lab command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LabError {
    /// Bad command-line input (an unknown scheme, a workload with a zero);
    /// the binary exits with code 2.
    Usage(String),
    /// A file or directory could not be written.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A CSV file could not be written.
    Csv(String),
    /// A plot could not be drawn.
    Plot(String),
    /// A peer baseline refused a step (a key, a signature, a verification).
    Peer(String),
    /// A payword measurement refused a step (a chain, a session).
    Measure(String),
}

impl LabError {
    /// The process exit code for this error: 2 for bad input, 1 otherwise.
    #[must_use]
    pub const fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn measure(what: &str, e: impl fmt::Display) -> Self {
        Self::Measure(format!("{what}: {e}"))
    }

    pub(crate) fn peer(what: &str, e: impl fmt::Display) -> Self {
        Self::Peer(format!("{what}: {e}"))
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "bad input: {m}"),
            Self::Io { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Csv(m) => write!(f, "CSV: {m}"),
            Self::Plot(m) => write!(f, "plot: {m}"),
            Self::Peer(m) => write!(f, "peer baseline: {m}"),
            Self::Measure(m) => write!(f, "measurement: {m}"),
        }
    }
}

impl std::error::Error for LabError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
