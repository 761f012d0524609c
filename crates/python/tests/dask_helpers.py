"""Importable by the Dask workers of tests/test_dask.py (they inherit the test process's
sys.path): an estimator that counts how often this process unpickled one."""

from fivedreg import FiveDRegressor

UNPICKLED = 0


class CountingRegressor(FiveDRegressor):
    """FiveDRegressor whose every unpickling in this process is counted."""

    def __setstate__(self, state):
        global UNPICKLED
        UNPICKLED += 1
        super().__setstate__(state)


def unpickled():
    """How many CountingRegressor this process has unpickled."""
    return UNPICKLED
