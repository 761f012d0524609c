"""Writes crates/metrics/tests/fixtures/sklearn_metrics.json: scikit-learn's regression
metrics on a few fixed vectors, for the parity test crates/metrics/tests/sklearn_parity.rs.

Usage (from the repository root): python scripts/gen_metrics_fixture.py
Needs numpy and scikit-learn; the Rust tests only read the committed JSON.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.metrics import (
    max_error,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)


def cases():
    yield "hand", [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    yield "constant_target_imperfect", [2.0, 2.0, 2.0, 2.0], [2.0, 2.5, 1.5, 2.0]
    yield "constant_target_perfect", [5.0, 5.0, 5.0], [5.0, 5.0, 5.0]
    yield "negative_r2", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]
    # (A single value is left out: its R² is undefined; fivedreg gives NaN, as it does for
    # every constant target, where scikit-learn by default writes 0 or 1.)
    yield "two_values", [1.5, -2.0], [-0.25, -1.0]
    rng = np.random.default_rng(20240611)
    truth = rng.standard_normal(200) * 3.0 + 1.0
    yield "random_close", truth, truth + 0.1 * rng.standard_normal(200)
    yield "random_unrelated", truth, rng.standard_normal(200)
    big = 1e6 + rng.standard_normal(50)
    yield "large_offset", big, big + 0.01 * rng.standard_normal(50)
    tiny = 1e-8 * rng.standard_normal(50)
    yield "tiny_scale", tiny, tiny * 0.9


def main():
    out = []
    for name, truth, predicted in cases():
        t = np.asarray(truth, dtype=np.float64)
        p = np.asarray(predicted, dtype=np.float64)
        out.append(
            {
                "name": name,
                "truth": t.tolist(),
                "predicted": p.tolist(),
                "r2": float(r2_score(t, p)),
                "mse": float(mean_squared_error(t, p)),
                "rmse": float(root_mean_squared_error(t, p)),
                "mae": float(mean_absolute_error(t, p)),
                "max_error": float(max_error(t, p)),
            }
        )
    path = pathlib.Path(__file__).resolve().parent.parent / "crates/metrics/tests/fixtures/sklearn_metrics.json"
    doc = {"generator": "scripts/gen_metrics_fixture.py", "sklearn_version": sklearn.__version__,
           "numpy_version": np.__version__, "cases": out}
    # json writes floats with repr(), which round-trips every f64 exactly.
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
