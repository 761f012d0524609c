//! `--auto`'s budget counts work from operation counts, not wall time: a busy machine
//! stretches the wall time instead of changing the model.

use fivedreg::{AutoOptions, FitOptions, Interpolator, MlpParams, SearchStop};
use fivedreg_data::{generate, TestFunction};
use std::sync::atomic::{AtomicBool, Ordering};

fn options(budget: f64, threads: usize) -> fivedreg::ValidAutoOptions {
    AutoOptions {
        budget_seconds: budget,
        folds: 3,
        base: FitOptions {
            network: MlpParams {
                threads,
                max_epochs: 60,
                ..Default::default()
            },
            ..Default::default()
        },
    }
    .check()
    .unwrap()
}

/// With a CPU hog spinning on every core, `--auto` with the same seed and a budget that
/// stops the search about halfway down its candidate list trains the same candidates and
/// writes the same model file as on the idle machine, 10 runs out of 10.
#[test]
fn a_busy_machine_trains_the_same_candidates_and_writes_the_same_file() {
    // Friedman #1, as in the accuracy report, at a size that keeps the test short.
    let data = generate(TestFunction::Friedman1, 200, 5, 0.5, 21).unwrap();
    let run = |budget: f64| {
        let mut names = Vec::new();
        let model = Interpolator::fit_auto(&data, &options(budget, 2), &mut |e| {
            names.push(e.config.clone())
        })
        .unwrap()
        .interpolator;
        names.sort();
        (model.to_bytes().unwrap(), names, model)
    };
    // The whole search's work, then the largest of a few fractions of it whose budget stops
    // the search about halfway (cheap candidates after a skipped costly one still run, so
    // half the work is not half the candidates).
    let (_, all, full) = run(1e5);
    let spent = full.summary().search.as_ref().unwrap().spent;
    let (budget, idle_bytes, idle_names, idle) = [0.5, 0.35, 0.25, 0.15, 0.1, 0.06]
        .iter()
        .map(|f| {
            let (bytes, names, model) = run(spent * f);
            (spent * f, bytes, names, model)
        })
        .find(|(_, _, names, _)| names.len() * 10 <= all.len() * 7)
        .expect("a budget that cuts the search");
    let search = idle.summary().search.as_ref().unwrap();
    assert_eq!(search.stop, SearchStop::Budget);
    assert!(
        idle_names.len() * 10 >= all.len() * 3,
        "the budget decides: {} of {} candidates",
        idle_names.len(),
        all.len()
    );
    let stop = AtomicBool::new(false);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    std::hint::black_box(x);
                }
            });
        }
        for attempt in 0..10 {
            let (bytes, names, _) = run(budget);
            assert_eq!(names, idle_names, "run {attempt} under load");
            assert!(
                bytes == idle_bytes,
                "run {attempt} under load wrote another file"
            );
        }
        stop.store(true, Ordering::Relaxed);
    });
}

/// Robustness III, case 5: the budget bounds the first candidate too. On 50,000 rows at a
/// budget of 0.2 work-seconds the first candidate alone (an L-BFGS network on 40,000 rows)
/// would be about a hundred times over; the search runs on a subsample drawn from the
/// seed, the same one every time, and says so in its row counts.
#[test]
fn a_budget_too_small_for_the_first_candidate_subsamples_the_rows() {
    let data = generate(TestFunction::SumOfSquares, 50_000, 5, 0.1, 5).unwrap();
    let run = || {
        Interpolator::fit_auto(&data, &options(0.2, 2), &mut |_| {})
            .unwrap()
            .interpolator
    };
    let model = run();
    let summary = model.summary();
    let rows = summary.train_samples + summary.validation_samples + summary.test_samples;
    assert!(rows < 10_000, "searched {rows} rows");
    assert!(rows >= 2_000, "searched {rows} rows");
    let search = summary.search.as_ref().unwrap();
    assert!(search.spent <= 0.2 * 1.5, "{search:?}");
    assert_eq!(model.to_bytes().unwrap(), run().to_bytes().unwrap());
}
