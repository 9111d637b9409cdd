"""The phase timer: the facilitator names the phase (« Explorer les leviers »), picks its
length and starts it in the Plénière; the projected page counts down in large figures and
says « Temps écoulé » at the end, and every participant's Atelier shows the same countdown
in a line above the levers.

The store keeps the phase (``Store.start_phase``: its name, length and start), so a
reloaded Plénière finds it running and the participants' pages read it on their beat.
The kernels only say how many seconds are left, once per countdown; each page counts the
seconds itself (the fabrique template's script, on every ``.fab-timer[data-run]``), from
the moment it received them: no message a second through the room's Wi-Fi."""

from __future__ import annotations

import logging

import ipywidgets as W

from ..errors import WorkbenchError
from ..format import french_spacing
from ..text import TextRefused
from ..text import escape as esc
from .base import html_widget, message_html

log = logging.getLogger(__name__)

MINUTES = (3, 5, 10, 15, 20, 30, 45)


def minutes_fr(seconds: int) -> str:
    """``10 min 00 s``, the text the page starts from (the template's script goes on)."""
    return f"{seconds // 60}\u00a0min {seconds % 60:02d}\u00a0s"


def countdown_html(phase) -> str:
    """A :class:`workbench.store.Phase` as the countdown the template's script runs, from
    the seconds left now."""
    left = phase.left()
    title = (f'<div class="fab-timer-name">{esc(french_spacing(phase.name))}</div>'
             if phase.name else "")
    return (f'<div class="fab-timer" data-run="{phase.run}" data-seconds="{left}" '
            f'role="timer" aria-label="Temps restant">{title}'
            f'<div class="fab-timer-left">{minutes_fr(left) if left else "Temps écoulé"}'
            "</div></div>")


class PhaseTimer:
    """The Plénière's part: name, length, « Lancer le minuteur » / « Arrêter », and the
    countdown of the session's phase."""

    def __init__(self, app):
        self.app = app  # the Plénière: its store and session
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
        """Start (or restart) the session's countdown; returns its run number (None, and a
        French message, for a phase name refused or a store that cannot keep it)."""
        session = self.app.session
        if session is None:
            self.display.value = message_html("Ouvrez d'abord un atelier.", ok=False)
            return None
        seconds = 60 * int(minutes if minutes is not None else self.length.value)
        name = phase if phase is not None else self.phase.value
        try:  # the store cleans the name (workbench.text.clean_line) and refuses in French
            found = self.app.store.start_phase(session.code, name, seconds)
        except TextRefused as err:
            self.display.value = message_html(err.message_fr, ok=False)
            return None
        except WorkbenchError as err:
            log.warning("the timer could not be started: %s", err)
            self.display.value = message_html(err.message_fr, ok=False)
            return None
        self.show(found)
        return self.run

    def show(self, phase) -> None:
        """The countdown of ``phase`` (a :class:`workbench.store.Phase`), or nothing."""
        if phase is None or not phase.shown():
            self.run, self.display.value = None, ""
            self.stop_button.disabled = True
            return
        self.run = phase.run
        self.display.value = countdown_html(phase)
        self.stop_button.disabled = False

    def restore(self, session_code: str) -> None:
        """The session's phase as the store has it (after a reload, or another session)."""
        try:
            self.show(self.app.store.phase(session_code))
        except WorkbenchError:
            log.warning("the timer of session %s could not be read", session_code,
                        exc_info=True)
            self.show(None)

    def stop(self) -> None:
        session = self.app.session
        if session is not None:
            try:
                self.app.store.stop_phase(session.code)
            except WorkbenchError as err:
                self.display.value = message_html(err.message_fr, ok=False)
                return
        self.show(None)


class PhaseLine:
    """The Atelier's part: the running phase's countdown in one line above the levers,
    read from the store on the page's beat; nothing when no phase runs."""

    def __init__(self, app):
        self.app = app  # the Atelier: its store and session
        self.widget = html_widget("", "fab-phase-line")
        self.run: int | None = None

    def check(self) -> None:
        code = self.app.session_code
        try:
            phase = self.app.store.phase(code) if code else None
        except WorkbenchError:
            log.info("could not read the timer", exc_info=True)
            return
        run = phase.run if phase is not None and phase.shown() else None
        if run != self.run:  # a new countdown, or the end of one: the page counts the rest
            self.run = run
            self.widget.value = "" if run is None else countdown_html(phase)
