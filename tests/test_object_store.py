"""Runs and sweeps on object storage (s3://), against a local S3-compatible server (moto)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.fs as pafs
import pytest
from typer.testing import CliRunner

from simdemand import load_scenario, read_run, simulate
from simdemand.analysis import totals
from simdemand.cli import app
from simdemand.errors import OutputError
from simdemand.experiments import run_sweep
from simdemand.experiments.store import StoreError
from simdemand.results.reader import read_sweep
from simdemand.results.writer import write_results

moto_server = pytest.importorskip("moto.server")

HERE = Path(__file__).parent / "scenarios"
GRID = HERE / "sweep_grid.toml"
RUNS = 12
BUCKET = "simdemand-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[pafs.S3FileSystem]:
    """A moto S3 server on a free local port, reached through the AWS_* environment (as a
    user's credentials and endpoint are), with one empty bucket."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        fs = pafs.S3FileSystem(
            endpoint_override=f"{host}:{port}", scheme="http", allow_bucket_creation=True
        )
        fs.create_dir(BUCKET)
        yield fs
    server.stop()


def objects(fs: pafs.FileSystem, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix` by relative key, with its bytes."""
    infos = fs.get_file_info(pafs.FileSelector(prefix, recursive=True, allow_not_found=True))
    out = {}
    for info in sorted(infos, key=lambda i: i.path):
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as f:
                out[info.path.removeprefix(prefix + "/")] = bytes(f.read())
    return out


def local_files(root: Path, pattern: str = "*") -> dict[str, bytes]:
    """Every file under `root` matching `pattern` by relative path, with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob(pattern)) if p.is_file()
    }


def without_wall_time(manifest: bytes) -> dict[str, Any]:
    """A run manifest without its wall time (the one field that differs between runs)."""
    data = json.loads(manifest)
    return {k: v for k, v in data.items() if k != "wall_time_s"}


def test_run_to_bucket_writes_the_local_folder_bytes(
    s3: pafs.S3FileSystem, tiny: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """`simdemand run --out s3://...` stores the same Parquet bytes and manifest (but its wall
    time) as a run to a local folder, and refuses to overwrite without --force."""
    uri = f"s3://{BUCKET}/cli/tiny"
    local = tmp_path / "tiny"
    for out in (uri, str(local)):
        result = runner.invoke(app, ["run", str(tiny), "--out", out])
        assert result.exit_code == 0, result.output
    stored = objects(s3, f"{BUCKET}/cli/tiny")
    written = local_files(local)
    assert (
        sorted(stored)
        == sorted(written)
        == sorted(["jobs.parquet", "manifest.json", "models.parquet", "timeseries.parquet"])
    )
    for name in ("jobs.parquet", "models.parquet", "timeseries.parquet"):
        assert stored[name] == written[name], name
    assert without_wall_time(stored["manifest.json"]) == without_wall_time(written["manifest.json"])
    again = runner.invoke(app, ["run", str(tiny), "--out", uri])
    assert again.exit_code == 2
    assert "--force" in again.output
    assert runner.invoke(app, ["run", str(tiny), "--out", uri, "--force"]).exit_code == 0


def test_read_run_from_the_bucket_equals_the_local_read(
    s3: pafs.S3FileSystem, tiny: Path, tmp_path: Path
) -> None:
    """read_run reads straight from s3://: the same frames and manifest as from a folder."""
    results = simulate(load_scenario(tiny))
    uri = f"s3://{BUCKET}/read/tiny"
    write_results(results, uri)
    local = write_results(results, tmp_path / "tiny")
    there, here = read_run(uri), read_run(local)
    assert there.manifest == here.manifest
    assert there.name == here.name == results.scenario.run.name
    for table in ("timeseries", "jobs", "models"):
        pd.testing.assert_frame_equal(getattr(there, table), getattr(here, table))
    assert not there.has_fleet


def test_reading_commands_take_a_uri(
    s3: pafs.S3FileSystem, tiny: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """`summary`, `scorecard`, `compare` and `plot` read a run at s3:// as they read its local
    copy: the same JSON, a zero difference, the same image. `plot` asks for --out in one line
    (exit 2, nothing written) where the default would put the image inside the bucket."""
    results = simulate(load_scenario(tiny))
    uri = f"s3://{BUCKET}/commands/tiny"
    write_results(results, uri)
    local = str(write_results(results, tmp_path / "tiny"))
    for command in ("summary", "scorecard"):
        there, here = (runner.invoke(app, [command, run, "--json"]) for run in (uri, local))
        assert there.exit_code == here.exit_code == 0, there.output
        assert json.loads(there.stdout) == json.loads(here.stdout), command
    compared = runner.invoke(app, ["compare", local, uri, "--json"])
    assert compared.exit_code == 0, compared.output
    rows = pd.DataFrame(json.loads(compared.stdout))
    assert len(rows) > 0
    undefined = rows["a"].isna() & rows["b"].isna()  # e.g. a price where nothing was sold
    assert ((rows["difference"] == 0) | undefined).all()
    assert (rows["difference"] == 0).sum() > 0
    images = [tmp_path / "there.png", tmp_path / "here.png"]
    for run, image in zip((uri, local), images, strict=True):
        drawn = runner.invoke(app, ["plot", run, "--out", str(image)])
        assert drawn.exit_code == 0, drawn.output
    assert images[0].read_bytes() == images[1].read_bytes()
    refused = runner.invoke(app, ["plot", uri])
    assert refused.exit_code == 2
    assert refused.output.strip() == f"{uri}: a run in object storage needs --out for its image"
    assert sorted(objects(s3, f"{BUCKET}/commands/tiny")) == sorted(
        ["jobs.parquet", "manifest.json", "models.parquet", "timeseries.parquet"]
    )


def test_a_run_is_complete_only_with_its_manifest(s3: pafs.S3FileSystem, tiny: Path) -> None:
    """Tables without a manifest are not a run (a killed write): read_run refuses them, and a
    write replaces them without --force; a prefix whose manifest is not simdemand's is never
    replaced."""
    results = simulate(load_scenario(tiny))
    uri = f"s3://{BUCKET}/torn/tiny"
    write_results(results, uri)
    s3.delete_file(f"{BUCKET}/torn/tiny/manifest.json")
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        read_run(uri)
    write_results(results, uri)
    assert read_run(uri).manifest["name"] == results.scenario.run.name
    with s3.open_output_stream(f"{BUCKET}/other/manifest.json") as f:
        f.write(b'{"mine": true}')
    with pytest.raises(OutputError, match="not simdemand's"):
        write_results(results, f"s3://{BUCKET}/other", force=True)


def stop_after(runs: int) -> Callable[[int, int], None]:
    """A progress callback that interrupts the sweep once `runs` runs are finished."""

    def stop(done: int, planned: int) -> None:
        """Raise KeyboardInterrupt at the chosen run."""
        if done == runs:
            raise KeyboardInterrupt

    return stop


def test_sweep_resumes_against_the_bucket(s3: pafs.S3FileSystem, tmp_path: Path) -> None:
    """A sweep to s3:// stopped after 5 runs, with an unrecorded run's objects left behind,
    refuses to restart without --resume, resumes to the 12 runs, and holds the bytes of the
    same sweep run to a local folder; read_sweep and the analysis read it from the bucket."""
    uri = f"s3://{BUCKET}/sweeps/grid"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(GRID, uri, progress=stop_after(5))
    prefix = f"{BUCKET}/sweeps/grid"
    lines = objects(s3, prefix)["manifest.jsonl"].decode().splitlines()
    assert len(lines) == 5
    stray = f"{prefix}/scenario=s0/replication=9/jobs.parquet"
    with s3.open_output_stream(stray) as f:
        f.write(b"half")
    with pytest.raises(StoreError, match="--resume"):
        run_sweep(GRID, uri)
    report = run_sweep(GRID, uri, resume=True)
    assert (report.resumed, report.done, report.failures) == (5, RUNS - 5, [])
    local = tmp_path / "grid"
    run_sweep(GRID, local)
    stored = objects(s3, prefix)
    parquet = {k: v for k, v in stored.items() if k.endswith(".parquet")}
    assert parquet == local_files(local, "*.parquet")
    records = [json.loads(line) for line in stored["manifest.jsonl"].decode().splitlines()]
    assert len(records) == RUNS
    there = read_sweep(uri, columns=["gpu_hours"])
    here = read_sweep(local, columns=["gpu_hours"])
    keys = ["scenario", "replication"]
    assert there.groupby(keys)["gpu_hours"].sum().equals(here.groupby(keys)["gpu_hours"].sum())
    pd.testing.assert_frame_equal(totals(uri), totals(local))


def test_sensitivity_refuses_a_uri(runner: CliRunner) -> None:
    """sensitivity writes its indices to a local folder: a URI is refused in one line, before
    any run (no server needed)."""
    design = HERE / "sweep_sobol.toml"
    result = runner.invoke(app, ["sensitivity", str(design), "--out", "s3://bucket/sens"])
    assert result.exit_code == 2
    assert "needs a local folder" in result.output
