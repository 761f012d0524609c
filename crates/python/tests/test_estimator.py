"""FiveDRegressor's own behaviour: inputs, errors, feature names, fitted attributes, threads."""

import json
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score

from fivedreg import FiveDRegressor, InvalidParameterError
from fivedreg._native import Model
from helpers import sum_of_squares


@pytest.fixture(scope="module")
def fitted(seed_task):
    X, y, _, _ = seed_task
    return FiveDRegressor(random_state=0).fit(X, y)


def test_it_learns_the_seed_task(fitted, seed_task):
    _, _, X_new, y_new = seed_task
    assert fitted.score(X_new, y_new) > 0.95
    assert fitted.predict(X_new).dtype == np.float64


def test_fitted_attributes(fitted):
    assert fitted.n_features_in_ == 5
    assert not hasattr(fitted, "feature_names_in_")
    assert 1 <= fitted.n_iter_ < 500
    assert len(fitted.loss_curve_) == fitted.n_iter_
    assert len(fitted.validation_scores_) == fitted.n_iter_
    # The curve is kept at float32 precision, the best score at float64.
    assert fitted.best_validation_score_ == pytest.approx(max(fitted.validation_scores_), rel=1e-6)
    assert fitted.best_loss_ is None
    assert fitted.t_ == fitted.n_iter_ * 1350  # 90% of 1500 rows train, 10% validate


def test_without_early_stopping_all_rows_train(seed_task):
    X, y, X_new, y_new = seed_task
    estimator = FiveDRegressor(early_stopping=False, max_iter=60, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(60\) reached"):
        estimator.fit(X, y)
    assert estimator.validation_scores_ is None and estimator.best_validation_score_ is None
    assert estimator.best_loss_ == min(estimator.loss_curve_)
    assert estimator.t_ == 60 * 1500
    assert estimator._model.params()["validation_fraction"] == 0.0
    assert estimator.score(X_new, y_new) > 0.9


def test_an_ensemble_gives_calibrated_standard_deviations(seed_task):
    X, y, X_new, y_new = seed_task
    estimator = FiveDRegressor(ensemble=4, random_state=0).fit(X, y)
    assert estimator.n_members_ == 4 and estimator._model.n_members == 4
    assert estimator.heldout_score_ > 0.95
    assert len(estimator.validation_scores_) == estimator.n_iter_  # the first member's
    mean, std = estimator.predict(X_new, return_std=True)
    np.testing.assert_array_equal(mean, estimator.predict(X_new))
    assert std.shape == mean.shape and (std > 0).all()
    # Calibrated on the held-out folds: about 95% of unseen targets within ±1.96 std.
    inside = np.mean(np.abs(y_new - mean) <= 1.96 * std)
    assert 0.85 <= inside <= 1.0
    assert estimator.score(X_new, y_new) > 0.95
    single = FiveDRegressor(random_state=0, max_iter=300).fit(X, y)
    assert single.n_members_ == 1 and single.heldout_score_ is None
    with pytest.raises(ValueError, match="return_std=True needs an ensemble"):
        single.predict(X_new, return_std=True)
    with pytest.raises(ValueError, match="n_samples=5.*at least 6 samples.*a smaller ensemble"):
        FiveDRegressor(ensemble=3).fit(X[:5], y[:5])


def test_lbfgs_trains_on_every_row(seed_task):
    X, y, X_new, y_new = seed_task
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 30 iteration"):
        estimator = FiveDRegressor(solver="lbfgs", max_iter=30, random_state=0).fit(X, y)
    assert estimator.n_iter_ == 30
    assert estimator.validation_scores_ is None and estimator.best_loss_ == min(estimator.loss_curve_)
    p = estimator._model.params()
    assert p["solver"] == "lbfgs" and p["train_fraction"] == 1.0 and p["early_stopping"] is False
    with pytest.warns(ConvergenceWarning, match="loss evaluations"):
        FiveDRegressor(solver="lbfgs", max_fun=10, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        converged = FiveDRegressor(solver="lbfgs", hidden_layer_sizes=(16,), random_state=0).fit(X, y)
    assert converged.score(X_new, y_new) > 0.95


def test_auto_chooses_a_cross_validated_model_with_a_std(seed_task):
    X, y, X_new, y_new = seed_task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = FiveDRegressor(auto=True, budget=1.0, random_state=0).fit(X, y)
    # Fold models (networks or trees) or one kernel model refitted on every row.
    assert estimator.n_members_ in (1, 5)
    assert estimator.heldout_score_ > 0.95
    board = estimator.leaderboard_
    assert len(board) >= 1 and set(board[0]) == {"config", "cv_r2_mean", "cv_r2_std"}
    assert [e["cv_r2_mean"] for e in board] == sorted((e["cv_r2_mean"] for e in board), reverse=True)
    assert estimator.score(X_new, y_new) > 0.95
    mean, std = estimator.predict(X_new, return_std=True)
    assert (std > 0).all()
    with pytest.raises(ValueError, match="leave ensemble at 1"):
        FiveDRegressor(auto=True, ensemble=3).fit(X, y)
    # Its five folds need ten rows; the advice is what auto=True can change.
    with pytest.raises(ValueError, match="n_samples=9.*at least 10 samples.*or auto=False"):
        FiveDRegressor(auto=True).fit(X[:9], y[:9])


def test_every_input_layout_and_dtype_gives_the_same_predictions(fitted, seed_task):
    _, _, X_new, _ = seed_task
    expected = fitted.predict(X_new)
    readonly = X_new.copy()
    readonly.setflags(write=False)
    wide = np.zeros((X_new.shape[0], 10))
    wide[:, ::2] = X_new
    for same in (np.asfortranarray(X_new), readonly, wide[:, ::2], X_new.tolist()):
        np.testing.assert_array_equal(fitted.predict(same), expected)
    for narrow in (X_new.astype(np.float32), np.asfortranarray(X_new.astype(np.float32))):
        np.testing.assert_allclose(fitted.predict(narrow), fitted.predict(narrow.astype(np.float64)), rtol=0, atol=0)
        np.testing.assert_allclose(fitted.predict(narrow), expected, rtol=1e-4, atol=1e-4)
    # Misaligned numbers (a buffer read at an odd offset) are copied, not misread.
    buffer = np.zeros(X_new.size * 8 + 1, dtype=np.uint8)
    misaligned = np.frombuffer(buffer.data, dtype=np.float64, count=X_new.size, offset=1).reshape(X_new.shape)
    misaligned[...] = X_new
    assert not misaligned.flags.aligned
    np.testing.assert_array_equal(fitted.predict(misaligned), expected)
    with pytest.raises(ValueError, match="not aligned"):
        fitted._model.predict(misaligned)
    big_endian = X_new.astype(">f8")
    np.testing.assert_array_equal(fitted.predict(big_endian), expected)
    integers = np.round(X_new * 10).astype(np.int64)
    np.testing.assert_array_equal(fitted.predict(integers), fitted.predict(integers.astype(np.float64)))


def test_fit_reads_every_layout_alike(seed_task):
    X, y, X_new, _ = seed_task
    params = dict(random_state=4, max_iter=30, hidden_layer_sizes=(16,))
    with pytest.warns(ConvergenceWarning):
        expected = FiveDRegressor(**params).fit(X, y).predict(X_new)
    buffer = np.zeros(y.size * 8 + 1, dtype=np.uint8)
    misaligned_y = np.frombuffer(buffer.data, dtype=np.float64, count=y.size, offset=1)
    misaligned_y[...] = y
    for same_X, same_y in (
        (np.asfortranarray(X), y),
        (X, y.reshape(-1, 1).ravel().copy()),
        (X, list(y)),
        (X, misaligned_y),
        (X.astype(">f8"), y),
    ):
        with pytest.warns(ConvergenceWarning):
            np.testing.assert_array_equal(FiveDRegressor(**params).fit(same_X, same_y).predict(X_new), expected)
    before = X.copy()
    with pytest.warns(ConvergenceWarning):
        FiveDRegressor(**params).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(X, before)


def test_bad_inputs_raise_scikit_learns_errors(fitted, seed_task):
    X, y, X_new, _ = seed_task
    with pytest.raises(NotFittedError):
        FiveDRegressor().predict(X_new)
    with pytest.raises(NotFittedError):
        FiveDRegressor().save("never-written.fdr")
    for bad, word in ((np.nan, "NaN"), (np.inf, "infinity")):
        damaged = X_new.copy()
        damaged[3, 2] = bad
        for layout in (damaged, np.asfortranarray(damaged), damaged.astype(np.float32), damaged.tolist()):
            with pytest.raises(ValueError, match=f"Input X contains {word}"):
                fitted.predict(layout)
        with pytest.raises(ValueError, match=f"Input X contains {word}"):
            FiveDRegressor().fit(damaged, y[:300])
        y_bad = y.copy()
        y_bad[7] = bad
        with pytest.raises(ValueError, match=f"Input y contains {word}"):
            FiveDRegressor().fit(X, y_bad)
    with pytest.raises(ValueError, match="X has 4 features, but FiveDRegressor is expecting 5 features as input"):
        fitted.predict(X_new[:, :4])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        fitted.predict(X_new[0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FiveDRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="0 sample"):
        FiveDRegressor().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="n_samples=5"):
        FiveDRegressor().fit(X[:5], y[:5])
    with pytest.raises(ValueError, match="n_samples=1"):
        FiveDRegressor(early_stopping=False).fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="could not convert|must be real number"):
        FiveDRegressor().fit(np.array([["a"] * 5] * 20), y[:20])


def test_inputs_beyond_float32_are_refused_not_crashed_on(fitted):
    # Finite for numpy, but beyond the network's 32-bit range once scaled.
    with pytest.raises(ValueError, match="32-bit numbers|prediction for row 2 is not finite"):
        fitted.predict(np.vstack([np.zeros(5), np.full(5, 1e308)]))


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("alpha", -1.0, r"The 'alpha' parameter of FiveDRegressor must be a float in the range \[0.0, 1000000000.0\]. Got -1.0 instead."),
        ("alpha", 2e9, r"'alpha' parameter .* \[0.0, 1000000000.0\]"),
        ("folds", 1, r"'folds' parameter of FiveDRegressor must be an int in the range \[2, 64\]"),
        ("learning_rate_init", 2.0, r"'learning_rate_init' parameter .* range \(0.0, 1.0\]"),
        ("hidden_layer_sizes", (64, 0), r"'hidden_layer_sizes' parameter"),
        ("hidden_layer_sizes", "64", r"'hidden_layer_sizes' parameter"),
        ("max_iter", 0, r"'max_iter' parameter"),
        ("batch_size", "big", r"'batch_size' parameter"),
        ("solver", "sgd", r"'solver' parameter of FiveDRegressor must be a str among \{'adam', 'lbfgs'\}"),
        ("activation", "logistic", r"'activation' parameter of FiveDRegressor must be a str among \{'relu', 'tanh'\}"),
        ("max_fun", 0, r"'max_fun' parameter .* \[1, 100000000\]"),
        ("ensemble", 65, r"'ensemble' parameter of FiveDRegressor must be an int in the range \[1, 64\]"),
        ("ensemble", 2.0, r"'ensemble' parameter"),
        ("auto", 1, r"'auto' parameter of FiveDRegressor must be an instance of 'bool'"),
        ("budget", 0.0, r"'budget' parameter .* range \(0.0, 604800.0\]"),
        ("power_transform", "no", r"'power_transform' parameter"),
        ("validation_fraction", 1.0, r"'validation_fraction' parameter"),
        ("early_stopping", "yes", r"'early_stopping' parameter"),
        ("random_state", -1, r"'random_state' parameter"),
        ("n_threads", 0, r"'n_threads' parameter"),
        ("n_iter_no_change", -1, r"'n_iter_no_change' parameter .* \[0, inf\)"),
        ("tol", float("nan"), r"'tol' parameter"),
    ],
)
def test_invalid_parameters_are_named(seed_task, name, value, message):
    X, y, _, _ = seed_task
    estimator = FiveDRegressor(**{name: value})  # the constructor only stores them
    with pytest.raises(InvalidParameterError, match=message):
        estimator.fit(X, y)


def test_early_stopping_needs_a_validation_fraction(seed_task):
    X, y, _, _ = seed_task
    with pytest.raises(ValueError, match="validation_fraction > 0"):
        FiveDRegressor(validation_fraction=0.0).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_parameters_reach_the_model(seed_task):
    X, y, _, _ = seed_task
    estimator = FiveDRegressor(
        hidden_layer_sizes=7, alpha=0.01, power_transform=True, batch_size=50, learning_rate_init=0.01, max_iter=9,
        tol=0.001, validation_fraction=0.25, beta_1=0.8, beta_2=0.99, epsilon=1e-7,
        n_iter_no_change=3, shuffle=False, random_state=11, n_threads=1, activation="tanh",
    )
    estimator.fit(X, y)
    p = estimator._model.params()
    assert p["hidden_layers"] == [7] and p["alpha"] == 0.01 and p["batch_size"] == 50
    assert p["learning_rate"] == 0.01 and p["max_epochs"] == 9 and p["tol"] == 0.001
    assert p["validation_fraction"] == 0.25 and p["train_fraction"] == 0.75 and p["test_fraction"] == 0
    assert (p["beta1"], p["beta2"], p["epsilon"]) == (0.8, 0.99, 1e-7)
    assert p["patience"] == 3 and p["shuffle"] is False and p["seed"] == 11
    assert p["power_transform"] is True and p["ensemble"] == 1 and p["solver"] == "adam"
    assert p["activation"] == "tanh"
    # A loaded model gives back its activation, and so the same estimator parameters.
    assert type(estimator)._from_model(estimator._model).get_params()["activation"] == "tanh"
    assert estimator._model.n_parameters == 5 * 7 + 7 + 7 + 1


def test_random_state(seed_task):
    X, y, X_new, _ = seed_task
    small = dict(hidden_layer_sizes=(16,), max_iter=40)

    def predict(**params):
        with pytest.warns(ConvergenceWarning):
            return FiveDRegressor(**small, **params).fit(X, y).predict(X_new)

    np.testing.assert_array_equal(predict(random_state=1), predict(random_state=1))
    assert not np.array_equal(predict(random_state=1), predict(random_state=2))
    # None draws the seed from numpy's global state, as scikit-learn's estimators do.
    np.random.seed(123)
    first = predict(random_state=None)
    np.random.seed(123)
    np.testing.assert_array_equal(predict(random_state=None), first)
    np.testing.assert_array_equal(
        predict(random_state=np.random.RandomState(5)), predict(random_state=np.random.RandomState(5))
    )


def test_the_thread_count_does_not_change_the_model(seed_task):
    X, y, _, _ = seed_task
    one = FiveDRegressor(random_state=2, n_threads=1).fit(X, y)
    two = FiveDRegressor(random_state=2, n_threads=2).fit(X, y)
    assert one.__getstate__()["_model_file"] == two.__getstate__()["_model_file"]
    # auto=True trains candidates in lanes (three here); with a budget every candidate
    # fits in, the model file is the same bytes as one lane's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lanes = [
            FiveDRegressor(auto=True, budget=1000.0, random_state=2, n_threads=t).fit(X[:150], y[:150])
            for t in (1, 3)
        ]
    assert len(lanes[0].leaderboard_) >= 10
    assert lanes[0].__getstate__()["_model_file"] == lanes[1].__getstate__()["_model_file"]


def _python_ran_during(call):
    """How many slices of Python code the main thread ran while `call` ran in another thread.

    Preemptive switches are put off (switch interval 10 s), so the thread running `call`
    keeps the GIL unless the native code releases it; the main thread yields after each
    slice, so it runs at most one slice after the call has returned.
    """
    running, done = threading.Event(), threading.Event()

    def worker():
        running.set()
        try:
            call()
        finally:
            done.set()  # a failing call must not leave the main thread waiting

    interval = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        running.wait()
        slices = 0
        while not done.is_set():
            for _ in range(1000):
                pass
            slices += 1
            time.sleep(0)  # releases the GIL, so a returned call can take it back
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    return slices


def test_fit_and_predict_release_the_gil():
    X, y = sum_of_squares(20_000, seed=9)
    params = FiveDRegressor(random_state=0, max_iter=40, n_iter_no_change=100)._native_params(len(X))
    names = [f"x{i}" for i in range(5)]
    fitted = []
    # Holding the GIL, a call would leave the main thread a slice or two at most (seen: 2);
    # releasing it, the main thread runs a slice (about 30 µs) after another for the whole
    # call: thousands on an idle machine, still far above 20 on a busy one.
    assert _python_ran_during(lambda: fitted.append(Model.fit(X, y, names, "y", json.dumps(params)))) > 20
    assert fitted, "Model.fit failed"
    X_big, _ = sum_of_squares(1_000_000, seed=10)
    assert _python_ran_during(lambda: fitted[0].predict(X_big)) > 20


def test_pandas_columns_are_matched_by_name(seed_task):
    X, y, X_new, _ = seed_task
    names = ["speed", "load", "angle", "temp", "depth"]
    estimator = FiveDRegressor(random_state=0).fit(pd.DataFrame(X, columns=names), pd.Series(y))
    assert list(estimator.feature_names_in_) == names
    frame = pd.DataFrame(X_new, columns=names)
    expected = estimator.predict(frame)
    shuffled = frame[["depth", "angle", "speed", "temp", "load"]]
    np.testing.assert_array_equal(estimator.predict(shuffled), expected)
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- temp"):
        estimator.predict(frame.drop(columns="temp"))
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- extra"):
        estimator.predict(frame.assign(extra=1.0))
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- Speed"):
        estimator.predict(frame.rename(columns={"speed": "Speed"}))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(estimator.predict(X_new), expected)  # arrays: fit order
    unnamed = FiveDRegressor(random_state=0, max_iter=200).fit(X, y)
    with pytest.warns(UserWarning, match="X has feature names, but FiveDRegressor was fitted without"):
        unnamed.predict(frame)


def test_column_names_must_suit_the_model_file(seed_task):
    X, y, _, _ = seed_task
    with pytest.raises(ValueError, match="unique and not blank"):
        FiveDRegressor().fit(pd.DataFrame(X, columns=["a", "b", " ", "d", "e"]), y)
    with pytest.raises(ValueError, match="Expected unique column names"):
        FiveDRegressor().fit(pd.DataFrame(X, columns=["a", "b", "a", "d", "e"]), y)
    # scikit-learn's own names for unnamed columns are read as no names.
    estimator = FiveDRegressor(max_iter=500).fit(pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]), y)
    assert not hasattr(estimator, "feature_names_in_")


def test_score_is_r2(fitted, seed_task):
    _, _, X_new, y_new = seed_task
    assert fitted.score(X_new, y_new) == r2_score(y_new, fitted.predict(X_new))


def test_a_text_id_column_is_left_out_with_a_note():
    """A DataFrame with a column of text (a run ID), as `fivedreg train` reads a CSV file with
    one: left out with a warning naming it; predict takes the same frame."""
    X, y = sum_of_squares(300, seed=4)
    frame = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(5)])
    frame.insert(0, "run_id", [f"run-1-{i:04}" for i in range(len(frame))])
    with pytest.warns(UserWarning, match="^the column run_id holds text in every row: left out of the features$"):
        model = FiveDRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(frame, y)
    assert list(model.feature_names_in_) == [f"x{i + 1}" for i in range(5)]
    np.testing.assert_array_equal(model.predict(frame), model.predict(frame.drop(columns=["run_id"])))
    # A column of numbers with text in a later row: refused, naming the row, the column and
    # how to leave it out.
    mixed = frame.drop(columns=["run_id"]).astype(object)
    mixed.iloc[7, 2] = "r7"
    with pytest.raises(ValueError, match=r"column 'x3', row 7.*X\.drop\(columns=\['x3'\]\)"):
        FiveDRegressor(max_iter=5).fit(mixed, y)
    # Text first, then a number: refused too.
    frame = frame.astype({"run_id": object})
    frame.iloc[3, 0] = 12.5
    with pytest.raises(ValueError, match=r"column 'run_id', row 3.*X\.drop\(columns=\['run_id'\]\)"):
        FiveDRegressor(max_iter=5).fit(frame, y)


def test_ctrl_c_stops_a_long_fit():
    """SIGINT during a fit that would run a million epochs is seen while it runs: the
    handler's exception comes out of fit (the training stops at its next minibatch)."""
    X, y = sum_of_squares(2_000, seed=3)

    class Interrupted(Exception):
        pass

    def handler(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGINT, handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(Interrupted):
            FiveDRegressor(
                max_iter=1_000_000, early_stopping=False, n_iter_no_change=1_000_000, tol=0.0
            ).fit(X, y)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
