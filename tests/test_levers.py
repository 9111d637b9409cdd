"""The lever registry: one definition per lever, a trend value with a source, French labels."""

import math

import pytest

import workbench as wb
from workbench.models import MODELS


def test_every_lever_is_complete_and_its_trend_is_sourced(engine):
    sources = set(engine.territory.sources()["source_id"])
    assert len(engine.levers) >= 6
    for lv in engine.levers.values():
        assert lv.label_fr and lv.label_en and lv.help_fr and lv.help_en and lv.unit_fr
        assert lv.kind in ("action", "context")
        assert lv.min <= lv.trend <= lv.max
        assert lv.check(lv.trend) == lv.trend  # the trend sits on the step grid
        assert lv.source_id in sources, lv.id


def test_levers_are_grouped_by_theme_and_kinds_are_both_present(engine):
    themes = [lv.theme for lv in engine.levers.values()]
    assert themes == sorted(themes, key=list(engine.levers.themes).index)
    assert engine.levers.of_kind("action") and engine.levers.of_kind("context")


def test_every_lever_is_read_by_a_model_and_every_read_lever_exists(engine):
    read = {lv for m in MODELS for lv in m.levers}
    assert read == set(engine.levers)


def test_codes_are_unique(engine):
    codes = [lv.code for lv in engine.levers.values()]
    assert len(codes) == len(set(codes))


def test_territory_can_change_range_and_step():
    synth = wb.load_levers("synthetic")["net_migration"]
    assert (synth.min, synth.max, synth.step) == (-50, 100, 5)


@pytest.mark.parametrize("bad", [float("nan"), math.inf, "beaucoup", None, True, [1]])
def test_check_refuses_what_is_not_a_finite_number(engine, bad):
    with pytest.raises(wb.ScenarioError) as err:
        engine.levers["fertility"].check(bad)
    assert "fertility" in str(err.value) and "not" in str(err.value)
    assert "Fécondité" in err.value.message_fr


def test_check_names_lever_and_range_when_out_of_range(engine):
    with pytest.raises(wb.ScenarioError) as err:
        engine.levers["net_migration"].check(99999, "a.yaml")
    msg = str(err.value)
    assert msg.startswith("a.yaml:") and "net_migration" in msg and "[-1000, 3000]" in msg
    assert "entre \u22121000 et 3000" in err.value.message_fr


def test_check_refuses_values_off_the_step_grid(engine):
    with pytest.raises(wb.ScenarioError, match="step"):
        engine.levers["fertility"].check(1.83)
