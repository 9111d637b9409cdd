"""The store keeps every submitted scenario: the same behaviour on SQLite (a file in tmp_path)
and on a real PostgreSQL server started for the test session (tests/conftest_pg.py)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import pytest
from sqlalchemy import text as sql

import workbench.store as store_mod
from workbench.errors import WorkbenchError
from workbench.identity import participant_id
from workbench.store import (
    CODE_ALPHABET,
    MSG_BALLOT_CHANGED,
    MSG_CLOSED,
    MSG_NO_BALLOT,
    MSG_PSEUDONYM_TAKEN,
    MSG_UNAVAILABLE,
    MSG_UNKNOWN_SESSION,
    Store,
    StoreError,
    Submission,
    format_code,
)
from workbench.text import clean_text

from .conftest import ROOT, free_port
from .conftest_pg import postgresql_server, store, url  # noqa: F401  (fixtures)

LEVERS = {"fertility": 1.6, "renovation_rate": 2.5, "solar_share": 30.0}


@pytest.fixture
def code(store) -> str:
    return store.create_session("Atelier du 12 mars").code


def submit(store: Store, code: str, pseudonym: str = "Camille", levers=None,
           text: str = "Moins de voitures, plus d'arbres.", **kw) -> Submission:
    kw = {"group": "", "share_code": "F1abc", "model_version": "0.1.0",
          "territory": "grand-chambery", "key": uuid.uuid4().hex, **kw}
    return store.submit(code, pseudonym, LEVERS if levers is None else levers, text, **kw)


# -- sessions --------------------------------------------------------------------------------

def test_create_and_get_session_any_spelling(store):
    made = store.create_session("Atelier <b>n°1</b>")
    assert len(made.code) == 6 and set(made.code) <= set(CODE_ALPHABET)
    assert not set(made.code) & set("0O1IL")
    assert made.display_code == f"{made.code[:3]}-{made.code[3:]}" == format_code(made.code)
    assert made.open and made.created.tzinfo == UTC
    c = made.code
    for typed in (c, made.display_code, c.lower(), f"{c[:3].lower()} {c[3:].lower()}",
                  f"  {c[:3]} - {c[3:]}  "):
        assert store.get_session(typed) == made
    assert made in store.sessions()


def test_session_codes_are_redrawn_on_collision(store, monkeypatch):
    codes = iter(["ABCDEF", "ABCDEF", "GHJKMN"])
    monkeypatch.setattr(store_mod, "_new_code", lambda: next(codes))
    assert store.create_session("un").code == "ABCDEF"
    assert store.create_session("deux").code == "GHJKMN"


@pytest.mark.parametrize("typed", ["ZZZ-ZZZ", "hello", "ABC-DE0", "", "A" * 500, None, 123456])
def test_unknown_code_gets_a_french_message(store, code, typed):
    for call in (lambda: store.get_session(typed), lambda: store.close_session(typed),
                 lambda: store.submissions(typed), lambda: submit(store, typed)):
        with pytest.raises(StoreError) as err:
            call()
        assert err.value.message_fr == MSG_UNKNOWN_SESSION
        assert isinstance(err.value, WorkbenchError)
    assert store.submissions(code) == []


def test_closed_session_refuses_new_submissions(store, code):
    first = submit(store, code, key="k" * 32)
    store.close_session(code.lower())
    assert store.get_session(code).open is False
    with pytest.raises(StoreError) as err:
        submit(store, code)
    assert err.value.message_fr == MSG_CLOSED and "closed" in str(err.value)
    assert submit(store, code, key="k" * 32) == first  # a retry of what landed still answers
    assert store.submissions(code) == [first]


# -- submissions: stored exactly as typed ----------------------------------------------------

@pytest.mark.parametrize("typed", [
    '<script>alert("x")</script><img src=x onerror=alert(1)> & &amp; \'quotes\'',
    "Vélo 🚲🌳👩🏽‍🌾 pour tous — مرحبا بالمستقبل \u202eRTL\u202c e\u0301 ñ 中文",
    ("Ligne 1\nLigne 2\r\n\tindentée " * 80)[:1999] + "!",  # 2000 characters with newlines
])
def test_submission_reads_back_exactly(store, code, typed):
    pseudo = "Zoé 🚲 مريم e\u0301 <b>x</b>"
    sent = dict(LEVERS, ghg=-29.0, count=3)
    sub = submit(store, code, pseudonym=pseudo, text=typed, levers=sent, group="Groupe 🌍 B",
                 share_code="F1AbC-_9")
    assert len(typed.strip()) <= 2000
    # what the door accepted (workbench.text: NFC, line ends, no control characters),
    # read back exactly
    assert (sub.pseudonym, sub.text, sub.group) == (
        unicodedata.normalize("NFC", pseudo), clean_text(typed), "Groupe 🌍 B")
    assert sub.levers == {k: float(v) for k, v in sent.items()}
    assert all(type(v) is float for v in sub.levers.values())
    assert (sub.session_code, sub.share_code, sub.model_version, sub.territory) == (
        code, "F1AbC-_9", "0.1.0", "grand-chambery")
    assert sub.created.tzinfo == UTC
    assert store.get_submission(sub.id) == sub
    assert store.submissions(code) == [sub]


def test_pseudonym_and_text_are_stripped(store, code):
    sub = submit(store, code, pseudonym="  Alex \n", text="\n  Un futur sobre.  \n\n",
                 group=" A ")
    assert (sub.pseudonym, sub.text, sub.group) == ("Alex", "Un futur sobre.", "A")


@pytest.mark.parametrize("field,value,french", [
    ("pseudonym", "p" * 41, "Le pseudonyme dépasse 40 caractères"),
    ("pseudonym", "   ", "Le pseudonyme est vide"),
    ("pseudonym", "Bob\x00", "Le pseudonyme contient des caractères invisibles ou de contrôle"),
    ("pseudonym", "Bob\x1b[31m", "Le pseudonyme contient des caractères invisibles ou de"),
    ("pseudonym", 42, "Le pseudonyme doit être du texte"),
    ("group", "g" * 41, "Le nom du groupe dépasse 40 caractères"),
    ("text", "t" * 2001, "dépasse 2000 caractères (2001 saisis)"),
    ("text", " \n ", "Expliquez en quelques mots"),
    ("text", "\x00\x07 \u200b", "Expliquez en quelques mots"),  # nothing visible is left
    ("text", "\ud800", "caractères non autorisés"),
])
def test_bad_text_is_refused_in_french_and_nothing_stored(store, code, field, value, french):
    with pytest.raises(StoreError) as err:
        submit(store, code, **{field: value})
    assert french in err.value.message_fr
    assert field in str(err.value)  # the analyst's message names the field
    assert store.submissions(code) == []


@pytest.mark.parametrize("levers", [
    {"fertility": math.nan}, {"fertility": math.inf}, {"fertility": -math.inf},
    {"fertility": "1.5"}, {"fertility": None}, {"fertility": True}, {"fertility": [1.0]},
    {}, [("fertility", 1.5)], {"": 1.0}, {"bad id": 1.0}, {3: 1.0},
])
def test_bad_lever_values_are_refused(store, code, levers):
    with pytest.raises(StoreError) as err:
        submit(store, code, levers=levers)
    assert err.value.message_fr == "Les valeurs des leviers ne sont pas valides."
    assert store.submissions(code) == []


def test_same_key_twice_stores_once(store, code):
    key = uuid.uuid4().hex
    first = submit(store, code, key=key)
    again = submit(store, code, key=key, text="autre texte")
    assert again == first
    assert store.submissions(code) == [first]


# -- one future per person, a pseudonym per person -------------------------------------------


def test_a_participants_new_future_replaces_the_previous_one_history_kept(store, code):
    alice, bob = participant_id("device-alice-0123456789ab", code), participant_id(
        "device-bob-0123456789abcdef", code)
    a1 = submit(store, code, "Alice", participant=alice)
    b1 = submit(store, code, "Bob", participant=bob)
    a2 = submit(store, code, "Alice", text="J'ai changé d'avis.", participant=alice)
    assert a2.participant == alice and a2.person == alice
    assert [s.id for s in store.submissions(code)] == [a1.id, b1.id, a2.id]  # history
    assert [s.id for s in store.current(code)] == [b1.id, a2.id]  # one per person
    # rows without a participant (scripts, stores of schema 1) each count alone
    x = submit(store, code, "Anonyme")
    y = submit(store, code, "Anonyme")
    assert x.person != y.person and len(store.current(code)) == 4


@pytest.mark.parametrize("other", ["Zoé", "zoé", " ZOÉ ", "Zoe\u0301"])  # NFC or not
def test_a_pseudonym_is_one_persons_in_a_session(store, code, other):
    zoe = participant_id("device-zoe-0123456789abcdef", code)
    other_device = participant_id("device-other-0123456789ab", code)
    submit(store, code, "Zoé", participant=zoe)
    assert store.pseudonym_taken(code, other, other_device)
    assert not store.pseudonym_taken(code, other, zoe)  # hers, from another tab or a reload
    with pytest.raises(StoreError) as err:
        submit(store, code, other, participant=other_device)
    assert err.value.message_fr == MSG_PSEUDONYM_TAKEN
    assert len(store.submissions(code)) == 1
    submit(store, code, "Zoé B.", participant=other_device)  # another name is fine
    submit(store, code, other, participant=zoe)
    # the same name is free in another session
    code2 = store.create_session("Autre").code
    assert not store.pseudonym_taken(code2, "Zoé", participant_id("device-other-0123456789ab",
                                                                   code2))


def test_a_participant_id_is_not_the_device_and_depends_on_the_session():
    device = "0123456789abcdefghijKLMN"
    a, b = participant_id(device, "ABCDEF"), participant_id(device, "GHJKMN")
    assert a != b and len(a) == 32 and device not in a
    assert a == participant_id(device, "ABCDEF")


def test_a_malformed_participant_is_refused(store, code):
    with pytest.raises(StoreError):
        submit(store, code, participant="<script>")


def test_a_store_of_schema_1_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v1.sqlite3"
    import sqlite3

    con = sqlite3.connect(path)
    con.executescript("""
    CREATE TABLE fabrique_schema (version INTEGER PRIMARY KEY);
    INSERT INTO fabrique_schema VALUES (1);
    CREATE TABLE fabrique_sessions (code VARCHAR(6) PRIMARY KEY, title VARCHAR(120) NOT NULL,
        created DATETIME NOT NULL, open BOOLEAN NOT NULL);
    INSERT INTO fabrique_sessions VALUES ('ABCDEF', 'Ancien', '2026-11-20 09:00:00', 1);
    CREATE TABLE fabrique_submissions (id INTEGER PRIMARY KEY AUTOINCREMENT,
        key VARCHAR(64) NOT NULL UNIQUE, session_code VARCHAR(6) NOT NULL
        REFERENCES fabrique_sessions(code), pseudonym VARCHAR(40) NOT NULL,
        group_name VARCHAR(40) NOT NULL, levers TEXT NOT NULL, share_code VARCHAR(1000)
        NOT NULL, text TEXT NOT NULL, model_version VARCHAR(64) NOT NULL,
        territory VARCHAR(64) NOT NULL, created DATETIME NOT NULL);
    INSERT INTO fabrique_submissions VALUES (1, 'k0123456789', 'ABCDEF', 'Zoé', '',
        '{"fertility": 1.6}', 'F1', 'Un futur.', '0.1.0', 'grand-chambery',
        '2026-11-20 09:05:00');
    """)
    con.commit()
    con.close()
    s = Store(f"sqlite:///{path}")
    try:
        (old,) = s.submissions("ABCDEF")
        assert old.pseudonym == "Zoé" and old.participant == "" and old.person == "n1"
        new = submit(s, "ABCDEF", "Zoé", participant=participant_id("d" * 24, "ABCDEF"))
        assert [x.id for x in s.current("ABCDEF")] == [1, new.id]
        with s._engine.connect() as conn:
            assert conn.execute(sql("SELECT version FROM fabrique_schema")).scalar() == 5
        s.save_draft("o" * 32, {"x": 1})  # the table of schema 3 exists
        assert s.draft("o" * 32).data == {"x": 1}
        s.open_ballot("ABCDEF", "F1", ["energie"])  # and those of schema 4
        s.vote("ABCDEF", "p" * 16, "energie", "accord", "F1")
        assert [v.choice for v in s.votes("ABCDEF")] == ["accord"]
        s.start_phase("ABCDEF", "Pause", 300)  # and that of schema 5
        assert s.phase("ABCDEF").name == "Pause"
    finally:
        s.dispose()
    again = Store(f"sqlite:///{path}")  # opening a migrated store again changes nothing
    try:
        assert len(again.submissions("ABCDEF")) == 2
    finally:
        again.dispose()


# -- the vote on the consensus ---------------------------------------------------------------

def test_a_vote_counts_one_choice_per_person_and_theme_and_can_be_changed(store, code):
    assert store.ballot(code) is None
    with pytest.raises(StoreError) as err:
        store.vote(code, "p" * 16, "energie", "accord", "F1")
    assert err.value.message_fr == MSG_NO_BALLOT
    ballot = store.open_ballot(code, "F1abc", ["energie", "mobilite", "energie"])
    assert ballot.themes == ("energie", "mobilite") and ballot.open
    store.vote(code, "a" * 16, "energie", "accord", "F1abc")
    store.vote(code, "a" * 16, "energie", "accord", "F1abc")  # a double click: one vote
    store.vote(code, "b" * 16, "energie", "desaccord", "F1abc")
    store.vote(code, "b" * 16, "energie", "a_discuter", "F1abc")  # changed their mind
    store.vote(code, "b" * 16, "mobilite", "accord", "F1abc")
    got = {(v.participant[0], v.theme): v.choice for v in store.votes(code)}
    assert got == {("a", "energie"): "accord", ("b", "energie"): "a_discuter",
                   ("b", "mobilite"): "accord"}


def test_a_vote_is_refused_in_french_when_it_is_not_the_ballot(store, code):
    store.open_ballot(code, "F1abc", ["energie"])
    for args, why in (((code, "a" * 16, "energie", "accord", "F1old"), MSG_BALLOT_CHANGED),
                      ((code, "a" * 16, "eau", "accord", "F1abc"), "n'est pas soumis"),
                      ((code, "a" * 16, "energie", "oui", "F1abc"), "n'existe pas"),
                      ((code, "", "energie", "accord", "F1abc"), "mal formé")):
        with pytest.raises(StoreError) as err:
            store.vote(*args)
        assert why in err.value.message_fr
    with pytest.raises(StoreError) as err:
        store.open_ballot(code, "F1abc", [])
    assert "rien à soumettre" in err.value.message_fr
    assert store.votes(code) == []


def test_a_new_consensus_put_to_the_vote_starts_the_count_again(store, code):
    store.open_ballot(code, "F1abc", ["energie"])
    store.vote(code, "a" * 16, "energie", "accord", "F1abc")
    store.close_ballot(code)
    assert not store.ballot(code).open and len(store.votes(code)) == 1  # closed: still counted
    with pytest.raises(StoreError) as err:
        store.vote(code, "b" * 16, "energie", "accord", "F1abc")
    assert err.value.message_fr == MSG_NO_BALLOT
    store.open_ballot(code, "F2xyz", ["energie"])
    assert store.ballot(code).share_code == "F2xyz" and store.votes(code) == []
    store.vote(code, "a" * 16, "energie", "desaccord", "F2xyz")
    assert [v.choice for v in store.votes(code)] == ["desaccord"]


def test_votes_cast_at_the_same_instant_all_land(store, code):
    store.open_ballot(code, "F1abc", ["energie"])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.vote(code, f"{i:016d}", "energie", "accord", "F1abc"),
                      range(40)))
    assert len(store.votes(code)) == 40


# -- drafts ----------------------------------------------------------------------------------

def test_a_draft_is_kept_replaced_and_forgotten_per_owner(store):
    me, other = "a" * 32, "b" * 32
    assert store.draft(me) is None
    first = store.save_draft(me, {"levers": {"fertility": 1.7}, "text": "Des arbres <b>"})
    store.save_draft(other, {"text": "l'autre"})
    got = store.draft(me)
    assert got.data == {"levers": {"fertility": 1.7}, "text": "Des arbres <b>"}
    assert got.updated.tzinfo is not None and got.updated == first.updated
    store.save_draft(me, {"text": "Plus d'arbres"})  # replaced, not added
    assert store.draft(me).data == {"text": "Plus d'arbres"}
    assert store.draft(other).data == {"text": "l'autre"}
    store.forget_draft(me)
    store.forget_draft(me)  # nothing to forget: no error
    assert store.draft(me) is None and store.draft(other) is not None


@pytest.mark.parametrize("owner", ["", "short", "x" * 65, "a b c d e f g h", None])
def test_a_draft_needs_a_well_formed_owner(store, owner):
    with pytest.raises(StoreError):
        store.save_draft(owner, {})
    with pytest.raises(StoreError):
        store.draft(owner)


def test_a_draft_that_is_too_long_or_not_json_is_refused_in_french(store):
    with pytest.raises(StoreError) as err:
        store.save_draft("a" * 32, {"text": "x" * store_mod.MAX_DRAFT})
    assert "trop long" in err.value.message_fr
    with pytest.raises(StoreError):
        store.save_draft("a" * 32, {"x": float("nan")})
    with pytest.raises(StoreError):
        store.save_draft("a" * 32, {"x": object()})
    assert store.draft("a" * 32) is None


def test_drafts_saved_at_the_same_instant_all_land(store):
    barrier = threading.Barrier(10)

    def one(i: int) -> None:
        barrier.wait()
        for n in range(5):
            store.save_draft(f"owner{i:04d}", {"n": n})

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(one, range(10)))
    assert [store.draft(f"owner{i:04d}").data for i in range(10)] == [{"n": 4}] * 10


def test_same_key_at_the_same_instant_stores_once(store, code):
    key = uuid.uuid4().hex
    barrier = threading.Barrier(8)

    def one(i: int) -> Submission:
        barrier.wait()
        return submit(store, code, pseudonym=f"p{i}", key=key)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(one, range(8)))
    assert len({s.id for s in got}) == 1
    assert len(store.submissions(code)) == 1


def test_twenty_participants_at_the_same_instant_all_land(store, code):
    barrier = threading.Barrier(20)

    def one(i: int) -> Submission:
        barrier.wait()
        return submit(store, code, pseudonym=f"participant {i}")

    with ThreadPoolExecutor(20) as pool:
        got = list(pool.map(one, range(20)))
    stored = store.submissions(code)
    assert len(stored) == 20 and sorted(s.id for s in got) == [s.id for s in stored]
    assert {s.pseudonym for s in stored} == {f"participant {i}" for i in range(20)}


CHILD = """
import sys, threading, uuid
from workbench.store import Store
store = Store(sys.argv[1]); code = sys.argv[2]; name = sys.argv[3]
store.get_session(code)
print("ready", flush=True)
sys.stdin.readline()
barrier = threading.Barrier(10)
def one(i):
    barrier.wait()
    store.submit(code, f"{name}-{i}", {"fertility": 1.6}, "texte", share_code="F1x",
                 model_version="0.1.0", territory="grand-chambery", key=uuid.uuid4().hex)
threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
[t.start() for t in threads]; [t.join() for t in threads]
print("done", flush=True)
"""


def test_two_processes_at_the_same_instant_all_land(store, code, url):
    """Two server processes (kernels), each with its own Store on the same database."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, url, code, name], cwd=ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:  # both go at once
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    stored = store.submissions(code)
    assert sorted(s.pseudonym for s in stored) == sorted(
        f"{n}-{i}" for n in "ab" for i in range(10))


# -- durability ------------------------------------------------------------------------------

def test_survives_a_restart(store, code, url):
    sub = submit(store, code, text="Je reste là.")
    store.dispose()
    again = Store(url)
    try:
        assert again.get_session(code).code == code
        assert again.get_submission(sub.id) == sub
        assert again.submissions(code) == [sub]
    finally:
        again.dispose()


def test_polling_after_id_returns_only_newer_ones(store, code):
    other = store.create_session("autre atelier").code
    subs = [submit(store, code, pseudonym=f"p{i}") for i in range(3)]
    submit(store, other)
    assert store.submissions(code) == subs
    assert store.submissions(code, after_id=subs[0].id) == subs[1:]
    assert store.submissions(code, after_id=subs[-1].id) == []
    assert [s.id for s in subs] == sorted(s.id for s in subs)
    newer = submit(store, code)
    assert store.submissions(code, after_id=subs[-1].id) == [newer]


def test_failure_after_the_insert_leaves_no_row(store, code, monkeypatch):
    def boom(row):
        raise RuntimeError("crash after the insert, inside the transaction")

    monkeypatch.setattr(store_mod, "_to_submission", boom)
    with pytest.raises(RuntimeError):
        submit(store, code)
    monkeypatch.undo()
    assert store.submissions(code) == []


def test_database_refuses_what_validation_would_let_through(store, code, monkeypatch):
    monkeypatch.setattr(store_mod, "MAX_PSEUDONYM", 100)  # the table's CHECK still says 40
    with pytest.raises(StoreError) as err:
        submit(store, code, pseudonym="p" * 41)
    assert err.value.message_fr == MSG_UNAVAILABLE
    monkeypatch.undo()
    assert store.submissions(code) == []


def test_unknown_submission_id(store, code):
    with pytest.raises(StoreError) as err:
        store.get_submission(10**6)
    assert err.value.message_fr == "Ce scénario est introuvable."


# -- where the store is ----------------------------------------------------------------------

def test_database_url_from_the_environment(url, monkeypatch):
    monkeypatch.setenv("FABRIQUE_DATABASE_URL", url)
    s = Store()
    try:
        made = s.create_session("par l'environnement")
        assert s.url == url
    finally:
        s.dispose()
    direct = Store(url)
    try:
        assert direct.get_session(made.code) == made
    finally:
        direct.dispose()


def test_default_is_sqlite_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("FABRIQUE_DATABASE_URL", raising=False)
    monkeypatch.setenv("FABRIQUE_VAR", str(tmp_path / "var"))
    s = Store()
    try:
        s.create_session("défaut")
        assert (tmp_path / "var" / "fabrique.sqlite3").is_file()
        with s._engine.connect() as conn:
            # a rollback journal, not WAL (its memory-mapped -shm could kill a kernel)
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    finally:
        s.dispose()


def test_password_is_masked_and_bad_urls_are_refused():
    s = Store("postgresql://fab:s3cret@127.0.0.1:5432/fabrique")  # no connection yet
    assert "s3cret" not in s.url and "s3cret" not in repr(s)
    assert s.url.startswith("postgresql+psycopg://fab:***@")
    for bad in ("mysql://u@h/db", "not a url"):
        with pytest.raises(StoreError) as err:
            Store(bad)
        assert err.value.message_fr == MSG_UNAVAILABLE


def test_unreachable_database_gives_a_french_message():
    s = Store(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    with pytest.raises(StoreError) as err:
        s.sessions()
    assert err.value.message_fr == MSG_UNAVAILABLE and "127.0.0.1" in str(err.value)
    s.dispose()


def test_sqlite_tables_have_the_promised_schema(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'x' / 'new.sqlite3'}")  # the folder is created
    try:
        s.sessions()
        s2 = Store(s.url)  # create_all again is harmless
        assert s2.sessions() == []
        with s._engine.connect() as conn:
            assert conn.execute(sql("SELECT version FROM fabrique_schema")).scalar() == 5
        s2.dispose()
    finally:
        s.dispose()


KERNEL = r"""
import sys, uuid
from workbench.store import Store, StoreError
store = Store(sys.argv[1])
code = store.create_session("Atelier").code
levers = {"fertility": 1.6}
def send(name):
    try:
        store.submit(code, name, levers, "Un futur.", share_code="F1", model_version="0.1",
                     territory="grand-chambery", key=uuid.uuid4().hex)
        return "stored"
    except StoreError as err:
        return "refused: " + err.message_fr
print(send("avant"), flush=True)
for line in sys.stdin:
    print(send(line.strip()), flush=True)
"""


def test_a_store_file_damaged_under_a_kernel_is_reported_never_a_crash(tmp_path):
    """SQLite in WAL mode maps its -shm index into every process: removing or truncating it
    under a running kernel killed that kernel with SIGBUS. The store keeps a rollback
    journal (no -shm, no memory map), so the same damage is an error, reported in French."""
    db = tmp_path / "fabrique.sqlite3"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    child = subprocess.Popen([sys.executable, "-c", KERNEL, f"sqlite:///{db}"], cwd=ROOT,
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "stored", child.stderr.read()
        assert not list(tmp_path.glob("*-shm")) and not list(tmp_path.glob("*-wal"))
        for name in ("fabrique.sqlite3-shm", "fabrique.sqlite3-wal"):  # as a cleanup would
            (tmp_path / name).write_bytes(b"")
        child.stdin.write("apres-nettoyage\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "stored"
        with open(db, "r+b") as f:  # the file itself damaged (a failing disk)
            f.truncate(0)
        child.stdin.write("apres-degat\n")
        child.stdin.flush()
        line = child.stdout.readline().strip()
        assert line in ("stored", f"refused: {MSG_UNAVAILABLE}"), (line, child.stderr.read())
        child.stdin.close()
        assert child.wait(30) == 0, child.stderr.read()  # SIGBUS would be -7
    finally:
        if child.poll() is None:
            child.kill()


# -- the phase timer -------------------------------------------------------------------------

def test_the_phase_timer_is_kept_for_the_session_and_replaced_by_a_new_one(store, code):
    from datetime import timedelta

    assert store.phase(code) is None
    first = store.start_phase(code, "Explorer les leviers", 600)
    kept = store.phase(code)
    assert (kept.name, kept.seconds, kept.run) == ("Explorer les leviers", 600, first.run)
    assert kept.started == first.started and kept.started.tzinfo is not None
    # what is left, at a given instant (never the test machine's clock)
    t0 = kept.started
    assert kept.left(t0) == 600 and kept.left(t0 + timedelta(seconds=90.2)) == 510
    assert kept.left(t0 + timedelta(seconds=700)) == 0 and kept.left(t0 - timedelta(1)) == 600
    assert kept.shown(t0 + timedelta(seconds=650)) and not kept.shown(t0 + timedelta(hours=1))
    second = store.start_phase(code, "", 180)  # a new phase replaces it
    assert store.phase(code).run == second.run != first.run and store.phase(code).name == ""
    store.stop_phase(code)
    store.stop_phase(code)  # twice: nothing happens
    assert store.phase(code) is None
    for name, seconds in (("Pause\u202e", 60), ("Pause", 0), ("Pause", 10**6), ("Pause", 1.5)):
        with pytest.raises((ValueError, StoreError)) as err:  # refused, said in French
            store.start_phase(code, name, seconds)
        assert err.value.message_fr
    with pytest.raises(StoreError):
        store.start_phase("ZZZZZZ", "Pause", 60)
