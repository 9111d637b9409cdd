"""The carbon budget: cumulative emissions against the territory's share of the SNBC path."""

import numpy as np
import pytest

import workbench as wb
from workbench.models.carbon_budget import CarbonBudget


def test_budget_is_the_2021_population_share_of_the_national_path(engine):
    res = engine.run_batch({})
    share = res.series("Carbon Budget|Yearly Share", 0)
    france = engine.territory.table("population_france_2021")["population"].sum()
    expected_2021 = 418_000 * 139_738 / france  # kt: 418 Mt in 2021 (Citepa)
    assert share.loc[2021] == pytest.approx(expected_2021, rel=1e-6)
    assert share.loc[2050] == pytest.approx(80_000 * 139_738 / france, rel=1e-6)
    assert (np.diff(share.to_numpy()) < 0).all()


def test_cumulative_values_add_up_and_used_is_their_ratio(engine, ref_results):
    for s in ref_results.scenarios:
        ghg = ref_results.series("Emissions|Kyoto Gases", s).to_numpy()
        cum = ref_results.series("Carbon Budget|Cumulative Emissions", s).to_numpy()
        np.testing.assert_allclose(cum, np.cumsum(ghg))
        used = ref_results.series("Carbon Budget|Used", s).to_numpy()
        share = ref_results.series("Carbon Budget|Cumulative Share", s).to_numpy()
        np.testing.assert_allclose(used, 100 * cum / share)


def test_growth_does_not_buy_a_larger_budget(engine):
    res = engine.run_batch({"net_migration": np.array([0.0, 3000.0])})
    np.testing.assert_allclose(res.data["Carbon Budget|Yearly Share"][0],
                               res.data["Carbon Budget|Yearly Share"][1])


def test_more_ambition_uses_less_of_the_budget(engine):
    res = engine.run_batch({"building_renovation_rate": np.array([650.0, 3000.0]),
                            "car_modal_share_2030": np.array([55.0, 40.0])})
    assert res.value("Carbon Budget|Used", 2050, 1) < res.value("Carbon Budget|Used", 2050, 0)


def test_net_emissions_deduct_the_land_flux(ref_results):
    for s in ref_results.scenarios:
        net = ref_results.series("Net Emissions|Kyoto Gases and Land", s)
        gross = ref_results.series("Emissions|Kyoto Gases", s)
        flux = ref_results.series("Land Use|CO2 Flux", s)
        np.testing.assert_allclose(net, gross + flux)
        assert (net < gross).all()  # the forests are a net sink in every year


def test_trend_exceeds_its_share_by_2050_and_the_scorecard_says_so(engine, ref_results):
    from workbench.scorecard import evaluate

    assert ref_results.value("Carbon Budget|Used", 2050, "tendanciel") > 100
    verdicts = {v.target.id: v for v in evaluate(ref_results, "tendanciel")}
    assert verdicts["carbon_budget_2050"].status == "red"
    assert "budget" in verdicts["carbon_budget_2050"].explain_fr


def test_the_model_reads_no_lever_and_declares_its_needs():
    assert CarbonBudget.levers == ()
    assert set(CarbonBudget.needs) == {"Emissions|Kyoto Gases", "Land Use|CO2 Flux",
                                       "Population"}
    assert [c.name for c in wb.models.MODELS].count("carbon_budget") == 1
