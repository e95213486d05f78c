"""The hardware catalog: accelerators as data, one validated record per GPU, by name or date."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simdemand.errors import quoted

Precision = Literal["bf16", "fp8", "fp4"]
# From the widest number format to the narrowest (the fastest where the hardware has it).
PRECISIONS: tuple[Precision, ...] = ("bf16", "fp8", "fp4")

# Strict: a bool or a numeric string is an error, not silently a number. Bounds are physical
# and generous (the catalog's own rows sit well inside them): they catch a typo or a unit slip
# (1e9 for 1e12), not a bold guess about future hardware.
Positive = Annotated[float, Field(gt=0, strict=True)]
PositiveCount = Annotated[int, Field(gt=0, strict=True)]
# 1 TFLOP/s (P100's FP16 is 21) to 1 ZFLOP/s per device (a GB200 has 2.5e15 BF16; parts
# projected on the hardware trend, 1.5x a year, reach ~1.5e18 FP8 by 2040).
FlopRate = Annotated[float, Field(ge=1e12, le=1e21, strict=True)]
# 1 GB (below any training accelerator since 2016) to 100 TB per device (500x a GB200's 186 GB).
Bytes = Annotated[float, Field(ge=1e9, le=1e14, strict=True)]
# 10 GB/s to 10 PB/s per device (a GB200 moves 8 TB/s).
ByteRate = Annotated[float, Field(ge=1e10, le=1e16, strict=True)]
# Up to 100 kW per device (a GB200 draws 1.2 kW).
Watts = Annotated[float, Field(gt=0, le=1e5, strict=True)]
# Up to $10,000 per GPU-hour (the catalog's rows cost $1.5-6.5).
Price = Annotated[float, Field(gt=0, le=1e4, strict=True)]
# GPUs per node or NVLink domain: 1 to 100,000 (an NVL72 rack is 72).
NodeSize = Annotated[int, Field(ge=1, le=100_000, strict=True)]
# Efficiencies multiply utilization laws that top out at 0.60 (training) and 0.45 (prefill MFU);
# above 1.6 the implied utilization would pass the peak.
Efficiency = Annotated[float, Field(gt=0, le=1.6, strict=True)]
# Availability: the first GPU used for deep learning at scale shipped in the 2000s; 1950-2200 is
# the window every scenario date lives in (simdemand.scenario.base.Date).
Available = Annotated[dt.date, Field(ge=dt.date(1950, 1, 1), le=dt.date(2200, 12, 31))]
YEARLY = re.compile(r"^(?P<stem>.*?)(?P<year>\d{4})$")
ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")


def normalized(name: str) -> str:
    """A name as compared: lower case, letters and digits only ('H100 sxm' is 'h100-SXM')."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Hardware(BaseModel):
    """One accelerator: dense peaks, memory, power, availability, price and where they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str
    bf16_flop_per_s: FlopRate
    fp8_flop_per_s: FlopRate | None = None
    fp4_flop_per_s: FlopRate | None = None
    hbm_bytes: Bytes
    hbm_bytes_per_s: ByteRate
    tdp_w: Watts
    available: Available
    usd_per_gpu_hour: Price
    gpus_per_node: NodeSize = 8
    training_efficiency: Efficiency = 1.0
    serving_efficiency: Efficiency = 1.0
    source: Annotated[str, Field(min_length=1)]
    # Other names people type for it; matched like the name, ignoring case and punctuation.
    aliases: tuple[Annotated[str, Field(pattern=ALIAS.pattern, max_length=80)], ...] = ()
    # Whether agents that pick "the newest available GPU" consider it; false for parts used only
    # when a scenario names them (pinned hardware, fleet deliveries, estimates).
    default_choice: bool = True

    def peak_flop_per_s(self, precision: Precision) -> float:
        """Dense peak FLOP/s at `precision`; ValueError if this hardware lacks it."""
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")
        peak = getattr(self, f"{precision}_flop_per_s")
        if peak is None:
            raise ValueError(
                f"{self.name} has no {precision.upper()} tensor cores; "
                f"use precision '{self.supported(precision)}' on it"
            )
        return float(peak)

    def supported(self, wanted: Precision) -> Precision:
        """`wanted` if this hardware has it, else the narrowest wider format it has (BF16 last)."""
        order = PRECISIONS[: PRECISIONS.index(wanted) + 1]
        return next(p for p in reversed(order) if getattr(self, f"{p}_flop_per_s") is not None)


class Catalog:
    """An immutable mapping from hardware name to Hardware, ordered by name."""

    def __init__(self, entries: Iterable[Hardware]) -> None:
        by_name: dict[str, Hardware] = {}
        lookup: dict[str, str] = {}
        for hw in entries:
            if hw.name in by_name:
                raise ValueError(f"hardware '{hw.name}' appears twice in the catalog")
            by_name[hw.name] = hw
            for alias in (hw.name, *hw.aliases):
                other = lookup.setdefault(normalized(alias), hw.name)
                if other != hw.name:
                    raise ValueError(f"hardware name '{alias}' of {hw.name} also names {other}")
        self._entries = MappingProxyType(dict(sorted(by_name.items())))
        self._lookup = MappingProxyType(lookup)

    def __getitem__(self, name: str) -> Hardware:
        """The entry called `name` (or an alias of it); KeyError naming the known ones otherwise."""
        return self._entries[self.resolve(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalized(name) in self._lookup

    def resolve(self, name: str) -> str:
        """The catalog name of `name`, an entry's name or alias in any case or punctuation;
        KeyError listing the known names otherwise."""
        found = self._lookup.get(normalized(name)) if isinstance(name, str) else None
        if found is None:
            raise KeyError(self.unknown(name))
        return found

    def unknown(self, name: object) -> str:
        """Why `name` is not in the catalog: the names it knows, and the closest one."""
        text = normalized(str(name))[:80]
        close = difflib.get_close_matches(text, list(self._lookup), n=1, cutoff=0.8)
        hint = f" (did you mean {self._lookup[close[0]]}?)" if close else ""
        known = listed(self._entries)
        return (
            f"unknown hardware {quoted(name, 40)}{hint}; known: {known} "
            "(in any case, or an alias such as H100)"
        )

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
        `among` restricts the choice to those names; without it, entries whose `default_choice`
        is false are left out. LookupError if nothing qualifies.
        """
        if not math.isfinite(lag_days) or lag_days < 0:
            raise ValueError(f"lag_days must be a finite number >= 0, got {lag_days}")
        pool = (
            [self[name] for name in among]
            if among is not None
            else [hw for hw in self._entries.values() if hw.default_choice]
        )
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
        for key, fields in raw.items():
            name = self.resolve(key) if key in self else key
            if "name" in fields and fields["name"] != name:
                raise ValueError(f"hardware '{name}': its 'name' field says '{fields['name']}'")
            base = entries[name].model_dump() if name in entries else {}
            entries[name] = Hardware.model_validate({**base, **fields, "name": name})
        return Catalog(entries.values())


def listed(names: Iterable[str]) -> str:
    """Names joined by commas, a run of yearly names shortened ('Trend-2026 to Trend-2040')."""
    out: list[str] = []
    run: list[tuple[str, int, str]] = []

    def flush() -> None:
        """Add the pending run of yearly names."""
        if len(run) > 2:
            out.append(f"{run[0][2]} to {run[-1][2]}")
        else:
            out.extend(name for _, _, name in run)
        run.clear()

    for name in names:
        match = YEARLY.match(name)
        if match is None:
            flush()
            out.append(name)
            continue
        stem, year = match["stem"], int(match["year"])
        if run and (run[-1][0] != stem or run[-1][1] != year - 1):
            flush()
        run.append((stem, year, name))
    flush()
    return ", ".join(out)


def load_catalog() -> Catalog:
    """The bundled catalog: hardware.toml in this package (one table per GPU), then yearly
    generations from the trend law past its last announced part (simdemand.catalog.trend)."""
    from simdemand.catalog.trend import with_trend_generations

    text = resources.files(__package__).joinpath("hardware.toml").read_text(encoding="utf-8")
    return with_trend_generations(catalog_from_toml(text))


def catalog_from_toml(text: str) -> Catalog:
    """Parse a catalog from TOML text: one table per GPU keyed by name, each with `source`."""
    tables = tomllib.loads(text)
    return Catalog(
        Hardware.model_validate({**fields, "name": name}) for name, fields in tables.items()
    )


__all__ = ["PRECISIONS", "Catalog", "Hardware", "Precision", "catalog_from_toml", "load_catalog"]
