"""The command line, end to end, as an analyst uses it: files it writes are read by pyam."""

import pytest

from .conftest import ROOT, run_cli

SCEN = ROOT / "scenarios"


def test_levers_prints_every_lever_with_range_and_trend(engine):
    out = run_cli("levers")
    assert out.returncode == 0, out.stderr
    for lever_id in engine.levers:
        assert lever_id in out.stdout
    assert "net_migration" in out.stdout and "900" in out.stdout
    fr = run_cli("levers", "--lang", "fr")
    assert "Solde migratoire" in fr.stdout and "personnes par an" in fr.stdout


def test_validate_accepts_the_reference_scenarios():
    out = run_cli("validate", *(str(p) for p in sorted(SCEN.glob("*.yaml"))))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ok: ") == len(list(SCEN.glob("*.yaml")))
    assert "share code F1" in out.stdout


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_run_writes_an_iamc_file_that_pyam_reads_back(tmp_path, suffix, engine):
    import pyam

    target = tmp_path / f"attractivite{suffix}"
    out = run_cli("run", str(SCEN / "attractivite.yaml"), "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert "Population" in out.stdout and "2030" in out.stdout
    df = pyam.IamDataFrame(target)
    assert df.scenario == ["attractivite"] and df.region == ["Grand Chambéry"]
    assert set(df.variable) == set(engine.variables)
    assert df.year == list(range(2021, 2051))
    pop = df.filter(variable="Population", year=2021).data["value"].item()
    assert pop == pytest.approx(139738)


def test_run_accepts_a_reference_name_and_a_share_code(engine, refs):
    from workbench import share_code

    by_name = run_cli("run", "bien-vieillir-sobriete")
    code = share_code(refs["bien-vieillir-sobriete"], engine.levers)
    by_code = run_cli("run", code)
    assert by_name.returncode == by_code.returncode == 0
    # same figures (the table header names the scenario differently)
    rows = [[line.split() for line in out.stdout.splitlines()[2:]] for out in (by_name, by_code)]
    assert rows[0] == rows[1] and len(rows[0]) > 5


def test_compare_shows_both_scenarios_in_2030_and_2050(tmp_path):
    target = tmp_path / "both.csv"
    out = run_cli("compare", str(SCEN / "tendanciel.yaml"), str(SCEN / "attractivite.yaml"),
                  "-o", str(target))
    assert out.returncode == 0, out.stderr
    header = out.stdout.splitlines()[0]
    for col in ("tendanciel 2030", "attractivite 2030", "tendanciel 2050", "Δ 2050"):
        assert col in header
    import pyam

    assert sorted(pyam.IamDataFrame(target).scenario) == ["attractivite", "tendanciel"]


BAD = {
    "unknown.yaml": ("name: x\nlevers:\n  fertilty: 1.8\n", "unknown lever 'fertilty'"),
    "range.yaml": ("name: x\nlevers:\n  net_migration: 10000\n",
                   "lever 'net_migration': 10000 is out of range [-1000, 3000]"),
    "nan.yaml": ("name: x\nlevers:\n  fertility: .nan\n", "not a finite number"),
    "text.yaml": ("name: x\nlevers:\n  fertility: deux\n", "'deux' is not a number"),
    "noname.yaml": ("levers: {}\n", "has no 'name'"),
    "broken.yaml": ("name: [x\n", "malformed YAML"),
    "tag.yaml": ("name: !!python/object/apply:os.system ['true']\n", "malformed YAML"),
}


@pytest.mark.parametrize("fname", list(BAD))
def test_bad_scenarios_fail_cleanly_and_write_nothing(tmp_path, fname):
    text, expected = BAD[fname]
    f = tmp_path / fname
    f.write_text(text)
    for cmd in (["validate", str(f)], ["run", str(f), "-o", str(tmp_path / "out.xlsx")]):
        out = run_cli(*cmd)
        assert out.returncode == 2
        assert out.stderr.startswith(f"error: {f}: ") and expected in out.stderr
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "out.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir()] == [fname]


def test_huge_file_wrong_code_missing_file_and_bad_output_fail_cleanly(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("name: x\n#" + "x" * 200_000 + "\n")
    cases = [
        (["run", str(huge)], "larger than 64 KiB"),
        (["run", "F1AAAAAAAA"], "invalid share code"),
        (["run", "nowhere.yaml"], "no such file"),
        (["run", "tendanciel", "-o", str(tmp_path / "out.parquet")], ".csv or .xlsx"),
        (["run", "tendanciel", "-o", str(tmp_path / "no" / "out.csv")], "does not exist"),
        (["run", "tendanciel", "--years", "2099"], "year 2099"),
        (["--territory", "atlantis", "levers"], "unknown territory"),
    ]
    for args, expected in cases:
        out = run_cli(*args)
        assert out.returncode == 2, args
        assert expected in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.yaml"]
