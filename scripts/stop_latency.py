"""How long FiveDRegressor.fit takes to raise after SIGINT during an --auto search on
20,000 rows (the stop flag of issue 31), with the signal sent 1, 6 and 12 s into the fit.
Run with the package installed: `target/py-venv/bin/python scripts/stop_latency.py`."""

import os
import signal
import threading
import time

import numpy as np

from fivedreg import FiveDRegressor


class Stop(Exception):
    pass


def handler(signum, frame):
    raise Stop


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5))
    y = (X**2).sum(axis=1)
    signal.signal(signal.SIGINT, handler)
    for delay in (1.0, 6.0, 12.0):
        sent = {}

        def fire():
            sent["at"] = time.perf_counter()
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(delay, fire)
        timer.start()
        try:
            FiveDRegressor(auto=True, budget=100000).fit(X, y)
            timer.cancel()
            print(f"SIGINT at {delay} s: the fit finished first")
        except Stop:
            print(f"SIGINT at {delay} s: fit raised {time.perf_counter() - sent['at']:.3f} s after it")


if __name__ == "__main__":
    main()
