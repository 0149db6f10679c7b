//! Arbitrary bytes as a `.csv` extract: encoding detection (BOMs, UTF-8,
//! UTF-16, Windows-1252), the blank-line marker, the csv crate with flexible
//! rows and LF-only record ends, title/header rows, header mapping and every
//! row check (dates, flags, code sets, duplicates), then the staged Parquet
//! writer. See docs/fuzzing.md.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: common::init(), |data: &[u8]| {
    common::check(data, "csv");
});
