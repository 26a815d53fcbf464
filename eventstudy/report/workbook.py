"""The run's tidy tables in one Excel workbook (``results.xlsx``, ``eventstudy run --xlsx``).

One sheet per table, named after its CSV file (``car``, ``tests``, ``caar`` ...). Numbers are
written as numbers; dates and instants as ISO text, because Excel has no time zones (an instant
keeps its offset, ``2025-10-10T17:50:00+00:00``); a text cell that Excel would run as a formula
(``=``, ``+``, ``-``, ``@`` ...) carries the apostrophe of the CSV files
(:func:`eventstudy.safetext.csv_safe`). openpyxl writes the file (the ``[excel]`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import require
from ..safetext import csv_safe

__all__ = ["MAX_SHEET_ROWS", "write_workbook"]

MAX_SHEET_ROWS = 1_048_575
"""Rows an Excel sheet holds below its header; a longer table is left out of the workbook, its
place taken by a line of the ``notes`` sheet naming its CSV."""


def _excel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            out[c] = col.map(lambda t: t.isoformat() if pd.notna(t) else None).astype(object)
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.dt.strftime("%Y-%m-%d").where(col.notna(), None).astype(object)
    return csv_safe(out)


def write_workbook(frames: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables to one workbook, a sheet each, in the given order.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        Sheet name (at most 31 characters, as Excel allows) -> table; written without the index.
    path : str or Path
        The ``.xlsx`` file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingDependencyError
        If openpyxl is not installed (``pip install 'eventstudy[excel]'``).
    ValueError
        A sheet name longer than 31 characters.

    Notes
    -----
    A table longer than an Excel sheet (:data:`MAX_SHEET_ROWS`) is not written; a first sheet,
    ``notes``, says so and names its CSV (the run's results stand; only the workbook is partial).
    """
    require("openpyxl", extra="excel", feature="--xlsx (results.xlsx)")
    path = Path(path)
    for name in frames:
        if len(name) > 31:
            raise ValueError(f"sheet name {name!r} is longer than the 31 characters Excel allows")
    too_long = {name: len(f) for name, f in frames.items() if len(f) > MAX_SHEET_ROWS}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        if too_long:
            pd.DataFrame({"note": [f"{name}: {n:,} rows, more than an Excel sheet holds ({MAX_SHEET_ROWS:,}); "
                                   f"read {name}.csv" for name, n in too_long.items()]}).to_excel(
                writer, sheet_name="notes", index=False)
        for name, frame in frames.items():
            if name not in too_long:
                _excel_frame(frame).to_excel(writer, sheet_name=name, index=False)
    return path
