"""The engine orders models from their declarations and runs N scenarios as arrays."""

import numpy as np
import pytest

import workbench as wb
from workbench.codelist import Variable
from workbench.engine import Model, order_models


def var(name, model):
    return Variable(name, "1", name, name, name, model)


def toy(name, needs=(), levers=()):
    class Toy(Model):
        def run(self, lv, inputs):
            n = next(iter(lv.values())).shape[0] if lv else 1
            base = sum(inputs.values()) if inputs else np.zeros((n, len(self.years)))
            return {v: base + 1 for v in self.writes}

    Toy.name, Toy.needs, Toy.levers = name, tuple(needs), tuple(levers)
    return Toy


def test_models_are_ordered_by_what_they_need():
    a, b, c = toy("a", needs=["B"]), toy("b", needs=["C"]), toy("c")
    codes = {"A": var("A", "a"), "B": var("B", "b"), "C": var("C", "c")}
    order = [cls.name for cls, _ in order_models([a, b, c], codes)]
    assert order == ["c", "b", "a"]


def test_a_cycle_is_a_clear_error_at_load_time():
    codes = {"A": var("A", "a"), "B": var("B", "b"), "C": var("C", "c")}
    models = [toy("a", needs=["C"]), toy("b", needs=["A"]), toy("c", needs=["B"])]
    with pytest.raises(wb.ModelGraphError, match=r"cycle: a -> c -> b -> a"):
        order_models(models, codes)


def test_a_missing_producer_is_a_clear_error():
    with pytest.raises(wb.ModelGraphError, match=r"'a' needs \['Z'\], which no model writes"):
        order_models([toy("a", needs=["Z"])], {"A": var("A", "a")})


def test_a_model_without_variables_is_an_error():
    with pytest.raises(wb.ModelGraphError, match="writes no codelist variable"):
        order_models([toy("a")], {})


def test_engine_refuses_models_reading_unknown_levers():
    codes = {"A": var("A", "a")}
    with pytest.raises(wb.ModelGraphError, match="unknown levers"):
        wb.Engine(models=[toy("a", levers=["warp_drive"])], codelist=codes)


def test_a_model_must_return_exactly_its_variables():
    class Liar(Model):
        name, levers = "liar", ("fertility",)

        def run(self, lv, inputs):
            return {"Other": np.zeros((1, 30))}

    eng = wb.Engine(models=[Liar], codelist={"A": var("A", "liar")})
    with pytest.raises(wb.ModelGraphError, match="returned"):
        eng.run(wb.Scenario("x"))


def test_batch_of_n_equals_n_single_runs(engine):
    rng = np.random.default_rng(1)
    n = 40
    values = {k: rng.uniform(lv.min, lv.max, n) for k, lv in engine.levers.items()}
    batch = engine.run_batch(values)
    for i in (0, 17, 39):
        one = engine.run_batch({k: v[i:i + 1] for k, v in values.items()})
        for v in engine.variables:
            np.testing.assert_allclose(batch.data[v][i], one.data[v][0], rtol=1e-12)


def test_chunking_does_not_change_results(engine):
    values = {"net_migration": np.linspace(-1000, 3000, 9)}
    small = wb.Engine(chunk_size=2).run_batch(values)
    big = engine.run_batch(values)
    for v in engine.variables:
        np.testing.assert_array_equal(small.data[v], big.data[v])


def test_batch_values_are_checked(engine):
    with pytest.raises(wb.ScenarioError, match="net_migration"):
        engine.run_batch({"net_migration": np.array([0.0, 1e9])})
    with pytest.raises(wb.ScenarioError, match="unknown levers"):
        engine.run_batch({"warp": np.array([1.0])})
    with pytest.raises(wb.ScenarioError, match="fertility"):
        engine.run_batch({"fertility": np.array([np.nan])})


def test_scenario_names_must_be_unique(engine):
    with pytest.raises(wb.ScenarioError, match="unique"):
        engine.run([wb.Scenario("x"), wb.Scenario("x")])


def test_results_are_iamc_long_format(ref_results, engine):
    long = ref_results.to_long()
    assert list(long.columns) == ["model", "scenario", "region", "variable", "unit", "year",
                                  "value"]
    assert len(long) == 3 * len(engine.variables) * 30
    assert set(long["region"]) == {"Grand Chambéry"}
    row = long[(long.scenario == "tendanciel") & (long.variable == "Population")
               & (long.year == 2021)]
    assert row["value"].item() == pytest.approx(139738)
    assert row["unit"].item() == "persons"


def test_to_pyam_gives_the_same_data(ref_results):
    df = ref_results.to_pyam()
    assert type(df).__name__ == "IamDataFrame"
    assert sorted(df.scenario) == sorted(ref_results.scenarios)
    v = df.filter(scenario="attractivite", variable="Households", year=2030).data["value"]
    assert v.item() == pytest.approx(ref_results.value("Households", 2030, "attractivite"))


def test_the_engine_runs_on_the_synthetic_territory(synthetic):
    res = synthetic.run(wb.Scenario("x"))
    assert res.region == "Territoire synthétique"
    assert res.value("Population", 2021) == pytest.approx(1000)
    assert 900 < res.value("Population", 2050) < 1400
