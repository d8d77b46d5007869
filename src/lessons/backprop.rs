//! Backpropagation on the lecture's one-hidden-layer network `f(x) = sigma(W2^T sigma(W1^T x))`
//! with the loss `cross_ent(y, f(x)) + lambda (||W1|| + ||W2||)`: its computational graph, each
//! node's forward value and backward partial derivative, walked one node at a time, and the
//! gradients checked against finite differences and against the MLP's own backward pass.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::instrument::{Knob, evenly, one_two_five};
use super::{LessonReport, Teach, within};
use crate::chart::{Axis, Chart, Ink, Mark};
use crate::fields::FieldError;
use crate::nn::activation::Activation;
use crate::nn::loss::{Loss, Targets};
use crate::nn::mlp::{Dense, Network, Penalty, Workspace};
use crate::seeds::{Stream, rng_for};

/// The lecture's network with `inputs` (p) inputs and `hidden` (q) sigmoid units, its weights
/// and four examples drawn from the seed; `example` is the one fed, `label` its class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackpropLesson {
    pub inputs: usize,
    pub hidden: usize,
    pub lambda: f64,
    pub example: usize,
    pub label: u8,
    /// How far the walk through the graph has got: the forward nodes one by one, then the
    /// backward ones (see [`WALK`]).
    pub walked: usize,
}

impl Default for BackpropLesson {
    fn default() -> Self {
        Self {
            inputs: 3,
            hidden: 4,
            lambda: 0.01,
            example: 0,
            label: 1,
            walked: WALK,
        }
    }
}

/// The examples drawn, one of which is fed.
pub const EXAMPLES: usize = 4;

/// A node of the computational graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    pub name: &'static str,
    /// How it is computed from its parents.
    pub formula: &'static str,
    /// Its value: a scalar, a vector or a matrix (row by row).
    pub value: Vec<f64>,
    /// `d loss / d node`, of the value's shape.
    pub adjoint: Vec<f64>,
    /// Where the page draws it: (column, row) on a grid of [`GRAPH_COLUMNS`] x [`GRAPH_ROWS`].
    pub at: (usize, usize),
    /// The nodes it is computed from.
    pub parents: Vec<usize>,
    /// What the walk has shown of it so far.
    pub shown: Shown,
}

/// How much of a node the walk has revealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Nothing,
    Value,
    /// Value and partial derivative.
    Both,
}

pub const GRAPH_COLUMNS: usize = 7;
pub const GRAPH_ROWS: usize = 3;

/// The graph's nodes in forward order: the leaves, then each computed node.
const X: usize = 0;
const W1: usize = 1;
const W2: usize = 2;
const U1: usize = 3;
const U2: usize = 4;
const U3: usize = 5;
const Y_HAT: usize = 6;
const U8: usize = 7;
const U4: usize = 8;
const U5: usize = 9;
const U6: usize = 10;
const U7: usize = 11;
const LOSS: usize = 12;
/// The computed nodes, in the order the forward pass visits them.
const FORWARD: [usize; 10] = [U1, U2, U3, Y_HAT, U8, U4, U5, U6, U7, LOSS];
/// The backward pass: the loss, back through the graph, to the weights.
const BACKWARD: [usize; 12] = [LOSS, U7, U8, U6, U5, U4, Y_HAT, U3, U2, U1, W2, W1];
/// Steps of the whole walk.
pub const WALK: usize = FORWARD.len() + BACKWARD.len();

/// Everything the lesson found: the graph, the gradients both ways, and how well they agree.
#[derive(Clone, Debug, PartialEq)]
pub struct BackpropResult {
    pub nodes: Vec<GraphNode>,
    pub loss: f64,
    /// Backpropagated `d loss / d W1` (p x q, row i for input i) and `d loss / d W2` (q).
    pub gradient_w1: Vec<f64>,
    pub gradient_w2: Vec<f64>,
    /// The same by central finite differences.
    pub numeric_w1: Vec<f64>,
    pub numeric_w2: Vec<f64>,
    /// The largest |backprop - finite difference| over every weight.
    pub gradient_check_max_error: f64,
    /// The largest |backprop - the MLP's own backward pass| (in f32) over every weight.
    pub network_max_error: f64,
    pub walked: usize,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The weights and the examples, from the seed.
struct Drawn {
    w1: Vec<f64>,
    w2: Vec<f64>,
    examples: Vec<Vec<f64>>,
}

impl BackpropLesson {
    fn draw(&self, seed: u64) -> Drawn {
        let mut rng = rng_for(seed, Stream::Generator);
        let mut normal = |count: usize| -> Vec<f64> {
            (0..count)
                .map(|_| StandardNormal.sample(&mut rng))
                .collect()
        };
        Drawn {
            w1: normal(self.inputs * self.hidden),
            w2: normal(self.hidden),
            examples: (0..EXAMPLES).map(|_| normal(self.inputs)).collect(),
        }
    }

    /// The loss at weights `w1`, `w2` for input `x`: the forward pass alone.
    fn loss(&self, x: &[f64], w1: &[f64], w2: &[f64]) -> f64 {
        let q = self.hidden;
        let u2: Vec<f64> = (0..q)
            .map(|j| sigmoid((0..self.inputs).map(|i| w1[i * q + j] * x[i]).sum()))
            .collect();
        let y_hat = sigmoid(u2.iter().zip(w2).map(|(a, b)| a * b).sum());
        let y = self.label as f64;
        -(y * y_hat.ln() + (1.0 - y) * (1.0 - y_hat).ln()) + self.lambda * (norm(w1) + norm(w2))
    }

    pub fn run(&self, seed: u64) -> BackpropResult {
        let drawn = self.draw(seed);
        let x = &drawn.examples[self.example.min(EXAMPLES - 1)];
        let (p, q, y, lambda) = (self.inputs, self.hidden, self.label as f64, self.lambda);
        let (w1, w2) = (&drawn.w1, &drawn.w2);
        // Forward.
        let u1: Vec<f64> = (0..q)
            .map(|j| (0..p).map(|i| w1[i * q + j] * x[i]).sum())
            .collect();
        let u2: Vec<f64> = u1.iter().map(|&z| sigmoid(z)).collect();
        let u3: f64 = u2.iter().zip(w2).map(|(a, b)| a * b).sum();
        let y_hat = sigmoid(u3);
        let u8 = -(y * y_hat.ln() + (1.0 - y) * (1.0 - y_hat).ln());
        let (u4, u5) = (norm(w1), norm(w2));
        let u6 = u4 + u5;
        let u7 = lambda * u6;
        let loss = u8 + u7;
        // Backward: each node's adjoint from its children's.
        let d_u8 = 1.0;
        let d_u7 = 1.0;
        let d_u6 = lambda * d_u7;
        let (d_u4, d_u5) = (d_u6, d_u6);
        let d_y_hat = d_u8 * (-y / y_hat + (1.0 - y) / (1.0 - y_hat));
        let d_u3 = d_y_hat * y_hat * (1.0 - y_hat);
        let d_u2: Vec<f64> = w2.iter().map(|w| d_u3 * w).collect();
        let d_u1: Vec<f64> = d_u2
            .iter()
            .zip(&u2)
            .map(|(d, s)| d * s * (1.0 - s))
            .collect();
        let gradient_w2: Vec<f64> = (0..q).map(|j| d_u3 * u2[j] + d_u5 * w2[j] / u5).collect();
        let gradient_w1: Vec<f64> = (0..p * q)
            .map(|k| x[k / q] * d_u1[k % q] + d_u4 * w1[k] / u4)
            .collect();
        let d_x: Vec<f64> = (0..p)
            .map(|i| (0..q).map(|j| w1[i * q + j] * d_u1[j]).sum())
            .collect();
        let (numeric_w1, numeric_w2) = self.finite_differences(x, w1, w2);
        let gradient_check_max_error = largest_gap(
            gradient_w1.iter().chain(&gradient_w2),
            numeric_w1.iter().chain(&numeric_w2),
        );
        let network_max_error = self.against_the_network(x, w1, w2, &gradient_w1, &gradient_w2);
        let values = [
            (x.clone(), d_x),
            (w1.clone(), gradient_w1.clone()),
            (w2.clone(), gradient_w2.clone()),
            (u1, d_u1),
            (u2, d_u2),
            (vec![u3], vec![d_u3]),
            (vec![y_hat], vec![d_y_hat]),
            (vec![u8], vec![d_u8]),
            (vec![u4], vec![d_u4]),
            (vec![u5], vec![d_u5]),
            (vec![u6], vec![d_u6]),
            (vec![u7], vec![d_u7]),
            (vec![loss], vec![1.0]),
        ];
        let nodes = values
            .into_iter()
            .zip(LAYOUT)
            .enumerate()
            .map(
                |(k, ((value, adjoint), (name, formula, at, parents)))| GraphNode {
                    name,
                    formula,
                    value,
                    adjoint,
                    at,
                    parents: parents.to_vec(),
                    shown: shown_at(k, self.walked),
                },
            )
            .collect();
        BackpropResult {
            nodes,
            loss,
            gradient_w1,
            gradient_w2,
            numeric_w1,
            numeric_w2,
            gradient_check_max_error,
            network_max_error,
            walked: self.walked,
        }
    }

    /// Central differences `(loss(w + h) - loss(w - h)) / 2h` for every weight.
    fn finite_differences(&self, x: &[f64], w1: &[f64], w2: &[f64]) -> (Vec<f64>, Vec<f64>) {
        const H: f64 = 1e-6;
        let nudged = |weights: &[f64], k: usize, by: f64| {
            let mut w = weights.to_vec();
            w[k] += by;
            w
        };
        let numeric_w1 = (0..w1.len())
            .map(|k| {
                (self.loss(x, &nudged(w1, k, H), w2) - self.loss(x, &nudged(w1, k, -H), w2))
                    / (2.0 * H)
            })
            .collect();
        let numeric_w2 = (0..w2.len())
            .map(|k| {
                (self.loss(x, w1, &nudged(w2, k, H)) - self.loss(x, w1, &nudged(w2, k, -H)))
                    / (2.0 * H)
            })
            .collect();
        (numeric_w1, numeric_w2)
    }

    /// The same network as the MLP (no biases, the output's sigmoid in its loss, the penalty
    /// the lecture's norms): the largest gap between its gradients and these.
    fn against_the_network(
        &self,
        x: &[f64],
        w1: &[f64],
        w2: &[f64],
        gradient_w1: &[f64],
        gradient_w2: &[f64],
    ) -> f64 {
        let dense = |inputs: usize, outputs: usize, w: &[f64], activation| Dense {
            inputs,
            outputs,
            weights: w.iter().map(|&v| v as f32).collect(),
            bias: vec![0.0; outputs],
            activation,
        };
        let network = Network {
            layers: vec![
                dense(self.inputs, self.hidden, w1, Activation::Sigmoid),
                dense(self.hidden, 1, w2, Activation::Identity),
            ],
            loss: Loss::SigmoidBinaryCrossEntropy,
        };
        let mut ws = Workspace::new(&network, 1);
        let input: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        ws.input_mut(1).copy_from_slice(&input);
        network.forward(&mut ws, 1, 1);
        let mut grads = network.zero_gradients();
        let labels = [self.label as u16];
        network.backward(&mut ws, 1, Targets::Classes(&labels), &mut grads, 1);
        network.add_penalty(Penalty::L2Norm(self.lambda as f32), &mut grads);
        largest_gap(
            gradient_w1.iter().chain(gradient_w2),
            grads.weights[0]
                .iter()
                .chain(&grads.weights[1])
                .map(|&g| g as f64)
                .collect::<Vec<_>>()
                .iter(),
        )
    }
}

fn largest_gap<'a>(a: impl Iterator<Item = &'a f64>, b: impl Iterator<Item = &'a f64>) -> f64 {
    a.zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// Each node's name, formula, place on the page's grid and parents, in node order.
type Layout = (&'static str, &'static str, (usize, usize), &'static [usize]);
const LAYOUT: [Layout; 13] = [
    ("x", "input", (0, 0), &[]),
    ("W1", "p × q", (0, 1), &[]),
    ("W2", "q", (2, 1), &[]),
    ("u1", "W1ᵀ x", (1, 0), &[X, W1]),
    ("u2", "σ(u1)", (2, 0), &[U1]),
    ("u3", "W2ᵀ u2", (3, 0), &[U2, W2]),
    ("ŷ", "σ(u3)", (4, 0), &[U3]),
    ("u8", "cross_ent(y, ŷ)", (5, 0), &[Y_HAT]),
    ("u4", "‖W1‖", (1, 2), &[W1]),
    ("u5", "‖W2‖", (3, 2), &[W2]),
    ("u6", "u4 + u5", (4, 2), &[U4, U5]),
    ("u7", "λ u6", (5, 2), &[U6]),
    ("ℓ", "u8 + u7", (6, 1), &[U8, U7]),
];

/// What a walk of `walked` steps has shown of node `k`: leaves are given; computed nodes show
/// their value once the forward pass reaches them, every node its derivative once the
/// backward pass does.
fn shown_at(k: usize, walked: usize) -> Shown {
    let forward_done = walked.min(FORWARD.len());
    let backward_done = walked.saturating_sub(FORWARD.len()).min(BACKWARD.len());
    if BACKWARD[..backward_done].contains(&k) {
        Shown::Both
    } else if [X, W1, W2].contains(&k) || FORWARD[..forward_done].contains(&k) {
        Shown::Value
    } else {
        Shown::Nothing
    }
}

impl BackpropResult {
    /// The node the walk reached last, if any.
    pub fn current(&self) -> Option<usize> {
        match self.walked {
            0 => None,
            w if w <= FORWARD.len() => Some(FORWARD[w - 1]),
            w => Some(BACKWARD[(w - FORWARD.len()).min(BACKWARD.len()) - 1]),
        }
    }

    fn report(&self, lesson: &BackpropLesson) -> LessonReport {
        let fmt = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:+.4}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let lines = vec![
            format!(
                "f(x) = σ(W2ᵀ σ(W1ᵀ x)), ℓ = cross_ent(y, f(x)) + λ(‖W1‖ + ‖W2‖); p = {}, q = {}, y = {}, λ = {}; ℓ = {:.6}",
                lesson.inputs, lesson.hidden, lesson.label, lesson.lambda, self.loss
            ),
            format!("backprop ∂ℓ/∂W2:  {}", fmt(&self.gradient_w2)),
            format!("finite diff ∂ℓ/∂W2: {}", fmt(&self.numeric_w2)),
            format!(
                "largest |backprop − finite difference| over all {} weights: {:.1e}; the MLP's own backward pass (f32) differs by at most {:.1e}",
                self.gradient_w1.len() + self.gradient_w2.len(),
                self.gradient_check_max_error,
                self.network_max_error
            ),
        ];
        let nodes: Vec<_> = self
            .nodes
            .iter()
            .map(|n| json!({"name": n.name, "value": n.value, "adjoint": n.adjoint}))
            .collect();
        LessonReport {
            graph: Some(self.nodes.clone()),
            graph_current: self.current(),
            title: "Backpropagation through the computational graph".into(),
            lines,
            charts: vec![self.chart()],
            figures: json!({
                "loss": self.loss,
                "gradients": {"W1": self.gradient_w1, "W2": self.gradient_w2},
                "finite_differences": {"W1": self.numeric_w1, "W2": self.numeric_w2},
                "gradient_check_max_error": self.gradient_check_max_error,
                "network_max_error": self.network_max_error,
                "nodes": nodes,
            }),
        }
    }

    /// Every weight's backpropagated derivative against its finite difference: on the line.
    fn chart(&self) -> Chart {
        let pairs: Vec<[f64; 2]> = self
            .numeric_w1
            .iter()
            .chain(&self.numeric_w2)
            .zip(self.gradient_w1.iter().chain(&self.gradient_w2))
            .map(|(&n, &b)| [n, b])
            .collect();
        let reach = pairs
            .iter()
            .flat_map(|p| p.iter().map(|v| v.abs()))
            .fold(0.0, f64::max)
            .max(1e-6)
            * 1.15;
        Chart {
            title: "Backprop against finite differences".into(),
            x: Axis::linear("finite difference", -reach, reach),
            y: Axis::linear("backprop", -reach, reach),
            marks: vec![
                Mark::Line {
                    label: "equal".into(),
                    ink: Ink::Reference,
                    dashed: true,
                    points: vec![[-reach, -reach], [reach, reach]],
                },
                Mark::Points {
                    label: "∂ℓ/∂w, one per weight".into(),
                    ink: Ink::Warm,
                    points: pairs,
                },
            ],
        }
    }
}

impl Teach for BackpropLesson {
    fn validate(&self) -> Result<(), FieldError> {
        within("inputs", self.inputs, 1, 8)?;
        within("hidden", self.hidden, 1, 8)?;
        within("example", self.example, 0, EXAMPLES - 1)?;
        within("label", self.label as usize, 0, 1)?;
        within("walked", self.walked, 0, WALK)?;
        if !(self.lambda.is_finite() && (0.0..=10.0).contains(&self.lambda)) {
            return Err(FieldError::at(
                "lambda",
                format!("{} must lie in 0..=10", self.lambda),
            ));
        }
        Ok(())
    }

    fn teach(&self, seed: u64) -> LessonReport {
        self.run(seed).report(self)
    }

    fn knobs(&self) -> Vec<Knob> {
        let examples: Vec<String> = (1..=EXAMPLES).map(|k| format!("x{k}")).collect();
        let examples: Vec<&str> = examples.iter().map(String::as_str).collect();
        vec![
            Knob::choice("the input fed", &examples, self.example),
            Knob::choice("its class y", &["0", "1"], self.label as usize),
            Knob::numeric("λ", one_two_five(0.001, 1.0), self.lambda),
            Knob::numeric("hidden units q", evenly(1.0, 8.0, 1.0), self.hidden as f64),
            Knob::numeric("inputs p", evenly(1.0, 8.0, 1.0), self.inputs as f64),
        ]
    }

    fn set_knob(&mut self, index: usize, value: f64) {
        match index {
            0 => self.example = (value as usize).min(EXAMPLES - 1),
            1 => self.label = (value as u8).min(1),
            2 => self.lambda = value,
            3 => self.hidden = value as usize,
            4 => self.inputs = value as usize,
            _ => {}
        }
    }

    fn clock(&self) -> Option<usize> {
        Some(self.walked)
    }

    fn set_clock(&mut self, steps: usize) {
        self.walked = steps.min(WALK);
    }

    fn clock_unit(&self) -> &'static str {
        "node"
    }

    fn pace(&self) -> f64 {
        0.8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backpropagated_gradients_match_finite_differences_and_the_network() {
        for (inputs, hidden, label) in [(3, 4, 1), (2, 1, 0), (8, 8, 1)] {
            let lesson = BackpropLesson {
                inputs,
                hidden,
                label,
                ..BackpropLesson::default()
            };
            let r = lesson.run(1);
            assert!(r.gradient_check_max_error < 1e-7, "{r:?}");
            assert!(r.network_max_error < 1e-4, "{}", r.network_max_error);
            assert_eq!(r.gradient_w1.len(), inputs * hidden);
        }
        // The check has teeth: leave out the penalty's share and it sees the difference.
        let lesson = BackpropLesson::default();
        let r = lesson.run(1);
        let without_penalty = BackpropLesson {
            lambda: 0.0,
            ..lesson.clone()
        }
        .run(1);
        let gap = largest_gap(without_penalty.gradient_w2.iter(), r.numeric_w2.iter());
        assert!(gap > 1e3 * r.gradient_check_max_error, "{gap}");
    }

    #[test]
    fn the_graph_holds_the_lectures_chain_rule() {
        let r = BackpropLesson::default().run(1);
        let node = |k: usize| &r.nodes[k];
        // d loss / d u3 = y_hat - y for a sigmoid and cross-entropy (y = 1).
        let y_hat = node(Y_HAT).value[0];
        assert!((node(U3).adjoint[0] - (y_hat - 1.0)).abs() < 1e-12);
        // u6 = u4 + u5 and d loss / d u4 = lambda.
        assert!((node(U6).value[0] - node(U4).value[0] - node(U5).value[0]).abs() < 1e-12);
        assert_eq!(node(U4).adjoint[0], 0.01);
        assert!((node(LOSS).value[0] - r.loss).abs() < 1e-12);
        // Every parent lies to the left of its child or beside it, so edges run forward.
        for n in &r.nodes {
            for &p in &n.parents {
                assert!(
                    r.nodes[p].at.0 < n.at.0,
                    "{} -> {}",
                    r.nodes[p].name,
                    n.name
                );
            }
        }
    }

    #[test]
    fn the_walk_shows_values_forward_then_derivatives_backward() {
        let walk = |walked| {
            BackpropLesson {
                walked,
                ..BackpropLesson::default()
            }
            .run(1)
        };
        let start = walk(0);
        assert_eq!(start.current(), None);
        assert_eq!(start.nodes[X].shown, Shown::Value);
        assert_eq!(start.nodes[U1].shown, Shown::Nothing);
        let forward = walk(FORWARD.len());
        assert_eq!(forward.current(), Some(LOSS));
        assert!(forward.nodes[3..].iter().all(|n| n.shown == Shown::Value));
        let one_back = walk(FORWARD.len() + 1);
        assert_eq!(one_back.nodes[LOSS].shown, Shown::Both);
        assert_eq!(one_back.nodes[U7].shown, Shown::Value);
        let all = walk(WALK);
        assert_eq!(all.current(), Some(W1));
        assert!(all.nodes.iter().all(|n| n.shown != Shown::Nothing));
        assert_eq!(all.nodes[X].shown, Shown::Value);
    }
}
