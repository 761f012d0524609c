"""Development splits: the 80/20 splits on which `--auto`'s designs and constants are decided.

    python scripts/dev_splits.py DATA.csv OUT_DIR [--splits 5]

writes OUT_DIR/<name>.dev<k>.train.csv and .test.csv for k = 1..splits, each a shuffle by
Python's `random.Random(1000 + k)`: a different generator from the report's splits
(`scripts/accuracy.py`, numpy), so no decision is made on a split the report publishes.
Needs only the standard library.
"""
import csv
import os
import random
import sys


def main():
    args = sys.argv[1:]
    splits = 5
    if "--splits" in args:
        i = args.index("--splits")
        splits = int(args[i + 1])
        del args[i:i + 2]
    data, out = args
    with open(data, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    name = os.path.splitext(os.path.basename(data))[0]
    os.makedirs(out, exist_ok=True)
    for k in range(1, splits + 1):
        order = list(range(len(body)))
        random.Random(1000 + k).shuffle(order)
        cut = round(0.8 * len(body))
        for part, idx in (("train", order[:cut]), ("test", order[cut:])):
            with open(os.path.join(out, f"{name}.dev{k}.{part}.csv"), "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(body[i] for i in idx)


if __name__ == "__main__":
    main()
