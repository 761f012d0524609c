"""scikit-learn MLPRegressor runs for `cargo xtask bench` and `speed` (run by xtask, not by hand).

Usage (one measurement per process, so the process's peak RSS belongs to it):
  sklearn_runner.py probe {}
  sklearn_runner.py seed '{"train": T, "test": V, "trace": BOOL, "network": {...}}'
  sklearn_runner.py fixed '{"train": T, "network": {...}}'
T and V are float64 .npy arrays of shape (rows, features + 1), the target in the last column,
holding exactly the rows of fivedreg's own split. "network" holds MLPRegressor's keyword
arguments, built by xtask from fivedreg's defaults (hidden layers, learning rate, alpha,
batch, Adam's constants, tol, n_iter_no_change, max_iter, random_state, early_stopping).
Prints one JSON object on stdout.

`seed` is the configuration of the seed system and of
shared/reference/sklearn_seed_benchmark.py: X standardized with the training rows'
statistics (y not), early_stopping=True (which carves its own 10% validation out of the
training rows). With "trace", a second, identical fit runs under tracemalloc for the memory
peaks (kept apart so that tracing does not slow the timed fit).
`fixed` runs exactly max_iter epochs without early stopping, for throughput.
"""
import json
import pickle
import resource
import sys
import time
import tracemalloc
import warnings


def probe():
    import numpy
    import sklearn

    blas = None
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            blas = f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}, {i.get('num_threads')} threads"
    except Exception:  # threadpoolctl is optional
        blas = None
    return dict(
        python=sys.version.split()[0],
        sklearn=sklearn.__version__,
        numpy=numpy.__version__,
        blas=blas,
    )


def load(path):
    import numpy as np

    a = np.load(path)
    return a[:, :-1], a[:, -1]


def model(network):
    from sklearn.neural_network import MLPRegressor

    network = dict(network)
    network["hidden_layer_sizes"] = tuple(network["hidden_layer_sizes"])
    return MLPRegressor(**network)


def rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def seed_run(config):
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.preprocessing import StandardScaler

    x_train, y_train = load(config["train"])
    x_test, y_test = load(config["test"])
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    m = model(config["network"])
    t = time.perf_counter()
    m.fit(x_train, y_train)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    p = m.predict(x_test)
    predict_s = time.perf_counter() - t

    fit_peak = predict_peak = None
    if config.get("trace"):
        # Memory as the seed system measured it: tracemalloc around a second, identical fit
        # (same random_state).
        traced = model(config["network"])
        tracemalloc.start()
        traced.fit(x_train, y_train)
        fit_peak = int(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        tracemalloc.start()
        traced.predict(x_test)
        predict_peak = int(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    mse = float(mean_squared_error(y_test, p))
    return dict(
        train_rows=int(x_train.shape[0]),
        fit_seconds=fit_s,
        iterations=int(m.n_iter_),
        r2=float(r2_score(y_test, p)),
        mse=mse,
        rmse=mse ** 0.5,
        mae=float(mean_absolute_error(y_test, p)),
        predict_seconds=predict_s,
        model_bytes=len(pickle.dumps(m)),
        tracemalloc_peak_bytes=fit_peak,
        tracemalloc_predict_peak_bytes=predict_peak,
        rss_peak_kib=int(rss_kib()),
    )


def fixed_run(config):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    x_train, y_train = load(config["train"])
    x_train = StandardScaler().fit_transform(x_train)
    m = model(config["network"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        m.fit(x_train, y_train)
        fit_s = time.perf_counter() - t
    return dict(train_rows=int(x_train.shape[0]), epochs=int(m.n_iter_), fit_seconds=fit_s)


def main(argv):
    commands = {"probe": lambda _: probe(), "seed": seed_run, "fixed": fixed_run}
    if len(argv) != 2 or argv[0] not in commands:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(commands[argv[0]](json.loads(argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
