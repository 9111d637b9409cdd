"""Rebuild the national reference schedules in this folder from the raw extracts in ./raw.

Run:  python3 scripts/build_national.py
Needs only numpy and pandas. Every derived number written by this script is
explained in sources.csv (column `derivation`); this file is the executable form.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1] / "workbench" / "data" / "national"
RAW = HERE / "raw"
OPEN_AGE = 105


def _lines(name: str) -> list[str]:
    return [
        ln
        for ln in (RAW / name).read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


# --------------------------------------------------------------------------- life table
def life_table_2019() -> tuple[pd.DataFrame, dict]:
    """qx from HMD Mx 2019 (HMD protocol: a0 by Andreev-Kingkade, ax=0.5 otherwise)."""
    mx = pd.read_csv(RAW / "hmd_fratnp_mx_2019.txt", comment="#")
    rows, checks = [], {}
    for sex, col in (("F", "Female"), ("M", "Male")):
        m = mx[col].to_numpy(float)
        ax = np.full(OPEN_AGE, 0.5)
        m0 = m[0]
        if sex == "F":
            ax[0] = 0.14903 - 2.05527 * m0 if m0 < 0.01724 else 0.04667 + 3.88089 * m0
        else:
            ax[0] = 0.14929 - 1.99545 * m0 if m0 < 0.02300 else 0.02832 + 3.26021 * m0
        q = m[:OPEN_AGE] / (1 + (1 - ax) * m[:OPEN_AGE])
        # open interval 105+: mean of HMD Mx at 106..109 (the 105 cell of the mirror is anomalous)
        m_open = float(m[106:110].mean())
        lx = np.concatenate([[1.0], np.cumprod(1 - q)])
        Lx = lx[1:] + ax * q * lx[:-1]
        T_open = lx[OPEN_AGE] / m_open
        e0 = Lx.sum() + T_open
        e60 = (Lx[60:].sum() + T_open) / lx[60]
        checks[sex] = dict(e0=e0, e60=e60, m_open=m_open, Lx=np.concatenate([Lx, [T_open]]))
        for age in range(OPEN_AGE):
            rows.append((sex, age, round(float(q[age]), 6), "lt_fr_2019_hmd"))
        rows.append((sex, OPEN_AGE, 1.0, "lt_fr_2019_hmd"))
    df = pd.DataFrame(rows, columns=["sex", "age", "qx", "source_id"])
    return df, checks


# --------------------------------------------------------------------------- fertility
def fertility_2019() -> pd.DataFrame:
    d = pd.read_csv(RAW / "hfd_fratnp_asfr_2019_2021.txt", sep=r"\s+", comment="#")
    d = d[d.Year == 2019].copy()
    d["a"] = d.Age.astype(str).str.replace(r"[+-]", "", regex=True).astype(int)
    rows = []
    for age in range(15, 51):
        if age == 15:
            rate, sid = d.loc[d.a <= 15, "ASFR"].sum(), "asfr_fr_2019_tails"
        elif age == 50:
            rate, sid = d.loc[d.a >= 50, "ASFR"].sum(), "asfr_fr_2019_tails"
        else:
            rate, sid = float(d.loc[d.a == age, "ASFR"].iloc[0]), "hfd_fratnp_asfr_2019"
        rows.append((age, round(float(rate), 5), sid))
    return pd.DataFrame(rows, columns=["age", "rate", "source_id"])


# --------------------------------------------------------------------------- population
def pyramid() -> dict:
    out = {}
    for ln in _lines("insee_pyramide_fr_2020_2021.txt"):
        y, s, *v = ln.split()
        out[(int(y), s)] = np.array(list(map(int, v)))
    return out


def population_2021(lt_checks: dict) -> pd.DataFrame:
    P = pyramid()
    rows = []
    for sex in ("M", "F"):
        v = P[(2021, sex)]
        for age in range(99):
            rows.append((sex, age, int(v[age]), "insee_pyramide_2021"))
        # split 99+ with the stationary (life-table) age distribution 99..104, 105+
        L = lt_checks[sex]["Lx"][99:]  # L99..L104, T105
        w = L / L.sum()
        parts = np.round(v[99] * w).astype(int)
        parts[-1] += int(v[99] - parts.sum())  # keep the official 99+ total exact
        for k, n in enumerate(parts):
            rows.append((sex, 99 + k, int(n), "pop_fr_2021_99plus_split"))
    return pd.DataFrame(rows, columns=["sex", "age", "population", "source_id"])


def band(v: np.ndarray, lo: int, hi: int) -> float:
    return (
        float(v[lo : min(hi, 98) + 1].sum() + (v[99] if hi >= 99 else 0))
        if hi >= 99
        else float(v[lo : hi + 1].sum())
    )


# --------------------------------------------------------------------------- APA
def apa() -> pd.DataFrame:
    d = pd.read_csv(RAW / "drees_apa_2019_by_age.txt", sep=r"\s+", comment="#")
    return pd.DataFrame(
        {
            "age_min": d.age_min,
            "age_max": d.age_max,
            "prevalence": d.apa_total.round(4),
            "prevalence_home": d.apa_home.round(4),
            "prevalence_institution": d.apa_institution.round(4),
            "source_id": "drees_apa_2019_by_age",
        }
    )


# --------------------------------------------------------------------------- institutions
def institutions() -> pd.DataFrame:
    d = pd.read_csv(RAW / "drees_apa_2019_by_age.txt", sep=r"\s+", comment="#").set_index("age_min")
    k = (
        0.05 / d.loc[80, "apa_institution"]
    )  # anchor: 5 % of 80-84 live in an institution (INSEE RP2021)
    rows = []
    for lo in (60, 65, 70, 75):
        rows.append(
            (
                lo,
                lo + 4,
                round(float(d.loc[lo, "apa_institution"] * k), 4),
                "inst_fr_2021_young_old",
            )
        )
    rows += [
        (80, 84, 0.05, "insee_ip2040_2021"),
        (85, 89, 0.12, "insee_ip2040_2021"),
        (90, 94, 0.25, "insee_ip2040_2021"),
        (95, OPEN_AGE, 0.41, "insee_ip2040_2021"),
    ]
    return pd.DataFrame(rows, columns=["age_min", "age_max", "share_in_institution", "source_id"])


# --------------------------------------------------------------------------- illectronism
def illectronism(inst: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    P = pyramid()
    v = P[(2021, "M")] + P[(2021, "F")]
    pop = {
        "15-24": band(v, 15, 24),
        "25-39": band(v, 25, 39),
        "40-59": band(v, 40, 59),
        "60-74": band(v, 60, 74),
        "75+": band(v, 75, 99),
    }
    # the TIC survey covers ordinary dwellings: remove institution residents (75+ only; <1 % below)
    inst_75 = sum(
        r.share_in_institution * band(v, r.age_min, min(r.age_max, 99))
        for r in inst.itertuples()
        if r.age_min >= 75
    )
    pop["75+"] -= inst_75
    known = {"15-24": 0.02, "25-39": 0.04, "60-74": 0.24, "75+": 0.62}
    total = sum(pop.values())
    r4059 = (0.154 * total - sum(known[g] * pop[g] for g in known)) / pop["40-59"]
    rows = [
        (0, 14, 0.0, "illectronism_scope_u15"),
        (15, 24, 0.02, "insee_ip1953_2021"),
        (25, 39, 0.04, "insee_ip1953_2021"),
        (40, 59, round(r4059, 3), "illectronism_4059_derived"),
        (60, 74, 0.24, "insee_ip1953_2021"),
        (75, OPEN_AGE, 0.62, "insee_ip1953_2021"),
    ]
    return pd.DataFrame(rows, columns=["age_min", "age_max", "rate", "source_id"]), r4059


# --------------------------------------------------------------------------- headship
def headship() -> pd.DataFrame:
    hh, pop5 = {}, {}
    part = None
    for ln in _lines("gc_households_rp2016_uu_pop_rp2021.txt"):
        if ln.startswith("band"):
            part = "hh"
            continue
        if ln.startswith("age5"):
            part = "pop"
            continue
        a, b = ln.split()
        if part == "hh":
            lo, hi = map(int, a.split("-"))
            hh[(lo, hi)] = int(b)
        else:
            pop5[int(a)] = int(b)
    uu_total = sum(pop5.values())
    gc_pop_2016 = 136_805
    share = {a: n / uu_total for a, n in pop5.items()}
    bands = [(15, 19), (20, 24), (25, 39), (40, 54), (55, 64), (65, 79), (80, OPEN_AGE)]
    rows = [(0, 14, 0.0, "headship_convention_u15")]
    for lo, hi in bands:
        s = sum(v for a, v in share.items() if lo <= a <= hi)
        n_hh = hh[(0, 19)] if lo == 15 else hh[(lo, hi)]
        rows.append((lo, hi, round(n_hh / (s * gc_pop_2016), 4), "headship_gc_2016_derived"))
    return pd.DataFrame(rows, columns=["age_min", "age_max", "headship_rate", "source_id"])


# --------------------------------------------------------------------------- living alone
def living_alone() -> tuple[pd.DataFrame, dict]:
    P = pyramid()
    v = P[(2021, "M")] + P[(2021, "F")]
    ages = np.arange(100) + 0.5
    mids = [67, 72, 77, 82]
    pops = [band(v, a - 2, a + 2) for a in mids]
    # pop-weighted mean age of the 85+ group (99+ counted at 101)
    w = v[85:].astype(float)
    a85 = float((np.append(ages[85:99], 101.0) * w).sum() / w.sum())
    # s(a) = alpha + beta * a ; constraints: weighted mean over 65-84 = 0.298 ; s(a85) = 0.454
    W = np.array(pops) / sum(pops)
    mbar = float((W * np.array(mids, float)).sum())
    beta = (0.454 - 0.298) / (a85 - mbar)
    alpha = 0.298 - beta * mbar
    s = {m: alpha + beta * m for m in mids}
    rows = [
        (75, 79, round(s[77], 3), "living_alone_fr_2021_derived"),
        (80, 84, round(s[82], 3), "living_alone_fr_2021_derived"),
        (85, OPEN_AGE, 0.454, "insee_ip2040_2021"),
    ]
    return (
        pd.DataFrame(rows, columns=["age_min", "age_max", "share_living_alone", "source_id"]),
        dict(alpha=alpha, beta=beta, a85=a85, s=s),
    )


def main() -> None:
    lt, checks = life_table_2019()
    lt.to_csv(HERE / "life_table_france.csv", index=False)
    fert = fertility_2019()
    fert.to_csv(HERE / "fertility_france.csv", index=False)
    population_2021(checks).to_csv(HERE / "population_france_2021.csv", index=False)
    apa().to_csv(HERE / "apa_prevalence.csv", index=False)
    inst = institutions()
    inst.to_csv(HERE / "institution_rates.csv", index=False)
    ill, r = illectronism(inst)
    ill.to_csv(HERE / "illectronism_2021.csv", index=False)
    headship().to_csv(HERE / "headship_rates.csv", index=False)
    la, info = living_alone()
    la.to_csv(HERE / "living_alone_rates.csv", index=False)
    for sex, c in checks.items():
        print(f"{sex}: e0={c['e0']:.2f} e60={c['e60']:.2f} m_open={c['m_open']:.3f}")
    mean_age = (fert.age + 0.5).mul(fert.rate).sum() / fert.rate.sum()
    print(f"TFR 2019 (HFD)={fert.rate.sum():.3f}  mean age={mean_age:.2f}")
    print(f"illectronism 40-59 derived={r:.4f}; living alone fit {info}")


if __name__ == "__main__":
    main()
