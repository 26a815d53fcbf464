"""Every notebook in notebooks/ runs top to bottom, offline, in a kernel that imports this checkout.

Notebooks are executed in memory with nbclient (kernel ``python3``, working directory notebooks/,
120 s per cell); nothing is written back, and the test checks that the run leaves no files behind.
The ``python3`` kernel is the one ipykernel registers for the interpreter running pytest; a probe
cell appended to the in-memory copy proves the kernel ran that interpreter and imported the
``eventstudy`` package of this repository (the editable install), not some other copy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120
pytestmark = pytest.mark.slow
PROBE_TAG = "eventstudy-probe"
PROBE = (
    "import json as _json, sys as _sys, eventstudy as _es\n"
    f"print({PROBE_TAG!r}, _json.dumps({{'prefix': _sys.prefix, 'executable': _sys.executable, "
    "'eventstudy': _es.__file__}))"
)


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``path`` (hidden ones too) with its size and mtime."""
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in path.rglob("*") if p.is_file()}


def test_there_are_notebooks_and_they_are_stored_without_outputs():
    assert NOTEBOOKS, f"no notebooks in {NB_DIR}"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        dirty = [i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
        assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path):
    before = _tree(NB_DIR)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NB_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    stderr = [(i, o.text) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"{path.name}: cell {stderr[0][0]} wrote to stderr (a warning?):\n{stderr[0][1]}"

    probe = [line for o in nb.cells[-1].outputs if o.output_type == "stream"
             for line in o.text.splitlines() if line.startswith(f"{PROBE_TAG} ")]
    assert len(probe) == 1, f"probe cell printed nothing usable: {nb.cells[-1].outputs}"
    kernel = json.loads(probe[0].split(" ", 1)[1])
    assert Path(kernel["prefix"]).resolve() == Path(sys.prefix).resolve(), (
        f"kernel 'python3' runs {kernel['executable']}, not this interpreter ({sys.executable}); "
        f"install ipykernel into this environment (`pip install -e '.[dev]'`)"
    )
    package = Path(kernel["eventstudy"]).resolve()
    assert package.is_relative_to(ROOT / "eventstudy"), (
        f"the kernel imported eventstudy from {package}, not from this checkout ({ROOT}); "
        "install the project editable: `pip install -e '.[dev]'`"
    )

    assert _tree(NB_DIR) == before, f"executing {path.name} changed files in {NB_DIR}"
