"""Did the market move as reported? Check quantitative market claims of news articles against prices.

A claims file holds one row per quantitative claim (the bundled US-China study's is
``claims.csv`` at the top of the repository, :func:`eventstudy.examples.us_china.claims_path`):

=================  ===========================================================================
column             meaning
=================  ===========================================================================
claim_id           unique id
source             where the claim was read (seed file name)
quote              the words of the claim (short)
instrument         Yahoo ticker (must be in the asset registry: ^DJI, ^GSPC, SPY, ES=F ...)
basis              ``close-to-close`` · ``intraday`` · ``after-hours-futures`` ·
                   ``year-to-date`` · ``price-level``
start, end         a session date ``YYYY-MM-DD`` (= that session's close) or an ISO instant
                   **with UTC offset** (= the price at that instant from intraday bars, by the
                   rules of :mod:`eventstudy.bars`). A naive instant is an error.
reported_pct       the percentage reported (signed: "fell 1.2 %" is -1.2)
reported_level     a price level reported ("closed at $693.95")
reported_points    a change in points reported ("up 270 points")
tolerance_pct      how far (percentage points) the measured % may be from reported_pct and still
                   count as reproduced; empty = half a unit of the last quoted digit
proxy              optional: a registry ticker measured instead when the instrument's own prices
                   are missing (a move claim only: close-to-close, intraday, after-hours-futures);
                   how it maps to the instrument comes from the proxies table
                   (:mod:`eventstudy.claims.proxies`). A file without this column loads.
notes              how the dates and instants were worked out
=================  ===========================================================================

What each basis needs:

* ``close-to-close``: start and end dates; raw closes (as quoted in the news), the dividend-
  adjusted change is also given in the detail when it differs.
* ``year-to-date``: end date; start = the base close's date, or empty. Two bases are plausible:
  the last close of the previous calendar year (the usual base) and the first close of the year
  (an unusual one). With start empty the claim is checked against both: ``reproduced`` when
  either matches, the result's ``base`` naming the one that did (the usual one when both do),
  and when only the first close of the year matches, ``flag`` says so ("matches only the first
  close of 2026, an unusual base for a year-to-date figure"). With a start, that base decides and
  ``base`` names it. The detail always gives the change from each base.
* ``price-level``: end date (raw close) or instant; reported_level.
* ``record-close``: end date; the claim that the session's close was a record: it is
  ``reproduced`` when that close is above every earlier close in the source, and the detail names
  how far back the source goes (a record in the data since 2020 is not proof of an all-time
  record; an earlier higher close is proof that it was not one). A ``reported_level`` is checked too.
* ``first-close-above``: end date and reported_level (the threshold, "its first close above
  50,000"): ``reproduced`` when that close is above the threshold and no earlier close in the
  source is.
* ``intraday`` and ``after-hours-futures``: end instant (when the figure was quoted); start =
  the previous close's date (what news percentages are measured from) or an instant. Bars are
  tried at 1m, 15m, then 1h. Without bars the verdict is ``needs-data`` with the ``eventstudy
  fetch`` command, and the detail also gives the close-to-close move of the session the end
  instant falls in, labelled as such (daily data can only check a midday figure against the close).

Tolerances: ``reported_pct`` against ``tolerance_pct``; ``reported_level`` within half a unit of
its last quoted digit ($693.95 -> 0.005), or ``tolerance_pct`` percent of the level when given;
``reported_points`` within half a unit of its last significant digit (270 -> 5 points). A claim
is ``reproduced`` when every reported quantity is within its tolerance, ``differs`` otherwise.

Proxies: when the instrument's own prices are missing (the claim would be ``needs-data``) and the
row names a ``proxy``, the proxy is measured over the same window: from its regular-session close
(the session's close instant by its exchange calendar, priced from its bars by the close rule;
its daily close when it has no bars) when ``start`` is a date, or its price at the ``start``
instant; to its price at ``end`` by the same rules. Divided by the table's ``scale`` it estimates
the instrument's move (``proxy_pct``), compared with ``reported_pct`` within ``tolerance_pct`` plus
the pair's ``band_pct``; a points figure is turned into a percentage with the instrument's own
previous daily close when the source has it. The verdict is ``consistent-by-proxy`` or
``differs-by-proxy`` (``reproduced`` and ``differs`` are kept for the instrument itself), the
detail giving the proxy's bars and prices, the scaling, the band, the caveats and why the
instrument itself could not be checked. If the proxy lacks prices too, ``needs-data`` names both.

Verdicts (:data:`VERDICTS`): ``reproduced``, ``differs``, ``needs-data``, ``consistent-by-proxy``,
``differs-by-proxy``, and ``unplaced``: an article claim whose instrument or time could not be
placed, set by the article reader, never by :func:`check_claims` itself.

Bad rows never stop the others: :func:`load_claims` records the problem (file, line, column) in
the row's ``error`` and :func:`check_claims` gives that row the verdict ``needs-data`` with the
error text in ``detail``.

A source that cannot be *reached* (Yahoo Finance offline: :class:`~eventstudy.errors.PriceFetchError`)
is not a verdict about the claim. By default such a claim is ``needs-data`` like any other missing
price; with ``on_fetch_error="raise"`` (what ``eventstudy claims --source yahoo`` uses)
:func:`check_claims` checks every claim, then raises one ``PriceFetchError`` listing every ticker
that could not be fetched, so that no table built on a partly unreachable source is mistaken for
the answer. A ticker that could not be fetched is not asked for again during the same check.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..bars import YAHOO_LIMITS, bar_span, load_bars, market_tz, price_in_bars
from ..errors import DataError, PriceFetchError, PriceSourceError, SpecificationError, UnknownTickerError
from .proxies import load_proxies

BASES = ("close-to-close", "intraday", "after-hours-futures", "year-to-date", "price-level", "record-close",
         "first-close-above")
VERDICTS = ("reproduced", "differs", "needs-data", "consistent-by-proxy", "differs-by-proxy", "unplaced")
"""``unplaced``: an article claim whose instrument or time could not be placed; set by the article
reader, never by :func:`check_claims` itself."""
COLUMNS = ["claim_id", "source", "quote", "instrument", "basis", "start", "end", "reported_pct",
           "reported_level", "reported_points", "tolerance_pct", "proxy", "notes"]
REQUIRED = ("claim_id", "instrument", "basis", "end")
RESULT_COLUMNS = ["claim_id", "source", "instrument", "basis", "start", "end", "reported_pct", "measured_pct",
                  "diff_pct", "reported_level", "measured_level", "verdict", "detail", "base", "flag", "proxy",
                  "proxy_pct"]
"""Result columns. ``base``: for a year-to-date claim, the base close measured_pct is taken from
(``last close of 2025 (2025-12-31)``); ``flag``: a warning a verdict needs (only the unusual base
matched); ``proxy``: the proxy measured instead of the instrument; ``proxy_pct``: its move divided by
its scale, the estimate of the instrument's move. Empty (NaN for ``proxy_pct``) when they do not apply."""
PROXY_BASES = ("close-to-close", "intraday", "after-hours-futures")
INTERVALS = ("1m", "15m", "1h")
_EPS = 1e-9

__all__ = ["BASES", "ClaimError", "PROXY_BASES", "RESULT_COLUMNS", "VERDICTS", "check_claims", "load_claims"]


class ClaimError(DataError):
    """A claims file has a bad row or column (the message names file, line and column)."""


# --------------------------------------------------------------------------------------------- loading
def _half_unit(text: str, *, trailing_zeros: bool = False) -> float:
    """Half a unit of the last quoted digit: '0.48' -> 0.005, '2.1' -> 0.05, '1' -> 0.5, and with
    ``trailing_zeros`` '270' -> 5 (a round number is read as rounded to its last nonzero digit)."""
    t = text.strip().lstrip("+-").replace(",", "")
    if "." in t:
        return 0.5 * 10.0 ** -len(t.split(".", 1)[1])
    digits = t.lstrip("0")
    z = len(digits) - len(digits.rstrip("0")) if (trailing_zeros and digits) else 0
    return 0.5 * 10.0 ** z


def _parse_when(text: str):
    """('date', naive Timestamp) | ('instant', tz-aware Timestamp) | ('', None); ValueError if bad."""
    t = text.strip()
    if not t:
        return "", None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        return "date", pd.Timestamp(t)
    try:
        ts = pd.Timestamp(t)
    except (ValueError, TypeError):
        raise ValueError(f"{t!r} is neither a date (YYYY-MM-DD) nor an ISO instant with offset "
                         "(e.g. 2025-10-27T11:30:00+09:00)") from None
    if ts.tzinfo is None:
        raise ValueError(
            f"{t!r} has no UTC offset (a naive time would be read as UTC); write the local time with its "
            f"offset, e.g. {ts.strftime('%Y-%m-%dT%H:%M:%S')}-04:00 for US Eastern summer time, or give only "
            "the date for a session close"
        )
    return "instant", ts


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "").rstrip("%").strip()
    if not t:
        return None
    v = float(t)  # ValueError handled by the caller
    if not math.isfinite(v):
        raise ValueError
    return v


def load_claims(path: str | os.PathLike, *, instruments: Iterable[str] | None = None,
                strict: bool = False) -> pd.DataFrame:
    """Read and validate a claims CSV.

    A bad row does not stop the others; ``strict=True`` raises :class:`ClaimError` listing them all
    instead. A missing file or a header without the required columns always raises. Blank lines
    are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The claims CSV (UTF-8, a byte-order mark allowed), columns as in the module docstring.
    instruments : iterable of str, optional
        Allowed tickers (default: the asset registry); a row naming another one is invalid.
    strict : bool, default False
        If any row is invalid, raise :class:`ClaimError` listing them all instead of returning them
        with ``error`` set.

    Returns
    -------
    pandas.DataFrame
        One row per data row, in file order, with the input columns (as text; a column absent from
        the header is empty), ``line`` (the row's line number in the file), the parsed
        ``start_kind``/``start_at`` and ``end_kind``/``end_at`` (``"date"`` → naive date,
        ``"instant"`` → tz-aware Timestamp, ``""`` → empty), the numbers as floats
        (``reported_pct_value``, ``reported_level_value``, ``reported_points_value``), the
        tolerances ``tol_pct``, ``tol_level``, ``tol_points`` and ``error`` (empty when the row is
        valid, else every problem as ``file, line N, column C: ...``) and ``unplaced`` (a drafted
        row, from ``claims_draft.csv``, whose ``status`` is ``unplaced``: its ``reason``; such a row
        is not validated and :func:`check_claims` gives it the verdict ``unplaced``). A row without
        a ``claim_id`` gets the id ``line-N``.

    Raises
    ------
    ClaimError
        If the file is missing, not UTF-8 or empty; the header lacks ``claim_id``, ``instrument``,
        ``basis`` or ``end``, or has none of ``reported_pct``, ``reported_level``,
        ``reported_points``; or ``strict`` is True and some row is invalid.
    """
    from ..assets import REGISTRY

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ClaimError(f"{label}: no such file; pass --claims with the path of your claims CSV")
    allowed = set(REGISTRY) if instruments is None else set(instruments)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClaimError(f"{label}: not UTF-8 ({exc}); save it as UTF-8 comma-separated") from exc
    return _parse_claims(text, label, allowed, strict)


def claims_frame(rows: pd.DataFrame, *, label: str = "claims",
                 instruments: Iterable[str] | None = None) -> pd.DataFrame:
    """Validate claims rows held in a frame (drafted from an article, say) as :func:`load_claims`
    validates a file's.

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns as a claims file's, values as text; other columns are ignored except a drafted
        row's ``status`` and ``reason`` (a row whose status is ``unplaced`` is kept, not checked).
    label : str, default "claims"
        What the error messages call the rows' origin (line N = the row's position + 2, as if it
        were a file with a header).
    instruments : iterable of str, optional
        Allowed tickers (default: the asset registry).

    Returns
    -------
    pandas.DataFrame
        As :func:`load_claims` returns.
    """
    from ..assets import REGISTRY

    allowed = set(REGISTRY) if instruments is None else set(instruments)
    cols = [c for c in (*COLUMNS, "status", "reason") if c in rows.columns]  # a draft's status and reason too
    buf = io.StringIO()
    rows[cols].astype(str).to_csv(buf, index=False, lineterminator="\n")
    return _parse_claims(buf.getvalue(), label, allowed, False)


def _parse_claims(text: str, label: str, allowed: set, strict: bool) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ClaimError(f"{label}: empty file; the header must name {', '.join(COLUMNS)}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ClaimError(f"{label}, line 1: missing column(s) {', '.join(missing)}; the header must name "
                         f"{', '.join(COLUMNS)}")
    if not any(c in header for c in ("reported_pct", "reported_level", "reported_points")):
        raise ClaimError(f"{label}, line 1: no reported_pct, reported_level or reported_points column")
    rows, seen = [], {}
    prev_end = reader.line_num
    for fields in reader:
        line, prev_end = prev_end + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank line
        errs: list[str] = []

        def bad(col: str, msg: str) -> None:
            errs.append(f"{label}, line {line}, column {col}: {msg}")

        if len(fields) != len(header):
            errs.append(f"{label}, line {line}: malformed row, {len(fields)} field(s) where the header has "
                        f"{len(header)}; put a text containing commas in double quotes")
        rec = {c: (fields[i].strip() if i < len(fields) else "") for i, c in enumerate(header)}
        row = {c: rec.get(c, "") for c in COLUMNS}
        row["line"] = line
        cid = row["claim_id"] or f"line-{line}"
        if not row["claim_id"]:
            bad("claim_id", "empty; give every claim a unique id")
        elif cid in seen:
            bad("claim_id", f"{cid!r} repeats the id of line {seen[cid]}; ids must be unique")
        seen.setdefault(cid, line)
        row["claim_id"] = cid
        # a row drafted from an article that could not be placed (claims_draft.csv): kept, never checked
        row["unplaced"] = (rec.get("reason", "") or "unplaced by the article reader") \
            if rec.get("status", "") == "unplaced" else ""
        if not errs and not row["unplaced"]:  # a malformed row's fields are shifted: no misleading errors
            _validate(row, allowed, bad)
        row["error"] = "; ".join(errs)
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*COLUMNS, "line", "start_kind", "start_at", "end_kind", "end_at",
                                      "reported_pct_value", "reported_level_value", "reported_points_value",
                                      "tol_pct", "tol_level", "tol_points", "error", "unplaced"])
    out = out.astype({"line": "int64"})
    bad_rows = out[out["error"] != ""]
    if strict and len(bad_rows):
        raise ClaimError(f"{len(bad_rows)} problem row(s) in the claims file:\n  " + "\n  ".join(bad_rows["error"]))
    return out


def _validate(row: dict, allowed: set, bad) -> None:
    inst, basis = row["instrument"], row["basis"]
    if not inst:
        bad("instrument", "empty; give the Yahoo ticker, e.g. ^N225")
    elif inst not in allowed:
        bad("instrument", f"unknown instrument {inst!r}; use one of {', '.join(sorted(allowed))}")
    if basis not in BASES:
        bad("basis", f"{basis!r} is not a basis; use one of {', '.join(BASES)}")
    for col in ("start", "end"):
        try:
            kind, at = _parse_when(row[col])
        except ValueError as exc:
            bad(col, str(exc))
            kind, at = "", None
        row[f"{col}_kind"], row[f"{col}_at"] = kind, at
    nums = {}
    for col in ("reported_pct", "reported_level", "reported_points", "tolerance_pct"):
        try:
            nums[col] = _number(row[col])
        except ValueError:
            bad(col, f"{row[col]!r} is not a number")
            nums[col] = None
    row["reported_pct_value"] = nums["reported_pct"]
    row["reported_level_value"] = nums["reported_level"]
    row["reported_points_value"] = nums["reported_points"]
    tol = nums["tolerance_pct"]
    if tol is not None and tol < 0:
        bad("tolerance_pct", f"{tol} is negative")
    row["tol_pct"] = (tol if tol is not None else _half_unit(row["reported_pct"])) \
        if nums["reported_pct"] is not None else None
    lvl = nums["reported_level"]
    row["tol_level"] = None if lvl is None else (
        abs(lvl) * tol / 100.0 if (tol is not None and basis == "price-level") else _half_unit(row["reported_level"]))
    row["tol_points"] = None if nums["reported_points"] is None else _half_unit(row["reported_points"],
                                                                                trailing_zeros=True)
    sk, ek = row["start_kind"], row["end_kind"]
    if not row["end"]:
        bad("end", "empty; give the session date or the instant the figure refers to")
    if basis in ("price-level", "first-close-above"):
        if lvl is None:
            bad("reported_level", f"a {basis} claim needs reported_level")
    elif basis == "record-close":
        pass
    elif basis in BASES and nums["reported_pct"] is None and nums["reported_points"] is None:
        bad("reported_pct", f"a {basis} claim needs reported_pct or reported_points")
    if basis == "close-to-close":
        for col, kind in (("start", sk), ("end", ek)):
            if kind != "date":
                bad(col, "a close-to-close claim needs session dates (YYYY-MM-DD); for a price at an instant "
                         "use basis intraday")
    elif basis in ("record-close", "first-close-above"):
        if ek and ek != "date":
            bad("end", f"a {basis} claim is about a session close: give its date")
    elif basis == "year-to-date":
        if ek and ek != "date":
            bad("end", "a year-to-date claim ends at a session close: give its date")
        if sk == "instant":
            bad("start", "a year-to-date base is a session close: give its date, or leave it empty for the "
                         "last close of the previous year")
    if row["proxy"]:
        if row["proxy"] not in allowed:
            bad("proxy", f"unknown proxy {row['proxy']!r}; use a registered ticker ({', '.join(sorted(allowed))}) "
                         "or leave it empty")
        elif row["proxy"] == inst:
            bad("proxy", f"{inst!r} is the instrument itself; name another instrument or leave it empty")
        if basis in BASES and basis not in PROXY_BASES:
            bad("proxy", f"a {basis} claim cannot be checked by proxy (a proxy measures a move between two times: "
                         f"{', '.join(PROXY_BASES)}); leave it empty")
    if basis in ("intraday", "after-hours-futures"):
        if ek and ek != "instant":
            bad("end", f"an {basis} claim needs the instant the figure was quoted, with its UTC offset "
                       "(estimate it and say so in notes); for a session close use close-to-close")
        if not sk:
            bad("start", f"an {basis} claim needs a start: the previous close's session date (what news "
                         "percentages are measured from) or an instant")
    if sk and ek and row["start_at"] is not None and row["end_at"] is not None:
        a, b = row["start_at"], row["end_at"]
        a = a.tz_localize(None) if a.tzinfo is not None else a
        b_cmp = b.tz_localize(None) if b.tzinfo is not None else b
        if a.normalize() > b_cmp.normalize():
            bad("start", f"{row['start']} is after end {row['end']}")


# --------------------------------------------------------------------------------------------- checking
class _NeedsData(Exception):
    """A price needed by a claim is not in the source; args[0] says which and how to get it."""


def _fmt(x: float) -> str:
    return f"{x:,.2f}"


def _pct(x: float) -> str:
    return f"{x:+.2f} %"


class _Checker:
    def __init__(self, source):
        self.source = source
        self._daily: dict[str, pd.DataFrame] = {}
        self.unreachable: dict[str, str] = {}  # ticker -> why it could not be fetched

    def _unreached(self, ticker: str, exc: PriceFetchError | None = None) -> _NeedsData:
        """Remember a ticker the source could not fetch; the needs-data reason for its claims."""
        if exc is not None:
            self.unreachable.update(exc.failures or {ticker: str(exc)})
            self.unreachable.setdefault(ticker, str(exc))
        return _NeedsData(f"{ticker} could not be fetched from the {self.source.name} source "
                          f"({self.unreachable[ticker]})")

    # -- daily closes
    def daily(self, ticker: str) -> pd.DataFrame:
        if ticker in self.unreachable:
            raise self._unreached(ticker)
        if ticker not in self._daily:
            try:
                self._daily[ticker] = self.source.daily([ticker])
            except PriceFetchError as exc:
                raise self._unreached(ticker, exc) from None
            except (PriceSourceError, UnknownTickerError) as exc:
                raise _NeedsData(f"no daily prices of {ticker} in the {self.source.name} source ({exc}); "
                                 f"online: `eventstudy fetch {ticker} --start 2020-01-01 --end <today>`") from None
        return self._daily[ticker]

    def close(self, ticker: str, date: pd.Timestamp, *, raw: bool = True) -> tuple[pd.Timestamp, float, float]:
        """(date, close, adj_close) of the session ``date``; close is raw (NaN if the source lacks it)."""
        df = self.daily(ticker)
        hit = df[df["date"] == date.normalize()]
        if hit.empty:
            have = df["date"]
            span = f"{have.min():%Y-%m-%d} to {have.max():%Y-%m-%d}" if len(have) else "nothing"
            lo, hi = date - pd.Timedelta(days=10), date + pd.Timedelta(days=3)
            raise _NeedsData(
                f"no {ticker} close on {date:%Y-%m-%d} in the {self.source.name} source (it holds {span}; a "
                f"holiday or a date outside the data); online: `eventstudy fetch {ticker} --start {lo:%Y-%m-%d} "
                f"--end {hi:%Y-%m-%d}`")
        r = hit.iloc[0]
        return r["date"], float(r["close"]), float(r["adj_close"])

    def last_close_before(self, ticker: str, date: pd.Timestamp) -> tuple[pd.Timestamp, float, float]:
        df = self.daily(ticker)
        prev = df[df["date"] < date]
        if prev.empty:
            raise _NeedsData(f"no {ticker} close before {date:%Y-%m-%d} in the {self.source.name} source; online: "
                             f"`eventstudy fetch {ticker} --start {date - pd.Timedelta(days=15):%Y-%m-%d} "
                             f"--end {date:%Y-%m-%d}`")
        r = prev.iloc[-1]
        return r["date"], float(r["close"]), float(r["adj_close"])

    def first_close_from(self, ticker: str, date: pd.Timestamp) -> tuple[pd.Timestamp, float, float]:
        df = self.daily(ticker)
        nxt = df[df["date"] >= date]
        if nxt.empty:
            raise _NeedsData(f"no {ticker} close on or after {date:%Y-%m-%d} in the {self.source.name} source")
        r = nxt.iloc[0]
        return r["date"], float(r["close"]), float(r["adj_close"])

    def session_of(self, ticker: str, t: pd.Timestamp) -> pd.Timestamp:
        """The session an instant falls in (or the next one): first session closing at or after ``t``."""
        from ..assets import REGISTRY

        if ticker in REGISTRY:
            table = REGISTRY[ticker].sessions
            i = int(np.searchsorted(table.closes.asi8, t.tz_convert("UTC").as_unit("ns").value, side="left"))
            if i < len(table):
                return table.sessions[i]
        return t.tz_localize(None).normalize()

    # -- intraday
    def _not_stale(self, ticker: str, t: pd.Timestamp, bar_start: pd.Timestamp) -> None:
        """After hours, a price from the regular session's last bar says nothing about the evening: the
        bars may hold the regular session only (Yahoo without pre/post-market, the bundled SPY/QQQ hourly
        bars). Sparse extended-hours bars are fine; none at all between the close and ``t`` is missing data."""
        from ..assets import REGISTRY

        if ticker not in REGISTRY:
            return
        table = REGISTRY[ticker].sessions
        i = int(np.searchsorted(table.closes.asi8, t.tz_convert("UTC").as_unit("ns").value, side="left"))
        if 0 < i < len(table) and t < table.opens[i] and bar_start < table.closes[i - 1]:
            raise _NeedsData(f"{ticker} has no extended-hours bar between its {_local(table.closes[i - 1], ticker)} "
                             f"close and {_local(t, ticker)} in the {self.source.name} source (bars of the regular "
                             f"session only?); a figure after hours needs {ticker}'s extended-hours bars")

    def at_instant(self, ticker: str, t: pd.Timestamp):
        """(interval, bar start, bar end, price) by the close rule, trying 1m, 15m, 1h bars."""
        errors = {}
        lo, hi = bar_span([t])
        if ticker in self.unreachable:
            raise self._unreached(ticker)
        for iv in INTERVALS:
            try:
                bars = load_bars(ticker, lo, hi, iv, self.source,
                                 what=f"no intraday bars to price {ticker} at {t.isoformat()}")
            except PriceFetchError as exc:
                raise self._unreached(ticker, exc) from None
            except PriceSourceError as exc:
                errors[iv] = str(exc)
                continue
            got = price_in_bars(bars, t, "close")
            if got is not None:
                self._not_stale(ticker, t, got[0])
                return (iv, *got)
            errors[iv] = f"the {iv} bars do not cover {t.isoformat()}"
        tz = t.tz
        cmd = (f"eventstudy fetch {ticker} --interval 1h --start {lo.tz_convert(tz).isoformat()} "
               f"--end {hi.tz_convert(tz).isoformat()}")
        raise _NeedsData(
            f"no intraday {ticker} bars (tried {', '.join(INTERVALS)}) covering {t.isoformat()} in the "
            f"{self.source.name} source. Needed: {ticker} bars from {lo.isoformat()} to {hi.isoformat()}; online "
            f"`{cmd}` ({YAHOO_LIMITS}), then `eventstudy claims --source yahoo`")


def _local(t: pd.Timestamp, ticker: str) -> str:
    x = t.tz_convert(market_tz(ticker))
    return f"{x:%Y-%m-%d %H:%M} {x.tzname()}"


def _bar_text(ticker, iv, b, e, price) -> str:
    return f"close of the {iv} bar {_local(b, ticker)[:16]}–{_local(e, ticker)[11:]} {_fmt(price)}"


def _check_one(c: pd.Series, chk: _Checker, proxies: pd.DataFrame) -> dict:
    out = {k: c.get(k, "") for k in ("claim_id", "source", "instrument", "basis", "start", "end")}
    out.update(reported_pct=c["reported_pct_value"], reported_level=c["reported_level_value"],
               measured_pct=np.nan, diff_pct=np.nan, measured_level=np.nan, base="", flag="", proxy="",
               proxy_pct=np.nan)
    if c["error"]:
        out.update(verdict="needs-data", detail=f"not checked, the row is invalid: {c['error']}")
        return out
    if c.get("unplaced", ""):
        out.update(verdict="unplaced", detail=c["unplaced"])
        return out
    T, basis = c["instrument"], c["basis"]
    rp, rl, rpts = c["reported_pct_value"], c["reported_level_value"], c["reported_points_value"]
    parts: list[str] = []
    ok: list[bool] = []

    def compare_pct(measured: float) -> None:
        if rp is None or (isinstance(rp, float) and np.isnan(rp)):
            return
        out["measured_pct"], out["diff_pct"] = measured, measured - rp
        good = abs(measured - rp) <= c["tol_pct"] + _EPS
        ok.append(good)
        parts.append(f"reported {_pct(rp)}, measured {_pct(measured)}, diff {measured - rp:+.3f} pp "
                     f"({'within' if good else 'outside'} the tolerance ±{c['tol_pct']:g} pp)")

    def compare_points(measured: float, base: float) -> None:
        if rpts is None or (isinstance(rpts, float) and np.isnan(rpts)):
            return
        good = abs(measured - rpts) <= c["tol_points"] + _EPS
        ok.append(good)
        parts.append(f"reported {rpts:+,g} points, measured {measured:+,.2f} points on {_fmt(base)} "
                     f"({'within' if good else 'outside'} ±{c['tol_points']:g})")

    def verdict() -> None:
        out["verdict"] = "reproduced" if ok and all(ok) else "differs"
        out["detail"] = "; ".join(parts)

    try:
        index_only = T in getattr(chk.source, "levels_unknown", ())  # prices rebuilt from a returns file
        if index_only:
            given = lambda v: v is not None and not (isinstance(v, float) and np.isnan(v))
            what = ("a price level" if basis == "price-level" or given(rl) else "a move in points" if given(rpts)
                    else "a year-to-date move" if basis == "year-to-date" else None)
            if what:
                raise _NeedsData(f"{T} comes from a returns file: its price levels are unknown (its prices are an "
                                 f"index rebuilt from the returns), so {what} cannot be checked; give {T}'s "
                                 "prices (--prices) instead")
        if basis == "close-to-close":
            d0, p0, a0 = chk.close(T, c["start_at"])
            d1, p1, a1 = chk.close(T, c["end_at"])
            raw = not (np.isnan(p0) or np.isnan(p1))
            x0, x1 = (p0, p1) if raw else (a0, a1)
            m = 100 * (x1 / x0 - 1)
            kind = "close" if raw else "return index" if index_only else "adjusted close (no raw close in the source)"
            text = f"{T} {kind} {d0:%Y-%m-%d} {_fmt(x0)} → {kind} {d1:%Y-%m-%d} {_fmt(x1)} = {_pct(m)}"
            adj = 100 * (a1 / a0 - 1)
            if raw and abs(adj - m) >= 0.005:
                text += f" (raw closes; dividend-adjusted {_pct(adj)})"
            parts.append(text)
            compare_pct(m)
            compare_points(x1 - x0, x0)
            if rl is not None and not np.isnan(rl):
                out["measured_level"] = x1
                good = abs(x1 - rl) <= c["tol_level"] + _EPS
                ok.append(good)
                parts.append(f"reported level {_fmt(rl)}, measured {_fmt(x1)}")
            verdict()
        elif basis == "year-to-date":
            _check_ytd(c, chk, out, parts, ok, compare_pct, compare_points)
            verdict()
        elif basis == "price-level":
            if c["end_kind"] == "instant":
                iv, b, e, level = chk.at_instant(T, c["end_at"])
                parts.append(f"{T} {_bar_text(T, iv, b, e, level)}")
            else:
                d1, level, adj = chk.close(T, c["end_at"])
                if np.isnan(level):
                    raise _NeedsData(f"the {chk.source.name} source has no raw close of {T} (only the dividend-"
                                     f"adjusted {_fmt(adj)} on {d1:%Y-%m-%d}); a level claim needs the raw close")
                parts.append(f"{T} raw close {d1:%Y-%m-%d} {_fmt(level)} (dividend-adjusted {_fmt(adj)})"
                             if abs(adj - level) > 0.005 else f"{T} close {d1:%Y-%m-%d} {_fmt(level)}")
            out["measured_level"] = level
            good = abs(level - rl) <= c["tol_level"] + _EPS
            ok.append(good)
            parts.append(f"reported {_fmt(rl)}, measured {_fmt(level)}, diff {level - rl:+.4f} "
                         f"({'within' if good else 'outside'} ±{c['tol_level']:g})")
            verdict()
        elif basis in ("record-close", "first-close-above"):
            _check_record(c, chk, out, parts, ok)
            verdict()
        else:  # intraday, after-hours-futures
            _check_intraday(c, chk, out, parts, ok, compare_pct, compare_points)
            verdict()
    except _NeedsData as exc:
        out["verdict"] = "needs-data"
        out["detail"] = "; ".join([str(exc.args[0]), *parts])
        if c.get("proxy", "") and T not in chk.unreachable:  # a source that could not be reached is no verdict
            try:
                _check_by_proxy(c, chk, proxies, out, out["detail"])
            except _NeedsData as both:
                out["detail"] = str(both.args[0])
    return out


def _check_record(c, chk: _Checker, out, parts, ok) -> None:
    """A record close, or the first close above a threshold, against every earlier close in the source."""
    T, rl = c["instrument"], c["reported_level_value"]
    d1, p1, adj = chk.close(T, c["end_at"])
    df = chk.daily(T)
    raw = not np.isnan(p1)
    col = "close" if raw else "adj_close"
    x1 = p1 if raw else adj
    before = df[df["date"] < d1]
    since = f"the {chk.source.name} source's closes since {df['date'].min():%Y-%m-%d}"
    out["measured_level"] = x1
    if c["basis"] == "record-close":
        if before.empty:
            raise _NeedsData(f"no {T} close before {d1:%Y-%m-%d} in the {chk.source.name} source: a record cannot "
                             "be told")
        top = before.loc[before[col].idxmax()]
        good = x1 > top[col]
        ok.append(bool(good))
        parts.append(f"{T} close {d1:%Y-%m-%d} {_fmt(x1)}; the highest earlier close in {since} is {_fmt(top[col])} "
                     f"({top['date']:%Y-%m-%d}): " + ("a record in the data (earlier history is not in the source)"
                                                    if good else "not a record"))
        if rl is not None and not np.isnan(rl):
            lv = abs(x1 - rl) <= c["tol_level"] + _EPS
            ok.append(bool(lv))
            parts.append(f"reported level {_fmt(rl)}, measured {_fmt(x1)} ({'within' if lv else 'outside'} "
                         f"±{c['tol_level']:g})")
        return
    above = before[before[col] > rl]
    good = x1 > rl and above.empty
    ok.append(bool(good))
    first = above.iloc[0] if len(above) else None
    parts.append(f"{T} close {d1:%Y-%m-%d} {_fmt(x1)} " + ("above" if x1 > rl else "not above") + f" {_fmt(rl)}; "
                 + (f"no earlier close above it in {since}" if first is None else
                    f"but {first['date']:%Y-%m-%d} closed above it already ({_fmt(first[col])})"))


def _ytd_base_name(d: pd.Timestamp, last_prev: pd.Timestamp, first: pd.Timestamp) -> str:
    if d == last_prev:
        return f"last close of {d.year} ({d:%Y-%m-%d})"
    if d == first:
        return f"first close of {d.year} ({d:%Y-%m-%d})"
    return f"close of {d:%Y-%m-%d} (the start in the claims file)"


def _check_ytd(c, chk: _Checker, out, parts, ok, compare_pct, compare_points) -> None:
    """Year-to-date: each plausible base side by side (module docstring); the chosen one decides."""
    T = c["instrument"]
    rp, rpts = c["reported_pct_value"], c["reported_points_value"]
    d1, p1, _ = chk.close(T, c["end_at"])
    year0 = pd.Timestamp(year=d1.year, month=1, day=1)
    du, pu, _ = chk.last_close_before(T, year0)
    dfirst, pfirst, _ = chk.first_close_from(T, year0)
    bases = {du: pu, dfirst: pfirst}  # the usual base first
    if c["start_kind"] == "date":
        ds, ps, _ = chk.close(T, c["start_at"])
        bases = {ds: ps, **{d: p for d, p in bases.items() if d != ds}}

    def within(pb: float) -> bool:
        m = 100 * (p1 / pb - 1)
        good = []
        if rp is not None and not np.isnan(rp):
            good.append(abs(m - rp) <= c["tol_pct"] + _EPS)
        if rpts is not None and not np.isnan(rpts):
            good.append(abs(p1 - pb - rpts) <= c["tol_points"] + _EPS)
        return bool(good) and all(good)

    match = {d: within(p) for d, p in bases.items()}
    if c["start_kind"] == "date":
        chosen, why = ds, "the base in the claims file"
    else:
        chosen = next((d for d in bases if match[d]), du)
        why = "the usual base" if chosen == du else "an unusual base"
    pb = bases[chosen]
    name = _ytd_base_name(chosen, du, dfirst)
    out["base"] = name
    m = 100 * (p1 / pb - 1)
    parts.append(f"{T} close {chosen:%Y-%m-%d} {_fmt(pb)} ({name.split(' (')[0]}, {why}) → close {d1:%Y-%m-%d} "
                 f"{_fmt(p1)} = {_pct(m)}")
    compare_pct(m)
    compare_points(p1 - pb, pb)
    for d, p in bases.items():
        if d != chosen:
            alt = 100 * (p1 / p - 1)
            parts.append(f"from the {_ytd_base_name(d, du, dfirst)} it is {_pct(alt)} "
                         f"({'a match' if match[d] else 'not a match'})")
    if match[chosen] and chosen != du and not match[du]:
        what = name.split(" (")[0] if chosen == dfirst else f"close of {chosen:%Y-%m-%d} given in the claims file"
        out["flag"] = f"matches only the {what}, an unusual base for a year-to-date figure"
        parts.append(out["flag"])


def _proxy_price(chk: _Checker, P: str, kind: str, at: pd.Timestamp):
    """(text, price) of proxy ``P``: at an instant, or at its regular-session close of a date."""
    from ..assets import REGISTRY

    table = REGISTRY[P].sessions
    if kind == "instant":
        iv, b, e, p = chk.at_instant(P, at)  # a stale regular-session bar after hours is needs-data there
        return _bar_text(P, iv, b, e, p), p
    hit = np.flatnonzero(table.sessions == at.normalize())
    if not len(hit):
        raise _NeedsData(f"{at:%Y-%m-%d} is not a {table.calendar} session, so {P} has no close that day")
    close_at = table.closes[hit[0]].tz_convert(table.tz)
    try:
        iv, b, e, p = chk.at_instant(P, close_at)
        return f"regular-session close {at:%Y-%m-%d} = {_bar_text(P, iv, b, e, p)}", p
    except _NeedsData as no_bars:
        try:
            d, p, _ = chk.close(P, at)
        except _NeedsData:
            raise no_bars from None
        return f"daily close {d:%Y-%m-%d} {_fmt(p)}", p


def _check_by_proxy(c, chk: _Checker, proxies: pd.DataFrame, out: dict, reason: str) -> None:
    """Measure the claim's move on its proxy (module docstring); sets verdict, detail, proxy, proxy_pct."""
    T, P = c["instrument"], c["proxy"]
    itself = f"{T} itself could not be checked: {reason}"
    hit = proxies[(proxies["instrument"] == T) & (proxies["proxy"] == P)]
    if hit.empty:
        raise _NeedsData(f"proxy {P} named, but the proxies table has no row for {T} via {P}: add one (columns "
                         f"instrument, proxy, scale, tracks, band_pct, caveats) to use it; {itself}")
    row = hit.iloc[0]
    scale, band = float(row["scale"]), float(row["band_pct"])
    try:
        t0, p0 = _proxy_price(chk, P, c["start_kind"], c["start_at"])
        t1, p1 = _proxy_price(chk, P, c["end_kind"], c["end_at"])
    except _NeedsData as exc:
        raise _NeedsData(f"needs data for both {T} and its proxy {P}. The proxy {P}: {exc.args[0]}; {itself}") from None
    move = 100 * (p1 / p0 - 1)
    est = move / scale
    out["proxy"], out["proxy_pct"] = P, est
    parts = [f"by proxy {P}, which tracks {row['tracks']}: {P} {t0} → {t1} = {_pct(move)}; divided by the scale "
             f"{scale:g}: {_pct(est)}, the estimate of {T}'s move"]
    ok: list[bool] = []
    rp, rpts = c["reported_pct_value"], c["reported_points_value"]
    if rp is not None and not np.isnan(rp):
        good = abs(est - rp) <= c["tol_pct"] + band + _EPS
        ok.append(good)
        parts.append(f"reported {_pct(rp)}, proxy estimate {_pct(est)}, diff {est - rp:+.3f} pp "
                     f"({'within' if good else 'outside'} the tolerance ±{c['tol_pct']:g} pp + the proxy band "
                     f"{band:g} pp)")
    if rpts is not None and not np.isnan(rpts):
        try:
            if c["start_kind"] == "date":
                db, base, _ = chk.close(T, c["start_at"])
            else:
                db, base, _ = chk.last_close_before(T, chk.session_of(T, c["start_at"]))
        except _NeedsData as exc:
            parts.append(f"the reported {rpts:+,g} points cannot be turned into a percentage without {T}'s previous "
                         f"close ({exc.args[0]})")
        else:
            implied, tol = 100 * rpts / base, 100 * c["tol_points"] / base
            good = abs(est - implied) <= tol + band + _EPS
            ok.append(good)
            parts.append(f"reported {rpts:+,g} points = {_pct(implied)} of {T}'s own close {db:%Y-%m-%d} "
                         f"{_fmt(base)}; the proxy estimate is {est * base / 100:+,.0f} points, diff "
                         f"{est - implied:+.3f} pp ({'within' if good else 'outside'} ±{tol:.3f} pp for "
                         f"±{c['tol_points']:g} points + the proxy band {band:g} pp)")
    if not ok:
        raise _NeedsData(f"{P} moved {_pct(move)} ({_pct(est)} scaled) but no reported figure of the claim could be "
                         f"compared with it; {itself}")
    parts += [f"caveats: {row['caveats']}", itself]
    out["verdict"] = "consistent-by-proxy" if all(ok) else "differs-by-proxy"
    out["detail"] = "; ".join(parts)


def _check_intraday(c, chk: _Checker, out, parts, ok, compare_pct, compare_points) -> None:
    T, basis = c["instrument"], c["basis"]
    t1 = c["end_at"]
    if c["start_kind"] == "date":
        d0, p0, _ = chk.close(T, c["start_at"])
        start_text = f"{T} close {d0:%Y-%m-%d} {_fmt(p0)}"
    else:
        iv0, b0, e0, p0 = _at_or_context(chk, c, c["start_at"], parts, None)
        start_text = f"{T} {_bar_text(T, iv0, b0, e0, p0)}"
    iv1, b1, e1, p1 = _at_or_context(chk, c, t1, parts, p0 if c["start_kind"] == "date" else None)
    m = 100 * (p1 / p0 - 1)
    parts.append(f"{start_text} → {_bar_text(T, iv1, b1, e1, p1)} = {_pct(m)} ({basis}, end quoted at {_local(t1, T)})")
    compare_pct(m)
    compare_points(p1 - p0, p0)


def _at_or_context(chk: _Checker, c, t, parts, p0):
    """The intraday price at ``t``; when missing, raise needs-data with the daily context attached."""
    try:
        return chk.at_instant(c["instrument"], t)
    except _NeedsData as exc:
        T, basis = c["instrument"], c["basis"]
        what = "midday" if "midday" in (str(c.get("quote", "")) + " " + str(c.get("notes", ""))).lower() \
            else basis.replace("-", " ")
        ctx = [f"the {what} figure ({_local(t, T)}) needs intraday bars: {exc.args[0]}"]
        try:
            d1 = chk.session_of(T, t)
            if c["start_kind"] == "date":
                d0, q0, _ = chk.close(T, c["start_at"])
            else:
                d0, q0, _ = chk.last_close_before(T, d1)
            _, q1, _ = chk.close(T, d1)
            cc = 100 * (q1 / q0 - 1)
            rp = c["reported_pct_value"]
            rep = "" if rp is None or np.isnan(rp) else f"; reported {what} {_pct(rp)}"
            ctx.append(f"daily data can only check it against the close: {T} close {d0:%Y-%m-%d} {_fmt(q0)} → close "
                       f"{d1:%Y-%m-%d} {_fmt(q1)} = {_pct(cc)} close-to-close (not the {what} figure{rep})")
            rpts = c["reported_points_value"]
            if rpts is not None and not np.isnan(rpts):
                implied = 100 * rpts / q0
                same = rp is not None and not np.isnan(rp) and abs(implied - rp) <= c["tol_pct"] + _EPS
                ctx.append(f"{rpts:+,g} points on the {d0:%Y-%m-%d} close {_fmt(q0)} = {_pct(implied)}"
                           + (f", consistent with the reported {_pct(rp)}" if same else
                              (f", not the reported {_pct(rp)}" if rp is not None and not np.isnan(rp) else "")))
        except _NeedsData as inner:
            ctx.append(f"no daily context either: {inner.args[0]}")
        raise _NeedsData("; ".join(ctx)) from None


def check_claims(claims: pd.DataFrame | str | os.PathLike, source=None, *,
                 on_fetch_error: str = "needs-data", proxies=None) -> pd.DataFrame:
    """Check every claim against ``source`` (default: the bundled snapshot).

    An invalid row or a price the source lacks never stops the others: that claim gets the verdict
    ``needs-data``. A ticker the source could not reach (:class:`~eventstudy.errors.PriceFetchError`,
    e.g. Yahoo Finance offline) is asked for once; what follows depends on ``on_fetch_error``.

    Parameters
    ----------
    claims : pandas.DataFrame or str or os.PathLike
        A frame from :func:`load_claims`, or a path, which is read with :func:`load_claims`
        (``strict=False``, registry instruments only).
    source : PriceSource, optional
        Where daily closes and intraday bars come from; None for the bundled snapshot.
    on_fetch_error : {"needs-data", "raise"}, default "needs-data"
        ``"needs-data"``: the claims of a ticker that could not be fetched get ``needs-data``, the
        detail saying why. ``"raise"``: every claim is still checked (so that every such ticker is
        found), then a :class:`~eventstudy.errors.PriceFetchError` is raised whose ``failures``
        maps each ticker that could not be fetched to its cause (one line each in the message),
        and nothing is returned, even when other tickers were fetched or cached.
    proxies : pandas.DataFrame or str or os.PathLike, optional
        The proxies table for claims naming a ``proxy``: a frame from
        :func:`~eventstudy.claims.proxies.load_proxies` or the path of a proxies CSV; None for the
        bundled table (``eventstudy/data/proxies.csv``). A table without the claim's (instrument,
        proxy) pair leaves the claim ``needs-data``, saying so.

    Returns
    -------
    pandas.DataFrame
        One row per claim, in input order, columns :data:`RESULT_COLUMNS`: ``measured_pct``/
        ``measured_level`` are what the instrument's own prices say for the claim's basis (NaN
        when they cannot say), ``diff_pct`` = measured − reported (percentage points), ``verdict``
        one of :data:`VERDICTS` (never ``unplaced``), ``detail`` the exact prices and timestamps
        used, or the data that would settle the claim and the ``eventstudy fetch`` command;
        ``base``, ``flag``, ``proxy``, ``proxy_pct`` as described at :data:`RESULT_COLUMNS`.

    Raises
    ------
    ClaimError
        If ``claims`` is a path that :func:`load_claims` cannot read.
    ProxyError
        If ``proxies`` is a path that :func:`~eventstudy.claims.proxies.load_proxies` rejects.
    PriceFetchError
        With ``on_fetch_error="raise"``, if the source could not be reached for some ticker.
    SpecificationError
        If ``on_fetch_error`` is neither ``"needs-data"`` nor ``"raise"``.
    """
    if on_fetch_error not in ("needs-data", "raise"):
        raise SpecificationError(f"on_fetch_error={on_fetch_error!r}; use 'needs-data' or 'raise'")
    if isinstance(claims, (str, os.PathLike)):
        claims = load_claims(claims)
    if source is None:
        from ..prices.bundled import BundledSource

        source = BundledSource()
    if proxies is None or isinstance(proxies, (str, os.PathLike)):
        proxies = load_proxies(proxies)
    chk = _Checker(source)
    rows = [_check_one(c, chk, proxies) for _, c in claims.iterrows()]
    if chk.unreachable and on_fetch_error == "raise":
        lines = [f"could not fetch {t} from the {source.name} source ({why})" for t, why in chk.unreachable.items()]
        raise PriceFetchError("\n".join(lines), chk.unreachable)
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for col in ("reported_pct", "measured_pct", "diff_pct", "reported_level", "measured_level", "proxy_pct"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out
