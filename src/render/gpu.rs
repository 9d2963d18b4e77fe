//! The GPU device: any adapter wgpu finds (a real GPU, or Mesa's llvmpipe
//! on a machine without one), used without a window; textures made and
//! read back.

use super::RenderError;

/// Why no GPU device could be had.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter found ({0}); install a Vulkan or OpenGL driver (on Debian: apt-get install mesa-vulkan-drivers), or choose one with WGPU_BACKEND=vulkan|gl"
    )]
    NoAdapter(String),
    #[error("the GPU adapter '{adapter}' refused a device: {reason}")]
    NoDevice { adapter: String, reason: String },
}

/// A device and its queue.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub adapter: wgpu::Adapter,
    /// Whether `R32Float` textures (heatmap atlases) can be drawn into;
    /// OpenGL adapters without float render targets cannot.
    pub renders_r32float: bool,
}

impl Gpu {
    /// The first suitable adapter (high performance preferred); the
    /// `WGPU_BACKEND` and `WGPU_ADAPTER_NAME` variables choose among several.
    pub fn new() -> Result<Gpu, GpuError> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            descriptor.backends = wgpu::Backends::VULKAN | wgpu::Backends::GL;
        }
        Gpu::from_instance(&wgpu::Instance::new(descriptor), None)
    }

    /// A device on `instance` that can present to `surface`, if given.
    pub fn from_instance(instance: &wgpu::Instance, surface: Option<&wgpu::Surface>) -> Result<Gpu, GpuError> {
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or(wgpu::PowerPreference::HighPerformance),
            compatible_surface: surface,
            ..Default::default()
        };
        let adapter =
            pollster::block_on(instance.request_adapter(&options)).map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("Gpu::device"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(limits.clone()),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&descriptor))
            .map_err(|e| GpuError::NoDevice { adapter: info.name.clone(), reason: e.to_string() })?;
        let limits = device.limits();
        let renders_r32float = adapter
            .get_texture_format_features(wgpu::TextureFormat::R32Float)
            .allowed_usages
            .contains(wgpu::TextureUsages::RENDER_ATTACHMENT);
        Ok(Gpu { device, queue, info, limits, adapter, renders_r32float })
    }

    /// The adapter in a few words: name and backend.
    pub fn describe(&self) -> String {
        format!("{} ({:?})", self.info.name, self.info.backend)
    }
}

/// A plain 2-D texture of `size` (width, height).
pub(crate) fn texture_2d(
    device: &wgpu::Device,
    label: &str,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// Copies `target` into a buffer (rows padded to 256 bytes, as copies
/// require), waits, and returns the pixels with the padding removed.
pub(crate) fn read_back(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    mut encoder: wgpu::CommandEncoder,
    target: &wgpu::Texture,
    size: [u32; 2],
) -> Result<Vec<u8>, RenderError> {
    let row = 4 * size[0];
    let padded = row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("Buffer::readback"),
        size: padded as u64 * size[1] as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    encoder.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(size[1]),
            },
        },
        wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
    );
    queue.submit([encoder.finish()]);
    let (sender, receiver) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |result| {
        let _ = sender.send(result);
    });
    device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| RenderError::Readback(e.to_string()))?;
    receiver
        .recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mapped = buffer.get_mapped_range(..).map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut pixels = Vec::with_capacity((row * size[1]) as usize);
    for chunk in mapped.chunks(padded as usize) {
        pixels.extend_from_slice(&chunk[..row as usize]);
    }
    Ok(pixels)
}
