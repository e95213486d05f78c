"""Scenario files: schema, loading, composition and overrides."""

from simdemand.scenario.loader import load_scenario, scenario_catalog
from simdemand.scenario.schema import LabArchetype, RunConfig, Scenario

__all__ = ["LabArchetype", "RunConfig", "Scenario", "load_scenario", "scenario_catalog"]
