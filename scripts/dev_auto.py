"""`--auto` on the development splits (see scripts/dev_splits.py): mean test R² per set.

    python scripts/dev_auto.py FIVEDREG DEV_DIR SET [SET ...] [-- extra train flags]

For each set and each of its DEV_DIR/<set>.dev<k>.{train,test}.csv, trains
`FIVEDREG train train.csv --auto --split 1,0,0 [extra flags]`, evaluates on the test file,
and prints each split's R², the winner and the wall seconds, then the set's mean.
Standard library only.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    binary, folder, *sets = args
    for name in sets:
        scores = []
        for train in sorted(glob.glob(os.path.join(folder, f"{name}.dev*.train.csv"))):
            test = train.replace(".train.csv", ".test.csv")
            with tempfile.TemporaryDirectory() as work:
                model = os.path.join(work, "m.fdr")
                t0 = time.perf_counter()
                out = subprocess.run([binary, "train", train, "-o", model, "--json", "--auto",
                                      "--split", "1,0,0", *extra], check=True,
                                     stdout=subprocess.PIPE).stdout
                seconds = time.perf_counter() - t0
                board = json.loads(out).get("leaderboard") or [{}]
                ev = subprocess.run([binary, "evaluate", model, test, "--json"], check=True,
                                    stdout=subprocess.PIPE).stdout
                r2 = json.loads(ev)["r2"]
            scores.append(r2)
            print(f"{name} {os.path.basename(train).split('.')[1]} R² {r2:.4f} "
                  f"{seconds:6.1f} s  {board[0].get('config', '')[:90]}", flush=True)
        if scores:
            print(f"{name} mean {sum(scores) / len(scores):.4f} "
                  f"range {min(scores):.4f}-{max(scores):.4f}", flush=True)


if __name__ == "__main__":
    main()
