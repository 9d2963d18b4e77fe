//! The view's script parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = heatscope::view::Script::parse(std::path::Path::new("s.script"), &text);
});
