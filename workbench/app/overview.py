"""The first workshop page: the reference scenarios' key figures in 2030 next to 2021.

    >>> from workbench.app import reference_overview
    >>> reference_overview()          # an ipywidgets widget; display it in a notebook

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

CSS = """
.fab2030 { --fab-ink: #1b2430; --fab-muted: #4a5566; --fab-accent: #0b5e7e;
  --fab-card: #ffffff; --fab-line: #d5dbe3; color: var(--fab-ink);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "DejaVu Sans", sans-serif;
  font-size: 18px; line-height: 1.5; max-width: 78rem; margin: 0 auto; }
.fab2030 .widget-html, .fab2030 .widget-html-content { width: auto; max-width: 100%;
  font-size: inherit; line-height: inherit; color: inherit; font-family: inherit; }
.fab2030 .widget-html-content { overflow-wrap: break-word; }
.fab2030 h1 { font-size: 2rem; line-height: 1.25; margin: 0.5rem 0 0.75rem;
  color: var(--fab-ink); }
.fab2030 .fab-lead { font-size: 1.1em; max-width: 48rem; margin: 0 0 1.25rem;
  color: var(--fab-muted); }
.fab2030 .fab-card { background: var(--fab-card); border: 1px solid var(--fab-line);
  border-top: 6px solid var(--fab-accent); border-radius: 10px; padding: 1rem 1.25rem 1.25rem;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08); height: 100%; box-sizing: border-box; }
.fab2030 .fab-card h2 { font-size: 1.45rem; line-height: 1.3; margin: 0 0 0.5rem;
  color: var(--fab-accent); }
.fab2030 .fab-card p { margin: 0 0 1rem; }
.fab2030 table.fab-figures { width: 100%; border-collapse: collapse; table-layout: fixed;
  font-variant-numeric: tabular-nums; }
.fab2030 .fab-figures col.fab-c1, .fab2030 .fab-figures col.fab-c2 { width: 30%; }
.fab2030 .fab-figures col.fab-c3 { width: 40%; }
.fab2030 .fab-figures caption { text-align: left; font-weight: 700; font-size: 1.1em;
  margin-bottom: 0.25rem; }
.fab2030 .fab-figures thead th { font-size: 0.85em; font-weight: 600; color: var(--fab-muted);
  text-align: right; padding: 0 0.25rem 0.2rem; }
.fab2030 .fab-figures th.fab-ind { text-align: left; font-weight: 600; padding: 0.5rem 0.25rem 0;
  border-top: 1px solid var(--fab-line); }
.fab2030 .fab-figures td { text-align: right; white-space: nowrap; padding: 0 0.25rem 0.45rem; }
.fab2030 .fab-figures td.fab-2030 { font-weight: 700; }
.fab2030 .fab-unit { font-weight: 400; font-size: 0.85em; color: var(--fab-muted); }
.fab2030 .fab-note { font-size: 0.9em; color: var(--fab-muted); margin: 1.25rem 0 0; }
.fab2030 .fab-failure { font-size: 1.2em; padding: 1rem 1.25rem; border-radius: 10px;
  background: #fff4e5; border: 1px solid #e0a040; color: #4d2c00; }
@media (max-width: 40rem) {
  .fab2030 { font-size: 17px; }
  .fab2030 h1 { font-size: 1.6rem; }
  .fab2030 .fab-card { padding: 0.75rem 0.75rem 1rem; }
}
"""


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
