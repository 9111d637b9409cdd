"""« Les choix du panel », the Plénière's Bokeh chart: one line per lever from its minimum
to its maximum, the trend (a white triangle), every future received (a dot, jittered so
that equal choices stay visible, its pseudonym on hover) and the median of the choices
expressed (an orange bar). The numbers come from :mod:`workbench.panel`; this module only
draws them.

The projector shows it by pages (:mod:`workbench.app.projector`): :meth:`LeverChart.window`
narrows the chart to a page's levers, with larger labels, and gives it back whole."""

from __future__ import annotations

import ipywidgets as W

from ..format import lever_value, who
from ..panel import panel_values
from ..plots import OKABE_ITO, jitter
from .sharing import own_layout

ROW = 80  # px per lever
FRAME = 110  # px for the legend and the margins
# text sizes at the desk (False) and on the projector (True)
LABELS_PX = {False: "17px", True: "24px"}  # the levers' names
ENDS_PX = {False: "15px", True: "20px"}  # a slider's minimum and maximum
LEGEND_PX = {False: "16px", True: "22px"}


class LeverChart:
    """The chart and its Jupyter widget (``widget``), for these levers in this order."""

    def __init__(self, levers: list):
        from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, Range1d
        from bokeh.plotting import figure
        from jupyter_bokeh.widgets import BokehModel

        self.levers = levers
        n = len(levers)
        self.ys = [n - 1 - i for i in range(n)]
        fig = figure(height=FRAME + ROW * n, sizing_mode="stretch_width", tools=[],
                     toolbar_location=None, x_range=Range1d(-0.03, 1.03),
                     y_range=Range1d(-0.7, n - 0.4))
        fig.toolbar.logo = None
        fig.xaxis.visible = False
        fig.xgrid.visible = fig.ygrid.visible = False
        fig.outline_line_color = None
        fig.yaxis.ticker = FixedTicker(ticks=self.ys)
        fig.yaxis.major_label_overrides = {y: lv.label_fr for y, lv in zip(self.ys, levers,
                                                                           strict=True)}
        fig.yaxis.major_label_text_font_size = LABELS_PX[False]
        fig.yaxis.major_label_text_color = "#1b2430"
        fig.yaxis.axis_line_color = fig.yaxis.major_tick_line_color = None
        fig.yaxis.minor_tick_line_color = None
        fig.segment(x0=[0] * n, y0=self.ys, x1=[1] * n, y1=self.ys, line_color="#8a94a3",
                    line_width=3)
        ends = {"y": [y + 0.34 for y in self.ys]}
        self.ends = []
        for x, align, attr in ((0, "left", "min"), (1, "right", "max")):
            src = ColumnDataSource({**ends, "x": [x] * n,
                                    "text": [lever_value(lv, getattr(lv, attr))
                                             for lv in levers]})
            self.ends.append(fig.text("x", "y", "text", source=src, text_align=align,
                                      text_baseline="middle", text_font_size=ENDS_PX[False],
                                      text_color="#4a5566"))
        self.trend = ColumnDataSource({
            "x": [self._x(lv, lv.trend) for lv in levers],
            "y": [y - 0.3 for y in self.ys],
            "value": [lever_value(lv, lv.trend) for lv in levers]}, name="trend")
        fig.scatter("x", "y", source=self.trend, marker="triangle", size=18,
                    fill_color="#ffffff", line_color="#000000", line_width=2.5,
                    legend_label="Tendanciel")
        self.median = ColumnDataSource({"x": [], "y": [], "value": []}, name="median")
        fig.rect("x", "y", width=7, width_units="screen", height=0.62, source=self.median,
                 fill_color=OKABE_ITO[1], line_color=None, legend_label="Médiane des choix")
        self.dots = ColumnDataSource({"x": [], "y": [], "who": [], "value": []}, name="dots")
        dots = fig.scatter("x", "y", source=self.dots, size=16, fill_color=OKABE_ITO[0],
                           fill_alpha=0.3, line_color=OKABE_ITO[0], line_width=2.5,
                           legend_label="Un futur reçu")
        fig.add_tools(HoverTool(renderers=[dots], description="Afficher le futur",
                                tooltips=[("", "@who"), ("Choix", "@value")]))
        legend = fig.legend[0]
        legend.orientation = "horizontal"
        legend.label_text_font_size = LEGEND_PX[False]
        legend.border_line_color = None
        fig.add_layout(legend, "above")
        self.figure = fig
        # its own layout: the projector changes its height
        self.widget = own_layout(BokehModel(fig, layout=W.Layout(
            width="100%", min_height=f"{fig.height}px")))
        self.widget.add_class("fab-panel-chart")

    @staticmethod
    def _x(lever, value: float) -> float:
        return (value - lever.min) / (lever.max - lever.min)

    def update(self, subs: list, registry, items: list) -> None:
        """Every future's dot and, from ``items`` (:func:`workbench.panel.spreads`, in the
        chart's order), the medians of the choices expressed."""
        values = panel_values(subs, registry) if subs else {}
        dots = {"x": [], "y": [], "who": [], "value": []}
        median = {"x": [], "y": [], "value": []}
        for lv, item, y in zip(self.levers, items, self.ys, strict=True):
            for s, v in zip(subs, values.get(lv.id, []), strict=False):
                dots["x"].append(self._x(lv, v))
                dots["y"].append(y + jitter(s.id, 0.36))
                dots["who"].append(who(s))
                dots["value"].append(lever_value(lv, v))
            if item.median is not None:
                median["x"].append(self._x(lv, item.median))
                median["y"].append(y)
                median["value"].append(lever_value(lv, item.median))
        self.dots.data = dots  # one assignment per source (one PATCH-DOC each)
        self.median.data = median

    def window(self, shown: list | None) -> None:
        """Only these levers (consecutive in the chart's order), in larger labels; ``None``:
        all of them, as at the desk."""
        fig, rows = self.figure, shown or self.levers
        at = [self.ys[self.levers.index(lv)] for lv in rows]
        # down to the lowest lever's dots, not the next one's labels (at -0.66)
        fig.y_range.start = min(at) - (0.7 if rows[-1] is self.levers[-1] else 0.56)
        fig.y_range.end = max(at) + 0.6
        fig.height = FRAME + ROW * len(rows)
        big = shown is not None
        fig.yaxis.major_label_text_font_size = LABELS_PX[big]
        fig.legend[0].label_text_font_size = LEGEND_PX[big]
        for r in self.ends:
            r.glyph.text_font_size = ENDS_PX[big]
        self.widget.layout.min_height = f"{fig.height}px"
