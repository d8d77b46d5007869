//! Export: the panel's plots and confusion matrix as PNG figures and their numbers as CSV, in
//! a new folder of the user's data folder, for a report.

use std::path::{Path, PathBuf};

use anyhow::Result;
use bevy::prelude::*;

use super::controls::FileRequest;
use super::plots::{ACCURACY_SIZE, ERRORS_SIZE, accuracy_chart, errors_chart};
use crate::exports::tables::{self, HistoryRow};
use crate::files::{FileKind, PNG, file_stem_of, new_numbered_folder, write_atomically};
use crate::nn::metrics::EpochRecord;
use crate::sim::{Bench, Notice};
use crate::ui::Labels;
use crate::ui::figure::{chart_figure, confusion_figure, png_bytes};
use crate::ui::strings::Strings;

/// Where Export makes its folders: `exports/` in the user's data folder.
#[derive(Resource, Clone, Debug)]
pub struct ExportFolder(pub PathBuf);

impl Default for ExportFolder {
    fn default() -> Self {
        let machines = crate::model_file::MachineFile::default_folder();
        Self(machines.with_file_name("exports"))
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ExportFolder>()
        .add_systems(Update, export_on_request);
}

fn export_on_request(
    mut requests: MessageReader<FileRequest>,
    folder: Res<ExportFolder>,
    mut bench: ResMut<Bench>,
    labels: Res<Labels>,
    mut notice: ResMut<Notice>,
) {
    for request in requests.read() {
        if *request != FileRequest::Export {
            continue;
        }
        // the figures and tables hold every closed epoch
        bench.settle_review();
        match export(&bench, &folder.0, &labels) {
            Ok((dir, names)) => {
                let dir = dir.display().to_string();
                notice.say(labels.fill("exported", &[&names.join(", "), &dir]));
            }
            Err(e) => {
                notice.fail(format!("{e:#}"));
            }
        }
    }
}

/// Writes the figures and tables in a new folder under `parent`, named after the scene and
/// its images; returns the folder and the names of the files in it.
pub fn export(
    bench: &Bench,
    parent: &Path,
    words: &Strings,
) -> Result<(PathBuf, Vec<&'static str>)> {
    let scene = &bench.experiment.scene;
    let data = scene.data.source.rsplit(['/', ':']).find(|p| !p.is_empty());
    let stem = format!(
        "{}-{}",
        file_stem_of(&scene.name, "machine"),
        file_stem_of(data.unwrap_or(""), "images")
    );
    let dir = new_numbered_folder(parent, &stem)?;
    let mark1 = &bench.experiment.history;
    let modern: &[EpochRecord] = bench.companion.as_ref().map_or(&[], |c| &c.history);
    let mut written = Vec::new();
    let mut put = |name: &'static str, bytes: Vec<u8>, kind: &FileKind| -> Result<()> {
        write_atomically(&dir.join(name), &bytes, kind)?;
        written.push(name);
        Ok(())
    };
    let scale = 2.0;
    let accuracy = chart_figure(&accuracy_chart(mark1, modern, words), ACCURACY_SIZE * scale);
    put("accuracy.png", png_bytes(&accuracy)?, &PNG)?;
    let slots = (ERRORS_SIZE.x * scale * 2.0 / 3.0) as usize;
    let errors = chart_figure(
        &errors_chart(mark1, modern, slots, words),
        ERRORS_SIZE * scale,
    );
    put("errors.png", png_bytes(&errors)?, &PNG)?;
    let rows = |records: &[EpochRecord]| records.iter().map(HistoryRow::from).collect::<Vec<_>>();
    let (mark1_rows, modern_rows) = (rows(mark1), rows(modern));
    let history = tables::history_csv(&[("mark1", &mark1_rows), ("mlp", &modern_rows)])?;
    put("history.csv", history, &tables::HISTORY)?;
    if let Some(view) = &bench.confusion {
        let classes = bench.classes();
        let caption = words.get(&format!("confusion_figure_{}", view.images));
        let figure = confusion_figure(&view.confusion, classes, &caption);
        put("confusion.png", png_bytes(&figure)?, &PNG)?;
        let table = tables::confusion_csv(&view.confusion, classes)?;
        put("confusion.csv", table, &tables::CONFUSION)?;
    }
    Ok((dir, written))
}

#[cfg(test)]
mod tests {
    use bevy::state::app::StatesPlugin;

    use super::*;
    use crate::scene::Scene;
    use crate::sim::MachineRequest;

    #[test]
    fn export_writes_the_numbers_the_panel_shows_as_figures_and_tables() {
        let parent = crate::test_support::scratch_dir("panel-export");
        let mut scene = Scene::default_scene();
        scene.data.samples_per_class = Some(12);
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .insert_resource(Bench::prepare(scene).unwrap())
            .insert_resource(ExportFolder(parent.clone()))
            .init_resource::<Labels>()
            .add_plugins(crate::sim::plugin)
            .add_message::<FileRequest>()
            .add_plugins(plugin);
        for _ in 0..2 {
            app.world_mut().write_message(MachineRequest::StepEpoch);
            app.update();
        }
        app.world_mut().write_message(FileRequest::Export);
        app.update();
        let notice = app.world().resource::<Notice>().clone();
        assert!(!notice.is_error, "{}", notice.in_english());
        let dir = parent.join("the-mark-i-default-machine-shapes-1");
        assert!(
            notice.in_english().contains(&dir.display().to_string()),
            "{}",
            notice.in_english()
        );
        let bench = app.world().resource::<Bench>();
        // the history: both machines' epochs, the Mark I's accuracies as the plot has them
        let mut reader = csv::Reader::from_path(dir.join("history.csv")).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let mark1: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == "mark1").collect();
        assert_eq!(mark1.len(), 2);
        for (row, record) in mark1.iter().zip(&bench.experiment.history) {
            assert_eq!(row[2].parse::<f64>().unwrap(), record.train_accuracy);
        }
        // the confusion matrix as shown, cell for cell
        let view = bench
            .confusion
            .as_ref()
            .expect("an epoch gives a confusion matrix");
        let mut reader = csv::Reader::from_path(dir.join("confusion.csv")).unwrap();
        let cells: Vec<Vec<u64>> = reader
            .records()
            .map(|r| {
                r.unwrap()
                    .iter()
                    .skip(1)
                    .map(|c| c.parse().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(cells, view.confusion.rows());
        for name in ["accuracy.png", "errors.png", "confusion.png"] {
            let picture = image::open(dir.join(name)).unwrap();
            assert!(picture.width() > 400, "{name}");
        }
        // a second export is a second folder: nothing is replaced
        app.world_mut().write_message(FileRequest::Export);
        app.update();
        assert!(
            parent
                .join("the-mark-i-default-machine-shapes-2/history.csv")
                .is_file()
        );
    }
}
