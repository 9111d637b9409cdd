"""The codelist and the engine's outputs hold together; the IAMC tool validates them."""

import logging

import pytest

from workbench.codelist import load_codelist, load_targets
from workbench.models import MODELS
from workbench.paths import indicators_dir


def test_no_output_without_definition_and_no_definition_without_producer(engine):
    codelist = load_codelist()
    produced = set(engine.variables)
    assert produced == set(engine.run_batch({}).data)
    assert produced == set(codelist)
    assert {d.model for d in codelist.values()} == {m.name for m in MODELS}


def test_every_variable_is_described_in_french_and_english():
    for v in load_codelist().values():
        assert v.description and v.description_fr and v.label_fr and v.unit


def test_targets_are_sourced_and_point_to_known_variables_when_their_model_exists():
    codelist = load_codelist()
    models = {m.name for m in MODELS}
    targets = load_targets()
    assert {t.id for t in targets} >= {"pcaet_ghg_2030", "tepos_consumption_2050", "zan_2031"}
    for t in targets:
        assert t.source["url"].startswith("http") and t.source["publisher"] and t.label_fr
        assert t.kind in ("max_change", "min", "max")
        if t.model in models:
            assert t.variable in codelist, t.id


def test_outputs_validate_against_the_codelist_with_nomenclature(ref_results):
    nomenclature = pytest.importorskip("nomenclature")
    logging.getLogger("nomenclature").setLevel(logging.ERROR)
    dsd = nomenclature.DataStructureDefinition(indicators_dir(),
                                               dimensions=["region", "variable"])
    assert dsd.validate(ref_results.to_pyam()) is None  # raises on any unknown name or unit


def test_nomenclature_rejects_an_unknown_variable(ref_results):
    nomenclature = pytest.importorskip("nomenclature")
    dsd = nomenclature.DataStructureDefinition(indicators_dir(),
                                               dimensions=["region", "variable"])
    from nomenclature.exceptions import NomenclatureValidationError

    df = ref_results.to_pyam().rename(variable={"Households": "Menages"})
    with pytest.raises(NomenclatureValidationError) as err:
        dsd.validate(df)
    assert "Menages" in str(err.value.exceptions[0])


def test_every_target_agrees_with_the_better_direction_of_its_variable():
    """The codelist's ``better`` is what the cards' « mieux » / « moins bien » say: a
    ceiling target (max, max_change) means lower is better, a floor (min) higher."""
    from workbench.codelist import load_codelist, load_targets

    codelist = load_codelist()
    for t in load_targets():
        want = "higher" if t.kind == "min" else "lower"
        assert codelist[t.variable].better == want, (t.id, t.variable)
    assert {v.better for v in codelist.values()} <= {None, "lower", "higher"}
    emissions = codelist["Emissions|Kyoto Gases"]
    assert emissions.judge(600, 540) == "mieux" and emissions.judge(600, 660) == "moins bien"
    assert emissions.judge(600, 601) is None  # under 0.5 %: not judged
    assert codelist["Population"].judge(140_000, 150_000) is None  # neither is better
