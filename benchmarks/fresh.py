"""Run one case of a benchmark script in a fresh interpreter, so its time and peak memory are
its own: the script prints its figures as JSON when called with `--child CASE`."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def in_child(script: str, case: str, resolution: str) -> dict[str, Any]:
    """The figures `script --child case --resolution resolution` prints, as a dict."""
    argv = [sys.executable, script, "--child", case, "--resolution", resolution]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result
