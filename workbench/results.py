"""One result format from the engine to the apps, the exports and the notebooks: arrays of
shape (scenarios, years) per IAMC variable, shown as the IAMC long format on demand.

pyam is imported only inside :meth:`Results.to_pyam` (it costs ~4 s and ~130 MB)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import WorkbenchError

if TYPE_CHECKING:  # pandas is imported where it is used: an atelier kernel never loads it
    import pandas as pd

IAMC_COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
MODEL_NAME = "Fabrique 2030"


@dataclass
class Results:
    """Outputs of one engine run over ``scenarios`` (names) and ``years``."""

    scenarios: list[str]
    years: np.ndarray
    region: str
    data: dict[str, np.ndarray]  # variable -> (n_scenarios, n_years)
    units: dict[str, str]
    model: str = MODEL_NAME

    def __len__(self) -> int:
        return len(self.scenarios)

    @property
    def variables(self) -> list[str]:
        return list(self.data)

    def _row(self, scenario: str | int) -> int:
        if isinstance(scenario, int | np.integer):
            return int(scenario)
        try:
            return self.scenarios.index(scenario)
        except ValueError:
            raise KeyError(f"no scenario '{scenario}' in {self.scenarios[:5]}…") from None

    def series(self, variable: str, scenario: str | int = 0) -> pd.Series:
        """One variable of one scenario, indexed by year."""
        import pandas as pd

        return pd.Series(self.data[variable][self._row(scenario)], index=self.years,
                         name=variable)

    def value(self, variable: str, year: int, scenario: str | int = 0) -> float:
        return float(self.data[variable][self._row(scenario), self._year(year)])

    def _year(self, year: int) -> int:
        idx = np.flatnonzero(self.years == year)
        if not idx.size:
            raise KeyError(f"year {year} not in {self.years[0]}–{self.years[-1]}")
        return int(idx[0])

    def at(self, year: int, variables: Sequence[str] | None = None) -> pd.DataFrame:
        """A scenario × variable table for one year."""
        import pandas as pd

        cols = list(variables) if variables else self.variables
        j = self._year(year)
        return pd.DataFrame({v: self.data[v][:, j] for v in cols},
                            index=pd.Index(self.scenarios, name="scenario"))

    def select(self, scenarios: Sequence[str | int]) -> Results:
        rows = [self._row(s) for s in scenarios]
        return Results([self.scenarios[i] for i in rows], self.years, self.region,
                       {k: v[rows] for k, v in self.data.items()}, self.units, self.model)

    def to_long(self, variables: Sequence[str] | None = None) -> pd.DataFrame:
        """IAMC long format: model, scenario, region, variable, unit, year, value."""
        import pandas as pd

        cols = list(variables) if variables else self.variables
        n, t = len(self.scenarios), len(self.years)
        values = np.stack([self.data[v] for v in cols], axis=1)  # (n, v, t)
        return pd.DataFrame({
            "model": self.model,
            "scenario": np.repeat(np.asarray(self.scenarios, dtype=object), len(cols) * t),
            "region": self.region,
            "variable": np.tile(np.repeat(np.asarray(cols, dtype=object), t), n),
            "unit": np.tile(np.repeat(np.asarray([self.units[v] for v in cols], dtype=object),
                                      t), n),
            "year": np.tile(self.years, n * len(cols)),
            "value": values.reshape(-1),
        })

    def to_wide(self) -> pd.DataFrame:
        """IAMC wide format (one column per year), as pyam writes and reads it."""
        long = self.to_long()
        wide = long.pivot_table(index=IAMC_COLUMNS[:5], columns="year", values="value",
                                sort=False)
        wide.columns = [int(c) for c in wide.columns]
        return wide.reset_index()

    def to_pyam(self):
        """A ``pyam.IamDataFrame`` (imports pyam on first use)."""
        import logging

        import pyam

        logging.getLogger("pyam").setLevel(logging.WARNING)
        return pyam.IamDataFrame(self.to_long())

    def write(self, path: str | Path, sheets: Mapping[str, pd.DataFrame] | None = None) -> Path:
        """Write IAMC wide format to ``.csv`` or ``.xlsx`` (sheet ``data``, as pyam does),
        atomically: a failed write leaves no partial file. An xlsx can carry ``sheets``
        besides (name → table, written after ``data``; pyam reads ``data`` and ignores
        them). Every text cell of every sheet is neutralised (:func:`neutralise_cell`)."""
        import pandas as pd

        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise WorkbenchError(f"cannot write '{p.name}': use a .csv or .xlsx file name",
                                 "Format de fichier non pris en charge (.csv ou .xlsx).")
        if sheets and suffix == ".csv":
            raise ValueError("a .csv file has one table: write the other sheets to an .xlsx")
        tmp = p.with_name(f".{p.name}.tmp{suffix}")
        wide = self.to_wide()
        wide.columns = [c.capitalize() if isinstance(c, str) else c for c in wide.columns]
        try:
            if suffix == ".csv":
                _neutralised(wide).to_csv(tmp, index=False)
            else:
                # XlsxWriter (a pyam-iamc dependency): 50 futures' 7,000 rows in well under
                # half openpyxl's time (measured side by side: 2.2 s against 3.6 s)
                # and a text is a text: never a formula, never a link (XlsxWriter would
                # otherwise make both of « =… » and « http://… »)
                options = {"strings_to_formulas": False, "strings_to_urls": False}
                with pd.ExcelWriter(tmp, engine="xlsxwriter",
                                    engine_kwargs={"options": options}) as xl:
                    _neutralised(wide).to_excel(xl, sheet_name="data", index=False)
                    for name, table in (sheets or {}).items():
                        _neutralised(table).to_excel(xl, sheet_name=name, index=False)
            tmp.replace(p)
        finally:
            tmp.unlink(missing_ok=True)
        return p


def _neutralised(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell and heading through :func:`neutralise_cell` (the
    scenario column carries participants' pseudonyms, a text sheet their texts)."""
    out = table.copy()
    out.columns = [neutralise_cell(c) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(neutralise_cell)
    return out


#: what makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection": = + - @, and
#: tab and carriage return, which some spreadsheets skip before looking)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text cell that a spreadsheet would run as a formula, made plain text by a leading
    apostrophe (OWASP's rule); anything else unchanged. The file then reads back through
    pyam with the apostrophe kept: the same name every time."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
