//! The interactive window (`heatscope view`, and `bench --window`): the
//! winit event loop around an [`app::Session`](crate::app::Session), the
//! only place winit is used. Mouse and keys become session calls and
//! actions. The window opens at once while the figure is prepared on
//! another thread ([`crate::app::preview::start`]); it shows the stage
//! running and how far it is, from the same bars the terminal shows
//! ([`crate::progress::current`]), then the preview stages, then the
//! figure. It draws through the same renderer as an export and redraws
//! only on change; a lost surface is recreated, a lost device replaced.

pub mod bench;
mod surface;

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::error::EventLoopError;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{Key, ModifiersState, NamedKey};
use winit::platform::run_on_demand::EventLoopExtRunOnDemand;
use winit::window::WindowId;

use crate::app::preview::{self, Ready};
use crate::app::{FigureSpec, HudStats, Prepared, SearchKey, Session, UsageError};
use crate::figure::Agg;
use crate::figure::scene::{DataWindow, Scene};
use crate::render::Target;
use crate::view::script::key_action;
use crate::view::{Action, Script};
use surface::{WindowState, open_window, opened};

/// `--gpu-cache`'s default: bytes of heatmap tiles kept on the GPU.
pub const DEFAULT_GPU_CACHE: u64 = crate::render::GPU_CACHE;

/// How a view runs, besides the figure it shows.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    /// Actions replayed one a frame once the figure shows.
    pub script: Script,
    /// Close the window after this many frames.
    pub exit_after_frames: Option<u64>,
    /// Save the last frame as PNG when the window closes.
    pub screenshot: Option<PathBuf>,
    /// Save the first frame of the filled-in file-order preview as PNG.
    pub preview_screenshot: Option<PathBuf>,
    /// Bytes of heatmap tiles kept on the GPU.
    pub gpu_cache: u64,
    /// Reopen the view saved here, and save it here when the window closes.
    pub state: Option<PathBuf>,
    /// Where `e` writes its tables (default: beside the matrix).
    pub export_dir: Option<PathBuf>,
}

thread_local! {
    /// The event loop, made once: winit makes one a process (on the main
    /// thread), so a program opening several windows in turn reuses it.
    // Boxed: a thread-local of a library loaded at run time (a Python
    // extension) must stay small.
    static EVENT_LOOP: RefCell<Option<Box<EventLoop<()>>>> = const { RefCell::new(None) };
}

/// Makes the event loop unless it exists; without a display, says so and
/// what to do instead (`otherwise`).
fn open_event_loop(otherwise: &str) -> anyhow::Result<()> {
    EVENT_LOOP.with_borrow_mut(|slot| {
        if slot.is_none() {
            let made = EventLoop::new().map_err(|e| match e {
                EventLoopError::RecreationAttempt => anyhow::anyhow!(
                    "the window can only be opened from the thread that opened the first one (the main thread)"
                ),
                // No display named: a usage error (exit 2), as running a
                // window command where none can open is.
                _ if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() => {
                    UsageError(format!(
                        "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); {otherwise}"
                    ))
                    .into()
                }
                e => anyhow::anyhow!("cannot open a window on the display ({e}); {otherwise}"),
            })?;
            *slot = Some(Box::new(made));
        }
        Ok(())
    })
}

/// Runs `app` on the event loop ([`open_event_loop`] first) until it exits.
fn run_app<A: ApplicationHandler>(app: &mut A, flow: ControlFlow) -> anyhow::Result<()> {
    EVENT_LOOP.with_borrow_mut(|slot| {
        let event_loop = slot.as_mut().ok_or_else(|| anyhow::anyhow!("no event loop to run the window on"))?;
        event_loop.set_control_flow(flow);
        Ok(event_loop.run_app_on_demand(app)?)
    })
}

/// Opens a window on `figure` and runs it until it is closed.
pub fn view(figure: FigureSpec, options: ViewOptions) -> anyhow::Result<()> {
    figure.check()?;
    for path in [&options.screenshot, &options.preview_screenshot].into_iter().flatten() {
        crate::app::check_folder(path)?;
    }
    let ViewOptions { script, exit_after_frames, screenshot, preview_screenshot, gpu_cache, state, export_dir } =
        options;
    // A saved view is read before the window opens: one that cannot be
    // read is a usage error, not a view quietly reset.
    let saved = match &state {
        Some(path) if path.exists() => Some(read_state(path)?),
        Some(path) => {
            crate::app::check_folder(path)?;
            None
        }
        None => None,
    };
    let input = figure.input.clone();
    open_event_loop("draw to a file with `heatscope render FILE -o out.png`")?;
    let title = format!("heatscope — {}", input.file.display());
    // The window opens at once; clustering and the pyramid run beside it,
    // after a file-order preview of a large matrix.
    let pending = preview::start(figure.clone());
    let agg = figure.agg;
    let preview_look = preview::look(&figure);
    let preview_shot = preview_screenshot.clone();
    // The preview counts the seconds of the whole preparation, as the
    // waiting window does.
    let launched = Instant::now();
    let preview = move |prepared: Prepared, state: WindowState, step: usize, filling: bool| App {
        // The screenshot is of the last stage, the preview filled in.
        preview: Some(Preview {
            step,
            filling,
            started: launched,
            screenshot: if filling { None } else { preview_shot.clone() },
        }),
        ..App::new(prepared, preview_look.clone(), state, agg)
    };
    let make = move |prepared: Prepared, window: WindowState| {
        let mut app = App {
            script: script.actions.into_iter().collect(),
            exit_after: exit_after_frames,
            screenshot,
            state_file: state.clone(),
            ..App::new(prepared, figure, window, agg)
        };
        app.session.export_dir = export_dir;
        if let (Some(saved), Some(path)) = (&saved, &state)
            && let Err(why) = app.session.restore(saved)
        {
            // Kept as it is for the matrix it was saved for.
            eprintln!("warning: --state {}: {why}; not restored, and not saved over", path.display());
            app.state_file = None;
        }
        app
    };
    let mut launcher = Launcher {
        title,
        gpu_cache,
        pending: Some(pending),
        started: launched,
        preview: Box::new(preview),
        previewed: false,
        waiting: None,
        figure: None,
        make: Some(Box::new(make)),
        state: None,
        app: None,
        error: None,
    };
    run_app(&mut launcher, ControlFlow::Wait)?;
    if let Some(pending) = launcher.pending.take() {
        // Closed while the figure was being prepared: stop the preparing
        // thread at its next check, so that it removes its temporary files
        // (a pyramid being written may be gigabytes), waiting a few seconds.
        crate::progress::interrupt();
        let until = Instant::now() + Duration::from_secs(10);
        let ended = loop {
            match pending.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Ready::Figure(_)) | Err(RecvTimeoutError::Disconnected) => break true,
                Ok(Ready::Preview { .. }) => {}
                Err(RecvTimeoutError::Timeout) => break false,
            }
        };
        // Once it has stopped, later work (another window) may run again.
        if ended {
            crate::progress::clear_interrupt();
        }
        return launcher.error.map_or(Ok(()), Err);
    }
    if let Some(error) = launcher.error {
        return Err(error);
    }
    if let Some(path) = &preview_screenshot
        && !launcher.previewed
    {
        eprintln!(
            "warning: --preview-screenshot {}: no preview was shown (a matrix of up to 4,096 rows, or linked panels, show clustered at once)",
            path.display()
        );
    }
    let Some(app) = launcher.app else { return Ok(()) };
    match app.error.or(app.screenshot_failed) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// A preview on screen.
struct Preview {
    /// Rows of the file between two rows of the preview.
    step: usize,
    /// Whether a finer stage is still to come.
    filling: bool,
    /// When the preparation started.
    started: Instant,
    /// Where its first frame goes (`--preview-screenshot`).
    screenshot: Option<PathBuf>,
}

impl App {
    /// A viewer of `prepared` in the window `state`, fitted, nothing selected.
    fn new(prepared: Prepared, figure: FigureSpec, state: WindowState, agg: Agg) -> App {
        let size = [state.config.width, state.config.height];
        let mut session = Session::new(prepared, figure, size);
        session.agg = agg;
        App {
            session,
            state: Some(state),
            preview: None,
            script: Default::default(),
            exit_after: None,
            screenshot: None,
            frames: 0,
            modifiers: ModifiersState::empty(),
            last_click: None,
            frame_time: Duration::ZERO,
            error: None,
            screenshot_failed: None,
            state_file: None,
        }
    }
}

/// Builds the viewer once its figure is prepared.
type MakeApp = Box<dyn FnOnce(Prepared, WindowState) -> App>;
/// Builds the viewer of a preview stage (rows `step` apart; whether a finer
/// stage follows).
type MakePreview = Box<dyn Fn(Prepared, WindowState, usize, bool) -> App>;

/// Opens the window at once and says what is being prepared (clustering,
/// pyramid; bars in the terminal) until the figure is ready, then hands the
/// window to the viewer.
struct Launcher {
    title: String,
    /// Bytes of heatmap tiles kept on the GPU.
    gpu_cache: u64,
    pending: Option<std::sync::mpsc::Receiver<Ready>>,
    started: Instant,
    preview: MakePreview,
    /// Whether a preview has been shown.
    previewed: bool,
    /// The latest preview stage, until it can be shown.
    waiting: Option<(Box<Prepared>, usize, bool)>,
    /// The figure, once prepared, until the preview has been drawn once.
    figure: Option<Box<Prepared>>,
    make: Option<MakeApp>,
    state: Option<WindowState>,
    app: Option<App>,
    error: Option<anyhow::Error>,
}

impl Launcher {
    /// Takes what the preparing thread has sent: the preview is shown as
    /// soon as the window is open, the figure replaces it once the preview
    /// has been drawn (or at once). Whether a viewer runs now.
    fn poll(&mut self, event_loop: &ActiveEventLoop) -> bool {
        while let Some(pending) = &self.pending {
            match pending.try_recv() {
                Ok(Ready::Preview { prepared, step, filling }) => self.waiting = Some((prepared, step, filling)),
                Ok(Ready::Figure(Ok(prepared))) => {
                    self.figure = Some(prepared);
                    self.pending = None;
                }
                Ok(Ready::Figure(Err(error))) => {
                    self.error = Some(error);
                    self.pending = None;
                    event_loop.exit();
                    return false;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.error = Some(anyhow::anyhow!("preparing the figure failed unexpectedly"));
                    self.pending = None;
                    event_loop.exit();
                    return false;
                }
            }
        }
        let previewing = self.app.as_ref().is_some_and(|app| app.preview.is_some());
        if self.figure.is_some() && (previewing || self.app.is_none()) {
            let state = match &mut self.app {
                Some(app) if app.frames == 0 => None,
                Some(app) => app.state.take(),
                None => self.state.take(),
            };
            if let Some(state) = state {
                let make = self.make.take().expect("made once");
                let figure = self.figure.take().expect("checked");
                self.show(make(*figure, state));
            }
        } else if let Some((prepared, step, filling)) = self.waiting.take() {
            // The first stage as soon as the window is open; each finer one
            // in place of the one shown once that has been drawn, over the
            // same part of the file.
            let (state, shown) = match &mut self.app {
                None => (self.state.take(), None),
                Some(app) if app.frames > 0 && app.preview.is_some() => {
                    let shown = app.preview_window();
                    (app.state.take(), shown)
                }
                Some(_) => (None, None),
            };
            match state {
                Some(state) => {
                    self.show((self.preview)(*prepared, state, step, filling));
                    self.previewed = true;
                    if let (Some((window, before)), Some(app)) = (shown, &mut self.app) {
                        app.show_preview_window(&window, before);
                    }
                }
                None => self.waiting = Some((prepared, step, filling)),
            }
        }
        self.app.is_some()
    }

    /// Makes `app` the viewer and asks for its first frame.
    fn show(&mut self, mut app: App) {
        app.session.heatmap_rects();
        if let Some(state) = &app.state {
            state.window.request_redraw();
        }
        self.app = Some(app);
    }

    /// A white window with one line saying what is going on.
    fn draw_waiting(&mut self) -> anyhow::Result<()> {
        let Some(state) = &mut self.state else { return Ok(()) };
        let scene = preview::waiting([state.config.width, state.config.height], self.started);
        let wgpu::CurrentSurfaceTexture::Success(frame) = state.surface.get_current_texture() else {
            state.surface.configure(&state.renderer.gpu().device, &state.config);
            return Ok(());
        };
        let view = frame.texture.create_view(&Default::default());
        state.renderer.draw(&scene, &[], Target::View(&view))?;
        state.renderer.gpu().queue.present(frame);
        state.gpu_error().map_or(Ok(()), Err)
    }
}

impl ApplicationHandler for Launcher {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(app) = &mut self.app {
            return app.resumed(event_loop);
        }
        if self.state.is_none() {
            self.state = opened(event_loop, open_window(event_loop, &self.title, self.gpu_cache), &mut self.error);
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        if self.poll(event_loop) {
            if let Some(app) = &mut self.app {
                app.window_event(event_loop, id, event);
            }
            return;
        }
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) if size.width > 0 && size.height > 0 => {
                if let Some(state) = &mut self.state {
                    state.config.width = size.width;
                    state.config.height = size.height;
                    state.surface.configure(&state.renderer.gpu().device, &state.config);
                }
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.draw_waiting() {
                    self.error = Some(e);
                    event_loop.exit();
                }
            }
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let previewing = self.app.as_ref().is_some_and(|app| app.preview.is_some());
        if (self.app.is_some() && !previewing) || self.error.is_some() {
            event_loop.set_control_flow(ControlFlow::Wait);
            return;
        }
        // Waiting or previewing: look again (and redraw the stage and the
        // seconds) four times a second.
        let running = self.poll(event_loop);
        if running && self.app.as_ref().is_some_and(|app| app.preview.is_none()) {
            return;
        }
        event_loop.set_control_flow(ControlFlow::WaitUntil(Instant::now() + Duration::from_millis(250)));
        let window = self.app.as_ref().and_then(|app| app.state.as_ref()).or(self.state.as_ref());
        if let Some(state) = window {
            state.window.request_redraw();
        }
    }
}

struct App {
    /// What the window shows, and how actions change it.
    session: Session,
    state: Option<WindowState>,
    /// Set while this shows the file-order preview of a matrix still being
    /// clustered.
    preview: Option<Preview>,
    script: std::collections::VecDeque<Action>,
    exit_after: Option<u64>,
    screenshot: Option<PathBuf>,
    frames: u64,
    modifiers: ModifiersState,
    last_click: Option<Instant>,
    frame_time: Duration,
    error: Option<anyhow::Error>,
    screenshot_failed: Option<anyhow::Error>,
    /// Where the view is saved when the window closes (`--state`).
    state_file: Option<PathBuf>,
}

impl App {
    /// A preview stage's view: its camera's window and its step.
    fn preview_window(&self) -> Option<(DataWindow, usize)> {
        let step = self.preview.as_ref()?.step;
        Some((self.session.camera()?.window().clone(), step))
    }

    /// Shows the part of the file that a coarser preview stage (rows
    /// `before` apart) showed in `window`.
    fn show_preview_window(&mut self, window: &DataWindow, before: usize) {
        let Some(step) = self.preview.as_ref().map(|p| p.step) else { return };
        let Some(camera) = self.session.camera_mut(0) else { return };
        let scale = before as f64 / step as f64;
        camera.show_rows(window.rows.start * scale..window.rows.end * scale);
        camera.show_cols(window.cols.clone());
    }

    /// Performs one action on the session, and what only the window can do.
    fn act(&mut self, action: Action) {
        match self.session.act(action) {
            Some(Action::LoseDevice) => {
                if let Some(state) = &self.state {
                    state.renderer.gpu().device.destroy();
                    state.lost.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Some(Action::Screenshot(path)) => self.save_png(&path),
            _ => {}
        }
    }

    /// The session's scene with the window's own overlays: HUD, preview
    /// banner, help.
    fn full_scene(&mut self) -> Scene {
        let hud = self.state.as_ref().map(|s| HudStats::of(&s.renderer, self.frame_time));
        let banner = self.preview.as_ref().map(|p| preview::banner(p.step, p.filling, p.started));
        self.session.window_scene(hud.as_ref(), banner)
    }

    fn redraw(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let scene = self.full_scene();
        let windows = self.session.windows();
        let Some(state) = &mut self.state else { return Ok(()) };
        let frame = match state.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame) => frame,
            wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => return Ok(()),
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Suboptimal(_) => {
                state.surface.configure(&state.renderer.gpu().device, &state.config);
                state.window.request_redraw();
                return Ok(());
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                state.surface = state.instance.create_surface(state.window.clone())?;
                state.surface.configure(&state.renderer.gpu().device, &state.config);
                state.window.request_redraw();
                return Ok(());
            }
            wgpu::CurrentSurfaceTexture::Validation => anyhow::bail!("the GPU rejected the window's surface"),
        };
        let view = frame.texture.create_view(&Default::default());
        let sources = self.session.prepared.sources(self.session.agg, &windows, &scene);
        state.renderer.draw(&scene, &sources, Target::View(&view))?;
        state.window.pre_present_notify();
        state.renderer.gpu().queue.present(frame);
        self.frame_time = started.elapsed();
        self.frames += 1;
        Ok(())
    }

    /// Draws the current view offscreen and writes it as PNG.
    fn save_png(&mut self, path: &std::path::Path) {
        let scene = self.full_scene();
        let windows = self.session.windows();
        let Some(state) = &mut self.state else { return };
        let sources = self.session.prepared.sources(self.session.agg, &windows, &scene);
        let drawing = state.renderer.draw(&scene, &sources, Target::Image);
        let result = drawing.map_err(anyhow::Error::from).and_then(|drawing| {
            let image = drawing.into_image();
            crate::output::write_atomically(path, |w| w.write_all(&image.to_png()))
                .map_err(|e| anyhow::anyhow!("cannot write {} ({e})", path.display()))
        });
        match result {
            Ok(()) => eprintln!("saved {}", path.display()),
            // Reported when the window closes (exit code 1): the view goes on.
            Err(e) => {
                eprintln!("warning: {e}");
                self.screenshot_failed = Some(e);
            }
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: anyhow::Error) {
        self.error = Some(error);
        event_loop.exit();
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, _event_loop: &ActiveEventLoop) {
        // The launcher opened the window; a resumed event only asks for a frame.
        if let Some(state) = &self.state {
            state.window.request_redraw();
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let mut changed = false;
        match event {
            WindowEvent::CloseRequested => {
                self.finish(event_loop);
                return;
            }
            WindowEvent::Resized(size) => {
                if let Some(state) = &mut self.state
                    && size.width > 0
                    && size.height > 0
                {
                    state.config.width = size.width;
                    state.config.height = size.height;
                    state.surface.configure(&state.renderer.gpu().device, &state.config);
                    self.session.resize([size.width, size.height]);
                    changed = true;
                }
            }
            WindowEvent::ScaleFactorChanged { .. } => changed = true,
            WindowEvent::ModifiersChanged(modifiers) => self.modifiers = modifiers.state(),
            WindowEvent::CursorMoved { position, .. } => {
                self.session.pointer_moved([position.x, position.y], !self.script.is_empty());
                changed = true;
            }
            WindowEvent::CursorLeft { .. } => {
                self.session.pointer_left();
                changed = true;
            }
            WindowEvent::MouseInput { state: ElementState::Pressed, button: MouseButton::Left, .. } => {
                let double = self.last_click.is_some_and(|t| t.elapsed() < Duration::from_millis(350));
                self.last_click = Some(Instant::now());
                self.session.press(double);
                changed = true;
            }
            WindowEvent::MouseInput { state: ElementState::Released, button: MouseButton::Left, .. } => {
                self.session.release()
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let notches = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y as f64,
                    MouseScrollDelta::PixelDelta(p) => p.y / 40.0,
                };
                changed = self.session.wheel(notches, self.modifiers.shift_key(), self.modifiers.control_key());
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                changed = self.key(event_loop, &event.logical_key);
            }
            WindowEvent::RedrawRequested => {
                // A lost device: a new one, and everything on it, for the same window and view.
                if let Some(state) = &mut self.state
                    && state.lost.load(std::sync::atomic::Ordering::Relaxed)
                {
                    eprintln!("warning: the GPU device was lost; starting a new one");
                    if let Err(e) = state.recreate() {
                        self.fail(event_loop, e);
                        return;
                    }
                }
                if let Some(action) = self.script.pop_front() {
                    self.act(action);
                }
                // Nothing draws on a device just lost; the next frame starts a new one.
                if self.state.as_ref().is_some_and(|s| s.lost.load(std::sync::atomic::Ordering::Relaxed)) {
                    if let Some(state) = &self.state {
                        state.window.request_redraw();
                    }
                    return;
                }
                if let Some(e) = self.redraw().err().or_else(|| self.state.as_ref()?.gpu_error()) {
                    self.fail(event_loop, e);
                    return;
                }
                if let Some(path) = self.preview.as_mut().and_then(|p| p.screenshot.take()) {
                    self.save_png(&path);
                }
                if self.exit_after.is_some_and(|n| self.frames >= n) {
                    self.finish(event_loop);
                    return;
                }
                // Scripts, frame counts and tiles still loading keep drawing; otherwise only changes do.
                let loading = self.state.as_ref().is_some_and(|s| s.renderer.incomplete());
                if !self.script.is_empty() || self.exit_after.is_some() || loading {
                    changed = true;
                }
            }
            _ => {}
        }
        if changed && let Some(state) = &self.state {
            state.window.request_redraw();
        }
    }
}

impl App {
    /// Handles a key; whether the picture changed.
    fn key(&mut self, event_loop: &ActiveEventLoop, key: &Key) -> bool {
        if self.session.search.is_some() {
            let typed = match key {
                Key::Named(NamedKey::Enter) => SearchKey::Enter,
                Key::Named(NamedKey::Escape) => SearchKey::Escape,
                Key::Named(NamedKey::Backspace) => SearchKey::Backspace,
                Key::Named(NamedKey::Space) => SearchKey::Text(" "),
                Key::Character(text) => SearchKey::Text(text),
                _ => return false,
            };
            return self.session.search_key(typed);
        }
        let name = match key {
            Key::Named(NamedKey::Escape) => {
                self.finish(event_loop);
                return false;
            }
            Key::Named(named) => format!("{named:?}"),
            Key::Character(text) => text.to_string(),
            _ => return false,
        };
        match name.as_str() {
            "q" => {
                self.finish(event_loop);
                false
            }
            "/" => {
                self.session.search = Some(String::new());
                true
            }
            "s" => {
                let path = PathBuf::from(format!("heatscope-{}.png", std::process::id()));
                self.act(Action::Screenshot(path));
                false
            }
            _ => match key_action(&name) {
                Some(action) => {
                    self.act(action);
                    true
                }
                None => false,
            },
        }
    }

    /// Saves `--screenshot` and `--state`, and closes.
    fn finish(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(path) = self.screenshot.take() {
            self.save_png(&path);
        }
        if let Some(path) = self.state_file.take() {
            let state = self.session.view_state();
            let written = crate::output::write_atomically(&path, |w| {
                serde_json::to_writer_pretty(&mut *w, &state)?;
                writeln!(w)
            });
            match written {
                Ok(()) => eprintln!("saved the view to {}", path.display()),
                Err(e) => {
                    let e = anyhow::anyhow!("cannot write {} ({e})", path.display());
                    eprintln!("warning: {e}");
                    self.screenshot_failed = Some(e);
                }
            }
        }
        event_loop.exit();
    }
}

/// A view saved by `--state`, read and checked.
fn read_state(path: &std::path::Path) -> anyhow::Result<crate::app::ViewState> {
    let usage = |why: String| -> anyhow::Error {
        crate::app::UsageError(format!(
            "--state {}: {why}; give another path, or delete it to start afresh",
            path.display()
        ))
        .into()
    };
    let text = std::fs::read(path).map_err(|e| usage(format!("cannot read it ({e})")))?;
    serde_json::from_slice(&text).map_err(|e| usage(format!("not a saved heatscope view ({e})")))
}
