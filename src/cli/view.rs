//! `heatscope view`: the clustered heatmap in a window, with pan, zoom,
//! hover, search and an interactive cut. Draws through the same renderer
//! as `render`; the camera and the input mapping live in `heatscope::view`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use heatscope::cluster::Metric;
use heatscope::figure::layout::tree_view;
use heatscope::figure::scene::{Align, DataWindow, Fill, Rect, Scene, Text};
use heatscope::figure::{Agg, Rgba, text};
use heatscope::render::{Gpu, Renderer, tessellate};
use heatscope::view::script::{HELP, key_action, wheel_action};
use heatscope::view::{Action, Camera, Script};
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{Key, ModifiersState, NamedKey};
use winit::window::{Window, WindowId};

use super::preview::{self, Preview, prepare_preview};
use heatscope::app::{FigureSpec, InputSpec, Prepared, check_folder, prepare, scene};

use super::CliError;
use super::render::FigureArgs;

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
    let make = move |prepared: Prepared, state: WindowState| {
        let cut = prepared.row_groups.as_ref().map_or(0, |g| g.iter().copied().max().unwrap_or(0));
        App {
            script: script.actions.into_iter().collect(),
            exit_after: args.exit_after_frames,
            screenshot: args.screenshot.clone(),
            cut,
            ..App::new(prepared, figure, state, agg)
        }
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
        App {
            prepared,
            figure,
            state: Some(state),
            preview: None,
            camera: None,
            link_cameras: Vec::new(),
            focus: 0,
            follow: false,
            agg,
            script: Default::default(),
            exit_after: None,
            screenshot: None,
            frames: 0,
            cursor: None,
            drag: None,
            modifiers: ModifiersState::empty(),
            last_click: None,
            help: false,
            hud: false,
            search: None,
            matches: Vec::new(),
            current_match: 0,
            highlight: None,
            search_note: None,
            selected: None,
            cut: 0,
            fonts: text::font_system(),
            frame_time: Duration::ZERO,
            error: None,
            screenshot_failed: None,
            heatmap_cache: None,
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
        app.heatmap_rects();
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
        let encoder = state.renderer.draw(&scene, &[], &tessellate(&scene), &view, [0, 0], size)?;
        state.renderer.gpu().queue.submit([encoder.finish()]);
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
    lost: Arc<std::sync::atomic::AtomicBool>,
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
    fn recreate(&mut self) -> anyhow::Result<()> {
        let (surface, config, mut renderer, lost, gpu_error) = gpu_for_window(&self.instance, &self.window, true)?;
        renderer.stream(UPLOAD_BUDGET);
        renderer.set_gpu_cache(self.gpu_cache);
        (self.surface, self.config, self.renderer, self.lost, self.gpu_error) =
            (surface, config, renderer, lost, gpu_error);
        Ok(())
    }
}

/// What the heatmaps' places depend on: window size and row bar count.
type HeatmapKey = ([u32; 2], usize);

struct App {
    prepared: Prepared,
    figure: FigureSpec,
    state: Option<WindowState>,
    /// Set while this shows the file-order preview of a matrix still being
    /// clustered.
    preview: Option<Preview>,
    /// The main panel's camera, and each linked panel's.
    camera: Option<Camera>,
    link_cameras: Vec<Camera>,
    /// The panel the cursor is over (or was last): wheel, drag and keys move it.
    focus: usize,
    /// Whether moving one panel scrolls the others to the linked rows (`l`).
    follow: bool,
    agg: Agg,
    script: std::collections::VecDeque<Action>,
    exit_after: Option<u64>,
    screenshot: Option<PathBuf>,
    frames: u64,
    /// Cursor position in window pixels.
    cursor: Option<[f64; 2]>,
    /// Where a drag started (cursor position at the last move).
    drag: Option<[f64; 2]>,
    modifiers: ModifiersState,
    last_click: Option<Instant>,
    help: bool,
    hud: bool,
    /// The search being typed, if any.
    search: Option<String>,
    /// Rows (false) or columns (true) matching the last search, by display position.
    matches: Vec<(bool, usize)>,
    current_match: usize,
    /// The row or column found last.
    highlight: Option<(bool, usize)>,
    /// Said when a search finds nothing.
    search_note: Option<String>,
    /// The tree node last clicked: (a column tree's, node).
    selected: Option<(bool, usize)>,
    cut: usize,
    fonts: cosmic_text::FontSystem,
    frame_time: Duration,
    error: Option<anyhow::Error>,
    screenshot_failed: Option<anyhow::Error>,
    /// The heatmaps' rectangles for (window size, row bar count).
    heatmap_cache: Option<(HeatmapKey, Vec<Rect>)>,
}

impl App {
    /// The window size in pixels.
    fn size(&self) -> [u32; 2] {
        self.state.as_ref().map_or([1, 1], |s| [s.config.width, s.config.height])
    }

    /// What each panel shows: the main one's window, then the linked ones'.
    fn windows(&self) -> Vec<DataWindow> {
        let whole = |p: &Prepared| DataWindow::all(p.matrix.rows(), p.matrix.cols());
        let main = self.camera.as_ref().map_or_else(|| whole(&self.prepared), |c| c.window().clone());
        let linked = self
            .prepared
            .linked
            .iter()
            .enumerate()
            .map(|(k, l)| self.link_cameras.get(k).map_or_else(|| whole(&l.panel), |c| c.window().clone()));
        std::iter::once(main).chain(linked).collect()
    }

    /// The scene for the current view.
    fn base_scene(&mut self) -> Scene {
        let size = self.size();
        let windows = self.windows();
        scene(&mut self.fonts, &self.prepared, &self.figure, &windows, size, true)
    }

    /// Keeps each camera's panel size equal to its heatmap's rectangle.
    fn sync_cameras(&mut self, rects: &[Rect]) {
        let size = |r: &Rect| [r.w as f64, r.h as f64];
        let (rows, cols) = (self.prepared.matrix.rows(), self.prepared.matrix.cols());
        match &mut self.camera {
            Some(camera) => camera.resize(size(&rects[0])),
            None => self.camera = Some(Camera::new(rows, cols, size(&rects[0]))),
        }
        for (k, (linked, rect)) in self.prepared.linked.iter().zip(&rects[1..]).enumerate() {
            match self.link_cameras.get_mut(k) {
                Some(camera) => camera.resize(size(rect)),
                None => self.link_cameras.push(Camera::new(
                    linked.panel.matrix.rows(),
                    linked.panel.matrix.cols(),
                    size(rect),
                )),
            }
        }
    }

    /// A preview stage's view: its camera's window and its step.
    fn preview_window(&self) -> Option<(DataWindow, usize)> {
        let step = self.preview.as_ref()?.step;
        Some((self.camera.as_ref()?.window().clone(), step))
    }

    /// Shows the part of the file that a coarser preview stage (rows
    /// `before` apart) showed in `window`.
    fn show_preview_window(&mut self, window: &DataWindow, before: usize) {
        let (Some(preview), Some(camera)) = (&self.preview, &mut self.camera) else { return };
        let scale = before as f64 / preview.step as f64;
        camera.show_rows(window.rows.start * scale..window.rows.end * scale);
        camera.show_cols(window.cols.clone());
    }

    /// The heatmaps' rectangles (the main one first). With the label areas
    /// reserved they depend only on the window size and the row bars, so a
    /// wheel event or key press does not lay the whole figure out again.
    fn heatmap_rects(&mut self) -> Vec<Rect> {
        let key = (self.size(), self.prepared.row_bars.len());
        if let Some((cached, rects)) = &self.heatmap_cache
            && *cached == key
            && self.camera.is_some()
        {
            return rects.clone();
        }
        let rects = self.base_scene().heatmap_rects();
        self.sync_cameras(&rects);
        self.heatmap_cache = Some((key, rects.clone()));
        rects
    }

    /// Panel `i`'s camera (0: the main one).
    fn camera_mut(&mut self, i: usize) -> Option<&mut Camera> {
        if i == 0 { self.camera.as_mut() } else { self.link_cameras.get_mut(i - 1) }
    }

    /// The panel whose heatmap is nearest to `x` across the window.
    fn panel_at(&mut self, x: f64) -> usize {
        let rects = self.heatmap_rects();
        let distance = |r: &Rect| (r.x as f64 - x).max(x - r.right() as f64).max(0.0);
        (0..rects.len()).min_by(|&a, &b| distance(&rects[a]).total_cmp(&distance(&rects[b]))).unwrap_or(0)
    }

    /// In follow mode, scrolls every other panel, outwards from panel `k`,
    /// to the rows linked to those its neighbour shows.
    fn follow_from(&mut self, k: usize) {
        if !self.follow {
            return;
        }
        for j in k + 1..=self.link_cameras.len() {
            self.align_panel(j - 1, j);
        }
        for j in (0..k).rev() {
            self.align_panel(j + 1, j);
        }
    }

    /// Scrolls panel `to` to the rows linked to the rows panel `from` (a
    /// neighbour) shows.
    fn align_panel(&mut self, from: usize, to: usize) {
        let shown = self.windows()[from].rows.clone();
        let links = &self.prepared.linked[from.min(to)].links;
        let (lo, hi) = (shown.start.floor() as u32, shown.end.ceil() as u32);
        if let Some(span) = links.linked_span(from < to, lo..hi)
            && let Some(camera) = self.camera_mut(to)
        {
            camera.show_rows(span.start as f64..span.end as f64);
        }
    }

    /// Performs one action. Zooms and pans move the panel in focus.
    fn act(&mut self, action: Action) {
        let rects = self.heatmap_rects();
        let heatmap = rects[0];
        let focus = self.focus.min(rects.len() - 1);
        let panel = [rects[focus].w as f64, rects[focus].h as f64];
        let camera = self.camera_mut(focus).expect("made by heatmap_rects");
        match action {
            Action::Zoom { at, factor } => camera.zoom([at[0] * panel[0], at[1] * panel[1]], factor),
            Action::Pan { by } => {
                // Home/End pan by an infinite distance: to the edge.
                let by = by.map(|b| b.clamp(-1e12, 1e12));
                camera.pan([by[0] * panel[0], by[1] * panel[1]]);
            }
            Action::Fit => camera.fit(),
            _ => {}
        }
        let panel = [heatmap.w as f64, heatmap.h as f64];
        match action {
            Action::Zoom { .. } | Action::Pan { .. } | Action::Fit => self.follow_from(focus),
            Action::ToggleFollow => {
                self.follow = !self.follow;
                self.follow_from(focus);
            }
            Action::Focus(k) => self.focus = k.min(rects.len() - 1),
            Action::ToggleAgg => {
                self.agg = if self.agg == Agg::Mean { Agg::Extremes } else { Agg::Mean };
            }
            Action::Cut(k) => self.set_cut(k),
            Action::CutMore => self.set_cut(self.cut + 1),
            Action::CutFewer => self.set_cut(self.cut.saturating_sub(1)),
            Action::Search(query) => self.search_for(&query),
            Action::NextMatch => self.go_to_match(1),
            Action::PreviousMatch => self.go_to_match(-1),
            Action::Hover { at } => {
                self.cursor = Some([heatmap.x as f64 + at[0] * panel[0], heatmap.y as f64 + at[1] * panel[1]]);
            }
            Action::Click { at } => {
                let size = self.size();
                self.cursor = Some([at[0] * size[0] as f64, at[1] * size[1] as f64]);
                self.selected = self.tree_node_under_cursor();
            }
            Action::LoseDevice => {
                if let Some(state) = &self.state {
                    state.renderer.gpu().device.destroy();
                    state.lost.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::ToggleHud => self.hud = !self.hud,
            Action::Screenshot(path) => self.save_png(&path),
        }
    }

    fn set_cut(&mut self, k: usize) {
        if self.prepared.row_tree.is_none() {
            return;
        }
        self.cut = k.min(self.prepared.matrix.rows());
        self.prepared.set_row_cut(self.cut);
        // `--row-clusters-out` follows the cut in the window.
        let p = &self.prepared;
        if let (Some(path), Some(groups)) = (&self.figure.row_clusters_out, &p.row_groups) {
            match heatscope::app::write_clusters(path, p.matrix.row_labels(), &p.row_order, groups) {
                Ok(()) => eprintln!("{}: the rows' {} clusters", path.display(), self.cut),
                Err(e) => eprintln!("warning: {e}"),
            }
        }
    }

    /// Rows whose label contains `query` (ignoring case), in display order,
    /// then columns; goes to the first.
    fn search_for(&mut self, query: &str) {
        let needle = query.to_lowercase();
        let p = &self.prepared;
        let found = |labels: &heatscope::input::Labels, order: &[usize], cols: bool| {
            (0..order.len())
                .filter(|&i| labels.get(order[i]).to_lowercase().contains(&needle))
                .map(|i| (cols, i))
                .collect::<Vec<_>>()
        };
        self.matches = found(p.matrix.row_labels(), &p.row_order, false);
        self.matches.extend(found(p.matrix.col_labels(), &p.col_order, true));
        self.search_note = self.matches.is_empty().then(|| format!("no row or column label contains '{query}'"));
        self.current_match = 0;
        self.go_to_match(0);
    }

    fn go_to_match(&mut self, step: isize) {
        if self.matches.is_empty() {
            self.highlight = None;
            return;
        }
        let n = self.matches.len() as isize;
        self.current_match = (self.current_match as isize + step).rem_euclid(n) as usize;
        let (cols, p) = self.matches[self.current_match];
        self.highlight = Some((cols, p));
        if let Some(camera) = &mut self.camera {
            // Zoom to about 40 rows (or columns) around the match.
            let around = p as f64 - 19.5..p as f64 + 20.5;
            if cols { camera.show_cols(around) } else { camera.show_rows(around) }
        }
        self.follow_from(0);
    }

    /// The main panel's tree node under the cursor, if the cursor is on a
    /// tree: (whether it is the column tree, node).
    fn tree_node_under_cursor(&mut self) -> Option<(bool, usize)> {
        let cursor = self.cursor?;
        let scene = self.base_scene();
        let window = self.camera.as_ref()?.window().clone();
        let on = |name: &str| {
            let rect = scene.panels.iter().find(|p| p.name == name)?.rect;
            let inside = cursor[0] >= rect.x as f64 && cursor[0] < rect.right() as f64;
            (inside && cursor[1] >= rect.y as f64 && cursor[1] < rect.bottom() as f64).then_some(rect)
        };
        // Leaves lie along the heatmap's edge: the row tree's on its right, the column tree's at its bottom.
        if let (Some(rect), Some(geometry)) = (on("row_dendrogram"), &self.prepared.row_geometry) {
            let view = tree_view(geometry, rect, &window.rows, true);
            return Some((false, geometry.hit(&view, cursor[1] - rect.y as f64, rect.right() as f64 - cursor[0])?));
        }
        let (rect, geometry) = (on("col_dendrogram")?, self.prepared.col_geometry.as_ref()?);
        let view = tree_view(geometry, rect, &window.cols, false);
        Some((true, geometry.hit(&view, cursor[0] - rect.x as f64, rect.bottom() as f64 - cursor[1])?))
    }

    /// Zooms the main panel to a tree node's leaves.
    fn zoom_to_node(&mut self, (cols, node): (bool, usize)) {
        let geometry = if cols { &self.prepared.col_geometry } else { &self.prepared.row_geometry };
        let span = geometry.as_ref().map(|g| g.leaf_span(node));
        if let (Some(span), Some(camera)) = (span, &mut self.camera) {
            let leaves = span.start as f64..span.end as f64;
            if cols { camera.show_cols(leaves) } else { camera.show_rows(leaves) }
        }
        self.follow_from(0);
    }

    /// The scene with the overlays: hover, search highlight, help, HUD.
    fn full_scene(&mut self) -> Scene {
        let mut scene = self.base_scene();
        let rects = scene.heatmap_rects();
        self.sync_cameras(&rects);
        let heatmap = scene.heatmap;
        let camera = self.camera.clone().expect("synced");
        let window = camera.window().clone();
        let orange = Rgba([255, 140, 0, 255]);
        let windows = self.windows();
        match self.highlight {
            Some((false, p)) => mark_rows(&mut scene, heatmap, &window.rows, p..p + 1),
            Some((true, p)) => {
                let px = heatmap.w as f64 / (window.cols.end - window.cols.start);
                let x = heatmap.x as f64 + (p as f64 - window.cols.start) * px;
                if x + px >= heatmap.x as f64 && x <= heatmap.right() as f64 {
                    let line = |x: f64| Rect::new(x as f32, heatmap.y - 6.0, 2.0, heatmap.h + 12.0);
                    scene.fills.push(Fill { rect: line(x - 2.0), color: orange });
                    scene.fills.push(Fill { rect: line(x + px.max(2.0)), color: orange });
                }
            }
            None => {}
        }
        let mut lines: Vec<String> = Vec::new();
        if let Some(link) = self.cursor.and_then(|c| hovered_connector(&scene, [c[0] as f32, c[1] as f32])) {
            // Both ends' rows outlined, the connector drawn again on top.
            let (l, r) = (link.gap, link.gap + 1);
            mark_rows(&mut scene, rects[l], &windows[l].rows, link.left.start as usize..link.left.end as usize);
            mark_rows(&mut scene, rects[r], &windows[r].rows, link.right.start as usize..link.right.end as usize);
            let panels: Vec<&Prepared> = self.prepared.panels().collect();
            let label =
                |k: usize, p: u32| panels[k].matrix.row_labels().get(panels[k].row_order[p as usize]).into_owned();
            let ends = |k: usize, rows: &std::ops::Range<u32>| match rows.len() {
                0 => "rows off screen".to_owned(),
                1 => label(k, rows.start),
                n => format!("{} … {} ({n} rows)", label(k, rows.start), label(k, rows.end - 1)),
            };
            if link.band {
                lines.push(format!("{} links", link.count));
            }
            lines.push(format!("panel {}: {}", l + 1, ends(l, &link.left)));
            lines.push(format!("panel {}: {}", r + 1, ends(r, &link.right)));
            scene.connectors.push(heatscope::figure::scene::Connector {
                color: orange,
                width: link.width.max(2.5),
                ..link
            });
        }
        if let Some((cols, node)) = self.selected {
            let geometry = if cols { &self.prepared.col_geometry } else { &self.prepared.row_geometry };
            if let Some(geometry) = geometry {
                // A band across the tree and the heatmap over the subtree's leaves.
                let span = geometry.leaf_span(node);
                let (shown, from, extent) = if cols {
                    (&window.cols, heatmap.x as f64, heatmap.w as f64)
                } else {
                    (&window.rows, heatmap.y as f64, heatmap.h as f64)
                };
                let px = extent / (shown.end - shown.start);
                let a = (from + (span.start as f64 - shown.start) * px).max(from);
                let b = (from + (span.end as f64 - shown.start) * px).min(from + extent);
                if b > a {
                    let (a, b) = (a as f32, b as f32);
                    let band = if cols {
                        Rect::new(a, 0.0, b - a, heatmap.bottom())
                    } else {
                        Rect::new(0.0, a, heatmap.right(), b - a)
                    };
                    scene.overlay_fills.push(Fill { rect: band, color: Rgba([255, 140, 0, 60]) });
                }
                let items = if cols { "columns" } else { "rows" };
                lines.push(format!("selected subtree: {} {items} (double-click it to zoom)", span.len()));
            }
        }
        if let Some(cursor) = self.cursor {
            for (k, rect) in rects.iter().enumerate() {
                let at = [cursor[0] - rect.x as f64, cursor[1] - rect.y as f64];
                if at[0] >= 0.0 && at[1] >= 0.0 && at[0] < rect.w as f64 && at[1] < rect.h as f64 {
                    let camera = if k == 0 { camera.clone() } else { self.link_cameras[k - 1].clone() };
                    lines.extend(self.describe(k, &camera, at));
                }
            }
        }
        if let Some(query) = &self.search {
            lines.push(format!("search: {query}▏ (Enter: go, Esc: cancel)"));
        } else if !self.matches.is_empty() {
            lines.push(format!("match {} of {} (n / N)", self.current_match + 1, self.matches.len()));
        } else if let Some(note) = &self.search_note {
            lines.push(note.clone());
        }
        if self.follow {
            lines.push("follow mode: panels scroll to the linked rows (l: off)".to_owned());
        }
        if !lines.is_empty() {
            let at =
                self.cursor.map_or([heatmap.x + 10.0, heatmap.y + 10.0], |c| [c[0] as f32 + 16.0, c[1] as f32 + 16.0]);
            overlay(&mut self.fonts, &mut scene, &lines, at);
        }
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
                format!("aggregate: {}", if self.agg == Agg::Mean { "mean" } else { "extremes" }),
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
            overlay(&mut self.fonts, &mut scene, &hud, [8.0, bottom]);
        }
        if let Some(preview) = &self.preview {
            // Below the column labels, clear of the colour bar and the cells.
            let (line, bottom) = (preview.banner(), scene.height as f32 - 30.0);
            overlay(&mut self.fonts, &mut scene, &[line], [8.0, bottom]);
        }
        if self.help {
            let help: Vec<String> = HELP.lines().map(str::to_owned).collect();
            overlay(&mut self.fonts, &mut scene, &help, [heatmap.x + 20.0, heatmap.y + 20.0]);
        }
        scene
    }

    /// Row, column, value and cluster under pixel `at` of panel `k`'s heatmap.
    fn describe(&self, k: usize, camera: &Camera, at: [f64; 2]) -> Vec<String> {
        let [row, col] = camera.data_at(at);
        let window = camera.window();
        let rows_per_px = (window.rows.end - window.rows.start) / camera.size()[1];
        let cols_per_px = (window.cols.end - window.cols.start) / camera.size()[0];
        let p = self.prepared.panels().nth(k).expect("a panel per camera");
        let (r, c) = ((row as usize).min(p.row_order.len() - 1), (col as usize).min(p.col_order.len() - 1));
        let (i, j) = (p.row_order[r], p.col_order[c]);
        let mut lines =
            vec![format!("row: {}", p.matrix.row_labels().get(i)), format!("column: {}", p.matrix.col_labels().get(j))];
        let value = p.matrix.row(i)[j];
        let cells = (rows_per_px.max(1.0) * cols_per_px.max(1.0)).round();
        if cells >= 2.0 {
            let kind = if self.agg == Agg::Mean { "mean" } else { "extreme" };
            lines.push(format!("a pixel covers ~{cells} cells (colour: their {kind}); this cell: {value}"));
        } else {
            lines.push(format!("value: {value}"));
        }
        if let Some(groups) = &p.row_groups {
            lines.push(format!("row cluster: {}", groups[i]));
        }
        // Every annotation of the row and the column (the row cut's own bar
        // is the line above).
        let bars = p.row_bars.iter().map(|b| (b, r)).chain(p.col_bars.iter().map(|b| (b, c)));
        for (bar, at) in bars.filter(|(b, _)| !(b.name == "row clusters" && p.row_groups.is_some())) {
            lines.push(format!("{}: {}", bar.name, bar.value_text(at)));
        }
        lines
    }

    fn redraw(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let scene = self.full_scene();
        let windows = self.windows();
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
        let sources = self.prepared.sources(self.agg, &windows);
        let vertices = tessellate(&scene);
        let size = [state.config.width, state.config.height];
        let encoder = state.renderer.draw(&scene, &sources, &vertices, &view, [0, 0], size)?;
        let queue = &state.renderer.gpu().queue;
        queue.submit([encoder.finish()]);
        state.window.pre_present_notify();
        queue.present(frame);
        self.frame_time = started.elapsed();
        self.frames += 1;
        Ok(())
    }

    /// Draws the current view offscreen and writes it as PNG.
    fn save_png(&mut self, path: &std::path::Path) {
        let scene = self.full_scene();
        let windows = self.windows();
        let Some(state) = &mut self.state else { return };
        let sources = self.prepared.sources(self.agg, &windows);
        let result = state.renderer.render(&scene, &sources).map_err(anyhow::Error::from).and_then(|image| {
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

/// Orange lines above and below display rows `rows` of the heatmap at `rect`
/// showing `window`, where in view.
fn mark_rows(scene: &mut Scene, rect: Rect, window: &std::ops::Range<f64>, rows: std::ops::Range<usize>) {
    let px = rect.h as f64 / (window.end - window.start);
    let y0 = rect.y as f64 + (rows.start as f64 - window.start) * px;
    let y1 = rect.y as f64 + (rows.end as f64 - window.start) * px;
    if y1 >= rect.y as f64 && y0 <= rect.bottom() as f64 {
        let line = |y: f64| Rect::new(rect.x - 6.0, y as f32, rect.w + 12.0, 2.0);
        let orange = Rgba([255, 140, 0, 255]);
        scene.fills.push(Fill { rect: line(y0 - 2.0), color: orange });
        scene.fills.push(Fill { rect: line(y0 + (y1 - y0).max(2.0)), color: orange });
    }
}

/// The connector nearest to `at` within a few pixels, if `at` is in a gap.
fn hovered_connector(scene: &Scene, at: [f32; 2]) -> Option<heatscope::figure::scene::Connector> {
    let inside = |r: &Rect| at[0] >= r.x && at[0] < r.right() && at[1] >= r.y && at[1] < r.bottom();
    let near = scene.connectors.iter().filter(|c| inside(&c.clip)).map(|c| (c.distance(at) - c.width / 2.0, c));
    let (distance, connector) = near.min_by(|a, b| a.0.total_cmp(&b.0))?;
    (distance <= 4.0).then(|| connector.clone())
}

/// Lines of text on a white panel at `at`.
fn overlay(fonts: &mut cosmic_text::FontSystem, scene: &mut Scene, lines: &[String], at: [f32; 2]) {
    let size = 13.0;
    let line = size * text::LINE_HEIGHT;
    let width = lines.iter().map(|l| text::width(fonts, l, size)).fold(0.0, f32::max) + 12.0;
    let height = line * lines.len() as f32 + 8.0;
    let x = at[0].min(scene.width as f32 - width).max(0.0);
    let y = at[1].min(scene.height as f32 - height).max(0.0);
    let border = Rect::new(x - 1.0, y - 1.0, width + 2.0, height + 2.0);
    scene.overlay_fills.push(Fill { rect: border, color: Rgba([90, 90, 90, 255]) });
    scene.overlay_fills.push(Fill { rect: Rect::new(x, y, width, height), color: Rgba([255, 255, 255, 245]) });
    for (i, l) in lines.iter().enumerate() {
        let at = [x + 6.0, y + 4.0 + line * (i as f32 + 0.5)];
        scene.overlay_texts.push(Text {
            text: l.clone(),
            at,
            size,
            align: Align::Start,
            rotated: false,
            color: Rgba::BLACK,
        });
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
                    changed = true;
                }
            }
            WindowEvent::ScaleFactorChanged { .. } => changed = true,
            WindowEvent::ModifiersChanged(modifiers) => self.modifiers = modifiers.state(),
            WindowEvent::CursorMoved { position, .. } => {
                let now = [position.x, position.y];
                if let Some(from) = self.drag {
                    if let Some(camera) = self.camera_mut(self.focus) {
                        camera.pan([now[0] - from[0], now[1] - from[1]]);
                    }
                    self.follow_from(self.focus);
                    self.drag = Some(now);
                } else if self.script.is_empty() {
                    // A script says which panel it moves (`panel K`).
                    self.focus = self.panel_at(now[0]);
                }
                self.cursor = Some(now);
                changed = true;
            }
            WindowEvent::CursorLeft { .. } => {
                self.cursor = None;
                changed = true;
            }
            WindowEvent::MouseInput { state: ElementState::Pressed, button: MouseButton::Left, .. } => {
                let double = self.last_click.is_some_and(|t| t.elapsed() < Duration::from_millis(350));
                self.last_click = Some(Instant::now());
                match (self.tree_node_under_cursor(), double) {
                    // A click on a tree selects a subtree; a double click zooms to it.
                    (Some(node), false) => self.selected = Some(node),
                    (Some(node), true) => self.zoom_to_node(node),
                    (None, true) => self.act(Action::Fit),
                    (None, false) => {}
                }
                changed = true;
                self.drag = self.cursor;
            }
            WindowEvent::MouseInput { state: ElementState::Released, button: MouseButton::Left, .. } => {
                self.drag = None
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let notches = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y as f64,
                    MouseScrollDelta::PixelDelta(p) => p.y / 40.0,
                };
                if let Some(c) = self.cursor {
                    self.focus = self.panel_at(c[0]);
                    let heatmap = self.heatmap_rects()[self.focus];
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
        if let Some(query) = &mut self.search {
            match key {
                Key::Named(NamedKey::Enter) => {
                    let query = std::mem::take(query);
                    self.search = None;
                    self.act(Action::Search(query));
                }
                Key::Named(NamedKey::Escape) => self.search = None,
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
                self.search = Some(String::new());
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

/// A window with a surface in a non-sRGB format (so colours match the
/// exported images) and a renderer for it.
fn open_window(event_loop: &ActiveEventLoop, title: &str, gpu_cache: u64) -> anyhow::Result<WindowState> {
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
