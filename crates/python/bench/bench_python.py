"""fivedreg from Python next to scikit-learn's MLPRegressor, measured in one Python process.

    python crates/python/bench/bench_python.py [--rows 10000] [--fivedreg target/release/fivedreg]
                                               [--repeats 5] [--json results.json]

Both regressors fit the same rows (the seed task, y = x1² + ... + x5² + noise, x ~ N(0, 1),
made by `fivedreg generate` when the command is given, else by numpy) with the seed
system's configuration: hidden (64, 32, 16), ReLU, Adam lr 1e-3, at most 500 epochs, early
stopping on 10% of the rows, inputs standardized (MLPRegressor in a Pipeline behind a
StandardScaler; FiveDRegressor standardizes itself). Each then predicts as many fresh rows.

Timed: fit seconds (median of --repeats fits for fivedreg, one fit for MLPRegressor unless
--sklearn-repeats says otherwise), fit CPU seconds (all threads; steadier than wall-clock
time on a loaded machine) and predict rows/s (best of repeated calls). Two more lines
measure what the Python layer costs:
- "fivedreg command": `fivedreg train --json`'s own train_seconds on the same rows, split
  and seed (the same model, byte for byte, so the same epochs), when --fivedreg is given,
  its runs alternating with the estimator's so that both see the same machine load;
- "fivedreg native": the same fits and predictions straight through the extension,
  without the scikit-learn layer (its input checks and attributes).
Prints a markdown table on stdout.
"""

import argparse
import csv
import json
import os
import platform
import resource
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
    train_seconds, its process's CPU seconds (reading the CSV file included) and epochs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [binary, "train", data, "-o", model, "--split", "0.9,0.1,0", "--seed", str(seed), "--json"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(out)
    return summary["train_seconds"], cpu, summary["epochs"]


def cpu_seconds():
    """User and system CPU seconds of this process so far, all its threads together."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(call):
    """(wall seconds, CPU seconds, result) of `call()`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu, start = cpu_seconds(), time.perf_counter()
        result = call()
        return time.perf_counter() - start, cpu_seconds() - cpu, result


def timed_fit(make, X, y, repeats):
    """(median fit seconds, median fit CPU seconds, the last fitted estimator)."""
    runs = []
    for _ in range(repeats):
        estimator = make()
        runs.append(timed(lambda: estimator.fit(X, y))[:2])
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs), estimator


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
    from fivedreg._native import Model

    X, y = seed_task(args.rows, args.seed, args.fivedreg)
    X_new, y_new = seed_task(args.rows, args.seed + 1, args.fivedreg)
    config = dict(hidden_layer_sizes=(64, 32, 16), learning_rate_init=1e-3, max_iter=500,
                  early_stopping=True, validation_fraction=0.1, random_state=args.seed)

    results = {}
    fit_s, fit_cpu, sk = timed_fit(
        lambda: make_pipeline(StandardScaler(), MLPRegressor(activation="relu", solver="adam", **config)),
        X, y, args.sklearn_repeats,
    )
    results["MLPRegressor"] = dict(
        fit_seconds=fit_s, fit_cpu_seconds=fit_cpu, epochs=int(sk[-1].n_iter_),
        predict_rows_per_second=predict_rate(sk.predict, X_new), r2=float(r2_score(y_new, sk.predict(X_new))),
    )
    # The estimator's fits, the same fits straight through the extension (no scikit-learn
    # layer) and the command's alternate, so that all see the same machine load.
    python_runs, native_runs, command_seconds = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        data, model = os.path.join(folder, "train.csv"), os.path.join(folder, "m.fdr")
        write_training_csv(data, X, y)
        for _ in range(args.repeats):
            fd = FiveDRegressor(**config)
            python_runs.append(timed(lambda: fd.fit(X, y))[:2])
            params = fd._native_params(len(X))
            names = [f"x{i}" for i in range(X.shape[1])]
            native_runs.append(timed(lambda: Model.fit(X, y, names, "y", params))[:2])
            if args.fivedreg:
                command_seconds.append(command_fit(args.fivedreg, data, model, args.seed))
    fit_s = statistics.median(wall for wall, _ in python_runs)
    results["fivedreg native fit (no scikit-learn layer)"] = dict(
        fit_seconds=statistics.median(wall for wall, _ in native_runs),
        fit_cpu_seconds=statistics.median(cpu for _, cpu in native_runs),
        epochs=int(fd.n_iter_),
    )
    results["fivedreg from Python"] = dict(
        fit_seconds=fit_s, fit_cpu_seconds=statistics.median(cpu for _, cpu in python_runs),
        epochs=int(fd.n_iter_),
        predict_rows_per_second=predict_rate(fd.predict, X_new), r2=float(r2_score(y_new, fd.predict(X_new))),
    )
    native = predict_rate(fd._model.predict, X_new)
    if command_seconds:
        results["fivedreg command"] = dict(
            fit_seconds=statistics.median(wall for wall, _, _ in command_seconds),
            fit_cpu_seconds=statistics.median(cpu for _, cpu, _ in command_seconds),
            epochs=command_seconds[0][2],
        )

    sk_r, py_r = results["MLPRegressor"], results["fivedreg from Python"]
    print(f"fivedreg from Python next to MLPRegressor: {args.rows} training rows, {args.rows} "
          f"predicted rows, seed {args.seed}; Python {platform.python_version()}, scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__}, fivedreg {fivedreg.__version__}, "
          f"{os.cpu_count()} cores, load average {load:.2f} at the start\n")
    print("| regressor | fit seconds | fit CPU seconds | epochs | seconds per epoch | predict rows/s | R² (fresh rows) |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def row(name, r, rate="", r2=""):
        cpu = f"{r['fit_cpu_seconds']:.3f}" if "fit_cpu_seconds" in r else ""
        print(f"| {name} | {r['fit_seconds']:.3f} | {cpu} | {r['epochs']} | "
              f"{r['fit_seconds'] / r['epochs']:.5f} | {rate} | {r2} |")

    for name in ("MLPRegressor", "fivedreg from Python"):
        r = results[name]
        row(name, r, f"{r['predict_rows_per_second']:,.0f}", f"{r['r2']:.4f}")
    native_fit = results["fivedreg native fit (no scikit-learn layer)"]
    row("fivedreg native fit and predict (no scikit-learn layer)", native_fit, f"{native:,.0f}")
    if "fivedreg command" in results:
        row("fivedreg command (train_seconds; CPU of the whole process, the same model)", results["fivedreg command"])
    print()
    print(f"- fit: fivedreg from Python is {sk_r['fit_seconds'] / py_r['fit_seconds']:.1f}x faster than "
          f"MLPRegressor ({sk_r['fit_seconds'] / sk_r['epochs'] / (py_r['fit_seconds'] / py_r['epochs']):.1f}x per epoch)")
    print(f"- predict: {py_r['predict_rows_per_second'] / sk_r['predict_rows_per_second']:.1f}x MLPRegressor's rows/s")
    print(f"- the scikit-learn layer keeps {100 * native_fit['fit_seconds'] / py_r['fit_seconds']:.0f}% of the "
          f"native fit speed ({100 * native_fit['fit_cpu_seconds'] / py_r['fit_cpu_seconds']:.0f}% in CPU seconds) "
          f"and {100 * py_r['predict_rows_per_second'] / native:.0f}% of the native predict rate")
    if "fivedreg command" in results:
        c = results["fivedreg command"]
        print(f"- fivedreg from Python keeps {100 * c['fit_seconds'] / py_r['fit_seconds']:.0f}% of the command's "
              f"fit speed in wall-clock seconds, {100 * c['fit_cpu_seconds'] / py_r['fit_cpu_seconds']:.0f}% in CPU "
              f"seconds, and so of its speed-up over MLPRegressor (epochs {py_r['epochs']} from Python, "
              f"{c['epochs']} from the command)")
    results["native_predict_rows_per_second"] = native
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=args.rows, seed=args.seed, results=results), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
