"""Regenerate simdemand/calibration/data/epoch_models.csv from Epoch AI's "all_ml_systems.csv".

Usage::

    python tools/clean_epoch.py PATH/TO/all_ml_systems.csv \
        [-o simdemand/calibration/data/epoch_models.csv]

Source: Epoch AI, "Data on AI Models" (epoch.ai), CC-BY 4.0, snapshot of Aug 2025. Every cell
is read as text and validated; a cell that fails validation becomes empty rather than being
guessed at. The rules are listed in simdemand/calibration/data/README.md and summarised on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd

SNAPSHOT_END = dt.date(2025, 8, 31)
EARLIEST = dt.date(1950, 1, 1)
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "simdemand" / "calibration" / "data" / "epoch_models.csv"
)

# Finetune-compute cells whose own notes show a unit slip (parameters written in thousands or
# millions instead of units, so the value is ~1e6 too small); blanked, not corrected.
FINETUNE_ERRATA = frozenset({"s1-32B", "Dolly 2.0-12b"})
# A finetune compute below this is a truncated mantissa ("1" for 1.66e21 in the notes).
MIN_FINETUNE_FLOP = 1e6
OPEN = {
    "Open weights (unrestricted)",
    "Open weights (restricted use)",
    "Open weights (non-commercial)",
}
CLOSED = {"API access", "Hosted access (no API)", "Unreleased"}

COLUMNS = [
    "model",
    "organization",
    "publication_date",
    "domain",
    "base_model",
    "training_compute_flop",
    "parameters",
    "training_dataset_size",
    "finetune_compute_flop",
    "accessibility",
    "open_weights",
    "confidence",
    "hardware",
    "hardware_quantity",
    "hardware_utilization",
    "training_time_hours",
    "training_chip_hours",
    "epoch_compute_rank",
]


def text(cell: str) -> str:
    """Strip a text cell and collapse its inner whitespace (line breaks, tabs) to one space."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", cell)).strip()


def positive(cell: str) -> float | None:
    """A strictly positive finite number, or None."""
    try:
        value = float(cell.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def count(cell: str) -> float | None:
    """A positive whole number, or None."""
    value = positive(cell)
    return value if value is not None and value.is_integer() else None


def utilization(cell: str) -> float | None:
    """A utilization fraction in (0, 1]; a value in (1, 100] is read as a percentage."""
    value = positive(cell)
    if value is None or value > 100:
        return None
    return value / 100 if value > 1 else value


def date(cell: str) -> str | None:
    """An ISO date between 1950 and the snapshot's end, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell.strip()):
        return None
    try:
        day = dt.date.fromisoformat(cell.strip())
    except ValueError:
        return None
    return day.isoformat() if EARLIEST <= day <= SNAPSHOT_END else None


def open_weights(cell: str) -> bool | None:
    """True for any open-weights category, False for API/hosted/unreleased, else None."""
    return True if cell in OPEN else False if cell in CLOSED else None


def clean(raw: pd.DataFrame, log: Callable[[str], None]) -> pd.DataFrame:
    """The validated subset: rows with a valid date and a positive finite training compute."""
    bad: Counter[str] = Counter()

    def checked(column: str, parse: Callable[[str], object]) -> pd.Series:
        values = raw[column].map(parse)
        bad[column] = int(((raw[column].str.strip() != "") & values.isna()).sum())
        return values

    out = pd.DataFrame(
        {
            "model": raw["Model"].map(text),
            "organization": raw["Organization"].map(text),
            "publication_date": checked("Publication date", date),
            "domain": raw["Domain"].map(text),
            "base_model": raw["Base model"].map(text),
            "training_compute_flop": checked("Training compute (FLOP)", positive),
            "parameters": checked("Parameters", positive),
            "training_dataset_size": checked("Training dataset size (datapoints)", positive),
            "finetune_compute_flop": checked("Finetune compute (FLOP)", positive),
            "accessibility": raw["Model accessibility"].map(text),
            "open_weights": raw["Model accessibility"].map(text).map(open_weights),
            "confidence": raw["Confidence"].map(text),
            "hardware": raw["Training hardware"].map(text),
            "hardware_quantity": checked("Hardware quantity", count),
            "hardware_utilization": checked("Hardware utilization (MFU)", utilization),
            "training_time_hours": checked("Training time (hours)", positive),
            "training_chip_hours": checked("Training chip-hours", positive),
            "epoch_compute_rank": checked("Compute rank when published", count),
        }
    )
    percent = pd.to_numeric(raw["Hardware utilization (MFU)"].map(positive))
    log(f"utilization read as percent: {int(((percent > 1) & (percent <= 100)).sum())}")
    ft = out["finetune_compute_flop"]
    small = ft.notna() & (ft.astype(float) < MIN_FINETUNE_FLOP)
    errata = out["model"].isin(FINETUNE_ERRATA) & ft.notna()
    log(f"finetune compute blanked: {int(small.sum())} truncated, {int(errata.sum())} errata")
    out.loc[small | errata, "finetune_compute_flop"] = None
    for column, n in sorted(bad.items()):
        if n:
            log(f"invalid cells blanked in {column!r}: {n}")

    keep = out["publication_date"].notna() & out["training_compute_flop"].notna()
    log(f"rows: {len(out)} read, {int(keep.sum())} with a valid date and training compute")
    out = out[keep]
    filled = out.apply(lambda column: column.notna() & (column.astype(str) != "")).sum(axis=1)
    out = out.assign(_filled=filled).sort_values("_filled", ascending=False, kind="stable")
    dupes = out["model"].duplicated()
    if dupes.any():
        log(f"duplicate names dropped (kept the fullest row): {sorted(out['model'][dupes])}")
    out = out[~dupes].drop(columns="_filled")
    out = out.sort_values(["publication_date", "model"], kind="stable")
    for column in ("hardware_quantity", "epoch_compute_rank"):
        out[column] = out[column].astype("Int64")
    out["open_weights"] = out["open_weights"].astype("boolean")
    return out[COLUMNS].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    """Read the raw CSV, clean it and write the subset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Epoch AI all_ml_systems.csv")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    raw = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    missing = {"Model", "Publication date", "Training compute (FLOP)"} - set(raw.columns)
    if missing:
        parser.error(f"not an Epoch AI models table: missing {sorted(missing)}")
    subset = clean(raw, lambda line: print(line, file=sys.stderr))
    subset.to_csv(args.output, index=False, lineterminator="\n")
    print(f"wrote {len(subset)} rows to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
