"""The run written part by part (the CLI's and sweeps' route) holds what the run in memory holds:
same tables, same summary, row groups no longer than a part, nothing complete-looking on failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simdemand import load_scenario, simulate, write_results
from simdemand.results.tables import ROWS_PER_PART
from simdemand.scenario.schema import Scenario
from simdemand.simulate import SUMMARY_COLUMNS, Records, Streamed, coded_frame, run_world

HERE = Path(__file__).parent / "scenarios"
ROWS = 1000  # rows per part here: the small scenario's tables make several parts


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """A small scenario at hourly bins: a few thousand rows of time series and jobs."""
    return load_scenario(HERE / "users.toml", ["run.resolution=hour"])


def streamed(scenario: Scenario, rows: int = ROWS) -> Streamed:
    """The scenario simulated, its large tables to be made in parts of `rows` rows."""
    began = time.perf_counter()
    records = Records(scenario, run_world(scenario))
    records.rows = rows
    return Streamed(records, time.perf_counter() - began)


def test_tables_and_summary_written_in_parts_equal_those_in_memory(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Every table read back equals the in-memory one (values, order, schema and units); so
    does the summary in the manifest."""
    whole = simulate(scenario)
    run = streamed(scenario)
    out = write_results(run, tmp_path / "run")
    assert whole.timeseries.num_rows > 2 * ROWS
    assert whole.jobs.num_rows > 2 * ROWS
    for name, table in whole.tables().items():
        read = pq.read_table(out / f"{name}.parquet").replace_schema_metadata(None)
        assert read.equals(table, check_metadata=True), name
    assert run.summary == whole.summary


def test_row_groups_are_parts(scenario: Scenario, tmp_path: Path) -> None:
    """The large tables' row groups hold a part each: `ROWS` rows, the last fewer."""
    run = streamed(scenario)
    out = write_results(run, tmp_path / "run")
    for name in ("timeseries", "jobs"):
        meta = pq.ParquetFile(out / f"{name}.parquet").metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        assert len(sizes) >= 3, name
        assert set(sizes[:-1]) == {ROWS}, name
        assert 0 < sizes[-1] <= ROWS, name
        assert sum(sizes) == run.tables()[name].num_rows


def test_default_parts_write_the_same_bytes_as_the_whole_tables(
    scenario: Scenario, tmp_path: Path
) -> None:
    """With parts of Parquet's own row group length, the files are those of whole tables."""
    a = write_results(simulate(scenario), tmp_path / "whole")
    b = write_results(streamed(scenario, ROWS_PER_PART), tmp_path / "parts")
    for name in ("timeseries", "jobs", "models"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes()


def test_a_write_failing_midway_leaves_no_folder(scenario: Scenario, tmp_path: Path) -> None:
    """A failure after some parts are written leaves neither the run folder nor its partial
    folder behind."""
    run = streamed(scenario)
    made = run.records.jobs_parts

    def failing() -> Iterator[pa.Table]:
        parts = made()
        yield next(parts)
        raise RuntimeError("disk full")

    run.parts["jobs"].make = failing
    with pytest.raises(RuntimeError, match="disk full"):
        write_results(run, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_the_kept_time_series_is_the_frame_of_the_whole_table(scenario: Scenario) -> None:
    """The summary reads the time series kept as its parts were made: the same frame (values,
    dtypes, categories) as the whole table's summary columns converted at once."""
    records = streamed(scenario).records
    names = SUMMARY_COLUMNS["timeseries"]
    records.kept = {name: [] for name in names}
    tables = []
    for cells in records.series.parts(ROWS):
        tables.append(records.series.table(cells))
        for name, values in records.series.arrays(cells, names).items():
            records.kept[name].append(values)
    kept = pa.concat_tables(tables).select(names)
    pd.testing.assert_frame_equal(records.kept_frame(), coded_frame(kept))


def test_the_jobs_summary_frame_is_that_of_the_jobs_table(scenario: Scenario) -> None:
    """The summary reads the jobs from the intervals: the same frame as the jobs table's summary
    columns converted."""
    run = streamed(scenario)
    table = pa.concat_tables(run.records.jobs_parts()).select(SUMMARY_COLUMNS["jobs"])
    pd.testing.assert_frame_equal(run.records.jobs_frame(), coded_frame(table))
