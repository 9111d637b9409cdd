"""Territory data: every figure carries a source; a territory is a folder, chosen by name."""

import pandas as pd
import pytest

import workbench as wb
from workbench.territory import available_territories


@pytest.mark.parametrize("name", available_territories())
def test_every_row_of_every_table_has_a_known_source(name):
    assert wb.load_territory(name).check_sources() == []


def test_grand_chambery_base_year_matches_the_census():
    t = wb.load_territory("grand-chambery")
    communes = t.table("communes")
    assert len(communes) == 38
    assert communes["population_2021"].sum() == t.value("population_2021") == 139738
    assert communes["households_2021"].sum() == t.value("households_2021") == 66099
    census = t.table("census_population").set_index("year")["population"]
    assert census.loc[2021] == 139738


def test_derived_sources_say_how():
    src = wb.load_territory("grand-chambery").sources()
    derived = src[src["status"] == "derived"]
    assert len(derived) >= 10
    assert derived["derivation"].str.len().min() > 40


def test_age_bands_are_shares_of_one():
    t = wb.load_territory("grand-chambery")
    for year in (2009, 2021):
        assert t.table(f"age_bands_{year}")["share"].sum() == pytest.approx(1, abs=1e-3)


def test_unknown_territory_is_a_clear_error():
    with pytest.raises(wb.DataError, match="unknown territory 'atlantis'.*grand-chambery"):
        wb.load_territory("atlantis")


def test_a_table_without_source_is_reported(tmp_path):
    src = wb.load_territory("synthetic").path
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    pd.DataFrame({"key": ["x"], "value": [1]}).to_csv(tmp_path / "extra.csv", index=False)
    problems = wb.load_territory(str(tmp_path)).check_sources()
    assert problems == ["extra.csv: no source_id column"]
