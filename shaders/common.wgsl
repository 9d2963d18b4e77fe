// Shared by every heatscope shader (prepended to each module's source).

// Per-frame uniforms: which part of the figure the render target shows.
// Matches `FrameUniforms` in src/render/uniforms.rs (tests/shaders.rs checks it).
struct Frame {
    // Figure pixel at the target's top-left corner.
    origin: vec2<f32>,
    // Target size in pixels.
    size: vec2<f32>,
}

@group(0) @binding(0) var<uniform> frame: Frame;

// Clip-space position of a figure pixel coordinate (y down).
fn clip_from_figure(p: vec2<f32>) -> vec4<f32> {
    let t = (p - frame.origin) / frame.size;
    return vec4<f32>(t.x * 2.0 - 1.0, 1.0 - t.y * 2.0, 0.0, 1.0);
}

// Corner `i` (0–5) of two triangles covering a figure rectangle, in clip space.
fn rect_vertex(i: u32, rect_min: vec2<f32>, rect_max: vec2<f32>) -> vec4<f32> {
    let corner = array<vec2<f32>, 6>(
        vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0),
        vec2(0.0, 1.0), vec2(1.0, 0.0), vec2(1.0, 1.0),
    )[i];
    return clip_from_figure(mix(rect_min, rect_max, corner));
}
