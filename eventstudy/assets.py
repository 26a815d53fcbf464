"""Asset registry: ticker -> exchange calendar, time zone, currency and kind.

One dict, :data:`REGISTRY`, is the single place a default ticker is described. A ticker that is
not in it (from a user's price file) is still usable: :func:`resolve` gives it a calendar made of
the dates in its own data (:func:`eventstudy.calendars.data_sessions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd

from .calendars import SessionTable, data_sessions, exchange_sessions
from .errors import UnknownTickerError

Kind = Literal["index", "etf", "future", "fx", "commodity"]


@dataclass(frozen=True)
class Asset:
    """What the toolkit needs to know about an instrument to place events on its sessions."""

    ticker: str
    name: str
    kind: Kind
    calendar: str  # exchange_calendars name, or "CME_EQUITY"/"CBOT_GRAIN" (see calendars.py)
    currency: str
    region: str
    notes: str = ""
    price_fixed: str | None = None
    """Local time (the calendar's zone) at which the daily price is fixed when it is not the
    session's close: the settlement of futures. Day 0 is the first session whose daily price is
    fixed strictly after the event (:mod:`eventstudy.alignment`)."""

    @property
    def sessions(self) -> SessionTable:
        """Sessions of the asset's exchange calendar (:func:`~eventstudy.calendars.exchange_sessions`),
        with the daily price fixed at :attr:`price_fixed` when the asset has one."""
        return _fixed_sessions(self.calendar, self.price_fixed)

    @property
    def tz(self) -> str:
        """Time zone of the asset's exchange calendar (an IANA name, e.g. ``"America/New_York"``)."""
        return self.sessions.tz


@cache
def _fixed_sessions(calendar: str, price_fixed: str | None) -> SessionTable:
    table = exchange_sessions(calendar)
    return table if price_fixed is None else table.fixed_at(price_fixed)


# CME equity-index futures settle daily at 15:00 CT (16:00 ET), an hour before the 17:00 ET end of
# the trade date; Yahoo's daily close of ES=F, NQ=F and YM=F is that settlement (in the bundled ES
# minute bars the daily close is nearest the 15:59-16:00 ET bar: tests/test_calendars.py). CBOT
# soybeans settle at 13:15 CT, five minutes before their close (CME rule; no bundled bars to check).
CME_SETTLEMENT, CBOT_SETTLEMENT = "16:00", "13:15"
# Yahoo's FX pairs: the chart metadata give exchangeTimezoneName Europe/London and a regular period
# of 00:00-23:59 London time, so a daily bar is a London day and its close the quote at 23:59 there.
YAHOO_FX_CLOSE = "23:59 Europe/London"


def _a(ticker, name, kind, calendar, currency, region, notes="", price_fixed=None):
    return ticker, Asset(ticker, name, kind, calendar, currency, region, notes, price_fixed)


REGISTRY: Mapping[str, Asset] = dict(
    [
        _a("SPY", "SPDR S&P 500 ETF Trust", "etf", "XNYS", "USD", "US",
           "dividend-adjusted in the snapshot; raw close rebuilt from dividends"),
        _a("QQQ", "Invesco QQQ Trust (Nasdaq-100)", "etf", "XNAS", "USD", "US",
           "dividend-adjusted in the snapshot; raw close rebuilt from dividends"),
        _a("^GSPC", "S&P 500 index", "index", "XNYS", "USD", "US"),
        _a("^DJI", "Dow Jones Industrial Average", "index", "XNYS", "USD", "US"),
        _a("^IXIC", "Nasdaq Composite index", "index", "XNAS", "USD", "US"),
        _a("^N225", "Nikkei 225", "index", "XTKS", "JPY", "Japan", "Tokyo closes 15:30 JST since 2024-11-05"),
        _a("^KS11", "KOSPI Composite", "index", "XKRX", "KRW", "Korea"),
        _a("^HSI", "Hang Seng index", "index", "XHKG", "HKD", "Hong Kong"),
        _a("000001.SS", "SSE Composite (Shanghai)", "index", "XSHG", "CNY", "China"),
        _a("ES=F", "E-mini S&P 500 futures (continuous)", "future", "CME_EQUITY", "USD", "US",
           "Globex 18:00 ET previous evening to 17:00 ET; daily price = 16:00 ET settlement; roll jumps in "
           "the continuous series", CME_SETTLEMENT),
        _a("NQ=F", "E-mini Nasdaq-100 futures (continuous)", "future", "CME_EQUITY", "USD", "US",
           "Globex 18:00 ET previous evening to 17:00 ET; daily price = 16:00 ET settlement", CME_SETTLEMENT),
        _a("YM=F", "E-mini Dow ($5) futures (continuous)", "future", "CME_EQUITY", "USD", "US",
           "Globex 18:00 ET previous evening to 17:00 ET; daily price = 16:00 ET settlement", CME_SETTLEMENT),
        _a("ACWI", "iShares MSCI ACWI ETF (world benchmark)", "etf", "XNAS", "USD", "World",
           "dividend-adjusted; raw close not recoverable from the source"),
        _a("VT", "Vanguard Total World Stock ETF (world benchmark)", "etf", "XNYS", "USD", "World",
           "dividend-adjusted; raw close not recoverable from the source"),
        _a("CNY=X", "US dollar in Chinese yuan (USD/CNY)", "fx", "24/5", "CNY", "China",
           "Yahoo FX: a row per weekday; a rise is a weaker yuan; Yahoo's FX day is the London day (its chart "
           "metadata: exchange time zone Europe/London, regular period 00:00-23:59), so the daily close is the "
           "last quote at 23:59 London time (22:59 UTC in summer); no bundled bars can check it further",
           YAHOO_FX_CLOSE),
        _a("ZS=F", "CBOT soybean futures (continuous, US cents/bushel)", "commodity", "CBOT_GRAIN", "USc", "US",
           "trade date opens 19:00 CT previous evening, closes 13:20 CT; daily price = 13:15 CT settlement",
           CBOT_SETTLEMENT),
        # Proxy-only: no daily closes are bundled, only extended-hours minute bars of one evening,
        # read by the claims check in place of futures bars that do not exist (eventstudy/data/proxies.csv).
        _a("SPXL", "Direxion Daily S&P 500 Bull 3X Shares (SPXL)", "etf", "XNYS", "USD", "US",
           "a 3x daily-reset leveraged S&P 500 ETF listed on NYSE Arca; bundled only as extended-hours 1-minute "
           "bars of 2025-05-06 (19:50-23:59 UTC), a proxy for the S&P 500 and Dow futures that evening"),
        _a("XLK", "Technology Select Sector SPDR Fund (XLK)", "etf", "XNYS", "USD", "US",
           "the S&P 500 technology sector ETF listed on NYSE Arca; bundled only as extended-hours 1-minute bars "
           "of 2025-05-06/07, a loose proxy for the Nasdaq-100 futures that evening"),
    ]
)

DEFAULT_ASSETS: tuple[str, ...] = (
    "SPY", "QQQ", "^GSPC", "^DJI", "^IXIC", "^N225", "^KS11", "^HSI", "000001.SS", "ES=F", "NQ=F", "YM=F", "ACWI",
    "VT", "CNY=X", "ZS=F",
)
"""The markets of the bundled study: every registered ticker with bundled daily closes. Written out, not
``tuple(REGISTRY)``: the proxy-only SPXL and XLK are registered (their calendar places their bars) but are
no market of the study."""


def get_asset(ticker: str) -> Asset:
    """The registered asset for ``ticker``; :class:`UnknownTickerError` names the known ones."""
    try:
        return REGISTRY[ticker]
    except KeyError:
        raise UnknownTickerError(
            f"unknown ticker {ticker!r}: the registry knows {', '.join(REGISTRY)}; "
            "for another instrument pass its prices (a CSV or yfinance) so its sessions come from its data"
        ) from None


def sessions_for(ticker: str, data_dates: Iterable | None = None, *, tz: str = "UTC") -> SessionTable:
    """Sessions of ``ticker``: its exchange calendar if registered, else the dates of its data.

    Parameters
    ----------
    ticker : str
        The ticker, e.g. ``"SPY"``.
    data_dates : iterable of date-like, optional
        Dates of the ticker's price rows; used only when the ticker is not in :data:`REGISTRY`
        (then each date becomes a session, see :func:`eventstudy.calendars.data_sessions`).
    tz : str, default "UTC"
        Time zone of those data sessions (each runs 00:00 to 24:00 of its date in ``tz``); ignored
        for a registered ticker.

    Returns
    -------
    SessionTable
        The exchange calendar's sessions for a registered ticker, else one session per data date.

    Raises
    ------
    UnknownTickerError
        If the ticker is not registered and ``data_dates`` is None or empty.
    """
    if ticker in REGISTRY:
        return REGISTRY[ticker].sessions
    if data_dates is None:
        get_asset(ticker)  # raises the informative error
    dates = pd.Index(data_dates)
    if len(dates) == 0:
        raise UnknownTickerError(f"ticker {ticker!r} is not in the registry and has no price data to take "
                                 "sessions from")
    return data_sessions(dates, tz=tz, name=f"{ticker} data dates")


def data_calendars(prices: pd.DataFrame, calendars: Mapping[str, str] | None = None) -> dict[str, SessionTable]:
    """Session tables for the tickers of a daily price frame that the registry lacks.

    A ticker named in ``calendars`` (``{"AAPL": "XNYS"}``) gets that exchange calendar, or with
    ``"data"`` the dates of its own data even when the registry knows it. Every other ticker the
    registry lacks gets the sessions of the file: the union of the dates of all those tickers,
    each closing at 24:00 UTC. A date on which one of them has no price (a blank cell of a wide
    file, a missing row of a long one) is therefore a gap in that ticker's data, not a day that
    did not trade: an event on it keeps the file's day 0 (and is excluded when that ticker has no
    price there), and the ticker's next return says it spans two sessions. Tickers of different
    markets in one file should be given their calendars, or a holiday of one is a gap of the other.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily prices with at least the columns ``ticker`` and ``date``.
    calendars : mapping of str to str, optional
        Ticker -> ``exchange_calendars`` name (or ``"CME_EQUITY"``/``"CBOT_GRAIN"``), or ``"data"``.
        Every ticker named here gets that calendar, even one that is registered or absent from
        ``prices``.

    Returns
    -------
    dict of str to SessionTable
        The tickers of ``calendars`` plus every ticker of ``prices`` that is not in :data:`REGISTRY`
        (these share one table); registered tickers not named in ``calendars`` are left out.

    Raises
    ------
    AlignmentError
        If a calendar name in ``calendars`` is unknown.
    """
    named = dict(calendars or {})
    out: dict[str, SessionTable] = {t: exchange_sessions(c) for t, c in named.items() if c != DATA_CALENDAR}
    dates = prices["date"].to_numpy().astype("datetime64[ns]")
    rows = prices.groupby("ticker", sort=False).indices
    for t in named:
        if named[t] == DATA_CALENDAR and t in rows:
            out[t] = data_sessions(np.unique(dates[rows[t]]), name=f"{t} data dates")
    file_tickers = [t for t in rows if t not in named and t not in REGISTRY]
    if file_tickers:
        union = data_sessions(np.unique(dates[np.concatenate([rows[t] for t in file_tickers])]), name="data dates")
        out.update(dict.fromkeys(file_tickers, union))
    return out


DATA_CALENDAR = "data"
"""The calendar name that gives a ticker the dates of its own data as sessions (``calendars=``)."""


def calendar_conflicts(prices: pd.DataFrame, sessions: Mapping[str, SessionTable]) -> pd.DataFrame:
    """Price rows on days that a ticker's exchange calendar does not trade.

    A vendor series named after a registered ticker (or given a calendar by ``calendars=``) whose
    rows include, say, Good Friday would otherwise be placed on the exchange's sessions while its
    own row still sits in the return series: day 0 and the window would disagree with the data.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily prices (``ticker, date``).
    sessions : mapping of str to SessionTable
        The session tables given to the study (:func:`data_calendars`); registered tickers not in
        it use their exchange calendar.

    Returns
    -------
    pandas.DataFrame
        ``ticker, calendar, date``: one row per price date that is not a session; empty when the
        data agree with every calendar. Tickers on the dates of their own data cannot conflict.
    """
    rows = []
    tables = {t: sessions.get(t) or (REGISTRY[t].sessions if t in REGISTRY else None)
              for t in pd.unique(prices["ticker"])}
    tables = {t: table for t, table in tables.items() if table is not None and not table.from_data}
    if tables:  # only the tickers on an exchange's calendar are split out (not one frame per ticker)
        prices = prices[prices["ticker"].isin(list(tables))]
    for t, grp in prices.groupby("ticker", sort=False) if tables else ():
        table = tables[t]
        dates = pd.DatetimeIndex(grp["date"])
        inside = dates[(dates >= table.sessions[0]) & (dates <= table.sessions[-1])]
        extra = inside.difference(table.sessions)
        rows += [(t, table.calendar, d) for d in extra]
    return pd.DataFrame(rows, columns=["ticker", "calendar", "date"])


def parse_tickers(text: str | Iterable[str] | None, *, argument: str = "--assets") -> list[str]:
    """Split ``'SPY,^N225'`` into tickers; empty -> the default assets; duplicates are an error.

    Parameters
    ----------
    text : str or iterable of str or None
        Comma-separated tickers, or the tickers themselves. Surrounding spaces are stripped and
        empty items dropped. None gives :data:`DEFAULT_ASSETS`.
    argument : str, default "--assets"
        Name of the option or argument, used in error messages.

    Returns
    -------
    list of str
        The tickers in the order given.

    Raises
    ------
    UnknownTickerError
        If no ticker is left after dropping empty items, or a ticker is listed twice.
    """
    if text is None:
        return list(DEFAULT_ASSETS)
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text)]
    items = [t for t in items if t]
    if not items:
        raise UnknownTickerError(f"{argument} is empty; pass tickers separated by commas, e.g. SPY,^N225")
    seen = set()
    for t in items:
        if t in seen:
            raise UnknownTickerError(f"{argument} names {t!r} twice; list each ticker once")
        seen.add(t)
    return items
