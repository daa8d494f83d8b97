"""The sandbox benchmark still runs: mypy checks only src/, so a change to the services it calls shows here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "sourcing" / "sandbox.py"


def test_the_sandbox_benchmark_replays_a_small_history(tmp_path: Path) -> None:
    small = ["--orders", "40", "--locations", "4", "--skus", "30", "--db", str(tmp_path / "sandbox.db")]

    done = subprocess.run(
        [sys.executable, str(BENCHMARK), *small], capture_output=True, text=True, timeout=300, check=False
    )

    assert done.returncode == 0, done.stderr
    assert "orders x 2 rule sets in" in done.stdout, done.stdout
    assert "on_time_rate" in done.stdout
