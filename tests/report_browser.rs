//! report.html in a real browser: headless Chromium (Debian's `chromium`,
//! installed by `make test`) renders the sample's report to a screenshot
//! and an A4 PDF; both must be non-empty and the browser must log no error
//! of the page (console messages, failed loads).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use common::repo;

fn chromium() -> PathBuf {
    let found = std::env::var("CME_TEST_CHROMIUM")
        .map(PathBuf::from)
        .ok()
        .or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        });
    found.expect("Chromium is not installed: `make test` installs it (Debian package `chromium`)")
}

/// Runs headless Chromium on `page` with `extra` arguments; returns stderr.
fn browse(page: &Path, profile: &Path, extra: &[String]) -> String {
    let output = Process::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "chromium failed: {stderr}");
    stderr
}

/// Lines where the page itself went wrong: console messages (the report has
/// no scripts, so any is an error), failed resource loads, renderer crashes.
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Failed to load resource")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
                || l.contains("Renderer process crashed")
        })
        .collect()
}

#[test]
fn the_report_renders_in_headless_chromium_to_a_screenshot_and_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    Command::cargo_bin("cme")
        .unwrap()
        .current_dir(repo())
        .env("CME_PSEUDONYM_KEY", "browser-test-pseudonym-key-0000001")
        .env_remove("CME_WAREHOUSE")
        .env_remove("CME_PIPELINE")
        .args([
            "run",
            "--period",
            "2018-06",
            "--input",
            "data/sample/cme-extract-sample.csv",
            "--extract-date",
            "2018-07-02",
            "--warehouse",
            wh.to_str().unwrap(),
        ])
        .assert()
        .success();
    let pointer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(wh.join("runs/2018-06/current.json")).unwrap())
            .unwrap();
    let run = wh
        .join(pointer["manifest"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();

    for page in [
        run.join("report.html"),
        run.join("public/report-public.html"),
    ] {
        let profile = tempfile::tempdir().unwrap();
        let shot = dir.path().join("shot.png");
        let pdf = dir.path().join("report.pdf");
        let stderr = browse(
            &page,
            profile.path(),
            &[
                "--window-size=1400,1000".into(),
                format!("--screenshot={}", shot.display()),
            ],
        );
        assert_eq!(
            page_errors(&stderr),
            Vec::<&str>::new(),
            "{}",
            page.display()
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.len() > 10_000,
            "screenshot of {} is {} bytes",
            page.display(),
            png.len()
        );
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

        let profile = tempfile::tempdir().unwrap();
        let stderr = browse(
            &page,
            profile.path(),
            &[
                "--no-pdf-header-footer".into(),
                format!("--print-to-pdf={}", pdf.display()),
            ],
        );
        assert_eq!(
            page_errors(&stderr),
            Vec::<&str>::new(),
            "{}",
            page.display()
        );
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        assert!(
            bytes.len() > 10_000,
            "PDF of {} is {} bytes",
            page.display(),
            bytes.len()
        );
        // A4 landscape from the page's @page rule: 842 x 595 points.
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("/MediaBox [0 0 841.91998 594.95996]")
                || text.contains("/MediaBox [0 0 842 595]"),
            "the PDF pages are not A4 landscape"
        );
        // Refresh docs/report-screenshot.png when asked (make report-screenshot).
        if std::env::var("CME_UPDATE_SCREENSHOT").is_ok() && page.ends_with("report.html") {
            std::fs::copy(&shot, repo().join("docs/report-screenshot.png")).unwrap();
        }
    }
}
