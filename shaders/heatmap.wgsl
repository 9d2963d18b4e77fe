// Heatmap cells: the pyramid level's values, held in an atlas texture,
// mapped through the norm and the colour lookup table.

// Matches `HeatmapUniforms` in src/render/uniforms.rs (tests/shaders.rs checks it).
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
// Cells a tile a side: `TILE` in src/pyramid/layout.rs (tests/shaders.rs checks it).
const TILE: i32 = 256;
// Pipeline constants, set by `HeatmapVariant` in src/render/mod.rs (tests/shaders.rs checks the names).
// The level cells a pixel reads along x and y: 1 zoomed in, 3 at up to 2
// cells a pixel (how levels are chosen), 4 beyond (the coarsest level in a
// small panel; past 3 cells a pixel, only the first 4 a side are read); a
// fixed count lets the loops below be unrolled, which CPU adapters need
// (they run a loop as long as its slowest pixel).
override SPAN_X: i32 = 3;
override SPAN_Y: i32 = 3;
// Whether some tiles of the plan may be missing (streaming): frames with
// every tile there skip the check (CPU adapters run both sides of a branch).
override MASKED: bool = false;

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

fn axis_span(edge: f32, cells_per_px: f32, start: f32, lo: f32, hi: f32, span: i32) -> Span {
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
    let last = min(i32(ceil(b)) - 1, first + span - 1);
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

// Texel of cell (x, y), x and y counted from the atlas window's first cell.
// The window starts inside the atlas and the cells read lie within one
// atlas of it, so the wrap is one subtraction (a per-texel `%` costs CPU
// adapters more than the rest of the pixel).
fn texel(x: i32, y: i32) -> vec2<i32> {
    let unwrapped = heatmap.window + vec2<u32>(u32(x), u32(y));
    return vec2<i32>(select(unwrapped, unwrapped - heatmap.atlas, unwrapped >= heatmap.atlas));
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let edge = floor(position.xy + frame.origin) - heatmap.rect_min;
    let sx = axis_span(edge.x, heatmap.cells_per_px.x, heatmap.start.x, heatmap.valid_min.x, heatmap.valid_max.x, SPAN_X);
    let sy = axis_span(edge.y, heatmap.cells_per_px.y, heatmap.start.y, heatmap.valid_min.y, heatmap.valid_max.y, SPAN_Y);
    if sx.b <= sx.a || sy.b <= sy.a {
        discard;
    }
    // A pixel over a tile still loading is left to the coarser level drawn beneath.
    if MASKED {
        let corners = loaded(sx.first, sy.first) && loaded(sx.last, sy.first) && loaded(sx.first, sy.last)
            && loaded(sx.last, sy.last);
        if !corners {
            discard;
        }
    }
    // Every cell under the pixel, weighted by the part of the pixel it
    // covers; missing ones are left out. Written without branches: a CPU
    // adapter runs the whole body for every pixel anyway.
    var sum = 0.0;
    var weight = 0.0;
    var extreme = 0.0;
    var farthest = -1.0;
    var counted = 0;
    for (var j = 0; j < SPAN_Y; j++) {
        // Past the pixel's last cell: its last cell again, at weight 0.
        let y = min(sy.first + j, sy.last);
        let wy = select(0.0, min(sy.b, f32(y + 1)) - max(sy.a, f32(y)), sy.first + j <= sy.last);
        for (var i = 0; i < SPAN_X; i++) {
            let x = min(sx.first + i, sx.last);
            let w = select(0.0, (min(sx.b, f32(x + 1)) - max(sx.a, f32(x))) * wy, sx.first + i <= sx.last);
            let v = textureLoad(values, texel(x, y), 0).r;
            let counts = !is_missing(v) && w > 0.0;
            let wv = select(0.0, w, counts);
            sum += select(0.0, v, counts) * wv;
            weight += wv;
            counted += select(0, 1, counts);
            let distance = select(-1.0, abs(v - heatmap.center), counts);
            extreme = select(extreme, v, distance > farthest);
            farthest = max(farthest, distance);
        }
    }
    if weight <= 0.0 {
        return heatmap.nan_color;
    }
    // One cell: its value exactly (v·w / w may round).
    let v = select(sum / weight, extreme, heatmap.agg == AGG_EXTREMES || counted == 1);
    let t = (v - heatmap.vmin) * heatmap.inv_range;
    return textureLoad(lut, vec2<i32>(lut_index(t), 0), 0);
}
