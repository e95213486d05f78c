"""Energy and rental cost of GPU time: facility MWh from TDP and PUE, USD from hourly prices."""

from __future__ import annotations

from typing import overload

import numpy as np

from simdemand.physics.arrays import FloatArray, like
from simdemand.units import WH_PER_MWH

# Power usage effectiveness: AI-oriented data centres run at 1.1-1.4 (LBNL 2024 US data centre
# energy report); hyperscale 1.1, industry average ~1.5 (Uptime Institute 2024).
DEFAULT_PUE = 1.2


@overload
def energy_mwh(gpu_hours: float, tdp_w: float, pue: float = DEFAULT_PUE) -> float: ...
@overload
def energy_mwh(
    gpu_hours: FloatArray, tdp_w: float | FloatArray, pue: float = DEFAULT_PUE
) -> FloatArray: ...
@overload
def energy_mwh(gpu_hours: float, tdp_w: FloatArray, pue: float = DEFAULT_PUE) -> FloatArray: ...
def energy_mwh(
    gpu_hours: float | FloatArray, tdp_w: float | FloatArray, pue: float = DEFAULT_PUE
) -> float | FloatArray:
    """Facility energy in MWh: GPU-hours x TDP (W) x PUE (GPU power only, no host share)."""
    result = np.multiply(np.multiply(gpu_hours, tdp_w), pue / WH_PER_MWH, dtype=np.float64)
    return like(result, gpu_hours, tdp_w)


@overload
def cost_usd(gpu_hours: float, usd_per_gpu_hour: float) -> float: ...
@overload
def cost_usd(gpu_hours: FloatArray, usd_per_gpu_hour: float | FloatArray) -> FloatArray: ...
@overload
def cost_usd(gpu_hours: float, usd_per_gpu_hour: FloatArray) -> FloatArray: ...
def cost_usd(
    gpu_hours: float | FloatArray, usd_per_gpu_hour: float | FloatArray
) -> float | FloatArray:
    """Rental cost in USD: GPU-hours x price per GPU-hour."""
    result = np.multiply(gpu_hours, usd_per_gpu_hour, dtype=np.float64)
    return like(result, gpu_hours, usd_per_gpu_hour)
