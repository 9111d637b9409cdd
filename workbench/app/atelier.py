"""« Atelier 2030 », the participants' app: levers grouped by theme (context assumptions
apart), key figures and charts against the trend scenario, the target scorecard, undo and
reset, then « pourquoi ce futur est souhaitable » and submission to the workshop session.

Why this module is over 450 lines: one page's widgets, layout and callbacks, which share
the page's state; the pieces every page uses are in ``base.py``, its style sheet is
``css/atelier.css``, and its charts are due to move out (issue 13).

Everything is generated from the lever registry and the indicators codelist, so a new
model's levers and indicators appear without editing ``apps/atelier.ipynb``. Every value a
browser sends goes through the registry's check; every text shown is escaped; a failure
shows a short French message, the details going to the server log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import ipywidgets as W
import numpy as np

from .. import __version__, prebuilt
from ..codelist import app_variables
from ..engine import Engine
from ..errors import WorkbenchError
from ..format import (
    decimals_for,
    format_change,
    format_number,
    format_value,
    french_spacing,
    lever_value,
    unit_fr,
)
from ..identity import kernel_device, participant_id, submission_key
from ..panel import TREND_EXPLAINED_FR
from ..scenario import reference_scenarios, scenario_from_code
from ..scorecard import STATUS_FR, evaluate, target_levels
from ..store import MSG_PSEUDONYM_TAKEN
from ..text import MAX_GROUP, MAX_PSEUDONYM, MAX_TEXT, TextRefused, clean_line, clean_text
from ..text import escape as esc
from .base import Unavailable, WorkshopApp, build_app, html_widget, message_html
from .draft import DraftKeeper
from .report import judgement_html
from .sharing import own_layout, share_alike
from .state import LeverState
from .styles import stylesheet
from .timer import PhaseLine
from .vote import VoteBox

log = logging.getLogger("workbench.app.atelier")

TREND, MINE = "tendanciel", "mon-futur"
MAX_SHARE_LINK = 1000  # characters of a ?futur= code (the store's limit on share codes)
YEARS = (2030, 2050)
BAR_FIGURES = 3  # key figures in the phone's results bar
ELSEWHERE = 3  # figures named when a change moves none of those shown
PLOT_HEIGHT = 260

CSS = stylesheet("base", "atelier")


def _lever_decimals(lv) -> int:
    return max(0, -int(np.floor(np.log10(lv.step)))) if lv.step < 1 else 0


class LeverControl:
    """One lever: label, value, « ? » help, slider (keyboard-usable) and the trend mark."""

    def __init__(self, lever, on_change: Callable[[str, float], None]):
        self.lever = lever
        self.value = html_widget("", "fab-lever-value")
        self.help_button = W.ToggleButton(value=False, description="?",
                                          tooltip=f"Aide : {lever.label_fr}",
                                          layout=W.Layout(width="auto"))
        self.help_button.add_class("fab-help-button")
        self.help = own_layout(
            html_widget(f'<p class="fab-help">{esc(french_spacing(lever.help_fr))}</p>'))
        self.help.layout.display = "none"
        self.help_button.observe(self._toggle_help, "value")
        self.slider = W.FloatSlider(
            value=lever.trend, min=lever.min, max=lever.max, step=lever.step,
            continuous_update=False, readout=False, description="",
            layout=W.Layout(width="100%"))
        self.slider.add_class(f"fab-slider-{lever.id}")
        pos = (lever.trend - lever.min) / (lever.max - lever.min) * 100
        # the label hangs from the mark, towards the middle, so it never leaves the slider
        shift = "0%" if pos < 30 else "-100%" if pos > 70 else "-50%"
        # the mark sits at the trend's place; on a phone the words go under it, left-aligned
        # (a long value hung from the mark would leave the screen: css/atelier.css)
        self.trend = html_widget(
            f'<div class="fab-trend" aria-hidden="true">'
            f'<span class="fab-trend-mark" style="left:{pos:.1f}%">▲</span>'
            f'<span class="fab-trend-text" style="left:{pos:.1f}%;'
            f'transform:translateX({shift})"><span class="fab-trend-arrow">▲ </span>'
            f"tendanciel : {esc(lever_value(lever, lever.trend))}</span></div>")
        # the page names the slider after this label and speaks its value with the unit
        # (the fabrique template's script: ipywidgets gives the handle neither)
        head = html_widget(f'<div class="fab-lever-head"><span class="fab-lever-label" '
                           f'data-unit="{esc(lever.unit_fr)}" '
                           f'data-decimals="{_lever_decimals(lever)}">'
                           f"{esc(lever.label_fr)}</span></div>")
        row = W.HBox([head, self.value, self.help_button])
        row.add_class("fab-lever-row")
        self.box = W.VBox([row, self.help, self.slider, self.trend])
        self.box.add_class("fab-lever")
        self.box.add_class(f"fab-lever-{lever.id}")
        self._on_change = on_change
        self._muted = False
        self.slider.observe(self._changed, "value")
        self.show(lever.trend)

    def _toggle_help(self, change) -> None:
        self.help.layout.display = "block" if change["new"] else "none"

    def _changed(self, change) -> None:
        if not self._muted:
            self._on_change(self.lever.id, change["new"])

    def show(self, value: float) -> None:
        """Show ``value`` without triggering a recomputation."""
        self._muted = True
        try:
            # a forged min/max sent by a browser is put back too
            self.slider.min, self.slider.max = self.lever.min, self.lever.max
            self.slider.step = self.lever.step
            self.slider.value = value
        finally:
            self._muted = False
        self.value.value = esc(lever_value(self.lever, value))


class Atelier(WorkshopApp):
    """The participant's app. ``widget`` is what the notebook displays."""

    def __init__(self, engine: Engine | None = None, store=None):
        self.engine = engine or prebuilt.engine()  # no pandas in a participant's kernel
        self._store = store
        self.levers = self.engine.levers
        self.state = LeverState(self.levers)
        self.refs = reference_scenarios(self.levers)
        self.trend = self.engine.run_batch({}, [TREND])
        self.shown = app_variables(self.engine.codelist, self.engine.variables)
        self.session_code: str | None = None
        self.pseudonym = ""
        self.group = ""
        self.request_url = ""
        self.device = kernel_device()  # the visitor's, once the request has arrived
        self.person = ""  # which of the people using this device in turn (identity.py)
        self._sent: set[int] = set()  # ids this page has already seen stored
        self.last_submission = None  # this participant's current future, once known
        self.results = self.trend
        self._link = ""  # the shared future (?futur=) this page was opened with
        self.drafts = DraftKeeper(lambda: self.store, "atelier", self.snapshot)
        self._build()
        share_alike(self.widget)  # identical layouts and styles, one model each
        self.refresh()
        self._start_heartbeat()

    # -- widgets -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.controls = {k: LeverControl(lv, self.set_lever) for k, lv in self.levers.items()}
        title = html_widget('<h1>Atelier 2030 — Grand Chambéry</h1><p class="fab-lead">'
                            + esc(french_spacing(
                          "Déplacez les curseurs : les conséquences pour 2030 et 2050 "
                          "s'affichent aussitôt, à côté du futur tendanciel. Quand votre futur "
                          "vous convient, dites pourquoi il est souhaitable et envoyez-le."))
                            + '</p><p class="fab-help fab-trend-explained">'
                            + esc(french_spacing(TREND_EXPLAINED_FR)) + "</p>")
        # join
        self.join_code = W.Text(description="", placeholder="Code de l'atelier (ex. ABC-DEF)")
        self.join_name = W.Text(description="", placeholder="Votre pseudonyme")
        self.join_group = W.Text(description="", placeholder="Groupe (facultatif)")
        for w, label in ((self.join_code, "code"), (self.join_name, "pseudonyme"),
                         (self.join_group, "groupe")):
            w.add_class(f"fab-join-{label}")
            w.layout = W.Layout(width="auto", flex="1 1 12rem")
        self.join_button = W.Button(description="Rejoindre l'atelier", button_style="primary")
        self.join_button.add_class("fab-join-button")
        self.join_button.on_click(lambda _: self.join(self.join_code.value, self.join_name.value,
                                                      self.join_group.value))
        self.join_msg = html_widget("", "fab-join-msg")
        join_row = W.HBox([self.join_code, self.join_name, self.join_group, self.join_button],
                          layout=W.Layout(flex_flow="row wrap"))
        join_row.add_class("fab-toolbar")
        # on a device used in turn, the next person must not inherit the previous one's work
        self.fresh_button = own_layout(W.Button(
            description="Je suis une autre personne : repartir de zéro",
            layout=W.Layout(display="none")))
        self.fresh_button.add_class("fab-someone-else")
        self.fresh_button.on_click(lambda _: self.someone_else())
        self.join_box = W.VBox([
            html_widget("<h2>Rejoindre l'atelier</h2>"),
            join_row,
            self.join_msg, self.fresh_button])
        # toolbar
        # « Annuler » read as « cancel my participation » to a senior in the test: the
        # buttons say what they do to the levers
        self.undo_button = W.Button(description="↶ Revenir en arrière",
                                    tooltip="Défaire le dernier réglage des curseurs")
        self.redo_button = W.Button(description="↷ Rétablir",
                                    tooltip="Refaire le réglage défait")
        self.reset_button = W.Button(description="Revenir au tendanciel")
        options = [("Partir d'un futur de référence…", "")] + [
            (s.title or name, name) for name, s in self.refs.items()]
        # the description is the list's accessible name (its label's for=); css hides it
        self.ref_choice = W.Dropdown(options=options, value="", description="Futur de départ",
                                     layout=W.Layout(width="auto"))
        for w, css in ((self.undo_button, "fab-undo"), (self.redo_button, "fab-redo"),
                       (self.reset_button, "fab-reset"),
                       (self.ref_choice, "fab-reference")):
            w.add_class(css)
        self.undo_button.on_click(lambda _: self._apply(self.state.undo()))
        self.redo_button.on_click(lambda _: self._apply(self.state.redo()))
        self.reset_button.on_click(lambda _: self._apply(self.state.reset()))
        self.ref_choice.observe(self._choose_reference, "value")
        self.notice = html_widget()
        toolbar = W.HBox([self.undo_button, self.redo_button, self.reset_button,
                          self.ref_choice],
                         layout=W.Layout(flex_flow="row wrap"))
        toolbar.add_class("fab-toolbar")
        # levers: action levers by theme, then context assumptions apart
        themes = self.levers.themes
        action, context = [html_widget("<h2>Vos choix pour le territoire</h2>")], []
        for kind, out in (("action", action), ("context", context)):
            for theme in themes:
                group = [lv for lv in self.levers.of_kind(kind) if lv.theme == theme]
                if not group:
                    continue
                out.append(html_widget(f"<h3>{esc(themes[theme]['fr'])}</h3>"))
                out.extend(self.controls[lv.id].box for lv in group if not lv.advanced)
                finer = [self.controls[lv.id].box for lv in group if lv.advanced]
                if finer:  # finer settings folded, as En-ROADS does, to keep the page short
                    fold = W.Accordion(children=[W.VBox(finer)], selected_index=None)
                    fold.set_title(0, f"Réglages avancés ({len(finer)})")
                    fold.add_class(f"fab-advanced-{theme}")
                    out.append(fold)
        context_box = W.VBox([
            html_widget("<h2>Hypothèses de contexte</h2><p class='fab-help'>"
                        + esc(french_spacing("Ce que le territoire ne choisit pas, mais qui pèse "
                                      "sur son avenir : à faire varier pour voir."))
                        + "</p>"), *context])
        context_box.add_class("fab-context")
        # submission
        self.text = W.Textarea(placeholder="Pourquoi ce futur est-il souhaitable ? "
                               "Qu'est-ce qui change pour les habitants ?",
                               layout=W.Layout(width="100%", height="8rem"))
        self.text.add_class("fab-text")
        self.counter = html_widget()
        self.text.observe(self._text_changed, "value")
        self.submit_button = W.Button(description="Envoyer mon futur", button_style="success")
        self.submit_button.add_class("fab-submit")
        self.submit_button.on_click(lambda _: self.submit(self.text.value))
        self.submit_msg = html_widget()
        self.share = html_widget()
        submit_box = W.VBox([
            html_widget("<h2>Pourquoi ce futur est souhaitable</h2>"), self.text, self.counter,
            self.submit_button, self.submit_msg, self.share])
        submit_box.add_class("fab-submit-box")
        # the text and the button close the levers' column, so that on a wide screen the
        # results stay in view beside them to the end; on a phone the column dissolves and
        # they come after the results (css/atelier.css)
        levers_col = W.VBox([*action, context_box, submit_box])
        levers_col.add_class("fab-levers")
        # results
        self.cards = html_widget()
        self.elsewhere = ""  # what the last change moved when no figure shown moved
        self.elsewhere_short = ""  # …in one line, for the phone's bar
        self.elsewhere_html = html_widget("", "fab-elsewhere-box")
        self.score = html_widget()
        self.bar = html_widget("", "fab-bar-widget")
        self.bar_figures = [var.name for var in self.shown[:BAR_FIGURES]]
        self.figures = {}
        # each chart's data source, found once: Figure.select_one walks the whole model graph
        # and cost 80 % of a lever move's computation
        self.sources = {}
        chart_boxes = []
        self._bokeh_ready = False
        for var in self.shown:
            if var.app_chart:
                fig = self._figure(var)
                self.figures[var.name] = fig
                self.sources[var.name] = fig.select_one({"name": "series"})
        if self.figures:
            from jupyter_bokeh.widgets import BokehModel

            size = W.Layout(width="100%", min_height=f"{PLOT_HEIGHT}px")
            chart_boxes = [BokehModel(f, layout=size) for f in self.figures.values()]
        results_col = W.VBox([
            html_widget('<h2 id="fab-resultats">Chiffres clés</h2>'), self.cards,
            self.elsewhere_html,
            html_widget("<h2>Objectifs du territoire</h2>"), self.score,
            html_widget("<h2>Évolutions jusqu'en 2050</h2>"), *chart_boxes])
        results_col.add_class("fab-results")
        cols = W.HBox([levers_col, results_col], layout=W.Layout(flex_flow="row wrap",
                                                                   width="100%"))
        cols.add_class("fab-cols")
        self._count()
        style = W.HTML(value=f"<style>{CSS}</style>", layout=W.Layout(display="none"))
        # The page's watchdog (share/jupyter/voila/templates/fabrique) reads this beat: when
        # it stops (kernel died, server restarted, network lost) the participant is told so
        # in French and offered a reload that keeps the current future (data-futur).
        self.heartbeat = W.HTML(value="", layout=W.Layout(display="none"))
        self.heartbeat.add_class("fab-heartbeat")
        self._beats = 0
        self.vote = VoteBox(self)  # shown when the facilitator puts the consensus to the vote
        self.phase = PhaseLine(self)  # the facilitator's timer, counting down here too
        self.widget = W.VBox([style, title, self.join_box, self.phase.widget,
                              self.vote.widget, toolbar,
                              self.notice, cols,
                              self.bar, self.heartbeat],
                             layout=W.Layout(width="100%"))
        self.widget.add_class("fab2030")
        self.widget.add_class("fab-atelier")

    def _figure(self, var):
        from bokeh.models import ColumnDataSource, HoverTool, Label, Span
        from bokeh.plotting import figure

        from ..plots import OKABE_ITO, chart_tools, digits, hover_number, number_axis

        src = ColumnDataSource(self._series(var.name), name="series")
        fig = figure(title=var.label_fr, height=PLOT_HEIGHT, sizing_mode="stretch_width",
                     tools=chart_tools(), toolbar_location=None, x_axis_label="Année",
                     y_axis_label=unit_fr(var.unit))
        fig.toolbar.logo = None
        nd = digits(var.unit)
        fig.line("year", TREND, source=src, color="#555555", line_dash="dashed",
                 line_width=2.5, legend_label="Tendanciel")
        line = fig.line("year", MINE, source=src, color=OKABE_ITO[1], line_width=3.5,
                        legend_label="Votre futur")
        fig.add_tools(HoverTool(renderers=[line], description="Afficher les valeurs",
                                tooltips=[("Année", "@year"), ("Votre futur",
                                                               f"@{{{MINE}}}{{custom}}"),
                                          ("Tendanciel", f"@{{{TREND}}}{{custom}}")],
                                formatters={f"@{{{MINE}}}": hover_number(nd),
                                            f"@{{{TREND}}}": hover_number(nd)}))
        # the territory's targets on this indicator, where they stand and when
        for target, level in target_levels(self.trend, var.name):
            fig.scatter([target.year], [level], marker="diamond", size=16, color="#000000",
                        legend_label="Objectif du territoire", name="target")
            fig.add_layout(Label(x=target.year, y=level, x_offset=-10, y_offset=8,
                                 text_align="right", text_font_size="12px",
                                 text=f"objectif {target.year}"))
        number_axis(fig, nd)
        if float(np.min(self.trend.data[var.name])) >= 0:
            fig.y_range.start = 0  # an honest axis for a quantity never negative
        fig.add_layout(Span(location=2030, dimension="height", line_color="#999999",
                            line_dash="dotted"))
        legend = fig.legend[0]
        legend.orientation = "horizontal"
        legend.location = "center"
        fig.add_layout(legend, "below")  # never over the lines
        return fig

    def _series(self, variable: str) -> dict:
        return {"year": np.asarray(self.trend.years),
                TREND: self.trend.data[variable][0],
                MINE: self.results.data[variable][0]}

    def _text_changed(self, _change=None) -> None:
        self._count()
        self.drafts.changed()

    def _count(self) -> None:
        n = len(self.text.value)
        warn = " — trop long : raccourcissez votre texte" if n > MAX_TEXT else ""
        self.counter.value = (f'<span class="fab-help">{format_number(n)} / '
                              f"{format_number(MAX_TEXT)} caractères{esc(warn)}</span>")

    # -- heartbeat ---------------------------------------------------------------------------

    BEAT_SECONDS = 4.0

    def beat(self) -> None:
        """Tell the page the kernel is alive, with what it needs to reload this future: its
        code, marked as a resumption (``reprise=1``) so that the draft, which is fresher
        than the last beat, wins over it when the store has one."""
        self._beats += 1
        query = {"futur": self.state.share_code(), "reprise": "1"}
        if self.session_code:
            query["atelier"] = self.session_code
        self.heartbeat.value = (f'<span class="fab-beat" data-beat="{self._beats}" '
                                f'data-query="{esc(urlencode(query))}"></span>')
        if self.session_code or self.vote.share_code:
            self.vote.check()  # an open vote appears within a beat
        if self.session_code or self.phase.run:
            self.phase.check()  # so does the facilitator's timer

    def _start_heartbeat(self) -> None:
        import asyncio

        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
        if not loop.is_running():  # not in a kernel (tests, scripts): no beat needed
            self.beat()
            return

        def tick() -> None:
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat failed")
            loop.call_later(self.BEAT_SECONDS, tick)

        tick()

    # -- behaviour ---------------------------------------------------------------------------

    def set_lever(self, lever_id: str, value: float) -> None:
        """A lever moved in the browser: validate, recompute, show."""
        try:
            changed = self.state.set(lever_id, value)
        except WorkbenchError as err:
            log.warning("refused value for %s: %r (%s)", lever_id, value, err)
            self.notice.value = message_html(err.message_fr, ok=False)
            self.controls[lever_id].show(self.state.values[lever_id])
            return
        self.notice.value = ""
        self.controls[lever_id].show(self.state.values[lever_id])
        if changed:
            self.refresh()
            self.drafts.changed()

    def _apply(self, changed: bool) -> None:
        self.notice.value = ""
        if changed:
            self._show_levers()
            self.drafts.changed()

    def _show_levers(self) -> None:
        for k, c in self.controls.items():
            c.show(self.state.values[k])
        self.refresh()

    def _choose_reference(self, change) -> None:
        name = change["new"]
        if name and name in self.refs:
            self._apply(self.state.load(self.refs[name]))
            self.notice.value = message_html(
                f"Vous partez du futur « {self.refs[name].title or name} » : "
                "ajustez-le à votre idée.", ok=True)
        self.ref_choice.unobserve(self._choose_reference, "value")
        self.ref_choice.value = ""
        self.ref_choice.observe(self._choose_reference, "value")

    def refresh(self) -> None:
        """Recompute the scenario and update every figure, card and the scorecard."""
        try:
            values = {k: np.array([v]) for k, v in self.state.values.items()}
            before = self.results
            self.results = self.engine.run_batch(values, [MINE])
            # the figures first, then the charts: the browser applies the messages in order,
            # and the charts' patches take it longest to process
            self.cards.value = self._cards_html()
            self.bar_figures = self._most_changed(before) or self.bar_figures
            self.elsewhere = self._elsewhere_html(before)
            self.elsewhere_html.value = self.elsewhere
            self.bar.value = self._bar_html()
            self.score.value = self._score_html()
            for name, source in self.sources.items():
                source.data = self._series(name)
            self.undo_button.disabled = not self.state.can_undo
            self.redo_button.disabled = not self.state.can_redo
        except Exception:  # never a traceback on a participant's screen
            log.exception("refresh failed for levers %s", self.state.values)
            self.notice.value = message_html("Le calcul n'a pas pu être mis à jour. Revenez au "
                                             "tendanciel ou prévenez l'équipe d'animation.", False)

    def _figure_texts(self, var) -> dict[str, str]:
        """One key figure, written the French way and escaped: this future's and the trend's
        values in 2030 and 2050, the unit, and the change against the trend in 2030."""
        unit = var.unit
        nd = 1 if unit == "%" else (2 if unit == "persons/household" else 0)
        mine = {y: self.results.value(var.name, y, 0) for y in YEARS}
        trend = {y: self.trend.value(var.name, y, 0) for y in YEARS}
        return {"label": esc(var.label_fr),
                "unit": "" if unit == "%" else f" {esc(unit_fr(unit))}",
                "delta": esc(format_change(trend[2030], mine[2030], unit, nd)),
                "judge": judgement_html(var, trend[2030], mine[2030]),
                "equiv": self._per_inhabitant(var, mine[2030]),
                **{f"{who}{y}": esc(format_value(values[y], unit, nd))
                   for who, values in (("mine", mine), ("trend", trend)) for y in YEARS}}

    def _per_inhabitant(self, var, value: float) -> str:
        """« soit 4,5 t de CO2e par habitant » under a 2030 figure (the codelist's
        ``per_inhabitant``: value × factor ÷ this future's population in 2030)."""
        if var.per_inhabitant is None or "Population" not in self.results.data:
            return ""
        factor, unit = var.per_inhabitant
        each = value * factor / self.results.value("Population", 2030, 0)
        nd = 1 if abs(each) < 10 else 0
        return (f'<div class="fab-kf-equiv">soit {esc(format_number(each, nd))}\u00a0'
                f"{esc(unit)}</div>")

    def _cards_html(self) -> str:
        cards = []
        for var in self.shown:
            t = self._figure_texts(var)
            cards.append(
                f'<div class="fab-kf" data-variable="{esc(var.name)}">'
                f'<div class="fab-kf-label">{t["label"]}</div>'
                f'<div class="fab-kf-2030">{t["mine2030"]}'
                f'<span class="fab-unit">{t["unit"]} en 2030</span></div>{t["equiv"]}'
                f'<div class="fab-kf-delta">{t["delta"]} par rapport au tendanciel '
                f'({t["trend2030"]}){t["judge"]}</div>'
                f'<div class="fab-kf-delta">2050 : {t["mine2050"]}'
                f' (tendanciel {t["trend2050"]})</div></div>')
        return f'<div class="fab-cards">{"".join(cards)}</div>'

    def _most_changed(self, before) -> list[str]:
        """The (at most) BAR_FIGURES shown variables whose 2030 value changed most between
        ``before`` and the current results, relative to their trend value; none if nothing
        changed."""
        moved = []
        for var in self.shown:
            old = before.value(var.name, 2030, 0)
            new = self.results.value(var.name, 2030, 0)
            scale = max(abs(self.trend.value(var.name, 2030, 0)), abs(old), 1e-9)
            change = abs(new - old) / scale
            if change > 1e-9:
                moved.append((change, var.name))
        return [name for _, name in sorted(moved, key=lambda m: -m[0])[:BAR_FIGURES]]

    def _elsewhere_html(self, before) -> str:
        """When the last change moved none of the figures shown but moved others (« Sols
        rendus à la nature » acts on net artificialisation), say which, with their 2030
        value against the trend; else nothing."""
        def moved(name: str) -> bool:
            return not np.allclose(self.results.data[name], before.data[name], rtol=1e-9,
                                   atol=1e-12)

        self.elsewhere_short = ""  # the phone bar's one line
        if before is None or any(moved(v.name) for v in self.shown):
            return ""
        codelist = self.engine.codelist
        echoes = {lv.label_fr for lv in self.levers.values()}  # a lever's value as an output

        def change(var) -> float:
            old, new = (r.value(var.name, 2030, 0) for r in (before, self.results))
            return abs(new - old) / max(abs(old), abs(new), 1e-12)

        others = sorted((codelist[n] for n in self.results.data
                         if n in codelist and codelist[n].label_fr not in echoes and moved(n)),
                        key=lambda v: -change(v))
        if not others:
            return ""
        items = []
        for var in others[:ELSEWHERE]:
            mine = self.results.value(var.name, 2030, 0)
            trend = self.trend.value(var.name, 2030, 0)
            nd = decimals_for(var.unit, trend)
            items.append(f"{var.label_fr} : {format_value(mine, var.unit, nd)}"
                         f"{'' if var.unit == '%' else ' ' + unit_fr(var.unit)} en 2030 "
                         f"(tendanciel {format_value(trend, var.unit, nd)})")
        text = ("Ce changement ne modifie aucun des chiffres affichés ; il agit sur : "
                + " ; ".join(items) + ".")
        short = f"Aucun chiffre affiché ne change : ce levier agit sur {others[0].label_fr}."
        self.elsewhere_short = (f'<p class="fab-bar-elsewhere">{esc(french_spacing(short))}'
                                "</p>")
        return f'<p class="fab-help fab-elsewhere" role="status">{esc(french_spacing(text))}</p>'

    def _bar_html(self) -> str:
        """The phone's results bar (css/atelier.css hides it on wide screens): the figures
        the last move changed most, and a link down to every figure and chart."""
        by_name = {var.name: var for var in self.shown}
        figs = []
        for name in self.bar_figures:
            t = self._figure_texts(by_name[name])
            figs.append(f'<div class="fab-bar-kf" data-variable="{esc(name)}">'
                        f'<span class="fab-bar-label">{t["label"]}</span>'
                        f'<span class="fab-bar-value">{t["mine2030"]}'
                        f'<small>{t["unit"]}</small></span>'
                        f'<span class="fab-bar-delta">{t["delta"]} face au tendanciel'
                        f'{t["judge"]}</span></div>')
        return ('<div class="fab-bar" role="region" aria-label="Vos résultats en 2030">'
                f'<div class="fab-bar-figs">{"".join(figs)}</div>{self.elsewhere_short}'
                '<a class="fab-bar-open" href="#fab-resultats">Tous les chiffres et '
                "graphiques ↓</a></div>")

    def _score_html(self) -> str:
        items = []
        for v in evaluate(self.results, 0, trend=0, trend_results=self.trend):
            items.append(f'<li data-target="{esc(v.target.id)}" data-status="{v.status}">'
                         f'<span class="fab-dot fab-{v.status}">{esc(STATUS_FR[v.status])}</span>'
                         f"<strong>{esc(v.target.label_fr)}</strong><br>"
                         f'<span class="fab-help">{esc(french_spacing(v.explain_fr))}</span></li>')
        return f'<ul class="fab-score">{"".join(items)}</ul>'

    # -- session and submission ----------------------------------------------------------

    def _attempt(self, shown: W.HTML, failure_fr: str, action: Callable[[], object]):
        """Run ``action``; a WorkbenchError shows its French message in ``shown``, anything
        else ``failure_fr`` (details in the server log). Returns the result or None."""
        try:
            return action()
        except WorkbenchError as err:
            shown.value = message_html(err.message_fr, ok=False)
        except Exception:
            log.exception("%s failed", getattr(action, "__name__", "action"))
            shown.value = message_html(failure_fr, ok=False)
        return None

    def join(self, code: str, pseudonym: str, group: str = "") -> bool:
        """Join a workshop session with a pseudonym; a French message says what is wrong."""
        try:  # the store's rules, at the door: refused now, while the fields can be edited
            pseudonym = clean_line(pseudonym or "", "Le pseudonyme", MAX_PSEUDONYM)
            group = clean_line(group or "", "Le nom du groupe", MAX_GROUP, min_len=0)
        except TextRefused as err:
            self.join_msg.value = message_html(err.message_fr, ok=False)
            return False

        def find_session():
            found = self.store.get_session(code or "")
            if not found.open:
                raise WorkbenchError("session closed", "Cet atelier est clos.")
            if self.store.pseudonym_taken(found.code, pseudonym,
                                          participant_id(self.device, found.code, self.person)):
                raise WorkbenchError("pseudonym taken", MSG_PSEUDONYM_TAKEN)
            return found

        session = self._attempt(self.join_msg, "Impossible de rejoindre l'atelier pour "
                                "l'instant. Réessayez dans un instant.", find_session)
        if session is None:
            return False
        self.session_code, self.pseudonym, self.group = session.code, pseudonym, group
        label = f"Atelier « {session.title} » ({session.display_code})"
        who = f"{pseudonym} ({group})" if group else pseudonym  # not « groupe Groupe A »
        self.join_msg.value = (message_html(f"Bienvenue {who} ! {label}.", ok=True)
                               + self._already_received())
        self.join_code.value = session.display_code
        self.join_name.value, self.join_group.value = pseudonym, group
        self.submit_msg.value = ""  # « Rejoignez d'abord l'atelier » no longer holds
        for w in (self.join_code, self.join_name, self.join_group, self.join_button):
            w.disabled = True
        self.drafts.changed(now=True)
        self.vote.check()
        self.phase.check()
        return True

    @property
    def participant(self) -> str:
        """This visitor in the joined session (:func:`workbench.identity.participant_id`)."""
        return participant_id(self.device, self.session_code or "", self.person)

    def _already_received(self) -> str:
        """After a reload or a server restart: which futures the store holds from this
        participant in this session, so they know whether theirs landed."""
        try:
            mine = [s for s in self.store.submissions(self.session_code)
                    if s.participant == self.participant]
        except Exception:  # the store's failure is reported when sending, not here
            log.info("could not list the futures already received", exc_info=True)
            return ""
        if not mine:
            return ""
        self._sent.update(s.id for s in mine)  # sent again from here: « déjà enregistré »
        from ..format import time_fr

        listed = ", ".join(f"n° {s.id} ({time_fr(s.created)})" for s in mine[-5:])
        self.last_submission = mine[-1]
        word = "futur déjà reçu" if len(mine) == 1 else "futurs déjà reçus"
        counts = ("" if len(mine) == 1 else
                  f" Seul le dernier, n° {mine[-1].id}, compte : un nouvel envoi le remplace.")
        return ('<p class="fab-already">' + esc(french_spacing(
            f"{len(mine)} {word} de votre part dans cet atelier : {listed}.{counts}"))
            + "</p>")

    def submit(self, text: str) -> bool:
        """Store the current future with its text; all or nothing."""
        if self.session_code is None:
            self.submit_msg.value = message_html("Rejoignez d'abord l'atelier (en haut de la page) "
                                                 "avec le code donné par l'animateur.", ok=False)
            return False
        text = text or ""
        if not text.strip():
            self.submit_msg.value = message_html("Dites en quelques mots pourquoi ce futur est "
                                                 "souhaitable.", ok=False)
            return False
        if len(text.strip()) > MAX_TEXT:
            self.submit_msg.value = message_html(f"Votre texte dépasse {MAX_TEXT} caractères : "
                                                 "raccourcissez-le.", ok=False)
            return False
        code = self.state.share_code()

        def store_it():
            values = {k: self.levers[k].check(v) for k, v in self.state.values.items()}
            # the same future from the same device is the same submission: a double click,
            # a retry after a reload or after a server restart is stored once
            key = submission_key(self.device, self.session_code, self.pseudonym, self.group,
                                 values, clean_text(text))
            return self.store.submit(self.session_code, self.pseudonym, values, text,
                                     group=self.group, share_code=code,
                                     model_version=__version__,
                                     territory=self.engine.territory.id, key=key,
                                     participant=self.participant)

        self.drafts.flush()  # the text as sent is in the draft too, should the server fall
        self.submit_button.disabled = True
        try:
            sub = self._attempt(self.submit_msg, "L'envoi n'a pas abouti ; votre futur est "
                                "toujours là : réessayez.", store_it)
        finally:
            self.submit_button.disabled = False
        if sub is None:
            return False
        again = sub.id in self._sent
        self._sent.add(sub.id)
        previous, self.last_submission = self.last_submission, sub
        if again:
            self.submit_msg.value = message_html(
                f"Ce futur est déjà enregistré (n° {sub.id}) : il ne compte qu'une fois. "
                "Changez un levier ou votre texte pour le modifier.", ok=True)
        elif previous is not None and previous.id != sub.id:
            self.submit_msg.value = message_html(
                f"Merci {self.pseudonym} ! Votre futur est enregistré (n° {sub.id}) ; il "
                f"remplace le précédent (n° {previous.id}) : chacun compte une fois.", ok=True)
        else:
            self.submit_msg.value = message_html(
                f"Merci {self.pseudonym} ! Votre futur est enregistré (n° {sub.id}).", ok=True)
        link = self.share_link(code)
        self.share.value = (f'<p class="fab-share">Lien pour le retrouver : '
                            f'<a href="{esc(link)}" target="_blank">{esc(link)}</a></p>')
        return True

    def share_link(self, code: str | None = None) -> str:
        """The URL that reopens this future (``?futur=<share code>``), on this server."""
        code = code or self.state.share_code()
        query = {"futur": code}
        if self.session_code:
            query["atelier"] = self.session_code
        parts = urlsplit(self.request_url or "/voila/render/atelier.ipynb")
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    # -- the request (Voilà) ---------------------------------------------------------------

    def apply_query(self, query: str, request_url: str = "") -> None:
        """Use the page's query: ``atelier=CODE`` fills the join code, ``futur=F1…`` reopens
        a shared future exactly. A bad code gives a French message, never an error. What
        this device was doing comes back first (:meth:`restore_draft`)."""
        self.request_url = request_url
        q = parse_qs(query or "")
        link = q["futur"][0][:MAX_SHARE_LINK] if q.get("futur") else ""
        asked = q["atelier"][0][:20] if q.get("atelier") else ""
        kept = self.drafts.attach(self.device)
        if kept and q.get("reprise") == ["1"]:  # the watchdog's reload: the draft is the fresher
            link = str((kept.get("data") or {}).get("link") or "")[:MAX_SHARE_LINK]
        with self.drafts.muted():
            restored = self.restore_draft(kept, link, asked) if kept else False
            if asked and self.session_code is None:
                self.join_code.value = asked
            if link and restored != "all":
                self._open_link(link)
        self._link = link
        if restored or link:
            self.drafts.changed()

    def _open_link(self, link: str) -> None:
        try:
            scenario = scenario_from_code(link, self.levers)
        except WorkbenchError as err:
            self.notice.value = message_html(err.message_fr, ok=False)
            return
        self._apply(self.state.load(scenario))
        self.notice.value = message_html("Voici le futur partagé : vous pouvez le modifier.",
                                         ok=True)

    # -- the draft (workbench/app/draft.py) ------------------------------------------------

    def snapshot(self) -> dict:
        """What this page is doing, as its draft keeps it."""
        return {"levers": dict(self.state.values), "link": self._link,
                "code": self.join_code.value[:20], "pseudonym": self.join_name.value[:80],
                "group": self.join_group.value[:80], "session": self.session_code or "",
                "person": self.person, "text": self.text.value[:2 * MAX_TEXT]}

    def restore_draft(self, kept: dict, link: str = "", asked: str = "") -> str:
        """Take back a draft saved from this device: ``"all"`` (levers, joined session,
        pseudonym, group and text), ``"names"`` (only the pseudonym and group: the page was
        opened for another session or another shared future) or ``""`` (nothing usable).

        A draft of another session gives only the names, so last month's levers and text
        do not land in a new workshop; a page opened with another shared future shows that
        future, with the names, the session and the text kept."""
        data = kept.get("data") or {}
        saved_session = data.get("session") if isinstance(data.get("session"), str) else ""
        same_session = not asked or not saved_session or _same_code(asked, saved_session)
        same_link = not link or data.get("link") == link

        def text_of(key: str, limit: int) -> str:
            value = data.get(key)
            return value[:limit] if isinstance(value, str) else ""

        person = text_of("person", 64)
        self.person = person if person.isalnum() else ""
        self.join_name.value = text_of("pseudonym", 80)
        self.join_group.value = text_of("group", 80)
        if not same_session:
            return "names" if self.join_name.value else ""
        self.join_code.value = text_of("code", 20)
        self.text.value = text_of("text", 2 * MAX_TEXT)
        refused: list[str] = []
        if same_link and isinstance(data.get("levers"), dict):
            refused = self.state.restore(data["levers"])
            self._show_levers()
        if saved_session:
            self.join(saved_session, self.join_name.value, self.join_group.value)
        from ..format import time_fr

        back = [what for what, there in (
            ("vos curseurs", same_link and self.state.changed()),
            ("votre pseudonyme", self.join_name.value),
            ("votre place dans l'atelier", self.session_code),
            ("votre texte", self.text.value.strip())) if there]
        if not back:
            return ""
        listed = back[0] if len(back) == 1 else ", ".join(back[:-1]) + " et " + back[-1]
        note = (f"Votre travail en cours est revenu tel qu'il était à "
                f"{time_fr(kept['updated'])} : {listed}.")
        if refused:
            note += (f" {len(refused)} réglage(s) ne sont plus possibles et repartent du "
                     "tendanciel.")
        self.notice.value = message_html(note, ok=True)
        self.fresh_button.layout.display = "inline-flex"
        return "all" if same_link else "names"

    def someone_else(self) -> None:
        """« Je suis une autre personne » on a shared device: the previous person's draft
        is forgotten, the page starts afresh, and what this person sends will not replace
        the previous person's future (a new :attr:`person`)."""
        import secrets

        self.drafts.forget()
        with self.drafts.muted():
            self.person = secrets.token_hex(8)
            self.session_code, self.pseudonym, self.group = None, "", ""
            self.last_submission, self._sent = None, set()
            for w in (self.join_code, self.join_name, self.join_group, self.join_button):
                w.disabled = False
            for w in (self.join_name, self.join_group, self.text):
                w.value = ""
            self.join_msg.value = self.submit_msg.value = self.share.value = ""
            self.state.restore(self.levers.trend_values())
            self._show_levers()
            self.vote.reset()
            self.phase.check()  # no session: no timer
        self.fresh_button.layout.display = "none"
        self.notice.value = message_html("La page repart de zéro pour vous. Rejoignez "
                                         "l'atelier avec votre propre pseudonyme.", ok=True)
        self.drafts.changed(now=True)


def _same_code(a: str, b: str) -> bool:
    from ..store import parse_code

    try:
        return parse_code(a) == parse_code(b)
    except WorkbenchError:
        return False


def atelier(engine: Engine | None = None) -> Atelier | Unavailable:
    """Build the app for ``apps/atelier.ipynb``."""
    return build_app(lambda: Atelier(engine), "atelier")
