"""The vote on the consensus (issue 12, item 4), in both apps.

The Plénière puts the panel's consensus to the vote (:class:`BallotControl`): the store
keeps its share code and the themes it moves (``Store.open_ballot``). Each participant's
Atelier sees the open vote on its next beat (:class:`VoteBox`) and shows, theme by theme,
what the consensus changes and three choices: « D'accord », « Pas d'accord », « À
discuter ». A choice is stored at once, under the participant's identity in the session
(``workbench.identity.participant_id``, the one that makes one future per person): one
choice per person and theme, which they may change while the vote is open. The Plénière
tallies them live in plain French (``workbench.panel.tally``).
"""

from __future__ import annotations

import logging

import ipywidgets as W

from ..errors import WorkbenchError
from ..format import french_spacing
from ..panel import CHOICE_FR, ballot_themes, moved_levers, tally
from ..scenario import scenario_from_code, share_code
from ..text import escape as esc
from .base import html_widget, message_html
from .report import lever_change_item

log = logging.getLogger(__name__)
HIDDEN = "fab-vote-hidden"

VOTE_HELP = ("L'animateur soumet au vote le futur de consensus du panel. Pour chaque thème, "
             "dites si vous êtes d'accord avec ce qu'il change ; vous pouvez changer d'avis "
             "tant que le vote est ouvert.")




class VoteBox:
    """The Atelier's part: hidden until the participant's session has an open vote."""

    def __init__(self, app):
        self.app = app  # the Atelier: its store, session, participant and registry
        self.share_code = ""  # the consensus shown, "" when no vote is shown
        self.opened = None  # when the vote shown was opened: a vote opened again is redrawn
        self.choices: dict[str, W.RadioButtons] = {}
        self.messages: dict[str, W.HTML] = {}
        self.rows = W.VBox([])
        self.state = html_widget()  # « le vote est clos » once the facilitator closes it
        # shown and hidden by a class, so that its layout stays shared (sharing.py)
        self.widget = W.VBox([
            html_widget("<h2>Vote sur le futur de consensus</h2><p class='fab-help'>"
                        + esc(french_spacing(VOTE_HELP)) + "</p>"), self.state, self.rows])
        self.widget.add_class("fab-vote")
        self.widget.add_class(HIDDEN)

    def reset(self) -> None:
        """Nothing of the previous person's vote on a shared device (« autre personne »)."""
        self.share_code, self.opened, self.choices, self.messages = "", None, {}, {}
        self.rows.children = ()
        self.state.value = ""
        self.widget.add_class(HIDDEN)

    @property
    def shown(self) -> bool:
        return HIDDEN not in self.widget._dom_classes

    def check(self) -> None:
        """Show the session's vote, open or closed (the Atelier's beat calls this); nothing
        before a vote is opened or once the person leaves the session."""
        app = self.app
        try:
            ballot = app.store.ballot(app.session_code) if app.session_code else None
        except WorkbenchError:
            log.info("could not read the vote", exc_info=True)
            return
        if ballot is None:
            if self.share_code:
                self.share_code = ""
                self.widget.add_class(HIDDEN)
            return
        if (ballot.share_code, ballot.opened) != (self.share_code, self.opened):
            self._show(ballot)
        for radio in self.choices.values():
            radio.disabled = not ballot.open
        self.state.value = "" if ballot.open else message_html(
            "Le vote est clos : merci, les avis donnés sont comptés.", ok=True)

    def _show(self, ballot) -> None:
        app = self.app
        registry = app.levers
        try:
            values = scenario_from_code(ballot.share_code, registry).values(registry)
        except WorkbenchError:
            log.warning("the ballot's consensus could not be read", exc_info=True)
            return
        try:
            mine = {v.theme: v.choice for v in app.store.votes(app.session_code)
                    if v.participant == app.participant}
        except WorkbenchError:
            log.info("could not read this participant's votes", exc_info=True)
            return
        self.share_code, self.opened = ballot.share_code, ballot.opened
        self.state.value = ""
        self.choices, self.messages, rows = {}, {}, []
        for theme in ballot.themes:
            label = registry.themes.get(theme, {}).get("fr", theme)
            radio = W.RadioButtons(options=[(t, c) for c, t in CHOICE_FR.items()],
                                   value=mine.get(theme), description=label,
                                   layout=W.Layout(width="auto"))
            radio.add_class("fab-vote-choice")
            radio.add_class(f"fab-vote-{theme}")
            radio.observe(lambda change, theme=theme: self.vote(theme, change["new"]), "value")
            msg = html_widget()
            self.choices[theme], self.messages[theme] = radio, msg
            levers = "".join(lever_change_item(lv, values[lv.id])
                             for lv in moved_levers(values, registry, theme))
            row = W.VBox([html_widget(f'<h3>{esc(label)}</h3><ul class="fab-vote-levers">'
                                      f"{levers}</ul>"), radio, msg])
            row.add_class("fab-vote-theme")
            rows.append(row)
        self.rows.children = rows
        self.widget.remove_class(HIDDEN)

    def vote(self, theme: str, choice: str | None) -> bool:
        """Store this participant's choice on ``theme``; a French message says how it went."""
        if choice is None:
            return False
        app, shown = self.app, self.messages[theme]
        done = app._attempt(shown, "Votre avis n'a pas pu être enregistré : réessayez.",
                            lambda: app.store.vote(app.session_code, app.participant, theme,
                                                   choice, self.share_code))
        if done is None:
            refused = shown.value
            self.check()  # a closed or changed vote: show what holds now
            if self.messages.get(theme) is not shown:  # redrawn: say why above it
                self.state.value = refused
            return False
        shown.value = message_html(f"Avis enregistré : {CHOICE_FR[choice].lower()}.", ok=True)
        return True


class BallotControl:
    """The Plénière's part: put the consensus to the vote, close it, and the live tally."""

    def __init__(self, app):
        self.app = app  # the Plénière: its store, session and engine
        self.open_button = W.Button(description="Soumettre le consensus au vote",
                                    button_style="primary", layout=W.Layout(width="auto"))
        self.open_button.add_class("fab-vote-open")
        self.open_button.on_click(lambda _: self.open_vote())
        self.close_button = W.Button(description="Clore le vote", layout=W.Layout(width="auto"))
        self.close_button.add_class("fab-vote-close")
        self.close_button.on_click(lambda _: self.close_vote())
        self.msg = html_widget()
        self.tally_html = html_widget("", "fab-vote-tally")
        self.widget = W.VBox([W.HBox([self.open_button, self.close_button]), self.msg,
                              self.tally_html])
        self.widget.add_class("fab-vote-control")
        self.consensus = None  # the consensus Scenario last shown by the Plénière

    def open_vote(self) -> bool:
        app = self.app
        if app.session is None or self.consensus is None:
            self.msg.value = message_html("Choisissez un atelier qui a reçu des futurs.",
                                          ok=False)
            return False
        registry = app.engine.levers
        code = share_code(self.consensus, registry)
        themes = ballot_themes(self.consensus.values(registry), registry)
        try:
            app.store.open_ballot(app.session.code, code, themes)
        except WorkbenchError as err:
            self.msg.value = message_html(err.message_fr, ok=False)
            return False
        except Exception:
            log.exception("opening the vote failed")
            self.msg.value = message_html("Le vote n'a pas pu être ouvert : réessayez.",
                                          ok=False)
            return False
        self.msg.value = message_html(
            "Vote ouvert : les participants le voient dans Atelier 2030 dans les secondes "
            "qui viennent.", ok=True)
        self.refresh()
        return True

    def close_vote(self) -> bool:
        app = self.app
        if app.session is None:
            return False
        try:
            app.store.close_ballot(app.session.code)
        except Exception:
            log.exception("closing the vote failed")
            self.msg.value = message_html("Le vote n'a pas pu être clos : réessayez.", ok=False)
            return False
        self.msg.value = message_html("Vote clos : les avis donnés restent comptés.", ok=True)
        self.refresh()
        return True

    def refresh(self) -> None:
        """The tally of the session's vote, now."""
        if self.app.session is not None:
            self.show(*self.read(self.app.session.code))

    def read(self, code: str) -> tuple:
        """Session ``code``'s ballot and votes (the store's reads only: the Plénière's poll
        loop runs this in a thread, then :meth:`show` in the kernel's loop)."""
        app = self.app
        ballot = app.store.ballot(code)
        return ballot, (app.store.votes(code) if ballot is not None else [])

    def show(self, ballot, votes) -> None:
        app = self.app
        self.close_button.disabled = ballot is None or not ballot.open
        if ballot is None:
            self.tally_html.value = ('<p class="fab-help">' + esc(french_spacing(
                "Pas encore de vote : soumettez le consensus quand le panel l'a vu.")) + "</p>")
            return
        voters = len({v.participant for v in votes})
        state = "ouvert" if ballot.open else "clos"
        stale = (self.consensus is not None
                 and ballot.share_code != share_code(self.consensus, app.engine.levers))
        rows = "".join(
            f'<tr data-theme="{esc(t.theme)}" data-verdict="{t.verdict}"><th scope="row">'
            f"{esc(t.label_fr)}</th><td>{t.accord}</td><td>{t.desaccord}</td>"
            f"<td>{t.a_discuter}</td><td>{esc(french_spacing(t.sentence_fr))}</td></tr>"
            for t in tally(votes, ballot.themes, app.engine.levers))
        note = ('<p class="fab-help">' + esc(french_spacing(
            "Le consensus a changé depuis ce vote : soumettez-le de nouveau pour voter sur "
            "le nouveau.")) + "</p>") if stale else ""
        who = ("aucun participant n'a voté" if not voters else "1 participant a voté"
               if voters == 1 else f"{voters} participants ont voté")
        self.tally_html.value = (
            f'<p class="fab-vote-state" data-voters="{voters}">Vote {state} : {who}.</p>'
            + note
            + '<div class="fab-table-wrap"><table class="fab-table fab-vote-table"><thead><tr>'
            "<th scope='col'>Thème</th><th scope='col'>D'accord</th>"
            "<th scope='col'>Pas d'accord</th><th scope='col'>À discuter</th>"
            f"<th scope='col'>Verdict</th></tr></thead><tbody>{rows}</tbody></table></div>")
