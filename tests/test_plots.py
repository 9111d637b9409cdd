"""Bokeh figure builders (workbench/plots.py): the data the figures hold and their French
labels, without a browser."""

import re

import numpy as np
import pandas as pd
import pytest
from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, CustomJSHover, HoverTool, Span, Tool
from bokeh.plotting import figure

from workbench import plots
from workbench.format import format_number
from workbench.models.demography import Demography, population_trend

ENGLISH = ("Year", "Population by", "Men", "Women", "Scenario", "Value", "Census", "Trend",
           "persons", "Pan", "Zoom", "Reset", "Save", "Hover")


def source(fig: figure, name: str) -> ColumnDataSource:
    found = fig.select_one({"name": name})
    assert isinstance(found, ColumnDataSource), name
    return found


def legend_labels(fig: figure) -> list[str]:
    return [item.label.value for lg in fig.legend for item in lg.items]


def visible_texts(fig: figure) -> list[str]:
    """Title, axis labels, legend labels, tooltips and toolbar descriptions."""
    texts = [fig.title.text, *(a.axis_label or "" for a in fig.xaxis + fig.yaxis)]
    texts += legend_labels(fig)
    for tool in fig.select(Tool):
        texts.append(tool.description or "")
        if isinstance(tool, HoverTool):
            texts += [t for pair in tool.tooltips for t in pair]
    return texts


def assert_french(fig: figure) -> None:
    texts = visible_texts(fig)
    for tool in fig.select(Tool):
        assert tool.description, f"{type(tool).__name__} would show Bokeh's English name"
    for word in ENGLISH:
        assert not any(re.search(rf"\b{word}\b", t) for t in texts), (word, texts)
    json_item(fig)  # serialisable, as the apps and notebooks need


@pytest.fixture(scope="module")
def projection(engine):
    model = next(m for m, _ in engine.models if isinstance(m, Demography))
    return model.project({k: np.array([engine.levers[k].trend]) for k in Demography.levers})


def test_line_chart_holds_each_scenario_series(ref_results, refs):
    labels = {n: s.title for n, s in refs.items()}
    fig = plots.line_chart(ref_results, "Population", labels=labels)
    data = source(fig, "series").data
    assert list(data) == ["year", *ref_results.scenarios]
    np.testing.assert_array_equal(data["year"], np.arange(2021, 2051))
    for name in ref_results.scenarios:
        np.testing.assert_allclose(data[name], ref_results.data["Population"][
            ref_results.scenarios.index(name)])
    assert data["tendanciel"][0] == pytest.approx(139738)
    assert fig.xaxis[0].axis_label == "Année"
    assert fig.yaxis[0].axis_label == "personnes"
    assert fig.title.text == "Population"
    assert legend_labels(fig) == list(labels.values())
    colours = [r.glyph.line_color for r in fig.renderers]
    assert colours == list(plots.OKABE_ITO[:3])
    spans = [s for s in fig.center if isinstance(s, Span)]
    assert [s.location for s in spans] == [2030]
    assert_french(fig)


def test_line_chart_subset_units_and_in_place_update(ref_results):
    fig = plots.line_chart(ref_results, "Demography|Share 75+", ["attractivite"],
                           marker_year=None)
    src = source(fig, "series")
    assert list(src.data) == ["year", "attractivite"]
    assert fig.yaxis[0].axis_label == "%"
    assert fig.title.text == "Part des 75 ans ou plus"
    assert not [s for s in fig.center if isinstance(s, Span)]
    # an app replaces the whole dict once; the glyphs keep reading the same source
    src.data = plots.line_data(ref_results, "Demography|Share 85+", ["attractivite"])
    assert fig.renderers[0].data_source is src
    assert src.data["attractivite"][-1] == pytest.approx(
        ref_results.value("Demography|Share 85+", 2050, "attractivite"))


def test_age_pyramid_men_left_women_right(projection):
    pop = projection.population[0, 29]  # 1 January 2050
    fig = plots.age_pyramid(pop, "Pyramide des âges 2050")
    data = source(fig, "pyramid").data
    assert (data["male"] <= 0).all() and (data["female"] >= 0).all()
    assert -data["male"].sum() == pytest.approx(pop[0].sum())
    assert data["female"].sum() == pytest.approx(pop[1].sum())
    np.testing.assert_array_equal(data["age"], np.arange(106))
    assert data["age_label"][-1] == "105 ans ou plus"
    assert fig.yaxis[0].axis_label == "Âge"
    assert set(legend_labels(fig)) == {"Hommes", "Femmes"}
    assert fig.x_range.start == pytest.approx(-fig.x_range.end)
    assert fig.x_range.end >= pop.max()
    assert_french(fig)


def test_age_pyramid_overlays_earlier_years_as_outlines(projection):
    pops = {str(y): projection.population[0, y - 2021] for y in (2021, 2030, 2050)}
    fig = plots.age_pyramid(pops, "Tendanciel")
    bars = source(fig, "pyramid").data
    assert -bars["male"].sum() == pytest.approx(pops["2050"][0].sum())
    for year in ("2021", "2030"):
        out = source(fig, f"outline-{year}").data
        assert len(out["y"]) == 2 * 106
        # each age drawn as a vertical step from a - 0.5 to a + 0.5 at the age's population
        assert out["y"][0] == -0.5 and out["y"][-1] == 105.5
        assert -out["male"].sum() / 2 == pytest.approx(pops[year][0].sum())
        assert out["female"].sum() / 2 == pytest.approx(pops[year][1].sum())
    assert legend_labels(fig) == ["Hommes 2050", "Femmes 2050", "2021", "2030"]
    assert 139738 == pytest.approx(pops["2021"].sum())
    assert_french(fig)


def test_age_pyramid_rejects_a_wrong_shape():
    with pytest.raises(ValueError):
        plots.age_pyramid(np.ones(106), "x")


def test_trend_band_holds_census_trend_and_scenario(engine, ref_results):
    trend = population_trend(engine.territory)
    census = engine.territory.table("census_population")
    fig = plots.trend_band(trend, ref_results, "tendanciel", census=census,
                           label="Tendanciel")
    obs = source(fig, "census").data
    np.testing.assert_array_equal(obs["year"], census["year"])
    np.testing.assert_allclose(obs["value"], census["population"])
    band = source(fig, "trend").data
    # the band starts at the last census (2021) and then follows the ARIMA forecast
    assert band["year"][0] == 2021 and band["mean"][0] == 139738
    assert band["lower"][0] == band["upper"][0] == 139738
    np.testing.assert_array_equal(band["year"][1:], trend.index)
    np.testing.assert_allclose(band["lower"][1:], trend["lower"])
    np.testing.assert_allclose(band["upper"][1:], trend["upper"])
    assert (band["lower"] <= band["mean"]).all() and (band["mean"] <= band["upper"]).all()
    scen = source(fig, "scenario").data
    np.testing.assert_allclose(scen["value"], ref_results.series("Population", "tendanciel"))
    assert legend_labels(fig) == ["Intervalle à 90 % de la tendance",
                                  "Tendance statistique (ARIMA)", "Tendanciel", "Recensements"]
    assert fig.xaxis[0].axis_label == "Année"
    assert_french(fig)


def test_trend_band_defaults_to_the_default_territorys_census(engine, ref_results):
    trend = population_trend(engine.territory)
    fig = plots.trend_band(trend, ref_results, "tendanciel", level=0.8)
    assert source(fig, "census").data["year"][-1] == 2021
    assert "Intervalle à 80 % de la tendance" in visible_texts(fig)


def test_hover_numbers_are_formatted_in_french(ref_results):
    fig = plots.line_chart(ref_results, "Population")
    codes = [f.code for h in fig.select(HoverTool) for f in h.formatters.values()
             if isinstance(f, CustomJSHover)]
    assert codes and all("fr-FR" in c for c in codes)
    assert "toLocaleString('fr-FR'" in fig.yaxis[0].formatter.code


def test_decimals_follow_the_unit():
    assert plots.digits("persons") == 0 and plots.digits("places") == 0
    assert plots.digits("%") == 1 and plots.digits("years") == 1
    assert plots.digits("persons/household") == 2


def test_key_figures_table(ref_results, refs):
    one = plots.key_figures(ref_results, ["Population", "Demography|Share 75+"],
                            [2030, 2050], ["tendanciel"])
    assert list(one.columns) == [2030, 2050]
    assert list(one.index) == ["Population (personnes)", "Part des 75 ans ou plus (%)"]
    pop2030 = ref_results.value("Population", 2030, "tendanciel")
    assert one.loc["Population (personnes)", 2030] == format_number(pop2030, 0)
    assert one.loc["Part des 75 ans ou plus (%)", 2050] == format_number(
        ref_results.value("Demography|Share 75+", 2050, "tendanciel"), 1)
    labels = {n: s.title for n, s in refs.items()}
    many = plots.key_figures(ref_results, ["Population"], [2050], labels=labels,
                             as_text=False)
    assert isinstance(many.columns, pd.MultiIndex)
    assert many.loc["Population (personnes)", (2050, "Attractivité et croissance")] == round(
        ref_results.value("Population", 2050, "attractivite"))
