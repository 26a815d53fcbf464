"""Execute the notebooks in notebooks/ and store them with their outputs (figures included).

Usage, from the repository root (any interpreter of the project's environment with the ``[dev]``
extra, which brings nbclient and ipykernel)::

    python scripts/execute_notebooks.py                 # every notebooks/*.ipynb, in place
    python scripts/execute_notebooks.py notebooks/02_us_china_study.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel with notebooks/ as the working
directory and this checkout first on the kernel's ``PYTHONPATH`` (so the outputs are those of the
code beside them, also in a git worktree whose environment has another checkout installed), and is
written back only when every cell ran without error. Figures are stored as PNG: the figure
functions return matplotlib Figures made without pyplot, which Jupyter renders only with the
inline backend on, so a notebook that draws starts with ``%matplotlib inline`` and sets the PNG
resolution (``%config InlineBackend.print_figure_kwargs``, a modest dpi: the PNGs are committed),
and each figure cell ends with the figure. No timing metadata is stored, so a re-run with
unchanged code changes only what really changed. tests/test_notebooks.py runs the same
:func:`execute` and compares its text outputs with the stored ones: run this script after changing
anything a notebook shows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 120
def kernel_env() -> dict[str, str]:
    """The environment of the kernel: this process's, with this checkout first on PYTHONPATH.

    Returns
    -------
    dict of str to str
        Environment variables for the kernel process.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("MPLBACKEND", None)  # the kernel's inline backend, whatever the shell set
    return env


def execute(nb: nbformat.NotebookNode, *, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in place in a fresh kernel (cwd notebooks/) and return it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (version 4); its outputs and execution counts are replaced.
    timeout : int, default CELL_TIMEOUT
        Seconds a cell may take.

    Returns
    -------
    nbformat.NotebookNode
        ``nb`` itself, executed.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        On the first cell that raises, naming it.
    """
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, allow_errors=False, record_timing=False,
                            resources={"metadata": {"path": str(NB_DIR)}})
    client.execute(env=kernel_env())
    return nb


def main(argv: list[str] | None = None) -> int:
    """Execute the given notebooks (default: all of notebooks/) and write them back with outputs.

    Parameters
    ----------
    argv : list of str, optional
        Notebook paths; None for ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status 0 (a failing cell raises, and that notebook is left as it was).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    for path in args.paths or sorted(NB_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        execute(nb)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"executed {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
