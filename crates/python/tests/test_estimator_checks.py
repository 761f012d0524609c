"""scikit-learn's own estimator test suite on FiveDRegressor."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fivedreg import FiveDRegressor

# The checks FiveDRegressor fails on purpose, with the reason (scikit-learn's mechanism for it).
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    [FiveDRegressor()],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
