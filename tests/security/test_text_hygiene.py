"""Text at the door: NFC, control characters and bidirectional controls, zero-width-only
values; refused at join time (while the fields can still be edited) as at submit time, and
never written raw into a page or the report."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

import pytest

import workbench as wb
from workbench.app.atelier import Atelier
from workbench.app.report import session_report
from workbench.errors import StoreError
from workbench.store import Store
from workbench.text import TextRefused, clean_line, clean_text, escape

RLO_ADMIN = "\u202enimda\u202c"  # displays as « admin »


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


@pytest.mark.parametrize("value", [
    "Zoé\x07", "\x1b[31mrouge", "a\x0bb", "a\x0cb", "ligne\nsuite", "tab\tulé", "nul\x00",
    RLO_ADMIN, "\u2066isolé\u2069", "marque\u200f",
])
def test_one_line_fields_refuse_control_and_bidi_characters(value):
    with pytest.raises(TextRefused) as err:
        clean_line(value, "Le pseudonyme", 40)
    assert "caractères invisibles ou de contrôle" in err.value.message_fr


@pytest.mark.parametrize("value", ["\u200b", "\u200b\u200b\ufeff", "\u200d\u200c", " \u2060 ",
                                   "\u00ad", "   "])
def test_a_value_with_nothing_visible_is_refused(value):
    for min_len in (0, 1):  # even where the field may be left empty (the group)
        if min_len == 0 and not value.strip():
            assert clean_line(value, "Le nom du groupe", 40, min_len=0) == ""
            continue
        with pytest.raises(TextRefused) as err:
            clean_line(value, "Le nom du groupe", 40, min_len=min_len)
        assert ("aucun caractère visible" in err.value.message_fr
                or "est vide" in err.value.message_fr)
    assert clean_text(value) == ""


def test_nfc_and_zero_width_removal():
    decomposed = "Zoe\u0301"  # e + combining acute
    assert clean_line(decomposed, "Le pseudonyme", 40) == "Zoé"
    assert unicodedata.is_normalized("NFC", clean_line(decomposed, "x", 40))
    assert clean_line("Lé\u200bo", "Le pseudonyme", 40) == "Léo"
    family = "👩\u200d👩\u200d👧"  # an emoji sequence keeps its joiners
    assert clean_line(family, "Le pseudonyme", 40) == family
    assert clean_line("", "Le nom du groupe", 40, min_len=0) == ""


def test_the_long_text_loses_its_control_characters_but_keeps_its_lines():
    raw = "Un futur\x0b sobre\x1b\x07\x0c.\r\nDeuxième\tligne \u202eabc\u202c\x00 fin"
    assert clean_text(raw) == "Un futur sobre.\nDeuxième ligne abc fin"
    assert clean_text("Cafe\u0301") == "Café"


def test_escape_never_lets_a_control_character_through():
    assert escape("<b>\x07\x1b[0m\u202eé\x0b") == "&lt;b&gt;[0mé"
    assert escape("a\nb\tc") == "a\nb\tc"


def test_the_store_applies_the_same_rules(store, engine):
    session = store.create_session("Atelier")
    values = engine.levers.trend_values()

    def submit(pseudonym="Zoé", group="", text="Un texte."):
        return store.submit(session.code, pseudonym, values, text, group=group,
                            share_code="F1x", model_version=wb.__version__,
                            territory="grand-chambery", key=uuid.uuid4().hex)

    for bad in (RLO_ADMIN, "Zoé\x07"):
        with pytest.raises(StoreError):
            submit(pseudonym=bad)
    with pytest.raises(StoreError):
        submit(group="\u200b\u200b")
    with pytest.raises(StoreError):
        store.create_session("\u200b")
    sub = submit(pseudonym="Zoe\u0301", text="Texte\x0b avec\x1b du bruit\x07.")
    assert sub.pseudonym == "Zoé" and sub.text == "Texte avec du bruit."


def test_the_atelier_refuses_at_join_time_and_the_fields_stay_editable(store, engine):
    session = store.create_session("Atelier")
    app = Atelier(engine, store=store)
    for bad in (RLO_ADMIN, "Zoé\x07", "\u200b"):
        assert not app.join(session.code, bad)
        assert app.join_msg.value and "Bienvenue" not in app.join_msg.value
        assert not app.join_name.disabled and not app.join_button.disabled
    assert not app.join(session.code, "Léo", "\u200b\u200c")
    assert app.join(session.code, "Léo")
    assert app.submit("Mon texte\x07 avec une cloche\x1b.")
    (sub,) = store.submissions(session.code)
    assert sub.text == "Mon texte avec une cloche."


def test_the_report_holds_no_raw_control_character(store, engine):
    session = store.create_session("Atelier du soir")
    # old data, written past the door (as an older version could have)
    from sqlalchemy import update

    from workbench.store import submissions_table

    values = engine.levers.trend_values()
    sub = store.submit(session.code, "Zoé", values, "Texte propre.", share_code="F1x",
                       model_version=wb.__version__, territory="grand-chambery",
                       key=uuid.uuid4().hex)
    with store._db("test", write=True) as conn:  # noqa: SLF001
        conn.execute(update(submissions_table).where(submissions_table.c.id == sub.id)
                     .values(text="Vieux\x0b texte\x1b[31m\x07 \u202eabc", pseudonym="Z\x0coé"))
    subs = store.submissions(session.code)
    report = session_report(engine, store.get_session(session.code), subs,
                            now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    raw = [c for c in report if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    assert raw == [] and "\u202e" not in report
