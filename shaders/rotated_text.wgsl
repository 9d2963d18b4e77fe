// Rotated labels: a strip of horizontal text (rendered by glyphon, dark on
// white) turned 90° anticlockwise onto the figure and multiplied into it,
// so white leaves the figure as it is and text darkens it.

// Matches `StripUniforms` in src/render/uniforms.rs (tests/shaders.rs checks it).
struct Strip {
    // Figure rectangle the rotated strip covers.
    rect_min: vec2<f32>,
    rect_max: vec2<f32>,
}

@group(1) @binding(0) var<uniform> strip: Strip;
@group(1) @binding(1) var text: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    return rect_vertex(i, strip.rect_min, strip.rect_max);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    // Figure pixel (x, y) shows strip texel (u, v) = (bottom − y, x − left):
    // the strip's text runs upwards.
    let p = floor(position.xy + frame.origin);
    let u = i32(strip.rect_max.y - 1.0 - p.y);
    let v = i32(p.x - strip.rect_min.x);
    return textureLoad(text, vec2<i32>(u, v), 0);
}
