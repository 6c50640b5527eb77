"""What every benchmark writes down with its figures: the machine it ran on, and its results file
under benchmarks/results/ (`NAME.json` for a full run, the committed record; `NAME-quick.json` for a
quick look, ignored by git)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import bytewax

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "bytewax": getattr(bytewax, "__version__", "0.21.1"),
        "platform": platform.platform(),
    }


def results_file(name: str, quick: bool) -> Path:
    return RESULTS / (f"{name}-quick.json" if quick else f"{name}.json")


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
