"""Helpers of the Python package's tests: the `fivedreg` command, CSV files, test data."""

import csv
import io
import subprocess

import numpy as np


def run(binary, *args, cwd=None):
    """Runs the `fivedreg` command and returns its stdout; fails the test with its stderr."""
    done = subprocess.run(
        [str(binary), *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert done.returncode == 0, f"fivedreg {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout


def parse_csv(text):
    """(column names, float64 rows) of CSV text, each field parsed exactly by float()."""
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array([[float(v) for v in row] for row in rows[1:]], dtype=np.float64)


def read_csv(path):
    """(column names, float64 rows) of a CSV file."""
    with open(path, newline="") as f:
        return parse_csv(f.read())


def write_csv(path, names, rows):
    """Writes `rows` under the header `names`, each float in its shortest exact form."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows([[repr(float(v)) for v in row] for row in rows])


def sum_of_squares(n, d=5, noise=0.1, seed=0):
    """The seed task: y = x1² + ... + xd² + noise, x ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X**2).sum(axis=1) + noise * rng.standard_normal(n)
