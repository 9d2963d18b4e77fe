//! GPU objects every drawing needs, kept between drawings and rewritten
//! instead of made anew: the frame's uniforms and bind group, the vertex
//! buffers (grown when a drawing needs more), the heatmaps' uniform
//! buffers, and the colour tables by their colours.
//!
//! Writes go through the queue, so a drawing's encoder must be submitted
//! before the next drawing begins (every caller of `Renderer::draw` does).

use wgpu::util::DeviceExt;

/// The vertex buffers a drawing fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Vertices {
    Shapes = 0,
    Connectors = 1,
    Overlay = 2,
}

/// Colour tables kept at most; beyond, the least recently made goes.
const LUTS: usize = 16;

pub(super) struct Pool {
    frame_buffer: wgpu::Buffer,
    pub frame_group: wgpu::BindGroup,
    vertices: [Option<wgpu::Buffer>; 3],
    uniforms: Vec<wgpu::Buffer>,
    /// Uniform buffers handed out since the drawing began.
    next_uniform: usize,
    luts: Vec<(Vec<[u8; 4]>, wgpu::TextureView)>,
    /// Objects made since the drawing began.
    pub made: u64,
}

impl Pool {
    pub fn new(device: &wgpu::Device, frame_layout: &wgpu::BindGroupLayout, frame_bytes: u64) -> Pool {
        let frame_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("Buffer::frame"),
            size: frame_bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let frame_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("BindGroup::frame"),
            layout: frame_layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: frame_buffer.as_entire_binding() }],
        });
        Pool {
            frame_buffer,
            frame_group,
            vertices: [None, None, None],
            uniforms: Vec::new(),
            next_uniform: 0,
            luts: Vec::new(),
            made: 0,
        }
    }

    /// A drawing begins with the frame's uniforms `frame`.
    pub fn begin(&mut self, queue: &wgpu::Queue, frame: &[u8]) {
        (self.next_uniform, self.made) = (0, 0);
        queue.write_buffer(&self.frame_buffer, 0, frame);
    }

    /// A vertex buffer of `kind` holding `bytes` (none when empty).
    pub fn vertices(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        kind: Vertices,
        bytes: &[u8],
    ) -> Option<wgpu::Buffer> {
        if bytes.is_empty() {
            return None;
        }
        let slot = &mut self.vertices[kind as usize];
        if slot.as_ref().is_none_or(|b| b.size() < bytes.len() as u64) {
            let size = (bytes.len() as u64).next_power_of_two().max(1 << 12);
            *slot = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("Buffer::vertices"),
                size,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
            self.made += 1;
        }
        let buffer = slot.clone().expect("made above");
        queue.write_buffer(&buffer, 0, bytes);
        Some(buffer)
    }

    /// The next uniform buffer of this drawing, holding `bytes`.
    pub fn uniform(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, bytes: &[u8]) -> wgpu::Buffer {
        if self.next_uniform == self.uniforms.len() {
            self.uniforms.push(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("Buffer::heatmap"),
                size: bytes.len() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
            self.made += 1;
        }
        let buffer = self.uniforms[self.next_uniform].clone();
        self.next_uniform += 1;
        queue.write_buffer(&buffer, 0, bytes);
        buffer
    }

    /// The colour table of `colors` (256 entries) as a texture.
    pub fn lut(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, colors: Vec<[u8; 4]>) -> wgpu::TextureView {
        if let Some((_, view)) = self.luts.iter().find(|(c, _)| *c == colors) {
            return view.clone();
        }
        let texture = device.create_texture_with_data(
            queue,
            &wgpu::TextureDescriptor {
                label: Some("Texture::colormap"),
                size: wgpu::Extent3d { width: colors.len() as u32, height: 1, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            },
            wgpu::util::TextureDataOrder::LayerMajor,
            bytemuck::cast_slice(&colors),
        );
        self.made += 1;
        if self.luts.len() == LUTS {
            self.luts.remove(0);
        }
        let view = texture.create_view(&Default::default());
        self.luts.push((colors, view.clone()));
        view
    }
}
