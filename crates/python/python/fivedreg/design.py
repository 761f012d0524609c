"""Space-filling designs for the first runs, as ``fivedreg design``.

``ranges`` is a dict of name -> (low, high), in column order; each function returns an
(n, len(ranges)) float64 array.
"""

from . import _native
from ._estimator import _ranges

__all__ = ["lhs", "sobol"]


def lhs(n, ranges, seed=42):
    """A Latin hypercube of ``n`` points (each of the n intervals of each input holds one),
    optimised for spread by column swaps (maximin)."""
    return _native.design_lhs(n, _ranges(ranges), seed)


def sobol(n, ranges, seed=42):
    """``n`` scrambled Sobol' points (balanced when n is a power of 2)."""
    return _native.design_sobol(n, _ranges(ranges), seed)
