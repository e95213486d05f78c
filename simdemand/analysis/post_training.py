"""The seed's second law, measured: each pretrained base's derivative ecosystem against its own
pretraining. Pure functions over a run's ``models`` and ``jobs`` tables (as pandas frames).

A base is a model without a parent (a lab's release). Its *tree* is every derivative that
descends from it, at any depth. Post-training rows of the jobs table belong to a tree through
their ``model_id`` when it is a derivative in the models table (followed up its ``parent_id``
chain to the root), else through their ``base_id``: a community's bulk row standing for the
derivatives of that family not released one by one. Every post-training row's ``derivatives``
column holds the number of derivatives it stands for, so derivative counts include the
unregistered (and the zero-compute merges and quantizations). Counts and compute cover the
simulated horizon only: the jobs table is clipped to it, and a base released late has had less
time to collect derivatives (``observed_days`` says how long).

The ratio compares GPU-hours, the simulator's unit of demand, and is what the seed's "30x more
compute" is read as: post-training GPU-hours of the whole tree over the GPU-hours of the base's
final pretraining run (the ``gpu_hours`` of its models row; experiments and ablations are not
counted, as the seed compares with "pretraining the original model"). GPU-hours include how
badly generation-heavy work (RL rollouts, teacher outputs) uses the hardware, which FLOP hide;
``ratio_flop`` (model FLOP over the base's ``training_flop``) is given beside it and is
independent of hardware generations.

The seed's "popular" models are read as the bases with the most derivatives among those
observed long enough to have collected them (``most_popular``: by default the top 10 of the
bases observed at least a year, as the summary reports them); a base released late in the
horizon has a short window and is left out rather than compared on a partial count.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from simdemand.units import POST_TRAINING, SECONDS_PER_DAY

COLUMNS = [
    "base",
    "lab",
    "open_weights",
    "released",
    "observed_days",
    "params",
    "active_params",
    "pretraining_gpu_hours",
    "pretraining_flop",
    "derivatives",
    "registered",
    "max_depth",
    "post_training_gpu_hours",
    "post_training_flop",
    "ratio",
    "ratio_flop",
    "gpu_hours_per_derivative",
]
QUANTILES = (0.5, 0.9, 0.99)
TOP_STATS = ("top_p50", "top_min", "top_max")
# A base is read after a year of derivatives: its stream fades e-fold every 6 months by default
# (communities' decay_months), so by then it has collected ~86% of them.
MATURE_DAYS = 365.0
FrameOrSeries = TypeVar("FrameOrSeries", pd.DataFrame, pd.Series)


def lineage(models: pd.DataFrame) -> pd.DataFrame:
    """For each model: the root of its lineage and its depth (0 for a base)."""
    parent = dict(zip(models["model_id"].tolist(), models["parent_id"].tolist(), strict=True))
    root: dict[str, str] = {}
    depth: dict[str, int] = {}
    for model in parent:
        chain: list[str] = []
        current = model
        while current not in root:
            up = parent.get(current)
            if not isinstance(up, str) or up not in parent or current in chain:
                root[current], depth[current] = current, 0
                break
            chain.append(current)
            current = up
        for hop, member in enumerate(reversed(chain), start=1):
            root[member] = root[current]
            depth[member] = depth[current] + hop
    ids = list(parent)
    return pd.DataFrame(
        {"root": [root[m] for m in ids], "depth": [depth[m] for m in ids]},
        index=pd.Index(ids, name="model_id"),
    )


def attribute(jobs: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    """Post-training rows with the position in `tree` of the root of the derivatives each
    stands for and their depth: a released derivative's own place in the tree, or (a bulk row)
    one below its family's base. Rows charged to a base itself (its lab's own post-training)
    are left out."""
    columns = ["model_id", "base_id", "gpu_hours", "flop", "derivatives"]
    post = jobs.loc[jobs["regime"] == POST_TRAINING, columns]
    model = positions(post["model_id"], tree.index)
    released = model >= 0
    owner = np.where(released, model, positions(post["base_id"], tree.index))
    depths = tree["depth"].to_numpy()
    known = owner >= 0
    # A base's own rows are its lab's post-training, not a derivative's.
    known[released] &= depths[model[released]] > 0
    rows = post.loc[known, ["gpu_hours", "flop", "derivatives"]]
    owner = owner[known]
    roots = tree.index.get_indexer(pd.Index(tree["root"]))
    rows["root"] = roots[owner]
    rows["depth"] = np.where(released[known], depths[owner], depths[owner] + 1)
    return rows


def positions(keys: pd.Series, index: pd.Index) -> npt.NDArray[np.intp]:
    """Each key's position in `index` (-1 where missing or null), looking each distinct key up
    once."""
    codes, distinct = pd.factorize(keys)
    found = np.append(index.get_indexer(pd.Index(np.asarray(distinct, dtype=object))), -1)
    return found[codes]


def labelled(frame: FrameOrSeries, tree: pd.DataFrame) -> FrameOrSeries:
    """`frame` indexed by the models of `tree` at its positions."""
    return frame.set_axis(tree.index[frame.index.to_numpy()].rename("root"))


def ecosystem_summary(
    models: pd.DataFrame,
    jobs: pd.DataFrame,
    end: pd.Timestamp | None = None,
    open_only: bool = True,
) -> pd.DataFrame:
    """One row per open-weights base (a model without a parent), most derivatives first;
    `open_only=False` adds the closed bases (their derivatives: fine-tuning services).

    Columns: base, lab, open_weights, released, observed_days (from release to `end`, by
    default the latest job end), params, active_params, pretraining_gpu_hours and
    pretraining_flop (its final run), derivatives (count, may be fractional where a row was
    clipped at the horizon), registered (derivatives with a models row), max_depth (deepest
    lineage in the tree; 0 without derivatives), post_training_gpu_hours and
    post_training_flop of the whole tree, ratio (tree GPU-hours / pretraining GPU-hours),
    ratio_flop (tree FLOP / training FLOP), gpu_hours_per_derivative.
    """
    tree = lineage(models)
    rows = attribute(jobs, tree)
    sums = labelled(rows.groupby("root")[["gpu_hours", "flop", "derivatives"]].sum(), tree)
    derived = tree.loc[tree["depth"] > 0]
    registered = derived.groupby("root").size()
    made = rows.loc[rows["derivatives"] > 0].groupby("root")["depth"].max()
    deepest = pd.concat([labelled(made, tree), derived.groupby("root")["depth"].max()])
    deepest = deepest.groupby(level=0).max()
    bases = models.loc[models["parent_id"].isna()].set_index("model_id")
    if open_only:
        bases = bases.loc[bases["open_weights"].astype(bool)]
    if end is None:
        end = jobs["end"].max() if len(jobs) else bases["released"].max()
    out = pd.DataFrame(index=bases.index)
    out["lab"] = bases["lab"]
    out["open_weights"] = bases["open_weights"].astype(bool)
    out["released"] = bases["released"]
    observed = pd.to_timedelta(end - bases["released"]).dt.total_seconds() / SECONDS_PER_DAY
    out["observed_days"] = observed.clip(lower=0.0)
    out["params"] = bases["params"]
    out["active_params"] = bases["active_params"]
    out["pretraining_gpu_hours"] = bases["gpu_hours"]
    out["pretraining_flop"] = bases["training_flop"]
    out["derivatives"] = sums["derivatives"].reindex(out.index, fill_value=0.0)
    out["registered"] = registered.reindex(out.index, fill_value=0).astype(np.int64)
    out["max_depth"] = deepest.reindex(out.index, fill_value=0).astype(np.int64)
    out["post_training_gpu_hours"] = sums["gpu_hours"].reindex(out.index, fill_value=0.0)
    out["post_training_flop"] = sums["flop"].reindex(out.index, fill_value=0.0)
    out["ratio"] = out["post_training_gpu_hours"] / out["pretraining_gpu_hours"]
    out["ratio_flop"] = out["post_training_flop"] / out["pretraining_flop"]
    per = out["post_training_gpu_hours"] / out["derivatives"].where(out["derivatives"] > 0)
    out["gpu_hours_per_derivative"] = per.fillna(0.0)
    out = out.rename_axis("base").reset_index()
    order = out.sort_values(["derivatives", "base"], ascending=[False, True], kind="stable")
    return order[COLUMNS].reset_index(drop=True)


def eligible(
    summary: pd.DataFrame, open_only: bool = True, min_observed_days: float = 0.0
) -> pd.DataFrame:
    """The bases of a summary observed at least `min_observed_days` (open-weights ones only by
    default), most derivatives first."""
    pick = summary
    if open_only:
        pick = pick.loc[pick["open_weights"]]
    pick = pick.loc[pick["observed_days"] >= min_observed_days]
    return pick.sort_values(["derivatives", "base"], ascending=[False, True], kind="stable")


def most_popular(
    summary: pd.DataFrame,
    top: int = 10,
    open_only: bool = True,
    min_observed_days: float = MATURE_DAYS,
) -> pd.DataFrame:
    """The `top` bases with the most derivatives among those observed `min_observed_days`."""
    return eligible(summary, open_only, min_observed_days).head(top)


def ratio_distribution(
    summary: pd.DataFrame,
    column: str = "ratio",
    open_only: bool = True,
    min_observed_days: float = 0.0,
    top: int = 10,
) -> dict[str, Any]:
    """The distribution of a summary column across bases, as plain numbers (for JSON).

    Keys: bases, with_derivatives, mean, p50, p90, p99, max; `top`: the `top` bases with the
    most derivatives (base, lab, derivatives, max_depth, ratio, ratio_flop); and top_p50,
    top_min, top_max: the column across those most popular bases. Open-weights bases only by
    default; `min_observed_days` leaves out bases released too late to have collected their
    derivatives.
    """
    pick = eligible(summary, open_only, min_observed_days)
    values = pick[column].to_numpy(dtype=np.float64)
    stats: dict[str, Any] = {
        "column": column,
        "bases": len(values),
        "with_derivatives": int((pick["derivatives"] > 0).sum()),
    }
    if len(values) == 0:
        zeros = ["mean", "max", *(f"p{round(q * 100)}" for q in QUANTILES), *TOP_STATS]
        return stats | dict.fromkeys(zeros, 0.0) | {"top": []}
    stats["mean"] = float(values.mean())
    for q in QUANTILES:
        stats[f"p{round(q * 100)}"] = float(np.quantile(values, q))
    stats["max"] = float(values.max())
    head = pick.head(top)
    popular = head[column].to_numpy(dtype=np.float64)
    stats["top_p50"] = float(np.median(popular))
    stats["top_min"] = float(popular.min())
    stats["top_max"] = float(popular.max())
    stats["top"] = [
        {
            "base": str(base),
            "lab": str(lab),
            "derivatives": float(count),
            "max_depth": int(depth),
            "ratio": float(ratio),
            "ratio_flop": float(ratio_flop),
        }
        for base, lab, count, depth, ratio, ratio_flop in zip(
            head["base"].tolist(),
            head["lab"].tolist(),
            head["derivatives"].tolist(),
            head["max_depth"].tolist(),
            head["ratio"].tolist(),
            head["ratio_flop"].tolist(),
            strict=True,
        )
    ]
    return stats


def ecosystem_ratios(
    models: pd.DataFrame, jobs: pd.DataFrame, min_observed_days: float = 0.0
) -> pd.DataFrame:
    """The bases with derivatives, from :func:`simdemand.analysis.post_training.ecosystem_summary`.

    One row per pretrained base whose tree has post-training: derivatives, ratio (the tree's
    post-training GPU-hours over the base's final pretraining run), ratio_flop and the rest of
    the summary's columns; highest ratio first. ``min_observed_days`` leaves out bases released
    too late in the run to have collected their derivatives.
    """
    from simdemand.analysis.post_training import COLUMNS, ecosystem_summary

    if not (jobs["regime"] == "post-training").any():
        return pd.DataFrame(columns=COLUMNS)
    summary = ecosystem_summary(models, jobs)
    keep = (summary["derivatives"] > 0) & (summary["post_training_gpu_hours"] > 0)
    keep &= summary["observed_days"] >= min_observed_days
    table = summary.loc[keep].sort_values("ratio", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["min_observed_days"] = min_observed_days
    return table
