"""eventstudy: link diplomatic news to market moves.

Flat public API (re-exports only); see README.md for a tour.
"""

__version__ = "0.1.0"  # first, so submodules can import it while the package initialises

from .alignment import align
from .assets import DEFAULT_ASSETS, REGISTRY, Asset, get_asset
from .calendars import DATE_ONLY_POLICIES, SessionTable, data_sessions, exchange_sessions
from .errors import (
    AlignmentError,
    DataError,
    EstimationWindowError,
    EventCatalogError,
    EventStudyError,
    PriceSourceError,
    UnknownTickerError,
)
from .events import CATEGORIES, bundled_events_path, expand_assets, load_events
from .prices import PriceSource
from .prices.bundled import BundledSource
from .prices.csvsource import CSVSource
from .prices.parquet import ParquetSource
from .returns import compute_returns, session_gaps
from .study import EventStudy, EventStudyResults, us_china_study
from .models import MODELS, ConstantMean, FactorModel, MarketAdjusted, MarketModel
from .bars import intraday_study
from .placebo import placebo_test

__all__ = [
    "AlignmentError", "Asset", "ConstantMean", "FactorModel", "EventStudy", "EventStudyResults", "MODELS", "MarketAdjusted",
    "MarketModel", "us_china_study", "BundledSource", "CATEGORIES", "CSVSource", "DATE_ONLY_POLICIES",
    "DEFAULT_ASSETS", "DataError", "EstimationWindowError", "EventCatalogError", "EventStudyError",
    "PriceSource", "PriceSourceError", "REGISTRY", "SessionTable", "UnknownTickerError", "align",
    "bundled_events_path", "compute_returns", "data_sessions", "exchange_sessions", "expand_assets",
    "get_asset", "intraday_study", "load_events", "ParquetSource", "placebo_test", "session_gaps", "__version__",
]
