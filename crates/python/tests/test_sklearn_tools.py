"""FiveDRegressor inside scikit-learn's tools: Pipeline, cross_val_score, GridSearchCV, clone."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from fivedreg import FiveDRegressor


def test_pipeline(seed_task):
    X, y, X_new, y_new = seed_task
    pipeline = make_pipeline(StandardScaler(), FiveDRegressor(random_state=0)).fit(X, y)
    assert pipeline.score(X_new, y_new) > 0.95
    # The same network on the same scaled rows.
    direct = FiveDRegressor(random_state=0).fit(StandardScaler().fit_transform(X), y)
    scaler = StandardScaler().fit(X)
    np.testing.assert_array_equal(pipeline.predict(X_new), direct.predict(scaler.transform(X_new)))
    # Column names made by a transformer with pandas output reach the estimator.
    pandas_pipeline = make_pipeline(PolynomialFeatures(degree=1), FiveDRegressor(random_state=0, max_iter=300))
    pandas_pipeline.set_output(transform="pandas").fit(X, y)
    assert list(pandas_pipeline[-1].feature_names_in_) == ["1", "x0", "x1", "x2", "x3", "x4"]
    assert pandas_pipeline.score(X_new, y_new) > 0.95
    wrapped = TransformedTargetRegressor(FiveDRegressor(random_state=0), func=np.log1p, inverse_func=np.expm1)
    assert wrapped.fit(X, y - y.min()).score(X_new, y_new - y.min()) > 0.9


def test_cross_val_score(seed_task):
    X, y, _, _ = seed_task
    scores = cross_val_score(FiveDRegressor(random_state=0), X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and (scores > 0.95).all()
    again = cross_val_score(FiveDRegressor(random_state=0), X, y, cv=KFold(3, shuffle=True, random_state=0), n_jobs=2)
    np.testing.assert_array_equal(again, scores)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_in_two_processes(seed_task):
    X, y, X_new, y_new = seed_task
    grid = {"hidden_layer_sizes": [(8,), (64, 32, 16)], "alpha": [1e-4, 1.0]}
    search = GridSearchCV(FiveDRegressor(random_state=0), grid, cv=3, n_jobs=2).fit(X, y)
    assert search.best_params_ == {"hidden_layer_sizes": (64, 32, 16), "alpha": 1e-4}
    assert search.best_estimator_.score(X_new, y_new) > 0.95
    # The workers (other processes) fit the same models as this process does.
    serial = GridSearchCV(FiveDRegressor(random_state=0), grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    ranks = search.cv_results_["rank_test_score"]
    assert sorted(ranks) == [1, 2, 3, 4]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_clone(seed_task):
    X, y, _, _ = seed_task
    estimator = FiveDRegressor(hidden_layer_sizes=(16, 8), alpha=0.01, random_state=3, n_threads=1)
    estimator.fit(X, y)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    assert not hasattr(copy, "_model") and not hasattr(copy, "n_iter_")
    with pytest.raises(Exception, match="not fitted"):
        copy.predict(X)
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), estimator.predict(X))
    copy.set_params(alpha=0.5)
    assert estimator.alpha == 0.01 and copy.alpha == 0.5
