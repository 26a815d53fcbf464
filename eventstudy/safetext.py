"""Hostile text in ids, groups, tickers and titles made harmless where it is written.

* CSV (OWASP "CSV injection"): a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is read by spreadsheets as a formula (``=HYPERLINK(...)``,
  ``+cmd|' /C calc'!A0``); such a cell gets a leading apostrophe. Numbers stay numbers: numeric
  columns are never touched, nor text that reads as a number (``-0.52``, ``+1.2%``) or as a
  window label (``-1:1``).
* Markdown: ``<``, ``>`` and ``&`` become HTML entities (no raw HTML reaches a rendered page),
  line breaks become spaces (a cell cannot break its table); LaTeX gets its specials escaped and
  no line break either.
* Terminal: control characters (ANSI escape sequences included) are printed as visible escapes
  (``\\x1b``), so an id cannot recolour, move the cursor or retitle the terminal.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
_LITERAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?|-?\d+:-?\d+|[+-]?(inf|nan)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def csv_cell(value):
    """``value`` made safe for a spreadsheet: a formula-like string gets a leading ``'``.

    Parameters
    ----------
    value
        Any cell; only strings are changed.

    Returns
    -------
    The value, or ``"'" + value`` for a string that starts with one of :data:`FORMULA_START` and
    does not read as a number or a window label.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _LITERAL.fullmatch(value):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names pass :func:`csv_cell`; numeric,
    boolean and datetime columns are returned as they are.

    Each text column is checked through its distinct values (a tidy table repeats its ids and
    labels on every row), and rewritten only when one of them needs the apostrophe.
    """
    out = frame.copy(deep=False)
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            col = out[c]
            try:
                values = pd.unique(col)
            except TypeError:  # unhashable cells (lists): look at every one
                values = col
            if any(csv_cell(v) is not v for v in values.tolist()):
                out[c] = col.map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


CSV_CHUNK_ROWS = 50_000
"""Rows :func:`write_csv` turns into text at a time (the memory it needs stays that of a chunk)."""


def write_csv(frame: pd.DataFrame, target=None, *, float_format: str | None = None, header: bool = True,
              lineterminator: str | None = None, **to_csv) -> str | None:
    """Write ``frame`` as CSV without its index, its text made safe for spreadsheets (:func:`csv_safe`):
    the same bytes as ``csv_safe(frame).to_csv(target, index=False, float_format=float_format,
    header=header, lineterminator=lineterminator, **to_csv)``, several times faster for a tidy table.

    A frame of text (``str`` or ``object`` columns of strings and missing values), integer (NumPy
    or nullable), boolean and, with ``float_format``, float columns is written here, a chunk of rows at a time: each
    distinct string quoted once by the :mod:`csv` module with pandas' dialect, each distinct float
    formatted once (``float_format % x``, a missing one empty), and the rows joined. Anything else
    (other column types, a single column, no rows, other ``to_csv`` options, a compressed or
    remote path, a binary handle) is left to :meth:`pandas.DataFrame.to_csv`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    target : str, path or text file object, optional
        Where to write; None returns the text.
    float_format : str, optional
        A ``%`` format of the floats (``"%.15g"``); None writes them as pandas does by default.
    header : bool, default True
        Write the column names first.
    lineterminator : str, optional
        End of each line; default ``os.linesep``, as pandas.
    **to_csv
        Further options of :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    str or None
        The CSV text when ``target`` is None.
    """
    out = csv_safe(frame)
    term = lineterminator or os.linesep
    if to_csv or not _plain_target(target) or not _plain_frame(out, float_format):
        return out.to_csv(target, index=False, float_format=float_format, header=header,
                          lineterminator=lineterminator, **to_csv)
    buffer = io.StringIO() if target is None else None
    handle = buffer if buffer is not None else target if hasattr(target, "write") else \
        open(os.path.expanduser(target), "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    try:
        if header:
            handle.write(_csv_row([_csv_quoted([c], term)[0] for c in out.columns]) + term)
        for start in range(0, len(out), CSV_CHUNK_ROWS):
            chunk = out.iloc[start:start + CSV_CHUNK_ROWS]
            fields = [_csv_fields(chunk.iloc[:, i], float_format, term) for i in range(chunk.shape[1])]
            handle.write(term.join(map(_csv_row, zip(*fields))) + term)
    finally:
        if handle is not target and buffer is None:
            handle.close()
    return buffer.getvalue() if buffer is not None else None


def _csv_row(fields) -> str:
    return ",".join(fields)


def _plain_target(target) -> bool:
    """None, a text file object, or a local path to an uncompressed ``.csv`` file."""
    if target is None:
        return True
    if hasattr(target, "write"):
        return isinstance(target, io.TextIOBase)
    if isinstance(target, (str, os.PathLike)):
        name = os.fspath(target)
        return isinstance(name, str) and name.endswith(".csv") and "://" not in name
    return False


def _plain_frame(frame: pd.DataFrame, float_format: str | None) -> bool:
    """Whether :func:`write_csv` writes ``frame`` itself: rows, two columns or more named by
    strings, each of text, integers (NumPy or nullable), booleans, or floats with a ``float_format``."""
    if len(frame) == 0 or frame.shape[1] < 2 or frame.columns.nlevels != 1:
        return False
    if not all(isinstance(c, str) for c in frame.columns):
        return False
    for i in range(frame.shape[1]):
        dtype = frame.iloc[:, i].dtype
        if isinstance(dtype, np.dtype) and (dtype.kind in "iub" or (dtype.kind == "f" and float_format is not None)):
            continue
        if isinstance(dtype, pd.StringDtype) or _nullable_int(dtype):
            continue
        if not (isinstance(dtype, np.dtype) and dtype.kind == "O"):
            return False
        try:
            _, distinct = pd.factorize(frame.iloc[:, i])  # missing values (None, NaN, NA, NaT) left out
        except TypeError:  # unhashable cells
            return False
        if not all(isinstance(v, str) for v in distinct.tolist()):
            return False
    return True


def _csv_fields(col: pd.Series, float_format: str | None, term: str) -> list:
    """The CSV fields of one column (of a frame :func:`_plain_frame` accepts)."""
    if _nullable_int(col.dtype):  # Int64 and the like: a missing value empty
        return ["" if v is None else str(v) for v in col.to_numpy(dtype=object, na_value=None).tolist()]
    values = col.to_numpy()
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iub":
        return list(map(str, values.tolist()))
    codes, distinct = pd.factorize(values)  # missing -> -1: an empty field, as pandas' na_rep
    if isinstance(col.dtype, np.dtype) and col.dtype.kind == "f":
        text = np.array([float_format % v for v in distinct.tolist()] + [""], dtype=object)[codes]
        zero = values == 0
        if zero.any():  # factorize takes -0.0 for 0.0: format the zeros one by one
            text[zero] = [float_format % v for v in values[zero].tolist()]
        return text.tolist()
    return np.array(_csv_quoted(distinct.tolist(), term) + [""], dtype=object)[codes].tolist()


def _nullable_int(dtype) -> bool:
    return isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(dtype)


def _csv_quoted(values: list, term: str) -> list[str]:
    """Each string as the :mod:`csv` module writes it in a row with pandas' dialect (quoted when it
    holds a comma, a quote or a line break, its quotes doubled)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=term, delimiter=",", quoting=csv.QUOTE_MINIMAL, doublequote=True,
                        escapechar=None, quotechar='"')
    out = []
    for v in values:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([v, ""])  # a second, empty field: a row of one empty field is written '""'
        out.append(buffer.getvalue()[: -len(term) - 1])
    return out


def markdown_text(text: str) -> str:
    """``text`` for a Markdown page: ``& < >`` as entities, line breaks as spaces, other control
    characters as visible escapes (:func:`terminal_text`)."""
    return terminal_text(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                         .replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def terminal_text(text: str) -> str:
    """``text`` with every control character but newline, tab and carriage return (progress lines)
    shown as a ``\\xNN`` escape."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _TerminalSafe:
    """A text stream that writes :func:`terminal_text` of everything to the stream it wraps."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name):  # flush, fileno, isatty, encoding, ...
        return getattr(self._stream, name)


@contextmanager
def terminal_safe_output() -> Iterator[None]:
    """While active, ``sys.stdout`` and ``sys.stderr`` show control characters as escapes."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
