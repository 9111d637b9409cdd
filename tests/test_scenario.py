"""Scenarios: YAML and share codes round-trip exactly; bad input is a clear error."""

import numpy as np
import pytest

import workbench as wb
from workbench.scenario import MAX_FILE_BYTES


def random_scenario(levers, rng, name="hasard"):
    values = {}
    for lv in levers.values():
        n = round((lv.max - lv.min) / lv.step)
        values[lv.id] = lv.from_steps(lv.steps(lv.min) + int(rng.integers(0, n + 1)))
    return wb.Scenario(name=name, levers=values)


def test_reference_scenarios_are_valid_and_contrasted(engine, refs):
    assert list(refs)[0] == "tendanciel" and refs["tendanciel"].levers == {}
    assert len(refs) >= 3
    for s in refs.values():
        assert s.title and len(s.description) > 100  # a French narrative
    others = [s for n, s in refs.items() if n != "tendanciel"]
    assert all(s.levers for s in others)
    assert others[0].values(engine.levers) != others[1].values(engine.levers)


def test_yaml_round_trip_is_exact(engine, refs):
    for s in refs.values():
        again = wb.parse_scenario_yaml(s.to_yaml(), engine.levers)
        assert again == s


@pytest.mark.parametrize("seed", range(5))
def test_share_code_round_trip_is_exact(engine, seed):
    s = random_scenario(engine.levers, np.random.default_rng(seed))
    code = wb.share_code(s, engine.levers)
    assert code.startswith("F1") and len(code) < 120
    assert all(c.isalnum() or c in "-_" for c in code)  # URL-safe
    back = wb.scenario_from_code(code, engine.levers)
    assert back.values(engine.levers) == s.values(engine.levers)


def test_share_code_keeps_all_levers_even_at_trend(engine, refs):
    code = wb.share_code(refs["tendanciel"], engine.levers)
    back = wb.scenario_from_code(code, engine.levers)
    assert back.levers == engine.levers.trend_values()


@pytest.mark.parametrize("bad", [
    "", "F1", "hello", "F1AAAA", "F2" + "A" * 20, "F1" + "!" * 10, "F1" + "A" * 1000,
])
def test_wrong_share_codes_are_refused(engine, bad):
    with pytest.raises(wb.ScenarioError) as err:
        wb.scenario_from_code(bad, engine.levers)
    assert "code de partage" in err.value.message_fr


def test_a_mistyped_share_code_is_refused_not_misread(engine, refs):
    code = wb.share_code(refs["attractivite"], engine.levers)
    for i in range(2, len(code)):
        typo = code[:i] + ("A" if code[i] != "A" else "B") + code[i + 1:]
        with pytest.raises(wb.ScenarioError):
            wb.scenario_from_code(typo, engine.levers)


BAD_YAML = {
    "unknown lever": ("name: x\nlevers:\n  fertilty: 1.8\n", "unknown lever 'fertilty'"),
    "out of range": ("name: x\nlevers:\n  fertility: 5\n",
                     "lever 'fertility': 5 is out of range [1.3, 2.3]"),
    "nan": ("name: x\nlevers:\n  fertility: .nan\n", "not a finite number"),
    "inf": ("name: x\nlevers:\n  net_migration: .inf\n", "not a finite number"),
    "text": ("name: x\nlevers:\n  fertility: beaucoup\n", "'beaucoup' is not a number"),
    "boolean": ("name: x\nlevers:\n  fertility: yes\n", "is not a number"),
    "missing name": ("levers:\n  fertility: 1.8\n", "has no 'name'"),
    "empty name": ("name: '  '\nlevers: {}\n", "has no 'name'"),
    "malformed": ("name: x\nlevers: [fertility: 1.8\n", "malformed YAML at line"),
    "python tag": ("name: !!python/object/apply:os.system ['echo pwned']\n",
                   "malformed YAML"),
    "not a mapping": ("- 1\n- 2\n", "must be a mapping"),
    "levers not a mapping": ("name: x\nlevers: [1, 2]\n", "'levers' must be a mapping"),
    "unknown key": ("name: x\nlever: {}\n", "unknown keys ['lever']"),
    "huge name": ("name: " + "x" * 500 + "\n", "at most 80"),
}


@pytest.mark.parametrize("case", list(BAD_YAML))
def test_bad_yaml_gives_a_precise_error_naming_the_file(engine, case):
    text, expected = BAD_YAML[case]
    with pytest.raises(wb.ScenarioError) as err:
        wb.parse_scenario_yaml(text, engine.levers, "scenarios/mon-futur.yaml")
    assert str(err.value).startswith("scenarios/mon-futur.yaml: ")
    assert expected in str(err.value)
    assert err.value.message_fr and "Traceback" not in err.value.message_fr


def test_python_tags_never_run(engine, tmp_path):
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\nlevers: {{}}\n"
    with pytest.raises(wb.ScenarioError):
        wb.parse_scenario_yaml(text, engine.levers)
    assert not marker.exists()


def test_huge_file_is_refused_before_parsing(engine, tmp_path):
    f = tmp_path / "huge.yaml"
    f.write_text("name: x\ndescription: '" + "a" * (MAX_FILE_BYTES + 10) + "'\n")
    with pytest.raises(wb.ScenarioError, match="larger than 64 KiB"):
        wb.load_scenario(f, engine.levers)


def test_unreadable_file_is_a_scenario_error(engine, tmp_path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: é\n".encode("latin-1"))
    with pytest.raises(wb.ScenarioError, match="cannot read"):
        wb.load_scenario(f, engine.levers)
    with pytest.raises(wb.ScenarioError, match="cannot read"):
        wb.load_scenario(tmp_path / "absent.yaml", engine.levers)
