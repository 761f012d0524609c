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
