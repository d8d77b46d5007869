//! The data-parallel SGD step fused with the weights' gradients: each thread takes one
//! contiguous block of rows of every layer's weights, computes that block of the batch
//! gradient from every shard's deltas (`sum_s c_s H_s[:, rows]^T dZ_s`) into a buffer that
//! stays in its cache, and feeds it straight into the momentum update. No whole-layer gradient
//! is written or read back, and every thread keeps to its own rows of the weights.

use rayon::prelude::*;

use super::input_share::{InputShare, rows_per_thread};
use super::kernel::matmul_column_block_transposed;
use super::mlp::{Network, Penalty, Sgd, SgdState, Workspace, column_sums, update};

/// One shard's part of a batch: its workspace after `forward` and `backward_deltas`, where
/// its rows start in the batch and how many it held (at least one), and its weight in the
/// batch gradient (rows / batch).
pub struct ShardDeltas<'a> {
    pub workspace: &'a Workspace,
    pub first_row: usize,
    pub rows: usize,
    pub weight: f32,
}

/// Buffers for the fused step, kept between batches: for every (thread, layer) block its
/// gradient block, and every layer's bias gradient per shard.
#[derive(Debug, Default)]
pub struct FusedScratch {
    blocks: Vec<Vec<f32>>,
    biases: Vec<Vec<Vec<f32>>>,
}

/// One thread's block of one layer: the layer, its first row, its weights and momentum.
struct Block<'a> {
    layer: usize,
    first_row: usize,
    weights: &'a mut [f32],
    velocity: &'a mut [f32],
}

impl ShardDeltas<'_> {
    /// Where the shard's rows lie in the batch.
    fn batch_rows(&self) -> std::ops::Range<usize> {
        self.first_row..self.first_row + self.rows
    }
}

impl SgdState {
    /// One update from the shards' deltas, `g = sum_s c_s H_s^T dZ_s + decay W` per layer,
    /// as [`step_combined`](SgdState::step_combined) makes it from whole gradients. Returns the
    /// penalty's value before the update and each layer's `||g_W||_F`, input layer first.
    pub fn step_from_deltas(
        &mut self,
        network: &mut Network,
        shards: &[ShardDeltas],
        sgd: &Sgd,
        penalty: Penalty,
        input_shares: Option<&[InputShare]>,
        scratch: &mut FusedScratch,
    ) -> (f64, Vec<f64>) {
        let (lr, mu) = (sgd.learning_rate, sgd.momentum);
        let widths: Vec<(usize, usize)> = network
            .layers
            .iter()
            .map(|l| (l.inputs, l.outputs))
            .collect();
        let decays: Vec<f32> = network
            .layers
            .iter()
            .map(|l| penalty.decay(&l.weights))
            .collect();
        let threads = self.threads;
        let blocks = self.blocks(network);
        scratch.size_for(&blocks);
        let gradient_block = |(block, buffer): (Block, &mut Vec<f32>)| {
            let (inputs, outputs) = widths[block.layer];
            let rows = block.weights.len() / outputs;
            let columns = block.first_row..block.first_row + rows;
            let gradient = &mut buffer[..block.weights.len()];
            let share = share_of(input_shares, block.layer, &columns);
            // g = c_0 H_0^T dZ_0, then g += c_s H_s^T dZ_s for the other shards
            for (s, shard) in shards.iter().enumerate() {
                let (h, width, columns) = match share {
                    Some(share) => (share.values(shard.batch_rows()), rows, 0..rows),
                    None => {
                        let h = shard.workspace.layer_input(block.layer, shard.rows);
                        (h, inputs, columns.clone())
                    }
                };
                matmul_column_block_transposed(
                    gradient,
                    h,
                    width,
                    columns,
                    shard.workspace.deltas(block.layer, shard.rows),
                    (shard.rows, outputs),
                    (shard.weight, s > 0),
                );
            }
            let decay = decays[block.layer];
            let sums = update(
                block.weights,
                block.velocity,
                &[(gradient, 1.0)],
                decay,
                lr,
                mu,
            );
            (block.layer, sums)
        };
        let work = blocks.into_iter().zip(scratch.blocks.iter_mut());
        let done: Vec<(usize, (f64, f64))> = match threads {
            1 => work.map(gradient_block).collect(),
            _ => work
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(gradient_block)
                .collect(),
        };
        let mut sums = vec![(0.0, 0.0); widths.len()];
        for (k, (g2, p2)) in done {
            sums[k].0 += g2;
            sums[k].1 += p2;
        }
        self.step_biases(network, shards, lr, mu, scratch);
        let penalty_value = sums.iter().map(|&(_, p2)| penalty.value(p2)).sum();
        (
            penalty_value,
            sums.iter().map(|&(g2, _)| g2.sqrt()).collect(),
        )
    }

    /// Every layer's weights cut into one block of rows per thread, ordered thread by thread
    /// so that an even split of the list gives each thread its own rows.
    fn blocks<'a>(&'a mut self, network: &'a mut Network) -> Vec<Block<'a>> {
        let threads = self.threads.max(1);
        let mut per_thread: Vec<Vec<Block>> = (0..threads).map(|_| Vec::new()).collect();
        let layers = network.layers.iter_mut().zip(&mut self.velocity.weights);
        for (k, (layer, velocity)) in layers.enumerate() {
            let rows = rows_per_thread(layer.inputs, threads);
            let size = rows * layer.outputs;
            let pieces = layer
                .weights
                .chunks_mut(size)
                .zip(velocity.chunks_mut(size));
            for (t, (weights, velocity)) in pieces.enumerate() {
                per_thread[t].push(Block {
                    layer: k,
                    first_row: t * rows,
                    weights,
                    velocity,
                });
            }
        }
        per_thread.into_iter().flatten().collect()
    }

    /// The biases' update: each shard's column sums of its deltas, combined. Small enough for
    /// one thread.
    fn step_biases(
        &mut self,
        network: &mut Network,
        shards: &[ShardDeltas],
        lr: f32,
        mu: f32,
        scratch: &mut FusedScratch,
    ) {
        scratch.biases.resize_with(network.layers.len(), Vec::new);
        for (k, layer) in network.layers.iter_mut().enumerate() {
            let buffers = &mut scratch.biases[k];
            buffers.resize_with(shards.len(), Vec::new);
            for buffer in buffers.iter_mut() {
                buffer.resize(layer.outputs, 0.0);
            }
            for (shard, sums) in shards.iter().zip(buffers.iter_mut()) {
                column_sums(shard.workspace.deltas(k, shard.rows), sums);
            }
            let parts: Vec<(&[f32], f32)> = scratch.biases[k]
                .iter()
                .zip(shards)
                .map(|(sums, shard)| (sums.as_slice(), shard.weight))
                .collect();
            update(
                &mut layer.bias,
                &mut self.velocity.bias[k],
                &parts,
                0.0,
                lr,
                mu,
            );
        }
    }
}

/// The input layer's values of the rows `columns`, when the trainer gathered them by rows
/// (then its shards' own input buffers were never filled).
fn share_of<'a>(
    shares: Option<&'a [InputShare]>,
    layer: usize,
    rows: &std::ops::Range<usize>,
) -> Option<&'a InputShare> {
    match (layer, shares) {
        (0, Some(shares)) => Some(
            shares
                .iter()
                .find(|s| s.features == *rows)
                .expect("the input layer is shared out by the rows the step splits"),
        ),
        _ => None,
    }
}

impl FusedScratch {
    /// Buffers for `blocks`, allocated on the first batch only.
    fn size_for(&mut self, blocks: &[Block]) {
        let fits = self.blocks.len() == blocks.len()
            && (self.blocks.iter().zip(blocks)).all(|(b, block)| b.len() >= block.weights.len());
        if !fits {
            self.blocks = blocks.iter().map(|b| vec![0.0; b.weights.len()]).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::Activation;
    use crate::nn::loss::{Loss, Targets};
    use crate::nn::mlp::{Init, LayerConfig, Schedule};
    use crate::seeds::{Stream, rng_for};
    use rand::Rng;

    /// A shard of `rows` random inputs through `network`, after forward and the deltas.
    fn shard(network: &Network, rows: usize, labels: &[u16], seed: u64) -> Workspace {
        let mut rng = rng_for(seed, Stream::Calibration);
        let mut ws = Workspace::new(network, rows);
        for x in ws.input_mut(rows) {
            *x = rng.random_range(-1.0..1.0);
        }
        network.forward(&mut ws, rows, 1);
        network.backward_deltas(&mut ws, rows, Targets::Classes(labels), 1);
        ws
    }

    #[test]
    fn the_fused_step_equals_whole_gradients_combined_for_any_thread_count() {
        for penalty in [
            Penalty::None,
            Penalty::L2Squared(0.01),
            Penalty::L2Norm(0.2),
        ] {
            let hidden = [9, 6].map(|units| LayerConfig {
                units,
                activation: Activation::Relu,
            });
            let mut rng = rng_for(4, Stream::Plugboard);
            let base = Network::new(7, &hidden, 3, Loss::SoftmaxCrossEntropy, Init::He, &mut rng);
            let sgd = Sgd {
                learning_rate: 0.1,
                momentum: 0.9,
                batch_size: 8,
                schedule: Schedule::Constant,
            };
            // an uneven batch of 8: shards of 5 and 3 rows
            let (labels_a, labels_b) = ([0, 1, 2, 1, 0], [2, 2, 1]);
            let (wa, wb) = (shard(&base, 5, &labels_a, 1), shard(&base, 3, &labels_b, 2));
            let whole = |ws: &Workspace, rows: usize, labels: &[u16]| {
                let mut ws = ws.clone();
                let mut g = base.zero_gradients();
                base.backward(&mut ws, rows, Targets::Classes(labels), &mut g, 1);
                g
            };
            let (ga, gb) = (whole(&wa, 5, &labels_a), whole(&wb, 3, &labels_b));
            let mut expected = base.clone();
            let mut state = SgdState::new(&expected);
            let parts = [(&ga, 5.0 / 8.0), (&gb, 3.0 / 8.0)];
            // two steps, so the momentum counts too
            state.step_combined(&mut expected, &parts, &sgd, penalty);
            let (value, norms) = state.step_combined(&mut expected, &parts, &sgd, penalty);
            for threads in [1, 2, 3] {
                let mut fused = base.clone();
                let mut state = SgdState::new(&fused).with_threads(threads);
                let mut scratch = FusedScratch::default();
                let shards = [
                    ShardDeltas {
                        workspace: &wa,
                        first_row: 0,
                        rows: 5,
                        weight: 5.0 / 8.0,
                    },
                    ShardDeltas {
                        workspace: &wb,
                        first_row: 5,
                        rows: 3,
                        weight: 3.0 / 8.0,
                    },
                ];
                state.step_from_deltas(&mut fused, &shards, &sgd, penalty, None, &mut scratch);
                let (fused_value, fused_norms) =
                    state.step_from_deltas(&mut fused, &shards, &sgd, penalty, None, &mut scratch);
                assert!((value - fused_value).abs() < 1e-5, "{penalty:?} {threads}");
                for (x, y) in norms.iter().zip(&fused_norms) {
                    assert!(
                        (x - y).abs() < 1e-4 * (1.0 + x),
                        "{penalty:?} {threads}: {x} vs {y}"
                    );
                }
                for (l, m) in expected.layers.iter().zip(&fused.layers) {
                    let pairs = l
                        .weights
                        .iter()
                        .chain(&l.bias)
                        .zip(m.weights.iter().chain(&m.bias));
                    for (x, y) in pairs {
                        assert!((x - y).abs() < 1e-6, "{penalty:?} {threads}: {x} vs {y}");
                    }
                }
            }
        }
    }
}
