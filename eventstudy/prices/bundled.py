"""The bundled snapshot: real prices shipped inside the package (see ``data/PROVENANCE.md``).

Built by ``scripts/build_snapshot.py`` from ``../shared/data/raw``; every removed row, every
calendar gap and each source file's SHA-256 are in ``data/snapshot.json``. Works offline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from ..errors import PriceSourceError, UnknownTickerError
from .base import check_daily_frame, check_intraday_frame, coerce_bound, coerce_instant

_INTERVAL_ALIASES = {"1m": "1m", "1min": "1m", "15m": "15m", "15min": "15m", "1h": "1h", "60m": "1h"}


def safe_name(ticker: str) -> str:
    """A file name for a ticker: percent-encoded, so '^N225' -> '%5EN225', 'ES=F' -> 'ES%3DF'."""
    return quote(ticker, safe="")


def data_dir() -> Path:
    """The directory of the bundled snapshot inside the installed package (``eventstudy/data``).

    Returns
    -------
    pathlib.Path
    """
    return Path(str(resources.files("eventstudy") / "data"))


class BundledSource:
    """Daily closes of the 16 default tickers (2020 onwards), intraday SPY/QQQ/ES bars, and the
    extended-hours SPXL/XLK minute bars of 2025-05-06 (proxy-only, for the claims check)."""

    name = "bundled"

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir()

    @cached_property
    def manifest(self) -> dict:
        """The snapshot's ``snapshot.json`` (read once); :class:`PriceSourceError` if it is missing."""
        path = self.root / "snapshot.json"
        if not path.is_file():
            raise PriceSourceError(f"bundled snapshot manifest {path} is missing; rebuild it with "
                                   "`python scripts/build_snapshot.py ../shared/data/raw`")
        return json.loads(path.read_text())

    @property
    def tickers(self) -> list[str]:
        """Tickers with daily closes in the snapshot, in manifest order."""
        return list(self.manifest["daily"])

    def daily(self, tickers: Sequence[str] | None = None, start=None, end=None) -> pd.DataFrame:
        """Daily closes from the snapshot's CSV files, between ``start`` and ``end`` inclusive.

        Parameters
        ----------
        tickers : sequence of str, optional
            Tickers to read; None for every ticker of the snapshot (:attr:`tickers`).
        start : str or pandas.Timestamp, optional
            First session date (inclusive), see :func:`~eventstudy.prices.base.coerce_bound`;
            None for no lower bound.
        end : str or pandas.Timestamp, optional
            Last session date (inclusive); None for no upper bound.

        Returns
        -------
        pandas.DataFrame
            Daily frame ``ticker, date, close, adj_close, volume`` (volume NaN where the source has
            none: :meth:`volume_note`), checked by
            :func:`~eventstudy.prices.base.check_daily_frame`.

        Raises
        ------
        UnknownTickerError
            If a ticker is not in the snapshot.
        PriceSourceError
            If the manifest ``snapshot.json`` is missing, a bound cannot be parsed or the data fail the check.
        """
        tickers = self.tickers if tickers is None else list(tickers)
        lo, hi = coerce_bound(start, "start"), coerce_bound(end, "end")
        frames = []
        for t in tickers:
            info = self.manifest["daily"].get(t)
            if info is None:
                raise UnknownTickerError(
                    f"the bundled snapshot has no prices for {t!r}; it holds {', '.join(self.tickers)}. "
                    f"Fetch it with `eventstudy fetch {t}` (online) or pass a CSV with --prices"
                )
            df = pd.read_csv(self.root / info["file"], parse_dates=["date"])
            df.insert(0, "ticker", t)
            if lo is not None:
                df = df[df["date"] >= lo]
            if hi is not None:
                df = df[df["date"] <= hi]
            frames.append(df)
        return check_daily_frame(pd.concat(frames, ignore_index=True), f"bundled snapshot ({self.root})")

    def volume_note(self, ticker: str) -> str | None:
        """Where the snapshot's volume of ``ticker`` comes from, or why it has none.

        Parameters
        ----------
        ticker : str
            A ticker of the snapshot.

        Returns
        -------
        str or None
            The ``volume`` entry of ``snapshot.json`` (``"none: ..."`` for a source without
            volume); None for a ticker the snapshot does not hold.
        """
        info = self.manifest["daily"].get(ticker)
        return None if info is None else info.get("volume")

    def intraday_sets(self, *, include_proxies: bool = False) -> pd.DataFrame:
        """What intraday bars the snapshot holds: one row per (ticker, interval) file.

        The bundled intraday study runs on these sets, so by default they are the sets of the
        study's markets (:data:`~eventstudy.assets.DEFAULT_ASSETS`): the proxy-only SPXL and XLK
        bars of one evening, read by the claims check through :meth:`intraday`, are left out.

        Parameters
        ----------
        include_proxies : bool, default False
            Also list the sets of registered tickers that are no market of the study (SPXL, XLK).

        Returns
        -------
        pandas.DataFrame
            Columns ``name, ticker, interval, first, last, rows``, in manifest order.
        """
        from ..assets import DEFAULT_ASSETS

        rows = [{"name": k, **{c: v[c] for c in ("ticker", "interval", "first", "last", "rows")}}
                for k, v in self.manifest["intraday"].items() if include_proxies or v["ticker"] in DEFAULT_ASSETS]
        return pd.DataFrame(rows)

    def intraday(self, ticker: str, start, end, interval: str = "1m") -> pd.DataFrame:
        """Intraday bars from the snapshot starting in ``[start, end]`` (both inclusive).

        Parameters
        ----------
        ticker : str
            The ticker, e.g. ``"SPY"``.
        start : str or pandas.Timestamp
            Earliest bar start, tz-aware (see :func:`~eventstudy.prices.base.coerce_instant`).
        end : str or pandas.Timestamp
            Latest bar start, tz-aware.
        interval : str, default "1m"
            ``"1m"``/``"1min"``, ``"15m"``/``"15min"`` or ``"1h"``/``"60m"``.

        Returns
        -------
        pandas.DataFrame
            Intraday frame ``ticker, time, open, high, low, close, volume`` (``time`` the UTC bar start).

        Raises
        ------
        PriceSourceError
            If a bound is naive or unparsable, the snapshot has no bars of that ticker and interval,
            or none start in the range.
        """
        lo, hi = coerce_instant(start, "start"), coerce_instant(end, "end")
        iv = _INTERVAL_ALIASES.get(interval)
        match = [v for v in self.manifest["intraday"].values() if v["ticker"] == ticker and v["interval"] == iv]
        if not match:
            have = ", ".join(f"{v['ticker']} {v['interval']}" for v in self.manifest["intraday"].values())
            raise PriceSourceError(
                f"the bundled snapshot has no {interval} bars for {ticker!r} (it has {have}); "
                f"fetch them when online with `eventstudy fetch {ticker} --interval {interval} --start ... --end ...`"
            )
        info = match[0]
        df = pd.read_csv(self.root / info["file"])
        df["time"] = pd.to_datetime(df["time"], utc=True)
        df.insert(0, "ticker", ticker)
        df = df[(df["time"] >= lo) & (df["time"] <= hi)]
        if df.empty:
            raise PriceSourceError(
                f"no bundled {iv} bars for {ticker} between {lo} and {hi}; the file covers "
                f"{info['first']} to {info['last']} (with market closures inside)"
            )
        return check_intraday_frame(df, f"bundled {info['file']}")
