//! The GPU device: any adapter wgpu finds (a real GPU, or Mesa's llvmpipe
//! on a machine without one), used without a window.

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
