"""Writes crates/nn/tests/fixtures/sklearn_lbfgs.json: what scikit-learn's MLPRegressor with
solver="lbfgs" reaches from given initial weights, for fivedreg-nn's L-BFGS parity test.

Run with any Python that has scikit-learn 1.5.1 and numpy 1.26.4:
    python scripts/gen_lbfgs_parity.py

Each case: f32-representable data (the seed task, standardized target) and initial weights
(scikit-learn's own Glorot draw, rounded to f32), trained by `_fit_lbfgs` from those weights;
records the final training loss (`loss_`, the objective L-BFGS minimised) and `n_iter_`.
"""
import json
import os
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "nn", "tests", "fixtures",
                   "sklearn_lbfgs.json")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def seed_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    y = (X ** 2).sum(1) + 0.1 * rng.standard_normal(n)
    y = (y - y.mean()) / y.std()
    return f32(X), f32(y)


def case(n, seed, hidden, alpha, max_iter):
    X, y = seed_data(n, seed)
    m = MLPRegressor(hidden_layer_sizes=hidden, solver="lbfgs", alpha=alpha,
                     max_iter=max_iter, random_state=seed)
    sizes = [X.shape[1], *hidden, 1]
    rs = np.random.RandomState(seed)
    m._random_state = rs
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        c, b = m._init_coef(fan_in, fan_out, np.float64)
        coefs.append(f32(c))
        intercepts.append(f32(b))
    # warm_start with the given weights: fit starts from them.
    m.set_params(warm_start=True)
    m.coefs_ = [c.copy() for c in coefs]
    m.intercepts_ = [b.copy() for b in intercepts]
    m.n_outputs_ = 1
    m.n_layers_ = len(sizes)
    m.out_activation_ = "identity"
    m._best_coefs = None
    m.n_iter_ = 0
    m.t_ = 0
    m.fit(X, y)
    print(f"n={n} hidden={hidden} alpha={alpha}: loss {m.loss_:.6g} after {m.n_iter_} iterations")
    return dict(sizes=sizes, alpha=alpha, max_iter=max_iter, x=X.ravel().tolist(), y=y.tolist(),
                init_w=[c.ravel().tolist() for c in coefs],
                init_b=[b.tolist() for b in intercepts],
                final_loss=float(m.loss_), n_iter=int(m.n_iter_))


def main():
    # A linear network (convex loss: one minimum, which both must reach) and two one-layer
    # networks (non-convex: fivedreg must reach a loss at least as low).
    cases = [case(300, 4, (), 1e-2, 500), case(200, 1, (10,), 1e-4, 200),
             case(400, 3, (12,), 1e-2, 1000)]
    with open(OUT, "w") as f:
        json.dump(dict(cases=cases), f)


if __name__ == "__main__":
    main()
