"""The territory's carbon budget: its cumulative emissions since 2021 against its share of
the national low-carbon path (SNBC-2), shared by population, and its emissions net of the
land and forest CO2 flux.

* National path: the SNBC-2 yearly budgets applied by the energy model's data (2021 =
  418 Mt, 2026 = 359, 2031 = 300, 2050 = 80 Mt; ``snbc_mt_*`` in base_year_energy.csv, with
  their sources), straight lines between those years.
* Local share: the territory's population on 1 January 2021 over France's (67.6 M,
  national ``population_france_2021``), held for every year. A share that followed the
  territory's own growth would hand a growing territory a larger budget (taken from the
  rest of France, whose population INSEE's central projection keeps nearly flat): growth
  would look like a climate policy.
* A per-inhabitant share is more generous to a territory that emits less per inhabitant
  than France (Grand Chambéry: about 5 t against 6.2 t in 2021) than the energy model's
  ``Emissions Benchmark|SNBC``, which follows the path from the territory's own 2021 level.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..engine import Model
from ..territory import Territory

SNBC_YEARS = (2021, 2026, 2031, 2050)


class CarbonBudget(Model):
    """Cumulative emissions against the territory's share of the national path."""

    name = "carbon_budget"
    label_fr = "Budget carbone"
    levers = ()
    needs = ("Emissions|Kyoto Gases", "Land Use|CO2 Flux", "Population")

    def __init__(self, territory: Territory, years: np.ndarray):
        super().__init__(territory, years)
        path_mt = np.array([territory.value(f"snbc_mt_{y}") for y in SNBC_YEARS])
        national_kt = np.interp(years, SNBC_YEARS, path_mt) * 1000  # kt CO2e/yr
        france = territory.table("population_france_2021")["population"].sum()
        self.kt_per_person = national_kt / france  # (T,)

    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        ghg = inputs["Emissions|Kyoto Gases"]
        budget = inputs["Population"][:, :1] * self.kt_per_person  # share fixed at 2021
        cumulative, cumulative_budget = np.cumsum(ghg, axis=1), np.cumsum(budget, axis=1)
        return {
            "Carbon Budget|Yearly Share": budget,
            "Carbon Budget|Cumulative Emissions": cumulative,
            "Carbon Budget|Cumulative Share": cumulative_budget,
            "Carbon Budget|Used": 100 * cumulative / cumulative_budget,
            "Net Emissions|Kyoto Gases and Land": ghg + inputs["Land Use|CO2 Flux"],
        }
