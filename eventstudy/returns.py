"""Returns on each instrument's own sessions.

A return is dated by the later session (the "close" convention) and computed between
consecutive rows of that instrument's price series: never across a forward-filled holiday, so no
zero returns are made up. Where the data miss sessions that the instrument's calendar has, the
return spans them and says so (``sessions_spanned > 1``); :func:`session_gaps` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .assets import sessions_for
from .calendars import SessionTable
from .errors import DataError
from .eventtime import ticker_date_order

ReturnKind = Literal["simple", "log"]
RETURN_KINDS: tuple[str, ...] = get_args(ReturnKind)


def compute_returns(
    prices: pd.DataFrame,
    kind: ReturnKind = "simple",
    *,
    price: Literal["adj_close", "close"] = "adj_close",
    sessions: Mapping[str, SessionTable] | None = None,
) -> pd.DataFrame:
    """Daily returns from a daily price frame (``ticker, date, close, adj_close``).

    Each return is between consecutive rows of one ticker (sorted by date), dated by the later row.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily prices with ``ticker``, ``date`` (naive session dates) and the ``price`` column.
    kind : {"simple", "log"}, default "simple"
        ``"simple"``: ``p_t / p_{t-1} - 1``; ``"log"``: ``log(p_t / p_{t-1})``. Decimal fractions,
        not percent.
    price : {"adj_close", "close"}, default "adj_close"
        Which price to use: the adjusted close (total return) or the raw close.
    sessions : mapping of str to SessionTable, optional
        Calendar of each ticker, used to count ``sessions_spanned``. A ticker not in it gets its
        registered exchange calendar, else the dates of its own data
        (:func:`eventstudy.assets.sessions_for`).

    Returns
    -------
    pandas.DataFrame
        Columns ``ticker, date, prev_date, ret, sessions_spanned``: one row per price row except
        each ticker's first, sorted by ticker then date. ``sessions_spanned`` counts the
        instrument's calendar sessions from ``prev_date`` (exclusive) to ``date`` (inclusive): 1
        normally, more across a data gap (never less than 1).

    Raises
    ------
    DataError
        If ``kind`` or ``price`` is not one of the allowed values, or the chosen price is missing
        (NaN) on some row.
    """
    if kind not in RETURN_KINDS:
        raise DataError(f"argument kind={kind!r}; pass one of {list(RETURN_KINDS)}")
    if price not in ("adj_close", "close"):
        raise DataError(f"argument price={price!r}; pass 'adj_close' (total return) or 'close' (raw)")
    day = prices["date"].to_numpy()
    codes, order = ticker_date_order(prices["ticker"], day.astype("datetime64[ns]"))
    tick, p = prices["ticker"].astype(str).array, prices[price].to_numpy(dtype=float)  # names as str, whatever came
    if order is not None:
        codes, tick, day, p = codes[order], tick.take(order), day[order], p[order]
    if np.isnan(p).any():
        i = int(np.flatnonzero(np.isnan(p))[0])
        raise DataError(f"{price} is missing for {tick[i]} on {pd.Timestamp(day[i]):%Y-%m-%d}; "
                        "use price='adj_close' or drop that ticker")
    same = codes[1:] == codes[:-1]
    rows = np.flatnonzero(same) + 1  # every row but each ticker's first, and the row before it
    ratio = p[rows] / p[rows - 1]
    out = pd.DataFrame({"ticker": tick.take(rows), "date": day[rows], "prev_date": day[rows - 1],
                        "ret": ratio - 1.0 if kind == "simple" else np.log(ratio)})
    sessions = dict(sessions or {})
    spans = np.ones(len(out), dtype=np.int64)
    out_codes = codes[rows]
    bounds = np.flatnonzero(np.diff(out_codes)) + 1
    run_start, run_end = (np.r_[0, bounds], np.r_[bounds, len(out)]) if len(out) else (bounds, bounds)  # per ticker
    tables: dict[int, tuple[SessionTable, list[int]]] = {}  # one search per distinct calendar
    for r, (a, b) in enumerate(zip(run_start.tolist(), run_end.tolist())):
        ticker = tick[rows[a]]
        table = sessions.get(ticker)
        if table is None:
            first, last = rows[a] - 1, rows[b - 1]
            table = sessions_for(ticker, day[first:last + 1])
        tables.setdefault(id(table), (table, []))[1].append(r)
    date_ns = out["date"].to_numpy().astype("datetime64[ns]").view(np.int64)
    prev_ns = out["prev_date"].to_numpy().astype("datetime64[ns]").view(np.int64)
    for table, runs in tables.values():
        idx = (slice(run_start[runs[0]], run_end[runs[0]]) if len(runs) == 1 else
               np.concatenate([np.arange(run_start[r], run_end[r]) for r in runs]))
        s = table.sessions.asi8
        spans[idx] = np.maximum(np.searchsorted(s, date_ns[idx], side="right")
                                - np.searchsorted(s, prev_ns[idx], side="right"), 1)
    out["sessions_spanned"] = spans
    return out


def session_gaps(prices: pd.DataFrame, sessions: Mapping[str, SessionTable] | None = None) -> pd.DataFrame:
    """Calendar sessions with no price, between each ticker's first and last row (``ticker, date``).

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily prices with ``ticker`` and ``date`` (naive session dates).
    sessions : mapping of str to SessionTable, optional
        Calendar of each ticker; a ticker not in it gets its registered exchange calendar, else the
        dates of its own data (and then has no gaps).

    Returns
    -------
    pandas.DataFrame
        Columns ``ticker, date``: one row per calendar session from the ticker's first to its last
        price date (both inclusive) that has no price row; tickers in order of first appearance,
        dates ascending within a ticker.
    """
    sessions = dict(sessions or {})
    rows = []
    for ticker, grp in prices.groupby("ticker", sort=False):  # one pass, not a filter per ticker
        table = sessions.get(ticker) or sessions_for(ticker, grp["date"])
        expected = table.in_range(grp["date"].min(), grp["date"].max())
        for d in expected.difference(pd.DatetimeIndex(grp["date"])):
            rows.append((ticker, d))
    return pd.DataFrame(rows, columns=["ticker", "date"])
