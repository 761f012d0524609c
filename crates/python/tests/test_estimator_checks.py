"""scikit-learn's own estimator test suite on FiveDRegressor: the default (Adam with early
stopping), L-BFGS, and an ensemble of three."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fivedreg import FiveDRegressor

# The suite fits with few rows and default limits, where L-BFGS may stop at max_iter.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# The checks FiveDRegressor fails on purpose, with the reason (scikit-learn's mechanism for it).
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    [FiveDRegressor(), FiveDRegressor(solver="lbfgs"), FiveDRegressor(ensemble=3)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
