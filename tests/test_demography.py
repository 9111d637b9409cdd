"""The demography model: accounting, life expectancy, fertility, backcast, lever effects."""

import numpy as np
import pytest

from workbench.models.demography import (
    OPEN,
    Demography,
    backcast,
    life_table,
    population_trend,
)

from .conftest import lever_effect


def model_of(engine) -> Demography:
    return next(m for m, _ in engine.models if isinstance(m, Demography))


def levers(engine, n=1, **values):
    out = {k: np.full(n, lv.trend) for k, lv in engine.levers.items() if k in Demography.levers}
    out.update({k: np.asarray(v, float) for k, v in values.items()})
    return out


EXTREMES = {
    "net_migration": [-1000, 0, 3000], "fertility": [1.3, 1.8, 2.3],
    "life_expectancy_gain": [-2, 3.5, 7], "student_arrivals": [0, 4000, 2000],
}


@pytest.mark.parametrize("name", ["engine", "synthetic"])
def test_accounting_holds_exactly_by_sex_and_age(name, request):
    eng = request.getfixturevalue(name)
    lv = {k: np.clip(v, eng.levers[k].min, eng.levers[k].max) for k, v in EXTREMES.items()}
    pr = model_of(eng).project(levers(eng, 3, **lv))
    P, B, D, M = pr.population, pr.births, pr.deaths, pr.migration
    assert (P >= 0).all()
    tol = 1e-9 * P.max()
    # totals by sex: P(t+1) = P(t) + births - deaths + net migration
    np.testing.assert_allclose(P[:, 1:].sum(-1), P[:, :-1].sum(-1) + B - D.sum(-1) + M.sum(-1),
                               rtol=0, atol=tol)
    # each cohort a -> a+1 (ages 1-103), the open group, and the two youngest cohorts
    np.testing.assert_allclose(P[:, 1:, :, 2:OPEN],
                               P[:, :-1, :, 1:OPEN - 1] - D[..., 1:OPEN - 1] + M[..., 2:OPEN],
                               rtol=0, atol=tol)
    np.testing.assert_allclose(P[:, 1:, :, OPEN],
                               P[:, :-1, :, OPEN - 1:].sum(-1) - D[..., OPEN - 1:].sum(-1)
                               + M[..., OPEN], rtol=0, atol=tol)
    np.testing.assert_allclose(P[:, 1:, :, :2].sum(-1),
                               B + P[:, :-1, :, 0] - D[..., 0] + M[..., :2].sum(-1),
                               rtol=0, atol=tol)


@pytest.mark.parametrize("gain", [-2.0, 0.0, 3.5, 7.0])
def test_life_expectancy_from_the_models_own_rates_equals_the_lever(engine, gain):
    m = model_of(engine)
    pr = m.project(levers(engine, life_expectancy_gain=[gain]))
    _, e0 = life_table(pr.survivorship[0])  # (T, 2)
    ramp = (m.years - 2021) / (2050 - 2021)
    expected = m.e0_base[None, :] + gain * ramp[:, None]
    assert np.abs(e0 - expected).max() < 0.05
    assert np.abs(e0[-1] - (m.e0_base + gain)).max() < 0.05


@pytest.mark.parametrize("tfr", [1.3, 1.6, 1.8, 2.0, 2.3])
def test_fertility_schedule_sums_to_the_lever_from_2030(engine, tfr):
    m = model_of(engine)
    pr = m.project(levers(engine, fertility=[tfr]))
    sums = pr.fertility[0].sum(-1)
    np.testing.assert_allclose(sums[m.years >= 2030], tfr, rtol=1e-12)
    assert sums[0] == pytest.approx(m.tfr_base)  # from the calibrated 2021 level


def test_mean_age_at_childbearing_is_about_31(engine):
    m = model_of(engine)
    ages = np.arange(15, 50) + 0.5
    assert 30 <= (m.fert_shape * ages).sum() <= 31.5


def test_sex_ratio_at_birth_is_105_boys_per_100_girls(engine):
    pr = model_of(engine).project(levers(engine))
    ratio = pr.births[0, :, 0] / pr.births[0, :, 1]
    np.testing.assert_allclose(ratio, 1.05)


def test_base_year_equals_the_census_and_reproduces_the_2022_registers(engine):
    res = engine.run_batch({})
    assert res.value("Population", 2021) == pytest.approx(139738, abs=1e-6)
    assert res.value("Households", 2021) == pytest.approx(66099, abs=1e-6)
    # calibrated (scripts/calibrate_base.py): births on the TFR, deaths on the 75+ share
    assert res.value("Demography|Births", 2022) == pytest.approx(1537, rel=0.01)
    assert res.value("Demography|Deaths", 2022) == pytest.approx(1294, rel=0.01)


def test_backcast_2009_to_2021_reproduces_the_census_within_1_5_percent(engine):
    b = backcast(engine.territory, start=2009)
    assert b["observed"] == 139738
    assert abs(b["error"]) < 0.015, b["error"]


def test_trend_scenario_sits_within_the_statistical_trend_interval(engine, ref_results):
    trend = population_trend(engine.territory, alpha=0.1)
    tend = ref_results.series("Population", "tendanciel")
    years = trend.index
    assert (trend["lower"] < trend["mean"]).all() and (trend["mean"] < trend["upper"]).all()
    widths = (trend["upper"] - trend["lower"]).to_numpy()
    assert (np.diff(widths) > 0).all()  # uncertainty widens with the horizon
    inside = (tend.loc[years] >= trend["lower"]) & (tend.loc[years] <= trend["upper"])
    assert inside.all(), tend.loc[years][~inside]


def run(engine, **values):
    return engine.run_batch({k: np.asarray(v, float) for k, v in values.items()})


@pytest.mark.parametrize("lever, low, high, variable, year, sign", [
    ("net_migration", 0, 2000, "Population", 2050, +1),
    ("net_migration", 0, 2000, "Households", 2050, +1),
    ("net_migration", 0, 2000, "Housing|Dwellings Needed", 2030, +1),
    ("life_expectancy_gain", 0, 6, "Demography|Population 85+", 2050, +1),
    ("life_expectancy_gain", 0, 6, "Demography|Deaths", 2050, -1),
    ("fertility", 1.5, 2.1, "Demography|Births", 2035, +1),
    ("fertility", 1.5, 2.1, "Population|Age Group|0-14", 2040, +1),
    ("fertility", 1.5, 2.1, "Demography|Median Age", 2050, -1),
    ("student_arrivals", 0, 3000, "Population|Age Group|15-29", 2030, +1),
    ("home_care_share", 50, 80, "Ageing|Nursing Home Places", 2030, -1),
    ("home_care_share", 50, 80, "Ageing|Home Care Hours", 2030, +1),
    ("digital_mediation", 0, 2000, "Digital Exclusion|Illectronism", 2030, -1),
])
def test_each_lever_moves_outputs_the_expected_way(engine, lever, low, high, variable, year,
                                                   sign):
    assert np.sign(lever_effect(engine, lever, low, high, variable, year)) == sign


def test_ageing_indicators_are_consistent(ref_results):
    for s in ref_results.scenarios:
        pop = ref_results.data["Population"][ref_results.scenarios.index(s)]
        d = {v: ref_results.data[v][ref_results.scenarios.index(s)] for v in ref_results.data}
        assert (d["Demography|Population 85+"] <= d["Population|Age Group|75+"]).all()
        assert (d["Population|Age Group|75+"] <= d["Demography|Population 60+"]).all()
        np.testing.assert_allclose(d["Population|Male"] + d["Population|Female"], pop)
        bands = sum(d[v] for v in d if v.startswith("Population|Age Group|"))
        np.testing.assert_allclose(bands, pop)
        np.testing.assert_allclose(d["Ageing|Dependent Elderly at Home"]
                                   + d["Ageing|Nursing Home Places"],
                                   d["Ageing|Dependent Elderly"])
        assert ((d["Digital Exclusion|Illectronism Share"] >= 0)
                & (d["Digital Exclusion|Illectronism Share"] <= 100)).all()
        assert (20 < d["Demography|Median Age"]).all() and (d["Demography|Median Age"] < 60).all()
        assert (d["Demography|Household Size"] > 1.5).all()


def test_mediation_cannot_bring_illectronism_below_zero_and_slows_down(engine):
    res = run(engine, digital_mediation=[3000])
    illect = res.series("Digital Exclusion|Illectronism", 0)
    assert (illect >= 0).all() and illect.loc[2050] > 0
    gains = -np.diff(illect.to_numpy())
    assert gains[-1] < gains[1]  # harder to reach the last ones


def test_base_illectronism_matches_insee_2021_overall_rate(engine):
    res = engine.run_batch({})
    # INSEE Première 1953: 15.4 % of people 15+ in 2021 (France); local age structure differs
    assert res.value("Digital Exclusion|Illectronism Share", 2021) == pytest.approx(15.4, abs=1.5)


def test_cohort_effect_alone_matches_the_observed_national_decline(engine):
    # INSEE Première 1780 and 1953: 16.5 % in 2019, 15.4 % in 2021, i.e. -0.55 point a year.
    res = run(engine, digital_mediation=[0])
    share = res.series("Digital Exclusion|Illectronism Share", 0)
    assert (share.loc[2021] - share.loc[2023]) / 2 == pytest.approx(0.55, abs=0.15)


def test_students_leave_as_many_as_arrived_in_their_cohort(engine):
    values = np.array([0.0, 1100.0, 2500.0, 4000.0])
    pr = model_of(engine).project(levers(engine, 4, student_arrivals=values))
    # cohorts aged 21-25 in 2021 arrived before the projection, at the base flow: the lever
    # does not touch them (ages 40-44 in 2040)
    cohort = pr.population[:, 19, :, 40:45].sum((1, 2))
    np.testing.assert_allclose(cohort, cohort[1], rtol=1e-9)
    # once every leaving cohort arrived after 2021, net student migration is zero
    late = pr.migration.sum((2, 3))[:, 8:] - pr.migration.sum((2, 3))[1, 8:]
    np.testing.assert_allclose(late, 0, atol=1e-6)
    pop2050 = pr.population[:, 29].sum((1, 2))
    assert (np.diff(pop2050) > 0).all()
