//! The input layer's weights shared out among the training threads by rows, for the whole
//! batch: thread t gathers the batch's values of its own input features `R_t` and multiplies
//! them by its rows `W[R_t, :]` (a partial product; the layer's sums add the threads'
//! partials), and the fused step makes the gradient of the same rows from the same values.
//!
//! So every read and write of a row of the largest weight matrix (784 x 256 in the reference
//! MLP) is by the thread that updates it and stays in that core's cache. When each thread ran
//! its share of the batch through all of `W`, half of `W` came across from the other core
//! after every update: measured here, a third of the epoch.

use std::ops::Range;

use super::kernel::{Layout, matmul};
use super::mlp::Dense;

/// How many rows of a layer's weights each thread takes (the last may take fewer).
pub fn rows_per_thread(inputs: usize, threads: usize) -> usize {
    inputs.div_ceil(threads.max(1)).max(1)
}

/// The rows of a layer's weights each thread takes, in thread order (as the fused step splits
/// every layer): [`rows_per_thread`] each, fewer for the last, none empty.
pub fn row_blocks(inputs: usize, threads: usize) -> Vec<Range<usize>> {
    let rows = rows_per_thread(inputs, threads);
    (0..inputs)
        .step_by(rows)
        .map(|start| start..(start + rows).min(inputs))
        .collect()
}

/// One thread's input features for the batch and their partial product.
#[derive(Clone, Debug)]
pub struct InputShare {
    /// The input features (rows of the input layer's weights) this share holds.
    pub features: Range<usize>,
    /// The batch's values of `features`, one batch row after another (rows x features).
    values: Vec<f32>,
    /// `values W[features, :]` (rows x outputs).
    partial: Vec<f32>,
    outputs: usize,
    rows: usize,
}

impl InputShare {
    /// One share per row block of a layer of `inputs` x `outputs`, for batches of up to
    /// `batch` rows.
    pub fn for_threads(inputs: usize, outputs: usize, batch: usize, threads: usize) -> Vec<Self> {
        row_blocks(inputs, threads)
            .into_iter()
            .map(|features| Self {
                values: vec![0.0; batch * features.len()],
                partial: vec![0.0; batch * outputs],
                features,
                outputs,
                rows: 0,
            })
            .collect()
    }

    /// Copies this share's features of the rows `batch` of `inputs` (rows `width` wide).
    pub fn gather(&mut self, inputs: &[f32], width: usize, batch: &[usize]) {
        let n = self.features.len();
        self.rows = batch.len();
        for (values, &k) in self.values.chunks_exact_mut(n).zip(batch) {
            values.copy_from_slice(&inputs[k * width + self.features.start..][..n]);
        }
    }

    /// Multiplies the gathered values by the layer's weights in this share's rows.
    pub fn multiply(&mut self, layer: &Dense) {
        let n = self.features.len();
        let weights = &layer.weights[self.features.start * self.outputs..][..n * self.outputs];
        matmul(
            &mut self.partial[..self.rows * self.outputs],
            &self.values[..self.rows * n],
            Layout::Normal,
            weights,
            Layout::Normal,
            (self.rows, n, self.outputs),
            false,
            1,
        );
    }

    /// The values of batch rows `rows` (rows x features), for the gradient of these weights.
    pub fn values(&self, rows: Range<usize>) -> &[f32] {
        let n = self.features.len();
        &self.values[rows.start * n..rows.end * n]
    }
}

/// The input layer's sums for batch rows `rows`, `z = b + sum_t partial_t`, into `z`
/// (rows x outputs), the shares added in thread order.
pub fn sum_partials(shares: &[InputShare], rows: Range<usize>, bias: &[f32], z: &mut [f32]) {
    let q = bias.len();
    let (first, rest) = shares.split_first().expect("a layer has inputs");
    for (k, zk) in rows.clone().zip(z.chunks_exact_mut(q)) {
        for ((zj, &p), &b) in zk.iter_mut().zip(&first.partial[k * q..][..q]).zip(bias) {
            *zj = p + b;
        }
    }
    for share in rest {
        for (k, zk) in rows.clone().zip(z.chunks_exact_mut(q)) {
            for (zj, &p) in zk.iter_mut().zip(&share.partial[k * q..][..q]) {
                *zj += p;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::Activation;

    #[test]
    fn row_blocks_cover_the_rows_once_in_order() {
        assert_eq!(row_blocks(784, 2), vec![0..392, 392..784]);
        assert_eq!(row_blocks(7, 3), vec![0..3, 3..6, 6..7]);
        assert_eq!(row_blocks(2, 3), vec![0..1, 1..2]);
        assert_eq!(row_blocks(5, 1), vec![0..5]);
    }

    #[test]
    fn shared_partials_sum_to_the_layer_of_the_whole_rows() {
        // inputs 5 x 3 rows of a batch picked out of 4 stored rows; W 5 x 2, b (0.5, -1)
        let inputs: Vec<f32> = (0..20).map(|i| (i as f32 - 7.0) / 4.0).collect();
        let layer = Dense {
            inputs: 5,
            outputs: 2,
            weights: (0..10).map(|i| (i as f32 - 4.0) / 8.0).collect(),
            bias: vec![0.5, -1.0],
            activation: Activation::Identity,
        };
        let batch = [3, 0, 2];
        for threads in [1, 2, 3] {
            let mut shares = InputShare::for_threads(5, 2, 3, threads);
            for share in &mut shares {
                share.gather(&inputs, 5, &batch);
                share.multiply(&layer);
            }
            let mut z = vec![0.0; 3 * 2];
            sum_partials(&shares, 0..3, &layer.bias, &mut z);
            for (r, &k) in batch.iter().enumerate() {
                for j in 0..2 {
                    let expected: f32 = layer.bias[j]
                        + (0..5)
                            .map(|i| inputs[k * 5 + i] * layer.weights[i * 2 + j])
                            .sum::<f32>();
                    assert!((z[r * 2 + j] - expected).abs() < 1e-5, "{threads} threads");
                }
            }
            // the second row of the batch, as the gradient reads it: its features per share
            let second: Vec<f32> = shares
                .iter()
                .flat_map(|s| s.values(1..2).to_vec())
                .collect();
            assert_eq!(second, inputs[0..5]);
        }
    }
}
