"""The Plénière's export of a 50-future session: spreadsheet (three sheets) and report,
timed step by step as the facilitator waits for it (issue 12: ≤ 5 s for 50 futures), and
the two spreadsheet writers side by side on the same data sheet.

Run: .venv/bin/python benchmarks/export.py [--futures 50] [--repeat 5]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from run import machine  # noqa: E402

from workbench import prebuilt  # noqa: E402
from workbench.export import export_session  # noqa: E402
from workbench.panel import run_panel  # noqa: E402
from workbench.sample_panel import sample_panel  # noqa: E402
from workbench.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--futures", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import pandas as pd

    engine = prebuilt.engine()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/store.sqlite3")
        session = sample_panel(store, engine.levers, n=args.futures)
        subs = store.current(session.code)
        steps: dict[str, list[float]] = {}
        totals = []
        for _ in range(args.repeat):
            marks = [("", time.perf_counter())]
            t0 = time.perf_counter()
            export_session(engine, session, subs, Path(tmp) / "exports",
                           progress=lambda i, n, what, marks=marks: marks.append((what,
                                                                     time.perf_counter())))
            end = time.perf_counter()
            totals.append(end - t0)
            marks.append(("", end))
            for (what, t), (_, t_next) in zip(marks[1:], marks[2:], strict=False):
                steps.setdefault(what, []).append(t_next - t)
        wide = run_panel(engine, subs).results.to_wide()
        writers = {}
        for writer in ("openpyxl", "xlsxwriter"):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with pd.ExcelWriter(Path(tmp) / f"w-{writer}.xlsx", engine=writer) as xl:
                    wide.to_excel(xl, sheet_name="data", index=False)
                times.append(time.perf_counter() - t0)
            writers[writer] = statistics.median(times)
    print(f"Machine: {machine()} — {time.strftime('%Y-%m-%d')}\n")
    print(f"Export of {args.futures} futures, median of {args.repeat}: "
          f"{statistics.median(totals):.2f} s (worst {max(totals):.2f} s; budget ≤ 5 s)")
    for what, secs in steps.items():
        print(f"- {what}: {statistics.median(secs):.2f} s")
    print(f"\nData sheet alone ({len(wide):,} rows), side by side: " + ", ".join(
        f"{w} {s:.2f} s" for w, s in writers.items()))


if __name__ == "__main__":
    main()
