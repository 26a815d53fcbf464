"""Exception hierarchy.

Every error raised on bad input names where the problem is (file, line, column, argument) and what to
pass instead. All inherit from :class:`EventStudyError`; the data-shaped ones are also
:class:`ValueError` so generic handlers still catch them.
"""

from __future__ import annotations


class EventStudyError(Exception):
    """Base class of every error raised by eventstudy."""


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
    """An estimation window is too short or falls outside the data."""

    @classmethod
    def _short(cls, members, counts, need) -> "EstimationWindowError":
        listed = ", ".join(f"#{i} ({int(counts[i])} obs)" for i in list(members)[:5])
        return cls(
            f"{len(members)} member(s) have fewer than {need} estimation observations: {listed}; "
            "lengthen the estimation window, lower min_estimation, or drop those (event, asset) pairs"
        )


class PriceSourceError(DataError):
    """A price source (bundled snapshot, yfinance, CSV) cannot deliver what was asked."""
