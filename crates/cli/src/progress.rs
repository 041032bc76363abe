//! Progress of long commands: on a terminal a bar with counts and time left; in logs (text
//! or JSON, or when standard error is not a terminal) a plain line every few seconds.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a log line tells the progress.
const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    what: &'static str,
    bar: Option<indicatif::ProgressBar>,
    last_line: Mutex<Instant>,
    started: Instant,
}

impl Progress {
    /// `bar`: draw a bar (a person at a terminal reading text logs).
    pub fn new(what: &'static str, bar: bool) -> Self {
        let bar = bar.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} ({elapsed}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what);
            bar
        });
        Self {
            what,
            bar,
            last_line: Mutex::new(Instant::now()),
            started: Instant::now(),
        }
    }

    pub fn update(&self, done: u64, total: u64, detail: &str) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(if detail.is_empty() {
                self.what.to_string()
            } else {
                format!("{} · {detail}", self.what)
            });
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() < LINE_EVERY && done < total {
            return;
        }
        *last = Instant::now();
        let elapsed = self.started.elapsed().as_secs_f64();
        let seconds_left = (done > 0 && total >= done)
            .then(|| (elapsed / done as f64 * (total - done) as f64).round() as u64);
        tracing::info!(
            done,
            total,
            percent = (done * 100).checked_div(total).unwrap_or(100),
            seconds_left,
            detail,
            "{}",
            self.what
        );
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
