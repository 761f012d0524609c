"""Model files between the `fivedreg` command and Python, pickle and joblib."""

import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from fivedreg import FiveDRegressor
from helpers import parse_csv, read_csv, run, write_csv


@pytest.fixture(scope="module")
def command_data(tmp_path_factory, fivedreg_bin):
    """Training and fresh CSV files made by `fivedreg generate`, and their rows."""
    folder = tmp_path_factory.mktemp("command")
    train, fresh = folder / "train.csv", folder / "fresh.csv"
    run(fivedreg_bin, "generate", "--samples", 2000, "--noise", 0.1, "--seed", 3, "-o", train)
    run(fivedreg_bin, "generate", "--samples", 500, "--seed", 4, "-o", fresh)
    return folder, train, fresh


def predictions_of_command(fivedreg_bin, model, data):
    """The prediction column of `fivedreg predict MODEL DATA`, parsed exactly."""
    out = run(fivedreg_bin, "predict", model, data)
    names, rows = parse_csv(out)
    assert names[-1] == "y_predicted"
    return rows[:, -1]


def test_python_fits_the_same_model_file_as_the_command(command_data, fivedreg_bin):
    """Same rows, names, seed and split: the bytes of the two model files are equal."""
    folder, train, _ = command_data
    run(fivedreg_bin, "train", train, "-o", folder / "command.fdr", "--split", "0.9,0.1,0", "--seed", 42)
    names, rows = read_csv(train)
    frame = pd.DataFrame(rows[:, :-1], columns=names[:-1])
    estimator = FiveDRegressor(random_state=42, validation_fraction=0.1)
    estimator.fit(frame, pd.Series(rows[:, -1], name=names[-1]))
    estimator.save(folder / "python.fdr")
    assert (folder / "python.fdr").read_bytes() == (folder / "command.fdr").read_bytes()
    # Refitting the loaded command model (its parameters are the file's options) does too.
    loaded = FiveDRegressor.load(folder / "command.fdr")
    assert loaded.get_params()["random_state"] == 42
    refit = clone(loaded).fit(frame, pd.Series(rows[:, -1], name=names[-1]))
    assert refit.__getstate__()["_model_file"] == (folder / "command.fdr").read_bytes()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "flags, params",
    [
        (["--ensemble", 3], dict(ensemble=3)),
        (["--solver", "lbfgs", "--max-epochs", 60], dict(solver="lbfgs", max_iter=60)),
    ],
    ids=["ensemble", "lbfgs"],
)
def test_ensembles_and_lbfgs_fit_the_same_model_file_as_the_command(command_data, fivedreg_bin, flags, params):
    """Both train on every row (no validation split): the command's --split 1,0,0."""
    folder, train, fresh = command_data
    model = folder / "command-other.fdr"
    run(fivedreg_bin, "train", train, "-o", model, "--split", "1,0,0", "--seed", 42, *flags)
    names, rows = read_csv(train)
    frame = pd.DataFrame(rows[:, :-1], columns=names[:-1])
    estimator = FiveDRegressor(random_state=42, **params).fit(frame, pd.Series(rows[:, -1], name=names[-1]))
    assert estimator.__getstate__()["_model_file"] == model.read_bytes()
    loaded = FiveDRegressor.load(model)
    for name, value in params.items():
        assert loaded.get_params()[name] == value


def test_the_command_trains_an_ensemble_and_python_gives_the_same_std(command_data, fivedreg_bin):
    folder, train, fresh = command_data
    model = folder / "ensemble.fdr"
    run(fivedreg_bin, "train", train, "-o", model, "--ensemble", 4, "--seed", 8)
    out = run(fivedreg_bin, "predict", model, fresh, "--std")
    names, rows = parse_csv(out)
    assert names[-2:] == ["y_predicted", "y_std"]
    estimator = FiveDRegressor.load(model)
    assert estimator.n_members_ == 4 and estimator.get_params()["ensemble"] == 4
    fresh_names, fresh_rows = read_csv(fresh)
    mean, std = estimator.predict(pd.DataFrame(fresh_rows[:, :-1], columns=fresh_names[:-1]), return_std=True)
    np.testing.assert_array_equal(mean, rows[:, -2])
    np.testing.assert_array_equal(std, rows[:, -1])


def test_the_command_chooses_a_model_and_python_reads_its_leaderboard(command_data, fivedreg_bin):
    folder, train, fresh = command_data
    model = folder / "auto.fdr"
    summary = json.loads(run(fivedreg_bin, "train", train, "-o", model, "--auto", "--budget", 1, "--json"))
    estimator = FiveDRegressor.load(model)
    # The winner's members: 5 fold models, or 1 for a kernel model fitted on every row.
    assert estimator.n_members_ == summary["members"]
    assert [e["config"] for e in estimator.leaderboard_] == [e["config"] for e in summary["leaderboard"]]
    assert estimator.heldout_score_ == summary["ensemble"]["heldout_r2"]
    fresh_names, fresh_rows = read_csv(fresh)
    frame = pd.DataFrame(fresh_rows[:, :-1], columns=fresh_names[:-1])
    np.testing.assert_array_equal(estimator.predict(frame), predictions_of_command(fivedreg_bin, model, fresh))


def test_the_command_trains_and_python_predicts_the_same_numbers(command_data, fivedreg_bin):
    folder, train, fresh = command_data
    model = folder / "default-split.fdr"
    summary = json.loads(run(fivedreg_bin, "train", train, "-o", model, "--seed", 7, "--json"))
    estimator = FiveDRegressor.load(model)
    assert estimator.n_features_in_ == 5
    assert list(estimator.feature_names_in_) == summary["features"]
    assert estimator.n_iter_ == summary["epochs"]
    assert estimator.best_validation_score_ == summary["best_validation_r2"]
    assert estimator.get_params()["random_state"] == 7

    names, rows = read_csv(fresh)
    expected = predictions_of_command(fivedreg_bin, model, fresh)
    frame = pd.DataFrame(rows[:, :-1], columns=names[:-1])
    np.testing.assert_array_equal(estimator.predict(frame), expected)
    # Columns in another order are matched by name, as the command does.
    np.testing.assert_array_equal(estimator.predict(frame[frame.columns[::-1]]), expected)


def test_python_trains_and_the_command_predicts_the_same_numbers(tmp_path, fivedreg_bin, seed_task):
    X, y, X_new, y_new = seed_task
    estimator = FiveDRegressor(random_state=5).fit(X, y)
    estimator.save(tmp_path / "model.fdr")
    # A model fitted on plain arrays names its features as scikit-learn does: x0, x1, ...
    write_csv(tmp_path / "new.csv", [f"x{i}" for i in range(5)] + ["y"], np.column_stack([X_new, y_new]))
    expected = estimator.predict(X_new)
    np.testing.assert_array_equal(predictions_of_command(fivedreg_bin, tmp_path / "model.fdr", tmp_path / "new.csv"), expected)
    metrics = json.loads(run(fivedreg_bin, "evaluate", tmp_path / "model.fdr", tmp_path / "new.csv", "--json"))
    assert metrics["r2"] == pytest.approx(estimator.score(X_new, y_new), abs=1e-12)
    info = json.loads(run(fivedreg_bin, "inspect", tmp_path / "model.fdr", "--json"))
    assert info["features"] == ["x0", "x1", "x2", "x3", "x4"] and info["target"] == "y"
    assert info["summary"]["history"]["epochs"] == estimator.n_iter_
    assert info["summary"]["validation_samples"] == 150 and info["summary"]["test_samples"] == 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_series_name_is_the_target_name(tmp_path, fivedreg_bin, seed_task):
    X, y, _, _ = seed_task
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    estimator = FiveDRegressor(max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        estimator.fit(frame, pd.Series(y, name="height"))
    estimator.save(tmp_path / "m.fdr")
    info = json.loads(run(fivedreg_bin, "inspect", tmp_path / "m.fdr", "--json"))
    assert info["target"] == "height" and info["features"] == list("abcde")
    # A name that is also a feature's is made distinct.
    estimator.fit(frame, pd.Series(y, name="a")).save(tmp_path / "m.fdr")
    assert json.loads(run(fivedreg_bin, "inspect", tmp_path / "m.fdr", "--json"))["target"] == "a_"


def test_pickle_and_joblib_keep_the_model_file(tmp_path, seed_task):
    X, y, X_new, _ = seed_task
    estimator = FiveDRegressor(random_state=3, hidden_layer_sizes=(32, 16)).fit(X, y)
    estimator.save(tmp_path / "model.fdr")
    state = estimator.__getstate__()
    assert state["_model_file"] == (tmp_path / "model.fdr").read_bytes()
    assert "_model" not in state and "loss_curve_" not in state
    assert hasattr(estimator, "_model"), "pickling must not change the estimator"

    expected = estimator.predict(X_new)
    for copy in (
        pickle.loads(pickle.dumps(estimator)),
        joblib.load(_joblib_dump(estimator, tmp_path / "model.joblib")),
    ):
        np.testing.assert_array_equal(copy.predict(X_new), expected)
        assert copy.get_params() == estimator.get_params()
        assert copy.n_iter_ == estimator.n_iter_
        assert copy.loss_curve_ == estimator.loss_curve_
        assert copy.validation_scores_ == estimator.validation_scores_
        assert copy.n_features_in_ == 5 and not hasattr(copy, "feature_names_in_")

    unfitted = pickle.loads(pickle.dumps(FiveDRegressor(alpha=0.5)))
    assert unfitted.alpha == 0.5 and not hasattr(unfitted, "_model")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pickle_keeps_the_feature_names(seed_task):
    X, y, X_new, _ = seed_task
    names = ["u", "v", "w", "s", "t"]
    estimator = FiveDRegressor(random_state=3, max_iter=20).fit(pd.DataFrame(X, columns=names), y)
    copy = pickle.loads(pickle.dumps(estimator))
    assert list(copy.feature_names_in_) == names
    frame = pd.DataFrame(X_new, columns=names)
    np.testing.assert_array_equal(copy.predict(frame[names[::-1]]), estimator.predict(frame))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_damaged_pickle_is_refused(seed_task):
    X, y, _, _ = seed_task
    state = FiveDRegressor(max_iter=3, random_state=0).fit(X, y).__getstate__()
    damaged = bytearray(state["_model_file"])
    damaged[100] ^= 0xFF
    fresh = FiveDRegressor.__new__(FiveDRegressor)
    with pytest.raises(ValueError, match="corrupted"):
        fresh.__setstate__({**state, "_model_file": bytes(damaged)})
    with pytest.raises(ValueError, match="truncated"):
        fresh.__setstate__({**state, "_model_file": state["_model_file"][:50]})


def test_load_refuses_what_is_not_a_model_file(tmp_path, command_data):
    _, train, _ = command_data
    with pytest.raises(ValueError, match="not a fivedreg model file"):
        FiveDRegressor.load(train)
    with pytest.raises(FileNotFoundError):
        FiveDRegressor.load(tmp_path / "missing.fdr")


def _joblib_dump(estimator, path):
    joblib.dump(estimator, path)
    return path


def test_a_tree_model_predicts_in_python_as_the_command_predicts(tmp_path, fivedreg_bin):
    """The boosted-tree model the Rust tests pin (and the server's test uploads): Python's
    predictions, and its std, equal the command's to the last bit."""
    import pathlib
    fixtures = pathlib.Path(__file__).resolve().parents[2] / "fivedreg" / "tests" / "fixtures"
    model, points = fixtures / "v4-trees.fdr", fixtures / "points.csv"
    names, rows = read_csv(points)
    loaded = FiveDRegressor.load(model)
    frame = pd.DataFrame(rows[:, :5], columns=names[:5])
    np.testing.assert_array_equal(loaded.predict(frame), predictions_of_command(fivedreg_bin, model, points))
    out = run(fivedreg_bin, "predict", model, points, "--std")
    header, table = parse_csv(out)
    assert header[-1] == "y_std"
    mean, std = loaded.predict(frame, return_std=True)
    np.testing.assert_array_equal(mean, table[:, -2])
    np.testing.assert_array_equal(std, table[:, -1])


def test_load_restores_the_auto_recipe_so_clone_and_fit_repeat_it(command_data, fivedreg_bin):
    """A model of `fivedreg train --auto` loads as auto=True with its budget and seed (not as
    the winner's ensemble of fold models), so that clone(...).fit(...) runs the same search
    and, on the same rows, writes the very same model file."""
    folder, train, _ = command_data
    model = folder / "auto-recipe.fdr"
    run(fivedreg_bin, "train", train, "-o", model, "--auto", "--budget", 0.5, "--seed", 5,
        "--split", "1,0,0")
    estimator = FiveDRegressor.load(model)
    params = estimator.get_params()
    assert params["auto"] is True
    assert params["budget"] == 0.5
    assert params["random_state"] == 5
    assert params["ensemble"] == 1
    names, rows = read_csv(train)
    X = pd.DataFrame(rows[:, :-1], columns=names[:-1])
    y = pd.Series(rows[:, -1], name=names[-1])
    refit = clone(estimator).fit(X, y)
    assert [e["config"] for e in refit.leaderboard_] == [e["config"] for e in estimator.leaderboard_]
    out = folder / "auto-refit.fdr"
    refit.save(out)
    assert out.read_bytes() == model.read_bytes()


def test_card_is_the_description_inspect_gives(fivedreg_bin):
    """``card_`` is the library's description of the kept model, the same as ``fivedreg
    inspect --json``'s ``card``: for a tree ensemble, a version-4 kernel model (its std one
    number) and a version-4 blend of kernel models."""
    import pathlib
    fixtures = pathlib.Path(__file__).resolve().parents[2] / "fivedreg" / "tests" / "fixtures"
    expected = {
        "v4-trees.fdr": ("trees", "each_holding_out_one_fold", "spread_in_quadrature", False),
        "v4-auto.fdr": ("kernel", "refitted_on_every_row", "constant", False),
        "v4-autoblend.fdr": ("kernel", "refitted_on_every_row", "constant", True),
    }
    for name, (kind, fitted, rule, blended) in expected.items():
        card = FiveDRegressor.load(fixtures / name).card_
        assert card == json.loads(run(fivedreg_bin, "inspect", fixtures / name, "--json"))["card"]
        assert (card["kind"], card["fitted"], card["std"]["rule"]) == (kind, fitted, rule), card
        assert (card["blend"] is not None) == blended, card
        if blended:
            assert card["blend"]["std_rule"] == "holder_times_ratio"
            weights = card["blend"]["main_weight"] + sum(p["weight"] for p in card["blend"]["parts"])
            assert abs(weights - 1.0) < 1e-12
