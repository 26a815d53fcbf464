"""Yahoo Finance prices through ``yfinance``, with an on-disk CSV cache.

Cache layout (one file per ticker, interval and requested range; nothing is merged)::

    <cache_dir>/1d/<TICKER>__<start>__<end>.csv                  daily frame, dates inclusive
    <cache_dir>/<interval>/<TICKER>__<start>__<end>.csv          intraday frame, UTC instants
                                                                 written as 20250506T133000Z

``<TICKER>`` is the upper-cased Yahoo symbol with every character other than letters, digits and
``^ = . - _`` percent-escaped (``^N225``, ``ES=F``, ``000001.SS`` and ``CNY=X`` stay as they are;
``/`` becomes ``%2F``). The files hold the frames of :mod:`eventstudy.prices.base`, not yfinance's
layout. Writes are atomic (temporary file in the same directory, then :func:`os.replace`), so an
interrupted download or write leaves an existing cache file untouched. Empty results are never
cached. A range reaching today is cached like any other; pass ``refresh=True`` to re-download it.

Integrity: beside each file ``<name>.csv`` lies ``<name>.csv.sha256``, written after it and
holding the SHA-256 of its bytes and its number of rows. A cache file is used only when both
match; a truncated, edited, empty, header-only or unreadable file (or one without its record, as
the cache of older versions) is logged and downloaded again, and when that download fails too
the error names the damaged file. Temporary files left by an interrupted write (older than an
hour) are removed when the entry is next read or written.

Quiet downloads: yfinance reports failures by logging to stderr (``1 Failed download: ...``,
``possibly delisted``, cookie and DNS errors) and its pandas calls raise deprecation warnings.
During each download its ``yfinance`` logger, warnings and anything it prints are captured
instead (and re-logged at DEBUG level under this module's logger); what it said becomes part of
the error raised here. A download that raised, or came back empty while yfinance reported a
network failure (a DNS, connection, timeout or rate-limit error), is a
:class:`~eventstudy.errors.PriceFetchError` whose ``failures`` maps the ticker to a short cause;
an empty answer without a network failure (an unknown symbol, a range without sessions) is a
plain :class:`~eventstudy.errors.PriceSourceError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from ..errors import EventStudyError, PriceFetchError, PriceSourceError, require
from .base import DAILY_COLUMNS, check_daily_frame, check_intraday_frame, coerce_bound, coerce_instant

log = logging.getLogger(__name__)

Downloader = Callable[..., "pd.DataFrame | None"]
Clock = Callable[[], pd.Timestamp]

# Earliest date asked for when ``start`` is None: before any Yahoo series (^GSPC starts in 1927).
_EARLIEST = pd.Timestamp("1900-01-01")
# Intraday interval -> (bar length in minutes, how far back Yahoo serves it in days).
# yfinance 1.7 scrapers/history.py: PriceHistory._reconstruct_intervals_batch (min_lookbacks)
# and PriceHistory.history (period="max" spans).
_INTRADAY: dict[str, tuple[int, int]] = {
    "1m": (1, 30), "2m": (2, 60), "5m": (5, 60), "15m": (15, 60), "30m": (30, 60),
    "1h": (60, 730), "60m": (60, 730), "90m": (90, 60),
}
# Yahoo serves at most 8 days of 1m bars per request (PriceHistory.history: period="max" for 1m is
# 8 days); longer ranges are fetched in 7-day chunks.
_MAX_SPAN = {"1m": pd.Timedelta(days=7)}
_BAR_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
# read_csv must give back the exact floats to_csv wrote: pandas < 3.1 needs the round-trip parser
# (3.1 uses it always and deprecates the argument).
CSV_EXACT: dict[str, Any] = (
    {} if tuple(int(x) for x in pd.__version__.split(".")[:2]) >= (3, 1) else {"float_precision": "round_trip"}
)
_FIX = (
    "the range may hold no trading session, the ticker may be misspelled (Yahoo symbols look like "
    "'^N225', 'ES=F', 'CNY=X') or this machine is offline; check the symbol on finance.yahoo.com, or use "
    "the bundled snapshot (source='bundled') or a CSV (source='csv')"
)
_FIX_NETWORK = (
    "check this machine's network connection (Yahoo Finance must be reachable) and try again, or use the "
    "bundled snapshot (source='bundled') or a CSV (source='csv')"
)
# What yfinance (curl_cffi, requests) says when Yahoo cannot be reached, as opposed to "no price data
# found" for a symbol or range Yahoo does not have.
_NETWORK = re.compile(
    r"could not resolve|failed to resolve|name ?resolution|DNSError|ConnectionError|connection (?:refused|reset|"
    r"aborted|error)|failed to connect|network is unreachable|timed? ?out|Timeout|Failed to perform, curl|"
    r"SSLError|ProxyError|Too Many Requests|rate.?limit",
    re.IGNORECASE,
)
_HOST = re.compile(r"(?:could not resolve host|failed to resolve)[:\s']+([\w.-]+)", re.IGNORECASE)


@contextlib.contextmanager
def _quiet_yfinance() -> Iterator[list[str]]:
    """Capture what yfinance logs, prints and warns during a download; yield the list of its messages.

    The ``yfinance`` logger's handlers are swapped for one that keeps the messages (and it stops
    propagating), warnings are ignored, stdout and stderr go to a buffer; all is restored on exit
    and every message is re-logged at DEBUG level here.
    """
    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                said.append(record.getMessage())
            except Exception:  # a malformed record must not break the download
                said.append(str(record.msg))

    logger = logging.getLogger("yfinance")
    handlers, propagate = logger.handlers[:], logger.propagate
    sink = io.StringIO()
    logger.handlers, logger.propagate = [Keep()], False
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            yield said
    finally:
        logger.handlers, logger.propagate = handlers, propagate
        said.extend(line for line in sink.getvalue().splitlines() if line.strip())
        for text in said:
            log.debug("yfinance: %s", text.strip())


def _network_cause(said: Sequence[str]) -> str | None:
    """A short cause when yfinance's messages show that Yahoo could not be reached, else None."""
    hits = [text for text in said if _NETWORK.search(text)]
    if not hits:
        return None
    text = " ".join(hits)
    host = _HOST.search(text)
    if host:
        return f"cannot resolve {host.group(1).rstrip('.')}: no network or no DNS"
    if re.search(r"Too Many Requests|rate.?limit", text, re.IGNORECASE):
        return "Yahoo Finance is rate-limiting this machine (too many requests); wait a while"
    if re.search(r"timed? ?out|Timeout", text, re.IGNORECASE):
        return "the connection to Yahoo Finance timed out"
    first = " ".join(hits[0].split()).split(" See http")[0]
    return f"network error: {first[:160]}"


def _yf_download(tickers: Any, **kwargs: Any) -> pd.DataFrame | None:
    """Default downloader: ``yfinance.download``, imported only when first needed."""
    yf = require("yfinance", extra="yahoo", feature="YFinanceSource (live prices)")
    return yf.download(tickers, **kwargs)


CHECKSUM_SUFFIX = ".sha256"
"""Suffix of the record beside each cache file: ``<sha256 hex> <rows>``."""
ORPHAN_AGE_S = 3600
"""Temporary files of an entry older than this (seconds) are left by an interrupted write."""


def _clean_orphans(path: Path) -> None:
    """Remove the temporary files an interrupted write of ``path`` left (older than an hour, so a
    concurrent writer's file is never touched)."""
    if not path.parent.is_dir():
        return
    cutoff = time.time() - ORPHAN_AGE_S
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass


def _no_prices(ticker: str, span: str, damage: str | None = None, said: Sequence[str] = ()) -> PriceSourceError:
    lost = f" ({damage}; delete it, or reconnect so it can be downloaded again)" if damage else ""
    why = [" ".join(t.split()) for t in said if t.strip() and "failed download" not in t.lower()]
    told = f" (yfinance said: {'; '.join(why)[:300]})" if why else ""
    return PriceSourceError(f"yfinance returned no prices for {ticker!r} {span}{told}{lost}: {_FIX}")


def _default_cache_dir() -> Path:
    env = os.environ.get("EVENTSTUDY_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "eventstudy" / "yfinance"


def _safe_name(ticker: str) -> str:
    """Readable, filesystem-safe and injective file stem for a Yahoo symbol (``%`` itself is escaped)."""
    return quote(ticker, safe="^=.-_")


def _price_table(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop the 'Ticker' column level of a single-ticker ``yf.download`` frame (Price level kept)."""
    if isinstance(raw.columns, pd.MultiIndex):
        level = "Price" if "Price" in raw.columns.names else 0
        raw = raw.set_axis(raw.columns.get_level_values(level), axis=1)
    return raw


class YFinanceSource:
    """:class:`~eventstudy.prices.base.PriceSource` backed by Yahoo Finance (network, then cache).

    ``downloader`` has the signature of ``yfinance.download`` (tests inject a fake); ``clock``
    returns the current tz-aware instant and decides which intraday ranges Yahoo still serves.
    Tickers are upper-cased, as Yahoo symbols are case-insensitive and yfinance upper-cases them.
    """

    name = "yfinance"

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        downloader: Downloader | None = None,
        refresh: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        self.downloader: Downloader = downloader or _yf_download
        self.refresh = refresh
        self.clock: Clock = clock or (lambda: pd.Timestamp.now(tz="UTC"))

    # ------------------------------------------------------------------ public API
    def daily(
        self,
        tickers: Sequence[str],
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Daily frame (raw ``close``, ``adj_close``) for session dates in ``[start, end]``.

        Each ticker is read from its cache file for exactly this range when there is one (and
        ``refresh`` is False), else downloaded with one ``yfinance`` call and cached. Rows without a
        close are dropped (logged), as they are not sessions of the ticker.

        Parameters
        ----------
        tickers : sequence of str
            Yahoo symbols (a single str is taken as one ticker); upper-cased, duplicates dropped.
        start : str or pandas.Timestamp, optional
            First session date (inclusive; a time of day is dropped). None means 1900-01-01, before
            any Yahoo series.
        end : str or pandas.Timestamp, optional
            Last session date (inclusive). None means tomorrow's UTC date by ``clock``, so that the
            latest session of a market east of UTC is included.

        Returns
        -------
        pandas.DataFrame
            Daily frame ``ticker, date, close, adj_close``, sorted by ticker then date.

        Raises
        ------
        PriceSourceError
            If a ticker is empty, a bound cannot be parsed, ``start`` is after ``end``, the download
            fails or returns no prices, or a cache file cannot be written.
        PriceFetchError
            A :class:`PriceSourceError` raised when a download is needed and Yahoo Finance could not
            be reached (offline, refused, timed out, rate-limited); ``failures`` names the ticker.
        MissingDependencyError
            If a download is needed and yfinance is not installed.
        """
        lo, hi = self._daily_range(start, end)
        frames = [self._daily_one(t, lo, hi)[0] for t in self._symbols(tickers)]
        out = pd.concat(frames) if frames else pd.DataFrame(columns=DAILY_COLUMNS)
        return check_daily_frame(out, self.name)

    def intraday(
        self,
        ticker: str,
        start: str | pd.Timestamp,
        end: str | pd.Timestamp,
        interval: str = "1m",
    ) -> pd.DataFrame:
        """Intraday frame of bars starting in ``[start, end]`` (tz-aware bounds; UTC bar starts).

        Read from the cache file for exactly this range when there is one (and ``refresh`` is
        False), else downloaded (1-minute bars in 7-day chunks) and cached. A cached range stays
        readable after Yahoo stops serving it.

        Parameters
        ----------
        ticker : str
            Yahoo symbol; upper-cased.
        start : str or pandas.Timestamp
            Earliest bar start (inclusive); must be tz-aware.
        end : str or pandas.Timestamp
            Latest bar start (inclusive); must be tz-aware.
        interval : str, default "1m"
            One of ``"1m"``, ``"2m"``, ``"5m"``, ``"15m"``, ``"30m"``, ``"1h"``, ``"60m"``, ``"90m"``.

        Returns
        -------
        pandas.DataFrame
            Intraday frame ``ticker, time, open, high, low, close, volume``, ``time`` the bar start
            as ``datetime64[ns, UTC]``, sorted by time.

        Raises
        ------
        PriceSourceError
            If the interval is not a Yahoo intraday interval, a bound is naive or unparsable,
            ``start`` is after ``end``, ``start`` is older than Yahoo serves that interval (1m: 30
            days, 1h/60m: 730 days, the others 60 days, counted back from ``clock``), the download
            fails or returns no bars, or the cache file cannot be written.
        PriceFetchError
            A :class:`PriceSourceError` raised when a download is needed and Yahoo Finance could not
            be reached (offline, refused, timed out, rate-limited); ``failures`` names the ticker.
        MissingDependencyError
            If a download is needed and yfinance is not installed.
        """
        return self._intraday_one(self._symbols([ticker])[0], start, end, interval)[0]

    def fetch(
        self,
        tickers: Sequence[str],
        start: str | pd.Timestamp | None,
        end: str | pd.Timestamp | None,
        interval: str = "1d",
    ) -> dict[str, Path]:
        """Populate the cache (honouring ``refresh``); return ticker -> cache file path.

        Parameters
        ----------
        tickers : sequence of str
            Yahoo symbols (a single str is taken as one ticker); upper-cased, duplicates dropped.
        start : str or pandas.Timestamp or None
            For ``"1d"``, the first session date (inclusive; None: 1900-01-01). For an intraday
            interval, the earliest bar start, a tz-aware instant (required).
        end : str or pandas.Timestamp or None
            For ``"1d"``, the last session date (inclusive; None: tomorrow's UTC date). For an
            intraday interval, the latest bar start, a tz-aware instant (required).
        interval : str, default "1d"
            ``"1d"`` for daily closes (as :meth:`daily`), else an intraday interval (as :meth:`intraday`).

        Returns
        -------
        dict of str to pathlib.Path
            Upper-cased ticker -> the cache file holding its frame.

        Raises
        ------
        PriceSourceError
            If an intraday interval is given without both ``start`` and ``end``, or for any reason
            :meth:`daily` or :meth:`intraday` raise it.
        PriceFetchError
            A :class:`PriceSourceError` raised when a download is needed and Yahoo Finance could not
            be reached (offline, refused, timed out, rate-limited); ``failures`` names the ticker.
        MissingDependencyError
            If a download is needed and yfinance is not installed.
        """
        if interval == "1d":
            lo, hi = self._daily_range(start, end)
            return {t: self._daily_one(t, lo, hi)[1] for t in self._symbols(tickers)}
        if start is None or end is None:
            raise PriceSourceError(f"fetch(interval={interval!r}) needs tz-aware start and end instants")
        return {t: self._intraday_one(t, start, end, interval)[1] for t in self._symbols(tickers)}

    # ------------------------------------------------------------------ daily
    def _daily_range(
        self, start: str | pd.Timestamp | None, end: str | pd.Timestamp | None
    ) -> tuple[pd.Timestamp, pd.Timestamp]:
        lo = coerce_bound(start, "start")
        hi = coerce_bound(end, "end")
        lo = _EARLIEST if lo is None else lo
        # No end: through tomorrow (UTC), so the latest session of a market east of UTC is included.
        if hi is None:
            hi = self.clock().tz_convert("UTC").tz_localize(None).normalize() + pd.Timedelta(days=1)
        if lo > hi:
            raise PriceSourceError(f"start={lo:%Y-%m-%d} is after end={hi:%Y-%m-%d}; swap them")
        return lo, hi

    def _daily_one(self, ticker: str, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.DataFrame, Path]:
        path = self._path(ticker, "1d", f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}")
        cached, damage = (None, None) if self.refresh else self._cached(path)
        if cached is not None:
            return check_daily_frame(cached, f"{self.name} cache {path}"), path
        # One download per ticker: a multi-ticker call fills NaN rows on dates where only *another*
        # ticker traded, which are not sessions of this one.
        # yfinance's end is exclusive, ours inclusive; its date strings are read in the exchange zone.
        span = f"between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}"
        raw, said = self._download(ticker, f"{lo:%Y-%m-%d}", f"{hi + pd.Timedelta(days=1):%Y-%m-%d}", "1d",
                                   span, damage)
        if raw is None:
            raise _no_prices(ticker, span, damage, said)
        # Daily index: tz-naive exchange dates in yfinance 1.x; some versions return midnight in the
        # exchange zone, whose wall date is the session date.
        dates = pd.DatetimeIndex(raw.index)
        dates = (dates.tz_localize(None) if dates.tz is not None else dates).normalize()
        frame = pd.DataFrame({"ticker": ticker, "date": dates,
                              "close": raw["Close"].to_numpy(), "adj_close": raw["Adj Close"].to_numpy()})
        frame = self._drop_missing(frame[(frame["date"] >= lo) & (frame["date"] <= hi)], "date", ticker, span)
        frame = check_daily_frame(frame, self.name)
        self._write(path, frame)
        return frame, path

    # ------------------------------------------------------------------ intraday
    def _intraday_one(
        self, ticker: str, start: str | pd.Timestamp, end: str | pd.Timestamp, interval: str
    ) -> tuple[pd.DataFrame, Path]:
        if interval not in _INTRADAY:
            raise PriceSourceError(
                f"interval={interval!r} is not an intraday Yahoo interval; use one of {list(_INTRADAY)}"
            )
        lo, hi = coerce_instant(start, "start"), coerce_instant(end, "end")
        if lo > hi:
            raise PriceSourceError(f"start={lo.isoformat()} is after end={hi.isoformat()}; swap them")
        path = self._path(ticker, interval, f"{lo:%Y%m%dT%H%M%SZ}", f"{hi:%Y%m%dT%H%M%SZ}")
        cached, damage = (None, None) if self.refresh else self._cached(path)
        if cached is not None:  # a cached range stays readable after Yahoo drops it
            return self._intraday_frame(cached, f"{self.name} cache {path}"), path
        self._check_lookback(lo, interval)
        step = pd.Timedelta(minutes=_INTRADAY[interval][0])
        span = f"between {lo.isoformat()} and {hi.isoformat()} ({interval} bars)"
        pieces, said = [], []
        chunk = lo
        while chunk <= hi:  # one request per [chunk, stop); yfinance's end is exclusive
            stop = min(chunk + _MAX_SPAN.get(interval, hi + step - chunk), hi + step)
            raw, told = self._download(ticker, chunk, stop, interval, span, damage)
            said += told
            if raw is not None:  # a chunk may hold no session (weekend); only an empty total is an error
                # yfinance intraday index: tz-aware in the exchange zone -> UTC bar starts.
                times = pd.DatetimeIndex(raw.index).tz_convert("UTC")
                pieces.append(pd.DataFrame({"ticker": ticker, "time": times,
                                            **{c.lower(): raw[c].to_numpy() for c in _BAR_COLUMNS}}))
            chunk = stop
        if not pieces:
            raise _no_prices(ticker, span, damage, said)
        frame = pd.concat(pieces).drop_duplicates(["ticker", "time"])
        frame = self._drop_missing(frame[(frame["time"] >= lo) & (frame["time"] <= hi)], "time", ticker, span)
        frame = self._intraday_frame(frame, self.name)
        self._write(path, frame)
        return frame, path

    def _check_lookback(self, lo: pd.Timestamp, interval: str) -> None:
        """Refuse ranges Yahoo no longer serves (relative to ``clock``) instead of downloading nothing."""
        now = self.clock().tz_convert("UTC")
        limit = _INTRADAY[interval][1]
        if lo >= now - pd.Timedelta(days=limit):
            return
        age = (now - lo).days + 1
        # The finest interval that still reaches back far enough (dict order breaks ties: '1h').
        reach = [(minutes, i, d) for i, (minutes, d) in _INTRADAY.items() if d >= age]
        fix = (f"use interval='{min(reach)[1]}' (Yahoo keeps {min(reach)[2]} days)" if reach
               else "no Yahoo intraday interval reaches that far back")
        raise PriceSourceError(
            f"Yahoo serves {interval} bars only for the last {limit} days, but start={lo.isoformat()} is "
            f"{age} days before now ({now:%Y-%m-%d %H:%M} UTC); {fix}, or load the bars from a CSV "
            "(source='csv')"
        )

    @staticmethod
    def _intraday_frame(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        out = check_intraday_frame(frame, source)
        out["time"] = out["time"].astype("datetime64[ns, UTC]")  # same unit whether fresh or cached
        return out

    # ------------------------------------------------------------------ download, cache
    def _download(self, ticker: str, start: Any, end: Any, interval: str, span: str,
                  damage: str | None = None) -> tuple[pd.DataFrame | None, list[str]]:
        """One quiet ``yf.download`` call for one ticker, flattened to Price columns (None: no rows),
        and what yfinance said meanwhile. Raises :class:`PriceFetchError` when Yahoo could not be
        reached (see the module docstring)."""
        lost = f" ({damage}; delete it, or reconnect so it can be downloaded again)" if damage else ""
        said: list[str] = []
        try:
            with _quiet_yfinance() as said:
                raw = self.downloader(
                    ticker, start=start, end=end, interval=interval, auto_adjust=False, actions=False,
                    progress=False, multi_level_index=True, threads=False,
                )
        except EventStudyError:  # MissingDependencyError (no yfinance), or a source error as is
            raise
        except Exception as exc:  # network / HTTP / parsing errors; KeyboardInterrupt propagates as is
            cause = _network_cause([f"{type(exc).__name__}: {exc}", *said]) or f"{type(exc).__name__}: {exc}"
            raise PriceFetchError(
                f"yfinance failed for {ticker!r} {span} ({type(exc).__name__}: {exc}){lost}: {_FIX}",
                {ticker: cause},
            ) from exc
        # yfinance 1.x returns an empty frame (MultiIndex columns, no rows) when offline or for an
        # unknown symbol, after logging "1 Failed download: ['FOO']: <the cause>".
        if raw is None or raw.empty:
            cause = _network_cause(said)
            if cause is not None:
                raise PriceFetchError(
                    f"could not fetch {ticker!r} {span} from Yahoo Finance ({cause}){lost}: {_FIX_NETWORK}",
                    {ticker: cause},
                )
            return None, said
        table = _price_table(raw)
        needed = ("Close", "Adj Close") if interval == "1d" else _BAR_COLUMNS
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise PriceSourceError(
                f"yfinance frame for {ticker!r} lacks column(s) {missing}; got {list(table.columns)}"
            )
        return table, said

    @staticmethod
    def _drop_missing(frame: pd.DataFrame, when: str, ticker: str, span: str) -> pd.DataFrame:
        """Drop (and log) rows without a close, which are not sessions/bars of this ticker; none left
        (a Close that is all NaN) is the same error as an empty download."""
        gone = frame["close"].isna()
        if gone.all():
            raise _no_prices(ticker, span)
        if gone.any():
            log.info("yfinance: dropped %d row(s) of %r without a Close: %s", int(gone.sum()), ticker,
                     ", ".join(str(v) for v in frame.loc[gone, when]))
        return frame.loc[~gone]

    @staticmethod
    def _symbols(tickers: Sequence[str]) -> list[str]:
        items = [tickers] if isinstance(tickers, str) else list(tickers)
        symbols = list(dict.fromkeys(str(t).strip().upper() for t in items))  # unique, order kept
        if "" in symbols:
            raise PriceSourceError(f"empty ticker in {items!r}; pass Yahoo symbols such as 'SPY' or '^N225'")
        return symbols

    def _path(self, ticker: str, interval: str, lo: str, hi: str) -> Path:
        return self.cache_dir / interval / f"{_safe_name(ticker)}__{lo}__{hi}.csv"

    @staticmethod
    def _cached(path: Path) -> tuple[pd.DataFrame | None, str | None]:
        """The cache file's frame when it is whole (its checksum and row count match its record),
        else None and why it was not used (None when there is no entry)."""
        _clean_orphans(path)
        if not path.exists() and not path.parent.joinpath(path.name + CHECKSUM_SUFFIX).exists():
            return None, None
        damage = None
        try:
            data = path.read_bytes()
            record = path.parent.joinpath(path.name + CHECKSUM_SUFFIX).read_text(encoding="utf-8").split()
            if len(record) != 2 or record[0] != hashlib.sha256(data).hexdigest():
                damage = "its bytes do not match the checksum recorded when it was written"
            else:
                frame = pd.read_csv(io.BytesIO(data), dtype={"ticker": str}, **CSV_EXACT)
                if len(frame) != int(record[1]) or len(frame) == 0:
                    damage = f"it holds {len(frame)} rows where {record[1]} were written"
                else:
                    return frame, None
        except FileNotFoundError:
            damage = "its checksum record is missing (an interrupted write, or a cache of an older version)"
        except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            damage = f"it cannot be read ({type(exc).__name__}: {exc})"
        damage = f"cache file {path} was not used: {damage}"
        log.warning("%s; downloading it again", damage)
        return None, damage

    @staticmethod
    def _write(path: Path, frame: pd.DataFrame) -> None:
        """Atomically replace ``path`` by ``frame`` as CSV; on any failure the temporary file goes."""
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _clean_orphans(path)
            text = io.StringIO()
            frame.to_csv(text, index=False)
            data = text.getvalue().encode("utf-8")
            record = path.parent / (path.name + CHECKSUM_SUFFIX)
            # the data first, then its record: a crash between the two leaves a mismatch, read as damage
            for target, payload in ((path, data), (record, f"{hashlib.sha256(data).hexdigest()} {len(frame)}\n"
                                                   .encode("ascii"))):
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
                tmp = None
        except BaseException as exc:  # KeyboardInterrupt too: never leave a partial file behind
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise PriceSourceError(
                    f"cannot write the yfinance cache file {path} ({exc}); free disk space, or pass "
                    "cache_dir= / set EVENTSTUDY_CACHE to a writable directory"
                ) from exc
            raise
