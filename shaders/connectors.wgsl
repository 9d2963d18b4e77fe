// Connectors between linked heatmaps: each curve (or band) a cubic Bézier
// whose control points sit halfway across at the end points' heights, so it
// leaves and arrives horizontally. Every vertex carries its curve and a
// corner number; the vertex shader places the corner on the curve, at a
// step of the curve's straight pieces, half a stroke and half a pixel to
// one side; the fragment
// shader fades the stroke's edges by their distance from the centre line
// (anti-aliasing) and keeps to the gap.

// Keep in sync with `ConnectorVertex` in src/render/uniforms.rs.
struct VertexIn {
    @location(0) start: vec2<f32>,
    @location(1) end: vec2<f32>,
    @location(2) clip_min: vec2<f32>,
    @location(3) clip_max: vec2<f32>,
    // Stroke width in pixels; below one pixel, one pixel at lower opacity.
    @location(4) width: f32,
    @location(5) color: vec4<f32>,
    // Pieces of the curve << PIECES_SHIFT, then step along it × 2 + side
    // (0: left, 1: right).
    @location(6) corner: u32,
}

// `PIECES_SHIFT` in src/render/uniforms.rs (tests/shaders.rs checks it).
const PIECES_SHIFT: u32 = 16u;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
    // Signed distance from the centre line, pixels.
    @location(1) across: f32,
    @location(2) figure: vec2<f32>,
    @location(3) @interpolate(flat) half_stroke: f32,
    @location(4) @interpolate(flat) clip: vec4<f32>,
}

@vertex
fn vs_main(c: VertexIn) -> VertexOut {
    let step = (c.corner & ((1u << PIECES_SHIFT) - 1u)) / 2u;
    let t = f32(step) / f32(c.corner >> PIECES_SHIFT);
    let side = select(-1.0, 1.0, (c.corner & 1u) == 1u);
    let d = c.end - c.start;
    let point = c.start + d * vec2(1.5 * t - 1.5 * t * t + t * t * t, t * t * (3.0 - 2.0 * t));
    let tangent = d * vec2(1.5 - 3.0 * t + 3.0 * t * t, 6.0 * t - 6.0 * t * t);
    let length_ = length(tangent);
    let normal = select(vec2(0.0, 1.0), vec2(-tangent.y, tangent.x) / length_, length_ > 1e-6);
    let stroke = max(c.width, 1.0);
    // Coverage falls to zero half a pixel beyond the stroke.
    let reach = stroke * 0.5 + 0.5;
    let at = point + normal * side * reach;
    var out: VertexOut;
    out.position = clip_from_figure(at);
    out.color = vec4(c.color.rgb, c.color.a * min(c.width, 1.0));
    out.across = side * reach;
    out.figure = at;
    out.half_stroke = stroke * 0.5;
    out.clip = vec4(c.clip_min, c.clip_max);
    return out;
}

@fragment
fn fs_main(v: VertexOut) -> @location(0) vec4<f32> {
    if any(v.figure < v.clip.xy) || any(v.figure > v.clip.zw) {
        discard;
    }
    let coverage = clamp(v.half_stroke + 0.5 - abs(v.across), 0.0, 1.0);
    return vec4(v.color.rgb, v.color.a * coverage);
}
