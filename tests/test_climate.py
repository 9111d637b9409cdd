"""The climate model: TRACC's anchors, indicators that move the right way and stay in range,
the observed past, and the heat exposure and vulnerability of the elderly."""

import numpy as np
import pytest

from workbench.format import UNITS_FR
from workbench.models.climate import GRID, Climate, divergence, france_anomaly

BOUNDED = ["Hot Days", "Tropical Nights", "Frost Days", "Heating Degree Days",
           "Cooling Degree Days", "Snow Cover Days|Mid-Mountain", "Temperature Anomaly|Local"]
DAY_COUNTS = ["Hot Days", "Tropical Nights", "Frost Days", "Frost Days|Mid-Mountain",
              "Snow Cover Days|Mid-Mountain"]


def model_of(engine) -> Climate:
    return next(m for m, _ in engine.models if isinstance(m, Climate))


def grid(engine, n=7):
    """Context levers spanning their whole ranges (every pair of 7 × 7 values)."""
    w = np.linspace(engine.levers["warming_2050_france"].min,
                    engine.levers["warming_2050_france"].max, n)
    a = np.linspace(engine.levers["alpine_amplification"].min,
                    engine.levers["alpine_amplification"].max, n)
    ww, aa = np.meshgrid(w, a)
    return {"warming_2050_france": ww.ravel(), "alpine_amplification": aa.ravel()}


# -- the trajectory -----------------------------------------------------------------------


def test_reference_trajectory_reproduces_tracc_anchor_points_including_2100():
    got = france_anomaly([2030, 2050, 2100])
    np.testing.assert_allclose(got, [2.0, 2.7, 4.0], atol=0.05)
    assert abs(france_anomaly(np.arange(1976, 2006)).mean() - 0.6) < 0.05  # reference period
    assert abs(france_anomaly([2023])[0] - 1.7) < 0.1  # France +1.7 °C in 2023 (TRACC)


def test_the_engine_writes_the_reference_trajectory_for_the_trend(engine, ref_results):
    france = ref_results.series("Climate|Temperature Anomaly|France", "tendanciel")
    assert france[2030] == pytest.approx(2.0, abs=0.05)
    assert france[2050] == pytest.approx(2.7, abs=0.05)


@pytest.mark.parametrize("setting", [2.0, 2.2, 2.7, 3.2, 3.5])
def test_every_setting_reaches_its_value_in_2050_and_leaves_tracc_only_after_2020(setting):
    years = np.arange(1990, 2101)
    traj = france_anomaly(years, np.array([setting]))[0]
    assert traj[years == 2050][0] == pytest.approx(setting, abs=1e-9)
    np.testing.assert_allclose(traj[years <= 2020], france_anomaly(years[years <= 2020]))
    # near-term warming is nearly locked in (AR6: the same in every scenario to 2040)
    assert abs(traj[years == 2030][0] - 2.0) < 0.2
    to_2050 = traj[(years >= 2020) & (years <= 2050)]
    if setting >= 2.2:
        assert np.all(np.diff(to_2050) > 0)  # France keeps warming to 2050
    else:  # a world near +1.5 °C: French warming peaks before 2050, a little above 2.0
        assert to_2050.max() - setting < 0.1
    # after 2050 the lowest settings level off or cool a little (AR6: SSP1-1.9 peaks, then
    # cools), never back to the warming France had already reached around 2010
    assert traj[-1] > 1.5


def test_higher_settings_are_warmer_every_year_after_2020():
    years = np.arange(2021, 2101)
    trajs = france_anomaly(years, np.array([2.0, 2.2, 2.7, 3.2, 3.5]))
    assert np.all(np.diff(trajs, axis=0) > 0)
    assert divergence([2020])[0] == 0 and divergence([2050])[0] == 1


def test_local_anomaly_is_the_french_one_amplified(engine):
    res = engine.run_batch(grid(engine))
    france = res.data["Climate|Temperature Anomaly|France"]
    local = res.data["Climate|Temperature Anomaly|Local"]
    amp = grid(engine)["alpine_amplification"][:, None]
    np.testing.assert_allclose(local, amp * france)


# -- indicators: direction, ranges, bounds -------------------------------------------------


def test_indicators_move_the_right_way_with_warming(engine):
    m = model_of(engine)
    dt = np.linspace(-3, 8, 111)
    t = {k: np.interp(dt, GRID, v) for k, v in m.table.items()}
    for more in ("hot", "tropical", "cdd", "mean"):
        assert np.all(np.diff(t[more]) > 0), more
    for fewer in ("frost", "hdd"):
        assert np.all(np.diff(t[fewer]) < 0), fewer
    assert np.all(np.diff(m.snow(dt)) < 0)
    assert np.all(np.diff(m.table_mid["frost"]) < 0)


def test_warmer_settings_give_more_hot_days_and_fewer_frost_snow_and_heating(engine):
    lv = {"warming_2050_france": np.array([2.0, 2.2, 2.7, 3.2, 3.5]),
          "alpine_amplification": np.full(5, 1.4)}
    d = engine.run_batch(lv).data
    y2050 = -1
    for more in ("Hot Days", "Tropical Nights", "Cooling Degree Days"):
        assert np.all(np.diff(d[f"Climate|{more}"][:, y2050]) > 0), more
    for fewer in ("Frost Days", "Heating Degree Days", "Snow Cover Days|Mid-Mountain",
                  "Heating Degree Days|Mid-Mountain", "Frost Days|Mid-Mountain"):
        assert np.all(np.diff(d[f"Climate|{fewer}"][:, y2050]) < 0), fewer
    # and over time in each scenario where France warms every year (all but the lowest)
    assert np.all(np.diff(d["Climate|Hot Days"][1:], axis=1) > 0)
    assert np.all(np.diff(d["Climate|Heating Degree Days"][1:], axis=1) < 0)


@pytest.mark.parametrize("name", ["engine", "synthetic"])
def test_day_counts_stay_within_0_and_365_and_degree_days_are_positive(name, request):
    eng = request.getfixturevalue(name)
    d = eng.run_batch(grid(eng)).data
    for v in DAY_COUNTS + [f"{b} ({s})" for b in DAY_COUNTS[:3] for s in ("Low", "High")]:
        a = d[f"Climate|{v}"]
        assert np.all(np.isfinite(a)) and a.min() >= 0 and a.max() <= 365, v
    for v in ("Heating Degree Days", "Cooling Degree Days", "Heating Degree Days|Mid-Mountain"):
        assert d[f"Climate|{v}"].min() > 0, v
    # and at the extremes of the model's tables
    m = model_of(eng)
    assert min(t.min() for t in m.table.values() if t is not m.table["mean"]) >= 0
    assert max(m.table[k].max() for k in ("hot", "tropical", "frost")) <= 365


def test_low_and_high_values_bracket_the_median(engine):
    d = engine.run_batch(grid(engine)).data
    for b in BOUNDED:
        low, mid, high = (d[f"Climate|{b}{s}"] for s in (" (Low)", "", " (High)"))
        assert np.all(low <= mid + 1e-9) and np.all(mid <= high + 1e-9), b
    spread = d["Climate|Hot Days (High)"] - d["Climate|Hot Days (Low)"]
    assert np.all(spread[:, -1] > spread[:, 0])  # uncertainty widens with warming


# -- the observed past ------------------------------------------------------------------


def test_frost_days_at_voglans_match_the_observed_decline(engine):
    m = model_of(engine)
    amp = engine.levers["alpine_amplification"].trend
    past = m.climate_of([1976, 2005, 2020], 2.7, amp)["frost"]
    assert past[1976] > 78  # "more than 80 frost days a year around 1976"
    assert past[2020] < 62  # "fewer than 60 in 2020"
    assert 60 < past[2005] < 72  # the 1991-2020 normal in between


def test_34_days_above_30_in_summer_2019_was_exceptional(engine):
    m = model_of(engine)
    amp = engine.levers["alpine_amplification"].trend
    expected = m.climate_of([2019], 2.7, amp)
    # the climate of 2019 gives well under 34 hot days a year, summer included ...
    assert expected["hot"][2019] < 0.8 * 34
    # ... while a year 1.5 °C warmer than expected (2019: the 5th hottest summer since
    # 1974) comes near it
    dt = expected["warming"][2019] + 1.5
    assert np.interp(dt, GRID, m.table["hot"]) >= 30


def test_mid_mountain_is_colder_and_snow_cover_matches_tracc_in_2100(engine):
    m = model_of(engine)
    amp = engine.levers["alpine_amplification"].trend
    c = m.climate_of([2021, 2100], 2.7, amp)
    assert (c["mean"] - c["mean_mid"]).between(5, 7.5).all()  # 1,090 m higher
    assert (c["frost_mid"] > c["frost"]).all()
    assert 15 <= c["snow_mid"][2100] <= 45  # TRACC: 20-40 days of snow cover in 2100


# -- heat: exposure and vulnerability -------------------------------------------------------


def test_heat_exposure_is_the_75_plus_times_hot_days(engine, ref_results):
    for s in ("tendanciel", "attractivite"):
        exp = ref_results.series("Climate|Heat Exposure|75+", s)
        pop = ref_results.series("Population|Age Group|75+", s)
        hot = ref_results.series("Climate|Hot Days", s)
        np.testing.assert_allclose(exp, pop * hot)


def test_heat_wave_risk_follows_the_2003_ages_and_falls_with_adaptation(engine):
    lv = {"cool_places_75plus": np.array([0, 10, 40, 80, 0]),
          "heatwave_plan_reach": np.array([0, 10, 40, 80, 80])}
    res = engine.run_batch(lv)
    risk = res.data["Climate|Heat-Wave Excess Mortality|75+"]
    # without any protection the 75+ carry the 2003 excess of their ages: +70% to +120%
    m = model_of(engine)
    unprotected = risk[0, -1]
    assert 70 < unprotected < 120
    # more protection, less excess mortality, from 2030 on (levers ramp in 2021-2030)
    after = res.data["Climate|Heat-Wave Excess Mortality|75+"][:, 9:]
    assert np.all(np.diff(after[:4], axis=0) < 0)
    assert after[4, -1] < after[0, -1] and after[3, -1] < after[4, -1]
    full = unprotected * (1 - 0.8 * m.cool_effect) * (1 - 0.8 * m.plan_effect)
    assert risk[3, -1] == pytest.approx(full)
    # in 2021 every scenario starts from the same, observed protection
    np.testing.assert_allclose(risk[1:4, 0], risk[1, 0])


# -- contract and formats ------------------------------------------------------------------


def test_contract_variables_for_the_energy_and_land_use_models(engine):
    units = engine.units
    assert units["Climate|Heating Degree Days"] == "degree-day/yr"
    assert units["Climate|Cooling Degree Days"] == "degree-day/yr"
    assert units["Climate|Temperature Anomaly|Local"] == "°C"
    assert units["Climate|Temperature Anomaly|France"] == "°C"
    hdd = engine.run_batch({}).series("Climate|Heating Degree Days")
    assert list(hdd.index) == list(range(2021, 2051))
    assert 1500 < hdd[2021] < 3500  # Chambéry, base 18 °C


def test_climate_units_read_in_french(engine):
    for v in engine.variables:
        if v.startswith("Climate|"):
            assert engine.units[v] in UNITS_FR, v
