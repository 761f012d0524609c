//! The one loss and gradient of fivedreg's networks: scikit-learn's squared error / 2 plus its
//! L2 term (`mean((ŷ − y)²)/2 + α/2 · Σ‖W‖² / n`, biases unpenalised) and its gradient, on
//! the kernels of fivedreg-linalg. Adam's minibatch step and the full-batch objective of
//! L-BFGS ([`FullBatch`]) both go through [`compute_shard`], [`batch_loss`] and
//! [`finish_gradient`], so the two solvers minimise exactly the same function.
//!
//! A batch is cut into [`SHARDS`] fixed parts whose gradients are summed in order: the result
//! is the same bits whatever the number of threads.

use crate::mlp::{apply_tanh, Layout, Mlp};
use crate::params::Activation;
use crate::pool::{lock, with_pool, write, Pool, Work};
use crate::{NnError, Result, Samples};
use fivedreg_linalg::{
    add_assign, bias_grad, dense_forward, div_assign, input_grad_relu, l2_mean_grad, matmul,
    sum_squares, transpose, weight_grad,
};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// Every minibatch is cut into this many shards of (nearly) equal rows; each shard's
/// gradient is computed on its own and the shards are summed in order. Fixed, so the
/// result never depends on how many threads share the shards.
pub(crate) const SHARDS: usize = 2;

/// Rows `lo..hi` of a batch of `len` rows that shard `s` takes.
pub(crate) fn shard_range(len: usize, s: usize) -> (usize, usize) {
    (len * s / SHARDS, len * (s + 1) / SHARDS)
}

/// The parameters the workers read: flat, plus each layer's weights transposed (for the
/// input gradient).
pub(crate) struct Model {
    pub(crate) params: Vec<f32>,
    /// Layer `l ≥ 1`'s weights transposed, `fan_out × fan_in`, at `wt_offsets[l]`.
    wt: Vec<f32>,
    wt_offsets: Vec<usize>,
}

impl Model {
    pub(crate) fn new(layout: &Layout, mlp: &Mlp) -> Model {
        let mut params = vec![0.0; layout.total];
        mlp.write_flat(layout, &mut params);
        let mut wt_offsets = Vec::with_capacity(layout.n_layers());
        let mut total = 0;
        for l in 0..layout.n_layers() {
            wt_offsets.push(total);
            if l > 0 {
                total += layout.sizes[l] * layout.sizes[l + 1];
            }
        }
        let mut model = Model {
            params,
            wt: vec![0.0; total],
            wt_offsets,
        };
        model.refresh_transposes(layout);
        model
    }

    pub(crate) fn refresh_transposes(&mut self, layout: &Layout) {
        for l in 1..layout.n_layers() {
            let (n_in, n_out) = (layout.sizes[l], layout.sizes[l + 1]);
            let at = self.wt_offsets[l];
            transpose(
                &self.params[layout.w_range(l)],
                n_in,
                n_out,
                &mut self.wt[at..at + n_in * n_out],
            );
        }
    }

    fn wt(&self, layout: &Layout, l: usize) -> &[f32] {
        let at = self.wt_offsets[l];
        &self.wt[at..at + layout.sizes[l] * layout.sizes[l + 1]]
    }
}

/// One shard's buffers, allocated once for the largest shard.
pub(crate) struct ShardWork {
    /// `acts[0]` is the gathered input rows; `acts[l + 1]` is layer `l`'s output.
    acts: Vec<Vec<f32>>,
    /// `deltas[l]` is the loss gradient at `acts[l]` (`deltas[0]` is unused).
    deltas: Vec<Vec<f32>>,
    y: Vec<f32>,
    pub(crate) grad: Vec<f32>,
    pub(crate) sq_err: f64,
}

impl ShardWork {
    pub(crate) fn new(layout: &Layout, rows: usize) -> ShardWork {
        let buffers =
            || -> Vec<Vec<f32>> { layout.sizes.iter().map(|&w| vec![0.0; rows * w]).collect() };
        ShardWork {
            acts: buffers(),
            deltas: buffers(),
            y: vec![0.0; rows],
            grad: vec![0.0; layout.total],
            sq_err: 0.0,
        }
    }
}

/// Forward and backward over the rows `idx` of `data`: leaves the summed (not yet averaged)
/// gradient of `½Σ(ŷ − y)²` in `work.grad` and `Σ(ŷ − y)²` in `work.sq_err`. Returns the
/// seconds spent in the forward pass.
pub(crate) fn compute_shard(
    layout: &Layout,
    model: &Model,
    work: &mut ShardWork,
    data: Samples<'_>,
    idx: &[usize],
) -> f64 {
    let started = Instant::now();
    let rows = idx.len();
    let nf = data.n_features;
    let layers = layout.n_layers();
    for (r, &i) in idx.iter().enumerate() {
        work.acts[0][r * nf..(r + 1) * nf].copy_from_slice(&data.x[i * nf..(i + 1) * nf]);
        work.y[r] = data.y[i];
    }
    for l in 0..layers {
        let (done, rest) = work.acts.split_at_mut(l + 1);
        dense_forward(
            &done[l],
            rows,
            layout.sizes[l],
            &model.params[layout.w_range(l)],
            &model.params[layout.b_range(l)],
            layout.sizes[l + 1],
            l + 1 < layers && layout.activation == Activation::Relu,
            &mut rest[0],
        );
        if l + 1 < layers && layout.activation == Activation::Tanh {
            apply_tanh(&mut rest[0][..rows * layout.sizes[l + 1]]);
        }
    }
    let mut sq_err = 0.0f64;
    for ((d, &p), &y) in work.deltas[layers][..rows]
        .iter_mut()
        .zip(&work.acts[layers][..rows])
        .zip(&work.y[..rows])
    {
        *d = p - y;
        sq_err += f64::from(*d) * f64::from(*d);
    }
    work.sq_err = sq_err;
    let forward_seconds = started.elapsed().as_secs_f64();
    for l in (0..layers).rev() {
        let (n_in, n_out) = (layout.sizes[l], layout.sizes[l + 1]);
        let (below, above) = work.deltas.split_at_mut(l + 1);
        let delta = &above[0];
        weight_grad(
            &work.acts[l],
            delta,
            rows,
            n_in,
            n_out,
            &mut work.grad[layout.w_range(l)],
        );
        bias_grad(delta, rows, n_out, &mut work.grad[layout.b_range(l)]);
        if l > 0 {
            match layout.activation {
                Activation::Relu => input_grad_relu(
                    delta,
                    rows,
                    n_out,
                    model.wt(layout, l),
                    n_in,
                    &work.acts[l],
                    &mut below[l],
                ),
                Activation::Tanh => {
                    // tanh' = 1 − tanh², from the activation kept by the forward pass.
                    let grad = &mut below[l][..rows * n_in];
                    matmul(delta, model.wt(layout, l), rows, n_out, n_in, grad);
                    for (g, &a) in grad.iter_mut().zip(&work.acts[l][..rows * n_in]) {
                        *g *= 1.0 - a * a;
                    }
                }
            }
        }
    }
    forward_seconds
}

/// Sums the shards' gradients into `grad` in shard order (so the bits never depend on which
/// thread ran which shard) and returns the sum of their squared errors; `parts` gives a
/// shard's gradient and squared error.
pub(crate) fn sum_shards<T>(
    shards: &[Mutex<T>],
    grad: &mut [f32],
    parts: impl Fn(&T) -> (&[f32], f64),
) -> f64 {
    let mut sq_err = 0.0;
    for (s, shard) in shards.iter().enumerate() {
        let shard = lock(shard);
        let (shard_grad, shard_sq_err) = parts(&shard);
        if s == 0 {
            grad.copy_from_slice(shard_grad);
        } else {
            add_assign(grad, shard_grad);
        }
        sq_err += shard_sq_err;
    }
    sq_err
}

/// scikit-learn's loss of a batch of `n` rows, from its summed squared error and the sum of
/// squares of the weights (`w2`).
pub(crate) fn batch_loss(sq_err: f64, w2: f64, alpha: f64, n: usize) -> f64 {
    let n = n as f64;
    sq_err / (2.0 * n) + 0.5 * alpha * w2 / n
}

/// Turns the summed gradient of `½Σ(ŷ − y)²` over `n` rows into scikit-learn's:
/// `(Σ + α·W) / n` for the weights and `Σ / n` for the biases.
pub(crate) fn finish_gradient(
    layout: &Layout,
    params: &[f32],
    grad: &mut [f32],
    alpha: f64,
    n: usize,
) {
    let (n, nw) = (n as f32, layout.n_weights);
    l2_mean_grad(&mut grad[..nw], &params[..nw], alpha as f32, n);
    div_assign(&mut grad[nw..], n);
}

/// Rows pushed through forward and backward at a time by [`FullBatch`]: its buffers stay the
/// same size whatever the data.
const FULL_BATCH_CHUNK: usize = 512;

/// One shard's part of the full batch: its buffers and its running sums.
struct FullBatchShard {
    work: ShardWork,
    grad: Vec<f32>,
    sq_err: f64,
}

/// The full-batch objective: loss and gradient of the network on every training row at
/// once (L-BFGS's objective), shared among the pool's threads by fixed shards of rows, each
/// worked through in chunks of [`FULL_BATCH_CHUNK`] rows.
pub(crate) struct FullBatch<'a> {
    layout: Layout,
    data: Samples<'a>,
    rows: Vec<usize>,
    model: RwLock<Model>,
    shards: Vec<Mutex<FullBatchShard>>,
}

impl Work<()> for FullBatch<'_> {
    fn parts(&self, _job: ()) -> usize {
        SHARDS
    }

    fn run(&self, _job: (), s: usize) -> f64 {
        let model = crate::pool::read(&self.model);
        let (lo, hi) = shard_range(self.rows.len(), s);
        let mut shard = lock(&self.shards[s]);
        let shard = &mut *shard;
        shard.grad.fill(0.0);
        shard.sq_err = 0.0;
        for chunk in self.rows[lo..hi].chunks(FULL_BATCH_CHUNK) {
            compute_shard(&self.layout, &model, &mut shard.work, self.data, chunk);
            add_assign(&mut shard.grad, &shard.work.grad);
            shard.sq_err += shard.work.sq_err;
        }
        0.0
    }
}

impl<'a> FullBatch<'a> {
    /// The objective of a network of `sizes` on `data` (checked by the caller).
    pub(crate) fn new(sizes: &[usize], activation: Activation, data: Samples<'a>) -> FullBatch<'a> {
        let mut layout = Layout::new(sizes);
        layout.activation = activation;
        let placeholder = Mlp {
            sizes: sizes.to_vec(),
            weights: layout_zeros(&layout, true),
            biases: layout_zeros(&layout, false),
            activation,
        };
        let model = Model::new(&layout, &placeholder);
        let chunk = FULL_BATCH_CHUNK.min(data.n_rows().div_ceil(SHARDS)).max(1);
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(FullBatchShard {
                    work: ShardWork::new(&layout, chunk),
                    grad: vec![0.0; layout.total],
                    sq_err: 0.0,
                })
            })
            .collect();
        FullBatch {
            rows: (0..data.n_rows()).collect(),
            layout,
            data,
            model: RwLock::new(model),
            shards,
        }
    }

    /// The layout of the flat parameter vector.
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The loss at the flat parameters `params` ([`Layout`] order); leaves its gradient in
    /// `grad`. Uses every thread of `pool`.
    pub(crate) fn evaluate(
        &self,
        pool: &Pool<'_, (), Self>,
        params: &[f32],
        alpha: f64,
        grad: &mut [f32],
    ) -> f64 {
        {
            let mut model = write(&self.model);
            model.params.copy_from_slice(params);
            model.refresh_transposes(&self.layout);
        }
        if pool.threads() > 1 {
            pool.dispatch(());
        } else {
            pool.run_inline(());
        }
        let sq_err = sum_shards(&self.shards, grad, |s| (&s.grad, s.sq_err));
        let n = self.rows.len();
        finish_gradient(&self.layout, params, grad, alpha, n);
        let w2 = sum_squares(&params[..self.layout.n_weights]);
        batch_loss(sq_err, w2, alpha, n)
    }
}

fn layout_zeros(layout: &Layout, weights: bool) -> Vec<Vec<f32>> {
    (0..layout.n_layers())
        .map(|l| {
            let len = if weights {
                layout.w_range(l).len()
            } else {
                layout.b_range(l).len()
            };
            vec![0.0; len]
        })
        .collect()
}

impl Mlp {
    /// Mean squared-error loss (halved, plus the L2 term, as scikit-learn's) of this network on
    /// `samples` taken as one batch, and its gradient: the one function both solvers minimise.
    pub fn loss_and_gradient(
        &self,
        samples: Samples<'_>,
        alpha: f64,
    ) -> Result<(f64, crate::Gradient)> {
        samples.check("samples")?;
        if samples.n_features != self.n_inputs() {
            return Err(NnError::Shape(format!(
                "{} features for a network of {} inputs",
                samples.n_features,
                self.n_inputs()
            )));
        }
        if samples.n_rows() == 0 {
            return Err(NnError::InvalidData("no samples".into()));
        }
        let objective = FullBatch::new(self.sizes(), self.activation(), samples);
        let layout = objective.layout().clone();
        let mut params = vec![0.0; layout.total];
        self.write_flat(&layout, &mut params);
        let mut flat = vec![0.0; layout.total];
        let loss = with_pool(1, &objective, |pool| {
            objective.evaluate(pool, &params, alpha, &mut flat)
        });
        let weights = (0..self.n_layers())
            .map(|l| flat[layout.w_range(l)].to_vec())
            .collect();
        let biases = (0..self.n_layers())
            .map(|l| flat[layout.b_range(l)].to_vec())
            .collect();
        Ok((loss, crate::Gradient { weights, biases }))
    }
}
