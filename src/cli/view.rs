//! `heatscope view`: the clustered heatmap in a window, with pan, zoom,
//! hover, search and an interactive cut. Draws through the same renderer
//! as `render`; the camera and the input mapping live in `heatscope::view`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use heatscope::cluster::Metric;
use heatscope::figure::scene::{Align, DataWindow, Fill, Rect, Scene, Text};
use heatscope::figure::{Agg, Rgba};
use heatscope::render::Target;
use heatscope::view::script::{HELP, key_action, wheel_action};
use heatscope::view::{Action, Script};
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{Key, ModifiersState, NamedKey};
use winit::window::WindowId;

use super::preview::{self, Preview, prepare_preview};
use heatscope::app::{FigureSpec, InputSpec, Prepared, Session, check_folder, overlay, prepare};

use super::CliError;
use super::render::FigureArgs;
use super::window::{WindowState, open_window, opened};

#[derive(clap::Args, Debug)]
pub struct ViewArgs {
    /// The matrix [default: the bundled PBMC demo, cell types as the row annotation, correlation
    /// distance (unless --metric names another) and a robust colour scale, as the README draws it].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub input: ViewInputArgs,
    #[command(flatten)]
    pub figure: FigureArgs,
    /// Replay actions from FILE, one a line and a frame: zoom X Y F, zoom-rows X Y F, zoom-cols X Y F,
    /// pan DX DY, hover X Y (X, Y, DX, DY as fractions 0–1 of the heatmap), click X Y (fractions
    /// of the window), fit, agg, cut K, search LABEL, next, previous, help, hud, screenshot PATH.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Close the window after N frames.
    #[arg(long, value_name = "N")]
    pub exit_after_frames: Option<u64>,
    /// Save the last frame as PNG when the window closes.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// Save the first frame of the file-order preview (shown while a matrix of more than 4,096 rows
    /// is clustered), once it has filled in, as PNG.
    #[arg(long, value_name = "PNG")]
    pub preview_screenshot: Option<PathBuf>,
    /// GPU memory for heatmap tiles, in MB: tiles of the levels drawn before stay on the GPU until
    /// it is full, the least recently drawn let go first (0: only those of the frame in view).
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_GPU_CACHE_MB)]
    pub gpu_cache: u64,
}

/// `--gpu-cache`'s default, in MB.
pub(super) const DEFAULT_GPU_CACHE_MB: u64 = heatscope::render::GPU_CACHE >> 20;

/// Input options without the file (the file is optional for `view`).
#[derive(clap::Args, Debug)]
pub struct ViewInputArgs {
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

/// The demo: the bundled PBMC matrix with its cell types.
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.tsv");
const DEMO_OBS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pbmc68k_reduced.obs.tsv:bulk_labels");

pub fn run(args: ViewArgs) -> anyhow::Result<()> {
    let mut figure = args.figure.clone();
    let file = match &args.file {
        Some(file) => file.clone(),
        None => {
            // The demo as the README's render command draws it.
            if figure.row_colors.is_empty() {
                figure.row_colors.push(DEMO_OBS.to_owned());
            }
            if figure.metric == Metric::Euclidean {
                figure.metric = Metric::Correlation;
            }
            figure.robust |= figure.vmin.is_none() && figure.vmax.is_none();
            PathBuf::from(DEMO)
        }
    };
    let figure = figure.spec(InputSpec::for_file(file, args.input.cache_dir.clone()));
    let input = figure.input.clone();
    let script = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError {
                message: format!("{}: cannot read it ({e}); check the path", path.display()),
                code: 2,
            })?;
            Script::parse(path, &text).map_err(|e| CliError { message: e.to_string(), code: 2 })?
        }
        None => Script::default(),
    };
    if let Some(path) = &args.screenshot {
        check_folder(path)?;
    }
    let event_loop = EventLoop::new().map_err(|_| CliError {
        message: "no display to open a window on (DISPLAY or WAYLAND_DISPLAY unset or unreachable); draw to a file with `heatscope render FILE -o out.png`".to_owned(),
        code: 1,
    })?;
    let title = format!("heatscope — {}", input.file.display());
    // The window opens at once; clustering and the pyramid run beside it,
    // after a file-order preview of a large matrix.
    let worker_figure = figure.clone();
    let (ready, pending) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // A preview that fails says nothing: the figure's own error will.
        // Linked panels show clustered at once.
        if worker_figure.link.is_empty()
            && let Ok(full) = input.open()
        {
            let steps = preview::stages(full.rows(), full.cols());
            for (k, &step) in steps.iter().enumerate() {
                if heatscope::progress::interrupted() {
                    break;
                }
                let Ok(prepared) = prepare_preview(&worker_figure, &full, step) else { break };
                let _ = ready.send(Ready::Preview(Box::new(prepared), step, k + 1 < steps.len()));
            }
        }
        let _ = ready.send(Ready::Figure(prepare(&worker_figure).map(Box::new)));
    });
    let agg = args.figure.agg;
    let preview_look = preview::look(&figure);
    let preview_shot = args.preview_screenshot.clone();
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
    let make = move |prepared: Prepared, state: WindowState| App {
        script: script.actions.into_iter().collect(),
        exit_after: args.exit_after_frames,
        screenshot: args.screenshot.clone(),
        ..App::new(prepared, figure, state, agg)
    };
    let mut launcher = Launcher {
        title,
        gpu_cache: args.gpu_cache.saturating_mul(1 << 20),
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
    event_loop.set_control_flow(ControlFlow::Wait);
    event_loop.run_app(&mut launcher)?;
    if let Some(pending) = launcher.pending.take() {
        // Closed while the figure was being prepared: stop the preparing
        // thread at its next check, so that it removes its temporary files
        // (a pyramid being written may be gigabytes), waiting a few seconds.
        heatscope::progress::interrupt();
        let until = Instant::now() + Duration::from_secs(10);
        while let Ok(ready) = pending.recv_timeout(until.saturating_duration_since(Instant::now())) {
            if matches!(ready, Ready::Figure(_)) {
                break;
            }
        }
        return launcher.error.map_or(Ok(()), Err);
    }
    if let Some(error) = launcher.error {
        return Err(error);
    }
    if let Some(path) = &args.preview_screenshot
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

/// What the preparing thread hands the window: the stages of a preview
/// first (for a large matrix: every `step`-th row, and whether a finer
/// stage follows), then the figure.
enum Ready {
    Preview(Box<Prepared>, usize, bool),
    Figure(anyhow::Result<Box<Prepared>>),
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
            drag: None,
            modifiers: ModifiersState::empty(),
            last_click: None,
            help: false,
            hud: false,
            frame_time: Duration::ZERO,
            error: None,
            screenshot_failed: None,
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
                Ok(Ready::Preview(prepared, step, filling)) => self.waiting = Some((prepared, step, filling)),
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
        let size = [state.config.width, state.config.height];
        let mut scene = Scene::bare(size[0], size[1]);
        // The stage running now, as its terminal bar says, with a bar of its own.
        let seconds = self.started.elapsed().as_secs_f64();
        let stage = heatscope::progress::current();
        let text = match &stage {
            Some((stage, Some(done))) => {
                format!("preparing the figure: {stage} {:.0} % ({seconds:.0} s)", done * 100.0)
            }
            Some((stage, None)) => format!("preparing the figure: {stage} ({seconds:.0} s)"),
            None => format!("preparing the figure… ({seconds:.0} s)"),
        };
        let at = [size[0] as f32 / 2.0, size[1] as f32 / 2.0];
        scene.texts.push(Text { text, at, size: 16.0, align: Align::Middle, rotated: false, color: Rgba::BLACK });
        if let Some((_, Some(done))) = stage {
            let track = Rect::new(at[0] - 150.0, at[1] + 20.0, 300.0, 8.0);
            scene.fills.push(Fill { rect: track, color: Rgba::LIGHT_GREY });
            let bar = Rect { w: track.w * done as f32, ..track };
            scene.fills.push(Fill { rect: bar, color: Rgba([60, 110, 200, 255]) });
        }
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
    /// Where a drag started (cursor position at the last move).
    drag: Option<[f64; 2]>,
    modifiers: ModifiersState,
    last_click: Option<Instant>,
    help: bool,
    hud: bool,
    frame_time: Duration,
    error: Option<anyhow::Error>,
    screenshot_failed: Option<anyhow::Error>,
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
            Some(Action::ToggleHelp) => self.help = !self.help,
            Some(Action::ToggleHud) => self.hud = !self.hud,
            Some(Action::Screenshot(path)) => self.save_png(&path),
            _ => {}
        }
    }

    /// The session's scene with the window's own overlays: HUD, preview
    /// banner, help.
    fn full_scene(&mut self) -> Scene {
        let mut scene = self.session.scene();
        let heatmap = scene.heatmap;
        let window = self.session.windows()[0].clone();
        if self.hud {
            let (uploaded, atlas) = self.state.as_ref().map_or((0, 0), |s| s.renderer.tile_traffic());
            let hud = vec![
                format!("frame {:.1} ms", self.frame_time.as_secs_f64() * 1e3),
                format!(
                    "rows {:.1}–{:.1}, columns {:.1}–{:.1}",
                    window.rows.start, window.rows.end, window.cols.start, window.cols.end
                ),
                format!(
                    "tiles uploaded {:.1} MB, GPU tile memory {:.1} MB{}",
                    uploaded as f64 / 1e6,
                    atlas as f64 / 1e6,
                    if self.state.as_ref().is_some_and(|s| s.renderer.incomplete()) { ", more loading" } else { "" }
                ),
                format!("aggregate: {}", if self.session.agg == Agg::Mean { "mean" } else { "extremes" }),
            ];
            let mut hud = hud;
            if let Some(state) = &self.state {
                let (levels, resident) = state.renderer.tile_state();
                let level = levels.first().copied().flatten().map_or("-".to_owned(), |l| {
                    let per = |level: u32| (heatscope::pyramid::FACTOR as u64).pow(level);
                    format!(
                        "rows {}, columns {} (a cell holds {} × {} matrix cells)",
                        l.row,
                        l.col,
                        per(l.row),
                        per(l.col)
                    )
                });
                hud.insert(2, format!("level: {level}; {resident} tiles on the GPU"));
            }
            let bottom = scene.height as f32 - 20.0 - 18.0 * hud.len() as f32;
            overlay(&mut self.session.fonts, &mut scene, &hud, [8.0, bottom]);
        }
        if let Some(preview) = &self.preview {
            // Below the column labels, clear of the colour bar and the cells.
            let (line, bottom) = (preview.banner(), scene.height as f32 - 30.0);
            overlay(&mut self.session.fonts, &mut scene, &[line], [8.0, bottom]);
        }
        if self.help {
            let help: Vec<String> = HELP.lines().map(str::to_owned).collect();
            overlay(&mut self.session.fonts, &mut scene, &help, [heatmap.x + 20.0, heatmap.y + 20.0]);
        }
        scene
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
        let sources = self.session.prepared.sources(self.session.agg, &windows);
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
        let sources = self.session.prepared.sources(self.session.agg, &windows);
        let drawing = state.renderer.draw(&scene, &sources, Target::Image);
        let result = drawing.map_err(anyhow::Error::from).and_then(|drawing| {
            let image = drawing.into_image();
            heatscope::output::write_atomically(path, |w| w.write_all(&image.to_png()))
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
                let now = [position.x, position.y];
                if let Some(from) = self.drag {
                    self.session.drag([now[0] - from[0], now[1] - from[1]]);
                    self.drag = Some(now);
                } else if self.script.is_empty() {
                    // A script says which panel it moves (`panel K`).
                    self.session.focus = self.session.panel_at(now[0]);
                }
                self.session.cursor = Some(now);
                changed = true;
            }
            WindowEvent::CursorLeft { .. } => {
                self.session.cursor = None;
                changed = true;
            }
            WindowEvent::MouseInput { state: ElementState::Pressed, button: MouseButton::Left, .. } => {
                let double = self.last_click.is_some_and(|t| t.elapsed() < Duration::from_millis(350));
                self.last_click = Some(Instant::now());
                match (self.session.tree_node_under_cursor(), double) {
                    // A click on a tree selects a subtree; a double click zooms to it.
                    (Some(node), false) => self.session.selected = Some(node),
                    (Some(node), true) => self.session.zoom_to_node(node),
                    (None, true) => self.act(Action::Fit),
                    (None, false) => {}
                }
                changed = true;
                self.drag = self.session.cursor;
            }
            WindowEvent::MouseInput { state: ElementState::Released, button: MouseButton::Left, .. } => {
                self.drag = None
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let notches = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y as f64,
                    MouseScrollDelta::PixelDelta(p) => p.y / 40.0,
                };
                if let Some(c) = self.session.cursor {
                    self.session.focus = self.session.panel_at(c[0]);
                    let heatmap = self.session.heatmap_rects()[self.session.focus];
                    let at =
                        [(c[0] - heatmap.x as f64) / heatmap.w as f64, (c[1] - heatmap.y as f64) / heatmap.h as f64];
                    let at = at.map(|a| a.clamp(0.0, 1.0));
                    self.act(wheel_action(notches, at, self.modifiers.shift_key(), self.modifiers.control_key()));
                    changed = true;
                }
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
        if let Some(query) = &mut self.session.search {
            match key {
                Key::Named(NamedKey::Enter) => {
                    let query = std::mem::take(query);
                    self.session.search = None;
                    self.act(Action::Search(query));
                }
                Key::Named(NamedKey::Escape) => self.session.search = None,
                Key::Named(NamedKey::Backspace) => {
                    query.pop();
                }
                Key::Character(text) => query.push_str(text),
                Key::Named(NamedKey::Space) => query.push(' '),
                _ => return false,
            }
            return true;
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

    /// Saves `--screenshot` and closes.
    fn finish(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(path) = self.screenshot.take() {
            self.save_png(&path);
        }
        event_loop.exit();
    }
}
