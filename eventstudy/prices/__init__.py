"""Price sources behind one protocol: bundled snapshot, yfinance with an on-disk cache, user CSV."""

from .base import DAILY_COLUMNS, INTRADAY_COLUMNS, VOLUME_COLUMN, PriceSource, check_daily_frame, check_intraday_frame

__all__ = ["DAILY_COLUMNS", "INTRADAY_COLUMNS", "PriceSource", "VOLUME_COLUMN", "check_daily_frame",
           "check_intraday_frame"]
