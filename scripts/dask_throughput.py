"""Predict throughput of FiveDRegressor over Dask (docs/scale.md).

Rows are made lazily, chunk by chunk, by whoever predicts them (never held whole); each
chunk's predictions are reduced to their sum, so what comes back is a few numbers and what
is measured is making the rows and predicting them. Four timings:

- ``generate``: one process makes every chunk and sums it (the cost of the rows alone);
- ``one process``: one process makes and predicts every chunk in turn (fivedreg's predict
  shares a large chunk among the cores by itself);
- ``cluster``: a distributed.LocalCluster of --workers worker processes, one thread each,
  the model handed to the graph once (``dask.delayed``);
- ``cluster, model in every task``: the same, the model passed as a plain argument (dask
  then serializes it into each task).

Usage (from the repository, with the package installed in target/py-venv):

    target/py-venv/bin/python scripts/dask_throughput.py --rows 100_000_000 --chunk 1_000_000
"""

import argparse
import json
import os
import pickle
import platform
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from fivedreg import FiveDRegressor


def make_chunk(i, chunk):
    return np.random.default_rng(i).uniform(-1.5, 1.5, size=(chunk, 5))


def predict_sum(i, chunk, model):
    return float(model.predict(make_chunk(i, chunk)).sum())


def generate_sum(i, chunk):
    return float(make_chunk(i, chunk).sum())


def train(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5_000, 5))
    y = (X**2).sum(axis=1) + rng.normal(0, 0.1, 5_000)
    # The default network (64, 32, 16), as `fivedreg train` makes it.
    return FiveDRegressor(random_state=seed).fit(X, y)


def timed(label, run, rows, results):
    start = time.perf_counter()
    total = run()
    seconds = time.perf_counter() - start
    results.append({"what": label, "seconds": seconds, "rows_per_second": rows / seconds})
    print(f"{label:38s} {seconds:8.2f} s  {rows / seconds / 1e6:8.2f} M rows/s", flush=True)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    parser.add_argument("--chunk", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    chunks = args.rows // args.chunk
    rows = chunks * args.chunk
    model = train()
    print(
        f"{rows:,} rows in {chunks} chunks of {args.chunk:,}; model: {model._model!r}, "
        f"pickle {len(pickle.dumps(model)):,} bytes; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results = []
    timed("generate (one process, no predict)", lambda: sum(generate_sum(i, args.chunk) for i in range(chunks)), rows, results)
    local = timed(
        "one process", lambda: sum(predict_sum(i, args.chunk, model) for i in range(chunks)), rows, results
    )
    with LocalCluster(
        n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, Client(cluster):
        once = dask.delayed(model)
        parts = [dask.delayed(predict_sum)(i, args.chunk, once) for i in range(chunks)]
        remote = timed(
            f"cluster ({args.workers} workers), model once",
            lambda: sum(dask.compute(*parts)),
            rows,
            results,
        )
        parts = [dask.delayed(predict_sum)(i, args.chunk, model) for i in range(chunks)]
        timed(
            f"cluster ({args.workers} workers), model per task",
            lambda: sum(dask.compute(*parts)),
            rows,
            results,
        )
        # The same rows through dask.array, as a user writes it.
        X = da.random.default_rng(0).uniform(-1.5, 1.5, size=(rows, 5), chunks=(args.chunk, 5))
        lazy = X.map_blocks(
            lambda block, m: m.predict(block), once, drop_axis=1, meta=np.array((), dtype=float)
        ).sum()
        timed(f"cluster ({args.workers} workers), dask.array", lambda: float(lazy.compute()), rows, results)
    print(f"sums: one process {local:.6e}, cluster {remote:.6e} (equal: {local == remote})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"rows": rows, "chunk": args.chunk, "machine": platform.processor() or platform.machine(), "results": results},
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
