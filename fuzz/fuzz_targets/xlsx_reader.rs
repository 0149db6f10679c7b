//! Arbitrary bytes as an `.xlsx` extract: calamine's zip and XML parsing,
//! sheet choice, cell-to-text conversion (numbers, date cells, errors), then
//! the same header mapping and row checks as CSV (Excel serial dates
//! included). Random bytes are rarely a zip: the seeds in
//! fuzz/corpus/xlsx_reader/ are. See docs/fuzzing.md.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: common::init(), |data: &[u8]| {
    common::check(data, "xlsx");
});
