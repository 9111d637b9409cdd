"""Derive the 2021 base of Grand Chambéry from the registers: the age structure (the urban
unit's 5-year shares with the 75+ bands scaled by one factor) and the local total fertility
rate, so that the model's 2022 deaths and births equal the registered 1294 and 1537.

Run: .venv/bin/python scripts/calibrate_base.py [--write]
Without --write it prints the values; with it, it rewrites age_bands_2021.csv and the
tfr_2021 line of base_year.csv. tests/test_demography.py checks the result.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from workbench.engine import Engine
from workbench.models.demography import Demography, by_sex_age, population_from_bands

TERRITORY = "grand-chambery"
YEAR_INDEX = 1  # flows of 2022


def bisect(f, lo, hi, tol=1e-7):
    flo = f(lo)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo < tol:
            break
    return 0.5 * (lo + hi)


def main() -> None:
    engine = Engine(TERRITORY)
    model = next(m for m, _ in engine.models if isinstance(m, Demography))
    terr = engine.territory
    uu = terr.table("uu_population_2021")
    shares = uu["population"] / uu["population"].sum()
    old = uu["age_min"] >= 75
    total = terr.value("population_2021")
    births_obs, deaths_obs = terr.value("births_2022"), terr.value("deaths_2022")
    shape = by_sex_age(terr.table("population_france_2021"), "population")
    levers = {k: np.array([v]) for k, v in engine.levers.trend_values().items()}

    def bands(k):
        s = shares.where(~old, shares * k)
        s = s.where(old, s * (1 - s[old].sum()) / s[~old].sum())
        return pd.DataFrame({"age_min": uu["age_min"], "age_max": uu["age_max"], "share": s})

    def flows(k, tfr):
        model.p0 = population_from_bands(bands(k), total, shape,
                                         terr.value("student_arrivals_2021"))
        model.tfr_base = tfr
        pr = model.project({**levers, "fertility": np.array([tfr])})
        return pr.births[0, YEAR_INDEX].sum(), pr.deaths[0, YEAR_INDEX].sum()

    k, tfr = 1.0, 1.8
    for _ in range(6):  # alternate: births hardly depend on k, deaths hardly on tfr
        tfr = bisect(lambda x, k=k: flows(k, x)[0] - births_obs, 1.0, 3.0)
        k = bisect(lambda x, tfr=tfr: flows(x, tfr)[1] - deaths_obs, 0.5, 1.5)
    b, d = flows(k, tfr)
    out = bands(k)
    print(f"75+ factor k = {k:.4f}; 75+ share {out['share'][old].sum():.4f} "
          f"(urban unit {shares[old].sum():.4f}); TFR = {tfr:.4f}")
    print(f"2022 births {b:.1f} (register {births_obs:.0f}), deaths {d:.1f} "
          f"(register {deaths_obs:.0f})")
    if "--write" in sys.argv:
        out["share"] = out["share"].round(6)
        out["age_max"] = out["age_max"].astype("Int64")
        out["source_id"] = "age_structure_2021_calibrated"
        path = terr.path / "age_bands_2021.csv"
        header = ("# Derived 2021 age structure of Grand Chambéry (scripts/calibrate_base.py): "
                  f"urban-unit 5-year shares, 75+ bands × {k:.4f} to match 2022 deaths.\n")
        path.write_text(header + out.to_csv(index=False))
        base = terr.path / "base_year.csv"
        lines = [ln if not ln.startswith("tfr_2021,") else
                 f"tfr_2021,{tfr:.3f},children per woman,2022,tfr_calibrated_births_2022"
                 for ln in base.read_text().splitlines()]
        base.write_text("\n".join(lines) + "\n")
        print(f"wrote {path} and tfr_2021 in {base}")


if __name__ == "__main__":
    main()
