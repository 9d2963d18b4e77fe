//! Annotation tables (`--row-colors FILE`): read, then made into bars for
//! eight known rows.
#![no_main]

use heatscope::figure::annotation::{BarSource, BarTable};
use heatscope::input::Labels;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    let path = dir.join("obs.tsv");
    std::fs::write(&path, data).expect("the file is written");
    let Ok(table) = BarTable::read(&BarSource { path, columns: Vec::new() }) else { return };
    let labels = Labels::from_strings((0..8).map(|i| format!("r{i}")));
    let order: Vec<usize> = (0..8).rev().collect();
    let _ = table.bars(&labels, &order, "row");
});
