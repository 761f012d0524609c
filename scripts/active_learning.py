#!/usr/bin/env python3
"""Active learning with `fivedreg suggest` against random sampling (issue 29).

For each test function, from the same first Latin hypercube (`fivedreg design --lhs`),
two loops add runs in rounds of K:

- suggest: train, `fivedreg suggest MODEL --n K` over the function's whole box, run the
  K points (evaluate the function), retrain;
- random: add K points drawn uniformly over the box instead.

After every round, the test RMSE of the model on 2,000 fresh uniform points (the same for
both loops) is recorded. Every step goes through the release binary, as a user would run
it; the functions are evaluated here (they are the "experiment"). Standard library only.

    cargo build --release -p fivedreg-cli
    python3 scripts/active_learning.py --bin target/release/fivedreg \
        --table docs/surrogate-active-learning.md --svg docs/surrogate-active-learning.svg
"""

import argparse
import csv
import math
import os
import random
import subprocess
import sys
import tempfile

PI = math.pi


def ishigami(x):
    return math.sin(x[0]) + 7.0 * math.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * math.sin(x[0])


def branin(x):
    a, b, c = 1.0, 5.1 / (4 * PI**2), 5.0 / PI
    r, s, t = 6.0, 10.0, 1.0 / (8 * PI)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


# name, function, box, first design size
FUNCTIONS = [
    ("Ishigami (3 inputs)", ishigami, [(-PI, PI)] * 3, 30),
    ("Branin (2 inputs)", branin, [(-5.0, 10.0), (0.0, 15.0)], 20),
]
TRAIN = ["--ensemble", "5", "--solver", "lbfgs", "--hidden", "64,32"]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return done.stdout


def names(box):
    return [f"x{i + 1}" for i in range(len(box))]


def ranges(box):
    return ",".join(f"{n}={lo!r}:{hi!r}" for n, (lo, hi) in zip(names(box), box))


def write_runs(path, box, points, f):
    with open(path, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(names(box) + ["y"])
        for p in points:
            w.writerow([repr(v) for v in p] + [repr(f(p))])


def read_points(text):
    rows = list(csv.reader(text.splitlines()))
    return [[float(v) for v in row] for row in rows[1:]]


def rmse(binary, model, test_csv, truth, work):
    out = os.path.join(work, "pred.csv")
    run([binary, "predict", model, test_csv, "-o", out])
    with open(out) as f:
        rows = list(csv.reader(f))
    col = rows[0].index("y_predicted")
    errors = [(float(r[col]) - t) ** 2 for r, t in zip(rows[1:], truth)]
    return math.sqrt(sum(errors) / len(errors))


def loop(binary, f, box, first, rounds, k, seed, strategy, test_csv, truth, work):
    points = [p[:] for p in first]
    rng = random.Random(seed * 1000 + 7)
    runs = os.path.join(work, f"runs-{strategy}.csv")
    model = os.path.join(work, f"model-{strategy}.fdr")
    curve = []
    for r in range(rounds + 1):
        write_runs(runs, box, points, f)
        run([binary, "train", runs, "-o", model, "--seed", str(seed), "--split", "1,0,0"] + TRAIN)
        curve.append((len(points), rmse(binary, model, test_csv, truth, work)))
        if r == rounds:
            break
        if strategy == "suggest":
            text = run([binary, "suggest", model, "--n", str(k), "--ranges", ranges(box),
                        "--seed", str(seed * 100 + r)])
            new = [row[: len(box)] for row in read_points(text)]
        else:
            new = [[rng.uniform(lo, hi) for lo, hi in box] for _ in range(k)]
        points.extend(new)
    return curve


def svg(results, k):
    """Two panels (one per function): mean test RMSE against runs, both loops."""
    w, h, pad = 360, 260, (56, 16, 34, 40)  # left, right, top, bottom
    parts = []
    for panel, (name, curves) in enumerate(results):
        ox = panel * w
        xs = [n for n, _ in curves["suggest"]]
        ys = [v for c in curves.values() for _, v in c]
        lo, hi = 0.0, max(ys) * 1.05
        px = lambda n: ox + pad[0] + (n - xs[0]) / (xs[-1] - xs[0]) * (w - pad[0] - pad[1])
        py = lambda v: pad[2] + (1 - (v - lo) / (hi - lo)) * (h - pad[2] - pad[3])
        parts.append(f'<text x="{ox + w / 2}" y="18" text-anchor="middle" font-weight="600">{name}</text>')
        for t in (lo, hi / 2, hi):
            parts.append(f'<line x1="{ox + pad[0]}" x2="{ox + w - pad[1]}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#dde1e8"/>')
            parts.append(f'<text x="{ox + pad[0] - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:.3g}</text>')
        for n in (xs[0], xs[len(xs) // 2], xs[-1]):
            parts.append(f'<text x="{px(n):.1f}" y="{h - 20}" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{ox + w / 2}" y="{h - 4}" text-anchor="middle">runs</text>')
        for strategy, color in (("suggest", "#2463c7"), ("random", "#d9731a")):
            c = curves[strategy]
            d = "".join(f'{"L" if i else "M"}{px(n):.1f},{py(v):.1f}' for i, (n, v) in enumerate(c))
            values = ",".join(repr(v) for _, v in c)
            parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2" data-strategy="{strategy}" data-rmse="{values}"/>')
    legend = (f'<text x="{pad[0]}" y="{h + 14}" fill="#2463c7">— suggest --n {k} (largest std, spread)</text>'
              f'<text x="{w + pad[0]}" y="{h + 14}" fill="#d9731a">— {k} uniform random points</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{h + 22}" '
            f'viewBox="0 0 {2 * w} {h + 22}" font-family="sans-serif" font-size="12">'
            f'<rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="{pad[0]}" y="{h + 14}"></text>{"".join(parts)}{legend}'
            f'<text x="{w}" y="{pad[2] - 6}" text-anchor="middle" fill="#6b7385">test RMSE (mean over seeds)</text></svg>\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/fivedreg")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--table", help="write the Markdown table here")
    ap.add_argument("--svg", help="write the figure here")
    args = ap.parse_args()
    results = []
    lines = []
    for name, f, box, n0 in FUNCTIONS:
        sums = {"suggest": None, "random": None}
        for seed in range(1, args.seeds + 1):
            with tempfile.TemporaryDirectory() as work:
                first = read_points(run([args.bin, "design", "--lhs", str(n0), "--ranges", ranges(box),
                                         "--seed", str(seed)]))
                trng = random.Random(10_000 + seed)
                test = [[trng.uniform(lo, hi) for lo, hi in box] for _ in range(2000)]
                test_csv = os.path.join(work, "test.csv")
                with open(test_csv, "w", newline="") as out:
                    w = csv.writer(out)
                    w.writerow(names(box))
                    w.writerows([[repr(v) for v in p] for p in test])
                truth = [f(p) for p in test]
                for strategy in sums:
                    c = loop(args.bin, f, box, first, args.rounds, args.k, seed, strategy, test_csv, truth, work)
                    print(f"{name} seed {seed} {strategy}: " + " ".join(f"{n}:{v:.3f}" for n, v in c), file=sys.stderr)
                    sums[strategy] = c if sums[strategy] is None else [
                        (n, a + b) for (n, a), (_, b) in zip(sums[strategy], c)]
        curves = {s: [(n, v / args.seeds) for n, v in c] for s, c in sums.items()}
        results.append((name, curves))
        lines.append(f"\n| {name}: runs | " + " | ".join(str(n) for n, _ in curves["suggest"]) + " |")
        lines.append("|---|" + "---|" * len(curves["suggest"]))
        for s, label in (("suggest", f"suggest --n {args.k}"), ("random", "random")):
            lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for _, v in curves[s]) + " |")
    table = "\n".join(lines).lstrip("\n") + "\n"
    print(table)
    if args.table:
        with open(args.table, "w") as out:
            out.write(table)
    if args.svg:
        with open(args.svg, "w") as out:
            out.write(svg(results, args.k))


if __name__ == "__main__":
    main()
