"""The Plénière's spotlight: one future (or the consensus) on the whole projected screen,
its pseudonym and text in large type, what it changes against the trend and four large
charts (the report's SVG charts: the futures' range, the trend, this future, the targets),
until the facilitator closes it. Nothing of it is computed here: the future is run with
:func:`workbench.panel.run_panel`, the charts drawn by :mod:`workbench.app.svg_charts`."""

from __future__ import annotations

import logging

import ipywidgets as W

from ..codelist import app_variables
from ..format import cut_at_word, french_spacing
from ..panel import CONSENSUS, ordered_levers, run_panel, scenario_name, submission_values
from ..text import escape as esc
from .base import html_widget, message_html
from .report import lever_change_item
from .sharing import own_layout
from .svg_charts import chart_legend, line_chart_svg

log = logging.getLogger("workbench.app.spotlight")

CHARTS = 4  # large charts in a spotlight: they fit one 1920×1080 screen
TEXT = 420  # characters of a participant's text the spotlight shows: four lines in 28 px


def excerpt(text: str, limit: int = TEXT) -> str:
    """``text`` whole when it fits the spotlight, else cut at a word with a note that the
    whole is in the list of futures (a 2,000-character text would push the charts off the
    projected screen).

    >>> excerpt("Des bus le soir.")
    'Des bus le soir.'
    >>> excerpt("mot " * 200).endswith("(suite dans la liste des futurs reçus)")
    True
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    return f"{cut_at_word(text, limit)}… (suite dans la liste des futurs reçus)"


class Spotlight:
    """« Projeter » a future or the consensus; « Fermer la projection »."""

    def __init__(self, app):
        self.app = app  # the Plénière: its engine and the session's futures
        self.close_button = W.Button(description="Fermer la projection",
                                     layout=W.Layout(width="auto"))
        self.close_button.add_class("fab-spotlight-close")
        self.close_button.on_click(lambda _: self.hide())
        self.body = html_widget("", "fab-spotlight-body")
        # a layout of its own: share_alike must never give its display to another widget
        self.widget = own_layout(W.VBox([self.close_button, self.body],
                                        layout=W.Layout(display="none")))
        self.widget.add_class("fab-spotlight")
        self.shown: str | None = None  # the scenario name on screen

    def show_future(self, sub) -> bool:
        """The future ``sub`` on the whole screen."""
        group = f", groupe {sub.group}" if sub.group else ""
        values = submission_values(sub, self.app.engine.levers)
        return self._show(scenario_name(sub), f"{sub.pseudonym}{group}", sub.text, values)

    def show_consensus(self) -> bool:
        """The panel's consensus on the whole screen (once futures have come)."""
        if not self.app.submissions:
            return False
        run = run_panel(self.app.engine, self.app.submissions)
        return self._show(CONSENSUS, "Le futur de consensus du panel", "",
                          run.consensus.values(self.app.engine.levers), run)

    def _show(self, name: str, title: str, text: str, values: dict, run=None) -> bool:
        app = self.app
        try:
            # every future of the session, run together: their range is the charts' band
            run = run or run_panel(app.engine, app.submissions)
            registry = app.engine.levers
            moved = [lever_change_item(lv, values[lv.id]) for lv in ordered_levers(registry)
                     if values[lv.id] != lv.trend]
            changes = (f'<ul class="fab-spot-changes">{"".join(moved)}</ul>' if moved
                       else "<p>Tous les leviers au tendanciel.</p>")
            panel = [scenario_name(s) for s in app.submissions]
            charts = [v for v in app_variables(app.engine.codelist, app.engine.variables)
                      if v.app_chart][:CHARTS]
            drawn = "".join(line_chart_svg(run, v, panel, main=name) for v in charts)
            legend = chart_legend().replace("consensus du panel", esc(
                "ce futur" if name != CONSENSUS else "consensus du panel"))
            quote = (f'<blockquote class="fab-spot-text">{esc(excerpt(text))}</blockquote>'
                     if text.strip() else "")
            self.body.value = (
                f'<div class="fab-spot" data-scenario="{esc(name)}">'
                f'<h2 class="fab-spot-title">{esc(french_spacing(title))}</h2>{quote}'
                f'<div class="fab-spot-cols"><div class="fab-spot-levers"><h3>Ce qui change '
                f"par rapport au tendanciel</h3>{changes}</div>"
                f'<div class="fab-spot-charts">{legend}<div class="fab-spot-grid">{drawn}'
                "</div></div></div></div>")
        except Exception:
            log.exception("the spotlight failed for %s", name)
            self.body.value = message_html("Ce futur n'a pas pu être projeté.", ok=False)
        self.shown = name
        self.widget.layout.display = "flex"
        return True

    def hide(self) -> None:
        self.shown = None
        self.widget.layout.display = "none"
        self.body.value = ""
