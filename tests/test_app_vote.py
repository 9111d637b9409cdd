"""The vote on the consensus (workbench/app/vote.py), without a browser: the Plénière puts
the panel's consensus to the vote, each Atelier shows it on its beat, each person's choice
per theme counts once and may change, and the tally reads in plain French."""

from __future__ import annotations

import html
import uuid

import pytest

import workbench as wb
from workbench.app import pleniere as P
from workbench.app.atelier import Atelier
from workbench.scenario import Scenario, share_code
from workbench.store import MSG_BALLOT_CHANGED, MSG_NO_BALLOT, Store


@pytest.fixture(autouse=True)
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("FABRIQUE_VAR", str(tmp_path / "var"))
    monkeypatch.delenv(P.TOKEN_ENV, raising=False)


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


@pytest.fixture
def room(engine, store):
    """A Plénière whose session has three futures that all raise fertility and the
    energy lever below, so that the consensus moves two themes."""
    plen = P.Pleniere(engine, store=store)
    assert plen.apply_query(f"jeton={P.facilitator_token()}", "", "")
    session = plen.open_session("Atelier du vote")
    reg = engine.levers
    energy = next(lv for lv in reg.values() if lv.theme not in ("demographie",)
                  and lv.kind == "action" and lv.theme != reg["fertility"].theme)
    for i in range(3):
        values = {**reg.trend_values(), "fertility": reg["fertility"].max, energy.id: energy.max}
        store.submit(session.code, f"P{i}", values, "Un futur.", share_code="F1x",
                     model_version=wb.__version__, territory="grand-chambery",
                     key=uuid.uuid4().hex, participant=f"{i:016d}")
    plen.poll()
    return plen, session, ["demographie", energy.theme]


def participant(engine, store, code, name) -> Atelier:
    app = Atelier(engine, store=store)  # each on a device of their own
    assert app.join(code, name)
    return app


def shown(widget) -> str:
    """The text of an HTML widget as read (entities decoded, French spaces plain)."""
    return html.unescape(widget.value).replace("\xa0", " ").replace("\u202f", " ")


def tally_rows(plen) -> dict[str, str]:
    import re

    return dict(re.findall(r'data-theme="([a-z_]+)" data-verdict="([a-z_]+)"',
                           plen.ballot.tally_html.value))


def test_the_room_votes_on_the_consensus_theme_by_theme(engine, store, room):
    plen, session, themes = room
    camille = participant(engine, store, session.code, "Camille")
    assert not camille.vote.shown  # no vote yet: nothing shown
    plen.poll()
    assert "Pas encore de vote" in shown(plen.ballot.tally_html)
    assert plen.ballot.open_vote()
    assert "Vote ouvert" in plen.ballot.msg.value
    camille.beat()  # the next beat shows it
    assert camille.vote.shown
    assert list(camille.vote.choices) == themes
    radio = camille.vote.choices["demographie"]
    assert [o for o, _ in radio.options] == ["D'accord", "Pas d'accord", "À discuter"]
    assert radio.value is None and radio.description == "Démographie"
    row_text = camille.vote.rows.children[0].children[0].value
    assert "Fécondité" in row_text or "enfants par femme" in row_text
    assert "tendanciel" in row_text

    dominique = participant(engine, store, session.code, "Dominique")
    radio.value = "accord"
    assert "Avis enregistré" in camille.vote.messages["demographie"].value
    dominique.vote.choices["demographie"].value = "desaccord"
    dominique.vote.choices[themes[1]].value = "accord"
    plen.poll()
    assert tally_rows(plen) == {"demographie": "a_discuter", themes[1]: "adopte"}
    assert "2 participants ont voté" in plen.ballot.tally_html.value
    dominique.vote.choices["demographie"].value = "accord"  # changed their mind: counted once
    plen.poll()
    assert tally_rows(plen)["demographie"] == "adopte"
    assert len(store.votes(session.code)) == 3

    # a reload: the page shows the choice already made
    again = Atelier(engine, store=store)
    again.device, again.person = camille.device, camille.person  # the same device
    assert again.join(session.code, "Camille")
    assert again.vote.choices["demographie"].value == "accord"
    assert again.vote.choices[themes[1]].value is None


def test_a_closed_or_replaced_vote_says_so_in_french(engine, store, room):
    plen, session, themes = room
    camille = participant(engine, store, session.code, "Camille")
    assert plen.ballot.open_vote()
    camille.beat()
    plen.ballot.close_vote()
    assert "Vote clos" in plen.ballot.msg.value and plen.ballot.close_button.disabled
    camille.beat()
    assert camille.vote.shown  # still shown, closed
    assert "Le vote est clos" in shown(camille.vote.state)
    assert all(r.disabled for r in camille.vote.choices.values())
    camille.vote.choices["demographie"].value = "accord"  # forged through the protocol
    assert MSG_NO_BALLOT in shown(camille.vote.messages["demographie"])
    assert store.votes(session.code) == []

    # a new consensus put to the vote: the page that still shows the old one is told
    assert plen.ballot.open_vote()
    camille.beat()
    old = camille.vote.share_code
    reg = engine.levers
    other = share_code(Scenario(name="autre", levers={"fertility": reg["fertility"].min}), reg)
    store.open_ballot(session.code, other, ["demographie"])  # the consensus changed meanwhile
    camille.vote.choices["demographie"].value = "accord"
    assert MSG_BALLOT_CHANGED in shown(camille.vote.state)
    assert camille.vote.choices["demographie"].value is None  # redrawn: choose again
    assert camille.vote.share_code == other != old  # the new consensus is shown at once
    assert store.votes(session.code) == []


def test_a_session_with_no_futures_has_nothing_to_put_to_the_vote(engine, store):
    plen = P.Pleniere(engine, store=store)
    assert plen.apply_query(f"jeton={P.facilitator_token()}", "", "")
    plen.open_session("Sans futurs")
    assert not plen.ballot.open_vote()
    assert "qui a reçu des futurs" in plen.ballot.msg.value


def test_another_session_never_votes_on_the_previous_consensus(engine, store, room):
    plen, session, themes = room
    assert plen.ballot.consensus is not None
    plen.open_session("Nouvel atelier, sans futurs")
    assert plen.ballot.consensus is None
    assert not plen.ballot.open_vote()
    assert store.ballot(plen.session.code) is None


def test_another_person_on_the_device_does_not_see_the_previous_choices(engine, store, room):
    plen, session, themes = room
    camille = participant(engine, store, session.code, "Camille")
    assert plen.ballot.open_vote()
    camille.beat()
    camille.vote.choices["demographie"].value = "accord"
    camille.someone_else()
    assert not camille.vote.shown and camille.vote.rows.children == ()
    assert camille.join(session.code, "Dominique")
    assert camille.vote.shown and camille.vote.choices["demographie"].value is None
