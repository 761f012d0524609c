//! Training one network or an ensemble's members: fold assignment, member seeds, members
//! trained in parallel (one per core), progress funnelled back to the caller's thread.

use crate::error::{Error, Result};
use crate::kernel::RbfModel;
use crate::options::{KernelOptions, TreeOptions};
use fivedreg_nn::{EpochStats, Member, MlpParams, MlpValidParams, Samples, Solver, Trained};
use fivedreg_trees::BoostedTrees;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Scaled training data of a fit: the training rows, and the validation rows of a single
/// network (an ensemble's members take their validation rows from the folds).
pub(crate) struct MemberData<'a> {
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub validation_x: &'a [f32],
    pub validation_y: &'a [f32],
    pub n_features: usize,
}

/// Cuts rows `0..n` into `k` folds: shuffled by the seed's [`fivedreg_rng::Stream::Folds`],
/// then dealt round-robin, so fold sizes differ by at most one. Each fold is sorted.
pub(crate) fn folds(n: usize, k: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    // Each fold needs 2 rows, for the score of the member that holds it out (R² of one row
    // is undefined); every member then has at least 2 training rows too.
    if n < 2 * k || n < k + 2 {
        return Err(Error::TooFewRowsForFolds { rows: n, folds: k });
    }
    let order = fivedreg_rng::shuffled_indices(n, seed, fivedreg_rng::Stream::Folds);
    let mut folds = vec![Vec::with_capacity(n.div_ceil(k)); k];
    for (position, &row) in order.iter().enumerate() {
        folds[position % k].push(row);
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    Ok(folds)
}

/// Trains one network on the training rows, watching the validation rows.
pub(crate) fn train_single(
    params: &MlpValidParams,
    data: &MemberData<'_>,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let validation = Samples {
        x: data.validation_x,
        y: data.validation_y,
        n_features: data.n_features,
    };
    Ok(fivedreg_nn::train(
        params,
        Samples {
            x: data.x,
            y: data.y,
            n_features: data.n_features,
        },
        (validation.n_rows() > 0).then_some(validation),
        on_epoch,
    )?)
}

/// The parameters of member `m`: the user's, with the `m`-th seed derived from theirs, on one
/// thread (members run in parallel instead).
fn member_params(params: &MlpValidParams, m: usize) -> Result<MlpValidParams> {
    let p = params.params();
    Ok(MlpParams {
        seed: fivedreg_rng::derive_seed(p.seed, m as u64),
        threads: 1,
        ..p.clone()
    }
    .check()?)
}

/// Rows of `x` (row-major, `n_features` wide) and `y` at `rows`.
fn gather(data: &MemberData<'_>, rows: impl Iterator<Item = usize>) -> (Vec<f32>, Vec<f32>) {
    let nf = data.n_features;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in rows {
        x.extend_from_slice(&data.x[i * nf..(i + 1) * nf]);
        y.push(data.y[i]);
    }
    (x, y)
}

/// The rows `0..n` outside `fold`, in ascending order.
fn outside_fold(n: usize, fold: &[usize]) -> Vec<usize> {
    let mut in_fold = vec![false; n];
    fold.iter().for_each(|&i| in_fold[i] = true);
    (0..n).filter(|&i| !in_fold[i]).collect()
}

/// Trains member `m`: every row but fold `m`'s, watching fold `m`.
fn train_member(
    params: &MlpValidParams,
    data: &MemberData<'_>,
    folds: &[Vec<usize>],
    m: usize,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let params = member_params(params, m)?;
    let (x, y) = gather(data, outside_fold(data.y.len(), &folds[m]).into_iter());
    let (validation_x, validation_y) = gather(data, folds[m].iter().copied());
    let member = MemberData {
        x: &x,
        y: &y,
        validation_x: &validation_x,
        validation_y: &validation_y,
        n_features: data.n_features,
    };
    train_single(&params, &member, on_epoch)
}

/// Trains Adam members with early stopping in step, stopped together by their pooled
/// held-out score (see [`fivedreg_nn::train_together`]). The members train on the one copy
/// of the training rows, each by its list of rows (all but its fold's): gathered copies
/// would hold K − 1 times the data at once.
fn train_members_together(
    params: &MlpValidParams,
    data: &MemberData<'_>,
    folds: &[Vec<usize>],
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Vec<Trained>> {
    let k = folds.len();
    let n = data.y.len();
    let member_params: Vec<MlpValidParams> = (0..k)
        .map(|m| member_params(params, m))
        .collect::<Result<_>>()?;
    let training_rows: Vec<Vec<usize>> = folds.iter().map(|f| outside_fold(n, f)).collect();
    let held_out: Vec<(Vec<f32>, Vec<f32>)> = folds
        .iter()
        .map(|fold| gather(data, fold.iter().copied()))
        .collect();
    let nf = data.n_features;
    let members: Vec<Member<'_>> = member_params
        .iter()
        .zip(&training_rows)
        .zip(&held_out)
        .map(|((params, rows), (x, y))| Member {
            params,
            train: Samples {
                x: data.x,
                y: data.y,
                n_features: nf,
            },
            rows: Some(rows),
            validation: Samples {
                x,
                y,
                n_features: nf,
            },
        })
        .collect();
    Ok(fivedreg_nn::train_together(
        &members,
        params.resolved_threads(),
        on_epoch,
    )?)
}

/// Trains one member per fold, on up to `params`' thread count of threads at once (each
/// member on one thread). Adam members with early stopping train in step and stop together
/// on their pooled held-out score; the others each train to their own end. Which thread
/// trains a member never changes it, so the result is the same whatever the thread count.
/// `on_epoch` is called on the caller's thread, with the epochs of all members as they come.
pub(crate) fn train_members(
    params: &MlpValidParams,
    data: &MemberData<'_>,
    folds: &[Vec<usize>],
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Vec<Trained>> {
    let p = params.params();
    if p.solver == Solver::Adam && p.early_stopping {
        return train_members_together(params, data, folds, on_epoch);
    }
    let k = folds.len();
    let threads = params.resolved_threads().min(k).max(1);
    if threads == 1 {
        return (0..k)
            .map(|m| {
                let mut report = |s: &EpochStats| on_epoch(&EpochStats { member: m, ..*s });
                train_member(params, data, folds, m, &mut report)
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<EpochStats>();
    let mut results: Vec<Option<Result<Trained>>> = (0..k).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let sender = sender.clone();
                let next = &next;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let m = next.fetch_add(1, Ordering::Relaxed);
                        if m >= k {
                            break;
                        }
                        let mut report = |s: &EpochStats| {
                            // The receiver outlives the workers; a send cannot fail here.
                            let _ = sender.send(EpochStats { member: m, ..*s });
                        };
                        done.push((m, train_member(params, data, folds, m, &mut report)));
                    }
                    done
                })
            })
            .collect();
        drop(sender);
        for stats in receiver {
            on_epoch(&stats);
        }
        for worker in workers {
            match worker.join() {
                Ok(done) => {
                    for (m, result) in done {
                        results[m] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::Inconsistent("a member was not trained".into()))))
        .collect()
}

/// Fits the final kernel model on every row that may be a centre (`is_center`), and one
/// per fold on those rows outside the fold (`x` standardized, f64; `y` standardized); the
/// fits run in parallel on the network options' threads, the final (largest) first so that
/// the folds fill in around it, and end when their stop flag is set. Each fit is the same
/// whatever thread runs it. Returns the final model and the fold models.
pub(crate) fn fit_kernels(
    x: &[f64],
    y: &[f64],
    n_features: usize,
    folds: &[Vec<usize>],
    is_center: &[bool],
    kernel: &KernelOptions,
    network: &fivedreg_nn::MlpValidParams,
) -> Result<(RbfModel, Vec<RbfModel>)> {
    let (stop, threads) = (&network.params().stop, network.resolved_threads());
    // Job 0 is the final model (no row held out), job m + 1 the model without fold m.
    let fit_one = |job: usize| -> Result<RbfModel> {
        let candidates = match job.checked_sub(1) {
            None => (0..y.len()).collect(),
            Some(m) => outside_fold(y.len(), &folds[m]),
        };
        let rows: Vec<usize> = candidates.into_iter().filter(|&i| is_center[i]).collect();
        let xs: Vec<f64> = rows
            .iter()
            .flat_map(|&i| x[i * n_features..(i + 1) * n_features].iter().copied())
            .collect();
        let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        RbfModel::fit_until(
            &xs,
            &ys,
            n_features,
            kernel.kernel,
            kernel.smoothing,
            &|| stop.is_set(),
        )
    };
    let mut fitted = crate::parallel::map_jobs(folds.len() + 1, threads, fit_one)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let full = fitted.remove(0);
    Ok((full, fitted))
}

/// Index of the first seed derived (by [`fivedreg_rng::derive_seed`]) for the tree models'
/// row subsamples, one per fold; far from the members' and the kernel centres' indices.
const TREE_SEED_INDEX: u64 = 1 << 41;

/// Fits one tree model per fold on the rows outside it (`x` standardized, f64, row-major;
/// `y` standardized), in parallel on up to `threads` threads, then keeps in every model the
/// number of trees whose squared error on the held-out folds, pooled, is least (the first
/// such count). Each fit depends on its rows and seed only, so the models are the same
/// whatever the thread count.
pub(crate) fn fit_trees(
    x: &[f64],
    y: &[f64],
    n_features: usize,
    folds: &[Vec<usize>],
    options: &TreeOptions,
    network: &fivedreg_nn::MlpParams,
    threads: usize,
) -> Result<Vec<BoostedTrees>> {
    // The network options' seed seeds the row subsamples; their stop flag stops the fits.
    let (seed, stop) = (network.seed, &network.stop);
    let rows_of = |rows: &[usize]| -> (Vec<f64>, Vec<f64>) {
        let xs = rows
            .iter()
            .flat_map(|&i| x[i * n_features..(i + 1) * n_features].iter().copied())
            .collect();
        (xs, rows.iter().map(|&i| y[i]).collect())
    };
    let fit_one = |m: usize| -> Result<(BoostedTrees, Vec<f64>)> {
        let (xs, ys) = rows_of(&outside_fold(y.len(), &folds[m]));
        let params =
            options.boost_params(fivedreg_rng::derive_seed(seed, TREE_SEED_INDEX + m as u64))?;
        let model = BoostedTrees::fit_until(&xs, &ys, n_features, &params, &|| stop.is_set())?;
        let (held_x, held_y) = rows_of(&folds[m]);
        let staged = model.staged_squared_errors(&held_x, &held_y);
        Ok((model, staged))
    };
    let fitted = crate::parallel::map_jobs(folds.len(), threads, fit_one)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let grown = fitted.iter().map(|(m, _)| m.n_trees()).min().unwrap_or(0);
    let mut pooled = vec![0.0; grown];
    for (_, staged) in &fitted {
        pooled.iter_mut().zip(staged).for_each(|(p, e)| *p += e);
    }
    let keep = pooled
        .iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (t, &e)| match best {
            Some((_, b)) if b <= e => best,
            _ => Some((t, e)),
        })
        .map_or(grown, |(t, _)| t + 1);
    Ok(fitted
        .into_iter()
        .map(|(mut model, _)| {
            model.truncate(keep);
            model
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{fit_kernels, folds};
    use crate::kernel::{RbfKernel, RbfModel};
    use crate::options::KernelOptions;

    #[test]
    fn the_kernel_fits_are_the_final_and_the_fold_models_whatever_the_thread_count() {
        let (n, d) = (60, 2);
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
            .collect();
        let y: Vec<f64> = x
            .chunks_exact(d)
            .map(|r| r[0].sin() + r[1] * r[1])
            .collect();
        // Every third row may not be a centre.
        let is_center: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        let folds = folds(n, 4, 9).unwrap();
        let kernel = KernelOptions {
            kernel: RbfKernel::Cubic,
            smoothing: 1e-3,
        };
        let fit_on = |keep: &dyn Fn(usize) -> bool| {
            let rows: Vec<usize> = (0..n).filter(|&i| is_center[i] && keep(i)).collect();
            let xs: Vec<f64> = rows
                .iter()
                .flat_map(|&i| x[i * d..(i + 1) * d].to_vec())
                .collect();
            let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            RbfModel::fit(&xs, &ys, d, kernel.kernel, kernel.smoothing).unwrap()
        };
        let full = fit_on(&|_| true);
        let per_fold: Vec<RbfModel> = folds
            .iter()
            .map(|fold| fit_on(&|i| !fold.contains(&i)))
            .collect();
        let network = |threads: usize| {
            fivedreg_nn::MlpParams {
                threads,
                ..Default::default()
            }
            .check()
            .unwrap()
        };
        for threads in [1, 2, 3] {
            let (f, m) =
                fit_kernels(&x, &y, d, &folds, &is_center, &kernel, &network(threads)).unwrap();
            assert_eq!(f, full, "{threads} threads");
            assert_eq!(m, per_fold, "{threads} threads");
        }
        // A flag set before the fits stops every one of them.
        let stopped = network(2);
        stopped.params().stop.stop();
        assert!(matches!(
            fit_kernels(&x, &y, d, &folds, &is_center, &kernel, &stopped),
            Err(crate::Error::Nn(fivedreg_nn::NnError::Stopped))
        ));
    }

    #[test]
    fn folds_partition_the_rows_evenly_and_depend_on_the_seed_only() {
        let f = folds(103, 8, 42).unwrap();
        assert_eq!(f.len(), 8);
        let mut all: Vec<usize> = f.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        assert!(f.iter().all(|fold| fold.len() == 12 || fold.len() == 13));
        assert_eq!(f, folds(103, 8, 42).unwrap());
        assert_ne!(f, folds(103, 8, 43).unwrap());
        assert!(folds(9, 5, 1).is_err());
    }
}
