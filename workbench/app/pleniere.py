"""« Plénière », the facilitator's app (``apps/pleniere.ipynb``), projected in the room: open
a workshop session and show its join code, watch the futures arrive, compare some side by
side with the trend and the panel's consensus, see where the panel agrees, export it all.

Why this module is over 450 lines: the facilitator's whole page (its style sheet is
``css/pleniere.css``); due to be split into the session view, the room's polling and the
exports (issue 13).

The page is served by the same Voilà as the participants' app, so it is locked: it builds
nothing and reads nothing from the store until the request's ``?jeton=`` matches the
facilitator token (:func:`facilitator_token`). Without it the page says only
« Cette page est réservée à l'équipe d'animation. ».

New submissions are fetched every two seconds by an asyncio task on the kernel's own event
loop (ipykernel runs asyncio): the query runs in a worker thread (a slow database never
freezes the page), the widgets are updated back on the loop, the task logs and survives any
failure and ends when the app's widget is closed. « Rafraîchir » does the same at once.

As in Atelier 2030, every text typed by a participant is escaped, and a failure shows a
short French message while the details go to the server log."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import ipywidgets as W

from ..auth import (  # noqa: F401  (re-exported: tests and notebooks use them here)
    REFUSED_FR,
    TOKEN_ENV,
    TOKEN_FILE,
    TOKEN_PARAM,
    facilitator_token,
    facilitator_url,
    token_ok,
)
from ..codelist import app_variables
from ..errors import WorkbenchError
from ..export import export_session
from ..format import cut_at_word, date_fr, french_spacing, time_fr, who
from ..panel import (
    MIN_FAMILY_FUTURES,
    TREND_EXPLAINED_FR,
    families,
    ordered_levers,
    run_families,
    run_panel,
    scenario_name,
    spreads,
)
from ..paths import var_dir
from ..scenario import share_code
from ..text import escape as esc
from .base import Unavailable, WorkshopApp, build_app, html_widget, message_html
from .panel_chart import LeverChart
from .projector import VIEW_IDS, Projector
from .report import (
    agreement_summary,
    comparison_table,
    lever_change_item,
    scorecard_table,
    spread_table,
)
from .sharing import own_layout, share_alike
from .spotlight import Spotlight
from .styles import stylesheet
from .svg_charts import LINE_STYLES, line_chart_svg, lines_legend
from .timer import PhaseTimer
from .vote import BallotControl

log = logging.getLogger("workbench.app.pleniere")

ATELIER_PATH = "/voila/render/atelier.ipynb"
POLL_SECONDS = 2.0
EXCERPT = 160  # characters of a text shown before « Lire tout le texte »
FAMILY_NAMES = 8  # pseudonyms named in a family, then « et N autres »
PICK = "Choisir un atelier existant…"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CSS = stylesheet("base", "atelier", "charts", "pleniere")


# -- the app ----------------------------------------------------------------------------------


def join_qr(link: str) -> str:
    """The join link as an inline SVG QR code, drawn here (segno: no network, no image
    file), for the room's phones to scan from the projected screen; nothing for a relative
    link, which a phone could not open."""
    if not link.startswith(("http://", "https://")):
        return ""
    import segno  # only the Plénière draws one

    svg = segno.make(link, error="m").svg_inline(
        scale=5, border=4, title="QR code du lien de l'atelier", dark="#000", light="#fff")
    return (f'<div class="fab-qr" role="img" aria-label="QR code du lien de l\'atelier">'
            f"{svg}<div>Scannez pour participer</div></div>")


def _count_fr(n: int) -> str:
    return f"{n} futur{'s' if n > 1 else ''} reçu{'s' if n > 1 else ''}"


def _people_fr(n: int, sent: int) -> str:
    """« 12 futurs reçus » — one per person — and the sendings when some replaced others."""
    replaced = sent - n
    return _count_fr(n) + (f" (un par personne ; {replaced} remplacé{'s' if replaced > 1 else ''}"
                           " par un envoi plus récent)" if replaced > 0 else "")


class Pleniere(WorkshopApp):
    """The facilitator's app. ``widget`` is what the notebook displays; it stays empty until
    :meth:`apply_query` has checked the token."""

    def __init__(self, engine=None, store=None, poll_seconds: float = POLL_SECONDS):
        self._engine = engine
        self._store = store
        self.poll_seconds = poll_seconds
        self.authorised = False
        self.session = None
        self.submissions: list = []  # this session's current futures (one per person), by id
        self.sent = 0  # submissions received in this session, replaced ones included
        self.last_id = 0
        self.rows: dict[int, tuple[W.Checkbox, W.HBox]] = {}
        self.compare_run = None
        self.panel_run = None
        self.request_url = ""
        self.script_name = ""
        self.exported: tuple[Path, Path] | None = None
        self._task: asyncio.Task | None = None
        self._closed = False
        self._muted = False
        self._poll_error = False
        self._style = W.HTML(value=f"<style>{CSS}</style>", layout=W.Layout(display="none"))
        self.widget = W.VBox([self._style], layout=W.Layout(width="100%"))
        for css in ("fab2030", "fab-atelier", "fab-pleniere"):
            self.widget.add_class(css)

    # -- lazily built: nothing before the token is checked ----------------------------------

    @property
    def engine(self):
        if self._engine is None:
            from .. import prebuilt

            self._engine = prebuilt.engine()
        return self._engine

    # -- the request -------------------------------------------------------------------------

    def apply_query(self, query: str, request_url: str = "", script_name: str = "") -> bool:
        """Check ``jeton`` in the query string; build the page only if it is the token."""
        if self.authorised:
            return True
        given = (parse_qs(query or "").get(TOKEN_PARAM) or [""])[0]
        try:
            expected = facilitator_token()
        except Exception:
            log.exception("the facilitator token cannot be read or created")
            expected = ""
        if not token_ok(given, expected):
            log.warning("plénière refused: %s", "wrong token" if given else "no token")
            self.widget.children = (self._style, html_widget(
                f'<div class="fab-failure fab-refused" role="alert">{esc(REFUSED_FR)}</div>'))
            return False
        self.authorised = True
        self.request_url, self.script_name = request_url or "", script_name or ""
        try:
            self._build()
            self.refresh_sessions()
            self.start_polling()
        except Exception as exc:
            log.exception("the plénière could not be built")
            from .overview import failure_widget

            self.widget.children = (self._style, failure_widget(exc))
        return True

    # -- widgets -----------------------------------------------------------------------------

    def _build(self) -> None:
        engine = self.engine
        self.variables = app_variables(engine.codelist, engine.variables)
        self.levers = ordered_levers(engine.levers)
        self.items = None  # the agreement on each lever (workbench.panel.spreads)
        self.projector = Projector(self.widget, self.levers, engine.levers.themes, self._page)
        part = self.projector.part
        header = html_widget(f"<h1>Plénière — {esc(engine.territory.name)}</h1>"
                             '<p class="fab-lead">' + esc(french_spacing(
                           "Ouvrez un atelier et projetez son code : les futurs des "
                           "participants arrivent ici au fil de l'eau.")) + "</p>"
                             '<p class="fab-help fab-trend-explained">'
                             + esc(french_spacing(TREND_EXPLAINED_FR)) + "</p>")
        self.title_input = W.Text(placeholder="Titre du nouvel atelier (ex. Atelier du "
                                  "21 novembre)", layout=W.Layout(width="auto", flex="2 1 18rem"))
        self.open_button = W.Button(description="Ouvrir un atelier", button_style="primary")
        self.session_choice = W.Dropdown(options=[(PICK, "")], value="",
                                         description="Atelier existant",  # its name (css hides)
                                         layout=W.Layout(width="auto", flex="1 1 18rem"))
        for w, css in ((self.title_input, "fab-session-title-input"),
                       (self.open_button, "fab-open"), (self.session_choice, "fab-session-choice")):
            w.add_class(css)
        self.open_button.on_click(lambda _: self.open_session(self.title_input.value))
        self.session_choice.observe(self._choose_session, "value")
        self.session_msg = html_widget()
        bar = W.HBox([self.title_input, self.open_button, self.session_choice],
                     layout=W.Layout(flex_flow="row wrap"))
        bar.add_class("fab-toolbar")
        # the session: code for the projector, link, counter, actions
        self.join_html = html_widget("", "fab-join-big")
        self.counter = html_widget("", "fab-counter")
        self.refresh_button = W.Button(description="↻ Rafraîchir",
                                       tooltip="Chercher les nouveaux futurs maintenant")
        self.close_button = own_layout(W.Button(description="Clore l'atelier",
                                                button_style="warning"))
        self.confirm_yes = W.Button(description="Oui, clore l'atelier", button_style="danger")
        self.confirm_no = W.Button(description="Annuler")
        for w, css in ((self.refresh_button, "fab-refresh"), (self.close_button, "fab-close"),
                       (self.confirm_yes, "fab-close-yes"), (self.confirm_no, "fab-close-no")):
            w.add_class(css)
        self.refresh_button.on_click(lambda _: self.refresh())
        self.close_button.on_click(lambda _: self.ask_close())
        self.confirm_yes.on_click(lambda _: self.close_session())
        self.confirm_no.on_click(lambda _: self.cancel_close())
        self.confirm_box = own_layout(W.HBox([
            html_widget("<strong>Clore l'atelier ? Les participants ne pourront plus envoyer de "
                        "futur.</strong>"), self.confirm_yes, self.confirm_no],
            layout=W.Layout(flex_flow="row wrap", display="none")))
        self.confirm_box.add_class("fab-toolbar")
        self.confirm_box.add_class("fab-confirm")
        actions = W.HBox([self.counter, self.refresh_button, self.close_button,
                          self.projector.enter_button],
                         layout=W.Layout(flex_flow="row wrap", align_items="center"))
        actions.add_class("fab-toolbar")
        self.status_msg = html_widget()
        # futures received | comparison
        self.empty_note = own_layout(html_widget('<p class="fab-help">' + esc(french_spacing(
            "Aucun futur reçu pour l'instant : ils s'affichent ici dès leur envoi.")) + "</p>"))
        self.list_box = W.VBox([])
        self.list_box.add_class("fab-sub-list")
        subs_col = W.VBox([html_widget("<h2>Futurs reçus</h2>"), self.empty_note, self.list_box])
        subs_col.add_class("fab-subs-col")
        part(subs_col, "futurs")
        self.compare_html = html_widget("", "fab-compare-box")
        self.score_html = html_widget("", "fab-score-box")
        compare_col = W.VBox([part(html_widget("<h2>Comparer les futurs</h2>"), "comparer"),
                              part(self.compare_html, "comparer"),
                              part(html_widget("<h2>Objectifs du territoire</h2>"),
                                   "objectifs"), part(self.score_html, "objectifs")])
        compare_col.add_class("fab-compare-col")
        part(compare_col, "comparer", "objectifs")
        cols = W.HBox([subs_col, compare_col], layout=W.Layout(flex_flow="row wrap",
                                                                 width="100%"))
        cols.add_class("fab-cols")
        # the panel's choices, the consensus, the export
        self.chart = LeverChart(self.levers)
        self.spread_html = html_widget("", "fab-spread-box")
        self.consensus_html = html_widget("", "fab-consensus-box")
        self.families_html = html_widget("", "fab-families-box")
        self.ballot = BallotControl(self)
        self.spotlight = Spotlight(self)
        self.spot_consensus = W.Button(description="Projeter le consensus",
                                       layout=W.Layout(width="auto"))
        self.spot_consensus.add_class("fab-spot-consensus")
        self.spot_consensus.on_click(lambda _: self.spotlight.show_consensus())
        self.export_button = W.Button(description="Exporter", button_style="success",
                                      tooltip="Tableur IAMC et rapport HTML de la séance")
        self.export_button.add_class("fab-export")
        self.export_button.on_click(lambda _: self.export())
        self.export_msg = html_widget("", "fab-export-msg")
        self.timer = PhaseTimer(self)
        views = (  # each part of the session, and the projector's view that shows it
            (self.join_html, "rejoindre"), (actions, "rejoindre"),
            (self.confirm_box, "rejoindre"), (self.status_msg, *VIEW_IDS),
            (html_widget("<h2>Le minuteur de la phase</h2>"), "rejoindre"),
            (self.timer.widget, "rejoindre"), (cols, "futurs", "comparer", "objectifs"),
            (html_widget("<h2>Les choix du panel</h2>"), "choix"), (self.chart.widget, "choix"),
            (self.projector.pager, "choix", "accord"),
            (html_widget("<h2>L'accord du panel, curseur par curseur</h2>"), "accord"),
            (self.spread_html, "accord"),
            (html_widget("<h2>Le futur de consensus</h2>"), "consensus"),
            (self.consensus_html, "consensus"), (self.spot_consensus, "consensus"),
            (html_widget("<h2>Le vote sur le consensus</h2>"), "vote"),
            (self.ballot.widget, "vote"),
            (html_widget("<h2>Les familles de futurs</h2>"), "familles"),
            (self.families_html, "familles"),
            (html_widget("<h2>Exporter la séance</h2><p class='fab-help'>" + esc(french_spacing(
                "Un tableur IAMC (tous les futurs, le tendanciel et le consensus) et un "
                "rapport à imprimer ou à diffuser.")) + "</p>"), ),
            (self.export_button, ), (self.export_msg, ))
        self.session_box = own_layout(W.VBox([part(w, *on) for w, *on in views],
                                             layout=W.Layout(display="none")))
        self.session_box.add_class("fab-session-box")
        self.room_html = html_widget()
        self.show_room(room_status())
        part(self.room_html, "rejoindre")
        self.widget.children = (self._style, self.projector.bar, part(header),
                                self.room_html, part(bar), part(self.session_msg),
                                self.session_box, self.spotlight.widget)
        share_alike(self.widget)  # identical layouts and styles, one model each

    # -- sessions ----------------------------------------------------------------------------

    def refresh_sessions(self) -> None:
        """The dropdown of sessions, newest first; the current one stays selected."""
        try:
            found = sorted(self.store.sessions(), key=lambda s: (s.created, s.code),
                           reverse=True)
        except Exception:
            log.exception("listing sessions failed")
            self.session_msg.value = message_html("La liste des ateliers est indisponible pour "
                                                  "l'instant : réessayez.", ok=False)
            return
        options = [(PICK, "")] + [
            (f"{s.title} — {s.display_code} — {date_fr(s.created)}"
             + ("" if s.open else " (clos)"), s.code) for s in found]
        current = self.session.code if self.session is not None else ""
        self._muted = True
        try:
            self.session_choice.options = options
            self.session_choice.value = current if current in {c for _, c in options} else ""
        finally:
            self._muted = False

    def _choose_session(self, change) -> None:
        if not self._muted and change["new"]:
            self.select_session(change["new"])

    def open_session(self, title: str):
        """Create a session with this title and show it."""
        try:
            session = self.store.create_session(title or "")
        except WorkbenchError as err:
            self.session_msg.value = message_html(err.message_fr, ok=False)
            return None
        except Exception:
            log.exception("creating a session failed")
            self.session_msg.value = message_html("L'atelier n'a pas pu être ouvert : réessayez "
                                                  "dans un instant.", ok=False)
            return None
        self.title_input.value = ""
        self.select_session(session.code)
        self.session_msg.value = message_html(f"Atelier « {session.title} » ouvert : projetez son "
                                              "code.", ok=True)
        return session

    def select_session(self, code: str) -> bool:
        """Show a session (its code, link and futures) and start following it."""
        try:
            session = self.store.get_session(code)
        except WorkbenchError as err:
            self.session_msg.value = message_html(err.message_fr, ok=False)
            return False
        except Exception:
            log.exception("reading session %r failed", code)
            self.session_msg.value = message_html("Cet atelier est indisponible pour l'instant : "
                                                  "réessayez.", ok=False)
            return False
        self.session = session
        for sub_id in list(self.rows):  # the previous session's rows
            self._drop_row(sub_id)
        self.submissions, self.rows, self.last_id, self.sent = [], {}, 0, 0
        self.compare_run = self.exported = None
        self.ballot.consensus = None  # never another session's consensus to the vote
        self.spotlight.hide()
        self.list_box.children = ()
        self.export_msg.value = self.status_msg.value = self.session_msg.value = ""
        self.cancel_close()
        self.session_box.layout.display = None
        self.refresh_sessions()
        self._show_session()
        self.timer.restore(session.code)  # a phase still running (after a reload)
        try:  # the vote's state with the session's code, before its futures are counted
            self.ballot.refresh()
        except Exception:
            log.exception("reading the vote of session %r failed", code)
        self.update_panel()
        self.refresh()
        return True

    def participants_link(self, code: str | None = None, **extra: str) -> str:
        """``…/voila/render/atelier.ipynb?atelier=CODE`` at the address participants' devices
        reach ($FABRIQUE_PUBLIC_URL, set by the workshop server from the LAN address or
        PUBLIC_URL), else on the host this page was asked from (relative when unknown);
        never carries the facilitator token."""
        query = {**extra, **({"atelier": code} if code else {})}
        public = os.environ.get("FABRIQUE_PUBLIC_URL", "")  # set by the workshop server
        if public.startswith(("http://", "https://")):
            return f"{public.rstrip('/')}{ATELIER_PATH}?{urlencode(query)}"
        parts = urlsplit(self.request_url or "")
        path = self.script_name or parts.path
        if path.endswith("/pleniere.ipynb"):
            path = path[: -len("pleniere.ipynb")] + "atelier.ipynb"
        else:
            path = ATELIER_PATH
        scheme, netloc = ((parts.scheme, parts.netloc) if parts.scheme in ("http", "https")
                          else ("", ""))
        return urlunsplit((scheme, netloc, path, urlencode(query), ""))

    def _show_session(self) -> None:
        s = self.session
        link = self.participants_link(s.code)
        state = ('<span class="fab-state fab-state-open">● ouvert aux envois</span>' if s.open
                 else '<span class="fab-state fab-state-closed">■ clos : plus d\'envois</span>')
        self.join_html.value = (
            '<div class="fab-join-grid"><div><div class="fab-code-label">Code de l\'atelier'
            f'</div><div class="fab-code" data-code="{esc(s.code)}">{esc(s.display_code)}</div>'
            '</div><div class="fab-join-text">'
            f'<div class="fab-session-title">{esc(s.title)}</div>'
            "<div>Pour participer : ouvrez Atelier 2030 et saisissez ce code, ou suivez le lien "
            f'<a class="fab-join-link" href="{esc(link)}" target="_blank">{esc(link)}</a></div>'
            f"<div>{state}</div></div>{join_qr(link)}</div>")
        self.close_button.layout.display = None if s.open else "none"

    def ask_close(self) -> None:
        if self.session is not None and self.session.open:
            self.confirm_box.layout.display = "flex"
            self.close_button.layout.display = "none"

    def cancel_close(self) -> None:
        self.confirm_box.layout.display = "none"
        if self.session is not None and self.session.open:
            self.close_button.layout.display = None

    def close_session(self) -> bool:
        """Close the current session (after « Oui, clore l'atelier »)."""
        if self.session is None:
            return False
        try:
            self.store.close_session(self.session.code)
            self.session = self.store.get_session(self.session.code)
        except WorkbenchError as err:
            self.status_msg.value = message_html(err.message_fr, ok=False)
            return False
        except Exception:
            log.exception("closing session %s failed", self.session.code)
            self.status_msg.value = message_html("L'atelier n'a pas pu être clos : réessayez.",
                                                 ok=False)
            return False
        self.cancel_close()
        self.refresh_sessions()
        self._show_session()
        self.update_panel()
        self.status_msg.value = message_html("Atelier clos : ses futurs restent consultables et "
                                             "exportables.", ok=True)
        return True

    # -- submissions -------------------------------------------------------------------------

    def poll(self) -> int:
        """One polling step: fetch the session's submissions after the last one seen and
        show them; returns how many are new."""
        if self.session is None:
            return 0
        code = self.session.code
        n = self._receive(code, self.store.submissions(code, after_id=self.last_id))
        self.ballot.refresh()  # the live tally of the vote on the consensus
        return n

    def refresh(self) -> int:
        """« Rafraîchir »: poll now; a failure is a French message, not an error."""
        try:
            n = self.poll()
        except Exception:
            log.exception("refreshing submissions failed")
            self._poll_failed(True)
            return 0
        self._poll_failed(False)
        return n

    def _poll_failed(self, failed: bool) -> None:
        if failed:
            self.status_msg.value = message_html(
                "Les nouveaux futurs n'arrivent plus (base de données injoignable) : nouvel "
                "essai toutes les deux secondes, ou cliquez sur « Rafraîchir ».", ok=False)
        elif self._poll_error:
            self.status_msg.value = ""
        self._poll_error = failed

    def _receive(self, code: str, new) -> int:
        if self.session is None or code != self.session.code:
            return 0  # the facilitator switched sessions meanwhile
        fresh = sorted((s for s in new if s.id > self.last_id), key=lambda s: s.id)
        if not fresh:
            return 0
        self.last_id, self.sent = fresh[-1].id, self.sent + len(fresh)
        # one future per person: a newer one from the same participant replaces the row
        # (the « comparer » tick carries over); the older stays in the store as history
        current = {s.person: s for s in self.submissions}
        ticked = {s.person for s in self.chosen()}
        for s in fresh:
            old = current.pop(s.person, None)
            if old is not None:
                self._drop_row(old.id)
            current[s.person] = s
        self.submissions = sorted(current.values(), key=lambda s: s.id)
        kept = {s.id for s in self.submissions}
        for s in fresh:
            if s.id in kept:
                self.rows[s.id] = self._row(s, checked=s.person in ticked)
        self.list_box.children = tuple(self.rows[s.id][1] for s in reversed(self.submissions))
        self.update_panel()
        return len(fresh)

    def _drop_row(self, sub_id: int) -> None:
        check, row = self.rows.pop(sub_id, (None, None))
        if row is not None:
            for w in (*row.children, check, row):
                w.close()

    def _row(self, sub, checked: bool = False) -> tuple[W.Checkbox, W.HBox]:
        check = W.Checkbox(value=checked, description="comparer", indent=False,
                           layout=W.Layout(width="auto"))
        check.add_class("fab-compare-check")
        check.observe(lambda _: self.update_comparison(), "value")
        group = (f' · <span class="fab-sub-group">groupe {esc(sub.group)}</span>'
                 if sub.group else "")
        text = sub.text.strip()
        if len(text) > EXCERPT:
            body = (f'<p class="fab-excerpt">{esc(cut_at_word(text, EXCERPT))}…</p><details>'
                    '<summary>Lire tout le texte</summary>'
                    f'<p class="fab-fulltext">{esc(text)}</p></details>')
        else:
            body = f'<p class="fab-excerpt fab-fulltext">{esc(text)}</p>'
        info = html_widget(
            f'<div class="fab-sub-head"><span class="fab-sub-who">{esc(sub.pseudonym)}'
            f'</span>{group} <span class="fab-sub-meta">· {esc(time_fr(sub.created))} '
            f"· n° {sub.id}</span></div>{body}", "fab-sub-body")
        spot = W.Button(description="Projeter", tooltip="Ce futur sur tout l'écran",
                        layout=W.Layout(width="auto", flex="0 0 auto"))  # never cut short
        spot.add_class("fab-spot-button")
        spot.on_click(lambda _: self.spotlight.show_future(sub))
        row = W.HBox([check, info, spot])
        row.add_class("fab-sub")
        row.add_class(f"fab-sub-{sub.id}")
        return check, row

    def chosen(self) -> list:
        """The submissions ticked « comparer », by id."""
        return [s for s in self.submissions if self.rows[s.id][0].value]

    def set_chosen(self, ids) -> None:
        """Tick exactly these submissions (as the browser does)."""
        for sid, (check, _) in self.rows.items():
            check.value = sid in set(ids)

    # -- panel, comparison, consensus -----------------------------------------------------

    def update_panel(self) -> None:
        """Counter, lever chart, agreement verdicts, consensus and comparison."""
        try:
            subs = self.submissions
            n = len(subs)
            self.counter.value = (f'<span data-count="{n}" data-sent="{self.sent}">'
                                  f"{esc(_people_fr(n, self.sent))}</span>")
            self.empty_note.layout.display = "none" if n else None
            registry = self.engine.levers
            self.items = spreads(subs, registry)
            self.chart.update(subs, registry, self.items)
            self._show_spreads()
            self.update_comparison()
            self._show_consensus()
            self._show_families(subs)
        except Exception:
            log.exception("updating the panel failed")
            self.status_msg.value = message_html("L'affichage n'a pas pu être mis à jour : "
                                                 "cliquez sur « Rafraîchir ».", ok=False)

    def _show_spreads(self) -> None:
        """The agreement on each lever: all of them at the desk; on the projector the page's,
        with the verdicts in a few words."""
        page = self.projector.shown_levers()
        ids = None if page is None else {lv.id for lv in page}
        items = [i for lv, i in zip(self.levers, self.items, strict=True)
                 if ids is None or lv.id in ids]
        self.spread_html.value = (agreement_summary(items) + '<div class="fab-table-wrap">'
                                  + spread_table(items, short=page is not None) + "</div>")

    def _page(self, shown) -> None:
        """The projector's page of levers (``None``: all, at the desk)."""
        self.chart.window(shown)
        if self.items is not None:
            self._show_spreads()

    def update_comparison(self) -> None:
        """The chosen futures next to the trend and the consensus: indicators in 2030 and
        2050, then the targets' statuses."""
        try:
            chosen = self.chosen()
            run = run_panel(self.engine, self.submissions, chosen)
            self.compare_run = run
            headers = {}
            for s in chosen:
                group = f", {esc(s.group)}" if s.group else ""
                headers[f"{s.pseudonym} (n° {s.id})"] = (
                    f'{esc(s.pseudonym)}<br><span class="fab-unit">n° {s.id}{group}</span>')
            hint = ("" if chosen else '<p class="fab-help">' + esc(french_spacing(
                "Cochez « comparer » à côté des futurs à montrer côte à côte.")) + "</p>")
            self.compare_html.value = (hint + self._compare_charts(run, chosen)
                                       + '<div class="fab-table-wrap">'
                                       + comparison_table(run, self.variables, headers=headers)
                                       + "</div>")
            self.score_html.value = ('<div class="fab-table-wrap">'
                                     + scorecard_table(run, headers=headers) + "</div>")
        except Exception:
            log.exception("the comparison failed")
            self.compare_html.value = message_html("La comparaison n'a pas pu être calculée.",
                                                   ok=False)

    def _compare_charts(self, run, chosen) -> str:
        """The futures ticked (up to four) drawn against the trend and the targets, on the
        indicators of the Atelier's charts, above the table of numbers."""
        if not chosen:
            return ""
        picked = chosen[:len(LINE_STYLES)]
        names = [scenario_name(s) for s in picked]
        charts = "".join(line_chart_svg(run, v, [], main=names)
                         for v in self.variables if v.app_chart)
        more = ("" if len(chosen) <= len(LINE_STYLES) else '<p class="fab-help">' + esc(
            f"Les graphiques montrent les {len(LINE_STYLES)} premiers futurs cochés ; le "
            "tableau les montre tous.") + "</p>")
        return (f'<div class="fab-compare-charts">{lines_legend([who(s) for s in picked])}'
                f'<div class="fab-compare-grid">{charts}</div>{more}</div>')

    def _show_consensus(self) -> None:
        run = self.compare_run
        if run is None:
            return
        registry = self.engine.levers
        consensus = run.consensus
        self.ballot.consensus = consensus if self.submissions else None
        if not self.submissions:
            self.consensus_html.value = ('<p class="fab-help">' + esc(french_spacing(
                "Le consensus apparaîtra avec les premiers futurs reçus.")) + "</p>")
            return
        code = share_code(consensus, registry)
        # with the session's code while it is open, so the room can send variants of it
        link = self.participants_link(self.session.code if self.session.open else None,
                                      futur=code)
        changed = [lever_change_item(lv, consensus.levers[lv.id])
                   for lv in self.levers if consensus.levers[lv.id] != lv.trend]
        changes = (f"<ul>{''.join(changed)}</ul>" if changed
                   else "<p>Le consensus reste au tendanciel.</p>")
        self.consensus_html.value = (
            '<p>' + esc(french_spacing(
                "Chaque levier à la médiane des choix exprimés sur lui, arrondie au pas du "
                "curseur ; un levier laissé au tendanciel compte comme « pas d'avis », et "
                "un levier que trop peu ont bougé reste au tendanciel. Calculé par les "
                "modèles comme les autres futurs (colonne « Consensus du panel » de la "
                "comparaison).")) + "</p>"
            + changes
            + f'<p><a class="fab-consensus-link" href="{esc(link)}" target="_blank">Ouvrir le '
            "consensus dans Atelier 2030</a> — code de partage : "
            f'<span class="fab-consensus-code">{esc(code)}</span></p>')

    def _show_families(self, subs) -> None:
        """The futures grouped into families (workbench.panel.families), each named by the
        levers where it departs most from the panel, its median future run through the
        models beside the trend, with a link that opens it in the Atelier."""
        registry = self.engine.levers
        fams = families(subs, registry)
        if not fams:
            why = (f"Les familles apparaîtront à partir de {MIN_FAMILY_FUTURES} futurs reçus."
                   if len(subs) < MIN_FAMILY_FUTURES else
                   "Les futurs reçus ne forment pas de groupes nets : ils se ressemblent "
                   "tous, ou chacun va dans son sens.")
            self.families_html.value = f'<p class="fab-help">{esc(french_spacing(why))}</p>'
            return
        run = run_families(self.engine, fams)
        session = self.session.code if self.session is not None and self.session.open else None
        items, headers = [], {}
        for f in fams:
            names = ", ".join(esc(s.pseudonym) for s in f.members[:FAMILY_NAMES])
            more = f" et {len(f.members) - FAMILY_NAMES} autres" \
                if len(f.members) > FAMILY_NAMES else ""
            link = self.participants_link(session, futur=share_code(f.scenario(), registry))
            items.append(
                f'<li class="fab-family" data-family="{f.letter}"><strong>{esc(f.label_fr)}'
                f"</strong> ({esc(_count_fr(len(f.members)))}) : {esc(f.summary_fr)}<br>"
                f'<span class="fab-sub-meta">{names}{more}</span> — <a href="{esc(link)}" '
                'target="_blank">Ouvrir son futur médian dans Atelier 2030</a></li>')
            headers[f.name] = (f'{esc(f.label_fr)}<br><span class="fab-unit">'
                               f"{esc(_count_fr(len(f.members)))}</span>")
        intro = esc(french_spacing(
            "Les futurs qui se ressemblent sont regroupés (classification de Ward sur les "
            "curseurs, chacun ramené à sa plage). Chaque famille est nommée par les curseurs "
            "où elle se distingue le plus du panel ; son futur médian passe par les modèles, "
            "à côté du tendanciel."))
        self.families_html.value = (
            f'<p class="fab-help">{intro}</p><ul class="fab-families">{"".join(items)}</ul>'
            '<div class="fab-table-wrap">'
            + comparison_table(run, self.variables, headers=headers) + "</div>")

    # -- export ------------------------------------------------------------------------------

    def export(self) -> tuple[Path, Path] | None:
        """The IAMC xlsx (every submission, the trend, the consensus) and the HTML report,
        written under ``var/exports`` and offered as download links."""
        if self.session is None:
            return None
        self.export_button.disabled = True

        def progress(step: int, of: int, what_fr: str) -> None:
            self.export_msg.value = ('<p class="fab-export-progress" role="status" '
                                     f'data-step="{step}">Export en cours ({step} sur {of}) : '
                                     f"{esc(what_fr)}…</p>")

        try:
            session = self.session
            subs = self.store.current(session.code)  # one per person, freshly read
            xlsx, page = export_session(self.engine, session, subs, var_dir() / "exports",
                                        progress=progress)
        except WorkbenchError as err:
            self.export_msg.value = message_html(err.message_fr, ok=False)
            return None
        except Exception:
            log.exception("export failed")
            self.export_msg.value = message_html("L'export n'a pas abouti : réessayez ; si cela "
                                              "continue, prévenez l'équipe technique.",
                                              ok=False)
            return None
        finally:
            self.export_button.disabled = False
        self.exported = (xlsx, page)
        n = len(subs)
        self.export_msg.value = (
            message_html(f"Export prêt : {_count_fr(n)}, le tendanciel et le consensus ; le "
                         "tableur a aussi les leviers et les textes de chaque futur.", ok=True)
            + "<p>" + _download(xlsx, XLSX_MIME, "Télécharger le tableur (xlsx, IAMC)")
            + _download(page, "text/html", "Télécharger le rapport (HTML)") + "</p>"
            + '<p class="fab-help">Enregistrés aussi sur le serveur : <br>'
            f'<span class="fab-path">{esc(xlsx)}</span><br>'
            f'<span class="fab-path">{esc(page)}</span></p>')
        return xlsx, page

    # -- polling -----------------------------------------------------------------------------

    def _alive(self) -> bool:
        return not self._closed and self.widget.comm is not None

    def start_polling(self) -> bool:
        """Start the 2-second polling task on the running event loop (the kernel's)."""
        if self._task is not None and not self._task.done():
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.info("no running event loop: automatic refresh off (« Rafraîchir » works)")
            return False
        self._task = loop.create_task(self._poll_loop())
        return True

    def show_room(self, status: dict | None) -> None:
        """« Salle prête : 55 postes sur 55 · 18 participants connectés » (or the count
        while the room fills), from the workshop server's readiness signal; nothing when it
        is not known."""
        if not status:
            self.room_html.value = ""
            return
        css = "fab-state-open" if status.get("ready") else "fab-state-closed"
        n = int(status.get("connectes", 0))  # participants' pages connected now
        who = (f'<span class="fab-connected" data-connected="{n}">{n} participant'
               f"{'s' if n > 1 else ''} connecté{'s' if n > 1 else ''}</span>")
        self.room_html.value = (
            f'<p class="fab-room"><span class="fab-state {css}">'
            f'{esc(french_spacing(status.get("message_fr", "")))}</span> · {who}</p>')

    async def _poll_loop(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while self._alive():
            await asyncio.sleep(self.poll_seconds)
            if not self._alive():
                continue
            status = await loop.run_in_executor(None, room_status)
            if self._alive():
                self.show_room(status)
            if self.session is None:
                continue
            code, after = self.session.code, self.last_id
            try:
                new = await loop.run_in_executor(
                    None, partial(self.store.submissions, code, after_id=after))
                if self._alive():
                    self._receive(code, new)
                vote = await loop.run_in_executor(None, self.ballot.read, code)
                if self._alive() and self.session is not None and self.session.code == code:
                    self.ballot.show(*vote)  # the live tally of the vote on the consensus
                failures = 0
                self._poll_failed(False)
            except Exception:
                failures += 1
                if failures == 1 or failures % 30 == 0:
                    log.exception("polling submissions failed (%d in a row)", failures)
                self._poll_failed(True)
        log.info("plénière polling stopped")

    def close(self) -> None:
        """Stop polling and close the page's widgets."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
        self.widget.close()


def room_status(timeout: float = 2.0) -> dict | None:
    """The workshop server's readiness signal ($FABRIQUE_ROOM_STATUS_URL, set by
    workbench/server for its kernels), or None outside it or when it does not answer."""
    import json
    import urllib.request

    url = os.environ.get("FABRIQUE_ROOM_STATUS_URL", "")
    if not url.startswith("http://"):
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except (OSError, ValueError):
        log.debug("room status unavailable", exc_info=True)
        return None


def _download(path: Path, mime: str, label: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<a class="fab-download" download="{esc(path.name)}" '
            f'href="data:{mime};base64,{data}">{esc(label)}</a>')


def pleniere(engine=None) -> Pleniere | Unavailable:
    """Build the app for ``apps/pleniere.ipynb``: an empty page until ``apply_request``
    has checked the token."""
    return build_app(lambda: Pleniere(engine), "plénière")


__all__ = ["REFUSED_FR", "TOKEN_ENV", "Pleniere", "facilitator_token", "facilitator_url",
           "pleniere", "token_ok"]
