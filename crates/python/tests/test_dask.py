"""FiveDRegressor on a Dask cluster: dask.array.map_blocks, dask.dataframe.map_partitions,
dask-ml's ParallelPostFit and scikit-learn's GridSearchCV under joblib's Dask backend, on a
distributed.LocalCluster of 2 worker processes (one thread each).

- The cluster's predictions equal the local ones exactly (a row's prediction does not
  depend on the chunk it is in).
- The estimator's pickle is the model file's bytes; handed to the graph as one key
  (``dask.delayed(model)`` or ``client.scatter``), it is unpickled once per worker, not
  once per task (a subclass counts its unpickling in each worker process).
- GridSearchCV gives the same scores on the cluster as locally.
"""

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from dask_ml.wrappers import ParallelPostFit
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from dask_helpers import CountingRegressor, unpickled
from fivedreg import FiveDRegressor

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # The model is fitted on named columns and given dask.array blocks, as scikit-learn warns.
    pytest.mark.filterwarnings("ignore:X does not have valid feature names"),
]

ROWS, CHUNK = 40_000, 2_500
TASKS = ROWS // CHUNK
NAMES = ["a", "b", "c", "d", "e"]


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, (600, 5)), columns=NAMES)
    y = (X**2).sum(axis=1) + 0.1 * X["a"]
    return CountingRegressor(hidden_layer_sizes=(32, 16), ensemble=3, max_iter=40, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def rows():
    """40,000 rows in 16 chunks, made lazily by the workers."""
    return da.random.default_rng(1).uniform(-1.5, 1.5, size=(ROWS, 5), chunks=(CHUNK, 5))


def counts(client):
    return client.run(unpickled)


def sent_per_worker(client, before):
    after = counts(client)
    return sorted(after[w] - before.get(w, 0) for w in after)


def test_the_pickle_is_the_model_file(model):
    state = model.__getstate__()
    assert state["_model_file"] == bytes(model._model.to_bytes())
    assert "_model" not in state
    data = pickle.dumps(model)
    assert len(data) < len(state["_model_file"]) + 2_000
    again = pickle.loads(data)
    X = np.random.default_rng(2).uniform(-1, 1, (100, 5))
    assert np.array_equal(again.predict(X), model.predict(X))


def predict_block(block, model):
    return model.predict(block)


def test_map_blocks_equals_local_and_sends_the_model_once(client, model, rows):
    local = model.predict(rows.compute())
    before = counts(client)
    lazy = rows.map_blocks(
        predict_block, dask.delayed(model), drop_axis=1, meta=np.array((), dtype=float)
    )
    assert np.array_equal(lazy.compute(), local)
    assert sent_per_worker(client, before) == [1, 1]

    # Scattered to every worker beforehand: no more unpickling at all.
    future = client.scatter(model, broadcast=True)
    before = counts(client)
    lazy = rows.map_blocks(predict_block, future, drop_axis=1, meta=np.array((), dtype=float))
    assert np.array_equal(lazy.compute(), local)
    assert sent_per_worker(client, before) == [0, 0]

    # Passed as a plain argument, the model works too, but dask puts it in every task.
    before = counts(client)
    lazy = rows.map_blocks(predict_block, model, drop_axis=1, dtype=float)
    assert np.array_equal(lazy.compute(), local)
    assert sum(sent_per_worker(client, before)) == TASKS


def predict_partition(frame, model):
    return pd.Series(model.predict(frame), index=frame.index)


def test_map_partitions_equals_local_and_sends_the_model_once(client, model, rows):
    frame = dd.from_dask_array(rows, columns=NAMES)
    local = model.predict(frame.compute())
    before = counts(client)
    lazy = frame.map_partitions(predict_partition, dask.delayed(model), meta=(None, "f8"))
    assert np.array_equal(lazy.compute().to_numpy(), local)
    assert sent_per_worker(client, before) == [1, 1]


def test_parallel_post_fit_equals_local(client, model, rows):
    local = model.predict(rows.compute())
    assert np.array_equal(ParallelPostFit(model).predict(rows).compute(), local)
    # dask-ml puts its estimator in every task; wrapped in dask.delayed it is one key.
    before = counts(client)
    wrapped = ParallelPostFit(dask.delayed(model), predict_meta=np.array((), dtype=float))
    assert np.array_equal(wrapped.predict(rows).compute(), local)
    assert sent_per_worker(client, before) == [1, 1]
    frame = dd.from_dask_array(rows, columns=NAMES)
    assert np.array_equal(ParallelPostFit(model).predict(frame).compute(), local)


def test_grid_search_gives_the_same_scores_on_the_cluster(client):
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (300, 5))
    y = (X**2).sum(axis=1)
    search = lambda: GridSearchCV(
        FiveDRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0),
        {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]},
        cv=3,
        n_jobs=-1,
    )
    local = search().fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = search().fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score", "split2_test_score"):
        assert np.array_equal(remote.cv_results_[key], local.cv_results_[key]), key
    assert remote.best_params_ == local.best_params_
    assert np.array_equal(remote.predict(X), local.predict(X))
