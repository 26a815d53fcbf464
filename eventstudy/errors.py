"""Exception hierarchy: one type per cause.

Every error raised on bad input names where the problem is (file, line, column, argument) and what to
pass instead. All inherit from :class:`EventStudyError`; the ones about values are also
:class:`ValueError` so that generic handlers still catch them.

=========================  ==========================================================================
type                       raised when
=========================  ==========================================================================
``SpecificationError``     an argument of the study is not valid (unknown model name, a window
                           written backwards, an unknown backend, a group column that does not
                           exist) -- the fix is in the call
``DataError``              input data (events, prices, a CSV) are malformed, missing or inconsistent
``EventCatalogError``      the event catalog has a bad row or column (file, line and column named)
``PriceSourceError``       a price source cannot deliver what was asked
``PriceFetchError``        a remote price source (Yahoo Finance) could not be reached for some
                           tickers: offline, refused, rate-limited, or the download failed
``UnknownTickerError``     a ticker is neither registered nor in the price data
``AlignmentError``         an event cannot be placed on a market's sessions
``EstimationWindowError``  an estimation window is too short, outside the data, or the model is not
                           identified on it
``MissingDependencyError`` an optional extra is not installed (the message names the extra)
``OutputError``            an output folder cannot be written (a file in its place, read-only, held
                           by another run, or holding files eventstudy did not write)
=========================  ==========================================================================
"""

from __future__ import annotations


class EventStudyError(Exception):
    """Base class of every error raised by eventstudy."""


class SpecificationError(EventStudyError, ValueError):
    """An argument of the study (model, window, backend, group, ...) is not valid."""


class DataError(EventStudyError, ValueError):
    """Input data (events, prices, a CSV) are malformed, missing or inconsistent."""


class EventCatalogError(DataError):
    """The event catalog has a bad row or column (the message names file, line and column)."""


class UnknownTickerError(DataError, KeyError):
    """A ticker is neither in the asset registry nor in the price data."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class AlignmentError(EventStudyError, ValueError):
    """An event cannot be placed on a market's sessions (outside the calendar or the data)."""


class EstimationWindowError(EventStudyError, ValueError):
    """An estimation window is too short, falls outside the data, or does not identify the model."""


class OutputError(EventStudyError, OSError):
    """An output folder cannot be written: a file in its place, no permission, another run writing
    into it, or files in it that eventstudy did not write."""


class PriceSourceError(DataError):
    """A price source (bundled snapshot, yfinance, CSV, Parquet) cannot deliver what was asked."""


class PriceFetchError(PriceSourceError):
    """A remote price source could not be reached for some tickers (offline, refused, rate-limited,
    or the download raised), as opposed to a source that answered without the prices asked for.

    ``failures`` maps each ticker that could not be fetched to a short cause, e.g.
    ``{"^DJI": "cannot resolve query2.finance.yahoo.com"}``.
    """

    def __init__(self, message: str, failures: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.failures: dict[str, str] = dict(failures or {})


class MissingDependencyError(EventStudyError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require(module: str, *, extra: str, feature: str):
    """Import ``module`` (an optional dependency) or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module
        Importable name, e.g. ``"matplotlib"``.
    extra
        The ``pip`` extra of eventstudy that installs it, e.g. ``"plots"``.
    feature
        What needs it, for the message (``"figures"``).

    Returns
    -------
    module
        The imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} need(s) {module.split('.')[0]}, which is not installed; "
            f"install it with: pip install 'eventstudy[{extra}]'"
        ) from exc
