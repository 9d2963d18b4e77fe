// Heatmap cells: the pyramid level's values, held in an atlas texture,
// mapped through the norm and the colour lookup table.

// Keep in sync with `HeatmapUniforms` in src/render/uniforms.rs.
struct Heatmap {
    // The heatmap rectangle in figure pixels.
    rect_min: vec2<f32>,
    rect_max: vec2<f32>,
    // Level cells per figure pixel (x: columns, y: rows).
    cells_per_px: vec2<f32>,
    // The level cell at rect_min, counted from the atlas window's first cell.
    start: vec2<f32>,
    // Cells that exist and are loaded, counted the same way: [valid_min, valid_max).
    valid_min: vec2<f32>,
    valid_max: vec2<f32>,
    // Where the window's first cell lies in the atlas, and the atlas size.
    window: vec2<u32>,
    atlas: vec2<u32>,
    nan_color: vec4<f32>,
    vmin: f32,
    inv_range: f32,
    center: f32,
    // 0: mean of the cells under a pixel; 1: the one farthest from the centre.
    agg: u32,
    // Tiles across the plan; 0: every tile is loaded.
    mask_cols: u32,
    // One bit a tile of the plan, row-major from its first tile: loaded.
    mask: array<vec4<u32>, 8>,
}

const AGG_EXTREMES: u32 = 1u;
// Cells a tile a side. Keep in sync with `TILE` in src/pyramid/layout.rs.
const TILE: i32 = 256;
// A pixel reads at most this many level cells along each axis (levels are
// chosen at ≤ 2 cells a pixel, so 3 suffice; one more for rounding).
const MAX_SPAN: i32 = 4;

@group(1) @binding(0) var<uniform> heatmap: Heatmap;
@group(1) @binding(1) var values: texture_2d<f32>;
@group(1) @binding(2) var lut: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    return rect_vertex(i, heatmap.rect_min, heatmap.rect_max);
}

// The level cells one pixel covers along an axis: [first, last] and the
// covered interval [a, b) in cells, for overlap weights.
struct Span {
    first: i32,
    last: i32,
    a: f32,
    b: f32,
}

fn axis_span(edge: f32, cells_per_px: f32, start: f32, lo: f32, hi: f32) -> Span {
    var a: f32;
    var b: f32;
    if cells_per_px < 1.0 {
        // Zoomed in: the cell under the pixel centre, crisp.
        a = floor(start + (edge + 0.5) * cells_per_px);
        b = a + 1.0;
    } else {
        // Every cell under the pixel's footprint.
        a = start + edge * cells_per_px;
        b = a + cells_per_px;
    }
    a = max(a, lo);
    b = min(b, hi);
    let first = i32(floor(a));
    let last = min(i32(ceil(b)) - 1, first + MAX_SPAN - 1);
    return Span(first, last, a, b);
}

// Whether the tile holding cell (x, y) is in the atlas.
fn loaded(x: i32, y: i32) -> bool {
    if heatmap.mask_cols == 0u {
        return true;
    }
    let bit = u32(y / TILE) * heatmap.mask_cols + u32(x / TILE);
    return ((heatmap.mask[bit / 128u][(bit / 32u) % 4u] >> (bit % 32u)) & 1u) == 1u;
}

fn cell_value(x: i32, y: i32) -> f32 {
    let texel = (heatmap.window + vec2<u32>(u32(x), u32(y))) % heatmap.atlas;
    return textureLoad(values, vec2<i32>(texel), 0).r;
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let edge = floor(position.xy + frame.origin) - heatmap.rect_min;
    let sx = axis_span(edge.x, heatmap.cells_per_px.x, heatmap.start.x, heatmap.valid_min.x, heatmap.valid_max.x);
    let sy = axis_span(edge.y, heatmap.cells_per_px.y, heatmap.start.y, heatmap.valid_min.y, heatmap.valid_max.y);
    if sx.b <= sx.a || sy.b <= sy.a {
        discard;
    }
    // A pixel over a tile still loading is left to the coarser level drawn beneath.
    let corners = loaded(sx.first, sy.first) && loaded(sx.last, sy.first) && loaded(sx.first, sy.last)
        && loaded(sx.last, sy.last);
    if !corners {
        discard;
    }
    // One cell under the pixel (zoomed in): no loop.
    if sx.first == sx.last && sy.first == sy.last {
        let v = cell_value(sx.first, sy.first);
        if is_missing(v) {
            return heatmap.nan_color;
        }
        return textureLoad(lut, vec2<i32>(lut_index((v - heatmap.vmin) * heatmap.inv_range), 0), 0);
    }
    var sum = 0.0;
    var weight = 0.0;
    var extreme = 0.0;
    var farthest = -1.0;
    for (var y = sy.first; y <= sy.last; y++) {
        let wy = min(sy.b, f32(y + 1)) - max(sy.a, f32(y));
        for (var x = sx.first; x <= sx.last; x++) {
            let wx = min(sx.b, f32(x + 1)) - max(sx.a, f32(x));
            let v = cell_value(x, y);
            if is_missing(v) || wx * wy <= 0.0 {
                continue;
            }
            sum += v * wx * wy;
            weight += wx * wy;
            let distance = abs(v - heatmap.center);
            if distance > farthest {
                farthest = distance;
                extreme = v;
            }
        }
    }
    if weight <= 0.0 {
        return heatmap.nan_color;
    }
    var v = sum / weight;
    if heatmap.agg == AGG_EXTREMES {
        v = extreme;
    }
    let t = (v - heatmap.vmin) * heatmap.inv_range;
    return textureLoad(lut, vec2<i32>(lut_index(t), 0), 0);
}
