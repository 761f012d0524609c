"""fivedreg from Python next to scikit-learn's MLPRegressor, measured in one Python process.

    python crates/python/bench/bench_python.py [--rows 10000] [--fivedreg target/release/fivedreg]
                                               [--repeats 5] [--json results.json]

Both regressors fit the same rows (the seed task, y = x1² + ... + x5² + noise, x ~ N(0, 1),
made by `fivedreg generate` when the command is given, else by numpy) with the seed
system's configuration: hidden (64, 32, 16), ReLU, Adam lr 1e-3, at most 500 epochs, early
stopping on 10% of the rows, inputs standardized (MLPRegressor in a Pipeline behind a
StandardScaler; FiveDRegressor standardizes itself). Each then predicts as many fresh rows.

Timed: fit seconds (median of --repeats fits for fivedreg, one fit for MLPRegressor unless
--sklearn-repeats says otherwise) and predict rows/s (best of repeated calls). Two more
lines measure what the Python layer costs:
- "fivedreg command": `fivedreg train --json`'s own train_seconds on the same rows, split
  and seed (the same model, byte for byte, so the same epochs), when --fivedreg is given,
  its runs alternating with the estimator's so that both see the same machine load;
- "fivedreg native predict": the extension's predict without scikit-learn's input checks.
Prints a markdown table on stdout.
"""

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np


def seed_task(rows, seed, binary):
    """(X, y) of the seed task: from `fivedreg generate` when `binary` is given."""
    if binary is None:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((rows, 5))
        return X, (X**2).sum(axis=1) + 0.1 * rng.standard_normal(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.csv")
        subprocess.run(
            [binary, "generate", "--samples", str(rows), "--noise", "0.1", "--seed", str(seed), "-o", path],
            check=True,
        )
        with open(path, newline="") as f:
            table = [[float(v) for v in row] for row in list(csv.reader(f))[1:]]
    data = np.array(table)
    return np.ascontiguousarray(data[:, :-1]), data[:, -1].copy()


def write_training_csv(path, X, y):
    """The rows as the command's training CSV (x0..x4, y: a model fitted on these rows from
    numpy arrays has the same names, so the two model files are the same bytes)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f"x{i}" for i in range(X.shape[1])] + ["y"])
        writer.writerows([[repr(float(v)) for v in row] for row in np.column_stack([X, y])])


def command_fit(binary, data, model, seed):
    """`fivedreg train --json` with the estimator's split (0.9, 0.1, 0) and seed: its own
    train_seconds and epochs."""
    out = subprocess.run(
        [binary, "train", data, "-o", model, "--split", "0.9,0.1,0", "--seed", str(seed), "--json"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    summary = json.loads(out)
    return summary["train_seconds"], summary["epochs"]


def timed_fit(make, X, y, repeats):
    """(median fit seconds, the last fitted estimator)."""
    seconds = []
    for _ in range(repeats):
        estimator = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            estimator.fit(X, y)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), estimator


def predict_rate(predict, X, min_seconds=0.5):
    """Rows per second of `predict(X)`: the best call among repeats lasting `min_seconds`."""
    best = float("inf")
    spent = 0.0
    calls = 0
    while spent < min_seconds or calls < 3:
        start = time.perf_counter()
        predict(X)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        calls += 1
    return X.shape[0] / best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=5, help="fivedreg fits (median)")
    parser.add_argument("--sklearn-repeats", type=int, default=1, help="MLPRegressor fits (median)")
    parser.add_argument("--fivedreg", help="the fivedreg command, for its data and its own timing")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]

    import sklearn
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import fivedreg
    from fivedreg import FiveDRegressor

    X, y = seed_task(args.rows, args.seed, args.fivedreg)
    X_new, y_new = seed_task(args.rows, args.seed + 1, args.fivedreg)
    config = dict(hidden_layer_sizes=(64, 32, 16), learning_rate_init=1e-3, max_iter=500,
                  early_stopping=True, validation_fraction=0.1, random_state=args.seed)

    results = {}
    fit_s, sk = timed_fit(
        lambda: make_pipeline(StandardScaler(), MLPRegressor(activation="relu", solver="adam", **config)),
        X, y, args.sklearn_repeats,
    )
    results["MLPRegressor"] = dict(
        fit_seconds=fit_s, epochs=int(sk[-1].n_iter_),
        predict_rows_per_second=predict_rate(sk.predict, X_new), r2=float(r2_score(y_new, sk.predict(X_new))),
    )
    # The estimator's fits and the command's alternate, so that both see the same load.
    python_seconds, command_seconds = [], []
    with tempfile.TemporaryDirectory() as folder:
        data, model = os.path.join(folder, "train.csv"), os.path.join(folder, "m.fdr")
        write_training_csv(data, X, y)
        for _ in range(args.repeats):
            seconds, fd = timed_fit(lambda: FiveDRegressor(**config), X, y, 1)
            python_seconds.append(seconds)
            if args.fivedreg:
                command_seconds.append(command_fit(args.fivedreg, data, model, args.seed))
    fit_s = statistics.median(python_seconds)
    results["fivedreg from Python"] = dict(
        fit_seconds=fit_s, epochs=int(fd.n_iter_),
        predict_rows_per_second=predict_rate(fd.predict, X_new), r2=float(r2_score(y_new, fd.predict(X_new))),
    )
    native = predict_rate(fd._model.predict, X_new)
    if command_seconds:
        results["fivedreg command"] = dict(
            fit_seconds=statistics.median(s for s, _ in command_seconds), epochs=command_seconds[0][1]
        )

    sk_r, py_r = results["MLPRegressor"], results["fivedreg from Python"]
    print(f"fivedreg from Python next to MLPRegressor: {args.rows} training rows, {args.rows} "
          f"predicted rows, seed {args.seed}; Python {platform.python_version()}, scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__}, fivedreg {fivedreg.__version__}, "
          f"{os.cpu_count()} cores, load average {load:.2f} at the start\n")
    print("| regressor | fit seconds | epochs | seconds per epoch | predict rows/s | R² (fresh rows) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        if "predict_rows_per_second" in r:
            print(f"| {name} | {r['fit_seconds']:.3f} | {r['epochs']} | {r['fit_seconds'] / r['epochs']:.5f} "
                  f"| {r['predict_rows_per_second']:,.0f} | {r['r2']:.4f} |")
    if "fivedreg command" in results:
        c = results["fivedreg command"]
        print(f"| fivedreg command (train_seconds, same model) | {c['fit_seconds']:.3f} | {c['epochs']} "
              f"| {c['fit_seconds'] / c['epochs']:.5f} | | |")
    print(f"| fivedreg native predict (no input checks) | | | | {native:,.0f} | |")
    print()
    print(f"- fit: fivedreg from Python is {sk_r['fit_seconds'] / py_r['fit_seconds']:.1f}x faster than "
          f"MLPRegressor ({sk_r['fit_seconds'] / sk_r['epochs'] / (py_r['fit_seconds'] / py_r['epochs']):.1f}x per epoch)")
    print(f"- predict: {py_r['predict_rows_per_second'] / sk_r['predict_rows_per_second']:.1f}x MLPRegressor's rows/s; "
          f"the Python layer keeps {100 * py_r['predict_rows_per_second'] / native:.0f}% of the native rate")
    if "fivedreg command" in results:
        c = results["fivedreg command"]
        kept = 100 * c["fit_seconds"] / py_r["fit_seconds"]
        print(f"- the Python layer keeps {kept:.0f}% of the command's fit speed (and so of its speed-up over "
              f"MLPRegressor); epochs {py_r['epochs']} from Python, {c['epochs']} from the command")
    results["native_predict_rows_per_second"] = native
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=args.rows, seed=args.seed, results=results), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
