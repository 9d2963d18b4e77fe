//! Colour maps and colour scales against matplotlib and seaborn.
//!
//! Every colour map heatscope names against matplotlib's own 256-entry
//! table (seaborn's for its maps; tests/fixtures/colormaps/matplotlib.json,
//! written by tests/gen_colormap_fixtures.py): each entry within 1/255 a
//! channel, and `_r` the same table reversed.
//!
//! The colour scale (`vmin`, `vmax`, `center`, `robust`) against what
//! seaborn's heatmap draws for the same data and options
//! (tests/fixtures/colormaps/seaborn_scale.json, written by
//! tests/gen_color_scale_fixtures.py): the colour bar's limits and colours,
//! and every cell's colour.

use heatscope::figure::{Colormap, ScaleRequest};
use heatscope::input::Matrix;
use heatscope::pyramid::build_or_open;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/colormaps/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A list of [r, g, b] entries, 0-255.
fn colours(list: &Value) -> Vec<[i32; 3]> {
    list.as_array().unwrap().iter().map(|rgb| colour(rgb).expect("a colour")).collect()
}

fn colour(rgb: &Value) -> Option<[i32; 3]> {
    let c: Vec<i32> = rgb.as_array()?.iter().map(|v| v.as_i64().unwrap() as i32).collect();
    Some([c[0], c[1], c[2]])
}

/// The largest difference in any channel.
fn off_by(ours: [u8; 4], theirs: [i32; 3]) -> i32 {
    (0..3).map(|c| (ours[c] as i32 - theirs[c]).abs()).max().unwrap()
}

#[test]
fn every_named_colour_map_is_matplotlibs_within_one_level() {
    let fixture = fixture("matplotlib.json");
    let tables = fixture["tables"].as_object().unwrap();
    assert!(tables.len() >= 44, "{} tables", tables.len());
    let mut wrong = Vec::new();
    for (name, table) in tables {
        let theirs = colours(table);
        for (asked, reversed) in [(name.clone(), false), (format!("{name}_r"), true)] {
            let ours = Colormap::by_name(&asked).unwrap_or_else(|e| panic!("{e}"));
            let worst =
                (0..256).map(|i| off_by(ours.lut()[i].0, theirs[if reversed { 255 - i } else { i }])).max().unwrap();
            if worst > 1 {
                wrong.push(format!("{asked}: off by up to {worst}/255"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn colour_scales_give_every_cell_seaborns_colour() {
    let fixture = fixture("seaborn_scale.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    let mut wrong = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (rows, cols) = (case["rows"].as_u64().unwrap() as usize, case["cols"].as_u64().unwrap() as usize);
        let data: Vec<f32> =
            case["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap_or(f64::NAN) as f32).collect();
        let dir = tempfile::tempdir().unwrap();
        let identity = |n: usize| (0..n as u32).collect::<Vec<_>>();
        let (pyramid, _) =
            build_or_open(&Matrix::from_vec(rows, cols, data.clone()), &identity(rows), &identity(cols), dir.path())
                .unwrap();
        let options = &case["heatscope"];
        let number = |key: &str| options[key].as_f64().map(|v| v as f32);
        let request = ScaleRequest {
            vmin: number("vmin"),
            vmax: number("vmax"),
            center: number("center"),
            robust: options["robust"].as_bool().unwrap(),
        };
        let colormap = options["cmap"].as_str().map(|n| Colormap::by_name(n).unwrap());
        let (colormap, norm) = request.resolve(pyramid.stats(), colormap).unwrap();

        let (vmin, vmax) = (case["vmin"].as_f64().unwrap(), case["vmax"].as_f64().unwrap());
        let close = |ours: f32, theirs: f64| (f64::from(ours) - theirs).abs() <= 1e-6 * theirs.abs().max(1.0);
        if !close(norm.vmin, vmin) || !close(norm.vmax, vmax) {
            wrong.push(format!("{name}: limits {}..{}, seaborn's {vmin}..{vmax}", norm.vmin, norm.vmax));
        }
        let bar = colours(&case["colorbar"]);
        let worst = (0..256).map(|i| off_by(colormap.lut()[i].0, bar[i])).max().unwrap();
        if worst > 1 {
            wrong.push(format!("{name}: colour bar off by up to {worst}/255"));
        }
        for (i, (&v, theirs)) in data.iter().zip(case["cells"].as_array().unwrap()).enumerate() {
            let Some(theirs) = colour(theirs) else { continue };
            let ours = colormap.at(norm.normalise(v)).0;
            if off_by(ours, theirs) > 1 {
                wrong.push(format!("{name}: cell {i} ({v}) is {ours:?}, seaborn's {theirs:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
