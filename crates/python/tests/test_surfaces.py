"""One training spec through the three front ends: the command line, the HTTP API and the
Python estimator build byte-identical model files, which predict the same numbers.

The spec is written once, by the estimator's parameter names; the command line's flags and
the HTTP API's fields come from the library's own table of options (``train_params``), so
this test also checks that every front end reads an option the same way.
"""

import json
import subprocess
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from fivedreg import FiveDRegressor
from fivedreg._native import train_params

# Options away from their defaults, by the estimator's names.
SPECS = {
    "adam": {
        "hidden_layer_sizes": [12, 6],
        "learning_rate_init": 0.01,
        "max_iter": 30,
        "alpha": 0.001,
        "validation_fraction": 0.25,
        "n_iter_no_change": 5,
        "beta_1": 0.8,
        "random_state": 7,
    },
    "lbfgs-ensemble": {
        "solver": "lbfgs",
        "activation": "tanh",
        "hidden_layer_sizes": [8],
        "max_iter": 40,
        "ensemble": 3,
        "power_transform": True,
        "random_state": 11,
    },
}


def table():
    return {spec["name"]: spec for spec in train_params()}


def flags_of(spec):
    """The command line's flags for a spec given by Python names."""
    args = []
    for name, value in spec.items():
        info = table()[name]
        if info["kind"] == "bool":
            # A switch's flag turns its default around; only a change is given.
            if info["flag"].startswith("--no-") == (not value):
                args.append(info["flag"])
            continue
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        args += [info["flag"], text]
    return args


def fields_of(spec):
    """The HTTP API's job options for a spec given by Python names."""
    return {table()[name]["field"]: value for name, value in spec.items()}


class Server:
    """`fivedreg serve` on a free port, with a few requests of the API."""

    def __init__(self, binary, data_dir):
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr:
            if "listening on http://" in line:
                self.base = "http://" + line.split("listening on http://")[1].split("/")[0]
                break
        else:
            raise AssertionError("the server did not say where it listens")

    def request(self, method, path, body=None, content_type="application/json"):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.read()

    def json(self, method, path, value=None):
        body = None if value is None else json.dumps(value).encode()
        return json.loads(self.request(method, path, body))

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("surfaces")
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(300, 5))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.5 * X[:, 2] * X[:, 3] + 0.1 * rng.normal(size=300)
    frame = pd.DataFrame(X, columns=list("abcde"))
    frame["y"] = y
    csv = folder / "runs.csv"
    # repr-exact floats: the command and the server read the numbers Python holds.
    frame.to_csv(csv, index=False, float_format="%.17g")
    return folder, csv, frame


@pytest.fixture(scope="module")
def server(fivedreg_bin, data):
    folder, _, _ = data
    running = Server(fivedreg_bin, folder / "serve")
    yield running
    running.close()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_one_spec_gives_one_model_on_every_front_end(name, fivedreg_bin, data, server):
    folder, csv, frame = data
    estimator = FiveDRegressor(**SPECS[name])
    # The whole spec the estimator sends (its defaults included, which are scikit-learn's:
    # validation_fraction 0.1, no test rows), by its names, and then the same spec to the
    # other two front ends.
    spec = {k: v for k, v in estimator._native_params(len(frame)).items() if v is not None}

    # Python.
    estimator.fit(frame[list("abcde")], frame["y"])
    python_file = folder / f"{name}-python.fdr"
    estimator.save(python_file)

    # The command line.
    command_file = folder / f"{name}-command.fdr"
    subprocess.run(
        [fivedreg_bin, "train", csv, "-o", command_file, "--json", *flags_of(spec)],
        check=True,
        stdout=subprocess.PIPE,
    )

    # The HTTP API.
    dataset = json.loads(
        server.request("POST", "/api/v1/datasets?name=runs.csv", csv.read_bytes(), "text/csv")
    )
    job = server.json("POST", "/api/v1/jobs", {"dataset": dataset["id"], "options": fields_of(spec)})
    deadline = time.monotonic() + 120
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = server.json("GET", f"/api/v1/jobs/{job['id']}")
    assert job["state"] == "done", job
    served = server.request("GET", f"/api/v1/models/{job['model']}/file")

    python_bytes = python_file.read_bytes()
    assert command_file.read_bytes() == python_bytes
    assert served == python_bytes

    # And so the same predictions, from each front end's own predict.
    fresh = pd.DataFrame(np.random.default_rng(9).uniform(-1.2, 1.2, size=(50, 5)), columns=list("abcde"))
    expected = estimator.predict(fresh)
    fresh_csv = folder / "fresh.csv"
    fresh.to_csv(fresh_csv, index=False, float_format="%.17g")
    out = subprocess.run(
        [fivedreg_bin, "predict", command_file, fresh_csv],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    predicted = pd.read_csv(pd.io.common.StringIO(out))["y_predicted"].to_numpy()
    np.testing.assert_array_equal(predicted, expected)
    answer = server.json(
        "POST", f"/api/v1/models/{job['model']}/predict", {"rows": fresh.to_numpy().tolist()}
    )
    np.testing.assert_array_equal(np.array(answer["predictions"]), expected)


def test_every_option_reaches_every_front_end():
    """Each option the estimator offers has a command-line flag and an HTTP field, and the
    estimator takes it as a parameter."""
    params = FiveDRegressor().get_params()
    for name, info in table().items():
        assert name in params, name
        assert info["flag"].startswith("--") and info["field"], info
