"""FiveDRegressor: scikit-learn's estimator interface over fivedreg's Rust library.

The Rust side (``fivedreg._native.Model``) fits and predicts with the GIL released; this
module does what is scikit-learn's business: parameter names and checks, input validation
with scikit-learn's own helpers (so errors read as they do for MLPRegressor), feature names,
pickling as the model file's bytes, and ``save``/``load`` of the ``fivedreg`` command's files.
"""

import json
import math
import numbers
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _native
from ._native import Model


def _ranges(ranges):
    """{name: (low, high)} as the (name, low, high) triples the native side checks."""
    if ranges is None:
        return None
    return [(str(name), float(low), float(high)) for name, (low, high) in dict(ranges).items()]

# What the native code reads without a conversion in Python.
_FLOAT_DTYPES = (np.float64, np.float32)

# Placeholder feature names of a model fitted on arrays without column names (scikit-learn's
# convention for unnamed columns). They are what `fivedreg predict` expects in a CSV header.
_UNNAMED_PREFIX = "x"

# Fitted attributes derived from the model; pickling keeps the model file's bytes instead.
_FITTED_ATTRIBUTES = (
    "n_iter_",
    "loss_",
    "n_members_",
    "heldout_score_",
    "leaderboard_",
    "card_",
    "t_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "n_features_in_",
    "feature_names_in_",
)

# The training options as the library describes them (fivedreg::params, by their Python
# names): their kinds and valid ranges give the parameter checks below.
_TRAIN_PARAMS = {spec["name"]: spec for spec in _native.train_params()}
_MAX_WIDTH = int(_TRAIN_PARAMS["hidden_layer_sizes"]["max"])
_MAX_HIDDEN_LAYERS = int(_TRAIN_PARAMS["hidden_layer_sizes"]["max_len"])
_MAX_THREADS = int(_TRAIN_PARAMS["n_threads"]["max"])


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong type or value (scikit-learn's exception of the same
    name also derives from both)."""


def _unnamed(n_features):
    return [f"{_UNNAMED_PREFIX}{i}" for i in range(n_features)]


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _real_in(low, high, low_closed, high_closed):
    """A check for a finite real in an interval (None = unbounded), and its description."""

    def check(value):
        if not _is_real(value) or not math.isfinite(value):
            return False
        if low is not None and (value < low or (value == low and not low_closed)):
            return False
        if high is not None and (value > high or (value == high and not high_closed)):
            return False
        return True

    left = "[" if low_closed else "("
    right = "]" if high_closed else ")"
    low_text = "-inf" if low is None else repr(float(low))
    high_text = "inf" if high is None else repr(float(high))
    return check, f"a float in the range {left}{low_text}, {high_text}{right}"


def _int_in(low, high):
    """A check for an int in [low, high] (None = unbounded), and its description."""

    def check(value):
        return (
            _is_int(value)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )

    low_text = "-inf" if low is None else int(low)
    high_text = "inf" if high is None else int(high)
    return check, f"an int in the range [{low_text}, {high_text}" + ("]" if high is not None else ")")


def _hidden_layer_sizes_ok(value):
    if _is_int(value):
        return 1 <= value <= _MAX_WIDTH
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return False
    sizes = list(value)
    return len(sizes) <= _MAX_HIDDEN_LAYERS and all(
        _is_int(s) and 1 <= s <= _MAX_WIDTH for s in sizes
    )


def _random_state_ok(value):
    if value is None or isinstance(value, np.random.RandomState):
        return True
    return _is_int(value) and 0 <= value < 2**64


def _constraint(spec):
    """The check of one option from the library's description of it."""
    kind = spec["kind"]
    if kind == "bool":
        return _is_bool, "an instance of 'bool'"
    if kind == "choice":
        choices = tuple(spec["choices"])
        return (lambda v: v in choices), "a str among {" + ", ".join(repr(c) for c in choices) + "}"
    if kind == "integer":
        return _int_in(spec["min"], spec["max"])
    return _real_in(spec["min"], spec["max"], not spec["min_exclusive"], not spec["max_exclusive"])


# Every option's check comes from the library; these take Python's own forms as well
# (scikit-learn's conventions: an int for one layer, 'auto', a RandomState, None).
_CONSTRAINTS = {name: _constraint(spec) for name, spec in _TRAIN_PARAMS.items()}
_CONSTRAINTS.update(
    {
        "hidden_layer_sizes": (
            _hidden_layer_sizes_ok,
            f"an int or a sequence of at most {_MAX_HIDDEN_LAYERS} ints, each in the range "
            f"[1, {_MAX_WIDTH}]",
        ),
        "batch_size": (
            lambda v: v == "auto" or (_is_int(v) and v >= 1),
            "a str among {'auto'} or an int in the range [1, inf)",
        ),
        "random_state": (
            _random_state_ok,
            "None, an int in the range [0, 2**64 - 1] or an instance of 'numpy.random.RandomState'",
        ),
        "n_threads": (
            lambda v: v is None or (_is_int(v) and 1 <= v <= _MAX_THREADS),
            f"None or an int in the range [1, {_MAX_THREADS}]",
        ),
    }
)


class FiveDRegressor(RegressorMixin, BaseEstimator):
    """A multi-layer perceptron regressor trained by fivedreg, with MLPRegressor's interface.

    It trains the network of ``fivedreg train`` (ReLU hidden layers, Adam or L-BFGS, L2
    penalty, standardized inputs and target) in Rust, about an order of magnitude faster than
    scikit-learn's ``MLPRegressor``, and predicts in the units of ``y``; an ensemble also
    gives a calibrated standard deviation (``predict(X, return_std=True)``). Parameters that
    MLPRegressor also has keep its names and meanings; the defaults are fivedreg's (early
    stopping on).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(64, 32, 16)
        Widths of the hidden layers (an empty tuple gives a linear model).
    activation : {'relu', 'tanh'}, default='relu'
        The hidden layers' activation; 'tanh' makes the network a smooth function, often
        more accurate on smooth targets with ``solver='lbfgs'``.
    solver : {'adam', 'lbfgs'}, default='adam'
        The optimizer: Adam over minibatches, or full-batch L-BFGS (which trains on every
        row and ignores ``early_stopping``, as MLPRegressor's does).
    alpha : float, default=1e-4
        Strength of the L2 penalty.
    batch_size : int or 'auto', default='auto'
        Minibatch rows; 'auto' is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size, in (0, 1].
    max_iter : int, default=500
        Most epochs (Adam) or iterations (L-BFGS).
    shuffle : bool, default=True
        Shuffle the training rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the initial weights and the minibatch order. An int is
        the ``--seed`` of the ``fivedreg`` command (same data and seed, same model); None
        draws a seed from numpy's global random state.
    tol : float, default=1e-4
        Least improvement of the validation R² (or of the training loss without early
        stopping) that counts.
    early_stopping : bool, default=True
        Set ``validation_fraction`` of the rows aside and stop when their R² has not
        improved by ``tol`` for ``n_iter_no_change`` epochs, keeping the best epoch's
        weights. When False, training stops on the training loss instead.
    validation_fraction : float, default=0.1
        Share of the rows set aside for early stopping.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decays and epsilon.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated.
    max_fun : int, default=15000
        Most loss evaluations of L-BFGS.
    ensemble : int, default=1
        Networks trained (1 to 64). Above 1, the rows are cut into ``ensemble`` folds and
        each member holds one out (for early stopping, and to calibrate the members'
        spread into the standard deviation ``predict(X, return_std=True)`` returns);
        ``validation_fraction`` is then unused. With Adam and early stopping the members
        train in step and all stop on their pooled held-out R², each keeping its weights of
        the best pooled epoch. Predictions are the members' mean.
    auto : bool, default=False
        Choose the model as ``fivedreg train --auto`` does: 5-fold cross-validation over a
        short list of networks, boosted trees and kernel models within ``budget``
        work-seconds; the model is the winner's (or a blend of the best). The network
        parameters above are then the candidates' (the seed, ``max_iter`` and the stopping
        rule of Adam, and the threads still apply). The budget counts work, not wall time,
        so the same data, parameters and seed give the same model on a busy machine.
    budget : float, default=10.0
        Work-seconds ``auto`` may spend: each candidate's operations counted at fixed rates
        (about one idle core's), so a busy machine takes longer instead of choosing
        another model.
    folds : int, default=5
        Cross-validation folds of ``auto`` (2 to 64): each candidate is scored on every fold
        it held out, and a winner of fold models keeps one per fold.
    power_transform : bool, default=False
        Apply a Yeo-Johnson transform to the features before standardizing them (for skewed
        inputs; ``auto`` tries it by itself on skewed data).
    n_threads : int or None, default=None
        Training threads (None: every core). Results do not depend on it.

    Attributes
    ----------
    n_iter_ : int
        Epochs (Adam) or iterations (L-BFGS) run; of the first member of an ensemble.
    loss_ : float
        The last training loss.
    t_ : int
        Training samples seen (epochs times training rows).
    loss_curve_ : list of float
        Training loss per epoch (on the standardized target, float32 precision).
    best_loss_ : float or None
        Lowest training loss, when ``early_stopping`` is False.
    validation_scores_ : list of float or None
        Validation R² per epoch, when ``early_stopping`` is True.
    best_validation_score_ : float or None
        The best validation R², when ``early_stopping`` is True.
    n_members_ : int
        Members of the model: ``ensemble``'s networks; after ``auto``, 5 fold models
        (networks or trees) or 1 kernel model.
    heldout_score_ : float or None
        For an ensemble, the R² of each member's predictions of the fold it held out, all
        folds together (a cross-validated score).
    leaderboard_ : list of dict or None
        After ``auto``: each candidate's configuration with its mean and standard deviation
        of the fold R², best first.
    card_ : dict
        The model as it was kept, as ``fivedreg inspect --json`` and the server describe it:
        ``kind`` (``networks``, ``kernel`` or ``trees``), ``member``, ``members``,
        ``fitted``, ``solver``, ``parameters``, ``std`` (its ``rule``, ``scale``, ``floor``
        and ``test_coverage``, or None) and ``blend`` (or None).
    n_features_in_ : int
        Features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when X had string column names.
    """

    def __init__(
        self,
        hidden_layer_sizes=(64, 32, 16),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=500,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        ensemble=1,
        auto=False,
        budget=10.0,
        folds=5,
        power_transform=False,
        n_threads=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.ensemble = ensemble
        self.auto = auto
        self.budget = budget
        self.folds = folds
        self.power_transform = power_transform
        self.n_threads = n_threads

    # ----------------------------------------------------------------- fitting

    def _check_params(self):
        for name, (check, valid) in _CONSTRAINTS.items():
            value = getattr(self, name)
            if not check(value):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be {valid}. "
                    f"Got {value!r} instead."
                )

    def _native_params(self, n_samples):
        """The options of the Rust library for a fit on `n_samples` rows, checking that the
        rows suffice: for training (and validation under Adam's early stopping), or for
        the folds of an ensemble."""
        if self.auto and self.ensemble != 1:
            raise ValueError(
                f"auto=True chooses an ensemble of {self.folds} fold models itself; "
                f"leave ensemble at 1 (got {self.ensemble})"
            )
        folds = self.folds if self.auto else self.ensemble
        early_stopping = bool(self.early_stopping) and (self.solver == "adam" or self.auto)
        watches_validation = early_stopping and folds == 1
        if watches_validation:
            if self.validation_fraction == 0:
                raise ValueError(
                    "early_stopping=True needs validation_fraction > 0, got 0; "
                    "set validation_fraction or early_stopping=False"
                )
            fractions = (1.0 - self.validation_fraction, self.validation_fraction, 0.0)
        else:
            # L-BFGS and ensembles train on every row (an ensemble's members hold out folds).
            fractions = (1.0, 0.0, 0.0)
        if folds > 1:
            if n_samples < max(2 * folds, folds + 2):
                remedy = "auto=False" if self.auto else "a smaller ensemble"
                raise ValueError(
                    f"With n_samples={n_samples}, {folds} folds leave too few rows: each fold "
                    "needs at least 2 rows (the rows its model is scored on), so at least "
                    f"{max(2 * folds, folds + 2)} samples. Use more samples or {remedy}."
                )
        else:
            # The library's split: floor(n * fraction) rows (nudged past rounding), rest to train.
            n_validation = math.floor(n_samples * fractions[1] * (1 + 4 * np.finfo(float).eps))
            n_train = n_samples - n_validation
            if n_train < 2 or (watches_validation and n_validation < 1):
                advice = (
                    ", a larger validation_fraction or early_stopping=False."
                    if watches_validation
                    else "."
                )
                raise ValueError(
                    f"With n_samples={n_samples} and validation_fraction="
                    f"{self.validation_fraction if watches_validation else 0}, the split gives "
                    f"{n_train} training and {n_validation} validation samples; training needs "
                    "at least 2"
                    + (" and early stopping at least 1 validation sample" if watches_validation else "")
                    + ". Use more samples"
                    + advice
                )
        sizes = self.hidden_layer_sizes
        sizes = [int(sizes)] if _is_int(sizes) else [int(s) for s in sizes]
        if self.random_state is None or isinstance(self.random_state, np.random.RandomState):
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        else:
            seed = int(self.random_state)
        # By the estimator's names; the library's TrainSpec turns them into a plan by the
        # rules the command line and the server share (the split of validation_fraction,
        # early stopping only with Adam, auto choosing the solver and the ensemble).
        params = {
            "activation": self.activation,
            "hidden_layer_sizes": sizes,
            "learning_rate_init": float(self.learning_rate_init),
            "max_iter": int(self.max_iter),
            "max_fun": int(self.max_fun),
            "batch_size": None if self.batch_size == "auto" else int(self.batch_size),
            "alpha": float(self.alpha),
            "early_stopping": bool(self.early_stopping),
            "n_iter_no_change": int(self.n_iter_no_change),
            "tol": float(self.tol),
            "beta_1": float(self.beta_1),
            "beta_2": float(self.beta_2),
            "epsilon": float(self.epsilon),
            "shuffle": bool(self.shuffle),
            "random_state": seed,
            "n_threads": 0 if self.n_threads is None else int(self.n_threads),
            "power_transform": bool(self.power_transform),
            "validation_fraction": float(self.validation_fraction),
            "auto": bool(self.auto),
        }
        if self.auto:
            params["budget"] = float(self.budget)
            params["folds"] = int(self.folds)
        else:
            params["solver"] = self.solver
            params["ensemble"] = int(self.ensemble)
        return params

    def fit(self, X, y):
        """Fit the network to ``X`` (n_samples, n_features) and ``y`` (n_samples,).

        Returns
        -------
        self : FiveDRegressor
        """
        self._check_params()
        target_name = getattr(y, "name", None)
        X, self._text_columns = _without_text_columns(X)
        X, y = validate_data(self, X, y, dtype=_FLOAT_DTYPES, y_numeric=True)
        X, y = _aligned(X), np.require(y, dtype=np.float64, requirements="A")
        feature_names = self._feature_names_for_model(X.shape[1])
        params = self._native_params(X.shape[0])
        target_name = _target_name(target_name, feature_names)
        model = Model.fit(X, y, feature_names, target_name, json.dumps(params))
        self._set_model(model)
        _warn_unconverged(model)
        return self

    def _feature_names_for_model(self, n_features):
        """The names the model file will hold: the DataFrame's column names, else
        x0, x1, ... (and then no ``feature_names_in_``, as after loading such a model)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return _unnamed(n_features)
        names = [str(n) for n in names]
        if names == _unnamed(n_features):
            del self.feature_names_in_
            return names
        if any(not n.strip() for n in names) or len(set(names)) != len(names):
            raise ValueError(
                "FiveDRegressor stores the feature names in its model file, so the column "
                f"names of X must be unique and not blank; got {names}"
            )
        return names

    def _set_model(self, model):
        """Keeps `model` and sets every fitted attribute from it."""
        self._model = model
        history = model.history()
        params = model.params()
        # L-BFGS watches no validation rows, whatever the flag says (--auto sets it for all).
        early_stopping = params["early_stopping"] and params["solver"] == "adam"
        self.n_iter_ = history["epochs"]
        self.t_ = history["epochs"] * history["train_samples"]
        self.loss_curve_ = list(history["train_loss"])
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.n_members_ = model.n_members
        self.heldout_score_ = history["heldout_r2"]
        self.leaderboard_ = history["leaderboard"]
        self.card_ = json.loads(model.card_json())
        self.best_loss_ = None if early_stopping else min(self.loss_curve_)
        self.validation_scores_ = list(history["validation_r2"]) if early_stopping else None
        self.best_validation_score_ = history["best_validation_r2"] if early_stopping else None
        names = model.feature_names
        self.n_features_in_ = len(names)
        if names == _unnamed(len(names)):
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            self.feature_names_in_ = np.asarray(names, dtype=object)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_model")

    # ---------------------------------------------------------------- predicting

    def predict(self, X, return_std=False):
        """Predict the target for the rows of ``X``, in the units of ``y``.

        A pandas DataFrame's columns are matched to the fitted feature names by name, in any
        order; a missing or unknown column is refused.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of each prediction (ensembles and ``auto``
            models, not a single network; as with GaussianProcessRegressor): the members'
            spread, or a kernel model's floor, calibrated on the folds held out so that
            about 95% of unseen targets lie within ±1.96 of it.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,), float64
        y_std : ndarray of shape (n_samples,), float64
            Only with ``return_std=True``.
        """
        check_is_fitted(self)
        if return_std and not self._model.has_std:
            raise ValueError(
                "return_std=True needs an ensemble: fit with ensemble=K (K >= 2) or "
                "auto=True; a single network has no spread to give a standard deviation"
            )
        predict = self._model.predict_with_std if return_std else self._model.predict
        if self._is_plain_input(X):
            try:
                return predict(X)
            except ValueError:
                # The native code refuses NaN and infinities too; scikit-learn's own check
                # says it in scikit-learn's words.
                validate_data(self, X, dtype=_FLOAT_DTYPES, reset=False)
                raise
        X = self._columns_in_fit_order(_without(X, getattr(self, "_text_columns", ())))
        return predict(_aligned(validate_data(self, X, dtype=_FLOAT_DTYPES, reset=False)))

    # ---------------------------------------------------------------- surrogate toolkit

    def sensitivity(self, n=4096, ranges=None, seed=42):
        """Sobol' first-order and total-effect indices of each input, as ``fivedreg
        sensitivity``: SALib's Saltelli layout of a scrambled Sobol' sample and SALib's
        ``sobol.analyze`` estimators (calc_second_order=False).

        Parameters
        ----------
        n : int, default=4096
            Base sample size (the model is evaluated n * (n_features + 2) times).
        ranges : dict of name -> (low, high), default=None
            Ranges replacing the training domain's for the inputs named.
        seed : int, default=42

        Returns
        -------
        dict with ``inputs``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (95% half-widths),
        ``n``, ``evaluations`` and ``ranges``.
        """
        check_is_fitted(self)
        return _native.model_sensitivity(self._model, n, _ranges(ranges), seed)

    def suggest(self, n, ranges=None, candidates=4096, seed=42):
        """The next ``n`` runs, as ``fivedreg suggest``: where the predicted std is largest,
        spread apart. Needs an ensemble or an ``auto=True`` model.

        Returns a dict with ``inputs``, ``points`` (n x n_features), ``prediction``, ``std``
        and ``constant_std``.
        """
        check_is_fitted(self)
        return _native.model_suggest(self._model, n, _ranges(ranges), candidates, seed)

    def optimize(self, minimize=True, ranges=None, starts=10, seed=42):
        """The best predictions within the box, as ``fivedreg optimize``: multi-start
        L-BFGS-B with finite-difference gradients.

        Returns a dict with ``inputs``, ``points`` (the optima found, best first), ``values``,
        ``std`` (None for a model without one) and ``evaluations``.
        """
        check_is_fitted(self)
        return _native.model_optimize(self._model, minimize, _ranges(ranges), starts, seed)

    def _is_plain_input(self, X):
        """Whether `X` is a numpy array that scikit-learn's validation would pass on as it
        is (2-D, float64 or float32 in native byte order, aligned, with the fitted number of
        columns, and no feature names to check), so that its checks, which cost more than
        predicting 10,000 rows, can be left to the native code."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOAT_DTYPES
            and X.dtype.isnative
            and X.flags.aligned
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and getattr(self, "feature_names_in_", None) is None
        )

    def _columns_in_fit_order(self, X):
        """A DataFrame holding exactly the fitted columns in another order, reordered by name
        (scikit-learn would refuse it); anything else is left to validate_data's checks."""
        names = getattr(self, "feature_names_in_", None)
        columns = getattr(X, "columns", None)
        if names is None or columns is None or not hasattr(X, "loc"):
            return X
        columns = list(columns)
        fitted = list(names)
        if columns != fitted and len(set(columns)) == len(columns) and set(columns) == set(fitted):
            return X.loc[:, fitted]
        return X

    # -------------------------------------------------------------- persistence

    def save(self, path):
        """Write the model file at ``path``, as ``fivedreg train -o`` does (whole or not at
        all). ``fivedreg predict``, ``evaluate`` and ``inspect`` read it."""
        check_is_fitted(self)
        self._model.save(os.fspath(path))

    def to_onnx(self, path):
        """Write the model as an ONNX file at ``path``, as ``fivedreg export MODEL --onnx``
        does (whole or not at all), for ONNX Runtime and the other ONNX runtimes.

        The graph (standard operators, opset ``fivedreg._native.ONNX_OPSET``) takes ``X``:
        double, ``[N, n_features]``, the raw features in ``feature_names_in_``'s order (or
        the fit's column order), and returns ``prediction``: double, ``[N]``, in the
        target's units, and, for a model that has one (an ensemble, kernel, trees or
        ``auto`` model), ``std``: double, ``[N]``, as ``predict(X, return_std=True)``.
        Returns whether the graph has the ``std`` output. A model the graph cannot express
        raises ``ValueError`` and writes nothing.
        """
        check_is_fitted(self)
        return self._model.to_onnx(os.fspath(path))

    @classmethod
    def load(cls, path):
        """Read a model file written by ``save`` or by ``fivedreg train``.

        The estimator's parameters are the options the model was trained with, so that
        ``clone`` and refitting train the same network. For a model made by ``auto=True``
        (or ``fivedreg train --auto``) they are the search's: ``auto=True``, its ``budget``
        and ``random_state``, the other parameters at their defaults (the file records the
        winner's settings, not the options the search started from); a file written before
        format version 4 does not record the budget, which is then left at its default with
        a warning.
        """
        return cls._from_model(Model.load(os.fspath(path)))

    @classmethod
    def _from_model(cls, model):
        p = model.params()
        history = model.history()
        if history.get("leaderboard") is not None:
            budget = history.get("auto_budget")
            if budget is None:
                budget = cls().budget
                warnings.warn(
                    "this --auto model file (format version 3 or older) does not record its "
                    f"budget: budget={budget} (the default) is assumed",
                    UserWarning,
                )
            estimator = cls(auto=True, budget=budget, random_state=p["seed"])
            estimator._set_model(model)
            return estimator
        estimator = cls(
            hidden_layer_sizes=tuple(p["hidden_layers"]),
            activation=p["activation"],
            solver=p["solver"],
            max_fun=p["max_fun"],
            ensemble=p["ensemble"],
            power_transform=p["power_transform"],
            alpha=p["alpha"],
            batch_size="auto" if p["batch_size"] is None else p["batch_size"],
            learning_rate_init=p["learning_rate"],
            max_iter=p["max_epochs"],
            shuffle=p["shuffle"],
            random_state=p["seed"],
            tol=p["tol"],
            early_stopping=p["early_stopping"] or p["solver"] == "lbfgs",
            validation_fraction=p["validation_fraction"] if p["validation_fraction"] > 0 else 0.1,
            beta_1=p["beta1"],
            beta_2=p["beta2"],
            epsilon=p["epsilon"],
            n_iter_no_change=p["patience"],
        )
        estimator._set_model(model)
        return estimator

    def __getstate__(self):
        # A copy: on Python 3.11+ object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        model = state.pop("_model", None)
        for name in _FITTED_ATTRIBUTES:
            state.pop(name, None)
        if model is not None:
            state["_model_file"] = bytes(model.to_bytes())
        return state

    def __setstate__(self, state):
        state = dict(state)
        model_file = state.pop("_model_file", None)
        super().__setstate__(state)
        if model_file is not None:
            self._set_model(Model.from_bytes(model_file, "pickled FiveDRegressor"))


def _is_text(value):
    """Whether a cell holds text (an ID, a label), as the CSV reader decides for a field: a
    string that is not empty and not a number (nor one with a decimal comma)."""
    if not isinstance(value, str):
        return False
    text = value.strip().strip('"').strip()
    if not text:
        return False
    for candidate in (text, text.replace(",", ".")):
        try:
            float(candidate)
            return False
        except ValueError:
            pass
    return True


def _is_missing(value):
    """A missing cell (None, NaN or an empty string): neither a number nor text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _text_note(names):
    """The note `fivedreg train` prints for columns of text left out (the data crate's
    `ReadSummary::notes` wording)."""
    if len(names) == 1:
        return f"the column {names[0]} holds text in every row: left out of the features"
    return f"the columns {', '.join(names)} hold text in every row: left out of the features"


def _without_text_columns(X):
    """A DataFrame without its columns of text, and their names, as ``fivedreg train``
    leaves them out: a column whose first row is text must hold text (or nothing) in every
    row; a column of numbers with text in a later row is refused, naming the row and the
    column. Anything else (arrays, numeric frames) is returned as it is."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "iloc") or len(X) == 0:
        return X, []
    candidates = [
        (position, name)
        for position, (name, dtype) in enumerate(dtypes.items())
        if getattr(dtype, "kind", "O") in "OSU" or str(dtype) in ("string", "str")
    ]
    text = []
    for position, name in candidates:
        column = X.iloc[:, position]
        values = list(column)
        if _is_text(values[0]):
            for row, value in enumerate(values):
                if not (_is_text(value) or _is_missing(value)):
                    raise ValueError(
                        f"column {name!r}, row {row} (index {column.index[row]!r}): {value!r} "
                        f"is a number, but the column held text in row 0; a column that mixes "
                        f"numbers and text cannot be a feature: leave it out with "
                        f"X.drop(columns=[{name!r}])"
                    )
            text.append(name)
        else:
            for row, value in enumerate(values):
                if _is_text(value):
                    raise ValueError(
                        f"column {name!r}, row {row} (index {column.index[row]!r}): {value!r} "
                        f"is not a number (the column mixes numbers and text; leave it out "
                        f"with X.drop(columns=[{name!r}]))"
                    )
    if not text or len(text) == X.shape[1]:
        return X, []
    warnings.warn(_text_note([str(n) for n in text]), UserWarning, stacklevel=3)
    return X.drop(columns=text), text


def _without(X, columns):
    """`X` without those of `columns` it holds (a DataFrame), else `X`."""
    held = [c for c in columns if c in getattr(X, "columns", ())]
    return X.drop(columns=held) if held else X


def _aligned(X):
    """`X` itself, or an aligned copy of it (the native code reads aligned numbers only)."""
    return X if X.flags.aligned else np.require(X, requirements="A")


def _warn_unconverged(model):
    """MLPRegressor's ConvergenceWarning when a network stopped at its iteration or
    evaluation limit rather than by its stopping rule."""
    p = model.params()
    reasons = {member["stop_reason"] for member in model.members()}
    if "max_epochs" in reasons:
        if p["solver"] == "lbfgs":
            message = (
                f"lbfgs failed to converge after {p['max_epochs']} iteration(s) "
                "(STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT); increase max_iter"
            )
        else:
            message = (
                f"Stochastic Optimizer: Maximum iterations ({p['max_epochs']}) reached and "
                "the optimization hasn't converged yet."
            )
        warnings.warn(message, ConvergenceWarning)
    if "max_evaluations" in reasons:
        warnings.warn(
            f"lbfgs failed to converge after {p['max_fun']} loss evaluations "
            "(STOP: TOTAL NO. OF f AND g EVALUATIONS EXCEEDS LIMIT); increase max_fun",
            ConvergenceWarning,
        )


def _target_name(name, feature_names):
    """The target's name in the model file: a pandas Series' name, else "y", made distinct
    from the feature names."""
    candidate = name if isinstance(name, str) and name.strip() else "y"
    while candidate in feature_names:
        candidate += "_"
    return candidate
