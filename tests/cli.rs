//! The `mark1` binary on small real inputs: train/eval/classify/bench and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mark1(args: &[&str]) -> Output {
    mark1_command()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs the binary")
}

/// The binary, speaking English whatever the machine's locale (the window tests tap buttons
/// where the English labels put them).
fn mark1_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mark1"));
    command.env("LC_ALL", "C.UTF-8");
    command
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mark1-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "exit {:?}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// The stderr of a failed run: a non-zero exit and a single `error:` line.
fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    errors[0].to_string()
}

/// Writes the generated left/right cards as PNG files: root/<class>/<k>.png.
fn write_cards(root: &Path, per_class: usize, seed: u64) {
    let (set, _) = mark1::data::builtin::generate("left-right", seed, Some(per_class)).unwrap();
    mark1::data::folder::write_class_folders(&set, root).unwrap();
}

#[test]
fn train_save_eval_and_classify_agree_on_real_png_files() {
    let dir = scratch("roundtrip");
    let data = dir.join("cards");
    write_cards(&data.join("train"), 40, 1);
    write_cards(&data.join("test"), 15, 2);
    let machine = dir.join("machine.ron");
    let trained = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/left-right.ron",
        "--data",
        data.to_str().unwrap(),
        "--save",
        machine.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(trained["classes"], serde_json::json!(["left", "right"]));
    assert_eq!(trained["train_images"], 80);
    assert_eq!(trained["test_images"], 30);
    let test_accuracy = trained["test_accuracy"].as_f64().unwrap();
    assert!(test_accuracy >= 0.9, "{test_accuracy}");
    assert!(trained["train_seconds"].as_f64().unwrap() >= 0.0);
    assert!(trained["epochs"].as_u64().unwrap() >= 1);
    let confusion: Vec<Vec<u64>> = serde_json::from_value(trained["confusion"].clone()).unwrap();
    assert_eq!(confusion.iter().flatten().sum::<u64>(), 30);

    // The saved machine gives exactly the same answers on the same test folder.
    let evaluated = json_of(&mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(evaluated["accuracy"].as_f64().unwrap(), test_accuracy);
    assert_eq!(evaluated["confusion"], trained["confusion"]);

    // And image by image.
    let left: Vec<PathBuf> = std::fs::read_dir(data.join("test").join("left"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut args = vec!["classify", "--load", machine.to_str().unwrap(), "--json"];
    args.extend(left.iter().map(|p| p.to_str().unwrap()));
    let classified = json_of(&mark1(&args));
    let results = classified["results"].as_array().unwrap();
    assert_eq!(results.len(), 15);
    let right_answers = results.iter().filter(|r| r["class"] == "left").count() as u64;
    assert_eq!(right_answers, confusion[0][0]);
}

/// Every file under `root`, as paths relative to it, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn results_leave_as_a_history_a_table_of_answers_folders_of_mistakes_and_safetensors() {
    let dir = scratch("results");
    let data = dir.join("cards");
    write_cards(&data.join("train"), 4, 11);
    write_cards(&data.join("test"), 40, 12);
    let (machine, history) = (dir.join("m.ron"), dir.join("history.csv"));
    let trained = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/left-right.ron",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "3",
        "--save",
        machine.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
        "--json",
    ]));
    // the history: a row per epoch, the numbers the report gave
    let mut rows = csv::Reader::from_path(&history).unwrap();
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..4],
        ["machine", "epoch", "train_accuracy", "test_accuracy"]
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let epochs = trained["history"].as_array().unwrap();
    assert_eq!(rows.len(), epochs.len());
    for (row, epoch) in rows.iter().zip(epochs) {
        assert_eq!(&row[0], "mark1");
        assert_eq!(
            row[1].parse::<u64>().unwrap(),
            epoch["epoch"].as_u64().unwrap()
        );
        assert_eq!(
            row[4].parse::<u64>().unwrap(),
            epoch["errors"].as_u64().unwrap()
        );
        let test: f64 = row[3].parse().unwrap();
        assert_eq!(test, epoch["test_accuracy"].as_f64().unwrap());
        assert_eq!(&row[6], "", "the Mark I has no loss");
    }

    // the mistakes as folders: exactly the confusion matrix's off-diagonal cells, the files
    // themselves
    let mistakes = dir.join("mistakes");
    let evaluated = json_of(&mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--misclassified",
        mistakes.to_str().unwrap(),
        "--json",
    ]));
    let confusion: Vec<Vec<u64>> = serde_json::from_value(evaluated["confusion"].clone()).unwrap();
    let copied = files_under(&mistakes);
    assert_eq!(copied.len() as u64, confusion[0][1] + confusion[1][0]);
    assert!(
        !copied.is_empty(),
        "4 cards a class leave some mistakes: {confusion:?}"
    );
    assert_eq!(evaluated["misclassified_written"], copied.len());
    for path in &copied {
        let (truth, guess, name) = (
            path.iter().next().unwrap(),
            path.iter().nth(1).unwrap(),
            path.file_name().unwrap(),
        );
        assert_ne!(truth, guess);
        let original = data.join("test").join(truth).join(name);
        assert_eq!(
            std::fs::read(&original).unwrap(),
            std::fs::read(mistakes.join(path)).unwrap()
        );
    }
    let again = mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--misclassified",
        mistakes.to_str().unwrap(),
    ]);
    assert!(failure(&again).contains("not empty"));

    // one row per image, in agreement with the JSON answers
    let table = dir.join("answers.csv");
    let test_folder = data.join("test");
    let classify = |extra: &[&str]| {
        let mut args = vec!["classify", "--load", machine.to_str().unwrap()];
        args.push(test_folder.to_str().unwrap());
        args.extend(extra);
        mark1(&args)
    };
    let answers = json_of(&classify(&["--json", "--csv", table.to_str().unwrap()]));
    let mut reader = csv::Reader::from_path(&table).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        ["image", "class", "R-unit sum left", "R-unit sum right"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let results = answers["results"].as_array().unwrap();
    assert_eq!(rows.len(), 80);
    for (row, answer) in rows.iter().zip(results) {
        assert_eq!(&row[0], answer["image"].as_str().unwrap());
        assert_eq!(&row[1], answer["class"].as_str().unwrap());
        // one R-unit per class: a class's score is its own R-unit's sum, the largest names it
        let scores: Vec<f64> = (2..4).map(|k| row[k].parse().unwrap()).collect();
        for (score, r_unit) in scores.iter().zip(answer["outputs"].as_array().unwrap()) {
            assert!((score - r_unit.as_f64().unwrap()).abs() < 1e-6, "{row:?}");
        }
        let named = if scores[1] > scores[0] {
            "right"
        } else {
            "left"
        };
        assert_eq!(&row[1], named);
    }
    // the table is never written over someone else's file
    let scene_copy = dir.join("scene.ron");
    std::fs::copy("scenes/left-right.ron", &scene_copy).unwrap();
    let refused = classify(&["--csv", scene_copy.to_str().unwrap()]);
    assert!(failure(&refused).contains("scene.ron"));
    assert_eq!(
        std::fs::read(&scene_copy).unwrap(),
        std::fs::read("scenes/left-right.ron").unwrap()
    );

    // the tensors, read back
    let weights = dir.join("m.safetensors");
    let written = mark1(&[
        "weights",
        "--load",
        machine.to_str().unwrap(),
        "--out",
        weights.to_str().unwrap(),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let bytes = std::fs::read(&weights).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let pots = tensors.tensor("potentiometers").unwrap();
    let r_units = trained["r_units"].as_u64().unwrap_or(8) as usize;
    assert_eq!(pots.shape()[1], r_units);
    assert_eq!(
        tensors.tensor("plugboard.cells").unwrap().shape()[0],
        pots.shape()[0]
    );
    let over_the_machine = mark1(&[
        "weights",
        "--load",
        machine.to_str().unwrap(),
        "--out",
        machine.to_str().unwrap(),
    ]);
    assert!(failure(&over_the_machine).contains("m.ron"));
    assert!(
        std::fs::read_to_string(&machine)
            .unwrap()
            .contains("mark1-machine")
    );

    // the A-units' activity on the images, for other learners: the pots applied to the test
    // images' activity answer as the machine does, so they score eval's accuracy
    let features = dir.join("features.safetensors");
    let written = mark1(&[
        "weights",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        features.to_str().unwrap(),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let bytes = std::fs::read(&features).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let a_units = pots.shape()[0];
    let train = tensors.tensor("a_units.train").unwrap();
    let train_images = trained["train_images"].as_u64().unwrap() as usize;
    assert_eq!(train.shape(), [train_images, a_units]);
    assert_eq!(
        tensors.tensor("labels.train").unwrap().shape(),
        [train_images]
    );
    let test = tensors.tensor("a_units.test").unwrap();
    assert_eq!(test.shape(), [80, a_units]);
    assert!(test.data().iter().all(|&fired| fired <= 1));
    let labels: Vec<u16> = (tensors.tensor("labels.test").unwrap().data())
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let pots: Vec<f32> = (tensors.tensor("potentiometers").unwrap().data())
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let right = test
        .data()
        .chunks_exact(a_units)
        .zip(&labels)
        .filter(|(fired, label)| {
            // r_j = sum of the pots of the firing A-units; the larger of the two classes' R-units
            // names the class, a tie the first
            let r = |j: usize| -> f32 {
                let on = fired.iter().enumerate().filter(|(_, f)| **f == 1);
                on.map(|(i, _)| pots[i * r_units + j]).sum()
            };
            usize::from(r(1) > r(0)) == **label as usize
        })
        .count();
    let eval = json_of(&mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]));
    let accuracy = eval["accuracy"].as_f64().unwrap();
    assert!(
        (right as f64 / 80.0 - accuracy).abs() < 1e-9,
        "{right} of 80 from the tensors, eval {accuracy}"
    );
    // images of classes the machine never learned, or none at all: one line, no file
    let stray = dir.join("stray.safetensors");
    for (source, problem) in [
        ("builtin:shapes", "not one of the trained classes"),
        ("/no/such/images", "/no/such/images"),
    ] {
        let refused = mark1(&[
            "weights",
            "--load",
            machine.to_str().unwrap(),
            "--data",
            source,
            "--out",
            stray.to_str().unwrap(),
        ]);
        assert!(failure(&refused).contains(problem), "{source}");
        assert!(!stray.exists(), "{source}");
    }
}

#[test]
fn train_prints_epochs_and_confusion_for_people() {
    let output = mark1(&["train", "--data", "builtin:e-f", "--epochs", "3"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("epoch") && text.contains("test accuracy"),
        "{text}"
    );
    assert!(text.contains("confusion matrix"), "{text}");
}

#[test]
fn a_data_set_with_more_classes_than_r_units_widens_and_says_so() {
    let output = mark1(&[
        "train",
        "--data",
        "builtin:letters",
        "--epochs",
        "1",
        "--json",
    ]);
    let value = json_of(&output);
    assert_eq!(value["r_units"], 26);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("widened the response layer to 26"),
        "{stderr}"
    );
}

#[test]
fn bench_reports_its_throughputs() {
    let value = json_of(&mark1(&[
        "bench", "--images", "3000", "--epochs", "2", "--json",
    ]));
    for key in [
        "mark1_train_images_per_second",
        "mark1_classify_images_per_second",
        "mark1_encode_images_per_second",
        "mark1_sense_images_per_second_1_thread",
        "mark1_associate_images_per_second_1_thread",
    ] {
        assert!(
            value[key].as_f64().unwrap() > 1000.0,
            "{key}: {}",
            value[key]
        );
    }
    assert_eq!(value["images"], 3000);
    // every MLP figure has its ceiling beside it, and the phases account for the epoch
    let peak = value["peak_sgemm_gflops"].as_f64().unwrap();
    let gflops = value["mlp_gflops"].as_f64().unwrap();
    let fraction = value["mlp_peak_fraction"].as_f64().unwrap();
    assert!(
        peak > 1.0 && (fraction - gflops / peak).abs() < 1e-9,
        "{peak} {gflops} {fraction}"
    );
    let phases = &value["mlp_phase_seconds"];
    let epoch = value["mlp_epoch_seconds"].as_f64().unwrap();
    let parts =
        ["data_movement", "forward", "backward", "update"].map(|k| phases[k].as_f64().unwrap());
    assert!(parts.iter().all(|&t| t > 0.0), "{phases}");
    let sum: f64 = parts.iter().sum();
    assert!(
        sum <= epoch && sum > 0.5 * epoch,
        "phases {sum} s of an epoch of {epoch} s"
    );
    // the playground's live page needs ten redraws a second; the core gives far more
    let surfaces = value["playground_surfaces_per_second"].as_f64().unwrap();
    assert!(surfaces > 10.0, "surfaces per second: {surfaces}");
    let accuracy = value["playground_train_accuracy_after_bench"]
        .as_f64()
        .unwrap();
    assert!(accuracy > 0.6 && accuracy <= 1.0, "{accuracy}");
}

/// `mark1 train --scene scenes/SCENE ARGS` fails with one line that contains `expected`.
fn assert_train_refuses(scene: &str, args: &[&str], expected: &str) {
    let path = format!("scenes/{scene}");
    let mut all = vec!["train", "--scene", path.as_str()];
    all.extend_from_slice(args);
    let stderr = failure(&mark1(&all));
    assert!(stderr.contains(expected), "{scene} {args:?}: {stderr}");
}

#[test]
fn a_playground_scene_trains_on_points_in_the_plane() {
    let spiral = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/playground.ron",
        "--data",
        "builtin:spiral",
        "--json",
    ]));
    assert_eq!(spiral["kind"], "playground");
    assert_eq!(spiral["epochs"], 600);
    assert_eq!(spiral["train_points"], 200);
    let accuracy = spiral["train_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.95, "2 x 8 ReLU on the spiral: {accuracy}");
    assert_eq!(spiral["history"].as_array().unwrap().len(), 600);
    // the Mark I on the same points, each a spot on its retina: its random A-units are local
    // detectors, and it fits the spiral too
    assert_eq!(spiral["mark1_passes"], 30);
    let machine = spiral["mark1_test_accuracy"].as_f64().unwrap();
    assert!(machine >= 0.9, "the Mark I on the spiral: {machine}");
    // the flags it takes: other points, epochs, learning rate
    let xor = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/playground.ron",
        "--data",
        "builtin:xor-plane",
        "--epochs",
        "50",
        "--learning-rate",
        "0.01",
        "--json",
    ]));
    assert_eq!(xor["data"], "builtin:xor-plane");
    assert_eq!(xor["epochs"], 50);
    assert!(xor["train_accuracy"].as_f64().unwrap() >= 0.97, "{xor}");
    // a curve on the same scene: squared error on x1, no accuracy to report
    let sine = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/playground.ron",
        "--data",
        "builtin:sine",
        "--json",
    ]));
    assert!(
        sine["network"]
            .as_str()
            .unwrap()
            .starts_with("1 inputs (x₁)"),
        "{sine}"
    );
    assert!(sine["train_accuracy"].is_null(), "{sine}");
    let error = sine["test_loss"].as_f64().unwrap();
    assert!(error < 0.1, "mean squared error on y = 3 sin x: {error}");
    // and the ones it cannot take are refused by name, as are images for it and it for images
    for (args, expected) in [
        (
            &["--data", "builtin:letters"][..],
            "a playground trains on points in the plane",
        ),
        (&["--a-units", "64"][..], "--a-units"),
        (&["--save", "m.ron"][..], "--save writes machines"),
        (&["--learning-rate=-1"][..], "learning_rate"),
    ] {
        assert_train_refuses("playground.ron", args, expected);
    }
    let stderr = failure(&mark1(&["train", "--data", "builtin:spiral"]));
    assert!(
        stderr.contains("train them with a playground scene"),
        "{stderr}"
    );
    let list = mark1(&["list"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("spiral") && listed.contains("xor-plane"),
        "{listed}"
    );
}

#[test]
fn a_lesson_takes_the_flags_it_has_a_setting_for_and_refuses_the_rest() {
    let xor = |extra: &[&str]| {
        let mut args = vec!["train", "--scene", "scenes/lesson-xor.ron", "--json"];
        args.extend_from_slice(extra);
        json_of(&mark1(&args))["figures"].clone()
    };
    assert_eq!(xor(&[])["mlp_accuracy"], 1.0);
    // three epochs are too few to learn XOR: the flag reached the lesson
    let short = xor(&["--epochs", "3"]);
    assert!(short["mlp_accuracy"].as_f64().unwrap() < 1.0, "{short}");
    for (scene, args, expected) in [
        (
            "lesson-approximation.ron",
            &["--epochs", "3"][..],
            "--epochs does not apply",
        ),
        (
            "lesson-descent.ron",
            &["--learning-rate", "0.1"][..],
            "--learning-rate does not apply",
        ),
        (
            "lesson-xor.ron",
            &["--data", "builtin:xor"][..],
            "--data does not apply",
        ),
        (
            "lesson-xor.ron",
            &["--a-units", "8"][..],
            "--a-units does not apply",
        ),
        (
            "lesson-xor.ron",
            &["--samples-per-class", "8"][..],
            "--samples-per-class",
        ),
        (
            "lesson-xor.ron",
            &["--save", "x.ron"][..],
            "--save writes machines",
        ),
        (
            "lesson-lda.ron",
            &["--history", "h.csv"][..],
            "--history writes one row per epoch",
        ),
    ] {
        assert_train_refuses(scene, args, expected);
    }
}

#[test]
fn a_lesson_scene_with_settings_out_of_range_is_one_line_naming_the_file_and_field() {
    let dir = scratch("bad-lessons");
    let shipped = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenes")
                .join(name),
        )
        .unwrap()
    };
    for (scene, from, to, expected) in [
        (
            "lesson-rosenblatt.ron",
            "lesion: 0.3",
            "lesion: 5.0",
            "0..=0.95",
        ),
        (
            "lesson-rosenblatt.ron",
            "set: \"e-f\"",
            "set: \"nope\"",
            "no built-in set \"nope\"",
        ),
        (
            "lesson-rosenblatt.ron",
            "a_units: 512",
            "a_units: 99999999999",
            "a_units",
        ),
        (
            "lesson-approximation.ron",
            "target: Sine",
            "target: Drawn([0.0, 1.0])",
            "101 values, not 2",
        ),
        (
            "lesson-approximation.ron",
            "target: Sine",
            "target: Drawn([1e400])",
            "lesson-approximation",
        ),
        (
            "lesson-backprop.ron",
            "label: 1",
            "label: 1, walked: 999",
            "walked",
        ),
        (
            "lesson-backprop.ron",
            "lambda: 0.01",
            "lambda: -1.0",
            "lambda",
        ),
        (
            "lesson-vanishing.ron",
            "(Sigmoid, Relu)",
            "(Sigmoid, Wobbly)",
            "Wobbly",
        ),
        ("lesson-lda.ron", "spread: 1.0", "spread: -1.0", "spread"),
        (
            "lesson-descent.ron",
            "contour_rate: 0.5",
            "contour_rate: 0.0",
            "contour_rate",
        ),
    ] {
        let text = shipped(scene);
        assert!(text.contains(from), "{scene} holds no {from}");
        let path = dir.join(scene);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        let error = failure(&mark1(&["train", "--scene", path.to_str().unwrap()]));
        assert!(
            error.contains(scene) && error.contains(expected),
            "{scene} with {to}: {error}"
        );
    }
}

#[test]
fn corrupt_images_are_skipped_with_a_warning_naming_them() {
    let dir = scratch("corrupt");
    write_cards(&dir, 10, 3);
    std::fs::write(
        dir.join("left").join("broken.png"),
        b"\x89PNG but not really",
    )
    .unwrap();
    let output = mark1(&[
        "train",
        "--data",
        dir.to_str().unwrap(),
        "--epochs",
        "1",
        "--json",
    ]);
    let value = json_of(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.png"), "{stderr}");
    assert!(stderr.contains("skipped 1 unreadable"), "{stderr}");
    assert_eq!(
        value["train_images"].as_u64().unwrap() + value["test_images"].as_u64().unwrap(),
        20
    );
}

#[test]
fn bad_inputs_fail_with_one_clear_line() {
    let dir = scratch("bad");
    // A missing folder.
    let missing = dir.join("nowhere");
    let line = failure(&mark1(&["train", "--data", missing.to_str().unwrap()]));
    assert!(
        line.contains("nowhere") && line.contains("no such"),
        "{line}"
    );

    // An empty class.
    let empty = dir.join("empty");
    write_cards(&empty, 3, 1);
    std::fs::create_dir_all(empty.join("zilch")).unwrap();
    let line = failure(&mark1(&["train", "--data", empty.to_str().unwrap()]));
    assert!(line.contains("zilch"), "{line}");

    // A truncated IDX file.
    let idx = dir.join("idx");
    std::fs::create_dir_all(&idx).unwrap();
    let mut images = vec![0u8, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 4];
    images.extend(vec![7u8; 100]);
    std::fs::write(idx.join("train-images-idx3-ubyte"), images).unwrap();
    let mut labels = vec![0u8, 0, 8, 1, 0, 0, 0, 10];
    labels.extend(vec![1u8; 10]);
    std::fs::write(idx.join("train-labels-idx1-ubyte"), labels).unwrap();
    let line = failure(&mark1(&["train", "--data", idx.to_str().unwrap()]));
    assert!(
        line.contains("train-images-idx3-ubyte") && line.contains("truncated"),
        "{line}"
    );

    // A scene with a typo names file, line and field.
    let scene = dir.join("typo.ron");
    std::fs::write(
        &scene,
        "(\n  name: \"t\",\n  model: Mark1(\n    plugboard: (a_unit: 5),\n  ),\n)\n",
    )
    .unwrap();
    let line = failure(&mark1(&["train", "--scene", scene.to_str().unwrap()]));
    assert!(
        line.contains("typo.ron:4:") && line.contains("a_unit"),
        "{line}"
    );

    // A damaged machine file and a file that is no machine at all.
    let machine = dir.join("m.ron");
    json_of(&mark1(&[
        "train",
        "--data",
        "builtin:xor",
        "--epochs",
        "1",
        "--save",
        machine.to_str().unwrap(),
        "--json",
    ]));
    let text = std::fs::read_to_string(&machine).unwrap();
    std::fs::write(&machine, text.replace("weights: [", "weights: [oops, ")).unwrap();
    let line = failure(&mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        "builtin:xor",
    ]));
    assert!(line.contains("m.ron") && line.contains("damaged"), "{line}");
    let line = failure(&mark1(&[
        "classify",
        "--load",
        scene.to_str().unwrap(),
        "x.png",
    ]));
    assert!(
        line.contains("typo.ron") && line.contains("not a mark1 machine"),
        "{line}"
    );

    // An unknown built-in set lists the known ones.
    let line = failure(&mark1(&["train", "--data", "builtin:unicorns"]));
    assert!(
        line.contains("unicorns") && line.contains("left-right"),
        "{line}"
    );
}

#[test]
fn a_save_never_destroys_a_file_and_is_checked_before_training() {
    let dir = scratch("save");
    let scene = dir.join("my.ron");
    let text = std::fs::read_to_string("scenes/default.ron").unwrap();
    std::fs::write(&scene, &text).unwrap();
    let train_saving_to = |target: &Path| {
        mark1(&[
            "train",
            "--scene",
            scene.to_str().unwrap(),
            "--epochs",
            "50",
            "--save",
            target.to_str().unwrap(),
        ])
    };
    // over the scene in use: refused before any epoch, the scene intact
    let output = train_saving_to(&scene);
    let line = failure(&output);
    assert!(
        line.contains("my.ron") && line.contains("not a mark1 machine file"),
        "{line}"
    );
    assert!(output.stdout.is_empty(), "trained before refusing");
    assert_eq!(std::fs::read_to_string(&scene).unwrap(), text);
    // into a folder that is not there, and onto a link or a folder
    let line = failure(&train_saving_to(&dir.join("no-such-folder/m.ron")));
    assert!(line.contains("no-such-folder"), "{line}");
    let link = dir.join("link.ron");
    std::os::unix::fs::symlink(&scene, &link).unwrap();
    let line = failure(&train_saving_to(&link));
    assert!(line.contains("symbolic link"), "{line}");
    let line = failure(&train_saving_to(&dir));
    assert!(line.contains("is a folder"), "{line}");
    // an earlier machine file is replaced, atomically
    let machine = dir.join("m.ron");
    for _ in 0..2 {
        let output = mark1(&[
            "train",
            "--data",
            "builtin:xor",
            "--epochs",
            "1",
            "--save",
            machine.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn endless_or_oversized_inputs_are_refused_without_reading_them_whole() {
    let line = failure(&mark1(&[
        "eval",
        "--load",
        "/dev/zero",
        "--data",
        "builtin:xor",
    ]));
    assert!(
        line.contains("/dev/zero") && line.contains("machine file"),
        "{line}"
    );
    let line = failure(&mark1(&["train", "--scene", "/dev/zero"]));
    assert!(
        line.contains("/dev/zero") && line.contains("scene"),
        "{line}"
    );
    let line = failure(&mark1(&["train", "--scene", "scenes"]));
    assert!(line.contains("is a folder"), "{line}");
    // a named pipe that nobody writes to is an error at once, not a hang
    let dir = scratch("fifo");
    let fifo = dir.join("machine.ron");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.to_str().unwrap();
    let line = failure(&mark1(&["eval", "--load", fifo, "--data", "builtin:xor"]));
    assert!(
        line.contains("machine.ron") && line.contains("machine file"),
        "{line}"
    );
    let line = failure(&mark1(&["train", "--scene", fifo]));
    assert!(line.contains("machine.ron"), "{line}");
}

#[test]
fn the_readme_showcase_runs_the_1960_machine_on_letters() {
    let value = json_of(&mark1(&["train", "--showcase", "--epochs", "2", "--json"]));
    assert_eq!(value["scene"], "The 1960 Mark I on printed letters");
    assert_eq!(
        value["classes"].as_array().map(Vec::len),
        Some(26),
        "{value}"
    );
}

#[test]
fn classify_reports_each_bad_file_and_exits_non_zero() {
    let dir = scratch("classify");
    let machine = dir.join("m.ron");
    json_of(&mark1(&[
        "train",
        "--data",
        "builtin:left-right",
        "--epochs",
        "2",
        "--save",
        machine.to_str().unwrap(),
        "--json",
    ]));
    write_cards(&dir.join("cards"), 1, 5);
    let good = dir.join("cards").join("right").join("00001.png");
    let broken = dir.join("broken.png");
    std::fs::write(&broken, b"nope").unwrap();
    let output = mark1(&[
        "classify",
        "--load",
        machine.to_str().unwrap(),
        good.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("00001.png: "), "{stdout}");
    assert!(stderr.contains("broken.png"), "{stderr}");

    // a folder stands for every image in it and its class subfolders, in path order
    let cards = dir.join("cards");
    let value = json_of(&mark1(&[
        "classify",
        "--load",
        machine.to_str().unwrap(),
        cards.to_str().unwrap(),
        "--json",
    ]));
    let mut written: Vec<String> = ["left", "right"]
        .iter()
        .flat_map(|class| std::fs::read_dir(cards.join(class)).unwrap())
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    written.sort();
    let classified: Vec<&str> = value["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["image"].as_str().unwrap())
        .collect();
    assert_eq!(classified, written);
    let empty = dir.join("nothing-here");
    std::fs::create_dir_all(&empty).unwrap();
    let line = failure(&mark1(&[
        "classify",
        "--load",
        machine.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]));
    assert!(
        line.contains("nothing-here") && line.contains("no image files"),
        "{line}"
    );
}

#[test]
fn an_exported_builtin_set_trains_exactly_like_the_generated_one() {
    let dir = scratch("export");
    let out = mark1(&[
        "export",
        "--data",
        "builtin:e-f",
        "--seed",
        "11",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.join("train").join("E"))
            .unwrap()
            .count(),
        60
    );
    // what export wrote (train/ alone: e-f has no test part) is what train --data reads
    let from_folder = json_of(&mark1(&[
        "train",
        "--data",
        dir.to_str().unwrap(),
        "--seed",
        "11",
        "--json",
    ]));
    let generated = json_of(&mark1(&[
        "train",
        "--data",
        "builtin:e-f",
        "--seed",
        "11",
        "--json",
    ]));
    assert_eq!(from_folder["test_accuracy"], generated["test_accuracy"]);
    let errors = |run: &serde_json::Value| -> Vec<u64> {
        run["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["errors"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(errors(&from_folder), errors(&generated));
    assert!(from_folder["train_accuracy"].as_f64().unwrap() > 0.9);
}

#[test]
fn an_mlp_trains_saves_evaluates_and_classifies() {
    let dir = scratch("mlp");
    let data = dir.join("cards");
    write_cards(&data.join("train"), 30, 7);
    write_cards(&data.join("test"), 10, 8);
    let machine = dir.join("mlp.ron");
    let trained = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/mlp.ron",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "5",
        "--save",
        machine.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(trained["model"], "mlp");
    assert_eq!(
        trained["layer_sizes"],
        serde_json::json!([784, 256, 128, 2])
    );
    let test_accuracy = trained["test_accuracy"].as_f64().unwrap();
    assert!(test_accuracy >= 0.9, "{test_accuracy}");
    let losses: Vec<f64> = trained["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["loss"].as_f64().unwrap())
        .collect();
    assert!(losses[4] < losses[0], "{losses:?}");
    assert_eq!(
        trained["history"][0]["gradient_norms"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let evaluated = json_of(&mark1(&[
        "eval",
        "--load",
        machine.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(evaluated["accuracy"].as_f64().unwrap(), test_accuracy);
    assert_eq!(evaluated["confusion"], trained["confusion"]);

    let card = data.join("test").join("right").join("00010.png");
    let classified = json_of(&mark1(&[
        "classify",
        "--load",
        machine.to_str().unwrap(),
        card.to_str().unwrap(),
        "--json",
    ]));
    let outputs: Vec<f64> =
        serde_json::from_value(classified["results"][0]["outputs"].clone()).unwrap();
    assert_eq!(outputs.len(), 2);
    assert!(
        (outputs.iter().sum::<f64>() - 1.0).abs() < 1e-5,
        "probabilities sum to 1: {outputs:?}"
    );
}

#[test]
fn a_diverging_mlp_stops_with_a_message_naming_the_learning_rate() {
    let line = failure(&mark1(&[
        "train",
        "--scene",
        "scenes/mlp.ron",
        "--data",
        "builtin:e-f",
        "--learning-rate",
        "1000000",
        "--epochs",
        "3",
    ]));
    assert!(
        line.contains("diverged") && line.contains("learning rate 1000000"),
        "{line}"
    );
}

#[test]
fn lesson_scenes_print_their_figures() {
    let value = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/lesson-xor.ron",
        "--json",
    ]));
    assert_eq!(value["figures"]["mlp_accuracy"], 1.0);
    assert!(value["figures"]["single_layer_accuracy"].as_f64().unwrap() <= 0.75);
    let value = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/lesson-descent.ron",
        "--json",
    ]));
    assert_eq!(value["figures"]["runs"][2]["diverged_at"], 5);
    // the batch path on the two-weight logistic loss ends lower than it started
    let contour = &value["figures"]["contour"];
    assert!(contour["batch_loss"].as_f64().unwrap() < 0.6, "{contour}");
    let value = json_of(&mark1(&[
        "train",
        "--scene",
        "scenes/lesson-backprop.ron",
        "--json",
    ]));
    let figures = &value["figures"];
    assert!(
        figures["gradient_check_max_error"].as_f64().unwrap() < 1e-7,
        "{figures}"
    );
    // W1 is 3 x 4: twelve backpropagated derivatives beside twelve finite differences
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let backprop = numbers(&figures["gradients"]["W1"]);
    let numeric = numbers(&figures["finite_differences"]["W1"]);
    assert_eq!((backprop.len(), numeric.len()), (12, 12));
    for (b, n) in backprop.iter().zip(&numeric) {
        assert!((b - n).abs() < 1e-7, "{b} {n}");
    }
    assert!(backprop.iter().any(|b| b.abs() > 1e-3), "{backprop:?}");
    assert_eq!(figures["nodes"].as_array().unwrap().len(), 13);
}

const NEEDS_DISPLAY: &str =
    "this test opens a window: run it where there is a display, as .ci/run does with xvfb-run";

/// Holds the display for one window test at a time: the test harness runs tests in
/// parallel, and a window opened by another test may lie over this one's (no window manager
/// under xvfb-run) and take its taps, or cover its screenshot.
fn one_window_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static DISPLAY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DISPLAY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a display is there to open windows on (`.ci/run` provides one with xvfb-run).
fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Pixels of `image` within `area` (x0, y0, x1, y1) that are within `tolerance` of `rgb`.
fn count_colour(
    image: &image::RgbImage,
    area: (u32, u32, u32, u32),
    rgb: [u8; 3],
    tolerance: i32,
) -> usize {
    let (x0, y0, x1, y1) = area;
    let mut count = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = image.get_pixel(x, y).0;
            if (0..3).all(|c| (p[c] as i32 - rgb[c] as i32).abs() <= tolerance) {
                count += 1;
            }
        }
    }
    count
}

fn screenshot(dir: &Path, name: &str, extra: &[&str]) -> image::RgbImage {
    let path = dir.join(name);
    let path_arg = path.to_str().unwrap();
    let mut args = vec!["--screenshot", path_arg, "--patterns-per-frame", "3"];
    args.extend_from_slice(extra);
    let output = mark1(&args);
    assert!(
        output.status.success(),
        "exit {:?}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    image::open(&path).expect("a PNG was written").to_rgb8()
}

#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_screenshots_show_the_panel_and_change_while_it_trains() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window");
    let early = screenshot(&dir, "early.png", &["--frames", "6"]);
    let later = screenshot(
        &dir,
        "later.png",
        &["--frames", "40", "--select-a-unit", "37"],
    );
    assert_eq!(early.dimensions(), (1280, 720));
    assert_eq!(later.dimensions(), (1280, 720));
    // the panel's background (palette::BACKGROUND) in the corner
    assert_eq!(count_colour(&later, (0, 0, 4, 4), [22, 24, 26], 3), 16);
    // the retina's frame (x 6..288, y 46..608): a one-pixel edge (palette::PANEL_EDGE) all
    // round, drawn in pieces, the panel (palette::PANEL) inside, and its corner rounded off
    let edge = [77, 79, 82];
    assert_eq!(count_colour(&later, (12, 46, 282, 47), edge, 3), 270, "top");
    assert_eq!(
        count_colour(&later, (12, 607, 282, 608), edge, 3),
        270,
        "bottom"
    );
    assert_eq!(count_colour(&later, (6, 52, 7, 602), edge, 3), 550, "left");
    assert_eq!(
        count_colour(&later, (287, 52, 288, 602), edge, 3),
        550,
        "right"
    );
    assert_eq!(
        count_colour(&later, (12, 48, 282, 50), [37, 39, 41], 3),
        540
    );
    assert_eq!(count_colour(&later, (6, 46, 7, 47), [22, 24, 26], 3), 1);
    // the retina board: lit photocell lamps (palette::LAMP_ON) show a pattern
    let retina = (12, 66, 284, 344);
    let lit = count_colour(&later, retina, [255, 235, 158], 12);
    assert!(lit > 300, "lit lamp pixels on the retina: {lit}");
    // the machine trained between the shots: the retina, the lamps and the dials changed
    let changed = (0..720)
        .flat_map(|y| (0..1280).map(move |x| (x, y)))
        .filter(|&(x, y)| early.get_pixel(x, y) != later.get_pixel(x, y))
        .count();
    assert!(
        changed > 5_000,
        "pixels changed between frame 6 and frame 40: {changed}"
    );
    let pattern_changed = (retina.1..retina.3)
        .flat_map(|y| (retina.0..retina.2).map(move |x| (x, y)))
        .filter(|&(x, y)| early.get_pixel(x, y) != later.get_pixel(x, y))
        .count();
    assert!(
        pattern_changed > 500,
        "retina pixels changed: {pattern_changed}"
    );
    // the selected A-unit's excitatory wires are orange plus marks on the retina (palette::WARM);
    // without a selection there are none
    let warm = [238, 120, 51];
    assert_eq!(count_colour(&early, retina, warm, 10), 0);
    assert!(count_colour(&later, retina, warm, 10) > 20);
}

#[test]
fn a_bad_scene_for_the_window_is_one_error_line_before_any_window() {
    let dir = scratch("window-bad");
    let scene = dir.join("bad.ron");
    let default = std::fs::read_to_string("scenes/default.ron").unwrap();
    std::fs::write(&scene, default.replace("builtin:shapes", "/no/such/images")).unwrap();
    let error = failure(&mark1(&[
        "--scene",
        scene.to_str().unwrap(),
        "--screenshot",
        dir.join("x.png").to_str().unwrap(),
    ]));
    assert!(error.contains("/no/such/images"), "{error}");
    assert!(!dir.join("x.png").exists());
}

#[test]
fn the_windows_data_and_load_are_checked_before_any_window() {
    let dir = scratch("window-data");
    let shot = dir.join("x.png");
    let window = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--screenshot", shot.to_str().unwrap()]);
        failure(&mark1(&all))
    };
    assert!(window(&["--data", "/no/such/images"]).contains("/no/such/images"));
    let missing = dir.join("missing.ron");
    assert!(window(&["--load", missing.to_str().unwrap()]).contains("missing.ron"));
    let not_a_machine = window(&["--load", "scenes/default.ron"]);
    assert!(
        not_a_machine.contains("not a mark1 machine file"),
        "{not_a_machine}"
    );
    let lesson = window(&["--scene", "scenes/lesson-lda.ron", "--data", "builtin:xor"]);
    assert!(lesson.contains("brings its own data"), "{lesson}");
    // an MLP's file is refused by the panel, which loads a Mark I, in one line
    let mlp = dir.join("mlp.ron");
    let saved = mark1(&[
        "train",
        "--scene",
        "scenes/mlp.ron",
        "--data",
        "builtin:left-right",
        "--epochs",
        "1",
        "--save",
        mlp.to_str().unwrap(),
    ]);
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    assert!(window(&["--load", mlp.to_str().unwrap()]).contains("holds an MLP"));
    let language = window(&["--language", "xx"]);
    assert!(
        language.contains("--language xx: no such language (there are en, fr, de)"),
        "{language}"
    );
    let table = window(&["--data", "assets/tables/iris.csv"]);
    assert!(table.contains("a table of features, not images"), "{table}");
    assert!(!shot.exists());
}

#[test]
fn without_a_display_the_window_is_one_error_line_not_a_panic() {
    let output = mark1_command()
        .args(["--frames", "2", "--screenshot", "/tmp/mark1-never.png"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let error = failure(&output);
    assert!(error.contains("no display"), "{error}");
}

#[test]
fn a_soaked_exhibit_keeps_its_memory_entities_and_pace() {
    let output = mark1(&["soak", "--cycles", "60000", "--windows", "6", "--json"]);
    let report = json_of(&output);
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 6);
    assert!(report["cycles"].as_u64().unwrap() >= 60_000);
    assert!(report["visits"].as_u64().unwrap() >= 1, "{report}");
    let entities: Vec<u64> = windows
        .iter()
        .map(|w| w["entities"].as_u64().unwrap())
        .collect();
    assert!(
        entities.iter().all(|&e| e == entities[0]),
        "entities {entities:?}"
    );
    let memory: Vec<u64> = windows
        .iter()
        .map(|w| w["resident_kib"].as_u64().unwrap())
        .collect();
    if memory[1] > 0 {
        // after the first slice (start-up allocations), resident memory stays within 8 MiB
        assert!(memory[5] <= memory[1] + 8 * 1024, "resident KiB {memory:?}");
    }
    let pace: Vec<f64> = windows
        .iter()
        .map(|w| w["mean_update_us"].as_f64().unwrap())
        .collect();
    let slowest_early = pace[..3].iter().cloned().fold(0.0, f64::max);
    assert!(
        pace[5] < 3.0 * slowest_early,
        "update time per slice {pace:?}"
    );
}

#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_a_lesson_scene_draws_its_charts() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window-lesson");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/lesson-xor.ron");
    let image = screenshot(
        &dir,
        "xor.png",
        &["--scene", scene.to_str().unwrap(), "--frames", "30"],
    );
    // Two probability maps side by side, right of the knobs: the hidden layer's (right) is
    // shaded orange where p(1) is high and blue where it is low; the single layer's (left)
    // stays dark, undecided.
    let (warm, cool) = ([238, 120, 51], [0, 119, 187]);
    let right = (874, 112, 1226, 412);
    let left = (434, 112, 786, 412);
    let (right_warm, right_cool) = (
        count_colour(&image, right, warm, 30),
        count_colour(&image, right, cool, 30),
    );
    assert!(
        right_warm > 25_000 && right_cool > 25_000,
        "{right_warm} {right_cool}"
    );
    let left_shaded = count_colour(&image, left, warm, 30) + count_colour(&image, left, cool, 30);
    assert!(left_shaded < 5_000, "{left_shaded}");
    // The descent's findings stand in lamp-yellow type under its three charts, inside the
    // window (a touch hint measured a word a line once pushed them below its bottom edge).
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/lesson-descent.ron");
    let image = screenshot(
        &dir,
        "descent.png",
        &["--scene", scene.to_str().unwrap(), "--frames", "30"],
    );
    let findings = count_colour(&image, (32, 535, 1132, 715), [255, 235, 158], 12);
    assert!(findings > 1_000, "{findings}");
}

#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_the_playground_surface_learns_the_two_clouds() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window-playground");
    // the shipped playground on the two Gaussian clouds (the first class up and right)
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/playground.ron"),
    )
    .unwrap();
    let scene = dir.join("clouds.ron");
    std::fs::write(
        &scene,
        shipped.replace("arrangement: Spiral", "arrangement: Gaussians"),
    )
    .unwrap();
    let scene = scene.to_str().unwrap();
    let before = screenshot(&dir, "before.png", &["--scene", scene, "--frames", "15"]);
    let after_path = dir.join("after.png");
    let output = mark1(&[
        "--scene",
        scene,
        "--flat-out",
        "--screenshot",
        after_path.to_str().unwrap(),
        "--frames",
        "120",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = image::open(&after_path).unwrap().to_rgb8();
    // the surface's far corners, where no point is drawn: (x, y) from its top left, 40 px square
    let surface = (856, 66);
    let corner = |dx: u32, dy: u32| {
        (
            surface.0 + dx,
            surface.1 + dy,
            surface.0 + dx + 40,
            surface.1 + dy + 40,
        )
    };
    let (upper_right, lower_left) = (corner(250, 10), corner(10, 250));
    let share = |image: &image::RgbImage, area: (u32, u32, u32, u32), warm: bool| {
        let (x0, y0, x1, y1) = area;
        let hits = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let [r, _, b] = image.get_pixel(x, y).0.map(i32::from);
                if warm { r > b + 60 } else { b > r + 60 }
            })
            .count();
        hits as f64 / ((x1 - x0) * (y1 - y0)) as f64
    };
    // untrained, from the scene's seed, the network gives the whole plane to the second class
    assert!(
        share(&before, upper_right, true) < 0.1,
        "{}",
        share(&before, upper_right, true)
    );
    assert!(share(&before, lower_left, false) > 0.9);
    // trained: the first class's side is warm, the second's cool
    assert!(
        share(&after, upper_right, true) > 0.9,
        "{}",
        share(&after, upper_right, true)
    );
    assert!(
        share(&after, lower_left, false) > 0.9,
        "{}",
        share(&after, lower_left, false)
    );
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_instant_taps_on_the_playground_buttons_act_and_save_the_set_up() {
    let _display = one_window_at_a_time();
    let dir = scratch("window-playground-taps");
    let (mut window, _) = window_for_touches(&dir, "playground.ron");
    // each tap moves and presses in one go, as a touch screen sending mouse events does:
    // the XOR points, one more hidden layer (five columns now: the first hidden one is
    // centred 150 px into the diagram), one more unit in it, then Save
    for (x, y) in [(430, 33), (491, 89), (430, 143), (472, 685)] {
        tap(x, y, "0.5");
    }
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let saved = dir.join("playground-xor-plane-1.ron");
    let scene = mark1::scene::Scene::load(&saved).expect("the set-up was saved");
    let mark1::scene::SceneKind::Playground(config) = scene.kind else {
        panic!("{saved:?} is not a playground scene");
    };
    assert_eq!(
        config.data.arrangement,
        mark1::data::plane::Arrangement::Xor
    );
    let units: Vec<usize> = config.hidden.iter().map(|l| l.units).collect();
    assert_eq!(units, [9, 8, 4]);
}

/// A process's state letter and parent id, from /proc (None once it is gone).
#[cfg(target_os = "linux")]
fn process_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (name) state ppid ...": the name may hold spaces, so read after the last ')'
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// The process ids whose parent is `parent`.
#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|&pid| process_state(pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_an_exhibit_closes_when_its_supervisor_is_killed() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window-supervisor");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/museum.ron");
    let mut supervisor = mark1_command()
        .args(["--scene", scene.to_str().unwrap()])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let exhibit = loop {
        if let Some(&pid) = children_of(supervisor.id()).first() {
            break pid;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "the supervisor started no exhibit"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    std::thread::sleep(std::time::Duration::from_secs(2));
    supervisor.kill().unwrap();
    supervisor.wait().unwrap();
    // Within a few seconds the orphaned exhibit notices and closes (gone, or a zombie where
    // nothing reaps it).
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        process_state(exhibit).is_none_or(|(state, _)| state == 'Z')
    });
    if !gone {
        let _ = Command::new("kill").arg(exhibit.to_string()).status();
    }
    assert!(gone, "the exhibit {exhibit} outlived its supervisor");
    let log = std::fs::read_to_string(dir.join("mark1-museum.log")).unwrap();
    assert!(log.contains("supervisor is gone"), "{log}");
}

/// Waits up to `seconds` for `ready`, polling.
fn wait_for(seconds: u64, mut ready: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed().as_secs() < seconds {
        if ready() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    ready()
}

/// Opens `scene` (in `scenes/`) to take a screenshot at frame 400 (well after a visitor's
/// touches: frames take 60-100 ms on a software renderer), running in `dir` (an exhibit
/// writes its log there), and waits until the window is up.
fn window_for_touches(dir: &Path, scene: &str) -> (std::process::Child, PathBuf) {
    let scene = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenes")
        .join(scene);
    window_with(dir, &["--scene", scene.to_str().unwrap()])
}

/// The window started with `args` in `dir` (its data folder under `dir/data`), up for touches.
fn window_with(dir: &Path, args: &[&str]) -> (std::process::Child, PathBuf) {
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let shot = dir.join("touched.png");
    let log = dir.join("window.log");
    let window = mark1_command()
        .args(args)
        .args(["--screenshot", shot.to_str().unwrap(), "--frames", "400"])
        .env("XDG_DATA_HOME", dir.join("data"))
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let shown = wait_for(60, || {
        xdotool(&["search", "--name", "Mark I"]).is_ok_and(|o| o.status.success())
    });
    // what the window said, should it never have come up
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        shown,
        "no window within 60 s (is xdotool installed?); it said:\n{}",
        said()
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    (window, shot)
}

fn xdotool(args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("xdotool").args(args).output()
}

/// A tap at (x, y) that moves and presses at once, as a touch screen's first contact does,
/// then `pause` seconds for the window to answer.
fn tap(x: u32, y: u32, pause: &str) {
    let (x, y) = (x.to_string(), y.to_string());
    let tapped = xdotool(&["mousemove", &x, &y, "click", "1", "sleep", pause]).unwrap();
    assert!(tapped.status.success(), "xdotool tap at ({x}, {y})");
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_a_quick_swipe_lights_every_cell_from_the_press_point() {
    let _display = one_window_at_a_time();
    let (mut window, shot) = window_for_touches(&scratch("window-swipe"), "default.ron");
    // press on the retina's second column, jump to its eighteenth in one go, release: under
    // a slow renderer all of it lands in one frame
    let swipe = xdotool(&[
        "mousemove",
        "40",
        "200",
        "mousedown",
        "1",
        "mousemove",
        "250",
        "200",
        "mouseup",
        "1",
    ])
    .unwrap();
    assert!(swipe.status.success());
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let image = image::open(&shot).unwrap().to_rgb8();
    let lit = [255, 235, 158];
    // the row of lamps the swipe crossed, in 17 equal parts: every part has a lit lamp
    let parts: Vec<usize> = (0..17u32)
        .map(|k| {
            let x0 = 34 + k * 13;
            count_colour(&image, (x0, 190, x0 + 13, 210), lit, 12)
        })
        .collect();
    assert!(
        parts.iter().all(|&n| n > 10),
        "lit pixels along the swipe: {parts:?}"
    );
    // and nothing else is drawn (the machine paused at the touch and shows the drawing)
    let elsewhere = count_colour(&image, (15, 80, 280, 180), lit, 12);
    assert!(elsewhere < 20, "lit pixels above the swipe: {elsewhere}");
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_a_finger_draws_the_approximation_target_and_a_slider_sets_the_steps() {
    let _display = one_window_at_a_time();
    let (mut window, shot) =
        window_for_touches(&scratch("window-draw-target"), "lesson-approximation.ron");
    // The left chart's plotting area is (434, 112) to (786, 412) for x 0..1, y -1.25..1.25:
    // y = 1 is the row 142. Draw a level stroke there from x = 0.1 to 0.9, a point at a time.
    let mut stroke: Vec<String> = vec!["mousemove".into(), "469".into(), "142".into()];
    stroke.extend(["mousedown", "1"].map(String::from));
    for x in (489..=751).step_by(20) {
        stroke.extend(["mousemove".into(), x.to_string(), "142".into()]);
        stroke.extend(["sleep", "0.1"].map(String::from));
    }
    stroke.extend(["mousemove", "751", "142", "sleep", "0.3", "mouseup", "1"].map(String::from));
    let stroke: Vec<&str> = stroke.iter().map(String::as_str).collect();
    let drawn = xdotool(&stroke).unwrap();
    assert!(drawn.status.success());
    std::thread::sleep(std::time::Duration::from_secs(2));
    // then a tap at the left end of the steps slider: one interval, a constant staircase
    tap(90, 113, "1.0");
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let image = image::open(&shot).unwrap().to_rgb8();
    let warm = [238, 120, 51];
    // the staircase of one step lies on the drawn plateau (its midpoint, x = 1/2, is on it)
    // all the way across, even left of the stroke, where the sine it replaced is low (the
    // broken line's dashes cover half of it along the plateau; without the stroke, or with
    // eight steps, no staircase runs along y = 1 at all)
    let along = count_colour(&image, (480, 136, 740, 149), warm, 40);
    let left_of_stroke = count_colour(&image, (440, 136, 465, 149), warm, 40);
    assert!(along > 120, "staircase pixels along the plateau: {along}");
    assert!(
        left_of_stroke > 30,
        "staircase pixels left of the stroke: {left_of_stroke}"
    );
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_opens_on_data_and_takes_typed_paths_to_open_and_save_as() {
    let _display = one_window_at_a_time();
    let dir = scratch("window-open-save-as");
    for (name, folder) in [("left-right", "cards"), ("e-f", "letters")] {
        let (set, _) = mark1::data::builtin::generate(name, 5, Some(10)).unwrap();
        mark1::data::folder::write_class_folders(&set, &dir.join(folder)).unwrap();
    }
    let (mut window, shot) = window_with(&dir, &["--data", "cards"]);
    // Open… (both sets have two classes, so the buttons stay put), the path typed and
    // completed, Enter; then Save as…, Enter on the name it offers
    tap(513, 690, "1.5");
    // keys go to the window that has the focus: with no window manager, give it the focus
    let focused = xdotool(&["search", "--name", "Mark I", "windowfocus", "--sync"]).unwrap();
    assert!(focused.status.success(), "xdotool windowfocus");
    let typed = xdotool(&["type", "--delay", "120", "let"]).unwrap();
    assert!(typed.status.success());
    for key in ["Tab", "Return"] {
        xdotool(&["key", key, "sleep", "1.5"]).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_secs(4));
    tap(612, 690, "1.5");
    xdotool(&["key", "Return", "sleep", "1.5"]).unwrap();
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let saved = dir.join("data/mark1/machines/the-mark-i-default-machine-letters-1.ron");
    let file = mark1::model_file::MachineFile::load(&saved)
        .unwrap_or_else(|e| panic!("Save as wrote no machine: {e:#}"));
    assert_eq!(file.data, dir.join("letters").to_string_lossy());
    let mark1::model_file::SavedModel::Mark1(machine) = file.model else {
        panic!("{saved:?} holds no Mark I");
    };
    assert_eq!(machine.classes, ["E", "F"]);
    assert!(image::open(&shot).is_ok(), "no screenshot");
}

/// `count` grey noise pictures of `side` pixels in each of `classes` folders under `root`.
fn write_noise_pictures(root: &Path, classes: &[&str], count: usize, side: u32) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for class in classes {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for k in 0..count {
            let pixels: Vec<u8> = (0..side * side)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 56) as u8
                })
                .collect();
            let path = root.join(class).join(format!("{k}.png"));
            image::save_buffer(&path, &pixels, side, side, image::ExtendedColorType::L8).unwrap();
        }
    }
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_keeps_drawing_while_images_load_and_exports_the_numbers_it_shows() {
    let _display = one_window_at_a_time();
    let dir = scratch("window-load-export");
    write_noise_pictures(&dir.join("noise"), &["a", "b"], 1000, 768);
    // how long the load takes here, the window's worst frame to be measured against
    let started = std::time::Instant::now();
    let options = mark1::data::LoadOptions::for_retina(1960, None, 20);
    let loaded = mark1::data::load(dir.join("noise").to_str().unwrap(), &options).unwrap();
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(loaded.train.len(), 2000);
    let (mut window, _) = window_with(&dir, &[]);
    // Open… (three classes of shapes in the row before it), `noise`, Enter; an epoch once
    // loaded; Export
    tap(615, 690, "1.5");
    let focused = xdotool(&["search", "--name", "Mark I", "windowfocus", "--sync"]).unwrap();
    assert!(focused.status.success(), "xdotool windowfocus");
    xdotool(&["type", "--delay", "120", "noise"]).unwrap();
    xdotool(&["key", "Return"]).unwrap();
    std::thread::sleep(std::time::Duration::from_secs_f64(
        8.0 + 3.0 * load_ms / 1000.0,
    ));
    tap(193, 637, "4");
    tap(1238, 637, "3");
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let said = std::fs::read_to_string(dir.join("window.log")).unwrap();
    let worst: f64 = said
        .split("worst ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no frame times in:\n{said}"));
    eprintln!("the load alone took {load_ms:.0} ms; the window's worst frame {worst} ms");
    // a load that held frames up would make the worst frame at least as long as itself
    assert!(
        load_ms > 1000.0,
        "the load took only {load_ms:.0} ms: too quick to tell"
    );
    assert!(
        worst < load_ms / 2.0,
        "the worst frame took {worst} ms while a {load_ms:.0} ms load ran"
    );
    let exports = dir.join("data/mark1/exports/the-mark-i-default-machine-noise-1");
    for name in ["accuracy.png", "errors.png", "confusion.png"] {
        let picture = image::open(exports.join(name))
            .unwrap_or_else(|e| panic!("Export wrote no {name}: {e}"));
        assert!(picture.width() > 300 && picture.height() > 200, "{name}");
    }
    // the confusion matrix counts the 250 test pictures of each class; the history's last
    // Mark I row gives the same accuracy as its diagonal
    let table = std::fs::read_to_string(exports.join("confusion.csv")).unwrap();
    let cells: Vec<Vec<u64>> = table
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .skip(1)
                .map(|c| c.parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        cells
            .iter()
            .map(|r| r.iter().sum::<u64>())
            .collect::<Vec<_>>(),
        [250, 250]
    );
    let history = std::fs::read_to_string(exports.join("history.csv")).unwrap();
    let last = history
        .lines()
        .rfind(|l| l.starts_with("mark1,"))
        .unwrap()
        .to_string();
    let test_accuracy: f64 = last.split(',').nth(3).unwrap().parse().unwrap();
    let diagonal = (cells[0][0] + cells[1][1]) as f64 / 500.0;
    assert!(
        (test_accuracy - diagonal).abs() < 1e-9,
        "{last} vs {cells:?}"
    );
    // the pictures take some 1.2 GB: not kept once the test has passed
    std::fs::remove_dir_all(dir.join("noise")).unwrap();
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_an_instant_tap_on_a_panel_button_acts() {
    let _display = one_window_at_a_time();
    let (mut window, shot) = window_for_touches(&scratch("window-zoom-tap"), "default.ron");
    // rest the pointer elsewhere, then move onto Zoom and press in one go
    tap(600, 200, "0.5");
    tap(700, 386, "0.5");
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let image = image::open(&shot).unwrap().to_rgb8();
    // zoomed, the bank shows 64 large dials in thick rims (some 3,500 rim pixels here), not
    // 512 small ones (a few dozen)
    let rims = count_colour(&image, (303, 468, 740, 588), [92, 87, 77], 3);
    assert!(
        rims > 1500,
        "rim pixels in the dial bank: {rims}: Zoom did not act"
    );
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_a_touch_between_two_lamps_draws_too() {
    let _display = one_window_at_a_time();
    let (mut window, shot) = window_for_touches(&scratch("window-gap-touch"), "default.ron");
    // fourteen taps, each a pixel to the right of the last (one lamp's pitch in all, so one
    // of them lands in the gap between two columns, others on a round lamp's corner), each
    // in a lower row of the retina
    let taps: Vec<(u32, u32)> = (0..14).map(|i| (60 + i, 92 + i * 18)).collect();
    for &(x, y) in &taps {
        tap(x, y, "0.4");
    }
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let image = image::open(&shot).unwrap().to_rgb8();
    let lit = [255, 235, 158];
    // every tap lit the lamp under it or the one beside the gap it fell in
    let lit_near_taps: Vec<usize> = taps
        .iter()
        .map(|&(x, y)| count_colour(&image, (x - 9, y - 9, x + 10, y + 10), lit, 12))
        .collect();
    assert!(
        lit_near_taps.iter().all(|&n| n > 20),
        "lit pixels around each tap: {lit_near_taps:?}"
    );
}

#[test]
#[ignore = "needs a display and xdotool: .ci/run runs it under xvfb-run"]
fn window_a_museum_visitor_draws_from_the_first_touch() {
    let _display = one_window_at_a_time();
    // The shipped exhibit, its idle prompt put off: on a slow software renderer the 400
    // frames before the screenshot can outlast its minute (seen at 160 ms a frame).
    let dir = scratch("window-museum-visit");
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/museum.ron"))
            .unwrap();
    assert!(shipped.contains("idle_seconds: 60.0,"));
    let scene = dir.join("museum.ron");
    std::fs::write(
        &scene,
        shipped.replace("idle_seconds: 60.0,", "idle_seconds: 600.0,"),
    )
    .unwrap();
    // (an absolute path: the helper's scenes/ folder gives way to it)
    let (mut window, shot) = window_for_touches(&dir, scene.to_str().unwrap());
    // the visitor's first touch, on a photocell, starts their visit (a fresh machine) and
    // their drawing at once; then a swipe along a lower row adds to it
    let touches = xdotool(&[
        "mousemove",
        "150",
        "200",
        "click",
        "1",
        "sleep",
        "1",
        "mousemove",
        "40",
        "300",
        "mousedown",
        "1",
        "mousemove",
        "250",
        "300",
        "mouseup",
        "1",
    ])
    .unwrap();
    assert!(touches.status.success());
    let status = window.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let image = image::open(&shot).unwrap().to_rgb8();
    let lit = [255, 235, 158];
    let tapped = count_colour(&image, (141, 191, 160, 210), lit, 12);
    assert!(tapped > 20, "lit pixels at the first touch: {tapped}");
    let row = count_colour(&image, (34, 290, 255, 310), lit, 12);
    assert!(row > 17 * 40, "lit pixels along the swipe: {row}");
    // and the attract loop's letter is gone: above the first touch nothing is lit
    let above = count_colour(&image, (15, 80, 280, 185), lit, 12);
    assert!(above < 20, "lit pixels above the drawing: {above}");
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_a_hung_exhibit_is_ended_and_started_again_by_its_supervisor() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window-hang");
    let museum = std::fs::read_to_string("scenes/museum.ron").unwrap();
    assert!(museum.contains("hang_seconds: 30.0"));
    let scene = dir.join("museum.ron");
    std::fs::write(
        &scene,
        museum.replace("hang_seconds: 30.0", "hang_seconds: 4.0"),
    )
    .unwrap();
    let mut supervisor = mark1_command()
        .args(["--scene", scene.to_str().unwrap()])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(dir.join("mark1-museum.log")).unwrap_or_default();
    let mut first = None;
    let drawing = wait_for(120, || {
        first = children_of(supervisor.id()).first().copied();
        first.is_some() && log().contains("exhibit started")
    });
    let outcome = (|| {
        let first = first
            .filter(|_| drawing)
            .ok_or("the supervisor started no exhibit")?;
        // let it draw for a while (heartbeats), then freeze its frame loop where it stands
        std::thread::sleep(std::time::Duration::from_secs(6));
        if log().contains("stopped answering") {
            return Err("a running exhibit was taken for hung");
        }
        Command::new("kill")
            .args(["-STOP", &first.to_string()])
            .status()
            .unwrap();
        if !wait_for(30, || log().contains("stopped answering")) {
            return Err("the frozen exhibit was not noticed");
        }
        let restarted = wait_for(60, || {
            children_of(supervisor.id()).iter().any(|&pid| pid != first)
        });
        if !restarted {
            return Err("no new exhibit was started");
        }
        if process_state(first).is_some_and(|(state, _)| state != 'Z') {
            return Err("the frozen exhibit was left running");
        }
        Ok(())
    })();
    supervisor.kill().unwrap();
    supervisor.wait().unwrap();
    // the exhibit it started last closes by itself once its supervisor is gone
    let log = log();
    assert!(outcome.is_ok(), "{outcome:?}\n{log}");
    assert!(log.contains("no frame for"), "{log}");
}

#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_a_rendered_soak_keeps_its_memory_and_frame_time() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let output = mark1(&[
        "soak",
        "--rendered",
        "--frames",
        "400",
        "--windows",
        "4",
        "--json",
    ]);
    let report = json_of(&output);
    eprintln!("rendered soak: {report}");
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 4, "{report}");
    assert!(report["visits"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["cycles"].as_u64().unwrap() > 0, "{report}");
    let field =
        |name: &str| -> Vec<f64> { windows.iter().map(|w| w[name].as_f64().unwrap()).collect() };
    let (memory, frame) = (field("resident_kib"), field("mean_frame_ms"));
    // after the first slice, resident memory stays within 32 MiB; frames keep their pace
    assert!(
        memory[3] <= memory[1] + 32.0 * 1024.0,
        "resident KiB {memory:?}"
    );
    assert!(frame.iter().all(|&ms| ms > 0.0), "{frame:?}");
    assert!(
        frame[3] < 2.0 * frame[1].max(frame[0]),
        "mean frame ms {frame:?}"
    );
}

#[test]
#[ignore = "needs a display: .ci/run runs it under xvfb-run"]
fn window_the_museum_exhibit_invites_a_touch_in_large_type() {
    let _display = one_window_at_a_time();
    assert!(display_available(), "{NEEDS_DISPLAY}");
    let dir = scratch("window-museum");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/museum.ron");
    let shot = dir.join("museum.png");
    // run in a scratch folder: the exhibit writes its log and settings where it runs
    let output = mark1_command()
        .args([
            "--scene",
            scene.to_str().unwrap(),
            "--frames",
            "20",
            "--screenshot",
        ])
        .arg(&shot)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let image = image::open(&shot).unwrap().to_rgb8();
    // the guide column's invitation, in lamp-yellow type, where the plots would be
    let invitation = count_colour(&image, (756, 150, 1270, 260), [255, 235, 158], 20);
    assert!(invitation > 1500, "invitation pixels: {invitation}");
    // the retina shows a letter of the attract loop
    assert!(count_colour(&image, (12, 80, 284, 350), [255, 235, 158], 12) > 300);
    let log = std::fs::read_to_string(dir.join("mark1-museum.log")).unwrap();
    assert!(log.contains("exhibit started"), "{log}");
}

/// A CSV table of features from another tool: `train --data FILE.csv --label COLUMN` learns it
/// with the table scene's MLP, reports per epoch, writes its history; a separate test table
/// may list its columns in another order; hostile tables are one line naming file and line.
#[test]
fn train_learns_a_csv_table_of_features_and_refuses_a_broken_one() {
    let dir = scratch("table");
    let history = dir.join("iris-history.csv");
    let report = json_of(&mark1(&[
        "train",
        "--data",
        "assets/tables/iris.csv",
        "--label",
        "species",
        "--history",
        history.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(report["model"], "mlp");
    assert_eq!(
        report["classes"],
        serde_json::json!(["setosa", "versicolor", "virginica"])
    );
    assert_eq!(report["train_images"], 120);
    assert_eq!(report["test_images"], 30);
    assert!(report["test_accuracy"].as_f64().unwrap() >= 0.9, "{report}");
    let epochs = report["epochs"].as_u64().unwrap() as usize;
    let rows = std::fs::read_to_string(&history).unwrap();
    assert_eq!(rows.lines().count(), epochs + 1, "{rows}");
    assert!(rows.lines().nth(1).unwrap().starts_with("mlp,1,"), "{rows}");

    // a test table with its columns shuffled lines up by name; text report names rows
    let iris = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tables/iris.csv"),
    )
    .unwrap();
    let reordered: String = iris
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            format!("{},{},{}\n", cells[4], cells[3], cells[..3].join(","))
        })
        .collect();
    let test = dir.join("test.tsv");
    std::fs::write(&test, reordered.replace(',', "\t")).unwrap();
    let text = mark1(&[
        "train",
        "--data",
        "assets/tables/iris.csv",
        "--test",
        test.to_str().unwrap(),
        "--epochs",
        "5",
    ]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(
        stdout.contains("150 training and 150 test rows, 4 feature columns, 3 classes"),
        "{stdout}"
    );
    assert!(stdout.contains("test accuracy"), "{stdout}");

    let broken = dir.join("broken.csv");
    std::fs::write(&broken, "a,b,label\n1,2,x\n3,oops,y\n").unwrap();
    let broken = broken.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--data", broken, "--label", "label"],
            "broken.csv:3: column `b`: `oops` is not a number",
        ),
        (vec!["--data", broken], "needs --label COLUMN"),
        (
            vec!["--data", broken, "--label", "kind"],
            "broken.csv:1: no column `kind`",
        ),
        (
            vec![
                "--data",
                broken,
                "--label",
                "label",
                "--scene",
                "scenes/mark1.ron",
            ],
            "trains an MLP",
        ),
        (
            vec!["--data", "builtin:shapes", "--label", "label"],
            "not one",
        ),
    ] {
        let mut all = vec!["train"];
        all.extend(args);
        let line = failure(&mark1(&all));
        assert!(line.contains(expected), "{line:?} lacks {expected:?}");
    }
    // a machine on images reads no table, in one line
    let machine = dir.join("cards.ron");
    let machine = machine.to_str().unwrap();
    let saved = mark1(&[
        "train",
        "--data",
        "builtin:left-right",
        "--epochs",
        "1",
        "--save",
        machine,
    ]);
    assert!(saved.status.success());
    for command in [
        vec!["classify", "--load", machine, "assets/tables/iris.csv"],
        vec![
            "eval",
            "--load",
            machine,
            "--data",
            "assets/tables/iris.csv",
        ],
    ] {
        let line = failure(&mark1(&command));
        assert!(line.contains("a table of features, not images"), "{line}");
    }
}

/// A network trained on a table keeps its columns: `--save` writes them with each column's
/// training mean and deviation, `eval` reads rows of a table by column name (in any order),
/// `weights` exports the statistics, and pictures or a tampered file are one line each.
#[test]
fn a_network_trained_on_a_table_is_saved_evaluated_on_its_rows_and_exported_with_its_columns() {
    let dir = scratch("table-save");
    let machine = dir.join("iris.ron");
    let machine = machine.to_str().unwrap();
    let trained = json_of(&mark1(&[
        "train",
        "--data",
        "assets/tables/iris.csv",
        "--label",
        "species",
        "--save",
        machine,
        "--json",
    ]));
    let saved = std::fs::read_to_string(machine).unwrap();
    assert!(saved.contains(r#"label: "species""#), "{saved}");

    // the whole table, its columns reversed: the held-out fifth and the training rows
    let iris = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tables/iris.csv"),
    )
    .unwrap();
    let reversed: String = iris
        .lines()
        .map(|line| line.split(',').rev().collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let table = dir.join("reversed.csv");
    std::fs::write(&table, reversed).unwrap();
    let table = table.to_str().unwrap();
    let evaluated = json_of(&mark1(&[
        "eval", "--load", machine, "--data", table, "--json",
    ]));
    assert_eq!(evaluated["rows"], 150);
    let accuracy = evaluated["accuracy"].as_f64().unwrap();
    let (train, test) = (
        trained["train_accuracy"].as_f64().unwrap(),
        trained["test_accuracy"].as_f64().unwrap(),
    );
    // 120 training rows and 30 test rows, each counted as the training run counted them
    let expected = (train * 120.0 + test * 30.0) / 150.0;
    assert!(
        (accuracy - expected).abs() < 1e-9,
        "{accuracy} vs {expected}"
    );

    // classify names each row by file and line, and needs no column of classes
    let answers = dir.join("answers.csv");
    let unlabelled: String = iris
        .lines()
        .enumerate()
        .map(|(k, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            let id = if k == 0 {
                "id".to_string()
            } else {
                k.to_string()
            };
            format!("{},{id}\n", cells[..4].join(","))
        })
        .collect();
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, unlabelled).unwrap();
    let classified = mark1(&[
        "classify",
        "--load",
        machine,
        rows.to_str().unwrap(),
        "--csv",
        answers.to_str().unwrap(),
    ]);
    assert!(
        classified.status.success(),
        "{}",
        String::from_utf8_lossy(&classified.stderr)
    );
    let written = std::fs::read_to_string(&answers).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert!(
        lines[0].starts_with("row,class,probability setosa"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 151);
    assert!(lines[1].contains("rows.csv:2,"), "{}", lines[1]);
    let right = iris
        .lines()
        .skip(1)
        .zip(&lines[1..])
        .filter(|(truth, answer)| truth.split(',').nth(4) == answer.split(',').nth(1))
        .count();
    let agreed = right as f64 / 150.0;
    assert!(
        (agreed - accuracy).abs() < 1e-9,
        "classify {agreed}, eval {accuracy}"
    );

    // the statistics, read back beside the layers
    let weights = dir.join("iris.safetensors");
    let written = mark1(&[
        "weights",
        "--load",
        machine,
        "--out",
        weights.to_str().unwrap(),
    ]);
    assert!(written.status.success());
    let bytes = std::fs::read(&weights).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let means = tensors.tensor("input.column_mean").unwrap();
    assert_eq!(means.shape(), [4]);
    let first = f32::from_le_bytes(means.data()[..4].try_into().unwrap());
    let sepal_lengths: Vec<f64> = iris
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let overall = sepal_lengths.iter().sum::<f64>() / 150.0;
    assert!(
        (first as f64 - overall).abs() < 0.2,
        "a training mean of sepal_length: {first}"
    );
    assert_eq!(tensors.tensor("layers.0.weight").unwrap().shape(), [32, 4]);
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let metadata = header.metadata().clone().unwrap();
    assert_eq!(
        metadata["columns"],
        r#"["sepal_length","sepal_width","petal_length","petal_width"]"#
    );
    assert_eq!(metadata["label"], "species");
    // a network has no A-units whose activity `--data` could add: one line, no file
    let features = dir.join("iris-features.safetensors");
    let refused = mark1(&[
        "weights",
        "--load",
        machine,
        "--data",
        "assets/tables/iris.csv",
        "--out",
        features.to_str().unwrap(),
    ]);
    assert!(failure(&refused).contains("has no A-units"));
    assert!(!features.exists());

    // pictures, a table without a column, or tampered statistics: one line each
    let cards = dir.join("cards");
    write_cards(&cards, 2, 1);
    let cards = cards.to_str().unwrap();
    let short = dir.join("short.csv");
    std::fs::write(
        &short,
        "sepal_length,sepal_width,petal_length,species\n5,3,1,setosa\n",
    )
    .unwrap();
    let tampered = dir.join("tampered.ron");
    let zero: String = saved
        .lines()
        .map(|line| match line.trim_start().starts_with("deviations:") {
            true => "deviations: [0.0, 1.0, 1.0, 1.0],\n".to_string(),
            false => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&tampered, zero).unwrap();
    for (args, expected) in [
        (
            vec!["eval", "--load", machine, "--data", cards],
            "reads rows of a table, not images",
        ),
        (
            vec!["classify", "--load", machine, cards],
            "reads rows of a table, not images",
        ),
        (
            vec!["eval", "--load", machine, "--data", short.to_str().unwrap()],
            "no column `petal_width`",
        ),
        (
            vec![
                "eval",
                "--load",
                machine,
                "--data",
                table,
                "--misclassified",
                "m",
            ],
            "a table has none",
        ),
        (
            vec![
                "eval",
                "--load",
                tampered.to_str().unwrap(),
                "--data",
                table,
            ],
            "deviation not a positive one",
        ),
    ] {
        let line = failure(&mark1(&args));
        assert!(line.contains(expected), "{line:?} lacks {expected:?}");
    }
}
