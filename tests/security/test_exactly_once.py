"""Exactly-once submissions: the key is derived from the participant's device (a cookie the
page keeps) and the future itself, so a double click, a retry after a reload and a retry
after the server was killed all count once; nothing acknowledged is ever lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from workbench.app.atelier import Atelier
from workbench.identity import DEVICE_ENV, new_device, submission_key

from ..conftest import ROOT
from ..conftest_pg import postgresql_server, store, url  # noqa: F401  (fixtures)

DEVICE = new_device()


def page(engine, store, monkeypatch, device=DEVICE) -> Atelier:
    """A fresh page (a new kernel) of the browser whose device id is ``device``."""
    monkeypatch.setenv(DEVICE_ENV, device)
    return Atelier(engine, store=store)


def test_a_double_click_counts_once(engine, store, monkeypatch):
    session = store.create_session("Double clic")
    app = page(engine, store, monkeypatch)
    assert app.join(session.code, "Zoé")
    app.controls["home_care_share"].slider.value = 75
    assert app.submit("Vieillir chez soi.")
    assert app.submit("Vieillir chez soi.")  # the second click of a double click
    (sub,) = store.submissions(session.code)
    assert "déjà enregistré" in app.submit_msg.value and f"n° {sub.id}" in app.submit_msg.value
    # a changed lever (or text) is another future
    app.controls["home_care_share"].slider.value = 80
    assert app.submit("Vieillir chez soi.")
    assert len(store.submissions(session.code)) == 2
    # …which replaces the first: one person, one current future (the first stays as history)
    assert [s.id for s in store.current(session.code)] == [sub.id + 1]
    assert f"remplace le précédent (n° {sub.id})" in app.submit_msg.value


def test_a_retry_after_a_reload_counts_once_and_the_page_says_it_landed(engine, store,
                                                                        monkeypatch):
    session = store.create_session("Rechargement")
    first = page(engine, store, monkeypatch)
    first.join(session.code, "Léo", "Groupe 3")
    first.controls["home_care_share"].slider.value = 75
    assert first.submit("Plus d'aide à domicile.")
    (sub,) = store.submissions(session.code)
    # the tab is reloaded: a new kernel, the same browser; joining says what was received
    again = page(engine, store, monkeypatch)
    assert again.join(session.code, "Léo", "Groupe 3")
    assert "1 futur déjà reçu" in again.join_msg.value and f"n° {sub.id}" in again.join_msg.value
    again.controls["home_care_share"].slider.value = 75
    assert again.submit("Plus d'aide à domicile.")
    assert [s.id for s in store.submissions(session.code)] == [sub.id]
    assert f"déjà enregistré (n° {sub.id})" in again.submit_msg.value
    # another browser is another participant: « Léo » is taken, in any spelling
    other = page(engine, store, monkeypatch, device=new_device())
    assert not other.join(session.code, "léo", "Groupe 3")
    assert "déjà pris dans cet atelier" in other.join_msg.value
    assert other.session_code is None and not other.join_button.disabled
    assert other.join(session.code, "Léo M.", "Groupe 3")
    other.controls["home_care_share"].slider.value = 75
    assert other.submit("Plus d'aide à domicile.")
    assert len(store.current(session.code)) == 2


def test_the_key_depends_on_every_part_of_the_future():
    base = (DEVICE, "ABCDEF", "Zoé", "", {"a": 1.0, "b": 2.0}, "texte")
    key = submission_key(*base)
    assert len(key) == 64 and key == submission_key(*base)
    assert key == submission_key(DEVICE, "ABCDEF", "Zoé", "", {"b": 2.0, "a": 1}, "texte")
    for i, changed in enumerate([new_device(), "ABCDEG", "Zoe", "G", {"a": 1.5, "b": 2.0},
                                 "texte."]):
        other = list(base)
        other[i] = changed
        assert submission_key(*other) != key, i


WRITER = r"""
import json, sys
from workbench.store import Store
from workbench.identity import submission_key
url, code, device, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = Store(url)
print("ready", flush=True)
for i in range(n):
    levers = {"fertility": 1.6, "home_care_share": 50.0 + i}
    key = submission_key(device, code, f"p{i:02d}", "", levers, "texte")
    sub = store.submit(code, f"p{i:02d}", levers, "texte", share_code="F1x",
                       model_version="0", territory="grand-chambery", key=key)
    print("ack", i, sub.id, flush=True)  # the participant's page shows « enregistré »
"""


def test_killing_the_writer_mid_burst_loses_nothing_acknowledged_and_retries_count_once(
        url, store):
    """kill -9 of the process writing a burst of 50 submissions, then every client retries
    with its key: each acknowledged future is there, and no future is there twice."""
    n = 50
    session = store.create_session("Panne de serveur")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url, session.code, DEVICE, str(n)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    acked: dict[int, int] = {}
    assert proc.stdout.readline().strip() == "ready"
    for line in proc.stdout:  # killed once a third of the burst is acknowledged
        _, i, sub_id = line.split()
        acked[int(i)] = int(sub_id)
        if len(acked) >= n // 3:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.1)
    stored = {s.id: s for s in store.submissions(session.code)}
    assert set(acked.values()) <= set(stored)  # nothing acknowledged was lost
    # every participant retries (those acknowledged too: their page may not have shown it)
    for i in range(n):
        levers = {"fertility": 1.6, "home_care_share": 50.0 + i}
        key = submission_key(DEVICE, session.code, f"p{i:02d}", "", levers, "texte")
        sub = store.submit(session.code, f"p{i:02d}", levers, "texte", share_code="F1x",
                           model_version="0", territory="grand-chambery", key=key)
        if i in acked:
            assert sub.id == acked[i]
    final = store.submissions(session.code)
    assert len(final) == n and len({s.pseudonym for s in final}) == n
    assert json.dumps(sorted(s.pseudonym for s in final)) == json.dumps(
        [f"p{i:02d}" for i in range(n)])


def test_a_store_that_fails_keeps_the_future_in_the_page_to_send_again(engine, tmp_path,
                                                                       monkeypatch):
    """The store held by another process past its busy time-out (a stuck writer, a backup
    taking the file): the page says so in French, keeps the future and its text, and the
    same click later stores it once."""
    import html
    import sqlite3

    from workbench import store as store_module
    from workbench.format import french_spacing
    from workbench.store import MSG_UNAVAILABLE, Store

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 1)
    path = tmp_path / "fabrique.sqlite3"
    store = Store(f"sqlite:///{path}")
    session = store.create_session("Panne du stockage")
    app = page(engine, store, monkeypatch)
    assert app.join(session.code, "Lou")
    app.controls["home_care_share"].slider.value = 70
    app.text.value = "Plus d'aide à domicile."
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert not app.submit(app.text.value)
        assert french_spacing(MSG_UNAVAILABLE) in html.unescape(app.submit_msg.value)
        assert not app.submit_button.disabled
        assert app.state.values["home_care_share"] == 70
        assert app.text.value == "Plus d'aide à domicile."
    finally:
        blocker.rollback()
        blocker.close()
    assert store.submissions(session.code) == []
    assert app.submit(app.text.value)
    (sub,) = store.submissions(session.code)
    assert sub.levers["home_care_share"] == 70 and sub.text == "Plus d'aide à domicile."
    assert app.submit(app.text.value)  # clicked again: still one
    assert len(store.submissions(session.code)) == 1
