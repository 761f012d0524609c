"""scikit-learn MLPRegressor runs for `cargo xtask bench` (run by xtask, not by hand).

Usage (one measurement per process, so the process's peak RSS belongs to it):
  sklearn_runner.py probe
  sklearn_runner.py seed TRAIN.npy TEST.npy SEED [MAX_ITER]
  sklearn_runner.py fixed TRAIN.npy EPOCHS SEED
TRAIN/TEST are float64 arrays of shape (rows, features + 1), the target in the last column,
holding exactly the rows of fivedreg's own split. Prints one JSON object on stdout.

`seed` is the configuration of the seed system and of
shared/reference/sklearn_seed_benchmark.py: X standardized with the training rows'
statistics (y not), hidden (64, 32, 16), ReLU, Adam lr 1e-3, max_iter 500 (or MAX_ITER),
early_stopping=True (which carves its own 10% validation out of the training rows).
`fixed` runs exactly EPOCHS epochs without early stopping, for throughput.
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


def model(seed, **overrides):
    from sklearn.neural_network import MLPRegressor

    params = dict(
        hidden_layer_sizes=(64, 32, 16),
        learning_rate_init=1e-3,
        max_iter=500,
        early_stopping=True,
        activation="relu",
        solver="adam",
        random_state=seed,
    )
    params.update(overrides)
    return MLPRegressor(**params)


def rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def seed_run(train_path, test_path, seed, max_iter):
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.preprocessing import StandardScaler

    x_train, y_train = load(train_path)
    x_test, y_test = load(test_path)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    m = model(seed, max_iter=max_iter)
    t = time.perf_counter()
    m.fit(x_train, y_train)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    p = m.predict(x_test)
    predict_s = time.perf_counter() - t
    rss = rss_kib()

    # Memory as the seed system measured it: tracemalloc around a second, identical fit
    # (same random_state), kept apart so tracing does not slow the timed run.
    traced = model(seed, max_iter=max_iter)
    tracemalloc.start()
    traced.fit(x_train, y_train)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    traced.predict(x_test)
    predict_peak = tracemalloc.get_traced_memory()[1]
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
        tracemalloc_peak_bytes=int(fit_peak),
        tracemalloc_predict_peak_bytes=int(predict_peak),
        rss_peak_kib=int(rss),
    )


def fixed_run(train_path, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    x_train, y_train = load(train_path)
    x_train = StandardScaler().fit_transform(x_train)
    # n_iter_no_change above the epoch count: the loss rule can never stop it early.
    m = model(seed, max_iter=epochs, early_stopping=False, n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        m.fit(x_train, y_train)
        fit_s = time.perf_counter() - t
    return dict(train_rows=int(x_train.shape[0]), epochs=int(m.n_iter_), fit_seconds=fit_s)


def main(argv):
    if argv[:1] == ["probe"]:
        out = probe()
    elif argv[:1] == ["seed"] and len(argv) in (4, 5):
        max_iter = int(argv[4]) if len(argv) == 5 else 500
        out = seed_run(argv[1], argv[2], int(argv[3]), max_iter)
    elif argv[:1] == ["fixed"] and len(argv) == 4:
        out = fixed_run(argv[1], int(argv[2]), int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
