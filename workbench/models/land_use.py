"""Land use: land take by housing and activities, the ZAN trajectory, farmland and local
food, drinking water, and the carbon of soils and forests.

Method (each step documented in notebooks/40-sols-alimentation-eau.ipynb):

* Land accounts on 1 January (built-up, cropland, pasture, other natural land, forest) start
  from the 2021 table (``land_use_cover_2021.csv``), which sums to the territory's area; the
  model refuses data that do not.
* Housing: the dwellings added in year t are the increase of the demography model's
  ``Housing|Dwellings Needed`` from 1 January t to 1 January t+1 (the last year repeats the
  year before). Vacant dwellings brought back (lever, within the stock above a frictional
  vacancy rate) and dwellings built inside the existing urban fabric (lever) need no new
  land; the rest is built on natural, agricultural or forest (NAF) land at a density
  (lever): hectares = dwellings / density.
* Activities and infrastructure take a number of hectares a year (lever); renaturation
  returns built land to nature (lever). Action levers move linearly from their 2021 level to
  the lever's value in 2030, then hold.
* NAF land is taken from each class in the shares of ``land_use_take_origin.csv``; when a
  class runs out, the rest is taken from the next classes in order, so no class goes below
  zero. Renatured land becomes other natural land.
* ZAN (loi Climat et Résilience, art. 191): consumption since 1 January 2021 against the
  2011–2021 reference (``naf_reference_2011_2021``); net artificialisation is consumption
  minus renaturation, renaturation counting from 2031 as the law allows.
* Food: farmland needed = population × land footprint of the diet (ADEME), in which meat is
  half; self-sufficiency potential = farmland / farmland needed. The local food share (lever)
  cannot exceed it.
* Water: consumption = population × use per inhabitant × (1 − savings); withdrawal =
  consumption / network efficiency; the dry-season resource falls by a fixed share per °C of
  local warming after 2021 (climate model), an assumption flagged in the sources.
* Carbon: soil (and forest biomass) carbon per hectare by class (ALDO); land take emits the
  difference between the land's carbon and that of built-up soil, renaturation stores it
  back, forests absorb a fixed sink per hectare. The stock on 1 January follows exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..engine import Model
from ..errors import DataError
from ..territory import Territory

RAMP_END = 2030  # action levers reach the lever's value in 2030, then hold
ZAN_START = 2031  # renaturation counts against net artificialisation from 2031 (art. 191)
CLASSES = ("built_up", "cropland", "pasture", "other_natural", "forest")
NAF = CLASSES[1:]  # natural, agricultural and forest land
CO2_PER_C = 44.0 / 12.0
TEMPERATURE = "Climate|Temperature Anomaly|Local"


class LandUse(Model):
    """Land accounts, land take and ZAN, farmland and local food, water, soil and forest
    carbon."""

    name = "land_use"
    label_fr = "Sols, alimentation et eau"
    levers = ("housing_density", "infill_share", "vacancy_recovery", "activity_land",
              "renaturation", "meat_reduction", "local_food_share", "network_efficiency",
              "water_sobriety")
    needs = ("Population", "Housing|Dwellings Needed", TEMPERATURE)

    def __init__(self, territory: Territory, years: np.ndarray):
        super().__init__(territory, years)
        t = territory
        cover = t.table("land_use_cover_2021").set_index("land_class")["area_ha"]
        missing = sorted(set(CLASSES) - set(cover.index))
        if missing:
            raise DataError(f"{t.path}/land_use_cover_2021.csv: no row for {missing}")
        self.cover0 = np.array([float(cover[c]) for c in CLASSES])
        self.area = t.value("area_km2") * 100.0  # ha
        if abs(self.cover0.sum() - self.area) > 1e-6 * self.area:
            raise DataError(f"{t.path}/land_use_cover_2021.csv: the classes sum to "
                            f"{self.cover0.sum():.1f} ha, not the territory's {self.area:.1f} ha")
        origin = t.table("land_use_take_origin").set_index("land_class")
        share = np.array([float(origin["share"].get(c, 0.0)) for c in NAF])
        if abs(share.sum() - 1) > 1e-9 or (share < 0).any():
            raise DataError(f"{t.path}/land_use_take_origin.csv: shares must be ≥ 0 and sum to 1")
        self.take_share = share
        self.take_order = [NAF.index(c) for c in
                           origin.sort_values("order").index if c in NAF]
        carbon = t.table("land_use_carbon")
        dens = carbon.groupby("land_class")["carbon_tc_ha"].sum()
        self.carbon_tc_ha = np.array([float(dens.get(c, 0.0)) for c in CLASSES])
        self.forest_sink = t.value("forest_sink_tco2_per_ha")  # tCO2/ha/yr, a removal
        # housing
        self.density0 = t.value("housing_density_2021")
        self.infill0 = t.value("infill_share_2021") / 100
        self.activity0 = t.value("activity_land_2021")
        self.vacancy_rate = t.value("vacancy_rate")
        self.frictional = t.value("frictional_vacancy_rate")
        self.zan_reference = t.value("naf_reference_2011_2021")  # ha over ten years
        # food and water
        self.footprint = t.value("food_footprint_ha_per_person")
        self.meat_share = t.value("meat_share_of_food_footprint")
        self.local0 = t.value("local_food_share_2021")
        self.water_per_person = t.value("water_consumption_m3_per_person")
        self.efficiency0 = t.value("network_efficiency_2021")
        self.resource_loss = t.value("water_resource_loss_per_degc")
        self._ramp = np.clip((years - years[0]) / (RAMP_END - years[0]), 0, 1)
        self._zan = (years >= ZAN_START).astype(float)
        elapsed = (years - years[0]).astype(float)
        self._elapsed = np.where(elapsed > 0, elapsed, 1.0)
        self._first = elapsed == 0

    def _ramped(self, base: float, lever: np.ndarray) -> np.ndarray:
        """A lever's path (n, T): from its 2021 level to the lever's value in 2030."""
        return base + (np.asarray(lever, float)[:, None] - base) * self._ramp

    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        pop = inputs["Population"]
        need = inputs["Housing|Dwellings Needed"]
        n, T = need.shape

        # -- housing: dwellings added in year t, and the part built on NAF land ---------------
        step = np.diff(need, axis=1)
        added = np.maximum(np.concatenate([step, step[:, -1:]], axis=1), 0.0)
        pool = max(self.vacancy_rate - self.frictional, 0.0) * need[:, :1]  # (n, 1)
        wanted = np.minimum(self._ramped(0.0, levers["vacancy_recovery"]), added)
        recovered = np.diff(np.minimum(np.cumsum(wanted, axis=1), pool), axis=1,
                            prepend=0.0)
        infill_share = self._ramped(self.infill0 * 100, levers["infill_share"]) / 100
        to_build = np.maximum(added - recovered, 0.0)
        infill = to_build * infill_share
        outside = to_build - infill
        housing_ha = outside / self._ramped(self.density0, levers["housing_density"])
        activity_ha = self._ramped(self.activity0, levers["activity_land"])
        renat_wanted = self._ramped(0.0, levers["renaturation"])

        # -- land accounts on 1 January of t = 2021 … 2051 (T + 1 boundaries) --------------
        wanted_take = housing_ha + activity_ha
        naf0 = self.cover0[1:]
        cum_take = np.minimum(np.concatenate(
            [np.zeros((n, 1)), np.cumsum(wanted_take, axis=1)], axis=1), naf0.sum())
        taken = cum_take[..., None] * self.take_share  # (n, T+1, 4) before the cascade
        excess = np.maximum(taken - naf0, 0.0).sum(-1)
        taken = np.minimum(taken, naf0)
        for k in self.take_order:  # what a class cannot give is taken from the next ones
            extra = np.minimum(excess, naf0[k] - taken[..., k])
            taken[..., k] += extra
            excess = excess - extra
        built_stock = self.cover0[0] + cum_take
        cum_renat = np.minimum(np.concatenate(
            [np.zeros((n, 1)), np.cumsum(renat_wanted, axis=1)], axis=1), built_stock)
        naf_left = naf0 - taken
        naf_left[..., 2] += cum_renat  # renatured land becomes other natural land
        cover = np.concatenate([(built_stock - cum_renat)[..., None], naf_left], axis=-1)

        consumption = np.diff(cum_take, axis=1)
        renatured = np.diff(cum_renat, axis=1)
        scale = np.where(wanted_take > 0, consumption / np.where(wanted_take > 0,
                                                                  wanted_take, 1.0), 0.0)
        housing_ha = housing_ha * scale
        activity_ha = activity_ha * scale
        net = consumption - renatured * self._zan
        cumulative = cum_take[:, :T]
        zan_pace = np.where(self._first, consumption, cumulative / self._elapsed)
        zan_ratio = 100 * zan_pace / (self.zan_reference / 10)

        # -- carbon ------------------------------------------------------------------------
        taken_flow = np.diff(taken, axis=1)  # (n, T, 4) ha taken from each class in year t
        loss_tc = (taken_flow * (self.carbon_tc_ha[1:] - self.carbon_tc_ha[0])).sum(-1)
        gain_tc = renatured * (self.carbon_tc_ha[3] - self.carbon_tc_ha[0])
        forest = cover[..., 4]
        sink = -self.forest_sink * forest[:, :T]  # tCO2/yr, negative = removal
        static_c = cover @ self.carbon_tc_ha  # (n, T+1) tC in soils and forest biomass
        cum_sink = np.concatenate([np.zeros((n, 1)), np.cumsum(-sink, axis=1)], axis=1)
        stock = (static_c * CO2_PER_C + cum_sink)[:, :T] / 1e6  # Mt CO2e
        flux_artif = loss_tc * CO2_PER_C / 1e3  # kt CO2e/yr
        flux_renat = -gain_tc * CO2_PER_C / 1e3
        flux_forest = sink / 1e3

        # -- food --------------------------------------------------------------------------
        meat_cut = self._ramped(0.0, levers["meat_reduction"]) / 100
        needed = pop * self.footprint * (1 - self.meat_share * meat_cut)
        farmland = cover[:, :T, 1] + cover[:, :T, 2]
        potential = 100 * farmland / needed
        local = np.minimum(self._ramped(self.local0, levers["local_food_share"]), potential)

        # -- water -------------------------------------------------------------------------
        saving = self._ramped(0.0, levers["water_sobriety"]) / 100
        consumption_w = pop * self.water_per_person * (1 - saving) / 1e6  # Mm3/yr
        efficiency = self._ramped(self.efficiency0, levers["network_efficiency"])
        withdrawal = consumption_w / (efficiency / 100)
        warming = inputs[TEMPERATURE] - inputs[TEMPERATURE][:, :1]
        resource = np.clip(1 - self.resource_loss * warming, 0.05, None)
        base_withdrawal = (pop[:, :1] * self.water_per_person / 1e6) / (self.efficiency0 / 100)

        cover_t = cover[:, :T]
        return {
            "Land Cover": cover_t.sum(-1),
            "Land Cover|Built-up Area": cover_t[..., 0],
            "Land Cover|Cropland": cover_t[..., 1],
            "Land Cover|Pasture": cover_t[..., 2],
            "Land Cover|Other Natural": cover_t[..., 3],
            "Land Cover|Forest": cover_t[..., 4],
            "Land Use|NAF Consumption": consumption,
            "Land Use|NAF Consumption|Housing": housing_ha,
            "Land Use|NAF Consumption|Activities and Infrastructure": activity_ha,
            "Land Use|Cumulative NAF Consumption": cumulative,
            "Land Use|ZAN Ratio": zan_ratio,
            "Land Use|Renaturation": renatured,
            "Land Use|Net Artificialisation": net,
            "Land Use|Carbon Stock": stock,
            "Land Use|CO2 Flux": flux_artif + flux_renat + flux_forest,
            "Land Use|CO2 Flux|Artificialisation": flux_artif,
            "Land Use|CO2 Flux|Renaturation": flux_renat,
            "Land Use|CO2 Flux|Forest Sink": flux_forest,
            "Housing|Dwellings Added": added,
            "Housing|Dwellings Added|Vacant Recovered": recovered,
            "Housing|Dwellings Added|Urban Infill": infill,
            "Housing|Dwellings Added|On NAF Land": outside,
            "Food|Farmland Needed": needed,
            "Food|Self-Sufficiency Potential": potential,
            "Food|Local Share": local,
            "Water|Consumption": consumption_w,
            "Water|Withdrawal": withdrawal,
            "Water|Network Efficiency": efficiency,
            "Water|Resource Index": 100 * resource,
            "Water|Pressure Index": 100 * withdrawal / base_withdrawal / resource,
        }
