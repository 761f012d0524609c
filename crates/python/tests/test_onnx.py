"""ONNX export: ONNX Runtime's predictions (and std) equal fivedreg's for every model kind.

Each kind is exported by ``FiveDRegressor.to_onnx`` (the same Rust function as ``fivedreg
export --onnx``), checked by ``onnx.checker.check_model``, and run by ONNX Runtime on 10,000
random points, half inside the training domain and half outside it (up to half its width
beyond each side). The agreement asked is 1e-5 relative: |onnx − fivedreg| ≤ 1e-5 ·
max(|fivedreg|, spread), with spread the predictions' standard deviation over the points
(so that a prediction crossing zero is not held to a relative error of an absolute zero).
The largest disagreement of each kind is printed (``pytest -s``) and recorded in
docs/onnx.md.

The kernel, tree, blend and ``--auto`` models are model files in tests/data/onnx, written
by ``cargo run --release -p fivedreg-onnx --example onnx_fixtures -- <that folder>`` (no
estimator option trains them directly); the networks are trained here.
"""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from fivedreg import FiveDRegressor
from fivedreg import _native
from helpers import run

# The networks here train for a few epochs only: their agreement is what is tested.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIXTURES = Path(__file__).resolve().parent / "data" / "onnx"
POINTS = 10_000
RTOL = 1e-5


def friedman(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 5))
    y = (
        10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + 20 * (X[:, 2] - 0.5) ** 2
        + 10 * X[:, 3]
        + 5 * X[:, 4]
        + rng.normal(0, 0.1, n)
    )
    return X, y


def skew(X):
    """The fixtures' skewed inputs (onnx_fixtures.rs): exp(4x) − 1, x, −exp(3x), exp(4x) − 1, x."""
    return np.column_stack(
        [np.exp(4 * X[:, 0]) - 1, X[:, 1], -np.exp(3 * X[:, 2]), np.exp(4 * X[:, 3]) - 1, X[:, 4]]
    )


def points(seed, skewed=False):
    """10,000 points of the unit box's neighbourhood: half in [0, 1]^5, half in
    [-0.5, 1.5]^5 outside it; skewed as the fixtures' inputs when asked."""
    rng = np.random.default_rng(seed)
    inside = rng.uniform(0, 1, (POINTS // 2, 5))
    outside = rng.uniform(-0.5, 1.5, (POINTS, 5))
    outside = outside[((outside < 0) | (outside > 1)).any(axis=1)][: POINTS // 2]
    X = np.vstack([inside, outside])
    assert X.shape == (POINTS, 5)
    return skew(X) if skewed else X


def disagreement(onnx_values, reference):
    """Largest |a − b| / max(|b|, spread), and the plain largest relative error."""
    floor = max(float(np.std(reference)), 1e-300)
    error = np.abs(onnx_values - reference)
    scaled = float(np.max(error / np.maximum(np.abs(reference), floor)))
    plain = float(np.max(error / np.maximum(np.abs(reference), 1e-300)))
    return scaled, plain


def compare(estimator, kind, tmp_path, skewed=False, seed=0):
    path = tmp_path / f"{kind}.onnx"
    has_std = estimator.to_onnx(path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [o.domain for o in model.opset_import] == [""]
    assert model.opset_import[0].version == _native.ONNX_OPSET

    X = points(seed, skewed)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    assert outputs == (["prediction", "std"] if has_std else ["prediction"])
    got = session.run(None, {"X": X})
    assert got[0].dtype == np.float64 and got[0].shape == (POINTS,)

    # The native model's own predictions (the estimator's predict(return_std=True) asks for
    # an ensemble of networks; a kernel model has its std too).
    if has_std:
        mean, std = estimator._model.predict_with_std(X)
    else:
        mean, std = estimator._model.predict(X), None
    scaled, plain = disagreement(got[0], mean)
    line = f"[onnx] {kind:24s} prediction: {scaled:.2e} (plain relative {plain:.2e})"
    if has_std:
        std_scaled, std_plain = disagreement(got[1], std)
        line += f"; std: {std_scaled:.2e} (plain relative {std_plain:.2e})"
        assert std_scaled <= RTOL, line
    print(line)
    assert scaled <= RTOL, line
    return has_std


@pytest.fixture(scope="module")
def friedman_task():
    return friedman(400, seed=1)


def small(**options):
    base = dict(hidden_layer_sizes=(32, 16), max_iter=60, random_state=0)
    base.update(options)
    return FiveDRegressor(**base)


@pytest.mark.parametrize(
    "kind, options",
    [
        ("network adam", {}),
        ("network tanh", {"activation": "tanh"}),
        ("ensemble of 5", {"ensemble": 5}),
        ("network l-bfgs", {"solver": "lbfgs", "max_iter": 100}),
    ],
)
def test_networks_agree(kind, options, friedman_task, tmp_path):
    X, y = friedman_task
    estimator = small(**options).fit(X, y)
    has_std = compare(estimator, kind, tmp_path)
    assert has_std == (options.get("ensemble", 1) > 1)


def test_a_network_on_yeo_johnson_inputs_agrees(friedman_task, tmp_path):
    X, y = friedman_task
    estimator = small(power_transform=True, ensemble=3).fit(skew(X), y)
    compare(estimator, "network yeo-johnson", tmp_path, skewed=True)


@pytest.mark.parametrize(
    "kind",
    [
        "kernel_thin-plate",
        "kernel_cubic",
        "kernel_quintic",
        "kernel_gaussian",
        "kernel_gaussian-linear",
        "kernel_gaussian-process",
        "kernel_yeo_johnson",
        "trees",
        "trees_yeo_johnson",
        "blend",
        "auto",
    ],
)
def test_model_files_agree(kind, tmp_path):
    estimator = FiveDRegressor.load(FIXTURES / f"{kind}.fdr")
    has_std = compare(estimator, kind, tmp_path, skewed="yeo_johnson" in kind)
    assert has_std


def test_the_command_line_writes_the_same_file(fivedreg_bin, tmp_path):
    model = FIXTURES / "blend.fdr"
    out = tmp_path / "cli.onnx"
    text = run(fivedreg_bin, "export", str(model), "--onnx", str(out))
    assert "opset 18" in text and "prediction, std" in text
    FiveDRegressor.load(model).to_onnx(tmp_path / "python.onnx")
    assert out.read_bytes() == (tmp_path / "python.onnx").read_bytes()


def test_a_failed_export_writes_nothing(friedman_task, tmp_path):
    X, y = friedman_task
    estimator = small(max_iter=2).fit(X, y)
    missing = tmp_path / "no such folder" / "model.onnx"
    with pytest.raises(OSError, match="no such folder"):
        estimator.to_onnx(missing)
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_unfitted_estimator_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FiveDRegressor().to_onnx(tmp_path / "x.onnx")
    assert list(tmp_path.iterdir()) == []
