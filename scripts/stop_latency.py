"""How long FiveDRegressor.fit takes to raise after SIGINT during an --auto search on
20,000 rows (the stop flag: issue 31). Run with the package installed:
`target/py-venv/bin/python scripts/stop_latency.py`."""
import os, signal, threading, time
import numpy as np
from fivedreg import FiveDRegressor
rng = np.random.default_rng(0)
X = rng.normal(size=(1_000_000, 5)); y = (X**2).sum(1)
class Stop(Exception): pass
class Stop(Exception): pass
def handler(s, f):
    raise Stop
signal.signal(signal.SIGINT, handler)

import sys
for DELAY in (1.0, 6.0, 12.0):
    t2={}
    def fire2():
        t2["sent"] = time.perf_counter(); os.kill(os.getpid(), signal.SIGINT)
    timer = threading.Timer(DELAY, fire2); timer.start()
    try:
        FiveDRegressor(auto=True, budget=100000).fit(X[:20000], y[:20000])
        print("finished before the signal"); timer.cancel()
    except Stop:
        print(f"20k rows, auto, SIGINT at {DELAY} s: fit raised {time.perf_counter() - t2['sent']:.3f} s after it")
