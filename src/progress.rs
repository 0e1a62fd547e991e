//! Progress of a long command: a bar on a terminal; elsewhere (a pipe, a log file, a
//! test) a plain line now and then, so logs stay free of escape codes.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a plain line is written where there is no terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    display: Display,
}

enum Display {
    Bar(ProgressBar),
    Plain {
        what: &'static str,
        total: u64,
        done: u64,
        last_line: Instant,
    },
}

impl Progress {
    /// Progress of `what` ("importing") over `total` items, shown on standard error.
    pub fn start(what: &'static str, total: u64) -> Self {
        let display = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total).with_message(what);
            // The template is fixed, so it cannot fail; a plain bar would do if it did.
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:40}] {human_pos}/{human_len} ({elapsed}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            Display::Bar(bar)
        } else {
            Display::Plain {
                what,
                total,
                done: 0,
                last_line: Instant::now(),
            }
        };
        Self { display }
    }

    pub fn advance(&mut self, count: u64) {
        match &mut self.display {
            Display::Bar(bar) => bar.inc(count),
            Display::Plain {
                what,
                total,
                done,
                last_line,
            } => {
                *done += count;
                if last_line.elapsed() >= PLAIN_EVERY {
                    eprintln!("{what}: {done}/{total}");
                    *last_line = Instant::now();
                }
            }
        }
    }

    /// Clears the bar; the caller prints the outcome.
    pub fn finish(self) {
        if let Display::Bar(bar) = self.display {
            bar.finish_and_clear();
        }
    }
}
