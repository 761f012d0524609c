"""Shared fixtures of the Python package's tests.

The `fivedreg` command for the round-trip tests is $FIVEDREG_BIN when set (`cargo xtask
test` builds it and sets it), else it is built here with cargo from this checkout.
"""

import os

# scikit-learn's check_array_api_input runs (with numpy as the namespace) only when SciPy's
# array API support is on, which must be decided before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import json
import subprocess
from pathlib import Path

import pytest

from helpers import sum_of_squares

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def fivedreg_bin():
    given = os.environ.get("FIVEDREG_BIN")
    if given:
        path = Path(given)
        assert path.is_file(), f"FIVEDREG_BIN={given} is not a file"
        return path
    output = subprocess.run(
        ["cargo", "build", "--release", "-p", "fivedreg-cli", "--message-format=json"],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    for line in output.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "fivedreg":
            if message.get("executable"):
                return Path(message["executable"])
    pytest.fail("cargo build -p fivedreg-cli reported no fivedreg executable")


@pytest.fixture(scope="session")
def seed_task():
    """Training rows and fresh rows of the seed task."""
    X, y = sum_of_squares(1500, seed=1)
    X_new, y_new = sum_of_squares(300, seed=2)
    return X, y, X_new, y_new
