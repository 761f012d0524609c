//! The network: shapes, Glorot initialisation, prediction.

use crate::params::{Activation, MAX_HIDDEN_LAYERS, MAX_WIDTH};
use crate::{NnError, Result};
use fivedreg_linalg::dense_forward;
use fivedreg_rng::{unit_f64, Stream};
use serde::{Deserialize, Serialize};

/// Rows pushed through all layers at a time when predicting: small enough for the
/// activations to stay in L1/L2 cache, large enough to amortise the per-layer calls.
pub(crate) const PREDICT_CHUNK: usize = 128;

/// A multilayer perceptron: ReLU hidden layers and one identity output.
///
/// Deserializing goes through [`Mlp::from_parts`], so every shape and value is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MlpParts")]
pub struct Mlp {
    /// Layer widths from input to output, e.g. `[5, 64, 32, 16, 1]`.
    pub(crate) sizes: Vec<usize>,
    /// Per layer, row-major `fan_in x fan_out`.
    pub(crate) weights: Vec<Vec<f32>>,
    /// Per layer, `fan_out`.
    pub(crate) biases: Vec<Vec<f32>>,
    /// The hidden layers' activation.
    pub(crate) activation: Activation,
}

/// An [`Mlp`]'s fields as a file holds them, before they are checked.
#[derive(Deserialize)]
struct MlpParts {
    sizes: Vec<usize>,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
    activation: Activation,
}

impl TryFrom<MlpParts> for Mlp {
    type Error = NnError;
    fn try_from(parts: MlpParts) -> Result<Mlp> {
        Ok(Mlp::from_parts(parts.sizes, parts.weights, parts.biases)?
            .with_activation(parts.activation))
    }
}

/// The gradient of a loss with respect to every parameter of an [`Mlp`], in its shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// Per layer, row-major `fan_in x fan_out`.
    pub weights: Vec<Vec<f32>>,
    /// Per layer, `fan_out`.
    pub biases: Vec<Vec<f32>>,
}

fn check_sizes(sizes: &[usize]) -> Result<()> {
    if sizes.len() < 2 {
        return Err(NnError::Shape(format!(
            "a network needs at least an input and an output layer, got sizes {sizes:?}"
        )));
    }
    if sizes.len() > MAX_HIDDEN_LAYERS + 2 {
        return Err(NnError::Shape(format!(
            "{} layers; at most {MAX_HIDDEN_LAYERS} hidden layers are supported",
            sizes.len()
        )));
    }
    if let Some(w) = sizes.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
        return Err(NnError::Shape(format!(
            "a layer of width {w}; widths must be in 1..={MAX_WIDTH}"
        )));
    }
    if sizes[sizes.len() - 1] != 1 {
        return Err(NnError::Shape(format!(
            "the output layer must have width 1, got sizes {sizes:?}"
        )));
    }
    Ok(())
}

impl Mlp {
    /// Glorot-uniform initial network (scikit-learn's), from `seed`: for each layer in turn,
    /// its weights (row by row) then its biases are drawn from U(−b, b) with
    /// b = sqrt(6 / (fan_in + fan_out)), from `seed`'s [`Stream::Init`].
    pub fn glorot(sizes: &[usize], seed: u64) -> Result<Mlp> {
        check_sizes(sizes)?;
        let mut rng = fivedreg_rng::rng(seed, Stream::Init);
        let mut weights = Vec::with_capacity(sizes.len() - 1);
        let mut biases = Vec::with_capacity(sizes.len() - 1);
        for pair in sizes.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            let mut draw = || ((2.0 * unit_f64(&mut rng) - 1.0) * bound) as f32;
            weights.push((0..fan_in * fan_out).map(|_| draw()).collect());
            biases.push((0..fan_out).map(|_| draw()).collect());
        }
        Ok(Mlp {
            sizes: sizes.to_vec(),
            weights,
            biases,
            activation: Activation::Relu,
        })
    }

    /// The same network with `activation` on its hidden layers.
    pub fn with_activation(mut self, activation: Activation) -> Mlp {
        self.activation = activation;
        self
    }

    /// The hidden layers' activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Rebuilds a network from its parts, checking every shape and that every value is finite.
    pub fn from_parts(
        sizes: Vec<usize>,
        weights: Vec<Vec<f32>>,
        biases: Vec<Vec<f32>>,
    ) -> Result<Mlp> {
        check_sizes(&sizes)?;
        let layers = sizes.len() - 1;
        if weights.len() != layers || biases.len() != layers {
            return Err(NnError::Shape(format!(
                "{} weight and {} bias arrays for {layers} layers",
                weights.len(),
                biases.len()
            )));
        }
        for l in 0..layers {
            let (fan_in, fan_out) = (sizes[l], sizes[l + 1]);
            if Some(weights[l].len()) != fan_in.checked_mul(fan_out) || biases[l].len() != fan_out {
                return Err(NnError::Shape(format!(
                    "layer {}: {} weights and {} biases, expected {fan_in}x{fan_out} and {fan_out}",
                    l + 1,
                    weights[l].len(),
                    biases[l].len()
                )));
            }
            if weights[l].iter().chain(&biases[l]).any(|v| !v.is_finite()) {
                return Err(NnError::InvalidData(format!(
                    "layer {} has a non-finite parameter",
                    l + 1
                )));
            }
        }
        Ok(Mlp {
            sizes,
            weights,
            biases,
            activation: Activation::Relu,
        })
    }

    /// Layer widths from input to output.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.sizes[0]
    }
    /// Number of weight layers (hidden layers + 1).
    pub fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }
    /// Weights of layer `l`, row-major `fan_in x fan_out`.
    pub fn weights(&self, l: usize) -> &[f32] {
        &self.weights[l]
    }
    /// Biases of layer `l`.
    pub fn biases(&self, l: usize) -> &[f32] {
        &self.biases[l]
    }
    /// Number of trainable parameters.
    pub fn n_parameters(&self) -> usize {
        self.weights.iter().chain(&self.biases).map(Vec::len).sum()
    }

    /// Predicts one output per row of row-major `x` (`n_rows x n_inputs`).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let rows = self.rows_of(x)?;
        let mut out = vec![0.0; rows];
        let mut ws = PredictWorkspace::new(self);
        self.predict_into(x, &mut out, &mut ws)?;
        Ok(out)
    }

    /// Predicts into `out` (one value per row of `x`) reusing `ws`: no allocation once the
    /// workspace has been sized for this network.
    pub fn predict_into(
        &self,
        x: &[f32],
        out: &mut [f32],
        ws: &mut PredictWorkspace,
    ) -> Result<()> {
        self.rows_with_slots(x, out.len())?;
        ws.fit(&self.sizes);
        let n_in = self.n_inputs();
        for (x, out) in x
            .chunks(PREDICT_CHUNK * n_in)
            .zip(out.chunks_mut(PREDICT_CHUNK))
        {
            forward_chunk(
                &self.sizes,
                self.activation,
                |l| (&self.weights[l][..], &self.biases[l][..]),
                x,
                out,
                ws,
            );
        }
        Ok(())
    }

    /// Predicts with one thread per workspace in `workspaces`, each taking an equal run of
    /// rows. Each row's result is the same bits whatever the number of threads.
    pub fn predict_into_threads(
        &self,
        x: &[f32],
        out: &mut [f32],
        workspaces: &mut [PredictWorkspace],
    ) -> Result<()> {
        let rows = self.rows_with_slots(x, out.len())?;
        let threads = workspaces
            .len()
            .max(1)
            .min(rows.div_ceil(PREDICT_CHUNK))
            .max(1);
        if threads == 1 || workspaces.len() < 2 {
            let mut local;
            let ws = match workspaces.first_mut() {
                Some(ws) => ws,
                None => {
                    local = PredictWorkspace::new(self);
                    &mut local
                }
            };
            return self.predict_into(x, out, ws);
        }
        // Whole chunks per thread, so every thread but the last gets full chunks.
        let per = rows.div_ceil(PREDICT_CHUNK).div_ceil(threads) * PREDICT_CHUNK;
        let n_in = self.n_inputs();
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(threads);
            for ((x, out), ws) in x
                .chunks(per * n_in)
                .zip(out.chunks_mut(per))
                .zip(workspaces.iter_mut())
            {
                handles.push(scope.spawn(move || self.predict_into(x, out, ws)));
            }
            for h in handles {
                match h.join() {
                    Ok(r) => r?,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok(())
        })
    }

    /// Predicts with `threads` threads (0 = all cores); see [`Mlp::predict_into_threads`].
    pub fn predict_threads(&self, x: &[f32], threads: usize) -> Result<Vec<f32>> {
        let rows = self.rows_of(x)?;
        let threads = crate::params::resolve_threads(threads);
        let mut workspaces: Vec<PredictWorkspace> =
            (0..threads).map(|_| PredictWorkspace::new(self)).collect();
        let mut out = vec![0.0; rows];
        self.predict_into_threads(x, &mut out, &mut workspaces)?;
        Ok(out)
    }

    /// The rows of `x`, checked against the `slots` of the output they are predicted into.
    fn rows_with_slots(&self, x: &[f32], slots: usize) -> Result<usize> {
        let rows = self.rows_of(x)?;
        if slots != rows {
            return Err(NnError::Shape(format!(
                "{slots} output slots for {rows} rows"
            )));
        }
        Ok(rows)
    }

    fn rows_of(&self, x: &[f32]) -> Result<usize> {
        let n_in = self.n_inputs();
        if !x.len().is_multiple_of(n_in) {
            return Err(NnError::Shape(format!(
                "{} feature values is not a whole number of rows of {n_in}",
                x.len()
            )));
        }
        Ok(x.len() / n_in)
    }

    /// Copies every parameter into `flat` in [`Layout`] order.
    pub(crate) fn write_flat(&self, layout: &Layout, flat: &mut [f32]) {
        for l in 0..self.n_layers() {
            flat[layout.w_range(l)].copy_from_slice(&self.weights[l]);
            flat[layout.b_range(l)].copy_from_slice(&self.biases[l]);
        }
    }

    /// Copies every parameter from `flat` in [`Layout`] order.
    pub(crate) fn read_flat(&mut self, layout: &Layout, flat: &[f32]) {
        for l in 0..self.n_layers() {
            self.weights[l].copy_from_slice(&flat[layout.w_range(l)]);
            self.biases[l].copy_from_slice(&flat[layout.b_range(l)]);
        }
    }
}

/// Where each layer's weights and biases sit in one flat parameter vector: every layer's
/// weights first (`W₀, W₁, …`), then every layer's biases (`b₀, b₁, …`), so the L2 penalty
/// and its sum of squares run over one contiguous range.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) sizes: Vec<usize>,
    /// The hidden layers' activation.
    pub(crate) activation: Activation,
    w_offsets: Vec<usize>,
    b_offsets: Vec<usize>,
    /// Number of weights (the biases start here).
    pub(crate) n_weights: usize,
    pub(crate) total: usize,
}

impl Layout {
    pub(crate) fn new(sizes: &[usize]) -> Layout {
        let mut w_offsets = Vec::with_capacity(sizes.len());
        let mut b_offsets = Vec::with_capacity(sizes.len());
        let mut total = 0;
        for pair in sizes.windows(2) {
            w_offsets.push(total);
            total += pair[0] * pair[1];
        }
        let n_weights = total;
        for pair in sizes.windows(2) {
            b_offsets.push(total);
            total += pair[1];
        }
        Layout {
            sizes: sizes.to_vec(),
            activation: Activation::Relu,
            w_offsets,
            b_offsets,
            n_weights,
            total,
        }
    }
    /// The layout of `mlp`, with its activation.
    pub(crate) fn of(mlp: &Mlp) -> Layout {
        let mut layout = Layout::new(&mlp.sizes);
        layout.activation = mlp.activation;
        layout
    }
    pub(crate) fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }
    pub(crate) fn w_range(&self, l: usize) -> std::ops::Range<usize> {
        let start = self.w_offsets[l];
        start..start + self.sizes[l] * self.sizes[l + 1]
    }
    pub(crate) fn b_range(&self, l: usize) -> std::ops::Range<usize> {
        let start = self.b_offsets[l];
        start..start + self.sizes[l + 1]
    }
}

/// Reusable buffers for [`Mlp::predict_into`].
#[derive(Debug, Clone, Default)]
pub struct PredictWorkspace {
    a: Vec<f32>,
    b: Vec<f32>,
}

impl PredictWorkspace {
    /// A workspace sized for `mlp`.
    pub fn new(mlp: &Mlp) -> PredictWorkspace {
        let mut ws = PredictWorkspace::default();
        ws.fit(&mlp.sizes);
        ws
    }

    /// Grows the buffers if this network needs more; never shrinks.
    pub(crate) fn fit(&mut self, sizes: &[usize]) {
        let need = PREDICT_CHUNK * sizes[1..].iter().copied().max().unwrap_or(1);
        if self.a.len() < need {
            self.a.resize(need, 0.0);
            self.b.resize(need, 0.0);
        }
    }
}

/// Pushes up to [`PREDICT_CHUNK`] rows through every layer; `layer(l)` gives the weights and
/// biases of layer `l`. `ws` must have been fitted to `sizes`.
pub(crate) fn forward_chunk<'p>(
    sizes: &[usize],
    activation: Activation,
    layer: impl Fn(usize) -> (&'p [f32], &'p [f32]),
    x: &[f32],
    out: &mut [f32],
    ws: &mut PredictWorkspace,
) {
    let rows = out.len();
    let layers = sizes.len() - 1;
    for l in 0..layers {
        let (w, b) = layer(l);
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let hidden = l + 1 < layers;
        let relu = hidden && activation == Activation::Relu;
        let last = l + 1 == layers;
        match (l == 0, last) {
            (true, true) => dense_forward(x, rows, n_in, w, b, n_out, relu, out),
            (true, false) => dense_forward(x, rows, n_in, w, b, n_out, relu, &mut ws.a),
            (false, true) => dense_forward(&ws.a, rows, n_in, w, b, n_out, relu, out),
            (false, false) => {
                dense_forward(&ws.a, rows, n_in, w, b, n_out, relu, &mut ws.b);
                std::mem::swap(&mut ws.a, &mut ws.b);
            }
        }
        if hidden && activation == Activation::Tanh {
            apply_tanh(&mut ws.a[..rows * n_out]);
        }
    }
}

/// tanh in place (the hidden layers' activation when it is [`Activation::Tanh`]).
pub(crate) fn apply_tanh(values: &mut [f32]) {
    values.iter_mut().for_each(|v| *v = v.tanh());
}
