"""The land-use model: land accounts, land take and ZAN, farmland and food, water, carbon."""

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.errors import DataError
from workbench.models.land_use import CLASSES, TEMPERATURE, LandUse

from .conftest import lever_effect

COVER = ["Land Cover|Built-up Area", "Land Cover|Cropland", "Land Cover|Pasture",
         "Land Cover|Other Natural", "Land Cover|Forest"]


@pytest.fixture(scope="module")
def gc(engine) -> wb.Engine:
    return engine  # Grand Chambéry, every model of the tree (climate gives the warming)


@pytest.fixture(scope="module")
def synth(synthetic) -> wb.Engine:
    return synthetic


def model_of(engine) -> LandUse:
    return next(m for m, _ in engine.models if isinstance(m, LandUse))


def extremes(engine, n=64, seed=3):
    """Random lever values over the whole ranges of every lever, plus the corners of the
    land-use levers (all at minimum, all at maximum)."""
    rng = np.random.default_rng(seed)
    values = {k: rng.uniform(lv.min, lv.max, n) for k, lv in engine.levers.items()}
    for k in LandUse.levers:
        lv = engine.levers[k]
        values[k][:2] = (lv.min, lv.max)
    return values


def run(engine, **values):
    return engine.run_batch({k: np.atleast_1d(np.asarray(v, float)) for k, v in values.items()})


@pytest.mark.parametrize("name", ["gc", "synth"])
def test_land_accounts_sum_to_the_territory_every_year_in_every_scenario(name, request):
    eng = request.getfixturevalue(name)
    res = eng.run_batch(extremes(eng))
    area = eng.territory.value("area_km2") * 100
    total = sum(res.data[v] for v in COVER)
    np.testing.assert_allclose(total, area, rtol=1e-12)
    np.testing.assert_allclose(res.data["Land Cover"], area, rtol=1e-12)


@pytest.mark.parametrize("name", ["gc", "synth"])
def test_land_take_is_never_negative_and_no_class_goes_below_zero(name, request):
    eng = request.getfixturevalue(name)
    res = eng.run_batch(extremes(eng))
    for v in COVER:
        assert (res.data[v] >= -1e-9).all(), v
    for v in ("Land Use|NAF Consumption", "Land Use|NAF Consumption|Housing",
              "Land Use|NAF Consumption|Activities and Infrastructure",
              "Land Use|Renaturation", "Housing|Dwellings Added|On NAF Land"):
        assert (res.data[v] >= 0).all(), v
    farmland = res.data["Land Cover|Cropland"] + res.data["Land Cover|Pasture"]
    assert (farmland >= 0).all() and (np.diff(res.data["Land Use|Cumulative NAF Consumption"],
                                              axis=1) >= 0).all()


def test_farmland_never_below_zero_even_when_cropland_runs_out(synth):
    """Land take beyond the cropland cascades to the next classes instead of going negative."""
    m = model_of(synth)
    need = np.linspace(500, 10500, 30)[None, :]  # 10,000 more dwellings, all on NAF land
    inputs = {"Population": np.full((1, 30), 1000.0), "Housing|Dwellings Needed": need,
              TEMPERATURE: np.full((1, 30), 1.5)}
    lv = {k: np.array([synth.levers[k].trend]) for k in LandUse.levers}
    lv.update(housing_density=np.array([10.0]), infill_share=np.array([0.0]))
    out = m.run(lv, inputs)
    assert out["Land Cover|Cropland"][0, -1] == pytest.approx(0, abs=1e-9)
    assert out["Land Cover|Pasture"][0, -1] < 250
    for v in COVER:
        assert (out[v] >= -1e-9).all()
    np.testing.assert_allclose(sum(out[v] for v in COVER), 1200, rtol=1e-12)


def test_children_add_up_to_their_parent(gc):
    res = gc.run_batch(extremes(gc, n=16))
    d = res.data
    pairs = {
        "Land Use|NAF Consumption": ["Land Use|NAF Consumption|Housing",
                                     "Land Use|NAF Consumption|Activities and Infrastructure"],
        "Land Use|CO2 Flux": ["Land Use|CO2 Flux|Artificialisation",
                              "Land Use|CO2 Flux|Renaturation", "Land Use|CO2 Flux|Forest Sink"],
        "Housing|Dwellings Added": ["Housing|Dwellings Added|Vacant Recovered",
                                    "Housing|Dwellings Added|Urban Infill",
                                    "Housing|Dwellings Added|On NAF Land"],
    }
    for parent, children in pairs.items():
        np.testing.assert_allclose(d[parent], sum(d[c] for c in children), rtol=1e-9,
                                   atol=1e-9, err_msg=parent)


def test_base_year_reproduces_the_cited_land_accounts(gc):
    res = gc.run_batch({})
    assert res.value("Land Cover|Forest", 2021) == 28653  # grandchambery.fr
    farmland = res.value("Land Cover|Cropland", 2021) + res.value("Land Cover|Pasture", 2021)
    assert farmland == 13569  # RA 2020
    assert res.value("Land Cover", 2021) == pytest.approx(52650)
    assert res.value("Water|Consumption", 2021) == pytest.approx(7.2, rel=0.005)
    assert res.value("Land Use|Cumulative NAF Consumption", 2021) == 0


def test_trend_land_take_reproduces_the_observed_pace_at_the_observed_housing_growth(gc):
    """Calibration check: with the dwelling growth of 2015-2021 (households +910 a year,
    about 1,085 dwellings), the trend levers give the 2005-2018 pace of 459 ha over 13 years."""
    t = gc.territory
    m = model_of(gc)
    factor = 1 / (1 - t.value("vacancy_rate") - t.value("second_home_rate"))
    per_year = (t.value("households_2021") - 60639) / 6 * factor
    need = (78783 + per_year * np.arange(30.0))[None, :]
    inputs = {"Population": np.full((1, 30), 139738.0), "Housing|Dwellings Needed": need,
              TEMPERATURE: np.full((1, 30), 1.5)}
    lv = {k: np.array([gc.levers[k].trend]) for k in LandUse.levers}
    out = m.run(lv, inputs)
    observed = t.value("naf_consumption_2005_2018") / 13
    assert out["Land Use|NAF Consumption"][0].mean() == pytest.approx(observed, rel=0.03)
    assert out["Land Use|NAF Consumption|Housing"][0].mean() == pytest.approx(
        t.value("naf_consumption_housing_2005_2018") / 13, rel=0.03)


def test_trend_scenario_is_slower_than_observed_only_because_fewer_dwellings_are_needed(gc):
    res = gc.run_batch({})
    years = slice(0, 10)  # 2021-2030
    take = res.data["Land Use|NAF Consumption"][0, years].mean()
    observed = gc.territory.value("naf_consumption_2005_2018") / 13
    assert 0.5 * observed < take < observed
    housing = res.data["Land Use|NAF Consumption|Housing"][0, years].mean()
    dwellings = res.data["Housing|Dwellings Added"][0, years].mean()
    # same land per dwelling as the calibration: 0.5 / 20 ha per dwelling added
    assert housing / dwellings == pytest.approx(0.5 / 20, rel=1e-9)


@pytest.mark.parametrize("lever, low, high, variable, year, sign", [
    ("housing_density", 15, 40, "Land Use|NAF Consumption", 2030, -1),
    ("housing_density", 15, 40, "Land Use|Cumulative NAF Consumption", 2031, -1),
    ("infill_share", 30, 80, "Land Use|NAF Consumption", 2030, -1),
    ("vacancy_recovery", 0, 150, "Land Use|NAF Consumption", 2030, -1),
    ("activity_land", 4, 12, "Land Use|NAF Consumption", 2030, +1),
    ("activity_land", 4, 12, "Land Cover|Cropland", 2050, -1),
    ("renaturation", 0, 10, "Land Use|Net Artificialisation", 2040, -1),
    ("renaturation", 0, 10, "Land Cover|Built-up Area", 2050, -1),
    ("renaturation", 0, 10, "Land Use|CO2 Flux", 2040, -1),
    ("meat_reduction", 0, 50, "Food|Farmland Needed", 2030, -1),
    ("meat_reduction", 0, 50, "Food|Self-Sufficiency Potential", 2030, +1),
    ("local_food_share", 5, 15, "Food|Local Share", 2030, +1),
    ("network_efficiency", 70, 90, "Water|Withdrawal", 2030, -1),
    ("water_sobriety", 0, 20, "Water|Consumption", 2030, -1),
    ("water_sobriety", 0, 20, "Water|Pressure Index", 2050, -1),
    ("net_migration", 0, 2000, "Land Use|NAF Consumption", 2030, +1),
    ("net_migration", 0, 2000, "Water|Withdrawal", 2040, +1),
])
def test_each_lever_moves_the_outputs_the_expected_way(gc, lever, low, high, variable, year,
                                                      sign):
    assert np.sign(lever_effect(gc, lever, low, high, variable, year)) == sign


def test_renaturation_counts_against_net_artificialisation_only_from_2031(gc):
    res = run(gc, renaturation=[0, 10])
    years = res.years
    net = res.data["Land Use|Net Artificialisation"]
    renat = res.data["Land Use|Renaturation"][1]
    before = years < 2031
    np.testing.assert_allclose(net[1, before], res.data["Land Use|NAF Consumption"][1, before])
    np.testing.assert_allclose(net[1, ~before],
                               res.data["Land Use|NAF Consumption"][1, ~before] - renat[~before])
    assert renat[years == 2030][0] == pytest.approx(10)


def test_zan_check_counts_the_ten_years_2021_2030_against_half_the_reference(gc):
    res = gc.run_batch({})
    flows = res.data["Land Use|NAF Consumption"][0]
    cum = res.value("Land Use|Cumulative NAF Consumption", 2031)
    assert cum == pytest.approx(flows[:10].sum())
    reference = gc.territory.value("naf_reference_2011_2021")
    assert res.value("Land Use|ZAN Ratio", 2031) == pytest.approx(100 * cum / reference)
    target = next(t for t in wb.codelist.load_targets() if t.id == "zan_2031")
    assert target.variable == "Land Use|Cumulative NAF Consumption"
    assert target.value == pytest.approx(reference / 2, abs=0.5)


def test_vacant_dwellings_recovered_stay_within_the_recoverable_stock(gc):
    res = run(gc, vacancy_recovery=[300])
    t = gc.territory
    recovered = res.data["Housing|Dwellings Added|Vacant Recovered"][0]
    pool = (t.value("vacancy_rate") - t.value("frictional_vacancy_rate")) * res.value(
        "Housing|Dwellings Needed", 2021)
    assert recovered.sum() == pytest.approx(pool)
    assert (recovered <= res.data["Housing|Dwellings Added"][0] + 1e-9).all()


def test_carbon_stock_changes_by_exactly_the_net_flux(gc):
    res = gc.run_batch(extremes(gc, n=8))
    stock = res.data["Land Use|Carbon Stock"]  # Mt CO2e on 1 January
    flux = res.data["Land Use|CO2 Flux"]  # kt CO2e over the year
    np.testing.assert_allclose(np.diff(stock, axis=1), -flux[:, :-1] / 1000, rtol=0,
                               atol=1e-9)
    assert (res.data["Land Use|CO2 Flux|Forest Sink"] < 0).all()
    assert (res.data["Land Use|CO2 Flux|Artificialisation"] >= 0).all()


def test_local_food_share_never_exceeds_what_local_farmland_can_feed(gc):
    res = run(gc, local_food_share=[50], net_migration=[3000])
    local, potential = res.data["Food|Local Share"], res.data["Food|Self-Sufficiency Potential"]
    assert (local <= potential + 1e-9).all()
    assert local[0, -1] == pytest.approx(potential[0, -1])


def test_water_pressure_rises_with_warming():
    m = LandUse(wb.load_territory("grand-chambery"), np.arange(2021, 2051))
    lv = {k: np.array([v]) for k, v in
          {"housing_density": 20, "infill_share": 50, "vacancy_recovery": 0,
           "activity_land": 8, "renaturation": 0, "meat_reduction": 0,
           "local_food_share": 6.5, "network_efficiency": 75, "water_sobriety": 0}.items()}
    base = {"Population": np.full((2, 30), 139738.0),
            "Housing|Dwellings Needed": np.tile(78783 + 600 * np.arange(30.0), (2, 1)),
            TEMPERATURE: np.stack([np.full(30, 1.5), 1.5 + 0.05 * np.arange(30.0)])}
    lv2 = {k: np.repeat(v, 2) for k, v in lv.items()}
    out = m.run(lv2, base)
    assert out["Water|Resource Index"][0, -1] == pytest.approx(100)
    assert out["Water|Resource Index"][1, -1] == pytest.approx(100 * (1 - 0.10 * 1.45))
    assert out["Water|Pressure Index"][1, -1] > out["Water|Pressure Index"][0, -1]


def test_accounts_that_do_not_sum_to_the_area_are_refused(tmp_path):
    src = wb.load_territory("synthetic").path
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    cover = pd.read_csv(tmp_path / "land_use_cover_2021.csv")
    cover.loc[cover["land_class"] == "forest", "area_ha"] += 10
    cover.to_csv(tmp_path / "land_use_cover_2021.csv", index=False)
    with pytest.raises(DataError, match="sum to 1210.0 ha, not the territory's 1200.0 ha"):
        LandUse(wb.load_territory(str(tmp_path)), np.arange(2021, 2051))
    assert set(CLASSES) == set(cover["land_class"])


def test_the_water_resource_follows_the_climate_models_warming(gc):
    lv = gc.levers["warming_2050_france"]
    res = run(gc, warming_2050_france=[lv.min, lv.max])
    warming = res.data[TEMPERATURE][:, -1] - res.data[TEMPERATURE][:, 0]
    resource = res.data["Water|Resource Index"][:, -1]
    np.testing.assert_allclose(resource, 100 * (1 - 0.10 * warming))
    assert resource[1] < resource[0]
    assert res.value("Water|Pressure Index", 2050, 1) > res.value("Water|Pressure Index", 2050, 0)
