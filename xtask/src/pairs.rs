//! The side-by-side measurements `bench` and `speed` share: fivedreg and scikit-learn run in
//! alternation (A B A B …) so that machine load hits both alike, the load average is read
//! before each pair, and each measurement is repeated as [`crate::stats`] asks.

use crate::machine::load_average;
use crate::model::{FitPairs, FitRun, RepeatedFit, SeedAccuracy, SeedResult, SklearnRun};
use crate::model::{Throughput, ThroughputPair};
use crate::sklearn::{Sklearn, SplitFiles};
use crate::stats;
use crate::task::{FitSettings, Task};
use crate::worker;
use anyhow::{ensure, Result};
use std::path::{Path, PathBuf};

fn progress(message: &str) {
    eprintln!("[xtask] {message}");
}

/// scikit-learn during a run: the interpreter while it works; after a failure, why it
/// stopped (the rest of the run goes on without it).
pub struct SklearnSide {
    sklearn: Option<Sklearn>,
    failure: Option<String>,
}

impl SklearnSide {
    /// scikit-learn when `sklearn` is given, else none.
    pub fn new(sklearn: Option<Sklearn>) -> SklearnSide {
        SklearnSide {
            sklearn,
            failure: None,
        }
    }

    /// The interpreter, while it works.
    pub fn get(&self) -> Option<&Sklearn> {
        self.sklearn.as_ref()
    }

    /// Why scikit-learn stopped, if it failed.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Runs `f` with scikit-learn; `None` when it is not available or `f` fails (then it is
    /// not used again, and the failure is kept for the report).
    pub fn attempt<T>(&mut self, f: impl FnOnce(&Sklearn) -> Result<T>) -> Option<T> {
        let result = f(self.sklearn.as_ref()?);
        match result {
            Ok(value) => Some(value),
            Err(why) => {
                let why = format!("{why:#}");
                progress(&format!(
                    "scikit-learn failed, continuing without it: {why}"
                ));
                self.failure = Some(why);
                self.sklearn = None;
                None
            }
        }
    }
}

/// The default fit of `task`, fivedreg and scikit-learn (when `with_sklearn`) alternating,
/// repeated until [`stats::enough`]; then R² over
/// [`stats::seeds`] seeds (the task's seed and the next ones) for both sides. The first
/// fivedreg run writes its model to `model_out`.
pub fn fit_pairs(
    task: Task,
    settings: &FitSettings,
    model_out: Option<PathBuf>,
    side: &mut SklearnSide,
    with_sklearn: bool,
    workdir: &Path,
) -> Result<FitPairs> {
    let n = task.n_samples;
    let files = if with_sklearn {
        side.attempt(|_| SplitFiles::write(task, workdir))
    } else {
        None
    };
    let mut fits: Vec<FitRun> = Vec::new();
    let mut sklearn: Vec<SklearnRun> = Vec::new();
    let mut load_averages = Vec::new();
    // The longer side of each pair.
    let mut longest: Vec<f64> = Vec::new();
    while !stats::enough(&longest) {
        let i = fits.len();
        load_averages.push(load_average());
        let run = worker::fit(task, settings.clone(), model_out.clone().filter(|_| i == 0))?;
        progress(&format!(
            "fivedreg n = {n}, run {}: {:.3} s, {} epochs, test R² {:.4}",
            i + 1,
            run.fit_seconds,
            run.epochs,
            run.test.r2
        ));
        fits.push(run);
        if let Some(files) = &files {
            if let Some(run) = side.attempt(|sk| sk.seed_run(files, settings.max_epochs, i == 0)) {
                progress(&format!(
                    "scikit-learn n = {n}, run {}: {:.3} s, {} epochs, test R² {:.4}",
                    i + 1,
                    run.fit_seconds,
                    run.iterations,
                    run.test.r2
                ));
                sklearn.push(run);
            }
        }
        let theirs = sklearn.get(i).map_or(0.0, |r| r.fit_seconds);
        longest.push(fits[i].fit_seconds.max(theirs));
    }
    if sklearn.len() != fits.len() {
        // scikit-learn failed part-way: unpaired runs would skew the ratios.
        sklearn.clear();
    }
    let fastest = longest.iter().copied().fold(f64::INFINITY, f64::min);
    let seeds = seed_accuracy(task, settings, &fits, &sklearn, fastest, side, workdir)?;
    Ok(FitPairs {
        n_samples: n,
        fivedreg: RepeatedFit::new(fits)?,
        sklearn,
        load_averages,
        seeds,
    })
}

/// R² over seeds, both sides: the timed runs' seed first, then the next seeds, as many as
/// [`stats::seeds`] asks for a fit that takes `fit_seconds` (the longer side's).
fn seed_accuracy(
    task: Task,
    settings: &FitSettings,
    fits: &[FitRun],
    sklearn: &[SklearnRun],
    fit_seconds: f64,
    side: &mut SklearnSide,
    workdir: &Path,
) -> Result<SeedAccuracy> {
    let ours = |r: &FitRun| SeedResult {
        seed: r.seed,
        r2: r.test.r2,
        epochs: r.epochs,
    };
    let theirs = |r: &SklearnRun| SeedResult {
        seed: r.seed,
        r2: r.test.r2,
        epochs: r.iterations,
    };
    let mut accuracy = SeedAccuracy {
        fivedreg: fits.first().map(ours).into_iter().collect(),
        sklearn: sklearn.first().map(theirs).into_iter().collect(),
    };
    let with_sklearn = !sklearn.is_empty();
    let seeds = stats::seeds(fit_seconds) as u64;
    for offset in 1..seeds {
        let seeded = Task {
            seed: task.seed + offset,
            ..task
        };
        let run = worker::fit(seeded, settings.clone(), None)?;
        accuracy.fivedreg.push(ours(&run));
        if with_sklearn {
            let run = side.attempt(|sk| {
                let files = SplitFiles::write(seeded, workdir)?;
                sk.seed_run(&files, settings.max_epochs, false)
            });
            match run {
                Some(run) => accuracy.sklearn.push(theirs(&run)),
                None => accuracy.sklearn.clear(),
            }
        }
    }
    progress(&format!(
        "R² over {} seeds at n = {}: fivedreg {:.4}{}",
        accuracy.fivedreg.len(),
        task.n_samples,
        accuracy.fivedreg_r2().mean,
        accuracy
            .sklearn_r2()
            .map_or(String::new(), |m| format!(", scikit-learn {:.4}", m.mean))
    ));
    Ok(accuracy)
}

/// Fixed-epoch throughput on `task`: fivedreg on one thread, fivedreg on the default thread
/// count and scikit-learn, back to back in each pair, repeated until [`stats::enough`].
pub fn throughput(
    task: Task,
    epochs: usize,
    side: &mut SklearnSide,
    workdir: &Path,
    default_threads: usize,
) -> Result<Throughput> {
    let files = side.attempt(|_| SplitFiles::write(task, workdir));
    let mut result = Throughput {
        n_samples: task.n_samples,
        train_rows: 0,
        epochs,
        sklearn_rows_epochs: None,
        default_threads,
        pairs: Vec::new(),
    };
    // The longest run of each pair.
    let mut longest: Vec<f64> = Vec::new();
    while !stats::enough(&longest) {
        let load = load_average();
        let one = worker::fit(task, FitSettings::fixed_epochs(epochs, 1), None)?;
        let all = worker::fit(task, FitSettings::fixed_epochs(epochs, 0), None)?;
        for run in [&one, &all] {
            ensure!(
                run.epochs == epochs,
                "the fixed-epoch run stopped after {} of {epochs} epochs",
                run.epochs
            );
        }
        // Two one-thread fits at once, each in its own process: the two-core capacity this
        // machine gives right now (a virtual machine's second CPU may be shared).
        let two_at_once = if default_threads >= 2 {
            let settings = FitSettings::fixed_epochs(epochs, 1);
            let (a, b) = std::thread::scope(|scope| {
                let other = scope.spawn(|| worker::fit(task, settings.clone(), None));
                let mine = worker::fit(task, settings.clone(), None);
                (mine, other.join())
            });
            let b = b.map_err(|_| anyhow::anyhow!("a two-at-once fit panicked"))?;
            Some(a?.fit_seconds.max(b?.fit_seconds))
        } else {
            None
        };
        result.train_rows = one.train_rows;
        let sklearn = files
            .as_ref()
            .and_then(|files| side.attempt(|sk| sk.fixed_epochs(files, epochs)));
        if let Some(out) = &sklearn {
            result.sklearn_rows_epochs = Some((out.train_rows, out.epochs));
        }
        progress(&format!(
            "throughput pair {}: fivedreg {:.3} s (1 thread), {:.3} s (default threads), {} \
             (two 1-thread fits at once); scikit-learn {}",
            result.pairs.len() + 1,
            one.fit_seconds,
            all.fit_seconds,
            two_at_once.map_or("-".to_string(), |s| format!("{s:.3} s")),
            sklearn.map_or("-".to_string(), |s| format!("{:.3} s", s.fit_seconds))
        ));
        longest.push(
            one.fit_seconds
                .max(all.fit_seconds)
                .max(sklearn.map_or(0.0, |s| s.fit_seconds)),
        );
        result.pairs.push(ThroughputPair {
            load_average: load,
            one_thread_seconds: one.fit_seconds,
            default_threads_seconds: all.fit_seconds,
            two_at_once_seconds: two_at_once,
            sklearn_seconds: sklearn.map(|s| s.fit_seconds),
        });
    }
    if result.pairs.iter().any(|p| p.sklearn_seconds.is_none()) {
        // scikit-learn failed part-way: keep fivedreg's runs, drop the unpaired ones.
        for pair in &mut result.pairs {
            pair.sklearn_seconds = None;
        }
        result.sklearn_rows_epochs = None;
    }
    Ok(result)
}

/// A fivedreg fit repeated (same seed) as [`stats::enough`] asks.
pub fn repeated_fit(task: Task, settings: &FitSettings) -> Result<RepeatedFit> {
    let mut runs: Vec<FitRun> = Vec::new();
    while !stats::enough(&runs.iter().map(|r| r.fit_seconds).collect::<Vec<_>>()) {
        runs.push(worker::fit(task, settings.clone(), None)?);
    }
    RepeatedFit::new(runs)
}
