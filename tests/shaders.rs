//! What the Rust side and the WGSL must agree on, read from the shaders by
//! naga: the uniform blocks' member names, offsets and sizes, the constants
//! both sides name, and the pipeline constants the renderer sets. No GPU
//! needed.

use std::mem::{offset_of, size_of};

use heatscope::figure::Agg;
use heatscope::render::shader_sources;
use heatscope::render::uniforms::{FrameUniforms, HeatmapUniforms, PIECES_SHIFT, StripUniforms};

fn module(name: &str) -> naga::Module {
    let (_, source) = shader_sources().into_iter().find(|(n, _)| *n == name).expect("a shader of that name");
    naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)))
}

/// The members (name, byte offset) and size of the struct `name`.
fn layout(module: &naga::Module, name: &str) -> (Vec<(String, usize)>, usize) {
    let ty = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).expect("the struct").1;
    let naga::TypeInner::Struct { members, span } = &ty.inner else { panic!("{name} is not a struct") };
    let members = members.iter().map(|m| (m.name.clone().unwrap(), m.offset as usize)).collect();
    (members, *span as usize)
}

/// The value of the module-scope constant `name`.
fn constant(module: &naga::Module, name: &str) -> f64 {
    let (_, c) = module.constants.iter().find(|(_, c)| c.name.as_deref() == Some(name)).expect("the constant");
    match module.global_expressions[c.init] {
        naga::Expression::Literal(naga::Literal::U32(v)) => f64::from(v),
        naga::Expression::Literal(naga::Literal::I32(v)) => f64::from(v),
        naga::Expression::Literal(naga::Literal::F32(v)) => f64::from(v),
        ref other => panic!("{name}: {other:?}"),
    }
}

fn members(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
    pairs.iter().map(|&(n, o)| (n.to_owned(), o)).collect()
}

#[test]
fn uniform_blocks_have_the_same_members_at_the_same_offsets() {
    let heatmap = module("heatmap.wgsl");
    let want = members(&[
        ("rect_min", offset_of!(HeatmapUniforms, rect_min)),
        ("rect_max", offset_of!(HeatmapUniforms, rect_max)),
        ("cells_per_px", offset_of!(HeatmapUniforms, cells_per_px)),
        ("start", offset_of!(HeatmapUniforms, start)),
        ("valid_min", offset_of!(HeatmapUniforms, valid_min)),
        ("valid_max", offset_of!(HeatmapUniforms, valid_max)),
        ("window", offset_of!(HeatmapUniforms, window)),
        ("atlas", offset_of!(HeatmapUniforms, atlas)),
        ("nan_color", offset_of!(HeatmapUniforms, nan_color)),
        ("vmin", offset_of!(HeatmapUniforms, vmin)),
        ("inv_range", offset_of!(HeatmapUniforms, inv_range)),
        ("center", offset_of!(HeatmapUniforms, center)),
        ("agg", offset_of!(HeatmapUniforms, agg)),
        ("mask_cols", offset_of!(HeatmapUniforms, mask_cols)),
        // `_pad` stands for WGSL's own alignment of the array.
        ("mask", offset_of!(HeatmapUniforms, mask)),
    ]);
    assert_eq!(layout(&heatmap, "Heatmap"), (want, size_of::<HeatmapUniforms>()));

    let frame = members(&[("origin", offset_of!(FrameUniforms, origin)), ("size", offset_of!(FrameUniforms, size))]);
    for shader in ["heatmap.wgsl", "shapes.wgsl", "rotated_text.wgsl", "connectors.wgsl"] {
        assert_eq!(layout(&module(shader), "Frame"), (frame.clone(), size_of::<FrameUniforms>()), "{shader}");
    }
    let strip = members(&[
        ("rect_min", offset_of!(StripUniforms, rect_min)),
        ("rect_max", offset_of!(StripUniforms, rect_max)),
    ]);
    assert_eq!(layout(&module("rotated_text.wgsl"), "Strip"), (strip, size_of::<StripUniforms>()));
}

#[test]
fn constants_named_on_both_sides_agree() {
    let heatmap = module("heatmap.wgsl");
    assert_eq!(constant(&heatmap, "TILE"), heatscope::pyramid::TILE as f64);
    assert_eq!(constant(&heatmap, "AGG_EXTREMES"), f64::from(Agg::Extremes as u32));
    assert_eq!(constant(&heatmap, "LUT_SIZE"), heatscope::figure::colormap::LUT_SIZE as f64);
    assert_eq!(constant(&module("connectors.wgsl"), "PIECES_SHIFT"), f64::from(PIECES_SHIFT));
    // The pipeline constants the renderer sets for each heatmap variant.
    let overrides: Vec<_> = heatmap.overrides.iter().filter_map(|(_, o)| o.name.clone()).collect();
    for name in ["SPAN_X", "SPAN_Y", "MASKED"] {
        assert!(overrides.iter().any(|o| o == name), "{name} is not an override of heatmap.wgsl: {overrides:?}");
    }
}
