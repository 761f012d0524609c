"""Writes crates/nn/tests/fixtures/sklearn_parity.json: what scikit-learn's MLPRegressor
(adam solver) does from given initial weights, for fivedreg-nn's parity tests.

Run with any Python that has scikit-learn 1.5.1 and numpy 1.26.4:
    python scripts/gen_nn_parity.py

Cases
- adam: a few epochs without shuffling or early stopping, from f32-representable initial
  weights and data; records the final weights and the loss curve.
- early_stopping: training with early stopping until it stops; the validation split that
  scikit-learn carves out internally is reproduced here and written out, so fivedreg gets the
  same training and validation rows; records epochs, validation scores and the kept weights.
- rule_score / rule_loss: scripted sequences of validation scores / training losses fed to
  scikit-learn's own `_update_no_improvement_count`, with the loop's stopping test.
"""
import json
import os
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "nn", "tests", "fixtures",
                   "sklearn_parity.json")


def f32(a):
    """Rounds to the nearest f32, kept as f64 so scikit-learn computes in f64."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def seed_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    y = (X ** 2).sum(1) + 0.1 * rng.standard_normal(n)
    y = (y - y.mean()) / y.std()
    return f32(X), f32(y)


def primed(hidden, X, y, **kw):
    """An MLPRegressor with every attribute set up by one epoch of fit, then given f32
    initial weights from its own Glorot draw and reset to start afresh on the next fit."""
    m = MLPRegressor(hidden_layer_sizes=hidden, solver="adam", activation="relu",
                     warm_start=True, random_state=0, max_iter=1, **kw)
    m.fit(X, y)
    fresh = MLPRegressor(hidden_layer_sizes=hidden, random_state=1, max_iter=1)
    fresh._random_state = np.random.RandomState(1)
    layer_units = [X.shape[1], *hidden, 1]
    m.coefs_, m.intercepts_ = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        c, b = fresh._init_coef(fan_in, fan_out, np.float64)
        m.coefs_.append(f32(c))
        m.intercepts_.append(f32(b))
    m.loss_curve_ = []
    m._no_improvement_count = 0
    m.n_iter_ = 0
    m.t_ = 0
    if m.early_stopping:
        m.validation_scores_ = []
        m.best_validation_score_ = -np.inf
    else:
        m.best_loss_ = np.inf
    return m, layer_units


def weights(m):
    return [c.ravel().tolist() for c in m.coefs_], [b.tolist() for b in m.intercepts_]


def adam_case():
    X, y = seed_data(50, 1)
    hidden = (8, 6)
    m, sizes = primed(hidden, X, y, shuffle=False, early_stopping=False, alpha=0.01,
                      learning_rate_init=0.01, batch_size=16, n_iter_no_change=1000)
    init_w, init_b = weights(m)
    m.max_iter = 3
    m.fit(X, y)
    final_w, final_b = weights(m)
    return dict(sizes=sizes, alpha=0.01, learning_rate=0.01, batch_size=16, epochs=3,
                x=X.ravel().tolist(), y=y.tolist(), init_w=init_w, init_b=init_b,
                final_w=final_w, final_b=final_b, loss_curve=list(m.loss_curve_))


def early_stopping_case():
    X, y = seed_data(150, 2)
    hidden = (8,)
    kw = dict(shuffle=False, early_stopping=True, validation_fraction=0.2, alpha=1e-4,
              learning_rate_init=0.01, batch_size=32, n_iter_no_change=3, tol=1e-3)
    m, sizes = primed(hidden, X, y, **kw)
    init_w, init_b = weights(m)
    m.max_iter = 300
    m.fit(X, y)
    # The split fit made internally: a fresh RandomState(random_state) feeds train_test_split
    # (warm start draws nothing before it).
    Xtr, Xva, ytr, yva = train_test_split(X, y, random_state=np.random.RandomState(0),
                                          test_size=0.2)
    final_w, final_b = weights(m)
    scores = list(m.validation_scores_)
    best = -np.inf
    margins = []
    for s in scores:
        margins.append(abs(s - (best + kw["tol"])))
        if s > best:
            margins.append(s - best)
            best = s
    print("early stopping: epochs", m.n_iter_, "best", int(np.argmax(scores)) + 1,
          "smallest margin of a comparison", min(margins))
    return dict(sizes=sizes, alpha=kw["alpha"], learning_rate=kw["learning_rate_init"],
                batch_size=kw["batch_size"], patience=kw["n_iter_no_change"], tol=kw["tol"],
                max_epochs=300, x_train=Xtr.ravel().tolist(), y_train=ytr.tolist(),
                x_val=Xva.ravel().tolist(), y_val=yva.tolist(), init_w=init_w, init_b=init_b,
                final_w=final_w, final_b=final_b, loss_curve=list(m.loss_curve_),
                validation_scores=scores, epochs=m.n_iter_,
                best_epoch=int(np.argmax(scores)) + 1)


def rule_case(values, early_stopping, tol, patience):
    m = MLPRegressor(early_stopping=early_stopping, tol=tol, n_iter_no_change=patience)
    m.coefs_, m.intercepts_ = [np.zeros((1, 1))], [np.zeros(1)]
    m._no_improvement_count = 0
    m.loss_curve_ = []
    it = iter(values)
    if early_stopping:
        m.validation_scores_ = []
        m.best_validation_score_ = -np.inf
        m._score = lambda X, y: next(it)
    else:
        m.best_loss_ = np.inf
    counts, bests, stop_at = [], [], None
    for epoch, v in enumerate(values, start=1):
        if not early_stopping:
            m.loss_curve_.append(v)
        m._update_no_improvement_count(early_stopping, None, None)
        counts.append(m._no_improvement_count)
        bests.append(m.best_validation_score_ if early_stopping else m.best_loss_)
        if m._no_improvement_count > patience:
            stop_at = epoch
            break
    return dict(values=values, tol=tol, patience=patience, counts=counts, bests=bests,
                stop_at=stop_at)


def main():
    rng = np.random.default_rng(3)
    rising = np.cumsum(rng.uniform(0, 2e-4, 40)).tolist()
    score_cases = [
        rule_case([0.1, 0.5, 0.5, 0.50005, 0.6, 0.6, 0.6, 0.59, 0.6001, 0.7], True, 1e-4, 2),
        rule_case([0.9, 0.8, 0.85, 0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.88], True, 0.0, 3),
        rule_case(rising, True, 1e-4, 5),
    ]
    loss_cases = [
        rule_case([1.0, 0.5, 0.5, 0.49995, 0.4, 0.4, 0.41, 0.399, 0.3999, 0.2], False, 1e-4, 2),
        rule_case([1.0 - x for x in rising], False, 1e-4, 5),
    ]
    fixture = dict(adam=adam_case(), early_stopping=early_stopping_case(),
                   rule_score=score_cases, rule_loss=loss_cases)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
