"""The first workshop page: the reference scenarios' key figures in 2030 next to 2021.

    >>> from workbench.app import reference_overview
    >>> page = reference_overview()   # an ipywidgets widget; display it in a notebook
    >>> type(page).__name__
    'VBox'

Every string shown comes through :func:`workbench.text.escape`, numbers are written the French way
(``146 856``, ``8,1 %``, narrow no-break spaces), and a failure never reaches the page as a
traceback: the participant reads a short French message while the details go to the server
log (see :class:`ServerLogHandler`)."""

from __future__ import annotations

import logging

import ipywidgets as widgets

from ..format import (
    format_change,
    format_number,
    format_value,
    french_spacing,
    unit_fr,
)
from ..text import escape as esc
from .base import ServerLogHandler, html_widget
from .styles import stylesheet

__all__ = ["KEY_FIGURES", "ServerLogHandler", "failure_widget", "format_change",
           "format_number", "format_value", "french_spacing", "reference_overview", "unit_fr"]

BASE_YEAR, HORIZON = 2021, 2030

# (IAMC variable, decimals shown)
KEY_FIGURES: tuple[tuple[str, int], ...] = (
    ("Population", 0),
    ("Population|Age Group|75+", 0),
    ("Households", 0),
    ("Housing|Dwellings Needed", 0),
    ("Ageing|Nursing Home Places", 0),
    ("Digital Exclusion|Illectronism Share", 1),
)

FAILURE_FR = ("Le calcul n'a pas pu être affiché. Merci de prévenir l'équipe d'animation : "
              "elle peut relancer la page.")

log = logging.getLogger(__name__)




# --- page ----------------------------------------------------------------------------------

CSS = stylesheet("base")


def _paragraphs(text: str, css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    parts = [french_spacing(" ".join(p.split())) for p in str(text).split("\n\n")]
    return "".join(f"<p{cls}>{esc(p)}</p>" for p in parts if p)


def _card(engine, res, name: str, scenario, rows: list[tuple[str, int]]) -> str:
    title = scenario.title or scenario.name
    body = []
    for var, decimals in rows:
        code = engine.codelist[var]
        unit = code.unit
        v0 = res.value(var, BASE_YEAR, name)
        v1 = res.value(var, HORIZON, name)
        shown_unit = unit_fr(unit)
        unit_text = ("" if unit == "%" or shown_unit.lower() == code.label_fr.lower()
                     else f' <span class="fab-unit">({esc(shown_unit)})</span>')
        body.append(
            f'<tbody><tr><th colspan="3" scope="colgroup" class="fab-ind">'
            f"{esc(code.label_fr)}{unit_text}</th></tr>"
            f"<tr><td>{esc(format_value(v0, unit, decimals))}</td>"
            f'<td class="fab-2030">{esc(format_value(v1, unit, decimals))}</td>'
            f"<td>{esc(format_change(v0, v1, unit, decimals))}</td></tr></tbody>")
    return (
        f'<article class="fab-card" data-scenario="{esc(name)}">'
        f"<h2>{esc(title)}</h2>"
        f"{_paragraphs(scenario.description)}"
        f'<table class="fab-figures"><caption>{esc("Chiffres clés")}</caption>'
        '<colgroup><col class="fab-c1"><col class="fab-c2"><col class="fab-c3"></colgroup>'
        f'<thead><tr><th scope="col">{BASE_YEAR}</th><th scope="col">{HORIZON}</th>'
        f'<th scope="col">Évolution</th></tr></thead>'
        f"{''.join(body)}</table></article>")


def _build(engine) -> widgets.Widget:
    import workbench as wb

    engine = engine if engine is not None else wb.Engine()
    refs = wb.reference_scenarios(engine.levers)
    if not refs:
        raise RuntimeError("no reference scenario found (scenarios/*.yaml)")
    res = engine.run(list(refs.values()))
    produced = set(engine.variables)
    rows = [(v, d) for v, d in KEY_FIGURES if v in produced and v in engine.codelist]
    skipped = [v for v, _ in KEY_FIGURES if v not in produced or v not in engine.codelist]
    if skipped:
        log.warning("reference_overview: the engine does not produce %s; rows left out",
                    skipped)
    title = "Fabrique 2030 — les futurs de référence en 2030"
    lead = (f"{len(refs)} futurs possibles pour {engine.territory.name}, calculés par les "
            f"modèles de la Fabrique : les chiffres de {BASE_YEAR} (dernière année observée) "
            f"à côté de ceux de {HORIZON} (projection).")
    header = f'<h1>{esc(title)}</h1><p class="fab-lead">{esc(french_spacing(lead))}</p>'
    cards = [html_widget(_card(engine, res, name, s, rows), "fab-card-widget")
             for name, s in refs.items()]
    grid = widgets.GridBox(cards, layout=widgets.Layout(
        grid_template_columns="repeat(auto-fit, minmax(min(100%, 23rem), 1fr))",
        grid_gap="1.25rem", width="100%"))
    note_text = ("Chiffres arrondis. Une projection n'est pas une prévision : elle montre où "
                 "mèneraient les hypothèses de chaque futur.")
    note = html_widget(f'<p class="fab-note">{esc(french_spacing(note_text))}</p>',
                       "fab-note-widget")
    return _page([html_widget(header, "fab-header"), grid, note])


def _page(children: list[widgets.Widget]) -> widgets.VBox:
    style = widgets.HTML(value=f"<style>{CSS}</style>",
                         layout=widgets.Layout(display="none"))
    page = widgets.VBox([style, *children], layout=widgets.Layout(width="100%"))
    page.add_class("fab2030")
    return page


def failure_widget(exc: BaseException | None = None) -> widgets.Widget:
    """The short French message a participant sees instead of a traceback."""
    from workbench.errors import WorkbenchError

    extra = ""
    if isinstance(exc, WorkbenchError) and exc.message_fr:
        extra = f" ({exc.message_fr})"
    failure = f'<div class="fab-failure" role="alert">{esc(FAILURE_FR + extra)}</div>'
    return _page([html_widget(failure, "fab-failure-widget")])


def reference_overview(engine=None) -> widgets.Widget:
    """The page of the reference scenarios: title, then one card per scenario with its
    narrative and key figures (2021, 2030, change). ``engine`` defaults to Grand Chambéry
    with every model. Never raises: a failure gives a French message and a server log."""
    try:
        return _build(engine)
    except Exception as exc:
        log.exception("reference_overview failed")
        return failure_widget(exc)
