//! The progress bar shown while a long run works (on stderr; hidden when
//! stderr is not a terminal, or when asked).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over a known number of steps.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` steps, drawn on stderr when it is a terminal and
    /// `visible` is set.
    #[must_use]
    pub fn new(total: u64, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise:.dim} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar }
    }

    /// A bar that draws nothing.
    #[must_use]
    pub fn hidden() -> Self {
        Self::new(0, false)
    }

    /// Names the step now being worked on.
    pub fn start(&self, what: &str) {
        self.bar.set_message(what.to_owned());
    }

    /// One step done.
    pub fn done(&self) {
        self.bar.inc(1);
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Prints a line above the bar (or plainly when it is hidden).
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}
