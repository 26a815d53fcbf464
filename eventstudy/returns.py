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

    Returns a frame ``ticker, date, prev_date, ret, sessions_spanned``: one row per price row
    except each ticker's first. ``sessions_spanned`` counts the instrument's calendar sessions
    from ``prev_date`` (exclusive) to ``date`` (inclusive): 1 normally, more across a data gap.
    """
    if kind not in RETURN_KINDS:
        raise DataError(f"argument kind={kind!r}; pass one of {list(RETURN_KINDS)}")
    if price not in ("adj_close", "close"):
        raise DataError(f"argument price={price!r}; pass 'adj_close' (total return) or 'close' (raw)")
    df = prices.sort_values(["ticker", "date"], kind="mergesort")
    p = df[price].to_numpy(dtype=float)
    if np.isnan(p).any():
        bad = df.loc[np.isnan(p)].iloc[0]
        raise DataError(f"{price} is missing for {bad['ticker']} on {bad['date']:%Y-%m-%d}; "
                        "use price='adj_close' or drop that ticker")
    same = df["ticker"].to_numpy()[1:] == df["ticker"].to_numpy()[:-1]
    ratio = p[1:] / p[:-1]
    ret = ratio - 1.0 if kind == "simple" else np.log(ratio)
    out = pd.DataFrame(
        {
            "ticker": df["ticker"].to_numpy()[1:][same],
            "date": df["date"].to_numpy()[1:][same],
            "prev_date": df["date"].to_numpy()[:-1][same],
            "ret": ret[same],
        }
    )
    sessions = dict(sessions or {})
    spans = np.ones(len(out), dtype=np.int64)
    price_dates = df["date"].to_numpy()
    price_rows = df.groupby("ticker", sort=False).indices
    for ticker, idx in out.groupby("ticker", sort=False).indices.items():
        table = sessions.get(ticker) or sessions_for(ticker, price_dates[price_rows[ticker]])
        s = table.sessions.asi8
        hi = np.searchsorted(s, out["date"].to_numpy()[idx].astype("datetime64[ns]").astype(np.int64), side="right")
        lo = np.searchsorted(s, out["prev_date"].to_numpy()[idx].astype("datetime64[ns]").astype(np.int64),
                             side="right")
        spans[idx] = np.maximum(hi - lo, 1)
    out["sessions_spanned"] = spans
    return out


def session_gaps(prices: pd.DataFrame, sessions: Mapping[str, SessionTable] | None = None) -> pd.DataFrame:
    """Calendar sessions with no price, between each ticker's first and last row (``ticker, date``)."""
    sessions = dict(sessions or {})
    rows = []
    for ticker, grp in prices.groupby("ticker", sort=False):  # one pass, not a filter per ticker
        table = sessions.get(ticker) or sessions_for(ticker, grp["date"])
        expected = table.in_range(grp["date"].min(), grp["date"].max())
        for d in expected.difference(pd.DatetimeIndex(grp["date"])):
            rows.append((ticker, d))
    return pd.DataFrame(rows, columns=["ticker", "date"])
