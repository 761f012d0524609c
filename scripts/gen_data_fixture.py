"""Writes crates/data/tests/fixtures/sklearn_data.json: scikit-learn's StandardScaler on a
few fixed matrices (statistics and transformed values) and make_friedman1's noiseless
samples, for the parity test crates/data/tests/sklearn_parity.rs.

Usage (from the repository root): python scripts/gen_data_fixture.py
Needs numpy and scikit-learn; the Rust tests only read the committed JSON.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.datasets import make_friedman1
from sklearn.preprocessing import StandardScaler


def matrices():
    rng = np.random.default_rng(7)
    yield "gaussian", rng.standard_normal((40, 3)) * [1.0, 10.0, 0.01] + [0.0, -5.0, 3.0]
    # A constant column (scale 1 in both) beside ordinary ones.
    m = rng.uniform(-2, 2, (25, 3))
    m[:, 1] = 4.25
    yield "constant_column", m
    yield "large_offset", 1e6 + rng.standard_normal((30, 2))
    yield "one_row", np.array([[1.5, -2.0, 0.0]])
    yield "two_rows", np.array([[1.0, 2.0], [3.0, -2.0]])


def main():
    scalers = []
    for name, x in matrices():
        s = StandardScaler().fit(x)
        scalers.append(
            {
                "name": name,
                "n_columns": x.shape[1],
                "values": x.ravel().tolist(),
                "mean": s.mean_.tolist(),
                "scale": s.scale_.tolist(),
                "transformed": s.transform(x).ravel().tolist(),
            }
        )
    x, y = make_friedman1(n_samples=20, n_features=7, noise=0.0, random_state=3)
    doc = {
        "generator": "scripts/gen_data_fixture.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "standard_scaler": scalers,
        "friedman1": {"n_inputs": 7, "x": x.ravel().tolist(), "y": y.tolist()},
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "crates/data/tests/fixtures/sklearn_data.json"
    # json writes floats with repr(), which round-trips every f64 exactly.
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(scalers)} scaler cases and 20 Friedman #1 rows to {path}")


if __name__ == "__main__":
    main()
