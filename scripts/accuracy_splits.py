"""diabetes over repeated 80/20 splits: scikit-learn's Gaussian process (as in scripts/accuracy.py)
against fivedreg's default, --ensemble 8 and --auto, for docs/accuracy/seeds.md.

    python scripts/accuracy_splits.py FIRST LAST   (splits FIRST..LAST-1)

with FIVEDREG (default target/release/fivedreg) and, optionally, FIVEDREG_OLD (an earlier
build, for its --ensemble 8 and --auto columns) in the environment.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy as A  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.compose import TransformedTargetRegressor
X, _, y = A.diabetes(0, None)
bins = {"new": os.environ.get("FIVEDREG", "target/release/fivedreg")}
if os.environ.get("FIVEDREG_OLD"):
    bins["old"] = os.environ["FIVEDREG_OLD"]
variants = {"default": ["--split", "0.75,0.25,0"], "ensemble8": ["--ensemble", "8", "--split", "1,0,0"], "auto": ["--auto", "--split", "1,0,0"]}
res = {}
for split in range(int(sys.argv[1]), int(sys.argv[2])):
    rng = np.random.default_rng(1000 + split)
    order = rng.permutation(len(y)); tr, te = order[:354], order[354:]
    work = tempfile.mkdtemp()
    train_csv, test_csv, model = (os.path.join(work, f) for f in ("train.csv", "test.csv", "m.fdr"))
    A.write_csv(train_csv, X[tr], y[tr])
    A.write_csv(test_csv, X[te], y[te])
    row = {}
    kernel = ConstantKernel() * RBF(np.ones(X.shape[1])) + WhiteKernel()
    gp = TransformedTargetRegressor(make_pipeline(StandardScaler(), GaussianProcessRegressor(kernel, normalize_y=True, random_state=0)), transformer=StandardScaler())
    row["gp"] = A.r2(y[te], gp.fit(X[tr], y[tr]).predict(X[te]))
    for b, path in bins.items():
        for v, flags in variants.items():
            if b == "old" and v == "default": continue
            subprocess.run([path, "train", train_csv, "-o", model, *flags], check=True, capture_output=True)
            out = subprocess.run([path, "evaluate", model, test_csv, "--json"], check=True, capture_output=True, text=True).stdout
            row[f"{b} {v}"] = json.loads(out)["r2"]
    res[split] = row
    print(split, {k: round(v, 4) for k, v in row.items()}, flush=True)
keys = list(next(iter(res.values())).keys())
print("mean", {k: round(float(np.mean([r[k] for r in res.values()])), 4) for k in keys})
print(json.dumps(res))
