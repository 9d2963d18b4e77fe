//! The GPU renderer: draws a [`Scene`] into a [`Target`] (an image read
//! back, a snapshot of the streaming view, a window's texture, or an
//! offscreen frame) through one entry point, [`Renderer::draw`]. It owns the
//! pipelines and bind-group layouts, made once (the heatmap's variants when
//! a plan first needs them); everything it draws comes from the GPU-free
//! [`crate::figure`] core and the pyramid's tiles.
//!
//! Images larger than one texture are drawn in square pieces of at most
//! [`MAX_PIECE`] pixels, each a render target of its own, read back with rows
//! padded to 256 bytes.
//!
//! # Files
//! - `atlas.rs`: tile atlases (below) and their uploads.
//! - `pool.rs`: what every drawing needs, kept between drawings and
//!   rewritten through the queue: the frame's uniforms and bind group, vertex
//!   buffers (grown when needed), the heatmaps' uniform buffers, colour
//!   tables by their colours.
//! - `gpu.rs`: adapter and device without a window (Vulkan or GL; llvmpipe
//!   where there is no GPU); texture helpers and the read-back.
//! - `heatmap.rs`: `plan`, which pyramid tiles a piece needs and where they go
//!   in its atlas (pure); tile values as the shader reads them.
//! - `shapes.rs`: fills, lines and gradients as coloured triangles;
//!   connectors as vertices carrying their curve (pure).
//! - `text.rs`: glyphon text. Rotated labels are drawn horizontally into a
//!   strip texture, then turned 90° and multiplied onto the figure.
//! - `uniforms.rs`: the `#[repr(C)]` uniform blocks, each mirrored in WGSL.
//!
//! # Shaders
//! Shaders live in `shaders/`. `common.wgsl` (frame uniforms, figure → clip
//! space) and `colormap.wgsl` (table lookup, NaN test) are prepended to
//! `heatmap.wgsl`, `shapes.wgsl`, `rotated_text.wgsl` and `connectors.wgsl`.
//! Each connector is a cubic Bézier evaluated in the vertex shader, in 1–16
//! straight pieces as its rise needs (`shapes::curve_pieces`), edges
//! anti-aliased by their distance from the centre line, clipped to the gap.
//! `tests/shaders.rs` validates each composed module with naga. Bind group 0
//! holds the frame uniforms, group 1 the draw's own resources.
//!
//! # The heatmap shader
//! The pyramid level is chosen per axis as `pyramid::select` does (½–2 cells
//! a pixel). The chosen tiles are written into one `R32Float` atlas texture:
//! aggregate tiles as their mean, or as the extreme farther from the norm's
//! centre for `--agg extremes`. For each pixel the fragment shader takes the
//! level cells under the pixel's whole footprint (at most 3 × 3; zoomed in,
//! the one cell under its centre, so cells stay crisp), combines the finite
//! ones (area-weighted mean, or the farthest from the centre), normalises,
//! and looks the colour up in a 256 × 1 texture (`⌊t · 256⌋`, as
//! matplotlib). NaN is detected from the bits (compilers may fold `x != x`)
//! and drawn in `--nan-color`. Every matrix cell under a pixel contributes
//! to it, and a pixel reads at most 9 texels. The exception is the coarsest
//! level in a panel too small for it: 16 texels there, and past 3 cells a
//! pixel (an axis of at most 256 cells, with a single level, drawn on fewer
//! than 86 px) a pixel reads only its first 4 cells a side. This is a known
//! gap.
//!
//! The shader is written for CPU adapters as much as for GPUs. llvmpipe runs
//! every pixel through both sides of each branch, and through a loop as many
//! times as its slowest pixel needs. So the loops have a fixed count per
//! axis, set by pipeline constants (`SPAN_X`, `SPAN_Y`: 1 cell zoomed in, 3
//! up to 2 cells a pixel, 4 beyond); cells past a pixel's footprint count
//! with weight 0; the missing-tile test (see Streaming) is compiled in only
//! for plans that need it (`MASKED`); the atlas wrap is a subtraction, not a
//! `%`. At 1280 × 800 on llvmpipe this more than halved the frame time
//! (BENCHMARKS.md, "The heatmap shader for CPU adapters").
//!
//! # Streaming
//! [`Target::Image`] waits for every tile a drawing lacks: read from the
//! mapped pyramid in parallel. After [`Renderer::stream`] (the window), a
//! frame does not wait. Tiles missing from the atlas are asked of a
//! `TileLoader` (two worker threads, 256 MB of tiles kept in RAM; requests
//! the last frame no longer wanted are withdrawn). Those that have arrived
//! are uploaded until the frame's budget (about 16 MB) is spent.
//!
//! Each plan carries a bit a tile (`HeatmapUniforms::mask`, up to 1,024
//! tiles; a plan with more is drawn waiting). The shader discards a pixel
//! whose cells touch a missing tile. Beneath, the same view is drawn first at
//! the next coarser level (a quarter to a sixteenth of the tiles, read at
//! once into an atlas of its own), so a pixel shows the coarser aggregate
//! until its tile comes, never the background. At the coarsest level the
//! missing tiles are read at once. When every tile is there the mask is
//! switched off, so a complete frame pays nothing for it;
//! [`Renderer::incomplete`] tells the window to draw again until then.
//! Tested: with a budget of one byte every pixel is the coarser level's or
//! its own, and the finished frame equals the picture drawn waiting.

mod atlas;
mod gpu;
mod heatmap;
mod pool;
mod shapes;
mod text;
pub mod uniforms;

use wgpu::util::DeviceExt;

pub use crate::figure::scene::DataWindow;
use crate::pyramid::{Level, TILE, Tile, TileId, TileLoader};
use atlas::{AtlasCache, AtlasKey, upload};
pub use gpu::{Gpu, GpuError};
use gpu::{read_back, texture_2d};
use heatmap::read_tiles;
use heatmap::{AtlasPlan, Piece, atlas_tiles, plan, tile_values};
use pool::Vertices;
pub use shapes::{connector_triangles, connector_vertices, tessellate};
use std::sync::Arc;

use crate::figure::{Agg, HeatmapStyle, Scene};
use crate::pyramid::Pyramid;
use uniforms::{ConnectorVertex, FrameUniforms, HeatmapUniforms, ShapeVertex};

/// Largest render target side, in pixels (also bounded by the adapter).
pub const MAX_PIECE: u32 = 2048;
/// The texture format of every render target.
const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// All WGSL modules as the pipelines compile them (shared pieces prepended):
/// (name, source). The shader validation test checks each one.
pub fn shader_sources() -> Vec<(&'static str, String)> {
    let common = include_str!("../../shaders/common.wgsl");
    let colormap = include_str!("../../shaders/colormap.wgsl");
    vec![
        ("heatmap.wgsl", format!("{common}\n{colormap}\n{}", include_str!("../../shaders/heatmap.wgsl"))),
        ("shapes.wgsl", format!("{common}\n{}", include_str!("../../shaders/shapes.wgsl"))),
        ("rotated_text.wgsl", format!("{common}\n{}", include_str!("../../shaders/rotated_text.wgsl"))),
        ("connectors.wgsl", format!("{common}\n{}", include_str!("../../shaders/connectors.wgsl"))),
    ]
}

/// A failure while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error("the image would be {width} × {height} pixels; give a width and height between 1 and {max}")]
    Size { width: u32, height: u32, max: u32 },
    #[error("drawing text failed: {0}")]
    Text(String),
    #[error("reading the image back from the GPU failed: {0}")]
    Readback(String),
}

/// An RGBA image, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Image {
    /// The pixel at (`x`, `y`).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = 4 * (y as usize * self.width as usize + x as usize);
        self.pixels[i..i + 4].try_into().unwrap()
    }

    /// The image as a PNG file.
    pub fn to_png(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().expect("writing to memory cannot fail");
        writer.write_image_data(&self.pixels).expect("the buffer holds width × height pixels");
        writer.finish().expect("writing to memory cannot fail");
        bytes
    }
}

/// Where [`Renderer::draw`] puts a drawing.
pub enum Target<'a> {
    /// A new image, read back with every tile waited for: figures, tests.
    Image,
    /// A new image read back as a window shows the scene now: while tiles
    /// stream ([`Renderer::stream`]), those still loading show their
    /// coarser level.
    Snapshot,
    /// A texture of the scene's size in this renderer's format, such as a
    /// window's surface. The work is submitted, not waited for (see
    /// [`Renderer::wait`]), and nothing is read back.
    View(&'a wgpu::TextureView),
    /// A texture the renderer keeps between drawings; the work is waited
    /// for and nothing is read back: a benchmark's frame. A scene larger
    /// than one render target is refused, not split.
    Offscreen,
}

/// What [`Renderer::draw`] gives back.
#[derive(Debug)]
pub struct Drawing {
    /// The pixels, for [`Target::Image`] and [`Target::Snapshot`].
    pub image: Option<Image>,
    /// Triangles drawn for shapes and connectors.
    pub triangles: usize,
}

impl Drawing {
    /// The pixels of a [`Target::Image`] or [`Target::Snapshot`] drawing.
    ///
    /// # Panics
    /// For a drawing into a [`Target::View`] or [`Target::Offscreen`],
    /// which reads nothing back.
    pub fn into_image(self) -> Image {
        self.image.expect("only Target::Image and Target::Snapshot read the pixels back")
    }
}

/// A heatmap's cells: the pyramid to read and how to colour them. A scene's
/// heatmaps take their sources in order: the main one, then the linked ones.
pub struct HeatmapSource<'a> {
    pub pyramid: &'a Arc<Pyramid>,
    pub style: &'a HeatmapStyle,
    pub agg: Agg,
    /// The part of the matrix the heatmap panel shows.
    pub window: DataWindow,
}

/// Pipelines and bind-group layouts, made once and reused for every image.
pub struct Renderer {
    gpu: Gpu,
    heatmap_layout: wgpu::BindGroupLayout,
    /// The heatmap shader and its pipelines, one per variant, made when
    /// first needed.
    heatmap_module: wgpu::ShaderModule,
    heatmap_pipeline_layout: wgpu::PipelineLayout,
    heatmap_pipelines: Vec<(HeatmapVariant, wgpu::RenderPipeline)>,
    shapes_pipeline: wgpu::RenderPipeline,
    strip_layout: wgpu::BindGroupLayout,
    strip_pipeline: wgpu::RenderPipeline,
    connector_pipeline: wgpu::RenderPipeline,
    text: text::TextPainter,
    /// Tile atlases, one per heatmap and pyramid level drawn, kept on the
    /// GPU between drawings within [`Renderer::set_gpu_cache`]'s budget.
    atlases: AtlasCache,
    /// Set by [`Renderer::stream`].
    streaming: Option<Streaming>,
    /// The pyramid level each heatmap was last drawn at.
    levels: Vec<Option<Level>>,
    /// The texture of [`Target::Offscreen`].
    frame_target: Option<wgpu::Texture>,
    /// Tile bytes uploaded, and the time reading and uploading them took.
    uploaded_bytes: u64,
    upload_time: std::time::Duration,
    /// The format of the targets it draws into.
    format: wgpu::TextureFormat,
    /// What every drawing needs, kept between drawings.
    pool: pool::Pool,
}

impl Renderer {
    /// A renderer for offscreen images on the first suitable GPU adapter.
    pub fn new() -> Result<Renderer, RenderError> {
        Ok(Renderer::with_gpu(Gpu::new()?, FORMAT))
    }

    /// A renderer on `gpu` drawing into targets of `format` (a window's
    /// surface format, or RGBA for images).
    pub fn with_gpu(gpu: Gpu, format: wgpu::TextureFormat) -> Renderer {
        let device = &gpu.device;
        let uniform = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let texture = |binding, sample_type| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type,
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let frame_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("BindGroupLayout::frame"),
            entries: &[uniform(0)],
        });
        let unfiltered = wgpu::TextureSampleType::Float { filterable: false };
        let heatmap_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("BindGroupLayout::heatmap"),
            entries: &[uniform(0), texture(1, unfiltered), texture(2, unfiltered)],
        });
        let strip_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("BindGroupLayout::rotated_text"),
            entries: &[uniform(0), texture(1, unfiltered)],
        });
        let sources = shader_sources();
        let module = |name: &str| {
            let source = &sources.iter().find(|(n, _)| *n == name).expect("every shader is listed").1;
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(source.as_str().into()),
            })
        };
        let pipeline = |name: &str,
                        group: Option<&wgpu::BindGroupLayout>,
                        vertex: &[Option<wgpu::VertexBufferLayout>],
                        blend,
                        topology| {
            let module = module(name);
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(name),
                bind_group_layouts: &[Some(&frame_layout), group],
                ..Default::default()
            });
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(name),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_main"),
                    buffers: vertex,
                    compilation_options: Default::default(),
                },
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_main"),
                    targets: &[Some(wgpu::ColorTargetState { format, blend, write_mask: wgpu::ColorWrites::ALL })],
                    compilation_options: Default::default(),
                }),
                primitive: wgpu::PrimitiveState { topology, ..Default::default() },
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                multiview_mask: None,
                cache: None,
            })
        };
        let triangles = wgpu::PrimitiveTopology::TriangleList;
        let heatmap_module = module("heatmap.wgsl");
        let heatmap_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("heatmap.wgsl"),
            bind_group_layouts: &[Some(&frame_layout), Some(&heatmap_layout)],
            ..Default::default()
        });
        let vertex_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<ShapeVertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4],
        };
        let shapes_pipeline =
            pipeline("shapes.wgsl", None, &[Some(vertex_layout)], Some(wgpu::BlendState::ALPHA_BLENDING), triangles);
        let connector_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<ConnectorVertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &wgpu::vertex_attr_array![
                0 => Float32x2, 1 => Float32x2, 2 => Float32x2, 3 => Float32x2, 4 => Float32, 5 => Unorm8x4, 6 => Uint32
            ],
        };
        let connector_pipeline = pipeline(
            "connectors.wgsl",
            None,
            &[Some(connector_layout)],
            Some(wgpu::BlendState::ALPHA_BLENDING),
            triangles,
        );
        // Multiply: white strip texels leave the figure alone, text darkens it.
        let multiply = wgpu::BlendComponent {
            src_factor: wgpu::BlendFactor::Dst,
            dst_factor: wgpu::BlendFactor::Zero,
            operation: wgpu::BlendOperation::Add,
        };
        let strip_pipeline = pipeline(
            "rotated_text.wgsl",
            Some(&strip_layout),
            &[],
            Some(wgpu::BlendState { color: multiply, alpha: wgpu::BlendComponent::OVER }),
            triangles,
        );
        let text = text::TextPainter::new(&gpu.device, &gpu.queue, format);
        let pool = pool::Pool::new(&gpu.device, &frame_layout, std::mem::size_of::<FrameUniforms>() as u64);
        Renderer {
            gpu,
            heatmap_layout,
            heatmap_module,
            heatmap_pipeline_layout,
            heatmap_pipelines: Vec::new(),
            shapes_pipeline,
            strip_layout,
            strip_pipeline,
            connector_pipeline,
            text,
            atlases: AtlasCache::new(),
            streaming: None,
            levels: Vec::new(),
            frame_target: None,
            uploaded_bytes: 0,
            upload_time: Default::default(),
            format,
            pool,
        }
    }

    /// The adapter in a few words.
    pub fn describe(&self) -> String {
        self.gpu.describe()
    }

    /// Draws `scene` into `target`: the one way to draw. The scene's
    /// heatmaps take their cells from `heatmaps`, in order (none leaves
    /// them blank).
    pub fn draw(&mut self, scene: &Scene, heatmaps: &[HeatmapSource], target: Target) -> Result<Drawing, RenderError> {
        let triangles = || tessellate(scene).len() / 3 + connector_triangles(scene);
        match target {
            Target::Image => {
                let streaming = self.streaming.take();
                let image = self.render_whole(scene, heatmaps);
                self.streaming = streaming;
                Ok(Drawing { image: Some(image?), triangles: triangles() })
            }
            Target::Snapshot => {
                Ok(Drawing { image: Some(self.render_whole(scene, heatmaps)?), triangles: triangles() })
            }
            Target::View(view) => {
                let vertices = tessellate(scene);
                let encoder = self.encode(scene, heatmaps, &vertices, view, [0, 0], [scene.width, scene.height])?;
                self.gpu.queue.submit([encoder.finish()]);
                Ok(Drawing { image: None, triangles: vertices.len() / 3 + connector_triangles(scene) })
            }
            Target::Offscreen => {
                let size = [scene.width, scene.height];
                let max = MAX_PIECE.min(self.gpu.limits.max_texture_dimension_2d);
                if size[0] > max || size[1] > max {
                    return Err(RenderError::Size { width: size[0], height: size[1], max });
                }
                if self.frame_target.as_ref().is_none_or(|t| [t.width(), t.height()] != size) {
                    let usage = wgpu::TextureUsages::RENDER_ATTACHMENT;
                    self.frame_target = Some(texture_2d(&self.gpu.device, "Texture::frame", size, self.format, usage));
                }
                let view = self.frame_target.as_ref().expect("made above").create_view(&Default::default());
                let drawing = self.draw(scene, heatmaps, Target::View(&view))?;
                self.wait()?;
                Ok(drawing)
            }
        }
    }

    /// Waits until the GPU has finished what was drawn (after presenting a
    /// [`Target::View`], to time a frame).
    pub fn wait(&self) -> Result<(), RenderError> {
        self.gpu.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| RenderError::Readback(e.to_string()))?;
        Ok(())
    }

    fn render_whole(&mut self, scene: &Scene, heatmaps: &[HeatmapSource]) -> Result<Image, RenderError> {
        let (width, height) = (scene.width, scene.height);
        let max = 1 << 16;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(RenderError::Size { width, height, max });
        }
        let piece = MAX_PIECE.min(self.gpu.limits.max_texture_dimension_2d);
        let vertices = tessellate(scene);
        let mut image = Image { width, height, pixels: vec![0; 4 * width as usize * height as usize] };
        for y in (0..height).step_by(piece as usize) {
            for x in (0..width).step_by(piece as usize) {
                let size = [piece.min(width - x), piece.min(height - y)];
                let mut pixels = self.render_piece(scene, heatmaps, &vertices, [x, y], size)?;
                if self.format == wgpu::TextureFormat::Bgra8Unorm {
                    pixels.chunks_exact_mut(4).for_each(|p| p.swap(0, 2));
                }
                for row in 0..size[1] as usize {
                    let from = row * 4 * size[0] as usize;
                    let to = 4 * ((y as usize + row) * width as usize + x as usize);
                    image.pixels[to..to + 4 * size[0] as usize]
                        .copy_from_slice(&pixels[from..from + 4 * size[0] as usize]);
                }
            }
        }
        Ok(image)
    }

    /// One render target's worth of the figure: its pixels, rows packed.
    fn render_piece(
        &mut self,
        scene: &Scene,
        heatmaps: &[HeatmapSource],
        vertices: &[ShapeVertex],
        origin: [u32; 2],
        size: [u32; 2],
    ) -> Result<Vec<u8>, RenderError> {
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC;
        let target = texture_2d(&self.gpu.device, "Texture::render_target", size, self.format, usage);
        let view = target.create_view(&Default::default());
        let encoder = self.encode(scene, heatmaps, vertices, &view, origin, size)?;
        read_back(&self.gpu.device, &self.gpu.queue, encoder, &target, size)
    }

    /// Encodes the part of the figure at `origin` of `size` pixels into
    /// `target` (a texture of that size, in this renderer's format); the
    /// caller submits the commands.
    fn encode(
        &mut self,
        scene: &Scene,
        heatmaps: &[HeatmapSource],
        vertices: &[ShapeVertex],
        target: &wgpu::TextureView,
        origin: [u32; 2],
        size: [u32; 2],
    ) -> Result<wgpu::CommandEncoder, RenderError> {
        // Glyphs the last drawing used and this one does not are let go.
        self.text.trim();
        let frame =
            FrameUniforms { origin: [origin[0] as f32, origin[1] as f32], size: [size[0] as f32, size[1] as f32] };
        self.pool.begin(&self.gpu.queue, bytemuck::bytes_of(&frame));
        self.atlases.tick();
        let origin_f = [origin[0] as f32, origin[1] as f32];
        let size_f = [size[0] as f32, size[1] as f32];
        let rects: Vec<crate::figure::Rect> = scene.drawn_heatmaps().into_iter().map(|(r, _)| r).collect();
        // A frame's budget and completeness start with its first piece.
        if let Some(streaming) = self.streaming.as_mut().filter(|_| origin == [0, 0]) {
            (streaming.uploaded, streaming.incomplete) = (0, false);
            // Requests the last frame no longer wanted are withdrawn.
            let mut wanted = std::mem::take(&mut streaming.wanted);
            for (key, loader) in &mut streaming.loaders {
                let keep = wanted.remove(key).unwrap_or_default();
                loader.retain(|id| keep.contains(id));
            }
        }
        // The pieces of a split heatmap share its atlases: they show parts
        // of one view at one scale, so one level's atlas holds them all.
        let pieces = scene.pieces.len();
        let panel = |i: usize| if pieces == 0 { i } else { i.saturating_sub(pieces - 1) };
        let heatmap_groups: Vec<(HeatmapVariant, wgpu::BindGroup)> = heatmaps
            .iter()
            .zip(&rects)
            .enumerate()
            .flat_map(|(i, (source, &rect))| self.heatmap_bind_groups(panel(i), rect, source, origin_f, size_f))
            .collect();
        for &(variant, _) in &heatmap_groups {
            self.make_heatmap_pipeline(variant);
        }
        let device = &self.gpu.device;
        let queue = &self.gpu.queue;
        let frame_group = self.pool.frame_group.clone();
        let shape_buffer = self.pool.vertices(device, queue, Vertices::Shapes, bytemuck::cast_slice(vertices));
        let connectors = connector_vertices(scene);
        let connector_buffer =
            self.pool.vertices(device, queue, Vertices::Connectors, bytemuck::cast_slice(&connectors));
        let overlay = shapes::tessellate_overlay(scene);
        let overlay_buffer = self.pool.vertices(device, queue, Vertices::Overlay, bytemuck::cast_slice(&overlay));
        let strips = self.text.prepare_strips(device, queue, scene, origin_f, size_f)?;
        let strip_groups: Vec<wgpu::BindGroup> = strips
            .iter()
            .map(|strip| {
                let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("Buffer::rotated_text"),
                    contents: bytemuck::bytes_of(&strip.uniforms),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
                let view = strip.texture.create_view(&Default::default());
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("BindGroup::rotated_text"),
                    layout: &self.strip_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: buffer.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&view) },
                    ],
                })
            })
            .collect();
        self.text.prepare(device, queue, scene, origin_f, size)?;
        // Each rotated-text strip's texture, uniforms and bind group (not
        // counting what glyphon makes inside).
        self.pool.made += 3 * strips.len() as u64;

        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("Encoder::figure") });
        self.text.encode_strips(&mut encoder, &strips)?;
        {
            let [r, g, b, a] = scene.background.0.map(|c| c as f64 / 255.0);
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("RenderPass::figure"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_bind_group(0, &frame_group, &[]);
            for (variant, group) in &heatmap_groups {
                let pipeline = self.heatmap_pipelines.iter().find(|(v, _)| v == variant).expect("made above");
                pass.set_pipeline(&pipeline.1);
                pass.set_bind_group(1, group, &[]);
                pass.draw(0..6, 0..1);
            }
            if let Some(buffer) = &shape_buffer {
                pass.set_pipeline(&self.shapes_pipeline);
                pass.set_vertex_buffer(0, buffer.slice(..));
                pass.draw(0..vertices.len() as u32, 0..1);
            }
            if let Some(buffer) = &connector_buffer {
                pass.set_pipeline(&self.connector_pipeline);
                pass.set_vertex_buffer(0, buffer.slice(..));
                pass.draw(0..connectors.len() as u32, 0..1);
            }
            pass.set_pipeline(&self.strip_pipeline);
            for group in &strip_groups {
                pass.set_bind_group(1, group, &[]);
                pass.draw(0..6, 0..1);
            }
            self.text.render(&mut pass)?;
            if let Some(buffer) = &overlay_buffer {
                // glyphon set its own group 0.
                pass.set_bind_group(0, &frame_group, &[]);
                pass.set_pipeline(&self.shapes_pipeline);
                pass.set_vertex_buffer(0, buffer.slice(..));
                pass.draw(0..overlay.len() as u32, 0..1);
            }
            self.text.render_overlay(&mut pass)?;
        }
        Ok(encoder)
    }

    /// GPU objects (buffers, textures, bind groups) the last drawing made.
    pub fn made_last_drawing(&self) -> u64 {
        self.pool.made
    }

    /// The GPU this renderer draws on.
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    /// The uniforms, atlas and lookup table of heatmap `index` (at `rect`)
    /// for one target: one bind group, or, while some of its tiles load
    /// (when streaming), the next coarser level's first and the view's
    /// level over it with those tiles left out. Atlases stay on the GPU
    /// between calls (an LRU cache, one atlas per heatmap and level); only
    /// tiles not already in their slot are read and uploaded.
    fn heatmap_bind_groups(
        &mut self,
        index: usize,
        rect: crate::figure::Rect,
        source: &HeatmapSource,
        origin: [f32; 2],
        size: [f32; 2],
    ) -> Vec<(HeatmapVariant, wgpu::BindGroup)> {
        let Some((mut fine, fine_key)) = self.planned(index, rect, source, origin, size, false) else {
            return Vec::new();
        };
        if self.levels.len() <= index {
            self.levels.resize(index + 1, None);
        }
        self.levels[index] = Some(fine_key.level);
        let missing = self.atlases.get(&fine_key).missing(&fine.tiles);
        // Streaming, with tiles to wait for and a coarser level to show meanwhile.
        let stream = self.streaming.is_some() && !missing.is_empty() && fine.uniforms.mask_cols > 0;
        let coarse = if stream { self.planned(index, rect, source, origin, size, true) } else { None };
        let (Some(streaming), Some((mut coarse, coarse_key))) = (self.streaming.as_mut().filter(|_| stream), coarse)
        else {
            // Waiting: every tile read now (at the coarsest level, streaming too: one or two tiles).
            let started = std::time::Instant::now();
            let values = read_tiles(source.pyramid, &missing, source.agg, source.style.norm.center);
            let atlas = self.atlases.get_mut(&fine_key);
            self.uploaded_bytes += upload(&self.gpu.queue, atlas, values, &mut self.upload_time, started);
            fine.uniforms.mask_cols = 0;
            return vec![self.heatmap_group(fine_key, &fine, source.style)];
        };
        // Tiles that arrived go up within the frame's budget; the others are asked for.
        let pyramid = fine_key.pyramid;
        let loader = streaming
            .loaders
            .entry(pyramid)
            .or_insert_with(|| TileLoader::new(Arc::clone(source.pyramid), LOADER_THREADS, LOADER_RAM));
        for tile in loader.poll() {
            streaming.arrived.insert((pyramid, tile.id), tile);
        }
        let mut ready = Vec::new();
        for &(id, offset) in &missing {
            let fits = streaming.uploaded < streaming.budget;
            match streaming.arrived.remove(&(pyramid, id)) {
                Some(tile) if fits => {
                    let [w, h] = [tile.rect.width as u32, tile.rect.height as u32];
                    streaming.uploaded += 4 * u64::from(w) * u64::from(h);
                    ready.push((id, offset, [w, h], tile_values(&tile, source.agg, source.style.norm.center)));
                }
                Some(tile) => {
                    streaming.arrived.insert((pyramid, id), tile);
                    fine.mark_missing(id);
                }
                None => {
                    loader.request(id);
                    fine.mark_missing(id);
                }
            }
        }
        // Arrived tiles this view no longer needs are let go (the loader keeps its own cache).
        let wanted = streaming.wanted.entry(pyramid).or_default();
        wanted.extend(missing.iter().map(|&(id, _)| id));
        streaming.arrived.retain(|&(k, id), _| k != pyramid || wanted.contains(&id));
        let still_loading = ready.len() < missing.len();
        streaming.incomplete |= still_loading;
        let started = std::time::Instant::now();
        let atlas = self.atlases.get_mut(&fine_key);
        self.uploaded_bytes += upload(&self.gpu.queue, atlas, ready, &mut self.upload_time, started);
        if !still_loading {
            fine.uniforms.mask_cols = 0;
            return vec![self.heatmap_group(fine_key, &fine, source.style)];
        }
        // Beneath: the coarser level, read at once (a quarter to a sixteenth
        // of the tiles, most of them drawn a moment ago).
        let missing = self.atlases.get(&coarse_key).missing(&coarse.tiles);
        let started = std::time::Instant::now();
        let values = read_tiles(source.pyramid, &missing, source.agg, source.style.norm.center);
        let atlas = self.atlases.get_mut(&coarse_key);
        self.uploaded_bytes += upload(&self.gpu.queue, atlas, values, &mut self.upload_time, started);
        coarse.uniforms.mask_cols = 0;
        let coarse_group = self.heatmap_group(coarse_key, &coarse, source.style);
        let fine_group = self.heatmap_group(fine_key, &fine, source.style);
        vec![coarse_group, fine_group]
    }

    /// The plan of heatmap `index` for a target (of the next coarser level
    /// than the view's when `coarser`), and the key of its level's atlas,
    /// fitted to it now. The atlas holds the tiles a view of the target's
    /// size can need, and no more than the level has (with a cache: than
    /// the pyramid's finest level has).
    fn planned(
        &mut self,
        index: usize,
        rect: crate::figure::Rect,
        source: &HeatmapSource,
        origin: [f32; 2],
        size: [f32; 2],
        coarser: bool,
    ) -> Option<(AtlasPlan, AtlasKey)> {
        let geometry = source.pyramid.geometry();
        let max_tiles = self.gpu.limits.max_texture_dimension_2d / TILE as u32;
        let most = atlas_tiles([size[0] as u32, size[1] as u32]).map(|t| t.min(max_tiles));
        let target = Piece { origin, size, atlas: most, coarser };
        let probe = plan(geometry, rect, &source.window, &target, source.style, source.agg)?;
        let level = probe.tiles.first()?.0.level;
        // With a cache every atlas of a pyramid has one size (what its finest
        // level can need), so that any can take over from another; without,
        // no more than the level's own tiles.
        let widest = if self.atlases.budget > 0 { Level { row: 0, col: 0 } } else { level };
        let (tile_rows, tile_cols) = geometry.tile_counts(widest);
        let wanted = [most[0].min(tile_cols), most[1].min(tile_rows)];
        // Made up front: one for each level and aggregate, as far as the budget goes.
        let (row_levels, col_levels) = geometry.level_counts();
        let up_front = 2 * u64::from(row_levels) * u64::from(col_levels);
        let key = AtlasKey {
            heatmap: index,
            pyramid: source.pyramid.key(),
            agg: source.agg,
            centre: source.style.norm.center.to_bits(),
            level,
        };
        let tiles = self.atlases.fit(&self.gpu, key, wanted, up_front);
        if tiles == most {
            return Some((probe, key));
        }
        let target = Piece { atlas: tiles, ..target };
        Some((plan(geometry, rect, &source.window, &target, source.style, source.agg)?, key))
    }

    /// The bind group of one heatmap draw: `plan`'s uniforms, the atlas
    /// `view`, and the colour table.
    fn heatmap_group(
        &mut self,
        atlas: AtlasKey,
        plan: &AtlasPlan,
        style: &HeatmapStyle,
    ) -> (HeatmapVariant, wgpu::BindGroup) {
        let (device, queue) = (&self.gpu.device, &self.gpu.queue);
        let lut_view = self.pool.lut(device, queue, style.colormap.lut().iter().map(|c| c.0).collect());
        let uniforms = self.pool.uniform(device, queue, bytemuck::bytes_of(&plan.uniforms));
        let view = &self.atlases.get(&atlas).view;
        self.pool.made += 1;
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("BindGroup::heatmap"),
            layout: &self.heatmap_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: uniforms.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(view) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&lut_view) },
            ],
        });
        (HeatmapVariant::of(&plan.uniforms), group)
    }

    /// The heatmap pipeline of `variant`, made the first time it is needed.
    fn make_heatmap_pipeline(&mut self, variant: HeatmapVariant) {
        if self.heatmap_pipelines.iter().any(|(v, _)| *v == variant) {
            return;
        }
        let module = &self.heatmap_module;
        let constants = [
            ("SPAN_X", f64::from(variant.span[0])),
            ("SPAN_Y", f64::from(variant.span[1])),
            ("MASKED", f64::from(u8::from(variant.masked))),
        ];
        let options = wgpu::PipelineCompilationOptions { constants: &constants, ..Default::default() };
        let [x, y] = variant.span;
        let label = format!("RenderPipeline::heatmap_{x}x{y}{}", if variant.masked { "_masked" } else { "" });
        let pipeline = self.gpu.device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(&label),
            layout: Some(&self.heatmap_pipeline_layout),
            vertex: wgpu::VertexState {
                module,
                entry_point: Some("vs_main"),
                buffers: &[],
                compilation_options: options.clone(),
            },
            fragment: Some(wgpu::FragmentState {
                module,
                entry_point: Some("fs_main"),
                targets: &[Some(wgpu::ColorTargetState {
                    format: self.format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
                compilation_options: options,
            }),
            primitive: wgpu::PrimitiveState { topology: wgpu::PrimitiveTopology::TriangleList, ..Default::default() },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        self.heatmap_pipelines.push((variant, pipeline));
    }

    /// Draws heatmaps from then on without waiting for tiles that are not
    /// in the GPU yet: worker threads read them, at most `budget` bytes of
    /// them go up a frame, and until a tile is there the next coarser level
    /// shows in its place. [`Renderer::incomplete`] tells when to draw
    /// again. Images ([`Target::Image`]) still wait for every tile.
    pub fn stream(&mut self, budget: u64) {
        self.streaming = Some(Streaming { budget, ..Default::default() });
    }

    /// Whether the last drawing left tiles out (streaming): draw again soon.
    pub fn incomplete(&self) -> bool {
        self.streaming.as_ref().is_some_and(|s| s.incomplete)
    }

    /// Bytes of tile values uploaded to the GPU so far, and the size in
    /// bytes of the atlases held now (those of the coarser levels drawn
    /// while tiles stream, and of levels drawn before, included).
    pub fn tile_traffic(&self) -> (u64, u64) {
        (self.uploaded_bytes, self.atlases.bytes())
    }

    /// The pyramid level each heatmap was last drawn at, and the tiles
    /// held on the GPU now (all heatmaps and levels).
    pub fn tile_state(&self) -> (&[Option<Level>], usize) {
        (&self.levels, self.atlases.entries.iter().map(|e| e.atlas.resident.len()).sum())
    }

    /// Keeps heatmap tiles on the GPU between drawings within `bytes`
    /// (the viewer and the benchmark use [`GPU_CACHE`]): the next drawing
    /// makes that many bytes of atlases of its size up front, and later
    /// ones let go of the atlases of levels and heatmaps not drawn lately,
    /// least recently drawn first. The atlases of the image being drawn are
    /// kept even beyond the budget. Without it (the default, for exports)
    /// only the current drawing's atlases are kept.
    pub fn set_gpu_cache(&mut self, bytes: u64) {
        self.atlases.budget = bytes;
        // Atlases made for another size or budget go; the next drawing makes them again.
        self.atlases.entries.clear();
    }

    /// Time spent reading tiles and uploading them so far.
    pub fn upload_time(&self) -> std::time::Duration {
        self.upload_time
    }
}

/// Which heatmap pipeline draws a plan: the shader's pipeline constants
/// (overrides of shaders/heatmap.wgsl; tests/shaders.rs checks the names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeatmapVariant {
    /// Level cells a pixel reads along x and y (1–4 each).
    pub span: [u32; 2],
    /// Whether tiles of the plan may be missing.
    pub masked: bool,
}

impl HeatmapVariant {
    /// The variant for a plan's uniforms: along an axis, a pixel covering
    /// `c` ≥ 1 cells straddles at most ⌈c⌉ + 1 of them, and under 1 cell a
    /// pixel reads the one under its centre; at most 4 (up to 3 cells a pixel).
    pub fn of(uniforms: &HeatmapUniforms) -> HeatmapVariant {
        let span = |c: f32| if c < 1.0 { 1 } else { c.ceil().min(3.0) as u32 + 1 };
        HeatmapVariant { span: uniforms.cells_per_px.map(span), masked: uniforms.mask_cols > 0 }
    }
}

/// Heatmap tiles loaded on worker threads while frames go on.
#[derive(Default)]
struct Streaming {
    /// Tile bytes a frame may upload.
    budget: u64,
    /// Uploaded in the frame being drawn.
    uploaded: u64,
    /// Whether the frame being drawn left tiles out.
    incomplete: bool,
    /// A loader per pyramid (by its key).
    loaders: std::collections::HashMap<u64, TileLoader>,
    /// Tiles read and not uploaded yet, by pyramid key and id.
    arrived: std::collections::HashMap<(u64, TileId), Arc<Tile>>,
    /// The tiles the frame being drawn lacks, by pyramid key.
    wanted: std::collections::HashMap<u64, std::collections::HashSet<TileId>>,
}

/// Worker threads and RAM (bytes) of each streaming tile loader.
const LOADER_THREADS: usize = 2;
const LOADER_RAM: usize = 256 << 20;

/// The default bound on GPU memory for heatmap tiles in the viewer and
/// the benchmark (`--gpu-cache`).
pub const GPU_CACHE: u64 = 512 << 20;
