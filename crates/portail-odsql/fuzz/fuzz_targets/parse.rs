//! Every clause parser must return Ok or Err on any input, never panic or overflow the stack.
//! Run: `cargo +nightly fuzz run parse` from `crates/portail-odsql` (seed corpus in `fuzz/corpus/parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = portail_odsql::parse_where(text);
        let _ = portail_odsql::parse_select(text);
        let _ = portail_odsql::parse_group_by(text);
        let _ = portail_odsql::parse_order_by(text);
    }
});
