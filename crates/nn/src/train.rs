//! The training loop: minibatch gradients over fixed shards, Adam, validation, stopping.

use crate::mlp::{forward_chunk, Layout, Mlp, PredictWorkspace, PREDICT_CHUNK};
use crate::objective::{
    batch_loss, compute_shard, finish_gradient, shard_range, Model, ShardWork, SHARDS,
};
use crate::params::{MlpParams, Solver};
use crate::pool::{lock, read, with_pool, write, Pool, Work};
use crate::{
    EarlyStopping, EpochStats, MlpValidParams, NnError, Result, Samples, StopReason, Trained,
    TrainingHistory,
};
use fivedreg_linalg::{adam_update, sum_squares, AdamStep};
use fivedreg_rng::{ChaCha8Rng, Stream};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// One validation part's buffers.
struct ValidationPart {
    ws: PredictWorkspace,
    pred: Vec<f32>,
    ss_res: f64,
}

#[derive(Clone, Copy)]
pub(crate) enum Job {
    /// Gradient of the minibatch `perm[start..start + len]`.
    Batch { start: usize, len: usize },
    /// Residual sum of squares on the validation samples.
    Validate,
}

/// Everything the threads share during one training run.
pub(crate) struct Trainer<'a> {
    layout: Layout,
    train: Samples<'a>,
    validation: Option<Samples<'a>>,
    model: RwLock<Model>,
    /// The training rows in this epoch's order (indices into `train`).
    perm: RwLock<Vec<usize>>,
    /// How many rows an epoch trains on: `perm`'s length.
    n_train: usize,
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
                let mut vp = lock(&self.validation_parts[s]);
                let vp = &mut *vp;
                vp.ss_res = self.validation_part(&model.params, s, vp);
                0.0
            }
        }
    }
}

impl ValidationPart {
    fn new(layout: &Layout) -> Self {
        let mut ws = PredictWorkspace::default();
        ws.fit(&layout.sizes);
        ValidationPart {
            ws,
            pred: vec![0.0; PREDICT_CHUNK],
            ss_res: 0.0,
        }
    }
}

impl<'a> Trainer<'a> {
    /// A trainer on the rows `rows` of `train` (all of them when `None`; indices below
    /// `train.n_rows()`, checked by the caller).
    pub(crate) fn new(
        mlp: &Mlp,
        train: Samples<'a>,
        rows: Option<&[usize]>,
        validation: Option<Samples<'a>>,
        batch: usize,
    ) -> Self {
        let layout = Layout::of(mlp);
        let shard_rows = batch.div_ceil(SHARDS);
        let model = Model::new(&layout, mlp);
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(ShardWork::new(&layout, shard_rows)))
            .collect();
        let validation_parts = (0..SHARDS)
            .map(|_| Mutex::new(ValidationPart::new(&layout)))
            .collect();
        Trainer {
            layout,
            train,
            validation,
            model: RwLock::new(model),
            perm: RwLock::new(
                rows.map_or_else(|| (0..train.n_rows()).collect(), <[usize]>::to_vec),
            ),
            n_train: rows.map_or(train.n_rows(), <[usize]>::len),
            shards,
            validation_parts,
        }
    }

    /// The residual sum of squares of the network `params` on part `s` of the validation
    /// samples (0 without validation samples).
    fn validation_part(&self, params: &[f32], s: usize, vp: &mut ValidationPart) -> f64 {
        let Some(val) = self.validation else {
            return 0.0;
        };
        let nf = val.n_features;
        let (lo, hi) = shard_range(val.n_rows(), s);
        let mut ss_res = 0.0f64;
        let mut row = lo;
        while row < hi {
            let end = (row + PREDICT_CHUNK).min(hi);
            let pred = &mut vp.pred[..end - row];
            forward_chunk(
                &self.layout.sizes,
                self.layout.activation,
                |l| {
                    (
                        &params[self.layout.w_range(l)],
                        &params[self.layout.b_range(l)],
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
        ss_res
    }

    /// Sums the shards' gradients into `grad` (not yet averaged, no L2 term); returns the
    /// summed squared error.
    fn sum_shards(&self, grad: &mut [f32]) -> f64 {
        crate::objective::sum_shards(&self.shards, grad, |s| (&s.grad, s.sq_err))
    }

    /// The residual sum of squares of the current weights on the validation samples.
    fn validation_ss_res(&self, pool: &Pool<'_, Job, Self>, pooled: bool) -> f64 {
        if pooled {
            pool.dispatch(Job::Validate);
        } else {
            pool.run_inline(Job::Validate);
        }
        self.validation_parts.iter().map(|p| lock(p).ss_res).sum()
    }
}

/// Chooses, minibatch by minibatch, between sharing the shards with the pool's workers and
/// running them all on the calling thread, by timing both every so often. The result is the
/// same bits either way, so only speed decides: on a machine whose other cores are busy,
/// waiting for a descheduled worker and moving gradients between cores can cost more than
/// the second core saves.
struct ModeChooser {
    batch: u64,
    /// The least seconds per row seen in the current probe: pooled, then inline.
    least: [f64; 2],
    use_pool: bool,
}

impl ModeChooser {
    /// Every `PERIOD` minibatches: one pooled minibatch to wake the workers (not timed),
    /// `PROBE` pooled and `PROBE` single-thread ones timed; the faster mode runs the rest.
    /// Each mode is judged by its fastest probe: on a shared or virtual machine one
    /// descheduled worker can make a probe minibatch take fifty times its usual time, and a
    /// mean would then pick the slower mode for a whole period.
    const PERIOD: u64 = 64;
    const PROBE: u64 = 4;

    fn new() -> Self {
        ModeChooser {
            batch: 0,
            least: [f64::INFINITY; 2],
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
            self.least[i] = self.least[i].min(seconds / rows.max(1) as f64);
            if phase == 2 * Self::PROBE {
                self.use_pool = self.least[0] <= self.least[1];
                self.least = [f64::INFINITY; 2];
            }
        }
        self.batch += 1;
    }
}

/// Trains a new network on `train` with the parameters' solver; Adam's early stopping
/// watches `validation`, which it then requires. `on_epoch` is called after every epoch (Adam)
/// or iteration (L-BFGS), for progress display.
pub fn train(
    params: &MlpValidParams,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    train.check("training data")?;
    let sizes = params.layer_sizes(train.n_features)?;
    let initial =
        Mlp::glorot(&sizes, params.params().seed)?.with_activation(params.params().activation);
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
    let validation = check_inputs(params, &initial, train, validation)?;
    match params.params().solver {
        Solver::Adam => train_adam(params, initial, train, validation, on_epoch),
        Solver::Lbfgs => crate::lbfgs::train_lbfgs(params, initial, train, validation, on_epoch),
    }
}

/// Checks the data against the parameters and the initial network; returns the validation
/// samples to use (`None` when there are none).
pub(crate) fn check_inputs<'v>(
    params: &MlpValidParams,
    initial: &Mlp,
    train: Samples<'_>,
    validation: Option<Samples<'v>>,
) -> Result<Option<Samples<'v>>> {
    let p = params.params();
    train.check("training data")?;
    if train.n_rows() == 0 {
        return Err(NnError::InvalidData("no training samples".into()));
    }
    let sizes = params.layer_sizes(train.n_features)?;
    if initial.activation() != params.params().activation {
        return Err(NnError::Shape(format!(
            "initial network has {} hidden layers, the parameters ask for {}",
            initial.activation().name(),
            params.params().activation.name()
        )));
    }
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
    if p.early_stopping && p.solver == Solver::Adam && validation.is_none() {
        return Err(NnError::InvalidData(
            "early stopping needs validation samples, and none were given \
             (give some, or turn early stopping off)"
                .into(),
        ));
    }
    Ok(validation)
}

/// Σ (y − mean)² of the validation targets: R²'s denominator, the same every epoch.
pub(crate) fn total_sum_of_squares(validation: Option<Samples<'_>>) -> f64 {
    validation.map_or(0.0, |v| {
        let mean = v.y.iter().map(|&y| f64::from(y)).sum::<f64>() / v.n_rows() as f64;
        v.y.iter().map(|&y| (f64::from(y) - mean).powi(2)).sum()
    })
}

/// scikit-learn's R² from its two sums (a constant target: 1 if fitted exactly, else 0).
pub(crate) fn r2_from_sums(ss_res: f64, ss_tot: f64) -> f64 {
    if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    }
}

/// Adam's state: the moments and the step count.
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    step: u64,
    learning_rate: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
}

impl Adam {
    fn new(p: &MlpParams, n_params: usize) -> Adam {
        Adam {
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
            step: 0,
            learning_rate: p.learning_rate,
            beta1: p.beta1,
            beta2: p.beta2,
            epsilon: p.epsilon,
        }
    }

    /// One update of `params` along `grad` (scikit-learn's Adam: epsilon on the uncorrected
    /// root, the bias corrections folded into the step size).
    fn step(&mut self, params: &mut [f32], grad: &[f32]) {
        self.step += 1;
        let t = self.step as f64;
        let (b1, b2) = (self.beta1, self.beta2);
        let lr_t = self.learning_rate * (1.0 - b2.powf(t)).sqrt() / (1.0 - b1.powf(t));
        let adam = AdamStep {
            lr_t: lr_t as f32,
            beta1: b1 as f32,
            beta2: b2 as f32,
            epsilon: self.epsilon as f32,
        };
        adam_update(params, grad, &mut self.m, &mut self.v, adam);
    }
}

/// The state of an Adam run that lives across epochs (its [`Trainer`] apart, so that a pool
/// can borrow the trainer while the run changes).
struct AdamRun<'p> {
    params: &'p MlpParams,
    batch: usize,
    adam: Adam,
    grad: Vec<f32>,
    /// Σ W² of the current weights, for the L2 term of the next minibatch's loss.
    w2: f64,
    rng: ChaCha8Rng,
    chooser: ModeChooser,
    batch_seconds: f64,
    forward_seconds: f64,
    update_seconds: f64,
}

impl AdamRun<'_> {
    /// One epoch: a new minibatch order, then one Adam step per minibatch. Returns the
    /// sample-weighted mean training loss.
    fn epoch(
        &mut self,
        trainer: &Trainer<'_>,
        pool: &Pool<'_, Job, Trainer<'_>>,
        epoch: usize,
    ) -> Result<f64> {
        let n = trainer.n_train;
        if self.params.shuffle {
            fivedreg_rng::shuffle(&mut write(&trainer.perm), &mut self.rng);
        }
        let mut loss_sum = 0.0f64;
        let mut start = 0;
        while start < n {
            // A large epoch takes seconds: a stop is seen at the next minibatch.
            self.params.stop.check()?;
            let len = self.batch.min(n - start);
            let t0 = Instant::now();
            let job = Job::Batch { start, len };
            let pooled = pool.threads() > 1 && self.chooser.use_pool();
            self.forward_seconds += if pooled {
                pool.dispatch(job)
            } else {
                pool.run_inline(job)
            };
            let t1 = Instant::now();
            let sq_err = trainer.sum_shards(&mut self.grad);
            // scikit-learn's minibatch loss, with the weights before this step.
            let loss = batch_loss(sq_err, self.w2, self.params.alpha, len);
            if !loss.is_finite() {
                return Err(NnError::Diverged { epoch, loss });
            }
            loss_sum += loss * len as f64;
            {
                let mut model = write(&trainer.model);
                let layout = &trainer.layout;
                finish_gradient(
                    layout,
                    &model.params,
                    &mut self.grad,
                    self.params.alpha,
                    len,
                );
                self.adam.step(&mut model.params, &self.grad);
                self.w2 = sum_squares(&model.params[..layout.n_weights]);
                model.refresh_transposes(layout);
            }
            self.batch_seconds += (t1 - t0).as_secs_f64();
            self.update_seconds += t1.elapsed().as_secs_f64();
            self.chooser.record(pooled, t0.elapsed().as_secs_f64(), len);
            start += len;
        }
        let loss = loss_sum / n as f64;
        if !loss.is_finite() || read(&trainer.model).params.iter().any(|w| !w.is_finite()) {
            return Err(NnError::Diverged { epoch, loss });
        }
        Ok(loss)
    }
}

/// What one epoch of an [`AdamFit`] gave.
pub(crate) struct EpochOutcome {
    /// Sample-weighted mean training loss.
    pub(crate) loss: f64,
    /// The residual sum of squares and R² on the validation samples, when there are any.
    pub(crate) validation: Option<(f64, f64)>,
}

/// One Adam training run, advanced an epoch at a time by its caller (who owns the stopping
/// rule): the run's state, the best weights kept so far and the history.
pub(crate) struct AdamFit<'p> {
    run: AdamRun<'p>,
    /// R²'s denominator on the validation samples.
    ss_tot: f64,
    best_params: Vec<f32>,
    pub(crate) history: TrainingHistory,
    started: Instant,
}

impl<'p> AdamFit<'p> {
    pub(crate) fn new(p: &'p MlpParams, trainer: &Trainer<'_>, batch: usize) -> AdamFit<'p> {
        let best_params = read(&trainer.model).params.clone();
        AdamFit {
            run: AdamRun {
                params: p,
                batch,
                adam: Adam::new(p, trainer.layout.total),
                grad: vec![0.0f32; trainer.layout.total],
                w2: sum_squares(&best_params[..trainer.layout.n_weights]),
                // Its own stream, so the minibatch order does not depend on how many draws
                // the initialisation took.
                rng: fivedreg_rng::rng(p.seed, Stream::Minibatch),
                chooser: ModeChooser::new(),
                batch_seconds: 0.0,
                forward_seconds: 0.0,
                update_seconds: 0.0,
            },
            ss_tot: total_sum_of_squares(trainer.validation),
            best_params,
            history: TrainingHistory::empty(p.max_epochs, trainer.validation.is_some()),
            started: Instant::now(),
        }
    }

    /// Trains epoch `epoch` (1-based) on `pool`'s threads, then scores the validation
    /// samples; records both in the history.
    pub(crate) fn epoch(
        &mut self,
        trainer: &Trainer<'_>,
        pool: &Pool<'_, Job, Trainer<'_>>,
        epoch: usize,
    ) -> Result<EpochOutcome> {
        let loss = self.run.epoch(trainer, pool, epoch)?;
        let validation = if trainer.validation.is_some() {
            let t0 = Instant::now();
            // Pooled or not as the minibatches currently are (the same bits either way).
            let pooled = pool.threads() > 1 && self.run.chooser.use_pool();
            let ss_res = trainer.validation_ss_res(pool, pooled);
            self.history.phase_seconds.validation += t0.elapsed().as_secs_f64();
            let r2 = r2_from_sums(ss_res, self.ss_tot);
            if !r2.is_finite() {
                return Err(NnError::Diverged { epoch, loss });
            }
            self.history.validation_r2.push(r2);
            Some((ss_res, r2))
        } else {
            None
        };
        self.history.epochs = epoch;
        self.history.train_loss.push(loss);
        Ok(EpochOutcome { loss, validation })
    }

    /// Keeps the current weights as the best, from epoch `epoch`.
    pub(crate) fn keep_best(&mut self, trainer: &Trainer<'_>, epoch: usize) {
        self.best_params
            .copy_from_slice(&read(&trainer.model).params);
        self.history.best_epoch = epoch;
    }

    /// The trained network: `initial` with the best weights kept (`keep_best`) or the last.
    pub(crate) fn finish(mut self, trainer: Trainer<'_>, initial: Mlp, keep_best: bool) -> Trained {
        let run = &self.run;
        // Forward time is what the calling thread spent on the forward passes of the shards
        // it ran; the rest of the batch time (its backward passes and waiting for the
        // others) is backward.
        self.history.phase_seconds.forward = run.forward_seconds;
        self.history.phase_seconds.backward = (run.batch_seconds - run.forward_seconds).max(0.0);
        self.history.phase_seconds.update = run.update_seconds;
        let layout = trainer.layout;
        let model = trainer
            .model
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut mlp = initial;
        mlp.read_flat(
            &layout,
            if keep_best {
                &self.best_params
            } else {
                &model.params
            },
        );
        self.history.seconds = self.started.elapsed().as_secs_f64();
        Trained {
            mlp,
            history: self.history,
        }
    }
}

/// Adam over minibatches with early stopping (scikit-learn's `adam` solver).
fn train_adam(
    params: &MlpValidParams,
    initial: Mlp,
    train: Samples<'_>,
    validation: Option<Samples<'_>>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let p = params.params();
    let n = train.n_rows();
    let batch = p.batch_size.unwrap_or(200).min(n);
    let threads = params.resolved_threads().min(SHARDS);
    let trainer = Trainer::new(&initial, train, None, validation, batch);
    let mut fit = AdamFit::new(p, &trainer, batch);
    let mut rule = if p.early_stopping {
        EarlyStopping::on_score(p.tol, p.patience)
    } else {
        EarlyStopping::on_loss(p.tol, p.patience)
    };
    with_pool(threads, &trainer, |pool| -> Result<()> {
        for epoch in 1..=p.max_epochs {
            let outcome = fit.epoch(&trainer, pool, epoch)?;
            let validation_r2 = outcome.validation.map(|(_, r2)| r2);
            on_epoch(&EpochStats {
                member: 0,
                epoch,
                train_loss: outcome.loss,
                validation_r2,
            });
            let observation = match validation_r2 {
                Some(r2) if p.early_stopping => rule.observe(r2),
                _ => rule.observe(outcome.loss),
            };
            if p.early_stopping {
                if observation.is_best {
                    fit.keep_best(&trainer, epoch);
                }
            } else {
                fit.history.best_epoch = epoch;
            }
            if observation.stop {
                fit.history.stop_reason = StopReason::NoImprovement;
                break;
            }
        }
        Ok(())
    })?;
    if p.early_stopping {
        fit.history.best_validation_r2 = Some(rule.best());
    }
    Ok(fit.finish(trainer, initial, p.early_stopping))
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

    #[test]
    fn one_slow_probe_does_not_decide() {
        // A pooled probe that waited on a descheduled worker (50× its usual time) among
        // three usual ones: pooled minibatches are still the faster.
        let mut c = ModeChooser::new();
        let mut modes = Vec::new();
        for b in 0..ModeChooser::PERIOD {
            let pooled = c.use_pool();
            modes.push(pooled);
            let cost = match (pooled, b) {
                (true, 2) => 50.0,
                (true, _) => 1.0,
                (false, _) => 1.5,
            };
            c.record(pooled, cost, 1);
        }
        assert!(modes[9..].iter().all(|&m| m));
    }
}
