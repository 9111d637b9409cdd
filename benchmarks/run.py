"""Speed and memory benchmarks (not tests: shared machines are noisy).

Run: make bench   (or .venv/bin/python benchmarks/run.py [--batch 10000] [--repeat 200])
Prints a Markdown table for the README and writes benchmarks/results/latest.json.
Budgets (../shared/product.md, issues): all models, one scenario <= 5 ms; demography alone
<= 2 ms; 10,000 scenarios in one batch <= 10 s (demography alone <= 5 s) on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np

import workbench as wb


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()

    t0 = time.perf_counter()
    engine = wb.Engine()
    init = time.perf_counter() - t0
    scen = wb.reference_scenarios(engine.levers)["attractivite"]
    one = {k: np.array([v]) for k, v in scen.values(engine.levers).items()}
    rows = []

    def add(what, seconds, budget, unit="ms"):
        scale = 1000 if unit == "ms" else 1
        rows.append({"what": what, "median": statistics.median(seconds) * scale,
                     "p95": float(np.percentile(seconds, 95)) * scale, "unit": unit,
                     "budget": budget, "runs": len(seconds)})

    add("all models, one scenario (run_batch)", timed(lambda: engine.run_batch(one),
                                                       args.repeat), "≤ 5 ms")
    add("all models, one Scenario object (run)", timed(lambda: engine.run(scen), args.repeat),
        "≤ 5 ms")
    full = engine.run_batch(one).data  # each model alone gets the inputs it needs
    for model, _ in engine.models:
        lv = {k: one[k] for k in model.levers}
        inputs = {v: full[v] for v in model.needs}
        add(f"{model.name} alone, one scenario",
            timed(lambda m=model, lv=lv, inp=inputs: m.run(lv, inp), args.repeat),
            "≤ 2 ms" if model.name == "demography" else "≤ 1 ms")

    rng = np.random.default_rng(0)
    batch = {k: rng.uniform(lv.min, lv.max, args.batch) for k, lv in engine.levers.items()}
    add(f"all models, {args.batch:,} scenarios in one batch",
        timed(lambda: engine.run_batch(batch), 3), "≤ 10 s", unit="s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "engine_init_ms": init * 1000, "peak_rss_mb": peak, "rows": rows}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))

    print(f"Machine: {result['machine']} — {result['date']}\n")
    print("| what | median | p95 | budget |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['median']:.2f} {r['unit']} | {r['p95']:.2f} {r['unit']} "
              f"| {r['budget']} |")
    print(f"\nEngine start-up (reading data, building models): {init * 1000:.0f} ms; "
          f"peak memory of the benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
