//! A machine's tensors in the safetensors format, for numpy, PyTorch and the rest: the MLP's
//! layers as PyTorch's `Linear` keeps them (`layers.N.weight` is `[outputs, inputs]`), the
//! Mark I's plugboard, thresholds and potentiometers. The metadata names the machine, its
//! classes and its retina.

use anyhow::{Result, anyhow};
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;

use crate::data::ImageSet;
use crate::files::FileKind;
use crate::model_file::SavedModel;
use crate::nn::mark1::Mark1;
use crate::nn::mlp_model::MlpModel;

/// The `format` entry of the metadata of every file `mark1 weights` writes.
pub const FORMAT: &str = "mark1-weights";

/// A safetensors file written by mark1: an 8-byte header length, then the JSON header, whose
/// metadata names the format.
pub const WEIGHTS: FileKind = FileKind {
    what: "mark1 weights file (safetensors)",
    recognise: |head| {
        let Some((length, rest)) = head.split_first_chunk::<8>() else {
            return false;
        };
        let header = &rest[..rest.len().min(u64::from_le_bytes(*length) as usize)];
        header.starts_with(b"{")
            && String::from_utf8_lossy(header).contains("\"format\":\"mark1-weights\"")
    },
};

/// One named tensor: its element type, shape and little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
}

impl Tensor {
    fn f32(name: &str, shape: Vec<usize>, values: impl IntoIterator<Item = f32>) -> Self {
        let bytes = values.into_iter().flat_map(f32::to_le_bytes).collect();
        Self::new(name, Dtype::F32, shape, bytes)
    }

    fn new(name: &str, dtype: Dtype, shape: Vec<usize>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            dtype,
            shape,
            bytes,
        }
    }
}

/// The machine's tensors and the metadata that says what they are.
pub fn tensors(model: &SavedModel) -> (Vec<Tensor>, HashMap<String, String>) {
    let machine = model.machine();
    let retina = machine.retina();
    let mut metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        (
            "classes".to_string(),
            serde_json::to_string(machine.classes()).unwrap_or_default(),
        ),
        (
            "retina".to_string(),
            format!("{}x{}", retina.width, retina.height),
        ),
        ("describe".to_string(), machine.describe()),
    ]);
    let tensors = match model {
        SavedModel::Mark1(machine) => {
            metadata.insert("machine".into(), "mark1".into());
            mark1_tensors(machine)
        }
        SavedModel::Mlp(model) => {
            metadata.insert("machine".into(), "mlp".into());
            let activations: Vec<String> = (model.network.layers.iter())
                .map(|layer| format!("{:?}", layer.activation))
                .collect();
            metadata.insert("activations".into(), activations.join(","));
            metadata.insert("loss".into(), format!("{:?}", model.network.loss));
            if let Some(columns) = &model.columns {
                let names = serde_json::to_string(&columns.features).unwrap_or_default();
                metadata.insert("columns".into(), names);
                metadata.insert("label".into(), columns.label.clone());
            }
            mlp_tensors(model)
        }
    };
    (tensors, metadata)
}

/// The Mark I: which photocell each A-unit's connections read (`plugboard.cells`,
/// `[a_units, fan_in]`) and with what sign (`plugboard.signs`, +1 excitatory, -1 inhibitory),
/// each A-unit's threshold, the potentiometers from A-units to R-units, and the source set
/// each A-unit belongs to where the machine has them.
fn mark1_tensors(machine: &Mark1) -> Vec<Tensor> {
    let board = &machine.plugboard;
    let (a_units, fan_in) = (board.a_units, board.fan_in());
    let cells = board.cells.iter().flat_map(|c| c.to_le_bytes()).collect();
    let signs = (0..a_units)
        .flat_map(|_| (0..fan_in).map(|k| if k < board.excitatory { 1i8 } else { -1 }))
        .map(|sign| sign as u8)
        .collect();
    let mut tensors = vec![
        Tensor::new("plugboard.cells", Dtype::U32, vec![a_units, fan_in], cells),
        Tensor::new("plugboard.signs", Dtype::I8, vec![a_units, fan_in], signs),
        Tensor::f32(
            "a_units.threshold",
            vec![a_units],
            std::iter::repeat_n(board.threshold, a_units),
        ),
        Tensor::f32(
            "potentiometers",
            vec![a_units, machine.r_units],
            machine.weights.iter().copied(),
        ),
    ];
    if let Some(owner) = &machine.owner {
        let bytes = owner.iter().flat_map(|o| o.to_le_bytes()).collect();
        tensors.push(Tensor::new(
            "a_units.source_set",
            Dtype::U16,
            vec![a_units],
            bytes,
        ));
    }
    tensors
}

/// The MLP: each layer's weight as `[outputs, inputs]` and bias as `[outputs]`, and the shift
/// and scale every input takes first (`x' = (x - mean) / std`).
fn mlp_tensors(model: &MlpModel) -> Vec<Tensor> {
    let mut tensors = Vec::new();
    for (k, layer) in model.network.layers.iter().enumerate() {
        let (inputs, outputs) = (layer.inputs, layer.outputs);
        // stored as [inputs, outputs]; written transposed, as `Linear.weight` holds it
        let transposed =
            (0..outputs).flat_map(|j| (0..inputs).map(move |i| layer.weights[i * outputs + j]));
        tensors.push(Tensor::f32(
            &format!("layers.{k}.weight"),
            vec![outputs, inputs],
            transposed,
        ));
        tensors.push(Tensor::f32(
            &format!("layers.{k}.bias"),
            vec![outputs],
            layer.bias.iter().copied(),
        ));
    }
    tensors.push(Tensor::f32("input.mean", vec![], [model.input_mean]));
    tensors.push(Tensor::f32("input.std", vec![], [model.input_std]));
    if let Some(columns) = &model.columns {
        let width = vec![columns.features.len()];
        let means = columns.means.iter().copied();
        let deviations = columns.deviations.iter().copied();
        tensors.push(Tensor::f32("input.column_mean", width.clone(), means));
        tensors.push(Tensor::f32("input.column_std", width, deviations));
    }
    tensors
}

/// What a Mark I's A-units make of a set of images, for other learners to train on the same
/// features: `a_units.{part}` (`[images, a_units]`, 1 where the A-unit fires, else 0) and
/// `labels.{part}` (`[images]`, each image's class as an index into the `classes` metadata).
pub fn activity_tensors(machine: &Mark1, part: &str, set: &ImageSet) -> Vec<Tensor> {
    let a_units = machine.a_units();
    let cache = machine.encode_all(&set.images);
    let mut fired = vec![0u8; set.len() * a_units];
    for (k, row) in fired.chunks_exact_mut(a_units).enumerate() {
        for &i in cache.active(k) {
            row[i as usize] = 1;
        }
    }
    let labels = set.labels.iter().flat_map(|l| l.to_le_bytes()).collect();
    vec![
        Tensor::new(
            &format!("a_units.{part}"),
            Dtype::U8,
            vec![set.len(), a_units],
            fired,
        ),
        Tensor::new(
            &format!("labels.{part}"),
            Dtype::U16,
            vec![set.len()],
            labels,
        ),
    ]
}

/// The machine, and any `extra` tensors, as the bytes of a safetensors file.
pub fn safetensors_bytes(model: &SavedModel, extra: Vec<Tensor>) -> Result<Vec<u8>> {
    let (mut tensors, metadata) = tensors(model);
    tensors.extend(extra);
    let views = tensors
        .iter()
        .map(|t| {
            TensorView::new(t.dtype, t.shape.clone(), &t.bytes)
                .map(|view| (t.name.clone(), view))
                .map_err(|e| anyhow!("tensor {}: {e}", t.name))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata)).map_err(|e| anyhow!("safetensors: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::Activation;
    use crate::nn::mark1::Mark1Config;
    use crate::nn::mlp::{LayerConfig, MlpConfig};
    use crate::nn::retina::RetinaConfig;
    use safetensors::SafeTensors;

    fn f32s(bytes: &[u8]) -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn an_mlp_reads_back_as_linear_layers_that_give_the_machines_own_outputs() {
        let retina = RetinaConfig {
            width: 4,
            height: 3,
            ..RetinaConfig::default()
        };
        let config = MlpConfig {
            hidden: vec![LayerConfig {
                units: 5,
                activation: Activation::Relu,
            }],
            ..MlpConfig::default()
        };
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut model = MlpModel::build(&retina, &config, classes.clone(), 7).unwrap();
        for layer in &mut model.network.layers {
            for (j, b) in layer.bias.iter_mut().enumerate() {
                *b = 0.1 * j as f32 - 0.2;
            }
        }
        let bytes = safetensors_bytes(&SavedModel::Mlp(model.clone()), Vec::new()).unwrap();
        assert!((WEIGHTS.recognise)(&bytes));
        assert!(
            !(WEIGHTS.recognise)(&bytes[..8]),
            "a header cut short is not ours"
        );
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let w0 = file.tensor("layers.0.weight").unwrap();
        assert_eq!((w0.dtype(), w0.shape()), (Dtype::F32, &[5, 12][..]));
        assert_eq!(file.tensor("layers.1.bias").unwrap().shape(), &[3]);
        // out = W x + b from the file, beside the machine's own forward pass
        let x: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut h = x.clone();
        for k in 0..2 {
            let w = f32s(file.tensor(&format!("layers.{k}.weight")).unwrap().data());
            let b = f32s(file.tensor(&format!("layers.{k}.bias")).unwrap().data());
            let inputs = h.len();
            h = (0..b.len())
                .map(|j| {
                    let z = b[j] + (0..inputs).map(|i| w[j * inputs + i] * h[i]).sum::<f32>();
                    if k == 0 { z.max(0.0) } else { z }
                })
                .collect();
        }
        let expected = model.network.logits_of(&x, 1, 1);
        for (got, want) in h.iter().zip(&expected) {
            assert!((got - want).abs() < 1e-5, "{h:?} vs {expected:?}");
        }
        let (_, metadata) = SafeTensors::read_metadata(&bytes).unwrap();
        let metadata = metadata.metadata().clone().unwrap();
        assert_eq!(metadata["format"], FORMAT);
        assert_eq!(metadata["classes"], r#"["a","b","c"]"#);
        assert_eq!(metadata["machine"], "mlp");
    }

    #[test]
    fn a_mark1_reads_back_as_its_plugboard_and_potentiometers() {
        let classes: Vec<String> = ["x", "o"].map(String::from).to_vec();
        let (mut machine, _) = Mark1::build(
            &RetinaConfig::default(),
            &Mark1Config::default(),
            classes,
            5,
            &[],
        )
        .unwrap();
        machine.present(&[1, 2, 3], 1);
        let bytes = safetensors_bytes(&SavedModel::Mark1(machine.clone()), Vec::new()).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let cells = file.tensor("plugboard.cells").unwrap();
        let fan_in = machine.plugboard.fan_in();
        assert_eq!(cells.shape(), &[512, fan_in]);
        let read: Vec<u32> = (cells.data().chunks_exact(4))
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(read, machine.plugboard.cells);
        let signs = file.tensor("plugboard.signs").unwrap().data().to_vec();
        let excitatory = machine.plugboard.excitatory;
        assert_eq!(signs[..excitatory], vec![1u8; excitatory][..]);
        assert_eq!(signs[excitatory], (-1i8) as u8);
        let pots = file.tensor("potentiometers").unwrap();
        assert_eq!(pots.shape(), &[512, 8]);
        assert_eq!(f32s(pots.data()), machine.weights);
        assert!(
            machine.weights.iter().any(|&w| w != 0.0),
            "the machine learnt something"
        );
    }

    #[test]
    fn a_file_with_thousands_of_class_names_is_still_known_as_ours() {
        let retina = RetinaConfig {
            width: 2,
            height: 2,
            ..RetinaConfig::default()
        };
        let config = MlpConfig {
            hidden: vec![],
            ..MlpConfig::default()
        };
        let classes: Vec<String> = (0..3000).map(|k| format!("class number {k}")).collect();
        let model = MlpModel::build(&retina, &config, classes, 1).unwrap();
        let bytes = safetensors_bytes(&SavedModel::Mlp(model), Vec::new()).unwrap();
        let header = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert!(header > 50_000, "{header}");
        assert!((WEIGHTS.recognise)(&bytes[..crate::files::RECOGNISE_BYTES]));
    }
}
