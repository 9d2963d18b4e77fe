//! Uniform blocks shared with the shaders: `#[repr(C)]`, `Pod`, sizes
//! asserted; tests/shaders.rs checks each against the WGSL struct named
//! beside it (members, offsets, size).

use bytemuck::{Pod, Zeroable};

/// shaders/common.wgsl `Frame`: the part of the figure a render target shows.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct FrameUniforms {
    pub origin: [f32; 2],
    pub size: [f32; 2],
}
const _: () = assert!(std::mem::size_of::<FrameUniforms>() == 16);

/// shaders/heatmap.wgsl `Heatmap`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct HeatmapUniforms {
    pub rect_min: [f32; 2],
    pub rect_max: [f32; 2],
    pub cells_per_px: [f32; 2],
    pub start: [f32; 2],
    pub valid_min: [f32; 2],
    pub valid_max: [f32; 2],
    pub window: [u32; 2],
    pub atlas: [u32; 2],
    pub nan_color: [f32; 4],
    pub vmin: f32,
    pub inv_range: f32,
    pub center: f32,
    /// 0 mean, 1 extremes (`AGG_EXTREMES`).
    pub agg: u32,
    /// Tiles across the plan, for `mask`; 0: every tile is loaded.
    pub mask_cols: u32,
    pub _pad: [u32; 3],
    /// One bit a tile of the plan, row-major from its first tile: set when
    /// the tile is in the atlas. Pixels over a missing tile are not drawn.
    pub mask: [[u32; 4]; 8],
}
const _: () = assert!(std::mem::size_of::<HeatmapUniforms>() == 240);

/// Tiles a plan's `mask` can mark; a plan with more is drawn whole.
pub const MASK_TILES: usize = 32 * 4 * 8;

impl HeatmapUniforms {
    /// Marks tile `index` of the plan as missing.
    pub fn mark_missing(&mut self, index: usize) {
        self.mask[index / 128][index / 32 % 4] &= !(1 << (index % 32));
    }
}

/// shaders/rotated_text.wgsl `Strip`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct StripUniforms {
    pub rect_min: [f32; 2],
    pub rect_max: [f32; 2],
}
const _: () = assert!(std::mem::size_of::<StripUniforms>() == 16);

/// shaders/shapes.wgsl `VertexIn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct ShapeVertex {
    pub position: [f32; 2],
    pub color: [u8; 4],
}
const _: () = assert!(std::mem::size_of::<ShapeVertex>() == 12);

/// shaders/connectors.wgsl `VertexIn`: one corner of a connector's strip,
/// carrying the whole curve (llvmpipe runs each instance of an instanced
/// draw as a draw of its own, so curves are plain vertices).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct ConnectorVertex {
    pub from: [f32; 2],
    pub to: [f32; 2],
    pub clip_min: [f32; 2],
    pub clip_max: [f32; 2],
    pub width: f32,
    pub color: [u8; 4],
    /// The curve's straight pieces << [`PIECES_SHIFT`], then the step
    /// along it × 2 + side (0: left of it, 1: right).
    pub corner: u32,
}
const _: () = assert!(std::mem::size_of::<ConnectorVertex>() == 44);
/// Where a connector vertex's piece count starts in `corner`: `PIECES_SHIFT`
/// in shaders/connectors.wgsl too (tests/shaders.rs checks it).
pub const PIECES_SHIFT: u32 = 16;
