"""Loading scenarios: composition with `extends`, `--set` overrides, frozen results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pydantic
import pytest

from simdemand.errors import InputError
from simdemand.scenario import load_scenario
from simdemand.scenario.loader import deep_merge
from simdemand.scenario.overrides import parse_value

HERE = Path(__file__).parent / "scenarios"


def test_extends_merges_tables_key_by_key() -> None:
    """The child overrides single keys and inherits the rest of its parent."""
    child = load_scenario(HERE / "child.toml")
    parent = load_scenario(HERE / "tiny.toml")
    assert child.run.name == "child"
    assert child.run.resolution == "month"
    assert child.run.seed == parent.run.seed == 7
    assert child.labs["small"].count == 1
    assert child.labs["small"].hardware == "A100-80GB"
    assert child.labs["big"] == parent.labs["big"]


def test_overrides_are_typed_like_toml() -> None:
    """--set values are read as TOML (numbers, dates, booleans), else as strings."""
    s = load_scenario(
        HERE / "tiny.toml",
        ["run.seed=99", "run.end=2028-06-01", "labs.small.open_weights=false", "run.name=other"],
    )
    assert s.run.seed == 99
    assert s.run.end == dt.date(2028, 6, 1)
    assert s.labs["small"].open_weights is False
    assert s.run.name == "other"


def test_a_star_sets_the_field_of_every_entry() -> None:
    """`labs.*.hardware_lag_days=90` sets both labs of tiny.toml, in file order, like two
    --set lines; the rest of the scenario is untouched."""
    star = load_scenario(HERE / "tiny.toml", ["labs.*.hardware_lag_days=90"])
    each = load_scenario(
        HERE / "tiny.toml", ["labs.big.hardware_lag_days=90", "labs.small.hardware_lag_days=90"]
    )
    plain = load_scenario(HERE / "tiny.toml")
    assert star == each
    assert list(star.labs) == list(plain.labs) == ["big", "small"]
    assert {lab.hardware_lag_days for lab in star.labs.values()} == {90.0}
    assert plain.labs["big"].hardware_lag_days != 90.0
    assert star.run == plain.run


def test_a_star_with_nothing_to_stand_for_is_refused() -> None:
    """A `*` over a table with no entries, or in place of the field, is one named error."""
    with pytest.raises(
        InputError, match=r"users\.\*\.queries_per_user_per_day: '\*' has no entries"
    ):
        load_scenario(HERE / "tiny.toml", ["users.*.queries_per_user_per_day=3"])
    with pytest.raises(InputError, match=r"not for the field to set"):
        load_scenario(HERE / "tiny.toml", ["labs.big.*=3"])


def test_a_misspelled_entry_is_named_with_the_entries_the_table_has() -> None:
    """`--set users.consumr.x=...` adds an entry the file lacks: its missing fields come back as
    one line naming the table's entries; a complete added entry is accepted."""
    baseline = HERE.parent.parent / "scenarios" / "baseline.toml"
    with pytest.raises(InputError) as caught:
        load_scenario(baseline, ["users.consumr.queries_per_user_per_day=3"])
    assert [e.path for e in caught.value.errors] == ["users.consumr"]
    assert caught.value.errors[0].message == (
        "'consumr' is not an entry of users (it has consumer, enterprise, developers, "
        "web_search); a --set that adds one must give all its required fields"
    )
    with pytest.raises(InputError) as caught:  # its unknown key is part of the same mistake
        load_scenario(baseline, ["users.consumr.x=1"])
    assert [e.path for e in caught.value.errors] == ["users.consumr"]
    with pytest.raises(InputError) as caught:  # a misspelled class of a discriminated union
        load_scenario(baseline, ["users.consumer.classes.chatt.x=1"])
    assert [e.path for e in caught.value.errors] == ["users.consumer.classes.chatt"]
    assert "(it has chat, reasoning, best_of_n, agentic, image, video)" in str(caught.value)
    # A table of fields, not of entries: its optional section keeps its own message, whatever
    # the order of the overrides.
    for sets in (
        ["economy.labs.revenue_share=0.5", "economy.shock.speedup=2"],
        ["economy.shock.speedup=2", "economy.labs.revenue_share=0.5"],
    ):
        with pytest.raises(InputError) as caught:
            load_scenario(HERE / "tiny.toml", sets)
        assert [(e.path, e.message) for e in caught.value.errors] == [
            ("economy.shock.date", "Field required")
        ]
    added = load_scenario(baseline, ["background.autonomy.h100e_at_reference=55000"])
    assert list(added.background) == ["recommendation", "autonomy"]
    assert added.background["autonomy"].h100e_at_reference == 55000.0


def test_scenario_is_frozen() -> None:
    """A loaded scenario cannot be changed in place."""
    s = load_scenario(HERE / "tiny.toml")
    with pytest.raises(pydantic.ValidationError):
        setattr(s.run, "seed", 3)  # noqa: B010


def test_deep_merge_replaces_non_tables() -> None:
    """Nested tables merge; scalars and arrays are replaced whole."""
    merged = deep_merge({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}, "c": 2})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("2.5", 2.5),
        ("true", True),
        ("2025-01-02", dt.date(2025, 1, 2)),
        ("[1, 2]", [1, 2]),
        ("hello", "hello"),
        ('"7"', "7"),
    ],
)
def test_parse_value(text: str, value: object) -> None:
    """Override values are TOML when they parse, plain strings otherwise."""
    assert parse_value(text) == value
