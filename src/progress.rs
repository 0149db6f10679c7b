//! Progress display for the long stages. Bars draw on stderr only when it is
//! a terminal, so logs and schedulers see nothing of them.

use indicatif::{ProgressBar, ProgressStyle};

/// A counter of rows read, for streaming stages whose total is unknown.
pub fn rows(stage: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix}: {human_pos} rows ({per_sec})")
            .expect("static template"),
    );
    bar.set_prefix(stage.to_string());
    bar
}

/// A bar over a known number of steps (SQL statements, tables).
pub fn steps(stage: &str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix}: [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(stage.to_string());
    bar
}
