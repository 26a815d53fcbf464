"""Every notebook in notebooks/ is stored executed, shows its figures, and its stored outputs are current.

The notebooks are committed with their outputs, written by ``scripts/execute_notebooks.py`` (run it
after changing anything a notebook shows). The fast test reads the stored files: every code cell
was executed, in order, in one run; no stored output is an error or a warning on stderr; every cell
that draws a figure stores an ``image/png``.

The slow test executes each notebook in memory with the script's own :func:`execute` (nbclient,
kernel ``python3``, working directory notebooks/, 120 s per cell, this checkout first on the
kernel's ``PYTHONPATH``), writes nothing back, and checks that the run leaves no files behind,
that each figure cell yields an ``image/png``, and that the text outputs (streams and every
``text/*`` representation) and execution counts equal the stored ones, after replacing memory
addresses (``0x7f...``), the only volatile text: the numbers come from the bundled data and seeded
draws. Images are not compared byte for byte (they depend on the matplotlib and FreeType builds).

The ``python3`` kernel is the one ipykernel registers for the interpreter running pytest; a probe
cell appended to the in-memory copy proves the kernel ran that interpreter and imported the
``eventstudy`` package of this checkout (also in a git worktree whose environment has another
checkout installed editable: the kernel gets this checkout first on ``PYTHONPATH``), not some other
copy.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
SCRIPT = ROOT / "scripts" / "execute_notebooks.py"
REGENERATE = f"regenerate the outputs: `python {SCRIPT.relative_to(ROOT)}`"
PROBE_TAG = "eventstudy-probe"
PROBE = (
    "import json as _json, sys as _sys, eventstudy as _es\n"
    f"print({PROBE_TAG!r}, _json.dumps({{'prefix': _sys.prefix, 'executable': _sys.executable, "
    "'eventstudy': _es.__file__}))"
)
FIGURE_CALL = re.compile(r"\bfigures\.\w+\(|\w+_figure\(")
"""A cell calling this draws a figure (eventstudy.report.figures, or an example's ``*_figure()``)."""
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def _script():
    spec = importlib.util.spec_from_file_location("execute_notebooks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``path`` (hidden ones too) with its size and mtime."""
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in path.rglob("*") if p.is_file()}


def _code(nb) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _draws(cell) -> bool:
    return bool(FIGURE_CALL.search(cell.source))


def _has_png(cell) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.outputs)


def _text(cell) -> list[str]:
    """The cell's execution count and text outputs, one string each, addresses normalised."""
    out = [f"[{cell.execution_count}]"]
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append(f"{o.name}: {o.text}")
        elif o.output_type in ("execute_result", "display_data"):
            out += [f"{mime}: {''.join(value)}" for mime, value in sorted(o.data.items()) if mime.startswith("text/")]
        else:
            out.append(f"{o.output_type}: {o.get('ename', '')}: {o.get('evalue', '')}")
    return [ADDRESS.sub("0x…", t) for t in out]


def test_there_are_notebooks_and_they_are_stored_executed_with_their_figures():
    assert NOTEBOOKS, f"no notebooks in {NB_DIR}"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = _code(nb)
        counts = [c.execution_count for _, c in code]
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: execution counts {counts} are not 1..{len(code)}: the notebook is not stored as one run "
            f"top to bottom; {REGENERATE}")
        assert any(c.outputs for _, c in code), f"{path.name} is stored without outputs; {REGENERATE}"
        bad = [i for i, c in code for o in c.outputs
               if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]
        assert not bad, f"{path.name}: cells {bad} store an error or stderr output"
        blank = [i for i, c in code if _draws(c) and not _has_png(c)]
        assert not blank, (f"{path.name}: figure cells {blank} store no image/png: end the cell with the figure "
                           f"(not with ';'), start the notebook with %matplotlib inline, and {REGENERATE}")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_and_its_stored_outputs_are_current(path: Path):
    before = _tree(NB_DIR)
    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    _script().execute(nb)  # raises CellExecutionError, naming the cell, on the first error
    nbformat.validate(nb)

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
    nb.cells.pop()  # the probe

    fresh = _code(nb)
    blank = [i for i, c in fresh if _draws(c) and not _has_png(c)]
    assert not blank, f"{path.name}: figure cells {blank} display no image/png: end each with the figure"
    hidden = [i for i, c in fresh for o in c.outputs
              if o.get("data", {}).get("text/plain", "").startswith("<Figure") and "image/png" not in o.data]
    assert not hidden, f"{path.name}: cells {hidden} return a Figure that is not rendered (%matplotlib inline?)"

    assert [c.source for _, c in _code(stored)] == [c.source for _, c in fresh]
    for (i, old), (_, new) in zip(_code(stored), fresh, strict=True):
        if _text(old) != _text(new):
            diff = "\n".join(difflib.unified_diff("\n".join(_text(old)).splitlines(),
                                                  "\n".join(_text(new)).splitlines(), "stored", "fresh", lineterm="",
                                                  n=1))
            pytest.fail(f"{path.name}: cell {i} stores outputs that differ from a fresh run; {REGENERATE}\n"
                        f"{diff[:3000]}")

    assert _tree(NB_DIR) == before, f"executing {path.name} changed files in {NB_DIR}"
