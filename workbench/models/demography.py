"""Demography and ageing: a cohort-component projection by sex and single year of age
(0 … 105+), with households, care needs of the elderly and digital exclusion.

Method (each step documented in notebooks/10-demographie.ipynb):

* Base population by sex and age: the national single-age shape rescaled to the local age
  bands and to the census total (``age_bands_<year>.csv``, ``population_france_2021.csv``).
* Mortality: Brass relational logit on the national life table (β = 1); α is solved per sex
  and year so that life expectancy at birth equals the base level plus the lever's gain,
  reached linearly in 2050.
* Fertility: the national age schedule scaled to the total fertility rate, which moves
  linearly from its base value to the lever's value in 2030; 105 boys per 100 girls.
* Migration: net migrants = lever × a Rogers–Castro standard schedule, plus a zero-sum
  student component (arrivals at 18–20, departures at 21–25). The base population already
  holds the students of the trend value, so the trend keeps the student population steady.
* Accounting holds exactly: P(t+1) = P(t) + births − deaths + net migration, by sex and age
  (migration that would make a cell negative is not applied and not counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..engine import Model
from ..errors import DataError
from ..territory import Territory

N_AGES = 106  # 0 … 104 and the open group 105+
OPEN = N_AGES - 1
SEXES = ("M", "F")
AGES = np.arange(N_AGES)
BOYS_PER_GIRL = 1.05  # sex ratio at birth, 105 boys per 100 girls (INSEE, France)
A0 = 0.1  # share of the first year lived by infants who die (low-mortality value, Coale–Demeny)
E_OPEN = 1.5  # remaining life expectancy at 105+, years (HMD France order of magnitude)
FERT_AGES = slice(15, 50)  # ages 15–49 at 1 January
RAMP_END = 2030  # action levers and fertility reach the lever's value in 2030
GAIN_END = 2050  # life-expectancy gains are reached in 2050
STUDENT_IN = np.arange(18, 21)  # ages at arrival of students from elsewhere (18-20)
STUDENT_OUT = np.arange(21, 26)  # ages at departure (21-25): a stay of four years on average
BANDS = ((0, 14), (15, 29), (30, 44), (45, 59), (60, 74), (75, OPEN))


def expand_bands(table, value: str, age_min: str = "age_min", age_max: str = "age_max"):
    """Single-age values (length 106) from a table of age bands; ages outside every band get
    0. An empty or ≥105 upper bound means "and over"."""
    out = np.zeros(N_AGES)
    for _, row in table.iterrows():
        lo = int(row[age_min])
        hi = OPEN if (row[age_max] != row[age_max] or row[age_max] >= OPEN) else int(row[age_max])
        out[lo:hi + 1] = float(row[value])
    return out


def by_sex_age(table, value: str) -> np.ndarray:
    """A (2, 106) array from a table with columns sex (M/F), age and ``value``."""
    out = np.zeros((2, N_AGES))
    for s, sex in enumerate(SEXES):
        part = table[table["sex"] == sex]
        ages = part["age"].clip(upper=OPEN).to_numpy(int)
        np.add.at(out[s], ages, part[value].to_numpy(float))
    return out


def student_profile() -> np.ndarray:
    """Net migration by sex and age (2, 106) for one student from elsewhere per year."""
    u = np.zeros(N_AGES)
    u[STUDENT_IN] = 1 / len(STUDENT_IN)
    u[STUDENT_OUT] = -1 / len(STUDENT_OUT)
    return np.stack([u, u]) / 2


def base_population(territory: Territory, year: int | None = None,
                    students: float = 0.0) -> np.ndarray:
    """Population by sex and single age on 1 January of ``year`` (default: the base year),
    from the territory's census total and age bands (``age_bands_<year>.csv``)."""
    year = year or territory.base_year
    census = territory.table("census_population").set_index("year")["population"]
    if year not in census.index:
        raise DataError(f"census_population.csv: no population for {year}")
    shape = by_sex_age(territory.table("population_france_2021"), "population")
    return population_from_bands(territory.table(f"age_bands_{year}"), float(census.loc[year]),
                                 shape, students)


def population_from_bands(bands, total: float, shape: np.ndarray,
                          students: float = 0.0) -> np.ndarray:
    """Split age-band shares (columns age_min, age_max, share) into single ages and sexes
    with a national single-age shape, scaled to ``total``. The steady-state stock of
    ``students`` arrivals a year is placed inside the bands (band totals unchanged), since
    the census counts students where they study."""
    if abs(bands["share"].sum() - 1) > 0.01:
        raise DataError(f"age band shares sum to {bands['share'].sum():.3f}, not 1")
    shape = shape / shape.sum() * total + np.cumsum(student_profile(), axis=1) * students
    pop = np.zeros_like(shape)
    for _, b in bands.iterrows():
        lo = int(b["age_min"])
        hi = OPEN if (b["age_max"] != b["age_max"] or b["age_max"] >= OPEN) else int(b["age_max"])
        part = shape[:, lo:hi + 1]
        pop[:, lo:hi + 1] = part / part.sum() * b["share"] / bands["share"].sum() * total
    return pop


def life_table(l_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Person-years lived L(x) and life expectancy at birth from survivorship l(1…105)
    (l(0) = 1), along the last axis."""
    L = np.empty(l_x.shape[:-1] + (N_AGES,))
    L[..., 0] = l_x[..., 0] + A0 * (1 - l_x[..., 0])
    L[..., 1:OPEN] = 0.5 * (l_x[..., :-1] + l_x[..., 1:])
    L[..., OPEN] = l_x[..., -1] * E_OPEN
    return L, L.sum(-1)


@dataclass
class Projection:
    """The detail of a projection: population by sex and age on 1 January of each year
    (one more year than the flows), and the flows of each year."""

    years: np.ndarray
    population: np.ndarray  # (n, T+1, 2, 106)
    births: np.ndarray  # (n, T, 2)
    deaths: np.ndarray  # (n, T, 2, 106): deaths by sex and age at 1 January (births at 0)
    migration: np.ndarray  # (n, T, 2, 106): realised net migration by sex and age at the end
    survivorship: np.ndarray  # (n, T, 2, 105): l(1…105) of each year's life table
    fertility: np.ndarray  # (n, T, 35): births per woman aged 15–49 of each year


class Demography(Model):
    """Cohort-component projection, households, ageing and care, digital exclusion."""

    name = "demography"
    label_fr = "Démographie et vieillissement"
    levers = ("fertility", "life_expectancy_gain", "net_migration", "student_arrivals",
              "home_care_share", "digital_mediation")
    needs = ()

    def __init__(self, territory: Territory, years: np.ndarray, base_year: int | None = None):
        super().__init__(territory, years)
        t = territory
        self.base_year = int(years[0]) if base_year is None else base_year
        self.students_base = t.value(f"student_arrivals_{self.base_year}", default=0.0)
        self.p0 = base_population(t, self.base_year, students=self.students_base)
        # Mortality: Brass logit standard and a lookup table life expectancy -> alpha.
        q = by_sex_age(t.table("life_table_france"), "qx")
        q[:, OPEN] = 1.0
        ls = np.cumprod(1 - q, axis=1)[:, :OPEN]  # l(1 … 105)
        self.ys = 0.5 * np.log((1 - ls) / ls)  # (2, 105) logit of the standard
        alphas = np.linspace(-2.5, 2.5, 4001)
        lx = 1 / (1 + np.exp(2 * (alphas[:, None, None] + self.ys[None])))
        _, e0 = life_table(lx)  # (A, 2), decreasing in alpha
        self._alpha_grid, self._e0_grid = alphas[::-1], e0[::-1].T  # increasing e0
        self.e0_base = np.array([t.value(f"e0_male_{self.base_year}"),
                                 t.value(f"e0_female_{self.base_year}")])
        # Fertility: national schedule, normalised to one child per woman.
        f = t.table("fertility_france").set_index("age")["rate"]
        self.fert_shape = np.array([f.get(a, 0.0) for a in range(15, 50)], dtype=float)
        self.fert_shape /= self.fert_shape.sum()
        self.tfr_base = t.value(f"tfr_{self.base_year}")
        # Migration: Rogers–Castro standard schedule (sums to one), half women half men.
        rc = t.table("rogers_castro").set_index("parameter")["value"]
        x = AGES.astype(float)
        g = (rc["a1"] * np.exp(-rc["alpha1"] * x)
             + rc["a2"] * np.exp(-rc["alpha2"] * (x - rc["mu2"])
                                 - np.exp(-rc["lambda2"] * (x - rc["mu2"])))
             + rc["c"])
        self.mig_shape = np.stack([g, g]) / (2 * g.sum())
        # Students leave as many as arrived in their cohort: a cohort leaving in year t
        # arrived (at 18-20) partly before the base year, at the base flow, and partly
        # after, at the lever's flow. share_new[t, a] is the part that arrived after.
        arrive = np.zeros(N_AGES)
        arrive[STUDENT_IN] = 1 / len(STUDENT_IN)
        t_idx = np.arange(len(self.years))[:, None, None]
        ages_out = STUDENT_OUT[None, :, None]
        share_new = ((t_idx - (ages_out - STUDENT_IN[None, None, :])) >= 0).mean(-1)
        leave_new = np.zeros((len(self.years), N_AGES))
        leave_new[:, STUDENT_OUT] = -share_new / len(STUDENT_OUT)
        leave_old = np.zeros_like(leave_new)
        leave_old[:, STUDENT_OUT] = -(1 - share_new) / len(STUDENT_OUT)
        self._students_new = (arrive[None, :] + leave_new) / 2  # per sex, per student
        self._students_old = self.students_base * leave_old / 2
        # Ageing, households, digital exclusion: rates by single age.
        self.apa = expand_bands(t.table("apa_prevalence"), "prevalence")
        self.alone = expand_bands(t.table("living_alone_rates"), "share_living_alone")
        self.alone[:75] = 0.0
        headship = expand_bands(t.table("headship_rates"), "headship_rate")
        # Local level: national headship shape scaled to the census households of the base
        # year (derived; the age shape is national).
        # (A start year without a household count, such as the 2009 backcast, keeps the
        # national level.)
        hh_base = t.value(f"households_{self.base_year}", default=0.0)
        scale = hh_base / (headship * self.p0.sum(0)).sum() if hh_base else 1.0
        self.headship = headship * scale
        self.home_share_base = t.value("home_care_share_2021") / 100
        self.help_hours = t.value("home_help_hours_per_month") * 12
        self.collective = t.value("collective_share")
        self.dwelling_factor = 1 / (1 - t.value("vacancy_rate") - t.value("second_home_rate"))
        illect = expand_bands(t.table("illectronism_2021"), "rate")
        # Rates travel with cohorts (people keep the skills they have); cohorts younger than
        # 15 in 2021 take the 15–24 rate when they reach 15.
        k = (self.years - 2021).clip(min=0)[:, None]
        cohort_age = AGES[None, :] - k
        entry = illect[15]
        self.illect = np.where(cohort_age >= 15, illect[np.clip(cohort_age, 0, OPEN)], entry)
        self.illect[:, :15] = 0.0
        # Linear aggregates: one matrix product gives every count by age group.
        cols = {f"band{lo}": (AGES >= lo) & (AGES <= hi) for lo, hi in BANDS}
        cols |= {"60+": AGES >= 60, "85+": AGES >= 85, "20-64": (AGES >= 20) & (AGES <= 64),
                 "65+": AGES >= 65, "75+": AGES >= 75}
        self._agg_names = list(cols) + ["households", "alone", "dependent"]
        self._agg = np.column_stack([c.astype(float) for c in cols.values()]
                                    + [self.headship, self.alone, self.apa])
        self._ramp = np.clip((self.years - self.base_year) / (RAMP_END - self.base_year), 0, 1)
        self._gain = np.clip((self.years - self.base_year) / (GAIN_END - self.base_year), 0, 1)

    # -- the projection ---------------------------------------------------------------------

    def mortality(self, gain: np.ndarray) -> np.ndarray:
        """Survivorship l(1…105), shape (n, T, 2, 105), for a life-expectancy gain (n,)."""
        target = self.e0_base[None, None, :] + gain[:, None, None] * self._gain[None, :, None]
        alpha = np.empty_like(target)
        for s in range(2):
            alpha[..., s] = np.interp(target[..., s], self._e0_grid[s], self._alpha_grid)
        return 1 / (1 + np.exp(2 * (alpha[..., None] + self.ys)))

    def project(self, levers: Mapping[str, np.ndarray]) -> Projection:
        n = max(np.size(levers[k]) for k in self.levers)
        lv = {k: np.broadcast_to(np.asarray(levers[k], float), (n,)) for k in self.levers}
        fert_lv, T = lv["fertility"], len(self.years)
        lx = self.mortality(lv["life_expectancy_gain"])
        L, _ = life_table(lx)
        surv = L[..., 1:] / L[..., :-1]  # (n, T, 2, 105): age x -> x+1
        surv_open = L[..., OPEN] / (L[..., OPEN - 1] + L[..., OPEN])
        surv_birth = L[..., 0]
        tfr = self.tfr_base + (fert_lv[:, None] - self.tfr_base) * self._ramp[None, :]
        fert = tfr[..., None] * self.fert_shape  # (n, T, 35)
        # net migrants by year, sex and age at the end of the year: (n, T, 2, 106)
        mig = (lv["net_migration"][:, None, None, None] * self.mig_shape[None, None]
               + (lv["student_arrivals"][:, None, None] * self._students_new
                  + self._students_old)[:, :, None, :])
        sex_birth = np.array([BOYS_PER_GIRL, 1.0]) / (1 + BOYS_PER_GIRL)

        P = np.empty((n, T + 1, 2, N_AGES))
        P[:, 0] = self.p0
        births = np.empty((n, T, 2))
        deaths = np.empty((n, T, 2, N_AGES))
        migration = np.empty((n, T, 2, N_AGES))
        for t in range(T):
            cur = P[:, t]
            b = (cur[:, 1, FERT_AGES] * fert[:, t]).sum(-1)[:, None] * sex_birth  # (n, 2)
            nxt = np.empty_like(cur)
            nxt[:, :, 0] = b * surv_birth[:, t]
            nxt[:, :, 1:OPEN] = cur[:, :, :OPEN - 1] * surv[:, t, :, :OPEN - 1]
            nxt[:, :, OPEN] = (cur[:, :, OPEN - 1] + cur[:, :, OPEN]) * surv_open[:, t]
            # deaths by age at 1 January; infants born this year counted at age 0 with births
            d = np.empty_like(cur)
            d[:, :, :OPEN - 1] = cur[:, :, :OPEN - 1] - nxt[:, :, 1:OPEN]
            d[:, :, OPEN - 1:] = cur[:, :, OPEN - 1:] * (1 - surv_open[:, t])[..., None]
            d[:, :, 0] += b - nxt[:, :, 0]
            after = np.maximum(nxt + mig[:, t], 0.0)
            migration[:, t] = after - nxt
            births[:, t] = b
            deaths[:, t] = d
            P[:, t + 1] = after
        return Projection(self.years, P, births, deaths, migration, lx, fert)

    # -- indicators -----------------------------------------------------------------------

    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        pr = self.project(levers)
        T = len(self.years)
        P = pr.population[:, :T]  # stocks on 1 January of each reported year
        by_age = P.sum(2)  # (n, T, 106)
        total = by_age.sum(-1)
        agg = dict(zip(self._agg_names, np.moveaxis(by_age @ self._agg, -1, 0), strict=True))

        # Median age: linear within the single year of age where half the population is met.
        cum = np.cumsum(by_age, -1)
        half = total[..., None] / 2
        idx = np.minimum((cum < half).sum(-1, keepdims=True), OPEN)
        below = np.take_along_axis(cum, idx, -1) - np.take_along_axis(by_age, idx, -1)
        inside = np.take_along_axis(by_age, idx, -1)
        median = (idx + (half - below) / np.where(inside > 0, inside, 1))[..., 0]

        home = (self.home_share_base
                + (np.asarray(levers["home_care_share"], float)[:, None] / 100
                   - self.home_share_base) * self._ramp[None, :])
        dependent = agg["dependent"]
        at_home = dependent * home
        places = dependent - at_home
        households = agg["households"]

        # Digital exclusion: cohort rates, minus the people brought to autonomy, who then
        # die at the mean death rate of the excluded population. Mediation reaches fewer
        # people as the excluded population shrinks (those left are the hardest to reach):
        # the lever's value holds when as many people are excluded as in the base year.
        illect_base = (by_age * self.illect).sum(-1)
        death_rate = (pr.deaths.sum(2) * self.illect).sum(-1) / np.maximum(illect_base, 1e-9)
        trained = np.asarray(levers["digital_mediation"], float)
        helped = np.zeros_like(illect_base)
        pool0 = np.maximum(illect_base[:, 0], 1e-9)
        for t in range(1, T):
            left = np.maximum(illect_base[:, t - 1] - helped[:, t - 1], 0.0)
            helped[:, t] = np.minimum(helped[:, t - 1] * (1 - death_rate[:, t - 1])
                                      + trained * left / pool0, illect_base[:, t])
        illect = illect_base - helped

        out = {
            "Population": total,
            "Population|Male": P[:, :, 0].sum(-1),
            "Population|Female": P[:, :, 1].sum(-1),
            "Demography|Births": pr.births.sum(-1),
            "Demography|Deaths": pr.deaths.sum((2, 3)),
            "Demography|Net Migration": pr.migration.sum((2, 3)),
            "Demography|Median Age": median,
            "Demography|Old-Age Dependency Ratio": 100 * agg["65+"] / agg["20-64"],
            "Demography|Population 60+": agg["60+"],
            "Demography|Population 85+": agg["85+"],
            "Demography|Share 60+": 100 * agg["60+"] / total,
            "Demography|Share 75+": 100 * agg["75+"] / total,
            "Demography|Share 85+": 100 * agg["85+"] / total,
            "Households": households,
            "Demography|Household Size": total * (1 - self.collective) / households,
            "Housing|Dwellings Needed": households * self.dwelling_factor,
            "Ageing|Dependent Elderly": dependent,
            "Ageing|Dependent Elderly at Home": at_home,
            "Ageing|Nursing Home Places": places,
            "Ageing|Home Care Hours": at_home * self.help_hours,
            "Ageing|Aged 75+ Living Alone": agg["alone"],
            "Digital Exclusion|Illectronism": illect,
            "Digital Exclusion|Illectronism Share": 100 * illect / np.maximum(
                by_age[..., 15:].sum(-1), 1e-9),
        }
        for lo, hi in BANDS:
            label = f"{lo}+" if hi == OPEN else f"{lo}-{hi}"
            out[f"Population|Age Group|{label}"] = agg[f"band{lo}"]
        return out


# -- validation helpers: backcast and statistical trend ------------------------------------


def backcast(territory: Territory, start: int = 2009, end: int | None = None) -> dict:
    """Project from the ``start`` census with the levers of ``backcast_<start>.csv`` (what was
    known then) to ``end`` (default: the base year) and compare with the census there."""
    end = end or territory.base_year
    years = np.arange(start, end)
    model = Demography(territory, years, base_year=start)
    table = territory.table(f"backcast_{start}").set_index("lever_id")["value"]
    pr = model.project({k: np.array([float(table[k])]) for k in Demography.levers})
    census = territory.table("census_population").set_index("year")["population"]
    projected = float(pr.population[0, -1].sum())
    observed = float(census.loc[end])
    path = pr.population[0].sum((1, 2))
    return {"start": start, "end": end, "projected": projected, "observed": observed,
            "error": projected / observed - 1,
            "path": dict(zip(range(start, end + 1), path.tolist(), strict=True))}


def population_trend(territory: Territory, end: int = 2050, alpha: float = 0.1):
    """A purely statistical baseline: ARIMA(1,1,0) with drift on log population, fitted on
    the census years 1968–base year (annual PeriodIndex, the years between censuses left
    missing so the Kalman filter does not treat interpolated values as observations).
    Returns a DataFrame indexed by year with ``mean``, ``lower`` and ``upper`` (1 − alpha)."""
    import warnings

    import pandas as pd
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    census = territory.table("census_population").set_index("year")["population"]
    idx = pd.period_range(str(census.index.min()), str(census.index.max()), freq="Y")
    y = pd.Series(np.nan, index=idx)
    y[[pd.Period(str(v), "Y") for v in census.index]] = np.log(census.to_numpy(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on 10 observed points
        fit = SARIMAX(y, order=(1, 1, 0), trend="c").fit(disp=False)
        frame = fit.get_forecast(end - int(census.index.max())).summary_frame(alpha=alpha)
    out = pd.DataFrame({"mean": np.exp(frame["mean"]), "lower": np.exp(frame["mean_ci_lower"]),
                        "upper": np.exp(frame["mean_ci_upper"])})
    out.index = out.index.year
    out.index.name = "year"
    return out
