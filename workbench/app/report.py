"""The self-contained HTML report of a workshop session (:func:`session_report`) and the
HTML pieces the Plénière shares with it: the comparison and scorecard tables, the panel's
choices per lever, the agreement summary.

Why this module is over 450 lines: the report's inline SVG charts (the lever chart and the
indicator lines) are drawn here; they are due to move to a module of their own (issue 13).

What the panel's futures say together (consensus, verdicts, who expressed a choice) is
computed in :mod:`workbench.panel`, the same for the page and the report.

The report's charts are inline SVG drawn here, not BokehJS: the file stays small (BokehJS
inline is ~3.8 MB), opens without JavaScript or internet, prints as sharp vectors and reads
in black and white (shapes and dash patterns, not colour alone, tell series apart). It loads
nothing from elsewhere and holds no link to another host. Every text typed by participants
(pseudonym, group, text) and the session title go through :func:`workbench.text.escape`."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from .. import __version__
from ..codelist import Variable, app_variables
from ..format import NNBSP, format_change, format_number, format_value, french_spacing, unit_fr
from ..levers import Lever, LeverRegistry
from ..panel import (
    AGREE_MAX,
    CONSENSUS,
    MIN_EXPRESSED,
    MIN_EXPRESSED_SHARE,
    SAME_WAY_MIN,
    TREND,
    PanelRun,
    Spread,
    ordered_levers,
    panel_values,
    run_panel,
    scenario_name,
    spreads,
    submission_values,
)
from ..plots import OKABE_ITO
from ..scenario import share_code
from ..scorecard import STATUS_FR, evaluate
from ..text import escape as esc
from .styles import stylesheet

log = logging.getLogger("workbench.app.report")

PARIS = ZoneInfo("Europe/Paris")
YEARS = (2030, 2050)
STATUS_SIGN = {"green": "✔", "amber": "◐", "red": "✘", "pending": "…"}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


# -- formatting ------------------------------------------------------------------------------


def decimals(unit: str) -> int:
    """Decimals shown for an indicator, as in Atelier 2030's cards."""
    return 1 if unit == "%" else 2 if unit == "persons/household" else 0


def lever_value(lv: Lever, value: float) -> str:
    """A lever value with its French unit and the step's decimals: ``1,85 enfants par femme``."""
    nd = max(0, -math.floor(math.log10(lv.step))) if lv.step < 1 else 0
    number = format_number(value, nd)
    return f"{number}{NNBSP}%" if lv.unit_fr == "%" else f"{number}\u00a0{lv.unit_fr}"


def lever_change_item(lv: Lever, value: float) -> str:
    """``<li>`` « label : value (tendanciel …) » of a lever moved from its trend (escaped)."""
    return (f"<li>{esc(lv.label_fr)} : <strong>{esc(lever_value(lv, value))}</strong>"
            f' <span class="fab-unit">(tendanciel {esc(lever_value(lv, lv.trend))})</span></li>')


def _unit_html(unit: str) -> str:
    """`` (personnes)`` after an indicator's label; nothing for a percentage."""
    return "" if unit == "%" else f' <span class="fab-unit">({esc(unit_fr(unit))})</span>'


def lever_range(lv: Lever, low: float, high: float) -> str:
    """``de 1,50 à 2,20 enfants par femme``; ``tous : 59 %`` when everyone chose the same."""
    if low == high:
        return f"tous : {lever_value(lv, low)}"
    nd = max(0, -math.floor(math.log10(lv.step))) if lv.step < 1 else 0
    return f"de {format_number(low, nd)} à {lever_value(lv, high)}"


def paris_time(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARIS)


def time_fr(moment: datetime) -> str:
    """``14 h 05`` (Europe/Paris)."""
    t = paris_time(moment)
    return f"{t.hour}\u00a0h\u00a0{t.minute:02d}"


def date_fr(moment: datetime, with_time: bool = True) -> str:
    """``21 novembre 2026 à 14 h 05`` (Europe/Paris)."""
    t = paris_time(moment)
    day = "1er" if t.day == 1 else str(t.day)
    text = f"{day} {MONTHS_FR[t.month - 1]} {t.year}"
    return f"{text} à {time_fr(t)}" if with_time else text


def who(sub) -> str:
    """« pseudonyme (groupe) », unescaped: escape when putting it into HTML."""
    return f"{sub.pseudonym} ({sub.group})" if sub.group else sub.pseudonym


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
                    d = format_change(res.value(var.name, year, TREND), x, var.unit, nd)
                    delta = f'<span class="fab-delta">{esc(d)}</span>'
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


def spread_table(items: Sequence[Spread], with_consensus: bool = False) -> str:
    """Per lever: trend, the choices expressed each way and the « pas d'avis » apart, the
    median and range of the choices, the consensus (``with_consensus``), the verdict."""
    rows = []
    for s in items:
        lv = s.lever
        med = lever_value(lv, s.median) if s.median is not None else "—"
        rng = lever_range(lv, s.low, s.high) if s.low is not None else "—"
        ways = (f'<span class="fab-up" title="à la hausse">↑{NNBSP}{s.up}</span> · '
                f'<span class="fab-down" title="à la baisse">↓{NNBSP}{s.down}</span>')
        rows.append(
            f'<tr data-lever="{esc(lv.id)}" data-verdict="{s.verdict}" data-up="{s.up}" '
            f'data-down="{s.down}" data-no-opinion="{s.no_opinion}">'
            f'<th scope="row">{esc(lv.label_fr)}'
            f'{" <span class=fab-unit>(contexte)</span>" if lv.kind == "context" else ""}</th>'
            f"<td>{esc(lever_value(lv, lv.trend))}</td><td>{ways}</td>"
            f"<td>{s.no_opinion}</td><td>{esc(med)}</td><td>{esc(rng)}</td>"
            + (f"<td><strong>{esc(lever_value(lv, s.consensus))}</strong></td>"
               if with_consensus else "")
            + f'<td><span class="fab-verdict fab-verdict-{s.verdict}">{esc(s.sentence_fr)}'
            "</span></td></tr>")
    cons_head = '<th scope="col">Consensus</th>' if with_consensus else ""
    return ('<table class="fab-spread"><thead><tr><th scope="col">Levier</th>'
            '<th scope="col">Tendanciel</th><th scope="col">L\'ont bougé</th>'
            '<th scope="col" title="Laissé à sa valeur tendancielle">Pas d\'avis</th>'
            '<th scope="col">Médiane des choix</th><th scope="col">Choix de</th>'
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


# -- SVG charts (report) ---------------------------------------------------------------------


def jitter(sub_id: int, width: float) -> float:
    """A stable offset in [−width/2, width/2] from the submission id (golden ratio)."""
    return ((sub_id * 0.6180339887) % 1.0 - 0.5) * width


def lever_chart_svg(subs: Sequence, registry: LeverRegistry) -> str:
    """One row per lever: the slider's range (min and max written at the ends), a hollow
    circle per future, the panel's median (a thick bar) and the trend (a triangle)."""
    levers = ordered_levers(registry)
    values = panel_values(subs, registry) if subs else {}
    med = {s.lever.id: s.median for s in spreads(subs, registry)}
    x0, x1, row, top = 300.0, 740.0, 64.0, 44.0
    height = top + row * len(levers) + 8

    def xpos(lv, v):
        return x0 + (x1 - x0) * (v - lv.min) / (lv.max - lv.min)

    out = [f'<svg class="fab-svg" viewBox="0 0 760 {height:.0f}" role="img" '
           'aria-label="Choix du panel pour chaque levier">',
           # legend
           f'<circle cx="{x0 + 6}" cy="16" r="6" fill="{OKABE_ITO[0]}" fill-opacity="0.25" '
           f'stroke="{OKABE_ITO[0]}" stroke-width="2"/>'
           f'<text x="{x0 + 18}" y="21" class="fab-svg-small">un futur reçu</text>'
           f'<rect x="{x0 + 130}" y="5" width="5" height="22" fill="{OKABE_ITO[1]}"/>'
           f'<text x="{x0 + 142}" y="21" class="fab-svg-small">médiane des choix</text>'
           f'<path d="M{x0 + 290},24 l7,-13 l7,13 z" fill="#ffffff" stroke="#000000" '
           'stroke-width="2"/>'
           f'<text x="{x0 + 310}" y="21" class="fab-svg-small">tendanciel</text>']
    for i, lv in enumerate(levers):
        y = top + row * i + 26
        out.append(f'<text x="0" y="{y + 5:.1f}" class="fab-svg-label">{esc(lv.label_fr)}</text>')
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#777777" '
                   'stroke-width="2"/>')
        for xe in (x0, x1):
            out.append(f'<line x1="{xe}" y1="{y - 6}" x2="{xe}" y2="{y + 6}" stroke="#777777" '
                       'stroke-width="2"/>')
        out.append(f'<text x="{x0}" y="{y + 28}" class="fab-svg-small">'
                   f"{esc(lever_value(lv, lv.min))}</text>")
        out.append(f'<text x="{x1}" y="{y + 28}" text-anchor="end" class="fab-svg-small">'
                   f"{esc(lever_value(lv, lv.max))}</text>")
        xt = xpos(lv, lv.trend)
        out.append(f'<path d="M{xt - 7:.1f},{y + 20} l7,-13 l7,13 z" fill="#ffffff" '
                   f'stroke="#000000" stroke-width="2"><title>Tendanciel : '
                   f"{esc(lever_value(lv, lv.trend))}</title></path>")
        for sub, v in zip(subs, values.get(lv.id, []), strict=False):
            out.append(f'<circle cx="{xpos(lv, v):.1f}" cy="{y + jitter(sub.id, 16):.1f}" '
                       f'r="6" fill="{OKABE_ITO[0]}" fill-opacity="0.25" '
                       f'stroke="{OKABE_ITO[0]}" stroke-width="2"><title>'
                       f"{esc(who(sub))} : {esc(lever_value(lv, v))}</title></circle>")
        if med.get(lv.id) is not None:
            xm = xpos(lv, med[lv.id])
            out.append(f'<rect x="{xm - 2.5:.1f}" y="{y - 15}" width="5" height="30" '
                       f'fill="{OKABE_ITO[1]}"><title>Médiane des choix exprimés : '
                       f"{esc(lever_value(lv, med[lv.id]))}</title></rect>")
    out.append("</svg>")
    return "".join(out)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 10))
        t += step
    return ticks


def line_chart_svg(run: PanelRun, var: Variable, panel: Sequence[str]) -> str:
    """A variable from 2021 to 2050: the range of the panel's futures (grey band), the
    trend (dashed) and the consensus (solid, thick)."""
    res = run.results
    years = np.asarray(res.years, dtype=float)
    trend = res.data[var.name][res._row(TREND)]
    cons = res.data[var.name][res._row(CONSENSUS)]
    rows = [res._row(n) for n in panel]
    band = res.data[var.name][rows] if rows else None
    allv = np.concatenate([trend, cons] + ([band.ravel()] if band is not None else []))
    lo, hi = float(allv.min()), float(allv.max())
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    ticks = _nice_ticks(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad)
    ylo, yhi = ticks[0], ticks[-1]
    w, h, left, right, topm, bottom = 460.0, 250.0, 70.0, 12.0, 34.0, 28.0

    def px(year):
        return left + (w - left - right) * (year - years[0]) / (years[-1] - years[0])

    def py(v):
        return topm + (h - topm - bottom) * (1 - (v - ylo) / (yhi - ylo))

    nd = decimals(var.unit)
    tick_nd = nd if var.unit in ("%", "persons/household") else 0
    out = [f'<svg class="fab-svg fab-line" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
           f'aria-label="{esc(var.label_fr)}">',
           f'<text x="0" y="16" class="fab-svg-title">{esc(var.label_fr)}'
           f'{"" if var.unit == "%" else " (" + esc(unit_fr(var.unit)) + ")"}</text>']
    for t in ticks:
        y = py(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}" '
                   'stroke="#dddddd" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'class="fab-svg-small">{esc(format_number(t, tick_nd))}</text>')
    for yr, anchor in ((2021, "start"), (2030, "middle"), (2040, "middle"), (2050, "end")):
        out.append(f'<text x="{px(yr):.1f}" y="{h - 8}" text-anchor="{anchor}" '
                   f'class="fab-svg-small">{yr}</text>')
    out.append(f'<line x1="{px(2030):.1f}" y1="{topm}" x2="{px(2030):.1f}" y2="{h - bottom}" '
               'stroke="#999999" stroke-dasharray="2 3"/>')
    if band is not None:
        upper, lower = band.max(axis=0), band.min(axis=0)
        pts = [f"{px(x):.1f},{py(v):.1f}" for x, v in zip(years, upper, strict=True)]
        pts += [f"{px(x):.1f},{py(v):.1f}" for x, v in zip(years[::-1], lower[::-1],
                                                            strict=True)]
        out.append(f'<polygon points="{" ".join(pts)}" fill="#bbbbbb" fill-opacity="0.55" '
                   'stroke="none"/>')

    def path(vals):
        return " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(years, vals, strict=True))

    out.append(f'<polyline points="{path(trend)}" fill="none" stroke="#000000" '
               'stroke-width="2" stroke-dasharray="7 5"/>')
    out.append(f'<polyline points="{path(cons)}" fill="none" stroke="{OKABE_ITO[1]}" '
               'stroke-width="3.5"/>')
    out.append("</svg>")
    return "".join(out)


def chart_legend() -> str:
    return ('<p class="fab-legend"><span class="fab-key fab-key-band"></span> étendue des '
            'futurs reçus <span class="fab-key fab-key-trend"></span> tendanciel '
            '<span class="fab-key fab-key-cons"></span> consensus du panel</p>')


# -- the report ------------------------------------------------------------------------------

REPORT_CSS = stylesheet("report")


def _participant_html(run: PanelRun, sub, variables: Sequence[Variable],
                      registry: LeverRegistry) -> str:
    name = scenario_name(sub)
    res = run.results
    rows = []
    for var in variables:
        nd = decimals(var.unit)
        v30, v50 = (res.value(var.name, y, name) for y in YEARS)
        t30 = res.value(var.name, 2030, TREND)
        unit = _unit_html(var.unit)
        rows.append(f'<tr><th scope="row">{esc(var.label_fr)}{unit}</th>'
                    f"<td>{esc(format_value(v30, var.unit, nd))}</td>"
                    f"<td>{esc(format_value(v50, var.unit, nd))}</td>"
                    f"<td>{esc(format_change(t30, v30, var.unit, nd))}</td></tr>")
    values = submission_values(sub, registry)
    choices = [lever_change_item(lv, values[lv.id]) for lv in ordered_levers(registry)
               if values[lv.id] != lv.trend]
    choices_html = (f"<ul>{''.join(choices)}</ul>" if choices
                    else "<p>Tous les leviers au tendanciel.</p>")
    score = "".join(f"<li>{status_badge(v)} {esc(v.target.label_fr)}</li>"
                    for v in evaluate(res, name, trend=TREND))
    group = f", groupe {esc(sub.group)}" if sub.group else ""
    return (f'<section class="fab-participant" data-submission="{sub.id}">'
            f"<h3>{esc(sub.pseudonym)} <span class=\"fab-unit\">(n° {sub.id}{group})</span></h3>"
            f'<p class="fab-meta">Envoyé le {esc(date_fr(sub.created))}. Code de partage : '
            f'<span class="fab-code">{esc(sub.share_code)}</span></p>'
            f'<blockquote class="fab-text">{esc(sub.text)}</blockquote>'
            f"<h4>Ses choix</h4>{choices_html}"
            '<h4>Chiffres clés</h4><table><thead><tr><th scope="col">Indicateur</th>'
            '<th scope="col">2030</th><th scope="col">2050</th>'
            '<th scope="col">2030 par rapport au tendanciel</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<h4>Objectifs du territoire</h4><ul class="fab-score">{score}</ul></section>')


def _overview_tables(run: PanelRun, variables: Sequence[Variable]) -> str:
    """Scenarios as rows, indicators as columns, one table per year (fits a printed page)."""
    res = run.results
    out = []
    for year in YEARS:
        head = "".join(
            f'<th scope="col">{esc(v.label_fr)}{_unit_html(v.unit)}</th>' for v in variables)
        rows = []
        for n in run.names:
            cells = "".join(
                f'<td data-variable="{esc(v.name)}">'
                f"{esc(format_value(res.value(v.name, year, n), v.unit, decimals(v.unit)))}</td>"
                for v in variables)
            rows.append(f'<tr data-scenario="{esc(n)}"><th scope="row">'
                        f"{esc(run.labels.get(n, n))}</th>{cells}</tr>")
        out.append(f'<table class="fab-overview"><caption><strong>En {year}</strong></caption>'
                   f'<thead><tr><th scope="col">Futur</th>{head}</tr></thead>'
                   f"<tbody>{''.join(rows)}</tbody></table>")
    return "".join(out)


def session_report(engine, session, submissions: Sequence, now: datetime | None = None) -> str:
    """The session as one self-contained HTML page (French): title and date, the consensus
    and where the panel agrees or disagrees, the comparison of every future with the trend
    and the consensus, the charts (inline SVG), then each participant's text (escaped) with
    their key figures and target scorecard. Nothing in it is loaded from elsewhere."""
    subs = sorted(submissions, key=lambda s: s.id)
    registry = engine.levers
    variables = app_variables(engine.codelist, engine.variables)
    run = run_panel(engine, subs)
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
    charts = "".join(line_chart_svg(run, v, [scenario_name(s) for s in subs])
                     for v in variables if v.app_chart)
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
        "</header>",
        "<h2>Où le panel s'accorde et où il diverge</h2>",
        agreement_summary(items),
        f'<p class="fab-note">{esc(french_spacing(_agreement_note()))}</p>',
        lever_chart_svg(subs, registry),
        "<h2>Le futur de consensus</h2>",
        f"<p>{esc(french_spacing(_consensus_note()))}</p>",
        consensus_changes,
        spread_table(items, with_consensus=True),
        f'<p>Code de partage du consensus, à ouvrir dans Atelier 2030 (adresse de l\'atelier '
        f'suivie de <span class="fab-code">?futur=…</span>) : '
        f'<span class="fab-code">{esc(code)}</span></p>',
        "<h2>Comparaison des futurs</h2>",
        _overview_tables(run, variables),
        chart_legend(),
        f'<div class="fab-charts">{charts}</div>',
        "<h2>Objectifs du territoire</h2>",
        scorecard_table(run, [TREND, CONSENSUS]),
        "<h2>Les futurs des participants</h2>",
        *(_participant_html(run, s, variables, registry) for s in subs),
        "" if subs else "<p>Aucun futur n'a été reçu dans cet atelier.</p>",
        f'<footer><p class="fab-note">Fabrique 2030, modèles version {esc(__version__)}, '
        f"territoire {esc(engine.territory.name)}. Une projection n'est pas une prévision : "
        "elle montre où mèneraient les choix de chaque futur.</p></footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


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
