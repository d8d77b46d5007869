//! The playground driven headless: the same weights as the core, the lecture's results, and
//! divergence caught.

use super::*;
use crate::data::plane::Arrangement;

fn config(arrangement: Arrangement, hidden: Vec<LayerConfig>) -> PlaygroundConfig {
    PlaygroundConfig {
        data: PlaneData {
            arrangement,
            ..PlaneData::default()
        },
        hidden,
        ..PlaygroundConfig::default()
    }
}

fn layer(units: usize, activation: Activation) -> LayerConfig {
    LayerConfig { units, activation }
}

#[test]
fn two_layers_of_eight_relu_units_fit_each_curve_by_regression() {
    // mean squared error after 600 epochs from the seed, against the curve's own variance
    // over the view (what a constant would leave): sin 4.5, the step 9, |x| - 3 3
    for (curve, most_train, most_test) in [
        (Arrangement::Sine, 0.1, 0.1),
        (Arrangement::Step, 0.01, 0.5),
        (Arrangement::Abs, 0.01, 0.01),
    ] {
        let setup = PlaygroundConfig::default().with_arrangement(curve);
        assert_eq!(setup.loss, Loss::MeanSquaredError);
        let mut playground = Playground::new(setup, 1960).unwrap();
        assert_eq!(playground.network.output_size(), 1);
        for _ in 0..600 {
            playground.run_epoch().unwrap();
        }
        let record = playground.measure();
        assert_eq!(record.train_accuracy, None);
        assert!(record.train_loss < most_train, "{curve:?}: {record:?}");
        assert!(record.test_loss < most_test, "{curve:?}: {record:?}");
        // the fitted curve is the network's value along x1
        let maps = playground.maps(50);
        let xs = curve_points(50);
        let worst = xs
            .iter()
            .zip(&maps.output)
            .filter(|(p, _)| p[0].abs() > 0.5)
            .map(|(p, v)| (v - curve.curve(p[0])).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1.0, "{curve:?}: off the curve by {worst}");
    }
}

#[test]
fn a_curve_takes_squared_error_and_inputs_of_x1_alone() {
    let sine = PlaygroundConfig::default().with_arrangement(Arrangement::Sine);
    assert_eq!(
        (sine.features.clone(), sine.learning_rate),
        (vec![Feature::X1], 0.003)
    );
    let refused = |config: PlaygroundConfig| config.validate().unwrap_err().to_string();
    let reads_x2 = PlaygroundConfig {
        features: vec![Feature::X1, Feature::X2],
        ..sine.clone()
    };
    assert!(refused(reads_x2).contains("X2 reads x2"));
    let classified = PlaygroundConfig {
        loss: Loss::SigmoidBinaryCrossEntropy,
        ..sine.clone()
    };
    assert!(refused(classified).contains("give MeanSquaredError"));
    let squared_classes = PlaygroundConfig {
        loss: Loss::MeanSquaredError,
        ..PlaygroundConfig::default()
    };
    assert!(refused(squared_classes).contains("the points have classes"));
    // back to classes: their inputs, loss and rate again
    assert_eq!(
        sine.with_arrangement(Arrangement::Xor).features,
        [Feature::X1, Feature::X2]
    );
}

#[test]
fn n_steps_give_the_weights_of_n_direct_core_updates() {
    let setup = PlaygroundConfig {
        l2: 0.001,
        ..PlaygroundConfig::default()
    };
    let mut playground = Playground::new(setup.clone(), 11).unwrap();
    // the core by hand: the same points, first weights and shuffled order
    let (train, _) = setup.data.generate(11);
    let mut network = fresh_network(&setup, 11);
    assert_eq!(network, playground.network);
    let mut sgd = SgdState::new(&network);
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut rng_for(11, Stream::TrainingOrder));
    let steps = 25; // an epoch of 20 batches and 5 of the next (shuffled again)
    let mut rng = rng_for(11, Stream::TrainingOrder);
    let mut position = 0;
    for _ in 0..steps {
        if position == 0 {
            order = (0..train.len()).collect();
            order.shuffle(&mut rng);
        }
        let batch = &order[position..position + setup.batch_size];
        let points: Vec<[f32; 2]> = batch.iter().map(|&k| train.points[k]).collect();
        let labels: Vec<u16> = batch.iter().map(|&k| train.labels[k]).collect();
        let mut ws = Workspace::new(&network, batch.len());
        ws.input_mut(batch.len())
            .copy_from_slice(&feature_rows(&points, &setup.features));
        network.forward(&mut ws, batch.len(), 1);
        let mut grads = network.zero_gradients();
        network.backward(
            &mut ws,
            batch.len(),
            Targets::Classes(&labels),
            &mut grads,
            1,
        );
        sgd.step_combined(
            &mut network,
            &[(&grads, 1.0)],
            &setup.sgd(),
            Penalty::L2Squared(0.001),
        );
        position = (position + setup.batch_size) % train.len();
    }
    for _ in 0..steps {
        playground.step().unwrap();
    }
    assert_eq!(playground.epoch, 1);
    assert_eq!(playground.history.len(), 1);
    assert_eq!(playground.network, network);
}

#[test]
fn one_hidden_layer_of_four_tanh_units_learns_xor() {
    let setup = config(Arrangement::Xor, vec![layer(4, Activation::Tanh)]);
    let mut playground = Playground::new(setup, 1960).unwrap();
    for _ in 0..300 {
        playground.run_epoch().unwrap();
    }
    // every training point right at some epoch (constant-rate SGD then wanders by a point
    // or two near the origin, where the quadrants meet), and test points nearly all right
    let perfect = playground
        .history
        .iter()
        .find(|r| r.train_accuracy == Some(1.0));
    assert!(perfect.is_some(), "never 100%: {:?}", playground.measure());
    let record = playground.measure();
    assert!(record.train_accuracy >= Some(0.99), "{record:?}");
    assert!(record.test_accuracy >= Some(0.97), "{record:?}");
    // and no hidden layer cannot: a line leaves about half the quadrants wrong
    let mut linear = Playground::new(config(Arrangement::Xor, vec![]), 1960).unwrap();
    for _ in 0..100 {
        linear.run_epoch().unwrap();
    }
    let record = linear.measure();
    assert!(record.train_accuracy < Some(0.75), "{record:?}");
}

#[test]
fn two_layers_of_eight_relu_units_learn_the_spiral() {
    let setup = config(
        Arrangement::Spiral,
        vec![layer(8, Activation::Relu), layer(8, Activation::Relu)],
    );
    let mut playground = Playground::new(setup, 1960).unwrap();
    for _ in 0..600 {
        playground.run_epoch().unwrap();
    }
    let record = playground.measure();
    assert!(record.train_accuracy >= Some(0.95), "{record:?}");
    let first = playground.history[0];
    assert!(
        record.train_loss < first.train_loss / 4.0,
        "{first:?} -> {record:?}"
    );
}

#[test]
fn a_learning_rate_too_large_is_caught_and_named_and_a_reset_clears_it() {
    let setup = PlaygroundConfig {
        learning_rate: 1e6,
        ..config(Arrangement::Gaussians, vec![layer(8, Activation::Relu)])
    };
    let mut playground = Playground::new(setup, 3).unwrap();
    let mut diverged = None;
    for _ in 0..2000 {
        if let Err(e) = playground.step() {
            diverged = Some(e);
            break;
        }
    }
    let diverged = diverged.expect("a learning rate of a million diverges");
    assert!(diverged.to_string().contains("1000000"), "{diverged}");
    let named = playground.diverged.as_ref().map(|d| d.to_string());
    assert_eq!(named, Some(diverged.to_string()));
    assert!(playground.step().is_err(), "stays stopped until reset");
    let maps = playground.maps(10);
    assert!(
        maps.output.iter().all(|p| p.is_finite()),
        "never a NaN surface"
    );
    playground.reset();
    assert!(playground.diverged.is_none());
    assert_eq!(playground.epoch, 0);
    assert!(playground.step().is_ok());
}

#[test]
fn the_record_now_is_the_epochs_own_until_a_batch_moves_the_weights() {
    let mut playground = Playground::new(PlaygroundConfig::default(), 5).unwrap();
    playground.run_epoch().unwrap();
    assert_eq!(playground.now(), playground.history[0]);
    assert_eq!(playground.now(), playground.measure());
    playground.step().unwrap();
    assert_eq!(playground.now(), playground.measure());
    assert_ne!(
        playground.now().train_loss,
        playground.history[0].train_loss
    );
}

#[test]
fn a_batch_larger_than_the_points_is_the_whole_set() {
    let setup = PlaygroundConfig {
        batch_size: usize::MAX,
        ..PlaygroundConfig::default()
    };
    let mut playground = Playground::new(setup, 2).unwrap();
    playground.step().unwrap();
    assert_eq!((playground.epoch, playground.updates), (1, 1));
}

#[test]
fn the_maps_are_the_network_at_each_grid_point() {
    let mut playground = Playground::new(PlaygroundConfig::default(), 5).unwrap();
    playground.run_epoch().unwrap();
    let side = 7;
    let maps = playground.maps(side);
    assert_eq!(maps.output.len(), side * side);
    assert_eq!(maps.hidden.len(), 2);
    assert!(maps.hidden.iter().all(|layer| layer.len() == 8));
    let points = grid_points(side);
    for k in [0, 24, 48] {
        let activations = playground.network.activations(&feature_rows(
            &points[k..k + 1],
            &playground.config.features,
        ));
        assert!((activations[2][1] - maps.output[k]).abs() < 1e-5);
        for (unit, &value) in activations[1].iter().enumerate() {
            assert!((value - maps.hidden[1][unit][k]).abs() < 1e-5);
        }
    }
}

/// The default set-up with one change.
fn changed(change: impl Fn(&mut PlaygroundConfig)) -> PlaygroundConfig {
    let mut setup = PlaygroundConfig::default();
    change(&mut setup);
    setup
}

#[test]
fn each_setting_out_of_range_is_refused_by_name() {
    let relu = |units| layer(units, Activation::Relu);
    let cases: Vec<(PlaygroundConfig, &str)> = vec![
        (changed(|c| c.hidden = vec![relu(8); 7]), "hidden"),
        (
            changed(|c| c.hidden = vec![relu(8), relu(33)]),
            "hidden[1].units",
        ),
        (
            changed(|c| c.hidden = vec![layer(4, Activation::Step)]),
            "hidden[0].activation",
        ),
        (changed(|c| c.features = vec![]), "features"),
        (changed(|c| c.learning_rate = -1.0), "learning_rate"),
        (changed(|c| c.batch_size = 0), "batch_size"),
        (changed(|c| c.momentum = 1.0), "momentum"),
        (changed(|c| c.l2 = f32::INFINITY), "l2"),
        (changed(|c| c.loss = Loss::MeanSquaredError), "loss"),
        (changed(|c| c.data.points = 1), "data.points"),
    ];
    for (setup, field) in cases {
        let error = Playground::new(setup, 1).err().expect(field);
        assert_eq!(error.dotted(), field, "{error:?}");
    }
}

mod controls {
    use super::super::controls::{Control, Effect, Toward};
    use super::*;

    fn trained(steps: usize) -> Playground {
        let mut playground = Playground::new(PlaygroundConfig::default(), 5).unwrap();
        for _ in 0..steps {
            playground.step().unwrap();
        }
        playground
    }

    /// Presses `control` on a playground trained 7 batches; returns it and what it did.
    fn pressed(control: Control) -> (Playground, Effect) {
        let mut playground = trained(7);
        let effect = playground.apply(control).unwrap();
        (playground, effect)
    }

    #[test]
    fn each_learning_control_changes_its_setting_and_keeps_the_weights() {
        let before = trained(7);
        let cases: [(Control, fn(&PlaygroundConfig) -> f64, f64); 8] = [
            (
                Control::LearningRate(Toward::More),
                |c| c.learning_rate as f64,
                0.1,
            ),
            (
                Control::LearningRate(Toward::Less),
                |c| c.learning_rate as f64,
                0.01,
            ),
            (
                Control::BatchSize(Toward::More),
                |c| c.batch_size as f64,
                20.0,
            ),
            (
                Control::BatchSize(Toward::Less),
                |c| c.batch_size as f64,
                5.0,
            ),
            (Control::Momentum(Toward::More), |c| c.momentum as f64, 0.95),
            (Control::Momentum(Toward::Less), |c| c.momentum as f64, 0.8),
            (Control::L2(Toward::More), |c| c.l2 as f64, 0.00001),
            (Control::L2(Toward::Less), |c| c.l2 as f64, 0.0),
        ];
        for (control, setting, expected) in cases {
            let (after, effect) = pressed(control);
            let want = if expected == 0.0 {
                Effect::Unchanged
            } else {
                Effect::Retuned
            };
            assert_eq!(effect, want, "{control:?}");
            assert!(
                (setting(&after.config) - expected).abs() <= 1e-6 * expected,
                "{control:?}"
            );
            assert_eq!(
                after.network, before.network,
                "{control:?} kept the weights"
            );
            assert_eq!(after.updates, 7, "{control:?}");
        }
    }

    #[test]
    fn a_retuned_playground_trains_on_with_the_new_rate() {
        // v = mu v + g; w -= lr v: from the same weights, velocity and batch, the eighth
        // update at 0.1 moves each weight 0.1 / 0.03 times as far as it does at 0.03
        let before = trained(7);
        let mut slow = trained(7);
        slow.step().unwrap();
        let mut fast = trained(7);
        fast.apply(Control::LearningRate(Toward::More)).unwrap();
        fast.step().unwrap();
        let moves = |p: &Playground| -> Vec<f32> {
            p.network.layers[0]
                .weights
                .iter()
                .zip(&before.network.layers[0].weights)
                .map(|(a, b)| a - b)
                .collect()
        };
        let (slow, fast) = (moves(&slow), moves(&fast));
        assert!(slow.iter().any(|d| d.abs() > 1e-4));
        for (s, f) in slow.iter().zip(&fast) {
            assert!(
                (f - s * 0.1 / 0.03).abs() <= 1e-5 + 1e-3 * f.abs(),
                "{s} {f}"
            );
        }
    }

    #[test]
    fn each_shape_control_starts_a_fresh_network_of_the_shape_it_names() {
        let (p, e) = pressed(Control::AddLayer);
        assert_eq!(
            (e, p.network.layers.len(), p.updates),
            (Effect::Rebuilt, 4, 0)
        );
        assert_eq!(p.network.layers[2].outputs, 4);
        let (p, _) = pressed(Control::RemoveLayer);
        assert_eq!(p.network.layers.len(), 2);
        let (p, _) = pressed(Control::Units {
            layer: 1,
            toward: Toward::More,
        });
        assert_eq!(
            (p.network.layers[0].outputs, p.network.layers[1].outputs),
            (8, 9)
        );
        let (p, _) = pressed(Control::Units {
            layer: 0,
            toward: Toward::Less,
        });
        assert_eq!(p.network.layers[0].outputs, 7);
        let (p, _) = pressed(Control::NextActivation);
        assert!(
            p.config
                .hidden
                .iter()
                .all(|l| l.activation == Activation::Tanh)
        );
        let (p, _) = pressed(Control::NextLoss);
        assert_eq!(
            (p.config.loss, p.network.output_size()),
            (Loss::SoftmaxCrossEntropy, 2)
        );
        let (p, _) = pressed(Control::NextInit);
        assert_eq!(p.config.init, Init::Glorot);
        let (p, _) = pressed(Control::ToggleFeature(Feature::X1X2));
        assert_eq!(p.config.features, [Feature::X1, Feature::X2, Feature::X1X2]);
        assert_eq!(p.network.input_size(), 3);
        let (p, _) = pressed(Control::ToggleFeature(Feature::X1));
        assert_eq!(p.config.features, [Feature::X2]);
        // a fresh network is the one the seed gives for that shape
        let fresh = Playground::new(p.config.clone(), 5).unwrap();
        assert_eq!(p.network, fresh.network);
    }

    #[test]
    fn each_data_control_makes_the_points_it_names() {
        let (p, e) = pressed(Control::Data(Arrangement::Xor));
        assert_eq!(
            (e, p.config.data.arrangement),
            (Effect::Rebuilt, Arrangement::Xor)
        );
        // XOR in the plane: the class is whether the coordinates' signs differ
        assert!(
            p.train
                .points
                .iter()
                .zip(&p.train.labels)
                .all(|(q, &l)| { ((q[0] * q[1] < 0.0) as u16) == l })
        );
        let (p, _) = pressed(Control::Noise(Toward::More));
        assert_eq!(p.config.data.noise, 0.1);
        let (p, _) = pressed(Control::TestFraction(Toward::More));
        assert_eq!((p.train.len(), p.test.len()), (160, 240));
        // a curve: its points about y = 3 sin x, fitted by squared error on x1 alone
        let (mut p, e) = pressed(Control::Data(Arrangement::Sine));
        assert_eq!(
            (e, p.config.loss),
            (Effect::Rebuilt, Loss::MeanSquaredError)
        );
        assert!(p.train.points.iter().all(|q| q[1] == 3.0 * q[0].sin()));
        for refused in [
            Control::ToggleFeature(Feature::X2),
            Control::ToggleFeature(Feature::X1X2),
            Control::NextLoss,
        ] {
            assert_eq!(p.apply(refused), Ok(Effect::Unchanged), "{refused:?}");
        }
        assert_eq!(
            p.apply(Control::ToggleFeature(Feature::SinX1)),
            Ok(Effect::Rebuilt)
        );
        assert_eq!(p.config.features, [Feature::X1, Feature::SinX1]);
    }

    #[test]
    fn a_control_at_the_end_of_its_ladder_changes_nothing() {
        let mut one = Playground::new(
            PlaygroundConfig {
                hidden: Vec::new(),
                features: vec![Feature::X1],
                learning_rate: 10.0,
                ..PlaygroundConfig::default()
            },
            5,
        )
        .unwrap();
        for control in [
            Control::RemoveLayer,
            Control::ToggleFeature(Feature::X1),
            Control::LearningRate(Toward::More),
            Control::NextActivation,
            Control::Units {
                layer: 0,
                toward: Toward::More,
            },
        ] {
            assert_eq!(one.apply(control), Ok(Effect::Unchanged), "{control:?}");
        }
        let mut full = trained(0);
        for _ in 0..10 {
            full.apply(Control::AddLayer).unwrap();
        }
        assert_eq!(full.config.hidden.len(), MAX_LAYERS);
        for _ in 0..40 {
            full.apply(Control::Units {
                layer: 0,
                toward: Toward::More,
            })
            .unwrap();
        }
        assert_eq!(full.config.hidden[0].units, MAX_UNITS);
        // the batch ladder ends at the whole training set (200 points)
        for _ in 0..10 {
            full.apply(Control::BatchSize(Toward::More)).unwrap();
        }
        assert_eq!(full.config.batch_size, 200);
    }

    #[test]
    fn a_lower_rate_after_a_divergence_goes_on_from_the_weights_kept() {
        let mut playground = Playground::new(
            PlaygroundConfig {
                learning_rate: 1e6,
                ..PlaygroundConfig::default()
            },
            5,
        )
        .unwrap();
        let diverged = (0..2000).find_map(|_| playground.step().err());
        assert!(diverged.is_some(), "a rate of a million diverges");
        let kept = playground.network.clone();
        // the first press down lands on the ladder's top rung, then down it
        let rates: Vec<f32> = (0..8)
            .map(|_| {
                playground
                    .apply(Control::LearningRate(Toward::Less))
                    .unwrap();
                playground.config.learning_rate
            })
            .collect();
        assert_eq!(rates, [10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003]);
        assert_eq!(playground.diverged, None);
        assert_eq!(playground.network, kept);
        // the weights kept may be too far gone for any rate: then the new rate is the one named
        match playground.step() {
            Ok(_) => assert_ne!(playground.network, kept),
            Err(Diverged::Loss { learning_rate, .. }) => assert_eq!(learning_rate, 0.003),
            Err(other) => panic!("{other}"),
        }
    }
}
