"""The Plénière's projector mode (issue 12, item 6): the projected page shows one view at a
time, each on one 1920×1080 screen, with body text of 28 px; a bar of views lets the
facilitator move through them (a presenter's clicker works too: Page suivante / Page
précédente, the fabrique template's script).

Out of it the page is the facilitator's desk: every part, one after the other, in 20 px
text. The parts are the page's own widgets, each marked with the view it belongs to
(:meth:`Projector.part`); entering a view only changes the classes of the page's root
widget, and ``pleniere.css`` shows that view's parts alone — one small message, no widget
rebuilt or moved.

Two views hold more than one screen could: the panel's choices and their agreement are
shown by pages of :data:`PAGE` levers (« Curseurs 1 à 8 sur 31 »); the list of futures
received scrolls inside its own box, which is what a list of 50 is for."""

from __future__ import annotations

import ipywidgets as W

from ..format import french_spacing
from ..text import escape as esc
from .base import html_widget

VIEWS = (  # (id, the bar's label): the order of the room's session
    ("rejoindre", "Rejoindre"),
    ("futurs", "Futurs reçus"),
    ("comparer", "Comparer"),
    ("objectifs", "Objectifs"),
    ("choix", "Choix du panel"),
    ("accord", "Accord"),
    ("consensus", "Consensus"),
    ("vote", "Vote"),
    ("familles", "Familles"),
)
VIEW_IDS = tuple(v for v, _ in VIEWS)
PAGE = 8  # levers a page of the panel's choices shows on one screen
ON = "fab-projector"


def pages(levers: list, size: int = PAGE) -> list[list]:
    """The levers cut in pages of ``size`` or fewer, balanced (31 levers → 8, 8, 8, 7).

    >>> [len(p) for p in pages(list(range(31)))]
    [8, 8, 8, 7]
    >>> [len(p) for p in pages(list(range(17)))]
    [6, 6, 5]
    """
    if not levers:
        return [[]]
    n = -(-len(levers) // size)
    base, extra = divmod(len(levers), n)
    out, start = [], 0
    for i in range(n):
        end = start + base + (1 if i < extra else 0)
        out.append(levers[start:end])
        start = end
    return out


class Projector:
    """« Mode projecteur »: the bar of views, the page of levers, and the parts' marks."""

    def __init__(self, root: W.Box, levers: list, themes: dict, on_page):
        self.root = root  # the Plénière's widget: its classes say what is shown
        self.levers_pages = pages(levers)
        self.themes = themes
        self.on_page = on_page  # called with the page's levers (None: all of them)
        self.view: str | None = None  # None: out of projector mode
        self.page = 0
        self.enter_button = W.Button(description="Mode projecteur",
                                     tooltip="Une vue à la fois, en grand, pour l'écran "
                                             "de la salle", layout=W.Layout(width="auto"))
        self.enter_button.add_class("fab-projector-enter")
        self.enter_button.on_click(lambda _: self.enter())
        self.nav = W.ToggleButtons(options=[(label, v) for v, label in VIEWS], value=None,
                                   description="", style={"button_width": "auto"})
        self.nav.add_class("fab-projector-nav")
        self.nav.observe(lambda change: change["new"] and self.show(change["new"]), "value")
        self.leave_button = W.Button(description="Quitter le mode projecteur",
                                     layout=W.Layout(width="auto"))
        self.leave_button.add_class("fab-projector-leave")
        self.leave_button.on_click(lambda _: self.leave())
        self.bar = W.HBox([self.nav, self.leave_button],
                          layout=W.Layout(flex_flow="row wrap", align_items="center"))
        self.bar.add_class("fab-projector-bar")
        self.previous = W.Button(description="‹ Précédents",
                                 layout=W.Layout(width="auto"))
        self.next = W.Button(description="Suivants ›", layout=W.Layout(width="auto"))
        for w, css, step in ((self.previous, "fab-page-previous", -1),
                             (self.next, "fab-page-next", 1)):
            w.add_class(css)
            w.on_click(lambda _, step=step: self.turn(step))
        self.page_label = html_widget("", "fab-page-label")
        self.pager = W.HBox([self.previous, self.next, self.page_label],
                            layout=W.Layout(flex_flow="row wrap", align_items="center"))
        self.pager.add_class("fab-pager")  # a part of the views « choix » and « accord »
        self._label()

    # -- the parts ---------------------------------------------------------------------------

    @staticmethod
    def part(widget: W.DOMWidget, *views: str) -> W.DOMWidget:
        """Mark ``widget`` as shown in these views of the projector (none: only out of it)."""
        unknown = set(views) - set(VIEW_IDS)
        if unknown:
            raise ValueError(f"unknown projector views: {sorted(unknown)}")
        widget.add_class("fab-part")
        for v in views:
            widget.add_class(f"fab-in-{v}")
        return widget

    # -- the mode ----------------------------------------------------------------------------

    def enter(self, view: str = VIEW_IDS[0]) -> None:
        """The projector mode, on ``view``."""
        self.show(view)

    def show(self, view: str) -> None:
        """``view`` alone on the screen (entering the projector mode if out of it)."""
        if view not in VIEW_IDS:
            raise ValueError(f"unknown projector view: {view!r}")
        entering = self.view is None
        self.view = view
        classes = [c for c in self.root._dom_classes
                   if c != ON and not c.startswith("fab-show-")]
        self.root._dom_classes = (*classes, ON, f"fab-show-{view}")  # one message
        if self.nav.value != view:
            self.nav.value = view
        if entering:
            self.on_page(self.levers_pages[self.page])

    def shown_levers(self) -> list | None:
        """The page of levers on the projector; ``None`` out of it (all of them)."""
        return None if self.view is None else self.levers_pages[self.page]

    def leave(self) -> None:
        """The desk again: every part, the whole chart."""
        self.root._dom_classes = tuple(c for c in self.root._dom_classes
                                       if c != ON and not c.startswith("fab-show-"))
        self.view = None
        self.nav.value = None
        self.on_page(None)

    def turn(self, step: int) -> None:
        """The next (``1``) or previous (``-1``) page of levers."""
        self.page = (self.page + step) % len(self.levers_pages)
        self._label()
        self.on_page(self.levers_pages[self.page])

    def _label(self) -> None:
        shown = self.levers_pages[self.page]
        first = sum(len(p) for p in self.levers_pages[:self.page]) + 1
        total = sum(len(p) for p in self.levers_pages)
        names = []
        for lv in shown:
            name = self.themes.get(lv.theme, {}).get("fr", lv.theme)
            if name not in names:
                names.append(name)
        self.page_label.value = (
            f'<span data-page="{self.page + 1}">' + esc(french_spacing(
                f"Curseurs {first} à {first + len(shown) - 1} sur {total} : "
                + ", ".join(names))) + "</span>")


__all__ = ["PAGE", "VIEWS", "Projector", "pages"]
