"""Climate and adaptation: the national reference warming trajectory (TRACC) turned into
local indicators for Chambéry-Aix (Voglans station, 235 m) and mid-mountain (1,325 m, Col de
Porte / Bauges), and the exposure and vulnerability of the elderly to heat.

Method (each step shown in notebooks/30-climat.ipynb):

* France: TRACC's anchor points (+0.6 °C over 1976–2005, +2.0 in 2030, +2.7 in 2050, +4.0 in
  2100, relative to 1850–1900), joined by straight lines. A warming lever other than 2.7 °C
  moves the trajectory by (lever − 2.7) × ((year − 2020) / 30)² up to 2050, then linearly to
  3.5 times that gap in 2100 (``france_anomaly``; sources ``warming_settings_derived``).
* Local: the French anomaly times the alpine amplification lever (observed 2.4 / 1.7 in the
  Northern Alps since 1900). Local warming since the 1991–2020 normal, ΔT, drives every
  indicator.
* Indicators: each month's daily minimum, maximum and mean temperatures are taken as normal
  distributions around the 1991–2020 monthly normals shifted by ΔT; day counts are sums of
  probabilities (P(Tmax ≥ 30 °C)…) and degree-days sums of partial expectations, so they
  move smoothly and stay within 0–365 days. Mid-mountain normals come from Chambéry's with a
  seasonal lapse rate. They are computed once on a grid of ΔT and read by interpolation.
* Snow cover at mid-mountain: S0 · exp(−s ΔT / S0), where s is the observed loss of days per
  degree at Col de Porte (about 30 days per °C).
* Low / high values: ΔT × 0.8 and × 1.25 (working measure of the spread of the regional
  response, as DRIAS and ClimaDiag give low / median / high values).
* Heat: exposure = people aged 75+ × hot days; vulnerability = the excess mortality of the
  75+ in a heat wave like August 2003 (+70 % at 75–94, +120 % at 95+), reduced for the
  people covered by cool places and by the heat-wave plan (both action levers, reached in
  2030 from their 2021 level).

Values are climatological expectations of each year, not the weather of a given year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ..engine import Model
from ..paths import NATIONAL_DIR
from ..territory import Territory

if TYPE_CHECKING:  # pandas is imported where it is used: an atelier kernel never loads it
    import pandas as pd

Normals = dict[str, np.ndarray]  # monthly normals: month, tmin, tmax, sd_tmin, sd_tmax, sd_tmean

TRACC_2050 = 2.7  # °C, France in 2050 on the reference trajectory (tracc_2023)
DIVERGENCE_START, DIVERGENCE_2050 = 2020, 2050  # trajectories leave TRACC from 2020
DIVERGENCE_2100 = 3.5  # gap in 2100 / gap in 2050 (warming_settings_derived, AR6 SPM.1)
RAMP_END = 2030  # action levers reach their value in 2030, like the demography model's
HOT_TMAX, TROPICAL_TMIN, FROST_TMIN = 30.0, 20.0, 0.0  # °C thresholds (DRIAS definitions)
HDD_BASE, CDD_BASE = 18.0, 22.0  # °C, bases of heating and cooling degree-days (DRIAS)
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
GRID = np.linspace(-6.0, 12.0, 1801)  # local warming since the normal, °C, step 0.01
INDICATORS = ("hot", "tropical", "frost", "hdd", "cdd", "mean")


@cache
def tracc_anchors() -> tuple[np.ndarray, np.ndarray]:
    """TRACC's anchor years and French anomalies (``data/national/tracc_france.csv``)."""
    import pandas as pd

    t = pd.read_csv(NATIONAL_DIR / "tracc_france.csv", comment="#")
    return t["year"].to_numpy(float), t["france_anomaly"].to_numpy(float)


def _linear(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation that extends the end segments (np.interp clamps)."""
    y = np.interp(x, xp, fp)
    lo, hi = x < xp[0], x > xp[-1]
    y = np.where(lo, fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0]), y)
    return np.where(hi, fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2]), y)


def divergence(years) -> np.ndarray:
    """How far a trajectory is from TRACC, per °C of difference in 2050: 0 up to 2020, the
    square of the elapsed share of 2020–2050, then linear to 3.5 in 2100."""
    y = np.asarray(years, float)
    span = DIVERGENCE_2050 - DIVERGENCE_START
    early = (np.clip(y - DIVERGENCE_START, 0, span) / span) ** 2
    late = (DIVERGENCE_2100 - 1) * np.clip(y - DIVERGENCE_2050, 0, None) / (2100 - 2050)
    return early + late


def france_anomaly(years, warming_2050=TRACC_2050) -> np.ndarray:
    """Mean temperature of metropolitan France relative to 1850–1900, °C.

    ``years`` of shape (T,); ``warming_2050`` a number or an array (n,) of French warming in
    2050. With 2.7 (the default) this is TRACC: +2.0 / +2.7 / +4.0 °C in 2030 / 2050 / 2100.
    Returns (T,) for a number, (n, T) for an array."""
    y = np.asarray(years, float)
    xp, fp = tracc_anchors()
    base = _linear(y, xp, fp)
    w = np.asarray(warming_2050, float)
    return base + (w[..., None] - TRACC_2050) * divergence(y)


def _norm_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF, vectorised: erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7,
    far below a hundredth of a day a year), so that numpy alone builds the tables."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def _norm_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def site_indicators(normals: Normals | pd.DataFrame, warming) -> dict[str, np.ndarray]:
    """Annual indicators of a site for local warming ``warming`` (°C since the normal, any
    shape), from monthly normals (columns tmin, tmax, sd_tmin, sd_tmax, sd_tmean; 12 rows):
    hot days, tropical nights, frost days, degree-days (bases 18 and 22 °C) and mean
    temperature. Daily values are normal within each month, shifted by the warming."""
    d = np.asarray(warming, float)[..., None]
    tn, tx, sn, sx, sm = (np.asarray(normals[k], float)
                          for k in ("tmin", "tmax", "sd_tmin", "sd_tmax", "sd_tmean"))
    tm = (tn + tx) / 2 + d
    cdf = _norm_cdf
    z_h = (HDD_BASE - tm) / sm
    z_c = (CDD_BASE - tm) / sm
    return {
        "hot": (DAYS * (1 - cdf((HOT_TMAX - tx - d) / sx))).sum(-1),
        "tropical": (DAYS * (1 - cdf((TROPICAL_TMIN - tn - d) / sn))).sum(-1),
        "frost": (DAYS * cdf((FROST_TMIN - tn - d) / sn)).sum(-1),
        "hdd": (DAYS * ((HDD_BASE - tm) * cdf(z_h) + sm * _norm_pdf(z_h))).sum(-1),
        "cdd": (DAYS * ((tm - CDD_BASE) * (1 - cdf(z_c)) + sm * _norm_pdf(z_c))).sum(-1),
        "mean": (DAYS * tm).sum(-1) / DAYS.sum(),
    }


def mid_mountain_normals(normals: Normals, rise_m: float, lapse_mean: float,
                         lapse_amplitude: float) -> Normals:
    """Monthly normals ``rise_m`` metres above the station: minus a seasonal lapse rate
    (°C per 100 m, a cosine peaking in June–July, lowest in December–January)."""
    month = np.asarray(normals["month"], float)
    lapse = lapse_mean + lapse_amplitude * np.cos(2 * np.pi * (month - 6.5) / 12)
    out = dict(normals)
    out["tmin"] = normals["tmin"] - lapse * rise_m / 100
    out["tmax"] = normals["tmax"] - lapse * rise_m / 100
    return out


class Climate(Model):
    """Warming trajectory, local climate indicators, heat exposure of the elderly."""

    name = "climate"
    label_fr = "Climat et adaptation"
    levers = ("warming_2050_france", "alpine_amplification", "cool_places_75plus",
              "heatwave_plan_reach")
    needs = ("Population|Age Group|75+", "Demography|Population 85+")

    def __init__(self, territory: Territory, years: np.ndarray):
        super().__init__(territory, years)
        t = territory
        params = t.table("climate_parameters").set_index("key")["value"]
        self.low, self.high = float(params["uncertainty_low"]), float(params["uncertainty_high"])
        normals = t.table("climate_normals").sort_values("month")
        # arrays, not a DataFrame: a built engine is read back without pandas (Engine.prebuilt)
        self.normals: Normals = {k: normals[k].to_numpy(float) for k in (
            "month", "tmin", "tmax", "sd_tmin", "sd_tmax", "sd_tmean")}
        rise = t.value("mid_mountain_elevation_m") - t.value("station_elevation_m")
        self.normals_mid = mid_mountain_normals(self.normals, rise, params["lapse_rate_mean"],
                                                params["lapse_rate_amplitude"])
        # France's mean anomaly over the normal period: local warming is counted from it.
        normal_years = np.arange(int(t.value("normal_first_year")),
                                 int(t.value("normal_last_year")) + 1)
        self.france_normal = float(france_anomaly(normal_years).mean())
        # Indicator tables on the grid of local warming, once per engine.
        self.table = site_indicators(self.normals, GRID)
        self.table_mid = site_indicators(self.normals_mid, GRID)
        self.snow_normal = t.value("snow_days_normal_mid_mountain")
        self.snow_slope = t.value("snow_days_per_degree")
        self._tracc = france_anomaly(years)
        self._div = divergence(years)
        self._ramp = np.clip((years - years[0]) / (RAMP_END - years[0]), 0, 1)
        self.cool_base = t.value("cool_place_share_2021") / 100
        self.plan_base = t.value("heatwave_plan_reach_2021") / 100
        self.cool_effect = float(params["cool_place_effect"])
        self.plan_effect = float(params["heatwave_plan_effect"])
        self.share_95 = float(params["share_95_of_85"])
        excess = t.table("heatwave_2003_excess").set_index("age_min")["excess_pct"]
        self.excess_75_94, self.excess_95 = float(excess.loc[75]), float(excess.loc[95])

    def local_warming(self, warming_2050: np.ndarray, amplification: np.ndarray):
        """French anomaly, local anomaly (n, T) and local warming since the 1991–2020 normal."""
        france = self._tracc[None, :] + (warming_2050[:, None] - TRACC_2050) * self._div
        amp = amplification[:, None]
        return france, amp * france, amp * (france - self.france_normal)

    def climate_of(self, years, warming_2050: float, amplification: float) -> pd.DataFrame:
        """The trajectory and Chambéry's indicators for any years (the past, or beyond 2050)
        and one setting of the two context levers: one row per year."""
        y = np.asarray(years, float)
        france = france_anomaly(y, warming_2050)
        dt = amplification * (france - self.france_normal)
        frame = {"france": france, "local": amplification * france, "warming": dt}
        frame |= {k: self._at(self.table, k, dt) for k in INDICATORS}
        frame |= {f"{k}_mid": self._at(self.table_mid, k, dt) for k in ("frost", "hdd", "mean")}
        frame["snow_mid"] = self.snow(dt)
        import pandas as pd

        return pd.DataFrame(frame, index=pd.Index(np.asarray(years), name="year"))

    def _at(self, table: dict[str, np.ndarray], key: str, dt: np.ndarray) -> np.ndarray:
        return np.interp(dt, GRID, table[key])

    def _bounds(self, table, key: str, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._at(table, key, dt * self.low), self._at(table, key, dt * self.high)
        return np.minimum(a, b), np.maximum(a, b)

    def snow(self, dt: np.ndarray) -> np.ndarray:
        """Snow-cover days at mid-mountain for local warming ``dt`` since the normal."""
        return np.minimum(self.snow_normal * np.exp(-self.snow_slope * dt / self.snow_normal),
                          365.0)

    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        w = np.asarray(levers["warming_2050_france"], float)
        amp = np.asarray(levers["alpine_amplification"], float)
        france, local, dt = self.local_warming(w, amp)
        out = {
            "Climate|Temperature Anomaly|France": france,
            "Climate|Temperature Anomaly|Local": local,
            "Climate|Temperature Anomaly|Local (Low)": local - dt * (1 - self.low),
            "Climate|Temperature Anomaly|Local (High)": local + dt * (self.high - 1),
            "Climate|Mean Temperature": self._at(self.table, "mean", dt),
            "Climate|Mean Temperature|Mid-Mountain": self._at(self.table_mid, "mean", dt),
            "Climate|Frost Days|Mid-Mountain": self._at(self.table_mid, "frost", dt),
            "Climate|Heating Degree Days|Mid-Mountain": self._at(self.table_mid, "hdd", dt),
        }
        for name, key in (("Hot Days", "hot"), ("Tropical Nights", "tropical"),
                          ("Frost Days", "frost"), ("Heating Degree Days", "hdd"),
                          ("Cooling Degree Days", "cdd")):
            out[f"Climate|{name}"] = self._at(self.table, key, dt)
            out[f"Climate|{name} (Low)"], out[f"Climate|{name} (High)"] = self._bounds(
                self.table, key, dt)
        snow = "Climate|Snow Cover Days|Mid-Mountain"
        out[snow] = self.snow(dt)
        a, b = self.snow(dt * self.low), self.snow(dt * self.high)
        out[f"{snow} (Low)"], out[f"{snow} (High)"] = np.minimum(a, b), np.maximum(a, b)

        # Heat: exposure of the 75+, and their excess mortality in a 2003-like heat wave.
        pop75 = inputs["Population|Age Group|75+"]
        pop95 = self.share_95 * inputs["Demography|Population 85+"]
        out["Climate|Heat Exposure|75+"] = pop75 * out["Climate|Hot Days"]
        cool = self._reach(levers["cool_places_75plus"], self.cool_base)
        plan = self._reach(levers["heatwave_plan_reach"], self.plan_base)
        excess = ((pop75 - pop95) * self.excess_75_94 + pop95 * self.excess_95) / np.maximum(
            pop75, 1e-9)
        out["Climate|Heat-Wave Excess Mortality|75+"] = (
            excess * (1 - self.cool_effect * cool) * (1 - self.plan_effect * plan))
        return out

    def _reach(self, lever: np.ndarray, base: float) -> np.ndarray:
        """Share reached each year: from the 2021 level to the lever's value in 2030."""
        target = np.asarray(lever, float)[:, None] / 100
        return base + (target - base) * self._ramp[None, :]
