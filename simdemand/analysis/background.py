"""Headline figures of the background load: work outside the three regimes, by year."""

from __future__ import annotations

import pandas as pd

from simdemand.analysis.supply import bin_hours, years

SUMS = ["h100e_hours", "served_h100e_hours", "energy_mwh", "cost_usd"]


def by_year(background: pd.DataFrame) -> pd.DataFrame:
    """H100-equivalent hours (wanted and run), energy and cost by year and workload, with the
    mean busy H100-equivalents over the bins of the year."""
    year = years(background["time"])
    table = background.groupby([year, "workload"], sort=True)[SUMS].sum().reset_index()
    hours = background.groupby(year)["time"].nunique() * bin_hours(background["time"])
    table.insert(2, "mean_busy_h100e", table["h100e_hours"] / table["year"].map(hours))
    return table
