"""`--ensemble 8` of two builds on the report's splits with seeds 1..5, for docs/accuracy/seeds.md.

    FIVEDREG_OLD=path/to/old/fivedreg python scripts/ensemble_seeds.py [SET_INDEX ...]

FIVEDREG (default target/release/fivedreg) is the new build. The splits are the report's
(scripts/accuracy.py: default_rng(12345), 80/20); the default sets are the ones in seeds.md.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy as A  # noqa: E402

bins = {"old": os.environ["FIVEDREG_OLD"],
        "new": os.environ.get("FIVEDREG", "target/release/fivedreg")}
indices = [int(i) for i in sys.argv[1:]] or [0, 3, 6, 7, 8, 9]
work = tempfile.mkdtemp()
for index in indices:
    name, make, n = A.SETS[index]
    rng = np.random.default_rng(12345)
    X, _, y = make(n, rng)
    order = rng.permutation(len(y))
    cut = int(round(0.8 * len(y)))
    train_csv, test_csv, model = (os.path.join(work, f) for f in ("train.csv", "test.csv", "m.fdr"))
    A.write_csv(train_csv, X[order[:cut]], y[order[:cut]])
    A.write_csv(test_csv, X[order[cut:]], y[order[cut:]])
    diffs = []
    for seed in range(1, 6):
        r2 = {}
        for b, path in bins.items():
            subprocess.run([path, "train", train_csv, "-o", model, "--ensemble", "8", "--split",
                            "1,0,0", "--seed", str(seed)], check=True, capture_output=True)
            out = subprocess.run([path, "evaluate", model, test_csv, "--json"], check=True,
                                 capture_output=True, text=True).stdout
            r2[b] = json.loads(out)["r2"]
        diffs.append(r2["new"] - r2["old"])
        print(name, seed, {k: round(v, 5) for k, v in r2.items()}, flush=True)
    print(f"{name}: mean change {np.mean(diffs):+.5f}, new ahead {sum(d > 0 for d in diffs)} of 5",
          flush=True)
