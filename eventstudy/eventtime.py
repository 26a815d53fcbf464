"""Event-time panel: every (event, asset) member's returns laid out by ``tau`` around its day 0,
the benchmark's returns over the same intervals, and the one clean-estimation mask.

``tau`` counts rows of the asset's own return series (its sessions with a price), so tau = -1 is
the previous session *of that market*, whatever the other markets did. Windows are inclusive at
both ends: ``(-250, -11)`` means sessions -250 through -11.

The market (benchmark) return of a member's row is the market's return over the *same interval*
as the asset's return, ``(prev_date, date]``, compounded over the market's own sessions in that
interval: a Tokyo return from Friday to Tuesday (Monday a Japanese holiday) meets the US market's
Friday-to-Tuesday return, not a single US day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from .arrays import sorted_distinct
from .errors import DataError
from .windows import WINDOW_COLUMNS, EventWindows, Window


class PanelRows(NamedTuple):
    """Where each member's panel row lies in the flat return frame it was gathered from: column j
    of member i is flat row ``start[i] + j`` when that lies in ``[lo[i], hi[i])`` (its asset's rows),
    else missing. Anything known per return row (its date, its day number, whether it lies in an
    event window) becomes an (N, T) panel array by :meth:`take`, so the fit never keeps an (N, T)
    array it can read from the frame's R rows."""

    dates: np.ndarray  # (R,) datetime64[ns] date of each row of the frame
    codes: np.ndarray  # (R,) each row's ticker, a position in ``tickers``
    tickers: pd.Index  # the frame's tickers
    start: np.ndarray  # (N,) flat row of each member's first panel column
    lo: np.ndarray  # (N,) first row of the member's asset
    hi: np.ndarray  # (N,) one past its last row
    memo: dict  # per-row arrays of the frame made once (its ReturnRows' memo): shared by every block

    def take(self, flat: np.ndarray, cols: slice | np.ndarray, fill) -> np.ndarray:
        """``flat`` (one value per row of the frame) laid out as panel columns ``cols``.

        Parameters
        ----------
        flat : ndarray, shape (R,)
            A value per return row.
        cols : slice or ndarray of int
            Panel columns (a slice with a start and a stop, step 1: consecutive columns copied
            row by row as a block).
        fill : scalar
            Value of the cells without a row (before the asset's first or after its last return).

        Returns
        -------
        ndarray, shape (N, number of columns)
        """
        if isinstance(cols, slice):
            first, width = cols.start, cols.stop - cols.start
            start = self.start + first
            out = row_windows(flat, start, width, fill)
            edge = np.flatnonzero((start < self.lo) | (start + width > self.hi))
            if edge.size:
                cells = start[edge, None] + np.arange(width)[None, :]
                rows = out[edge]
                rows[(cells < self.lo[edge, None]) | (cells >= self.hi[edge, None])] = fill
                out[edge] = rows
            return out
        pos = self.start[:, None] + np.asarray(cols, dtype=np.int64)[None, :]
        out = flat[np.clip(pos, 0, max(len(flat) - 1, 0))] if len(flat) else np.full(pos.shape, fill)
        out[(pos < self.lo[:, None]) | (pos >= self.hi[:, None])] = fill
        return out

    def subset(self, keep: np.ndarray) -> PanelRows:
        """The rows of the members ``keep`` (a boolean or integer index).

        Parameters
        ----------
        keep : ndarray
            Members to keep.

        Returns
        -------
        PanelRows
        """
        return self._replace(start=self.start[keep], lo=self.lo[keep], hi=self.hi[keep])

    def flat_inside(self, window_days: pd.DataFrame) -> np.ndarray:
        """Which rows of the frame lie inside some event window of their asset (:meth:`flat_in` of
        ``window_days``), made once per frame and ``window_days``: every block of a study reads it.

        Parameters
        ----------
        window_days : DataFrame
            ``asset, date`` of every event-window session.

        Returns
        -------
        ndarray of bool, shape (R,)
        """
        known = self.memo.get("inside")
        if known is None or known[0] is not window_days:
            inside = self.flat_in(window_days["asset"].to_numpy(), window_days["date"].to_numpy())
            inside.flags.writeable = False  # shared by every block: read, never worked in place
            known = (window_days, inside)
            self.memo["inside"] = known
        return known[1]

    def day_numbers(self, calendar_days: bool) -> np.ndarray:
        """:func:`day_numbers` of the frame's rows, made once per frame and convention.

        Parameters
        ----------
        calendar_days : bool
            Count calendar days instead of weekdays.

        Returns
        -------
        ndarray of int64, shape (R,)
        """
        key = ("day_numbers", bool(calendar_days))
        if key not in self.memo:
            numbers = day_numbers(self.dates, calendar_days)
            numbers.flags.writeable = False  # shared by every block: read, never worked in place
            self.memo[key] = numbers
        return self.memo[key]

    def flat_in(self, assets, dates) -> np.ndarray:
        """Which rows of the frame are one of the (asset, date) pairs given.

        Parameters
        ----------
        assets : array-like of str
            Tickers (those the frame lacks are ignored).
        dates : array-like of datetime64
            Dates (their day is compared).

        Returns
        -------
        ndarray of bool, shape (R,)
        """
        code = self.tickers.get_indexer(pd.Index(assets, dtype=object, copy=False))
        day = np.asarray(dates).astype("datetime64[D]").view(np.int64)[code >= 0]
        code = code[code >= 0].astype(np.int64)
        flat_day = self.dates.astype("datetime64[D]").view(np.int64)
        nat = flat_day == np.iinfo(np.int64).min
        if not code.size or nat.all():
            return np.zeros(len(flat_day), dtype=bool)
        base = min(int(flat_day[~nat].min()), int(day.min()))
        width = max(int(flat_day[~nat].max()), int(day.max())) - base + 1
        want = np.sort(code * width + (day - base))  # (asset, day) keys, sorted
        key = self.codes.astype(np.int64) * width + (flat_day - base)
        pos = np.minimum(np.searchsorted(want, key), want.size - 1)
        return (want[pos] == key) & ~nat

    @classmethod
    def of_members(cls, rr: ReturnRows, mr: MemberRows, first: int = 0) -> PanelRows:
        """The rows of members found in a grouped return frame, sharing the frame's memo.

        Parameters
        ----------
        rr : ReturnRows
            The grouped return frame.
        mr : MemberRows
            The members' rows in it (:func:`member_rows`).
        first : int, default 0
            The tau of the panel's first column (each member's row starts that many rows from day 0).

        Returns
        -------
        PanelRows
        """
        return cls(rr.instants, rr.codes, rr.tickers, mr.pos0 + first, mr.lo, mr.hi, rr.memo)

    @classmethod
    def of_dates(cls, dates: np.ndarray, assets) -> PanelRows:
        """Rows of a panel whose (N, T) dates are in hand rather than in a return frame: each
        member's row is its own run of T flat rows.

        Parameters
        ----------
        dates : ndarray of datetime64, shape (N, T)
            The members' dates (NaT where a row does not exist).
        assets : array-like of str, shape (N,)
            Each member's asset (for :meth:`flat_in`).

        Returns
        -------
        PanelRows
        """
        n, t = dates.shape
        codes, tickers = pd.factorize(pd.Index(assets, dtype=object, copy=False))
        start = np.arange(n, dtype=np.int64) * t
        return cls(np.asarray(dates).ravel(), np.repeat(codes, t), pd.Index(tickers), start, start, start + t, {})


def own_bounds(members: pd.DataFrame) -> np.ndarray:
    """Each member's own window (``window_start``, ``window_end``) as an (N, 2) float array, NaN
    where the member's event has none (or the catalog has no such columns).

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member.

    Returns
    -------
    ndarray of float, shape (N, 2)
    """
    if not all(c in members.columns for c in WINDOW_COLUMNS):
        return np.full((len(members), 2), np.nan)
    return members[list(WINDOW_COLUMNS)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def own_window_mask(bounds: np.ndarray, taus: np.ndarray, w: Window) -> np.ndarray | None:
    """Which of ``taus`` lie in each member's own window (an (N, L) mask) when ``w`` is the events'
    own windows (:class:`~eventstudy.windows.EventWindows`); None for an ordinary window.

    Parameters
    ----------
    bounds : ndarray, shape (N, 2)
        Each member's own window (:func:`own_bounds`); NaN: its event has none, so no tau is in it.
    taus : ndarray of int
        The window's offsets.
    w : Window
        The window.

    Returns
    -------
    ndarray of bool, shape (N, L), or None
    """
    if not isinstance(w, EventWindows):
        return None
    t = np.asarray(taus, dtype=float)[None, :]
    return (t >= bounds[:, [0]]) & (t <= bounds[:, [1]])  # NaN bounds compare False: no offset


@dataclass(frozen=True)
class EventTimePanel:
    """Wide event-time arrays, one row per member (an (event_id, asset) pair).

    Built by :func:`build_panel`; column j of every (N, T) array is ``tau = taus[j]``.
    """

    members: pd.DataFrame  # event_id, asset, day0 (+ group columns), one row per member
    taus: np.ndarray  # (T,) every tau from the first estimation to the last event offset
    ret: np.ndarray  # (N, T) asset returns, NaN where the row does not exist
    mkt: np.ndarray  # (N, T) market returns over the same intervals (NaN without a market)
    rows: PanelRows  # where each member's row lies in the return frame (its dates, its day numbers)
    factors: np.ndarray | None = None  # (N, T, F) factor returns over the same intervals
    factor_names: tuple[str, ...] = ()
    spans: np.ndarray | None = None  # (N, T) sessions each return spans (> 1 across a missing price)

    @cached_property
    def dates(self) -> np.ndarray:
        """(N, T) datetime64 session dates of the rows (NaT where none), made when first asked:
        the fit reads only the columns it needs (:meth:`dates_at`)."""
        return self.dates_at(slice(0, len(self.taus)))

    def dates_at(self, cols: slice | np.ndarray) -> np.ndarray:
        """The dates of panel columns ``cols`` (NaT where a member has no row).

        Parameters
        ----------
        cols : slice or ndarray of int
            Panel columns.

        Returns
        -------
        ndarray of datetime64, shape (N, number of columns)
        """
        return self.rows.take(self.rows.dates, self._columns(cols), np.datetime64("NaT"))

    def _columns(self, cols: slice | np.ndarray) -> slice | np.ndarray:
        """Panel columns with a slice's open ends made explicit (``slice(None)``: every column), an
        array of them as positions (negative positions and boolean masks as numpy reads them)."""
        if isinstance(cols, slice):
            start, stop, step = cols.indices(len(self.taus))
            return slice(start, max(stop, start)) if step == 1 else np.arange(start, stop, step)
        return np.arange(len(self.taus))[np.asarray(cols)]  # numpy's own indexing: negative, boolean, bounds

    def cols(self, w: Window) -> np.ndarray:
        """Positions of the columns whose tau lies in ``w`` (inclusive)."""
        return np.flatnonzero((self.taus >= w[0]) & (self.taus <= w[1]))

    def in_window(self, w: Window) -> np.ndarray | None:
        """Which of ``cols(w)`` lie in each member's own window: an (N, L) mask for the events' own
        windows (:class:`~eventstudy.windows.EventWindows`, from the members' ``window_start`` and
        ``window_end``; a member without one has none), None for an ordinary window (every column)."""
        return own_window_mask(own_bounds(self.members), self.taus[self.cols(w)], w)

    def span(self, w: Window) -> slice:
        """The columns of ``w`` as a slice: ``ret[:, span]`` is a view, not a copy (taus are consecutive)."""
        c = self.cols(w)
        return slice(int(c[0]), int(c[-1]) + 1) if c.size else slice(0, 0)


def market_over_intervals(
    market: pd.DataFrame, prev_dates: np.ndarray, dates: np.ndarray, kind: str
) -> np.ndarray:
    """Market return over each ``(prev_date, date]`` interval, compounded over the market's sessions.

    The market's returns are summed as log returns over its sessions whose date lies in the
    interval and converted back. NaN where the interval is not covered by the market's data
    (before its first return's previous close or after its last date), never a made-up zero.
    An interval inside the data in which the market has no session gets 0 (the market did not trade).

    Parameters
    ----------
    market : DataFrame
        Return frame of the market: ``date, ret`` and, if present, ``prev_date`` (the previous
        close of the first row marks where the data begin).
    prev_dates, dates : ndarray of datetime64
        Start (exclusive) and end (inclusive) of each interval, same shape.
    kind : {"simple", "log"}
        How the returns are expressed; ``"simple"`` returns are compounded, ``"log"`` summed.

    Returns
    -------
    ndarray of float
        The market return over each interval, shape of ``dates``, in the same ``kind``.
    """
    m = market.sort_values("date")
    logs = np.log1p(m["ret"].to_numpy()) if kind == "simple" else m["ret"].to_numpy()
    cum = np.concatenate([[0.0], np.cumsum(logs)])
    mdates = m["date"].to_numpy().astype("datetime64[ns]")
    hi = np.searchsorted(mdates, dates.astype("datetime64[ns]"), side="right")
    lo = np.searchsorted(mdates, prev_dates.astype("datetime64[ns]"), side="right")
    out = cum[hi] - cum[lo]
    first = m["prev_date"].to_numpy().astype("datetime64[ns]")[0] if "prev_date" in m and len(m) else mdates[0]
    outside = (prev_dates.astype("datetime64[ns]") < first) | (dates.astype("datetime64[ns]") > mdates[-1])
    out = np.where(outside, np.nan, out)
    return np.expm1(out) if kind == "simple" else out


MARKET_COLUMN = "_market_ret"
FACTOR_COLUMN = "_factor_ret:"


def interval_returns(r: pd.DataFrame | ReturnRows, series: str | Mapping[str, str], kind: str) -> np.ndarray:
    """For each row of a return frame, the return of its benchmark over the row's ``(prev_date, date]``.

    The benchmark's rows themselves get its own return; rows of a ticker without a benchmark
    (in a mapping) stay NaN. See :func:`market_over_intervals`.

    Parameters
    ----------
    r : DataFrame or ReturnRows
        Return frame ``ticker, date, prev_date, ret`` with each ticker's rows together in date
        order (or that frame grouped by :func:`return_rows`).
    series : str or Mapping[str, str]
        The benchmark: one ticker for every row, or a mapping ticker -> benchmark ticker.
    kind : {"simple", "log"}
        How the returns are expressed.

    Returns
    -------
    ndarray of float, shape (len(r),)
        The benchmark return over each row's interval (NaN where not covered or without benchmark).

    Raises
    ------
    DataError
        A benchmark (or factor) ticker has no returns in ``r``.
    """
    rr = return_rows(r)
    r, rdates = rr.frame, rr.instants
    groups = {t: np.arange(a, a + n) for t, a, n in zip(rr.tickers, rr.first.tolist(), rr.length.tolist())}
    prev = r["prev_date"].to_numpy().astype("datetime64[ns]")
    own = r["ret"].to_numpy()
    bench = series if isinstance(series, Mapping) else dict.fromkeys(groups, series)
    flat = np.full(len(r), np.nan)
    rows_of_bench: dict[str, list[np.ndarray]] = {}
    for ticker, idx in groups.items():
        b = bench.get(ticker)
        if b is None:
            continue  # an asset without a benchmark (only benchmarks themselves, or unused tickers)
        if b not in groups:
            raise DataError(f"benchmark/factor {b!r} has no returns in the price data")
        if ticker == b:
            flat[idx] = own[idx]
        else:
            rows_of_bench.setdefault(b, []).append(idx)
    for b, parts in rows_of_bench.items():  # every asset row of one benchmark in one pass
        idx = np.concatenate(parts)
        market = r.iloc[groups[b]][["date", "prev_date", "ret"]]
        flat[idx] = market_over_intervals(market, prev[idx], rdates[idx], kind)
    return flat


def with_interval_returns(returns: pd.DataFrame, market, factors: Sequence[str], kind: str) -> pd.DataFrame:
    """The return frame with the benchmark and factor returns over each row's interval as columns.

    Each ticker's rows together in date order (:func:`return_rows`), so that
    :func:`build_panel` of many blocks compounds the benchmark returns once instead of once per block.

    Parameters
    ----------
    returns : DataFrame
        ``ticker, date, prev_date, ret`` (from :func:`eventstudy.compute_returns`).
    market : str, Mapping[str, str] or None
        The benchmark ticker, or a mapping asset -> benchmark; None: the market column is all NaN.
    factors : Sequence[str]
        Factor tickers; each gets its own column.
    kind : {"simple", "log"}
        How the returns are expressed.

    Returns
    -------
    DataFrame
        ``returns`` by ticker and date with a new index, plus the column ``_market_ret``
        (:data:`MARKET_COLUMN`) and one ``_factor_ret:<ticker>`` (:data:`FACTOR_COLUMN`) per factor.

    Raises
    ------
    DataError
        A benchmark or factor ticker has no returns (:func:`interval_returns`).
    """
    rr = return_rows(returns)  # grouped once for the market and every factor
    r = rr.frame.copy()
    r[MARKET_COLUMN] = interval_returns(rr, market, kind) if market is not None else np.nan
    for f in factors:
        r[FACTOR_COLUMN + f] = interval_returns(rr, f, kind)
    return r


def rows_of(returns: pd.DataFrame | ReturnRows, tickers,
            index: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame | ReturnRows:
    """The rows of ``returns`` whose ticker is one of ``tickers``, in the frame's order (every
    engine, the on-demand views and the placebo test cut their blocks' returns with this).

    Parameters
    ----------
    returns : pandas.DataFrame or ReturnRows
        A return frame with a ``ticker`` column, or one grouped by :func:`return_rows`.
    tickers : iterable of str
        Tickers to keep; those the frame lacks are ignored.
    index : mapping of str to ndarray, optional
        ``returns.groupby("ticker").indices``, when the caller cuts many blocks from one frame
        (a ``ReturnRows`` knows its tickers' rows).

    Returns
    -------
    pandas.DataFrame or ReturnRows
        ``returns`` itself when every ticker is kept, else a slice of its frame.
    """
    if isinstance(returns, ReturnRows):
        codes = returns.tickers.get_indexer(list(dict.fromkeys(tickers)))
        codes = np.sort(codes[codes >= 0])
        if codes.size == len(returns.tickers):
            return returns
        if not codes.size:
            return returns.frame.iloc[:0]
        rows = np.concatenate([np.arange(returns.first[c], returns.first[c] + returns.length[c]) for c in codes])
        return returns.frame.iloc[rows]
    index = returns.groupby("ticker", sort=False).indices if index is None else index
    parts = [index[t] for t in dict.fromkeys(tickers) if t in index]
    if not parts:
        return returns.iloc[:0]
    rows = np.sort(np.concatenate(parts))
    return returns if rows.size == len(returns) else returns.iloc[rows]


def ticker_date_order(tickers, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows sorted by ticker name, then date (stably, as a mergesort): the order the price and
    return frames are kept in.

    Parameters
    ----------
    tickers : array-like of str
        Ticker of each row.
    dates : ndarray of datetime64[ns]
        Date (or instant) of each row.

    Returns
    -------
    codes : ndarray of int
        Each row's ticker numbered in name order (in the input's row order).
    order : ndarray of int or None
        The positions that sort the rows, or None when they already are in that order.
    """
    codes, _ = pd.factorize(pd.Index(tickers, copy=False), sort=True)  # an Index: any array of names
    ns = dates.view(np.int64)
    step = codes[1:] - codes[:-1]
    if bool(((step > 0) | ((step == 0) & (ns[1:] >= ns[:-1]))).all()):
        return codes, None
    return codes, np.lexsort((ns, codes))


def _in_ticker_time_order(returns: pd.DataFrame, codes: np.ndarray) -> bool:
    """Whether each ticker's rows (``codes``: numbered in order of appearance) are together and in
    strictly increasing time order."""
    step = np.diff(codes)
    instants = returns["date"].to_numpy().astype("datetime64[ns]").view(np.int64)
    return bool((step >= 0).all()) and bool((np.diff(instants)[step == 0] > 0).all())


def row_windows(flat: np.ndarray, start: np.ndarray, width: int, fill) -> np.ndarray:
    """``flat[start[i] : start[i] + width]`` for every i, as an (N, width) array: each row copied
    from a sliding-window view of ``flat`` (a block copy, not ``width`` gathers; no copy of
    ``flat`` itself); cells before the start or past the end of ``flat`` hold ``fill``.

    Parameters
    ----------
    flat : ndarray, shape (R,)
        A column.
    start : ndarray of int, shape (N,)
        First position of each row, from ``-width`` to ``len(flat)``.
    width : int
        Length of each row.
    fill : scalar
        Value of the cells outside ``flat``.

    Returns
    -------
    ndarray, shape (N, width)
    """
    start = np.asarray(start, dtype=np.int64)
    n_flat = len(flat)
    if n_flat < width:  # a column shorter than a row: every row runs past an end
        out = np.full((len(start), width), fill, dtype=flat.dtype)
        cut = np.arange(len(start))
    else:  # the column itself, not a padded copy of it (a block engine cuts many panels from one frame)
        out = np.lib.stride_tricks.sliding_window_view(flat, width)[np.clip(start, 0, n_flat - width)]
        cut = np.flatnonzero((start < 0) | (start + width > n_flat))
    if cut.size:  # rows that run past either end of the column: copied cell by cell
        pos = start[cut, None] + np.arange(width)[None, :]
        inside = (pos >= 0) & (pos < n_flat)
        out[cut] = np.where(inside, flat[np.clip(pos, 0, max(n_flat - 1, 0))] if n_flat else fill, fill)
    return out


def build_panel(
    returns: pd.DataFrame | ReturnRows,
    members: pd.DataFrame,
    taus: tuple[int, int],
    *,
    market: str | Mapping[str, str] | None = None,
    factors: Sequence[str] = (),
    kind: str = "simple",
) -> EventTimePanel:
    """Gather each member's returns for ``tau`` in ``taus`` (inclusive) around its day 0.

    ``tau`` counts rows of the asset's own return series, ``tau = 0`` being its day-0 row. Cells
    whose row lies before the asset's first or after its last return are missing: NaN returns,
    NaT dates, 0 sessions spanned. When ``returns`` already carries the interval-return columns
    of :func:`with_interval_returns`, those are used instead of compounding again.

    Parameters
    ----------
    returns : DataFrame or ReturnRows
        ``ticker, date, prev_date, ret`` (from :func:`eventstudy.compute_returns`), optionally
        ``sessions_spanned``.
    members : DataFrame
        ``event_id, asset, day0`` (+ group columns); day 0 must be a date with a return of that
        asset (the caller reports members whose day 0 has no price).
    taus : tuple of int
        ``(first, last)`` tau of the panel, inclusive.
    market : str, Mapping[str, str] or None
        Ticker of ``returns`` whose returns are compounded over each asset row's interval; it may
        map each asset to its own benchmark (``{"^N225": "ACWI", "SPY": "VT"}``). None: no market.
    factors : Sequence[str]
        Factor tickers of ``returns``, compounded over each asset row's interval like the market.
    kind : {"simple", "log"}
        How the returns are expressed.

    Returns
    -------
    EventTimePanel
        N = len(members) rows in the order of ``members`` (index reset), T = last - first + 1
        columns: ``ret``, ``mkt``, ``dates`` (N, T), ``factors`` (N, T, F) or None, ``spans``
        (N, T) or None.

    Raises
    ------
    DataError
        A member's asset has no returns, a member has no return on its day 0, or a benchmark or
        factor has no returns.
    """
    rr = return_rows(returns)
    r = rr.frame
    if MARKET_COLUMN in r.columns:  # compounded once for all blocks (with_interval_returns)
        mkt_flat = r[MARKET_COLUMN].to_numpy()
        factor_flat = [r[FACTOR_COLUMN + f].to_numpy() for f in factors]
    else:
        mkt_flat = interval_returns(rr, market, kind) if market is not None else np.full(len(r), np.nan)
        factor_flat = [interval_returns(rr, f, kind) for f in factors]
    mr = member_rows(rr, members)
    lo, hi = mr.lo, mr.hi
    if (lo == hi).any():
        bad = members.loc[lo == hi].iloc[0]
        raise DataError(f"member ({bad['event_id']}, {bad['asset']}): the asset has no returns")
    found = mr.at_day0()
    if not found.all():
        bad = members.loc[~found].iloc[0]
        raise DataError(
            f"member ({bad['event_id']}, {bad['asset']}): no return on day 0 {pd.Timestamp(bad['day0']):%Y-%m-%d}; "
            "its price is missing that session"
        )
    tau = np.arange(taus[0], taus[1] + 1)
    # each member's row of the panel is a run of consecutive rows of the frame: copied as a window
    # of the flat column (no (N, T) index array); cells past its asset's first or last row are blanked
    rows = PanelRows.of_members(rr, mr, int(tau[0]))
    every = slice(0, tau.size)
    ret = rows.take(r["ret"].to_numpy(), every, np.nan)
    mkt = rows.take(mkt_flat, every, np.nan)
    spans = None
    if "sessions_spanned" in r.columns:
        col = r["sessions_spanned"].to_numpy()
        small = np.result_type(np.int16, np.min_scalar_type(int(col.max()))) if col.size and col.min() >= 0 \
            else col.dtype  # a small count: int16 unless it needs more
        spans = rows.take(col.astype(small, copy=False), every, 0)
    fac = None
    if factors:
        fac = np.stack([rows.take(f, every, np.nan) for f in factor_flat], axis=-1)
    return EventTimePanel(members.reset_index(drop=True), tau, ret, mkt, rows, fac, tuple(factors), spans)


def window_day_mask(panel: EventTimePanel, cols: slice | np.ndarray, window_days: pd.DataFrame) -> np.ndarray:
    """The one clean-estimation mask: True where a member's row (of the panel columns ``cols``)
    falls on a day inside some event window on the member's asset.

    ``window_days`` (``asset, date``, from :func:`event_window_days`) lists every session inside the
    event windows of the study's members on each asset. A member's own event window never overlaps
    its own estimation window (the study requires the estimation window to end before the first
    event offset), so on the estimation columns the mask marks exactly the days inside *other*
    events' windows on the same asset: events days or weeks apart have their windows inside each
    other's estimation windows. Every engine and the placebo test use this function.

    Parameters
    ----------
    panel
        The event-time panel (or a panel of whole return series, one row per asset).
    cols
        Panel columns to test (the estimation window's, or all).
    window_days
        ``asset, date`` of every event-window session; may hold assets the panel lacks.

    Returns
    -------
    ndarray of bool, shape (N, number of columns).

    Each return row of the frame is marked once (R rows), then laid out as the panel's columns:
    no date arithmetic on the (N, M) cells.
    """
    rows = panel.rows  # each return row of the frame: inside some window of its asset?
    return rows.take(rows.flat_inside(window_days), panel._columns(cols), False)


class ReturnRows(NamedTuple):
    """A return frame with each ticker's rows together in date order, and where each ticker's
    rows lie (:func:`return_rows`): computed once, then every member search, panel and block of a
    fit reads it instead of grouping the frame again."""

    frame: pd.DataFrame  # the frame in ticker and time order, fresh index
    codes: np.ndarray  # (R,) each row's ticker, numbered in order of appearance
    tickers: pd.Index  # the tickers, in that order
    first: np.ndarray  # (K,) first row of each ticker
    length: np.ndarray  # (K,) its number of rows
    instants: np.ndarray  # (R,) datetime64[ns] of the rows
    memo: dict  # per-row arrays made once for every panel of this frame (:class:`PanelRows`)


def return_rows(returns: pd.DataFrame | ReturnRows) -> ReturnRows:
    """The return frame grouped by ticker and date (:class:`ReturnRows`); given one, itself.

    Parameters
    ----------
    returns : DataFrame or ReturnRows
        ``ticker, date, ...`` in any row order (sorted by ticker and date only when each ticker's
        rows are not already together in strictly increasing date order).

    Returns
    -------
    ReturnRows
    """
    if isinstance(returns, ReturnRows):
        return returns
    codes, tickers = pd.factorize(returns["ticker"], sort=False)
    if _in_ticker_time_order(returns, codes):
        r = returns if isinstance(returns.index, pd.RangeIndex) and returns.index.start == 0 and \
            returns.index.step == 1 else returns.reset_index(drop=True)
    else:
        r = returns.sort_values(["ticker", "date"], kind="mergesort").reset_index(drop=True)
        codes, tickers = pd.factorize(r["ticker"], sort=False)
    length = np.bincount(codes, minlength=len(tickers))
    first = (np.cumsum(length) - length).astype(np.int64)
    return ReturnRows(r, codes, pd.Index(tickers), first, length,
                      r["date"].to_numpy().astype("datetime64[ns]"), {})




class MemberRows(NamedTuple):
    """Where each member's rows lie in a return frame grouped by ticker and date
    (:func:`member_rows`): every per-member search of the preparation step at once, not per asset."""

    dates: np.ndarray  # (R,) datetime64[D] of the frame's rows
    pos0: np.ndarray  # (N,) row of each member's day 0 (its insertion point if day 0 is not a row)
    lo: np.ndarray  # (N,) first row of the member's asset (lo == hi: the asset has no returns)
    hi: np.ndarray  # (N,) one past its last row
    rank: np.ndarray  # (N,) the member's asset, numbered in order of first appearance among the members
    day0: np.ndarray  # (N,) datetime64[D] of each member's day 0 (NaT: none)

    def at_day0(self) -> np.ndarray:
        """Whether each member's day 0 is one of its asset's return rows.

        Returns
        -------
        ndarray of bool, shape (N,)
        """
        if not len(self.dates):
            return np.zeros(len(self.day0), dtype=bool)
        return (self.pos0 < self.hi) & (self.dates[np.minimum(self.pos0, len(self.dates) - 1)] == self.day0)

    def take(self, idx: np.ndarray) -> MemberRows:
        """The rows of members ``idx`` (in that order), as :func:`member_rows` of those members
        would find them: the assets renumbered in order of first appearance among them.

        Parameters
        ----------
        idx : ndarray of int
            Member positions.

        Returns
        -------
        MemberRows
        """
        idx = np.asarray(idx, dtype=np.int64)
        rank = pd.factorize(self.rank[idx], sort=False)[0]  # renumbered in order of first appearance
        return MemberRows(self.dates, self.pos0[idx], self.lo[idx], self.hi[idx], rank, self.day0[idx])


def member_rows(returns: pd.DataFrame | ReturnRows, members: pd.DataFrame) -> MemberRows:
    """Each member's day-0 row and its asset's block of rows in ``returns``, found in one search.

    Parameters
    ----------
    returns : DataFrame or ReturnRows
        ``ticker, date``; rows in any order (searched as :func:`return_rows` orders them, without
        a copy when each ticker's rows are already together in date order).
    members : DataFrame
        ``asset, day0``.

    Returns
    -------
    MemberRows
        Row positions in ``return_rows(returns).frame``.
    """
    rr = return_rows(returns)
    if "row_key" not in rr.memo:  # the frame's days and search keys, made once for every call on it
        days = rr.instants.astype("datetime64[D]")
        dv = days.view(np.int64)
        first_day, last_day = (int(dv.min()), int(dv.max())) if dv.size else (0, 0)
        width = last_day - first_day + 3  # a day before the first and after the last fit in each ticker's run
        # increasing: tickers' blocks in order, dates within each
        key = rr.codes.astype(np.int64) * width + (dv - first_day + 1)
        days.flags.writeable = key.flags.writeable = False  # shared by every later call: read only
        rr.memo["row_key"] = (days, first_day, last_day, width, key)
    days, first_day, last_day, width, key = rr.memo["row_key"]
    code = rr.tickers.get_indexer(members["asset"])
    first, length = (rr.first, rr.length) if len(rr.tickers) else (np.zeros(1, np.int64), np.zeros(1, np.int64))
    lo = np.where(code >= 0, first[np.maximum(code, 0)], 0)
    hi = np.where(code >= 0, lo + length[np.maximum(code, 0)], 0)
    day0 = pd.to_datetime(members["day0"].to_numpy()).to_numpy().astype("datetime64[D]")
    d0 = np.where(np.isnat(day0), first_day, day0.view(np.int64))  # NaT: no row (at_day0 says so)
    d0 = np.clip(d0, first_day - 1, last_day + 1)  # a day outside the data: before or after every row
    pos0 = np.searchsorted(key, np.maximum(code, 0).astype(np.int64) * width + (d0 - first_day + 1))
    pos0 = np.clip(pos0, lo, hi)
    return MemberRows(days, pos0, lo, hi, pd.factorize(members["asset"], sort=False)[0], day0)


def event_window_days(returns: pd.DataFrame | ReturnRows, members: pd.DataFrame,
                      windows: Sequence[Window], *, rows: MemberRows | None = None) -> pd.DataFrame:
    """Every session inside some member's event window, on the asset's own return rows.

    Parameters
    ----------
    returns
        ``ticker, date`` of every return row (:func:`eventstudy.compute_returns`).
    members
        ``asset, day0`` of the members (day 0 must be a return row of the asset).
    windows
        The study's event windows; their union is used.
    rows
        :func:`member_rows` of these members, when the caller has it (else searched here).

    Returns
    -------
    DataFrame ``asset, date`` (datetime64[ns]), no (N, T) panel built.
    """
    taus = np.unique(np.concatenate([np.arange(w[0], w[1] + 1) for w in windows]))
    mr = member_rows(returns, members) if rows is None else rows
    pos = mr.pos0[:, None] + taus[None, :]
    ok = (pos >= mr.lo[:, None]) & (pos < mr.hi[:, None])
    rank = np.broadcast_to(mr.rank[:, None], pos.shape)[ok]
    key = sorted_distinct(rank.astype(np.int64) * (len(mr.dates) + 1) + pos[ok])  # assets in the members' order
    rows = key % (len(mr.dates) + 1)
    assets = pd.unique(members["asset"]).astype(object) if len(members) else np.array([], dtype=object)
    return pd.DataFrame({"asset": np.asarray(assets, dtype=object)[key // (len(mr.dates) + 1)],
                         "date": mr.dates[rows].astype("datetime64[ns]")})


class OffsetGrid(NamedTuple):
    """The event-time grid of a study's estimation rows: offsets ``lo`` .. ``hi`` from day 0, in
    business days, or in calendar days when some member has weekend rows (``calendar_days``). One
    convention for every member, so a column of the grid is the same distance from day 0 for all."""

    lo: int
    hi: int
    calendar_days: bool = False


def event_offsets(dates: np.ndarray, anchor: np.ndarray, calendar_days: bool = False) -> np.ndarray:
    """Each row's offset from its member's anchor: business days (a holiday is a skipped day, not
    a shift: a New York and a Tokyo market stay aligned day by day across each other's holidays,
    and a Tokyo day 0 one session after New York's stays one business day after it across a
    weekend), or calendar days when the study has weekend rows (a seven-day market, an intraday
    study's bar labels; :func:`estimation_grid` decides once for the whole study).

    The anchor is the date from which the member's day-0 rule starts
    (:func:`eventstudy.alignment.day0_anchors`): day 0 itself, unless a holiday of that market
    pushed day 0 later. Offsets from it pair the rows that the same news, moved back by whole
    days, would have hit on each market, so a member whose day 0 a holiday delayed is not shifted
    a day against the others for its whole estimation window.

    The test battery aligns the members' estimation rows on these offsets ("event time").

    Parameters
    ----------
    dates : ndarray of datetime64, shape (N, M)
        Calendar dates of the rows, NaT where a row does not exist.
    anchor : ndarray of datetime64, shape (N,)
        Each member's anchor (its day 0 when no holiday intervened).
    calendar_days : bool, default False
        Count calendar days instead of business days.

    Returns
    -------
    ndarray of int64, shape (N, M)
        Offsets (negative before the anchor); :data:`NO_OFFSET` where the date is NaT.

    Raises
    ------
    DataError
        A weekend row when counting business days (it has no business-day offset).
    """
    return offsets_from(day_numbers(dates, calendar_days), anchor, calendar_days)


WEEKEND_ROW = np.iinfo(np.int64).min + 1
"""The day number of a weekend row on a business-day grid (:func:`day_numbers`): it has none."""


def day_numbers(dates: np.ndarray, calendar_days: bool = False) -> np.ndarray:
    """Each date as a count of days (calendar days) or weekdays (:func:`weekdays_before`), so that
    the offset of a row from an anchor is a difference of two numbers (:func:`offsets_from`).
    Computed once per row of a return frame, then laid out as panel columns
    (:meth:`PanelRows.take`), instead of on every cell of an (N, M) panel.

    Parameters
    ----------
    dates : ndarray of datetime64
        Dates, NaT where a row does not exist.
    calendar_days : bool, default False
        Count calendar days instead of weekdays.

    Returns
    -------
    ndarray of int64, shape of ``dates``
        :data:`NO_OFFSET` where the date is NaT; :data:`WEEKEND_ROW` for a weekend date when
        counting weekdays.
    """
    d = np.asarray(dates).astype("datetime64[D]")
    nat = np.isnat(d)
    t = d.view(np.int64).copy()
    if not calendar_days:
        weekend = (((t + 3) % 7) >= 5) & ~nat
        t = weekdays_before(np.where(nat, np.datetime64(0, "D"), d))
        t[weekend] = WEEKEND_ROW
    t[nat] = NO_OFFSET
    return t


def offsets_from(numbers: np.ndarray, anchor: np.ndarray, calendar_days: bool = False) -> np.ndarray:
    """Offsets of rows from their member's anchor, from their :func:`day_numbers` (worked in place).

    In business days ``-np.busday_count(date, anchor)``: the weekdays in [date, anchor) before
    the anchor and in (anchor, date] after it (which differ only for a weekend anchor).

    Parameters
    ----------
    numbers : ndarray of int64, shape (N, M)
        The rows' day numbers (:func:`day_numbers`, same ``calendar_days``); overwritten.
    anchor : ndarray of datetime64, shape (N,)
        Each member's anchor.
    calendar_days : bool, default False
        The numbers count calendar days.

    Returns
    -------
    ndarray of int64, shape (N, M)
        ``numbers`` itself, now offsets; :data:`NO_OFFSET` where a row does not exist.

    Raises
    ------
    DataError
        A weekend row when counting business days (it has no business-day offset).
    """
    d0 = np.asarray(anchor).astype("datetime64[D]")
    nat = (numbers == NO_OFFSET) | np.isnat(d0)[:, None]  # no row, or no anchor to count from
    if calendar_days:
        numbers -= d0.view(np.int64)[:, None]
    else:
        if (numbers == WEEKEND_ROW).any():
            raise DataError("a weekend row cannot be placed on a business-day grid; the study's grid counts calendar "
                            "days when its members have weekend rows (estimation_grid)")
        a = weekdays_before(d0)
        weekend0 = ((d0.view(np.int64) + 3) % 7) >= 5
        rows = np.flatnonzero(weekend0)  # rare: date-only events on a weekend
        on_or_before = numbers[rows] < a[rows, None]  # a weekday on or before a weekend anchor
        numbers -= (a - weekend0)[:, None]
        numbers[rows] -= on_or_before
    numbers[nat] = NO_OFFSET
    return numbers


def weekdays_before(days: np.ndarray) -> np.ndarray:
    """Monday-to-Friday days from 1969-12-29 (a Monday) up to each date, exclusive: for ``a <= b``,
    ``weekdays_before(b) - weekdays_before(a)`` is ``numpy.busday_count(a, b)`` (default week, no
    holidays) in integer arithmetic (busday_count on an (N, M) grid took seconds at 100,000
    members).

    Parameters
    ----------
    days : ndarray of datetime64[D]

    Returns
    -------
    ndarray of int64
    """
    t = np.asarray(days).astype("datetime64[D]").astype(np.int64) + 3  # days since Monday 1969-12-29
    return 5 * (t // 7) + np.minimum(t % 7, 5)


def member_anchors(members: pd.DataFrame) -> np.ndarray:
    """The members' anchors (``anchor`` column, set by the prepare step), else their day 0s."""
    col = members["anchor"] if "anchor" in members.columns else members["day0"]
    return pd.to_datetime(col.to_numpy()).to_numpy().astype("datetime64[D]")


NO_OFFSET = np.iinfo(np.int64).min
"""The offset of a row that does not exist (:func:`event_offsets`)."""


def estimation_grid(returns: pd.DataFrame | ReturnRows, members: pd.DataFrame, estimation: Window, *,
                    rows: MemberRows | None = None) -> OffsetGrid:
    """The grid of estimation-row offsets (:func:`event_offsets`) over all members, without
    building the panel: the columns every engine lays the battery's estimation rows on.

    The convention is decided once for the study: business days, unless some member's estimation
    window has a weekend row (a seven-day market, a stray weekend row in a user's file, an
    intraday study's bar labels); then calendar days for every member. Mixing the two would put
    different calendar distances from day 0 in one column.

    Parameters
    ----------
    returns : pandas.DataFrame
        ``ticker, date`` of every return row.
    members : pandas.DataFrame
        ``asset, day0`` (day 0 a return row of the asset) and ``anchor`` of the members.
    estimation : Window
        The estimation window in sessions.
    rows : MemberRows, optional
        :func:`member_rows` of these members, when the caller has it (else searched here).

    Returns
    -------
    OffsetGrid
        The smallest and largest offset of any member's estimation rows (``estimation`` itself
        when no member has a row there) and the convention.
    """
    mr = member_rows(returns, members) if rows is None else rows
    has = mr.hi > mr.lo
    first = np.clip(mr.pos0 + estimation.start, mr.lo, mr.hi - 1)
    last = np.clip(mr.pos0 + estimation.end, mr.lo, mr.hi - 1)
    ok = has & (mr.pos0 + estimation.end >= mr.lo) & (mr.pos0 + estimation.start < mr.hi)
    if not ok.any():
        return OffsetGrid(estimation.start, estimation.end, False)
    # whether a member's window has a weekend row: a running count of weekend dates
    weekend = np.concatenate([[0], np.cumsum(((mr.dates.view(np.int64) + 3) % 7) >= 5)])
    calendar = bool(((weekend[last[ok] + 1] - weekend[first[ok]]) > 0).any())
    firsts, lasts, anchors = mr.dates[first[ok]], mr.dates[last[ok]], member_anchors(members)[ok]
    lo = int(event_offsets(firsts[:, None], anchors, calendar).min())
    hi = int(event_offsets(lasts[:, None], anchors, calendar).max())
    return OffsetGrid(lo, hi, calendar)
