//! The window a view or a window benchmark draws in: a winit window, a
//! surface in a non-sRGB format (colours equal the exported images') and
//! a renderer on a device that can present to it; a lost device replaced.

use std::sync::Arc;

use crate::render::{Gpu, Renderer};
use winit::event_loop::ActiveEventLoop;
use winit::window::Window;

/// The window and its GPU state.
pub(super) struct WindowState {
    pub window: Arc<Window>,
    pub instance: wgpu::Instance,
    pub surface: wgpu::Surface<'static>,
    pub config: wgpu::SurfaceConfiguration,
    pub renderer: Renderer,
    /// Bytes of heatmap tiles kept on the GPU (`--gpu-cache`).
    gpu_cache: u64,
    /// Set when the GPU device is lost (driver reset, GPU removed).
    pub lost: Arc<std::sync::atomic::AtomicBool>,
    /// The first error the GPU reported outside any call that returns one
    /// (a surface on a window that is gone): the view ends with it.
    gpu_error: GpuErrors,
}

/// A window just opened, asked for its first frame; or, when it could not
/// be opened, the error kept and the event loop ended.
pub(super) fn opened(
    event_loop: &ActiveEventLoop,
    state: anyhow::Result<WindowState>,
    error: &mut Option<anyhow::Error>,
) -> Option<WindowState> {
    match state {
        Ok(state) => {
            state.window.request_redraw();
            Some(state)
        }
        Err(e) => {
            *error = Some(e);
            event_loop.exit();
            None
        }
    }
}

impl WindowState {
    /// A new device, surface and renderer for the same window.
    pub fn recreate(&mut self) -> anyhow::Result<()> {
        let (surface, config, mut renderer, lost, gpu_error) = gpu_for_window(&self.instance, &self.window, true)?;
        renderer.stream(UPLOAD_BUDGET);
        renderer.set_gpu_cache(self.gpu_cache);
        (self.surface, self.config, self.renderer, self.lost, self.gpu_error) =
            (surface, config, renderer, lost, gpu_error);
        Ok(())
    }
}

/// A window with a surface in a non-sRGB format (so colours match the
/// exported images) and a renderer for it.
pub(super) fn open_window(event_loop: &ActiveEventLoop, title: &str, gpu_cache: u64) -> anyhow::Result<WindowState> {
    let attributes =
        Window::default_attributes().with_title(title).with_inner_size(winit::dpi::LogicalSize::new(1280.0, 800.0));
    let mut state = open_window_with(event_loop, attributes, true, gpu_cache)?;
    state.renderer.stream(UPLOAD_BUDGET);
    Ok(state)
}

/// Tile bytes the viewer uploads a frame at most; tiles still loading show
/// their coarser level meanwhile.
const UPLOAD_BUDGET: u64 = 16 << 20;

/// A window with `attributes`, its surface presenting with or without
/// `vsync`, and a renderer for it.
pub(super) fn open_window_with(
    event_loop: &ActiveEventLoop,
    attributes: winit::window::WindowAttributes,
    vsync: bool,
    gpu_cache: u64,
) -> anyhow::Result<WindowState> {
    let window = Arc::new(event_loop.create_window(attributes)?);
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle(Box::new(
        event_loop.owned_display_handle(),
    )));
    let (surface, config, mut renderer, lost, gpu_error) = gpu_for_window(&instance, &window, vsync)?;
    renderer.set_gpu_cache(gpu_cache);
    Ok(WindowState { window, instance, surface, config, renderer, gpu_cache, lost, gpu_error })
}

/// The first error a device reported to no caller.
pub(super) type GpuErrors = Arc<std::sync::Mutex<Option<String>>>;

impl WindowState {
    /// The error the GPU reported since the last call, as one line that
    /// says what to do, if any.
    pub(super) fn gpu_error(&self) -> Option<anyhow::Error> {
        let message = self.gpu_error.lock().ok()?.take()?;
        let lines = message.lines().map(|l| l.trim().trim_end_matches(':')).filter(|l| !l.is_empty());
        let first = lines.collect::<Vec<_>>().join(": ");
        Some(anyhow::anyhow!(
            "the GPU could not draw the window ({first}); was the window closed from outside? Draw to a file with `heatscope render` instead"
        ))
    }
}

/// The window's state: surface, device and renderer.
type WindowGpu =
    (wgpu::Surface<'static>, wgpu::SurfaceConfiguration, Renderer, Arc<std::sync::atomic::AtomicBool>, GpuErrors);

/// A surface on `window`, a device that can present to it (its loss is
/// flagged) and a renderer in the surface's format; frames wait for the
/// display's refresh with `vsync`.
fn gpu_for_window(instance: &wgpu::Instance, window: &Arc<Window>, vsync: bool) -> anyhow::Result<WindowGpu> {
    let surface = instance.create_surface(window.clone())?;
    let gpu = Gpu::from_instance(instance, Some(&surface))?;
    // Errors no call returns (wgpu would panic on them) are kept for the
    // event loop, which ends the view with the first.
    let gpu_error: GpuErrors = Arc::default();
    let slot = gpu_error.clone();
    gpu.device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
        if let Ok(mut slot) = slot.lock() {
            slot.get_or_insert_with(|| error.to_string());
        }
    }));
    let caps = surface.get_capabilities(&gpu.adapter);
    let format = [wgpu::TextureFormat::Bgra8Unorm, wgpu::TextureFormat::Rgba8Unorm]
        .into_iter()
        .find(|f| caps.formats.contains(f))
        .unwrap_or(caps.formats[0]);
    let size = window.inner_size();
    let config = wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format,
        width: size.width.max(1),
        height: size.height.max(1),
        present_mode: if vsync { wgpu::PresentMode::AutoVsync } else { wgpu::PresentMode::AutoNoVsync },
        alpha_mode: caps.alpha_modes[0],
        view_formats: vec![],
        desired_maximum_frame_latency: 2,
        color_space: wgpu::SurfaceColorSpace::Auto,
    };
    surface.configure(&gpu.device, &config);
    let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = lost.clone();
    gpu.device.set_device_lost_callback(move |_, _| flag.store(true, std::sync::atomic::Ordering::Relaxed));
    let renderer = Renderer::with_gpu(gpu, format);
    Ok((surface, config, renderer, lost, gpu_error))
}
