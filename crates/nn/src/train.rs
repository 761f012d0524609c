//! The training loop: minibatch gradients over fixed shards, Adam, validation, stopping.

use crate::mlp::{forward_chunk, Layout, Mlp, PredictWorkspace, PREDICT_CHUNK};
use crate::pool::{lock, read, with_pool, write, Pool, Work};
use crate::{
    EarlyStopping, EpochStats, MlpValidParams, NnError, PhaseSeconds, Result, Samples, StopReason,
    Trained, TrainingHistory,
};
use fivedreg_linalg::{
    adam_update, add_assign, bias_grad, dense_forward, div_assign, input_grad_relu, l2_mean_grad,
    sum_squares, transpose, weight_grad, AdamStep,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// Every minibatch is cut into this many shards of (nearly) equal rows; each shard's
/// gradient is computed on its own and the shards are summed in order. Fixed, so the
/// result never depends on how many threads share the shards.
pub(crate) const SHARDS: usize = 2;

/// Rows `lo..hi` of a batch of `len` rows that shard `s` takes.
fn shard_range(len: usize, s: usize) -> (usize, usize) {
    (len * s / SHARDS, len * (s + 1) / SHARDS)
}

/// The parameters the workers read: flat, plus each layer's weights transposed (for the
/// input gradient).
struct Model {
    params: Vec<f32>,
    /// Layer `l ≥ 1`'s weights transposed, `fan_out × fan_in`, at `wt_offsets[l]`.
    wt: Vec<f32>,
    wt_offsets: Vec<usize>,
}

impl Model {
    fn new(layout: &Layout, mlp: &Mlp) -> Model {
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

    fn refresh_transposes(&mut self, layout: &Layout) {
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
struct ShardWork {
    /// `acts[0]` is the gathered input rows; `acts[l + 1]` is layer `l`'s output.
    acts: Vec<Vec<f32>>,
    /// `deltas[l]` is the loss gradient at `acts[l]` (`deltas[0]` is unused).
    deltas: Vec<Vec<f32>>,
    y: Vec<f32>,
    grad: Vec<f32>,
    sq_err: f64,
}

impl ShardWork {
    fn new(layout: &Layout, rows: usize) -> ShardWork {
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
fn compute_shard(
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
            l + 1 < layers,
            &mut rest[0],
        );
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
            input_grad_relu(
                delta,
                rows,
                n_out,
                model.wt(layout, l),
                n_in,
                &work.acts[l],
                &mut below[l],
            );
        }
    }
    forward_seconds
}

/// One validation part's buffers.
struct ValidationPart {
    ws: PredictWorkspace,
    pred: Vec<f32>,
    ss_res: f64,
}

#[derive(Clone, Copy)]
enum Job {
    /// Gradient of the minibatch `perm[start..start + len]`.
    Batch { start: usize, len: usize },
    /// Residual sum of squares on the validation samples.
    Validate,
}

/// Everything the threads share during one training run.
struct Trainer<'a> {
    layout: Layout,
    train: Samples<'a>,
    validation: Option<Samples<'a>>,
    model: RwLock<Model>,
    perm: RwLock<Vec<usize>>,
    shards: Vec<Mutex<ShardWork>>,
    validation_parts: Vec<Mutex<ValidationPart>>,
}

impl Work<Job> for Trainer<'_> {
    fn parts(&self, _job: Job) -> usize {
        SHARDS
    }

    fn run(&self, job: Job, s: usize) -> f64 {
        let model = read(&self.model);
        match job {
            Job::Batch { start, len } => {
                let perm = read(&self.perm);
                let (lo, hi) = shard_range(len, s);
                let mut work = lock(&self.shards[s]);
                compute_shard(
                    &self.layout,
                    &model,
                    &mut work,
                    self.train,
                    &perm[start + lo..start + hi],
                )
            }
            Job::Validate => {
                let Some(val) = self.validation else {
                    return 0.0;
                };
                let nf = val.n_features;
                let (lo, hi) = shard_range(val.n_rows(), s);
                let mut vp = lock(&self.validation_parts[s]);
                let vp = &mut *vp;
                let mut ss_res = 0.0f64;
                let mut row = lo;
                while row < hi {
                    let end = (row + PREDICT_CHUNK).min(hi);
                    let pred = &mut vp.pred[..end - row];
                    forward_chunk(
                        &self.layout.sizes,
                        |l| {
                            (
                                &model.params[self.layout.w_range(l)],
                                &model.params[self.layout.b_range(l)],
                            )
                        },
                        &val.x[row * nf..end * nf],
                        pred,
                        &mut vp.ws,
                    );
                    for (&p, &y) in pred.iter().zip(&val.y[row..end]) {
                        let e = f64::from(p) - f64::from(y);
                        ss_res += e * e;
                    }
                    row = end;
                }
                vp.ss_res = ss_res;
                0.0
            }
        }
    }
}

impl<'a> Trainer<'a> {
    fn new(mlp: &Mlp, train: Samples<'a>, validation: Option<Samples<'a>>, batch: usize) -> Self {
        let layout = Layout::new(mlp.sizes());
        let shard_rows = batch.div_ceil(SHARDS);
        let model = Model::new(&layout, mlp);
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(ShardWork::new(&layout, shard_rows)))
            .collect();
        let validation_parts = (0..SHARDS)
            .map(|_| {
                let mut ws = PredictWorkspace::default();
                ws.fit(&layout.sizes);
                Mutex::new(ValidationPart {
                    ws,
                    pred: vec![0.0; PREDICT_CHUNK],
                    ss_res: 0.0,
                })
            })
            .collect();
        Trainer {
            layout,
            train,
            validation,
            model: RwLock::new(model),
            perm: RwLock::new((0..train.n_rows()).collect()),
            shards,
            validation_parts,
        }
    }

    /// Sums the shards' gradients into `grad` (not yet averaged, no L2 term); returns the
    /// summed squared error.
    fn sum_shards(&self, grad: &mut [f32]) -> f64 {
        let mut sq_err = 0.0;
        for (s, shard) in self.shards.iter().enumerate() {
            let shard = lock(shard);
            if s == 0 {
                grad.copy_from_slice(&shard.grad);
            } else {
                add_assign(grad, &shard.grad);
            }
            sq_err += shard.sq_err;
        }
        sq_err
    }

    /// R² of the current weights on the validation samples (`ss_tot` precomputed).
    fn validation_r2(&self, pool: &Pool<'_, Job, Self>, pooled: bool, ss_tot: f64) -> f64 {
        if pooled {
            pool.dispatch(Job::Validate);
        } else {
            pool.run_inline(Job::Validate);
        }
        let ss_res: f64 = self.validation_parts.iter().map(|p| lock(p).ss_res).sum();
        if ss_tot == 0.0 {
            // scikit-learn's r2_score (force_finite): a constant target is 1 if fitted exactly.
            if ss_res == 0.0 {
                1.0
            } else {
                0.0
            }
        } else {
            1.0 - ss_res / ss_tot
        }
    }
}

/// Loss and flat gradient of `mlp` on all of `samples` as one batch (for the gradient check).
pub(crate) fn full_batch_gradient(
    mlp: &Mlp,
    samples: Samples<'_>,
    alpha: f64,
) -> Result<(f64, Vec<f32>)> {
    let n = samples.n_rows();
    if n == 0 {
        return Err(NnError::InvalidData("no samples".into()));
    }
    let trainer = Trainer::new(mlp, samples, None, n);
    let mut grad = vec![0.0; trainer.layout.total];
    let sq_err = with_pool(1, &trainer, |pool| {
        pool.dispatch(Job::Batch { start: 0, len: n });
        trainer.sum_shards(&mut grad)
    });
    // scikit-learn's gradient: (Σ + alpha·W) / n for weights, Σ / n for biases.
    let params = &read(&trainer.model).params;
    let nw = trainer.layout.n_weights;
    l2_mean_grad(&mut grad[..nw], &params[..nw], alpha as f32, n as f32);
    div_assign(&mut grad[nw..], n as f32);
    let w2 = sum_squares(&params[..nw]);
    let len = n as f64;
    Ok((sq_err / (2.0 * len) + 0.5 * alpha * w2 / len, grad))
}

/// Chooses, minibatch by minibatch, between sharing the shards with the pool's workers and
/// running them all on the calling thread, by timing both every so often. The result is the
/// same bits either way, so only speed decides: on a machine whose other cores are busy,
/// waiting for a descheduled worker and moving gradients between cores can cost more than
/// the second core saves.
struct ModeChooser {
    batch: u64,
    /// Seconds per row measured in the current probe: pooled, then inline.
    seconds: [f64; 2],
    rows: [usize; 2],
    use_pool: bool,
}

impl ModeChooser {
    /// Every `PERIOD` minibatches: one pooled minibatch to wake the workers (not timed),
    /// `PROBE` pooled and `PROBE` single-thread ones timed; the faster mode runs the rest.
    const PERIOD: u64 = 64;
    const PROBE: u64 = 4;

    fn new() -> Self {
        ModeChooser {
            batch: 0,
            seconds: [0.0; 2],
            rows: [0; 2],
            use_pool: true,
        }
    }

    fn use_pool(&self) -> bool {
        match self.batch % Self::PERIOD {
            p if p <= Self::PROBE => true,
            p if p <= 2 * Self::PROBE => false,
            _ => self.use_pool,
        }
    }

    fn record(&mut self, pooled: bool, seconds: f64, rows: usize) {
        let phase = self.batch % Self::PERIOD;
        if (1..=2 * Self::PROBE).contains(&phase) {
            let i = usize::from(!pooled);
            self.seconds[i] += seconds;
            self.rows[i] += rows;
            if phase == 2 * Self::PROBE {
                let per_row = |i: usize| self.seconds[i] / self.rows[i].max(1) as f64;
                self.use_pool = per_row(0) <= per_row(1);
                self.seconds = [0.0; 2];
                self.rows = [0; 2];
            }
        }
        self.batch += 1;
    }
}

/// Uniform index in `0..bound` from 64 random bits (Lemire's multiply-shift; the bias is
/// below 2⁻⁴⁰ for any realistic `bound`), the same on every platform.
fn below(rng: &mut ChaCha8Rng, bound: usize) -> usize {
    ((u128::from(rng.next_u64()) * bound as u128) >> 64) as usize
}

/// In-place Fisher–Yates shuffle.
fn shuffle(perm: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..perm.len()).rev() {
        let j = below(rng, i + 1);
        perm.swap(i, j);
    }
}

/// Trains a new network on `train`; early stopping watches `validation`, which it requires.
/// `on_epoch` is called after every epoch (for progress display).
pub fn train(
    params: &MlpValidParams,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    train.check("training data")?;
    let sizes = params.layer_sizes(train.n_features)?;
    let initial = Mlp::glorot(&sizes, params.params().seed)?;
    train_from(params, initial, train, validation, on_epoch)
}

/// Trains from the given initial network (whose hidden widths must be the parameters'),
/// e.g. to reproduce another implementation's run from its initial weights.
pub fn train_from(
    params: &MlpValidParams,
    initial: Mlp,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let started = Instant::now();
    let p = params.params();
    train.check("training data")?;
    let n = train.n_rows();
    if n == 0 {
        return Err(NnError::InvalidData("no training samples".into()));
    }
    let sizes = params.layer_sizes(train.n_features)?;
    if initial.sizes() != sizes.as_slice() {
        return Err(NnError::Shape(format!(
            "initial network has sizes {:?}, the parameters and data need {sizes:?}",
            initial.sizes()
        )));
    }
    let validation = match validation {
        Some(v) if v.n_rows() > 0 => {
            v.check("validation data")?;
            if v.n_features != train.n_features {
                return Err(NnError::Shape(format!(
                    "validation rows have {} features, training rows {}",
                    v.n_features, train.n_features
                )));
            }
            Some(v)
        }
        _ => None,
    };
    if p.early_stopping && validation.is_none() {
        return Err(NnError::InvalidData(
            "early stopping needs validation samples, and none were given \
             (give some, or turn early stopping off)"
                .into(),
        ));
    }
    let batch = p.batch_size.unwrap_or(200).min(n);
    let threads = params.resolved_threads().min(SHARDS);
    let trainer = Trainer::new(&initial, train, validation, batch);
    let ss_tot = validation.map_or(0.0, |v| {
        let mean = v.y.iter().map(|&y| f64::from(y)).sum::<f64>() / v.n_rows() as f64;
        v.y.iter().map(|&y| (f64::from(y) - mean).powi(2)).sum()
    });

    let total = trainer.layout.total;
    let mut grad = vec![0.0f32; total];
    let mut m = vec![0.0f32; total];
    let mut v = vec![0.0f32; total];
    let mut best_params = read(&trainer.model).params.clone();
    // Σ W² of the current weights, for the L2 term of the next minibatch's loss.
    let mut w2 = sum_squares(&best_params[..trainer.layout.n_weights]);
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    // Its own stream, so the minibatch order does not depend on how many draws the
    // initialisation took.
    rng.set_stream(1);
    let mut rule = if p.early_stopping {
        EarlyStopping::on_score(p.tol, p.patience)
    } else {
        EarlyStopping::on_loss(p.tol, p.patience)
    };
    let mut history = TrainingHistory {
        epochs: 0,
        train_loss: Vec::with_capacity(p.max_epochs),
        validation_r2: Vec::with_capacity(if validation.is_some() {
            p.max_epochs
        } else {
            0
        }),
        best_epoch: 0,
        best_validation_r2: None,
        stop_reason: StopReason::MaxEpochs,
        seconds: 0.0,
        phase_seconds: PhaseSeconds::default(),
    };
    let (b1, b2) = (p.beta1, p.beta2);
    let mut step: u64 = 0;
    let mut batch_seconds = 0.0;
    let mut forward_seconds = 0.0;
    let mut chooser = ModeChooser::new();

    let outcome = with_pool(threads, &trainer, |pool| -> Result<()> {
        for epoch in 1..=p.max_epochs {
            if p.shuffle {
                shuffle(&mut write(&trainer.perm), &mut rng);
            }
            let mut loss_sum = 0.0f64;
            let mut start = 0;
            while start < n {
                let len = batch.min(n - start);
                let t0 = Instant::now();
                let job = Job::Batch { start, len };
                let pooled = pool.threads() > 1 && chooser.use_pool();
                forward_seconds += if pooled {
                    pool.dispatch(job)
                } else {
                    pool.run_inline(job)
                };
                let t1 = Instant::now();
                let sq_err = trainer.sum_shards(&mut grad);
                let batch_len = len as f64;
                // scikit-learn's minibatch loss, with the weights before this step.
                let loss = sq_err / (2.0 * batch_len) + 0.5 * p.alpha * w2 / batch_len;
                if !loss.is_finite() {
                    return Err(NnError::Diverged { epoch, loss });
                }
                loss_sum += loss * batch_len;
                step += 1;
                let t = step as f64;
                let lr_t = p.learning_rate * (1.0 - b2.powf(t)).sqrt() / (1.0 - b1.powf(t));
                let adam = AdamStep {
                    lr_t: lr_t as f32,
                    beta1: b1 as f32,
                    beta2: b2 as f32,
                    epsilon: p.epsilon as f32,
                };
                {
                    let mut model = write(&trainer.model);
                    let (n, nw) = (len as f32, trainer.layout.n_weights);
                    // scikit-learn's gradient: (Σ + alpha·W) / n for weights, Σ / n for biases.
                    l2_mean_grad(&mut grad[..nw], &model.params[..nw], p.alpha as f32, n);
                    div_assign(&mut grad[nw..], n);
                    adam_update(&mut model.params, &grad, &mut m, &mut v, adam);
                    w2 = sum_squares(&model.params[..nw]);
                    model.refresh_transposes(&trainer.layout);
                }
                batch_seconds += (t1 - t0).as_secs_f64();
                history.phase_seconds.update += t1.elapsed().as_secs_f64();
                chooser.record(pooled, t0.elapsed().as_secs_f64(), len);
                start += len;
            }
            let loss = loss_sum / n as f64;
            if !loss.is_finite() || read(&trainer.model).params.iter().any(|w| !w.is_finite()) {
                return Err(NnError::Diverged { epoch, loss });
            }
            let validation_r2 = if validation.is_some() {
                let t0 = Instant::now();
                // Pooled or not as the minibatches currently are (the same bits either way).
                let pooled = pool.threads() > 1 && chooser.use_pool();
                let r2 = trainer.validation_r2(pool, pooled, ss_tot);
                history.phase_seconds.validation += t0.elapsed().as_secs_f64();
                if !r2.is_finite() {
                    return Err(NnError::Diverged { epoch, loss });
                }
                history.validation_r2.push(r2);
                Some(r2)
            } else {
                None
            };
            history.epochs = epoch;
            history.train_loss.push(loss);
            on_epoch(&EpochStats {
                epoch,
                train_loss: loss,
                validation_r2,
            });
            let observation = match validation_r2 {
                Some(r2) if p.early_stopping => rule.observe(r2),
                _ => rule.observe(loss),
            };
            if p.early_stopping {
                if observation.is_best {
                    best_params.copy_from_slice(&read(&trainer.model).params);
                    history.best_epoch = epoch;
                }
            } else {
                history.best_epoch = epoch;
            }
            if observation.stop {
                history.stop_reason = StopReason::NoImprovement;
                break;
            }
        }
        Ok(())
    });
    outcome?;

    let model = trainer
        .model
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut mlp = initial;
    if p.early_stopping {
        mlp.read_flat(&trainer.layout, &best_params);
        history.best_validation_r2 = Some(rule.best());
    } else {
        mlp.read_flat(&trainer.layout, &model.params);
    }
    // Forward time is what the calling thread spent on the forward passes of the shards it
    // ran; the rest of the batch time (its backward passes and waiting for the others) is
    // backward.
    history.phase_seconds.forward = forward_seconds;
    history.phase_seconds.backward = (batch_seconds - forward_seconds).max(0.0);
    history.seconds = started.elapsed().as_secs_f64();
    Ok(Trained { mlp, history })
}

#[cfg(test)]
mod tests {
    use super::ModeChooser;

    #[test]
    fn the_chooser_probes_both_modes_then_keeps_the_faster() {
        for (pooled_cost, inline_cost, expect_pool) in [(1.0, 2.0, true), (2.0, 1.0, false)] {
            let mut c = ModeChooser::new();
            let mut modes = Vec::new();
            for _ in 0..2 * ModeChooser::PERIOD {
                let pooled = c.use_pool();
                modes.push(pooled);
                c.record(pooled, if pooled { pooled_cost } else { inline_cost }, 1);
            }
            let period = ModeChooser::PERIOD as usize;
            // Warm-up and probes: 5 pooled, then 4 single-thread.
            assert_eq!(
                &modes[..9],
                &[true, true, true, true, true, false, false, false, false]
            );
            assert!(modes[9..period].iter().all(|&m| m == expect_pool));
            assert_eq!(
                &modes[period..period + 9],
                &modes[..9],
                "probes again every period"
            );
        }
    }
}
