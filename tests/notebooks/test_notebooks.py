"""Every notebook in notebooks/ runs top to bottom headless, with its default parameters, and
draws at least one figure.

The kernel is ipykernel on this interpreter (`sys.executable`, the .venv's Python), whatever
kernel specs the machine or the user has installed: the kernel spec manager looks in no
directory and falls back to ipykernel's own spec for the running Python. The notebooks run the
real job; what they measure is not asserted here (no timing is), only that every cell runs
(each notebook checks both conservation laws for every run it makes) and that a plot comes out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

EXPECTED = [
    "01_drop_policies_vs_input_rate.ipynb",
    "02_drops_vs_buffer_capacity.ipynb",
    "03_latency_vs_batching.ipynb",
    "04_sync_vs_async.ipynb",
    "05_two_sources_racing.ipynb",
]

#: Seconds a single cell may take before the run counts as hung (a generous bound, not a timing
#: assertion: the default parameters take a few seconds a cell).
CELL_TIMEOUT_S = 600


def kernel_on_this_python() -> KernelManager:
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    assert manager.kernel_spec is not None
    assert manager.kernel_spec.argv[0] == sys.executable
    return manager


def png_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def test_every_experiment_is_there() -> None:
    assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_without_outputs_and_with_parameters_first(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells, "no code"
    assert "parameters" in code_cells[0].metadata.get("tags", []), "first code cell: parameters"
    for cell in code_cells:
        assert cell.outputs == [], f"cell {cell.id} has outputs: clear them before committing"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"


@pytest.mark.e2e  # the notebooks run the real job
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_runs_headless_and_draws(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    kernel = kernel_on_this_python()
    client = NotebookClient(
        nb,
        km=kernel,
        timeout=CELL_TIMEOUT_S,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # the kernel runs in notebooks/
    )
    try:
        # Raises CellExecutionError, with the cell and its traceback, on any error. A client
        # handed a kernel manager leaves the kernel running unless told to clean it up.
        client.execute(cleanup_kc=True)
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    assert png_outputs(nb), f"{path.name} drew no figure"
