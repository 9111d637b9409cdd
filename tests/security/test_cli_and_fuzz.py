"""Hostile files on the command line, and property-based fuzzing (Hypothesis) of the three
doors that take text from anyone: the scenario loader, the share-code decoder and the
store's text fields. Every refusal is a WorkbenchError with a French message: never another
exception, never a traceback, never a raw control character on the terminal."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.errors import WorkbenchError
from workbench.levers import load_levers
from workbench.scenario import parse_scenario_yaml, scenario_from_code, share_code
from workbench.store import Store
from workbench.text import BIDI_CONTROLS

from ..conftest import run_cli

REGISTRY = load_levers()
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def refused(tmp_path, text: str, *more: str) -> str:
    f = tmp_path / "hostile.yaml"
    f.write_text(text, encoding="utf-8")
    out = run_cli("validate", str(f), *more)
    assert out.returncode == 2, (out.returncode, out.stdout[-300:], out.stderr[-300:])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr[:600]
    assert "Traceback" not in out.stderr and not RAW_CONTROL.search(out.stderr + out.stdout)
    return lines[0]


@pytest.mark.parametrize("text,says", [
    ("name: a\nlevers:\n  home_care_share: " + "9" * 4000 + "\n", "4000 characters"),
    ("[" * 5000, "nested more than"),
    ("name: a\nname: b\nlevers: {}\n", "appears twice"),
    ("name: a\nlevers:\n  home_care_share: 60\n  home_care_share: 70\n", "appears twice"),
    ("name: a\nlevers:\n  home_care_share: 15:00\n", "'15:00' is not a number"),
    ("name: a\nlevers:\n  home_care_share: 0b10\n", "'0b10' is not a number"),
    ("name: a\nlevers:\n  home_care_share: 0o77\n", "'0o77' is not a number"),
    ("name: a\nlevers:\n  home_care_share: 0x50\n", "'0x50' is not a number"),
    ("name: a\nlevers:\n  home_care_share: yes\n", "'yes' is not a number"),
    ("name: a\nlevers:\n  home_care_share: .inf\n", "not a finite number"),
    ('name: "Zoé\\e[31m\\a"\nlevers: {}\n', "control characters"),
    ('name: "\\u202enimda\\u202c"\nlevers: {}\n', "control characters"),
    ("name: true\nlevers: {}\n", "must be text"),
    ("x" * 70_000, "larger than"),
])
def test_the_cli_refuses_with_one_line_and_exit_2(tmp_path, text, says):
    line = refused(tmp_path, text)
    assert says in line, line


def test_an_unknown_lever_with_control_characters_is_echoed_escaped(tmp_path):
    line = refused(tmp_path, 'name: a\nlevers:\n  "evil\\e[2J\\a": 1\n')
    assert "\\x1b[2J\\x07" in line


def test_yaml_1_2_readings_and_1e3(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text("name: yes\nlevers:\n  home_care_share: 7e1\n  fertility: 1_6e-1\n",
                 encoding="utf-8")
    s = wb.load_scenario(f, REGISTRY)
    assert s.name == "yes"  # a name, not True
    assert s.levers["home_care_share"] == 70.0
    assert s.levers["fertility"] == pytest.approx(1.6)
    # decimal, never octal (YAML 1.1 read 01604 as 900, in range, silently)
    with pytest.raises(WorkbenchError, match="1604 is out of range"):
        parse_scenario_yaml("name: a\nlevers:\n  home_care_share: 01604\n", REGISTRY)


# -- property-based fuzzing -----------------------------------------------------------------

yaml_ish = st.text(alphabet=st.sampled_from(list("name:levrs_home care{}[],-'\"!&*#|>?%@`\n\t "
                                                 "0123456789.eE+~\x00\x07\x1b\u202e\u200b")),
                   max_size=300)


@FUZZ
@given(st.one_of(st.text(max_size=400), yaml_ish))
def test_fuzz_the_scenario_loader_refuses_cleanly(text):
    try:
        s = parse_scenario_yaml(text, REGISTRY, "fuzz.yaml")
    except WorkbenchError as err:
        assert err.message_fr and "Traceback" not in str(err)
        return
    assert s.name and not RAW_CONTROL.search(s.name)
    assert not any(c in BIDI_CONTROLS for c in s.name)
    for lever, value in s.levers.items():
        assert REGISTRY[lever].min <= value <= REGISTRY[lever].max


@FUZZ
@given(st.text(max_size=200))
def test_fuzz_the_share_code_decoder_refuses_cleanly(code):
    try:
        s = scenario_from_code(code, REGISTRY)
    except WorkbenchError as err:
        assert err.message_fr
        return
    assert share_code(s, REGISTRY) == share_code(scenario_from_code(share_code(s, REGISTRY),
                                                                    REGISTRY), REGISTRY)


@FUZZ
@given(st.dictionaries(st.sampled_from(list(REGISTRY)),
                       st.floats(allow_nan=False, allow_infinity=False), max_size=6))
def test_fuzz_share_codes_round_trip_every_valid_scenario(levers):
    values = {}
    for lever, value in levers.items():
        try:
            values[lever] = REGISTRY[lever].check(value)
        except WorkbenchError:
            continue
    s = wb.Scenario(name="x", levers=values)
    back = scenario_from_code(share_code(s, REGISTRY), REGISTRY)
    for lever, value in values.items():
        assert back.levers[lever] == pytest.approx(value)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.sqlite3'}")
    yield store, store.create_session("Fuzz")
    store.dispose()


@FUZZ
@given(pseudonym=st.text(max_size=60), group=st.text(max_size=60),
       text=st.text(max_size=300))
def test_fuzz_the_store_text_fields(fuzz_store, pseudonym, group, text):
    store, session = fuzz_store
    try:
        sub = store.submit(session.code, pseudonym, REGISTRY.trend_values(), text,
                           group=group, share_code="F1x", model_version=wb.__version__,
                           territory="grand-chambery", key=uuid.uuid4().hex)
    except WorkbenchError as err:
        assert err.message_fr
        return
    for stored in (sub.pseudonym, sub.group):
        assert not RAW_CONTROL.search(stored) and "\n" not in stored and "\t" not in stored
        assert not any(c in BIDI_CONTROLS for c in stored)
    assert sub.pseudonym.strip() and not RAW_CONTROL.search(sub.text)
    assert store.get_submission(sub.id) == sub  # read back exactly as accepted
