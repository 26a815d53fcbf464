"""Several price sources as one: a price file and a factor-returns file, or several download files.

Each ticker must come from exactly one source: a ticker in two of them is an error naming both,
never one silently shadowing the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import PriceSourceError, UnknownTickerError


class CombinedSource:
    """The tickers of several sources that list them (``.tickers``), as one source.

    Parameters
    ----------
    sources : sequence of sources
        Each with ``tickers``, ``daily()`` and ``intraday()`` (e.g. :class:`~eventstudy.CSVSource`).

    Raises
    ------
    PriceSourceError
        If fewer than one source is given or a ticker is in two sources.
    """

    def __init__(self, sources: Sequence) -> None:
        self.sources = list(sources)
        if not self.sources:
            raise PriceSourceError("CombinedSource needs at least one source")
        self._owner: dict[str, object] = {}
        for src in self.sources:
            for t in src.tickers:
                if t in self._owner:
                    raise PriceSourceError(f"ticker {t!r} is in two inputs, {_where(self._owner[t])} and "
                                           f"{_where(src)}; rename the column in one of them")
                self._owner[t] = src
        self.name = " + ".join(dict.fromkeys(s.name for s in self.sources))
        self.levels_unknown = frozenset().union(*(getattr(s, "levels_unknown", ()) for s in self.sources))

    @property
    def tickers(self) -> list[str]:
        """Every ticker of the sources, in the order of the sources."""
        return list(self._owner)

    def daily(self, tickers: Sequence[str] | None = None, start=None, end=None) -> pd.DataFrame:
        """Daily closes of ``tickers``, each from the source that holds it.

        Parameters
        ----------
        tickers : sequence of str, optional
            Tickers to return; None for every ticker of every source.
        start : str or pandas.Timestamp, optional
            First session date (inclusive); None for no lower bound.
        end : str or pandas.Timestamp, optional
            Last session date (inclusive); None for no upper bound.

        Returns
        -------
        pandas.DataFrame
            Daily frame ``ticker, date, close, adj_close``, sorted by ticker then date.

        Raises
        ------
        UnknownTickerError
            If a requested ticker is in none of the sources.
        """
        wanted = self.tickers if tickers is None else list(tickers)
        unknown = [t for t in wanted if t not in self._owner]
        if unknown:
            raise UnknownTickerError(f"no input holds {unknown}; the inputs ({self.name}) hold {self.tickers}")
        frames = [s.daily([t for t in wanted if self._owner[t] is s], start, end) for s in self.sources
                  if any(self._owner[t] is s for t in wanted)]
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["ticker", "date"], kind="mergesort").reset_index(drop=True)

    def intraday(self, ticker, start, end, interval="1m") -> pd.DataFrame:
        """Intraday bars of ``ticker`` from the source that holds it.

        Parameters
        ----------
        ticker : str
            The ticker.
        start, end : str or pandas.Timestamp
            Earliest and latest bar start (tz-aware).
        interval : str, default "1m"
            Bar length.

        Returns
        -------
        pandas.DataFrame
            The intraday frame of :mod:`eventstudy.prices.base`.

        Raises
        ------
        UnknownTickerError
            If no source holds ``ticker``.
        """
        if ticker not in self._owner:
            raise UnknownTickerError(f"no input holds {ticker!r}; the inputs ({self.name}) hold {self.tickers}")
        return self._owner[ticker].intraday(ticker, start, end, interval)


def _where(src) -> str:
    return str(getattr(src, "path", src.name))
