//! The window: the simulation and its panel, and the `--screenshot PATH --frames N` contract.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bevy::app::ScheduleRunnerPlugin;
use bevy::camera::{CameraUpdateSystems, RenderTarget};
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::{
    CursorOptions, ExitCondition, MonitorSelection, PresentMode, WindowMode, WindowResolution,
};
use bevy::winit::WinitPlugin;

use crate::args::WindowArgs;
use crate::files::{PNG, write_atomically};
use crate::kiosk::{self, Exhibit};
use crate::lesson_view::{self, LiveLesson, LivePlayground};
use crate::panel::{self, Selection};
use crate::playground::Playground;
use crate::scene::Scene;
use crate::scene::exhibit::ExhibitConfig;
use crate::sim::{self, Bench, MachineRequest, Speed};
use crate::ui::{self, palette::DESIGN_SIZE};

/// How the window starts.
#[derive(Clone, Debug)]
pub struct WindowOptions {
    pub scene: Scene,
    /// Save a PNG of the window after this many frames, then exit.
    pub screenshot: Option<(PathBuf, u32)>,
    /// Start running at this many patterns per frame instead of the gentle default pace.
    pub patterns_per_frame: Option<usize>,
    /// Start with this A-unit selected (its wiring drawn on the retina).
    pub select_a_unit: Option<usize>,
    /// Start with the dial bank zoomed on the selected A-unit's block of 64 pots.
    pub zoom_dials: bool,
    /// Start training flat out (as many patterns as fit in each frame's training budget).
    pub flat_out: bool,
    /// The desktop panel opens paused (`--paused`).
    pub paused: bool,
    /// Draw frames as fast as they come instead of waiting for the display's refresh.
    pub no_vsync: bool,
    /// Render the panel into a 1280x720 image on the GPU instead of a window (with
    /// `screenshot`): frame-rate checks on machines that have a GPU but no display.
    pub offscreen: bool,
    /// Run by the exhibit's supervisor: send it a heartbeat from the frame loop.
    pub supervised: bool,
    /// A rendered soak of the scene's exhibit: simulated visitors, measured, then close.
    pub soak: Option<kiosk::soak::RenderedSoak>,
    /// A saved machine to start with.
    pub load: Option<PathBuf>,
    /// The language of the panel's words (an exhibit chooses its own).
    pub language: String,
}

/// The screenshot to take: where, after how many frames, and what became of it.
#[derive(Resource)]
struct ScreenshotPlan {
    path: PathBuf,
    frames: u32,
    frame: u32,
    requested: bool,
    /// Clock time at the end of the first frames (start-up and shader compilation excluded).
    warm_since: Option<std::time::Duration>,
    /// When this frame's main-world update began, and the sum of those updates' durations
    /// since the warm-up: the simulation and panel's own share of each frame.
    update_began: Option<std::time::Instant>,
    update_seconds: f64,
    /// Each frame's main-world update after the warm-up, in milliseconds.
    update_times: Vec<f64>,
    /// Each frame's duration after the warm-up, in milliseconds.
    frame_times: Vec<f64>,
    /// The image the panel renders into when there is no window.
    offscreen: Option<Handle<Image>>,
}

/// Frames left out of the frame-time figure: the first ones compile pipelines and load fonts.
const WARM_UP_FRAMES: u32 = 10;

/// The window as the command line asks for it (no subcommand): an exhibit scene runs under
/// its supervisor, which restarts it if it ever falls over.
pub fn open(args: WindowArgs) -> Result<ExitCode> {
    let (mut scene, scene_name) = Scene::load_or_builtin(args.scene.as_deref(), false)?;
    if let Some(kind) = scene.kind.brings_its_own_data()
        && (args.data.is_some() || args.load.is_some())
    {
        bail!(
            "{scene_name}: --data and --load open the panel on images or a machine; a {kind} scene brings its own data"
        );
    }
    // --data names the images; else a loaded machine brings the images it was trained on
    let images = match (&args.data, &args.load) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(path)) => Some(crate::model_file::MachineFile::load(path)?.data),
        (None, None) => None,
    };
    if let Some(source) = images {
        scene.data.source = source;
        scene.data.test = None;
    }
    if let (Some(code), Some(exhibit)) = (args.language.as_deref(), scene.exhibit.as_mut()) {
        ask_exhibit_language(exhibit, code).with_context(|| scene_name.clone())?;
    }
    if scene.exhibit.is_some() && !args.supervised && args.screenshot.is_none() {
        return kiosk::supervisor::supervise(&scene);
    }
    if let Some(config) = scene.exhibit.as_ref() {
        kiosk::supervisor::log_panics(config);
        if args.supervised {
            kiosk::supervisor::end_with_supervisor(config);
        }
    }
    run(WindowOptions {
        scene,
        screenshot: args.screenshot.map(|path| (path, args.frames)),
        patterns_per_frame: args.patterns_per_frame,
        select_a_unit: args.select_a_unit,
        zoom_dials: args.zoom_dials,
        flat_out: args.flat_out,
        paused: args.paused,
        no_vsync: args.no_vsync,
        offscreen: args.offscreen,
        supervised: args.supervised,
        soak: None,
        load: args.load,
        language: desktop_language(args.language.as_deref())?,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `--language CODE` on an exhibit: the language it starts in, if it offers it.
fn ask_exhibit_language(
    exhibit: &mut crate::scene::exhibit::ExhibitConfig,
    code: &str,
) -> Result<()> {
    if !exhibit.languages.iter().any(|l| l == code) {
        bail!(
            "--language {code}: this exhibit offers {}",
            exhibit.languages.join(", ")
        );
    }
    exhibit.language = code.to_string();
    exhibit.language_asked = true;
    Ok(())
}

/// The language the panel speaks: the one asked for (which must be shipped), else the
/// desktop's where it is shipped, else English.
pub fn desktop_language(asked: Option<&str>) -> Result<String> {
    language_from(asked, |name| std::env::var(name).ok())
}

/// [`desktop_language`], the environment read through `variable`.
fn language_from(asked: Option<&str>, variable: impl Fn(&str) -> Option<String>) -> Result<String> {
    let shipped = |code: &str| {
        ui::strings::BUILT_IN_STRINGS
            .iter()
            .any(|(c, _)| *c == code)
    };
    if let Some(code) = asked {
        if !shipped(code) {
            let codes: Vec<&str> = ui::strings::BUILT_IN_STRINGS
                .iter()
                .map(|(c, _)| *c)
                .collect();
            bail!(
                "--language {code}: no such language (there are {})",
                codes.join(", ")
            );
        }
        return Ok(code.to_string());
    }
    // the first of these that is set names the desktop's language, as `de_DE.UTF-8`
    let desktop = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| variable(name))
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    let code = desktop.get(..2).unwrap_or("en").to_ascii_lowercase();
    Ok(if shipped(&code) { code } else { "en".into() })
}

/// The exhibit's rendered soak: its scene in the window, visitors simulated, measured.
pub fn run_soak(scene: Scene, soak: kiosk::soak::RenderedSoak) -> Result<()> {
    run(WindowOptions {
        scene,
        screenshot: None,
        patterns_per_frame: None,
        select_a_unit: None,
        zoom_dials: false,
        flat_out: false,
        paused: false,
        no_vsync: true,
        offscreen: false,
        supervised: false,
        soak: Some(soak),
        load: None,
        language: "en".into(),
    })
}

/// Opens the window and runs until it is closed (or the screenshot is saved).
pub fn run(options: WindowOptions) -> Result<()> {
    // A lesson brings its own data: run it, then show what it found, live.
    let lesson = options.scene.kind.lesson().map(|lesson| {
        LiveLesson::new(
            lesson.clone(),
            options.scene.seed,
            options.scene.description.clone(),
        )
    });
    let playground = match options.scene.kind.playground() {
        Some(config) => Some(LivePlayground::new(
            Playground::new(config.clone(), options.scene.seed)
                .map_err(|e| anyhow::anyhow!("{}: {e}", options.scene.name))?,
            options.scene.clone(),
        )),
        None => None,
    };
    // Load the images and build the machines before a window exists: bad input is a message.
    let bench = match (&lesson, &playground) {
        (None, None) => Some(prepare_bench(&options)?),
        _ => None,
    };
    check_there_is_somewhere_to_draw(&options)?;
    let mut app = App::new();
    add_window_plugins(&mut app, &options);
    let lettering = options.scene.exhibit.as_ref().map(|e| e.lettering);
    app.insert_resource(ClearColor(ui::palette::BACKGROUND))
        .insert_resource(ui::PageLettering(lettering.unwrap_or_default()))
        .add_plugins(ui::plugin);
    if options.scene.exhibit.is_none() && options.language != "en" {
        let strings = ui::strings::Strings::built_in(&options.language)?;
        app.insert_resource(ui::Labels(strings));
    }
    if let Some(mut lesson) = lesson {
        if options.flat_out {
            lesson.carry_out(lesson_view::LessonRequest::ToggleRun);
        }
        app.insert_resource(lesson)
            .add_plugins(lesson_view::lesson_plugin);
    }
    if let Some(mut playground) = playground {
        playground.running = options.flat_out;
        app.insert_resource(playground)
            .add_plugins(lesson_view::playground_plugin);
    }
    if let Some(bench) = bench {
        app.insert_resource(bench)
            .insert_resource(panel::files::MachineFiles {
                last: options.load.clone(),
                ..default()
            });
        app.add_plugins((sim::plugin, panel::plugin));
        start_machine(&mut app, options.scene.exhibit.clone(), &options);
    }
    if let Some((path, frames)) = options.screenshot.clone() {
        plan_screenshot(&mut app, path, frames);
    } else if options.soak.is_none() && !options.offscreen {
        // frames only as the page needs them; screenshots and soaks count every frame
        app.add_plugins(ui::pace::plugin);
    }
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => bail!("the window closed with error code {code}"),
    }
}

/// The scene's images and machines, with the saved machine `--load` names in place of the
/// scene's Mark I.
fn prepare_bench(options: &WindowOptions) -> Result<Bench> {
    let mut bench = Bench::prepare(options.scene.clone())?;
    if let Some(path) = &options.load {
        panel::files::load_machine(&mut bench, path)?;
    }
    Ok(bench)
}

/// A window needs a display; an offscreen render needs a screenshot to be worth anything.
fn check_there_is_somewhere_to_draw(options: &WindowOptions) -> Result<()> {
    if options.offscreen && options.screenshot.is_none() {
        bail!("--offscreen renders into an image, so it needs --screenshot PATH");
    }
    if cfg!(all(unix, not(target_os = "macos")))
        && !options.offscreen
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        bail!(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): run it on a desktop, under xvfb-run, or use the command line (`mark1 train`, `mark1 --help`)"
        );
    }
    Ok(())
}

/// Bevy's plugins for a window of the design size (an exhibit's fills its screen and hides
/// the pointer; its screenshots keep the design size), or for an image on the GPU with no
/// window at all (`--offscreen`).
fn add_window_plugins(app: &mut App, options: &WindowOptions) {
    let plugins = DefaultPlugins.set(LogPlugin {
        filter: "warn,wgpu=error,naga=error".into(),
        ..default()
    });
    if options.offscreen {
        app.add_plugins((
            plugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    close_when_requested: false,
                    ..default()
                })
                .disable::<WinitPlugin>(),
            ScheduleRunnerPlugin::run_loop(Duration::ZERO),
        ));
        let target = Image::new_target_texture(
            DESIGN_SIZE.x as u32,
            DESIGN_SIZE.y as u32,
            TextureFormat::Rgba8UnormSrgb,
            None,
        );
        let handle = app.world_mut().resource_mut::<Assets<Image>>().add(target);
        app.insert_resource(OffscreenTarget(handle)).add_systems(
            PostUpdate,
            aim_cameras_offscreen.before(CameraUpdateSystems),
        );
        return;
    }
    let full_screen = options.scene.exhibit.as_ref().is_some_and(|e| e.fullscreen)
        && options.screenshot.is_none();
    let window = Window {
        title: format!("Mark I Perceptron: {}", options.scene.name),
        resolution: WindowResolution::new(DESIGN_SIZE.x as u32, DESIGN_SIZE.y as u32),
        mode: if full_screen {
            WindowMode::BorderlessFullscreen(MonitorSelection::Primary)
        } else {
            WindowMode::Windowed
        },
        present_mode: if options.no_vsync {
            PresentMode::AutoNoVsync
        } else {
            PresentMode::AutoVsync
        },
        ..default()
    };
    app.add_plugins(plugins.set(WindowPlugin {
        primary_window: Some(window),
        primary_cursor_options: Some(CursorOptions {
            visible: !full_screen,
            ..default()
        }),
        ..default()
    }));
}

/// Saves a PNG of the window after `frames` frames and reports the frame times.
fn plan_screenshot(app: &mut App, path: PathBuf, frames: u32) {
    let offscreen = app
        .world()
        .get_resource::<OffscreenTarget>()
        .map(|target| target.0.clone());
    app.insert_resource(ScreenshotPlan {
        path,
        frames: frames.max(1),
        frame: 0,
        requested: false,
        warm_since: None,
        update_began: None,
        update_seconds: 0.0,
        update_times: Vec::new(),
        frame_times: Vec::new(),
        offscreen,
    })
    .add_systems(First, |mut plan: ResMut<ScreenshotPlan>| {
        plan.update_began = Some(std::time::Instant::now());
    })
    .add_systems(Last, take_screenshot);
}

/// The image the window's cameras render into when there is no window (`--offscreen`).
#[derive(Resource)]
struct OffscreenTarget(Handle<Image>);

/// Points each new camera at the offscreen image, and lets the UI draw through it.
fn aim_cameras_offscreen(
    mut commands: Commands,
    target: Res<OffscreenTarget>,
    cameras: Query<Entity, Added<Camera>>,
) {
    for camera in &cameras {
        commands.entity(camera).insert((
            RenderTarget::Image(target.0.clone().into()),
            IsDefaultUiCamera,
        ));
    }
}

/// Starts the machine on the bench: an exhibit's attract loop, or the desktop's gentle pace,
/// with the panel set up as the options ask.
fn start_machine(app: &mut App, exhibit: Option<ExhibitConfig>, options: &WindowOptions) {
    if let Some(config) = exhibit {
        app.insert_resource(Exhibit::new(config))
            .insert_resource(ui::pace::PaceFloor(ui::pace::Pace::Animate))
            .add_plugins(kiosk::plugin);
        if options.supervised {
            app.add_plugins(kiosk::supervisor::heartbeat_plugin);
        }
        if let Some(soak) = options.soak.clone() {
            app.insert_resource(soak)
                .add_plugins(kiosk::soak::rendered_plugin);
        }
    } else {
        app.world_mut()
            .write_message(MachineRequest::SetSpeed(Speed::PerSecond(4.0)));
        if !options.paused {
            app.world_mut().write_message(MachineRequest::Run);
        }
    }
    if let Some(n) = options.patterns_per_frame {
        app.world_mut()
            .write_message(MachineRequest::SetSpeed(Speed::PerUpdate(n.max(1))));
    }
    if options.flat_out {
        app.world_mut()
            .write_message(MachineRequest::SetSpeed(sim::SPEEDS[sim::SPEEDS.len() - 1]));
    }
    let mut selection = app.world_mut().resource_mut::<Selection>();
    selection.a_unit = options.select_a_unit;
    selection.zoomed = options.zoom_dials;
}

/// Counts frames; at the planned one, captures the window. Gives up (with an error) if no
/// picture arrives within 600 more frames.
fn take_screenshot(
    mut commands: Commands,
    mut plan: ResMut<ScreenshotPlan>,
    mut exit: MessageWriter<AppExit>,
    time: Res<Time<Real>>,
    adapter: Option<Res<RenderAdapterInfo>>,
) {
    plan.frame += 1;
    if plan.frame > WARM_UP_FRAMES {
        if let Some(began) = plan.update_began {
            let seconds = began.elapsed().as_secs_f64();
            plan.update_seconds += seconds;
            plan.update_times.push(seconds * 1000.0);
        }
        if !plan.requested {
            plan.frame_times.push(time.delta_secs_f64() * 1000.0);
        }
    }
    if plan.frame == WARM_UP_FRAMES {
        plan.warm_since = Some(time.elapsed());
    }
    if plan.frame >= plan.frames && !plan.requested {
        plan.requested = true;
        if let Some(since) = plan.warm_since {
            let frames = plan.frame - WARM_UP_FRAMES;
            if frames > 0 {
                eprintln!(
                    "mean frame time {:.1} ms over {frames} frames (after {WARM_UP_FRAMES} warm-up frames); main-world update {:.1} ms of it",
                    (time.elapsed() - since).as_secs_f64() * 1000.0 / frames as f64,
                    plan.update_seconds * 1000.0 / frames as f64
                );
                eprintln!("{}", FrameTimes::of(&plan.frame_times));
                let updates = FrameTimes::of(&plan.update_times);
                eprintln!(
                    "main-world updates: median {:.1} ms, 95th percentile {:.1} ms, 99th {:.1} ms, worst {:.1} ms",
                    updates.quantile(0.5),
                    updates.quantile(0.95),
                    updates.quantile(0.99),
                    updates.quantile(1.0)
                );
                if let Some(adapter) = adapter {
                    eprintln!("renderer: {} ({:?})", adapter.name, adapter.backend);
                }
            }
        }
        let path = plan.path.clone();
        let screenshot = match &plan.offscreen {
            Some(image) => Screenshot::image(image.clone()),
            None => Screenshot::primary_window(),
        };
        commands
            .spawn(screenshot)
            .observe(move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                match save_png(&captured.image, &path) {
                    Ok(()) => {
                        exit.write(AppExit::Success);
                    }
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        exit.write(AppExit::error());
                    }
                }
            });
    }
    if plan.frame > plan.frames + 600 {
        eprintln!("error: no screenshot arrived from the renderer");
        exit.write(AppExit::error());
    }
}

/// The spread of frame times: what "holds 60 frames a second" is judged on.
struct FrameTimes {
    sorted: Vec<f64>,
}

impl FrameTimes {
    fn of(times: &[f64]) -> Self {
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self { sorted }
    }

    /// The time at or under which this fraction of the frames came.
    fn quantile(&self, q: f64) -> f64 {
        let last = self.sorted.len().saturating_sub(1);
        self.sorted
            .get(((last as f64) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

impl std::fmt::Display for FrameTimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let within = self
            .sorted
            .iter()
            .filter(|&&ms| ms <= 1000.0 / 60.0)
            .count();
        write!(
            f,
            "frame times: median {:.1} ms, 95th percentile {:.1} ms, 99th {:.1} ms, worst {:.1} ms; {:.1}% of frames within 16.7 ms (60 frames/s)",
            self.quantile(0.5),
            self.quantile(0.95),
            self.quantile(0.99),
            self.quantile(1.0),
            100.0 * within as f64 / self.sorted.len().max(1) as f64
        )
    }
}

/// Encodes the captured window as an RGB PNG and writes it atomically.
fn save_png(image: &Image, path: &std::path::Path) -> Result<()> {
    let picture = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| anyhow::anyhow!("{}: cannot convert the screenshot: {e}", path.display()))?
        .to_rgb8();
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| anyhow::anyhow!("{}: cannot encode PNG: {e}", path.display()))?;
    write_atomically(path, &bytes, &PNG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhibit_starts_in_the_language_asked_for_if_it_offers_it() {
        let mut exhibit = crate::scene::exhibit::ExhibitConfig {
            languages: vec!["en".into(), "de".into()],
            ..Default::default()
        };
        let refused = ask_exhibit_language(&mut exhibit, "fr").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "--language fr: this exhibit offers en, de"
        );
        assert_eq!(
            (exhibit.language.as_str(), exhibit.language_asked),
            ("en", false)
        );
        ask_exhibit_language(&mut exhibit, "de").unwrap();
        assert_eq!(
            (exhibit.language.as_str(), exhibit.language_asked),
            ("de", true)
        );
    }

    #[test]
    fn the_panel_speaks_the_language_asked_for_else_the_desktops_else_english() {
        let desktop =
            |lang: &'static str| move |name: &str| (name == "LANG").then(|| lang.to_string());
        assert_eq!(
            language_from(Some("fr"), desktop("de_DE.UTF-8")).unwrap(),
            "fr"
        );
        assert_eq!(language_from(None, desktop("de_DE.UTF-8")).unwrap(), "de");
        assert_eq!(language_from(None, desktop("pt_BR.UTF-8")).unwrap(), "en");
        assert_eq!(language_from(None, desktop("C")).unwrap(), "en");
        assert_eq!(language_from(None, |_| None).unwrap(), "en");
        // LC_ALL wins over LANG
        let both = |name: &str| match name {
            "LC_ALL" => Some("fr_FR.UTF-8".to_string()),
            "LANG" => Some("de_DE.UTF-8".to_string()),
            _ => None,
        };
        assert_eq!(language_from(None, both).unwrap(), "fr");
        let refused = language_from(Some("xx"), |_| None).unwrap_err().to_string();
        assert!(refused.contains("no such language"), "{refused}");
    }
}
