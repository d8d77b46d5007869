//! The playground's page: the points and features, the network diagram with every unit's map
//! and its layer controls, the decision surface, the loss curves, and run / step / reset.

use bevy::input::keyboard::KeyCode;
use bevy::prelude::*;

use super::live_playground::{LivePlayground, PlaygroundRequest};
use super::playground_mark1::{MARK1_PASSES, MARK1_SIDE};
use super::playground_paint::*;
use crate::data::plane::{Arrangement, Feature};
use crate::nn::activation::Activation;
use crate::nn::loss::Loss;
use crate::nn::mlp::Init;
use crate::playground::controls::{Control, Toward};
use crate::ui::chart::render_chart;
use crate::ui::chart_frame::{ChartAxes, chart_in_language, relabel_axes, spawn_chart};
use crate::ui::palette::*;
use crate::ui::{
    Labels, Localized, PANEL_BUTTON, UiFonts, heading, language_button, localized_text, page,
    page_camera, styled_button, text,
};

/// A line of text the page keeps up to date.
#[derive(Component, Clone, Copy, PartialEq, Debug)]
enum Readout {
    Noise,
    TestFraction,
    LearningRate,
    BatchSize,
    Momentum,
    L2,
    Layers,
    Status,
    Message,
    /// What the diverged surface says.
    Diverged,
}

#[derive(Component)]
struct SurfaceImage;

#[derive(Component)]
struct DiagramImage;

#[derive(Component)]
struct LossImage;

/// Where the loss chart stands: its title and legend are spelled again in a new language.
#[derive(Component)]
struct LossChartSlot;

/// The cover over the surface when training diverged: touching it resets.
#[derive(Component)]
struct DivergedCover;

/// The rows above and below the diagram holding each hidden layer's + and − buttons, and
/// the captions under its columns.
#[derive(Component, Clone, Copy, PartialEq)]
enum ColumnRow {
    More,
    Fewer,
    Captions,
}

/// The page; needs a [`LivePlayground`].
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_page)
        .add_systems(Update, open_dropped_scene)
        .add_systems(
            Update,
            (
                (keyboard_shortcuts, press_buttons),
                rebuild_column_controls,
                (
                    shade_buttons,
                    label_buttons,
                    update_readouts,
                    respell_loss_chart,
                    paint_pictures,
                ),
            )
                .chain(),
        );
}

fn spawn_page(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    labels: Res<Labels>,
    live: Res<LivePlayground>,
    mut images: ResMut<Assets<Image>>,
) {
    let blank = |size: Vec2| {
        crate::ui::raster::Raster::new(
            (size.x * crate::ui::chart::RASTER_SCALE) as u32,
            (size.y * crate::ui::chart::RASTER_SCALE) as u32,
            rgba(LAMP_OFF),
        )
        .to_image()
    };
    let surface = images.add(blank(SURFACE));
    let diagram = images.add(blank(DIAGRAM));
    let loss = chart_in_language(&loss_chart(&live.playground.history), &labels);
    let loss_image = images.add(render_chart(&loss, LOSS_PLOT).to_image());
    commands.spawn(page_camera());
    commands
        .spawn(page(Vec2::new(16.0, 10.0), 8.0))
        .with_children(|page| {
            page.spawn(row(8.0))
                .with_children(|header| spawn_header(header, &fonts));
            // the middle takes what the header and the run controls leave, and never more
            page.spawn(Node {
                column_gap: px(18),
                flex_grow: 1.0,
                min_height: px(0),
                overflow: Overflow::clip(),
                ..default()
            })
            .with_children(|main| {
                main.spawn(column(6.0, 246.0))
                    .with_children(|left| spawn_settings(left, &fonts));
                main.spawn(column(6.0, DIAGRAM.x))
                    .with_children(|middle| spawn_network(middle, &fonts, diagram));
                main.spawn(column(6.0, 380.0)).with_children(|right| {
                    spawn_surface(right, &fonts, surface);
                    right
                        .spawn((LossChartSlot, Node::default()))
                        .with_children(|slot| {
                            spawn_chart(slot, &loss, loss_image, LOSS_PLOT, &fonts, LossImage);
                        });
                });
            });
            page.spawn(Node {
                flex_shrink: 0.0,
                height: px(BUTTON_HEIGHT),
                ..row(8.0)
            })
            .with_children(|bottom| spawn_run_controls(bottom, &fonts));
        });
}

fn row(gap: f32) -> Node {
    Node {
        column_gap: px(gap),
        row_gap: px(gap),
        align_items: AlignItems::Center,
        ..default()
    }
}

fn column(gap: f32, width: f32) -> Node {
    Node {
        width: px(width),
        flex_direction: FlexDirection::Column,
        row_gap: px(gap),
        ..default()
    }
}

fn button(fonts: &UiFonts, label: &str, request: PlaygroundRequest, width: f32) -> impl Bundle {
    styled_button(fonts, label, request, width, &PANEL_BUTTON)
}

fn control(control: Control) -> PlaygroundRequest {
    PlaygroundRequest::Control(control)
}

/// `label  −  value  +`: a stepped setting.
fn spawn_stepper(
    parent: &mut ChildSpawnerCommands,
    fonts: &UiFonts,
    label: &str,
    readout: Readout,
    step: fn(Toward) -> Control,
    label_width: f32,
) {
    parent.spawn(row(4.0)).with_children(|line| {
        line.spawn((
            localized_text(fonts, label, LABEL_SIZE, DIM_TEXT, true),
            TextLayout::no_wrap(),
            Node {
                min_width: px(label_width),
                flex_shrink: 0.0,
                ..default()
            },
        ));
        line.spawn(button(fonts, "\u{2212}", control(step(Toward::Less)), 44.0));
        line.spawn((
            Node {
                width: px(54),
                justify_content: JustifyContent::Center,
                ..default()
            },
            children![(readout, text(fonts, "", LABEL_SIZE, ENGRAVING, true))],
        ));
        line.spawn(button(fonts, "+", control(step(Toward::More)), 44.0));
    });
}

/// The title, the four arrangements of points, their noise and the share held out.
fn spawn_header(header: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    header.spawn((
        localized_text(fonts, "Playground", TITLE_SIZE, ENGRAVING, true),
        TextLayout::no_wrap(),
        Node {
            margin: UiRect::right(px(4)),
            flex_shrink: 0.0,
            ..default()
        },
    ));
    for (label, arrangement, width) in [
        ("Gaussians", Arrangement::Gaussians, 64.0),
        ("Circles", Arrangement::Circles, 64.0),
        ("XOR", Arrangement::Xor, 56.0),
        ("Spiral", Arrangement::Spiral, 64.0),
        ("sin x", Arrangement::Sine, 56.0),
        ("Step", Arrangement::Step, 56.0),
        ("|x|", Arrangement::Abs, 48.0),
    ] {
        header.spawn(button(
            fonts,
            label,
            control(Control::Data(arrangement)),
            width,
        ));
    }
    header.spawn(Node {
        flex_grow: 1.0,
        ..default()
    });
    spawn_stepper(header, fonts, "Noise", Readout::Noise, Control::Noise, 50.0);
    spawn_stepper(
        header,
        fonts,
        "Test",
        Readout::TestFraction,
        Control::TestFraction,
        38.0,
    );
    header.spawn(language_button(fonts, 52.0));
}

/// The input features and how the network learns.
fn spawn_settings(left: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    left.spawn(heading(fonts, "Inputs"));
    left.spawn(Node {
        flex_wrap: FlexWrap::Wrap,
        column_gap: px(6),
        row_gap: px(6),
        ..default()
    })
    .with_children(|grid| {
        for feature in Feature::ALL {
            grid.spawn(button(
                fonts,
                feature.label(),
                control(Control::ToggleFeature(feature)),
                78.0,
            ));
        }
    });
    left.spawn(heading(fonts, "Learning"));
    let steppers: [(&str, Readout, fn(Toward) -> Control); 4] = [
        ("Rate", Readout::LearningRate, Control::LearningRate),
        ("Batch", Readout::BatchSize, Control::BatchSize),
        ("Momentum", Readout::Momentum, Control::Momentum),
        ("L2", Readout::L2, Control::L2),
    ];
    for (label, readout, step) in steppers {
        spawn_stepper(left, fonts, label, readout, step, 92.0);
    }
    left.spawn(row(6.0)).with_children(|line| {
        line.spawn(button(fonts, "loss", control(Control::NextLoss), 120.0));
        line.spawn(button(fonts, "init", control(Control::NextInit), 120.0));
    });
}

/// The layer count and activation, then the diagram between its rows of per-layer buttons.
fn spawn_network(middle: &mut ChildSpawnerCommands, fonts: &UiFonts, diagram: Handle<Image>) {
    middle.spawn(row(6.0)).with_children(|line| {
        line.spawn(localized_text(
            fonts,
            "Hidden layers",
            LABEL_SIZE,
            DIM_TEXT,
            true,
        ));
        line.spawn(button(
            fonts,
            "\u{2212}",
            control(Control::RemoveLayer),
            44.0,
        ));
        line.spawn((
            Readout::Layers,
            text(fonts, "", LABEL_SIZE, ENGRAVING, true),
        ));
        line.spawn(button(fonts, "+", control(Control::AddLayer), 44.0));
        line.spawn(button(
            fonts,
            "activation",
            control(Control::NextActivation),
            150.0,
        ));
    });
    let strip = |height: f32| Node {
        width: px(DIAGRAM.x),
        height: px(height),
        ..default()
    };
    middle.spawn((ColumnRow::More, strip(BUTTON_HEIGHT)));
    middle.spawn((
        DiagramImage,
        ImageNode::new(diagram),
        Node {
            width: px(DIAGRAM.x),
            height: px(DIAGRAM.y),
            ..default()
        },
    ));
    middle.spawn((ColumnRow::Fewer, strip(BUTTON_HEIGHT)));
    middle.spawn((ColumnRow::Captions, strip(40.0)));
}

/// The surface, the cover it gets when training diverged, and the classes' key.
fn spawn_surface(right: &mut ChildSpawnerCommands, fonts: &UiFonts, surface: Handle<Image>) {
    right
        .spawn((
            SurfaceImage,
            ImageNode::new(surface),
            Node {
                width: px(SURFACE.x),
                height: px(SURFACE.y),
                margin: UiRect::left(px(58)),
                ..default()
            },
        ))
        .with_child((
            DivergedCover,
            Button,
            PlaygroundRequest::Reset,
            Visibility::Hidden,
            Node {
                width: percent(100),
                height: percent(100),
                padding: UiRect::all(px(18)),
                flex_direction: FlexDirection::Column,
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                ..default()
            },
            BackgroundColor(BACKGROUND.with_alpha(0.82)),
            children![(
                Readout::Diverged,
                text(fonts, "", 20.0, ERROR_TEXT, true),
                TextLayout::justify(Justify::Center),
            )],
        ));
    right.spawn((
        Readout::Message,
        text(fonts, "", SMALL_SIZE + 1.0, DIM_TEXT, false),
        // three lines' room, so that a longer message never moves the chart
        Node {
            margin: UiRect::left(px(58)),
            height: px(52),
            flex_shrink: 0.0,
            ..default()
        },
    ));
}

fn spawn_run_controls(bottom: &mut ChildSpawnerCommands, fonts: &UiFonts) {
    bottom.spawn(button(fonts, "run", PlaygroundRequest::ToggleRun, 96.0));
    bottom.spawn(button(fonts, "step", PlaygroundRequest::Step, 80.0));
    bottom.spawn(button(fonts, "reset", PlaygroundRequest::Reset, 80.0));
    bottom.spawn(button(
        fonts,
        "Test points",
        PlaygroundRequest::ToggleTestPoints,
        130.0,
    ));
    bottom.spawn(button(fonts, "save", PlaygroundRequest::Save, 76.0));
    bottom.spawn(button(
        fonts,
        "Mark I",
        PlaygroundRequest::ToggleMark1,
        90.0,
    ));
    bottom.spawn((
        Readout::Status,
        text(fonts, "", LABEL_SIZE, ENGRAVING, false),
        Node {
            flex_shrink: 1.0,
            margin: UiRect::left(px(10)),
            ..default()
        },
    ));
}

/// The + and − above and below each hidden layer's column, and every column's caption,
/// rebuilt when the number of columns changes.
fn rebuild_column_controls(
    mut commands: Commands,
    fonts: Res<UiFonts>,
    live: Res<LivePlayground>,
    rows: Query<(Entity, &ColumnRow)>,
    mut built_for: Local<Option<usize>>,
) {
    let columns = units_per_column(&live.playground.network).len();
    if *built_for == Some(columns) {
        return;
    }
    *built_for = Some(columns);
    let centres = column_centres(columns, DIAGRAM.x);
    for (strip, kind) in &rows {
        commands.entity(strip).despawn_children();
        for (c, &x) in centres.iter().enumerate() {
            let hidden_layer = c.checked_sub(1).filter(|&k| k + 2 < columns);
            let place = |width: f32| Node {
                position_type: PositionType::Absolute,
                left: px(x - width / 2.0),
                width: px(width),
                justify_content: JustifyContent::Center,
                ..default()
            };
            let spawned = match (kind, hidden_layer) {
                (ColumnRow::Captions, _) => commands
                    .spawn((
                        place(96.0),
                        children![(
                            ColumnCaption(c),
                            text(&fonts, "", SMALL_SIZE + 1.0, DIM_TEXT, false),
                            TextLayout::justify(Justify::Center),
                        )],
                    ))
                    .id(),
                (ColumnRow::More | ColumnRow::Fewer, Some(layer)) => {
                    let (label, toward) = match kind {
                        ColumnRow::More => ("+", Toward::More),
                        _ => ("\u{2212}", Toward::Less),
                    };
                    let request = control(Control::Units { layer, toward });
                    commands
                        .spawn((place(44.0), children![button(&fonts, label, request, 44.0)]))
                        .id()
                }
                _ => continue,
            };
            commands.entity(spawned).insert(ChildOf(strip));
        }
    }
}

/// The caption under column `0` (inputs), `1..` (hidden layers), the last (output).
#[derive(Component, Clone, Copy)]
struct ColumnCaption(usize);

/// A button acts when it goes down, as bevy_ui's focus sees it: from the cursor's place in
/// the same frame, so a tap that moves and presses at once (a touch screen, a quick click)
/// is never lost, as it is to picking's click, which needs the pointer hovering first.
fn press_buttons(
    buttons: Query<(&Interaction, &PlaygroundRequest), Changed<Interaction>>,
    mut requests: MessageWriter<PlaygroundRequest>,
) {
    for (interaction, request) in &buttons {
        if *interaction == Interaction::Pressed {
            requests.write(*request);
        }
    }
}

/// A scene file dropped on the window opens in place of the set-up on screen.
fn open_dropped_scene(
    mut drops: MessageReader<bevy::window::FileDragAndDrop>,
    mut live: ResMut<LivePlayground>,
) {
    for drop in drops.read() {
        if let bevy::window::FileDragAndDrop::DroppedFile { path_buf, .. } = drop {
            live.open(path_buf);
        }
    }
}

fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    mut requests: MessageWriter<PlaygroundRequest>,
) {
    for (key, request) in [
        (KeyCode::Space, PlaygroundRequest::ToggleRun),
        (KeyCode::KeyS, PlaygroundRequest::Step),
        (KeyCode::KeyR, PlaygroundRequest::Reset),
        (KeyCode::KeyT, PlaygroundRequest::ToggleTestPoints),
        (KeyCode::KeyM, PlaygroundRequest::ToggleMark1),
    ] {
        if keys.just_pressed(key) {
            requests.write(request);
        }
    }
}

/// Whether a button's setting is the one in force: the arrangement shown, a feature fed in,
/// the test points drawn, the run going.
fn is_selected(request: &PlaygroundRequest, live: &LivePlayground) -> bool {
    let config = &live.playground.config;
    match request {
        PlaygroundRequest::Control(Control::Data(a)) => config.data.arrangement == *a,
        PlaygroundRequest::Control(Control::ToggleFeature(f)) => config.features.contains(f),
        PlaygroundRequest::ToggleTestPoints => live.test_points,
        PlaygroundRequest::ToggleMark1 => live.mark1.shown,
        PlaygroundRequest::ToggleRun => live.running,
        _ => false,
    }
}

fn shade_buttons(
    live: Res<LivePlayground>,
    mut buttons: Query<
        (&Interaction, &PlaygroundRequest, &mut BackgroundColor),
        Without<DivergedCover>,
    >,
) {
    for (interaction, request, mut color) in &mut buttons {
        let shade = match interaction {
            Interaction::Pressed => BUTTON_ACTIVE,
            _ if is_selected(request, &live) => BUTTON_ACTIVE,
            Interaction::Hovered => BUTTON_HOVER,
            Interaction::None => BUTTON,
        };
        if color.0 != shade {
            color.0 = shade;
        }
    }
}

pub fn activation_name(activation: Activation) -> &'static str {
    match activation {
        Activation::Relu => "ReLU",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
        Activation::LeakyRelu(_) => "leaky ReLU",
        Activation::Identity => "identity",
        Activation::Step => "step",
        Activation::Sign => "sign",
    }
}

fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::SigmoidBinaryCrossEntropy => "σ + BCE",
        Loss::SoftmaxCrossEntropy => "softmax + CE",
        Loss::MeanSquaredError => "squared error",
    }
}

fn init_name(init: Init) -> String {
    match init {
        Init::He => "He init".into(),
        Init::Glorot => "Glorot init".into(),
        Init::SmallGaussian(std) => format!("N(0, {std}²) init"),
    }
}

/// Buttons whose words follow the set-up: run/pause, the activation, the loss, the init.
fn label_buttons(
    live: Res<LivePlayground>,
    buttons: Query<(&PlaygroundRequest, &Children)>,
    mut texts: Query<&mut Localized>,
) {
    if !live.is_changed() {
        return;
    }
    let config = &live.playground.config;
    for (request, children) in &buttons {
        let key = match request {
            PlaygroundRequest::ToggleRun if live.running => "pause".to_string(),
            PlaygroundRequest::ToggleRun => "run".to_string(),
            PlaygroundRequest::Control(Control::NextActivation) => config
                .hidden
                .first()
                .map_or("no hidden layer", |l| activation_name(l.activation))
                .to_string(),
            PlaygroundRequest::Control(Control::NextLoss) => loss_name(config.loss).to_string(),
            PlaygroundRequest::Control(Control::NextInit) => init_name(config.init),
            _ => continue,
        };
        for child in children {
            if let Ok(mut localized) = texts.get_mut(*child)
                && localized.key != key
            {
                localized.key = key.clone();
            }
        }
    }
}

fn percent_of(fraction: f64) -> String {
    format!("{:.1}%", 100.0 * fraction)
}

/// How many points, how split, and what the marks mean.
fn points_summary(p: &crate::playground::Playground) -> String {
    let split = format!(
        "{} points: {} to train on, {} held out.",
        p.train.len() + p.test.len(),
        p.train.len(),
        p.test.len(),
    );
    match p.config.data.arrangement.classes() {
        [first, second] => format!("{split} Discs: {first}; crosses: {second}."),
        _ => format!("{split} Dashed: the curve; solid: the network's fit (squared error)."),
    }
}

/// What the surface shows while the Mark I is on it.
fn mark1_summary(live: &LivePlayground) -> String {
    match (live.mark1.current(&live.playground), &live.mark1.failure) {
        (_, Some(failure)) => format!("The Mark I could not be trained: {failure}"),
        (Some(s), None) => format!(
            "The Mark I on the same points, each a spot of light on its 20×20 retina ({MARK1_PASSES} passes): train {}, test {}. M: the network again.",
            percent_of(s.train_accuracy),
            percent_of(s.test_accuracy)
        ),
        (None, None) => "Training the Mark I on these points…".into(),
    }
}

/// The words of each readout for the playground as it is.
fn readout_text(readout: Readout, live: &LivePlayground) -> String {
    let p = &live.playground;
    let config = &p.config;
    match readout {
        Readout::Noise => format!("{}", config.data.noise),
        Readout::TestFraction => format!("{:.0}%", 100.0 * config.data.test_fraction),
        Readout::LearningRate => format!("{}", config.learning_rate),
        Readout::BatchSize => format!("{}", config.batch_size.min(p.train.len())),
        Readout::Momentum => format!("{}", config.momentum),
        Readout::L2 => format!("{}", config.l2),
        Readout::Layers => format!("{}", config.hidden.len()),
        Readout::Status => {
            let now = p.now();
            let accuracy = |a: Option<f64>| a.map(|a| format!(" ({})", percent_of(a)));
            format!(
                "Epoch {}  ·  {} batches  ·  train loss {:.3}{}  ·  test loss {:.3}{}",
                p.epoch,
                p.updates,
                now.train_loss,
                accuracy(now.train_accuracy).unwrap_or_default(),
                now.test_loss,
                accuracy(now.test_accuracy).unwrap_or_default(),
            )
        }
        Readout::Message => match (&live.notice, &p.diverged) {
            (Some(notice), _) => notice.clone(),
            (None, Some(diverged)) => format!("{diverged}."),
            (None, None) if live.mark1.shown => mark1_summary(live),
            (None, None) => points_summary(p),
        },
        Readout::Diverged => format!(
            "Diverged at learning rate {}\n\nTouch here to start again\nwith fresh weights",
            config.learning_rate
        ),
    }
}

fn update_readouts(
    live: Res<LivePlayground>,
    labels: Res<Labels>,
    mut readouts: Query<(&Readout, &mut Text)>,
    mut captions: Query<(&ColumnCaption, &mut Text), Without<Readout>>,
    new_captions: Query<(), Added<ColumnCaption>>,
    mut cover: Query<&mut Visibility, With<DivergedCover>>,
) {
    if !live.is_changed() && !labels.is_changed() && new_captions.is_empty() {
        return;
    }
    for (readout, mut text) in &mut readouts {
        let words = labels.phrase(&readout_text(*readout, &live));
        if text.0 != words {
            text.0 = words;
        }
    }
    for (caption, mut text) in &mut captions {
        let words = labels.phrase(&column_caption(caption.0, &live));
        if text.0 != words {
            text.0 = words;
        }
    }
    if let Ok(mut visibility) = cover.single_mut() {
        let shown = if live.playground.diverged.is_some() {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        visibility.set_if_neq(shown);
    }
}

/// What a column is, and for a layer the norm of its weights' gradient.
fn column_caption(column: usize, live: &LivePlayground) -> String {
    let p = &live.playground;
    let layers = p.config.hidden.len();
    let gradient = live
        .gradient_norms
        .get(column.wrapping_sub(1))
        .map(|g| format!("\n|∇W| {g:.2e}"))
        .unwrap_or_default();
    if column == 0 {
        match p.config.features.len() {
            1 => "1 input".to_string(),
            n => format!("{n} inputs"),
        }
    } else if column <= layers {
        let layer = &p.config.hidden[column - 1];
        format!(
            "{} {}{gradient}",
            layer.units,
            activation_name(layer.activation)
        )
    } else {
        format!("output{gradient}")
    }
}

/// Repaints the surface, the diagram and the loss chart when the playground changed: every
/// change at once while it is still; while it runs, at most 20 times a second and never more
/// than a fifth of the time (a big network's pictures take longer, so they come less often).
#[expect(
    clippy::too_many_arguments,
    reason = "a system: each picture's image and the chart's labels are separate queries"
)]
fn paint_pictures(
    mut commands: Commands,
    live: Res<LivePlayground>,
    words: Res<Labels>,
    fonts: Res<UiFonts>,
    surface: Query<&ImageNode, With<SurfaceImage>>,
    diagram: Query<&ImageNode, With<DiagramImage>>,
    loss: Query<(Entity, &ImageNode), With<LossImage>>,
    mut images: ResMut<Assets<Image>>,
    mut frames: Query<(&mut ChartAxes, &ChildOf)>,
    labels: Query<(Entity, &ChildOf), With<crate::ui::chart_frame::AxisLabel>>,
    time: Res<Time<Real>>,
    mut painted: Local<Option<Painted>>,
) {
    let now = time.elapsed_secs();
    if let Some(last) = *painted
        && (last.version == live.version
            || (live.running && now - last.at < (5.0 * last.took).max(0.05)))
    {
        return;
    }
    let began = std::time::Instant::now();
    let p = &live.playground;
    let maps = p.maps(map_side_for(&p.network));
    let mut store = |node: &ImageNode, raster: crate::ui::raster::Raster| {
        if let Some(mut image) = images.get_mut(&node.image) {
            raster.store(&mut image);
        }
    };
    if let Ok(node) = surface.single() {
        let picture = match live.mark1.current(p).filter(|_| live.mark1.shown) {
            Some(mark1) => paint_mark1_surface(p, &mark1.classes, MARK1_SIDE, live.test_points),
            None => paint_surface(p, &maps, live.test_points),
        };
        store(node, picture);
    }
    if let Ok(node) = diagram.single() {
        store(node, paint_diagram(p, &maps));
    }

    if let Ok((entity, node)) = loss.single() {
        let chart = chart_in_language(&loss_chart(&p.history), &words);
        store(node, render_chart(&chart, LOSS_PLOT));
        relabel_axes(&mut commands, entity, &chart, &fonts, &mut frames, &labels);
    }
    *painted = Some(Painted {
        version: live.version,
        at: now,
        took: began.elapsed().as_secs_f32(),
    });
}

/// A new language spells the loss chart's title, axes and legend again, on the same image.
fn respell_loss_chart(
    mut commands: Commands,
    labels: Res<Labels>,
    fonts: Res<UiFonts>,
    live: Res<LivePlayground>,
    slot: Query<Entity, With<LossChartSlot>>,
    image: Query<&ImageNode, With<LossImage>>,
) {
    if !labels.is_changed() || labels.is_added() {
        return;
    }
    let (Ok(slot), Ok(image)) = (slot.single(), image.single()) else {
        return;
    };
    let chart = chart_in_language(&loss_chart(&live.playground.history), &labels);
    let image = image.image.clone();
    commands.entity(slot).despawn_children();
    commands.entity(slot).with_children(|slot| {
        spawn_chart(slot, &chart, image, LOSS_PLOT, &fonts, LossImage);
    });
}

/// The last repaint: what it showed, when, and how long it took (seconds).
#[derive(Clone, Copy)]
struct Painted {
    version: u64,
    at: f32,
    took: f32,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::data::plane::Arrangement;
    use crate::ui::strings::assert_every_language_has;

    /// The playground's page, headless, in English.
    fn page() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, bevy::input::InputPlugin))
            .add_message::<bevy::window::FileDragAndDrop>()
            .init_resource::<Assets<Image>>()
            .insert_resource(UiFonts::unloaded())
            .init_resource::<Labels>()
            .insert_resource(super::super::live_playground::tests::unhurried())
            .add_plugins(super::super::playground_plugin);
        app.update();
        app
    }

    use super::super::live_playground::tests::{request, run_into_divergence};

    /// Every English text on the page now: localized text's keys, and plain text (a y axis's
    /// name after its arrow, a legend entry without its leading space).
    #[derive(Default)]
    struct Words {
        keys: BTreeSet<String>,
        plain: BTreeSet<String>,
    }

    fn words_on_page(app: &mut App, into: &mut Words) {
        let world = app.world_mut();
        let mut localized = world.query::<&Localized>();
        into.keys
            .extend(localized.iter(world).map(|l| l.key.clone()));
        let mut plain = world.query_filtered::<&Text, Without<Localized>>();
        into.plain.extend(
            plain
                .iter(world)
                .map(|t| t.0.trim_start_matches("↑ ").to_string()),
        );
        let mut spans = world.query::<&TextSpan>();
        into.plain
            .extend(spans.iter(world).map(|t| t.0.trim().to_string()));
    }

    #[test]
    fn every_word_the_playground_shows_is_in_every_language() {
        let mut app = page();
        let mut words = Words::default();
        let mut look = |app: &mut App| {
            app.update();
            words_on_page(app, &mut words);
        };
        look(&mut app);
        for arrangement in Arrangement::ALL {
            request(&mut app, control(Control::Data(arrangement)));
            look(&mut app);
        }
        request(&mut app, control(Control::Data(Arrangement::Xor)));
        for _ in 0..8 {
            for next in [
                Control::NextActivation,
                Control::NextLoss,
                Control::NextInit,
            ] {
                request(&mut app, control(next));
            }
            look(&mut app);
        }
        request(&mut app, PlaygroundRequest::ToggleRun);
        look(&mut app);
        request(&mut app, PlaygroundRequest::ToggleRun);
        request(&mut app, PlaygroundRequest::ToggleMark1);
        look(&mut app);
        let mut frames = 0;
        loop {
            let live = app.world().resource::<LivePlayground>();
            if live.mark1.current(&live.playground).is_some() {
                break;
            }
            app.update();
            frames += 1;
            assert!(frames < 1_000_000, "no surface");
            std::thread::yield_now();
        }
        look(&mut app);
        request(&mut app, control(Control::Data(Arrangement::Sine)));
        request(&mut app, PlaygroundRequest::ToggleMark1);
        look(&mut app);
        for feature in Feature::ALL {
            request(&mut app, control(Control::ToggleFeature(feature)));
            look(&mut app);
        }
        for _ in 0..8 {
            request(&mut app, control(Control::RemoveLayer));
        }
        look(&mut app);
        run_into_divergence(&mut app);
        assert!(
            app.world()
                .resource::<LivePlayground>()
                .playground
                .diverged
                .is_some()
        );
        look(&mut app);
        // the language button reads the language's own code
        words
            .keys
            .retain(|k| !["EN", "FR", "DE"].contains(&k.as_str()));
        assert_every_language_has(&words.keys, true);
        assert_every_language_has(&words.plain, false);
    }
}
