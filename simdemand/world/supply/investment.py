"""The investment loop: once a quarter, token revenue and outside investment buy GPUs.

At the end of each quarter the investor reads the quarter's token revenue (what the market sold,
times the share of test-time work that was served, not lost), the fleet's utilization and the
share of fluid work left unmet (from the allocator), and orders GPUs of the newest generation it
will be able to install: funds = reinvested revenue + outside investment; it spends the share
min(1, (utilization + unmet share) / target) of them, within the production limit (GPUs a
quarter) and the power limit (GW delivered in a calendar year). The order enters the fleet's
calendars at once, in service from order + lead time, so final runs can plan on it; capex is
spent at the order, depreciated straight-line over the service life from delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from simdemand.catalog import Catalog
from simdemand.physics import economics
from simdemand.physics.energy import energy_mwh
from simdemand.scenario.economy import Investment
from simdemand.units import HOURS_PER_DAY, HOURS_PER_YEAR, TEST_TIME
from simdemand.world.market import Market
from simdemand.world.supply.allocation import Allocator
from simdemand.world.supply.fleet import Fleet
from simdemand.world.supply.installed import DAYS_PER_QUARTER, Shipment

QUARTER_HOURS = DAYS_PER_QUARTER * HOURS_PER_DAY


@dataclass(frozen=True)
class Decision:
    """One quarter's accounts and order (amounts in USD, GPUs, GW; times in hours)."""

    hour: float
    sold_usd: float
    served_share: float
    revenue_usd: float
    outside_usd: float
    funds_usd: float
    capex_usd: float
    depreciation_usd: float
    utilization: float
    unmet_share: float
    energy_mwh: float
    hardware: str
    ordered_gpus: float
    ordered_h100e: float
    ordered_gw: float
    delivery_h: float
    bound: str


class Investor:
    """Orders GPUs each quarter from revenue, utilization and unmet demand."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: Investment,
        fleet: Fleet,
        allocator: Allocator,
        market: Market,
        start: dt.datetime,
        pue: float,
    ) -> None:
        self.env = env
        self.spec = spec
        self.fleet = fleet
        self.allocator = allocator
        self.market = market
        self.catalog: Catalog = fleet.catalog
        self.start = start
        self.pue = pue
        self.decisions: list[Decision] = []
        self.booked_gw: dict[int, float] = {}
        env.process(self.run())

    def run(self) -> Generator[simpy.Event, None, None]:
        """Decide at the end of each whole quarter of the run."""
        if self.env.now < 0:
            yield self.env.timeout(-self.env.now)
        k = 1
        while (at := k * QUARTER_HOURS) < self.allocator.hours:
            yield self.env.timeout(at - self.env.now)
            self.decide(at)
            k += 1

    def decide(self, at: float) -> None:
        """Account for the quarter before `at` and order GPUs."""
        spec, lo = self.spec, max(at - QUARTER_HOURS, 0.0)
        years = at / HOURS_PER_YEAR
        sold = self.market.revenue_between(lo, at)
        served_share = self.served_share(int(lo), int(at), TEST_TIME)
        revenue = sold * served_share
        outside = (
            spec.outside_usd_per_year / 4.0 * economics.growth(spec.outside_growth_per_year, years)
        )
        funds = spec.revenue_share * revenue + outside
        utilization, unmet, energy = self.usage(int(lo), int(at))
        spend = min(1.0, (utilization + unmet) / spec.target_utilization) * funds
        delivery_h = at + spec.lead_time_days * HOURS_PER_DAY
        delivery = (self.start + dt.timedelta(hours=delivery_h)).date()
        hardware = self.catalog.newest_available(delivery)
        per_gpu = economics.capex_per_gpu_usd(hardware.tdp_w, self.pue, spec.capex_usd_per_gw)
        gw_per_gpu = economics.facility_gw(1.0, hardware.tdp_w, self.pue)
        limits = {
            "demand" if spend < funds else "funds": spend / per_gpu,
            "production": spec.gpus_per_quarter
            * economics.growth(spec.production_growth_per_year, years),
            "power": max(spec.gw_per_year - self.booked_gw.get(delivery.year, 0.0), 0.0)
            / gw_per_gpu,
        }
        bound = min(limits, key=lambda k: limits[k])
        gpus = limits[bound]
        if gpus > 0:
            self.fleet.deliver(Shipment(delivery_h, hardware.name, gpus))
        self.booked_gw[delivery.year] = self.booked_gw.get(delivery.year, 0.0) + gpus * gw_per_gpu
        self.decisions.append(
            Decision(
                hour=at,
                sold_usd=sold,
                served_share=served_share,
                revenue_usd=revenue,
                outside_usd=outside,
                funds_usd=funds,
                capex_usd=gpus * per_gpu,
                depreciation_usd=self.depreciation(lo, at),
                utilization=utilization,
                unmet_share=unmet,
                energy_mwh=energy,
                hardware=hardware.name,
                ordered_gpus=gpus,
                ordered_h100e=gpus * self.fleet.weight[hardware.name],
                ordered_gw=gpus * gw_per_gpu,
                delivery_h=delivery_h,
                bound=bound,
            )
        )

    def usage(self, lo: int, hi: int) -> tuple[float, float, float]:
        """Utilization (H100e-hours used over installed), the share of the fluid work that left
        the queues unserved (lost over lost + served, in H100e-hours) and fleet energy (MWh)
        over the hours [lo, hi) the allocator has served."""
        hi = min(hi, self.allocator.done)
        if hi <= lo:
            return 0.0, 0.0, 0.0
        fleet, offset = self.fleet, -self.fleet.first
        w = fleet.weight
        installed = sum(
            float(s[offset + lo : offset + hi].sum()) for s in fleet.installed_h100e.values()
        )
        used = energy = 0.0
        for (_, hw), series in sorted(self.allocator.used.items()):
            busy = float(series[lo:hi].sum())
            used += busy * w[hw]
            energy += energy_mwh(busy, self.catalog[hw].tdp_w, self.pue)
        served = unmet = 0.0
        for (_, hw), flow in sorted(self.allocator.flows.items()):
            served += float(flow.served[lo:hi].sum()) * w[hw]
            unmet += float(flow.unmet[lo:hi].sum()) * w[hw]
        utilization = min(1.0, used / installed) if installed > 0 else 0.0  # summed rounding
        left = served + unmet
        return utilization, unmet / left if left > 0 else 0.0, energy

    def served_share(self, lo: int, hi: int, regime: str) -> float:
        """Share of a regime's fluid work that left the queues served (not lost) over the hours
        [lo, hi) the allocator has served, in H100e-hours; 1 when none left them."""
        hi = min(hi, self.allocator.done)
        w = self.fleet.weight
        served = unmet = 0.0
        for (r, hw), flow in sorted(self.allocator.flows.items()):
            if r == regime:
                served += float(flow.served[lo:hi].sum()) * w[hw]
                unmet += float(flow.unmet[lo:hi].sum()) * w[hw]
        return served / (served + unmet) if served + unmet > 0 else 1.0

    def depreciation(self, lo: float, hi: float) -> float:
        """Depreciation (USD) in [lo, hi) of the GPUs this loop ordered."""
        life = self.fleet.spec.service_life_years
        total = 0.0
        for d in self.decisions:
            cost = d.capex_usd
            before = economics.depreciation_usd(cost, life, (lo - d.delivery_h) / HOURS_PER_YEAR)
            after = economics.depreciation_usd(cost, life, (hi - d.delivery_h) / HOURS_PER_YEAR)
            total += after - before
        return total
