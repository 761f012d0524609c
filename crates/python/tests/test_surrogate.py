"""The surrogate toolkit from Python: Sobol' indices equal SALib's on the same model and
sample, designs are as well spread as SciPy's, and suggest/optimize go through the Rust
side's checks."""

import numpy as np
import pytest
from scipy.stats import qmc

from fivedreg import FiveDRegressor, design
from fivedreg import _native

# SALib is pinned in requirements-test.txt: a missing one fails here rather than skipping.
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


@pytest.fixture(scope="module")
def ishigami_model():
    """An ensemble of small L-BFGS networks of the Ishigami function (2,000 noise-free rows):
    the parity below needs a model, not an accurate one, and this one fits in seconds."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, size=(2000, 3))
    return FiveDRegressor(
        hidden_layer_sizes=(32, 16), solver="lbfgs", max_iter=200, ensemble=3, random_state=0
    ).fit(x, ishigami(x))


def problem_of(result):
    names = list(result["ranges"])
    return {"num_vars": len(names), "names": names, "bounds": [list(result["ranges"][n]) for n in names]}


def test_indices_equal_salibs_on_our_sample(ishigami_model):
    ours = ishigami_model.sensitivity(n=1024, seed=3)
    x = _native.model_saltelli_sample(ishigami_model._model, 1024, None, 3)
    assert x.shape == (1024 * 5, 3)
    salib = sobol_analyze.analyze(
        problem_of(ours), ishigami_model.predict(x), calc_second_order=False, seed=1
    )
    np.testing.assert_allclose(ours["S1"], salib["S1"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["ST"], salib["ST"], rtol=0, atol=1e-9)
    # The bootstrap draws differ (numpy's generator against ours): only their size agrees.
    np.testing.assert_allclose(ours["S1_conf"], salib["S1_conf"], rtol=0.5)


def test_indices_equal_salibs_on_salibs_sample(ishigami_model):
    problem = problem_of(ishigami_model.sensitivity(n=8))
    x = sobol_sample.sample(problem, 512, calc_second_order=False, seed=5)
    y = ishigami_model.predict(x)
    ours = _native.sobol_analyze(np.ascontiguousarray(y), problem["names"])
    salib = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=1)
    np.testing.assert_allclose(ours["S1"], salib["S1"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["ST"], salib["ST"], rtol=0, atol=1e-9)


def test_lhs_is_stratified_and_no_less_uniform_than_scipys():
    n, d = 64, 4
    ranges = {f"x{j}": (0.0, 1.0) for j in range(d)}
    ours, scipys = [], []
    for seed in range(5):
        x = design.lhs(n, ranges, seed=seed)
        for j in range(d):
            assert sorted(np.floor(x[:, j] * n).astype(int)) == list(range(n))
        ours.append(qmc.discrepancy(x, method="CD"))
        scipys.append(qmc.discrepancy(qmc.LatinHypercube(d, seed=seed).random(n), method="CD"))
    assert np.mean(ours) <= np.mean(scipys), (ours, scipys)


def test_sobol_is_no_less_uniform_than_scipys():
    n, d = 128, 5
    ranges = {f"x{j}": (0.0, 1.0) for j in range(d)}
    ours = [qmc.discrepancy(design.sobol(n, ranges, seed=s), method="CD") for s in range(5)]
    scipys = [qmc.discrepancy(qmc.Sobol(d, seed=s).random(n), method="CD") for s in range(5)]
    # Equal in distribution (both linear matrix scrambling): allow the seeds' scatter.
    assert np.mean(ours) <= 1.1 * np.mean(scipys), (ours, scipys)
    x = design.sobol(8, {"a": (-5.0, 10.0), "b": (0.0, 15.0)})
    assert x.shape == (8, 2) and x[:, 0].min() >= -5 and x[:, 1].max() < 15


def test_suggest_and_optimize(ishigami_model):
    s = ishigami_model.suggest(3, ranges={"x0": (-4.0, 4.0)})
    assert s["points"].shape == (3, 3) and np.all(s["std"] > 0)
    o = ishigami_model.optimize(minimize=False, starts=4)
    assert o["points"].shape[1] == 3 and o["values"][0] >= o["values"][-1]
    assert o["std"][0] is not None


def test_bad_options_are_refused_by_the_rust_side(ishigami_model):
    with pytest.raises(ValueError, match="unknown input"):
        ishigami_model.sensitivity(ranges={"nope": (0, 1)})
    with pytest.raises(ValueError, match="invalid range"):
        design.lhs(8, {"a": (1.0, 0.0)})
    with pytest.raises(ValueError, match="invalid --lhs 0"):
        design.lhs(0, {"a": (0.0, 1.0)})
    single = FiveDRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(
        np.random.default_rng(1).uniform(size=(50, 2)), np.arange(50.0)
    )
    with pytest.raises(ValueError, match="suggest needs a model with a standard deviation"):
        single.suggest(2)
