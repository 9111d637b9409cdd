"""Speed of the climate model alone (budget: one scenario <= 1 ms), with the variables it
needs from the demography model computed once beforehand.

Run: .venv/bin/python benchmarks/climate.py [--repeat 500] [--batch 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import workbench as wb
from workbench.models.climate import Climate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=500)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()
    engine = wb.Engine()
    t0 = time.perf_counter()
    model = Climate(engine.territory, engine.years)
    init = time.perf_counter() - t0
    for n, repeat in ((1, args.repeat), (args.batch, 5)):
        rng = np.random.default_rng(0)
        lv = {k: (np.full(n, engine.levers[k].trend) if n == 1 else
                  rng.uniform(engine.levers[k].min, engine.levers[k].max, n))
              for k in Climate.levers}
        full = engine.run_batch({k: v for k, v in lv.items()})
        inputs = {v: full.data[v] for v in Climate.needs}
        model.run(lv, inputs)  # warm-up
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            model.run(lv, inputs)
            times.append(time.perf_counter() - t)
        print(f"climate alone, {n:,} scenario(s): median {statistics.median(times) * 1000:.3f} ms "
              f"(p95 {np.percentile(times, 95) * 1000:.3f} ms, {repeat} runs)")
    print(f"climate model start-up (reading data, building its tables): {init * 1000:.1f} ms")


if __name__ == "__main__":
    main()
