//! Networks trained side by side that stop together: the members of an ensemble, each
//! watching its own held-out rows, stopped by one rule on their pooled held-out score.
//!
//! Why: a member that stops on its own score stops on a few dozen rows' noise. On
//! scikit-learn's diabetes data (354 training rows, 8 folds of 44 or 45) the members' own
//! best epochs ran from 15 to 46 at one seed, and their mean scored below one network; the
//! pooled score is taken on all 354 held-out predictions, and every member keeps the
//! weights of the epoch at which it was best (K-fold cross-validation of the epoch count).
//! Measured over seeds and sets in docs/accuracy/seeds.md.

use crate::mlp::Mlp;
use crate::pool::{lock, with_pool, Work};
use crate::train::{r2_from_sums, AdamFit, EpochOutcome, Trainer};
use crate::{
    EarlyStopping, EpochStats, MlpValidParams, NnError, Result, Samples, Solver, StopReason,
    Trained,
};
use std::sync::Mutex;

/// One network of [`train_together`]: its parameters (seed included), its training rows and
/// the held-out rows it is scored on.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// Its parameters: Adam with early stopping, the stopping settings (`max_epochs`, `tol`,
    /// `patience`) the same for every member. Its thread count is ignored: each member runs
    /// on one thread, the members in parallel.
    pub params: &'a MlpValidParams,
    /// Its training samples: all of them, or those `rows` names.
    pub train: Samples<'a>,
    /// The rows of `train` it trains on (`None`: every row), so that members can share one
    /// copy of the data. Each index must be below `train`'s row count; the order is kept
    /// (it only matters to the first epoch's order when shuffling is off).
    pub rows: Option<&'a [usize]>,
    /// Its held-out rows (at least one).
    pub validation: Samples<'a>,
}

/// A member during training.
struct Running<'a> {
    trainer: Trainer<'a>,
    fit: AdamFit<'a>,
    initial: Mlp,
    /// The outcome of the epoch just run, for the caller's thread to collect.
    last: Option<Result<EpochOutcome>>,
}

/// The members, for the pool: part `m` of job `epoch` is member `m`'s epoch `epoch`.
struct Members<'a> {
    running: Vec<Mutex<Running<'a>>>,
}

impl Work<usize> for Members<'_> {
    fn parts(&self, _epoch: usize) -> usize {
        self.running.len()
    }

    fn run(&self, epoch: usize, m: usize) -> f64 {
        let mut guard = lock(&self.running[m]);
        let member = &mut *guard;
        let (trainer, fit) = (&member.trainer, &mut member.fit);
        // One thread per member: its shards run inline, no workers are started.
        member.last = Some(with_pool(1, trainer, |pool| {
            fit.epoch(trainer, pool, epoch)
        }));
        0.0
    }
}

/// Trains every member with Adam, epoch by epoch in step, on up to `threads` threads (a
/// member per thread at a time). After each epoch the members' held-out residuals are pooled
/// into one R² (over all their held-out rows, around those rows' mean), and scikit-learn's
/// no-improvement rule on that score (`tol`, `patience`) stops them all; each member keeps
/// its weights of the epoch with the best pooled score.
///
/// Each member's history records its own epochs and its own held-out R² per epoch; its
/// `best_epoch` is the pooled best, and its `best_validation_r2` the pooled R² there (the
/// score that chose the epoch, the same for every member). The result is the
/// same whatever `threads` is. `on_epoch` is called on the calling thread, member by member
/// in order, after each epoch.
pub fn train_together(
    members: &[Member<'_>],
    threads: usize,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Vec<Trained>> {
    let Some(first) = members.first() else {
        return Err(NnError::InvalidData("no members to train".into()));
    };
    let p = first.params.params();
    let mut running = Vec::with_capacity(members.len());
    for (m, member) in members.iter().enumerate() {
        let q = member.params.params();
        if q.solver != Solver::Adam || !q.early_stopping {
            return Err(NnError::InvalidData(format!(
                "member {m} is not trained by Adam with early stopping, which training \
                 together is for"
            )));
        }
        if (q.max_epochs, q.tol.to_bits(), q.patience)
            != (p.max_epochs, p.tol.to_bits(), p.patience)
        {
            return Err(NnError::InvalidData(format!(
                "member {m}'s stopping settings differ from member 0's; members stop together"
            )));
        }
        if member.validation.n_rows() == 0 {
            return Err(NnError::InvalidData(format!(
                "member {m} has no held-out rows"
            )));
        }
        let n_train = match member.rows {
            Some(rows) => {
                if rows.is_empty() {
                    return Err(NnError::InvalidData(format!(
                        "member {m} has no training rows"
                    )));
                }
                if let Some(&bad) = rows.iter().find(|&&i| i >= member.train.n_rows()) {
                    return Err(NnError::InvalidData(format!(
                        "member {m}'s training row {bad} is beyond its {} samples",
                        member.train.n_rows()
                    )));
                }
                rows.len()
            }
            None => member.train.n_rows(),
        };
        let sizes = member.params.layer_sizes(member.train.n_features)?;
        let initial = Mlp::glorot(&sizes, q.seed)?.with_activation(q.activation);
        let validation = crate::train::check_inputs(
            member.params,
            &initial,
            member.train,
            Some(member.validation),
        )?;
        let batch = q.batch_size.unwrap_or(200).min(n_train);
        let trainer = Trainer::new(&initial, member.train, member.rows, validation, batch);
        let fit = AdamFit::new(q, &trainer, batch);
        running.push(Mutex::new(Running {
            trainer,
            fit,
            initial,
            last: None,
        }));
    }
    let members_work = Members { running };
    let ss_tot = pooled_total_sum_of_squares(members);
    let mut rule = EarlyStopping::on_score(p.tol, p.patience);
    let mut stop_reason = StopReason::MaxEpochs;
    let threads = threads.clamp(1, members.len());
    with_pool(threads, &members_work, |pool| -> Result<()> {
        for epoch in 1..=p.max_epochs {
            p.stop.check()?;
            pool.dispatch(epoch);
            let mut ss_res = 0.0f64;
            for (m, running) in members_work.running.iter().enumerate() {
                let outcome = lock(running).last.take().ok_or_else(|| {
                    NnError::InvalidData(format!("member {m} did not run epoch {epoch}"))
                })??;
                let (member_ss_res, r2) = outcome.validation.ok_or_else(|| {
                    NnError::InvalidData(format!("member {m} has no held-out score"))
                })?;
                ss_res += member_ss_res;
                on_epoch(&EpochStats {
                    member: m,
                    epoch,
                    train_loss: outcome.loss,
                    validation_r2: Some(r2),
                });
            }
            let observation = rule.observe(r2_from_sums(ss_res, ss_tot));
            if observation.is_best {
                for running in &members_work.running {
                    let mut guard = lock(running);
                    let member = &mut *guard;
                    member.fit.keep_best(&member.trainer, epoch);
                }
            }
            if observation.stop {
                stop_reason = StopReason::NoImprovement;
                break;
            }
        }
        Ok(())
    })?;
    Ok(members_work
        .running
        .into_iter()
        .map(|running| {
            let Running {
                trainer,
                mut fit,
                initial,
                ..
            } = running
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            fit.history.stop_reason = stop_reason;
            fit.history.best_validation_r2 = Some(rule.best());
            fit.finish(trainer, initial, true)
        })
        .collect())
}

/// Σ (y − mean)² over every member's held-out targets, around their common mean: the pooled
/// R²'s denominator.
fn pooled_total_sum_of_squares(members: &[Member<'_>]) -> f64 {
    let held_out = || {
        members
            .iter()
            .flat_map(|m| m.validation.y.iter().map(|&y| f64::from(y)))
    };
    let count = members.iter().map(|m| m.validation.n_rows()).sum::<usize>();
    let mean = held_out().sum::<f64>() / count as f64;
    held_out().map(|y| (y - mean).powi(2)).sum()
}
