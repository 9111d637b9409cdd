"""Energy transition: final energy by sector and carrier, mobility, local renewables,
greenhouse-gas emissions and the energy bill, held against the PCAET and TEPOS targets.

Why this module is over 450 lines: one model, its method written out step by step next to
the code that computes it, in the order of the notebook that shows it.

Method (each step shown in notebooks/20-energie-climat-air.ipynb):

* Base year 2021. No local figure by sector was found: each sector's national 2021
  consumption (SDES) is scaled by Grand Chambéry's share of the French population (farmland
  for agriculture). Carriers follow the national mixes, with the Chambéry district-heating
  network's own deliveries in place of the national district-heat share.
* Buildings. Useful heat by heating system (gas, oil, direct electric, heat pump, wood,
  district heat): the 2020 national mix of main residences with the local network's share.
  Heating need = dwellings (households, from the demography model) × need per dwelling,
  lowered by renovation (dwellings renovated × depth), by sobriety (7 % per degree) and
  scaled by heating degree-days HDD(t)/HDD(2021) (from the climate model). New dwellings need
  a fifth of the average and use heat pumps. Fuel switch: a share of the 2021 oil and gas
  boilers (oil first) becomes heat pumps (3/4) or wood (1/4); district-heat connections
  replace gas. The tertiary sector follows its floor area (∝ population) and the same
  renovation pace, depth, sobriety and switch. Air conditioning scales with cooling
  degree-days.
* Mobility of residents: trips × car share / occupancy × trip length → car vehicle-km
  (remote work removes part of the commuting km); the electric share of the car fleet
  follows new-car sales with a 15-year life. Buses carry the trips moved to public transport.
  Other road traffic (freight, visitors, through traffic) is held, its light vehicles
  electrifying like the national fleet.
* Industry: −1 %/yr energy intensity (national 2011–2019 trend); agriculture held.
* Local renewables: solar PV (MWp × yield), solar thermal, wood burnt in the territory,
  heat pumps' ambient heat, the district network's renewable and recovered heat, biomethane.
* Emissions: final energy × emission factors (DPE 2021, upstream included), plus agriculture
  (non-energy) and waste held at their base level. The PCAET targets are measured against
  the 2009 inventory scaled to today's 38 communes.
* Energy bill: consumption × 2021 prices × the price lever; the part that leaves the
  territory is the import value of oil and gas.
* Investment the action levers imply (energy_investment_costs.csv, euros of each cost's
  year, no discounting): dwellings renovated in the year × a cost rising linearly with the
  depth, from a single measure (15 %) to a BBC renovation (75 %); dwellings whose oil or gas
  boiler becomes a heat pump or wood heating in the year × the cost of each; new MWp of solar
  panels × the cost per kWp. Not counted: offices, district-heat connections, vehicles.

Lever values are reached linearly in 2030 from their 2021 level and held, except the fuel
switch and solar PV, whose pace goes on after 2030.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..engine import Model
from ..errors import DataError
from ..territory import Territory

SECTORS = ("residential", "commercial", "transportation", "industry", "agriculture")
CARRIERS = ("electricity", "gas", "oil", "wood", "district_heat", "other_renewables")
SYSTEMS = ("gas", "oil", "electric", "heat_pump", "wood", "district_heat")
MODES = ("car", "public_transport", "bike", "walk")
RES, COM, TRA, IND, AGR = range(5)
EL, GAS, OIL, WOOD, DH, ORN = range(6)  # carriers
S_GAS, S_OIL, S_EL, S_HP, S_WOOD, S_DH = range(6)  # heating systems
RAMP_END = 2030  # action levers reach their value in 2030, like the other models
MWH_PER_GWH = 1000.0

SECTOR_NAMES = {"residential": "Residential", "commercial": "Commercial",
                "transportation": "Transportation", "industry": "Industry",
                "agriculture": "Agriculture"}
CARRIER_NAMES = {"electricity": "Electricity", "gas": "Gas", "oil": "Oil Products",
                 "wood": "Wood", "district_heat": "District Heat",
                 "other_renewables": "Other Renewables"}
RENEWABLE_NAMES = ("Solar PV", "Solar Thermal", "Wood", "Heat Pumps", "District Heat",
                   "Biomethane")


@dataclass
class Balance:
    """The detail of a run: final energy by sector and carrier (GWh/yr), emissions by sector
    (kt CO2e/yr) and the intermediate quantities the indicators come from."""

    years: np.ndarray
    final: np.ndarray  # (n, T, 5 sectors, 6 carriers)
    emissions: np.ndarray  # (n, T, 6): the 5 sectors, then waste
    renewables: np.ndarray  # (n, T, 6): RENEWABLE_NAMES
    detail: dict[str, np.ndarray]


def _column(table, key: str, value: str, keys: tuple[str, ...], where: str) -> np.ndarray:
    s = table.set_index(key)[value]
    missing = [k for k in keys if k not in s.index]
    if missing:
        raise DataError(f"{where}: no row for {missing}")
    return np.array([float(s[k]) for k in keys])


class Energy(Model):
    """Final energy, mobility, local renewables, emissions and the energy bill."""

    name = "energy"
    label_fr = "Transition énergétique"
    levers = ("building_renovation_rate", "renovation_depth", "fossil_heating_exit",
              "heating_temperature_cut", "district_heat_connections", "solar_pv_2030",
              "car_modal_share_2030", "ev_share_new_cars_2030", "car_occupancy_2030",
              "remote_work_days", "energy_price_change", "electricity_carbon_intensity")
    needs = ("Population", "Households", "Climate|Heating Degree Days",
             "Climate|Cooling Degree Days")

    def __init__(self, territory: Territory, years: np.ndarray):
        super().__init__(territory, years)
        t = territory
        v = t.value
        T = len(years)
        k = (years - years[0]).astype(float)
        self._k = k
        self._ramp = np.clip(k / (RAMP_END - years[0]), 0.0, 1.0)
        self._pace = k / (RAMP_END - years[0])  # same pace before and after 2030

        # -- base year: sector totals (GWh) -------------------------------------------------
        sectors = t.table("energy_sectors_2021").set_index("sector")
        pop_share = v("population_2021") / v("france_population_2021")
        farm_share = v("farmland_ha_2020") / v("france_farmland_ha_2020")
        share = {"population": pop_share, "farmland": farm_share}
        self.sector_base = np.array([
            float(sectors.loc[s, "france_twh"]) * MWH_PER_GWH * share[sectors.loc[s, "scaling"]]
            for s in SECTORS])

        mix = t.table("energy_carrier_mix_2021")
        dh_total = v("dh_delivered_gwh_2021")
        self.dh_base = dh_total
        dh_local = {"residential": dh_total * v("dh_share_residential"),
                    "commercial": dh_total * v("dh_share_commercial"),
                    "industry": dh_total * v("dh_share_industry")}

        def sector_mix(sector: str) -> np.ndarray:
            part = mix[mix["sector"] == sector].set_index("carrier")["share"]
            m = np.array([float(part.get(c, 0.0)) for c in CARRIERS])
            if abs(m.sum() - 1) > 1e-6:
                raise DataError(f"energy_carrier_mix_2021.csv: {sector} sums to {m.sum():.4f}")
            if sector in dh_local:  # the local network replaces the national share, from gas
                local = dh_local[sector] / self.sector_base[SECTORS.index(sector)]
                m[GAS] += m[DH] - local
                m[DH] = local
                if m[GAS] < 0:
                    raise DataError(f"district heat to {sector} exceeds its gas and heat use")
            return m

        # -- residential: heating systems, calibrated on the sector total --------------------
        uses = t.table("energy_residential_uses_2021").set_index("use")["share"]
        R0 = self.sector_base[RES]
        self.solar_thermal = v("solar_thermal_gwh")
        heat_f = float(uses["heating"]) * R0
        other_f = float(uses["hot_water"] + uses["cooking"]) * R0 - self.solar_thermal
        self.eff = _column(t.table("energy_heating_efficiency"), "system", "efficiency",
                           SYSTEMS, "energy_heating_efficiency.csv")
        self.cop = self.eff[S_HP]
        per_useful = 1.0 / self.eff  # final energy (all carriers) per unit of useful heat
        per_useful[S_HP] = 1.0  # electricity 1/COP + ambient heat 1 − 1/COP
        self._per_useful = per_useful
        dwell = _column(t.table("energy_heating_systems_2020"), "system", "dwelling_share",
                        SYSTEMS, "energy_heating_systems_2020.csv")
        n = dwell.copy()
        n[S_DH] = 0.0
        n /= n.sum()
        A = float((n * per_useful).sum())
        thermal = heat_f + other_f
        E = dh_local["residential"]
        s_dh = E * A / (thermal - E + E * A)  # district-heat share that delivers E
        self.res_shares = n * (1 - s_dh)
        self.res_shares[S_DH] = s_dh
        k_avg = float((self.res_shares * per_useful).sum())
        self.res_heat_useful = heat_f / k_avg  # GWh of useful heat in 2021
        self.res_other_useful = other_f / k_avg  # hot water and cooking
        self.res_specific = float(uses["specific_electricity"]) * R0
        self.res_cooling = float(uses["cooling"]) * R0
        self.new_factor = v("new_dwelling_heat_factor")
        self.switch_hp = v("switch_to_heat_pump_share")
        self.sobriety = v("sobriety_saving_per_degree")
        self.renovation_2021 = v("renovation_rate_2021")
        self.dh_per_equiv = v("dh_mwh_per_dwelling_equivalent") / MWH_PER_GWH  # GWh
        self.dh_res_conn = v("dh_connections_residential_share")

        # -- commercial: the same heating systems, from its carrier mix ------------------
        C0 = self.sector_base[COM]
        cmix = sector_mix("commercial") * C0
        heat_el = v("commercial_electric_heating_share") * C0
        hp_el = cmix[ORN] / (self.cop - 1)
        if hp_el > heat_el:
            raise DataError("commercial heat pumps use more electricity than heating has")
        useful = np.zeros(6)
        useful[S_GAS] = cmix[GAS] * self.eff[S_GAS]
        useful[S_OIL] = cmix[OIL] * self.eff[S_OIL]
        useful[S_EL] = heat_el - hp_el
        useful[S_HP] = cmix[ORN] + hp_el
        useful[S_WOOD] = cmix[WOOD] * self.eff[S_WOOD]
        useful[S_DH] = cmix[DH]
        self.com_heat_useful = useful.sum()
        self.com_shares = useful / useful.sum()
        heat_final = cmix[GAS] + cmix[OIL] + cmix[WOOD] + cmix[DH] + cmix[ORN] + heat_el
        if abs(heat_final - v("commercial_heating_share") * C0) > 1e-6 * C0:
            raise DataError("commercial heating share disagrees with its carrier mix")
        self.com_cooling = v("commercial_cooling_share") * C0
        self.com_other = C0 - heat_final - self.com_cooling  # electricity (lights, IT…)
        if self.com_other < 0 or cmix[EL] - heat_el - self.com_cooling - self.com_other > 1e-6:
            raise DataError("commercial electricity does not cover its uses")

        # -- industry, agriculture -------------------------------------------------------
        self.ind_base = sector_mix("industry") * self.sector_base[IND]
        self.ind_factor = (1 + v("industry_intensity_change")) ** k  # (T,)
        self.agr_base = sector_mix("agriculture") * self.sector_base[AGR]

        # -- transport ---------------------------------------------------------------------
        modes = t.table("energy_modal_shares_2022").set_index("mode")
        self.mode_share0 = np.array([float(modes.loc[m, "share"]) for m in MODES])
        if abs(self.mode_share0.sum() - 100) > 0.05:
            raise DataError("energy_modal_shares_2022.csv: shares do not sum to 100")
        self.mode_shift = np.array([float(modes.loc[m, "shift"]) for m in MODES])
        if abs(self.mode_shift[1:].sum() - 1) > 1e-9:
            raise DataError("energy_modal_shares_2022.csv: shifts do not sum to 1")
        P0 = v("population_2021")
        self.trips_year = v("trips_per_person_day") * v("mobility_days_per_year")
        self.car_km, self.pt_km = v("car_trip_km"), v("pt_trip_km")
        self.occ0 = v("car_occupancy_2021")
        self.ice, self.ev_kwh = v("ice_kwh_per_km"), v("ev_kwh_per_km")
        self.pt_kwh = v("pt_kwh_per_pkm")
        self.commute = v("commute_share_car_km")
        self.remote0 = v("remote_work_days_2021")
        self.ev_new0 = v("ev_new_share_2021")
        self.zev_year = v("zero_emission_new_cars_year")
        life = v("car_lifetime_years")
        a = 1 - 1 / life
        # fleet share: ev(k) = ev0 a^k + Σ_{j<k} new(j) a^(k−1−j) / life
        self._ev_decay = a ** k
        kk, jj = np.meshgrid(np.arange(T), np.arange(T))
        self._ev_matrix = np.where(jj < kk, a ** (kk - 1 - jj) / life, 0.0)
        self.ev0 = v("ev_fleet_share_2021") / 100
        vkm0 = P0 * self.trips_year * self.mode_share0[0] / 100 / self.occ0 * self.car_km / 1e6
        car_el0 = vkm0 * self.ev0 * self.ev_kwh
        car_oil0 = vkm0 * (1 - self.ev0) * self.ice
        pt0 = P0 * self.trips_year * self.mode_share0[1] / 100 * self.pt_km / 1e6 * self.pt_kwh
        tmix = sector_mix("transportation") * self.sector_base[TRA]
        self.rest = tmix.copy()  # freight, visitors, through traffic, rail, long trips
        self.rest[EL] -= car_el0
        self.rest[OIL] -= car_oil0 + pt0
        if (self.rest < -1e-9).any():
            raise DataError("residents' car and bus energy exceed the transport sector")
        self.rest_light = v("other_road_light_share") * self.rest[OIL]
        national_new = self._new_ev_share(np.array([v("ev_new_share_national_2030")]))
        ev_nat = self._fleet_share(national_new)[0]
        self.rest_ev = ev_nat - ev_nat[0]  # electrified part of other light vehicles
        self.vkm0, self.pt_energy0 = vkm0, pt0

        # -- renewables, district heat, emissions, prices ------------------------------------
        self.pv0 = v("pv_mwp_2021")
        self.pv_yield = v("pv_yield_gwh_per_mwp")
        self.biomethane = np.where(years >= v("biomethane_start_year"), v("biomethane_gwh"), 0.0)
        enr0, enr30 = v("dh_renewable_share_2021"), v("dh_renewable_share_2030")
        self.dh_renewable = enr0 + (enr30 - enr0) * self._ramp  # (T,)
        ef = _column(t.table("energy_emission_factors"), "carrier", "g_co2e_per_kwh",
                     ("electricity", "gas", "oil", "wood", "other_renewables"),
                     "energy_emission_factors.csv")
        self.ef_electricity0, self.ef_gas, self.ef_oil, self.ef_wood, self.ef_other = ef
        self.dh_ef = (1 - self.dh_renewable) * self.ef_gas / v("backup_boiler_efficiency")
        self.agr_non_energy = v("agriculture_non_energy_ghg_kt")
        self.waste = v("waste_ghg_kt")
        self.ghg_reference = v("ghg_reference_2009_kt")
        snbc_years = np.array([2021, 2026, 2031, 2050])
        snbc = np.array([v(f"snbc_mt_{y}") for y in snbc_years])
        self.snbc_factor = np.interp(years, snbc_years, snbc / snbc[0])
        self.prices = _column(t.table("energy_prices_2021"), "carrier", "eur_per_mwh",
                              CARRIERS, "energy_prices_2021.csv")
        self.import_oil = v("import_price_oil_eur_mwh")
        self.import_gas = v("import_price_gas_eur_mwh")
        cost = t.table("energy_investment_costs").set_index("item")["value"].astype(float)
        self.cost_light = cost["renovation_light_eur_per_dwelling"]
        self.cost_deep = cost["renovation_deep_eur_per_dwelling"]
        self.cost_hp = cost["heat_pump_eur_per_dwelling"]
        self.cost_wood = cost["wood_heating_eur_per_dwelling"]
        self.cost_pv = cost["solar_pv_eur_per_kwp"] * 1000  # per MWp

    # -- pieces ------------------------------------------------------------------------------

    def _towards(self, base: float | np.ndarray, lever: np.ndarray) -> np.ndarray:
        """From ``base`` in 2021 to the lever's value in 2030, held after: (n, T)."""
        return base + (lever[:, None] - base) * self._ramp

    def _new_ev_share(self, lever: np.ndarray) -> np.ndarray:
        """Electric share of new cars (0–1), (n, T): to the lever in 2030, 100 % in 2035."""
        y = self.years[None, :]
        late = lever[:, None] + (100 - lever[:, None]) * np.clip(
            (y - RAMP_END) / (self.zev_year - RAMP_END), 0, 1)
        return np.where(y <= RAMP_END, self._towards(self.ev_new0, lever), late) / 100

    def _fleet_share(self, new: np.ndarray) -> np.ndarray:
        # a sum over an explicit axis, not a matrix product: BLAS results depend on the
        # chunk size, and a scenario must give the same numbers in any batch
        return self.ev0 * self._ev_decay + (new[:, :, None] * self._ev_matrix).sum(1)

    def _heating(self, shares0: np.ndarray, useful_old: np.ndarray, useful_new: np.ndarray,
                 to_dh: np.ndarray, switched: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Final energy by carrier (written into ``out``, (n, T, 6)) of a building stock whose
        existing part needs ``useful_old`` and new part ``useful_new`` (heat pumps). From the
        2021 shares of useful heat by system: ``to_dh`` of it moves from gas to district heat,
        then ``switched`` of the remaining oil and gas (oil first) to heat pumps and wood.
        Returns the share of oil and gas in the existing stock's useful heat."""
        d = np.minimum(to_dh, shares0[S_GAS])
        gas = shares0[S_GAS] - d
        moved = switched * (gas + shares0[S_OIL])
        oil = np.maximum(shares0[S_OIL] - moved, 0.0)
        gas = gas - np.maximum(moved - shares0[S_OIL], 0.0)
        hp = shares0[S_HP] + self.switch_hp * moved
        wood = shares0[S_WOOD] + (1 - self.switch_hp) * moved
        hp_heat = useful_old * hp + useful_new
        out[..., EL] = useful_old * shares0[S_EL] / self.eff[S_EL] + hp_heat / self.cop
        out[..., GAS] = useful_old * gas / self.eff[S_GAS]
        out[..., OIL] = useful_old * oil / self.eff[S_OIL]
        out[..., WOOD] = useful_old * wood / self.eff[S_WOOD]
        out[..., DH] = useful_old * (shares0[S_DH] + d) / self.eff[S_DH]
        out[..., ORN] = hp_heat * (1 - 1 / self.cop)
        return gas + oil

    # -- the model ---------------------------------------------------------------------------

    def balance(self, levers: Mapping[str, np.ndarray],
                inputs: Mapping[str, np.ndarray]) -> Balance:
        """The full energy balance, emissions and renewables of a chunk of scenarios."""
        lv = {k: np.asarray(levers[k], float) for k in self.levers}
        P, H = inputs["Population"], inputs["Households"]
        n, T = H.shape
        hdd, cdd = inputs["Climate|Heating Degree Days"], inputs["Climate|Cooling Degree Days"]
        heat_climate = hdd / hdd[:, :1]
        cool_climate = cdd / np.maximum(cdd[:, :1], 1e-9)
        ramp, pace = self._ramp, self._pace
        final = np.zeros((n, T, 5, 6))

        # buildings
        H0 = H[:, :1]
        old = np.minimum(H, H0)
        new = H - old
        rate = self._towards(self.renovation_2021, lv["building_renovation_rate"])
        rate[:, 0] = 0.0
        renovated = np.minimum(np.cumsum(rate, axis=1), old)
        depth = lv["renovation_depth"][:, None] / 100
        sober = 1 - self.sobriety * lv["heating_temperature_cut"][:, None] * ramp
        climate = heat_climate * sober
        switched = np.minimum(lv["fossil_heating_exit"][:, None] / 100 * pace, 1.0)
        connected = lv["district_heat_connections"][:, None] * ramp * self.dh_per_equiv
        u_heat = self.res_heat_useful / H0
        u_other = self.res_other_useful / H0
        res_old = u_heat * climate * (old - depth * renovated) + u_other * old
        res_new = (u_heat * climate * self.new_factor + u_other) * new
        res_to_dh = connected * self.dh_res_conn / (self.res_heat_useful + self.res_other_useful)
        fossil_res = self._heating(self.res_shares, res_old, res_new, res_to_dh, switched,
                                   final[:, :, RES])
        final[:, :, RES, EL] += (self.res_specific + self.res_cooling * cool_climate) * H / H0
        final[:, :, RES, ORN] += self.solar_thermal

        activity = P / P[:, :1]
        stock_renovated = renovated / H0  # offices follow the dwellings' pace
        com_old = self.com_heat_useful * activity * climate * (1 - depth * stock_renovated)
        com_to_dh = connected * (1 - self.dh_res_conn) / self.com_heat_useful
        self._heating(self.com_shares, com_old, np.zeros_like(com_old), com_to_dh, switched,
                      final[:, :, COM])
        final[:, :, COM, EL] += (self.com_other + self.com_cooling * cool_climate) * activity

        final[:, :, IND] = self.ind_base * self.ind_factor[:, None]
        final[:, :, AGR] = self.agr_base

        # mobility
        car_share = self._towards(self.mode_share0[0], lv["car_modal_share_2030"])
        occupancy = self._towards(self.occ0, lv["car_occupancy_2030"])
        remote = self._towards(self.remote0, lv["remote_work_days"])
        commuting = 1 - self.commute + self.commute * (5 - remote) / (5 - self.remote0)
        vkm = (P * self.trips_year * car_share / 100 / occupancy * self.car_km * commuting
               / 1e6)
        ev = self._fleet_share(self._new_ev_share(lv["ev_share_new_cars_2030"]))
        moved_trips = self.mode_share0[0] - car_share  # points of trips left by the car
        shares = [car_share] + [self.mode_share0[i] + self.mode_shift[i] * moved_trips
                                for i in (1, 2, 3)]
        pt_energy = P * self.trips_year * shares[1] / 100 * self.pt_km / 1e6 * self.pt_kwh
        tra = final[:, :, TRA]
        tra[:] = self.rest
        tra[..., OIL] += vkm * (1 - ev) * self.ice + pt_energy - self.rest_light * self.rest_ev
        tra[..., EL] += vkm * ev * self.ev_kwh + self.rest_light * self.rest_ev * (
            self.ev_kwh / self.ice)

        # local renewables
        carriers = final.sum(2)  # (n, T, 6)
        dh_total = carriers[..., DH]
        pv_2030 = lv["solar_pv_2030"][:, None]
        # the 2021-2030 pace goes on to 2050 when it adds panels; a smaller fleet is held
        pv = (self.pv0 + (pv_2030 - self.pv0) * ramp
              + np.maximum(pv_2030 - self.pv0, 0.0) * (pace - ramp))
        bio = np.minimum(self.biomethane, carriers[..., GAS])
        renewables = np.stack([
            pv * self.pv_yield,
            np.full((n, T), self.solar_thermal),
            carriers[..., WOOD],
            carriers[..., ORN] - self.solar_thermal,
            dh_total * self.dh_renewable,
            bio,
        ], axis=-1)

        # emissions (kt: GWh × g/kWh / 1000)
        ef = np.empty((n, T, 6))
        ef[..., EL] = self._towards(self.ef_electricity0, lv["electricity_carbon_intensity"])
        ef[..., GAS] = self.ef_gas * (1 - bio / np.maximum(carriers[..., GAS], 1e-12))
        ef[..., OIL] = self.ef_oil
        ef[..., WOOD] = self.ef_wood
        ef[..., DH] = self.dh_ef
        ef[..., ORN] = self.ef_other
        emissions = np.empty((n, T, 6))
        emissions[..., :5] = (final * ef[:, :, None, :]).sum(-1) / 1000
        emissions[..., AGR] += self.agr_non_energy
        emissions[..., 5] = self.waste

        # dwellings whose oil or gas boiler has been replaced (heat pump or wood), H0 shares
        d_dh = np.minimum(res_to_dh, self.res_shares[S_GAS])
        boilers = switched * (self.res_shares[S_GAS] - d_dh + self.res_shares[S_OIL]) * old

        detail = {"vkm": vkm, "ev": ev, "modal": np.stack(shares, -1), "renovated": renovated,
                  "boilers": boilers,
                  "fossil_share": fossil_res * old / H, "pv": pv, "ef": ef,
                  "price_index": 1 + lv["energy_price_change"][:, None] / 100 * ramp,
                  "biomethane": bio}
        return Balance(self.years, final, emissions, renewables, detail)

    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        b = self.balance(levers, inputs)
        d = b.detail
        by_sector = b.final.sum(-1)
        by_carrier = b.final.sum(-2)
        total = by_sector.sum(-1)
        ghg = b.emissions.sum(-1)
        local = b.renewables.sum(-1)
        price = d["price_index"]
        bill = (by_carrier * self.prices).sum(-1) / 1000 * price
        imports = (by_carrier[..., OIL] * self.import_oil
                   + (by_carrier[..., GAS] - d["biomethane"]) * self.import_gas) / 1000 * price
        out = {
            "Final Energy": total,
            "Final Energy Change vs 2021": 100 * (total / total[:, :1] - 1),
            "Emissions|Kyoto Gases": ghg,
            "Emissions|Kyoto Gases|Waste": b.emissions[..., 5],
            "Emissions Change vs 2009|Kyoto Gases": 100 * (ghg / self.ghg_reference - 1),
            "Emissions Benchmark|SNBC": ghg[:, :1] * self.snbc_factor,
            "Local Renewable Production": local,
            "Renewable Share|Final Energy": 100 * local / total,
            "Capacity|Electricity|Solar PV": d["pv"],
            "Mobility|Car Vehicle-km": d["vkm"],
            "Mobility|Electric Share of Car Fleet": 100 * d["ev"],
            "Buildings|Dwellings Renovated": d["renovated"],
            "Buildings|Fossil-Heated Dwellings": 100 * d["fossil_share"],
            "Energy Bill": bill,
            "Energy Imports|Fossil Fuels": imports,
        }
        out.update(self._investment(np.asarray(levers["renovation_depth"], float), d))
        for i, s in enumerate(SECTORS):
            out[f"Final Energy|{SECTOR_NAMES[s]}"] = by_sector[..., i]
            out[f"Emissions|Kyoto Gases|{SECTOR_NAMES[s]}"] = b.emissions[..., i]
        for i, c in enumerate(CARRIERS):
            out[f"Final Energy by Carrier|{CARRIER_NAMES[c]}"] = by_carrier[..., i]
        for i, r in enumerate(RENEWABLE_NAMES):
            out[f"Local Renewable Production|{r}"] = b.renewables[..., i]
        for i, m in enumerate(("Car", "Public Transport", "Bike", "Walk")):
            out[f"Mobility|Modal Share|{m}"] = d["modal"][..., i]
        return out

    def _investment(self, depth: np.ndarray, detail: dict) -> dict[str, np.ndarray]:
        """Investment of the year (M EUR) from the yearly increments of the stocks."""
        def added(stock):  # what the year adds to a stock; nothing in 2021, never negative
            return np.maximum(np.diff(stock, axis=1, prepend=stock[:, :1]), 0.0)

        share = np.clip((depth[:, None] - 15.0) / (75.0 - 15.0), 0.0, None)
        per_dwelling = self.cost_light + (self.cost_deep - self.cost_light) * share
        renovation = added(detail["renovated"]) * per_dwelling / 1e6
        boilers = added(detail["boilers"])
        heating = boilers * (self.switch_hp * self.cost_hp
                             + (1 - self.switch_hp) * self.cost_wood) / 1e6
        pv = added(detail["pv"]) * self.cost_pv / 1e6
        total = renovation + heating + pv
        return {"Investment": total,
                "Investment|Building Renovation": renovation,
                "Investment|Heating Systems": heating,
                "Investment|Solar PV": pv,
                "Investment Cumulative since 2021": np.cumsum(total, axis=1)}
