"""Intraday bars: when each bar ends, the price at an instant, moves between two instants, bars
around an event (minutes or hours). The intraday event study (:mod:`eventstudy.intraday`) and the
claims checker (:mod:`eventstudy.claims`) use these rules.

One set of rules, used by :func:`move` (the claims checker, :mod:`eventstudy.claims`) and by
:func:`window_around` (event windows and the figures built on them).

Bars and when they end
----------------------
An intraday frame stamps each bar with its **start** (UTC). A bar *ends* at the earliest of

* its start plus the interval (``1m``, ``15m``, ``1h`` ...),
* the start of the next bar in the data, and
* the first regular-session close or lunch-break start strictly after its start, from the
  instrument's exchange calendar (registered tickers only). So the last hourly SPY bar of a day,
  stamped 15:30 ET, ends at 16:00 ET, not 16:30; Tokyo's 11:00 JST hourly bar ends at the
  11:30 JST lunch break.

The price at an instant ``t``
-----------------------------
``"close"`` (default)
    The close of the **last bar that ends at or before** ``t``: the last price traded by ``t``.
    During a closure (a weekend, a night, a lunch break) that is the last bar before it.
``"open"``
    The open of the **first bar that starts at or after** ``t``: for a *reopen* instant, the
    first price after ``t`` (Globex reopening Sunday 18:00 ET after weekend news).

``move(..., price_at="close")`` applies one rule to both ends; a pair such as
``price_at=("close", "open")`` gives the rule of the start and of the end. A weekend jump of ES on
the bundled minute bars, Friday 2025-10-24 16:00 ET to the Sunday 18:00 ET reopen::

    >>> m = move("ES=F", "2025-10-24T16:00:00-04:00", "2025-10-26T18:00:00-04:00",
    ...          price_at=("close", "open"))                                  # doctest: +SKIP
    >>> m.describe()                                                           # doctest: +SKIP
    'ES=F close of the 1m bar 2025-10-24 15:59–16:00 EDT 6,827.25 → open of the 1m bar
     2025-10-26 18:00–18:01 EDT 6,881.00 = +0.79 % (+53.75 points)'

Coverage: an instant is covered only when the bars run through it: for ``"close"`` a bar ends at
or before ``t`` and another ends at or after it; for ``"open"`` a bar starts at or before ``t``
and another at or after it. Bars are read from ``LOOKBACK`` before the earlier instant to
``LOOKAHEAD`` after the later one, so a close up to four days before ``t`` (a long weekend) is
found. Otherwise :class:`~eventstudy.errors.PriceSourceError` names the ticker, the instant, the
bars needed and the ``eventstudy fetch`` command that gets them online (Yahoo serves 1-minute bars
for the last 30 days only and hourly bars for 730 days).

Instants must be tz-aware: a naive time is an error, never silently UTC.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from .errors import PriceFetchError, PriceSourceError, UnknownTickerError

LOOKBACK = pd.Timedelta(days=4)
LOOKAHEAD = pd.Timedelta(days=1)
PRICE_RULES = ("close", "open")
YAHOO_LIMITS = "Yahoo serves 1m bars for the last 30 days only and 1h bars for the last 730 days"

__all__ = ["Move", "PRICE_RULES", "bar_end_ns", "bar_length", "bar_span", "fetch_command", "load_bars", "market_tz",
           "move", "price_at_instant", "price_in_bars", "trading_stops",
           "window_around", "with_bar_ends"]


# ---------------------------------------------------------------------------------------------- helpers
def bar_length(interval: str) -> pd.Timedelta:
    """``"1m"``/``"1min"`` -> 1 minute, ``"15m"``, ``"1h"``/``"60m"`` -> 1 hour, ``"90m"`` ..."""
    m = re.fullmatch(r"\s*(\d+)\s*(m|min|h|d)\s*", str(interval))
    if not m or int(m.group(1)) == 0:
        raise PriceSourceError(f"interval={interval!r} is not a bar length; pass e.g. '1m', '15m' or '1h'")
    n, unit = int(m.group(1)), m.group(2)
    return pd.Timedelta(minutes=n) if unit in ("m", "min") else pd.Timedelta(hours=n) if unit == "h" \
        else pd.Timedelta(days=n)


def _instant(value, name: str) -> pd.Timestamp:
    """A tz-aware instant (its own offset kept); naive or unparsable values are errors."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise PriceSourceError(f"argument {name}={value!r} is not a timestamp; pass e.g. "
                               "'2025-10-24T16:00:00-04:00'") from exc
    if ts is pd.NaT:
        raise PriceSourceError(f"argument {name} is missing (NaT); pass a tz-aware instant")
    if ts.tzinfo is None:
        raise PriceSourceError(
            f"argument {name}={value!r} has no time zone (a naive time would silently be read as UTC); "
            f"pass it with its UTC offset, e.g. '{ts.strftime('%Y-%m-%dT%H:%M:%S')}-04:00' for US Eastern "
            "summer time, or a tz-aware Timestamp"
        )
    return ts


def _default_source():
    from .prices.bundled import BundledSource

    return BundledSource()


def market_tz(ticker: str) -> str:
    """The exchange time zone of a registered ticker (UTC for others)."""
    from .assets import REGISTRY

    return REGISTRY[ticker].tz if ticker in REGISTRY else "UTC"


@cache
def trading_stops(ticker: str) -> np.ndarray:
    """Sorted UTC instants (int ns) at which trading stops: session closes and lunch-break starts."""
    from .assets import REGISTRY
    from .calendars import CALENDAR_START, calendar_library

    if ticker not in REGISTRY:
        return np.array([], dtype="int64")
    xcals = calendar_library()

    name = REGISTRY[ticker].calendar
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sched = xcals.get_calendar(name, start=CALENDAR_START).schedule
    except Exception:  # a calendar exchange_calendars cannot build (e.g. '24/5'): no caps
        return np.array([], dtype="int64")
    parts = [pd.DatetimeIndex(sched["close"]).tz_convert("UTC")]
    if "break_start" in sched.columns:
        parts.append(pd.DatetimeIndex(sched["break_start"].dropna()).tz_convert("UTC"))
    stops = np.concatenate([p.as_unit("ns").asi8 for p in parts])
    return np.unique(stops)


def bar_end_ns(starts: np.ndarray, step: int, stops: np.ndarray) -> np.ndarray:
    """Bar ends (int ns, UTC) of one instrument's sorted bar starts (int ns): start + ``step``, but
    no later than its next bar's start or the first of ``stops`` (session closes, lunch-break
    starts: :func:`trading_stops`) after the bar starts.

    Parameters
    ----------
    starts : numpy.ndarray of int64
        Bar start instants in nanoseconds since the epoch (UTC), sorted ascending.
    step : int
        Bar length in nanoseconds (``bar_length(interval).value``).
    stops : numpy.ndarray of int64
        Sorted UTC instants (ns) at which trading stops; may be empty (no caps). A stop equal to a
        bar's start does not cap that bar: only the first stop strictly after the start does.

    Returns
    -------
    numpy.ndarray of int64
        One end per bar (ns, UTC); ``starts`` is not modified.
    """
    end = starts + step
    if len(starts) > 1:
        end[:-1] = np.minimum(end[:-1], starts[1:])
    if len(stops) and len(starts):
        pos = np.searchsorted(stops, starts, side="right")  # first stop strictly after the bar start
        ok = pos < len(stops)
        end[ok] = np.minimum(end[ok], stops[pos[ok]])
    return end


def with_bar_ends(bars: pd.DataFrame, interval: str) -> pd.DataFrame:
    """Add ``bar_end`` (UTC) to an intraday frame of one ticker, by the rule in the module docstring.

    Parameters
    ----------
    bars : pandas.DataFrame
        Intraday bars of one ticker with columns ``ticker`` and ``time`` (tz-aware bar starts) and
        any others. The ticker of the first row decides the session closes and lunch breaks that
        cap the bar ends (none for an unregistered ticker).
    interval : str
        Bar length (``"1m"``, ``"15m"``, ``"1h"`` ...; see :func:`bar_length`).

    Returns
    -------
    pandas.DataFrame
        A copy sorted by ``time`` (stable) with a fresh index, ``time`` converted to UTC (ns), and a
        new column ``bar_end`` (``datetime64[ns, UTC]``).

    Raises
    ------
    PriceSourceError
        If ``interval`` is not a bar length.
    """
    out = bars.sort_values("time", kind="mergesort").reset_index(drop=True)
    start = pd.DatetimeIndex(out["time"]).tz_convert("UTC").as_unit("ns")
    ticker = str(out["ticker"].iloc[0]) if len(out) else ""
    end = bar_end_ns(start.asi8, bar_length(interval).value, trading_stops(ticker))
    out["time"] = start
    out["bar_end"] = pd.DatetimeIndex(end, tz="UTC")
    return out


def fetch_command(ticker: str, lo: pd.Timestamp, hi: pd.Timestamp, interval: str) -> str:
    """The ``eventstudy fetch`` command that downloads the bars :func:`move` reads for ``[lo, hi]``.

    Parameters
    ----------
    ticker : str
        The ticker to fetch.
    lo : pandas.Timestamp
        Start of the range (tz-aware), written in ISO 8601 with its own offset.
    hi : pandas.Timestamp
        End of the range (tz-aware), written the same way.
    interval : str
        Bar interval for ``--interval``, e.g. ``"1m"``.

    Returns
    -------
    str
        ``"eventstudy fetch TICKER --interval INTERVAL --start LO --end HI"``.
    """
    return (f"eventstudy fetch {ticker} --interval {interval} "
            f"--start {lo.isoformat()} --end {hi.isoformat()}")


def bar_span(instants: list[pd.Timestamp]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The range of bars read for these instants, in the first instant's own offset."""
    tz = instants[0].tz
    return (min(instants) - LOOKBACK).tz_convert(tz), (max(instants) + LOOKAHEAD).tz_convert(tz)


def _needs(ticker: str, interval: str, what: str, lo: pd.Timestamp, hi: pd.Timestamp, why: str) -> PriceSourceError:
    alt = ""
    if bar_length(interval) < pd.Timedelta(hours=1):
        alt = " (for an instant older than 30 days use --interval 1h instead)"
    return PriceSourceError(
        f"{ticker}: {what}: {why}. Needed: {interval} bars of {ticker} from {lo.isoformat()} to {hi.isoformat()}. "
        f"Online, get them with `{fetch_command(ticker, lo, hi, interval)}`{alt}; {YAHOO_LIMITS}"
    )


def load_bars(ticker: str, lo: pd.Timestamp, hi: pd.Timestamp, interval: str, source=None, *,
              what: str | None = None) -> pd.DataFrame:
    """Bars of ``ticker`` starting in ``[lo, hi]`` with ``bar_end``; an informative error if none.

    Parameters
    ----------
    ticker : str
        The ticker; rows of other tickers in the source's answer are dropped.
    lo : pandas.Timestamp
        Earliest bar start (tz-aware), passed to the source.
    hi : pandas.Timestamp
        Latest bar start (tz-aware), passed to the source.
    interval : str
        Bar interval, e.g. ``"1m"``, ``"1h"``.
    source : PriceSource, optional
        Where the bars come from (its ``intraday`` method); None for the bundled snapshot.
    what : str, optional
        What is missing, put at the start of the error message; default
        ``"no {interval} bars between {lo} and {hi}"``.

    Returns
    -------
    pandas.DataFrame
        The bars as given by :func:`with_bar_ends`: sorted by ``time``, with ``bar_end``.

    Raises
    ------
    PriceSourceError
        If the source has no ``intraday`` method, raises :class:`PriceSourceError` or
        :class:`UnknownTickerError`, or returns no bars of ``ticker``. The message names the bars
        needed and the ``eventstudy fetch`` command that gets them.
    PriceFetchError
        As raised by the source when it could not be reached (Yahoo Finance offline), unchanged.
    """
    source = _default_source() if source is None else source
    what = what or f"no {interval} bars between {lo.isoformat()} and {hi.isoformat()}"
    reader = getattr(source, "intraday", None)
    if reader is None:
        raise _needs(ticker, interval, what, lo, hi, f"the price source {getattr(source, 'name', source)!r} "
                     "has no intraday bars")
    try:
        bars = reader(ticker, lo, hi, interval)
    except PriceFetchError:
        raise  # the source could not be reached: its message names the ticker, the cause and the fix
    except (PriceSourceError, UnknownTickerError) as exc:
        raise _needs(ticker, interval, what, lo, hi, str(exc).rstrip(".")) from None
    bars = bars[bars["ticker"] == ticker] if "ticker" in bars.columns else bars
    if bars.empty:
        raise _needs(ticker, interval, what, lo, hi, "the source returned no bars")
    return with_bar_ends(bars, interval)


# ---------------------------------------------------------------------------------------------- one price
def price_in_bars(bars: pd.DataFrame, t: pd.Timestamp, rule: str):
    """(bar start, bar end, price) at ``t`` by ``rule``, or None when the bars do not cover ``t``.

    ``"close"``: the close of the bar with the latest end at or before ``t``, provided some bar ends
    at or after ``t``. ``"open"``: the open of the bar with the earliest start at or after ``t``,
    provided some bar starts at or before ``t``.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with ``time`` and ``bar_end`` (UTC, as from :func:`with_bar_ends`), ``open`` and ``close``.
    t : pandas.Timestamp
        The instant; tz-aware.
    rule : str
        ``"close"``; any other value is treated as ``"open"`` (callers validate it).

    Returns
    -------
    tuple of (pandas.Timestamp, pandas.Timestamp, float) or None
        The chosen bar's start and end (UTC) and its price, or None if ``t`` is not covered.
    """
    tn = t.tz_convert("UTC").as_unit("ns").value
    s = pd.DatetimeIndex(bars["time"]).asi8
    e = pd.DatetimeIndex(bars["bar_end"]).asi8
    if rule == "close":
        ok = np.flatnonzero(e <= tn)
        if not len(ok) or not (e >= tn).any():
            return None
        i = ok[np.argmax(e[ok])]
        price = float(bars["close"].iloc[i])
    else:
        ok = np.flatnonzero(s >= tn)
        if not len(ok) or not (s <= tn).any():
            return None
        i = ok[np.argmin(s[ok])]
        price = float(bars["open"].iloc[i])
    return bars["time"].iloc[i], bars["bar_end"].iloc[i], price


def _rules(price_at) -> tuple[str, str]:
    pair = (price_at, price_at) if isinstance(price_at, str) else tuple(price_at)
    if len(pair) != 2 or any(r not in PRICE_RULES for r in pair):
        raise PriceSourceError(
            f"price_at={price_at!r} is not a rule; pass 'close' (last bar ending at or before the instant), "
            "'open' (first bar starting at or after it) or a pair (start rule, end rule), e.g. ('close', 'open')"
        )
    return pair  # type: ignore[return-value]


@dataclass(frozen=True)
class Move:
    """A price move between two instants, with the exact bars and prices used at each end.

    ``start``/``end`` are the requested instants (as given, tz-aware); ``*_bar`` the UTC start of the
    bar whose price was used, ``*_bar_end`` its end, ``*_rule`` ``"close"`` or ``"open"``.
    ``points`` = end_price − start_price; ``pct`` = 100 · (end_price / start_price − 1).
    """

    ticker: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    start_rule: str
    end_rule: str
    start_bar: pd.Timestamp
    start_bar_end: pd.Timestamp
    start_price: float
    end_bar: pd.Timestamp
    end_bar_end: pd.Timestamp
    end_price: float
    points: float
    pct: float
    source: str

    def _side(self, rule: str, bar: pd.Timestamp, bar_end: pd.Timestamp, price: float, tz: str) -> str:
        b, e = bar.tz_convert(tz), bar_end.tz_convert(tz)
        span = f"{b:%Y-%m-%d %H:%M}–{e:%H:%M} {b.tzname()}" if b.date() == e.date() else \
            f"{b:%Y-%m-%d %H:%M}–{e:%Y-%m-%d %H:%M} {b.tzname()}"
        return f"{rule} of the {self.interval} bar {span} {price:,.2f}"

    def describe(self, tz: str | None = None) -> str:
        """One line naming both bars (in the market's time zone unless ``tz``), prices and the change."""
        tz = tz or market_tz(self.ticker)
        return (f"{self.ticker} {self._side(self.start_rule, self.start_bar, self.start_bar_end, self.start_price, tz)}"
                f" → {self._side(self.end_rule, self.end_bar, self.end_bar_end, self.end_price, tz)}"
                f" = {self.pct:+.2f} % ({self.points:+,.2f} points)")


def price_at_instant(ticker: str, instant, *, source=None, interval: str = "1m", rule: str = "close",
                     bars: pd.DataFrame | None = None) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    """(bar start, bar end, price) of ``ticker`` at one tz-aware ``instant`` by ``rule``.

    See the module docstring for the price rules and when an instant is covered.

    Parameters
    ----------
    ticker : str
        The ticker.
    instant : str or pandas.Timestamp
        The instant, with its UTC offset or zone (a naive time is an error).
    source : PriceSource, optional
        Where bars are read from when ``bars`` is None; None for the bundled snapshot.
    interval : str, default "1m"
        Bar interval to read.
    rule : str, default "close"
        ``"close"`` (close of the last bar ending at or before the instant) or ``"open"`` (open of
        the first bar starting at or after it).
    bars : pandas.DataFrame, optional
        Bars already loaded, with ``bar_end`` (from :func:`load_bars`); if None, the bars from
        ``LOOKBACK`` (4 days) before the instant to ``LOOKAHEAD`` (1 day) after it are loaded.

    Returns
    -------
    tuple of (pandas.Timestamp, pandas.Timestamp, float)
        Start and end (UTC) of the bar whose price is used, and that price.

    Raises
    ------
    PriceSourceError
        If the instant is naive, missing or unparsable, ``rule`` is not a rule, no bars can be
        read, or the bars do not cover the instant (the message names the bars needed and the
        ``eventstudy fetch`` command).
    """
    t = _instant(instant, "instant")
    r0, r1 = _rules(rule)
    if r0 != r1:
        raise PriceSourceError(f"rule={rule!r}: one instant takes one rule, 'close' or 'open'")
    rule = r0
    lo, hi = bar_span([t])
    if bars is None:
        bars = load_bars(ticker, lo, hi, interval, source,
                         what=f"no {interval} bars to price {ticker} at {t.isoformat()}")
    got = price_in_bars(bars, t, rule)
    if got is None:
        have = f"the bars read run from {bars['time'].min().isoformat()} to {bars['bar_end'].max().isoformat()}"
        raise _needs(ticker, interval, f"the {interval} bars do not cover the instant {t.isoformat()} "
                     f"(price rule {rule!r})", lo, hi, have)
    return got


def move(ticker: str, start, end, *, source=None, interval: str = "1m", price_at="close") -> Move:
    """The move of ``ticker`` from instant ``start`` to instant ``end`` on ``interval`` bars.

    Bars are read once, from ``LOOKBACK`` (4 days) before ``start`` to ``LOOKAHEAD`` (1 day) after
    ``end``.

    Parameters
    ----------
    ticker : str
        The ticker, e.g. ``"ES=F"``.
    start : str or pandas.Timestamp
        Instant of the start price, tz-aware (a naive time is an error).
    end : str or pandas.Timestamp
        Instant of the end price, tz-aware; not before ``start``.
    source : PriceSource, optional
        Where the bars come from; None for the bundled snapshot.
    interval : str, default "1m"
        Bar interval to read.
    price_at : str or tuple of (str, str), default "close"
        ``"close"``, ``"open"`` or a pair (start rule, end rule); see the module docstring for the
        exact rules.

    Returns
    -------
    Move
        Both instants, the bars and prices used, ``points`` (end price minus start price) and
        ``pct`` (percent change).

    Raises
    ------
    PriceSourceError
        If an instant is naive, missing or unparsable, ``end`` is before ``start``, ``price_at`` is
        not a rule, no bars can be read, or the bars do not cover an end; the message names the
        ticker, the instants, the bars needed and the ``eventstudy fetch`` command.
    """
    t0, t1 = _instant(start, "start"), _instant(end, "end")
    if t1 < t0:
        raise PriceSourceError(f"end={t1.isoformat()} is before start={t0.isoformat()}; swap them")
    r0, r1 = _rules(price_at)
    lo, hi = bar_span([t0, t1])
    src = _default_source() if source is None else source
    bars = load_bars(ticker, lo, hi, interval, src,
                     what=f"no {interval} bars for the move {t0.isoformat()} → {t1.isoformat()}")
    ends = []
    for label, t, rule in (("start", t0, r0), ("end", t1, r1)):
        got = price_in_bars(bars, t, rule)
        if got is None:
            have = (f"the bars read run from {bars['time'].min().isoformat()} to "
                    f"{bars['bar_end'].max().isoformat()}")
            raise _needs(ticker, interval, f"the {interval} bars do not cover the {label} instant {t.isoformat()} "
                         f"of the move {t0.isoformat()} → {t1.isoformat()} (price rule {rule!r})", lo, hi, have)
        ends.append(got)
    (b0, e0, p0), (b1, e1, p1) = ends
    return Move(ticker=ticker, interval=interval, start=t0, end=t1, start_rule=r0, end_rule=r1,
                start_bar=b0, start_bar_end=e0, start_price=p0, end_bar=b1, end_bar_end=e1, end_price=p1,
                points=p1 - p0, pct=100.0 * (p1 / p0 - 1.0), source=str(getattr(src, "name", type(src).__name__)))


def _duration(value, name: str) -> pd.Timedelta:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return pd.Timedelta(minutes=int(value))
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as exc:
        raise PriceSourceError(f"argument {name}={value!r} is not a duration; pass minutes (int), "
                               "'90min', '2h' or a Timedelta") from exc
    if td < pd.Timedelta(0):
        raise PriceSourceError(f"argument {name}={value!r} is negative; pass a length, e.g. '2h'")
    return td


def window_around(ticker: str, instant, before="2h", after="4h", interval: str = "1m", *,
                  source=None) -> pd.DataFrame:
    """Bars of ``ticker`` around an event ``instant`` (tz-aware).

    Bars *starting* in ``[instant - before, instant + after]``, both ends inclusive.

    Parameters
    ----------
    ticker : str
        The ticker.
    instant : str or pandas.Timestamp
        The event instant, with its UTC offset or zone (a naive time is an error).
    before : int or str or pandas.Timedelta, default "2h"
        How far before the instant bars may start: minutes as an int, ``"90min"``, ``"2h"`` or a
        Timedelta; not negative.
    after : int or str or pandas.Timedelta, default "4h"
        How far after the instant bars may start, in the same forms.
    interval : str, default "1m"
        Bar interval to read.
    source : PriceSource, optional
        Where the bars come from; None for the bundled snapshot.

    Returns
    -------
    pandas.DataFrame
        Columns ``ticker, time`` (UTC bar start), ``bar_end`` (UTC, by the rule of the module
        docstring), ``open, high, low, close, volume`` and ``minutes_from_event`` = (bar_end −
        instant) in minutes, the moment the bar's ``close`` is the price; the row with the largest
        ``minutes_from_event <= 0`` carries the price at the event instant (the ``"close"`` rule of
        :func:`move`). Sorted by ``time``.

    Raises
    ------
    PriceSourceError
        If the instant is naive, missing or unparsable, ``before``/``after`` is not a duration or
        is negative, or no bars can be read for the range.
    """
    t = _instant(instant, "instant")
    lo, hi = t - _duration(before, "before"), t + _duration(after, "after")
    bars = load_bars(ticker, lo, hi, interval, source,
                     what=f"no {interval} bars around {t.isoformat()} ({lo.isoformat()} to {hi.isoformat()})")
    bars = bars[(bars["time"] >= lo) & (bars["time"] <= hi)].reset_index(drop=True)
    bars["minutes_from_event"] = (bars["bar_end"] - t.tz_convert("UTC")) / pd.Timedelta(minutes=1)
    cols = ["ticker", "time", "bar_end", "open", "high", "low", "close", "volume", "minutes_from_event"]
    return bars[cols]
