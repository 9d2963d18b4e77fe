//! Colour maps (256-entry lookup tables, as matplotlib samples them),
//! qualitative palettes for categories, and the colour scale: the norm that
//! maps values to the [0, 1] range of a colour map, chosen by seaborn's rule
//! (see [`ScaleRequest::resolve`]).

use std::fmt;

use crate::quote::quote;

use super::listed::{ANCHORED, LISTED};

/// An 8-bit RGBA colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    pub const BLACK: Rgba = Rgba([0, 0, 0, 255]);
    pub const WHITE: Rgba = Rgba([255, 255, 255, 255]);
    /// The default colour of missing values: light grey.
    pub const LIGHT_GREY: Rgba = Rgba([211, 211, 211, 255]);

    /// Parses a CSS colour: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, a CSS
    /// name (`steelblue`, `lightgrey`), `rgb(…)`, `hsl(…)`; and `none`
    /// (transparent). Hex digits need their `#`, so that numbers are never
    /// taken for colours.
    pub fn parse(text: &str) -> Option<Rgba> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Some(Rgba([0, 0, 0, 0]));
        }
        if text.is_empty() || text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        csscolorparser::parse(text).ok().map(|c| Rgba(c.to_rgba8()))
    }

    /// The colour moved `amount` (0–1) of the way to white.
    pub fn lighten(self, amount: f32) -> Rgba {
        let [r, g, b, a] = self.0;
        let mix = |c: u8| (c as f32 + (255.0 - c as f32) * amount).round() as u8;
        Rgba([mix(r), mix(g), mix(b), a])
    }

    /// `#rrggbb` (alpha left out).
    pub fn hex(self) -> String {
        let [r, g, b, _] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

impl From<colorous::Color> for Rgba {
    fn from(c: colorous::Color) -> Self {
        Rgba([c.r, c.g, c.b, 255])
    }
}

/// Entries in a colour map's lookup table (matplotlib's default `N`).
pub const LUT_SIZE: usize = 256;

/// The continuous colour maps, by their matplotlib names.
const GRADIENTS: &[(&str, colorous::Gradient)] = &[
    ("viridis", colorous::VIRIDIS),
    ("inferno", colorous::INFERNO),
    ("magma", colorous::MAGMA),
    ("plasma", colorous::PLASMA),
    ("cubehelix", colorous::CUBEHELIX),
];

/// ColorBrewer's schemes (Cynthia A. Brewer, Apache License 2.0) as
/// matplotlib builds its maps of the same names: these colours at equal
/// steps, linearly interpolated.
const BREWER: &[(&str, &[u32])] = &[
    (
        "RdBu",
        &[0x67001f, 0xb2182b, 0xd6604d, 0xf4a582, 0xfddbc7, 0xf7f7f7, 0xd1e5f0, 0x92c5de, 0x4393c3, 0x2166ac, 0x053061],
    ),
    (
        "RdYlBu",
        &[0xa50026, 0xd73027, 0xf46d43, 0xfdae61, 0xfee090, 0xffffbf, 0xe0f3f8, 0xabd9e9, 0x74add1, 0x4575b4, 0x313695],
    ),
    (
        "RdYlGn",
        &[0xa50026, 0xd73027, 0xf46d43, 0xfdae61, 0xfee08b, 0xffffbf, 0xd9ef8b, 0xa6d96a, 0x66bd63, 0x1a9850, 0x006837],
    ),
    (
        "RdGy",
        &[0x67001f, 0xb2182b, 0xd6604d, 0xf4a582, 0xfddbc7, 0xffffff, 0xe0e0e0, 0xbababa, 0x878787, 0x4d4d4d, 0x1a1a1a],
    ),
    (
        "PuOr",
        &[0x7f3b08, 0xb35806, 0xe08214, 0xfdb863, 0xfee0b6, 0xf7f7f7, 0xd8daeb, 0xb2abd2, 0x8073ac, 0x542788, 0x2d004b],
    ),
    (
        "PiYG",
        &[0x8e0152, 0xc51b7d, 0xde77ae, 0xf1b6da, 0xfde0ef, 0xf7f7f7, 0xe6f5d0, 0xb8e186, 0x7fbc41, 0x4d9221, 0x276419],
    ),
    (
        "PRGn",
        &[0x40004b, 0x762a83, 0x9970ab, 0xc2a5cf, 0xe7d4e8, 0xf7f7f7, 0xd9f0d3, 0xa6dba0, 0x5aae61, 0x1b7837, 0x00441b],
    ),
    (
        "BrBG",
        &[0x543005, 0x8c510a, 0xbf812d, 0xdfc27d, 0xf6e8c3, 0xf5f5f5, 0xc7eae5, 0x80cdc1, 0x35978f, 0x01665e, 0x003c30],
    ),
    (
        "Spectral",
        &[0x9e0142, 0xd53e4f, 0xf46d43, 0xfdae61, 0xfee08b, 0xffffbf, 0xe6f598, 0xabdda4, 0x66c2a5, 0x3288bd, 0x5e4fa2],
    ),
    ("Blues", &[0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b]),
    ("Greens", &[0xf7fcf5, 0xe5f5e0, 0xc7e9c0, 0xa1d99b, 0x74c476, 0x41ab5d, 0x238b45, 0x006d2c, 0x00441b]),
    ("Greys", &[0xffffff, 0xf0f0f0, 0xd9d9d9, 0xbdbdbd, 0x969696, 0x737373, 0x525252, 0x252525, 0x000000]),
    ("Oranges", &[0xfff5eb, 0xfee6ce, 0xfdd0a2, 0xfdae6b, 0xfd8d3c, 0xf16913, 0xd94801, 0xa63603, 0x7f2704]),
    ("Purples", &[0xfcfbfd, 0xefedf5, 0xdadaeb, 0xbcbddc, 0x9e9ac8, 0x807dba, 0x6a51a3, 0x54278f, 0x3f007d]),
    ("Reds", &[0xfff5f0, 0xfee0d2, 0xfcbba1, 0xfc9272, 0xfb6a4a, 0xef3b2c, 0xcb181d, 0xa50f15, 0x67000d]),
    ("YlOrRd", &[0xffffcc, 0xffeda0, 0xfed976, 0xfeb24c, 0xfd8d3c, 0xfc4e2a, 0xe31a1c, 0xbd0026, 0x800026]),
    ("YlOrBr", &[0xffffe5, 0xfff7bc, 0xfee391, 0xfec44f, 0xfe9929, 0xec7014, 0xcc4c02, 0x993404, 0x662506]),
    ("YlGnBu", &[0xffffd9, 0xedf8b1, 0xc7e9b4, 0x7fcdbb, 0x41b6c4, 0x1d91c0, 0x225ea8, 0x253494, 0x081d58]),
    ("YlGn", &[0xffffe5, 0xf7fcb9, 0xd9f0a3, 0xaddd8e, 0x78c679, 0x41ab5d, 0x238443, 0x006837, 0x004529]),
    ("OrRd", &[0xfff7ec, 0xfee8c8, 0xfdd49e, 0xfdbb84, 0xfc8d59, 0xef6548, 0xd7301f, 0xb30000, 0x7f0000]),
    ("PuBu", &[0xfff7fb, 0xece7f2, 0xd0d1e6, 0xa6bddb, 0x74a9cf, 0x3690c0, 0x0570b0, 0x045a8d, 0x023858]),
    ("BuGn", &[0xf7fcfd, 0xe5f5f9, 0xccece6, 0x99d8c9, 0x66c2a4, 0x41ae76, 0x238b45, 0x006d2c, 0x00441b]),
    ("BuPu", &[0xf7fcfd, 0xe0ecf4, 0xbfd3e6, 0x9ebcda, 0x8c96c6, 0x8c6bb1, 0x88419d, 0x810f7c, 0x4d004b]),
    ("GnBu", &[0xf7fcf0, 0xe0f3db, 0xccebc5, 0xa8ddb5, 0x7bccc4, 0x4eb3d3, 0x2b8cbe, 0x0868ac, 0x084081]),
    ("PuRd", &[0xf7f4f9, 0xe7e1ef, 0xd4b9da, 0xc994c7, 0xdf65b0, 0xe7298a, 0xce1256, 0x980043, 0x67001f]),
    ("RdPu", &[0xfff7f3, 0xfde0dd, 0xfcc5c0, 0xfa9fb5, 0xf768a1, 0xdd3497, 0xae017e, 0x7a0177, 0x49006a]),
];

/// The qualitative palettes, by their matplotlib/ColorBrewer names.
const PALETTES: &[(&str, &[colorous::Color])] = &[
    ("tab10", &colorous::CATEGORY10),
    ("Tableau10", &colorous::TABLEAU10),
    ("Set1", &colorous::SET1),
    ("Set2", &colorous::SET2),
    ("Set3", &colorous::SET3),
    ("Dark2", &colorous::DARK2),
    ("Paired", &colorous::PAIRED),
    ("Pastel1", &colorous::PASTEL1),
    ("Pastel2", &colorous::PASTEL2),
    ("Accent", &colorous::ACCENT),
];

/// A colour map name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{}'; choose one of: {choices}", quote(name))]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
    pub choices: String,
}

/// A continuous colour map: a 256-entry lookup table whose entry `i` is the
/// gradient at `i / 255`, as matplotlib samples its colour maps.
#[derive(Clone, PartialEq, Eq)]
pub struct Colormap {
    name: String,
    lut: Vec<Rgba>,
}

impl fmt::Debug for Colormap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Colormap({})", self.name)
    }
}

impl Colormap {
    /// The colour map called `name` (matplotlib's or seaborn's name, in
    /// any case); a `_r` suffix reverses it. Two colours or more, comma
    /// separated (`#rrggbb`, CSS names), make a map through them at equal
    /// steps, as matplotlib's `LinearSegmentedColormap.from_list`: 256 of
    /// them are the table itself.
    pub fn by_name(name: &str) -> Result<Colormap, UnknownName> {
        if name.contains(',') {
            return Ok(Colormap { name: name.to_owned(), lut: through(name)? });
        }
        let (base, reversed) = match name.strip_suffix("_r") {
            Some(base) => (base, true),
            None => (name, false),
        };
        let Some(mut lut) = table(base) else {
            let mut names = GRADIENTS.iter().map(|(n, _)| *n).collect::<Vec<_>>();
            names.extend(LISTED.iter().map(|(n, _)| *n));
            names.extend(BREWER.iter().chain(ANCHORED).map(|(n, _)| *n));
            return Err(UnknownName {
                kind: "colour map",
                name: name.to_owned(),
                choices: format!("{} (add _r to reverse)", names.join(", ")),
            });
        };
        if reversed {
            lut.reverse();
        }
        Ok(Colormap { name: name.to_owned(), lut })
    }

    /// The map re-sampled as seaborn re-centres it for `center` on a scale
    /// from `vmin` to `vmax`: the part of the map that `center ± r` would
    /// span, where `r` is the larger of `vmax − center` and `center − vmin`,
    /// taken at 256 equal steps from the colour of `vmin` to that of `vmax`.
    /// `center` then gets the map's middle colour while `vmin` and `vmax`
    /// stay the ends of the scale (the side nearer the centre uses only part
    /// of its half of the map).
    pub fn recentred(&self, vmin: f32, vmax: f32, center: f32) -> Colormap {
        let (vmin, vmax, center) = (f64::from(vmin), f64::from(vmax), f64::from(center));
        let reach = (vmax - center).max(center - vmin);
        if reach.is_nan() || reach <= 0.0 {
            return self.clone(); // one value throughout: nothing to re-centre
        }
        let position = |v: f64| (v - (center - reach)) / (2.0 * reach);
        let (from, to) = (position(vmin), position(vmax));
        let lut = (0..LUT_SIZE)
            .map(|i| {
                // numpy's linspace, then matplotlib's lookup: entry ⌊x · 256⌋, x = 1 on the last.
                let x = from + (to - from) * i as f64 / (LUT_SIZE - 1) as f64;
                self.lut[((x * LUT_SIZE as f64).floor().max(0.0) as usize).min(LUT_SIZE - 1)]
            })
            .collect();
        Colormap { name: self.name.clone(), lut }
    }

    /// The name it was asked for by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lookup table.
    pub fn lut(&self) -> &[Rgba] {
        &self.lut
    }

    /// The colour for `t` in [0, 1] (clamped), as matplotlib picks it:
    /// entry `⌊t · 256⌋`, with `t = 1` on the last entry.
    pub fn at(&self, t: f32) -> Rgba {
        self.lut[lut_index(t)]
    }
}

/// The 256-entry table of the map called `base` (in any case), built as
/// matplotlib builds it.
fn table(base: &str) -> Option<Vec<Rgba>> {
    let named = |name: &str| name.eq_ignore_ascii_case(base);
    if let Some((_, table)) = LISTED.iter().find(|(n, _)| named(n)) {
        return Some(table.iter().map(|&c| rgb(c)).collect());
    }
    if let Some((_, colours)) = BREWER.iter().chain(ANCHORED).find(|(n, _)| named(n)) {
        return Some((0..LUT_SIZE).map(|i| between(colours, i as f64 / (LUT_SIZE - 1) as f64)).collect());
    }
    let (_, gradient) = GRADIENTS.iter().find(|(n, _)| named(n))?;
    Some((0..LUT_SIZE).map(|i| gradient.eval_rational(i, LUT_SIZE).into()).collect())
}

/// The table of a map through the comma-separated colours of `list`.
fn through(list: &str) -> Result<Vec<Rgba>, UnknownName> {
    let colours = list
        .split(',')
        .map(|c| {
            Rgba::parse(c).ok_or_else(|| UnknownName {
                kind: "colour",
                name: c.trim().to_owned(),
                choices: "#rrggbb, #rgb or a CSS name, two or more separated by commas".to_owned(),
            })
        })
        .collect::<Result<Vec<Rgba>, _>>()?;
    let last = colours.len() - 1;
    Ok((0..LUT_SIZE)
        .map(|i| {
            let at = i as f64 / (LUT_SIZE - 1) as f64 * last as f64;
            let k = (at.floor() as usize).min(last.saturating_sub(1));
            let (from, to) = (colours[k].0, colours[(k + 1).min(last)].0);
            let f = at - k as f64;
            Rgba(std::array::from_fn(|c| (f64::from(from[c]) * (1.0 - f) + f64::from(to[c]) * f).round() as u8))
        })
        .collect())
}

/// `0xrrggbb` as an opaque colour.
fn rgb(c: u32) -> Rgba {
    Rgba([(c >> 16) as u8, (c >> 8) as u8, c as u8, 255])
}

/// The colour at `x` in [0, 1] along `colours` placed at equal steps,
/// linearly interpolated channel by channel (matplotlib's
/// `LinearSegmentedColormap.from_list`).
fn between(colours: &[u32], x: f64) -> Rgba {
    let channels = |c: u32| [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff].map(f64::from);
    let at = x.clamp(0.0, 1.0) * (colours.len() - 1) as f64;
    let k = (at.floor() as usize).min(colours.len() - 2);
    let (from, to, f) = (channels(colours[k]), channels(colours[k + 1]), at - k as f64);
    let [r, g, b] = [0, 1, 2].map(|c| (from[c] + (to[c] - from[c]) * f).round() as u8);
    Rgba([r, g, b, 255])
}

/// The lookup-table entry for `t` (keep in sync with `lut_index` in
/// shaders/colormap.wgsl).
pub fn lut_index(t: f32) -> usize {
    let scaled = (t * LUT_SIZE as f32).floor();
    if scaled.is_nan() { 0 } else { scaled.clamp(0.0, (LUT_SIZE - 1) as f32) as usize }
}

/// A qualitative palette for categories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Palette {
    colors: Vec<Rgba>,
    /// The colours were given with the data (a bar of colours), not chosen.
    given: bool,
}

impl Palette {
    /// The palette called `name`.
    pub fn by_name(name: &str) -> Result<Palette, UnknownName> {
        match PALETTES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, colors)) => Ok(Palette { colors: colors.iter().map(|&c| c.into()).collect(), given: false }),
            None => Err(UnknownName {
                kind: "palette",
                name: name.to_owned(),
                choices: PALETTES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// A palette for `n` categories: tab10 up to 10; beyond, as many more
    /// as needed, each the colour farthest from all before it
    /// ([`farthest_colors`]), so that no two categories share a colour or
    /// look alike (up to 1,900 of them, ever closer).
    pub fn for_categories(n: usize) -> Palette {
        let mut colors: Vec<Rgba> = colorous::CATEGORY10.iter().map(|&c| c.into()).collect();
        if n > colors.len() {
            let more = farthest_colors(&colors, n - colors.len());
            colors.extend(more);
        }
        Palette { colors, given: false }
    }

    /// A palette for `n` categories whose colours are all far from
    /// `taken` ([`farthest_colors`]), for a bar beside others.
    pub fn for_categories_apart(n: usize, taken: &[Rgba]) -> Palette {
        let colors = farthest_colors(taken, n);
        if colors.is_empty() { Palette::for_categories(n) } else { Palette { colors, given: false } }
    }

    /// The colours given with the data, category by category (a bar of
    /// colours, as seaborn's `row_colors`); kept whatever bars are beside it.
    ///
    /// # Panics
    /// If there are no colours.
    pub fn given(colors: Vec<Rgba>) -> Palette {
        assert!(!colors.is_empty(), "a palette needs a colour");
        Palette { colors, given: true }
    }

    /// Whether the colours came with the data.
    pub fn is_given(&self) -> bool {
        self.given
    }

    /// The `index`-th palette (cycling through tab10, Set2, Dark2, Set1,
    /// Pastel1, Set3, Paired) among those with at least `n` colours, so
    /// neighbouring annotation bars do not share colours; a long palette
    /// when `n` exceeds them all.
    pub fn nth(index: usize, n: usize) -> Palette {
        const ORDER: [&str; 7] = ["tab10", "Set2", "Dark2", "Set1", "Pastel1", "Set3", "Paired"];
        let fitting: Vec<Palette> =
            ORDER.iter().map(|name| Palette::by_name(name).expect("built in")).filter(|p| p.len() >= n).collect();
        if fitting.is_empty() { Palette::for_categories(n) } else { fitting[index % fitting.len()].clone() }
    }

    /// The colour of category `i` (cycling when there are more categories
    /// than colours).
    pub fn color(&self, i: usize) -> Rgba {
        self.colors[i % self.colors.len()]
    }

    /// How many distinct colours it has.
    pub fn len(&self) -> usize {
        self.colors.len()
    }

    /// Never true: every palette has colours.
    pub fn is_empty(&self) -> bool {
        self.colors.is_empty()
    }
}

/// Up to `count` colours, each in turn the one of a grid of sRGB colours
/// (13 levels a channel) farthest in OKLab, a perceptually even space,
/// from `taken`, from white and black (the figure's background and ink)
/// and from those chosen before it. Colours too dark or too light to
/// tell from ink or paper are left out of the grid; fewer than `count`
/// come back once the grid is used up.
fn farthest_colors(taken: &[Rgba], count: usize) -> Vec<Rgba> {
    const LEVELS: u32 = 13;
    let level = |i: u32| (i * 255 / (LEVELS - 1)) as u8;
    let mut grid: Vec<(Rgba, [f32; 3])> = (0..LEVELS.pow(3))
        .map(|i| Rgba([level(i / (LEVELS * LEVELS)), level(i / LEVELS % LEVELS), level(i % LEVELS), 255]))
        .map(|c| (c, oklab(c)))
        .filter(|(_, lab)| (0.40..=0.92).contains(&lab[0]))
        .collect();
    let distance = |p: &[f32; 3], q: &[f32; 3]| (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>();
    let anchors: Vec<[f32; 3]> = taken.iter().chain(&[Rgba::WHITE, Rgba::BLACK]).map(|&c| oklab(c)).collect();
    let mut nearest: Vec<f32> =
        grid.iter().map(|(_, lab)| anchors.iter().map(|a| distance(lab, a)).fold(f32::INFINITY, f32::min)).collect();
    let mut chosen = Vec::with_capacity(count.min(grid.len()));
    while chosen.len() < count {
        // Ties go to the first in the grid, so the palette is the same every time.
        let Some((best, &gap)) = nearest.iter().enumerate().reduce(|a, b| if b.1 > a.1 { b } else { a }) else { break };
        if gap <= 0.0 {
            break;
        }
        let (color, lab) = grid.swap_remove(best);
        nearest.swap_remove(best);
        for ((_, other), near) in grid.iter().zip(&mut nearest) {
            *near = near.min(distance(other, &lab));
        }
        chosen.push(color);
    }
    chosen
}

/// The OKLab coordinates (L, a, b) of an sRGB colour.
fn oklab(color: Rgba) -> [f32; 3] {
    let linear = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let [r, g, b] = [linear(color.0[0]), linear(color.0[1]), linear(color.0[2])];
    let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
    let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
    let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
    [
        0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
        1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
        0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
    ]
}

/// How values become positions on a colour map: linear from `vmin` (0) to
/// `vmax` (1), clamped. `center` is the value a re-centred map gives its
/// middle colour (the middle of the range when none was asked for); the
/// extremes of an aggregated cell are judged by their distance from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Norm {
    pub vmin: f32,
    pub vmax: f32,
    pub center: f32,
}

impl Norm {
    /// A norm from `vmin` to `vmax`, centred between them. A zero-width range
    /// is widened so every value maps to the middle.
    pub fn new(vmin: f32, vmax: f32) -> Norm {
        let (vmin, vmax) = if vmax > vmin { (vmin, vmax) } else { (vmin - 0.5, vmin + 0.5) };
        Norm { vmin, vmax, center: vmin + (vmax - vmin) / 2.0 }
    }

    /// A norm from `vmin` to `vmax` (widened as [`Norm::new`] widens) with
    /// `center` as its centre; the colour map is re-centred separately
    /// ([`Colormap::recentred`]).
    pub fn with_center(vmin: f32, vmax: f32, center: f32) -> Norm {
        Norm { center, ..Norm::new(vmin, vmax) }
    }

    /// The scale factor `1 / (vmax − vmin)` the shader multiplies by.
    pub fn inv_range(&self) -> f32 {
        1.0 / (self.vmax - self.vmin)
    }

    /// Position of `v` on the colour map (not clamped; keep in sync with
    /// `normalise` in shaders/colormap.wgsl).
    pub fn normalise(&self, v: f32) -> f32 {
        (v - self.vmin) * self.inv_range()
    }

    /// Of a cell's minimum and maximum, the one farther from the centre
    /// (the maximum on a tie); NaN only when both are.
    pub fn extreme(&self, min: f32, max: f32) -> f32 {
        if min.is_nan() {
            return max;
        }
        if max.is_nan() {
            return min;
        }
        if (self.center - min) > (max - self.center) { min } else { max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_given_as_a_list_make_a_map_through_them() {
        // Black to white: entry i is grey i.
        let grey = Colormap::by_name("#000000,white").unwrap();
        assert!(grey.lut().iter().enumerate().all(|(i, c)| c.0 == [i as u8, i as u8, i as u8, 255]));
        // Red to blue: entry 128 lies 128/255 of the way, (127, 0, 128) by hand.
        let purple = Colormap::by_name("#ff0000, #0000ff").unwrap();
        assert_eq!(purple.at(128.0 / 256.0).0, [127, 0, 128, 255]);
        // Three colours: the middle one at the middle of the table.
        let three = Colormap::by_name("red,lime,blue").unwrap();
        assert_eq!((three.lut()[0].0, three.lut()[255].0), ([255, 0, 0, 255], [0, 0, 255, 255]));
        assert_eq!(three.lut()[127].0, [1, 254, 0, 255]); // 127/255·2 = 0.996 of red → lime
        let bad = Colormap::by_name("red,nocolour").unwrap_err();
        assert_eq!(bad.name, "nocolour");
    }

    #[test]
    fn oklab_matches_the_published_values() {
        // Björn Ottosson's OKLab of sRGB white and red.
        for (color, want) in
            [(Rgba::WHITE, [1.0, 0.0, 0.0]), (Rgba([255, 0, 0, 255]), [0.627_955, 0.224_863, 0.125_846])]
        {
            let lab = oklab(color);
            assert!((0..3).all(|k| (lab[k] - want[k]).abs() < 1e-4), "{color:?}: {lab:?}");
        }
    }

    #[test]
    fn categories_beyond_ten_never_share_a_colour_or_look_alike() {
        let hex = |c: Rgba| format!("#{:02x}{:02x}{:02x}", c.0[0], c.0[1], c.0[2]);
        // matplotlib's tab10 first.
        let palette = Palette::for_categories(150);
        assert_eq!((hex(palette.color(0)), hex(palette.color(9))), ("#1f77b4".into(), "#17becf".into()));
        assert_eq!((Palette::for_categories(45).len(), palette.len()), (45, 150));
        // Every pair of 45 apart by at least 40 of 255 in some channel
        // (tab10's closest two, #8c564b and #7f7f7f, are 52 apart), of 150
        // by 20; none near white (the background) or black (the ink).
        for (n, least) in [(45, 40), (150, 20)] {
            let colors: Vec<[i32; 4]> = (0..n).map(|i| palette.color(i).0.map(i32::from)).collect();
            for (i, a) in colors.iter().enumerate() {
                let c = palette.color(i);
                assert!(a[..3].iter().any(|&v| v < 235) && a[..3].iter().any(|&v| v > 20), "{}", hex(c));
                for (j, b) in colors[..i].iter().enumerate() {
                    let apart = (0..3).map(|k| (a[k] - b[k]).abs()).max().unwrap();
                    assert!(apart >= least, "{n}: {} and {}", hex(c), hex(palette.color(j)));
                }
            }
        }
        // The same palette every time, and its first colours whatever the count.
        assert_eq!(Palette::for_categories(150), palette);
        assert!((0..45).all(|i| Palette::for_categories(45).color(i) == palette.color(i)));
        // A thousand categories, a thousand colours.
        let many = Palette::for_categories(1000);
        let distinct: std::collections::HashSet<Rgba> = (0..1000).map(|i| many.color(i)).collect();
        assert_eq!(distinct.len(), 1000);
    }

    #[test]
    fn viridis_ends_are_matplotlibs() {
        let viridis = Colormap::by_name("viridis").unwrap();
        assert_eq!(viridis.at(0.0), Rgba([0x44, 0x01, 0x54, 255]));
        assert_eq!(viridis.at(1.0), Rgba([0xfd, 0xe7, 0x25, 255]));
        let reversed = Colormap::by_name("viridis_r").unwrap();
        assert_eq!(reversed.at(0.0), Rgba([0xfd, 0xe7, 0x25, 255]));
    }

    #[test]
    fn rdbu_runs_from_red_to_blue() {
        // ColorBrewer's end colours #67001f and #053061.
        let rdbu = Colormap::by_name("RdBu").unwrap();
        assert_eq!(rdbu.at(0.0), Rgba([0x67, 0x00, 0x1f, 255]));
        assert_eq!(rdbu.at(1.0), Rgba([0x05, 0x30, 0x61, 255]));
    }

    #[test]
    fn lookup_follows_matplotlib_indexing() {
        assert_eq!(lut_index(0.0), 0);
        assert_eq!(lut_index(-3.0), 0);
        assert_eq!(lut_index(0.5), 128);
        assert_eq!(lut_index(255.0 / 256.0), 255);
        assert_eq!(lut_index(1.0), 255);
        assert_eq!(lut_index(7.0), 255);
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let e = Colormap::by_name("jet").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        let listed = e.split_once("choose one of: ").unwrap().1.trim_end_matches(" (add _r to reverse)");
        let choices: Vec<&str> = listed.split(", ").collect();
        for name in ["viridis", "cividis", "RdBu", "coolwarm", "gray", "Greys", "twilight", "rocket", "icefire"] {
            assert!(choices.contains(&name), "{name} missing from: {e}");
        }
        assert!(Palette::by_name("Set9").is_err());
        assert_eq!(Palette::by_name("Set1").unwrap().color(0), Rgba([0xe4, 0x1a, 0x1c, 255]));
    }

    #[test]
    fn a_centre_keeps_the_limits_and_judges_extremes() {
        let norm = Norm::with_center(-1.0, 4.0, 0.0);
        assert_eq!((norm.vmin, norm.vmax), (-1.0, 4.0));
        assert_eq!(norm.normalise(-1.0), 0.0);
        assert_eq!(norm.extreme(-3.0, 2.0), -3.0);
        assert_eq!(norm.extreme(-1.0, 2.0), 2.0);
        assert_eq!(norm.extreme(f32::NAN, 2.0), 2.0);
        let flat = Norm::new(3.0, 3.0);
        assert_eq!(flat.normalise(3.0), 0.5);
    }

    #[test]
    fn recentring_gives_the_centre_the_middle_colour() {
        // -1..3 about 0: the map's part from (−1 + 3) / 6 = 1/3 to 1. The
        // first entry is the old ⌊256/3⌋ = 85th; 0 falls on entry
        // ⌊0.25 · 256⌋ = 64, that is x = 1/3 + (2/3) · 64/255 = 0.5007, the
        // old 128th, the middle colour.
        let viridis = Colormap::by_name("viridis").unwrap();
        let recentred = viridis.recentred(-1.0, 3.0, 0.0);
        assert_eq!(recentred.lut()[0], viridis.lut()[85]);
        assert_eq!(recentred.lut()[64], viridis.lut()[128]);
        assert_eq!(recentred.lut()[255], viridis.lut()[255]);
        // Centred between the limits: the map unchanged.
        assert_eq!(viridis.recentred(-2.0, 2.0, 0.0), viridis);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(Rgba::parse("#D3D3D3"), Some(Rgba::LIGHT_GREY));
        assert_eq!(Rgba::parse("lightgrey"), Some(Rgba::LIGHT_GREY));
        assert_eq!(Rgba::parse("#11223380"), Some(Rgba([0x11, 0x22, 0x33, 0x80])));
        assert_eq!(Rgba::parse("#12345"), None);
        // Short hex and CSS names, as matplotlib and browsers read them.
        assert_eq!(Rgba::parse("#f00"), Some(Rgba([255, 0, 0, 255])));
        assert_eq!(Rgba::parse("#f008"), Some(Rgba([255, 0, 0, 0x88])));
        assert_eq!(Rgba::parse("steelblue"), Some(Rgba([70, 130, 180, 255])));
        assert_eq!(Rgba::parse("DarkOrange"), Some(Rgba([255, 140, 0, 255])));
        assert_eq!(Rgba::parse("none"), Some(Rgba([0, 0, 0, 0])));
        // Numbers are not colours, nor unknown names.
        assert_eq!(Rgba::parse("123"), None);
        assert_eq!(Rgba::parse("ff0000"), None);
        assert_eq!(Rgba::parse("CD14+ Monocyte"), None);
        assert_eq!(Rgba::LIGHT_GREY.hex(), "#d3d3d3");
    }
}

/// What a figure asks of its colour scale, in seaborn's words: `vmin`,
/// `vmax`, `center`, `robust`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScaleRequest {
    pub vmin: Option<f32>,
    pub vmax: Option<f32>,
    pub center: Option<f32>,
    /// From the 2nd to the 98th percentile instead of the extremes.
    pub robust: bool,
}

/// A colour scale that cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScaleError {
    #[error("--vmin {vmin} is above the data's {what} {vmax}; give a --vmax above it")]
    VminAboveData { vmin: f32, vmax: f32, what: &'static str },
    #[error("--vmax {vmax} is below the data's {what} {vmin}; give a --vmin below it")]
    VmaxBelowData { vmin: f32, vmax: f32, what: &'static str },
}

impl ScaleRequest {
    /// The colour map and norm, by seaborn's rule (`heatmap`'s
    /// `_determine_cmap_params`):
    ///
    /// - `vmin`/`vmax` where given, else the data's extremes, or with
    ///   `robust` its 2nd and 98th percentiles;
    /// - with a `center`, the map is re-centred ([`Colormap::recentred`]) so
    ///   that `center` gets its middle colour, while the scale still runs
    ///   from `vmin` to `vmax`; without one the map is used as it is, even
    ///   on data spanning 0.
    ///
    /// With no map named, heatscope picks RdBu_r when the data spans 0 or a
    /// centre is given, else viridis; RdBu_r picked for data spanning 0 is
    /// centred at 0 (the Python package names seaborn's defaults, rocket and
    /// icefire, itself).
    pub fn resolve(
        &self,
        stats: &crate::pyramid::ValueStats,
        colormap: Option<Colormap>,
    ) -> Result<(Colormap, Norm), ScaleError> {
        let (lo, hi, what) = if self.robust {
            (stats.p02, stats.p98, ["2nd percentile", "98th percentile"])
        } else {
            (stats.min, stats.max, ["smallest value", "largest value"])
        };
        let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let (vmin, vmax) = (self.vmin.unwrap_or(lo), self.vmax.unwrap_or(hi));
        if vmin > vmax {
            return Err(match self.vmin {
                Some(_) => ScaleError::VminAboveData { vmin, vmax, what: what[1] },
                None => ScaleError::VmaxBelowData { vmin, vmax, what: what[0] },
            });
        }
        let spans_zero = stats.min < 0.0 && stats.max > 0.0;
        let (colormap, center) = match colormap {
            Some(colormap) => (colormap, self.center),
            None if self.center.is_some() => (named("RdBu_r"), self.center),
            None if spans_zero => (named("RdBu_r"), Some(0.0)),
            None => (named("viridis"), None),
        };
        Ok(match center {
            Some(center) => {
                let norm = Norm::with_center(vmin, vmax, center);
                (colormap.recentred(norm.vmin, norm.vmax, center), norm)
            }
            None => (colormap, Norm::new(vmin, vmax)),
        })
    }
}

/// A built-in colour map.
fn named(name: &str) -> Colormap {
    Colormap::by_name(name).expect("built-in colour maps exist")
}
