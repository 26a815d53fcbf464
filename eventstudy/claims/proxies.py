"""Proxies: instruments that stand in for a claim's instrument when its own prices are missing.

A news figure about the S&P 500 futures on the evening of 2025-05-06 cannot be reproduced: no
futures bars of that evening exist. An ETF that tracks the same index and traded after hours can
still say whether the figure is plausible. A proxies table says which instrument may stand in
for which, and how (the bundled one is ``eventstudy/data/proxies.csv``):

===========  ==============================================================================
column       meaning
===========  ==============================================================================
instrument   the claim's instrument (a registry ticker, e.g. ``ES=F``)
proxy        the instrument measured instead (a registry ticker, e.g. ``SPXL``)
scale        leverage or beta: the proxy's move divided by ``scale`` estimates the
             instrument's move (3 for a 3x leveraged ETF, 1 for a plain one); not 0
tracks       what the proxy follows, in words
band_pct     extra tolerance, percentage points, added to the claim's own tolerance for
             what the proxy cannot track; declared, not fitted; 0 or more
caveats      what the proxy does not capture, in words (printed with every proxy check)
===========  ==============================================================================

One row per (instrument, proxy) pair. The bands of the bundled table are declared from what the
proxies are, never fitted to the claims they check:

* ``ES=F`` via ``SPXL``, 0.10 pp: SPXL resets its 3x leverage at each close, so from the 16:00 ET
  close its move is three times the S&P 500's; the band leaves room for after-hours pricing noise
  of a thinly traded ETF (about 0.3 % of its price, 0.10 pp once divided by 3) and for the
  futures' basis to the index.
* ``YM=F`` via ``SPXL``, 0.30 pp: an S&P 500 ETF for the Dow adds the gap between the two
  indices, whose daily moves commonly differ by a few tenths of a percent.
* ``NQ=F`` via ``XLK``, 0.50 pp: a technology sector ETF (about 70 S&P 500 stocks) for the
  Nasdaq-100, which it tracks only loosely (different members and weights).

A proxy verdict is ``consistent-by-proxy`` or ``differs-by-proxy``, never ``reproduced``: the
instrument itself was not measured. See :func:`eventstudy.claims.check_claims`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import DataError

PROXY_COLUMNS = ["instrument", "proxy", "scale", "tracks", "band_pct", "caveats"]

__all__ = ["PROXY_COLUMNS", "ProxyError", "bundled_proxies_path", "load_proxies"]


class ProxyError(DataError):
    """A proxies file has a bad row or column (the message names file, line and column)."""


def bundled_proxies_path() -> Path:
    """The proxies table shipped in the package.

    Returns
    -------
    pathlib.Path
        ``eventstudy/data/proxies.csv`` of the installed package.
    """
    return Path(str(resources.files("eventstudy") / "data" / "proxies.csv"))


def load_proxies(path: str | os.PathLike | None = None, *, instruments=None) -> pd.DataFrame:
    """Read and validate a proxies table (columns in the module docstring).

    Unlike a claims file, a proxies file is configuration: any bad row raises, listing every
    problem, since a claim checked through a wrong scale or band would read as an answer.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The proxies CSV (UTF-8, a byte-order mark allowed); None for the bundled table
        (:func:`bundled_proxies_path`).
    instruments : iterable of str, optional
        Allowed tickers for ``instrument`` and ``proxy`` (default: the asset registry).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROXY_COLUMNS` plus ``line`` (the row's line in the file), one row per
        (instrument, proxy) pair in file order; ``scale`` and ``band_pct`` as floats, the others
        as text.

    Raises
    ------
    ProxyError
        If the file is missing, not UTF-8 or empty, the header lacks a column, or a row is
        malformed, names an unknown ticker, repeats a pair, pairs an instrument with itself, or
        has a ``scale`` that is not a nonzero number or a ``band_pct`` that is not a number of 0
        or more.
    """
    from ..assets import REGISTRY

    path = bundled_proxies_path() if path is None else Path(path)
    label = str(path)
    if not path.is_file():
        raise ProxyError(f"{label}: no such file; pass the path of your proxies CSV (columns "
                         f"{', '.join(PROXY_COLUMNS)}), or None for the bundled table")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProxyError(f"{label}: not UTF-8 ({exc}); save it as UTF-8 comma-separated") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ProxyError(f"{label}: empty file; the header must name {', '.join(PROXY_COLUMNS)}") from None
    missing = [c for c in PROXY_COLUMNS if c not in header]
    if missing:
        raise ProxyError(f"{label}, line 1: missing column(s) {', '.join(missing)}; the header must name "
                         f"{', '.join(PROXY_COLUMNS)}")
    allowed = set(REGISTRY) if instruments is None else set(instruments)
    rows, errs, seen = [], [], {}
    prev_end = reader.line_num
    for fields in reader:
        line, prev_end = prev_end + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            errs.append(f"{label}, line {line}: malformed row, {len(fields)} field(s) where the header has "
                        f"{len(header)}; put a text containing commas in double quotes")
            continue
        row = {c: fields[header.index(c)].strip() for c in PROXY_COLUMNS}
        row["line"] = line

        def bad(col: str, msg: str, line=line) -> None:
            errs.append(f"{label}, line {line}, column {col}: {msg}")

        for col in ("instrument", "proxy"):
            if row[col] not in allowed:
                bad(col, f"{row[col]!r} is not a registered ticker; use one of {', '.join(sorted(allowed))}")
        if row["instrument"] and row["instrument"] == row["proxy"]:
            bad("proxy", f"{row['proxy']!r} is the instrument itself; a proxy is another instrument")
        pair = (row["instrument"], row["proxy"])
        if pair in seen:
            bad("proxy", f"{pair[0]} via {pair[1]} repeats line {seen[pair]}; give each pair one row")
        seen.setdefault(pair, line)
        for col, ok, want in (("scale", lambda v: v != 0, "a nonzero number (3 for a 3x ETF, 1 for a plain one)"),
                              ("band_pct", lambda v: v >= 0, "a number of percentage points, 0 or more")):
            try:
                v = float(row[col])
                if not math.isfinite(v) or not ok(v):
                    raise ValueError
                row[col] = v
            except ValueError:
                bad(col, f"{row[col]!r} is not {want}")
        rows.append(row)
    if errs:
        raise ProxyError(f"{len(errs)} problem(s) in the proxies file:\n  " + "\n  ".join(errs))
    out = pd.DataFrame(rows, columns=[*PROXY_COLUMNS, "line"])
    return out.astype({"scale": "float64", "band_pct": "float64", "line": "int64"})
