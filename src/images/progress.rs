//! Terminal progress for long image operations (spinners, one bar per pulled layer).

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Draws progress on the terminal, or nowhere (tests, non-interactive use).
#[derive(Clone)]
pub struct Progress {
    bars: MultiProgress,
    visible: bool,
}

impl Progress {
    /// Progress drawn on stderr (indicatif hides it by itself when stderr is no terminal).
    pub fn terminal() -> Self {
        Progress {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            visible: true,
        }
    }

    /// Progress that draws nothing; announcements still go to the `tracing` log.
    pub fn hidden() -> Self {
        Progress {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            visible: false,
        }
    }

    /// Tells the person at the terminal something they should notice (and logs it).
    pub fn announce(&self, message: &str) {
        tracing::info!("{message}");
        if self.visible && self.bars.println(message).is_err() {
            tracing::debug!("terminal unavailable for progress output");
        }
    }

    /// Runs `print` with the bars cleared, so a line written to the same terminal does
    /// not tear them.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bars.suspend(print)
    }

    pub fn spinner(&self, message: impl Into<String>) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner:.green} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A spinner counting bytes of a stream of unknown length (a database dump).
    pub fn bytes_spinner(&self, message: impl Into<String>) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner:.green} {elapsed:>4} {msg} {bytes} ({binary_bytes_per_sec})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    pub fn bytes_bar(&self, prefix: impl Into<String>) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>14} {bar:30.cyan/blue} {bytes:>10}/{total_bytes:<10} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(prefix.into());
        bar
    }
}
