//! Which pyramid tiles a render target needs and where they go in the atlas
//! texture: a pure plan, plus the tile values as the shader reads them.

use rayon::prelude::*;

use super::uniforms::{HeatmapUniforms, MASK_TILES};
use crate::figure::scene::{DataWindow, Rect};
use crate::figure::{Agg, HeatmapStyle};
use crate::pyramid::{Aggregate, FACTOR, Geometry, Pyramid, TILE, Tile, TileData, TileId, View, select};

/// The tiles for one render target and the uniforms that address them.
#[derive(Clone, Debug, PartialEq)]
pub struct AtlasPlan {
    /// Tiles to draw, each with the texel offset (x, y) of its atlas slot.
    pub tiles: Vec<(TileId, [u32; 2])>,
    pub uniforms: HeatmapUniforms,
    /// The first tile's (tx, ty): the origin of the uniforms' tile mask.
    pub first_tile: [u32; 2],
}

impl AtlasPlan {
    /// Marks `tile` (one of the plan's) as not loaded: its pixels are left
    /// undrawn. False when the plan has too many tiles to mark.
    pub fn mark_missing(&mut self, tile: TileId) -> bool {
        let cols = self.uniforms.mask_cols;
        if cols == 0 {
            return false;
        }
        let index = (tile.ty - self.first_tile[1]) * cols + (tile.tx - self.first_tile[0]);
        self.uniforms.mark_missing(index as usize);
        true
    }
}

/// A piece of the figure drawn into one render target: where it lies in
/// the figure, its size, and the atlas (in tiles a side) its tiles go into.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piece {
    pub origin: [f32; 2],
    pub size: [f32; 2],
    pub atlas: [u32; 2],
    /// The next coarser level than the view's (drawn beneath while tiles
    /// load); a plan for it is `None` at the coarsest level.
    pub coarser: bool,
}

/// A tile read for upload: its id, atlas texel offset, width and height, values.
pub type TileUpload = (TileId, [u32; 2], [u32; 2], Vec<f32>);

/// Tiles along each side of the atlas that `size` target pixels need at
/// most: a level has ½–2 cells a pixel, so up to 2 × size cells, plus a
/// partial tile at each end. (The next coarser level, drawn beneath while
/// tiles stream, needs fewer: ⅛–½ cells a pixel.)
pub fn atlas_tiles(size: [u32; 2]) -> [u32; 2] {
    size.map(|s| (2 * s).div_ceil(TILE as u32) + 2)
}

/// The plan for the part of `rect` (the heatmap, in figure pixels, showing
/// `window` of the matrix) that a target at `origin` of `size` pixels
/// shows; `None` if it shows none. Tile (ty, tx) lives in atlas slot
/// (ty mod rows, tx mod cols) of an atlas of `atlas` tiles, so panning only
/// replaces the tiles that came into view.
pub fn plan(
    geometry: &Geometry,
    rect: Rect,
    window: &DataWindow,
    target: &Piece,
    style: &HeatmapStyle,
    agg: Agg,
) -> Option<AtlasPlan> {
    let Piece { origin, size, atlas, coarser } = *target;
    let x0 = rect.x.max(origin[0]);
    let x1 = rect.right().min(origin[0] + size[0]);
    let y0 = rect.y.max(origin[1]);
    let y1 = rect.bottom().min(origin[1] + size[1]);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let px_per_row = rect.h as f64 / (window.rows.end - window.rows.start);
    let px_per_col = rect.w as f64 / (window.cols.end - window.cols.start);
    // Whole pixels: a target's edge pixel reads the cells under all of it.
    let data = |from: f32, to: f32, start: f32, px: f64, first: f64| {
        first + (from.floor() - start) as f64 / px..first + (to.ceil() - start) as f64 / px
    };
    let view = View {
        rows: data(y0, y1, rect.y, px_per_row, window.rows.start),
        cols: data(x0, x1, rect.x, px_per_col, window.cols.start),
        px_per_row,
        px_per_col,
    };
    let selection = select(geometry, &view);
    let tiles = if coarser { &selection.fallback } else { &selection.tiles };
    let level = tiles.first()?.level;
    let ty0 = tiles.iter().map(|t| t.ty).min()?;
    let tx0 = tiles.iter().map(|t| t.tx).min()?;
    let ty1 = tiles.iter().map(|t| t.ty).max()?;
    let tx1 = tiles.iter().map(|t| t.tx).max()?;
    debug_assert!(tx1 - tx0 < atlas[0] && ty1 - ty0 < atlas[1], "the atlas holds every tile of a view");
    let tile = TILE as u32;
    let (level_rows, level_cols) = geometry.level_shape(level);
    let first = [tx0 as usize * TILE, ty0 as usize * TILE];
    let loaded = [((tx1 - tx0 + 1) * tile) as usize, ((ty1 - ty0 + 1) * tile) as usize];
    let per_col = (FACTOR as f64).powi(level.col as i32);
    let per_row = (FACTOR as f64).powi(level.row as i32);
    let norm = &style.norm;
    let [r, g, b, a] = style.nan_color.0;
    let uniforms = HeatmapUniforms {
        rect_min: [rect.x, rect.y],
        rect_max: [rect.right(), rect.bottom()],
        cells_per_px: [(1.0 / (px_per_col * per_col)) as f32, (1.0 / (px_per_row * per_row)) as f32],
        // Small numbers relative to the loaded window keep f32 exact enough
        // at a million rows.
        start: [
            (window.cols.start / per_col - first[0] as f64) as f32,
            (window.rows.start / per_row - first[1] as f64) as f32,
        ],
        valid_min: [0.0, 0.0],
        valid_max: [loaded[0].min(level_cols - first[0]) as f32, loaded[1].min(level_rows - first[1]) as f32],
        window: [(tx0 % atlas[0]) * tile, (ty0 % atlas[1]) * tile],
        atlas: [atlas[0] * tile, atlas[1] * tile],
        nan_color: [r, g, b, a].map(|c| c as f32 / 255.0),
        vmin: norm.vmin,
        inv_range: norm.inv_range(),
        center: norm.center,
        agg: agg as u32,
        mask_cols: if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1)) as usize <= MASK_TILES { tx1 - tx0 + 1 } else { 0 },
        _pad: [0; 3],
        mask: [[u32::MAX; 4]; 8],
    };
    let tiles = tiles.iter().map(|&t| (t, [(t.tx % atlas[0]) * tile, (t.ty % atlas[1]) * tile])).collect();
    Some(AtlasPlan { tiles, uniforms, first_tile: [tx0, ty0] })
}

/// A tile's values as the shader reads them: the full-resolution values, or
/// per cell the mean or the extreme farthest from `center`.
pub fn tile_values(tile: &Tile, agg: Agg, center: f32) -> Vec<f32> {
    match (&tile.data, agg) {
        (TileData::Exact(values), _) => values.clone(),
        (TileData::Aggregate { .. }, Agg::Mean) => cells(tile, |y, x| tile.value(y, x, Aggregate::Mean)),
        (TileData::Aggregate { .. }, Agg::Extremes) => cells(tile, |y, x| {
            let (lo, hi) = (tile.value(y, x, Aggregate::Min), tile.value(y, x, Aggregate::Max));
            crate::figure::Norm { vmin: lo, vmax: hi, center }.extreme(lo, hi)
        }),
    }
}

fn cells(tile: &Tile, value: impl Fn(usize, usize) -> f32) -> Vec<f32> {
    let (h, w) = (tile.rect.height, tile.rect.width);
    (0..h * w).map(|i| value(i / w, i % w)).collect()
}

/// Reads tiles in parallel: (tile, texel offset, width and height, values).
pub fn read_tiles(pyramid: &Pyramid, tiles: &[(TileId, [u32; 2])], agg: Agg, center: f32) -> Vec<TileUpload> {
    tiles
        .par_iter()
        .map(|&(id, offset)| {
            let tile = pyramid.tile(id);
            let size = [tile.rect.width as u32, tile.rect.height as u32];
            (id, offset, size, tile_values(&tile, agg, center))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::{Colormap, Norm, Rgba};

    fn style() -> HeatmapStyle {
        HeatmapStyle {
            colormap: Colormap::by_name("viridis").unwrap(),
            norm: Norm::new(0.0, 1.0),
            nan_color: Rgba::LIGHT_GREY,
        }
    }

    fn whole_plan(geometry: &Geometry, rect: Rect, origin: [f32; 2], size: [f32; 2]) -> Option<AtlasPlan> {
        let atlas = atlas_tiles([size[0] as u32, size[1] as u32]);
        plan(
            geometry,
            rect,
            &DataWindow::whole(geometry),
            &Piece { origin, size, atlas, coarser: false },
            &style(),
            Agg::Mean,
        )
    }

    #[test]
    fn a_small_matrix_is_one_full_resolution_tile() {
        let geometry = Geometry::new(7, 5);
        let plan = whole_plan(&geometry, Rect::new(10.0, 20.0, 50.0, 70.0), [0.0, 0.0], [100.0, 100.0]).unwrap();
        assert_eq!(plan.tiles.len(), 1);
        assert_eq!(plan.uniforms.cells_per_px, [0.1, 0.1]);
        assert_eq!(plan.uniforms.valid_max, [5.0, 7.0]);
        assert_eq!(plan.uniforms.start, [0.0, 0.0]);
    }

    #[test]
    fn a_tall_matrix_uses_a_coarse_level_and_few_tiles() {
        // 1,000,000 rows on 1,000 px: level 5 (4^5 = 1,024 rows a cell), ~977 cells.
        let geometry = Geometry::new(1_000_000, 100);
        let rect = Rect::new(0.0, 0.0, 800.0, 1000.0);
        let plan = whole_plan(&geometry, rect, [0.0, 0.0], [800.0, 1000.0]).unwrap();
        assert_eq!(plan.tiles[0].0.level.row, 5);
        assert_eq!(plan.tiles[0].0.level.col, 0);
        assert_eq!(plan.tiles.len(), 4);
        assert!((plan.uniforms.cells_per_px[1] - 1000.0 / 1024.0).abs() < 1e-6);
    }

    #[test]
    fn the_coarser_plan_is_the_next_level_and_none_at_the_coarsest() {
        let geometry = Geometry::new(1_000_000, 100);
        let rect = Rect::new(0.0, 0.0, 800.0, 1000.0);
        let window = DataWindow { rows: 0.0..100_000.0, cols: 0.0..100.0 };
        let atlas = atlas_tiles([800, 1000]);
        let fine = Piece { origin: [0.0, 0.0], size: [800.0, 1000.0], atlas, coarser: false };
        let coarse = Piece { coarser: true, ..fine };
        let f = plan(&geometry, rect, &window, &fine, &style(), Agg::Mean).unwrap();
        let c = plan(&geometry, rect, &window, &coarse, &style(), Agg::Mean).unwrap();
        let (fl, cl) = (f.tiles[0].0.level, c.tiles[0].0.level);
        assert_eq!((cl.row, cl.col), (fl.row + 1, fl.col));
        assert!(c.tiles.len() < f.tiles.len());
        // 7 × 5 cells: one level only, nothing coarser.
        let small = Geometry::new(7, 5);
        let coarse = Piece { atlas: atlas_tiles([100, 100]), coarser: true, origin: [0.0, 0.0], size: [100.0, 100.0] };
        let rect = Rect::new(0.0, 0.0, 100.0, 100.0);
        assert!(plan(&small, rect, &DataWindow::whole(&small), &coarse, &style(), Agg::Mean).is_none());
    }

    #[test]
    fn a_target_off_the_heatmap_needs_nothing() {
        let geometry = Geometry::new(7, 5);
        let rect = Rect::new(10.0, 20.0, 50.0, 70.0);
        assert!(whole_plan(&geometry, rect, [200.0, 0.0], [100.0, 100.0]).is_none());
    }

    #[test]
    fn a_target_sees_only_its_part_of_the_matrix() {
        // 2,000 columns on 2,000 px, target showing px 1,024–1,536: tiles 4 and 5 of level 0.
        let geometry = Geometry::new(10, 2000);
        let rect = Rect::new(0.0, 0.0, 2000.0, 10.0);
        let plan = whole_plan(&geometry, rect, [1024.0, 0.0], [512.0, 10.0]).unwrap();
        let txs: Vec<u32> = plan.tiles.iter().map(|(t, _)| t.tx).collect();
        assert_eq!(txs, vec![4, 5]);
        assert_eq!(plan.uniforms.start, [-1024.0, 0.0]);
        // 6 tiles across the atlas: tile 4 in slot 4, tile 5 in slot 5.
        assert_eq!(plan.tiles[1].1, [5 * 256, 0]);
        assert_eq!(plan.uniforms.window, [4 * 256, 0]);
    }

    #[test]
    fn a_zoomed_window_addresses_cells_relative_to_its_tiles() {
        // Rows 600,000.5 – 600,040.5 of 1,000,000 on 400 px: 10 px a row, level 0.
        let geometry = Geometry::new(1_000_000, 10);
        let rect = Rect::new(0.0, 0.0, 100.0, 400.0);
        let window = DataWindow { rows: 600_000.5..600_040.5, cols: 0.0..10.0 };
        let atlas = atlas_tiles([100, 400]);
        let target = Piece { origin: [0.0, 0.0], size: [100.0, 400.0], atlas, coarser: false };
        let plan = plan(&geometry, rect, &window, &target, &style(), Agg::Mean).unwrap();
        let tile_rows: Vec<u32> = plan.tiles.iter().map(|(t, _)| t.ty).collect();
        assert_eq!(tile_rows, vec![600_000 / 256]);
        assert_eq!(plan.uniforms.cells_per_px[1], 0.1);
        // 600,000 − 2,343 × 256 = 192: the window starts half way into cell 192 of its tile.
        assert_eq!(plan.uniforms.start[1], 192.5);
        assert_eq!(plan.uniforms.window[1], (2343 % atlas[1]) * 256);
    }
}
