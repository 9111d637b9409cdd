"""A territory is a data folder, not code: ``workbench/data/territories/<id>/`` holds
``territory.yaml`` plus tidy CSV tables, each row carrying a ``source_id`` that points into
the folder's ``sources.csv``. Tables a territory does not ship are read from the national
reference folder (``workbench/data/national/``), whose sources are merged in."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .errors import DataError
from .paths import NATIONAL_DIR, TERRITORIES_DIR

if TYPE_CHECKING:  # pandas is imported where it is used: an atelier kernel never loads it
    import pandas as pd

SOURCE_COLUMNS = ["source_id", "publisher", "title", "table_or_page", "year", "url", "status"]
SOURCE_STATUSES = {"official", "secondary", "derived"}
DEFAULT_TERRITORY = "grand-chambery"


@dataclass(frozen=True)
class Territory:
    """One territory's data: metadata, tables and sources."""

    id: str
    name: str
    region: str
    base_year: int
    path: Path
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    def _file(self, name: str) -> Path:
        for folder in (self.path, NATIONAL_DIR):
            f = folder / f"{name}.csv"
            if f.exists():
                return f
        raise DataError(f"table '{name}.csv' found neither in {self.path} nor in {NATIONAL_DIR}")

    def table(self, name: str) -> pd.DataFrame:
        """A data table by name (territory folder first, then the national folder)."""
        return _read_csv(self._file(name)).copy()

    def tables(self, prefix: str) -> pd.DataFrame:
        """``<prefix>.csv`` and every ``<prefix>_<part>.csv`` of the territory, concatenated:
        each model may bring its own part (``levers_energy.csv``)."""
        files = sorted(self.path.glob(f"{prefix}.csv")) + sorted(self.path.glob(f"{prefix}_*.csv"))
        if not files:
            raise DataError(f"no {prefix}.csv in {self.path}")
        import pandas as pd

        return pd.concat([_read_csv(f) for f in files], ignore_index=True)

    def value(self, key: str, default: float | None = None) -> float:
        """A scalar from ``base_year*.csv`` (column ``key``), or ``default`` if given."""
        t = self.tables("base_year")
        row = t.loc[t["key"] == key]
        if row.empty:
            if default is not None:
                return default
            raise DataError(f"{self.path}/base_year*.csv: no key '{key}'")
        if len(row) > 1:
            raise DataError(f"{self.path}/base_year*.csv: key '{key}' given twice")
        return float(row["value"].iloc[0])

    def sources(self) -> pd.DataFrame:
        """Sources of this territory and of the national reference folder, one row each
        (``sources.csv`` and any ``sources_<part>.csv`` of each folder)."""
        files = [f for folder in (self.path, NATIONAL_DIR)
                 for f in sorted(folder.glob("sources.csv")) + sorted(folder.glob("sources_*.csv"))]
        import pandas as pd

        return pd.concat([_read_csv(f) for f in files], ignore_index=True)

    def data_files(self) -> list[Path]:
        """Every data table this territory can read (its own and the national ones)."""
        def is_source(f: Path) -> bool:
            return f.name == "sources.csv" or f.name.startswith("sources_")

        own = {f.name: f for f in sorted(self.path.glob("*.csv")) if not is_source(f)}
        for f in sorted(NATIONAL_DIR.glob("*.csv")):
            if not is_source(f):
                own.setdefault(f.name, f)
        return list(own.values())

    def check_sources(self) -> list[str]:
        """Problems with the sources: rows without a known source, sources without fields."""
        import pandas as pd

        problems = []
        src = self.sources()
        missing_cols = [c for c in SOURCE_COLUMNS if c not in src.columns]
        if missing_cols:
            return [f"sources.csv lacks columns {missing_cols}"]
        dup = src["source_id"][src["source_id"].duplicated()].tolist()
        if dup:
            problems.append(f"duplicate source ids {dup}")
        for _, s in src.iterrows():
            if s["status"] not in SOURCE_STATUSES:
                problems.append(f"source {s['source_id']}: status '{s['status']}'")
            for col in ("publisher", "title", "year"):
                if pd.isna(s[col]) or str(s[col]).strip() == "":
                    problems.append(f"source {s['source_id']}: empty {col}")
            if s["status"] == "derived":
                if pd.isna(s.get("derivation")) or not str(s.get("derivation")).strip():
                    problems.append(f"source {s['source_id']}: derived but no derivation")
            elif pd.isna(s["url"]) or not str(s["url"]).startswith("http"):
                problems.append(f"source {s['source_id']}: no URL")
        known = set(src["source_id"])
        for f in self.data_files():
            t = _read_csv(f)
            if "source_id" not in t.columns:
                problems.append(f"{f.name}: no source_id column")
                continue
            unknown = sorted(set(t["source_id"].dropna()) - known)
            if unknown or t["source_id"].isna().any():
                problems.append(f"{f.name}: rows with unknown or empty source ids {unknown}")
        return problems


@cache
def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path, comment="#", skipinitialspace=True)


def available_territories() -> list[str]:
    return sorted(p.name for p in TERRITORIES_DIR.iterdir() if (p / "territory.yaml").exists())


@cache
def load_territory(name: str = DEFAULT_TERRITORY) -> Territory:
    """Load a territory by folder name (``grand-chambery``) or by a path to such a folder."""
    path = Path(name) if ("/" in name or Path(name).is_absolute()) else TERRITORIES_DIR / name
    meta_file = path / "territory.yaml"
    if not meta_file.exists():
        raise DataError(
            f"unknown territory '{name}' (known: {', '.join(available_territories())})",
            "Territoire inconnu.",
        )
    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    return Territory(
        id=meta["id"], name=meta["name"], region=meta["region"],
        base_year=int(meta["base_year"]), path=path, meta=meta,
    )
