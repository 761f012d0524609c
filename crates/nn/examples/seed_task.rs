//! Trains the default network on the seed task at 1,000, 5,000 and 10,000 samples (60/20/20,
//! X and y standardized with training statistics) and prints test R², epochs and seconds:
//! `cargo run --release -p fivedreg-nn --example seed_task -- [THREADS]`.

#[path = "../tests/common/mod.rs"]
mod common;

use fivedreg_nn::{train, MlpParams};

fn main() {
    let threads = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    for n in [1_000, 5_000, 10_000] {
        let task = common::seed_task(n, 7);
        let params = MlpParams {
            threads,
            ..Default::default()
        }
        .check()
        .expect("valid parameters");
        let trained = train(
            &params,
            task.train.samples(),
            Some(task.validation.samples()),
            &mut |_| {},
        )
        .expect("training runs");
        let pred = trained.mlp.predict(&task.test.x).expect("shapes agree");
        let h = &trained.history;
        println!(
            "n={n:>6}: test R2 {:.4}  epochs {:>3} (best {:>3})  train {:.3} s  ({:.0} sample-epochs/s)",
            common::r2(&task.test.y, &pred),
            h.epochs,
            h.best_epoch,
            h.seconds,
            (task.train.y.len() * h.epochs) as f64 / h.seconds
        );
    }
}
