// Flat-coloured triangles: dendrogram lines, annotation bars, legend
// swatches, colour bars, tick marks.

struct VertexIn {
    // Figure pixels.
    @location(0) position: vec2<f32>,
    @location(1) color: vec4<f32>,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return VertexOut(clip_from_figure(v.position), v.color);
}

@fragment
fn fs_main(v: VertexOut) -> @location(0) vec4<f32> {
    return v.color;
}
