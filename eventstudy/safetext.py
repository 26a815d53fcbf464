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

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
    boolean and datetime columns are returned as they are."""
    out = frame.copy(deep=False)
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            col = out[c]
            if any(csv_cell(v) is not v for v in col.tolist()):
                out[c] = col.map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
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
