"""The Plénière's phase timer: the facilitator names the phase (« Explorer les leviers »),
picks its length and starts it; the projected page counts down in large figures and says
« Temps écoulé » at the end.

The kernel only says how long, once, at the start; the page counts the seconds itself
(the fabrique template's script, on every ``.fab-timer[data-run]``), from the moment it
received the start: no message a second through the room's Wi-Fi, and no dependence on
the facilitator's clock agreeing with the server's."""

from __future__ import annotations

from itertools import count

import ipywidgets as W

from ..format import french_spacing
from ..text import TextRefused, clean_line
from ..text import escape as esc
from .base import html_widget, message_html

MINUTES = (3, 5, 10, 15, 20, 30, 45)
MAX_PHASE = 80  # characters of a phase's name
_runs = count(1)


def minutes_fr(seconds: int) -> str:
    """``10 min 00 s``, the text the page starts from (the template's script goes on)."""
    return f"{seconds // 60}\u00a0min {seconds % 60:02d}\u00a0s"


class PhaseTimer:
    """Name, length, « Lancer le minuteur » / « Arrêter », and the countdown."""

    def __init__(self):
        self.phase = W.Text(placeholder="Phase (ex. Explorer les leviers)",
                            layout=W.Layout(width="auto", flex="2 1 16rem"))
        self.phase.add_class("fab-timer-phase")
        self.length = W.Dropdown(options=[(f"{m} min", m) for m in MINUTES], value=10,
                                 description="Durée", layout=W.Layout(width="auto"))
        self.length.add_class("fab-timer-length")
        self.start_button = W.Button(description="Lancer le minuteur", button_style="primary",
                                     layout=W.Layout(width="auto"))
        self.start_button.add_class("fab-timer-start")
        self.start_button.on_click(lambda _: self.start())
        self.stop_button = W.Button(description="Arrêter", layout=W.Layout(width="auto"),
                                    disabled=True)
        self.stop_button.add_class("fab-timer-stop")
        self.stop_button.on_click(lambda _: self.stop())
        self.display = html_widget("", "fab-timer-box")
        self.widget = W.VBox([W.HBox([self.phase, self.length, self.start_button,
                                      self.stop_button], layout=W.Layout(flex_flow="row wrap")),
                              self.display])
        self.widget.add_class("fab-timer-control")
        self.run: int | None = None  # the current countdown's number, None when stopped

    def start(self, minutes: int | None = None, phase: str | None = None) -> int | None:
        """Start (or restart) the countdown; returns its run number (None, and a French
        message, for a phase name the page refuses)."""
        seconds = 60 * int(minutes if minutes is not None else self.length.value)
        try:
            name = clean_line(phase if phase is not None else self.phase.value,
                              "Le nom de la phase", MAX_PHASE, min_len=0)
        except TextRefused as err:
            self.display.value = message_html(err.message_fr, ok=False)
            return None
        self.run = next(_runs)
        title = (f'<div class="fab-timer-name">{esc(french_spacing(name))}</div>'
                 if name else "")
        self.display.value = (
            f'<div class="fab-timer" data-run="{self.run}" data-seconds="{seconds}" '
            f'role="timer" aria-label="Temps restant">{title}'
            f'<div class="fab-timer-left">{minutes_fr(seconds)}</div></div>')
        self.stop_button.disabled = False
        return self.run

    def stop(self) -> None:
        self.run = None
        self.display.value = ""
        self.stop_button.disabled = True
