"""Bad sweep files: one `file: dotted.path: message` line per problem, exit 2, nothing run."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simdemand.cli.experiments import sensitivity, sweep
from simdemand.errors import InputError
from simdemand.experiments import load_sweep

LABS = (Path(__file__).parent / "scenarios" / "sweep_labs.toml").as_posix()
GOOD = f"""
scenario = "{LABS}"
replications = 2

[grid]
"labs.big.compute_growth_per_year" = [3.0, 5.0]
"""
SAMPLE = f"""
scenario = "{LABS}"

[sample]
method = "sobol"
n = 4
parameters."labs.big.runs_per_year" = {{ low = 1.0, high = 3.0 }}
"""
GROWTH = '"labs.big.compute_growth_per_year" = [3.0, 5.0]'

CASES = [
    (
        "unknown key",
        GOOD.replace("replications = 2", "replications = 2\ncolour = 1"),
        "colour",
        "unknown key",
    ),
    (
        "wrong type",
        GOOD.replace("replications = 2", 'replications = "2"'),
        "replications",
        "integer",
    ),
    (
        "zero replications",
        GOOD.replace("replications = 2", "replications = 0"),
        "replications",
        "greater than or equal to 1",
    ),
    (
        "negative seed",
        GOOD.replace("replications = 2", "replications = 2\nseed = -1"),
        "seed",
        "greater than or equal to 0",
    ),
    (
        "bad grid value",
        GOOD.replace("5.0]", "-1.0]"),
        "grid.labs.big.compute_growth_per_year[1]",
        "greater than or equal to 0.01",
    ),
    (
        "unknown field",
        GOOD.replace("labs.big.compute", "labs.huge.compute"),
        "grid.labs.huge.compute_growth_per_year",
        "not a field",
    ),
    ("table as axis", GOOD.replace(GROWTH, '"labs.big" = [1]'), "grid.labs.big", "is a table"),
    ("seed axis", GOOD.replace(GROWTH, '"run.seed" = [1, 2]'), "grid.run.seed", "replications"),
    ("seed in set", GOOD + '[set]\n"run.seed" = 3\n', "set.run.seed", "replications"),
    (
        "misspelled entry in set",
        GOOD + '[set]\n"labs.bigg.runs_per_year" = 2.0\n',
        "set",
        "labs.bigg: 'bigg' is not an entry of labs (it has big, small)",
    ),
    (
        "empty axis",
        GOOD.replace("[3.0, 5.0]", "[]"),
        "grid.labs.big.compute_growth_per_year",
        "at least 1",
    ),
    (
        "repeated value",
        GOOD.replace("[3.0, 5.0]", "[3.0, 3]"),
        "grid.labs.big.compute_growth_per_year[1]",
        "repeats",
    ),
    (
        "table value",
        GOOD.replace("[3.0, 5.0]", "[{ a = 1 }]"),
        "grid.labs.big.compute_growth_per_year[0]",
        "number, string",
    ),
    (
        "bad set value",
        GOOD + '[set]\n"labs.big.runs_per_year" = -2.0\n',
        "set.labs.big.runs_per_year",
        "greater than 0",
    ),
    (
        "impossible combination",
        GOOD.replace(
            GROWTH, '"labs.big.min_run_days" = [10.0, 50.0]\n"labs.big.max_run_days" = [30.0, 90.0]'
        ),
        "grid",
        "exceeds max_run_days",
    ),
    ("missing scenario", GOOD.replace(LABS, "nowhere.toml"), "scenario", "not found"),
    ("malformed TOML", GOOD.replace("[3.0, 5.0]", "[3.0,"), "(toml)", "malformed TOML"),
    ("sobol n", SAMPLE.replace("n = 4", "n = 6"), "sample", "power of 2"),
    (
        "empty range",
        SAMPLE.replace("high = 3.0", "high = 1.0"),
        "sample.parameters.labs.big.runs_per_year",
        "below high",
    ),
    (
        "log from zero",
        SAMPLE.replace("low = 1.0, high = 3.0", 'low = 0.0, high = 3.0, scale = "log"'),
        "sample.parameters.labs.big.runs_per_year",
        "low > 0",
    ),
    (
        "bad range end",
        SAMPLE.replace("low = 1.0", "low = -1.0"),
        "sample.parameters.labs.big.runs_per_year.low",
        "greater than 0",
    ),
    (
        "text range",
        SAMPLE.replace("labs.big.runs_per_year", "labs.small.hardware"),
        "sample.parameters.labs.small.hardware",
        "not a number",
    ),
    ("unknown method", SAMPLE.replace('"sobol"', '"halton"'), "sample.method", "latin"),
    (
        "second order on latin",
        SAMPLE.replace('"sobol"', '"latin"') + "second_order = true\n",
        "sample",
        "sobol",
    ),
    (
        "grid and sample",
        SAMPLE + '[grid]\n"labs.big.runs_per_year" = [1.0]\n',
        "grid.labs.big.runs_per_year",
        "both",
    ),
    ("share without regime", GOOD + "[metric]\nshare = true\n", "metric", "needs a regime"),
    (
        "unknown regime",
        GOOD + '[metric]\nregime = "inference"\n',
        "metric.regime",
        "unknown regime",
    ),
    ("year outside", GOOD + "[metric]\nyear = 2031\n", "metric.year", "outside the horizon"),
]


@pytest.mark.parametrize(
    ("text", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_sweep_names_field(tmp_path: Path, text: str, path: str, fragment: str) -> None:
    """Each bad sweep file raises InputError with a line `file: path: message`."""
    file = tmp_path / "bad.toml"
    file.write_text(text)
    with pytest.raises(InputError) as info:
        load_sweep(file)
    lines = info.value.lines()
    assert any(line.startswith(f"{file}: {path}: ") and fragment in line for line in lines), lines


def cli() -> typer.Typer:
    """An app with the experiment commands, as simdemand.cli registers them."""
    app = typer.Typer()
    app.command()(sweep)
    app.command()(sensitivity)
    return app


def test_cli_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """The sweep command prints one line per problem on stderr, exits 2, creates no folder."""
    file = tmp_path / "bad.toml"
    file.write_text(GOOD.replace("[3.0, 5.0]", "[-1.0, 3.0, -2.0]"))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli(), ["sweep", str(file), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{file}: grid.labs.big.compute_growth_per_year[{i}]: "
        f"Input should be greater than or equal to 0.01 (got {v})"
        for i, v in ((0, -1.0), (2, -2.0))
    ]
    assert not out.exists()


def test_base_scenario_errors_name_the_scenario(tmp_path: Path) -> None:
    """A broken base scenario is reported against its own file."""
    scenario = tmp_path / "broken.toml"
    scenario.write_text(
        Path(LABS).read_text().replace("runs_per_year = 2.0", "runs_per_year = -2.0")
    )
    file = tmp_path / "sweep.toml"
    file.write_text('scenario = "broken.toml"\n')
    with pytest.raises(InputError) as info:
        load_sweep(file)
    assert f"{scenario}: labs.big.runs_per_year: " in info.value.lines()[0]


def test_nested_tables_read_as_dotted_paths(tmp_path: Path) -> None:
    """Unquoted dotted keys and sub-tables mean the same as quoted dotted keys."""
    file = tmp_path / "nested.toml"
    file.write_text(
        f'scenario = "{LABS}"\n[grid.labs.big]\ncompute_growth_per_year = [3.0, 5.0]\n'
        "[sample.parameters.labs.small.runs_per_year]\nlow = 1.0\nhigh = 2.0\n"
        '[sample]\nmethod = "latin"\nn = 2\n'
    )
    nested = load_sweep(file)
    assert list(nested.spec.grid) == ["labs.big.compute_growth_per_year"]
    assert nested.spec.sample is not None
    assert list(nested.spec.sample.parameters) == ["labs.small.runs_per_year"]
    assert nested.size == 4


def test_sensitivity_needs_sobol_or_morris(tmp_path: Path) -> None:
    """`sensitivity` on a Latin hypercube or a grid sweep is an input error, exit 2."""
    file = tmp_path / "latin.toml"
    file.write_text(SAMPLE.replace('"sobol"', '"latin"'))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli(), ["sensitivity", str(file), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{file}: sample.method: sensitivity needs" in result.stderr
    grid = tmp_path / "grid.toml"
    grid.write_text(GOOD)
    result = CliRunner().invoke(cli(), ["sensitivity", str(grid), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{grid}: sample: " in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "runs"), [("baseline-grid.toml", 8), ("baseline-sensitivity.toml", 40)]
)
def test_bundled_sweeps_are_valid(name: str, runs: int) -> None:
    """The example sweeps under scenarios/sweeps/ load, with every scenario valid."""
    plan = load_sweep(Path(__file__).parent.parent / "scenarios" / "sweeps" / name)
    assert plan.size == runs


def test_a_star_axis_sets_every_entry(tmp_path: Path) -> None:
    """`labs.*.runs_per_year` as a grid axis (or a sampled parameter) stands for every lab, as
    in --set: each point's scenario has the value in both labs, and the axis is named by its
    path; a `*` over a table whose entries lack the field, or over plain values (`run.*`), is
    not a field."""
    file = tmp_path / "star.toml"
    file.write_text(GOOD.replace(GROWTH, '"labs.*.runs_per_year" = [1.0, 4.0]'))
    loaded = load_sweep(file)
    assert loaded.size == 4
    got = [
        {lab: point.scenario.labs[lab].runs_per_year for lab in ("big", "small")}
        for point in loaded.points
    ]
    assert got == [{"big": 1.0, "small": 1.0}, {"big": 4.0, "small": 4.0}]
    assert [point.values for point in loaded.points] == [
        {"labs.*.runs_per_year": 1.0},
        {"labs.*.runs_per_year": 4.0},
    ]
    sampled = tmp_path / "star_sample.toml"
    sampled.write_text(SAMPLE.replace("labs.big.runs_per_year", "labs.*.runs_per_year"))
    for point in load_sweep(sampled).points:
        rates = {lab.runs_per_year for lab in point.scenario.labs.values()}
        assert rates == {point.values["labs.*.runs_per_year"]}
    missing = tmp_path / "star_missing.toml"
    missing.write_text(GOOD.replace(GROWTH, '"labs.*.colour" = [1.0]'))
    with pytest.raises(InputError) as info:
        load_sweep(missing)
    assert (
        f"{missing}: grid.labs.*.colour: 'labs.*.colour' is not a field" in (info.value.lines()[0])
    )
