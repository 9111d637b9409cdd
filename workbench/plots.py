"""Bokeh figure builders shared by the notebooks and the workshop apps, labelled in French
from the codelist.

Every builder returns a ``bokeh.plotting.figure`` whose glyphs read named
``ColumnDataSource`` objects, so an app can update a figure in place with one dict
assignment (``fig.select_one({"name": "series"}).data = line_data(...)``). The ``*_data``
functions build those dicts. No builder loads anything over the network; numbers are shown
the French way (``140 000``, ``28,9``; ``workbench.format``).

bokeh is imported here only, not by ``import workbench``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from bokeh.models import (
    BoxZoomTool,
    ColumnDataSource,
    CustomJSHover,
    CustomJSTickFormatter,
    HoverTool,
    Label,
    PanTool,
    ResetTool,
    SaveTool,
    Span,
)
from bokeh.plotting import figure

from .codelist import Variable, load_codelist
from .format import format_number, unit_fr
from .results import Results

if TYPE_CHECKING:  # pandas is imported where it is used: an atelier kernel never loads it
    import pandas as pd

# Okabe & Ito (2008), colour-blind safe; yellow last (hard to see on white).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442")
MEN, WOMEN = "#56B4E9", "#E69F00"  # Okabe–Ito sky blue and orange
OUTLINES = (("#000000", "solid"), ("#555555", "dashed"), ("#555555", "dotted"))
MARKER_YEAR = 2030
COUNT_UNITS = {"persons", "persons/yr", "households", "dwellings", "places", "hours/yr"}


def digits(unit: str) -> int:
    """Decimals worth showing for a unit: none for counts, two per household, else one."""
    return 0 if unit in COUNT_UNITS else 2 if unit == "persons/household" else 1


def chart_tools() -> list:
    """Pan, box zoom, reset and save, with French descriptions (the toolbar's tooltips)."""
    return [PanTool(description="Déplacer"), BoxZoomTool(description="Zoomer sur une zone"),
            ResetTool(description="Revenir à la vue de départ"),
            SaveTool(description="Enregistrer l'image")]


def _figure(title: str, x_label: str, y_label: str, width: int, height: int, **kw) -> figure:
    fig = figure(title=title, x_axis_label=x_label, y_axis_label=y_label, width=width,
                 height=height, tools=chart_tools(), toolbar_location="right", **kw)
    fig.toolbar.logo = None
    fig.title.text_font_size = "14px"
    return fig


def hover_number(ndigits: int, absolute: bool = False) -> CustomJSHover:
    value = "Math.abs(value)" if absolute else "value"
    return CustomJSHover(code=(
        f"return {value}.toLocaleString('fr-FR', "
        f"{{minimumFractionDigits: {ndigits}, maximumFractionDigits: {ndigits}}})"))


def number_axis(fig: figure, ndigits: int) -> None:
    # Bokeh's numbro bundle has no French locale (NumeralTickFormatter(language="fr") still
    # writes "2,200"): the browser's own French formatting does it ("2 200", "8,5").
    fig.yaxis.formatter = CustomJSTickFormatter(code=(
        f"return tick.toLocaleString('fr-FR', {{maximumFractionDigits: {ndigits}}})"))


def _marker(fig: figure, year: int | None) -> None:
    if year is None:
        return
    fig.add_layout(Span(location=year, dimension="height", line_color="#777777",
                        line_dash="dashed", line_width=1, name="marker"))
    fig.add_layout(Label(x=year, y=4, x_units="data", y_units="screen", x_offset=3,
                         text=str(year), text_font_size="11px", text_color="#555555"))


def _variable(variable: str, codelist: Mapping[str, Variable] | None) -> Variable:
    return (codelist if codelist is not None else load_codelist())[variable]


# -- line chart -----------------------------------------------------------------------------


def line_data(results: Results, variable: str,
              scenarios: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Columns of the line chart: ``year`` plus one column per scenario name."""
    names = list(scenarios) if scenarios is not None else list(results.scenarios)
    data = {"year": np.asarray(results.years)}
    for name in names:
        data[name] = results.series(variable, name).to_numpy()
    return data


def line_chart(results: Results, variable: str, scenarios: Sequence[str] | None = None, *,
               labels: Mapping[str, str] | None = None, title: str | None = None,
               codelist: Mapping[str, Variable] | None = None, marker_year: int | None =
               MARKER_YEAR, width: int = 680, height: int = 340) -> figure:
    """A variable over the years, one line per scenario (source named ``series``)."""
    var = _variable(variable, codelist)
    names = list(scenarios) if scenarios is not None else list(results.scenarios)
    labels = labels or {}
    nd = digits(var.unit)
    source = ColumnDataSource(line_data(results, variable, names), name="series")
    fig = _figure(title or var.label_fr, "Année", unit_fr(var.unit), width, height)
    for i, name in enumerate(names):
        label = labels.get(name, name)
        line = fig.line("year", name, source=source, line_width=2.5, name=name,
                        color=OKABE_ITO[i % len(OKABE_ITO)], legend_label=label)
        fig.add_tools(HoverTool(
            renderers=[line], description="Afficher les valeurs",
            tooltips=[("Scénario", label), ("Année", "@year"),
                      (var.label_fr, f"@{{{name}}}{{custom}}")],
            formatters={f"@{{{name}}}": hover_number(nd)}))
    number_axis(fig, nd)
    _marker(fig, marker_year)
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    fig.legend.background_fill_alpha = 0.7
    return fig


# -- age pyramid ----------------------------------------------------------------------------


def _age_labels(n_ages: int) -> list[str]:
    return [f"{a} ans" for a in range(n_ages - 1)] + [f"{n_ages - 1} ans ou plus"]


def pyramid_data(population: np.ndarray) -> dict[str, np.ndarray | list]:
    """Bar columns from a (2 sexes [M, F], ages) array: ``age``, ``male`` (negative),
    ``female`` and ``age_label``."""
    pop = np.asarray(population, dtype=float)
    if pop.ndim != 2 or pop.shape[0] != 2:
        raise ValueError(f"expected an array of shape (2, ages), got {pop.shape}")
    n = pop.shape[1]
    return {"age": np.arange(n), "male": -pop[0], "female": pop[1],
            "age_label": _age_labels(n)}


def outline_data(population: np.ndarray) -> dict[str, np.ndarray]:
    """Step-outline columns from a (2, ages) array: ``y`` (age edges), ``male`` (negative)
    and ``female``, two points per age."""
    pop = np.asarray(population, dtype=float)
    n = pop.shape[1]
    ages = np.arange(n)
    y = np.column_stack([ages - 0.5, ages + 0.5]).ravel()
    return {"y": y, "male": -np.repeat(pop[0], 2), "female": np.repeat(pop[1], 2)}


def age_pyramid(population_by_sex_age: np.ndarray | Mapping[str, np.ndarray], title: str,
                *, width: int = 560, height: int = 480) -> figure:
    """An age pyramid, men left and women right, of one (2, ages) array or of a mapping
    label → array: the last item is drawn as bars (source ``pyramid``), the earlier ones as
    outlines (sources ``outline-<label>``)."""
    layers = (dict(population_by_sex_age) if isinstance(population_by_sex_age, Mapping)
              else {"": population_by_sex_age})
    if not layers:
        raise ValueError("no population to draw")
    *outline_labels, bar_label = layers
    fig = _figure(title, "Personnes par âge (hommes à gauche, femmes à droite)", "Âge",
                  width, height)
    bars = ColumnDataSource(pyramid_data(layers[bar_label]), name="pyramid")
    suffix = f" {bar_label}" if bar_label else ""
    men = fig.hbar(y="age", left="male", right=0, height=1, source=bars, fill_color=MEN,
                   line_color=None, legend_label=f"Hommes{suffix}")
    women = fig.hbar(y="age", left=0, right="female", height=1, source=bars,
                     fill_color=WOMEN, line_color=None, legend_label=f"Femmes{suffix}")
    fig.add_tools(HoverTool(
        renderers=[men, women], description="Afficher les valeurs",
        tooltips=[("Âge", "@age_label"), ("Hommes", "@male{custom}"),
                  ("Femmes", "@female{custom}")],
        formatters={"@male": hover_number(0, absolute=True), "@female": hover_number(0)}))
    peak = max(float(np.max(np.abs(np.asarray(p, dtype=float)))) for p in layers.values())
    for i, label in enumerate(outline_labels):
        color, dash = OUTLINES[i % len(OUTLINES)]
        src = ColumnDataSource(outline_data(layers[label]), name=f"outline-{label}")
        fig.line("male", "y", source=src, color=color, line_dash=dash, line_width=1.5,
                 legend_label=label)
        fig.line("female", "y", source=src, color=color, line_dash=dash, line_width=1.5)
    fig.x_range.start, fig.x_range.end = -1.08 * peak, 1.08 * peak
    fig.y_range.start, fig.y_range.end = -0.5, len(bars.data["age"]) - 0.5
    fig.xaxis.formatter = CustomJSTickFormatter(
        code="return Math.abs(tick).toLocaleString('fr-FR')")
    fig.add_layout(Span(location=0, dimension="height", line_color="#333333", line_width=1))
    fig.legend.location = "top_right"
    fig.legend.background_fill_alpha = 0.7
    fig.ygrid.grid_line_color = None
    return fig


# -- statistical trend vs scenario ------------------------------------------------------------


def _census_series(census: pd.Series | pd.DataFrame | None) -> pd.Series:
    import pandas as pd

    if census is None:
        from .territory import load_territory

        census = load_territory().table("census_population")
    if isinstance(census, pd.DataFrame):
        census = census.set_index("year")["population"]
    return census.astype(float).sort_index()


def trend_data(trend_df: pd.DataFrame,
               census: pd.Series | pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Band columns ``year``, ``mean``, ``lower``, ``upper`` from ``population_trend``, led by
    the last census point so the band starts where the observations stop."""
    c = _census_series(census)
    last_year, last = int(c.index[-1]), float(c.iloc[-1])
    t = trend_df[trend_df.index > last_year]
    return {"year": np.concatenate([[last_year], t.index.to_numpy(int)]),
            **{k: np.concatenate([[last], t[k].to_numpy(float)])
               for k in ("mean", "lower", "upper")}}


def trend_band(trend_df: pd.DataFrame, results: Results, scenario: str, *,
               census: pd.Series | pd.DataFrame | None = None, label: str | None = None,
               variable: str = "Population", level: float = 0.9,
               codelist: Mapping[str, Variable] | None = None,
               marker_year: int | None = MARKER_YEAR, width: int = 680,
               height: int = 360) -> figure:
    """Census points (source ``census``), the statistical trend and its ``level`` band
    (``trend``) and one scenario's line (``scenario``). ``census`` defaults to the default
    territory's ``census_population`` table."""
    var = _variable(variable, codelist)
    c = _census_series(census)
    label = label or scenario
    fig = _figure(f"{var.label_fr} : tendance statistique et scénario", "Année",
                  unit_fr(var.unit), width, height)
    band = ColumnDataSource(trend_data(trend_df, c), name="trend")
    obs = ColumnDataSource({"year": c.index.to_numpy(int), "value": c.to_numpy(float)},
                           name="census")
    scen = ColumnDataSource({"year": np.asarray(results.years),
                             "value": results.series(variable, scenario).to_numpy()},
                            name="scenario")
    pct = format_number(100 * level, 0)
    fig.varea("year", "lower", "upper", source=band, fill_color=OKABE_ITO[5], fill_alpha=0.3,
              legend_label=f"Intervalle à {pct} % de la tendance")
    fig.line("year", "mean", source=band, color=OKABE_ITO[0], line_dash="dashed",
             line_width=2, legend_label="Tendance statistique (ARIMA)")
    line = fig.line("year", "value", source=scen, color=OKABE_ITO[1], line_width=2.5,
                    legend_label=label)
    dots = fig.scatter("year", "value", source=obs, size=7, color="#000000",
                       legend_label="Recensements")
    nd = digits(var.unit)
    for renderer, name in ((line, label), (dots, "Recensement")):
        fig.add_tools(HoverTool(
            renderers=[renderer], description="Afficher les valeurs",
            tooltips=[("", name), ("Année", "@year"), (var.label_fr, "@value{custom}")],
            formatters={"@value": hover_number(nd)}))
    number_axis(fig, nd)
    _marker(fig, marker_year)
    fig.legend.location = "top_left"
    fig.legend.background_fill_alpha = 0.7
    return fig


# -- tables -----------------------------------------------------------------------------------


def key_figures(results: Results, variables: Sequence[str], years: Sequence[int],
                scenarios: Sequence[str] | None = None, *,
                labels: Mapping[str, str] | None = None,
                codelist: Mapping[str, Variable] | None = None,
                as_text: bool = True) -> pd.DataFrame:
    """A table (not a figure): one row per variable, labelled « label (unit) » in French,
    one column per year (per year and scenario if several); French-formatted text unless
    ``as_text`` is False."""
    import pandas as pd

    cl = codelist if codelist is not None else load_codelist()
    names = list(scenarios) if scenarios is not None else list(results.scenarios)
    labels = labels or {}
    rows, index = [], []
    for v in variables:
        var = cl[v]
        nd = digits(var.unit)
        values = [round(results.value(v, y, s), nd) for y in years for s in names]
        rows.append([format_number(x, nd) for x in values] if as_text else values)
        index.append(f"{var.label_fr} ({unit_fr(var.unit)})")
    if len(names) == 1:
        columns: pd.Index = pd.Index([int(y) for y in years], name="Année")
    else:
        columns = pd.MultiIndex.from_product(
            [[int(y) for y in years], [labels.get(s, s) for s in names]],
            names=["Année", "Scénario"])
    return pd.DataFrame(rows, index=pd.Index(index, name="Indicateur"), columns=columns)


def jitter(sub_id: int, width: float) -> float:
    """A stable offset in [−width/2, width/2] from the submission id (golden ratio)."""
    return ((sub_id * 0.6180339887) % 1.0 - 0.5) * width
