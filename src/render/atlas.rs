//! Heatmap tile atlases on the GPU: one `R32Float` texture a heatmap,
//! pyramid level and aggregate, tile (ty, tx) of its level in slot
//! (ty mod rows, tx mod cols), so panning replaces only the tiles that came
//! into view; kept between drawings within a byte budget.
//!
//! # Tiles kept on the GPU (`--gpu-cache`)
//! The renderer keeps atlases between frames in an LRU cache (`AtlasCache`)
//! bounded by `Renderer::set_gpu_cache` (the viewer and the benchmark:
//! `--gpu-cache`, 512 MB), so zooming back to a level drawn before finds its
//! tiles still there. With a budget, every atlas of a pyramid has one size
//! (the tiles a view can need at its finest level), so any atlas can take
//! over from another. The first frame makes one for each level and
//! aggregate, as far as the budget goes (at most 32), and clears them at
//! once: GPU memory (on a CPU adapter, fresh RAM, about 20 ms for each 27 MB)
//! is taken before the first frame, not in the middle of a zoom. A level new
//! to the cache then takes over an unused atlas, else the least recently
//! drawn one. Atlases the frame being drawn uses are never let go, so a
//! budget smaller than one frame's atlases still draws. Exports set no
//! budget: only the current drawing's atlases are kept, each no larger than
//! its level.

use super::gpu::Gpu;
use crate::figure::Agg;
use crate::pyramid::{Level, TILE, TileId};

/// A heatmap tile texture: `tiles` tiles a side, tile (ty, tx) of its level
/// kept in slot (ty mod rows, tx mod cols).
pub(super) struct Atlas {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pub tiles: [u32; 2],
    /// Which tile each slot (by texel offset) holds.
    pub resident: std::collections::HashMap<[u32; 2], TileId>,
}

impl Atlas {
    /// A new atlas; `clearable` when the adapter can draw into it (see
    /// [`Gpu::renders_r32float`]).
    pub fn new(device: &wgpu::Device, tiles: [u32; 2], clearable: bool) -> Atlas {
        // Drawing into it clears it when a cache is made up front.
        let mut usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
        if clearable {
            usage |= wgpu::TextureUsages::RENDER_ATTACHMENT;
        }
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("Texture::heatmap_atlas"),
            size: wgpu::Extent3d {
                width: tiles[0] * TILE as u32,
                height: tiles[1] * TILE as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Float,
            usage,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        Atlas { texture, view, tiles, resident: Default::default() }
    }

    pub fn bytes(&self) -> u64 {
        atlas_bytes(self.tiles)
    }

    /// The tiles of `tiles` (with their slots) that their slot does not hold.
    pub fn missing(&self, tiles: &[(TileId, [u32; 2])]) -> Vec<(TileId, [u32; 2])> {
        tiles.iter().copied().filter(|(id, offset)| self.resident.get(offset) != Some(id)).collect()
    }
}

fn atlas_bytes(tiles: [u32; 2]) -> u64 {
    4 * u64::from(tiles[0]) * u64::from(tiles[1]) * (TILE * TILE) as u64
}

/// What an atlas holds: the tiles of one level of one heatmap's pyramid,
/// as one aggregate around one norm centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct AtlasKey {
    pub heatmap: usize,
    pub pyramid: u64,
    pub agg: Agg,
    pub centre: u32,
    pub level: Level,
}

/// The atlases kept on the GPU between drawings, within a byte budget,
/// the least recently drawn let go first.
///
/// With a budget (the viewer, the benchmark), the first drawing makes as
/// many atlases of its size as the budget holds and clears them at once:
/// GPU memory is then taken, and on CPU adapters first touched, before
/// the first frame rather than in the middle of a zoom. Later atlases
/// reuse those (an atlas serves any view no larger than its own). Without
/// one (exports), only the atlases of the current drawing are kept.
pub(super) struct AtlasCache {
    pub budget: u64,
    /// Counts drawings; each atlas is stamped with the last that used it.
    clock: u64,
    pub entries: Vec<CachedAtlas>,
}

/// At most this many atlases are made up front: a session rarely returns
/// to more levels (a small window's budget would otherwise be hundreds).
const UP_FRONT: u64 = 32;

pub(super) struct CachedAtlas {
    /// What it holds; `None` for an atlas made up front and not used yet.
    key: Option<AtlasKey>,
    pub atlas: Atlas,
    used: u64,
}

impl AtlasCache {
    pub fn new() -> AtlasCache {
        AtlasCache { budget: 0, clock: 0, entries: Vec::new() }
    }

    /// A new drawing begins: atlases used so far may be let go.
    pub fn tick(&mut self) {
        self.clock += 1;
    }

    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.atlas.bytes()).sum()
    }

    /// Makes sure an atlas for `key` with at least `wanted` tiles a side
    /// is held and marks it used by this drawing; returns its size in tiles.
    /// It is one made up front and not used yet; else a new one, while the
    /// budget has room; else the least recently used one this drawing has
    /// not used; failing that, atlases are let go, least recently used
    /// first, to make room for a new one (which the current drawing gets
    /// even beyond the budget).
    /// The first call with a budget makes up to `up_front` atlases at once.
    pub fn fit(&mut self, gpu: &Gpu, key: AtlasKey, wanted: [u32; 2], up_front: u64) -> [u32; 2] {
        let clock = self.clock;
        let big_enough = |a: &Atlas| a.tiles[0] >= wanted[0] && a.tiles[1] >= wanted[1];
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == Some(key)) {
            if big_enough(&entry.atlas) {
                entry.used = clock;
                return entry.atlas.tiles;
            }
            entry.key = None;
        }
        if self.entries.is_empty() && self.budget > 0 {
            self.make_up_front(gpu, wanted, up_front);
        }
        // An unused atlas made up front, else a new one while the budget
        // has room, else the least recently used idle one big enough,
        // else room made by letting the least recently used go.
        let idle = |entries: &[CachedAtlas], unused: bool| {
            (0..entries.len())
                .filter(|&i| entries[i].used < clock && big_enough(&entries[i].atlas))
                .filter(|&i| !unused || entries[i].key.is_none())
                .min_by_key(|&i| entries[i].used)
        };
        let room = self.bytes() + atlas_bytes(wanted) <= self.budget;
        let take = idle(&self.entries, true).or_else(|| if room { None } else { idle(&self.entries, false) });
        if let Some(i) = take {
            let entry = &mut self.entries[i];
            entry.atlas.resident.clear();
            (entry.key, entry.used) = (Some(key), clock);
            return entry.atlas.tiles;
        }
        while self.bytes() + atlas_bytes(wanted) > self.budget {
            let Some(lru) =
                (0..self.entries.len()).filter(|&i| self.entries[i].used < clock).min_by_key(|&i| self.entries[i].used)
            else {
                break;
            };
            self.entries.swap_remove(lru);
        }
        let atlas = Atlas::new(&gpu.device, wanted, gpu.renders_r32float);
        self.entries.push(CachedAtlas { key: Some(key), atlas, used: clock });
        wanted
    }

    /// Fills the budget with atlases of `tiles` a side (at most `count`
    /// and [`UP_FRONT`]), cleared now.
    fn make_up_front(&mut self, gpu: &Gpu, tiles: [u32; 2], count: u64) {
        let count = (self.budget / atlas_bytes(tiles).max(1)).min(UP_FRONT).min(count);
        let mut encoder =
            gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("Encoder::atlas_clear") });
        for _ in 0..count {
            let atlas = Atlas::new(&gpu.device, tiles, gpu.renders_r32float);
            if !gpu.renders_r32float {
                // Its memory is then taken at its first upload instead.
                self.entries.push(CachedAtlas { key: None, atlas, used: 0 });
                continue;
            }
            encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("RenderPass::atlas_clear"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &atlas.view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            self.entries.push(CachedAtlas { key: None, atlas, used: 0 });
        }
        gpu.queue.submit([encoder.finish()]);
    }

    pub fn get(&self, key: &AtlasKey) -> &Atlas {
        &self.entries.iter().find(|e| e.key == Some(*key)).expect("fitted for this drawing").atlas
    }

    pub fn get_mut(&mut self, key: &AtlasKey) -> &mut Atlas {
        &mut self.entries.iter_mut().find(|e| e.key == Some(*key)).expect("fitted for this drawing").atlas
    }
}

/// Writes tile values into their atlas slots; the bytes written. When any
/// were, the time since `started` (their reading included) is added to `time`.
pub(super) fn upload(
    queue: &wgpu::Queue,
    atlas: &mut Atlas,
    tiles: Vec<super::heatmap::TileUpload>,
    time: &mut std::time::Duration,
    started: std::time::Instant,
) -> u64 {
    let mut bytes = 0;
    for (id, offset, [w, h], values) in tiles {
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &atlas.texture,
                mip_level: 0,
                origin: wgpu::Origin3d { x: offset[0], y: offset[1], z: 0 },
                aspect: wgpu::TextureAspect::All,
            },
            bytemuck::cast_slice(&values),
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(4 * w), rows_per_image: Some(h) },
            wgpu::Extent3d { width: w, height: h, depth_or_array_layers: 1 },
        );
        atlas.resident.insert(offset, id);
        bytes += 4 * u64::from(w) * u64::from(h);
    }
    if bytes > 0 {
        *time += started.elapsed();
    }
    bytes
}
