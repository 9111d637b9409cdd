"""The report's pieces on their own: every chart's axes hold every series it draws, the
figures table keeps seven columns whatever the number of futures, and each future's entry
says what it chose. The whole report printed by Chromium: tests/browser/test_report_print.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from workbench.app.report import _figures_table, _participant_html
from workbench.app.svg_charts import lever_chart_svg, line_chart_svg
from workbench.codelist import app_variables
from workbench.format import paris_time
from workbench.panel import TREND, run_panel, scenario_name
from workbench.scorecard import target_levels
from workbench.store import Submission

MOMENT = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def _sub(i, registry, **levers):
    values = registry.trend_values()
    values.update(levers)
    return Submission(id=i, session_code="ABCDEF", pseudonym=f"P{i}", group="", levers=values,
                      text="Un futur.", share_code="F1x", model_version="0", territory="x",
                      created=MOMENT)


@pytest.fixture(scope="module")
def extremes(engine):
    """Two futures at every lever's ends, one at the trend: the widest band there is."""
    registry = engine.levers
    low = {k: registry[k].min for k in registry}
    high = {k: registry[k].max for k in registry}
    subs = [_sub(1, registry, **low), _sub(2, registry, **high), _sub(3, registry)]
    return subs, run_panel(engine, subs)


def _points(svg: str) -> list[tuple[float, float]]:
    out = []
    for attr in re.findall(r'points="([^"]+)"', svg):
        out += [tuple(map(float, p.split(","))) for p in attr.split()]
    return out


def test_every_chart_holds_every_series_it_draws(engine, extremes):
    subs, run = extremes
    charts = [v for v in app_variables(engine.codelist, engine.variables) if v.app_chart]
    assert charts
    targeted = 0
    for var in charts:
        svg = line_chart_svg(run, var, [scenario_name(s) for s in subs])
        w, h = map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
        # the frame: between the top and bottom grid lines, left and right of the axis
        grid = [float(y) for y in re.findall(r'<line x1="[^"]+" y1="([^"]+)" x2="[^"]+" '
                                               r'y2="\1" stroke="#dddddd"', svg)]
        top, bottom = min(grid), max(grid)
        pts = _points(svg)
        assert len(pts) > 3 * 30, var.name  # the band, the trend and the consensus
        assert all(top - 0.05 <= y <= bottom + 0.05 for _, y in pts), var.name
        assert all(0 <= x <= w for x, _ in pts), var.name
        # the territory's targets on it, drawn inside the frame too (a diamond 14 px tall)
        diamonds = [float(y) for y in re.findall(r'class="fab-target" d="M[^,]+,([^ ]+) ', svg)]
        assert len(diamonds) == len(target_levels(run.results, var.name, TREND)), var.name
        assert all(top - 0.05 <= y + 7 <= bottom + 0.05 for y in diamonds), var.name
        targeted += len(diamonds)
        # and the axis starts at zero whenever every value is positive
        values = run.results.data[var.name]
        if values.min() >= 0:
            assert re.search(r'text-anchor="end" class="fab-svg-small">0</text>', svg), var.name
    assert targeted >= 1  # the TEPOS target on the final energy chart


def test_every_future_sits_on_its_lever_s_track(engine, extremes):
    subs, _ = extremes
    svg = lever_chart_svg(subs, engine.levers)
    xs = [float(x) for x in re.findall(r'<circle cx="([^"]+)" cy=', svg)][1:]  # 1: legend
    assert len(xs) == 3 * len(engine.levers)
    tracks = re.findall(r'<line x1="([^"]+)" y1="([^"]+)" x2="([^"]+)" y2="\2" '
                        r'stroke="#777777"', svg)
    x0, x1 = float(tracks[0][0]), float(tracks[0][2])
    assert all(x0 - 0.05 <= x <= x1 + 0.05 for x in xs)
    assert min(xs) == pytest.approx(x0) and max(xs) == pytest.approx(x1)


@pytest.mark.parametrize("n", [0, 1, 12])
def test_the_figures_table_keeps_seven_columns_whatever_the_futures(engine, n):
    registry = engine.levers
    subs = [_sub(i + 1, registry, fertility=registry["fertility"].min + 0.05 * i)
            for i in range(n)]
    run = run_panel(engine, subs)
    variables = app_variables(engine.codelist, engine.variables)
    table = _figures_table(run, variables, [scenario_name(s) for s in subs])
    body = re.search(r"<tbody>(.*)</tbody>", table).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    assert len(rows) == len(variables)
    assert all(len(re.findall(r"<t[hd][ >]", r)) == 7 for r in rows)
    if n > 1:  # the range spans the futures' lowest and highest population
        pops = [run.results.value("Population", 2030, scenario_name(s)) for s in subs]
        assert pops[0] != pops[-1]
        row = next(r for r in rows if "Population" in r)
        assert " à " in re.findall(r'<td class="fab-span">([^<]+)</td>', row)[0]


def test_a_future_s_entry_says_what_it_chose_and_when(engine):
    registry = engine.levers
    sub = _sub(7, registry, fertility=registry["fertility"].max)
    run = run_panel(engine, [sub])
    same_day = _participant_html(run, sub, registry, paris_time(MOMENT).date())
    entry = _participant_html(run, sub, registry, datetime(2027, 1, 1).date())
    assert registry["fertility"].label_fr in entry and "Un futur." in entry
    assert "Objectifs :" in entry
    assert "(n° 7, envoyé le 28 mars 2027)" in entry  # another day than the session's
    assert "(n° 7)" in same_day and "envoyé" not in same_day  # the heading gives the day
