"""Shared fixtures: the small test scenarios and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

HERE = Path(__file__).parent
ROOT = HERE.parent


@pytest.fixture
def tiny() -> Path:
    """Path of the small test scenario."""
    return HERE / "scenarios" / "tiny.toml"


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner for the simdemand app."""
    return CliRunner()
