"""The report's charts, drawn as inline SVG: the panel's choices on every lever
(:func:`lever_chart_svg`) and an indicator from 2021 to 2050 (:func:`line_chart_svg`).

Inline SVG, not BokehJS: the report stays small (BokehJS inline is ~3.8 MB), opens without
JavaScript or internet, prints as sharp vectors and reads in black and white (shapes and
dash patterns, not colour alone, tell series apart). Every axis holds every series drawn
and starts at zero for a quantity that is never negative (tests/test_report.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..codelist import Variable
from ..format import decimals, format_number, lever_range, lever_value, unit_fr, who
from ..levers import LeverRegistry
from ..panel import CONSENSUS, TREND, PanelRun, ordered_levers, panel_values, spreads
from ..plots import OKABE_ITO, jitter
from ..scorecard import target_levels
from ..text import escape as esc


def lever_chart_svg(subs: Sequence, registry: LeverRegistry) -> str:
    """One row per lever: the slider's range (min and max written at the ends), a hollow
    circle per future, the panel's median (a thick bar) and the trend (a triangle)."""
    levers = ordered_levers(registry)
    values = panel_values(subs, registry) if subs else {}
    med = {s.lever.id: s.median for s in spreads(subs, registry)}
    # 28 px a lever in a 900 px wide drawing (each lever's range under its name): 31
    # levers print in 17 cm of an A4 page
    x0, x1, row, top = 330.0, 890.0, 28.0, 40.0
    height = top + row * len(levers) + 8

    def xpos(lv, v):
        return x0 + (x1 - x0) * (v - lv.min) / (lv.max - lv.min)

    out = [f'<svg class="fab-svg fab-levers-svg" viewBox="0 0 900 {height:.0f}" role="img" '
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
        y = top + row * i + 12
        fit = (f' textLength="{x0 - 12:.0f}" lengthAdjust="spacingAndGlyphs"'
               if len(lv.label_fr) > 38 else "")  # a long name kept clear of the track
        out.append(f'<text x="0" y="{y - 1:.1f}" class="fab-svg-label"{fit}>'
                   f"{esc(lv.label_fr)}</text>")
        out.append(f'<text x="0" y="{y + 11:.1f}" class="fab-svg-small">'
                   f"{esc(lever_range(lv, lv.min, lv.max))}</text>")
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#777777" '
                   'stroke-width="2"/>')
        for xe in (x0, x1):
            out.append(f'<line x1="{xe}" y1="{y - 6}" x2="{xe}" y2="{y + 6}" stroke="#777777" '
                       'stroke-width="2"/>')
        xt = xpos(lv, lv.trend)
        out.append(f'<path d="M{xt - 5:.1f},{y + 13} l5,-9 l5,9 z" fill="#ffffff" '
                   f'stroke="#000000" stroke-width="2"><title>Tendanciel : '
                   f"{esc(lever_value(lv, lv.trend))}</title></path>")
        for sub, v in zip(subs, values.get(lv.id, []), strict=False):
            out.append(f'<circle cx="{xpos(lv, v):.1f}" cy="{y + jitter(sub.id, 10):.1f}" '
                       f'r="5" fill="{OKABE_ITO[0]}" fill-opacity="0.25" '
                       f'stroke="{OKABE_ITO[0]}" stroke-width="2"><title>'
                       f"{esc(who(sub))} : {esc(lever_value(lv, v))}</title></circle>")
        if med.get(lv.id) is not None:
            xm = xpos(lv, med[lv.id])
            out.append(f'<rect x="{xm - 2.5:.1f}" y="{y - 12}" width="5" height="24" '
                       f'fill="{OKABE_ITO[1]}"><title>Médiane des choix exprimés : '
                       f"{esc(lever_value(lv, med[lv.id]))}</title></rect>")
    out.append("</svg>")
    return "".join(out)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round ticks from at or below ``lo`` to at or above ``hi``: the axis holds both."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start, stop = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(start, stop + 1)]


#: the thick lines of a chart, told apart by colour and by dash pattern (black and white)
LINE_STYLES = ((OKABE_ITO[1], ""), (OKABE_ITO[4], "10 4"), (OKABE_ITO[2], "3 3"),
               (OKABE_ITO[6], "12 4 3 4"))


def line_chart_svg(run: PanelRun, var: Variable, panel: Sequence[str],
                   main: str | Sequence[str] = CONSENSUS) -> str:
    """A variable from 2021 to 2050: the range of the ``panel``'s futures (grey band), the
    trend (dashed), ``main`` (thick: the consensus, one future in a spotlight, or up to four
    futures compared, each its colour and dash, :data:`LINE_STYLES`) and the territory's
    targets on it (a diamond at the target's year, :func:`workbench.scorecard.target_levels`)."""
    res = run.results
    years = np.asarray(res.years, dtype=float)
    trend = res.data[var.name][res._row(TREND)]
    mains = [main] if isinstance(main, str) else list(main)[:len(LINE_STYLES)]
    lines = [res.data[var.name][res._row(n)] for n in mains]
    rows = [res._row(n) for n in panel]
    band = res.data[var.name][rows] if rows else None
    targets = target_levels(res, var.name, TREND)
    allv = np.concatenate([trend, *lines, [level for _, level in targets]]
                          + ([band.ravel()] if band is not None else []))
    lo, hi = float(allv.min()), float(allv.max())
    # an honest axis: from zero for a quantity that is never negative, and up to a round
    # tick at or above the highest value drawn (every series inside the frame)
    ticks = _nice_ticks(0.0 if lo >= 0 else lo, hi if hi > 0 else 0.0)
    ylo, yhi = ticks[0], ticks[-1]
    w, h, left, right, topm, bottom = 460.0, 210.0, 70.0, 12.0, 30.0, 26.0

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
    for vals, name, (colour, dash) in zip(lines, mains, LINE_STYLES, strict=False):
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{path(vals)}" fill="none" stroke="{colour}" '
                   f'stroke-width="3.5"{dashes}><title>{esc(name)}</title></polyline>')
    for target, level in targets:  # the territory's target: a black diamond at its year
        x, y = px(target.year), py(level)
        out.append(f'<path class="fab-target" d="M{x:.1f},{y - 7:.1f} l7,7 l-7,7 l-7,-7 z" '
                   f'fill="#000000"><title>{esc(target.label_fr)}</title></path>'
                   f'<text x="{x - 10:.1f}" y="{y - 8:.1f}" text-anchor="end" '
                   f'class="fab-svg-small">objectif {target.year}</text>')
    out.append("</svg>")
    return "".join(out)


def lines_legend(labels: Sequence[str]) -> str:
    """The legend of a chart of several futures, labels escaped here (its keys' colours and
    dashes, ``.fab-line-N`` in charts.css, are :data:`LINE_STYLES`)."""
    keys = "".join(f'<span class="fab-key-line fab-line-{i}"></span> {esc(label)} '
                   for i, label in enumerate(labels[:len(LINE_STYLES)]))
    return (f'<p class="fab-legend">{keys}<span class="fab-key fab-key-trend"></span> '
            "tendanciel <span class=\"fab-key-target\">◆</span> objectif du territoire</p>")


def chart_legend() -> str:
    return ('<p class="fab-legend"><span class="fab-key fab-key-band"></span> étendue des '
            'futurs reçus <span class="fab-key fab-key-trend"></span> tendanciel '
            '<span class="fab-key fab-key-cons"></span> consensus du panel '
            '<span class="fab-key-target">◆</span> objectif du territoire</p>')
