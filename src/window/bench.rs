//! `heatscope bench --window`: the camera path drawn into a window through
//! the viewer's surface set-up, without vertical sync; each frame is
//! presented and waited for on the GPU, so its time is the drawing's and
//! the presenting's, not the display's refresh.

use std::time::Instant;

use crate::render::{Renderer, Target};
use crate::view::{Action, bench_path};
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::{Window, WindowId};

use super::surface::{WindowState, open_window_with, opened};
use crate::app::Session;
use crate::app::bench::{Recorder, step};

/// Replays the path in a window of `size` pixels; the renderer (for its
/// traffic counters) and the size the frames had.
pub fn run(
    session: &mut Session,
    size: [u32; 2],
    gpu_cache: u64,
    recorder: &mut Recorder,
) -> anyhow::Result<(Renderer, [u32; 2])> {
    super::open_event_loop("leave out --window to measure offscreen")?;
    let path = bench_path().into();
    let mut bench =
        WindowBench { session, size, gpu_cache, recorder, path, state: None, sized: false, misses: 0, error: None };
    super::run_app(&mut bench, ControlFlow::Poll)?;
    if let Some(error) = bench.error {
        return Err(error);
    }
    let state = bench.state.ok_or_else(|| anyhow::anyhow!("--window: the window never opened"))?;
    Ok((state.renderer, [state.config.width, state.config.height]))
}

struct WindowBench<'a> {
    session: &'a mut Session,
    size: [u32; 2],
    /// Bytes of heatmap tiles kept on the GPU (`--gpu-cache`).
    gpu_cache: u64,
    recorder: &'a mut Recorder,
    path: std::collections::VecDeque<Action>,
    state: Option<WindowState>,
    /// Whether the session has the surface's size (set before the first frame).
    sized: bool,
    /// Frames in a row the surface could not give a texture for.
    misses: u32,
    error: Option<anyhow::Error>,
}

/// Tries for a drawable texture before the benchmark gives up.
const MISSES: u32 = 200;

impl WindowBench<'_> {
    /// Draws the next step of the path; false once the path is done.
    fn frame(&mut self) -> anyhow::Result<bool> {
        let Some(state) = &mut self.state else { return Ok(true) };
        if self.path.is_empty() {
            return Ok(false);
        }
        let size = [state.config.width, state.config.height];
        if !std::mem::replace(&mut self.sized, true) {
            self.session.resize(size);
        }
        let began = Instant::now();
        let (frame, reconfigure) = match state.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame) => (frame, false),
            wgpu::CurrentSurfaceTexture::Suboptimal(frame) => (frame, true),
            wgpu::CurrentSurfaceTexture::Validation => anyhow::bail!("the GPU rejected the window's surface"),
            // Not drawable now: set up again (a lost surface anew) and retry the same step.
            other => {
                self.misses += 1;
                anyhow::ensure!(
                    self.misses < MISSES,
                    "--window: the window gave no surface to draw on {MISSES} times in a row (hidden or minimised?)"
                );
                if matches!(other, wgpu::CurrentSurfaceTexture::Lost) {
                    state.surface = state.instance.create_surface(state.window.clone())?;
                }
                state.surface.configure(&state.renderer.gpu().device, &state.config);
                return Ok(true);
            }
        };
        self.misses = 0;
        let action = self.path.pop_front().expect("checked above");
        let windows = step(self.session, &action);
        let picture = self.session.base_scene();
        let sources = self.session.prepared.sources(self.session.agg, &windows, &picture);
        let before = state.renderer.tile_traffic().0;
        let view = frame.texture.create_view(&Default::default());
        let triangles = state.renderer.draw(&picture, &sources, Target::View(&view))?.triangles;
        state.window.pre_present_notify();
        state.renderer.gpu().queue.present(frame);
        state.renderer.wait()?;
        let uploaded = state.renderer.tile_traffic().0 - before;
        self.recorder.frame(began, uploaded, triangles, picture.texts.len(), &state.renderer);
        if reconfigure {
            state.surface.configure(&state.renderer.gpu().device, &state.config);
        }
        state.gpu_error().map_or(Ok(true), Err)
    }
}

impl ApplicationHandler for WindowBench<'_> {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.state.is_some() {
            return;
        }
        let attributes = Window::default_attributes()
            .with_title("heatscope bench")
            .with_resizable(false)
            .with_inner_size(winit::dpi::PhysicalSize::new(self.size[0], self.size[1]));
        self.state =
            opened(event_loop, open_window_with(event_loop, attributes, false, self.gpu_cache), &mut self.error);
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => {
                self.error = Some(anyhow::anyhow!("--window: the window was closed before the path ended"));
                event_loop.exit();
            }
            WindowEvent::Resized(size) if size.width > 0 && size.height > 0 => {
                if let Some(state) = &mut self.state
                    && [state.config.width, state.config.height] != [size.width, size.height]
                {
                    // Only before the first frame: the path's cameras are made for one size.
                    if self.sized {
                        self.error = Some(anyhow::anyhow!("--window: the window was resized during the benchmark"));
                        event_loop.exit();
                        return;
                    }
                    state.config.width = size.width;
                    state.config.height = size.height;
                    state.surface.configure(&state.renderer.gpu().device, &state.config);
                }
            }
            WindowEvent::RedrawRequested => match self.frame() {
                Ok(true) => {
                    if let Some(state) = &self.state {
                        state.window.request_redraw();
                    }
                }
                Ok(false) => event_loop.exit(),
                Err(e) => {
                    self.error = Some(e);
                    event_loop.exit();
                }
            },
            _ => {}
        }
    }
}
