"""The self-contained HTML report of a workshop session (:func:`session_report`) and the
HTML pieces the Plénière shares with it: the comparison and scorecard tables, the panel's
choices per lever, the agreement summary.

What the panel's futures say together (consensus, verdicts, who expressed a choice) is
computed in :mod:`workbench.panel`, the same for the page and the report.

The report's charts are inline SVG (:mod:`workbench.app.svg_charts`, which says why). For
print, it is laid out to hold a 50-future session on 8 A4 pages (a browser test prints one
and counts). It loads nothing from elsewhere and holds no link to another host. Every text
typed by participants (pseudonym, group, text) and the session title go through
:func:`workbench.text.escape`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from .. import __version__
from ..codelist import Variable, app_variables
from ..format import (
    NNBSP,
    date_fr,
    decimals,
    format_change,
    format_number,
    format_value,
    french_spacing,
    lever_range,
    lever_value,
    paris_time,
    unit_fr,
)
from ..levers import Lever, LeverRegistry
from ..panel import (
    AGREE_MAX,
    CONSENSUS,
    MIN_EXPRESSED,
    MIN_EXPRESSED_SHARE,
    SAME_WAY_MIN,
    TREND,
    TREND_EXPLAINED_FR,
    PanelRun,
    Spread,
    ordered_levers,
    run_panel,
    scenario_name,
    spreads,
    submission_values,
)
from ..scenario import share_code
from ..scorecard import STATUS_FR, evaluate
from ..text import escape as esc
from .styles import stylesheet
from .svg_charts import chart_legend, lever_chart_svg, line_chart_svg

log = logging.getLogger("workbench.app.report")

YEARS = (2030, 2050)
STATUS_SIGN = {"green": "✔", "amber": "◐", "red": "✘", "pending": "…"}


# -- HTML formatting -------------------------------------------------------------------------


def lever_change_item(lv: Lever, value: float) -> str:
    """``<li>`` « label : value (tendanciel …) » of a lever moved from its trend (escaped)."""
    return (f"<li>{esc(lv.label_fr)} : <strong>{esc(lever_value(lv, value))}</strong>"
            f' <span class="fab-unit">(tendanciel {esc(lever_value(lv, lv.trend))})</span></li>')



def judgement_html(var: Variable, reference: float, value: float) -> str:
    """`` · mieux`` (or ``moins bien``) after a change against the trend, coloured and in
    words (colour is never alone); nothing for a variable with no better direction
    (:meth:`workbench.codelist.Variable.judge`) or a change too small to judge."""
    word = var.judge(reference, value)
    if word is None:
        return ""
    css = "fab-mieux" if word == "mieux" else "fab-moins-bien"
    return f' · <span class="fab-judge {css}" data-judge="{css[4:]}">{word}</span>'


def _unit_html(unit: str) -> str:
    """`` (personnes)`` after an indicator's label; nothing for a percentage."""
    return "" if unit == "%" else f' <span class="fab-unit">({esc(unit_fr(unit))})</span>'


# -- HTML pieces shared with the page -----------------------------------------------------


def status_badge(v) -> str:
    return (f'<span class="fab-dot fab-{v.status}" data-status="{v.status}">'
            f"{STATUS_SIGN[v.status]} {esc(STATUS_FR[v.status])}</span>")


def comparison_table(run: PanelRun, variables: Sequence[Variable],
                     names: Sequence[str] | None = None,
                     headers: dict[str, str] | None = None) -> str:
    """Indicators (two rows: 2030, 2050) × scenarios, French numbers; each cell keeps the
    exact value in ``data-value``. ``headers`` gives the column headings as HTML (escaped
    by the caller); default: the escaped labels."""
    names = list(names if names is not None else run.names)
    headers = headers or {}
    res = run.results
    head = "".join(
        f'<th scope="col" data-scenario="{esc(n)}">{headers.get(n, esc(run.labels.get(n, n)))}'
        "</th>" for n in names)
    body = []
    for var in variables:
        nd = decimals(var.unit)
        unit = _unit_html(var.unit)
        for i, year in enumerate(YEARS):
            cells = []
            for n in names:
                x = res.value(var.name, year, n)
                delta = ""
                if n != TREND:
                    ref = res.value(var.name, year, TREND)
                    d = format_change(ref, x, var.unit, nd)
                    delta = (f'<span class="fab-delta">{esc(d)}'
                             f"{judgement_html(var, ref, x)}</span>")
                cells.append(f'<td data-variable="{esc(var.name)}" data-year="{year}" '
                             f'data-scenario="{esc(n)}" data-value="{x!r}">'
                             f"{esc(format_value(x, var.unit, nd))}{delta}</td>")
            label = (f'<th scope="rowgroup" rowspan="2" class="fab-ind">{esc(var.label_fr)}'
                     f"{unit}</th>" if i == 0 else "")
            body.append(f'<tr class="fab-y{year}">{label}<th scope="row" class="fab-year">'
                        f"{year}</th>{''.join(cells)}</tr>")
    return (f'<table class="fab-compare"><thead><tr><th scope="col">Indicateur</th>'
            f'<th scope="col">Année</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def scorecard_table(run: PanelRun, names: Sequence[str] | None = None,
                    headers: dict[str, str] | None = None) -> str:
    """Targets × scenarios: each cell is the status (sign and word, readable without
    colour)."""
    names = list(names if names is not None else run.names)
    headers = headers or {}
    verdicts = {n: evaluate(run.results, n, trend=TREND) for n in names}
    if not names or not verdicts[names[0]]:
        return ""
    head = "".join(f"<th scope=\"col\">{headers.get(n, esc(run.labels.get(n, n)))}</th>"
                   for n in names)
    rows = []
    for i, target in enumerate(v.target for v in verdicts[names[0]]):
        row = [verdicts[n][i] for n in names]
        if all(v.status == "pending" for v in row):  # one cell, not a wall of grey badges
            cells = (f'<td colspan="{len(names)}" class="fab-pending-row">'
                     f"{status_badge(row[0])} <span class=\"fab-unit\">"
                     f"{esc(row[0].explain_fr)}</span></td>")
        else:
            cells = "".join(f'<td data-scenario="{esc(n)}">{status_badge(v)}</td>'
                            for n, v in zip(names, row, strict=True))
        rows.append(f'<tr data-target="{esc(target.id)}"><th scope="row">'
                    f"{esc(target.label_fr)}</th>{cells}</tr>")
    return (f'<table class="fab-scorecard"><thead><tr><th scope="col">Objectif</th>{head}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def short_verdict(s: Spread) -> str:
    """The verdict in a few words, for print: the counts are in the columns beside it."""
    if s.verdict == "peu":
        return "Trop peu d'avis : reste au tendanciel." if s.n else "Aucun futur reçu."
    if s.verdict == "desaccord":
        return "Désaccord."
    return s.sentence_fr


def spread_table(items: Sequence[Spread], with_consensus: bool = False,
                 short: bool = False) -> str:
    """Per lever (its trend under its name): the choices expressed each way and the « pas
    d'avis » apart, the median and range of the choices, the consensus
    (``with_consensus``), the verdict (in a few words when ``short``). Six columns at
    most: it holds on a printed page."""
    rows = []
    for s in items:
        lv = s.lever
        if s.median is not None:
            chosen = (f"médiane {esc(lever_value(lv, s.median))}<br>"
                      f'<span class="fab-unit">{esc(lever_range(lv, s.low, s.high))}</span>')
        else:
            chosen = "—"
        ways = (f'<span class="fab-up" title="à la hausse">↑{NNBSP}{s.up}</span> · '
                f'<span class="fab-down" title="à la baisse">↓{NNBSP}{s.down}</span>')
        rows.append(
            f'<tr data-lever="{esc(lv.id)}" data-verdict="{s.verdict}" data-up="{s.up}" '
            f'data-down="{s.down}" data-no-opinion="{s.no_opinion}">'
            f'<th scope="row">{esc(lv.label_fr)}'
            f'{" <span class=fab-unit>(contexte)</span>" if lv.kind == "context" else ""}'
            f'<br><span class="fab-unit">tendanciel {esc(lever_value(lv, lv.trend))}</span></th>'
            f"<td>{ways}</td><td>{s.no_opinion}</td><td>{chosen}</td>"
            + (f"<td><strong>{esc(lever_value(lv, s.consensus))}</strong></td>"
               if with_consensus else "")
            + f'<td><span class="fab-verdict fab-verdict-{s.verdict}">'
            f"{esc(short_verdict(s) if short else s.sentence_fr)}"
            "</span></td></tr>")
    cons_head = '<th scope="col">Consensus</th>' if with_consensus else ""
    return ('<table class="fab-spread"><thead><tr><th scope="col">Levier</th>'
            '<th scope="col">L\'ont bougé</th>'
            '<th scope="col" title="Laissé à sa valeur tendancielle">Pas d\'avis</th>'
            '<th scope="col">Choix exprimés</th>'
            f'{cons_head}<th scope="col">Verdict</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def agreement_summary(items: Sequence[Spread]) -> str:
    """« Large accord sur : … Avis partagés sur : … Désaccord sur : … » as HTML, each lever
    with the direction the panel moved it."""
    way_fr = {"hausse": "à la hausse", "baisse": "à la baisse"}
    parts = []
    for key, lead in (("accord", "Large accord sur"), ("partage", "Avis partagés sur"),
                      ("desaccord", "Désaccord sur")):
        names = [s.lever.label_fr + (f" ({way_fr[s.way]})" if key != "desaccord" and s.way
                                     else "") for s in items if s.verdict == key]
        if names:
            parts.append(f'<li class="fab-verdict-{key}-line"><strong>{esc(lead)}</strong>'
                         f"\u00a0: {esc(', '.join(names))}.</li>")
    if not parts:
        return ("<p>Trop peu de choix exprimés pour dire où le panel s'accorde : un levier "
                "laissé au tendanciel compte comme « pas d'avis ».</p>")
    few = sum(s.verdict == "peu" for s in items)
    if few:
        parts.append(f'<li class="fab-verdict-peu-line">{few} levier{"s" if few > 1 else ""} '
                     "sans assez d'avis : le consensus les laisse au tendanciel.</li>")
    return f'<ul class="fab-agreement">{"".join(parts)}</ul>'


# -- the report ------------------------------------------------------------------------------

REPORT_CSS = stylesheet("charts", "report")


def _score_summary(res, name: str) -> str:
    """« ✔ 3 atteints · ◐ 2 en partie · ✘ 1 manqué » of a future's targets (escaped HTML)."""
    counts: dict[str, int] = {}
    for v in evaluate(res, name, trend=TREND):
        counts[v.status] = counts.get(v.status, 0) + 1
    words = {"green": ("atteint", "atteints"), "amber": ("en partie", "en partie"),
             "red": ("manqué", "manqués"), "pending": ("à venir", "à venir")}
    return " · ".join(
        f'<span data-status="{k}">{STATUS_SIGN[k]}{NNBSP}{counts[k]} '
        f"{words[k][counts[k] > 1]}</span>" for k in ("green", "amber", "red", "pending")
        if counts.get(k))


def _participant_html(run: PanelRun, sub, registry: LeverRegistry, day) -> str:
    """One future, compact enough for ~15 to a printed page: who, the text in full, the
    levers moved and their values, and how its targets fare (``day``: the session's, in
    Paris). Its figures are in the
    tables and charts above (the band of the futures) and, every one, in the spreadsheet."""
    name = scenario_name(sub)
    values = submission_values(sub, registry)
    choices = [f"{esc(lv.label_fr)} : <strong>{esc(lever_value(lv, values[lv.id]))}</strong>"
               for lv in ordered_levers(registry) if values[lv.id] != lv.trend]
    choices_html = ("; ".join(choices) + "." if choices else "tous les leviers au tendanciel.")
    group = f", groupe {esc(sub.group)}" if sub.group else ""
    # the date only when it is not the session's (the report's heading gives that one)
    when = ("" if paris_time(sub.created).date() == day
            else f", envoyé le {date_fr(sub.created, with_time=False)}")
    return (f'<section class="fab-participant" data-submission="{sub.id}">'
            f"<h3>{esc(sub.pseudonym)} <span class=\"fab-unit\">(n° {sub.id}{group}"
            f"{esc(when)})</span></h3>"
            f'<blockquote class="fab-text">{esc(sub.text)}</blockquote>'
            f'<p class="fab-choices"><span class="fab-lead">Choix :</span> {choices_html} '
            f'<span class="fab-score-line"><span class="fab-lead">Objectifs :</span> '
            f"{_score_summary(run.results, name)}.</span></p></section>")


def _figures_table(run: PanelRun, variables: Sequence[Variable], panel: Sequence[str]) -> str:
    """The indicators as rows; for 2030 and 2050, the trend, the consensus and the range of
    the futures received (each future's own figures are in the spreadsheet): seven columns
    whatever the number of futures, a printed page's width."""
    res = run.results
    rows = []
    for v in variables:
        nd = decimals(v.unit)
        cells = []
        for year in YEARS:
            trend, cons = (res.value(v.name, year, n) for n in (TREND, CONSENSUS))
            own = [res.value(v.name, year, n) for n in panel]
            span = (f"{format_value(min(own), v.unit, nd)} à {format_value(max(own), v.unit, nd)}"
                    if own else "—")
            cells.append(f'<td data-year="{year}">{esc(format_value(trend, v.unit, nd))}</td>'
                         f"<td><strong>{esc(format_value(cons, v.unit, nd))}</strong></td>"
                         f'<td class="fab-span">{esc(span)}</td>')
        rows.append(f'<tr data-variable="{esc(v.name)}"><th scope="row">{esc(v.label_fr)}'
                    f"{_unit_html(v.unit)}</th>{''.join(cells)}</tr>")
    years = "".join(f'<th scope="colgroup" colspan="3" class="fab-year-head">En {y}</th>'
                    for y in YEARS)
    cols = ('<th scope="col">Tendanciel</th><th scope="col">Consensus</th>'
            '<th scope="col">Futurs reçus, de … à …</th>') * len(YEARS)
    return (f'<table class="fab-overview"><thead><tr><td></td>{years}</tr>'
            f'<tr><th scope="col">Indicateur</th>{cols}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def session_report(engine, session, submissions: Sequence, now: datetime | None = None,
                   run: PanelRun | None = None) -> str:
    """The session as one self-contained HTML page (French): title and date, the consensus
    and where the panel agrees or disagrees, the comparison of every future with the trend
    and the consensus, the charts (inline SVG), then each participant's text (escaped) with
    the levers they moved and how their targets fare. Nothing in it is loaded from
    elsewhere. ``run``: :func:`workbench.panel.run_panel` of these submissions, when the
    caller has it already."""
    subs = sorted(submissions, key=lambda s: s.id)
    registry = engine.levers
    variables = app_variables(engine.codelist, engine.variables)
    run = run if run is not None else run_panel(engine, subs)  # the export's own run
    items = spreads(subs, registry)
    now = now or datetime.now(UTC)
    n = len(subs)
    plural = "s" if n > 1 else ""
    count = f"{n} futur{plural} reçu{plural}" if n else "aucun futur reçu"
    title = f"Fabrique 2030 — {session.title}"
    code = share_code(run.consensus, registry)
    changed = [lever_change_item(lv, run.consensus.levers[lv.id])
               for lv in ordered_levers(registry) if run.consensus.levers[lv.id] != lv.trend]
    consensus_changes = (f"<p>Ce qui change par rapport au tendanciel :</p><ul>{''.join(changed)}"
                         "</ul>" if changed else "<p>Le consensus reste au tendanciel.</p>")
    panel = [scenario_name(s) for s in subs]
    charts = "".join(line_chart_svg(run, v, panel) for v in variables if v.app_chart)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{REPORT_CSS}</style></head><body>",
        '<button type="button" class="fab-print" onclick="window.print()">Imprimer</button>',
        f"<header><h1>{esc(title)}</h1>",
        f'<p class="fab-meta">Atelier {esc(session.display_code)}, ouvert le '
        f"{esc(date_fr(session.created))}{'' if session.open else ', clos'}. "
        f"{esc(engine.territory.name)} : {esc(count)}. Rapport établi le {esc(date_fr(now))}.</p>"
        f'<p class="fab-note fab-trend-explained">{esc(french_spacing(TREND_EXPLAINED_FR))}'
        "</p></header>",
        "<h2>Où le panel s'accorde et où il diverge</h2>",
        agreement_summary(items),
        f'<p class="fab-note">{esc(french_spacing(_agreement_note()))}</p>',
        "<h2>Le futur de consensus</h2>",
        f"<p>{esc(french_spacing(_consensus_note()))}</p>",
        consensus_changes,
        f'<p>Code de partage du consensus, à ouvrir dans Atelier 2030 (adresse de l\'atelier '
        f'suivie de <span class="fab-code">?futur=…</span>) : '
        f'<span class="fab-code">{esc(code)}</span></p>',
        "<h2>Les choix du panel, levier par levier</h2>",
        _spread_part(items),
        lever_chart_svg(subs, registry),
        "<h2>Les chiffres des futurs</h2>",
        _scroll(_figures_table(run, variables, panel)),
        chart_legend(),
        f'<div class="fab-charts">{charts}</div>',
        "<h2>Objectifs du territoire</h2>",
        _scroll(scorecard_table(run, [TREND, CONSENSUS])),
        "<h2>Les futurs des participants</h2>",
        '<div class="fab-participants">',
        *(_participant_html(run, s, registry, paris_time(session.created).date())
          for s in subs),
        "</div>",
        "" if subs else "<p>Aucun futur n'a été reçu dans cet atelier.</p>",
        f'<footer><p class="fab-note">Fabrique 2030, modèles version {esc(__version__)}, '
        f"territoire {esc(engine.territory.name)}. Une projection n'est pas une prévision : "
        "elle montre où mèneraient les choix de chaque futur.</p></footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _scroll(table: str) -> str:
    """A table that scrolls sideways in its own box on a phone (a page never does)."""
    return f'<div class="fab-scroll">{table}</div>' if table else ""


def _spread_part(items: Sequence[Spread]) -> str:
    """The table of the levers with a verdict, then the levers too few moved, in one
    sentence with how many moved each (the chart below shows every lever)."""
    said = [s for s in items if s.verdict != "peu"]
    few = [s for s in items if s.verdict == "peu"]
    table = _scroll(spread_table(said, with_consensus=True, short=True)) if said else ""
    if not few:
        return table
    names = ", ".join(f"{s.lever.label_fr} ({s.expressed})" for s in few)
    n = items[0].n if items else 0
    sentence = (f"Restent au tendanciel, trop peu l'ayant bougé (entre parenthèses, combien "
                f"sur {n}) : {names}.")
    return table + f'<p class="fab-few">{esc(french_spacing(sentence))}</p>'


def _agreement_note() -> str:
    return (f"Un levier laissé à sa valeur tendancielle compte comme « pas d'avis » ; les "
            f"autres choix vont « à la hausse » ou « à la baisse ». Il faut au moins "
            f"{MIN_EXPRESSED} choix et {format_number(100 * MIN_EXPRESSED_SHARE)} % des "
            f"futurs pour un verdict. Désaccord : moins de "
            f"{format_number(100 * SAME_WAY_MIN)} % des choix dans le même sens. Large "
            f"accord : un même sens, et la moitié centrale des choix tient dans "
            f"{format_number(100 * AGREE_MAX)} % de la course du curseur ; sinon, avis "
            f"partagés sur l'ampleur.")


def _consensus_note() -> str:
    return ("Chaque levier est placé à la médiane des choix exprimés sur lui (la moitié de "
            "ceux qui l'ont bougé a choisi moins, l'autre moitié plus), arrondie au pas du "
            "curseur ; un levier que trop peu ont bougé reste au tendanciel. Ce futur est "
            "calculé par les modèles comme les autres.")
