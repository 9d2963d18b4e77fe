//! Every colour map heatscope names against matplotlib's own 256-entry
//! table (seaborn's for its maps; tests/fixtures/colormaps/matplotlib.json, written by
//! tests/gen_colormap_fixtures.py from matplotlib): each entry within
//! 1/255 a channel, and `_r` the same table reversed.

use heatscope::figure::Colormap;

#[test]
fn every_named_colour_map_is_matplotlibs_within_one_level() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/colormaps/matplotlib.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tables = fixture["tables"].as_object().unwrap();
    assert!(tables.len() >= 44, "{} tables", tables.len());
    let mut wrong = Vec::new();
    for (name, table) in tables {
        let theirs: Vec<[i32; 3]> = table
            .as_array()
            .unwrap()
            .iter()
            .map(|rgb| {
                let c: Vec<i32> = rgb.as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i32).collect();
                [c[0], c[1], c[2]]
            })
            .collect();
        for (asked, reversed) in [(name.clone(), false), (format!("{name}_r"), true)] {
            let ours = Colormap::by_name(&asked).unwrap_or_else(|e| panic!("{e}"));
            let worst = (0..256)
                .map(|i| {
                    let want = theirs[if reversed { 255 - i } else { i }];
                    let got = ours.lut()[i].0;
                    (0..3).map(|c| (got[c] as i32 - want[c]).abs()).max().unwrap()
                })
                .max()
                .unwrap();
            if worst > 1 {
                wrong.push(format!("{asked}: off by up to {worst}/255"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
