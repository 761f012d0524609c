"""fivedreg: a neural interpolator of a few continuous inputs, trained in Rust.

``FiveDRegressor`` is a scikit-learn estimator (MLPRegressor's interface) whose model files
are those of the ``fivedreg`` command::

    from fivedreg import FiveDRegressor
    model = FiveDRegressor(random_state=42).fit(X, y)
    y_new = model.predict(X_new)
    model.save("model.fdr")  # fivedreg predict model.fdr new.csv
"""

from ._estimator import FiveDRegressor, InvalidParameterError
from ._native import FORMAT_VERSION
from . import design

__all__ = ["FiveDRegressor", "InvalidParameterError", "FORMAT_VERSION", "__version__", "design"]

try:
    from importlib.metadata import version as _version

    __version__ = _version("fivedreg")
except Exception:  # not installed as a distribution (e.g. a source tree on sys.path)
    __version__ = "0.1.0"
