"""The hardware catalog: accelerators as data, one validated record per GPU, by name or date."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Precision = Literal["bf16", "fp8"]
PRECISIONS: tuple[Precision, ...] = ("bf16", "fp8")

# Strict: a bool or a numeric string is an error, not silently a number.
Positive = Annotated[float, Field(gt=0, strict=True)]
PositiveCount = Annotated[int, Field(gt=0, strict=True)]


class Hardware(BaseModel):
    """One accelerator: dense peaks, memory, power, availability, price and where they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str
    bf16_flop_per_s: Positive
    fp8_flop_per_s: Positive | None = None
    hbm_bytes: Positive
    hbm_bytes_per_s: Positive
    tdp_w: Positive
    available: dt.date
    usd_per_gpu_hour: Positive
    gpus_per_node: PositiveCount = 8
    training_efficiency: Positive = 1.0
    serving_efficiency: Positive = 1.0
    source: Annotated[str, Field(min_length=1)]

    def peak_flop_per_s(self, precision: Precision) -> float:
        """Dense peak FLOP/s at `precision`; ValueError if this hardware lacks it."""
        if precision == "bf16":
            return self.bf16_flop_per_s
        if precision == "fp8":
            if self.fp8_flop_per_s is None:
                raise ValueError(f"{self.name} has no FP8 tensor cores; use precision 'bf16' on it")
            return self.fp8_flop_per_s
        raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")


class Catalog:
    """An immutable mapping from hardware name to Hardware, ordered by name."""

    def __init__(self, entries: Iterable[Hardware]) -> None:
        by_name: dict[str, Hardware] = {}
        for hw in entries:
            if hw.name in by_name:
                raise ValueError(f"hardware '{hw.name}' appears twice in the catalog")
            by_name[hw.name] = hw
        self._entries = MappingProxyType(dict(sorted(by_name.items())))

    def __getitem__(self, name: str) -> Hardware:
        """The entry called `name`; KeyError naming the known entries otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"unknown hardware '{name}'; known: {', '.join(self._entries)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Catalog({', '.join(self._entries)})"

    @property
    def names(self) -> tuple[str, ...]:
        """The entry names, sorted."""
        return tuple(self._entries)

    def newest_available(
        self, at: dt.date, lag_days: float = 0.0, among: Sequence[str] | None = None
    ) -> Hardware:
        """The latest-available entry with `available + lag_days <= at`.

        Ties on the date go to the higher BF16 peak, then to the alphabetically first name.
        `among` restricts the choice to those names. LookupError if nothing qualifies.
        """
        if not math.isfinite(lag_days) or lag_days < 0:
            raise ValueError(f"lag_days must be a finite number >= 0, got {lag_days}")
        pool = [self[name] for name in among] if among is not None else self._entries.values()
        lag = dt.timedelta(days=lag_days)
        ready = [hw for hw in pool if hw.available + lag <= at]
        if not ready:
            scope = f" among {', '.join(among)}" if among is not None else ""
            raise LookupError(f"no hardware{scope} available by {at} with a {lag_days:g}-day lag")
        return min(ready, key=lambda hw: (-hw.available.toordinal(), -hw.bf16_flop_per_s, hw.name))

    def with_entries(self, raw: Mapping[str, Mapping[str, Any]]) -> Catalog:
        """A new catalog with `raw` merged in: known names take partial overrides, new ones must
        be complete. Raises pydantic.ValidationError on invalid or incomplete entries."""
        entries = dict(self._entries)
        for name, fields in raw.items():
            if "name" in fields and fields["name"] != name:
                raise ValueError(f"hardware '{name}': its 'name' field says '{fields['name']}'")
            base = entries[name].model_dump() if name in entries else {}
            entries[name] = Hardware.model_validate({**base, **fields, "name": name})
        return Catalog(entries.values())


def load_catalog() -> Catalog:
    """The bundled catalog (hardware.toml in this package), one table per GPU."""
    text = resources.files(__package__).joinpath("hardware.toml").read_text(encoding="utf-8")
    return catalog_from_toml(text)


def catalog_from_toml(text: str) -> Catalog:
    """Parse a catalog from TOML text: one table per GPU keyed by name, each with `source`."""
    tables = tomllib.loads(text)
    return Catalog(
        Hardware.model_validate({**fields, "name": name}) for name, fields in tables.items()
    )


__all__ = ["PRECISIONS", "Catalog", "Hardware", "Precision", "catalog_from_toml", "load_catalog"]
