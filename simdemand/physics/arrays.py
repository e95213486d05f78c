"""Float-or-array helpers shared by the physics: a formula given floats returns a float."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def like(result: FloatArray, *inputs: float | FloatArray) -> float | FloatArray:
    """A Python float when every input was a scalar, else the array."""
    if all(np.ndim(x) == 0 for x in inputs):
        return float(result)
    return result
