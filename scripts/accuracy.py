"""The accuracy report: fivedreg's options against the regressors people reach for first, on
the same 80/20 split of public and synthetic data sets, test R² and wall seconds side by side.

Run through `cargo xtask accuracy` (which builds the release `fivedreg` and passes it here), or
    python scripts/accuracy.py --fivedreg target/release/fivedreg --out docs/accuracy [--quick]
with a Python that has numpy, scipy, scikit-learn, lightgbm, xgboost and catboost.

Every number is measured in this run. fivedreg runs as the command a user runs (`train`, then
`evaluate` on the held-out 20%); the others run in this process with OPENBLAS_CORETYPE as the
caller set it. Where the noise-free function is known, the noise ceiling is the R² of the
true function itself on the test rows.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def seed_task(n, rng):
    X = rng.standard_normal((n, 5))
    f = (X ** 2).sum(1)
    return X, f, f + 0.1 * rng.standard_normal(n)


def friedman1(n, rng):
    X = rng.uniform(size=(n, 5))
    f = 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]
    return X, f, f + 0.5 * rng.standard_normal(n)


def friedman2(n, rng):
    # scikit-learn's make_friedman2 (noise sd 125, its documented example's level).
    X = rng.uniform(size=(n, 4))
    X[:, 0] *= 100
    X[:, 1] = X[:, 1] * 520 * np.pi + 40 * np.pi
    X[:, 3] = X[:, 3] * 10 + 1
    f = (X[:, 0] ** 2 + (X[:, 1] * X[:, 2] - 1 / (X[:, 1] * X[:, 3])) ** 2) ** 0.5
    return X, f, f + 125 * rng.standard_normal(n)


def friedman3(n, rng):
    # scikit-learn's make_friedman3 (noise sd 0.1).
    X = rng.uniform(size=(n, 4))
    X[:, 0] *= 100
    X[:, 1] = X[:, 1] * 520 * np.pi + 40 * np.pi
    X[:, 3] = X[:, 3] * 10 + 1
    f = np.arctan((X[:, 1] * X[:, 2] - 1 / (X[:, 1] * X[:, 3])) / X[:, 0])
    return X, f, f + 0.1 * rng.standard_normal(n)


def ishigami(n, rng):
    X = rng.uniform(-np.pi, np.pi, size=(n, 3))
    f = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    return X, f, f + 0.1 * rng.standard_normal(n)


def borehole(n, rng):
    lo = np.array([0.05, 100, 63070, 990, 63.1, 700, 1120, 9855])
    hi = np.array([0.15, 50000, 115600, 1110, 116, 820, 1680, 12045])
    X = lo + (hi - lo) * rng.uniform(size=(n, 8))
    rw, r, tu, hu, tl, hl, length, kw = X.T
    lr = np.log(r / rw)
    f = 2 * np.pi * tu * (hu - hl) / (lr * (1 + 2 * length * tu / (lr * rw ** 2 * kw) + tu / tl))
    return X, f, f + 1.0 * rng.standard_normal(n)


def diabetes(_n, _rng):
    here = os.path.dirname(os.path.abspath(__file__))
    data = np.loadtxt(os.path.join(here, "..", "docs", "accuracy", "diabetes.csv"), delimiter=",",
                      skiprows=1)
    return data[:, :-1], None, data[:, -1]


SETS = [
    ("seed task 1,000", seed_task, 1000), ("seed task 5,000", seed_task, 5000),
    ("seed task 10,000", seed_task, 10000), ("Friedman #1 2,000", friedman1, 2000),
    ("Friedman #1 20,000", friedman1, 20000), ("Friedman #2 2,000", friedman2, 2000),
    ("Friedman #3 2,000", friedman3, 2000), ("Ishigami 2,000", ishigami, 2000),
    ("borehole 2,000", borehole, 2000), ("diabetes (442, real)", diabetes, 442),
]


def r2(y, p):
    y, p = np.asarray(y, float), np.asarray(p, float)
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def write_csv(path, X, y):
    names = [f"x{i + 1}" for i in range(X.shape[1])] + ["y"]
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=",".join(names), comments="",
               fmt="%.17g")


def fivedreg_runs(binary, train_csv, test_csv, workdir):
    variants = [
        ("fivedreg default", ["--split", "0.75,0.25,0"]),
        ("fivedreg --solver lbfgs", ["--solver", "lbfgs", "--split", "1,0,0"]),
        ("fivedreg --ensemble 8", ["--ensemble", "8", "--split", "1,0,0"]),
        ("fivedreg --auto", ["--auto", "--split", "1,0,0"]),
    ]
    out = {}
    for name, flags in variants:
        model = os.path.join(workdir, "m.fdr")
        t0 = time.perf_counter()
        subprocess.run([binary, "train", train_csv, "-o", model, "--json", *flags], check=True,
                       stdout=subprocess.PIPE)
        seconds = time.perf_counter() - t0
        ev = subprocess.run([binary, "evaluate", model, test_csv, "--json"], check=True,
                            stdout=subprocess.PIPE)
        out[name] = dict(r2=json.loads(ev.stdout)["r2"], seconds=seconds)
    return out


def python_runs(Xtr, ytr, Xte, yte, quick):
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR
    from sklearn.compose import TransformedTargetRegressor

    def scaled(model):
        return TransformedTargetRegressor(make_pipeline(StandardScaler(), model),
                                          transformer=StandardScaler())

    n = len(ytr)
    models = {
        "sklearn MLP adam": scaled(MLPRegressor((64, 32, 16), max_iter=500, early_stopping=True,
                                                random_state=0)),
        "sklearn MLP lbfgs": scaled(MLPRegressor((64, 32, 16), solver="lbfgs", max_iter=500,
                                                 random_state=0)),
        "random forest": RandomForestRegressor(n_estimators=300, n_jobs=2, random_state=0),
        "hist gradient boosting": HistGradientBoostingRegressor(random_state=0),
        "SVR (RBF, C by CV)": scaled(GridSearchCV(SVR(), {"C": [1, 10, 100]}, cv=3)),
    }
    if n <= 2000:
        kernel = ConstantKernel() * RBF(np.ones(Xtr.shape[1])) + WhiteKernel()
        models["Gaussian process"] = scaled(GaussianProcessRegressor(kernel, normalize_y=True,
                                                                     random_state=0))
    try:
        import lightgbm
        models["LightGBM"] = lightgbm.LGBMRegressor(verbose=-1, random_state=0)
    except ImportError:
        pass
    try:
        import xgboost
        models["XGBoost"] = xgboost.XGBRegressor(random_state=0, n_jobs=2)
    except ImportError:
        pass
    try:
        import catboost
        models["CatBoost"] = catboost.CatBoostRegressor(verbose=0, random_seed=0, thread_count=2,
                                                        allow_writing_files=False)
    except ImportError:
        pass
    out = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        p = model.predict(Xte)
        out[name] = dict(r2=r2(yte, p), seconds=time.perf_counter() - t0)
    out["SciPy RBFInterpolator (CV)"] = rbf_interpolator(Xtr, ytr, Xte, yte)
    return out


def rbf_interpolator(Xtr, ytr, Xte, yte):
    """Kernel and smoothing chosen by 3-fold CV on the training rows (inputs standardized);
    above 2,000 rows, 50 nearest neighbours and two smoothings, so that it stays tractable."""
    from scipy.interpolate import RBFInterpolator
    from sklearn.model_selection import KFold
    t0 = time.perf_counter()
    mu, sd = Xtr.mean(0), Xtr.std(0)
    A, B = (Xtr - mu) / sd, (Xte - mu) / sd
    neighbors = None if len(ytr) <= 2000 else 50
    best, best_score = None, -np.inf
    grid = [0.0, 1e-3, 1e-1, 1.0, 10.0] if neighbors is None else [1e-3, 1.0]
    for kernel in ["thin_plate_spline", "cubic", "quintic"]:
        for smoothing in grid:
            scores = []
            for tr, va in KFold(3, shuffle=True, random_state=0).split(A):
                try:
                    f = RBFInterpolator(A[tr], ytr[tr], kernel=kernel, smoothing=smoothing,
                                        neighbors=neighbors)
                    scores.append(r2(ytr[va], f(A[va])))
                except Exception:
                    scores.append(-np.inf)
            if np.mean(scores) > best_score:
                best, best_score = (kernel, smoothing), np.mean(scores)
    f = RBFInterpolator(A, ytr, kernel=best[0], smoothing=best[1], neighbors=neighbors)
    return dict(r2=r2(yte, f(B)), seconds=time.perf_counter() - t0, choice=f"{best[0]}, {best[1]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fivedreg", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="two small sets only (for CI)")
    ap.add_argument("--sets", help="comma-separated indices into the list of sets (default all)")
    ap.add_argument("--fivedreg-only", action="store_true",
                    help="re-measure fivedreg's rows only and keep the other methods' rows of "
                         "the set from OUT/accuracy.json (their R² are seeded, so the same; "
                         "their seconds are then from that earlier run, as the report says)")
    args = ap.parse_args()
    sets = SETS[:1] + SETS[-1:] if args.quick else SETS
    if args.sets:
        sets = [SETS[int(i)] for i in args.sets.split(",")]
    os.makedirs(args.out, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name, make, n in sets:
            rng = np.random.default_rng(12345)
            X, f, y = make(n, rng)
            order = rng.permutation(len(y))
            cut = int(round(0.8 * len(y)))
            tr, te = order[:cut], order[cut:]
            train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
            write_csv(train_csv, X[tr], y[tr])
            write_csv(test_csv, X[te], y[te])
            row = dict(set=name, rows=len(y), inputs=X.shape[1],
                       ceiling=None if f is None else r2(y[te], f[te]))
            row["methods"] = fivedreg_runs(args.fivedreg, train_csv, test_csv, work)
            earlier = previous(args.out, name) if args.fivedreg_only else None
            if earlier is None:
                row["methods"].update(python_runs(X[tr], y[tr], X[te], y[te], args.quick))
            else:
                row["methods"].update({k: v for k, v in earlier["methods"].items()
                                       if not k.startswith("fivedreg")})
                row["others_load_average"] = earlier.get("others_load_average",
                                                         earlier.get("load_average"))
            row["load_average"] = os.getloadavg()
            results.append(row)
            print(name, {k: round(v["r2"], 4) for k, v in row["methods"].items()}, flush=True)
            # Written after every set, so that a long run keeps what it measured.
            save(args.out, results)


def previous(out, name):
    """The set's row in `out`'s accuracy.json, if there is one."""
    path = os.path.join(out, "accuracy.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return next((r for r in json.load(fh)["results"] if r["set"] == name), None)


def save(out, results):
    """Merges `results` into `out`'s accuracy.json (by set name) and rewrites ACCURACY.md in
    the order of the list of sets."""
    path = os.path.join(out, "accuracy.json")
    known = {}
    if os.path.exists(path):
        with open(path) as fh:
            known = {r["set"]: r for r in json.load(fh)["results"]}
    known.update({r["set"]: r for r in results})
    order = [name for name, _, _ in SETS]
    merged = sorted(known.values(), key=lambda r: order.index(r["set"]))
    with open(path, "w") as fh:
        json.dump(dict(machine=platform.processor() or platform.machine(), results=merged),
                  fh, indent=1)
    write_markdown(merged, os.path.join(out, "ACCURACY.md"))


def write_markdown(results, path):
    methods = list(results[0]["methods"].keys())
    lines = ["# Accuracy: fivedreg against the usual regressors", "",
             "Test R² on the held-out 20% of each set (the same split for every method), "
             "fit + predict wall seconds in brackets; **bold** is the best R² of the row. "
             "Ceiling: R² of the noise-free function on the test rows. Reproduce with "
             "`cargo xtask accuracy` (on 2 cores shared with other work; the seconds are "
             "wall-clock and noisy, the R² are not).", ""]
    for r in results:
        best = max(v["r2"] for v in r["methods"].values())
        lines.append(f"## {r['set']} ({r['inputs']} inputs)")
        lines.append("")
        ceiling = "unknown (real data)" if r["ceiling"] is None else f"{r['ceiling']:.4f}"
        load = r.get("load_average")
        load_text = "" if load is None else f" Load average after the set: {load[0]:.1f}."
        others = r.get("others_load_average")
        if others is not None:
            load_text += (" fivedreg's rows re-measured in a later run than the others' (whose "
                          f"load average was {others[0]:.1f}); the others' R² are seeded, so "
                          "unchanged.")
        lines.append(f"Noise ceiling: {ceiling}.{load_text}")
        lines.append("")
        lines.append("| method | test R² | seconds |")
        lines.append("|---|---|---|")
        for m in methods:
            v = r["methods"].get(m)
            if v is None:
                continue
            text = f"{v['r2']:.4f}"
            if v["r2"] == best:
                text = f"**{text}**"
            lines.append(f"| {m} | {text} | {v['seconds']:.2f} |")
        lines.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
